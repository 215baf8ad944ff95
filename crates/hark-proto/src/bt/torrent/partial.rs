//! A piece being downloaded: the state of each block and who sent it.

use super::event::PeerHandle;
use crate::bt::peer::BLOCK_LEN;

/// One block of a piece in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Block {
    /// Nobody has it requested.
    Free,
    /// Requested from these peers (more than one only in end game).
    Requested(Vec<PeerHandle>),
    /// Received from `from`; its write job is running.
    Writing { from: PeerHandle },
    /// Received from `from` and on disk.
    Written { from: PeerHandle },
}

/// A piece in progress.
#[derive(Debug, Clone)]
pub(super) struct Partial {
    pub blocks: Vec<Block>,
    pub len: u32,
    /// After a failed check with several contributors: every block must come from this one
    /// peer (chosen when the first block is requested), so the next result tells whose
    /// blocks were bad.
    pub single_source: bool,
    pub source: Option<PeerHandle>,
    /// Not requestable: its hash (or its blocks' hashes) is being computed.
    pub busy: bool,
}

impl Partial {
    pub fn new(len: u32) -> Self {
        Self {
            blocks: vec![Block::Free; len.div_ceil(BLOCK_LEN) as usize],
            len,
            single_source: false,
            source: None,
            busy: false,
        }
    }

    /// Block `i`'s (begin, length).
    pub fn block_range(&self, i: usize) -> (u32, u32) {
        let begin = i as u32 * BLOCK_LEN;
        (begin, (self.len - begin).min(BLOCK_LEN))
    }

    pub fn all_written(&self) -> bool {
        self.blocks
            .iter()
            .all(|b| matches!(b, Block::Written { .. }))
    }

    pub fn has_free(&self) -> bool {
        self.blocks.contains(&Block::Free)
    }

    /// Who sent each block (written ones).
    pub fn contributors(&self) -> Vec<PeerHandle> {
        let mut out: Vec<PeerHandle> = self
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::Written { from } | Block::Writing { from } => Some(*from),
                _ => None,
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Forgets `peer`'s requests (it left, rejected, or timed out).
    pub fn drop_requests(&mut self, peer: PeerHandle, only: Option<usize>) {
        for (i, block) in self.blocks.iter_mut().enumerate() {
            if only.is_some_and(|o| o != i) {
                continue;
            }
            if let Block::Requested(peers) = block {
                peers.retain(|p| *p != peer);
                if peers.is_empty() {
                    *block = Block::Free;
                }
            }
        }
    }

    /// Back to nothing received, for a re-download.
    pub fn reset(&mut self) {
        for block in &mut self.blocks {
            *block = Block::Free;
        }
        self.source = None;
        self.busy = false;
    }
}
