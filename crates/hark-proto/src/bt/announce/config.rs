//! The announcer's settings and the torrent it announces.

use hark_wire::bt::metainfo::InfoHash;
use std::time::Duration;

/// How the announcer times its requests. The defaults follow BEP 15 for UDP trackers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnouncerConfig {
    /// Peers asked for (`numwant`).
    pub numwant: u32,
    /// How long an HTTP announce may take before it counts as failed (status 0).
    pub http_timeout: Duration,
    /// The first UDP retransmission timeout; the n-th waits `udp_timeout · 2^n` (BEP 15:
    /// 15 s).
    pub udp_timeout: Duration,
    /// Retransmissions before a UDP tracker counts as failed (BEP 15: n goes up to 8,
    /// so the last wait is 3,840 s). Smaller values fail over sooner.
    pub udp_max_retries: u32,
    /// How long a UDP connection id may be used after it was received (BEP 15: one
    /// minute).
    pub connection_id_lifetime: Duration,
    /// The wait after the first round in which every tracker failed; it doubles with each
    /// failed round in a row.
    pub retry_base: Duration,
    /// The longest wait between failed rounds.
    pub max_retry: Duration,
    /// The shortest interval accepted from a tracker (a tracker saying 0 would otherwise
    /// be announced to in a loop).
    pub min_interval_floor: Duration,
}

impl Default for AnnouncerConfig {
    fn default() -> Self {
        AnnouncerConfig {
            numwant: 50,
            http_timeout: Duration::from_secs(30),
            udp_timeout: Duration::from_secs(15),
            udp_max_retries: 8,
            connection_id_lifetime: Duration::from_secs(60),
            retry_base: Duration::from_secs(60),
            max_retry: Duration::from_secs(3600),
            min_interval_floor: Duration::from_secs(30),
        }
    }
}

/// What the announcer says about the torrent and us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TorrentParams {
    /// The torrent.
    pub info_hash: InfoHash,
    /// Our peer id.
    pub peer_id: [u8; 20],
    /// The port we accept peers on.
    pub port: u16,
}

/// Transfer counters sent with each announce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// Bytes uploaded since `started`.
    pub uploaded: u64,
    /// Bytes downloaded since `started`.
    pub downloaded: u64,
    /// Bytes still missing.
    pub left: u64,
}
