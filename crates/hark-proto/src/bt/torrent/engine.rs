//! The torrent: peers, pieces, disk jobs and events.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use hark_wire::bt::metainfo::Info;
use hark_wire::bt::peer::BlockRequest;
use rand_core::Rng;

use super::ban::SmartBan;
use super::config::TorrentConfig;
use super::disk::{DiskError, DiskJob, JobId};
use super::event::{Event, PeerHandle};
use super::storage::{FileSlice, Storage};
use super::{AddPeerError, TorrentError};
use crate::bt::peer::{self, BLOCK_LEN, PeerSession, PieceSet, TorrentShape, copy_into};
use crate::bt::picker::{PeerKey, PiecePicker};

/// The picker's name for a peer (or web seed) handle. [`Torrent::add_peer`] hands out no
/// handle past `u32::MAX`, so the mapping is one to one.
pub(super) fn key(peer: PeerHandle) -> PeerKey {
    PeerKey(peer.0 as u32)
}

/// The handle of a picker key.
pub(super) fn handle(key: PeerKey) -> PeerHandle {
    PeerHandle(key.0 as usize)
}

/// What a running disk job is for.
#[derive(Debug, Clone)]
pub(super) enum JobKind {
    Open(usize),
    Allocate,
    Close(usize),
    Write {
        /// The block's sender, as the picker knows it.
        from: PeerKey,
        request: BlockRequest,
        slices: Vec<FileSlice>,
    },
    Read {
        peer: PeerHandle,
        request: BlockRequest,
        slices: Vec<FileSlice>,
    },
    Hash(u32),
    /// Hashes of a failed attempt's blocks (`failed`), or of the good data (`!failed`).
    HashBlocks {
        index: u32,
        failed: bool,
        senders: Vec<(PeerHandle, SocketAddr)>,
    },
}

pub(super) struct PeerSlot {
    pub session: PeerSession,
    pub addr: SocketAddr,
    /// Its pieces are counted in the picker.
    pub counted: bool,
}

/// Whether the torrent runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum State {
    /// Opening its files; no peer traffic beyond handshakes yet.
    Opening(usize),
    Running,
    Paused,
}

/// One torrent, sans-IO: many peer sessions, the picker, the choker, the corrupt-peer
/// policy, and disk work as jobs. See the [module docs](super) for the call order.
pub struct Torrent {
    pub(super) config: TorrentConfig,
    pub(super) info_hash: [u8; 20],
    pub(super) hashes: Vec<[u8; 20]>,
    pub(super) shape: TorrentShape,
    pub(super) storage: Storage,
    pub(super) paths: Vec<std::path::PathBuf>,
    pub(super) picker: PiecePicker,
    pub(super) rng: Box<dyn Rng + Send>,
    pub(super) peers: BTreeMap<PeerHandle, PeerSlot>,
    pub(super) next_peer: usize,
    pub(super) banned: BTreeSet<IpAddr>,
    pub(super) smart_ban: SmartBan,
    pub(super) jobs: HashMap<JobId, JobKind>,
    pub(super) job_queue: VecDeque<DiskJob>,
    pub(super) next_job: u64,
    /// Peer requests waiting for room in the disk queue.
    pub(super) deferred_reads: VecDeque<(PeerHandle, BlockRequest)>,
    /// Received blocks waiting for room in the disk queue (at most
    /// `max_queued_write_bytes` of data, counted in `queued_write_bytes`).
    pub(super) queued_writes: VecDeque<(PeerKey, BlockRequest, Vec<u8>)>,
    /// Bytes of data in `queued_writes`.
    pub(super) queued_write_bytes: usize,
    /// Blocks read for a peer whose send buffer was full; sent as it drains. At most
    /// `max_disk_jobs` in all, since no read starts for a peer with blocks waiting here.
    pub(super) send_blocked: BTreeMap<PeerHandle, VecDeque<(BlockRequest, Vec<u8>)>>,
    pub(super) events: VecDeque<Event>,
    pub(super) state: State,
    pub(super) finished_reported: bool,
    pub(super) next_choke: Instant,
    pub(super) next_optimistic: Instant,
    pub(super) optimistic: Option<PeerHandle>,
    pub(super) open_files: BTreeSet<usize>,
    pub(super) file_names: super::FileNames,
    /// Web seeds: the seed, the handle its blocks are attributed to, the piece it fetches.
    pub(super) web_seeds: Vec<(super::WebSeed, PeerHandle, Option<u32>)>,
}

impl Torrent {
    /// A torrent for `info`, of which the pieces in `have` are on disk and verified. The
    /// files' open (and, for a fresh download, allocate) jobs are queued at once.
    pub fn new(
        now: Instant,
        config: TorrentConfig,
        info: &Info,
        have: PieceSet,
        mut rng: Box<dyn Rng + Send>,
    ) -> Result<Self, TorrentError> {
        let shape = TorrentShape::new(info.total_length(), info.piece_length)?;
        if have.capacity() != shape.piece_count() || info.pieces.len() != have.capacity() as usize {
            return Err(TorrentError::PieceCount {
                pieces: have.capacity(),
                torrent: shape.piece_count(),
            });
        }
        let mut picker = PiecePicker::new(shape, BLOCK_LEN, rng.as_mut());
        picker.set_end_game_requesters(config.end_game_requesters);
        for index in 0..shape.piece_count() {
            if have.contains(index) {
                picker.piece_passed(index);
            }
        }
        let storage = Storage::from_info(info);
        let paths = info.files.iter().map(|f| info.file_path(f)).collect();
        let mut torrent = Self {
            info_hash: info.info_hash.0,
            hashes: info.pieces.clone(),
            shape,
            storage,
            paths,
            picker,
            rng,
            peers: BTreeMap::new(),
            next_peer: 0,
            banned: BTreeSet::new(),
            smart_ban: SmartBan::default(),
            jobs: HashMap::new(),
            job_queue: VecDeque::new(),
            next_job: 0,
            deferred_reads: VecDeque::new(),
            queued_writes: VecDeque::new(),
            queued_write_bytes: 0,
            send_blocked: BTreeMap::new(),
            events: VecDeque::new(),
            state: State::Opening(0),
            finished_reported: have.is_full(),
            next_choke: now,
            next_optimistic: now,
            optimistic: None,
            open_files: BTreeSet::new(),
            file_names: super::FileNames {
                name: info.name.clone(),
                paths: info.files.iter().map(|f| f.path.clone()).collect(),
                single_file: info.single_file,
            },
            web_seeds: Vec::new(),
            config,
        };
        let fresh = have.is_empty();
        let mut opening = 0;
        for file in 0..torrent.storage.file_count() {
            if torrent.storage.file_len(file) == 0 && !fresh {
                continue;
            }
            let path = torrent.paths[file].clone();
            torrent.push_job(JobKind::Open(file), |id| DiskJob::Open { id, file, path });
            opening += 1;
            if fresh {
                let length = torrent.storage.file_len(file);
                torrent.push_job(JobKind::Allocate, |id| DiskJob::Allocate {
                    id,
                    file,
                    length,
                });
                opening += 1;
            }
        }
        torrent.state = if opening == 0 {
            State::Running
        } else {
            State::Opening(opening)
        };
        Ok(torrent)
    }

    // ---- peers -------------------------------------------------------------------------

    /// Starts a session with the peer at `addr` (connected either way); its handshake is
    /// queued. Banned addresses and a full torrent are refused.
    pub fn add_peer(&mut self, now: Instant, addr: SocketAddr) -> Result<PeerHandle, AddPeerError> {
        if self.state == State::Paused {
            return Err(AddPeerError::Paused);
        }
        if self.banned.contains(&addr.ip()) {
            return Err(AddPeerError::Banned);
        }
        // Handles double as the picker's 32-bit peer keys: they are never reused.
        if self.peers.len() >= self.config.max_peers || self.next_peer > u32::MAX as usize {
            return Err(AddPeerError::TooManyPeers);
        }
        let mut session_config = self.config.session.clone();
        // The peer's address: our extended handshake's `yourip` and the key of its BEP 6
        // allowed-fast set.
        session_config.peer_ip = Some(addr.ip());
        let session = PeerSession::new(
            now,
            session_config,
            self.shape,
            self.info_hash,
            self.picker.have().clone(),
        )
        .map_err(AddPeerError::Session)?;
        let handle = PeerHandle(self.next_peer);
        self.next_peer += 1;
        self.peers.insert(
            handle,
            PeerSlot {
                session,
                addr,
                counted: false,
            },
        );
        Ok(handle)
    }

    /// Bytes from `peer`'s transport.
    pub fn handle_peer_bytes(&mut self, now: Instant, peer: PeerHandle, bytes: &[u8]) {
        if let Some(slot) = self.peers.get_mut(&peer) {
            slot.session.handle_bytes(now, bytes);
            self.drain_peer(now, peer);
            self.fill_requests(now);
        }
    }

    /// `peer`'s transport closed (or failed): its session ends with `error`.
    pub fn remove_peer(&mut self, now: Instant, peer: PeerHandle) {
        if let Some(slot) = self.peers.get_mut(&peer) {
            slot.session.close();
            self.drain_peer(now, peer);
            self.fill_requests(now);
        }
    }

    /// Copies bytes to send to `peer` into `buf` (its session's
    /// [`PeerSession::poll_transmit`]); 0 when there is nothing (or no such peer).
    #[must_use]
    pub fn poll_peer_transmit(&mut self, now: Instant, peer: PeerHandle, buf: &mut [u8]) -> usize {
        self.poll_peer_transmit_with(now, peer, copy_into(buf))
    }

    /// Like [`Torrent::poll_peer_transmit`], handing the peer's queued bytes to `write`
    /// in place ([`PeerSession::poll_transmit_with`]); returns how many it took.
    pub fn poll_peer_transmit_with(
        &mut self,
        now: Instant,
        peer: PeerHandle,
        write: impl FnMut(&[u8]) -> usize,
    ) -> usize {
        let Some(slot) = self.peers.get_mut(&peer) else {
            return 0;
        };
        let n = slot.session.poll_transmit_with(now, write);
        if n > 0 {
            // Room in the send buffer: send blocks and serve requests that waited for it.
            self.flush_blocked(now, peer);
            self.retry_deferred(now);
        }
        n
    }

    /// The connected peers.
    pub fn peers(&self) -> impl Iterator<Item = PeerHandle> + '_ {
        self.peers.keys().copied()
    }

    /// One peer's session, to read its state.
    pub fn peer(&self, peer: PeerHandle) -> Option<&PeerSession> {
        self.peers.get(&peer).map(|s| &s.session)
    }

    /// Whether `ip` is banned.
    pub fn is_banned(&self, ip: IpAddr) -> bool {
        self.banned.contains(&ip)
    }

    // ---- time and output -----------------------------------------------------------------

    /// Runs the timers that are due: every session's, the choker's. Spurious calls do
    /// nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        let due: Vec<PeerHandle> = self
            .peers
            .iter()
            .filter(|(_, s)| s.session.poll_timeout().is_some_and(|t| t <= now))
            .map(|(h, _)| *h)
            .collect();
        for peer in due {
            if let Some(slot) = self.peers.get_mut(&peer) {
                slot.session.handle_timeout(now);
                self.drain_peer(now, peer);
            }
        }
        if self.state == State::Running && now >= self.next_choke {
            self.run_choker(now);
        }
        // A web seed whose rest is over is ready (`poll_web_request`), not a timer.
        for (seed, _, _) in &mut self.web_seeds {
            seed.wake(now);
        }
        self.fill_requests(now);
    }

    /// The next time [`Torrent::handle_timeout`] has work.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let sessions = self.peers.values().filter_map(|s| s.session.poll_timeout());
        let choker = (self.state == State::Running).then_some(self.next_choke);
        let seeds = self.web_seeds.iter().filter_map(|(s, _, _)| s.retry_at());
        sessions.chain(choker).chain(seeds).min()
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The next disk job to run. Each must be answered with [`Torrent::handle_disk`].
    #[must_use]
    pub fn poll_disk_job(&mut self) -> Option<DiskJob> {
        self.job_queue.pop_front()
    }

    /// The pieces we have.
    pub fn have(&self) -> &PieceSet {
        self.picker.have()
    }

    /// Whether every piece is ours.
    pub fn is_finished(&self) -> bool {
        self.picker.have().is_full()
    }

    /// Whether a fatal disk error paused the torrent.
    pub fn is_paused(&self) -> bool {
        self.state == State::Paused
    }

    /// Disk jobs queued or running.
    pub fn disk_jobs_in_flight(&self) -> usize {
        self.jobs.len()
    }

    // ---- internals -----------------------------------------------------------------------

    pub(super) fn push_job(&mut self, kind: JobKind, make: impl FnOnce(JobId) -> DiskJob) -> JobId {
        let id = JobId(self.next_job);
        self.next_job += 1;
        self.jobs.insert(id, kind);
        self.job_queue.push_back(make(id));
        id
    }

    pub(super) fn disk_has_room(&self) -> bool {
        self.jobs.len() < self.config.max_disk_jobs
    }

    /// Handles every event `peer`'s session has queued.
    pub(super) fn drain_peer(&mut self, now: Instant, peer: PeerHandle) {
        loop {
            let Some(slot) = self.peers.get_mut(&peer) else {
                return;
            };
            let Some(event) = slot.session.poll_event() else {
                return;
            };
            let addr = slot.addr;
            match event {
                peer::Event::PeerId(peer_id) => self.events.push_back(Event::PeerId {
                    peer,
                    addr,
                    peer_id,
                }),
                peer::Event::PeerPieces => {
                    slot.counted = true;
                    let pieces = slot.session.peer_pieces().clone();
                    self.picker.add_peer(&pieces);
                    self.update_interest(now, peer);
                }
                peer::Event::Have(index) => {
                    if slot.counted {
                        self.picker.peer_has(index);
                    } else {
                        slot.counted = true;
                        let pieces = slot.session.peer_pieces().clone();
                        self.picker.add_peer(&pieces);
                    }
                    self.update_interest(now, peer);
                }
                peer::Event::Interested => {
                    let unchoked = self
                        .peers
                        .values()
                        .filter(|s| !s.session.am_choking())
                        .count();
                    if self.state == State::Running && unchoked < self.config.upload_slots + 1 {
                        if let Some(slot) = self.peers.get_mut(&peer) {
                            slot.session.unchoke(now);
                        }
                    }
                }
                peer::Event::BlockRequested(request) => self.serve_request(now, peer, request),
                peer::Event::InvalidRequest { request, reason } => {
                    self.events.push_back(Event::InvalidRequest {
                        peer,
                        addr,
                        request,
                        reason,
                    });
                }
                peer::Event::Block { request, data } => self.on_block(now, peer, request, data),
                peer::Event::Rejected(request) | peer::Event::RequestTimedOut(request) => {
                    self.picker.abort_request(key(peer), request);
                }
                peer::Event::Closed(error) => {
                    self.send_blocked.remove(&peer);
                    let slot = self.peers.remove(&peer);
                    if let Some(slot) = slot {
                        if slot.counted {
                            self.picker.remove_peer(slot.session.peer_pieces());
                        }
                        // Its requests are free again; a single-source piece it was sending
                        // starts over with another peer (late writes of the old attempt
                        // are ignored).
                        self.picker.drop_peer(key(peer));
                        if self.optimistic == Some(peer) {
                            self.optimistic = None;
                        }
                        self.events.push_back(Event::PeerClosed {
                            peer,
                            addr,
                            peer_id: slot.session.peer_id(),
                            error,
                        });
                    }
                    return;
                }
                _ => {}
            }
        }
    }

    /// Tells `peer` whether it has a piece we lack.
    pub(super) fn update_interest(&mut self, now: Instant, peer: PeerHandle) {
        let Some(slot) = self.peers.get_mut(&peer) else {
            return;
        };
        let ours = self.picker.have().as_wire();
        let wanted = slot
            .session
            .peer_pieces()
            .as_wire()
            .iter()
            .zip(ours)
            .any(|(t, o)| t & !o != 0);
        if wanted != slot.session.am_interested() {
            slot.session.set_interested(now, wanted);
        }
    }

    /// Answers a peer's request with a read job (or defers it while the disk queue is full).
    fn serve_request(&mut self, now: Instant, peer: PeerHandle, request: BlockRequest) {
        let _ = now;
        if matches!(self.state, State::Opening(_))
            || !self.disk_has_room()
            || self.send_blocked.contains_key(&peer)
        {
            if self.deferred_reads.len() < self.config.max_disk_jobs * 4 {
                self.deferred_reads.push_back((peer, request));
            }
            return;
        }
        let slices = self
            .storage
            .map_block(request.index, request.begin, request.length);
        if slices.is_empty() {
            return;
        }
        let job_slices = slices.clone();
        self.push_job(
            JobKind::Read {
                peer,
                request,
                slices,
            },
            |id| DiskJob::Read {
                id,
                slices: job_slices,
            },
        );
    }

    pub(super) fn retry_deferred(&mut self, now: Instant) {
        for _ in 0..self.deferred_reads.len() {
            if self.state != State::Running || !self.disk_has_room() {
                return;
            }
            let Some((peer, request)) = self.deferred_reads.pop_front() else {
                return;
            };
            if self.send_blocked.contains_key(&peer) {
                // Its peer's send buffer is still full: it keeps waiting (what
                // `serve_request` would do), without a search of the peer's requests.
                self.deferred_reads.push_back((peer, request));
                continue;
            }
            let pending = self
                .peers
                .get(&peer)
                .is_some_and(|s| s.session.incoming_requests().any(|r| r == request));
            if pending {
                self.serve_request(now, peer, request);
            }
        }
    }

    /// Sends blocks that waited for room in `peer`'s send buffer.
    pub(super) fn flush_blocked(&mut self, now: Instant, peer: PeerHandle) {
        let Some(queue) = self.send_blocked.get_mut(&peer) else {
            return;
        };
        while let Some((request, data)) = queue.pop_front() {
            let Some(slot) = self.peers.get_mut(&peer) else {
                break;
            };
            if slot.session.serve(now, request, &data) == Err(peer::ServeError::SendBufferFull) {
                queue.push_front((request, data));
                return;
            }
        }
        self.send_blocked.remove(&peer);
    }

    /// Ends the torrent's activity after a fatal disk error: `file_error`, every peer
    /// closed, open files closed, `Paused`.
    pub(super) fn pause_on_error(
        &mut self,
        now: Instant,
        error: DiskError,
        operation: super::DiskOperation,
    ) {
        self.events.push_back(Event::FileError { error, operation });
        if self.state == State::Paused {
            return;
        }
        self.state = State::Paused;
        let handles: Vec<PeerHandle> = self.peers.keys().copied().collect();
        for peer in handles {
            if let Some(slot) = self.peers.get_mut(&peer) {
                slot.session.close();
            }
            self.drain_peer(now, peer);
        }
        self.deferred_reads.clear();
        self.queued_writes.clear();
        self.queued_write_bytes = 0;
        self.send_blocked.clear();
        let files: Vec<usize> = self.open_files.iter().copied().collect();
        for file in files {
            self.push_job(JobKind::Close(file), |id| DiskJob::Close { id, file });
        }
        self.events.push_back(Event::Paused);
    }
}
