//! `TcpListener`: accepts connections and asks its notifier for theirs.

use super::hub::{HubListenNotify, SharedHub};
use crate::listen::{ListenError, listen_tcp_tried};
use hark_reactor::ReactorHandle;
use hark_reactor::tcp::{HandleError, ListenerHandle, ListenerId, TcpListenNotify};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, PoisonError};

/// Why [`TcpListener::bind_range`] returned no listener.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TcpListenError {
    /// No port of the range could be bound (`listen_failure` was emitted), or none was
    /// given.
    #[error(transparent)]
    Listen(#[from] ListenError),
    /// A port was bound (`listen_success` was emitted) but the reactor could not take the
    /// socket, which was closed.
    #[error(transparent)]
    Reactor(#[from] HandleError),
}

/// A listening socket. `connected` on its notifier returns the notifier of each accepted
/// connection. With a connection limit, accepting pauses while that many accepted
/// connections are open and resumes when one closes.
#[derive(Debug, Clone)]
pub struct TcpListener {
    handle: ListenerHandle,
    tried: Vec<u16>,
}

impl TcpListener {
    /// Binds `addr` (port 0 picks a free port) with no connection limit.
    pub fn bind(
        reactor: &ReactorHandle,
        addr: SocketAddr,
        notify: impl TcpListenNotify + 'static,
    ) -> Result<Self, HandleError> {
        Self::bind_with_limit(reactor, addr, notify, None)
    }

    /// Binds `addr`, accepting at most `limit` open connections at a time.
    pub fn bind_with_limit(
        reactor: &ReactorHandle,
        addr: SocketAddr,
        notify: impl TcpListenNotify + 'static,
        limit: Option<usize>,
    ) -> Result<Self, HandleError> {
        let handle = reactor.listen(addr, notify, limit)?;
        Ok(Self {
            handle,
            tried: vec![addr.port()],
        })
    }

    /// Listens on `ip` at the first port of `ports` that binds (port 0: any free port),
    /// reporting through `hub`: `listen_success` with every port tried, or, when no port
    /// binds, `listen_failure` at fatal severity (and the same facts as the error).
    /// `notify` is wrapped in a [`HubListenNotify`] on `hub`, so the listener's and its
    /// connections' notifier calls become events too: give it the bare notifier.
    pub fn bind_range(
        reactor: &ReactorHandle,
        hub: &SharedHub,
        ip: IpAddr,
        ports: impl IntoIterator<Item = u16>,
        notify: impl TcpListenNotify + 'static,
        limit: Option<usize>,
    ) -> Result<Self, TcpListenError> {
        let (socket, tried) = {
            // A listener that panicked on another thread leaves the hub usable.
            let mut hub = hub.lock().unwrap_or_else(PoisonError::into_inner);
            listen_tcp_tried(&mut hub, ip, ports)?
        };
        let notify = HubListenNotify::after_bind(Arc::clone(hub), notify);
        let handle = reactor.listen_on(socket, notify, limit)?;
        Ok(Self { handle, tried })
    }

    /// The listener's id.
    pub fn id(&self) -> ListenerId {
        self.handle.id()
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.handle.local_addr()
    }

    /// Every port tried before this one bound, and this one's (as asked: 0 for any port).
    pub fn ports_tried(&self) -> &[u16] {
        &self.tried
    }

    /// Stops listening; accepted connections stay open.
    pub fn close(&self) -> Result<(), HandleError> {
        self.handle.close()
    }
}
