//! Per-socket counters a reactor exposes.

use crate::udp::SocketStats;

/// What happened on one reactor socket so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SlotStats {
    /// The socket's send counters.
    pub socket: SocketStats,
    /// Datagrams received and handed to the endpoint.
    pub received: u64,
    /// Receive calls that returned at least one message.
    pub receive_batches: u64,
    /// Datagrams the kernel dropped for a full receive buffer (`SO_RXQ_OVFL`, wrapping).
    pub receive_buffer_drops: u32,
    /// Datagrams dropped for not fitting a receive slot.
    pub truncated: u64,
    /// Transmits dropped because the endpoint claimed more bytes than its buffer.
    pub oversized_transmits: u64,
    /// Datagrams no core on the socket claimed (see
    /// [`DatagramEndpoint::claim`](crate::DatagramEndpoint::claim)), dropped.
    pub unclaimed: u64,
}

/// What the reactor's loop itself did so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReactorStats {
    /// Turns taken: each is one return from the poll (readiness, a timer, a command or a
    /// spurious wakeup). An idle reactor takes none until its next timer.
    pub turns: u64,
    /// Timers fired (datagram cores and TCP notifiers).
    pub timers_fired: u64,
}
