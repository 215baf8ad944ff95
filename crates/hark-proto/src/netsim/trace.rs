//! The packet tap: one [`TraceEvent`] for everything that happens to a packet.

use core::net::SocketAddr;
use core::time::Duration;

use super::link::LinkId;
use super::stats::DropCause;

/// What happened to a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TraceKind {
    /// A node handed the packet to the network.
    Sent,
    /// A link made this packet as a copy of packet `of`.
    Duplicated {
        /// The id of the original packet.
        of: u64,
    },
    /// A link flipped header bits of the packet.
    Corrupted,
    /// A link admitted the packet; it will reach the link's far end at `arrival`.
    Scheduled {
        /// Virtual time of arrival at the far end.
        arrival: Duration,
        /// Time it will wait in the queue before serialisation.
        queue_delay: Duration,
    },
    /// The packet was dropped.
    Dropped(DropCause),
    /// The packet was handed to the destination node.
    Delivered,
}

/// One event of one packet, as seen by the tap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TraceEvent {
    /// Virtual time (offset from the simulation's base).
    pub time: Duration,
    /// The packet's id, unique within a run (a duplicate gets a fresh id).
    pub packet: u64,
    /// The link involved, if any.
    pub link: Option<LinkId>,
    /// Source address.
    pub src: SocketAddr,
    /// Destination address.
    pub dst: SocketAddr,
    /// Packet length in bytes.
    pub len: usize,
    /// What happened.
    pub kind: TraceKind,
}

/// A tap: called with each event and the packet's bytes at that moment.
pub type Tap = Box<dyn FnMut(&TraceEvent, &[u8])>;
