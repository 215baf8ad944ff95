//! The client's side of [`DiskPool`]: torrents registered by id, jobs the pool cannot take
//! yet kept in order, completions and re-checks handed to the engine on the reactor thread,
//! resume files read on add and written on finish, pause, removal and shutdown (a torrent
//! removed with its data kept stays registered with the pool until its resume file, which
//! flushes its cached writes, is written).

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock, Weak};
use std::time::Instant;

use hark_proto::bt::peer::PieceSet;
use hark_proto::bt::torrent::{Completion, DiskError, DiskJob};
use hark_reactor::{Reactor, ReactorHandle};
use hark_wire::bt::metainfo::Info;

use super::shared::{Shared, lock};
use super::types::TorrentId;
use crate::bittorrent::disk::{
    DiskConfig, DiskHandler, DiskPool, DiskRequestError, DiskSubmitError, FilesError, ResumeData,
    ResumeError, TorrentFiles, TorrentKey,
};

/// Where the engine is, for the pool's handler (set once the engine exists).
pub(crate) type EngineSlot = Arc<OnceLock<Weak<Shared>>>;

/// Hands the pool's outcomes to the engine.
struct ToEngine {
    slot: EngineSlot,
    /// Completions were handed over without settling the engine; `batch_done` settles.
    unsettled: bool,
}

impl ToEngine {
    fn enter(&self, now: Instant, f: impl FnOnce(&mut super::engine::Engine, Instant)) {
        if let Some(shared) = self.slot.get().and_then(Weak::upgrade) {
            shared.enter(now, f);
        }
    }
}

impl DiskHandler for ToEngine {
    fn completed(
        &mut self,
        _reactor: &mut Reactor,
        now: Instant,
        torrent: TorrentKey,
        completion: Completion,
    ) {
        // One settle per batch of completions (`batch_done`), not one per block.
        if let Some(shared) = self.slot.get().and_then(Weak::upgrade) {
            lock(&shared.engine).disk_completed(now, torrent, completion);
            self.unsettled = true;
        }
    }

    fn batch_done(&mut self, _reactor: &mut Reactor, now: Instant) {
        if std::mem::take(&mut self.unsettled) {
            self.enter(now, |_, _| {});
        }
    }

    fn checked(
        &mut self,
        _reactor: &mut Reactor,
        now: Instant,
        torrent: TorrentKey,
        result: Result<PieceSet, DiskError>,
    ) {
        self.enter(now, |engine, now| engine.disk_checked(now, torrent, result));
    }

    fn resume_saved(
        &mut self,
        _reactor: &mut Reactor,
        now: Instant,
        torrent: TorrentKey,
        result: Result<(), ResumeError>,
    ) {
        if let Err(error) = &result {
            tracing::warn!(?torrent, %error, "resume file not written");
        }
        self.enter(now, |engine, _| engine.disk.resume_saved(torrent));
    }
}

/// How a torrent's verified pieces are found when it is added.
pub(crate) enum Verified {
    /// From a valid resume file.
    Resumed(PieceSet),
    /// A re-check runs; `Engine::disk_checked` follows.
    Checking,
}

/// The disk pool and the client's bookkeeping around it.
pub(crate) struct DiskPort {
    pool: DiskPool,
    keys: HashMap<TorrentKey, TorrentId>,
    ids: HashMap<TorrentId, TorrentKey>,
    /// Jobs the pool handed back (its backlog was full), in order; retried on each settle.
    waiting: VecDeque<(TorrentId, DiskJob)>,
    resume_dir: Option<PathBuf>,
    /// Resume files being written, by torrent.
    saving: HashMap<TorrentKey, u32>,
    /// Torrents removed with their data kept, waiting for their resume file before the
    /// pool forgets them.
    leaving: HashSet<TorrentKey>,
    /// Resume files of torrents removed with their data, to delete once written.
    doomed: HashMap<TorrentKey, PathBuf>,
}

impl DiskPort {
    /// A disk pool on `reactor` whose outcomes reach the engine in `slot`.
    pub fn new(
        reactor: &ReactorHandle,
        config: DiskConfig,
        resume_dir: Option<PathBuf>,
        slot: EngineSlot,
    ) -> std::io::Result<Self> {
        let pool = DiskPool::new(
            reactor,
            config,
            ToEngine {
                slot,
                unsettled: false,
            },
        )?;
        Ok(DiskPort {
            pool,
            keys: HashMap::new(),
            ids: HashMap::new(),
            waiting: VecDeque::new(),
            resume_dir,
            saving: HashMap::new(),
            leaving: HashSet::new(),
            doomed: HashMap::new(),
        })
    }

    fn resume_path(&self, info: &Info) -> Option<PathBuf> {
        let dir = self.resume_dir.as_ref()?;
        Some(dir.join(format!("{}.resume", info.info_hash)))
    }

    /// Registers torrent `id` with its files under `save_dir`, and finds its verified
    /// pieces: from its resume file when valid, else by re-checking what is on disk.
    pub fn add_torrent(
        &mut self,
        id: TorrentId,
        save_dir: &Path,
        info: &Info,
    ) -> Result<Verified, FilesError> {
        let files = TorrentFiles::from_info(save_dir, info)?;
        let resumed = self.resume_path(info).and_then(|path| {
            let data = ResumeData::load(&path).ok()?;
            data.validate(&files, &info.info_hash.0, info.pieces.len() as u32)
                .ok()
        });
        let key = self.pool.add_torrent(files);
        self.keys.insert(key, id);
        self.ids.insert(id, key);
        if let Some(have) = resumed {
            return Ok(Verified::Resumed(have));
        }
        match self.pool.recheck(key, info) {
            Ok(()) => Ok(Verified::Checking),
            Err(error) => {
                // No re-check (the pool is full or stopping): start from nothing verified.
                tracing::warn!(%error, "re-check not started");
                Ok(Verified::Resumed(PieceSet::empty(info.pieces.len() as u32)))
            }
        }
    }

    /// The torrent a pool key stands for.
    pub fn id_of(&self, key: TorrentKey) -> Option<TorrentId> {
        self.keys.get(&key).copied()
    }

    /// Queues one of torrent `id`'s jobs (kept in order while the pool is full), or does
    /// it at once when it needs no I/O (a block the write cache takes): then its
    /// completion comes back, for the torrent's `handle_disk`.
    #[must_use]
    pub fn submit(&mut self, id: TorrentId, job: DiskJob) -> Option<Completion> {
        let job = match self.ids.get(&id) {
            Some(&key) => match self.pool.write_cached(key, job) {
                Ok(done) => return Some(done),
                Err(job) => job,
            },
            None => job,
        };
        self.queue(id, job);
        None
    }

    fn queue(&mut self, id: TorrentId, job: DiskJob) {
        if !self.waiting.is_empty() {
            self.waiting.push_back((id, job));
            return;
        }
        self.try_submit(id, job);
    }

    fn try_submit(&mut self, id: TorrentId, job: DiskJob) -> bool {
        let Some(&key) = self.ids.get(&id) else {
            return true;
        };
        match self.pool.submit(key, job) {
            Ok(()) => true,
            Err(DiskSubmitError::Full(job)) => {
                self.waiting.push_front((id, job));
                false
            }
            Err(error) => {
                tracing::warn!(%error, "disk job dropped");
                true
            }
        }
    }

    /// Retries the jobs the pool handed back.
    pub fn retry(&mut self) {
        while let Some((id, job)) = self.waiting.pop_front() {
            if !self.try_submit(id, job) {
                return;
            }
        }
    }

    /// Whether jobs wait for room in the pool.
    pub fn has_waiting(&self) -> bool {
        !self.waiting.is_empty()
    }

    /// Writes torrent `id`'s resume file (when the client keeps them). `false` when the
    /// pool has no room now: ask again later.
    pub fn save_resume(&mut self, id: TorrentId, info: &Info, have: PieceSet) -> bool {
        let (Some(&key), Some(path)) = (self.ids.get(&id), self.resume_path(info)) else {
            return true;
        };
        match self.pool.save_resume(key, path, info.info_hash.0, have) {
            Ok(()) => {
                *self.saving.entry(key).or_default() += 1;
                true
            }
            Err(DiskRequestError::Full) => false,
            Err(error) => {
                tracing::warn!(%error, "resume file not saved");
                true
            }
        }
    }

    /// Whether resume files are being written.
    pub fn saves_pending(&self) -> bool {
        !self.saving.is_empty()
    }

    /// A resume file of the torrent behind `key` was written (or failed): a torrent
    /// removed meanwhile is forgotten now.
    pub fn resume_saved(&mut self, key: TorrentKey) {
        if let Some(count) = self.saving.get_mut(&key) {
            *count -= 1;
            if *count > 0 {
                return;
            }
            self.saving.remove(&key);
        }
        if self.leaving.remove(&key) {
            self.pool.remove_torrent(key);
        }
        if let Some(path) = self.doomed.remove(&key) {
            let _ = std::fs::remove_file(path);
        }
    }

    /// Forgets torrent `id`; with `delete`, removes its files (and the directories of
    /// the torrent that are then empty), and its resume file. Kept data whose resume file
    /// is being written stays with the pool until it is.
    pub fn remove_torrent(&mut self, id: TorrentId, delete: bool, save_dir: &Path, info: &Info) {
        self.waiting.retain(|(t, _)| *t != id);
        if let Some(key) = self.ids.remove(&id) {
            self.keys.remove(&key);
            let saving = self.saving.contains_key(&key);
            if saving && !delete {
                self.leaving.insert(key);
            } else {
                // Cached writes are dropped before the files go.
                self.pool.remove_torrent(key);
                if let (true, Some(path)) = (saving, self.resume_path(info)) {
                    self.doomed.insert(key, path);
                }
            }
        }
        if !delete {
            return;
        }
        if let Some(path) = self.resume_path(info) {
            let _ = std::fs::remove_file(path);
        }
        for file in &info.files {
            let path = save_dir.join(info.file_path(file));
            if let Err(error) = std::fs::remove_file(&path) {
                if error.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!(path = %path.display(), %error, "torrent file not deleted");
                }
            }
            // Empty directories the torrent made, up to (not including) `save_dir`.
            let mut dir = path.parent();
            while let Some(d) = dir {
                if d == save_dir || !d.starts_with(save_dir) || std::fs::remove_dir(d).is_err() {
                    break;
                }
                dir = d.parent();
            }
        }
    }
}
