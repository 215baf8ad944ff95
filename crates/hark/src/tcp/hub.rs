//! Notifier wrappers that emit every call into the event hub, with its severity.

use crate::events::{
    ConnectionId, Direction, EventHub, EventKind, ListenFailure, ListenSuccess, Protocol,
    TcpAccepted, TcpAuthFailed, TcpClosed, TcpConnectFailed, TcpConnected, TcpConnecting,
    TcpExpect, TcpListenerClosed, TcpListening, TcpNotListening, TcpProxyVia, TcpReceived, TcpSent,
    TcpThrottled, TcpUnthrottled,
};
use hark_reactor::tcp::{ListenerCtl, TcpConn, TcpListenNotify, TcpNotify};
use std::borrow::Cow;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// An event hub shared between the reactor thread (which emits) and the application
/// (which dispatches or polls).
pub type SharedHub = Arc<Mutex<EventHub>>;

fn emit(hub: &SharedHub, kind: impl Into<EventKind>, connection: Option<ConnectionId>) {
    let kind = kind.into();
    let Ok(mut hub) = hub.lock() else {
        tracing::warn!(
            event = kind.name(),
            "event hub poisoned; TCP event not emitted"
        );
        return;
    };
    if let Err(refused) = hub.emit(kind, connection) {
        // Both lanes are full: the application is not draining the hub. Never silent.
        tracing::warn!(?refused, "event hub full; guaranteed TCP event not queued");
    }
}

fn conn_id(conn: &TcpConn<'_>) -> Option<ConnectionId> {
    Some(ConnectionId(conn.id().0))
}

/// Wraps a connection notifier: each call is emitted into the hub (as `tcp_*` events),
/// then forwarded unchanged.
#[derive(Debug)]
pub struct HubNotify<N> {
    inner: N,
    hub: SharedHub,
}

impl<N: TcpNotify> HubNotify<N> {
    /// Emits `inner`'s calls into `hub`.
    pub fn new(hub: SharedHub, inner: N) -> Self {
        Self { inner, hub }
    }

    /// The wrapped notifier.
    pub fn into_inner(self) -> N {
        self.inner
    }
}

impl<N: TcpNotify> TcpNotify for HubNotify<N> {
    fn accepted(&mut self, conn: &mut TcpConn<'_>) {
        emit(
            &self.hub,
            TcpAccepted {
                peer: conn.peer_addr(),
            },
            conn_id(conn),
        );
        self.inner.accepted(conn);
    }
    fn proxy_via(&mut self, host: &str, service: &str) -> (String, String) {
        let (via_host, via_service) = self.inner.proxy_via(host, service);
        let kind = TcpProxyVia {
            host: host.to_owned(),
            service: service.to_owned(),
            via_host: via_host.clone(),
            via_service: via_service.clone(),
        };
        emit(&self.hub, kind, None);
        (via_host, via_service)
    }
    fn connecting(&mut self, conn: &mut TcpConn<'_>, count: usize) {
        emit(&self.hub, TcpConnecting { count }, conn_id(conn));
        self.inner.connecting(conn, count);
    }
    fn connected(&mut self, conn: &mut TcpConn<'_>) {
        emit(
            &self.hub,
            TcpConnected {
                peer: conn.peer_addr(),
            },
            conn_id(conn),
        );
        self.inner.connected(conn);
    }
    fn connect_failed(&mut self, conn: &mut TcpConn<'_>) {
        emit(&self.hub, TcpConnectFailed {}, conn_id(conn));
        self.inner.connect_failed(conn);
    }
    fn auth_failed(&mut self, conn: &mut TcpConn<'_>) {
        emit(
            &self.hub,
            TcpAuthFailed {
                peer: conn.peer_addr(),
            },
            conn_id(conn),
        );
        self.inner.auth_failed(conn);
    }
    fn sent<'d>(&mut self, conn: &mut TcpConn<'_>, data: Cow<'d, [u8]>) -> Cow<'d, [u8]> {
        emit(&self.hub, TcpSent { length: data.len() }, conn_id(conn));
        self.inner.sent(conn, data)
    }
    fn sentv<'d>(
        &mut self,
        conn: &mut TcpConn<'_>,
        data: Vec<Cow<'d, [u8]>>,
    ) -> Vec<Cow<'d, [u8]>> {
        let length = data.iter().map(|chunk| chunk.len()).sum();
        emit(&self.hub, TcpSent { length }, conn_id(conn));
        self.inner.sentv(conn, data)
    }
    fn received(&mut self, conn: &mut TcpConn<'_>, data: &[u8], times: usize) -> bool {
        let kind = TcpReceived {
            length: data.len(),
            times,
        };
        emit(&self.hub, kind, conn_id(conn));
        self.inner.received(conn, data, times)
    }
    fn expect(&mut self, conn: &mut TcpConn<'_>, qty: usize) -> usize {
        emit(&self.hub, TcpExpect { qty }, conn_id(conn));
        self.inner.expect(conn, qty)
    }
    fn closing(&mut self, conn: &mut TcpConn<'_>) {
        self.inner.closing(conn);
    }
    fn closed(&mut self, conn: &mut TcpConn<'_>) {
        emit(
            &self.hub,
            TcpClosed {
                peer: conn.peer_addr(),
            },
            conn_id(conn),
        );
        self.inner.closed(conn);
    }
    fn throttled(&mut self, conn: &mut TcpConn<'_>) {
        let pending = conn.pending();
        emit(&self.hub, TcpThrottled { pending }, conn_id(conn));
        self.inner.throttled(conn);
    }
    fn unthrottled(&mut self, conn: &mut TcpConn<'_>) {
        emit(&self.hub, TcpUnthrottled {}, conn_id(conn));
        self.inner.unthrottled(conn);
    }
    fn woken(&mut self, conn: &mut TcpConn<'_>) {
        self.inner.woken(conn);
    }
    fn poll_timeout(&self) -> Option<std::time::Instant> {
        self.inner.poll_timeout()
    }
    fn handle_timeout(&mut self, conn: &mut TcpConn<'_>, now: std::time::Instant) {
        self.inner.handle_timeout(conn, now);
    }
}

/// Wraps a listen notifier: its calls are emitted into the hub (`listening` also as
/// Net::BitTorrent's `listen_success`, a bind failure in `not_listening` also as a fatal
/// `listen_failure`), every connection it returns is wrapped in a
/// [`HubNotify`] too, and a peer the hub's IP filter blocks is refused (raising `ip_filter`)
/// before the inner notifier hears of it. For outgoing connections, give the reactor a
/// [`FilteringResolver`](super::FilteringResolver).
#[derive(Debug)]
pub struct HubListenNotify<L> {
    inner: L,
    hub: SharedHub,
    /// Whether `listening` also emits `listen_success` (not when the port-range binding
    /// already did, with every port it tried).
    announce_success: bool,
}

impl<L: TcpListenNotify> HubListenNotify<L> {
    /// Emits `inner`'s calls, and its connections' calls, into `hub`.
    pub fn new(hub: SharedHub, inner: L) -> Self {
        Self {
            inner,
            hub,
            announce_success: true,
        }
    }

    /// As [`HubListenNotify::new`], for a socket whose `listen_success` was emitted when
    /// it was bound.
    pub(crate) fn after_bind(hub: SharedHub, inner: L) -> Self {
        Self {
            inner,
            hub,
            announce_success: false,
        }
    }
}

impl<L: TcpListenNotify> TcpListenNotify for HubListenNotify<L> {
    fn listening(&mut self, listener: &mut ListenerCtl<'_>) {
        let local = listener.local_addr();
        if let Some(local) = local.filter(|_| self.announce_success) {
            emit(
                &self.hub,
                ListenSuccess {
                    protocol: Protocol::tcp_for(&local),
                    local,
                    tried: vec![local.port()],
                },
                None,
            );
        }
        emit(&self.hub, TcpListening { local }, None);
        self.inner.listening(listener);
    }
    fn not_listening(&mut self, listener: &mut ListenerCtl<'_>) {
        // A bind failure is Net::BitTorrent's listen_failure (fatal: nothing listens).
        if let (Some(local), Some(error)) = (listener.local_addr(), listener.error()) {
            let failure = ListenFailure {
                protocol: Protocol::tcp_for(&local),
                ip: local.ip(),
                tried: vec![local.port()],
                error,
            };
            emit(&self.hub, failure, None);
        }
        emit(
            &self.hub,
            TcpNotListening {
                local: listener.local_addr(),
            },
            None,
        );
        self.inner.not_listening(listener);
    }
    fn connected(
        &mut self,
        listener: &mut ListenerCtl<'_>,
        peer: SocketAddr,
    ) -> Option<Box<dyn TcpNotify>> {
        // A peer the IP filter blocks is refused before the application hears of it.
        if !super::ip_filter::admit(&self.hub, peer, Direction::Incoming) {
            return None;
        }
        let notify = self.inner.connected(listener, peer)?;
        Some(Box::new(HubNotify::new(Arc::clone(&self.hub), notify)))
    }
    fn closed(&mut self, listener: &mut ListenerCtl<'_>) {
        emit(
            &self.hub,
            TcpListenerClosed {
                local: listener.local_addr(),
            },
            None,
        );
        self.inner.closed(listener);
    }
}
