//! BitTorrent on the one reactor: the client's transports and drivers around
//! `hark_proto::bt`'s sans-IO engine.

pub mod http;
pub mod tracker;
pub mod webseed;
