//! The info dictionary: name, piece length, piece hashes, files, private flag.

use super::fields::{bytes, expect_dict, get, integer, list, required, text};
use super::{Error, InfoHash, check_component};
use crate::bt::bencode::{self, Limits, Value};
use std::path::PathBuf;

/// Largest piece length accepted: 2^31 bytes.
pub const MAX_PIECE_LENGTH: u32 = 1 << 31;

/// Which BitTorrent version a torrent is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetaVersion {
    /// BitTorrent v1 (BEP 3).
    V1,
    /// A hybrid torrent (BEP 52 `meta version` 2 and a complete v1 part): hark reads its
    /// v1 part, whose info hash is the SHA-1 of the whole info dictionary as for v1.
    Hybrid,
}

/// One file of a torrent, in the order of the torrent's byte stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEntry {
    /// Path components below the torrent's name (empty for a single-file torrent, whose
    /// file is the name itself). Each passed [`check_component`].
    pub path: Vec<String>,
    /// Length in bytes.
    pub length: u64,
    /// Where the file starts in the torrent's byte stream (the concatenation of all files).
    pub offset: u64,
    /// A BEP 47 padding file (`attr` contains `p`): zeros that are not written to disk.
    pub padding: bool,
}

/// A torrent's info dictionary, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Info {
    /// The v1 info hash: SHA-1 of the dictionary's bytes as they appeared.
    pub info_hash: InfoHash,
    /// The suggested name: the file's name, or the top directory's (`name.utf-8` when
    /// present, else `name`). It passed [`check_component`].
    pub name: String,
    /// Bytes per piece (the last piece may be shorter).
    pub piece_length: u32,
    /// SHA-1 of each piece.
    pub pieces: Vec<[u8; 20]>,
    /// Whether the torrent is private (BEP 27: peers only from its trackers).
    pub private: bool,
    /// The files, at least one. A single-file torrent has one entry with an empty path.
    pub files: Vec<FileEntry>,
    /// Whether this is a single-file torrent (`length`), as opposed to `files`.
    pub single_file: bool,
    /// v1, or the v1 part of a hybrid.
    pub meta_version: MetaVersion,
    /// The exact bytes of the info dictionary (what BEP 9 serves to peers).
    pub raw: Vec<u8>,
}

impl Info {
    /// Parses an info dictionary on its own (as received through BEP 9).
    pub fn parse(bytes: &[u8]) -> Result<Info, Error> {
        Info::from_value(&bencode::decode_with(bytes, &Limits::DEFAULT)?)
    }

    /// Reads a decoded info dictionary.
    pub fn from_value(info: &Value<'_>) -> Result<Info, Error> {
        expect_dict(info, "info")?;
        let meta_version = meta_version(info)?;
        let name_value = get(info, "name.utf-8").map_or_else(|| required(info, "name"), Ok)?;
        let name = text(name_value, "name")?;
        check_component(&name).map_err(|problem| Error::UnsafePath {
            offset: name_value.offset(),
            component: name.clone(),
            problem,
        })?;

        let piece_length_value = required(info, "piece length")?;
        let raw_piece_length = integer(piece_length_value, "piece length")?;
        let piece_length = u32::try_from(raw_piece_length)
            .ok()
            .filter(|&length| length > 0 && length <= MAX_PIECE_LENGTH)
            .ok_or(Error::InvalidPieceLength {
                offset: piece_length_value.offset(),
                value: raw_piece_length,
            })?;

        let (files, single_file) = match (get(info, "length"), get(info, "files")) {
            (Some(_), Some(_)) => {
                return Err(Error::BothLengthAndFiles {
                    offset: info.offset(),
                });
            }
            (Some(length), None) => (vec![single(length)?], true),
            (None, Some(files)) => (multi(files)?, false),
            (None, None) => {
                return Err(Error::Missing {
                    key: "length",
                    offset: info.offset(),
                });
            }
        };
        let total = files.last().map_or(0, |file| file.offset + file.length);

        let pieces_value = required(info, "pieces")?;
        let raw_pieces = bytes(pieces_value, "pieces")?;
        if raw_pieces.len() % 20 != 0 {
            return Err(Error::InvalidPieces {
                offset: pieces_value.offset(),
                len: raw_pieces.len(),
            });
        }
        let pieces: Vec<[u8; 20]> = raw_pieces
            .chunks_exact(20)
            .map(|chunk| {
                let mut hash = [0u8; 20];
                hash.copy_from_slice(chunk);
                hash
            })
            .collect();
        let expected = total.div_ceil(u64::from(piece_length));
        if expected != pieces.len() as u64 {
            return Err(Error::PieceCountMismatch {
                offset: pieces_value.offset(),
                expected,
                actual: pieces.len(),
            });
        }

        let private = match get(info, "private") {
            None => false,
            Some(value) => match integer(value, "private")? {
                0 => false,
                1 => true,
                other => {
                    return Err(Error::InvalidPrivate {
                        offset: value.offset(),
                        value: other,
                    });
                }
            },
        };

        Ok(Info {
            info_hash: InfoHash::of(info.raw()),
            name,
            piece_length,
            pieces,
            private,
            files,
            single_file,
            meta_version,
            raw: info.raw().to_vec(),
        })
    }

    /// The total length of all files (padding included), bytes.
    #[must_use]
    pub fn total_length(&self) -> u64 {
        self.files
            .last()
            .map_or(0, |file| file.offset + file.length)
    }

    /// How many pieces there are.
    #[must_use]
    pub fn piece_count(&self) -> usize {
        self.pieces.len()
    }

    /// The length of piece `index` (the last one may be short), or `None` past the end.
    #[must_use]
    pub fn piece_len(&self, index: usize) -> Option<u32> {
        if index >= self.pieces.len() {
            return None;
        }
        let start = index as u64 * u64::from(self.piece_length);
        let left = self.total_length() - start;
        Some(left.min(u64::from(self.piece_length)) as u32)
    }

    /// A file's relative path on disk: the name, then the file's components.
    #[must_use]
    pub fn file_path(&self, file: &FileEntry) -> PathBuf {
        let mut path = PathBuf::from(&self.name);
        path.extend(&file.path);
        path
    }
}

/// `meta version`: absent or 1 is v1; 2 with a v1 part is a hybrid; 2 alone is refused.
fn meta_version(info: &Value<'_>) -> Result<MetaVersion, Error> {
    let Some(value) = get(info, "meta version") else {
        return Ok(MetaVersion::V1);
    };
    match integer(value, "meta version")? {
        1 => Ok(MetaVersion::V1),
        2 if get(info, "pieces").is_some()
            && (get(info, "length").is_some() || get(info, "files").is_some()) =>
        {
            Ok(MetaVersion::Hybrid)
        }
        2 => Err(Error::V2Only {
            offset: info.offset(),
        }),
        version => Err(Error::UnsupportedMetaVersion {
            offset: value.offset(),
            version,
        }),
    }
}

fn length_of(value: &Value<'_>) -> Result<u64, Error> {
    let raw = integer(value, "length")?;
    u64::try_from(raw).map_err(|_| Error::InvalidLength {
        offset: value.offset(),
        value: raw,
    })
}

fn single(length: &Value<'_>) -> Result<FileEntry, Error> {
    Ok(FileEntry {
        path: Vec::new(),
        length: length_of(length)?,
        offset: 0,
        padding: false,
    })
}

fn multi(files: &Value<'_>) -> Result<Vec<FileEntry>, Error> {
    let items = list(files, "files")?;
    if items.is_empty() {
        return Err(Error::NoFiles {
            offset: files.offset(),
        });
    }
    let mut entries = Vec::with_capacity(items.len());
    let mut offset: u64 = 0;
    for item in items {
        expect_dict(item, "files")?;
        let length_value = required(item, "length")?;
        let length = length_of(length_value)?;
        let path_value = get(item, "path.utf-8").map_or_else(|| required(item, "path"), Ok)?;
        let components = list(path_value, "path")?;
        if components.is_empty() {
            return Err(Error::EmptyPath {
                offset: path_value.offset(),
            });
        }
        let mut path = Vec::with_capacity(components.len());
        for component in components {
            let part = text(component, "path")?;
            check_component(&part).map_err(|problem| Error::UnsafePath {
                offset: component.offset(),
                component: part.clone(),
                problem,
            })?;
            path.push(part);
        }
        let padding = match get(item, "attr") {
            Some(attr) => bytes(attr, "attr")?.contains(&b'p'),
            None => false,
        };
        entries.push(FileEntry {
            path,
            length,
            offset,
            padding,
        });
        offset = offset
            .checked_add(length)
            .ok_or(Error::TotalLengthOverflow {
                offset: length_value.offset(),
            })?;
    }
    Ok(entries)
}
