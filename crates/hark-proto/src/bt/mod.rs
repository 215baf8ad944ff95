//! BitTorrent state machines.

pub mod announce;
pub mod peer;
pub mod picker;
pub mod swarm;
pub mod torrent;
