//! The [`Node`] trait a sans-IO core implements (through a thin adapter) to join a simulation.

use core::any::Any;
use core::fmt;
use core::marker::PhantomData;
use core::net::SocketAddr;
use std::time::Instant;

/// One datagram a node wants to send: its first `len` bytes of the buffer go to `destination`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transmit {
    /// Where the datagram goes.
    pub destination: SocketAddr,
    /// How many bytes of the buffer passed to [`Node::poll_transmit`] it uses.
    pub len: usize,
}

/// An endpoint in the simulated network, in the shape of hark's sans-IO cores.
///
/// The simulator calls, for each event at virtual time `now`: one `handle_datagram` or
/// `handle_timeout`, then `poll_transmit` until it returns `None`, then `poll_timeout`.
/// It also drains `poll_transmit` and reads `poll_timeout` once when the node is added and after
/// each [`Sim::node_mut`](super::Sim::node_mut).
pub trait Node {
    /// A datagram from `from` arrived.
    fn handle_datagram(&mut self, now: Instant, from: SocketAddr, data: &[u8]);

    /// The timer returned by `poll_timeout` expired (the simulator may call this late but never
    /// early; spurious calls must be harmless).
    fn handle_timeout(&mut self, now: Instant);

    /// Writes the next outgoing datagram into `buf` and says where it goes.
    fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<Transmit>;

    /// When `handle_timeout` should next be called, if ever.
    fn poll_timeout(&mut self) -> Option<Instant>;
}

/// A typed handle to a node inside one [`Sim`](super::Sim).
pub struct NodeId<N> {
    pub(crate) index: usize,
    marker: PhantomData<fn() -> N>,
}

impl<N> NodeId<N> {
    pub(crate) fn new(index: usize) -> Self {
        Self {
            index,
            marker: PhantomData,
        }
    }

    /// The node's index, in order of addition.
    pub fn index(&self) -> usize {
        self.index
    }
}

impl<N> Clone for NodeId<N> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<N> Copy for NodeId<N> {}

impl<N> PartialEq for NodeId<N> {
    fn eq(&self, other: &Self) -> bool {
        self.index == other.index
    }
}

impl<N> Eq for NodeId<N> {}

impl<N> fmt::Debug for NodeId<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NodeId({})", self.index)
    }
}

/// A [`Node`] that can also be recovered as its concrete type.
pub(crate) trait AnyNode: Node {
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

impl<N: Node + 'static> AnyNode for N {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}
