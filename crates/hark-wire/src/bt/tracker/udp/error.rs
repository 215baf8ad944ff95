//! Errors of the UDP tracker codec.

/// Why a UDP tracker packet could not be parsed or emitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Shorter than its action needs.
    #[error("UDP tracker packet of {len} bytes is too short: {needed} needed")]
    Truncated {
        /// The packet's length.
        len: usize,
        /// What its action needs.
        needed: usize,
    },
    /// An action other than connect 0, announce 1, scrape 2, error 3 (error only from the
    /// tracker).
    #[error("unknown UDP tracker action {0}")]
    UnknownAction(u32),
    /// A connect request without the protocol id 0x41727101980.
    #[error("connect request with protocol id {0:#x}, not 0x41727101980")]
    BadProtocolId(u64),
    /// An announce with an event code other than 0 to 3.
    #[error("announce event code {0} is not 0 to 3")]
    BadEvent(u32),
    /// A body whose length is not a whole number of entries (peers, hashes, counts).
    #[error("action {action}: {len} bytes of entries is not a multiple of {entry}")]
    RaggedEntries {
        /// The action.
        action: u32,
        /// The length of the entry part.
        len: usize,
        /// The size of one entry.
        entry: usize,
    },
    /// A scrape of no torrent, or of more than 74 (BEP 15's limit per packet).
    #[error("a scrape names {0} torrents; 1 to 74 are allowed")]
    ScrapeCount(usize),
    /// A `num_want` above 2^31 - 1, which the signed field cannot carry.
    #[error("num_want {0} does not fit the signed 32-bit field")]
    NumWantTooLarge(u32),
    /// An announce reply mixing IPv4 and IPv6 peers, which the format cannot carry.
    #[error("an announce reply carries peers of one address family only")]
    MixedFamilies,
    /// The output buffer is too small.
    #[error("buffer too small: {required} bytes required")]
    BufferTooSmall {
        /// How many bytes the packet needs.
        required: usize,
    },
}
