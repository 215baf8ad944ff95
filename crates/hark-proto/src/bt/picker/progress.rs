//! The block layer: where each block of a piece in progress is, and who sent it.

use super::PeerKey;

/// Where one block of a piece in progress is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Block {
    /// Nobody was asked for it.
    Free,
    /// These peers were asked for it (more than one only in end game).
    Requested(Vec<PeerKey>),
    /// It arrived from `from`; `written` once the caller stored it
    /// ([`PiecePicker::block_written`](super::PiecePicker::block_written)).
    Received {
        /// The sender.
        from: PeerKey,
        /// Stored by the caller.
        written: bool,
    },
}

/// A piece with blocks requested or received.
#[derive(Debug, Clone)]
pub(super) struct Progress {
    pub(super) blocks: Vec<Block>,
}

impl Progress {
    pub(super) fn new(blocks: usize) -> Self {
        Self {
            blocks: vec![Block::Free; blocks],
        }
    }

    /// No block requested or received.
    pub(super) fn idle(&self) -> bool {
        self.blocks.iter().all(|b| *b == Block::Free)
    }

    /// Every block received.
    pub(super) fn complete(&self) -> bool {
        self.blocks
            .iter()
            .all(|b| matches!(b, Block::Received { .. }))
    }

    /// Every block received and stored.
    pub(super) fn written(&self) -> bool {
        self.blocks
            .iter()
            .all(|b| matches!(b, Block::Received { written: true, .. }))
    }

    pub(super) fn has_free(&self) -> bool {
        self.blocks.contains(&Block::Free)
    }

    /// Removes `peer` from every request; blocks nobody else was asked for are free again.
    pub(super) fn drop_requests(&mut self, peer: PeerKey) {
        for block in &mut self.blocks {
            if let Block::Requested(peers) = block {
                peers.retain(|p| *p != peer);
                if peers.is_empty() {
                    *block = Block::Free;
                }
            }
        }
    }

    /// The sender of each block received, in block order (`None` for the others).
    pub(super) fn senders(&self) -> Vec<Option<PeerKey>> {
        self.blocks
            .iter()
            .map(|b| match b {
                Block::Received { from, .. } => Some(*from),
                _ => None,
            })
            .collect()
    }
}
