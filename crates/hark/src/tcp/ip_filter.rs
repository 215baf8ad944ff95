//! The event hub's IP filter applied to TCP: blocked peers are refused when they connect in
//! ([`HubListenNotify`](super::HubListenNotify) does it) and dropped from the resolved
//! addresses before an outgoing attempt ([`FilteringResolver`]); each raises `ip_filter`.

use super::hub::SharedHub;
use crate::events::{Admission, Direction, Protocol};
use hark_reactor::tcp::{Resolve, StdResolver};
use std::io;
use std::net::SocketAddr;

/// Asks the hub whether TCP `peer` may be talked to in `direction`; raises `ip_filter`
/// when a rule blocks it. A poisoned hub lock admits (the filter cannot be consulted).
pub fn admit(hub: &SharedHub, peer: SocketAddr, direction: Direction) -> bool {
    let Ok(mut hub) = hub.lock() else {
        tracing::warn!(%peer, "event hub poisoned; IP filter not consulted");
        return true;
    };
    hub.admit(peer, Protocol::tcp_for(&peer), direction, None) == Admission::Allow
}

/// The addresses of `addrs` the IP filter lets an outgoing connection try.
pub fn outgoing(hub: &SharedHub, addrs: Vec<SocketAddr>) -> Vec<SocketAddr> {
    addrs
        .into_iter()
        .filter(|&addr| admit(hub, addr, Direction::Outgoing))
        .collect()
}

/// A resolver that drops the addresses the hub's IP filter blocks. When every address is
/// blocked the lookup fails with `PermissionDenied`, so the notifier sees `connect_failed`.
#[derive(Debug, Clone)]
pub struct FilteringResolver<R = StdResolver> {
    inner: R,
    hub: SharedHub,
}

impl<R: Resolve> FilteringResolver<R> {
    /// Filters what `inner` resolves through `hub`'s IP filter.
    pub fn new(hub: SharedHub, inner: R) -> Self {
        Self { inner, hub }
    }
}

impl<R: Resolve> Resolve for FilteringResolver<R> {
    fn resolve(&self, host: &str, service: &str) -> io::Result<Vec<SocketAddr>> {
        let resolved = self.inner.resolve(host, service)?;
        if resolved.is_empty() {
            return Ok(resolved);
        }
        let allowed = outgoing(&self.hub, resolved);
        if allowed.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!("every address of {host}:{service} is blocked by the IP filter"),
            ));
        }
        Ok(allowed)
    }
}
