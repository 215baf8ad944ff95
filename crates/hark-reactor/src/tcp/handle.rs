//! Cross-thread handles: commands over a bounded channel, woken by one `mio::Waker`.

use super::conn::{ConnId, ListenerCtl, ListenerId};
use super::notify::{TcpListenNotify, TcpNotify};
use super::resolve::Resolve;
use crossbeam_channel::{Sender, TrySendError};
use hark_proto::tcp::WriteError;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

/// Why a handle could not deliver a command.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HandleError {
    /// The write was refused (pending limit, or the connection is closing).
    #[error(transparent)]
    Write(#[from] WriteError),
    /// The reactor's command channel is full; try again later. This arms no callback:
    /// retry after yielding or sleeping briefly.
    #[error("the reactor's command channel is full")]
    Busy,
    /// The reactor has stopped.
    #[error("the reactor has stopped")]
    ReactorGone,
    /// Binding a listening socket failed.
    #[error("could not bind {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The bind error.
        source: io::Error,
    },
}

/// Where an outgoing connection goes.
pub(crate) enum Target {
    Name { host: String, service: String },
    Addrs(Vec<SocketAddr>),
}

/// A command for a live connection, from another thread.
pub(crate) enum ConnOp {
    Write(Vec<u8>),
    Close,
    HardClose,
    Mute,
    Unmute,
}

/// Everything the reactor thread is told.
pub(crate) enum Cmd {
    Connect {
        id: ConnId,
        shared: Arc<ConnShared>,
        target: Target,
        notify: Box<dyn TcpNotify>,
    },
    Resolved {
        id: ConnId,
        result: io::Result<Vec<SocketAddr>>,
    },
    Listen {
        id: ListenerId,
        listener: mio::net::TcpListener,
        notify: Box<dyn TcpListenNotify>,
        limit: Option<usize>,
    },
    CloseListener(ListenerId),
    Conn {
        id: ConnId,
        op: ConnOp,
    },
    Shutdown,
}

/// State of one connection shared with its cross-thread handles.
#[derive(Debug)]
pub(crate) struct ConnShared {
    pub(crate) limit: usize,
    /// Bytes written through handles and not yet taken by the reactor.
    pub(crate) in_channel: AtomicUsize,
    /// Bytes pending in the connection, as last published by the reactor.
    pub(crate) pending: AtomicUsize,
    pub(crate) closed: AtomicBool,
    /// A handle refused a write and the reactor has not yet throttled for it; while set,
    /// the connection's id is in [`Remote::refused`] (once).
    pub(crate) refused: AtomicBool,
}

impl ConnShared {
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            limit,
            in_channel: AtomicUsize::new(0),
            pending: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
            refused: AtomicBool::new(false),
        }
    }
}

/// The sending side of the reactor's command channel.
#[derive(Clone)]
pub(crate) struct Remote {
    pub(crate) tx: Sender<Cmd>,
    pub(crate) waker: Arc<mio::Waker>,
    pub(crate) next_id: Arc<AtomicU64>,
    pub(crate) resolver: Arc<dyn Resolve>,
    pub(crate) send_limit: usize,
    /// Connections whose handles refused a write, each at most once (see
    /// [`ConnShared::refused`]): bounded by the number of connections, and independent of
    /// the command channel, so a refusal is never lost to a full channel.
    pub(crate) refused: Arc<Mutex<Vec<ConnId>>>,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote").finish_non_exhaustive()
    }
}

impl Remote {
    pub(crate) fn send(&self, cmd: Cmd) -> Result<(), HandleError> {
        match self.tx.try_send(cmd) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(HandleError::Busy),
            Err(TrySendError::Disconnected(_)) => return Err(HandleError::ReactorGone),
        }
        self.waker.wake().map_err(|_| HandleError::ReactorGone)
    }

    /// Tells the reactor that a handle refused a write on `id`, so it throttles (and later
    /// unthrottles) that connection.
    fn refused(&self, id: ConnId, shared: &ConnShared) {
        if shared.refused.swap(true, Ordering::AcqRel) {
            return;
        }
        self.refused
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(id);
        let _ = self.waker.wake();
    }

    /// Takes the connections whose handles refused a write.
    pub(crate) fn take_refused(&self) -> Vec<ConnId> {
        std::mem::take(&mut *self.refused.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }
}

/// A cloneable handle to a running [`super::TcpReactor`], usable from any thread.
#[derive(Debug, Clone)]
pub struct TcpReactorHandle {
    pub(crate) remote: Remote,
}

impl TcpReactorHandle {
    /// Connects to `host` at `service` (a port number for the default resolver).
    pub fn connect(
        &self,
        host: &str,
        service: &str,
        notify: impl TcpNotify + 'static,
    ) -> Result<TcpConnectionHandle, HandleError> {
        let target = Target::Name {
            host: host.to_owned(),
            service: service.to_owned(),
        };
        self.start(target, Box::new(notify))
    }

    /// Connects to the first of `addrs` to answer, skipping name resolution.
    pub fn connect_addrs(
        &self,
        addrs: Vec<SocketAddr>,
        notify: impl TcpNotify + 'static,
    ) -> Result<TcpConnectionHandle, HandleError> {
        self.start(Target::Addrs(addrs), Box::new(notify))
    }

    /// Listens on `addr`, accepting at most `limit` open connections at a time (accepting
    /// pauses at the limit and resumes when one of them closes). When `addr` cannot be
    /// bound, the notifier's `not_listening` runs on this thread (the notifier never
    /// reaches the reactor), with the bind error in [`ListenerCtl::error`], and the error
    /// is returned.
    pub fn listen(
        &self,
        addr: SocketAddr,
        mut notify: impl TcpListenNotify + 'static,
        limit: Option<usize>,
    ) -> Result<ListenerHandle, HandleError> {
        let listener = match mio::net::TcpListener::bind(addr) {
            Ok(listener) => listener,
            Err(source) => {
                let mut close = false;
                let mut ctl = ListenerCtl {
                    id: ListenerId(self.remote.next_id()),
                    local: Some(addr),
                    connections: 0,
                    limit,
                    close: &mut close,
                    error: Some(source.kind()),
                };
                notify.not_listening(&mut ctl);
                return Err(HandleError::Bind { addr, source });
            }
        };
        self.adopt(addr, listener, Box::new(notify), limit)
    }

    /// Listens on a socket the caller already bound (for instance the first free port of
    /// a range, as `hark::listen` finds it); it is switched to non-blocking mode.
    /// Otherwise as [`TcpReactorHandle::listen`].
    pub fn listen_on(
        &self,
        listener: std::net::TcpListener,
        notify: impl TcpListenNotify + 'static,
        limit: Option<usize>,
    ) -> Result<ListenerHandle, HandleError> {
        let unspecified = SocketAddr::from(([0, 0, 0, 0], 0));
        let addr = listener.local_addr().unwrap_or(unspecified);
        listener
            .set_nonblocking(true)
            .map_err(|source| HandleError::Bind { addr, source })?;
        let listener = mio::net::TcpListener::from_std(listener);
        self.adopt(addr, listener, Box::new(notify), limit)
    }

    fn adopt(
        &self,
        addr: SocketAddr,
        listener: mio::net::TcpListener,
        notify: Box<dyn TcpListenNotify>,
        limit: Option<usize>,
    ) -> Result<ListenerHandle, HandleError> {
        let local_addr = listener
            .local_addr()
            .map_err(|source| HandleError::Bind { addr, source })?;
        let id = ListenerId(self.remote.next_id());
        self.remote.send(Cmd::Listen {
            id,
            listener,
            notify,
            limit,
        })?;
        Ok(ListenerHandle {
            id,
            local_addr,
            remote: self.remote.clone(),
        })
    }

    /// Asks the reactor to stop: every connection is hard-closed.
    pub fn shutdown(&self) -> Result<(), HandleError> {
        self.remote.send(Cmd::Shutdown)
    }

    fn start(
        &self,
        target: Target,
        notify: Box<dyn TcpNotify>,
    ) -> Result<TcpConnectionHandle, HandleError> {
        let id = ConnId(self.remote.next_id());
        let shared = Arc::new(ConnShared::new(self.remote.send_limit));
        self.remote.send(Cmd::Connect {
            id,
            shared: Arc::clone(&shared),
            target,
            notify,
        })?;
        Ok(TcpConnectionHandle::new(id, shared, self.remote.clone()))
    }
}

/// Drives one connection from another thread.
#[derive(Debug, Clone)]
pub struct TcpConnectionHandle {
    id: ConnId,
    shared: Arc<ConnShared>,
    remote: Remote,
}

impl TcpConnectionHandle {
    pub(crate) fn new(id: ConnId, shared: Arc<ConnShared>, remote: Remote) -> Self {
        Self { id, shared, remote }
    }

    /// The connection's id.
    pub fn id(&self) -> ConnId {
        self.id
    }

    /// Whether the connection has closed (or failed to connect).
    pub fn is_closed(&self) -> bool {
        self.shared.closed.load(Ordering::Acquire)
    }

    /// Queues `data`. Refused past the pending limit, counting bytes still in the
    /// channel, so memory stays bounded whatever the caller does.
    ///
    /// A refusal with [`WriteError::LimitExceeded`] throttles the connection: the
    /// notifier's [`TcpNotify::throttled`] runs (unless already throttled) and
    /// [`TcpNotify::unthrottled`] follows once there is room, so a writer may pause on
    /// the refusal until `unthrottled`. A write larger than the limit itself is
    /// [`WriteError::TooLarge`] and arms nothing. [`HandleError::Busy`] (a full command
    /// channel) arms nothing either: retry after a moment.
    pub fn write(&self, data: impl Into<Vec<u8>>) -> Result<(), HandleError> {
        let data = data.into();
        let len = data.len();
        if self.is_closed() {
            return Err(WriteError::Closed.into());
        }
        if len > self.shared.limit {
            return Err(WriteError::TooLarge {
                requested: len,
                limit: self.shared.limit,
            }
            .into());
        }
        let before = self.shared.in_channel.fetch_add(len, Ordering::AcqRel);
        let pending = self
            .shared
            .pending
            .load(Ordering::Acquire)
            .saturating_add(before);
        if pending.saturating_add(len) > self.shared.limit {
            self.shared.in_channel.fetch_sub(len, Ordering::AcqRel);
            // The writer now waits for `unthrottled`: make sure it comes.
            self.remote.refused(self.id, &self.shared);
            return Err(WriteError::LimitExceeded {
                pending,
                limit: self.shared.limit,
                requested: len,
            }
            .into());
        }
        let sent = self.op(ConnOp::Write(data));
        if sent.is_err() {
            self.shared.in_channel.fetch_sub(len, Ordering::AcqRel);
        }
        sent
    }

    /// Flushes, then closes (see [`super::TcpConn::close`]). On an established connection
    /// the notifier's [`TcpNotify::closing`] runs first, so a wrapping protocol sends its
    /// closing records (TLS's `close_notify`) before the shutdown.
    pub fn close(&self) -> Result<(), HandleError> {
        self.op(ConnOp::Close)
    }

    /// Closes at once, dropping pending writes.
    pub fn hard_close(&self) -> Result<(), HandleError> {
        self.op(ConnOp::HardClose)
    }

    /// Stops reading.
    pub fn mute(&self) -> Result<(), HandleError> {
        self.op(ConnOp::Mute)
    }

    /// Resumes reading.
    pub fn unmute(&self) -> Result<(), HandleError> {
        self.op(ConnOp::Unmute)
    }

    fn op(&self, op: ConnOp) -> Result<(), HandleError> {
        self.remote.send(Cmd::Conn { id: self.id, op })
    }
}

/// A listener started by [`TcpReactorHandle::listen`].
#[derive(Debug, Clone)]
pub struct ListenerHandle {
    id: ListenerId,
    local_addr: SocketAddr,
    remote: Remote,
}

impl ListenerHandle {
    /// The listener's id.
    pub fn id(&self) -> ListenerId {
        self.id
    }

    /// The bound address (with the port the system chose for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops listening; accepted connections stay open.
    pub fn close(&self) -> Result<(), HandleError> {
        self.remote.send(Cmd::CloseListener(self.id))
    }
}

/// A reactor running on its own thread; dropping it shuts the reactor down and joins it.
#[derive(Debug)]
pub struct ReactorThread {
    pub(crate) handle: TcpReactorHandle,
    pub(crate) join: Option<JoinHandle<io::Result<()>>>,
}

impl ReactorThread {
    /// A handle to the reactor.
    pub fn handle(&self) -> &TcpReactorHandle {
        &self.handle
    }

    /// Waits until the reactor stops (after a [`TcpReactorHandle::shutdown`] from
    /// elsewhere).
    pub fn join(mut self) -> io::Result<()> {
        match self.join.take() {
            Some(join) => join
                .join()
                .map_err(|_| io::Error::other("the reactor thread panicked"))?,
            None => Ok(()),
        }
    }

    /// Stops the reactor and waits for its thread.
    pub fn shutdown(mut self) -> io::Result<()> {
        self.stop()
    }

    fn stop(&mut self) -> io::Result<()> {
        let Some(join) = self.join.take() else {
            return Ok(());
        };
        // A full channel is drained by the running loop; retry until it takes the command.
        while let Err(HandleError::Busy) = self.handle.shutdown() {
            std::thread::yield_now();
        }
        join.join()
            .map_err(|_| io::Error::other("the reactor thread panicked"))?
    }
}

impl Drop for ReactorThread {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}
