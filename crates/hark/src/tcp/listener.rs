//! `TcpListener`: accepts connections and asks its notifier for theirs.

use hark_reactor::tcp::{
    HandleError, ListenerHandle, ListenerId, TcpListenNotify, TcpReactorHandle,
};
use std::net::SocketAddr;

/// A listening socket. `connected` on its notifier returns the notifier of each accepted
/// connection. With a connection limit, accepting pauses while that many accepted
/// connections are open and resumes when one closes.
#[derive(Debug, Clone)]
pub struct TcpListener {
    handle: ListenerHandle,
}

impl TcpListener {
    /// Binds `addr` (port 0 picks a free port) with no connection limit.
    pub fn bind(
        reactor: &TcpReactorHandle,
        addr: SocketAddr,
        notify: impl TcpListenNotify + 'static,
    ) -> Result<Self, HandleError> {
        Self::bind_with_limit(reactor, addr, notify, None)
    }

    /// Binds `addr`, accepting at most `limit` open connections at a time.
    pub fn bind_with_limit(
        reactor: &TcpReactorHandle,
        addr: SocketAddr,
        notify: impl TcpListenNotify + 'static,
        limit: Option<usize>,
    ) -> Result<Self, HandleError> {
        let handle = reactor.listen(addr, notify, limit)?;
        Ok(Self { handle })
    }

    /// The listener's id.
    pub fn id(&self) -> ListenerId {
        self.handle.id()
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.handle.local_addr()
    }

    /// Stops listening; accepted connections stay open.
    pub fn close(&self) -> Result<(), HandleError> {
        self.handle.close()
    }
}
