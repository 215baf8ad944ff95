//! BitTorrent: bencode, metainfo, trackers and the peer wire.
//!
//! ```
//! use hark_wire::bt::bencode;
//! use hark_wire::bt::metainfo::InfoHash;
//!
//! let torrent = b"d4:infod6:lengthi1e4:name1:a12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaaee";
//! let info = bencode::decode(torrent)?.get(b"info").cloned().unwrap();
//! let hash = InfoHash::of(info.raw());
//! assert_eq!(hash.to_string().len(), 40);
//! # Ok::<(), bencode::Error>(())
//! ```

pub mod bencode;
pub mod metainfo;
pub mod peer;
pub mod tracker;
