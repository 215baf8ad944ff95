//! libutp's callback table: one optional closure per callback, set with a setter named
//! after it. An unset callback does what libutp does when it is unset.

use std::net::SocketAddr;

use super::constants::{LogLevel, OverheadType, SendFlags, UtpErrorCode, UtpState};
use super::handle::ContextHandle;
use super::socket::UtpSocket;

type Firewall = Box<dyn FnMut(&mut ContextHandle<'_>, SocketAddr) -> bool + Send>;
type OnAccept = Box<dyn FnMut(&mut ContextHandle<'_>, UtpSocket, SocketAddr) + Send>;
type OnSocket = Box<dyn FnMut(&mut ContextHandle<'_>, UtpSocket) + Send>;
type OnError = Box<dyn FnMut(&mut ContextHandle<'_>, UtpSocket, UtpErrorCode) + Send>;
type OnRead = Box<dyn FnMut(&mut ContextHandle<'_>, UtpSocket, &[u8]) + Send>;
type OnOverhead = Box<dyn FnMut(&mut ContextHandle<'_>, UtpSocket, bool, u32, OverheadType) + Send>;
type OnState = Box<dyn FnMut(&mut ContextHandle<'_>, UtpSocket, UtpState) + Send>;
type ReadBufferSize = Box<dyn FnMut(&mut ContextHandle<'_>, UtpSocket) -> usize + Send>;
type OnDelay = Box<dyn FnMut(&mut ContextHandle<'_>, UtpSocket, u32) + Send>;
type AddrQuery = Box<dyn FnMut(UtpSocket, SocketAddr) -> u16 + Send>;
type Clock = Box<dyn FnMut() -> u64 + Send>;
type Random = Box<dyn FnMut() -> u32 + Send>;
type Log = Box<dyn FnMut(Option<UtpSocket>, LogLevel, &str) + Send>;
type SendTo = Box<dyn FnMut(Option<UtpSocket>, &[u8], SocketAddr, SendFlags) + Send>;

/// The callbacks of a [`UtpContext`](super::UtpContext), after libutp's
/// `utp_set_callback`.
///
/// Callbacks that report something receive a [`ContextHandle`]: it answers queries and
/// queues commands (write, close, read_drained, set option) that run right after the
/// callback returns; it never lends out the core mutably, so a callback cannot re-enter it.
/// Query callbacks (`get_*`) and `log`/`sendto` receive no handle.
///
/// ```
/// use hark::utp::{Callbacks, UtpState};
/// let callbacks = Callbacks::new()
///     .on_read(|_cx, _socket, data| println!("{} bytes", data.len()))
///     .on_state_change(|cx, socket, state| {
///         if state == UtpState::Eof {
///             cx.close(socket);
///         }
///     });
/// # drop(callbacks);
/// ```
#[derive(Default)]
pub struct Callbacks {
    pub(crate) on_firewall: Option<Firewall>,
    pub(crate) on_accept: Option<OnAccept>,
    pub(crate) on_connect: Option<OnSocket>,
    pub(crate) on_error: Option<OnError>,
    pub(crate) on_read: Option<OnRead>,
    pub(crate) on_overhead_statistics: Option<OnOverhead>,
    pub(crate) on_state_change: Option<OnState>,
    pub(crate) on_fin_acked: Option<OnSocket>,
    pub(crate) get_read_buffer_size: Option<ReadBufferSize>,
    pub(crate) on_delay_sample: Option<OnDelay>,
    pub(crate) get_udp_mtu: Option<AddrQuery>,
    pub(crate) get_udp_overhead: Option<AddrQuery>,
    pub(crate) get_milliseconds: Option<Clock>,
    pub(crate) get_microseconds: Option<Clock>,
    pub(crate) get_random: Option<Random>,
    pub(crate) log: Option<Log>,
    pub(crate) sendto: Option<SendTo>,
}

impl std::fmt::Debug for Callbacks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = [
            ("on_firewall", self.on_firewall.is_some()),
            ("on_accept", self.on_accept.is_some()),
            ("on_connect", self.on_connect.is_some()),
            ("on_error", self.on_error.is_some()),
            ("on_read", self.on_read.is_some()),
            (
                "on_overhead_statistics",
                self.on_overhead_statistics.is_some(),
            ),
            ("on_state_change", self.on_state_change.is_some()),
            ("on_fin_acked", self.on_fin_acked.is_some()),
            ("get_read_buffer_size", self.get_read_buffer_size.is_some()),
            ("on_delay_sample", self.on_delay_sample.is_some()),
            ("get_udp_mtu", self.get_udp_mtu.is_some()),
            ("get_udp_overhead", self.get_udp_overhead.is_some()),
            ("get_milliseconds", self.get_milliseconds.is_some()),
            ("get_microseconds", self.get_microseconds.is_some()),
            ("get_random", self.get_random.is_some()),
            ("log", self.log.is_some()),
            ("sendto", self.sendto.is_some()),
        ];
        let names: Vec<&str> = set.iter().filter(|(_, on)| *on).map(|(n, _)| *n).collect();
        f.debug_struct("Callbacks").field("set", &names).finish()
    }
}

impl Callbacks {
    /// A table with no callback set.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// `on_firewall(addr)`: called for each incoming SYN before `on_accept`; returning
    /// `true` blocks the connection (the SYN is dropped, as libutp does). Unset: allow.
    #[must_use]
    pub fn on_firewall(
        mut self,
        f: impl FnMut(&mut ContextHandle<'_>, SocketAddr) -> bool + Send + 'static,
    ) -> Self {
        self.on_firewall = Some(Box::new(f));
        self
    }

    /// `on_accept(sock, addr)`: an incoming connection was accepted. Unset: incoming
    /// connections are refused with a RESET.
    #[must_use]
    pub fn on_accept(
        mut self,
        f: impl FnMut(&mut ContextHandle<'_>, UtpSocket, SocketAddr) + Send + 'static,
    ) -> Self {
        self.on_accept = Some(Box::new(f));
        self
    }

    /// `on_connect(sock)`: an outgoing connection is established. While set,
    /// `on_state_change` is not called with [`UtpState::Connect`].
    #[must_use]
    pub fn on_connect(
        mut self,
        f: impl FnMut(&mut ContextHandle<'_>, UtpSocket) + Send + 'static,
    ) -> Self {
        self.on_connect = Some(Box::new(f));
        self
    }

    /// `on_error(sock, code)`: the connection failed; `UTP_STATE_DESTROYING` follows.
    #[must_use]
    pub fn on_error(
        mut self,
        f: impl FnMut(&mut ContextHandle<'_>, UtpSocket, UtpErrorCode) + Send + 'static,
    ) -> Self {
        self.on_error = Some(Box::new(f));
        self
    }

    /// `on_read(sock, data)`: data arrived, in order. Unset: the data is discarded.
    #[must_use]
    pub fn on_read(
        mut self,
        f: impl FnMut(&mut ContextHandle<'_>, UtpSocket, &[u8]) + Send + 'static,
    ) -> Self {
        self.on_read = Some(Box::new(f));
        self
    }

    /// `on_overhead_statistics(sock, send, length, type)`: protocol overhead was spent.
    #[must_use]
    pub fn on_overhead_statistics(
        mut self,
        f: impl FnMut(&mut ContextHandle<'_>, UtpSocket, bool, u32, OverheadType) + Send + 'static,
    ) -> Self {
        self.on_overhead_statistics = Some(Box::new(f));
        self
    }

    /// `on_state_change(sock, state)`: CONNECT (unless `on_connect` is set), WRITABLE, EOF,
    /// DESTROYING.
    ///
    /// DESTROYING after an orderly close comes `linger` later than the last byte: the
    /// connection keeps answering for [`ConnectionConfig::linger`](super::ConnectionConfig::linger)
    /// (2 s by default) once both FINs are acknowledged. Time a transfer to
    /// [`on_fin_acked`](Self::on_fin_acked) on the sender and to EOF on the receiver.
    #[must_use]
    pub fn on_state_change(
        mut self,
        f: impl FnMut(&mut ContextHandle<'_>, UtpSocket, UtpState) + Send + 'static,
    ) -> Self {
        self.on_state_change = Some(Box::new(f));
        self
    }

    /// `on_fin_acked(sock)` (hark's addition; libutp has none): the peer acknowledged the
    /// FIN that [`close`](super::ContextHandle::close) sent, and with it every byte written
    /// before: the sender's transfer is complete. DESTROYING follows after the linger.
    /// [`ContextHandle::info`](super::ContextHandle::info) answers the same question at any
    /// time (`unacknowledged_packets == 0`, `fin_acked`).
    #[must_use]
    pub fn on_fin_acked(
        mut self,
        f: impl FnMut(&mut ContextHandle<'_>, UtpSocket) + Send + 'static,
    ) -> Self {
        self.on_fin_acked = Some(Box::new(f));
        self
    }

    /// `get_read_buffer_size(sock)`: how many bytes already passed to `on_read` the
    /// application still holds unprocessed. They keep counting against the receive window
    /// (libutp's semantics) until a later answer is smaller; call
    /// [`ContextHandle::read_drained`] when the application has caught up. Unset: 0.
    #[must_use]
    pub fn get_read_buffer_size(
        mut self,
        f: impl FnMut(&mut ContextHandle<'_>, UtpSocket) -> usize + Send + 'static,
    ) -> Self {
        self.get_read_buffer_size = Some(Box::new(f));
        self
    }

    /// `on_delay_sample(sock, sample_ms)`: the congestion controller's delay estimate.
    #[must_use]
    pub fn on_delay_sample(
        mut self,
        f: impl FnMut(&mut ContextHandle<'_>, UtpSocket, u32) + Send + 'static,
    ) -> Self {
        self.on_delay_sample = Some(Box::new(f));
        self
    }

    /// `get_udp_mtu(sock, addr)`: the UDP payload MTU towards `addr`, asked once per new
    /// connection. Unset: 1402 for IPv4, 1382 for IPv6 (libutp's defaults). An answer
    /// above [`UtpContext::datagram_limit`](super::UtpContext::datagram_limit) (2048
    /// bytes unless the configuration allows more) is capped at it.
    #[must_use]
    pub fn get_udp_mtu(
        mut self,
        f: impl FnMut(UtpSocket, SocketAddr) -> u16 + Send + 'static,
    ) -> Self {
        self.get_udp_mtu = Some(Box::new(f));
        self
    }

    /// `get_udp_overhead(sock, addr)`: IP + UDP header bytes towards `addr`, used in the
    /// overhead statistics. Unset: 28 for IPv4, 48 for IPv6.
    #[must_use]
    pub fn get_udp_overhead(
        mut self,
        f: impl FnMut(UtpSocket, SocketAddr) -> u16 + Send + 'static,
    ) -> Self {
        self.get_udp_overhead = Some(Box::new(f));
        self
    }

    /// `get_milliseconds()`: the context's clock in milliseconds (used when
    /// `get_microseconds` is unset). Drives the core in mode (b); the reactor uses its own
    /// monotonic clock. Must not go backwards.
    #[must_use]
    pub fn get_milliseconds(mut self, f: impl FnMut() -> u64 + Send + 'static) -> Self {
        self.get_milliseconds = Some(Box::new(f));
        self
    }

    /// `get_microseconds()`: the context's clock in microseconds. Drives the core in mode
    /// (b); unset (with `get_milliseconds` unset too): a monotonic clock.
    #[must_use]
    pub fn get_microseconds(mut self, f: impl FnMut() -> u64 + Send + 'static) -> Self {
        self.get_microseconds = Some(Box::new(f));
        self
    }

    /// `get_random()`: the 32-bit random numbers for connection ids and sequence numbers.
    /// Unset: a PCG generator seeded by the operating system.
    #[must_use]
    pub fn get_random(mut self, f: impl FnMut() -> u32 + Send + 'static) -> Self {
        self.get_random = Some(Box::new(f));
        self
    }

    /// `log(sock, level, msg)`: a log line of an enabled level (see
    /// [`ContextOption::Log`](super::ContextOption::Log)).
    #[must_use]
    pub fn log(
        mut self,
        f: impl FnMut(Option<UtpSocket>, LogLevel, &str) + Send + 'static,
    ) -> Self {
        self.log = Some(Box::new(f));
        self
    }

    /// `sendto(socket, data, addr, flags)`: send one datagram. `socket` is the connection
    /// that sends it, `None` for a RESET answering a packet of no connection (libutp passes
    /// NULL there too). Required in mode (b), where the application owns the UDP socket; in
    /// mode (a) the reactor sends and this is unused.
    #[must_use]
    pub fn sendto(
        mut self,
        f: impl FnMut(Option<UtpSocket>, &[u8], SocketAddr, SendFlags) + Send + 'static,
    ) -> Self {
        self.sendto = Some(Box::new(f));
        self
    }
}
