//! Disk work as values: the jobs the torrent asks its driver to run, and their outcomes.

use std::fmt;
use std::io;
use std::path::PathBuf;

use super::storage::FileSlice;

/// Names one disk job so its completion finds its way back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobId(pub u64);

/// A piece of disk work for the driver (a worker pool, or memory in tests). Every job gets
/// exactly one [`Completion`] through [`Torrent::handle_disk`](super::Torrent::handle_disk).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DiskJob {
    /// Open (creating if needed) file `file` for reading and writing (`file_open`).
    Open {
        /// The job.
        id: JobId,
        /// The file's index.
        file: usize,
        /// Its path relative to the download directory.
        path: PathBuf,
    },
    /// Give an open file its full length (sparse is fine).
    Allocate {
        /// The job.
        id: JobId,
        /// The file's index.
        file: usize,
        /// Its length.
        length: u64,
    },
    /// Close file `file` (`file_close`).
    Close {
        /// The job.
        id: JobId,
        /// The file's index.
        file: usize,
    },
    /// Write `data` across `slices`, in order (`file_write` for each).
    Write {
        /// The job.
        id: JobId,
        /// Where the bytes go; their lengths sum to `data.len()`.
        slices: Vec<FileSlice>,
        /// The block.
        data: Vec<u8>,
    },
    /// Read `slices` in order and answer with [`Completion::Read`] (`file_read` for each).
    Read {
        /// The job.
        id: JobId,
        /// What to read.
        slices: Vec<FileSlice>,
    },
    /// Read `slices` (one piece) and answer with its SHA-1 in [`Completion::Hashed`].
    HashPiece {
        /// The job.
        id: JobId,
        /// The piece's index.
        index: u32,
        /// Where it lies.
        slices: Vec<FileSlice>,
    },
    /// Read each block's slices and answer with one SHA-1 per block in
    /// [`Completion::BlockHashes`] (the corrupt-peer policy compares blocks).
    HashBlocks {
        /// The job.
        id: JobId,
        /// The piece's index.
        index: u32,
        /// Each block's slices.
        blocks: Vec<Vec<FileSlice>>,
    },
}

impl DiskJob {
    /// The job's id.
    pub fn id(&self) -> JobId {
        match self {
            DiskJob::Open { id, .. }
            | DiskJob::Allocate { id, .. }
            | DiskJob::Close { id, .. }
            | DiskJob::Write { id, .. }
            | DiskJob::Read { id, .. }
            | DiskJob::HashPiece { id, .. }
            | DiskJob::HashBlocks { id, .. } => *id,
        }
    }
}

/// What a failed disk job was doing (the `file_error` event's `operation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DiskOperation {
    /// Opening a file.
    Open,
    /// Reading (a block for a peer, or a piece or blocks to hash).
    Read,
    /// Writing a block.
    Write,
    /// Allocating a file.
    Allocate,
    /// Closing a file.
    Close,
}

/// How a [`DiskJob`] ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Completion {
    /// An open, allocate, close or write succeeded.
    Done(JobId),
    /// A read's bytes.
    Read(JobId, Vec<u8>),
    /// A piece's SHA-1.
    Hashed(JobId, [u8; 20]),
    /// Each block's SHA-1, in the job's order.
    BlockHashes(JobId, Vec<[u8; 20]>),
    /// The job failed on file `file` (the first slice's file when unknown).
    Failed(JobId, DiskError),
}

/// Why a disk job failed: the I/O error's kind and text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct DiskError {
    /// The file it failed on, when known.
    pub file: Option<usize>,
    /// The I/O error's kind.
    pub kind: io::ErrorKind,
    /// Its description.
    pub message: String,
}

impl fmt::Display for DiskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.file {
            Some(file) => write!(f, "file {file}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl DiskError {
    /// An error from `std::io` on `file`.
    pub fn from_io(file: Option<usize>, error: &io::Error) -> Self {
        Self {
            file,
            kind: error.kind(),
            message: error.to_string(),
        }
    }
}
