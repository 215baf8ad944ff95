//! Requesting blocks through the picker (partial pieces first, then rarest first, then end
//! game) and taking them in.

use std::time::Instant;

use hark_wire::bt::peer::BlockRequest;

use super::DiskJob;
use super::engine::{JobKind, State, Torrent, key};
use super::event::PeerHandle;

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
        // Blocks arriving need room for their write jobs.
        if !self.disk_has_room() {
            return;
        }
        let Some(slot) = self.peers.get_mut(&peer) else {
            return;
        };
        let session = &mut slot.session;
        if session.is_closed() || !session.am_interested() {
            return;
        }
        let wanted = session.wanted_requests(now);
        if wanted == 0 {
            return;
        }
        let mut blocks: Vec<BlockRequest> = Vec::new();
        if session.peer_choking() {
            // Choked: only pieces the peer allowed fast (BEP 6).
            let allowed = session.allowed_fast_pieces();
            if allowed.is_empty() {
                return;
            }
            self.picker.pick(key(peer), &allowed, wanted, &mut blocks);
        } else {
            self.picker
                .pick(key(peer), session.peer_pieces(), wanted, &mut blocks);
        }
        for request in blocks {
            if session.request(now, request).is_err() {
                // This block stays free for others.
                self.picker.abort_request(key(peer), request);
            }
        }
    }

    /// A block arrived from `peer`: written if we still need it from this peer (other
    /// requesters get a cancel), dropped otherwise.
    pub(super) fn on_block(
        &mut self,
        now: Instant,
        peer: PeerHandle,
        request: BlockRequest,
        data: Vec<u8>,
    ) {
        let from = key(peer);
        if self.picker.is_held(request.index) || !self.picker.is_requested_from(from, request) {
            // Not asked of this peer (any more), or its piece is being checked.
            return;
        }
        if !self.disk_has_room_for_block() {
            // No room to write it: drop it and ask again later.
            self.picker.abort_request(from, request);
            return;
        }
        let received = self.picker.block_received(from, request);
        for other in received.cancel {
            if let Some(slot) = self.peers.get_mut(&super::engine::handle(other)) {
                slot.session.cancel(now, request);
            }
        }
        self.write_block(from, request, data);
    }

    /// Queues the write job of a received block.
    pub(super) fn write_block(
        &mut self,
        from: crate::bt::picker::PeerKey,
        request: BlockRequest,
        data: Vec<u8>,
    ) {
        let slices = self
            .storage
            .map_block(request.index, request.begin, request.length);
        let job_slices = slices.clone();
        self.push_job(
            JobKind::Write {
                from,
                request,
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
