//! Copies of outgoing datagrams for `peer_packet_out` events, carved from one shared block
//! so that logging every packet costs a copy, not an allocation.

use bytes::{Bytes, BytesMut};

/// Size of each block datagram copies are carved from.
const BLOCK: usize = 256 * 1024;

/// Hands out [`Bytes`] copies of datagrams that share a few large blocks.
///
/// Once every copy carved from a block has been dropped (the hub dispatched the events),
/// the next block reuses that memory instead of allocating.
#[derive(Debug, Default)]
pub(crate) struct PacketArena {
    block: BytesMut,
}

impl PacketArena {
    /// A shared copy of `datagram`.
    pub(crate) fn copy(&mut self, datagram: &[u8]) -> Bytes {
        if self.block.capacity() - self.block.len() < datagram.len() {
            // Reclaims the old block's memory when no copy still points into it.
            self.block.reserve(BLOCK.max(datagram.len()));
        }
        self.block.extend_from_slice(datagram);
        self.block.split().freeze()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_are_exact_and_independent() {
        let mut arena = PacketArena::default();
        let first = arena.copy(b"first datagram");
        let second = arena.copy(&[7u8; 1500]);
        assert_eq!(&first[..], b"first datagram");
        assert_eq!(&second[..], &[7u8; 1500][..]);
        let big = arena.copy(&vec![9u8; 3 * BLOCK]);
        assert_eq!(big.len(), 3 * BLOCK);
        assert!(big.iter().all(|&b| b == 9));
        assert_eq!(&first[..], b"first datagram");
    }

    #[test]
    fn memory_is_reused_once_copies_are_dropped() {
        let mut arena = PacketArena::default();
        let start = arena.copy(&[1u8; 1400]).as_ptr();
        for _ in 0..10 * BLOCK / 1400 {
            drop(arena.copy(&[2u8; 1400]));
        }
        // Every copy was dropped, so the block was reclaimed rather than replaced.
        let again = arena.copy(&[3u8; 1400]);
        let reclaimed =
            (start as usize..start as usize + BLOCK).contains(&(again.as_ptr() as usize));
        assert!(
            reclaimed,
            "the arena allocated a new block instead of reusing the old one"
        );
    }
}
