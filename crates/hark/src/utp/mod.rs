//! libutp's callback table over hark's sans-IO uTP core (`hark_proto::utp`).
//!
//! A [`UtpContext`] is libutp's `utp_context`: it owns every uTP connection on one UDP
//! socket. Its [`Callbacks`] table has every callback pyutp lists, with the same meaning
//! and typed arguments: `on_firewall` (true blocks), `on_accept`, `on_connect`,
//! `on_error` ([`UtpErrorCode`]), `on_read`, `on_overhead_statistics` ([`OverheadType`]),
//! `on_state_change` ([`UtpState`]; no CONNECT while `on_connect` is set),
//! `get_read_buffer_size`, `on_delay_sample`, `get_udp_mtu`, `get_udp_overhead`,
//! `get_milliseconds`, `get_microseconds`, `get_random`, `log` ([`LogLevel`]s switched on
//! as context options) and `sendto` (the sending [`UtpSocket`] or `None`, [`SendFlags`],
//! `UTP_UDP_DONTFRAG`).
//!
//! # Two ways to run, one core
//!
//! - (a) [`UtpReactor::bind`] (or [`UtpReactor::bind_range`]): hark's reactor owns the UDP socket and runs the context
//!   on its thread; callbacks run there, and [`UtpRemote`] reaches it from other threads.
//!   [`UtpReactor::bind_on`] puts the context on a reactor that is already running, beside
//!   TCP connections, SCTP sockets and other datagram cores on the same UDP port (it claims
//!   the datagrams that [look like uTP](looks_like_utp)).
//! - (b) [`UtpContextBuilder::build`]: the application owns its UDP socket, sets
//!   `sendto`, hands each datagram to [`UtpContext::process_udp`] (which says whether it
//!   was uTP), calls [`UtpContext::issue_deferred_acks`] after each batch and
//!   [`UtpContext::check_timeouts`] now and then — as with libutp.
//!
//! # Closing, and the linger before DESTROYING
//!
//! `close` ([`UtpContext::close`], [`ContextHandle::close`], [`UtpRemote::close`]) sends a
//! FIN after the queued data. When the peer has acknowledged it, and so every byte written,
//! [`Callbacks::on_fin_acked`] runs (hark's addition) and the hub reports `utp_fin_acked`;
//! [`ContextHandle::info`] / [`UtpContext::info`] answer the same at any time
//! ([`ConnectionInfo::unacknowledged_packets`], [`ConnectionInfo::fin_acked`]). Once both
//! sides' FINs are acknowledged the connection lingers for [`ConnectionConfig::linger`]
//! (2 s by default, set through [`UtpContextBuilder::endpoint_config`]) to answer a peer
//! whose last ACK was lost; only then do `UTP_STATE_DESTROYING` and the info-level
//! `utp_closed` event come. A transfer timed to DESTROYING therefore looks slower by the
//! linger; time it to `on_fin_acked` (sender) or `UTP_STATE_EOF` (receiver).
//!
//! # Callbacks, threads and re-entrancy
//!
//! Callbacks run on the thread driving the context (the reactor thread in mode (a), the
//! caller's in mode (b)), one at a time. They receive a [`ContextHandle`] that reads state
//! (peer address, stats, delays, writable room) and queues `write`, `close`,
//! `read_drained` and option changes; the queued commands run right after the callback
//! returns. A callback never gets `&mut` access to the core and must not block; it may
//! send to channels, or call a [`UtpRemote`] method that does not wait for a reply
//! (`close`, `shutdown`) — `connect`, `with_context` and a `write` that has to wait would
//! deadlock on the reactor thread.
//!
//! # Events
//!
//! Every callback also reports to the context's [`EventHub`](crate::events::EventHub):
//! `utp_accept`, `utp_connect`, `utp_error`, `utp_writable`, `utp_eof`, `utp_fin_acked`,
//! `utp_destroying`, `utp_closed` (info level: every connection's end, with its reason),
//! `utp_delay_sample`, `utp_overhead` (summed per batch of datagrams), `utp_log`,
//! `utp_firewall`, plus `peer_data_in` for reads and `utp_packets` with the header of every
//! datagram sent or received (one event per peer and direction per batch). The context puts its hub in listeners-only mode: each event
//! reaches the listeners as it happens, on the same thread as the callbacks, and a kind no
//! listener watches is never built. Incoming and outgoing connections pass the hub's IP
//! filter ([`EventHub::admit`](crate::events::EventHub::admit)), and bound sockets report
//! `listen_success`.
//!
//! # libutp's API here
//!
//! | libutp | hark |
//! | --- | --- |
//! | `utp_init`, `utp_set_callback` | [`UtpContext::builder`], [`Callbacks`] |
//! | `utp_context_set_option` | [`UtpContextBuilder::option`], [`UtpContext::set_option`] |
//! | `utp_create_socket` + `utp_connect` | [`UtpContext::connect`], [`UtpRemote::connect`] |
//! | `utp_write`, `utp_close`, `utp_read_drained` | [`ContextHandle`], [`UtpContext`], [`UtpRemote`] methods of the same names; [`ContextHandle::write_bytes`] queues shared [`Bytes`](bytes::Bytes) without a copy |
//! | `utp_process_udp`, `utp_issue_deferred_acks`, `utp_check_timeouts` | [`UtpContext::process_udp`], [`UtpContext::issue_deferred_acks`], [`UtpContext::check_timeouts`] |
//! | `utp_process_icmp_error` | [`UtpContext::process_icmp_error`]; [`UtpContext::process_icmp_errors`] reads them, typed, off the socket (mode (a) does so itself) |
//! | `utp_setsockopt(UTP_TARGET_DELAY)` | [`UtpContext::set_socket_option`] |
//! | `utp_getpeername`, `utp_get_stats`, `utp_get_delays` | `peer_addr`, `stats`, `info` |
//! | `utp_get_context_stats` | [`UtpContext::context_stats`] |
//!
//! Differences: `log` also gets the level; `UTP_SNDBUF`/`UTP_RCVBUF` are chosen
//! per context at build time (the core has no per-socket setter).

mod callbacks;
mod constants;
mod context;
mod error;
mod handle;
mod outbox;
mod overhead_tally;
mod packet_header;
mod packet_log;
mod reactor;
mod rng;
mod socket;

pub use callbacks::Callbacks;
pub use constants::{
    ContextOption, LogLevel, LogLevels, OverheadType, SendFlags, SocketOption, UtpErrorCode,
    UtpState,
};
pub use context::{CALLBACK_MTU_LIMIT, UtpContext, UtpContextBuilder};
pub use error::{BuildError, OptionError, ReactorUtpError, UtpError};
pub use handle::ContextHandle;
pub use hark_proto::utp::{
    ConnectionConfig, ConnectionError, ConnectionInfo, ConnectionStats, DEFAULT_UDP_MTU_V4,
    DEFAULT_UDP_MTU_V6, EndpointConfig, EndpointStats, MIN_RECV_BUFFER, UDP_OVERHEAD_V4,
    UDP_OVERHEAD_V6, Unreachable,
};
/// The UDP socket setup of [`UtpReactor::bind_with_udp`] (re-exported from
/// `hark-reactor`).
pub use hark_reactor::udp::UdpConfig;
/// Switches on ICMP error reports for an application-owned UDP socket (mode (b)), for
/// [`UtpContext::process_icmp_errors`] (re-exported from `hark-reactor`).
pub use hark_reactor::udp::enable_icmp_errors;
pub use hark_wire::utp::PacketType;
pub(crate) use outbox::Gauge;
pub use packet_header::UtpPacketHeader;
pub use reactor::{UtpReactor, UtpRemote, looks_like_utp};
pub use socket::UtpSocket;
