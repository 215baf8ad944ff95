//! Running one [`DiskJob`] against a torrent's files: positioned reads and writes through
//! the write cache and the handle table, allocation, SHA-1 hashing.

use std::cell::RefCell;
use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileExt;
use std::sync::{Mutex, MutexGuard, PoisonError};

use hark_proto::bt::torrent::{Completion, DiskError, DiskJob, FileSlice, JobId};
use sha1::{Digest, Sha1};

use super::Allocation;
use super::TorrentKey;
use super::cache::{CacheBudget, FlushError, Sink, WriteCache};
use super::files::{Access, Handle, HandleTable, TorrentFiles, check_linked};

/// Bytes read per call when hashing (a thread's reusable buffer).
const READ_CHUNK: usize = 1 << 20;

/// What every job of a pool shares.
pub(super) struct IoShared {
    pub(super) handles: HandleTable,
    pub(super) budget: CacheBudget,
    pub(super) allocation: Allocation,
    /// The longest positioned write (`0`: no limit); see `DiskConfig::write_chunk_bytes`.
    pub(super) write_chunk: usize,
}

/// One registered torrent.
pub(super) struct TorrentDisk {
    pub(super) key: TorrentKey,
    pub(super) files: TorrentFiles,
    cache: Mutex<WriteCache>,
}

impl TorrentDisk {
    pub(super) fn new(key: TorrentKey, files: TorrentFiles) -> Self {
        TorrentDisk {
            key,
            files,
            cache: Mutex::new(WriteCache::default()),
        }
    }

    pub(super) fn cache(&self) -> MutexGuard<'_, WriteCache> {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The cache, unless a worker holds it (a caller that must not wait goes elsewhere).
    pub(super) fn try_cache(&self) -> Option<MutexGuard<'_, WriteCache>> {
        match self.cache.try_lock() {
            Ok(guard) => Some(guard),
            Err(std::sync::TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        }
    }
}

/// Writes through the handle table, in writes of at most `write_chunk` bytes; a file
/// removed under the torrent is an error.
struct FileSink<'a> {
    shared: &'a IoShared,
    torrent: &'a TorrentDisk,
}

impl Sink for FileSink<'_> {
    fn write_at(&mut self, file: usize, offset: u64, data: &[u8]) -> io::Result<()> {
        let handle = self.shared.handles.get(
            self.torrent.key,
            &self.torrent.files,
            file,
            Access::Existing,
        )?;
        check_linked(&handle)?;
        let file = handle.for_write()?;
        let chunk = match self.shared.write_chunk {
            0 => data.len().max(1),
            n => n,
        };
        let mut at = offset;
        for part in data.chunks(chunk) {
            file.write_all_at(part, at)?;
            at += part.len() as u64;
        }
        Ok(())
    }
}

fn failed(id: JobId, file: usize, error: &io::Error) -> Completion {
    Completion::Failed(id, DiskError::from_io(Some(file), error))
}

fn flush_failed(id: JobId, (file, error): FlushError) -> Completion {
    failed(id, file, &error)
}

/// Runs `job` on `torrent`'s files; every outcome, errors included, is a [`Completion`].
pub(super) fn run(shared: &IoShared, torrent: &TorrentDisk, job: DiskJob) -> Completion {
    let id = job.id();
    match job {
        DiskJob::Open { file, path, .. } => {
            if !torrent.files.same_path(file, &path) {
                let error = io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("open of {path:?} for file {file}, registered elsewhere"),
                );
                return failed(id, file, &error);
            }
            match shared
                .handles
                .get(torrent.key, &torrent.files, file, Access::Create)
            {
                Ok(_) => Completion::Done(id),
                Err(error) => failed(id, file, &error),
            }
        }
        DiskJob::Allocate { file, length, .. } => {
            let allocated = shared
                .handles
                .get(torrent.key, &torrent.files, file, Access::Create)
                .and_then(|handle| allocate(&handle, length, shared.allocation));
            match allocated {
                Ok(()) => Completion::Done(id),
                Err(error) => failed(id, file, &error),
            }
        }
        DiskJob::Close { file, .. } => {
            let mut sink = FileSink { shared, torrent };
            let flushed = torrent.cache().flush_file(&shared.budget, &mut sink, file);
            shared.handles.close(torrent.key, file);
            match flushed {
                Ok(()) => Completion::Done(id),
                Err(error) => flush_failed(id, error),
            }
        }
        DiskJob::Write { slices, data, .. } => write(shared, torrent, id, &slices, data),
        DiskJob::Read { slices, .. } => {
            let total: usize = slices.iter().map(|s| s.length as usize).sum();
            let mut out = vec![0u8; total];
            let mut at = 0;
            for slice in &slices {
                let len = slice.length as usize;
                if let Err((file, error)) =
                    read_slice(shared, torrent, slice, &mut out[at..at + len])
                {
                    return failed(id, file, &error);
                }
                at += len;
            }
            Completion::Read(id, out)
        }
        DiskJob::HashPiece { slices, .. } => match hash_slices(shared, torrent, &slices) {
            Ok(digest) => Completion::Hashed(id, digest),
            Err((file, error)) => failed(id, file, &error),
        },
        DiskJob::HashBlocks { blocks, .. } => {
            let mut digests = Vec::with_capacity(blocks.len());
            for block in &blocks {
                match hash_slices(shared, torrent, block) {
                    Ok(digest) => digests.push(digest),
                    Err((file, error)) => return failed(id, file, &error),
                }
            }
            Completion::BlockHashes(id, digests)
        }
        other => {
            let file = first_file(&other);
            let error = io::Error::new(io::ErrorKind::Unsupported, "unknown disk job");
            Completion::Failed(other.id(), DiskError::from_io(file, &error))
        }
    }
}

fn first_file(job: &DiskJob) -> Option<usize> {
    match job {
        DiskJob::Open { file, .. }
        | DiskJob::Allocate { file, .. }
        | DiskJob::Close { file, .. } => Some(*file),
        DiskJob::Write { slices, .. }
        | DiskJob::Read { slices, .. }
        | DiskJob::HashPiece { slices, .. } => slices.first().map(|s| s.file),
        DiskJob::HashBlocks { blocks, .. } => blocks.iter().flatten().next().map(|s| s.file),
        _ => None,
    }
}

fn write(
    shared: &IoShared,
    torrent: &TorrentDisk,
    id: JobId,
    slices: &[FileSlice],
    data: Vec<u8>,
) -> Completion {
    let total: usize = slices.iter().map(|s| s.length as usize).sum();
    if total != data.len() {
        let error = io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} bytes for slices of {total}", data.len()),
        );
        return failed(id, slices.first().map_or(0, |s| s.file), &error);
    }
    let mut sink = FileSink { shared, torrent };
    let mut cache = torrent.cache();
    if let [slice] = slices {
        // The block is one slice: the cache keeps its buffer as it is.
        return match cache.write(&shared.budget, &mut sink, slice.file, slice.offset, data) {
            Ok(()) => Completion::Done(id),
            Err(error) => flush_failed(id, error),
        };
    }
    let mut at = 0;
    for slice in slices {
        let len = slice.length as usize;
        let written = cache.write(
            &shared.budget,
            &mut sink,
            slice.file,
            slice.offset,
            &data[at..at + len],
        );
        if let Err(error) = written {
            return flush_failed(id, error);
        }
        at += len;
    }
    Completion::Done(id)
}

/// Writes the cached blocks overlapping `slices` to disk (a piece is flushed before it is
/// hashed or read).
fn flush_slices(
    shared: &IoShared,
    torrent: &TorrentDisk,
    slices: &[FileSlice],
) -> Result<(), FlushError> {
    flush_locked(shared, torrent, &mut torrent.cache(), slices)
}

/// [`flush_slices`] with the torrent's cache already locked.
fn flush_locked(
    shared: &IoShared,
    torrent: &TorrentDisk,
    cache: &mut WriteCache,
    slices: &[FileSlice],
) -> Result<(), FlushError> {
    if cache.bytes() == 0 {
        return Ok(());
    }
    let mut sink = FileSink { shared, torrent };
    for slice in slices {
        let end = slice.offset + u64::from(slice.length);
        cache.flush_range(&shared.budget, &mut sink, slice.file, slice.offset, end)?;
    }
    Ok(())
}

fn read_slice(
    shared: &IoShared,
    torrent: &TorrentDisk,
    slice: &FileSlice,
    out: &mut [u8],
) -> Result<(), FlushError> {
    flush_slices(shared, torrent, std::slice::from_ref(slice))?;
    let file = slice.file;
    let handle = shared
        .handles
        .get(torrent.key, &torrent.files, file, Access::Existing)
        .map_err(|e| (file, e))?;
    handle
        .read_exact_at(out, slice.offset)
        .map_err(|e| (file, e))
}

thread_local! {
    static HASH_BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// SHA-1 of the bytes of `slices`, in order, after flushing them.
fn hash_slices(
    shared: &IoShared,
    torrent: &TorrentDisk,
    slices: &[FileSlice],
) -> Result<[u8; 20], FlushError> {
    let mut hasher = Sha1::new();
    {
        // A piece whose blocks all wait in the write cache (a download's usual case) is
        // hashed from memory, then written: no read back through the page cache.
        let cache = torrent.cache();
        let end = |s: &FileSlice| s.offset + u64::from(s.length);
        if slices
            .iter()
            .all(|s| cache.covers(s.file, s.offset, end(s)))
        {
            for s in slices {
                cache.for_each_in(s.file, s.offset, end(s), |data| hasher.update(data));
            }
            let mut cache = cache;
            flush_locked(shared, torrent, &mut cache, slices)?;
            return Ok(hasher.finalize().into());
        }
    }
    flush_slices(shared, torrent, slices)?;
    for slice in slices {
        let file = slice.file;
        let handle = shared
            .handles
            .get(torrent.key, &torrent.files, file, Access::Existing)
            .map_err(|e| (file, e))?;
        check_linked(&handle).map_err(|e| (file, e))?;
        hash_range(&handle, slice.offset, u64::from(slice.length), &mut hasher)
            .map_err(|e| (file, e))?;
    }
    Ok(hasher.finalize().into())
}

/// Feeds `length` bytes at `offset` of `handle` to `hasher`, through this thread's buffer.
pub(super) fn hash_range(
    handle: &File,
    mut offset: u64,
    mut length: u64,
    hasher: &mut Sha1,
) -> io::Result<()> {
    HASH_BUFFER.with(|buffer| {
        let mut buffer = buffer.borrow_mut();
        if buffer.len() < READ_CHUNK {
            buffer.resize(READ_CHUNK, 0);
        }
        while length > 0 {
            let n = length.min(READ_CHUNK as u64) as usize;
            handle.read_exact_at(&mut buffer[..n], offset)?;
            hasher.update(&buffer[..n]);
            offset += n as u64;
            length -= n as u64;
        }
        Ok(())
    })
}

/// Gives `handle` at least `length` bytes: a sparse `set_len`, or blocks reserved with
/// `fallocate`. A longer file is left alone.
fn allocate(handle: &Handle, length: u64, allocation: Allocation) -> io::Result<()> {
    if handle.metadata()?.len() >= length {
        return Ok(());
    }
    let handle = handle.for_write()?;
    match allocation {
        Allocation::Sparse => handle.set_len(length),
        Allocation::Full => {
            let length = libc::off_t::try_from(length)
                .map_err(|_| io::Error::from_raw_os_error(libc::EFBIG))?;
            // SAFETY: the descriptor belongs to `handle`, which outlives the call; the
            // call reads no memory of ours.
            let rc = unsafe { libc::fallocate(handle.as_raw_fd(), 0, 0, length) };
            if rc == 0 {
                Ok(())
            } else {
                Err(io::Error::last_os_error())
            }
        }
    }
}

/// Writes a torrent's whole write cache to disk.
pub(super) fn flush_torrent(shared: &IoShared, torrent: &TorrentDisk) -> Result<(), DiskError> {
    let mut cache = torrent.cache();
    if cache.bytes() == 0 {
        return Ok(());
    }
    cache
        .flush_all(&shared.budget, &mut FileSink { shared, torrent })
        .map_err(|(file, error)| DiskError::from_io(Some(file), &error))
}

/// Verifies the pieces `first..first + hashes.len()` of `files` against `hashes`, reading
/// the files read-only (a missing or short file leaves its pieces unverified). Returns
/// which passed.
pub(super) fn check_pieces(
    files: &TorrentFiles,
    piece_length: u32,
    first: u32,
    hashes: &[[u8; 20]],
) -> Result<Vec<bool>, DiskError> {
    let storage = files.storage();
    let total = storage.total_length();
    let mut open: Vec<(usize, Option<File>)> = Vec::new();
    let mut passed = Vec::with_capacity(hashes.len());
    for (i, expected) in hashes.iter().enumerate() {
        let index = u64::from(first) + i as u64;
        let start = index * u64::from(piece_length);
        let len = u64::from(piece_length).min(total.saturating_sub(start));
        let mut hasher = Sha1::new();
        let mut ok = len > 0 || total == 0;
        for slice in storage.map_range(start, len) {
            let handle = match open.iter().position(|(f, _)| *f == slice.file) {
                Some(at) => &open[at].1,
                None => {
                    let opened = match files.path(slice.file).map(File::open) {
                        Some(Ok(handle)) => Some(handle),
                        Some(Err(e)) if e.kind() == io::ErrorKind::NotFound => None,
                        Some(Err(e)) => return Err(DiskError::from_io(Some(slice.file), &e)),
                        None => None,
                    };
                    open.push((slice.file, opened));
                    &open[open.len() - 1].1
                }
            };
            let Some(handle) = handle else {
                ok = false;
                break;
            };
            match hash_range(handle, slice.offset, u64::from(slice.length), &mut hasher) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    ok = false;
                    break;
                }
                Err(e) => return Err(DiskError::from_io(Some(slice.file), &e)),
            }
        }
        passed.push(ok && <[u8; 20]>::from(hasher.finalize()) == *expected);
    }
    Ok(passed)
}
