//! The receiving half: reassembly bookkeeping and one cumulative ACK per data segment.

use core::net::SocketAddr;
use std::collections::{BTreeMap, VecDeque};
use std::time::Instant;

use super::segment::{HEADER_LEN, SegmentRepr};
use crate::netsim::node::{Node, Transmit};

/// Most out-of-order ranges remembered; segments that would add more are ignored (not acked
/// beyond the current cumulative point).
pub const MAX_OUT_OF_ORDER_RANGES: usize = 65_536;

/// Most ACKs waiting to be polled; the simulator drains after every datagram, so this is slack.
const MAX_PENDING_ACKS: usize = 1024;

/// A TCP-Reno-like receiver as a simulator [`Node`]. It serves the first sender it hears from.
#[derive(Debug, Clone, Default)]
pub struct RenoReceiver {
    peer: Option<SocketAddr>,
    rcv_nxt: u64,
    out_of_order: BTreeMap<u64, u64>,
    pending: VecDeque<SegmentRepr>,
    segments: u64,
    duplicate_segments: u64,
    ignored: u64,
}

impl RenoReceiver {
    /// A receiver that has seen nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Bytes received in order (the cumulative ACK point).
    pub fn bytes_received(&self) -> u64 {
        self.rcv_nxt
    }

    /// Data segments accepted (including duplicates).
    pub fn segments(&self) -> u64 {
        self.segments
    }

    /// Data segments that carried nothing new.
    pub fn duplicate_segments(&self) -> u64 {
        self.duplicate_segments
    }

    /// Datagrams ignored: unparseable, not data, or from another sender.
    pub fn ignored(&self) -> u64 {
        self.ignored
    }

    /// Records `[start, end)` and advances the cumulative point over any filled gap.
    /// Returns `false` if the data was entirely old.
    fn absorb(&mut self, start: u64, end: u64) -> bool {
        if end <= self.rcv_nxt {
            return false;
        }
        if start <= self.rcv_nxt {
            self.rcv_nxt = end;
        } else {
            if self.out_of_order.len() >= MAX_OUT_OF_ORDER_RANGES {
                return true;
            }
            let entry = self.out_of_order.entry(start).or_insert(end);
            *entry = (*entry).max(end);
        }
        while let Some((&range_start, &range_end)) = self.out_of_order.first_key_value() {
            if range_start > self.rcv_nxt {
                break;
            }
            self.rcv_nxt = self.rcv_nxt.max(range_end);
            self.out_of_order.pop_first();
        }
        true
    }
}

impl Node for RenoReceiver {
    fn handle_datagram(&mut self, _now: Instant, from: SocketAddr, data: &[u8]) {
        if self.peer.is_some_and(|peer| peer != from) {
            self.ignored += 1;
            return;
        }
        let Ok(SegmentRepr::Data { seq, stamp }) = SegmentRepr::parse(data) else {
            self.ignored += 1;
            return;
        };
        self.peer = Some(from);
        self.segments += 1;
        let len = data.len().saturating_sub(HEADER_LEN) as u64;
        if !self.absorb(seq, seq.saturating_add(len)) {
            self.duplicate_segments += 1;
        }
        if self.pending.len() < MAX_PENDING_ACKS {
            self.pending.push_back(SegmentRepr::Ack {
                ack: self.rcv_nxt,
                echo: stamp,
            });
        }
    }

    fn handle_timeout(&mut self, _now: Instant) {}

    fn poll_transmit(&mut self, _now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        let destination = self.peer?;
        let ack = self.pending.pop_front()?;
        let len = ack.emit(buf).ok()?;
        Some(Transmit { destination, len })
    }

    fn poll_timeout(&mut self) -> Option<Instant> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_are_filled_in_any_order() {
        let mut r = RenoReceiver::new();
        assert!(r.absorb(10, 20));
        assert_eq!(r.bytes_received(), 0);
        assert!(r.absorb(30, 40));
        assert!(r.absorb(0, 10));
        assert_eq!(r.bytes_received(), 20);
        assert!(r.absorb(20, 30));
        assert_eq!(r.bytes_received(), 40);
        assert!(!r.absorb(0, 40));
    }
}
