//! BitTorrent on the one reactor: hark_proto's sans-IO torrent engine on real files and sockets.

pub mod disk;
