//! [`UtpContext`]: libutp's `utp_context` over the sans-IO [`Endpoint`]. One core for
//! both ways to run: mode (b) here (the application owns the UDP socket) and mode (a) in
//! [`super::reactor`].

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use hark_proto::utp::{
    ConnectionConfig, ConnectionError, ConnectionHandle, ConnectionInfo, ConnectionStats,
    DatagramOutcome, Endpoint, EndpointConfig, EndpointStats, Event as CoreEvent, Incoming,
    Transmit, Unreachable,
};

use super::callbacks::Callbacks;
use super::constants::{
    ContextOption, LogLevel, LogLevels, OverheadType, SendFlags, SocketOption, UtpErrorCode,
    UtpState,
};
use super::error::{BuildError, OptionError, UtpError};
use super::handle::{Command, CommandQueue, ContextHandle};
use super::outbox::Gauge;
use super::overhead_tally::OverheadTally;
use super::packet_header::UtpPacketHeader;
use super::packet_log::PacketLog;
use super::rng::CallbackRng;
use super::socket::{Sockets, UtpSocket};
use crate::events::{
    Admission, Direction, EventHub, KindId, PeerDataIn, Protocol, UtpAccept, UtpClosed, UtpConnect,
    UtpDelaySample, UtpDestroying, UtpEof, UtpFailed, UtpFinAcked, UtpFirewall, UtpLog,
    UtpOverhead, UtpPackets, UtpWritable,
};
use crate::events::{ConnectionId, DisconnectReason};
use crate::listen::{ListenError, bind_udp};

/// The largest answer from `get_udp_mtu` taken as it is when the context's configuration
/// allows no larger datagram; a larger answer is capped at the configuration's
/// [`largest_datagram`](ConnectionConfig::largest_datagram) or at this, whichever is
/// larger (raise `udp_mtu_*` in the [`EndpointConfig`] to allow more). It keeps the
/// reactor's send slots, sized from the configuration, long enough for every packet.
pub const CALLBACK_MTU_LIMIT: u16 = 2048;

/// Builds a [`UtpContext`]: callbacks, event hub, core configuration and options.
#[derive(Debug, Default)]
#[must_use]
pub struct UtpContextBuilder {
    callbacks: Callbacks,
    hub: Option<EventHub>,
    config: EndpointConfig,
    log: LogLevels,
}

impl UtpContextBuilder {
    /// The callback table.
    pub fn callbacks(mut self, callbacks: Callbacks) -> Self {
        self.callbacks = callbacks;
        self
    }

    /// The event hub every callback also reports to (default: an empty hub). The context
    /// only dispatches to listeners, so it puts the hub in listeners-only mode: kinds that
    /// no listener watches cost nothing.
    pub fn hub(mut self, hub: EventHub) -> Self {
        self.hub = Some(hub);
        self
    }

    /// The core's configuration (timeouts, limits); the options below edit it.
    pub fn endpoint_config(mut self, config: EndpointConfig) -> Self {
        self.config = config;
        self
    }

    /// Applies a context option (libutp's `utp_context_set_option`).
    pub fn option(mut self, option: ContextOption) -> Self {
        let connection = &mut self.config.connection;
        match option {
            ContextOption::Log(level, on) => self.log = self.log.with(level, on),
            ContextOption::SendBuffer(bytes) => connection.send_buffer = bytes.max(1),
            ContextOption::ReceiveBuffer(bytes) => connection.recv_buffer = bytes,
            ContextOption::TargetDelay(delay) => connection.target_delay = delay,
        }
        self
    }

    /// Mode (b): a context the application drives with [`UtpContext::process_udp`],
    /// [`UtpContext::issue_deferred_acks`] and [`UtpContext::check_timeouts`]; datagrams
    /// leave through the `sendto` callback, which is therefore required.
    pub fn build(self) -> Result<UtpContext, BuildError> {
        if self.callbacks.sendto.is_none() {
            return Err(BuildError::NoSendTo);
        }
        Ok(self.build_unchecked())
    }

    /// A context whose datagrams are taken by a reactor (mode (a)).
    pub(crate) fn build_unchecked(mut self) -> UtpContext {
        let mut config = self.config;
        // libutp always reports delay samples and overhead; the facade does too.
        config.connection.report_delay_samples = true;
        config.connection.report_overhead = true;
        let start = Instant::now();
        let rng = CallbackRng::new(self.callbacks.get_random.take());
        let endpoint = Endpoint::new(config, start, Box::new(rng));
        UtpContext {
            endpoint,
            callbacks: self.callbacks,
            hub: {
                let mut hub = self.hub.unwrap_or_default();
                hub.set_listeners_only(true);
                hub
            },
            overhead_tally: OverheadTally::default(),
            packet_log: PacketLog::default(),
            sockets: Sockets::default(),
            commands: CommandQueue::default(),
            applying: Vec::new(),
            log: self.log,
            target_delay: None,
            clock: ClockBase {
                start,
                first: None,
                last: start,
            },
            buf: vec![0; 64 * 1024],
            gauge: None,
        }
    }
}

/// Maps the application's clock callbacks onto `Instant`s for the core.
#[derive(Debug)]
struct ClockBase {
    start: Instant,
    first: Option<u64>,
    last: Instant,
}

/// libutp's `utp_context`: every uTP connection on one UDP socket, its callbacks and its
/// event hub.
///
/// # Threads and re-entrancy
///
/// Callbacks run on the thread that drives the context: the application's thread in mode
/// (b) (inside `process_udp`, `issue_deferred_acks`, `check_timeouts`, `connect`,
/// `write`, `close`), the reactor thread in mode (a). They get a [`ContextHandle`], which
/// reads state and queues write/close/read_drained/option commands that run right after
/// the callback returns; they never get the context itself, so they cannot re-enter it.
/// Hub listeners run on the same thread, as each event is emitted (the context puts its hub
/// in listeners-only mode).
pub struct UtpContext {
    endpoint: Endpoint,
    callbacks: Callbacks,
    hub: EventHub,
    overhead_tally: OverheadTally,
    packet_log: PacketLog,
    sockets: Sockets,
    commands: CommandQueue,
    /// The batch of commands being applied; kept to reuse its allocation.
    applying: Vec<Command>,
    log: LogLevels,
    target_delay: Option<Duration>,
    clock: ClockBase,
    buf: Vec<u8>,
    pub(crate) gauge: Option<std::sync::Arc<Gauge>>,
}

impl std::fmt::Debug for UtpContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UtpContext")
            .field("endpoint", &self.endpoint)
            .field("callbacks", &self.callbacks)
            .field("sockets", &self.sockets.len())
            .finish_non_exhaustive()
    }
}

/// Rejects options that cannot change once the context is built.
pub(crate) fn check_runtime_option(option: ContextOption) -> Result<(), OptionError> {
    match option {
        ContextOption::SendBuffer(_) | ContextOption::ReceiveBuffer(_) => {
            Err(OptionError::FixedAfterBuild)
        }
        ContextOption::Log(..) | ContextOption::TargetDelay(_) => Ok(()),
    }
}

/// A [`ContextHandle`] over the context's fields, for calling a callback.
macro_rules! handle {
    ($self:ident) => {
        ContextHandle {
            endpoint: &$self.endpoint,
            sockets: &$self.sockets,
            commands: &mut $self.commands,
        }
    };
}

impl UtpContext {
    /// A builder.
    pub fn builder() -> UtpContextBuilder {
        UtpContextBuilder::default()
    }

    // ----- mode (b): the application owns the socket -----

    /// Hands a received datagram to the context (libutp's `utp_process_udp`); returns
    /// whether it was uTP. Callbacks run inside, and replies leave through `sendto`.
    pub fn process_udp(&mut self, data: &[u8], from: SocketAddr) -> bool {
        let now = self.now();
        let is_utp = self.handle_datagram(now, from, data);
        self.drain(now);
        self.send_all(now);
        is_utp
    }

    /// Sends the acknowledgements deferred over a batch of `process_udp` calls (libutp's
    /// `utp_issue_deferred_acks`). Call it when the socket has no more datagrams for now.
    pub fn issue_deferred_acks(&mut self) {
        let now = self.now();
        self.flush_batch(now);
        self.send_all(now);
    }

    /// Runs due timers: retransmissions, keepalives, timeouts (libutp's
    /// `utp_check_timeouts`). Call it every few hundred milliseconds, or at
    /// [`next_timeout`](Self::next_timeout).
    pub fn check_timeouts(&mut self) {
        let now = self.now();
        self.run_timers(now);
        self.send_all(now);
    }

    /// How long until `check_timeouts` has work, by the context's clock.
    #[must_use]
    pub fn next_timeout(&self) -> Option<Duration> {
        self.endpoint
            .poll_timeout()
            .map(|at| at.saturating_duration_since(self.clock.last))
    }

    /// Binds a UDP socket on `ip` at the first free port of `ports` for the application
    /// to drive, reporting `listen_success`/`listen_failure` to the hub. ICMP errors are
    /// switched on ([`enable_icmp_errors`](super::enable_icmp_errors)): feed them to
    /// [`process_icmp_errors`](Self::process_icmp_errors).
    pub fn bind_udp(
        &mut self,
        ip: IpAddr,
        ports: impl IntoIterator<Item = u16>,
    ) -> Result<UdpSocket, ListenError> {
        let socket = bind_udp(&mut self.hub, ip, ports)?;
        // Best effort: without it a closed port shows as a connect timeout.
        let _ = hark_reactor::udp::enable_icmp_errors(&socket);
        Ok(socket)
    }

    /// An ICMP destination-unreachable report about a datagram sent to `to`, whose first
    /// bytes are `data` (libutp's `utp_process_icmp_error`); returns whether it ended a uTP
    /// connection. As in libutp the report is taken as the peer's port being closed
    /// ([`Unreachable::Port`](super::Unreachable::Port)): a connection attempt fails with
    /// `UTP_ECONNREFUSED` at once, instead of `UTP_ETIMEDOUT` after the SYN retries.
    pub fn process_icmp_error(&mut self, data: &[u8], to: SocketAddr) -> bool {
        let now = self.now();
        let ended = self.icmp_error(now, to, Unreachable::Port, data);
        self.drain(now);
        self.send_all(now);
        ended
    }

    /// Reads every ICMP report queued on the application's `socket` (bound with
    /// [`bind_udp`](Self::bind_udp), or set up with
    /// [`enable_icmp_errors`](super::enable_icmp_errors)) and hands each to the core with its
    /// kind; returns how many ended a connection. Call it when the socket signals an error:
    /// a receive or send failing with `ConnectionRefused` (or host/network unreachable),
    /// or `POLLERR`.
    pub fn process_icmp_errors(&mut self, socket: &UdpSocket) -> std::io::Result<usize> {
        let now = self.now();
        let mut buf = [0u8; 256];
        let mut ended = 0;
        hark_reactor::udp::drain_icmp_errors(socket, &mut buf, |report| {
            ended +=
                usize::from(self.icmp_error(now, report.destination, report.kind, report.quoted));
        })?;
        self.drain(now);
        self.send_all(now);
        Ok(ended)
    }

    /// Opens a connection to `remote` (libutp's `utp_create_socket` + `utp_connect`).
    /// Its `on_connect` or `on_error` follows.
    ///
    /// Connect timeout: the SYN is resent after `initial_rto` (1 s), doubling, `syn_retries`
    /// (3) times, so a silent peer gives `UTP_ETIMEDOUT` after 15 s by default
    /// ([`ConnectionConfig`], through [`UtpContextBuilder::endpoint_config`]). A peer that
    /// refuses answers with a RESET (`UTP_ECONNREFUSED` at once); a closed port gives the
    /// same at once when ICMP errors reach [`process_icmp_errors`](Self::process_icmp_errors)
    /// (in mode (a) the reactor does this itself).
    pub fn connect(&mut self, remote: SocketAddr) -> Result<UtpSocket, UtpError> {
        let now = self.now();
        let socket = self.open(now, remote)?;
        self.drain(now);
        self.send_all(now);
        Ok(socket)
    }

    /// Writes on `socket`; returns how much the send buffer accepted (libutp's
    /// `utp_write`). Wait for `UTP_STATE_WRITABLE` to write the rest.
    pub fn write(&mut self, socket: UtpSocket, data: &[u8]) -> Result<usize, UtpError> {
        let now = self.now();
        let handle = self.sockets.handle(socket).ok_or(UtpError::UnknownSocket)?;
        let n = self.endpoint.write(handle, data)?;
        if let Some(entry) = self.sockets.by_handle_mut(handle) {
            entry.bytes_written += n as u64;
        }
        self.drain(now);
        self.send_all(now);
        Ok(n)
    }

    /// Closes the sending direction of `socket` (libutp's `utp_close`). `on_fin_acked`
    /// reports when everything written has arrived; `UTP_STATE_DESTROYING` follows after
    /// the linger ([`ConnectionConfig::linger`], 2 s by default; see the
    /// [module docs](super#closing-and-the-linger-before-destroying)).
    pub fn close(&mut self, socket: UtpSocket) -> Result<(), UtpError> {
        let now = self.now();
        let handle = self.sockets.handle(socket).ok_or(UtpError::UnknownSocket)?;
        self.close_handle(handle);
        self.drain(now);
        self.send_all(now);
        Ok(())
    }

    /// The application processed held read bytes (libutp's `utp_read_drained`).
    pub fn read_drained(&mut self, socket: UtpSocket) -> Result<(), UtpError> {
        let now = self.now();
        let handle = self.sockets.handle(socket).ok_or(UtpError::UnknownSocket)?;
        self.deliver_reads(handle);
        self.drain(now);
        self.send_all(now);
        Ok(())
    }

    // ----- options and queries, both modes -----

    /// Changes a context option (libutp's `utp_context_set_option`).
    pub fn set_option(&mut self, option: ContextOption) -> Result<(), OptionError> {
        check_runtime_option(option)?;
        match option {
            ContextOption::Log(level, on) => self.log = self.log.with(level, on),
            ContextOption::TargetDelay(delay) => self.target_delay = Some(delay),
            ContextOption::SendBuffer(_) | ContextOption::ReceiveBuffer(_) => {}
        }
        Ok(())
    }

    /// Changes an option of `socket` (libutp's `utp_setsockopt`).
    pub fn set_socket_option(
        &mut self,
        socket: UtpSocket,
        option: SocketOption,
    ) -> Result<(), UtpError> {
        let handle = self.sockets.handle(socket).ok_or(UtpError::UnknownSocket)?;
        let SocketOption::TargetDelay(delay) = option;
        self.endpoint
            .set_target_delay(handle, delay)
            .map_err(|_| UtpError::UnknownSocket)
    }

    /// The enabled log levels.
    #[must_use]
    pub fn log_levels(&self) -> LogLevels {
        self.log
    }

    /// The core's defaults for new connections (buffer sizes, target delay).
    #[must_use]
    pub fn connection_config(&self) -> &ConnectionConfig {
        &self.endpoint.config().connection
    }

    /// The peer of `socket` (libutp's `utp_getpeername`).
    #[must_use]
    pub fn peer_addr(&self, socket: UtpSocket) -> Option<SocketAddr> {
        self.sockets.get(socket).map(|e| e.remote)
    }

    /// Counters of `socket` (libutp's `utp_get_stats`).
    #[must_use]
    pub fn stats(&self, socket: UtpSocket) -> Option<ConnectionStats> {
        self.endpoint.connection_stats(self.sockets.handle(socket)?)
    }

    /// Estimates of `socket`: delays, round-trip time, windows (libutp's
    /// `utp_get_delays`).
    #[must_use]
    pub fn info(&self, socket: UtpSocket) -> Option<ConnectionInfo> {
        self.endpoint.connection_info(self.sockets.handle(socket)?)
    }

    /// Counters of the context (libutp's `utp_get_context_stats`).
    #[must_use]
    pub fn context_stats(&self) -> EndpointStats {
        self.endpoint.stats()
    }

    /// Number of live sockets.
    #[must_use]
    pub fn socket_count(&self) -> usize {
        self.sockets.len()
    }

    /// The event hub.
    #[must_use]
    pub fn hub(&self) -> &EventHub {
        &self.hub
    }

    /// The event hub, to add listeners or pull events.
    pub fn hub_mut(&mut self) -> &mut EventHub {
        &mut self.hub
    }

    // ----- the shared core of both modes -----

    /// The context's clock: the application's callbacks if set, else monotonic time.
    pub(crate) fn now(&mut self) -> Instant {
        if self.gauge.is_some() {
            // Mode (a): the reactor's clock drives the timers, so it is the only clock.
            self.clock.last = self.clock.last.max(Instant::now());
            return self.clock.last;
        }
        let reading = if let Some(f) = self.callbacks.get_microseconds.as_mut() {
            Some(Duration::from_micros(f()))
        } else {
            self.callbacks
                .get_milliseconds
                .as_mut()
                .map(|f| Duration::from_millis(f()))
        };
        let now = match reading {
            Some(reading) => {
                let micros = reading.as_micros() as u64;
                let first = *self.clock.first.get_or_insert(micros);
                // A clock reading too far ahead for `Instant` keeps the last time.
                self.clock
                    .start
                    .checked_add(Duration::from_micros(micros.saturating_sub(first)))
                    .unwrap_or(self.clock.last)
            }
            None => Instant::now(),
        };
        self.clock.last = self.clock.last.max(now);
        self.clock.last
    }

    /// Records the reactor's clock reading (mode (a)).
    pub(crate) fn observe(&mut self, now: Instant) {
        self.clock.last = self.clock.last.max(now);
    }

    /// Hands an ICMP report to the core; true if it ended a connection.
    pub(crate) fn icmp_error(
        &mut self,
        now: Instant,
        destination: SocketAddr,
        kind: Unreachable,
        quoted: &[u8],
    ) -> bool {
        let ended = self
            .endpoint
            .handle_icmp_error(now, destination, kind, quoted);
        if ended {
            self.log_line(
                None,
                LogLevel::Normal,
                format_args!("ICMP: {destination} is unreachable ({kind})"),
            );
        }
        ended
    }

    /// Why `socket` failed, in the core's terms (see [`ContextHandle::connection_error`]).
    #[must_use]
    pub fn connection_error(&self, socket: UtpSocket) -> Option<ConnectionError> {
        self.endpoint.connection_error(self.sockets.handle(socket)?)
    }

    /// Feeds one datagram to the core and answers a SYN; true if it was uTP.
    pub(crate) fn handle_datagram(&mut self, now: Instant, from: SocketAddr, data: &[u8]) -> bool {
        let outcome = self.endpoint.handle_datagram(now, from, data);
        let is_utp = outcome.is_utp();
        if is_utp && self.hub.wants(KindId::UtpPackets) {
            if let Some(header) = UtpPacketHeader::parse(data) {
                self.log_packet(from, false, header);
            }
        }
        match outcome {
            DatagramOutcome::Incoming(incoming) => self.on_incoming(now, incoming),
            DatagramOutcome::Malformed(_) => {
                self.log_line(
                    None,
                    LogLevel::Debug,
                    format_args!(
                        "ignored a {}-byte datagram from {from}: not uTP",
                        data.len()
                    ),
                );
            }
            _ => {}
        }
        is_utp
    }

    /// After a batch of datagrams: deferred ACKs, reads held back, events.
    pub(crate) fn flush_batch(&mut self, now: Instant) {
        self.endpoint.issue_deferred_acks(now);
        for handle in self.sockets.holding() {
            self.deliver_reads(handle);
        }
        self.drain(now);
    }

    /// Runs due timers and their events.
    pub(crate) fn run_timers(&mut self, now: Instant) {
        if self.endpoint.poll_timeout().is_some_and(|at| at <= now) {
            self.endpoint.handle_timeout(now);
        }
        self.drain(now);
    }

    /// The next datagram from the core, for the reactor.
    pub(crate) fn next_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        let transmit = self.endpoint.poll_transmit(now, buf)?;
        if self.hub.wants(KindId::UtpPackets) {
            if let Some(header) =
                UtpPacketHeader::parse(buf.get(..transmit.len).unwrap_or_default())
            {
                self.log_packet(transmit.destination, true, header);
            }
        }
        Some(transmit)
    }

    /// The core's next timer.
    pub(crate) fn core_timeout(&self) -> Option<Instant> {
        self.endpoint.poll_timeout()
    }

    /// Sends everything the core has through `sendto` (mode (b)).
    fn send_all(&mut self, now: Instant) {
        if self.gauge.is_some() {
            // Mode (a): the reactor takes the datagrams after this command.
            self.drain(now);
            return;
        }
        loop {
            let mut buf = std::mem::take(&mut self.buf);
            while let Some(transmit) = self.next_transmit(now, &mut buf) {
                let flags = SendFlags {
                    dont_frag: transmit.dont_fragment,
                };
                let socket = transmit
                    .connection
                    .and_then(|handle| self.sockets.by_handle(handle))
                    .map(|entry| entry.socket);
                if let (Some(sendto), Some(data)) =
                    (self.callbacks.sendto.as_mut(), buf.get(..transmit.len))
                {
                    sendto(socket, data, transmit.destination, flags);
                }
            }
            self.buf = buf;
            // Sending may raise events (overhead statistics); their callbacks may write.
            if !self.drain(now) {
                break;
            }
        }
        self.dispatch_events();
    }

    /// Opens an outgoing connection after the IP filter agrees.
    pub(crate) fn open(&mut self, now: Instant, remote: SocketAddr) -> Result<UtpSocket, UtpError> {
        if self.hub.admit(
            remote,
            Protocol::udp_for(&remote),
            Direction::Outgoing,
            None,
        ) == Admission::Deny
        {
            return Err(UtpError::Blocked);
        }
        let handle = self.endpoint.connect(now, remote)?;
        let socket = self.sockets.insert(handle, remote, false);
        self.configure(handle, socket, remote);
        self.log_line(
            Some(socket),
            LogLevel::Normal,
            format_args!("connecting to {remote}"),
        );
        Ok(socket)
    }

    /// Firewall, IP filter and acceptor decide about a SYN.
    fn on_incoming(&mut self, now: Instant, incoming: Incoming) {
        let remote = incoming.remote();
        let blocked = match self.callbacks.on_firewall.as_mut() {
            Some(f) => f(&mut handle!(self), remote),
            None => false,
        };
        self.apply_commands();
        if blocked {
            self.emit(UtpFirewall { peer: remote }, None);
            self.log_line(
                None,
                LogLevel::Normal,
                format_args!("firewall blocked {remote}"),
            );
            return; // Dropped, as libutp does: the SYN is ignored.
        }
        let admission = self.hub.admit(
            remote,
            Protocol::udp_for(&remote),
            Direction::Incoming,
            None,
        );
        if admission == Admission::Deny || self.callbacks.on_accept.is_none() {
            self.log_line(
                None,
                LogLevel::Normal,
                format_args!("refused a connection from {remote}"),
            );
            self.endpoint.refuse(incoming);
            return;
        }
        let handle = match self.endpoint.accept(now, incoming) {
            Ok(handle) => handle,
            Err(error) => {
                self.log_line(
                    None,
                    LogLevel::Normal,
                    format_args!("could not accept {remote}: {error}"),
                );
                return;
            }
        };
        let socket = self.sockets.insert(handle, remote, true);
        self.configure(handle, socket, remote);
        let _ = self
            .hub
            .emit(UtpAccept { peer: remote }, Some(socket.connection_id()));
        self.log_line(
            Some(socket),
            LogLevel::Normal,
            format_args!("accepted {remote}"),
        );
        if let Some(f) = self.callbacks.on_accept.as_mut() {
            f(&mut handle!(self), socket, remote);
        }
        self.apply_commands();
    }

    /// The longest datagram this context writes: its configuration's largest datagram
    /// (see [`ConnectionConfig::largest_datagram`]), and at least
    /// [`CALLBACK_MTU_LIMIT`] for get_udp_mtu answers, which are capped at this. Drivers
    /// size their send buffers by it.
    pub fn datagram_limit(&self) -> u16 {
        self.endpoint
            .config()
            .connection
            .largest_datagram()
            .max(CALLBACK_MTU_LIMIT)
    }

    /// Asks get_udp_mtu/get_udp_overhead about a new connection and applies options.
    fn configure(&mut self, handle: ConnectionHandle, socket: UtpSocket, remote: SocketAddr) {
        if let Some(delay) = self.target_delay {
            let _ = self.endpoint.set_target_delay(handle, delay);
        }
        let mtu = self
            .callbacks
            .get_udp_mtu
            .as_mut()
            .map(|f| f(socket, remote));
        let limit = self.datagram_limit();
        let mtu = mtu.map(|mtu| mtu.min(limit));
        if let Some(mtu) = mtu {
            let _ = self.endpoint.set_mtu(handle, mtu);
        }
        let default_overhead = ConnectionConfig::udp_overhead(remote);
        let overhead = self
            .callbacks
            .get_udp_overhead
            .as_mut()
            .map_or(default_overhead, |f| f(socket, remote));
        if let Some(entry) = self.sockets.by_handle_mut(handle) {
            entry.overhead_delta = i64::from(overhead) - i64::from(default_overhead);
        }
        let mtu = mtu.unwrap_or_else(|| self.endpoint.config().connection.udp_mtu(remote));
        self.log_line(
            Some(socket),
            LogLevel::Mtu,
            format_args!("udp mtu {mtu}, udp overhead {overhead} towards {remote}"),
        );
    }

    /// Drains the core's events into callbacks and the hub; true if there were any.
    pub(crate) fn drain(&mut self, now: Instant) -> bool {
        let _ = now;
        let mut any = false;
        for handle in self.sockets.with_outbox() {
            self.flush_outbox(handle);
        }
        while let Some((handle, event)) = self.endpoint.poll_event() {
            any = true;
            self.on_core_event(handle, event);
            self.apply_commands();
        }
        self.dispatch_events();
        any
    }

    /// One core event: its callback and its hub event.
    fn on_core_event(&mut self, handle: ConnectionHandle, event: CoreEvent) {
        let Some(entry) = self.sockets.by_handle(handle) else {
            return;
        };
        let (socket, peer, accepted) = (entry.socket, entry.remote, entry.accepted);
        let id = Some(socket.connection_id());
        match event {
            CoreEvent::Connected if accepted => {
                self.log_line(
                    Some(socket),
                    LogLevel::Debug,
                    format_args!("accepted connection established"),
                );
            }
            CoreEvent::Connected => {
                self.emit(UtpConnect { peer }, id);
                self.log_line(
                    Some(socket),
                    LogLevel::Normal,
                    format_args!("connected to {peer}"),
                );
                self.flush_outbox(handle);
                if let Some(f) = self.callbacks.on_connect.as_mut() {
                    f(&mut handle!(self), socket);
                } else {
                    self.state_change(socket, UtpState::Connect);
                }
            }
            CoreEvent::Writable => {
                self.flush_outbox(handle);
                self.emit(UtpWritable { peer }, id);
                self.state_change(socket, UtpState::Writable);
            }
            CoreEvent::Readable => self.deliver_reads(handle),
            CoreEvent::Eof => {
                self.note_end(handle, DisconnectReason::ClosedByPeer);
                self.deliver_reads(handle);
                self.emit(UtpEof { peer }, id);
                self.state_change(socket, UtpState::Eof);
            }
            CoreEvent::Error(error) => {
                if let Some(entry) = self.sockets.by_handle_mut(handle) {
                    entry.end = Some(disconnect_reason(error));
                }
                let code = UtpErrorCode::from_core(error);
                self.emit(
                    UtpFailed {
                        peer,
                        code: code.libutp_name(),
                    },
                    id,
                );
                self.log_line(
                    Some(socket),
                    LogLevel::Normal,
                    format_args!("{peer}: {error} ({code})"),
                );
                if let Some(f) = self.callbacks.on_error.as_mut() {
                    f(&mut handle!(self), socket, code);
                }
            }
            CoreEvent::StateChanged(state) => {
                self.log_line(
                    Some(socket),
                    LogLevel::Debug,
                    format_args!("state {state:?}"),
                );
            }
            CoreEvent::DelaySample(delay_ms) => {
                if self.hub.wants(KindId::UtpDelaySample) {
                    self.emit(UtpDelaySample { peer, delay_ms }, id);
                }
                if let Some(f) = self.callbacks.on_delay_sample.as_mut() {
                    f(&mut handle!(self), socket, delay_ms);
                }
            }
            CoreEvent::Overhead { sent, bytes, kind } => {
                let delta = self
                    .sockets
                    .by_handle(handle)
                    .map_or(0, |e| e.overhead_delta);
                let length = u32::try_from((i64::from(bytes) + delta).max(0)).unwrap_or(u32::MAX);
                let kind = OverheadType::from_core(kind);
                if self.hub.wants(KindId::UtpOverhead) {
                    self.overhead_tally
                        .add(socket.connection_id(), peer, sent, kind, length);
                }
                if let Some(f) = self.callbacks.on_overhead_statistics.as_mut() {
                    f(&mut handle!(self), socket, sent, length, kind);
                }
            }
            CoreEvent::FinAcked => {
                let bytes_sent = self
                    .sockets
                    .by_handle(handle)
                    .map_or(0, |e| e.bytes_written);
                if self.hub.wants(KindId::UtpFinAcked) {
                    self.emit(UtpFinAcked { peer, bytes_sent }, id);
                }
                if let Some(f) = self.callbacks.on_fin_acked.as_mut() {
                    f(&mut handle!(self), socket);
                }
            }
            CoreEvent::Destroying => {
                let (bytes_sent, bytes_received, end) = self
                    .sockets
                    .by_handle(handle)
                    .map_or((0, 0, None), |e| (e.bytes_written, e.bytes_read, e.end));
                let event = UtpDestroying {
                    peer,
                    bytes_sent,
                    bytes_received,
                };
                self.emit(event, id);
                let closed = UtpClosed {
                    peer,
                    reason: end.unwrap_or(DisconnectReason::ClosedLocally),
                    bytes_sent,
                    bytes_received,
                };
                self.emit(closed, id);
                self.log_line(
                    Some(socket),
                    LogLevel::Normal,
                    format_args!("destroying connection with {peer}"),
                );
                // The socket still names its peer during the callback; it is forgotten
                // right after, so commands queued for it do nothing.
                self.state_change(socket, UtpState::Destroying);
                if let Some(entry) = self.sockets.remove(handle) {
                    if let Some(gauge) = &self.gauge {
                        gauge.release(entry.outbox.len());
                    }
                }
            }
            _ => {}
        }
    }

    fn state_change(&mut self, socket: UtpSocket, state: UtpState) {
        if let Some(f) = self.callbacks.on_state_change.as_mut() {
            f(&mut handle!(self), socket, state);
        }
    }

    /// Hands new received bytes to on_read, then keeps in the core what the application
    /// says it still holds (get_read_buffer_size).
    fn deliver_reads(&mut self, handle: ConnectionHandle) {
        let Some(entry) = self.sockets.by_handle(handle) else {
            return;
        };
        let (socket, peer, held) = (entry.socket, entry.remote, entry.held);
        let Ok((first, second)) = self.endpoint.readable_slices(handle) else {
            return;
        };
        let total = first.len() + second.len();
        let fresh = total.saturating_sub(held);
        if fresh > 0 {
            let skip_first = held.min(first.len());
            let skip_second = held - skip_first;
            let new_first = first.get(skip_first..).unwrap_or_default();
            let new_second = second.get(skip_second..).unwrap_or_default();
            if let Some(f) = self.callbacks.on_read.as_mut() {
                let mut cx = ContextHandle {
                    endpoint: &self.endpoint,
                    sockets: &self.sockets,
                    commands: &mut self.commands,
                };
                for part in [new_first, new_second] {
                    if !part.is_empty() {
                        f(&mut cx, socket, part);
                    }
                }
            }
            if self.hub.wants(KindId::PeerDataIn) {
                self.emit(
                    PeerDataIn {
                        peer,
                        length: fresh,
                    },
                    Some(socket.connection_id()),
                );
            }
        }
        let still_held = match self.callbacks.get_read_buffer_size.as_mut() {
            Some(f) => f(&mut handle!(self), socket).min(total),
            None => 0,
        };
        let _ = self.endpoint.consume(handle, total - still_held);
        if let Some(entry) = self.sockets.by_handle_mut(handle) {
            entry.held = still_held;
            entry.bytes_read += fresh as u64;
        }
    }

    /// The core handle of a live socket.
    pub(crate) fn socket_handle(&self, socket: UtpSocket) -> Option<ConnectionHandle> {
        self.sockets.handle(socket)
    }

    /// Delivers reads the application no longer holds, without draining.
    pub(crate) fn read_drained_queued(&mut self, socket: UtpSocket) -> Result<(), UtpError> {
        let handle = self.sockets.handle(socket).ok_or(UtpError::UnknownSocket)?;
        self.deliver_reads(handle);
        Ok(())
    }

    /// Closes `socket` once its outbox is empty, without draining.
    pub(crate) fn close_queued(&mut self, socket: UtpSocket) -> Result<(), UtpError> {
        let handle = self.sockets.handle(socket).ok_or(UtpError::UnknownSocket)?;
        self.close_handle(handle);
        Ok(())
    }

    /// Records who ended the connection first, for `utp_closed`.
    fn note_end(&mut self, handle: ConnectionHandle, reason: DisconnectReason) {
        if let Some(entry) = self.sockets.by_handle_mut(handle) {
            entry.end.get_or_insert(reason);
        }
    }

    fn close_handle(&mut self, handle: ConnectionHandle) {
        self.note_end(handle, DisconnectReason::ClosedLocally);
        let Some(entry) = self.sockets.by_handle_mut(handle) else {
            return;
        };
        if entry.outbox.is_empty() {
            entry.close_pending = false;
            let _ = self.endpoint.close(handle);
        } else {
            entry.close_pending = true;
        }
    }

    /// Runs the commands callbacks queued.
    fn apply_commands(&mut self) {
        if self.commands.is_empty() {
            return;
        }
        let mut batch = std::mem::take(&mut self.applying);
        self.commands.take_into(&mut batch);
        for command in batch.drain(..) {
            match command {
                Command::Write(socket, data, refused_more) => {
                    if let Some(handle) = self.sockets.handle(socket) {
                        self.write_or_queue(handle, data.as_slice());
                        if refused_more {
                            self.register_refusal(handle);
                        }
                    }
                    self.commands.recycle(data);
                }
                Command::Close(socket) => {
                    if let Some(handle) = self.sockets.handle(socket) {
                        self.close_handle(handle);
                    }
                }
                Command::ReadDrained(socket) => {
                    if let Some(handle) = self.sockets.handle(socket) {
                        self.deliver_reads(handle);
                    }
                }
                Command::SocketOption(socket, option) => {
                    let _ = self.set_socket_option(socket, option);
                }
                Command::ContextOption(option) => {
                    let _ = self.set_option(option);
                }
            }
        }
        self.applying = batch;
    }

    /// Writes what the core takes; keeps the rest in the socket's outbox.
    pub(crate) fn write_or_queue(&mut self, handle: ConnectionHandle, data: &[u8]) {
        let Some(entry) = self.sockets.by_handle_mut(handle) else {
            if let Some(gauge) = &self.gauge {
                gauge.release(data.len());
            }
            return;
        };
        if entry.outbox.is_empty() {
            if let Ok(n) = self.endpoint.write(handle, data) {
                entry.bytes_written += n as u64;
                if let Some(gauge) = &self.gauge {
                    gauge.release(n);
                }
                entry.outbox.extend(data.get(n..).unwrap_or_default());
                return;
            }
        }
        entry.outbox.extend(data);
        self.flush_outbox(handle);
    }

    /// A callback was told the send buffer is full: let the core see a refused write, so
    /// that it reports WRITABLE once there is room (as libutp does after a short write).
    fn register_refusal(&mut self, handle: ConnectionHandle) {
        let full = self
            .endpoint
            .connection_info(handle)
            .is_some_and(|info| info.writable == 0);
        if full {
            // Accepts nothing (the buffer is full) and marks the connection write-blocked.
            let _ = self.endpoint.write(handle, &[0]);
        }
    }

    /// Moves outbox bytes into the core's send buffer, then a pending close.
    fn flush_outbox(&mut self, handle: ConnectionHandle) {
        let Some(entry) = self.sockets.by_handle_mut(handle) else {
            return;
        };
        while !entry.outbox.is_empty() {
            let (front, _) = entry.outbox.as_slices();
            match self.endpoint.write(handle, front) {
                Ok(0) => break,
                Ok(n) => {
                    entry.outbox.drain(..n);
                    entry.bytes_written += n as u64;
                    if let Some(gauge) = &self.gauge {
                        gauge.release(n);
                    }
                }
                Err(_) => {
                    // The connection is closed or failed: on_error reports it; the data
                    // can no longer be sent.
                    if let Some(gauge) = &self.gauge {
                        gauge.release(entry.outbox.len());
                    }
                    entry.outbox.clear();
                }
            }
        }
        if entry.outbox.is_empty() && entry.close_pending {
            entry.close_pending = false;
            let _ = self.endpoint.close(handle);
        }
    }

    /// Emits a hub event, after the packet headers and overhead sums counted before it, so
    /// that each connection's events keep their order.
    fn emit(
        &mut self,
        kind: impl Into<crate::events::EventKind>,
        connection: Option<ConnectionId>,
    ) {
        self.flush_packet_log();
        self.flush_overhead();
        let _ = self.hub.emit(kind, connection);
    }

    /// Records a datagram's header for the next `utp_packets` event.
    fn log_packet(&mut self, peer: SocketAddr, sent: bool, header: UtpPacketHeader) {
        if self.packet_log.add(peer, sent, header) {
            self.flush_packet_log();
        }
    }

    /// Emits one `utp_packets` event per peer and direction logged since the last flush.
    fn flush_packet_log(&mut self) {
        if self.packet_log.is_empty() {
            return;
        }
        for batch in self.packet_log.drain() {
            let event = UtpPackets {
                peer: batch.peer,
                sent: batch.sent,
                headers: batch.headers,
            };
            let _ = self.hub.emit(event, None);
        }
    }

    /// Emits one `utp_overhead` event per sum counted since the last flush.
    fn flush_overhead(&mut self) {
        if self.overhead_tally.is_empty() {
            return;
        }
        for sum in self.overhead_tally.drain() {
            let event = UtpOverhead {
                peer: sum.peer,
                sent: sum.sent,
                length: sum.bytes,
                packets: sum.packets,
                overhead: sum.overhead.libutp_name(),
            };
            let _ = self.hub.emit(event, Some(sum.connection));
        }
    }

    /// Delivers the queued hub events to the listeners.
    fn dispatch_events(&mut self) {
        self.flush_packet_log();
        self.flush_overhead();
        self.hub.dispatch();
    }

    /// Reports a log line of `level` if it is enabled.
    fn log_line(
        &mut self,
        socket: Option<UtpSocket>,
        level: LogLevel,
        text: std::fmt::Arguments<'_>,
    ) {
        if !self.log.contains(level)
            || (self.callbacks.log.is_none() && !self.hub.wants(KindId::UtpLog))
        {
            return;
        }
        let text = text.to_string();
        if let Some(f) = self.callbacks.log.as_mut() {
            f(socket, level, &text);
        }
        if self.hub.wants(KindId::UtpLog) {
            let event = UtpLog {
                level: level.libutp_name(),
                text,
            };
            self.emit(event, socket.map(UtpSocket::connection_id));
        }
    }
}

/// How a failure reads as the reason a connection ended.
fn disconnect_reason(error: ConnectionError) -> DisconnectReason {
    match error {
        ConnectionError::TimedOut => DisconnectReason::TimedOut,
        ConnectionError::Protocol
        | ConnectionError::IntegrityRequired
        | ConnectionError::CorruptHandshake => DisconnectReason::ProtocolError,
        _ => DisconnectReason::Reset,
    }
}
