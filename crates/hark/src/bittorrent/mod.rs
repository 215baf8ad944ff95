//! BitTorrent on the one reactor: `hark_proto::bt`'s sans-IO torrent engine on real files
//! and sockets, with the client's transports and drivers around it.

pub mod disk;
pub mod http;
pub mod tracker;
pub mod webseed;
