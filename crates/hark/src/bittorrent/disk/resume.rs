//! Fast resume: which pieces were verified, and the state of every file when that was
//! written down, so a restart need not hash everything again.
//!
//! The resume file is one bencoded dictionary:
//!
//! | key | value |
//! | --- | --- |
//! | `version` | `1` |
//! | `info-hash` | the torrent's 20-byte v1 info hash |
//! | `piece-count` | the number of pieces |
//! | `pieces` | the verified pieces as a BitTorrent bitfield (high bit first, spare bits 0) |
//! | `files` | one dictionary per file, in the torrent's order: `length` and `mtime` (seconds) and `mtime-ns` (nanoseconds) of the file on disk, or empty when it did not exist |
//!
//! It is written atomically ([`ResumeData::save`]: a temporary file, `fsync`, `rename`,
//! `fsync` of the directory), so a crash leaves the old file or the new one, never half
//! of one. [`ResumeData::validate`] accepts it only for the same torrent with every file
//! unchanged (length and modification time to the nanosecond); anything else is a typed
//! [`ResumeError`], after which the caller re-checks the whole torrent
//! ([`DiskPool::recheck`](super::DiskPool::recheck)).

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use hark_proto::bt::peer::PieceSet;
use hark_wire::bt::bencode::{self, Limits, OwnedValue, Value};

use super::files::TorrentFiles;

/// The longest resume file read (a bitfield of 2^24 pieces and 100,000 files fit well).
pub const MAX_RESUME_LEN: usize = 16 << 20;

/// A file's state on disk when the resume data was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStamp {
    /// Its length.
    pub length: u64,
    /// Its modification time, seconds since the epoch.
    pub mtime: i64,
    /// The nanoseconds of its modification time.
    pub mtime_ns: u32,
}

impl FileStamp {
    /// The stamp of the file at `path`, or `None` if there is none.
    pub fn of(path: &Path) -> io::Result<Option<FileStamp>> {
        match std::fs::metadata(path) {
            Ok(meta) => Ok(Some(FileStamp {
                length: meta.len(),
                mtime: meta.mtime(),
                mtime_ns: u32::try_from(meta.mtime_nsec()).unwrap_or(0),
            })),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// What a resume file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResumeData {
    /// The torrent's v1 info hash.
    pub info_hash: [u8; 20],
    /// The verified pieces (its capacity is the torrent's piece count).
    pub have: PieceSet,
    /// Each file's state on disk (`None`: it did not exist).
    pub files: Vec<Option<FileStamp>>,
}

/// Why resume data was not used (then re-check the torrent), or could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResumeError {
    /// Reading or writing the resume file failed.
    #[error("resume file I/O: {0}")]
    Io(#[from] io::Error),
    /// The file is longer than [`MAX_RESUME_LEN`].
    #[error("resume file of more than {MAX_RESUME_LEN} bytes")]
    TooLong,
    /// The bytes are not bencode.
    #[error("resume file is not bencode: {0}")]
    Bencode(#[from] bencode::Error),
    /// The bencode is not a resume dictionary of a known version.
    #[error("malformed resume data: {0}")]
    Malformed(&'static str),
    /// It is for another torrent.
    #[error("resume data of another torrent")]
    InfoHash,
    /// It counts another number of pieces.
    #[error("resume data of {resume} pieces for a torrent of {torrent}")]
    PieceCount {
        /// In the resume data.
        resume: u32,
        /// In the torrent.
        torrent: u32,
    },
    /// It lists another number of files.
    #[error("resume data of {resume} files for a torrent of {torrent}")]
    FileCount {
        /// In the resume data.
        resume: usize,
        /// In the torrent.
        torrent: usize,
    },
    /// A file changed (appeared, vanished, or has another length or modification time)
    /// since the resume data was written.
    #[error("file {file} changed since the resume data was written")]
    FileChanged {
        /// The file's index.
        file: usize,
    },
}

impl ResumeData {
    /// The resume data of `files` now, with `have` verified. Flush the torrent's writes
    /// first (their modification times are part of it).
    pub fn capture(
        files: &TorrentFiles,
        info_hash: [u8; 20],
        have: PieceSet,
    ) -> io::Result<ResumeData> {
        let stamps = (0..files.file_count())
            .map(|file| match files.path(file) {
                Some(path) => FileStamp::of(&path),
                None => Ok(None),
            })
            .collect::<io::Result<Vec<_>>>()?;
        Ok(ResumeData {
            info_hash,
            have,
            files: stamps,
        })
    }

    /// The verified pieces, if this resume data belongs to the torrent `info_hash` of
    /// `piece_count` pieces with `files`, and every file is as it was.
    pub fn validate(
        &self,
        files: &TorrentFiles,
        info_hash: &[u8; 20],
        piece_count: u32,
    ) -> Result<PieceSet, ResumeError> {
        if &self.info_hash != info_hash {
            return Err(ResumeError::InfoHash);
        }
        if self.have.capacity() != piece_count {
            return Err(ResumeError::PieceCount {
                resume: self.have.capacity(),
                torrent: piece_count,
            });
        }
        if self.files.len() != files.file_count() {
            return Err(ResumeError::FileCount {
                resume: self.files.len(),
                torrent: files.file_count(),
            });
        }
        for (file, saved) in self.files.iter().enumerate() {
            let now = match files.path(file) {
                Some(path) => FileStamp::of(&path)?,
                None => None,
            };
            if now != *saved {
                return Err(ResumeError::FileChanged { file });
            }
        }
        Ok(self.have.clone())
    }

    /// Reads and parses the resume file at `path`.
    pub fn load(path: &Path) -> Result<ResumeData, ResumeError> {
        let file = File::open(path)?;
        let mut bytes = Vec::new();
        file.take(MAX_RESUME_LEN as u64 + 1)
            .read_to_end(&mut bytes)?;
        if bytes.len() > MAX_RESUME_LEN {
            return Err(ResumeError::TooLong);
        }
        ResumeData::parse(&bytes)
    }

    /// Writes the resume file at `path` atomically: `PATH.tmp`, `fsync`, `rename` over
    /// `path`, `fsync` of the directory.
    pub fn save(&self, path: &Path) -> io::Result<()> {
        let mut tmp = PathBuf::from(path);
        let mut name = path
            .file_name()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?
            .to_os_string();
        name.push(".tmp");
        tmp.set_file_name(name);
        {
            let mut out = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .open(&tmp)?;
            out.write_all(&self.to_bytes())?;
            out.sync_all()?;
        }
        std::fs::rename(&tmp, path)?;
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        File::open(dir)?.sync_all()
    }

    /// The bencoded resume file.
    pub fn to_bytes(&self) -> Vec<u8> {
        let files = self
            .files
            .iter()
            .map(|stamp| match stamp {
                None => OwnedValue::dict(),
                Some(s) => OwnedValue::dict()
                    .with(
                        "length",
                        OwnedValue::Integer(i64::try_from(s.length).unwrap_or(i64::MAX)),
                    )
                    .with("mtime", OwnedValue::Integer(s.mtime))
                    .with("mtime-ns", OwnedValue::Integer(i64::from(s.mtime_ns))),
            })
            .collect();
        OwnedValue::dict()
            .with("version", OwnedValue::Integer(1))
            .with("info-hash", OwnedValue::Bytes(self.info_hash.to_vec()))
            .with(
                "piece-count",
                OwnedValue::Integer(i64::from(self.have.capacity())),
            )
            .with("pieces", OwnedValue::Bytes(self.have.as_wire().to_vec()))
            .with("files", OwnedValue::List(files))
            .to_vec()
    }

    /// Parses a resume file's bytes; anything but a well-formed version-1 resume
    /// dictionary is an error.
    pub fn parse(bytes: &[u8]) -> Result<ResumeData, ResumeError> {
        if bytes.len() > MAX_RESUME_LEN {
            return Err(ResumeError::TooLong);
        }
        let limits = Limits {
            max_len: MAX_RESUME_LEN,
            max_depth: 4,
            ..Limits::DEFAULT
        };
        let value = bencode::decode_with(bytes, &limits)?;
        if value.as_dict().is_none() {
            return Err(ResumeError::Malformed("not a dictionary"));
        }
        if integer(&value, b"version")? != 1 {
            return Err(ResumeError::Malformed("unknown version"));
        }
        let info_hash: [u8; 20] = value
            .get(b"info-hash")
            .and_then(Value::as_bytes)
            .and_then(|b| b.try_into().ok())
            .ok_or(ResumeError::Malformed("info-hash"))?;
        let count = u32::try_from(integer(&value, b"piece-count")?)
            .map_err(|_| ResumeError::Malformed("piece-count"))?;
        let bits = value
            .get(b"pieces")
            .and_then(Value::as_bytes)
            .ok_or(ResumeError::Malformed("pieces"))?;
        let have =
            PieceSet::from_wire(bits, count).map_err(|_| ResumeError::Malformed("pieces"))?;
        let list = value
            .get(b"files")
            .and_then(Value::as_list)
            .ok_or(ResumeError::Malformed("files"))?;
        let files = list.iter().map(stamp).collect::<Result<Vec<_>, _>>()?;
        Ok(ResumeData {
            info_hash,
            have,
            files,
        })
    }
}

fn integer(dict: &Value<'_>, key: &'static [u8]) -> Result<i64, ResumeError> {
    dict.get(key)
        .and_then(Value::as_integer)
        .ok_or(ResumeError::Malformed("a required integer is missing"))
}

fn stamp(entry: &Value<'_>) -> Result<Option<FileStamp>, ResumeError> {
    let Some(fields) = entry.as_dict() else {
        return Err(ResumeError::Malformed("a file entry is not a dictionary"));
    };
    if fields.is_empty() {
        return Ok(None);
    }
    let length = u64::try_from(integer(entry, b"length")?)
        .map_err(|_| ResumeError::Malformed("negative file length"))?;
    let mtime = integer(entry, b"mtime")?;
    let mtime_ns = u32::try_from(integer(entry, b"mtime-ns")?)
        .ok()
        .filter(|&ns| ns < 1_000_000_000)
        .ok_or(ResumeError::Malformed("mtime-ns out of range"))?;
    Ok(Some(FileStamp {
        length,
        mtime,
        mtime_ns,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ResumeData {
        let mut have = PieceSet::empty(11);
        have.insert(0);
        have.insert(10);
        ResumeData {
            info_hash: [7; 20],
            have,
            files: vec![
                Some(FileStamp {
                    length: 40_000,
                    mtime: 1_700_000_000,
                    mtime_ns: 123_456_789,
                }),
                None,
            ],
        }
    }

    #[test]
    fn round_trips_through_bencode() {
        let data = sample();
        let bytes = data.to_bytes();
        assert!(bytes.starts_with(b"d5:filesl"));
        assert_eq!(ResumeData::parse(&bytes).unwrap(), data);
    }

    #[test]
    fn malformed_input_is_a_typed_error() {
        let good = sample().to_bytes();
        let cases: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"le".to_vec(),
            b"d7:versioni2ee".to_vec(),
            good[..good.len() - 1].to_vec(),
            String::from_utf8_lossy(&good)
                .replace("11:piece-counti11e", "11:piece-counti-1e")
                .into_bytes(),
            String::from_utf8_lossy(&good)
                .replace("8:mtime-nsi123456789e", "8:mtime-nsi1000000000e")
                .into_bytes(),
            String::from_utf8_lossy(&good)
                .replace("6:lengthi40000e", "6:lengthi-5e")
                .into_bytes(),
        ];
        for case in cases {
            assert!(
                ResumeData::parse(&case).is_err(),
                "accepted {:?}",
                String::from_utf8_lossy(&case)
            );
        }
        // A bitfield with a spare bit set.
        let mut bad = sample();
        bad.have = PieceSet::empty(11);
        let mut bytes = bad.to_bytes();
        // "6:pieces2:" then two bytes; the second holds the spare bits.
        let at = bytes.windows(9).position(|w| w == b"6:pieces2").unwrap() + 11;
        bytes[at] = 0x01;
        assert!(matches!(
            ResumeData::parse(&bytes),
            Err(ResumeError::Malformed("pieces"))
        ));
    }
}
