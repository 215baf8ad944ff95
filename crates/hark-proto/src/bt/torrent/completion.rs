//! Disk completions: file events, verified pieces, the corrupt-peer policy's verdicts.

use std::net::SocketAddr;
use std::time::Instant;

use super::disk::{Completion, DiskError, DiskJob, DiskOperation, JobId};
use super::engine::handle;
use super::engine::{JobKind, State, Torrent};
use super::event::{Event, PeerHandle};
use crate::bt::picker::PeerKey;

/// Marks a failed block whose sender cannot be judged.
const NOBODY: PeerHandle = PeerHandle(usize::MAX);
const UNSPECIFIED: SocketAddr = SocketAddr::V4(std::net::SocketAddrV4::new(
    std::net::Ipv4Addr::UNSPECIFIED,
    0,
));

impl Torrent {
    /// The outcome of a job from [`Torrent::poll_disk_job`]. A completion whose kind does
    /// not fit its job, or for no job, is ignored.
    pub fn handle_disk(&mut self, now: Instant, completion: Completion) {
        let id = match &completion {
            Completion::Done(id)
            | Completion::Read(id, _)
            | Completion::Hashed(id, _)
            | Completion::BlockHashes(id, _)
            | Completion::Failed(id, _) => *id,
        };
        let Some(kind) = self.jobs.remove(&id) else {
            return;
        };
        if let Completion::Failed(_, error) = completion {
            self.job_failed(now, kind, error);
        } else {
            self.job_done(now, kind, completion);
        }
        if self.state == State::Running {
            self.write_queued();
        }
        self.retry_deferred(now);
        self.fill_requests(now);
    }

    fn job_failed(&mut self, now: Instant, kind: JobKind, mut error: DiskError) {
        if error.file.is_none() {
            error.file = match &kind {
                JobKind::Open(file) | JobKind::Close(file) => Some(*file),
                JobKind::Write { slices, .. } | JobKind::Read { slices, .. } => {
                    slices.first().map(|s| s.file)
                }
                _ => None,
            };
        }
        let operation = match &kind {
            JobKind::Open(_) => DiskOperation::Open,
            JobKind::Allocate => DiskOperation::Allocate,
            JobKind::Close(_) => DiskOperation::Close,
            JobKind::Write { .. } => DiskOperation::Write,
            JobKind::Read { .. } | JobKind::Hash(_) | JobKind::HashBlocks { .. } => {
                DiskOperation::Read
            }
        };
        if let JobKind::Close(file) = kind {
            // The file is closed either way; report the error without pausing again.
            self.open_files.remove(&file);
            self.events.push_back(Event::FileError { error, operation });
            return;
        }
        self.pause_on_error(now, error, operation);
    }

    fn job_done(&mut self, now: Instant, kind: JobKind, completion: Completion) {
        match (kind, completion) {
            (JobKind::Open(file), Completion::Done(_)) => {
                self.open_files.insert(file);
                self.events.push_back(Event::FileOpen { file });
                self.opened_one(now);
            }
            (JobKind::Allocate, Completion::Done(_)) => self.opened_one(now),
            (JobKind::Close(file), Completion::Done(_)) => {
                self.open_files.remove(&file);
                self.events.push_back(Event::FileClose { file });
            }
            (
                JobKind::Write {
                    from,
                    request,
                    slices,
                },
                Completion::Done(_),
            ) => {
                for s in &slices {
                    self.events.push_back(Event::FileWrite {
                        file: s.file,
                        offset: s.offset,
                        length: s.length,
                    });
                }
                self.block_written(from, request);
            }
            (
                JobKind::Read {
                    peer,
                    request,
                    slices,
                },
                Completion::Read(_, data),
            ) => {
                for s in &slices {
                    self.events.push_back(Event::FileRead {
                        file: s.file,
                        offset: s.offset,
                        length: s.length,
                    });
                }
                if let Some(slot) = self.peers.get_mut(&peer) {
                    // A request cancelled (or refused by a choke) since is dropped; a full
                    // send buffer keeps the block until the peer's output drains.
                    let blocked = self.send_blocked.contains_key(&peer)
                        || slot.session.serve(now, request, &data)
                            == Err(crate::bt::peer::ServeError::SendBufferFull);
                    if blocked {
                        self.send_blocked
                            .entry(peer)
                            .or_default()
                            .push_back((request, data));
                    }
                }
            }
            (JobKind::Hash(index), Completion::Hashed(_, digest)) => {
                self.piece_hashed(now, index, digest);
            }
            (
                JobKind::HashBlocks {
                    index,
                    failed,
                    senders,
                },
                Completion::BlockHashes(_, hashes),
            ) => self.blocks_hashed(now, index, failed, senders, hashes),
            // A completion of the wrong kind for its job: the driver is wrong; the job is
            // forgotten and its piece (if any) downloaded again.
            (JobKind::Write { request, .. }, _) => self.picker.piece_failed(request.index),
            (JobKind::Hash(index), _) => {
                self.picker.piece_failed(index);
                self.picker.release(index);
            }
            _ => {}
        }
    }

    fn opened_one(&mut self, now: Instant) {
        if let State::Opening(n) = self.state {
            self.state = if n <= 1 {
                State::Running
            } else {
                State::Opening(n - 1)
            };
            if self.state == State::Running {
                self.run_choker(now);
            }
        }
    }

    fn block_written(&mut self, from: PeerKey, request: hark_wire::bt::peer::BlockRequest) {
        let index = request.index;
        if self.picker.block_written(from, request) && !self.picker.is_held(index) {
            // Every block is stored: out of picking while it is hashed.
            self.picker.hold(index);
            let len = self.shape.piece_len(index).unwrap_or(0);
            let slices = self.storage.map_block(index, 0, len);
            self.push_job(JobKind::Hash(index), |id| DiskJob::HashPiece {
                id,
                index,
                slices,
            });
        }
    }

    fn addr_of(&self, peers: &[PeerKey]) -> Vec<(PeerHandle, SocketAddr)> {
        peers
            .iter()
            .filter_map(|p| self.peers.get(&handle(*p)).map(|s| (handle(*p), s.addr)))
            .collect()
    }

    fn piece_hashed(&mut self, now: Instant, index: u32, digest: [u8; 20]) {
        if !self.picker.is_held(index) {
            // Not a piece we are checking (a stale or duplicate job).
            return;
        }
        let contributors = self.picker.contributors(index);
        let senders = self.addr_of(&contributors);
        let peers: Vec<SocketAddr> = senders.iter().map(|(_, a)| *a).collect();
        let expected = self.hashes.get(index as usize).copied();
        if expected == Some(digest) {
            self.events
                .push_back(Event::PieceHashPassed { index, peers });
            if self.smart_ban.has_record(index) {
                // Hash the good blocks to judge the senders of the failed attempts.
                let blocks = self.block_slices(index);
                self.push_job(
                    JobKind::HashBlocks {
                        index,
                        failed: false,
                        senders: Vec::new(),
                    },
                    |id| DiskJob::HashBlocks { id, index, blocks },
                );
            }
            self.picker.piece_passed(index);
            let handles: Vec<PeerHandle> = self.peers.keys().copied().collect();
            for peer in handles {
                if let Some(slot) = self.peers.get_mut(&peer) {
                    slot.session.have(now, index);
                }
                self.update_interest(now, peer);
            }
            if self.is_finished() && !self.finished_reported {
                self.finished_reported = true;
                self.events.push_back(Event::Finished);
                self.run_choker(now);
            }
            return;
        }
        self.events
            .push_back(Event::PieceHashFailed { index, peers });
        if contributors.len() == 1 {
            // A lone contributor sent every block of a bad piece: it is corrupt.
            self.ban(now, handle(contributors[0]));
            self.picker.piece_failed(index);
            self.picker.release(index);
            return;
        }
        // Several contributors: hash their blocks, then download again from one peer.
        // Senders no longer connected (and web seeds) are not judged: their address is
        // unknown here, so their blocks are marked with the NOBODY handle and skipped.
        let per_block: Vec<(PeerHandle, SocketAddr)> = self
            .picker
            .senders(index)
            .into_iter()
            .map(|from| {
                from.map(handle)
                    .and_then(|h| self.peers.get(&h).map(|s| (h, s.addr)))
                    .unwrap_or((NOBODY, UNSPECIFIED))
            })
            .collect();
        let blocks = self.block_slices(index);
        self.push_job(
            JobKind::HashBlocks {
                index,
                failed: true,
                senders: per_block,
            },
            |id| DiskJob::HashBlocks { id, index, blocks },
        );
    }

    fn blocks_hashed(
        &mut self,
        now: Instant,
        index: u32,
        failed: bool,
        senders: Vec<(PeerHandle, SocketAddr)>,
        hashes: Vec<[u8; 20]>,
    ) {
        if failed {
            self.smart_ban.record(
                index,
                senders
                    .into_iter()
                    .zip(hashes)
                    .enumerate()
                    .filter(|(_, ((p, _), _))| *p != NOBODY)
                    .map(|(i, ((p, a), h))| (i, p, a, h)),
            );
            // Downloaded again from a single peer, whose result then judges it alone.
            self.picker.piece_failed(index);
            self.picker.set_single_source(index);
            self.picker.release(index);
            return;
        }
        for addr in self.smart_ban.judge(index, &hashes) {
            let handle = self
                .peers
                .iter()
                .find(|(_, s)| s.addr == addr)
                .map(|(h, _)| *h);
            match handle {
                Some(h) => self.ban(now, h),
                None => {
                    if self.banned.insert(addr.ip()) {
                        self.events.push_back(Event::PeerBan { addr });
                    }
                }
            }
        }
    }

    fn block_slices(&self, index: u32) -> Vec<Vec<super::FileSlice>> {
        let len = self.shape.piece_len(index).unwrap_or(0);
        (0..len.div_ceil(crate::bt::peer::BLOCK_LEN))
            .map(|i| {
                let begin = i * crate::bt::peer::BLOCK_LEN;
                let length = (len - begin).min(crate::bt::peer::BLOCK_LEN);
                self.storage.map_block(index, begin, length)
            })
            .collect()
    }

    /// Bans `peer`'s address (`peer_ban`) and ends its session.
    pub(super) fn ban(&mut self, now: Instant, peer: PeerHandle) {
        let Some(slot) = self.peers.get_mut(&peer) else {
            return;
        };
        let addr = slot.addr;
        if self.banned.insert(addr.ip()) {
            self.events.push_back(Event::PeerBan { addr });
        }
        slot.session.close();
        self.drain_peer(now, peer);
    }

    /// Jobs are numbered in order; exposed for drivers that log them.
    pub fn last_job(&self) -> Option<JobId> {
        self.next_job.checked_sub(1).map(JobId)
    }
}
