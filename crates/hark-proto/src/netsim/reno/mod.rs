//! A TCP-Reno-like flow to compete with the transports under test: a [`RenoSender`] and a
//! [`RenoReceiver`], both [`Node`](super::Node)s speaking the tiny header of [`segment`].
//!
//! It models Reno's congestion control, not TCP: slow start, congestion avoidance (+1 MSS per
//! window of ACKed bytes), fast retransmit and NewReno fast recovery after three duplicate
//! ACKs (window halved), RTO with exponential backoff (window back to one MSS, go-back-N),
//! RFC 6298 RTT smoothing from echoed timestamps, cumulative ACKs, one ACK per segment.

mod receiver;
pub mod segment;
mod sender;

pub use receiver::{MAX_OUT_OF_ORDER_RANGES, RenoReceiver};
pub use sender::{RenoConfig, RenoCounters, RenoSender};
