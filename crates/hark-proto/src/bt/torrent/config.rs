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
    /// beyond it. A block that arrives finds room for its write up to twice this many
    /// jobs; past that it is dropped and requested again later. Default 64.
    pub max_disk_jobs: usize,
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
            end_game_requesters: 2,
            max_peers: 100,
        }
    }
}
