//! Cross-thread handles: commands over a bounded channel, woken by one `mio::Waker`.

use super::conn::{ConnId, ListenerCtl, ListenerId};
use super::notify::{TcpListenNotify, TcpNotify};
use crate::handle::Command;
use crate::{CommandError, ReactorHandle};
use hark_proto::tcp::WriteError;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

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
    Wake,
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
    /// the connection's id is in the reactor's list of refusals (once).
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

impl ReactorHandle {
    /// Sends a TCP command over the reactor's one channel.
    pub(crate) fn send_tcp(&self, cmd: Cmd) -> Result<(), HandleError> {
        self.send(Command::Tcp(cmd)).map_err(|error| match error {
            CommandError::Full => HandleError::Busy,
            _ => HandleError::ReactorGone,
        })
    }

    /// Tells the reactor that a handle refused a write on `id`, so it throttles (and later
    /// unthrottles) that connection.
    fn refused(&self, id: ConnId, shared: &ConnShared) {
        if !shared.refused.swap(true, Ordering::AcqRel) {
            self.push_refused(id);
        }
    }
}

/// TCP on the reactor: connections with a notifier, and listeners.
impl ReactorHandle {
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
                    id: ListenerId(self.next_id()),
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
    /// Otherwise as [`ReactorHandle::listen`].
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
        let id = ListenerId(self.next_id());
        self.send_tcp(Cmd::Listen {
            id,
            listener,
            notify,
            limit,
        })?;
        Ok(ListenerHandle {
            id,
            local_addr,
            remote: self.clone(),
        })
    }

    fn start(
        &self,
        target: Target,
        notify: Box<dyn TcpNotify>,
    ) -> Result<TcpConnectionHandle, HandleError> {
        let id = ConnId(self.next_id());
        let shared = Arc::new(ConnShared::new(self.shared.tcp_send_limit));
        self.send_tcp(Cmd::Connect {
            id,
            shared: Arc::clone(&shared),
            target,
            notify,
        })?;
        Ok(TcpConnectionHandle::new(id, shared, self.clone()))
    }
}

/// Drives one connection from another thread.
#[derive(Debug, Clone)]
pub struct TcpConnectionHandle {
    id: ConnId,
    shared: Arc<ConnShared>,
    remote: ReactorHandle,
}

impl TcpConnectionHandle {
    pub(crate) fn new(id: ConnId, shared: Arc<ConnShared>, remote: ReactorHandle) -> Self {
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

    /// Runs the notifier's [`TcpNotify::woken`] on the reactor thread (for a notifier
    /// whose state other threads change, such as a stream core fed commands: it then
    /// drains the core's output). Nothing happens on a closed connection.
    pub fn wake(&self) -> Result<(), HandleError> {
        self.op(ConnOp::Wake)
    }

    fn op(&self, op: ConnOp) -> Result<(), HandleError> {
        self.remote.send_tcp(Cmd::Conn { id: self.id, op })
    }
}

/// A listener started by [`ReactorHandle::listen`].
#[derive(Debug, Clone)]
pub struct ListenerHandle {
    id: ListenerId,
    local_addr: SocketAddr,
    remote: ReactorHandle,
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
        self.remote.send_tcp(Cmd::CloseListener(self.id))
    }
}
