//! The receiving half: reassembly bookkeeping and one cumulative ACK (with SACK blocks) per
//! data segment.

use core::net::SocketAddr;
use std::collections::VecDeque;
use std::time::Instant;

use super::ranges::RangeSet;
use super::segment::{DATA_HEADER_LEN, SackBlocks, SegmentRepr};
use crate::netsim::node::{Node, Transmit};

/// Most out-of-order ranges remembered; data that would add more is not acknowledged.
pub const MAX_OUT_OF_ORDER_RANGES: usize = 65_536;

/// Most ACKs waiting to be polled; the simulator drains after every datagram, so this is slack.
const MAX_PENDING_ACKS: usize = 1024;

/// A TCP-Reno-like receiver as a simulator [`Node`]. It serves the first sender it hears from
/// and has no receive window.
#[derive(Debug, Clone)]
pub struct RenoReceiver {
    peer: Option<SocketAddr>,
    rcv_nxt: u64,
    out_of_order: RangeSet,
    pending: VecDeque<SegmentRepr>,
    segments: u64,
    duplicate_segments: u64,
    ignored: u64,
}

impl Default for RenoReceiver {
    fn default() -> Self {
        Self::new()
    }
}

impl RenoReceiver {
    /// A receiver that has seen nothing yet.
    pub fn new() -> Self {
        Self {
            peer: None,
            rcv_nxt: 0,
            out_of_order: RangeSet::with_limit(MAX_OUT_OF_ORDER_RANGES),
            pending: VecDeque::new(),
            segments: 0,
            duplicate_segments: 0,
            ignored: 0,
        }
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

    /// Records `[start, end)`; returns the SACK blocks to report (the block holding this data
    /// first, then the lowest others), or `None` if the data was entirely old.
    fn absorb(&mut self, start: u64, end: u64) -> Option<SackBlocks> {
        if end <= self.rcv_nxt {
            return None;
        }
        let mut blocks = SackBlocks::default();
        if start <= self.rcv_nxt {
            self.rcv_nxt = end;
            while let Some(filled) = self.out_of_order.take_covering(self.rcv_nxt) {
                self.rcv_nxt = filled;
            }
        } else if let Some((first_start, first_end)) = self.out_of_order.insert(start, end) {
            blocks.push(first_start, first_end);
        }
        let recent = blocks.as_slice().first().copied();
        for (block_start, block_end) in self.out_of_order.iter() {
            if Some((block_start, block_end)) != recent && !blocks.push(block_start, block_end) {
                break;
            }
        }
        Some(blocks)
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
        let len = data.len().saturating_sub(DATA_HEADER_LEN) as u64;
        let sack = match self.absorb(seq, seq.saturating_add(len)) {
            Some(blocks) => blocks,
            None => {
                self.duplicate_segments += 1;
                let mut blocks = SackBlocks::default();
                for (start, end) in self.out_of_order.iter() {
                    if !blocks.push(start, end) {
                        break;
                    }
                }
                blocks
            }
        };
        if self.pending.len() < MAX_PENDING_ACKS {
            self.pending.push_back(SegmentRepr::Ack {
                ack: self.rcv_nxt,
                echo: stamp,
                sack,
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
    fn gaps_are_filled_in_any_order_and_reported() {
        let mut r = RenoReceiver::new();
        let blocks = r.absorb(10, 20).unwrap();
        assert_eq!(blocks.as_slice(), &[(10, 20)]);
        assert_eq!(r.bytes_received(), 0);
        let blocks = r.absorb(30, 40).unwrap();
        assert_eq!(blocks.as_slice(), &[(30, 40), (10, 20)]);
        let blocks = r.absorb(0, 10).unwrap();
        assert_eq!(blocks.as_slice(), &[(30, 40)]);
        assert_eq!(r.bytes_received(), 20);
        assert!(r.absorb(20, 30).unwrap().as_slice().is_empty());
        assert_eq!(r.bytes_received(), 40);
        assert!(r.absorb(0, 40).is_none());
        r.absorb(50, 60).unwrap();
        r.absorb(70, 80).unwrap();
        assert!(r.absorb(40, 75).unwrap().as_slice().is_empty());
        assert_eq!(r.bytes_received(), 80);
    }
}
