//! BitTorrent wire formats.

pub mod peer;
