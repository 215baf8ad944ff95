//! A TCP-Reno-like flow to compete with the transports under test: a [`RenoSender`] and a
//! [`RenoReceiver`], both [`Node`](super::Node)s speaking the tiny header of [`segment`].
//!
//! It models Reno's congestion control, not TCP: slow start, congestion avoidance (+1 MSS per
//! window of ACKed bytes), fast retransmit after three duplicate ACKs with the window halved
//! and SACK-driven recovery of every hole, RTO with exponential backoff (window back to one
//! MSS, go-back-N skipping SACKed data), RFC 6298 RTT smoothing from echoed timestamps,
//! cumulative ACKs, one ACK per segment.

mod ranges;
mod receiver;
pub mod segment;
mod sender;

pub use receiver::{MAX_OUT_OF_ORDER_RANGES, RenoReceiver};
pub use sender::{RenoConfig, RenoCounters, RenoSender};
