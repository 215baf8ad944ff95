//! Requesting blocks (partial pieces first, then rarest first, then end game) and taking
//! them in.

use std::time::Instant;

use hark_wire::bt::peer::BlockRequest;

use super::DiskJob;
use super::engine::{JobKind, State, Torrent};
use super::event::PeerHandle;
use super::partial::{Block, Partial};
use crate::bt::peer::BLOCK_LEN;

impl Torrent {
    /// Gives every peer that unchokes us as many requests as its queue wants.
    pub(super) fn fill_requests(&mut self, now: Instant) {
        if self.state != State::Running || self.is_finished() {
            return;
        }
        let handles: Vec<PeerHandle> = self.peers.keys().copied().collect();
        for peer in handles {
            self.fill_peer(now, peer);
        }
    }

    fn fill_peer(&mut self, now: Instant, peer: PeerHandle) {
        loop {
            // Blocks arriving need room for their write jobs.
            if !self.disk_has_room() {
                return;
            }
            let Some(slot) = self.peers.get(&peer) else {
                return;
            };
            let session = &slot.session;
            if session.is_closed()
                || session.peer_choking()
                || !session.am_interested()
                || session.wanted_requests(now) == 0
            {
                return;
            }
            let Some(request) = self.next_block(peer) else {
                return;
            };
            let Some(slot) = self.peers.get_mut(&peer) else {
                return;
            };
            if slot.session.request(now, request).is_err() {
                // Undo the bookkeeping: this block stays free for others.
                if let Some(partial) = self.partials.get_mut(&request.index) {
                    let block = (request.begin / BLOCK_LEN) as usize;
                    partial.drop_requests(peer, Some(block));
                }
                return;
            }
        }
    }

    /// The next block to request from `peer`, marked requested: a free block of a piece in
    /// progress (strict priority), else the first block of a new rarest piece, else (end
    /// game) a block requested elsewhere.
    fn next_block(&mut self, peer: PeerHandle) -> Option<BlockRequest> {
        let theirs = self.peers.get(&peer)?.session.peer_pieces().clone();
        for (&index, partial) in self.partials.iter_mut() {
            if partial.busy || !theirs.contains(index) {
                continue;
            }
            if partial.single_source && partial.source.is_some_and(|s| s != peer) {
                continue;
            }
            if let Some(i) = partial.blocks.iter().position(|b| *b == Block::Free) {
                if partial.single_source {
                    partial.source = Some(peer);
                }
                partial.blocks[i] = Block::Requested(vec![peer]);
                let (begin, length) = partial.block_range(i);
                return Some(BlockRequest {
                    index,
                    begin,
                    length,
                });
            }
        }
        if let Some(index) = self.picker.pick_piece(&theirs) {
            let len = self.shape.piece_len(index)?;
            let mut partial = Partial::new(len);
            partial.blocks[0] = Block::Requested(vec![peer]);
            let (begin, length) = partial.block_range(0);
            self.partials.insert(index, partial);
            // The block layer above (`partials`) downloads it from here on.
            self.picker.hold(index);
            return Some(BlockRequest {
                index,
                begin,
                length,
            });
        }
        // End game: every missing piece is in progress and none has a free block.
        if self.partials.values().any(Partial::has_free) {
            return None;
        }
        let limit = self.config.end_game_requesters;
        for (&index, partial) in self.partials.iter_mut() {
            if partial.busy || partial.single_source || !theirs.contains(index) {
                continue;
            }
            for i in 0..partial.blocks.len() {
                if let Block::Requested(peers) = &mut partial.blocks[i]
                    && !peers.contains(&peer)
                    && peers.len() < limit
                {
                    peers.push(peer);
                    let (begin, length) = partial.block_range(i);
                    return Some(BlockRequest {
                        index,
                        begin,
                        length,
                    });
                }
            }
        }
        None
    }

    /// A block arrived from `peer`: written if we still need it (other requesters get a
    /// cancel), dropped otherwise.
    pub(super) fn on_block(
        &mut self,
        now: Instant,
        peer: PeerHandle,
        request: BlockRequest,
        data: Vec<u8>,
    ) {
        let block = (request.begin / BLOCK_LEN) as usize;
        let room = self.disk_has_room();
        let Some(partial) = self.partials.get_mut(&request.index) else {
            return;
        };
        if partial.busy || partial.block_range(block) != (request.begin, request.length) {
            return;
        }
        let others = match &partial.blocks[block] {
            Block::Requested(peers) => peers.iter().copied().filter(|p| *p != peer).collect(),
            // A block we did not ask this peer for, or already have.
            _ => return,
        };
        if partial.single_source && partial.source.is_some_and(|s| s != peer) {
            partial.drop_requests(peer, Some(block));
            return;
        }
        if !room {
            // No room to write it: drop it and ask again later.
            partial.blocks[block] = Block::Free;
            return;
        }
        partial.blocks[block] = Block::Writing { from: peer };
        let others: Vec<PeerHandle> = others;
        for other in others {
            if let Some(slot) = self.peers.get_mut(&other) {
                slot.session.cancel(now, request);
            }
        }
        let slices = self
            .storage
            .map_block(request.index, request.begin, request.length);
        let job_slices = slices.clone();
        self.push_job(
            JobKind::Write {
                index: request.index,
                block,
                slices,
            },
            |id| DiskJob::Write {
                id,
                slices: job_slices,
                data,
            },
        );
    }
}
