//! Scrape counts, common to HTTP and UDP trackers.

/// Counts for one torrent in a scrape reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ScrapeStats {
    /// Seeders (HTTP `complete`).
    pub complete: u32,
    /// Completed downloads (HTTP `downloaded`).
    pub downloaded: u32,
    /// Leechers (HTTP `incomplete`).
    pub incomplete: u32,
}
