//! The client's engine on the reactor thread: the torrents (each a sans-IO
//! [`Torrent`]), their links, and the glue between them, the disk and the hub.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use hark_proto::bt::peer::{PeerError as SessionError, PieceSet, SessionConfig};
use hark_proto::bt::torrent::{
    Completion, Event as TorrentEvent, PeerHandle, Torrent, TorrentConfig,
};
use hark_reactor::tcp::TcpConn;
use hark_wire::bt::metainfo::{InfoHash, Metainfo};
use rand_core::SeedableRng;

use super::disk_port::{DiskPort, Verified};
use super::links::{CHUNK, Link, LinkId, LinkState};
use super::shared::{Note, Shared, Wiring, lock};
use super::status::{ClientStatus, TorrentState, TorrentStatus};
use super::types::{AddTorrent, RemoveData, TorrentId, Transports};
use crate::bittorrent::disk::TorrentKey;
use crate::bittorrent::http::HttpConfig;
use crate::bittorrent::tracker::TrackerDriver;
use crate::bittorrent::webseed::WebSeedDriver;
use crate::events::tracker_event_kind;
use crate::events::{
    ConnectionId, Direction, DisconnectReason, KindId, PeerHandshakeComplete, PieceProgress,
    Protocol, TorrentAdded, TorrentPaused, TorrentResumed, torrent_event_kind,
};
use crate::events::{FileError, FileOperation};
use hark_proto::bt::announce::{Announcer, AnnouncerConfig, Stats, TorrentParams, TrackerEvent};
use hark_proto::bt::torrent::DiskError;

/// How often the status snapshot is refreshed while events flow.
const STATUS_EVERY: Duration = Duration::from_millis(50);

/// First delay before connecting again to a peer whose connection ended.
const RETRY_BASE: Duration = Duration::from_secs(2);
/// Longest delay between two attempts.
const RETRY_MAX: Duration = Duration::from_secs(60);
/// Attempts in a row before a peer is given up.
const MAX_RETRIES: u32 = 8;

/// Disk jobs a torrent keeps queued or running (the engine's default is 64): with the
/// held blocks (`queued_write_bytes`), room for a fast peer's full request pipeline (250
/// requests of 16 KiB). At most 2 MiB of blocks per torrent are in these jobs.
const MAX_DISK_JOBS: usize = 128;

/// Most rounds of settling per entry (each round handles what the previous one caused).
const SETTLE_ROUNDS: usize = 64;

/// One torrent of the client.
pub(crate) struct Entry {
    pub torrent: Torrent,
    pub metainfo: Metainfo,
    pub save_dir: PathBuf,
    /// Each file's path under the save directory, by index (for events).
    pub paths: Vec<PathBuf>,
    pub user_paused: bool,
    pub peers: HashMap<PeerHandle, LinkId>,
    /// Addresses to connect to (and to reconnect on resume).
    pub known: BTreeSet<SocketAddr>,
    pub received: u64,
    pub sent: u64,
    /// The web seeds' HTTP side, when the torrent lists any (`url-list`).
    pub web_seeds: Option<WebSeedDriver>,
    /// Known peers to connect to again: when, and how many attempts failed in a row.
    pub retry: BTreeMap<SocketAddr, (Instant, u32)>,
    pub config: TorrentConfig,
    pub seed: u64,
    /// A resume file is wanted once the disk jobs in flight have drained (paused, or
    /// the client shutting down).
    pub resume_due: bool,
}

impl Entry {
    /// Whether the torrent talks to peers.
    pub fn is_running(&self) -> bool {
        !self.user_paused && !self.torrent.is_paused()
    }

    fn info_hash(&self) -> InfoHash {
        self.metainfo.info.info_hash
    }
}

/// Settings the engine keeps from the builder.
pub(crate) struct EngineSettings {
    pub peer_id: [u8; 20],
    pub transports: Transports,
    pub listen_port: Option<u16>,
    pub own: Vec<SocketAddr>,
    pub seed: u64,
    pub max_peers: usize,
    /// How long `stopped` announces (and, on shutdown, resume files) may take.
    pub stop_timeout: Duration,
    /// The uTP contexts' `utp_*` events reach the client's callbacks.
    pub utp_events: bool,
    /// Bytes of received blocks a torrent holds while its disk queue is full.
    pub max_queued_write_bytes: usize,
}

/// Everything the reactor thread owns about the client.
pub(crate) struct Engine {
    pub torrents: BTreeMap<TorrentId, Entry>,
    pub by_hash: HashMap<[u8; 20], TorrentId>,
    pub links: HashMap<LinkId, Link>,
    pub utp_links: HashMap<(usize, crate::utp::UtpSocket), LinkId>,
    pub next_link: LinkId,
    pub buf: Vec<u8>,
    pub wiring: Arc<Wiring>,
    pub shared: Weak<Shared>,
    pub transports: Transports,
    pub retry_wake: Vec<LinkId>,
    pub retry_close: Vec<LinkId>,
    /// Torrents whose jobs, events or output may be pending.
    pub touched: BTreeSet<TorrentId>,
    pub wants_data_in: bool,
    pub wants_data_out: bool,
    pub wants_packets_in: bool,
    pub wants_packets_out: bool,
    pub disk: DiskPort,
    /// Torrents being added whose data is being re-checked.
    pub checking: BTreeMap<TorrentId, AddTorrent>,
    /// Every torrent's tracker announces (HTTP, and UDP on the client's sockets).
    pub tracker: TrackerDriver,
    /// Announcers saying `stopped`, with the time they are abandoned at.
    pub stopping: HashMap<InfoHash, Instant>,
    /// A shutdown waiting for the stopped announces and resume files.
    pub closing: Option<std::sync::mpsc::SyncSender<()>>,
    /// The forwarders of `utp_*` events to the client's hub, when asked for.
    utp_events: Option<super::utp_events::UtpForwarders>,
    pub(super) settings: EngineSettings,
    last_status: Option<Instant>,
    pub(super) status_forced: bool,
    /// Changes since the last refresh wait for the status timer.
    status_stale: bool,
}

impl Engine {
    pub fn new(
        wiring: Arc<Wiring>,
        shared: Weak<Shared>,
        settings: EngineSettings,
        disk: DiskPort,
    ) -> Self {
        let mut tracker = TrackerDriver::new(wiring.reactor.clone(), HttpConfig::default());
        tracker.set_wake(wiring.http_wake());
        Engine {
            torrents: BTreeMap::new(),
            by_hash: HashMap::new(),
            links: HashMap::new(),
            utp_links: HashMap::new(),
            next_link: 1,
            buf: vec![0; CHUNK],
            wiring,
            shared,
            transports: settings.transports,
            retry_wake: Vec::new(),
            retry_close: Vec::new(),
            touched: BTreeSet::new(),
            wants_data_in: false,
            wants_data_out: false,
            wants_packets_in: false,
            wants_packets_out: false,
            disk,
            checking: BTreeMap::new(),
            tracker,
            stopping: HashMap::new(),
            closing: None,
            utp_events: settings
                .utp_events
                .then(super::utp_events::UtpForwarders::new),
            settings,
            last_status: None,
            status_forced: true,
            status_stale: false,
        }
    }

    /// Whether `addr` is one of our own listening addresses (never dial ourselves).
    pub fn is_own_address(&self, addr: SocketAddr) -> bool {
        self.settings.own.contains(&addr)
    }

    /// The IP filter's decision about `addr` (listeners of `ip_filter` may veto a block).
    pub fn admit(&self, addr: SocketAddr, protocol: Protocol, direction: Direction) -> bool {
        let mut hub = lock(&self.wiring.hub);
        hub.admit(addr, protocol, direction, None) == crate::events::Admission::Allow
    }

    // ---- torrents ------------------------------------------------------------------------

    /// Adds a torrent (its id and info hash were checked by the caller): registers its
    /// files with the disk, which finds the verified pieces (resume file or re-check).
    pub fn add_torrent(&mut self, now: Instant, id: TorrentId, add: AddTorrent) {
        let info = &add.metainfo.info;
        self.wiring.emit(
            TorrentAdded {
                torrent: info.info_hash,
                name: info.name.clone(),
            },
            None,
        );
        self.status_forced = true;
        match self.disk.add_torrent(id, &add.save_dir, info) {
            Ok(Verified::Resumed(have)) => self.start_torrent(now, id, add, have),
            Ok(Verified::Checking) => {
                self.checking.insert(id, add);
            }
            Err(error) => {
                tracing::warn!(%error, "torrent's files refused");
                self.wiring.emit(
                    FileError {
                        torrent: info.info_hash,
                        file: add.save_dir.clone(),
                        operation: FileOperation::Open,
                        error: std::io::ErrorKind::InvalidInput,
                    },
                    None,
                );
            }
        }
    }

    /// A re-check of a torrent being added ended: it starts with the pieces that passed.
    pub fn disk_checked(
        &mut self,
        now: Instant,
        key: TorrentKey,
        result: Result<PieceSet, DiskError>,
    ) {
        let Some(id) = self.disk.id_of(key) else {
            return;
        };
        let Some(add) = self.checking.remove(&id) else {
            return;
        };
        let info = &add.metainfo.info;
        let have = match result {
            Ok(have) => have,
            Err(error) => {
                let file = error
                    .file
                    .and_then(|f| info.files.get(f))
                    .map(|f| add.save_dir.join(info.file_path(f)))
                    .unwrap_or_else(|| add.save_dir.clone());
                self.wiring.emit(
                    FileError {
                        torrent: info.info_hash,
                        file,
                        operation: FileOperation::Read,
                        error: error.kind,
                    },
                    None,
                );
                PieceSet::empty(info.pieces.len() as u32)
            }
        };
        self.start_torrent(now, id, add, have);
    }

    /// A disk job of the torrent behind `key` finished.
    pub fn disk_completed(&mut self, now: Instant, key: TorrentKey, completion: Completion) {
        if let Some(id) = self.disk.id_of(key) {
            self.disk_done(now, id, completion);
        }
    }

    /// Creates the engine of a torrent whose verified pieces are known.
    fn start_torrent(&mut self, now: Instant, id: TorrentId, add: AddTorrent, have: PieceSet) {
        let AddTorrent {
            metainfo,
            save_dir,
            peers,
            paused,
        } = add;
        let info = &metainfo.info;
        let mut session = SessionConfig::new(self.settings.peer_id);
        session.listen_port = self.settings.listen_port;
        let mut config = TorrentConfig::new(session);
        config.max_peers = self.settings.max_peers;
        config.max_disk_jobs = MAX_DISK_JOBS;
        config.max_queued_write_bytes = self.settings.max_queued_write_bytes;
        let seed = self.settings.seed ^ id.0.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let rng = Box::new(rand_pcg::Pcg32::seed_from_u64(seed));
        let torrent = match Torrent::new(now, config.clone(), info, have, rng) {
            Ok(torrent) => torrent,
            Err(error) => {
                tracing::warn!(%error, "torrent refused by the engine");
                return;
            }
        };
        let mut torrent = torrent;
        let web_seeds = (!metainfo.url_list.is_empty()).then(|| {
            for url in &metainfo.url_list {
                torrent.add_web_seed(url.clone());
            }
            let mut driver = WebSeedDriver::new(self.wiring.reactor.clone(), HttpConfig::default());
            driver.set_wake(self.wiring.http_wake());
            driver
        });
        let paths = info
            .files
            .iter()
            .map(|f| save_dir.join(info.file_path(f)))
            .collect();
        self.by_hash.insert(info.info_hash.0, id);
        self.torrents.insert(
            id,
            Entry {
                torrent,
                metainfo,
                save_dir,
                paths,
                user_paused: paused,
                peers: HashMap::new(),
                known: BTreeSet::new(),
                received: 0,
                sent: 0,
                retry: BTreeMap::new(),
                web_seeds,
                config,
                seed,
                resume_due: false,
            },
        );
        self.touched.insert(id);
        self.status_forced = true;
        if !paused {
            self.start_announcing(now, id);
        }
        self.unpark(now, id);
        for addr in peers {
            self.connect(now, id, addr);
        }
    }

    /// The transfer counters a tracker hears about.
    pub(super) fn stats(&self, id: TorrentId) -> Stats {
        let Some(entry) = self.torrents.get(&id) else {
            return Stats::default();
        };
        let info = &entry.metainfo.info;
        let done = bytes_done(entry.torrent.have(), info.piece_length, info.total_length());
        Stats {
            uploaded: entry.sent,
            downloaded: entry.received,
            left: info.total_length() - done,
        }
    }

    /// Starts announcing torrent `id` to its trackers (if it lists any).
    fn start_announcing(&mut self, now: Instant, id: TorrentId) {
        let stats = self.stats(id);
        let Some(entry) = self.torrents.get(&id) else {
            return;
        };
        let tiers = entry.metainfo.tracker_tiers();
        if tiers.is_empty() {
            return;
        }
        let hash = entry.info_hash();
        // A `stopped` still going out is superseded by this `started`.
        self.stopping.remove(&hash);
        let params = TorrentParams {
            info_hash: hash,
            peer_id: self.settings.peer_id,
            port: self.settings.listen_port.unwrap_or(0),
        };
        let rng = Box::new(rand_pcg::Pcg32::seed_from_u64(
            entry.seed ^ 0x0074_7261_636b_6572,
        ));
        match Announcer::new(AnnouncerConfig::default(), params, &tiers, rng) {
            Ok(announcer) => {
                self.tracker.add(hash, announcer);
                if let Some(announcer) = self.tracker.announcer_mut(hash) {
                    announcer.start(now, stats);
                }
                self.drive_http(now);
            }
            Err(error) => tracing::debug!(%error, "no usable tracker"),
        }
    }

    /// Feeds the trackers' and web seeds' HTTP and UDP outcomes to their announcers and
    /// torrents, performs what they ask next, and connects to the peers trackers name.
    pub fn drive_http(&mut self, now: Instant) {
        let ids: Vec<TorrentId> = self.torrents.keys().copied().collect();
        for id in &ids {
            let stats = self.stats(*id);
            let hash = self.torrents[id].info_hash();
            if let Some(announcer) = self.tracker.announcer_mut(hash) {
                announcer.set_stats(stats);
            }
        }
        self.tracker.drive(now);
        while let Some((hash, event)) = self.tracker.poll_event() {
            // The replies to `stopped` connect nobody.
            let id = self
                .by_hash
                .get(&hash.0)
                .copied()
                .filter(|_| !self.stopping.contains_key(&hash));
            if let (TrackerEvent::Success { peers, .. }, Some(id)) = (&event, id) {
                for addr in peers.clone() {
                    self.connect(now, id, addr);
                }
            }
            self.wiring.emit(tracker_event_kind(hash, event), None);
        }
        self.sweep_stopping(now);
        for id in ids {
            let Some(entry) = self.torrents.get_mut(&id) else {
                continue;
            };
            if !entry.is_running() {
                continue;
            }
            if let Some(driver) = &mut entry.web_seeds {
                driver.drive(now, &mut entry.torrent);
                self.touched.insert(id);
            }
        }
    }

    /// A connection to a known peer of a torrent that still misses pieces ended: try it
    /// again later (2 s, doubling, up to a minute; at most 8 times in a row).
    pub fn schedule_retry(&mut self, now: Instant, id: TorrentId, addr: SocketAddr) {
        let Some(entry) = self.torrents.get_mut(&id) else {
            return;
        };
        if !entry.known.contains(&addr) || !entry.is_running() || entry.torrent.is_finished() {
            return;
        }
        let attempts = entry.retry.get(&addr).map_or(0, |(_, n)| *n) + 1;
        if attempts > MAX_RETRIES || entry.torrent.is_banned(addr.ip()) {
            entry.retry.remove(&addr);
            return;
        }
        let delay = RETRY_BASE
            .saturating_mul(1 << (attempts - 1).min(5))
            .min(RETRY_MAX);
        entry.retry.insert(addr, (now + delay, attempts));
    }

    /// Pauses a torrent: its peers are closed and none is connected until resumed.
    pub fn pause(&mut self, now: Instant, id: TorrentId) {
        let Some(entry) = self.torrents.get_mut(&id) else {
            return;
        };
        if entry.user_paused {
            return;
        }
        entry.user_paused = true;
        // Written once the disk jobs in flight are done (their writes are in it).
        entry.resume_due = true;
        let hash = entry.info_hash();
        self.stop_announcing(now, id);
        self.drop_links_of(now, id);
        self.wiring.emit(TorrentPaused { torrent: hash }, None);
        self.status_forced = true;
    }

    /// Resumes a torrent paused by the user or by a disk error (then its engine starts
    /// over from the verified pieces), and reconnects its known peers.
    pub fn resume(&mut self, now: Instant, id: TorrentId) {
        let Some(entry) = self.torrents.get_mut(&id) else {
            return;
        };
        if !entry.user_paused && !entry.torrent.is_paused() {
            return;
        }
        entry.user_paused = false;
        if entry.torrent.is_paused() {
            let have = entry.torrent.have().clone();
            let seed = entry.seed.wrapping_add(1);
            entry.seed = seed;
            let rng = Box::new(rand_pcg::Pcg32::seed_from_u64(seed));
            match Torrent::new(now, entry.config.clone(), &entry.metainfo.info, have, rng) {
                Ok(torrent) => entry.torrent = torrent,
                Err(error) => tracing::warn!(%error, "torrent could not restart"),
            }
        }
        let hash = entry.info_hash();
        let known: Vec<SocketAddr> = entry.known.iter().copied().collect();
        self.wiring.emit(TorrentResumed { torrent: hash }, None);
        self.touched.insert(id);
        self.status_forced = true;
        self.start_announcing(now, id);
        for addr in known {
            self.connect(now, id, addr);
        }
    }

    /// Removes a torrent, closing its peers; with [`RemoveData::Delete`] its files go too.
    pub fn remove(&mut self, now: Instant, id: TorrentId, data: RemoveData) {
        let delete = data == RemoveData::Delete;
        if let Some(add) = self.checking.remove(&id) {
            self.disk
                .remove_torrent(id, delete, &add.save_dir, &add.metainfo.info);
        }
        if !self.torrents.contains_key(&id) {
            return;
        }
        self.stop_announcing(now, id);
        self.drop_links_of(now, id);
        if let Some(entry) = self.torrents.remove(&id) {
            self.by_hash.remove(&entry.info_hash().0);
            if !delete {
                // The disk keeps the torrent until this is written (it flushes the cache).
                let have = entry.torrent.have().clone();
                self.disk.save_resume(id, &entry.metainfo.info, have);
            }
            self.disk
                .remove_torrent(id, delete, &entry.save_dir, &entry.metainfo.info);
        }
        self.touched.remove(&id);
        self.status_forced = true;
    }

    /// Closes every link of `id` (attached or connecting).
    pub(super) fn drop_links_of(&mut self, now: Instant, id: TorrentId) {
        let links: Vec<LinkId> = self
            .links
            .iter()
            .filter(|(_, l)| l.torrent() == Some(id))
            .map(|(k, _)| *k)
            .collect();
        for link in links {
            let attached = match self.links.get(&link).map(|l| &l.state) {
                Some(LinkState::Attached { peer, .. }) => Some(*peer),
                _ => None,
            };
            if let (Some(peer), Some(entry)) = (attached, self.torrents.get_mut(&id)) {
                entry.peers.remove(&peer);
                entry.torrent.remove_peer(now, peer);
            }
            self.close_link(link);
        }
        self.touched.insert(id);
    }

    /// A disk job of torrent `id` finished.
    pub fn disk_done(&mut self, now: Instant, id: TorrentId, completion: Completion) {
        if let Some(entry) = self.torrents.get_mut(&id) {
            entry.torrent.handle_disk(now, completion);
            self.touched.insert(id);
        }
    }

    // ---- settling ------------------------------------------------------------------------

    /// After any input: uTP notes, then each touched torrent's disk jobs, events and
    /// output, until nothing is left (bounded), then the status snapshot.
    pub fn settle(&mut self, now: Instant, mut current: Option<(LinkId, &mut TcpConn<'_>)>) {
        self.wants_data_in = self.wants(KindId::PeerDataIn);
        self.wants_data_out = self.wants(KindId::PeerDataOut);
        self.wants_packets_in = self.wants(KindId::PeerPacketIn);
        self.wants_packets_out = self.wants(KindId::PeerPacketOut);
        if let Some(forwarders) = &mut self.utp_events {
            forwarders.sync(&self.wiring);
        }
        if self.wiring.take_http_due() {
            self.drive_http(now);
        }
        for _ in 0..SETTLE_ROUNDS {
            let notes = self.take_notes();
            for note in notes {
                self.handle_note(now, note);
            }
            let Some(id) = self.touched.pop_first() else {
                if lock(&self.wiring.notes).is_empty() {
                    break;
                }
                continue;
            };
            self.pump(now, id, current.as_mut().map(|(l, c)| (*l, &mut **c)));
        }
        // Whatever is left (a very busy round) goes next time; make sure there is one.
        if !self.touched.is_empty() {
            self.wiring.mark_dirty(0);
            self.wiring.mark_dirty(1);
        }
        self.retry_refused();
        self.disk.retry();
        self.save_due_resumes();
        self.refresh_status(now);
    }

    fn take_notes(&mut self) -> Vec<Note> {
        lock(&self.wiring.notes).drain(..).collect()
    }

    /// Runs one torrent's disk jobs and events, then moves its peers' output.
    fn pump(
        &mut self,
        now: Instant,
        id: TorrentId,
        mut current: Option<(LinkId, &mut TcpConn<'_>)>,
    ) {
        for _ in 0..SETTLE_ROUNDS {
            let Some(entry) = self.torrents.get_mut(&id) else {
                return;
            };
            let mut progressed = false;
            let mut done = Vec::new();
            while let Some(job) = entry.torrent.poll_disk_job() {
                progressed = true;
                done.extend(self.disk.submit(id, job));
            }
            // Jobs done at once (blocks the write cache took) answer now.
            for completion in done {
                entry.torrent.handle_disk(now, completion);
            }
            let mut events = Vec::new();
            while let Some(event) = entry.torrent.poll_event() {
                events.push(event);
            }
            progressed |= !events.is_empty();
            for event in events {
                self.handle_event(now, id, event);
            }
            let Some(entry) = self.torrents.get(&id) else {
                return;
            };
            let links: Vec<LinkId> = entry.peers.values().copied().collect();
            for link in links {
                let conn = match &mut current {
                    Some((l, conn)) if *l == link => Some(&mut **conn),
                    _ => None,
                };
                self.flush_link(now, link, conn);
            }
            let Some(entry) = self.torrents.get_mut(&id) else {
                return;
            };
            // Serving output may have queued reads (requests that waited for room).
            if !progressed && entry.torrent.disk_jobs_in_flight() == 0 {
                break;
            }
            if !progressed {
                break;
            }
        }
    }

    /// One torrent event: to the hub, and what it means for links and status.
    fn handle_event(&mut self, now: Instant, id: TorrentId, event: TorrentEvent) {
        let Some(entry) = self.torrents.get(&id) else {
            return;
        };
        let hash = entry.info_hash();
        let connection = match &event {
            TorrentEvent::PeerId { peer, .. }
            | TorrentEvent::PeerClosed { peer, .. }
            | TorrentEvent::InvalidRequest { peer, .. } => {
                entry.peers.get(peer).map(|l| ConnectionId(*l))
            }
            _ => None,
        };
        match &event {
            TorrentEvent::PeerClosed { peer, error, .. } => {
                let reason = match error {
                    SessionError::Closed => DisconnectReason::ClosedLocally,
                    SessionError::HandshakeTimeout | SessionError::IdleTimeout => {
                        DisconnectReason::TimedOut
                    }
                    _ => DisconnectReason::ProtocolError,
                };
                self.peer_closed(id, *peer, reason);
            }
            TorrentEvent::PieceHashPassed { .. } => {
                let entry = &self.torrents[&id];
                let have = entry.torrent.have();
                let info = &entry.metainfo.info;
                let progress = PieceProgress {
                    torrent: hash,
                    pieces_done: have.len(),
                    pieces_total: have.capacity(),
                    bytes_done: bytes_done(have, info.piece_length, info.total_length()),
                };
                self.wiring.emit(progress, None);
            }
            TorrentEvent::Finished => {
                self.status_forced = true;
                let stats = self.stats(id);
                if let Some(announcer) = self.tracker.announcer_mut(hash) {
                    announcer.complete(now, stats);
                }
                let entry = &self.torrents[&id];
                let saved =
                    self.disk
                        .save_resume(id, &entry.metainfo.info, entry.torrent.have().clone());
                if let (false, Some(entry)) = (saved, self.torrents.get_mut(&id)) {
                    entry.resume_due = true;
                }
            }
            TorrentEvent::Paused => self.status_forced = true,
            _ => {}
        }
        let peer_addr = match &event {
            TorrentEvent::PeerId { addr, .. } => Some(*addr),
            _ => None,
        };
        if let (Some(addr), Some(entry)) = (peer_addr, self.torrents.get_mut(&id)) {
            entry.retry.remove(&addr);
        }
        let entry = &self.torrents[&id];
        if let Some(kind) = torrent_event_kind(hash, &entry.paths, event) {
            self.wiring.emit(kind, connection);
        }
        if let Some(peer) = peer_addr {
            // Our handshake went out when the peer was added; theirs just arrived.
            self.wiring.emit(PeerHandshakeComplete { peer }, connection);
        }
    }

    // ---- uTP notes -----------------------------------------------------------------------

    fn handle_note(&mut self, now: Instant, note: Note) {
        match note {
            Note::Accept(family, socket, addr) => self.utp_accepted(family, socket, addr),
            Note::Connected(family, socket) => {
                if let Some(&link) = self.utp_links.get(&(family, socket)) {
                    self.link_connected(now, link);
                }
            }
            Note::Read(family, socket, data) => {
                if let Some(&link) = self.utp_links.get(&(family, socket)) {
                    self.link_bytes(now, link, &data);
                }
            }
            Note::Writable(family, socket) => {
                if let Some(&link) = self.utp_links.get(&(family, socket)) {
                    self.flush_link(now, link, None);
                }
            }
            Note::Eof(family, socket) => {
                if let Some(&link) = self.utp_links.get(&(family, socket)) {
                    self.link_ended(now, link, DisconnectReason::ClosedByPeer);
                }
            }
            Note::Error(family, socket, code) => {
                if let Some(&link) = self.utp_links.get(&(family, socket)) {
                    let reason = match code {
                        crate::utp::UtpErrorCode::TimedOut => DisconnectReason::TimedOut,
                        _ => DisconnectReason::Reset,
                    };
                    self.link_ended(now, link, reason);
                }
            }
            Note::Destroying(family, socket) => {
                if let Some(&link) = self.utp_links.get(&(family, socket)) {
                    self.link_ended(now, link, DisconnectReason::ClosedByPeer);
                }
                self.utp_links.remove(&(family, socket));
            }
        }
    }

    // ---- time ----------------------------------------------------------------------------

    /// The earliest timer of any running torrent (now, when refused commands wait).
    pub fn poll_timeout(&self) -> Option<Instant> {
        let torrents = self
            .torrents
            .values()
            .filter(|e| e.is_running())
            .flat_map(|e| {
                let retry = e.retry.values().map(|(at, _)| *at).min();
                e.torrent.poll_timeout().into_iter().chain(retry)
            });
        let retry = (!self.retry_wake.is_empty()
            || !self.retry_close.is_empty()
            || self.disk.has_waiting())
        .then(Instant::now);
        let status = self
            .last_status
            .filter(|_| self.status_stale)
            .map(|at| at + STATUS_EVERY);
        let trackers = self.tracker.poll_timeout();
        let stopping = self.stopping_deadline();
        torrents
            .chain(retry)
            .chain(status)
            .chain(trackers)
            .chain(stopping)
            .min()
    }

    /// Runs the due timers of every torrent.
    pub fn handle_timeout(&mut self, now: Instant) {
        let due: Vec<TorrentId> = self
            .torrents
            .iter()
            .filter(|(_, e)| e.is_running() && e.torrent.poll_timeout().is_some_and(|t| t <= now))
            .map(|(id, _)| *id)
            .collect();
        for id in due {
            if let Some(entry) = self.torrents.get_mut(&id) {
                entry.torrent.handle_timeout(now);
                self.touched.insert(id);
            }
        }
        self.drive_http(now);
        let mut redial = Vec::new();
        for (id, entry) in &self.torrents {
            if entry.is_running() {
                for (addr, (at, _)) in &entry.retry {
                    if *at <= now {
                        redial.push((*id, *addr));
                    }
                }
            }
        }
        for (id, addr) in redial {
            if let Some(entry) = self.torrents.get_mut(&id) {
                // Kept (with its count) until a handshake succeeds; due again only if
                // this attempt fails too.
                if let Some((at, _)) = entry.retry.get_mut(&addr) {
                    *at = now + RETRY_MAX * 10;
                }
            }
            self.connect(now, id, addr);
        }
        self.status_forced = true;
    }

    // ---- status --------------------------------------------------------------------------

    fn refresh_status(&mut self, now: Instant) {
        let due = self
            .last_status
            .is_none_or(|at| now.saturating_duration_since(at) >= STATUS_EVERY);
        if !due && !self.status_forced {
            // Refreshed by the timer when nothing else comes first.
            self.status_stale = true;
            return;
        }
        self.status_stale = false;
        self.last_status = Some(now);
        self.status_forced = false;
        let mut torrents: Vec<TorrentStatus> = self
            .torrents
            .iter()
            .map(|(id, e)| torrent_status(now, *id, e))
            .chain(
                self.checking
                    .iter()
                    .map(|(id, add)| checking_status(*id, add)),
            )
            .collect();
        torrents.sort_by_key(|t| t.id);
        let status = ClientStatus {
            download_rate: torrents.iter().map(|t| t.download_rate).sum(),
            upload_rate: torrents.iter().map(|t| t.upload_rate).sum(),
            torrents,
            connections: self.links.len(),
            listening: self
                .wiring
                .inner
                .listening
                .get()
                .cloned()
                .unwrap_or_default(),
        };
        *lock(&self.wiring.inner.status) = status;
        self.wiring
            .inner
            .status_version
            .fetch_add(1, Ordering::Release);
        self.wiring.inner.status_changed.notify_all();
    }
}

/// Bytes of the verified pieces in `have`.
pub(crate) fn bytes_done(have: &PieceSet, piece_length: u32, total: u64) -> u64 {
    let count = have.capacity();
    let mut bytes = u64::from(have.len()) * u64::from(piece_length);
    if count > 0 && have.contains(count - 1) {
        let last = total - u64::from(count - 1) * u64::from(piece_length);
        bytes = bytes - u64::from(piece_length) + last;
    }
    bytes
}

fn torrent_status(now: Instant, id: TorrentId, e: &Entry) -> TorrentStatus {
    let info = &e.metainfo.info;
    let have = e.torrent.have();
    let (mut down, mut up) = (0, 0);
    for peer in e.torrent.peers() {
        if let Some(session) = e.torrent.peer(peer) {
            down += session.download_rate(now);
            up += session.upload_rate(now);
        }
    }
    let state = if e.user_paused {
        TorrentState::Paused
    } else if e.torrent.is_paused() {
        TorrentState::Error
    } else if e.torrent.is_finished() {
        TorrentState::Seeding
    } else {
        TorrentState::Downloading
    };
    TorrentStatus {
        id,
        info_hash: info.info_hash,
        name: info.name.clone(),
        state,
        pieces_done: have.len(),
        pieces_total: have.capacity(),
        bytes_done: bytes_done(have, info.piece_length, info.total_length()),
        total_bytes: info.total_length(),
        bytes_received: e.received,
        bytes_sent: e.sent,
        download_rate: down,
        upload_rate: up,
        peers: e.peers.len(),
    }
}

fn checking_status(id: TorrentId, add: &AddTorrent) -> TorrentStatus {
    let info = &add.metainfo.info;
    TorrentStatus {
        id,
        info_hash: info.info_hash,
        name: info.name.clone(),
        state: TorrentState::Checking,
        pieces_done: 0,
        pieces_total: info.pieces.len() as u32,
        bytes_done: 0,
        total_bytes: info.total_length(),
        bytes_received: 0,
        bytes_sent: 0,
        download_rate: 0,
        upload_rate: 0,
        peers: 0,
    }
}
