//! The settings of a peer session.

use hark_wire::bt::peer::Reserved;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

/// The standard block size (BEP 3: every current client requests 16 KiB).
pub const BLOCK_LEN: u32 = 16 * 1024;

/// How a [`PeerSession`](super::PeerSession) behaves. The defaults follow libtorrent's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionConfig {
    /// Our peer id.
    pub peer_id: [u8; 20],
    /// The reserved bits we send; the session uses the ones both sides set. Default: Fast
    /// and the extension protocol.
    pub reserved: Reserved,
    /// Longest message accepted (the length prefix); the torrent's bitfield is always
    /// accepted. A longer prefix ends the peer before its body arrives. Default 128 KiB + 9.
    pub max_message_len: u32,
    /// Longest block the peer may request from us (BEP 3: 16 KiB).
    pub max_request_len: u32,
    /// How many of the peer's requests we queue; more are refused with `invalid_request`
    /// (and a reject under BEP 6). We advertise it as `reqq`. Default 250.
    pub max_incoming_requests: usize,
    /// Fewest and most requests we keep in flight; the depth in between follows the
    /// measured rate. Defaults 2 and 250 (also capped by the peer's `reqq`).
    pub min_queue_depth: usize,
    /// See [`SessionConfig::min_queue_depth`].
    pub max_queue_depth: usize,
    /// How many seconds of data at the measured rate we keep requested (libtorrent's
    /// `request_queue_time`, 3 s).
    pub request_queue_time: Duration,
    /// A request with no block from the peer for this long times out, and the peer counts
    /// as snubbing us. Default 20 s.
    pub request_timeout: Duration,
    /// Bytes of block data we queue for sending; [`PeerSession::serve`](super::PeerSession::serve)
    /// refuses more until [`PeerSession::poll_transmit`](super::PeerSession::poll_transmit)
    /// drains them. Default 256 KiB. Control messages may use 64 KiB beyond it; a peer that
    /// makes us exceed that is ended.
    pub max_send_buffer: usize,
    /// The peer must complete its handshake within this time. Default 10 s.
    pub handshake_timeout: Duration,
    /// We send a keep-alive after this long without sending anything. Default 60 s.
    pub keep_alive_interval: Duration,
    /// The peer is ended after this long without a byte from it. Default 120 s.
    pub idle_timeout: Duration,
    /// Our extended handshake's `m`: extension name → the extended id we receive it under.
    /// Default empty.
    pub extensions: BTreeMap<String, u8>,
    /// Our extended handshake's `v`. Default `hark/` and the crate version.
    pub client: Option<String>,
    /// Our extended handshake's `p`: the TCP port we listen on, if any.
    pub listen_port: Option<u16>,
    /// Our extended handshake's `yourip`: the peer's address as we see it, if known. It is
    /// also the address the peer's BEP 6 allowed-fast set is computed from.
    pub peer_ip: Option<IpAddr>,
    /// How many pieces the peer may request while we choke it (BEP 6's *k*, default 10).
    /// When Fast is negotiated and `peer_ip` is known, the canonical set
    /// ([`allowed_fast_set`](super::allowed_fast_set)) is computed the first time the peer
    /// is choked by us after the handshake (at once, since every peer starts choked): the
    /// pieces of it we have go out as `allowed_fast` messages then, the others right after
    /// their `have`. 0 sends none.
    pub allowed_fast: usize,
}

impl SessionConfig {
    /// The defaults with this peer id.
    pub fn new(peer_id: [u8; 20]) -> Self {
        Self {
            peer_id,
            reserved: Reserved::NONE.with_fast(true).with_extension_protocol(true),
            max_message_len: 128 * 1024 + 9,
            max_request_len: BLOCK_LEN,
            max_incoming_requests: 250,
            min_queue_depth: 2,
            max_queue_depth: 250,
            request_queue_time: Duration::from_secs(3),
            request_timeout: Duration::from_secs(20),
            max_send_buffer: 256 * 1024,
            handshake_timeout: Duration::from_secs(10),
            keep_alive_interval: Duration::from_secs(60),
            idle_timeout: Duration::from_secs(120),
            extensions: BTreeMap::new(),
            client: Some(concat!("hark/", env!("CARGO_PKG_VERSION")).to_string()),
            listen_port: None,
            peer_ip: None,
            allowed_fast: 10,
        }
    }
}
