//! BitTorrent on the one reactor: hark_proto's sans-IO torrent engine on real files and sockets.
//!
//! [`Client`] runs torrents over TCP and uTP on one reactor thread behind
//! Net::BitTorrent's callbacks; see [`client`]. [`disk`] runs the engine's disk jobs on a
//! worker pool; [`http`], [`tracker`] and [`webseed`] are the client's HTTP side.

pub mod client;
pub mod disk;
pub mod http;
pub mod tracker;
pub mod webseed;

pub use client::{
    AddTorrent, AddTorrentError, Client, ClientBuilder, ClientError, ClientHandle, ClientStatus,
    RemoveData, TorrentId, TorrentState, TorrentStatus, Transports,
};
