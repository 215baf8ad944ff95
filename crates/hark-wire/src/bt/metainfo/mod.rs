//! Torrent metainfo (BEP 3): the info hash.
//!
//! ```
//! use hark_wire::bt::metainfo::InfoHash;
//!
//! let hash: InfoHash = "a9993e364706816aba3e25717850c26c9cd0d89d".parse()?;
//! assert_eq!(hash, InfoHash::of(b"abc"));
//! # Ok::<(), hark_wire::bt::metainfo::ParseInfoHashError>(())
//! ```

mod info_hash;

pub use info_hash::{InfoHash, ParseInfoHashError};
