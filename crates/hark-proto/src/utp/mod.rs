//! uTP (BEP 29) with LEDBAT congestion control (RFC 6817), sans-IO.
//!
//! An [`Endpoint`] is libutp's context: it owns every connection on one UDP socket,
//! demultiplexes datagrams by (remote address, connection id), and turns SYNs into
//! [`Incoming`] values the application accepts or refuses. Connections are addressed by
//! [`ConnectionHandle`]s and report [`Event`]s.
//!
//! Nothing here reads a clock, draws randomness of its own or performs I/O: `now` comes
//! in with every call, wire timestamps count microseconds from the epoch given to
//! [`Endpoint::new`], and connection ids and sequence numbers come from the injected RNG
//! (any [`Rng`], or a seed given to [`Endpoint::with_seed`]).
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
//! ([`Endpoint::readable_slices`] + [`Endpoint::consume`]).
//!
//! Memory follows use: a connection takes send and receive storage from its endpoint's
//! pool as data is written or arrives (bounded by the configured buffers and window) and
//! gives it back once it is acknowledged or read, so an idle connection holds only its
//! fixed state (about 1.3 KiB of heap with the endpoint's bookkeeping) and a busy one does
//! not allocate per packet ([`EndpointConfig::buffer_pool_bytes`],
//! [`Endpoint::buffer_bytes`]).
//!
//! Integrity: uTP has no checksum of its own, so a flipped seq_nr bit that UDP's checksum
//! misses (or a path without one) misplaces payload undetectably. Between hark endpoints the
//! SYN's extension bits offer a checksum extension ([`ConnectionConfig::offer_integrity`],
//! off by default: it costs a CRC-32 per packet on each side); a hark acceptor answers in
//! its SYN-ACK, and from then on both sides append a CRC-32 of the whole datagram to every
//! packet. A packet whose checksum fails is
//! dropped by the endpoint before it can reach or reset a connection
//! ([`EndpointStats::checksum_failures`]); one that lacks it on a checksummed connection
//! is dropped by the connection ([`ConnectionStats::checksum_missing`]): both count as loss.
//! libutp and libtorrent ignore the offer and never receive a checksum (libutp drops a
//! packet whose first extension it does not know). With
//! [`ConnectionConfig::require_integrity`] an unchecked peer is refused or reset, and a
//! damaged handshake ends in a typed error ([`ConnectionError::CorruptHandshake`],
//! [`ConnectionError::IntegrityRequired`], `Refused`), never in an unchecked connection.
//! Wireshark's bt-utp heuristic only recognises packets whose first extension type is below
//! 3, so it shows checksummed packets without a SACK as plain UDP.
//!
//! Timers: the endpoint keeps each connection's next deadline in a binary heap (stale
//! entries discarded lazily), so [`Endpoint::poll_timeout`] is O(1) and
//! [`Endpoint::handle_timeout`] costs O(log n) per connection that is due.
//!
//! Congestion control is LEDBAT++ by default ([`LedbatVariant::PlusPlus`]: a decrease
//! proportional to the window and periodic slowdowns that re-measure the base delay, so
//! flows sharing a bottleneck converge to equal shares, latecomers included); libutp's
//! RFC 6817 rules remain available as [`LedbatVariant::Rfc6817`] through
//! [`ConnectionConfig::ledbat_variant`].

mod base_delay;
mod buffer_pool;
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

/// ICMP destination-unreachable kinds, for [`Endpoint::handle_icmp_error`].
pub use crate::icmp::Unreachable;
pub use config::{
    ConnectionConfig, DEFAULT_UDP_MTU_V4, DEFAULT_UDP_MTU_V6, EndpointConfig, MIN_RECV_BUFFER,
    UDP_OVERHEAD_V4, UDP_OVERHEAD_V6,
};
pub use endpoint::{
    ConnectionHandle, ConnectionInfo, DatagramOutcome, Endpoint, EndpointStats, Incoming, Transmit,
};
pub use error::{AcceptError, ConnectError, HandleError, WriteError};
pub use event::{ConnectionError, ConnectionState, ConnectionStats, Event, OverheadKind};
pub use ledbat::LedbatVariant;
/// The `rand_core` 0.10 crate [`Endpoint::new`] takes its generator from, re-exported so
/// that no version has to be matched by hand.
pub use rand_core;
/// The generator trait of [`Endpoint::new`] (`rand_core` 0.10): every
/// `rand_core::TryRng<Error = Infallible>` is one. [`Endpoint::with_seed`] needs none.
pub use rand_core::Rng;
pub use timers::Timer;

#[cfg(test)]
mod tests;
