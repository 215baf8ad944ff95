//! A seeded, deterministic network simulator for sans-IO cores.
//!
//! A [`Sim`] owns [`Node`]s at socket addresses, [`LinkConfig`]-described links, routes that
//! send each (source, destination) pair through one or more links, and a virtual clock.
//! Each link is one direction: delay, bounded jitter, a bottleneck rate with a drop-tail queue,
//! random and Gilbert-Elliott burst loss, reordering, duplication and header corruption.
//! Several routes may cross one link, which makes it a shared bottleneck. [`reno`] has a
//! TCP-Reno-like sender and receiver to compete against. [`ClockSkew`] gives a node a clock
//! that runs fast or slow.
//!
//! # Order of calls
//!
//! 1. Build: [`Sim::new`] with a seed and a base `Instant`, then [`Sim::add_link`] /
//!    [`Sim::route`] (or [`Sim::connect`]) and [`Sim::add_node`], in any order.
//! 2. Drive: [`Sim::step`] processes one event, [`Sim::run_until`], [`Sim::run_for`] and
//!    [`Sim::run_until_idle`] loop over it. Before each event the simulator drains the
//!    nodes added or borrowed with [`Sim::node_mut`] since the last step.
//! 3. For each event at virtual time `now`, the node concerned gets exactly one
//!    [`Node::handle_datagram`] or [`Node::handle_timeout`], then [`Node::poll_transmit`] until
//!    it returns `None` (each datagram enters its route at `now`), then [`Node::poll_timeout`].
//! 4. Inspect: [`Sim::node`], [`Sim::link_stats`], [`Sim::link_utilisation`],
//!    [`Sim::flow_stats`]; [`Sim::reset_stats`] after a warm-up restarts the counters.
//!
//! The clock jumps straight to the earliest packet arrival or node timer. At equal times,
//! packets come first in the order they were scheduled, then timers by node index.
//! Every `run_*` call is bounded by [`Limits`]: a run that would go on forever ends with
//! [`Outcome::StepLimit`] or [`Outcome::TimeLimit`]; one with nothing left to do ends with
//! [`Outcome::Idle`]. A node that breaks the [`Node`] contract (a datagram longer than its
//! buffer, endless datagrams for one event) stops the run with a [`SimError`].
//!
//! # Cost
//!
//! Packet buffers live in reused slots, arrivals that keep their link's order wait in a
//! per-link FIFO (only overtaking ones go to a heap), and each node remembers its last route,
//! so a steady-state run allocates nothing per packet. Each step scans the nodes' timers and
//! the links' heads: meant for a handful of nodes and links, not thousands.
//!
//! # Determinism
//!
//! Nodes see `base + offset` instants and nothing else from the host: the same seed, the same
//! set-up and nodes that are themselves deterministic give the same run bit for bit, including
//! every [`TraceEvent`]. Each link draws from its own stream derived from the seed and its
//! [`LinkId`], so traffic on one link never changes the random choices of another.
//! [`Sim::rng_stream`] gives nodes further independent streams of the same seed.
//!
//! # Example
//!
//! ```
//! use core::net::SocketAddr;
//! use core::time::Duration;
//! use std::time::Instant;
//!
//! use hark_proto::netsim::{LinkConfig, Node, Outcome, Sim, Transmit};
//!
//! /// Sends one datagram to `peer` (if any) and keeps what it receives.
//! struct Echo {
//!     peer: Option<SocketAddr>,
//!     got: Vec<(Instant, Vec<u8>)>,
//! }
//!
//! impl Node for Echo {
//!     fn handle_datagram(&mut self, now: Instant, _from: SocketAddr, data: &[u8]) {
//!         self.got.push((now, data.to_vec()));
//!     }
//!     fn handle_timeout(&mut self, _now: Instant) {}
//!     fn poll_transmit(&mut self, _now: Instant, buf: &mut [u8]) -> Option<Transmit> {
//!         let destination = self.peer.take()?;
//!         buf[..5].copy_from_slice(b"hello");
//!         Some(Transmit { destination, len: 5 })
//!     }
//!     fn poll_timeout(&mut self) -> Option<Instant> {
//!         None
//!     }
//! }
//!
//! let a: SocketAddr = "10.0.0.1:1000".parse().unwrap();
//! let b: SocketAddr = "10.0.0.2:2000".parse().unwrap();
//! let base = Instant::now();
//! let mut sim = Sim::new(7, base);
//! sim.connect(a, b, LinkConfig::new().delay(Duration::from_millis(10))).unwrap();
//! sim.add_node(a, Echo { peer: Some(b), got: Vec::new() }).unwrap();
//! let receiver = sim.add_node(b, Echo { peer: None, got: Vec::new() }).unwrap();
//!
//! assert_eq!(sim.run_until_idle().unwrap(), Outcome::Idle);
//! let got = &sim.node(receiver).unwrap().got;
//! assert_eq!(got, &[(base + Duration::from_millis(10), b"hello".to_vec())]);
//! ```

mod config;
mod link;
mod node;
mod packets;
pub mod reno;
mod rng;
mod sim;
mod skew;
mod stats;
mod trace;

pub use config::{
    ConfigError, Corruption, GilbertElliott, Jitter, JitterOrder, LinkConfig, QueueLimit, Reorder,
};
pub use link::LinkId;
pub use node::{Node, NodeId, Transmit};
pub use rng::SimRng;
pub use sim::{DEFAULT_MAX_DATAGRAM, Limits, Outcome, Sim, SimError, Stepped};
pub use skew::{ClockSkew, MAX_SKEW_PPM};
pub use stats::{DelaySamples, DropCause, Drops, FlowStats, LinkStats};
pub use trace::{Tap, TraceEvent, TraceKind};
