//! uTP (BEP 29) with LEDBAT congestion control (RFC 6817), sans-IO.
//!
//! An [`Endpoint`] is libutp's context: it owns every connection on one UDP socket,
//! demultiplexes datagrams by (remote address, connection id), and turns SYNs into
//! [`Incoming`] values the application accepts or refuses. Connections are addressed by
//! [`ConnectionHandle`]s and report [`Event`]s.
//!
//! Nothing here reads a clock, draws randomness of its own or performs I/O: `now` comes
//! in with every call, wire timestamps count microseconds from the epoch given to
//! [`Endpoint::new`], and connection ids and sequence numbers come from the injected RNG.
//!
//! Call order: after any `handle_*` call or user operation, drain
//! [`Endpoint::poll_transmit`], then [`Endpoint::poll_event`], then read
//! [`Endpoint::poll_timeout`]. After each batch of received datagrams call
//! [`Endpoint::issue_deferred_acks`] and drain again.
//!
//! Interop notes (libutp, libtorrent): the initiator receives on `id` and sends on
//! `id + 1`; the SYN-ACK is an ST_STATE whose sequence number is not consumed; FIN
//! consumes one. An accepting libutp socket cannot write before it has received DATA, so
//! the initiator should send first. SACKs are multiples of 4 bytes.
//!
//! Loss recovery: selective ACKs (sent while out-of-order data is held) and a
//! time-ordered duplicate threshold resend a packet once three later transmissions are
//! acknowledged, lost retransmissions included; the RTO has a 200 ms floor (libutp: 1 s),
//! backs off exponentially, voids SACK information and collapses the window to one packet.
//! The window halves at most once per round trip. Reading can be zero-copy
//! ([`Endpoint::readable_slices`] + [`Endpoint::consume`]); nothing allocates per packet
//! once the buffers have been touched.
//!
//! Congestion control is LEDBAT++ by default ([`LedbatVariant::PlusPlus`]: a decrease
//! proportional to the window and periodic slowdowns that re-measure the base delay, so
//! flows sharing a bottleneck converge to equal shares, latecomers included); libutp's
//! RFC 6817 rules remain available as [`LedbatVariant::Rfc6817`] through
//! [`ConnectionConfig::ledbat_variant`].

pub mod bulk;
mod config;
mod connection;
mod endpoint;
mod error;
mod event;
pub mod ledbat;
pub mod packet;
mod recv_buffer;
pub mod rtt;
mod send_buffer;
pub mod seq;
mod slowdown;
mod timer_queue;
mod timers;

pub use config::{
    ConnectionConfig, DEFAULT_UDP_MTU_V4, DEFAULT_UDP_MTU_V6, EndpointConfig, UDP_OVERHEAD_V4,
    UDP_OVERHEAD_V6,
};
pub use endpoint::{
    ConnectionHandle, ConnectionInfo, DatagramOutcome, Endpoint, EndpointStats, Incoming, Transmit,
};
pub use error::{AcceptError, ConnectError, HandleError, WriteError};
pub use event::{ConnectionError, ConnectionState, ConnectionStats, Event, OverheadKind};
pub use ledbat::LedbatVariant;
pub use timers::Timer;

#[cfg(test)]
mod tests;
