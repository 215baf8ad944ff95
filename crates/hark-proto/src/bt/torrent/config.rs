//! The settings of a torrent.

use std::time::Duration;

use crate::bt::peer::SessionConfig;

/// How a [`Torrent`](super::Torrent) behaves. Defaults follow BEP 3's reference client and
/// libtorrent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TorrentConfig {
    /// Every peer session's settings (our peer id among them).
    pub session: SessionConfig,
    /// Peers unchoked by rate (tit-for-tat), besides the optimistic one. Default 4.
    pub upload_slots: usize,
    /// How often the choker re-ranks peers. Default 10 s.
    pub choke_interval: Duration,
    /// How often the optimistic unchoke moves on. Default 30 s.
    pub optimistic_interval: Duration,
    /// Disk jobs queued or running at most: no request, read or web-seed fetch starts
    /// beyond it, and a block that arrives while it is reached waits in
    /// `max_queued_write_bytes`. Default 64.
    pub max_disk_jobs: usize,
    /// Bytes of received blocks held in memory while `max_disk_jobs` are in flight,
    /// written as jobs finish; a block beyond it is dropped and requested again later.
    /// Many fast peers deliver bursts larger than the disk queue between two disk
    /// completions; without this room they would be downloaded again. Default 4 MiB.
    pub max_queued_write_bytes: usize,
    /// Peers a block may be requested from at once in end game. Default 2.
    pub end_game_requesters: usize,
    /// Connected peers at most. Default 100.
    pub max_peers: usize,
}

impl TorrentConfig {
    /// The defaults with this session configuration.
    pub fn new(session: SessionConfig) -> Self {
        Self {
            session,
            upload_slots: 4,
            choke_interval: Duration::from_secs(10),
            optimistic_interval: Duration::from_secs(30),
            max_disk_jobs: 64,
            max_queued_write_bytes: 4 << 20,
            end_game_requesters: 2,
            max_peers: 100,
        }
    }
}
