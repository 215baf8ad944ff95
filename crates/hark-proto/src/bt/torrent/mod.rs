//! The torrent engine, sans-IO: many peer sessions, the piece picker, the choker, hash
//! checks and a corrupt-peer policy, with disk work as jobs.
//!
//! A [`Torrent`] owns one [`PeerSession`](crate::bt::peer::PeerSession) per connected peer
//! ([`Torrent::add_peer`]), requests blocks (strict priority for pieces in progress, then
//! rarest first through [`PiecePicker`](crate::bt::picker::PiecePicker) with its tie-break
//! order drawn from the injected RNG, then end game with cancels),
//! writes them through [`DiskJob`]s, asks the driver to hash each finished piece and takes
//! the answer back ([`Completion`]), broadcasts `have`, chokes and unchokes (rules below), serves requests through read jobs, and bans corrupt peers (below). The caller owns time, randomness, sockets and disk.
//!
//! Call order: after any `handle_*` or `add_peer`, drain [`Torrent::poll_disk_job`] (run
//! each, answer with [`Torrent::handle_disk`]), [`Torrent::poll_peer_transmit`] for every
//! peer, [`Torrent::poll_event`], then read [`Torrent::poll_timeout`].
//!
//! Disk: the torrent opens (and for a fresh download allocates) its files first and talks
//! to no peer about data until they are open. Requests and reads start while fewer than
//! `max_disk_jobs` jobs are queued or running, and no more blocks are requested than
//! those jobs and `max_queued_write_bytes` of held blocks can take; a block that arrives
//! while the queue is full is held and written as jobs finish, and a peer's request waits. A failed job is a fatal `file_error`: this torrent closes its
//! peers and files and pauses; other torrents are separate values and go on.
//!
//! # Corrupt peers
//!
//! A piece that fails its check with one contributor bans that peer at once. With several,
//! the failed blocks are hashed (by the driver) and the piece is downloaded again from a
//! single peer; when it passes, the senders of blocks whose hashes differ are banned, and
//! honest co-contributors are not. A lone source of a second failure is banned at once.
//!
//! # Choker
//!
//! Tit-for-tat: every 10 s the interested peers are ranked by the rate they send to us (by
//! the rate we send to them once seeding) and the best four are unchoked; one more is
//! unchoked optimistically, at random, moved on every 30 s.
//!
//! ```
//! use std::time::Instant;
//! use hark_proto::bt::peer::{PieceSet, SessionConfig};
//! use hark_proto::bt::torrent::{Completion, DiskJob, Event, Torrent, TorrentConfig};
//! use hark_wire::bt::bencode::OwnedValue;
//! use hark_wire::bt::metainfo::Info;
//! use rand_core::SeedableRng;
//!
//! let info = OwnedValue::dict()
//!     .with("length", OwnedValue::Integer(40_000))
//!     .with("name", OwnedValue::string("a.bin"))
//!     .with("piece length", OwnedValue::Integer(32_768))
//!     .with("pieces", OwnedValue::Bytes(vec![0; 40]))
//!     .to_vec();
//! let info = Info::parse(&info).unwrap();
//! let now = Instant::now();
//! let config = TorrentConfig::new(SessionConfig::new(*b"-HK0001-000000000000"));
//! let rng = Box::new(rand_pcg::Pcg32::seed_from_u64(1));
//! let mut torrent = Torrent::new(now, config, &info, PieceSet::empty(2), rng).unwrap();
//! // A fresh download opens and allocates its file first.
//! let open = torrent.poll_disk_job().unwrap();
//! assert!(matches!(open, DiskJob::Open { file: 0, .. }));
//! let allocate = torrent.poll_disk_job().unwrap();
//! assert!(matches!(allocate, DiskJob::Allocate { length: 40_000, .. }));
//! torrent.handle_disk(now, Completion::Done(open.id()));
//! torrent.handle_disk(now, Completion::Done(allocate.id()));
//! assert_eq!(torrent.poll_event(), Some(Event::FileOpen { file: 0 }));
//! ```

mod ban;
mod choker;
mod completion;
mod config;
mod disk;
mod download;
mod engine;
mod event;
mod storage;
#[cfg(test)]
mod tests;
mod webfetch;
mod webseed;

pub use config::TorrentConfig;
pub use disk::{Completion, DiskError, DiskJob, DiskOperation, JobId};
pub use engine::Torrent;
pub use event::{Event, PeerHandle};
pub use storage::{FileSlice, Storage};
pub use webfetch::WebRequest;
pub use webseed::{FileNames, RangeRequest, WebSeed, WebSeedError};

use crate::bt::peer::{ConfigError, ShapeError};

/// Why [`Torrent::new`] refused its arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TorrentError {
    /// The torrent's lengths make no valid shape.
    #[error("bad torrent shape: {0}")]
    Shape(#[from] ShapeError),
    /// The piece set (or the hash list) ranges over another number of pieces.
    #[error("piece set of {pieces} pieces for a torrent of {torrent}")]
    PieceCount {
        /// The set's count.
        pieces: u32,
        /// The torrent's.
        torrent: u32,
    },
}

/// Why [`Torrent::add_peer`] refused a peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AddPeerError {
    /// The address is banned.
    #[error("the peer is banned")]
    Banned,
    /// `max_peers` are connected.
    #[error("too many peers")]
    TooManyPeers,
    /// The torrent is paused.
    #[error("the torrent is paused")]
    Paused,
    /// The session configuration is invalid.
    #[error("bad session configuration: {0}")]
    Session(ConfigError),
}
