//! Requesting blocks through the picker (partial pieces first, then rarest first, then end
//! game) and taking them in.

use std::time::Instant;

use hark_wire::bt::peer::BlockRequest;

use super::DiskJob;
use super::engine::{JobKind, State, Torrent, key};
use super::event::PeerHandle;

impl Torrent {
    /// Gives every peer that unchokes us as many requests as its queue wants, within the
    /// room for the blocks they bring.
    pub(super) fn fill_requests(&mut self, now: Instant) {
        if self.state != State::Running || self.is_finished() {
            return;
        }
        let mut room = self.request_room();
        let handles: Vec<PeerHandle> = self.peers.keys().copied().collect();
        for peer in handles {
            if room == 0 {
                return;
            }
            room -= self.fill_peer(now, peer, room);
        }
    }

    /// Blocks that may still be requested: every requested block must find room when it
    /// arrives (a disk job, or `max_queued_write_bytes` of held blocks), so none is
    /// dropped and downloaded twice, however many peers deliver at once.
    fn request_room(&self) -> usize {
        let budget = self.config.max_disk_jobs
            + self.config.max_queued_write_bytes / crate::bt::peer::BLOCK_LEN as usize;
        let in_flight: usize = self
            .peers
            .values()
            .map(|slot| slot.session.requests_in_flight())
            .sum();
        budget.saturating_sub(self.jobs.len() + self.queued_writes.len() + in_flight)
    }

    /// Requests up to `room` blocks of `peer`; returns how many.
    fn fill_peer(&mut self, now: Instant, peer: PeerHandle, room: usize) -> usize {
        // Blocks arriving need room for their write jobs.
        if !self.disk_has_room() {
            return 0;
        }
        let Some(slot) = self.peers.get_mut(&peer) else {
            return 0;
        };
        let session = &mut slot.session;
        if session.is_closed() || !session.am_interested() {
            return 0;
        }
        let wanted = session.wanted_requests(now).min(room);
        if wanted == 0 {
            return 0;
        }
        let mut blocks: Vec<BlockRequest> = Vec::new();
        if session.peer_choking() {
            // Choked: only pieces the peer allowed fast (BEP 6).
            let allowed = session.allowed_fast_pieces();
            if allowed.is_empty() {
                return 0;
            }
            self.picker.pick(key(peer), &allowed, wanted, &mut blocks);
        } else {
            self.picker
                .pick(key(peer), session.peer_pieces(), wanted, &mut blocks);
        }
        let asked = blocks.len();
        for request in blocks {
            if session.request(now, request).is_err() {
                // This block stays free for others.
                self.picker.abort_request(key(peer), request);
            }
        }
        asked
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
        let queue = !self.disk_has_room();
        if queue && self.queued_write_bytes + data.len() > self.config.max_queued_write_bytes {
            // No room to write or hold it: drop it and ask again later.
            self.picker.abort_request(from, request);
            return;
        }
        let received = self.picker.block_received(from, request);
        for other in received.cancel {
            if let Some(slot) = self.peers.get_mut(&super::engine::handle(other)) {
                slot.session.cancel(now, request);
            }
        }
        if queue {
            self.queued_write_bytes += data.len();
            self.queued_writes.push_back((from, request, data));
        } else {
            self.write_block(from, request, data);
        }
    }

    /// Queues the write jobs of held blocks while the disk queue has room.
    pub(super) fn write_queued(&mut self) {
        while self.disk_has_room() {
            let Some((from, request, data)) = self.queued_writes.pop_front() else {
                return;
            };
            self.queued_write_bytes -= data.len();
            self.write_block(from, request, data);
        }
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
