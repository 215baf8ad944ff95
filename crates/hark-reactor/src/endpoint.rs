//! The contract between the reactor and a sans-IO datagram core.

use std::net::SocketAddr;
use std::time::Instant;

use hark_proto::icmp::Unreachable;

/// One datagram an endpoint wrote into the buffer given to
/// [`DatagramEndpoint::poll_transmit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transmit {
    /// Where to send it.
    pub destination: SocketAddr,
    /// How many bytes at the start of the buffer make up the datagram.
    pub len: usize,
    /// Send with the IP "don't fragment" behaviour (libutp's `UTP_UDP_DONTFRAG`), as used
    /// by path-MTU probes.
    pub dont_fragment: bool,
}

/// A sans-IO core that lives on one UDP socket, driven by a [`Reactor`](crate::Reactor).
///
/// The reactor calls it only from its own thread and passes the time it read; the
/// endpoint never reads a clock or touches a socket. Call order per turn:
/// 1. `handle_datagram` for each datagram of a received batch that this core
///    [claims](Self::claim), then `flush_deferred` once the batch is done (the place to
///    emit one ACK for many packets);
/// 2. `handle_timeout` once `poll_timeout` has passed (spurious calls must be no-ops);
/// 3. `poll_transmit` until it returns `None` or the bounded send queue is full;
/// 4. `handle_send_blocked` when the socket's send buffer fills or drains;
/// 5. `poll_timeout` to choose how long to sleep.
///
/// Commands from other threads run as closures between these steps
/// (see [`ReactorHandle::with_endpoint`](crate::ReactorHandle::with_endpoint)).
pub trait DatagramEndpoint {
    /// Whether this core takes a datagram that arrived on its socket: the socket's
    /// demultiplexer asks its cores in the order they were added and hands the datagram
    /// to the first that claims it (uTP claims by header shape and connection id, a
    /// tracker client by its transaction ids, ...). A datagram no core claims is counted
    /// ([`SlotStats::unclaimed`](crate::SlotStats::unclaimed)) and dropped. Must be
    /// cheap and must not change state. The default claims everything: a catch-all core,
    /// to be added last.
    fn claim(&self, from: SocketAddr, data: &[u8]) -> bool {
        let _ = (from, data);
        true
    }

    /// One datagram arrived from `from`.
    fn handle_datagram(&mut self, now: Instant, from: SocketAddr, data: &[u8]);

    /// A received batch has been fully handed over; flush work deferred across it
    /// (acknowledgements, read callbacks). The default does nothing.
    fn flush_deferred(&mut self, now: Instant) {
        let _ = now;
    }

    /// The time from [`poll_timeout`](Self::poll_timeout) has come (or a spurious call).
    fn handle_timeout(&mut self, now: Instant);

    /// Writes the next outgoing datagram into `buf` (at least the larger of the reactor's
    /// `max_datagram_size` and this core's [`max_datagram_size`](Self::max_datagram_size)
    /// bytes long) and describes it, or returns `None` when idle. A `Transmit` longer
    /// than `buf` is dropped and counted as a send error.
    fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<Transmit>;

    /// The longest datagram this core writes. The socket's send slots grow to hold it
    /// when the core is added, so a core configured for larger datagrams than the
    /// reactor's `max_datagram_size` (a uTP MTU above 2048 bytes, say) still gets a
    /// buffer it can write into. The default, 0, asks for nothing beyond the reactor's.
    fn max_datagram_size(&self) -> usize {
        0
    }

    /// When `handle_timeout` should next be called; `None` for no timer.
    fn poll_timeout(&self) -> Option<Instant>;

    /// ICMP reported `destination` unreachable for a datagram sent from this socket
    /// (`quoted`: its first bytes, possibly none). Every core on the socket hears it:
    /// ignore reports about peers that are not yours. The reactor reads these from the
    /// socket's error queue on error readiness (see [`crate::udp::recv_icmp_error`]). The
    /// place to fail a connection attempt at once, as libutp's `utp_process_icmp_error`
    /// does. The default does nothing.
    fn handle_icmp_error(
        &mut self,
        now: Instant,
        destination: SocketAddr,
        kind: Unreachable,
        quoted: &[u8],
    ) {
        let _ = (now, destination, kind, quoted);
    }

    /// The socket's send buffer is full (`blocked`) or has room again. While blocked, the
    /// reactor stops polling transmits once its bounded queue is full, so the endpoint's
    /// own buffers fill: the place to raise a `Throttled`/`Unthrottled` event. The default
    /// does nothing.
    fn handle_send_blocked(&mut self, now: Instant, blocked: bool) {
        let _ = (now, blocked);
    }
}
