//! Endpoint and connection options.

use std::net::SocketAddr;
use std::time::Duration;

use super::ledbat::{LedbatConfig, LedbatVariant};

/// UDP MTU libutp assumes for IPv4 (Ethernet minus IP, UDP and tunnel headroom).
pub const DEFAULT_UDP_MTU_V4: u16 = 1402;
/// UDP MTU libutp assumes for IPv6.
pub const DEFAULT_UDP_MTU_V6: u16 = 1382;
/// IP plus UDP header bytes over IPv4.
pub const UDP_OVERHEAD_V4: u16 = 28;
/// IP plus UDP header bytes over IPv6.
pub const UDP_OVERHEAD_V6: u16 = 48;

/// The smallest receive buffer a connection uses, whatever
/// [`ConnectionConfig::recv_buffer`] says. A peer cuts its packets before it sends them
/// and never splits one to fit a window, so a buffer that cannot hold its longest packet
/// (up to 65,507 bytes of UDP payload) would never take it, and the connection would
/// stall.
pub const MIN_RECV_BUFFER: usize = 64 << 10;

/// Options of one connection; the endpoint's copy is the default for new connections.
#[derive(Debug, Clone)]
pub struct ConnectionConfig {
    /// Bytes the application may queue for sending (bounds `write`).
    pub send_buffer: usize,
    /// Receive buffer, bytes: the advertised window is this minus what is held unread.
    /// At least [`MIN_RECV_BUFFER`] is used.
    pub recv_buffer: usize,
    /// LEDBAT target queuing delay (100 ms by default, RFC 6817's upper bound): the target,
    /// or with `ledbat_rtt_target_floor` the most the path-following target may be.
    pub target_delay: Duration,
    /// Largest congestion window, bytes.
    pub max_window: usize,
    /// Initial congestion window, packets.
    pub initial_window_packets: usize,
    /// Largest window growth per round trip once out of slow start, bytes (LEDBAT++: the
    /// growth below the target, unless `ledbat_draft_gain` is set).
    pub max_window_increase_per_rtt: usize,
    /// LEDBAT rule set: LEDBAT++ by default (flows converge to fair shares and re-measure
    /// the base delay in periodic slowdowns); [`LedbatVariant::Rfc6817`] is libutp's.
    pub ledbat_variant: LedbatVariant,
    /// LEDBAT++ only: grow by one packet per `min(16, ceil(2 * target / base RTT))` round
    /// trips as draft-irtf-iccrg-ledbat-plus-plus specifies, instead of
    /// `max_window_increase_per_rtt`. Off by default: that growth is too slow to undo a
    /// latecomer's head start within minutes.
    pub ledbat_draft_gain: bool,
    /// LEDBAT++ only: after a slowdown finds another flow's standing queue (one that does
    /// not drain when this flow's window is held at two packets, such as BBR's), aim at a
    /// quarter of the target until a slowdown finds the queue empty
    /// ([`Ledbat::competing`](super::ledbat::Ledbat::competing)). Off by default: it yields
    /// to BBR (`cargo xtask ledbat-bed`: about a quarter of the link instead of a third or
    /// more) but two LEDBAT flows need not agree on it, which costs their fairness.
    pub ledbat_yield_to_standing_queues: bool,
    /// Correct the LEDBAT base delay for a peer clock that runs faster than ours, with the
    /// reverse direction's delays (on by default; see
    /// [`Ledbat::on_reverse_delay_sample`](super::ledbat::Ledbat::on_reverse_delay_sample)).
    /// Without it, 100 ppm of drift reads as 6 ms more queuing delay per minute until the
    /// ten-minute base history forgets the old minimum.
    pub ledbat_correct_clock_drift: bool,
    /// LEDBAT++ only: after a slowdown, slow-start back to the window held before it
    /// whatever the queuing delay (a loss still ends the ramp), instead of leaving slow
    /// start at 3/4 of the target, where the flow whose hold ended first refills the queue
    /// and the others lose their share at each slowdown. On by default, with
    /// `ledbat_join_slowdowns` and `ledbat_hold_until_drained` (`cargo xtask ledbat-bed`,
    /// `cargo xtask lab`: see the README).
    pub ledbat_ramp_to_previous_window: bool,
    /// LEDBAT++ only: begin the next slowdown at once when the queuing delay falls by a
    /// quarter within a round trip from at least half the target (another flow's
    /// slowdown), so that flows slow down together and all see the queue empty
    /// ([`Ledbat::joined_slowdowns`](super::ledbat::Ledbat::joined_slowdowns)). On by
    /// default.
    pub ledbat_join_slowdowns: bool,
    /// LEDBAT++ only: hold a slowdown past one smoothed plus one minimum round trip while
    /// the queuing delay is above an eighth of the target, up to two smoothed plus one
    /// minimum, so that flows whose slowdowns began a little apart all see the queue empty.
    /// On by default.
    pub ledbat_hold_until_drained: bool,
    /// With `Some(floor)`, LEDBAT's target follows the path: three minimum round trips, at
    /// least `floor` and at most `target_delay`
    /// ([`Ledbat::base_target`](super::ledbat::Ledbat::base_target) explains why: a
    /// delay-limited competitor such as BBR keeps about one round trip of queue, so a
    /// target of a hundred round trips is never reached and never yielded at). `Some(15 ms)` by default;
    /// `None` keeps `target_delay` on every path.
    pub ledbat_rtt_target_floor: Option<Duration>,
    /// UDP payload MTU for IPv4 peers (libutp's get_udp_mtu). Any size up to 65,507 works
    /// where the path carries it (loopback, jumbo frames): hark's drivers size their send
    /// buffers by [`largest_datagram`](Self::largest_datagram).
    pub udp_mtu_v4: u16,
    /// UDP payload MTU for IPv6 peers.
    pub udp_mtu_v6: u16,
    /// Search for a larger path MTU than `udp_mtu_*` with don't-fragment probes, up to
    /// `probe_mtu_ceiling_*`. A lost probe is resent without don't-fragment (IP fragments
    /// it) and lowers the ceiling. Off by default: libutp sends fixed 1402-byte datagrams.
    pub mtu_probing: bool,
    /// Largest UDP payload probed for over IPv4 (Ethernet: 1500 - 28).
    pub probe_mtu_ceiling_v4: u16,
    /// Largest UDP payload probed for over IPv6 (Ethernet: 1500 - 48).
    pub probe_mtu_ceiling_v6: u16,
    /// Retransmission timeout before any RTT sample (also the SYN retry interval).
    pub initial_rto: Duration,
    /// Lower bound of the retransmission timeout (libutp uses 1 s).
    pub min_rto: Duration,
    /// Upper bound of the retransmission timeout.
    pub max_rto: Duration,
    /// SYN retransmissions before connecting fails with `TimedOut`: the attempt lasts
    /// `initial_rto * (2^(syn_retries + 1) - 1)`, 15 s with the defaults, unless a RESET or
    /// an ICMP report (`Endpoint::handle_icmp_error`) ends it sooner.
    pub syn_retries: u32,
    /// Consecutive retransmission timeouts before the connection fails with `TimedOut`.
    pub max_consecutive_timeouts: u32,
    /// Send a keepalive after this long without sending anything.
    pub keepalive_interval: Option<Duration>,
    /// Fail with `TimedOut` after this long without receiving anything.
    pub idle_timeout: Option<Duration>,
    /// Fallback delay of a deferred ACK the driver did not flush.
    pub delayed_ack_timeout: Duration,
    /// Acknowledge at once after this many unacknowledged data packets.
    pub ack_every_packets: u16,
    /// Interval of zero-window probes.
    pub zero_window_probe_interval: Duration,
    /// How long a closed connection keeps answering the peer before it is destroyed
    /// (2 s by default; at least the current RTO). It starts once both FINs are
    /// acknowledged, so `Destroying` (libutp's `UTP_STATE_DESTROYING`) comes this long
    /// after the last byte arrived: a transfer timed to `Destroying` looks slower by
    /// `linger`. The sender learns that all its bytes arrived from
    /// [`Event::FinAcked`](super::Event::FinAcked) or
    /// [`ConnectionInfo::unacknowledged_packets`](super::ConnectionInfo::unacknowledged_packets);
    /// the receiver from `Eof`. Shorten it where ports are not reused quickly; the linger
    /// lets the last ACK be repeated if the peer resends its FIN.
    pub linger: Duration,
    /// Longest selective ACK bitmask sent, bytes (a multiple of 4; libutp sends 4).
    pub max_sack_bytes: usize,
    /// Report every delay sample as an event.
    pub report_delay_samples: bool,
    /// Report overhead statistics as events (off by default: two events per packet).
    pub report_overhead: bool,
    /// Offer hark's integrity extension: the SYN's extension bits say "I checksum", and a
    /// hark peer that answers likewise in its SYN-ACK makes both sides append a CRC-32 of
    /// the whole datagram to every later packet and drop any packet whose checksum does not
    /// verify (as loss). A peer without it (libutp, libtorrent) ignores the offer and the
    /// connection runs unchecked. Off by default: the checksum costs a CRC-32 per packet
    /// on each side, and Wireshark's bt-utp dissector does not recognise packets whose
    /// first extension is hark's. UDP's own checksum already guards real networks; turn
    /// this on (or `require_integrity`) where damage can get past it.
    pub offer_integrity: bool,
    /// Refuse to run unchecked: a peer that does not accept the integrity extension gets a
    /// RESET and the connection fails with [`ConnectionError::IntegrityRequired`] (an
    /// incoming SYN without the offer is refused with
    /// [`AcceptError::IntegrityRequired`]). Implies `offer_integrity`. Off by default.
    ///
    /// [`ConnectionError::IntegrityRequired`]: super::ConnectionError::IntegrityRequired
    /// [`AcceptError::IntegrityRequired`]: super::AcceptError::IntegrityRequired
    pub require_integrity: bool,
}

impl Default for ConnectionConfig {
    fn default() -> Self {
        Self {
            send_buffer: 1 << 20,
            recv_buffer: 1 << 20,
            target_delay: Duration::from_millis(100),
            max_window: 1 << 20,
            initial_window_packets: 4,
            max_window_increase_per_rtt: 3000,
            ledbat_variant: LedbatVariant::PlusPlus,
            ledbat_draft_gain: false,
            ledbat_yield_to_standing_queues: false,
            ledbat_correct_clock_drift: true,
            ledbat_ramp_to_previous_window: true,
            ledbat_join_slowdowns: true,
            ledbat_hold_until_drained: true,
            ledbat_rtt_target_floor: Some(Duration::from_millis(15)),
            udp_mtu_v4: DEFAULT_UDP_MTU_V4,
            udp_mtu_v6: DEFAULT_UDP_MTU_V6,
            mtu_probing: false,
            probe_mtu_ceiling_v4: 1472,
            probe_mtu_ceiling_v6: 1452,
            initial_rto: Duration::from_secs(1),
            min_rto: Duration::from_millis(200),
            max_rto: Duration::from_secs(60),
            syn_retries: 3,
            max_consecutive_timeouts: 6,
            keepalive_interval: Some(Duration::from_secs(29)),
            idle_timeout: Some(Duration::from_secs(120)),
            delayed_ack_timeout: Duration::from_millis(10),
            ack_every_packets: 8,
            zero_window_probe_interval: Duration::from_secs(1),
            linger: Duration::from_secs(2),
            max_sack_bytes: 32,
            report_delay_samples: true,
            report_overhead: false,
            offer_integrity: false,
            require_integrity: false,
        }
    }
}

impl ConnectionConfig {
    /// UDP payload MTU towards `remote`.
    pub fn udp_mtu(&self, remote: SocketAddr) -> u16 {
        if remote.is_ipv4() {
            self.udp_mtu_v4
        } else {
            self.udp_mtu_v6
        }
    }

    /// Largest UDP payload the path-MTU search tries towards `remote`.
    pub fn probe_mtu_ceiling(&self, remote: SocketAddr) -> u16 {
        if remote.is_ipv4() {
            self.probe_mtu_ceiling_v4
        } else {
            self.probe_mtu_ceiling_v6
        }
    }

    /// The longest UDP payload a connection with this configuration sends, towards any
    /// peer: the larger `udp_mtu_*`, or the larger probe ceiling when `mtu_probing` is on.
    /// A driver's send buffers must hold at least this many bytes.
    ///
    /// ```
    /// use hark_proto::utp::ConnectionConfig;
    ///
    /// let mut config = ConnectionConfig::default();
    /// assert_eq!(config.largest_datagram(), 1402); // libutp's IPv4 default
    /// config.udp_mtu_v4 = 9000; // a jumbo-frame LAN
    /// assert_eq!(config.largest_datagram(), 9000);
    /// ```
    pub fn largest_datagram(&self) -> u16 {
        let mtu = self.udp_mtu_v4.max(self.udp_mtu_v6);
        if self.mtu_probing {
            mtu.max(self.probe_mtu_ceiling_v4)
                .max(self.probe_mtu_ceiling_v6)
        } else {
            mtu
        }
    }

    /// IP + UDP header bytes towards `remote` (libutp's get_udp_overhead).
    pub fn udp_overhead(remote: SocketAddr) -> u16 {
        if remote.is_ipv4() {
            UDP_OVERHEAD_V4
        } else {
            UDP_OVERHEAD_V6
        }
    }

    /// Whether connections offer (or accept) the integrity extension.
    pub fn integrity_offered(&self) -> bool {
        self.offer_integrity || self.require_integrity
    }

    pub(crate) fn ledbat(&self) -> LedbatConfig {
        LedbatConfig {
            target_delay: self.target_delay,
            max_increase_per_rtt: self.max_window_increase_per_rtt,
            max_window: self.max_window,
            initial_window_packets: self.initial_window_packets,
            variant: self.ledbat_variant,
            draft_gain: self.ledbat_draft_gain,
            yield_to_standing_queues: self.ledbat_yield_to_standing_queues,
            correct_clock_drift: self.ledbat_correct_clock_drift,
            ramp_to_previous_window: self.ledbat_ramp_to_previous_window,
            join_slowdowns: self.ledbat_join_slowdowns,
            hold_until_drained: self.ledbat_hold_until_drained,
            rtt_target_floor: self.ledbat_rtt_target_floor,
        }
    }
}

/// Options of an endpoint.
#[derive(Debug, Clone)]
pub struct EndpointConfig {
    /// Defaults for every connection the endpoint creates.
    pub connection: ConnectionConfig,
    /// Most connections that may wait in SYN-received at once (SYN flood bound).
    pub max_half_open: usize,
    /// Most connections in total.
    pub max_connections: usize,
    /// Most RESET replies queued for unknown connections; more are dropped.
    pub max_pending_resets: usize,
    /// Most bytes of free buffer storage the endpoint keeps for reuse. Connections take
    /// send and receive storage as data comes and give it back when it is drained, so an
    /// idle connection holds none; this pool saves busy ones from allocating per packet.
    /// A single receive ring larger than this is kept too when the pool is otherwise empty.
    pub buffer_pool_bytes: usize,
}

impl Default for EndpointConfig {
    fn default() -> Self {
        Self {
            connection: ConnectionConfig::default(),
            max_half_open: 64,
            max_connections: 4096,
            max_pending_resets: 64,
            buffer_pool_bytes: 4 << 20,
        }
    }
}
