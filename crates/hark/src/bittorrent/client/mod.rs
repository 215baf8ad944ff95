//! The BitTorrent client: Net::BitTorrent's callbacks over hark-proto's torrent engine,
//! on one reactor thread.
//!
//! # The shape of Net::BitTorrent, in Rust
//!
//! Callbacks are set on the [`ClientBuilder`] (`Client::builder().on_file_error(..)`, like
//! `Net::BitTorrent->new(on_file_error => sub { ... })`) or later on the client
//! (`client.on_file_error(..)`, like `$client->on_file_error(\&cb)`). Each gets a
//! [`ClientHandle`] (which queues commands and reads status; it never reaches into the
//! engine, so a callback cannot re-enter it), the [`Event`](crate::events::Event) with the
//! seed's basic arguments (`message()` in English, `name()` the event, `severity` one of
//! debug/info/warning/critical/fatal) and the kind's typed attributes. Return values are
//! ignored except `ip_filter`'s: [`Verdict::Allow`](crate::events::Verdict) lets the
//! blocked peer through. Every kind of the seed has its `on_<event>` method (and
//! [`ClientHandle::on_event`] takes them all); they are hark's event-hub kinds, listed in
//! `docs/events.md`.
//!
//! | seed callback | when it fires here |
//! | --- | --- |
//! | `ip_filter` | an incoming connection (TCP or uTP) or an outgoing attempt is blocked by [`ClientBuilder::ip_filter`] |
//! | `listen_success` / `listen_failure` | each of tcp4, udp4, tcp6, udp6 bound (or not) on the first free port of [`ClientBuilder::ports`]; on the thread calling [`ClientBuilder::build`] |
//! | `peer_id`, `peer_handshake_complete` | a peer's handshake arrived (the real peer id) |
//! | `peer_disconnect`, `peer_error` | a peer connection ended; `peer_error` when the peer broke the protocol (or named an unknown torrent) |
//! | `peer_data_in` / `peer_data_out` | bytes read from / written to a peer's transport |
//! | `peer_packet_in` / `peer_packet_out` | a whole packet (the handshake, or a message with its length prefix) parsed from / queued to a peer, while a callback listens |
//! | `file_open`, `file_close`, `file_read`, `file_write`, `file_error` | the engine's disk jobs ([`disk`](crate::bittorrent::disk)); `file_error` is fatal and pauses that torrent |
//! | `piece_hash_passed` / `piece_hash_failed`, `peer_ban`, `invalid_request` | the engine's verdicts |
//! | `torrent_added`, `torrent_paused`, `torrent_resumed`, `torrent_finished`, `piece_progress` | hark's torrent kinds |
//! | `utp_*` | the uTP transport's own events, with [`ClientBuilder::utp_events`] |
//!
//! # Transports and threads
//!
//! One reactor thread carries everything: per address family, a TCP listener and a UDP
//! socket on the same port (the first of the range where both bind). The UDP socket
//! carries hark's uTP context as a datagram core. Outgoing connections ([`AddTorrent::peers`],
//! [`ClientHandle::add_peer`]) try uTP first and fall back to TCP when uTP fails
//! ([`Transports`] chooses uTP only or TCP only instead); known peers are dialled again
//! with backoff when a connection ends before the torrent is complete. Incoming
//! connections over either transport are routed to their torrent by the info hash of
//! their handshake. Each connection feeds the torrent's `handle_peer_bytes` and takes its
//! `poll_peer_transmit` only within the transport's room (the TCP connection's send limit,
//! the uTP socket's send buffer), so a slow peer holds back nobody else; the engine bounds
//! what it requests and queues for the disk. Disk jobs run on [`disk`](crate::bittorrent::disk)'s
//! worker pool and come back on the reactor thread.
//!
//! Callbacks run on the reactor thread (the listen events excepted) and must not block;
//! [`ClientHandle::wait_for`] is for other threads.
//!
//! # Example
//!
//! A seeder and a downloader on loopback:
//!
//! ```
//! use std::net::Ipv4Addr;
//! use std::time::Duration;
//! use hark::bittorrent::{AddTorrent, Client};
//! use hark::events::Protocol;
//! use hark_wire::bt::bencode::OwnedValue;
//! use sha1::{Digest, Sha1};
//!
//! // A one-file torrent: 100,000 bytes in pieces of 32 KiB.
//! let dir = std::env::temp_dir().join(format!("hark-bt-doc-{}", std::process::id()));
//! let (seed_dir, leech_dir) = (dir.join("seed"), dir.join("leech"));
//! std::fs::create_dir_all(&seed_dir)?;
//! let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
//! std::fs::write(seed_dir.join("hello.bin"), &data)?;
//! let pieces = data.chunks(32_768).flat_map(|p| <[u8; 20]>::from(Sha1::digest(p))).collect();
//! let info = OwnedValue::dict()
//!     .with("length", OwnedValue::Integer(100_000))
//!     .with("name", OwnedValue::string("hello.bin"))
//!     .with("piece length", OwnedValue::Integer(32_768))
//!     .with("pieces", OwnedValue::Bytes(pieces));
//! let torrent = OwnedValue::dict().with("info", info).to_vec();
//!
//! let loopback = || Client::builder().ipv4(Some(Ipv4Addr::LOCALHOST)).ipv6(None).port_list([0]);
//! let seeder = loopback().build()?;
//! let seeding = seeder.add_torrent(AddTorrent::from_bytes(&torrent, &seed_dir)?)?;
//! seeder.wait_for(seeding, Duration::from_secs(30), |s| s.is_finished()).unwrap();
//!
//! let downloader = loopback()
//!     .on_piece_hash_passed(|_client, event, attrs| println!("{} ({})", event.message(), attrs.index))
//!     .build()?;
//! let peer = seeder.local_addr(Protocol::Udp4).unwrap(); // uTP first
//! let id = downloader.add_torrent(AddTorrent::from_bytes(&torrent, &leech_dir)?.peers([peer]))?;
//! let status = downloader.wait_for(id, Duration::from_secs(30), |s| s.is_finished()).unwrap();
//! assert_eq!(status.bytes_done, 100_000);
//! assert_eq!(std::fs::read(leech_dir.join("hello.bin"))?, data);
//! # drop((seeder, downloader));
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod builder;
mod callbacks;
mod disk_port;
mod engine;
mod handle;
mod lifecycle;
mod links;
mod listen;
mod packets;
mod shared;
mod status;
mod tcp;
mod types;
mod utp;
mod utp_events;

pub use builder::{Client, ClientBuilder};
pub use handle::ClientHandle;
pub use status::{ClientStatus, TorrentState, TorrentStatus};
pub use types::{AddTorrent, AddTorrentError, ClientError, RemoveData, TorrentId, Transports};
