//! What the root BitTorrent client tests build their clients from.

use std::net::Ipv4Addr;

use hark::bittorrent::{Client, ClientBuilder, Transports};
use hark_wire::bt::metainfo::Metainfo;

/// A client on 127.0.0.1 only (no IPv6), on a port the system picks, over `transports`.
pub fn loopback_client(transports: Transports) -> ClientBuilder {
    Client::builder()
        .ipv4(Some(Ipv4Addr::LOCALHOST))
        .ipv6(None)
        .port_list([0])
        .transports(transports)
}

/// The info hash of a `.torrent`'s bytes, in hex.
pub fn info_hash_hex(torrent: &[u8]) -> String {
    Metainfo::parse(torrent)
        .expect("a valid .torrent")
        .info
        .info_hash
        .to_string()
}
