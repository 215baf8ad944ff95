//! Torrent metainfo (BEP 3): single- and multi-file torrents, trackers by tier (BEP 12),
//! web seeds (BEP 19), private torrents (BEP 27), and the v1 info hash.
//!
//! [`Metainfo::parse`] checks everything a client relies on: the piece length, that
//! `pieces` holds exactly one SHA-1 per piece of the files' total length, non-negative
//! lengths that do not overflow, and every path component ([`check_component`]: no `..`,
//! no absolute or drive paths, no empty or reserved names). The info hash is the SHA-1
//! of the info dictionary's bytes as they appear in the file ([`Info::raw`](Info)).
//!
//! Versions: v1 torrents and the v1 part of hybrid torrents (BEP 52 `meta version` 2 with
//! `pieces` and `length`/`files`; [`MetaVersion::Hybrid`]) are read; a v2-only torrent is
//! [`Error::V2Only`].
//!
//! ```
//! use hark_wire::bt::bencode::OwnedValue;
//! use hark_wire::bt::metainfo::{Error, Metainfo, PathProblem};
//!
//! let file = |path: &[&str], length| {
//!     OwnedValue::dict()
//!         .with("length", OwnedValue::Integer(length))
//!         .with("path", OwnedValue::List(path.iter().map(|p| OwnedValue::string(p)).collect()))
//! };
//! let torrent = |files| {
//!     let info = OwnedValue::dict()
//!         .with("files", OwnedValue::List(files))
//!         .with("name", OwnedValue::string("album"))
//!         .with("piece length", OwnedValue::Integer(32_768))
//!         .with("pieces", OwnedValue::Bytes(vec![0; 20]))
//!         .with("private", OwnedValue::Integer(1));
//!     OwnedValue::dict().with("info", info).to_vec()
//! };
//! let meta = Metainfo::parse(&torrent(vec![file(&["cd1", "01.flac"], 1000), file(&["cover.jpg"], 24)]))?;
//! assert!(meta.info.private);
//! assert_eq!(meta.info.total_length(), 1024);
//! assert_eq!(meta.info.file_path(&meta.info.files[0]), std::path::Path::new("album/cd1/01.flac"));
//!
//! let hostile = Metainfo::parse(&torrent(vec![file(&["..", "..", "etc", "passwd"], 1024)]));
//! assert!(matches!(hostile, Err(Error::UnsafePath { problem: PathProblem::ParentDir, .. })));
//! # Ok::<(), Error>(())
//! ```

mod error;
mod fields;
mod info;
mod info_hash;
mod path;
mod torrent;

pub use error::{Error, PathProblem};
pub use info::{FileEntry, Info, MAX_PIECE_LENGTH, MetaVersion};
pub use info_hash::{InfoHash, ParseInfoHashError};
pub use path::check_component;
pub use torrent::Metainfo;
