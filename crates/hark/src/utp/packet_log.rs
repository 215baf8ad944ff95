//! The headers of the datagrams of one batch, per peer and direction, for `utp_packets`
//! events: one event per batch rather than one per datagram.

use std::net::SocketAddr;

use super::packet_header::UtpPacketHeader;

/// Most headers one batch holds; the context flushes the log when one reaches it.
pub(crate) const MAX_BATCH: usize = 1024;
/// Room the first batch starts with; later ones start with the size of the largest
/// batch of the previous flush, so a steady stream of batches does not reallocate.
const FIRST_CAPACITY: usize = 64;

/// The headers of the datagrams sent to or received from one peer in this batch.
#[derive(Debug)]
pub(crate) struct PacketBatch {
    pub(crate) peer: SocketAddr,
    pub(crate) sent: bool,
    pub(crate) headers: Vec<UtpPacketHeader>,
}

/// Batches since the last flush, in the order their first datagram came.
#[derive(Debug)]
pub(crate) struct PacketLog {
    batches: Vec<PacketBatch>,
    /// Room for a new batch's headers.
    capacity: usize,
}

impl Default for PacketLog {
    fn default() -> Self {
        PacketLog {
            batches: Vec::new(),
            capacity: FIRST_CAPACITY,
        }
    }
}

impl PacketLog {
    /// Records one datagram's header; true when its batch is full and the log should be
    /// flushed.
    pub(crate) fn add(&mut self, peer: SocketAddr, sent: bool, header: UtpPacketHeader) -> bool {
        // Most batches see one peer and direction: look at the newest batch first.
        let matches = |batch: &PacketBatch| batch.sent == sent && batch.peer == peer;
        let index = match self.batches.last() {
            Some(last) if matches(last) => self.batches.len() - 1,
            _ => match self.batches.iter().position(matches) {
                Some(index) => index,
                None => {
                    self.batches.push(PacketBatch {
                        peer,
                        sent,
                        headers: Vec::with_capacity(self.capacity),
                    });
                    self.batches.len() - 1
                }
            },
        };
        match self.batches.get_mut(index) {
            Some(batch) => {
                batch.headers.push(header);
                batch.headers.len() >= MAX_BATCH
            }
            None => false,
        }
    }

    /// Whether nothing is recorded.
    pub(crate) fn is_empty(&self) -> bool {
        self.batches.is_empty()
    }

    /// Takes the batches, leaving the log empty.
    pub(crate) fn drain(&mut self) -> std::vec::Drain<'_, PacketBatch> {
        if let Some(largest) = self.batches.iter().map(|b| b.headers.len()).max() {
            self.capacity = largest.clamp(FIRST_CAPACITY, MAX_BATCH);
        }
        self.batches.drain(..)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hark_wire::utp::{PacketRepr, PacketType};

    fn header(seq_nr: u16) -> UtpPacketHeader {
        let repr = PacketRepr {
            seq_nr,
            ..PacketRepr::new(PacketType::Data, 7)
        };
        let mut buf = [0u8; 32];
        let len = repr.emit(&mut buf).unwrap();
        UtpPacketHeader::parse(&buf[..len]).unwrap()
    }

    #[test]
    fn groups_by_peer_and_direction_in_first_seen_order() {
        let (a, b): (SocketAddr, SocketAddr) = (
            "127.0.0.1:1".parse().unwrap(),
            "127.0.0.1:2".parse().unwrap(),
        );
        let mut log = PacketLog::default();
        assert!(!log.add(a, true, header(1)));
        assert!(!log.add(b, false, header(9)));
        assert!(!log.add(a, true, header(2)));
        assert!(!log.add(a, false, header(5)));
        let batches: Vec<_> = log
            .drain()
            .map(|b| {
                (
                    b.peer,
                    b.sent,
                    b.headers.iter().map(|h| h.seq_nr).collect::<Vec<_>>(),
                )
            })
            .collect();
        assert_eq!(
            batches,
            [
                (a, true, vec![1, 2]),
                (b, false, vec![9]),
                (a, false, vec![5])
            ]
        );
        assert!(log.is_empty());
    }

    #[test]
    fn a_full_batch_asks_for_a_flush() {
        let peer: SocketAddr = "127.0.0.1:1".parse().unwrap();
        let mut log = PacketLog::default();
        let full = (0..MAX_BATCH).map(|i| log.add(peer, true, header(i as u16)));
        assert_eq!(full.filter(|&f| f).count(), 1);
    }
}
