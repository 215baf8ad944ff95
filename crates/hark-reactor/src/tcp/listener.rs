//! One listening socket, its notifier, and its connection limit.

use super::conn::{ListenerCtl, ListenerId};
use super::notify::{TcpListenNotify, TcpNotify};
use std::net::SocketAddr;

/// A listener owned by the reactor loop.
pub(crate) struct Listener {
    pub(crate) id: ListenerId,
    pub(crate) socket: mio::net::TcpListener,
    notify: Box<dyn TcpListenNotify>,
    limit: Option<usize>,
    local: Option<SocketAddr>,
    /// Accepted connections still open.
    pub(crate) connections: usize,
    /// Accepting stopped at the limit.
    pub(crate) paused: bool,
    pub(crate) resume_scheduled: bool,
    /// A callback asked to stop listening.
    pub(crate) close_requested: bool,
    /// Why setting it up failed, for `not_listening`.
    error: Option<std::io::ErrorKind>,
}

macro_rules! ctl {
    ($this:ident) => {
        ListenerCtl {
            id: $this.id,
            local: $this.local,
            connections: $this.connections,
            limit: $this.limit,
            close: &mut $this.close_requested,
            error: $this.error,
        }
    };
}

impl Listener {
    pub(crate) fn new(
        id: ListenerId,
        socket: mio::net::TcpListener,
        notify: Box<dyn TcpListenNotify>,
        limit: Option<usize>,
    ) -> Self {
        let local = socket.local_addr().ok();
        Self {
            id,
            socket,
            notify,
            limit,
            local,
            connections: 0,
            paused: false,
            resume_scheduled: false,
            close_requested: false,
            error: None,
        }
    }

    /// Whether the connection limit is reached.
    pub(crate) fn at_limit(&self) -> bool {
        self.limit.is_some_and(|limit| self.connections >= limit)
    }

    pub(crate) fn listening(&mut self) {
        self.notify.listening(&mut ctl!(self));
    }

    pub(crate) fn not_listening(&mut self, error: std::io::ErrorKind) {
        self.error = Some(error);
        self.notify.not_listening(&mut ctl!(self));
    }

    pub(crate) fn connected(&mut self, peer: SocketAddr) -> Option<Box<dyn TcpNotify>> {
        self.notify.connected(&mut ctl!(self), peer)
    }

    pub(crate) fn closed(&mut self) {
        self.notify.closed(&mut ctl!(self));
    }
}
