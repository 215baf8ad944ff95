//! Per-torrent and client-wide status, read at any time from any thread.

use std::net::SocketAddr;

use hark_wire::bt::metainfo::InfoHash;

use super::types::TorrentId;
use crate::events::Protocol;

/// Where a torrent is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TorrentState {
    /// Being added: the data on disk is being checked (no valid resume file).
    Checking,
    /// Missing pieces, fetching them.
    Downloading,
    /// Every piece verified; serving them.
    Seeding,
    /// Paused by [`pause`](super::ClientHandle::pause): no peers.
    Paused,
    /// Paused by a fatal `file_error`; [`resume`](super::ClientHandle::resume) tries
    /// again from the verified pieces.
    Error,
}

/// One torrent's progress and traffic.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TorrentStatus {
    /// The torrent.
    pub id: TorrentId,
    /// Its info hash.
    pub info_hash: InfoHash,
    /// Its name.
    pub name: String,
    /// Where it is.
    pub state: TorrentState,
    /// Pieces verified.
    pub pieces_done: u32,
    /// Pieces in the torrent.
    pub pieces_total: u32,
    /// Bytes of verified pieces.
    pub bytes_done: u64,
    /// The torrent's length.
    pub total_bytes: u64,
    /// Payload and protocol bytes received from peers, in all.
    pub bytes_received: u64,
    /// Bytes sent to peers, in all.
    pub bytes_sent: u64,
    /// Receive rate over the peers' rate windows, bytes per second.
    pub download_rate: u64,
    /// Send rate, bytes per second.
    pub upload_rate: u64,
    /// Connected peers (handshakes done or in progress).
    pub peers: usize,
}

impl TorrentStatus {
    /// Whether every piece is verified.
    #[must_use]
    pub fn is_finished(&self) -> bool {
        self.pieces_done == self.pieces_total
    }
}

/// The whole client.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientStatus {
    /// Every torrent's status, by id.
    pub torrents: Vec<TorrentStatus>,
    /// Peer connections open or being opened, over all torrents (and incoming ones not yet
    /// routed to a torrent).
    pub connections: usize,
    /// Sum of the torrents' receive rates, bytes per second.
    pub download_rate: u64,
    /// Sum of the torrents' send rates, bytes per second.
    pub upload_rate: u64,
    /// The bound listening sockets.
    pub listening: Vec<(Protocol, SocketAddr)>,
}
