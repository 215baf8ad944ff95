//! [`UtpOptions`]: a socket's settings in one plain struct, mapped onto the core's
//! [`EndpointConfig`] and the UDP socket's [`UdpConfig`].

use std::time::Duration;

use hark_proto::utp::{ConnectionConfig, EndpointConfig};
use hark_reactor::udp::UdpConfig;

/// Settings of a [`UtpSocket`](crate::UtpSocket) and of every connection on it.
///
/// The defaults are the core's ([`ConnectionConfig::default`]): a 100 ms LEDBAT target,
/// 1 MiB send and receive buffers, libutp's 1402-byte datagrams, a 1 s initial
/// retransmission timeout with 3 SYN retries, no integrity extension.
#[derive(Debug, Clone)]
pub struct UtpOptions {
    /// LEDBAT target queuing delay.
    pub target_delay: Duration,
    /// Bytes a stream may queue for sending; `poll_write` returns `Pending` beyond it.
    pub send_buffer: usize,
    /// Receive buffer per stream: the advertised window is this minus what is unread. At
    /// least [`MIN_RECV_BUFFER`](hark_proto::utp::MIN_RECV_BUFFER) is used, so that a
    /// peer's longest packet fits.
    pub recv_buffer: usize,
    /// UDP payload size towards IPv4 peers.
    pub udp_mtu_v4: u16,
    /// UDP payload size towards IPv6 peers.
    pub udp_mtu_v6: u16,
    /// Search for a larger path MTU with don't-fragment probes.
    pub mtu_probing: bool,
    /// Retransmission timeout before the first RTT sample (also the SYN retry interval).
    pub initial_rto: Duration,
    /// SYN retransmissions before `connect` fails with a timeout.
    pub syn_retries: u32,
    /// Fail a connection after this long without hearing from the peer.
    pub idle_timeout: Option<Duration>,
    /// Send a keepalive after this long without sending.
    pub keepalive_interval: Option<Duration>,
    /// How long a closed connection keeps answering its peer before it is destroyed.
    pub linger: Duration,
    /// Offer hark's CRC-32 integrity extension (used when the peer is hark too).
    pub offer_integrity: bool,
    /// Refuse peers that do not checksum (implies `offer_integrity`).
    pub require_integrity: bool,
    /// Connections accepted and not yet taken by [`accept`](crate::UtpSocket::accept);
    /// further SYNs are refused with a RESET.
    pub backlog: usize,
    /// Most connections on the socket.
    pub max_connections: usize,
    /// Most accepted connections still waiting for the initiator's first packet.
    pub max_half_open: usize,
    /// The UDP socket: batch size, GSO/GRO, kernel buffer sizes.
    pub udp: UdpConfig,
}

impl Default for UtpOptions {
    fn default() -> Self {
        let core = EndpointConfig::default();
        let c = &core.connection;
        UtpOptions {
            target_delay: c.target_delay,
            send_buffer: c.send_buffer,
            recv_buffer: c.recv_buffer,
            udp_mtu_v4: c.udp_mtu_v4,
            udp_mtu_v6: c.udp_mtu_v6,
            mtu_probing: c.mtu_probing,
            initial_rto: c.initial_rto,
            syn_retries: c.syn_retries,
            idle_timeout: c.idle_timeout,
            keepalive_interval: c.keepalive_interval,
            linger: c.linger,
            offer_integrity: c.offer_integrity,
            require_integrity: c.require_integrity,
            backlog: 128,
            max_connections: core.max_connections,
            max_half_open: core.max_half_open,
            udp: UdpConfig::DEFAULT,
        }
    }
}

impl UtpOptions {
    /// The core's configuration for these options. Delay samples and overhead reports
    /// are off: the adapter has no use for them per packet.
    pub fn endpoint_config(&self) -> EndpointConfig {
        let connection = ConnectionConfig {
            target_delay: self.target_delay,
            send_buffer: self.send_buffer.max(1),
            recv_buffer: self.recv_buffer,
            udp_mtu_v4: self.udp_mtu_v4,
            udp_mtu_v6: self.udp_mtu_v6,
            mtu_probing: self.mtu_probing,
            initial_rto: self.initial_rto,
            syn_retries: self.syn_retries,
            idle_timeout: self.idle_timeout,
            keepalive_interval: self.keepalive_interval,
            linger: self.linger,
            offer_integrity: self.offer_integrity,
            require_integrity: self.require_integrity,
            report_delay_samples: false,
            report_overhead: false,
            ..ConnectionConfig::default()
        };
        EndpointConfig {
            connection,
            max_half_open: self.max_half_open,
            max_connections: self.max_connections,
            ..EndpointConfig::default()
        }
    }
}
