//! The TCP reactor: one mio loop over listeners, connection attempts and connections.

use super::beside::{Beside, SharedLoopError, earliest};
use super::config::TcpConfig;
use super::conn::{ConnCtx, ConnId, ListenerId};
use super::connection::Connection;
use super::handle::{Cmd, ConnShared, ReactorThread, Remote, Target, TcpReactorHandle};
use super::listener::Listener;
use super::resolve::{Resolve, StdResolver};
use crossbeam_channel::Receiver;
use hark_proto::tcp::AttemptId;
use mio::net::TcpStream;
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token, Waker};
use slab::Slab;
use std::collections::HashMap;
use std::io;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

const WAKER: Token = Token(usize::MAX);
/// The token of a reactor run beside this one (its poll's file descriptor).
const BESIDE: Token = Token(usize::MAX - 1);

pub(super) enum Entry {
    Conn(Box<Connection>),
    Listener(Listener),
    Attempt {
        conn: usize,
        id: AttemptId,
        stream: TcpStream,
    },
}

/// A mio event loop for notifier TCP connections.
///
/// Build it, take a [`TcpReactorHandle`] from [`TcpReactor::handle`], then [`TcpReactor::run`]
/// it on a thread of your own, or let [`TcpReactor::spawn`] do both.
pub struct TcpReactor {
    pub(super) poll: Poll,
    pub(super) entries: Slab<Entry>,
    rx: Receiver<Cmd>,
    remote: Remote,
    config: TcpConfig,
    conn_keys: HashMap<ConnId, usize>,
    listener_keys: HashMap<ListenerId, usize>,
    resume: Vec<usize>,
    stopping: bool,
}

impl std::fmt::Debug for TcpReactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TcpReactor")
            .field("entries", &self.entries.len())
            .finish_non_exhaustive()
    }
}

impl TcpReactor {
    /// A reactor resolving names with the system resolver.
    pub fn new(config: TcpConfig) -> io::Result<Self> {
        Self::with_resolver(config, StdResolver)
    }

    /// A reactor resolving names with `resolver` (on helper threads).
    pub fn with_resolver(config: TcpConfig, resolver: impl Resolve) -> io::Result<Self> {
        let poll = Poll::new()?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
        let (tx, rx) = crossbeam_channel::bounded(config.command_capacity.max(1));
        let remote = Remote {
            tx,
            waker,
            next_id: Arc::new(AtomicU64::new(1)),
            resolver: Arc::new(resolver),
            send_limit: config.send_limit,
            refused: Arc::default(),
        };
        Ok(Self {
            poll,
            entries: Slab::new(),
            rx,
            remote,
            config,
            conn_keys: HashMap::new(),
            listener_keys: HashMap::new(),
            resume: Vec::new(),
            stopping: false,
        })
    }

    /// Starts a reactor with the system resolver on a new thread.
    pub fn spawn(config: TcpConfig) -> io::Result<ReactorThread> {
        Self::new(config)?.into_thread()
    }

    /// Runs this reactor on a new thread.
    pub fn into_thread(self) -> io::Result<ReactorThread> {
        let handle = self.handle();
        let join = std::thread::Builder::new()
            .name("hark-tcp".into())
            .spawn(move || self.run())?;
        Ok(ReactorThread {
            handle,
            join: Some(join),
        })
    }

    /// A handle for other threads.
    pub fn handle(&self) -> TcpReactorHandle {
        TcpReactorHandle {
            remote: self.remote.clone(),
        }
    }

    /// Runs until [`TcpReactorHandle::shutdown`]; then hard-closes every connection.
    pub fn run(mut self) -> io::Result<()> {
        match self.run_loop(None) {
            Ok(()) => Ok(()),
            Err(SharedLoopError::Tcp(err)) => Err(err),
            // Unreachable without a reactor beside this one; reported, not hidden.
            Err(SharedLoopError::Udp(err)) => Err(io::Error::other(err)),
        }
    }

    /// The loop: TCP readiness, commands and resumed read turns, and, when `beside` is
    /// given, that reactor's turns on the same thread (see [`TcpReactor::run_beside`]).
    /// Stops on a TCP shutdown or when `beside` is stopped; hard-closes every connection.
    pub(super) fn run_loop(
        &mut self,
        mut beside: Option<&mut dyn Beside>,
    ) -> Result<(), SharedLoopError> {
        let mut events = Events::with_capacity(1024);
        let mut attempt_keys = Vec::new();
        if let Some(beside) = beside.as_deref() {
            let fd = beside.raw_fd();
            self.poll
                .registry()
                .register(&mut SourceFd(&fd), BESIDE, Interest::READABLE)
                .map_err(SharedLoopError::Tcp)?;
        }
        let result = loop {
            if self.stopping || beside.as_deref().is_some_and(|b| b.is_stopped()) {
                break Ok(());
            }
            let mut timeout = (!self.resume.is_empty()).then_some(Duration::ZERO);
            if let Some(beside) = beside.as_deref() {
                timeout = earliest(timeout, beside.next_wakeup(Instant::now()));
            }
            if let Err(err) = self.poll.poll(&mut events, timeout) {
                if err.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                break Err(SharedLoopError::Tcp(err));
            }
            let mut beside_ready = false;
            for event in events.iter() {
                let key = event.token().0;
                if event.token() == WAKER {
                    self.drain_commands();
                    continue;
                }
                if event.token() == BESIDE {
                    beside_ready = true;
                    continue;
                }
                let registry = self.poll.registry();
                match self.entries.get_mut(key) {
                    Some(Entry::Conn(conn)) if conn.is_open() => {
                        if event.is_writable() {
                            conn.on_writable(registry);
                        }
                        if event.is_readable() || event.is_read_closed() || event.is_error() {
                            conn.read_turn(registry);
                        }
                        self.after_conn(key);
                    }
                    Some(Entry::Listener(_)) => self.accept(key),
                    Some(Entry::Attempt { .. }) => attempt_keys.push(key),
                    // Spurious: the entry is gone or not yet connected.
                    Some(Entry::Conn(_)) | None => {}
                }
            }
            self.attempts_ready(&mut attempt_keys);
            self.run_resumes();
            if let Some(beside) = beside.as_deref_mut() {
                let due = beside
                    .next_wakeup(Instant::now())
                    .is_some_and(|wait| wait.is_zero());
                if beside_ready || due {
                    if let Err(err) = beside.turn() {
                        break Err(SharedLoopError::Udp(err));
                    }
                }
            }
        };
        if let Some(beside) = beside.as_deref() {
            let fd = beside.raw_fd();
            let _ = self.poll.registry().deregister(&mut SourceFd(&fd));
        }
        self.shutdown_all();
        result
    }

    fn drain_commands(&mut self) {
        // Taken before the channel is drained: the writes a handle queued before its
        // refusal are then applied before the refusal throttles.
        let refused = self.remote.take_refused();
        while let Ok(cmd) = self.rx.try_recv() {
            self.command(cmd);
        }
        for id in refused {
            let Some(&key) = self.conn_keys.get(&id) else {
                continue;
            };
            let registry = self.poll.registry();
            if let Some(Entry::Conn(conn)) = self.entries.get_mut(key) {
                conn.remote_refused(registry);
            }
            self.after_conn(key);
        }
    }

    fn command(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::Connect {
                id,
                shared,
                target,
                notify,
            } => self.connect(id, shared, target, notify),
            Cmd::Resolved { id, result } => {
                if let Some(&key) = self.conn_keys.get(&id) {
                    // A failed resolution is an empty address list: connect_failed.
                    self.start_attempts(key, result.unwrap_or_default());
                }
            }
            Cmd::Listen {
                id,
                listener,
                notify,
                limit,
            } => self.listen(id, listener, notify, limit),
            Cmd::CloseListener(id) => {
                if let Some(&key) = self.listener_keys.get(&id) {
                    self.close_listener(key);
                }
            }
            Cmd::Conn { id, op } => {
                let Some(&key) = self.conn_keys.get(&id) else {
                    return;
                };
                let registry = self.poll.registry();
                if let Some(Entry::Conn(conn)) = self.entries.get_mut(key) {
                    conn.remote_op(registry, op);
                }
                self.after_conn(key);
            }
            Cmd::Shutdown => self.stopping = true,
        }
    }

    fn connect(
        &mut self,
        id: ConnId,
        shared: Arc<ConnShared>,
        target: Target,
        notify: Box<dyn super::TcpNotify>,
    ) {
        let ctx = ConnCtx {
            id,
            local: None,
            peer: None,
            shared,
            remote: self.remote.clone(),
        };
        let mut conn = Box::new(Connection::new(ctx, notify, &self.config));
        let resolve = match target {
            Target::Addrs(addrs) => Err(addrs),
            Target::Name { host, service } => Ok(conn.proxy_via(&host, &service)),
        };
        let key = self.entries.insert(Entry::Conn(conn));
        self.conn_keys.insert(id, key);
        match resolve {
            Err(addrs) => self.start_attempts(key, addrs),
            Ok((host, service)) => {
                let remote = self.remote.clone();
                let spawned = std::thread::Builder::new()
                    .name("hark-resolve".into())
                    .spawn(move || {
                        let result = remote.resolver.resolve(&host, &service);
                        // Blocking is fine here: this is the helper thread.
                        if remote.tx.send(Cmd::Resolved { id, result }).is_ok() {
                            let _ = remote.waker.wake();
                        }
                    });
                if spawned.is_err() {
                    self.start_attempts(key, Vec::new());
                }
            }
        }
    }

    fn listen(
        &mut self,
        id: ListenerId,
        socket: mio::net::TcpListener,
        notify: Box<dyn super::TcpListenNotify>,
        limit: Option<usize>,
    ) {
        let mut listener = Listener::new(id, socket, notify, limit);
        let entry = self.entries.vacant_entry();
        let key = entry.key();
        let registered =
            self.poll
                .registry()
                .register(&mut listener.socket, Token(key), Interest::READABLE);
        if let Err(err) = registered {
            listener.not_listening(err.kind());
            return;
        }
        listener.listening();
        entry.insert(Entry::Listener(listener));
        self.listener_keys.insert(id, key);
        self.accept(key);
    }

    fn accept(&mut self, key: usize) {
        loop {
            let Some(Entry::Listener(listener)) = self.entries.get_mut(key) else {
                return;
            };
            if listener.close_requested {
                self.close_listener(key);
                return;
            }
            if listener.at_limit() {
                listener.paused = true;
                return;
            }
            let (stream, peer) = match listener.socket.accept() {
                Ok(accepted) => accepted,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                // Would-block, or a resource error (EMFILE, ...): wait for the next event.
                Err(_) => return,
            };
            let Some(notify) = listener.connected(peer) else {
                continue;
            };
            listener.connections += 1;
            let listener_id = listener.id;
            let id = ConnId(
                self.remote
                    .next_id
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            );
            let ctx = ConnCtx {
                id,
                local: None,
                peer: None,
                shared: Arc::new(ConnShared::new(self.config.send_limit)),
                remote: self.remote.clone(),
            };
            let mut conn = Box::new(Connection::new(ctx, notify, &self.config));
            conn.listener = Some(listener_id);
            let conn_key = self.entries.insert(Entry::Conn(conn));
            self.conn_keys.insert(id, conn_key);
            let registry = self.poll.registry();
            if let Some(Entry::Conn(conn)) = self.entries.get_mut(conn_key) {
                conn.attach(registry, Token(conn_key), stream, true);
            }
            self.after_conn(conn_key);
        }
    }

    fn close_listener(&mut self, key: usize) {
        if !matches!(self.entries.get(key), Some(Entry::Listener(_))) {
            return;
        }
        if let Some(Entry::Listener(mut listener)) = self.entries.try_remove(key) {
            let _ = self.poll.registry().deregister(&mut listener.socket);
            self.listener_keys.remove(&listener.id);
            listener.closed();
        }
    }

    /// After any call into a connection: remove it once released, or schedule its
    /// next read turn.
    pub(super) fn after_conn(&mut self, key: usize) {
        let Some(Entry::Conn(conn)) = self.entries.get_mut(key) else {
            return;
        };
        if conn.released {
            let keys = std::mem::take(&mut conn.attempt_keys);
            let id = conn.ctx.id;
            let listener = conn.listener;
            for (_, attempt_key) in keys {
                self.drop_attempt(attempt_key);
            }
            self.entries.try_remove(key);
            self.conn_keys.remove(&id);
            if let Some(listener) = listener {
                self.listener_conn_closed(listener);
            }
            return;
        }
        if conn.resume_wanted {
            conn.resume_wanted = false;
            if !conn.resume_scheduled {
                conn.resume_scheduled = true;
                self.resume.push(key);
            }
        }
    }

    fn listener_conn_closed(&mut self, id: ListenerId) {
        let Some(&key) = self.listener_keys.get(&id) else {
            return;
        };
        let Some(Entry::Listener(listener)) = self.entries.get_mut(key) else {
            return;
        };
        listener.connections = listener.connections.saturating_sub(1);
        if listener.paused && !listener.at_limit() {
            listener.paused = false;
            if !listener.resume_scheduled {
                listener.resume_scheduled = true;
                self.resume.push(key);
            }
        }
    }

    fn run_resumes(&mut self) {
        let keys = std::mem::take(&mut self.resume);
        for key in keys {
            let registry = self.poll.registry();
            match self.entries.get_mut(key) {
                Some(Entry::Conn(conn)) => {
                    conn.resume_scheduled = false;
                    if conn.is_open() {
                        conn.read_turn(registry);
                    }
                    self.after_conn(key);
                }
                Some(Entry::Listener(listener)) => {
                    listener.resume_scheduled = false;
                    self.accept(key);
                }
                _ => {}
            }
        }
    }

    fn shutdown_all(&mut self) {
        let keys: Vec<usize> = self.entries.iter().map(|(key, _)| key).collect();
        for key in keys {
            let registry = self.poll.registry();
            match self.entries.get_mut(key) {
                Some(Entry::Conn(conn)) => {
                    conn.shutdown(registry);
                    self.after_conn(key);
                }
                Some(Entry::Listener(_)) => self.close_listener(key),
                _ => {}
            }
        }
        self.entries.clear();
    }
}
