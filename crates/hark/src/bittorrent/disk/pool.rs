//! [`DiskPool`]: torrents' disk jobs on the worker pool, completions on the reactor thread.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Instant;

use hark_proto::bt::peer::PieceSet;
use hark_proto::bt::torrent::{Completion, DiskError, DiskJob};
use hark_reactor::workers::{Deliver, JobResult, SubmitError, Submitter, WorkerConfig, WorkerPool};
use hark_reactor::{Reactor, ReactorHandle};
use hark_wire::bt::metainfo::Info;

use super::cache::CacheBudget;
use super::files::{HandleTable, TorrentFiles};
use super::io::{IoShared, TorrentDisk, check_pieces, flush_torrent};
use super::resume::{ResumeData, ResumeError};
use super::{DiskConfig, TorrentKey};

/// Bytes of pieces one re-check job hashes (at least one piece).
const CHECK_JOB_BYTES: u64 = 4 << 20;

/// Receives a [`DiskPool`]'s outcomes on the reactor thread (with `&mut Reactor`, as
/// [`Deliver`] does). A closure `FnMut(&mut Reactor, Instant, TorrentKey, Completion)` is
/// one, ignoring re-checks and resume saves.
pub trait DiskHandler: Send + 'static {
    /// A job of torrent `torrent` ended: give `completion` to its `Torrent::handle_disk`.
    /// A torrent removed meanwhile may still hear of its last jobs.
    fn completed(
        &mut self,
        reactor: &mut Reactor,
        now: Instant,
        torrent: TorrentKey,
        completion: Completion,
    );

    /// A re-check ([`DiskPool::recheck`]) ended: the pieces that passed (give them to
    /// `Torrent::new`), or the I/O error that stopped it (a missing or short file is no
    /// error: its pieces just did not pass).
    fn checked(
        &mut self,
        reactor: &mut Reactor,
        now: Instant,
        torrent: TorrentKey,
        result: Result<PieceSet, DiskError>,
    ) {
        let _ = (reactor, now, torrent, result);
    }

    /// Every outcome that was ready has been handed over (after one or more calls of the
    /// methods above): a handler that defers work per outcome (settling its torrents) can
    /// do it once here.
    fn batch_done(&mut self, reactor: &mut Reactor, now: Instant) {
        let _ = (reactor, now);
    }

    /// A resume file was written ([`DiskPool::save_resume`]), or why not.
    fn resume_saved(
        &mut self,
        reactor: &mut Reactor,
        now: Instant,
        torrent: TorrentKey,
        result: Result<(), ResumeError>,
    ) {
        let _ = (reactor, now, torrent, result);
    }
}

impl<F> DiskHandler for F
where
    F: FnMut(&mut Reactor, Instant, TorrentKey, Completion) + Send + 'static,
{
    fn completed(
        &mut self,
        reactor: &mut Reactor,
        now: Instant,
        torrent: TorrentKey,
        completion: Completion,
    ) {
        self(reactor, now, torrent, completion);
    }
}

/// Why [`DiskPool::submit`] did not take a job; the job comes back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DiskSubmitError {
    /// The worker pool and the pool's backlog ([`DiskConfig::backlog_capacity`]) are full.
    #[error("the disk queue is full")]
    Full(DiskJob),
    /// The worker pool or its reactor stopped: nothing runs any more, and the job is
    /// dropped.
    #[error("the disk pool has stopped")]
    Stopped,
    /// No torrent has this key (never added, or removed).
    #[error("no such torrent")]
    UnknownTorrent(DiskJob),
}

impl DiskSubmitError {
    /// The job that was not taken (`None` after a stop).
    pub fn into_job(self) -> Option<DiskJob> {
        match self {
            DiskSubmitError::Full(job) | DiskSubmitError::UnknownTorrent(job) => Some(job),
            DiskSubmitError::Stopped => None,
        }
    }
}

/// Why [`DiskPool::recheck`] or [`DiskPool::save_resume`] did not start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DiskRequestError {
    /// The backlog is full.
    #[error("the disk queue is full")]
    Full,
    /// The worker pool or its reactor stopped.
    #[error("the disk pool has stopped")]
    Stopped,
    /// No torrent has this key.
    #[error("no such torrent")]
    UnknownTorrent,
    /// The metainfo describes other files than the torrent registered.
    #[error("the metainfo does not match the torrent's files")]
    Mismatch,
    /// A re-check of this torrent is already running.
    #[error("a re-check is already running")]
    Busy,
}

/// A job as the workers run it.
type Task = Box<dyn FnOnce() -> Done + Send>;

/// What a worker hands back.
enum Done {
    Job(TorrentKey, Completion),
    Check {
        key: TorrentKey,
        check: u64,
        first: u32,
        passed: Result<Vec<bool>, DiskError>,
    },
    Saved(TorrentKey, Result<(), ResumeError>),
}

/// A re-check in progress.
struct Check {
    id: u64,
    torrent: Arc<TorrentDisk>,
    hashes: Arc<Vec<[u8; 20]>>,
    piece_length: u32,
    per_job: u32,
    next: u32,
    outstanding: usize,
    have: PieceSet,
    error: Option<DiskError>,
}

struct Inner {
    io: Arc<IoShared>,
    torrents: Mutex<HashMap<TorrentKey, Arc<TorrentDisk>>>,
    next_key: AtomicU64,
    next_check: AtomicU64,
    submitter: Submitter<Done>,
    /// Jobs the worker pool refused while full, in order; retried on every delivery and
    /// on `room`.
    backlog: Mutex<VecDeque<Task>>,
    backlog_capacity: usize,
    checks: Mutex<HashMap<TorrentKey, Check>>,
    check_window: usize,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Inner {
    fn torrent(&self, key: TorrentKey) -> Option<Arc<TorrentDisk>> {
        lock(&self.torrents).get(&key).cloned()
    }

    /// Submits `task`, or queues it behind the backlog. `Err` if the pool stopped.
    fn push(&self, backlog: &mut VecDeque<Task>, task: Task) -> Result<(), ()> {
        if backlog.is_empty() {
            match self.submitter.submit(task) {
                Ok(()) => return Ok(()),
                Err(SubmitError::Full(task)) => backlog.push_back(task),
                Err(_) => return Err(()),
            }
        } else {
            backlog.push_back(task);
        }
        Ok(())
    }

    /// Whether `backlog` can take one more task.
    fn has_room(&self, backlog: &VecDeque<Task>) -> bool {
        backlog.is_empty() || backlog.len() < self.backlog_capacity
    }

    /// Moves backlog tasks into the worker pool while it has room.
    fn drain(&self) {
        let mut backlog = lock(&self.backlog);
        while let Some(task) = backlog.pop_front() {
            match self.submitter.submit(task) {
                Ok(()) => {}
                Err(SubmitError::Full(task)) => {
                    backlog.push_front(task);
                    return;
                }
                Err(_) => {
                    backlog.clear();
                    return;
                }
            }
        }
    }

    /// Queues the next re-check jobs of `check`, up to the window.
    fn issue_checks(&self, key: TorrentKey, check: &mut Check) {
        let count = check.have.capacity();
        let mut backlog = lock(&self.backlog);
        while check.outstanding < self.check_window && check.next < count {
            let first = check.next;
            let last = first.saturating_add(check.per_job).min(count);
            check.next = last;
            let (torrent, hashes, piece_length, id) = (
                Arc::clone(&check.torrent),
                Arc::clone(&check.hashes),
                check.piece_length,
                check.id,
            );
            let io = Arc::clone(&self.io);
            let task: Task = Box::new(move || {
                let passed = catch(|| {
                    flush_torrent(&io, &torrent)?;
                    let range = &hashes[first as usize..last as usize];
                    check_pieces(&torrent.files, piece_length, first, range)
                })
                .unwrap_or_else(|| Err(panicked(None)));
                Done::Check {
                    key,
                    check: id,
                    first,
                    passed,
                }
            });
            if self.push(&mut backlog, task).is_err() {
                check.error = Some(DiskError::from_io(
                    None,
                    &io::Error::other("the disk pool stopped"),
                ));
                return;
            }
            check.outstanding += 1;
        }
    }

    /// A re-check job ended; the re-check's result once its last job is in.
    fn check_done(
        &self,
        key: TorrentKey,
        id: u64,
        first: u32,
        passed: Result<Vec<bool>, DiskError>,
    ) -> Option<Result<PieceSet, DiskError>> {
        let mut checks = lock(&self.checks);
        let check = checks.get_mut(&key).filter(|c| c.id == id)?;
        check.outstanding -= 1;
        match passed {
            Ok(bits) => {
                for (i, ok) in bits.into_iter().enumerate() {
                    if ok {
                        check.have.insert(first + i as u32);
                    }
                }
            }
            Err(error) => {
                check.error.get_or_insert(error);
            }
        }
        if check.error.is_none() {
            self.issue_checks(key, check);
        }
        let done = check.outstanding == 0
            && (check.next >= check.have.capacity() || check.error.is_some());
        if !done {
            return None;
        }
        let check = checks.remove(&key)?;
        Some(match check.error {
            Some(error) => Err(error),
            None => Ok(check.have),
        })
    }
}

/// Runs `f`, turning a panic into `None` (a job must always answer).
fn catch<T>(f: impl FnOnce() -> T) -> Option<T> {
    panic::catch_unwind(AssertUnwindSafe(f)).ok()
}

fn panicked(file: Option<usize>) -> DiskError {
    DiskError::from_io(file, &io::Error::other("the disk job panicked"))
}

/// Hands the workers' results to the user's handler, on the reactor thread.
struct DiskSink {
    inner: Weak<Inner>,
    handler: Box<dyn DiskHandler>,
}

impl Deliver<Done> for DiskSink {
    fn delivered(&mut self, reactor: &mut Reactor, now: Instant, result: JobResult<Done>) {
        let inner = self.inner.upgrade();
        match result {
            Ok(Done::Job(key, completion)) => {
                self.handler.completed(reactor, now, key, completion);
            }
            Ok(Done::Check {
                key,
                check,
                first,
                passed,
            }) => {
                let finished = inner
                    .as_ref()
                    .and_then(|inner| inner.check_done(key, check, first, passed));
                if let Some(result) = finished {
                    self.handler.checked(reactor, now, key, result);
                }
            }
            Ok(Done::Saved(key, result)) => self.handler.resume_saved(reactor, now, key, result),
            // Every task catches its own panics and answers: nothing to deliver.
            Err(_) => {}
        }
        if let Some(inner) = inner {
            inner.drain();
        }
    }

    fn room(&mut self, _reactor: &mut Reactor, _now: Instant) {
        if let Some(inner) = self.inner.upgrade() {
            inner.drain();
        }
    }

    fn batch_delivered(&mut self, reactor: &mut Reactor, now: Instant) {
        self.handler.batch_done(reactor, now);
    }
}

/// Runs the disk jobs of any number of torrents on a bounded worker pool, against real
/// files, and hands their completions to a [`DiskHandler`] on the reactor thread. See the
/// [module documentation](super).
///
/// Cloneable; every method may be called from any thread, the reactor's included, and
/// never blocks on disk.
#[derive(Clone)]
pub struct DiskPool {
    inner: Arc<Inner>,
}

impl fmt::Debug for DiskPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DiskPool")
            .field("torrents", &lock(&self.inner.torrents).len())
            .field("open_files", &self.open_files())
            .field("cached_bytes", &self.cached_bytes())
            .field("backlog", &self.backlog_len())
            .finish()
    }
}

impl DiskPool {
    /// A disk pool on a worker pool of its own (`config.threads`, `config.queue_capacity`)
    /// whose outcomes go to `handler` on `reactor`'s thread.
    pub fn new(
        reactor: &ReactorHandle,
        config: DiskConfig,
        handler: impl DiskHandler,
    ) -> io::Result<DiskPool> {
        let workers = WorkerPool::new(
            reactor,
            WorkerConfig {
                threads: config.threads,
                queue_capacity: config.queue_capacity,
                thread_name: "hark-disk".into(),
            },
        )?;
        Ok(Self::on_workers(&workers, config, handler))
    }

    /// A disk pool sharing `workers` with other users of the reactor (`config.threads`
    /// and `config.queue_capacity` are then the worker pool's business).
    pub fn on_workers(
        workers: &WorkerPool,
        config: DiskConfig,
        handler: impl DiskHandler,
    ) -> DiskPool {
        let handler: Box<dyn DiskHandler> = Box::new(handler);
        let io = Arc::new(IoShared {
            handles: HandleTable::new(config.max_open_files),
            budget: CacheBudget::new(config.cache_bytes),
            allocation: config.allocation,
            write_chunk: config.write_chunk_bytes,
        });
        let inner = Arc::new_cyclic(|weak: &Weak<Inner>| Inner {
            io,
            torrents: Mutex::new(HashMap::new()),
            next_key: AtomicU64::new(1),
            next_check: AtomicU64::new(1),
            submitter: workers.submitter(DiskSink {
                inner: weak.clone(),
                handler,
            }),
            backlog: Mutex::new(VecDeque::new()),
            backlog_capacity: config.backlog_capacity.max(1),
            checks: Mutex::new(HashMap::new()),
            check_window: workers.threads_started().saturating_mul(2).max(2),
        });
        DiskPool { inner }
    }

    /// The worker pool the jobs run on.
    pub fn workers(&self) -> &WorkerPool {
        self.inner.submitter.pool()
    }

    /// Registers a torrent's files; its jobs are then submitted under the returned key.
    pub fn add_torrent(&self, files: TorrentFiles) -> TorrentKey {
        let key = TorrentKey(self.inner.next_key.fetch_add(1, Ordering::Relaxed));
        let torrent = Arc::new(TorrentDisk::new(key, files));
        lock(&self.inner.torrents).insert(key, torrent);
        key
    }

    /// Forgets a torrent: its files are closed (once running jobs finish with them), its
    /// cached writes that no job flushed are dropped (close its files with
    /// `DiskJob::Close` first to keep them), a running re-check is abandoned. `false` if
    /// the key is unknown.
    pub fn remove_torrent(&self, key: TorrentKey) -> bool {
        let Some(torrent) = lock(&self.inner.torrents).remove(&key) else {
            return false;
        };
        lock(&self.inner.checks).remove(&key);
        self.inner.io.handles.close_all(key);
        torrent.cache().discard(&self.inner.io.budget);
        true
    }

    /// The files of a registered torrent.
    pub fn files(&self, key: TorrentKey) -> Option<TorrentFiles> {
        self.inner.torrent(key).map(|t| t.files.clone())
    }

    /// Queues one of torrent `key`'s jobs (from `Torrent::poll_disk_job`). Its
    /// [`Completion`] reaches [`DiskHandler::completed`] on the reactor thread; every I/O
    /// error is a `Completion::Failed` naming the file. Jobs run concurrently, several at
    /// once per torrent, as the engine allows. Never blocks: when the worker pool is full
    /// the job waits in a bounded backlog, and only when that is full too is it handed
    /// back ([`DiskSubmitError::Full`]).
    pub fn submit(&self, key: TorrentKey, job: DiskJob) -> Result<(), DiskSubmitError> {
        let Some(torrent) = self.inner.torrent(key) else {
            return Err(DiskSubmitError::UnknownTorrent(job));
        };
        if self.workers().is_stopped() {
            return Err(DiskSubmitError::Stopped);
        }
        let mut backlog = lock(&self.inner.backlog);
        if !self.inner.has_room(&backlog) {
            return Err(DiskSubmitError::Full(job));
        }
        let io = Arc::clone(&self.inner.io);
        let task: Task = Box::new(move || {
            let id = job.id();
            let completion = catch(|| super::io::run(&io, &torrent, job))
                .unwrap_or_else(|| Completion::Failed(id, panicked(None)));
            Done::Job(torrent.key, completion)
        });
        self.inner
            .push(&mut backlog, task)
            .map_err(|()| DiskSubmitError::Stopped)
    }

    /// Does a write job on the calling thread when it needs no I/O: one slice whose bytes
    /// fit the write cache's budget, overlap nothing cached, and find the torrent's cache
    /// free (never waits for a worker). Its completion comes back at once; otherwise the
    /// job does ([`DiskPool::submit`] it). Saves a worker's wake-up and a hand-off per
    /// downloaded block.
    pub fn write_cached(&self, key: TorrentKey, job: DiskJob) -> Result<Completion, DiskJob> {
        let DiskJob::Write { id, slices, data } = job else {
            return Err(job);
        };
        let single = match slices.as_slice() {
            [slice] if slice.length as usize == data.len() => Some((slice.file, slice.offset)),
            _ => None,
        };
        let torrent = self.inner.torrent(key);
        let mut cache = torrent.as_ref().and_then(|t| t.try_cache());
        match (single, cache.as_deref_mut()) {
            (Some((file, offset)), Some(cache)) => {
                match cache.try_insert(&self.inner.io.budget, file, offset, data) {
                    Ok(()) => Ok(Completion::Done(id)),
                    Err(data) => Err(DiskJob::Write { id, slices, data }),
                }
            }
            _ => Err(DiskJob::Write { id, slices, data }),
        }
    }

    /// Hashes every piece of torrent `key` against `info`'s hashes, on all the workers
    /// (its cached writes are flushed first); [`DiskHandler::checked`] gets the pieces
    /// that passed, to give `Torrent::new`. Files are read-only here: a missing or short
    /// file only fails its pieces.
    pub fn recheck(&self, key: TorrentKey, info: &Info) -> Result<(), DiskRequestError> {
        let torrent = self
            .inner
            .torrent(key)
            .ok_or(DiskRequestError::UnknownTorrent)?;
        let storage = torrent.files.storage();
        let count = u32::try_from(info.pieces.len()).map_err(|_| DiskRequestError::Mismatch)?;
        let shape_ok = storage.file_count() == info.files.len()
            && storage.total_length() == info.total_length()
            && info.piece_length > 0
            && u64::from(count) == info.total_length().div_ceil(u64::from(info.piece_length));
        if !shape_ok {
            return Err(DiskRequestError::Mismatch);
        }
        if self.workers().is_stopped() {
            return Err(DiskRequestError::Stopped);
        }
        let mut checks = lock(&self.inner.checks);
        if checks.contains_key(&key) {
            return Err(DiskRequestError::Busy);
        }
        if !self.inner.has_room(&lock(&self.inner.backlog)) {
            return Err(DiskRequestError::Full);
        }
        let per_job =
            (CHECK_JOB_BYTES / u64::from(info.piece_length)).clamp(1, u64::from(u32::MAX));
        let mut check = Check {
            id: self.inner.next_check.fetch_add(1, Ordering::Relaxed),
            torrent,
            hashes: Arc::new(info.pieces.clone()),
            piece_length: info.piece_length,
            per_job: per_job as u32,
            next: 0,
            outstanding: 0,
            have: PieceSet::empty(count),
            error: None,
        };
        self.inner.issue_checks(key, &mut check);
        if check.outstanding == 0 && check.error.is_some() {
            return Err(DiskRequestError::Stopped);
        }
        checks.insert(key, check);
        Ok(())
    }

    /// Writes torrent `key`'s resume file at `path` atomically (after flushing its cached
    /// writes, whose modification times it records), with `have` as the verified pieces;
    /// [`DiskHandler::resume_saved`] gets the outcome.
    pub fn save_resume(
        &self,
        key: TorrentKey,
        path: PathBuf,
        info_hash: [u8; 20],
        have: PieceSet,
    ) -> Result<(), DiskRequestError> {
        let torrent = self
            .inner
            .torrent(key)
            .ok_or(DiskRequestError::UnknownTorrent)?;
        if self.workers().is_stopped() {
            return Err(DiskRequestError::Stopped);
        }
        let mut backlog = lock(&self.inner.backlog);
        if !self.inner.has_room(&backlog) {
            return Err(DiskRequestError::Full);
        }
        let io = Arc::clone(&self.inner.io);
        let task: Task = Box::new(move || {
            let result = catch(|| {
                flush_torrent(&io, &torrent)
                    .map_err(|e| ResumeError::Io(io::Error::new(e.kind, e.message)))?;
                ResumeData::capture(&torrent.files, info_hash, have)?.save(&path)?;
                Ok(())
            })
            .unwrap_or_else(|| Err(ResumeError::Io(io::Error::other("the save panicked"))));
            Done::Saved(torrent.key, result)
        });
        self.inner
            .push(&mut backlog, task)
            .map_err(|()| DiskRequestError::Stopped)
    }

    /// Bytes in the write cache now, over every torrent.
    pub fn cached_bytes(&self) -> usize {
        self.inner.io.budget.used()
    }

    /// Open file handles now, over every torrent.
    pub fn open_files(&self) -> usize {
        self.inner.io.handles.len()
    }

    /// Jobs waiting in the backlog for room in the worker pool.
    pub fn backlog_len(&self) -> usize {
        lock(&self.inner.backlog).len()
    }
}
