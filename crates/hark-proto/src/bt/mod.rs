//! BitTorrent state machines.

pub mod announce;
