//! The corrupt-peer policy ("smart ban", per-block attribution).
//!
//! The anchors differ: libtorrent subtracts trust points and bans at -7, transmission bans
//! after five strikes, and anacrolix compares block hashes. hark compares blocks, because it
//! is the only one of the three that both bans a lone corrupter at once and never bans an
//! honest peer that merely shared a failed piece with it:
//!
//! - A piece that fails with one contributor proves that peer corrupt: it is banned at once.
//! - A piece that fails with several contributors proves nothing about any one of them. The
//!   torrent has the driver hash each failed block ([`DiskJob::HashBlocks`]) and records
//!   (block, sender, hash); the piece is then downloaded again from a single peer. If that
//!   attempt fails too, its lone source is banned (first rule). When the piece finally
//!   passes, the good blocks are hashed and every recorded sender whose block hash differs
//!   is banned; senders whose blocks matched are cleared.
//!
//! A sender that disconnected before its piece was checked (and a web seed) is not judged:
//! the policy never bans an address it cannot tie to a block.
//!
//! [`DiskJob::HashBlocks`]: super::DiskJob::HashBlocks

use std::collections::BTreeMap;

use super::event::PeerHandle;
use std::net::SocketAddr;

/// One failed block: (block index, sender, sender's address, hash of what it sent).
type FailedBlock = (usize, PeerHandle, SocketAddr, [u8; 20]);

/// Blocks of failed attempts waiting for the piece's good data.
#[derive(Debug, Default)]
pub(super) struct SmartBan {
    /// piece → (block, sender, sender's address, hash of what it sent)
    records: BTreeMap<u32, Vec<FailedBlock>>,
}

impl SmartBan {
    /// Records the hashes of a failed attempt's blocks.
    pub fn record(&mut self, index: u32, blocks: impl IntoIterator<Item = FailedBlock>) {
        self.records.entry(index).or_default().extend(blocks);
    }

    /// Whether piece `index` has recorded failed blocks to compare once it passes.
    pub fn has_record(&self, index: u32) -> bool {
        self.records.contains_key(&index)
    }

    /// The piece passed and these are its blocks' hashes: the senders of differing blocks,
    /// deduplicated. The record is consumed.
    pub fn judge(&mut self, index: u32, good: &[[u8; 20]]) -> Vec<SocketAddr> {
        let mut guilty: Vec<SocketAddr> = self
            .records
            .remove(&index)
            .unwrap_or_default()
            .into_iter()
            .filter(|(block, _, _, hash)| good.get(*block).is_none_or(|g| g != hash))
            .map(|(_, _, addr, _)| addr)
            .collect();
        guilty.sort();
        guilty.dedup();
        guilty
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(n: u8) -> SocketAddr {
        SocketAddr::from(([10, 0, 0, n], 6881))
    }

    #[test]
    fn only_senders_of_differing_blocks_are_guilty() {
        let mut ban = SmartBan::default();
        ban.record(
            3,
            [
                (0, PeerHandle(1), addr(1), [1; 20]),
                (1, PeerHandle(2), addr(2), [9; 20]),
                (2, PeerHandle(1), addr(1), [3; 20]),
            ],
        );
        assert!(ban.has_record(3));
        assert_eq!(ban.judge(3, &[[1; 20], [2; 20], [3; 20]]), vec![addr(2)]);
        assert!(!ban.has_record(3));
        assert!(ban.judge(3, &[]).is_empty());
    }
}
