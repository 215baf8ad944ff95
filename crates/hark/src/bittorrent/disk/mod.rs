//! The disk side of the BitTorrent client: runs hark_proto's [`DiskJob`]s of any number of
//! torrents on hark-reactor's worker pool ([`hark_reactor::workers`]) against real files,
//! and hands each [`Completion`] back on the reactor thread.
//!
//! - **Files**: each torrent is registered with its directory and layout
//!   ([`TorrentFiles`], from an `Info` or a `Storage` and paths) and gets a [`TorrentKey`].
//!   `Open` creates the file and its parent directories; `Allocate` extends it, sparse by
//!   default (`set_len`) or reserving blocks ([`Allocation::Full`], `fallocate`); reads and
//!   writes are positioned (`pread`/`pwrite`); at most [`DiskConfig::max_open_files`]
//!   handles are open across the pool (the least recently used is closed; a later job
//!   reopens it, never recreating a file removed under the torrent).
//! - **Write cache**: blocks wait in memory up to [`DiskConfig::cache_bytes`] across the
//!   pool and go to disk in file order when the cache is full, when a piece is hashed or
//!   read (a piece is always flushed before it is hashed), when its file is closed, and
//!   before a resume file is written. No write is longer than
//!   [`DiskConfig::write_chunk_bytes`].
//! - **Hashing**: `HashPiece` and `HashBlocks` with the `sha1` crate (SHA-NI where the CPU
//!   has it), on the workers.
//! - **Errors**: every I/O error is a `Completion::Failed` with the file's index and the
//!   error's kind and text ([`DiskError`]): a full disk (`ENOSPC`, `StorageFull`), a
//!   permission refused, a file removed under an open torrent (`NotFound`: a handle whose
//!   file has no link left is refused rather than written to or hashed). The engine then
//!   fires `file_error` and pauses that torrent, keeping what it verified.
//! - **Backpressure**: a full worker pool parks jobs in a bounded backlog
//!   ([`DiskConfig::backlog_capacity`]) that the pool empties as results come back; beyond
//!   it [`DiskPool::submit`] hands the job back.
//! - **Fast resume and re-check**: [`ResumeData`] (see [`resume`]) records
//!   the verified pieces and every file's length and modification time, written
//!   atomically ([`DiskPool::save_resume`]) and validated on load; when it is missing or
//!   stale, [`DiskPool::recheck`] hashes every piece on all the workers and yields the
//!   `PieceSet` to give `Torrent::new`.
//!
//! # Example
//!
//! Two files, one block written across both, then hashed and read back:
//!
//! ```
//! use std::time::{Duration, Instant};
//! use hark::bittorrent::disk::{DiskConfig, DiskPool, TorrentFiles, TorrentKey};
//! use hark_proto::bt::torrent::{Completion, DiskJob, FileSlice, JobId, Storage};
//! use hark_reactor::{Reactor, ReactorConfig};
//! use sha1::{Digest, Sha1};
//!
//! let reactor = Reactor::spawn(ReactorConfig::default())?;
//! let (tx, rx) = std::sync::mpsc::channel();
//! // Completions arrive on the reactor thread; here they are forwarded to this one.
//! let disk = DiskPool::new(
//!     reactor.handle(),
//!     DiskConfig::default(),
//!     move |_: &mut Reactor, _: Instant, torrent: TorrentKey, completion: Completion| {
//!         let _ = tx.send((torrent, completion));
//!     },
//! )?;
//! let dir = std::env::temp_dir().join(format!("hark-disk-doc-{}", std::process::id()));
//! let storage = Storage::new([5, 7], 8); // 12 bytes in pieces of 8
//! let files = TorrentFiles::new(&dir, storage.clone(), vec!["t/a".into(), "t/b".into()])?;
//! let key = disk.add_torrent(files);
//! let mut wait = || rx.recv_timeout(Duration::from_secs(10)).map(|(k, c)| { assert_eq!(k, key); c });
//!
//! for file in 0..2 {
//!     let path = ["t/a", "t/b"][file].into();
//!     disk.submit(key, DiskJob::Open { id: JobId(file as u64), file, path })?;
//! }
//! for _ in 0..2 {
//!     assert!(matches!(wait()?, Completion::Done(_)));
//! }
//! let slices = storage.map_range(0, 12); // [file 0: 0..5, file 1: 0..7]
//! disk.submit(key, DiskJob::Write { id: JobId(2), slices, data: b"hello, world".to_vec() })?;
//! assert_eq!(wait()?, Completion::Done(JobId(2)));
//!
//! disk.submit(key, DiskJob::HashPiece { id: JobId(3), index: 0, slices: storage.map_block(0, 0, 8) })?;
//! let expected: [u8; 20] = Sha1::digest(b"hello, w").into();
//! assert_eq!(wait()?, Completion::Hashed(JobId(3), expected));
//!
//! disk.submit(key, DiskJob::Read { id: JobId(4), slices: storage.map_block(1, 0, 4) })?;
//! assert_eq!(wait()?, Completion::Read(JobId(4), b"orld".to_vec()));
//! assert_eq!(std::fs::read(dir.join("t/b"))?, b", world");
//!
//! drop(reactor); // stops the reactor and the disk threads
//! std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`DiskJob`]: hark_proto::bt::torrent::DiskJob
//! [`Completion`]: hark_proto::bt::torrent::Completion
//! [`DiskError`]: hark_proto::bt::torrent::DiskError

mod cache;
mod files;
mod io;
mod pool;
pub mod resume;

pub use files::{FilesError, TorrentFiles};
pub use pool::{DiskHandler, DiskPool, DiskRequestError, DiskSubmitError};
pub use resume::{FileStamp, ResumeData, ResumeError};

/// Names a torrent registered with a [`DiskPool`] ([`DiskPool::add_torrent`]); keys are
/// not reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TorrentKey(pub u64);

/// How `Allocate` gives a file its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Allocation {
    /// `set_len`: a sparse file, blocks taken as data arrives (a full disk shows at
    /// write time).
    #[default]
    Sparse,
    /// `fallocate`: every block reserved up front (a full disk shows at allocation).
    Full,
}

/// Limits of a [`DiskPool`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskConfig {
    /// Worker threads; `0` (the default) means one per core.
    pub threads: usize,
    /// Jobs that may wait for a worker thread (see
    /// [`WorkerConfig::queue_capacity`](hark_reactor::workers::WorkerConfig::queue_capacity)).
    /// Default 256.
    pub queue_capacity: usize,
    /// Jobs parked while the worker pool is full, before [`DiskPool::submit`] refuses
    /// them. Default 4096.
    pub backlog_capacity: usize,
    /// Bytes of written blocks held in memory across every torrent before they go to
    /// disk; `0` writes through. Default 32 MiB.
    pub cache_bytes: usize,
    /// Open file handles across every torrent. Default 256.
    pub max_open_files: usize,
    /// Sparse (the default) or full pre-allocation.
    pub allocation: Allocation,
    /// The longest positioned write; longer data goes to disk in writes of this many
    /// bytes. `0` means no limit. Default 16 KiB, the BitTorrent block.
    ///
    /// Linux sizes a file's page-cache pages (folios) by the length of the write that
    /// creates them. On a virtual machine that hands its free memory back to the host
    /// (virtio-balloon free page reporting), a large folio is faulted back in from the
    /// host page by page, and on the machines hark is measured on, 1 MiB writes into a
    /// fresh file cost 2.5 to 10 times the system time of 16 KiB writes (`dd bs=1M`
    /// against `dd bs=16K`, 1 GiB, interleaved). On bare metal the extra calls cost
    /// about 64 system calls per MiB.
    pub write_chunk_bytes: usize,
}

impl Default for DiskConfig {
    fn default() -> Self {
        DiskConfig {
            threads: 0,
            queue_capacity: 256,
            backlog_capacity: 4096,
            cache_bytes: 32 << 20,
            max_open_files: 256,
            allocation: Allocation::Sparse,
            write_chunk_bytes: 16 << 10,
        }
    }
}
