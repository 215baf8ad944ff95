//! The TCP side of the reactor: listeners, connection attempts and connections, their
//! readiness, and the commands handles send for them.

use super::config::TcpConfig;
use super::conn::{ConnCtx, ConnId, ListenerId};
use super::connection::Connection;
use super::handle::{Cmd, ConnShared, Target};
use super::listener::Listener;
use crate::ReactorHandle;
use crate::reactor::token;
use hark_proto::tcp::AttemptId;
use mio::net::TcpStream;
use mio::{Interest, Registry, Token};
use slab::Slab;
use std::collections::HashMap;
use std::io;
use std::sync::Arc;
use std::time::Instant;

pub(crate) enum Entry {
    Conn(Box<Connection>),
    Listener(Listener),
    Attempt {
        conn: usize,
        id: AttemptId,
        stream: TcpStream,
    },
}

/// Every TCP socket of one reactor. Registered with the reactor's one poll (through a
/// clone of its registry), under tokens of the TCP kind.
pub(crate) struct TcpHost {
    pub(super) registry: Registry,
    pub(super) entries: Slab<Entry>,
    pub(super) remote: ReactorHandle,
    config: TcpConfig,
    conn_keys: HashMap<ConnId, usize>,
    listener_keys: HashMap<ListenerId, usize>,
    resume: Vec<usize>,
    /// Attempts with readiness this turn, read once every event was seen.
    attempt_ready: Vec<usize>,
    /// Connections touched since the reactor last looked: their timers may have changed.
    pub(crate) touched: Vec<usize>,
}

impl TcpHost {
    pub(crate) fn new(registry: Registry, remote: ReactorHandle, config: TcpConfig) -> Self {
        Self {
            registry,
            entries: Slab::new(),
            remote,
            config,
            conn_keys: HashMap::new(),
            listener_keys: HashMap::new(),
            resume: Vec::new(),
            attempt_ready: Vec::new(),
            touched: Vec::new(),
        }
    }

    /// The token of entry `key`.
    pub(super) fn token(key: usize) -> Token {
        token::tcp(key)
    }

    /// Whether a connection or listener waits for another turn without readiness.
    pub(crate) fn has_immediate_work(&self) -> bool {
        !self.resume.is_empty() || !self.attempt_ready.is_empty()
    }

    /// Open connections and listeners.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Readiness for entry `key`.
    pub(crate) fn ready(&mut self, key: usize, readable: bool, writable: bool) {
        let registry = &self.registry;
        match self.entries.get_mut(key) {
            Some(Entry::Conn(conn)) if conn.is_open() => {
                if writable {
                    conn.on_writable(registry);
                }
                if readable {
                    conn.read_turn(registry);
                }
                self.after_conn(key);
            }
            Some(Entry::Listener(_)) => self.accept(key),
            Some(Entry::Attempt { .. }) => self.attempt_ready.push(key),
            // Spurious: the entry is gone or not yet connected.
            Some(Entry::Conn(_)) | None => {}
        }
    }

    /// After every readiness event of a turn: attempts' outcomes, then the connections
    /// and listeners that yielded, so a flood on one cannot starve the rest.
    pub(crate) fn finish_turn(&mut self) {
        let mut keys = std::mem::take(&mut self.attempt_ready);
        self.attempts_ready(&mut keys);
        self.attempt_ready = keys;
        self.run_resumes();
    }

    /// When the notifier of connection `key` wants `handle_timeout` (`None` for an entry
    /// that is not a live connection).
    pub(crate) fn timeout_of(&self, key: usize) -> Option<Instant> {
        match self.entries.get(key) {
            Some(Entry::Conn(conn)) if !conn.released => conn.poll_timeout(),
            _ => None,
        }
    }

    /// The timer of connection `key` is due.
    pub(crate) fn fire_timer(&mut self, key: usize, now: Instant) {
        if let Some(Entry::Conn(conn)) = self.entries.get_mut(key) {
            conn.handle_timeout(&self.registry, now);
        }
        self.after_conn(key);
    }

    /// Handles refused by handle writes (taken before the command channel was drained,
    /// so the writes queued before a refusal are applied before it throttles).
    pub(crate) fn refused(&mut self, refused: Vec<ConnId>) {
        for id in refused {
            let Some(&key) = self.conn_keys.get(&id) else {
                continue;
            };
            if let Some(Entry::Conn(conn)) = self.entries.get_mut(key) {
                conn.remote_refused(&self.registry);
            }
            self.after_conn(key);
        }
    }

    /// A command a handle sent.
    pub(crate) fn command(&mut self, cmd: Cmd) {
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
                let registry = &self.registry;
                if let Some(Entry::Conn(conn)) = self.entries.get_mut(key) {
                    conn.remote_op(registry, op);
                }
                self.after_conn(key);
            }
        }
    }

    /// Runs connection `id`'s `woken` now; `false` if it is gone.
    pub(crate) fn wake(&mut self, id: ConnId) -> bool {
        if !self.conn_keys.contains_key(&id) {
            return false;
        }
        self.command(Cmd::Conn {
            id,
            op: super::handle::ConnOp::Wake,
        });
        true
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
                        let result = remote.shared.resolver.resolve(&host, &service);
                        // Blocking is fine here: this is the helper thread.
                        remote.send_blocking(crate::handle::Command::Tcp(Cmd::Resolved {
                            id,
                            result,
                        }));
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
            self.registry
                .register(&mut listener.socket, Self::token(key), Interest::READABLE);
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
            let id = ConnId(self.remote.next_id());
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
            let registry = &self.registry;
            if let Some(Entry::Conn(conn)) = self.entries.get_mut(conn_key) {
                conn.attach(registry, Self::token(conn_key), stream, true);
            }
            self.after_conn(conn_key);
        }
    }

    fn close_listener(&mut self, key: usize) {
        if !matches!(self.entries.get(key), Some(Entry::Listener(_))) {
            return;
        }
        if let Some(Entry::Listener(mut listener)) = self.entries.try_remove(key) {
            let _ = &self.registry.deregister(&mut listener.socket);
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
        self.touched.push(key);
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
            let registry = &self.registry;
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

    /// Hard-closes every connection and closes every listener (the reactor stopped).
    pub(crate) fn shutdown_all(&mut self) {
        let keys: Vec<usize> = self.entries.iter().map(|(key, _)| key).collect();
        for key in keys {
            let registry = &self.registry;
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
