//! Errors of the HTTP tracker codec.

use crate::bt::bencode;

/// Why an HTTP tracker request could not be built or a reply could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The body is not valid bencode.
    #[error("invalid bencode: {0}")]
    Bencode(#[from] bencode::Error),
    /// A required key is missing.
    #[error("the tracker reply has no `{key}`")]
    Missing {
        /// The key.
        key: &'static str,
    },
    /// A value has the wrong type.
    #[error("`{key}` at offset {offset} is not {expected}")]
    WrongType {
        /// The key.
        key: &'static str,
        /// Where the value starts.
        offset: usize,
        /// What it should be.
        expected: &'static str,
    },
    /// An integer out of its range (negative, or above 32 bits for counts and intervals).
    #[error("`{key}` at offset {offset} is out of range: {value}")]
    OutOfRange {
        /// The key.
        key: &'static str,
        /// Where the value starts.
        offset: usize,
        /// The value.
        value: i64,
    },
    /// Compact peers whose length is not a multiple of 6 (`peers`) or 18 (`peers6`).
    #[error("compact `{key}` at offset {offset} is {len} bytes, not a multiple of {entry}")]
    InvalidCompactPeers {
        /// `peers` or `peers6`.
        key: &'static str,
        /// Where the string starts.
        offset: usize,
        /// Its length.
        len: usize,
        /// The size of one entry.
        entry: usize,
    },
    /// A scrape reply's `files` key that is not a 20-byte info hash.
    #[error("scrape key at offset {offset} is not a 20-byte info hash")]
    InvalidInfoHash {
        /// Where the key starts.
        offset: usize,
    },
    /// The announce URL's last path segment does not start with `announce`, so it has no
    /// scrape URL by the convention trackers follow.
    #[error("announce URL {0:?} has no scrape URL: its last path segment is not `announce...`")]
    NoScrape(String),
    /// An announce URL that is not `http://` or `https://`.
    #[error("not an HTTP tracker URL: {0:?}")]
    NotHttp(String),
    /// The output buffer is too small.
    #[error("buffer too small: {required} bytes required")]
    BufferTooSmall {
        /// How many bytes are needed.
        required: usize,
    },
}
