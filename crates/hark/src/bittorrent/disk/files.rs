//! Where a torrent's files are, and the bounded table of open file handles.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use hark_proto::bt::torrent::Storage;
use hark_wire::bt::metainfo::Info;

use super::TorrentKey;

/// A torrent's files on disk: the directory they live under, their layout in the torrent's
/// byte stream, and each one's path relative to that directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TorrentFiles {
    root: PathBuf,
    storage: Storage,
    paths: Vec<PathBuf>,
}

/// Why [`TorrentFiles::new`] refused its arguments.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FilesError {
    /// A path count other than the storage's file count.
    #[error("{paths} paths for {files} files")]
    PathCount {
        /// Paths given.
        paths: usize,
        /// Files in the storage.
        files: usize,
    },
    /// A path that is absolute, empty or leaves the root (`..`).
    #[error("path {path:?} of file {file} is not a plain relative path")]
    BadPath {
        /// The file's index.
        file: usize,
        /// The path.
        path: PathBuf,
    },
}

impl TorrentFiles {
    /// Files laid out as `storage` says, at `paths` under `root`. Every path must be
    /// relative and stay below `root` (no `..`, no root or prefix component).
    pub fn new(
        root: impl Into<PathBuf>,
        storage: Storage,
        paths: Vec<PathBuf>,
    ) -> Result<Self, FilesError> {
        if paths.len() != storage.file_count() {
            return Err(FilesError::PathCount {
                paths: paths.len(),
                files: storage.file_count(),
            });
        }
        if let Some(file) = paths.iter().position(|p| !is_plain_relative(p)) {
            return Err(FilesError::BadPath {
                file,
                path: paths[file].clone(),
            });
        }
        Ok(TorrentFiles {
            root: root.into(),
            storage,
            paths,
        })
    }

    /// The files of `info` under `root`, where other clients put them (`root/NAME` for a
    /// single file, `root/NAME/...` for several). `info`'s components were checked when it
    /// was parsed.
    pub fn from_info(root: impl Into<PathBuf>, info: &Info) -> Result<Self, FilesError> {
        let paths = info.files.iter().map(|f| info.file_path(f)).collect();
        Self::new(root, Storage::from_info(info), paths)
    }

    /// The directory the files live under.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The layout of the files in the torrent's byte stream.
    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// The number of files.
    pub fn file_count(&self) -> usize {
        self.paths.len()
    }

    /// File `file`'s path on disk (`None` past the end).
    pub fn path(&self, file: usize) -> Option<PathBuf> {
        self.paths.get(file).map(|p| self.root.join(p))
    }

    /// Whether a job's relative path for `file` is the one registered.
    pub(super) fn same_path(&self, file: usize, path: &Path) -> bool {
        self.paths.get(file).is_some_and(|p| p == path)
    }
}

fn is_plain_relative(path: &Path) -> bool {
    path.components().next().is_some()
        && path.components().all(|c| matches!(c, Component::Normal(_)))
}

/// How a handle is wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Access {
    /// Open or create (with the parent directories), read and write (`DiskJob::Open`,
    /// `DiskJob::Allocate`).
    Create,
    /// Open an existing file, read and write: a file removed under the torrent is an
    /// error, never silently recreated.
    Existing,
}

/// The open files of every torrent of a pool, at most `capacity` at once; the least
/// recently used is closed to make room (jobs still using it keep it until they finish).
pub(super) struct HandleTable {
    inner: Mutex<Table>,
}

struct Table {
    capacity: usize,
    tick: u64,
    open: HashMap<(TorrentKey, usize), (Handle, u64)>,
}

/// An open file, and whether it may be written (a file without write permission, or on a
/// read-only filesystem, is opened read-only so a complete torrent can be seeded).
#[derive(Clone)]
pub(super) struct Handle {
    pub(super) file: Arc<File>,
    pub(super) writable: bool,
}

impl Handle {
    /// The file, for a write: a read-only handle is refused.
    pub(super) fn for_write(&self) -> io::Result<&File> {
        if self.writable {
            Ok(&self.file)
        } else {
            Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "the file is open read-only (no write permission)",
            ))
        }
    }
}

impl std::ops::Deref for Handle {
    type Target = File;

    fn deref(&self) -> &File {
        &self.file
    }
}

impl HandleTable {
    pub(super) fn new(capacity: usize) -> Self {
        HandleTable {
            inner: Mutex::new(Table {
                capacity: capacity.max(1),
                tick: 0,
                open: HashMap::new(),
            }),
        }
    }

    fn table(&self) -> std::sync::MutexGuard<'_, Table> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// File `file` of torrent `key`, opened if needed.
    pub(super) fn get(
        &self,
        key: TorrentKey,
        files: &TorrentFiles,
        file: usize,
        access: Access,
    ) -> io::Result<Handle> {
        {
            let mut table = self.table();
            table.tick += 1;
            let tick = table.tick;
            if let Some((handle, used)) = table.open.get_mut(&(key, file)) {
                *used = tick;
                return Ok(handle.clone());
            }
        }
        // Opened outside the lock: other torrents' jobs go on meanwhile.
        let path = files.path(file).ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, format!("no file {file}"))
        })?;
        let mut options = OpenOptions::new();
        options.read(true).write(true);
        if access == Access::Create {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            options.create(true);
        }
        let handle = match options.open(&path) {
            Ok(opened) => Handle {
                file: Arc::new(opened),
                writable: true,
            },
            // No write permission, or a read-only filesystem: an existing file can still
            // be read (seeded); writes to it are refused.
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem
                ) =>
            {
                match File::open(&path) {
                    Ok(opened) => Handle {
                        file: Arc::new(opened),
                        writable: false,
                    },
                    Err(_) => return Err(error),
                }
            }
            Err(error) => return Err(error),
        };
        let mut table = self.table();
        table.tick += 1;
        let tick = table.tick;
        if let Some((existing, used)) = table.open.get_mut(&(key, file)) {
            *used = tick;
            return Ok(existing.clone());
        }
        if table.open.len() >= table.capacity {
            let oldest = table
                .open
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| *k);
            if let Some(oldest) = oldest {
                table.open.remove(&oldest);
            }
        }
        table.open.insert((key, file), (handle.clone(), tick));
        Ok(handle)
    }

    /// Closes file `file` of torrent `key` (jobs still using it keep it until they finish).
    pub(super) fn close(&self, key: TorrentKey, file: usize) {
        self.table().open.remove(&(key, file));
    }

    /// Closes every file of torrent `key`.
    pub(super) fn close_all(&self, key: TorrentKey) {
        self.table().open.retain(|(k, _), _| *k != key);
    }

    /// Open handles now.
    pub(super) fn len(&self) -> usize {
        self.table().open.len()
    }
}

/// Fails when the open file was removed from its directory (its link count is 0): writing
/// to it would lose the data, reading it would verify a ghost.
pub(super) fn check_linked(handle: &File) -> io::Result<()> {
    if handle.metadata()?.nlink() == 0 {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            "the file was removed while open",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_must_stay_below_the_root() {
        let storage = Storage::new([1, 2], 16);
        let ok = TorrentFiles::new("/r", storage.clone(), vec!["a/b".into(), "c".into()]);
        assert!(ok.is_ok());
        for bad in ["../x", "/etc/passwd", "", "a/../../b", "./a"] {
            let err = TorrentFiles::new("/r", storage.clone(), vec!["a".into(), bad.into()]);
            assert!(
                matches!(err, Err(FilesError::BadPath { file: 1, .. })),
                "{bad:?} accepted"
            );
        }
        assert!(matches!(
            TorrentFiles::new("/r", storage, vec!["a".into()]),
            Err(FilesError::PathCount { paths: 1, files: 2 })
        ));
    }
}
