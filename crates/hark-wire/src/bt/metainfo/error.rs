//! Errors of metainfo parsing.

use crate::bt::bencode;

/// Why a path component of a torrent is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathProblem {
    /// An empty component (`a//b`).
    Empty,
    /// `.`, which names the directory itself.
    CurrentDir,
    /// `..`, which would climb out of the download directory.
    ParentDir,
    /// A character that separates, roots or qualifies paths on some system (`/`, `\`,
    /// `:`) or ends C strings (NUL).
    ForbiddenCharacter(char),
    /// A name Windows reserves for devices (`CON`, `NUL`, `COM1`, `LPT1`, ... with or
    /// without an extension).
    Reserved,
}

impl std::fmt::Display for PathProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PathProblem::Empty => f.write_str("it is empty"),
            PathProblem::CurrentDir => f.write_str("it is `.`"),
            PathProblem::ParentDir => f.write_str("it is `..`"),
            PathProblem::ForbiddenCharacter(c) => write!(f, "it contains {c:?}"),
            PathProblem::Reserved => f.write_str("it is a reserved device name"),
        }
    }
}

/// Why bytes are not a valid torrent. Every variant but [`Error::Bencode`] names the byte
/// offset of the value at fault (for a missing key, the dictionary that lacks it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The bytes are not valid bencode.
    #[error("invalid bencode: {0}")]
    Bencode(#[from] bencode::Error),
    /// A required key is missing.
    #[error("the dictionary at offset {offset} has no `{key}`")]
    Missing {
        /// The key.
        key: &'static str,
        /// Where the dictionary starts.
        offset: usize,
    },
    /// A value has the wrong type.
    #[error("`{key}` at offset {offset} is not {expected}")]
    WrongType {
        /// The key (or the list it is in).
        key: &'static str,
        /// Where the value starts.
        offset: usize,
        /// What it should be.
        expected: &'static str,
    },
    /// A string that must be UTF-8 is not.
    #[error("`{key}` at offset {offset} is not UTF-8")]
    NotUtf8 {
        /// The key.
        key: &'static str,
        /// Where the string starts.
        offset: usize,
    },
    /// A `piece length` that is not positive or does not fit 32 bits.
    #[error("piece length {value} at offset {offset} is not between 1 and 2^31")]
    InvalidPieceLength {
        /// Where it is.
        offset: usize,
        /// The value.
        value: i64,
    },
    /// `pieces` whose length is not a multiple of 20.
    #[error("`pieces` at offset {offset} is {len} bytes, not a multiple of 20")]
    InvalidPieces {
        /// Where it is.
        offset: usize,
        /// Its length.
        len: usize,
    },
    /// `pieces` holds a different number of hashes than the files' total length needs.
    #[error("`pieces` at offset {offset} has {actual} hashes; the files need {expected}")]
    PieceCountMismatch {
        /// Where `pieces` is.
        offset: usize,
        /// How many hashes the total length needs.
        expected: u64,
        /// How many there are.
        actual: usize,
    },
    /// A negative file length.
    #[error("file length {value} at offset {offset} is negative")]
    InvalidLength {
        /// Where it is.
        offset: usize,
        /// The value.
        value: i64,
    },
    /// The files' lengths add up to more than 2^64 - 1 bytes.
    #[error("the file lengths overflow 64 bits at offset {offset}")]
    TotalLengthOverflow {
        /// Where the length that overflowed is.
        offset: usize,
    },
    /// The info dictionary has both `length` (single file) and `files` (multi-file).
    #[error("the info dictionary at offset {offset} has both `length` and `files`")]
    BothLengthAndFiles {
        /// Where the info dictionary starts.
        offset: usize,
    },
    /// A multi-file torrent with an empty `files` list.
    #[error("`files` at offset {offset} is empty")]
    NoFiles {
        /// Where `files` is.
        offset: usize,
    },
    /// A file whose `path` list is empty.
    #[error("a file path at offset {offset} has no components")]
    EmptyPath {
        /// Where the `path` list is.
        offset: usize,
    },
    /// A path component (or the name) that could escape the download directory or is not
    /// portable.
    #[error("path component {component:?} at offset {offset} is refused: {problem}")]
    UnsafePath {
        /// Where the component is.
        offset: usize,
        /// The component, as UTF-8.
        component: String,
        /// What is wrong with it.
        problem: PathProblem,
    },
    /// `private` other than 0 or 1.
    #[error("`private` at offset {offset} is {value}, not 0 or 1")]
    InvalidPrivate {
        /// Where it is.
        offset: usize,
        /// The value.
        value: i64,
    },
    /// A BitTorrent v2 torrent (BEP 52, `meta version` 2) with no v1 part: hark supports v1
    /// and the v1 part of hybrid torrents.
    #[error("the torrent at offset {offset} is BitTorrent v2 only, which hark does not support")]
    V2Only {
        /// Where the info dictionary starts.
        offset: usize,
    },
    /// A `meta version` other than 1 or 2.
    #[error("unsupported meta version {version} at offset {offset}")]
    UnsupportedMetaVersion {
        /// Where it is.
        offset: usize,
        /// The value.
        version: i64,
    },
}
