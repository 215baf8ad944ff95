//! `hark::bittorrent::Client` against itself on loopback: a hark seeder and a hark
//! downloader, over TCP and over uTP, byte-exact, on a multi-file torrent with a piece
//! length that is no power of two, a file that ends mid-piece and an empty file; the IP
//! filter in both directions (and a callback's veto); pause, resume, remove.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hark::bittorrent::{
    AddTorrent, Client, RemoveData, TorrentId, TorrentState, TorrentStatus, Transports,
};
use hark::events::{Direction, Protocol, Verdict};
use hark::ipfilter::{IpFilter, Rule};
use hark::utp::EndpointConfig;
use hark_suite::bt_client::loopback_client;
use hark_suite::peer_process::unique_dir;
use hark_suite::torrent_fixture::{Fixture, NAME};

const TIMEOUT: Duration = Duration::from_secs(60);

fn scratch(name: &str) -> PathBuf {
    unique_dir(&format!("bt-client-{name}"))
}

fn fixture(dir: &Path) -> Vec<u8> {
    Fixture::scaled(1).write(dir)
}

fn assert_same_files(seed: &Path, leech: &Path) {
    Fixture::scaled(1).assert_same(seed, leech);
}

fn finished(status: &TorrentStatus) -> bool {
    status.is_finished()
}

/// Adds `torrent` (its data under `dir`) to `client` and waits until it is checked and
/// seeding; its id and status.
fn seed(client: &Client, torrent: &[u8], dir: &Path) -> (TorrentId, TorrentStatus) {
    let id = client
        .add_torrent(AddTorrent::from_bytes(torrent, dir).unwrap())
        .unwrap();
    let status = client.wait_for(id, TIMEOUT, finished).unwrap();
    (id, status)
}

/// Adds `torrent` to `client`, downloading into `dir` from `peer`.
fn leech(client: &Client, torrent: &[u8], dir: &Path, peer: SocketAddr) -> TorrentId {
    client
        .add_torrent(AddTorrent::from_bytes(torrent, dir).unwrap().peers([peer]))
        .unwrap()
}

/// Waits until torrent `id` of `client` finished; fails the test if it does not in time.
fn wait_finished(client: &Client, id: TorrentId) -> TorrentStatus {
    let status = client.wait_for(id, TIMEOUT, finished).unwrap();
    assert!(status.is_finished(), "{status:?}");
    status
}

/// Polls `done` every 10 ms until it holds or `TIMEOUT` passed (the caller asserts).
fn poll_until(mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + TIMEOUT;
    while !done() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Deletes the test's scratch directories (best effort).
fn remove_dirs(dirs: &[&Path]) {
    for dir in dirs {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// Seeds the fixture from one client and downloads it with another over `transports`.
fn seed_and_download(transports: Transports) {
    let seed_dir = scratch("seed");
    let leech_dir = scratch("leech");
    let torrent = fixture(&seed_dir);

    let seeder = loopback_client(transports).build().unwrap();
    let (_, status) = seed(&seeder, &torrent, &seed_dir);
    assert_eq!(status.state, TorrentState::Seeding);
    let protocol = match transports {
        Transports::TcpOnly => Protocol::Tcp4,
        _ => Protocol::Udp4,
    };
    let seeder_addr = seeder.local_addr(protocol).unwrap();

    let passed = Arc::new(AtomicUsize::new(0));
    let peer_ids = Arc::new(Mutex::new(Vec::new()));
    let (p, ids) = (Arc::clone(&passed), Arc::clone(&peer_ids));
    let names = Arc::new(Mutex::new(std::collections::BTreeSet::new()));
    let first_in = Arc::new(Mutex::new(None));
    let (log, first) = (Arc::clone(&names), Arc::clone(&first_in));
    let leecher = loopback_client(transports)
        .on_event(move |_, event| {
            log.lock().unwrap().insert(event.name());
        })
        .on_peer_packet_in(move |_, _, attrs| {
            first.lock().unwrap().get_or_insert(attrs.packet.len());
        })
        .on_piece_hash_passed(move |_, event, attrs| {
            assert_eq!(event.name(), "piece_hash_passed");
            assert!(!attrs.peers.is_empty());
            p.fetch_add(1, Ordering::Relaxed);
        })
        .on_peer_id(move |_, _, attrs| ids.lock().unwrap().push(attrs.peer_id))
        .build()
        .unwrap();
    let downloading = leech(&leecher, &torrent, &leech_dir, seeder_addr);
    let status = wait_finished(&leecher, downloading);
    assert_eq!(status.bytes_done, status.total_bytes);
    assert_eq!(status.state, TorrentState::Seeding);
    assert_same_files(&seed_dir, &leech_dir);
    assert_eq!(passed.load(Ordering::Relaxed), status.pieces_total as usize);
    assert!(
        peer_ids
            .lock()
            .unwrap()
            .iter()
            .all(|id| id.starts_with(b"-HK0001-"))
    );
    assert!(!peer_ids.lock().unwrap().is_empty());
    // The handshake is the first packet; every per-peer and per-file kind showed up.
    assert_eq!(*first_in.lock().unwrap(), Some(68));
    let names = names.lock().unwrap().clone();
    for kind in [
        "torrent_added",
        "peer_id",
        "peer_handshake_complete",
        "peer_data_in",
        "peer_data_out",
        "peer_packet_in",
        "peer_packet_out",
        "file_open",
        "file_write",
        "piece_hash_passed",
        "piece_progress",
        "torrent_finished",
    ] {
        assert!(names.contains(kind), "{kind} missing from {names:?}");
    }
    remove_dirs(&[&seed_dir, &leech_dir]);
}

#[test]
fn hark_to_hark_over_tcp() {
    seed_and_download(Transports::TcpOnly);
}

#[test]
fn hark_to_hark_over_utp() {
    seed_and_download(Transports::UtpOnly);
}

#[test]
fn hark_to_hark_over_utp_with_9000_byte_datagrams() {
    // Longer uTP packets than the reactor's default 2048-byte send slots: the client's
    // socket must make room for them (they once stalled the download instead).
    let seed_dir = scratch("seed-jumbo");
    let leech_dir = scratch("leech-jumbo");
    let torrent = fixture(&seed_dir);
    let jumbo = || {
        let mut utp = EndpointConfig::default();
        utp.connection.udp_mtu_v4 = 9000;
        loopback_client(Transports::UtpOnly).utp_config(utp)
    };
    let seeder = jumbo().build().unwrap();
    seed(&seeder, &torrent, &seed_dir);
    let seeder_addr = seeder.local_addr(Protocol::Udp4).unwrap();
    let leecher = jumbo().build().unwrap();
    let downloading = leech(&leecher, &torrent, &leech_dir, seeder_addr);
    let status = wait_finished(&leecher, downloading);
    assert_eq!(status.bytes_done, status.total_bytes);
    assert_same_files(&seed_dir, &leech_dir);
    remove_dirs(&[&seed_dir, &leech_dir]);
}

fn block_loopback_client() -> IpFilter {
    IpFilter::new(vec![Rule {
        first: IpAddr::V4(Ipv4Addr::new(127, 0, 0, 0)),
        last: IpAddr::V4(Ipv4Addr::new(127, 255, 255, 255)),
        level: 0,
        description: "loopback".into(),
        line: 0,
    }])
}

/// The seeder's filter refuses the downloader (incoming, both transports); the
/// downloader's filter refuses the seeder (outgoing); a callback's veto lets it through.
#[test]
fn ip_filter_refuses_and_a_callback_may_veto() {
    let seed_dir = scratch("seed");
    let torrent = fixture(&seed_dir);
    let refused = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&refused);
    let seeder = loopback_client(Transports::UtpFirst)
        .ip_filter(block_loopback_client())
        .on_ip_filter(move |_, _, attrs| {
            log.lock().unwrap().push((attrs.protocol, attrs.direction));
            Verdict::Block
        })
        .build()
        .unwrap();
    seed(&seeder, &torrent, &seed_dir);
    let tcp = seeder.local_addr(Protocol::Tcp4).unwrap();
    let udp = seeder.local_addr(Protocol::Udp4).unwrap();

    for (transports, addr) in [(Transports::UtpOnly, udp), (Transports::TcpOnly, tcp)] {
        let leech_dir = scratch("leech");
        let leecher = loopback_client(transports).build().unwrap();
        let id = leech(&leecher, &torrent, &leech_dir, addr);
        let status = leecher
            .wait_for(id, Duration::from_secs(2), finished)
            .unwrap();
        assert_eq!(status.pieces_done, 0);
        let _ = std::fs::remove_dir_all(leech_dir);
    }
    let seen = refused.lock().unwrap().clone();
    assert!(
        seen.contains(&(Protocol::Udp4, Direction::Incoming)),
        "{seen:?}"
    );
    assert!(
        seen.contains(&(Protocol::Tcp4, Direction::Incoming)),
        "{seen:?}"
    );

    // Outgoing: the downloader's own filter aborts the attempt; then a veto lets it go.
    let outgoing = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&outgoing);
    let veto = Arc::new(AtomicUsize::new(0));
    let allow = Arc::clone(&veto);
    let open_seeder = loopback_client(Transports::TcpOnly).build().unwrap();
    seed(&open_seeder, &torrent, &seed_dir);
    let leech_dir = scratch("leech");
    let leecher = loopback_client(Transports::TcpOnly)
        .ip_filter(block_loopback_client())
        .on_ip_filter(move |_, _, attrs| {
            log.lock().unwrap().push((attrs.address, attrs.direction));
            if allow.load(Ordering::Relaxed) > 0 {
                Verdict::Allow
            } else {
                Verdict::Block
            }
        })
        .build()
        .unwrap();
    let seeder_addr = open_seeder.local_addr(Protocol::Tcp4).unwrap();
    let id = leech(&leecher, &torrent, &leech_dir, seeder_addr);
    let status = leecher
        .wait_for(id, Duration::from_secs(2), finished)
        .unwrap();
    assert_eq!(status.pieces_done, 0);
    assert!(
        outgoing
            .lock()
            .unwrap()
            .contains(&(seeder_addr, Direction::Outgoing))
    );
    veto.store(1, Ordering::Relaxed);
    leecher.add_peer(id, seeder_addr).unwrap();
    wait_finished(&leecher, id);
    assert_same_files(&seed_dir, &leech_dir);
    remove_dirs(&[&seed_dir, &leech_dir]);
}

/// A torrent added paused connects to nobody; resumed, it completes; removed with its
/// data, its files go; removed without, they stay.
#[test]
fn pause_resume_remove() {
    let seed_dir = scratch("seed");
    let leech_dir = scratch("leech");
    let torrent = fixture(&seed_dir);
    let seeder = loopback_client(Transports::TcpOnly).build().unwrap();
    let (seeding, _) = seed(&seeder, &torrent, &seed_dir);
    let seeder_addr: SocketAddr = seeder.local_addr(Protocol::Tcp4).unwrap();

    let events = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&events);
    let leecher = loopback_client(Transports::TcpOnly)
        .on_event(move |_, event| {
            if event.name().starts_with("torrent_") {
                log.lock().unwrap().push(event.name());
            }
        })
        .build()
        .unwrap();
    let id = leecher
        .add_torrent(
            AddTorrent::from_bytes(&torrent, &leech_dir)
                .unwrap()
                .peers([seeder_addr])
                .paused(true),
        )
        .unwrap();
    let status = leecher
        .wait_for(id, Duration::from_secs(1), |s| s.peers > 0)
        .unwrap();
    assert_eq!(status.state, TorrentState::Paused);
    assert_eq!(status.pieces_done, 0);
    assert_eq!(leecher.status().connections, 0);

    leecher.resume(id).unwrap();
    wait_finished(&leecher, id);
    assert_same_files(&seed_dir, &leech_dir);
    leecher.pause(id).unwrap();
    let status = leecher
        .wait_for(id, TIMEOUT, |s| {
            s.state == TorrentState::Paused && s.peers == 0
        })
        .unwrap();
    assert_eq!(status.state, TorrentState::Paused);

    leecher.remove(id, RemoveData::Delete).unwrap();
    let gone = leech_dir.join(NAME).join("a.bin");
    poll_until(|| !gone.exists());
    assert!(!gone.exists());
    assert!(leecher.torrent_status(id).is_none() || leecher.torrents().is_empty());
    assert!(leecher.add_peer(id, seeder_addr).is_err());

    // Removed without its data: the seeder's files stay.
    seeder.remove(seeding, RemoveData::Keep).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    assert!(seed_dir.join(NAME).join("a.bin").exists());
    let names = events.lock().unwrap().clone();
    for wanted in [
        "torrent_added",
        "torrent_resumed",
        "torrent_finished",
        "torrent_paused",
    ] {
        assert!(names.contains(&wanted), "{wanted} missing from {names:?}");
    }
    remove_dirs(&[&seed_dir, &leech_dir]);
}

/// Two torrents in each client: the downloader fetches both from one seeder address, whose
/// incoming connections are routed by the info hash of their handshakes.
#[test]
fn several_torrents_per_client() {
    let seed_dir = scratch("seed");
    let leech_dir = scratch("leech");
    let small = Fixture::scaled(1);
    let large = Fixture::scaled(3);
    let (seed_small, seed_large) = (seed_dir.join("small"), seed_dir.join("large"));
    let torrents = [small.write(&seed_small), large.write(&seed_large)];
    let seeder = loopback_client(Transports::UtpFirst).build().unwrap();
    for (torrent, dir) in torrents.iter().zip([&seed_small, &seed_large]) {
        seed(&seeder, torrent, dir);
    }
    assert!(matches!(
        seeder.add_torrent(AddTorrent::from_bytes(&torrents[0], &seed_small).unwrap()),
        Err(hark::bittorrent::AddTorrentError::Duplicate(_))
    ));
    let addr = seeder.local_addr(Protocol::Udp4).unwrap();
    let leecher = loopback_client(Transports::UtpFirst).build().unwrap();
    let ids: Vec<_> = torrents
        .iter()
        .zip(["small", "large"])
        .map(|(torrent, sub)| {
            leecher
                .add_torrent(
                    AddTorrent::from_bytes(torrent, leech_dir.join(sub))
                        .unwrap()
                        .peers([addr]),
                )
                .unwrap()
        })
        .collect();
    for id in &ids {
        wait_finished(&leecher, *id);
    }
    small.assert_same(&seed_small, &leech_dir.join("small"));
    large.assert_same(&seed_large, &leech_dir.join("large"));
    let all = leecher.status();
    assert_eq!(all.torrents.len(), 2);
    assert_eq!(leecher.torrents(), ids);
    remove_dirs(&[&seed_dir, &leech_dir]);
}

/// The first port of the range where TCP and UDP both bind is used (`listen_success`
/// names every port tried); when none binds, `listen_failure` (fatal) and an error.
#[test]
fn listen_on_the_first_free_port_of_a_range() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let client = loopback_client(Transports::UtpFirst)
        .ports(port..=port.saturating_add(50))
        .on_listen_success(move |_, event, attrs| {
            log.lock()
                .unwrap()
                .push((event.name(), attrs.protocol, attrs.tried.clone()));
        })
        .build()
        .unwrap();
    let bound = client.local_addr(Protocol::Tcp4).unwrap().port();
    assert!(bound > port, "{bound} after the taken {port}");
    assert_eq!(client.local_addr(Protocol::Udp4).unwrap().port(), bound);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "{seen:?}");
    for (name, _, tried) in &seen {
        assert_eq!(*name, "listen_success");
        assert_eq!(tried.first(), Some(&port));
        assert_eq!(tried.last(), Some(&bound));
    }
    drop(client);

    let failures = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&failures);
    let refused = loopback_client(Transports::UtpFirst)
        .port_list([port])
        .on_listen_failure(move |_, event, attrs| {
            log.lock()
                .unwrap()
                .push((event.severity, attrs.protocol, attrs.tried.clone()));
        })
        .build();
    assert!(matches!(
        refused,
        Err(hark::bittorrent::ClientError::Listen { .. })
    ));
    let failures = failures.lock().unwrap().clone();
    assert_eq!(
        failures,
        [
            (hark::events::Severity::Fatal, Protocol::Tcp4, vec![port]),
            (hark::events::Severity::Fatal, Protocol::Udp4, vec![port]),
        ]
    );
}

/// IPv6 only, on ::1: TCP6 and UDP6 (uTP) both carry a download.
#[test]
fn hark_to_hark_over_ipv6() {
    for (transports, protocol) in [
        (Transports::UtpOnly, Protocol::Udp6),
        (Transports::TcpOnly, Protocol::Tcp6),
    ] {
        let seed_dir = scratch("seed6");
        let leech_dir = scratch("leech6");
        let torrent = fixture(&seed_dir);
        let v6 = || {
            Client::builder()
                .ipv4(None)
                .ipv6(Some(std::net::Ipv6Addr::LOCALHOST))
                .port_list([0])
                .transports(transports)
        };
        let seeder = v6().build().unwrap();
        seed(&seeder, &torrent, &seed_dir);
        let addr = seeder.local_addr(protocol).unwrap();
        let leecher = v6().build().unwrap();
        let id = leech(&leecher, &torrent, &leech_dir, addr);
        let status = leecher.wait_for(id, TIMEOUT, finished).unwrap();
        assert!(status.is_finished(), "{protocol}: {status:?}");
        assert_same_files(&seed_dir, &leech_dir);
        remove_dirs(&[&seed_dir, &leech_dir]);
    }
}

/// A peer that asks for many blocks and then never reads stalls only itself: the seeder
/// keeps serving a downloader beside it (backpressure per connection, not per client).
/// Garbage instead of a handshake is a `peer_error`.
#[test]
fn a_stalled_peer_stalls_nobody_else_and_garbage_is_a_peer_error() {
    use hark_suite::bittorrent::{encode, handshake};
    use hark_wire::bt::peer::{BlockRequest, MessageRepr};
    use std::io::Write;

    let fixture = Fixture::scaled(64); // about 9 MB
    let seed_dir = scratch("seed");
    let leech_dir = scratch("leech");
    let torrent = fixture.write(&seed_dir);
    let meta = hark_wire::bt::metainfo::Metainfo::parse(&torrent).unwrap();
    let errors = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&errors);
    let seeder = loopback_client(Transports::TcpOnly)
        .on_peer_error(move |_, _, attrs| log.lock().unwrap().push(attrs.reason.clone()))
        .build()
        .unwrap();
    let (seeding, _) = seed(&seeder, &torrent, &seed_dir);
    let addr = seeder.local_addr(Protocol::Tcp4).unwrap();

    // The stalled peer: handshake, interested, 200 requests, then silence.
    // A 4 KiB receive buffer: what it does not read backs up into the seeder at once.
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket.connect(&addr.into()).unwrap();
    let mut stalled: std::net::TcpStream = socket.into();
    let mut hello = handshake(&meta.info.info_hash.0, b"-XX0001-stalledpeer0").to_vec();
    hello.extend(encode(&MessageRepr::Interested));
    let piece_length = meta.info.piece_length;
    for index in 0..100u32 {
        for begin in [0, 16_384] {
            let length = (piece_length - begin).min(16_384);
            hello.extend(encode(&MessageRepr::Request(BlockRequest {
                index,
                begin,
                length,
            })));
        }
    }
    stalled.write_all(&hello).unwrap();

    // Garbage on another connection.
    let mut garbage = std::net::TcpStream::connect(addr).unwrap();
    garbage.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();

    std::thread::sleep(Duration::from_millis(300));
    let leecher = loopback_client(Transports::TcpOnly).build().unwrap();
    let id = leech(&leecher, &torrent, &leech_dir, addr);
    wait_finished(&leecher, id);
    fixture.assert_same(&seed_dir, &leech_dir);
    // The stalled peer is still connected, its bytes waiting.
    let seeder_status = seeder.torrent_status(seeding).unwrap();
    assert!(seeder_status.peers >= 2, "{seeder_status:?}");
    let errors = errors.lock().unwrap().clone();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("not a BitTorrent handshake")),
        "{errors:?}"
    );
    drop(stalled);
    remove_dirs(&[&seed_dir, &leech_dir]);
}

/// A seeder of the test's own that answers every request with zeros: the piece fails its
/// check (`piece_hash_failed` naming it), the lone contributor is banned (`peer_ban`), and
/// it is not dialled again. A request past the torrent's end to a hark seeder is
/// `invalid_request`.
#[test]
fn a_corrupt_seeder_is_banned_and_a_bad_request_is_invalid_request() {
    use hark_suite::bittorrent::{
        HANDSHAKE_LEN, encode, full_bitfield, handshake, id as ids, messages,
    };
    use hark_wire::bt::peer::{BlockRequest, MessageRepr};
    use std::io::{Read, Write};

    let seed_dir = scratch("seed");
    let leech_dir = scratch("leech");
    let torrent = fixture(&seed_dir);
    let meta = hark_wire::bt::metainfo::Metainfo::parse(&torrent).unwrap();
    let info_hash = meta.info.info_hash.0;
    let pieces = meta.info.pieces.len();

    let liar = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let liar_addr = liar.local_addr().unwrap();
    let connections = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&connections);
    std::thread::spawn(move || {
        for stream in liar.incoming() {
            let Ok(mut stream) = stream else { return };
            count.fetch_add(1, Ordering::Relaxed);
            let mut theirs = [0u8; HANDSHAKE_LEN];
            if stream.read_exact(&mut theirs).is_err() {
                continue;
            }
            let mut hello = handshake(&info_hash, b"-XX0001-corruptseedr").to_vec();
            hello.extend(full_bitfield(pieces));
            hello.extend(encode(&MessageRepr::Unchoke));
            let _ = stream.write_all(&hello);
            let mut input = Vec::new();
            let mut buf = [0u8; 4096];
            while let Ok(n) = stream.read(&mut buf) {
                if n == 0 {
                    break;
                }
                input.extend_from_slice(&buf[..n]);
                let (found, used) = messages(&input);
                input.drain(..used);
                for (id, payload) in found {
                    if id != ids::REQUEST {
                        continue;
                    }
                    let word =
                        |at: usize| u32::from_be_bytes(payload[at..at + 4].try_into().unwrap());
                    let (index, begin, length) = (word(0), word(4), word(8));
                    let zeros = vec![0u8; length as usize];
                    let piece = encode(&MessageRepr::Piece {
                        index,
                        begin,
                        data: &zeros,
                    });
                    let _ = stream.write_all(&piece);
                }
            }
        }
    });

    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let log2 = Arc::clone(&seen);
    let leecher = loopback_client(Transports::TcpOnly)
        .on_piece_hash_failed(move |_, event, attrs| {
            // Every block came from the liar (a piece checked after the peer left may
            // name nobody).
            assert!(attrs.peers.iter().all(|p| *p == liar_addr), "{attrs:?}");
            if !attrs.peers.is_empty() {
                log.lock().unwrap().push(event.name());
            }
        })
        .on_peer_ban(move |_, event, attrs| {
            assert_eq!(attrs.ip, liar_addr.ip());
            log2.lock().unwrap().push(event.name());
        })
        .build()
        .unwrap();
    let id = leech(&leecher, &torrent, &leech_dir, liar_addr);
    poll_until(|| seen.lock().unwrap().contains(&"peer_ban"));
    let names = seen.lock().unwrap().clone();
    assert!(names.contains(&"piece_hash_failed"), "{names:?}");
    assert!(names.contains(&"peer_ban"), "{names:?}");
    // Banned: not dialled again (a retry would have come after 2 s).
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(connections.load(Ordering::Relaxed), 1);
    let status = leecher.torrent_status(id).unwrap();
    assert_eq!(status.pieces_done, 0);
    assert_eq!(status.peers, 0);

    // invalid_request: a hark seeder asked for a block past the end.
    let requests = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&requests);
    let seeder = loopback_client(Transports::TcpOnly)
        .on_invalid_request(move |_, _, attrs| log.lock().unwrap().push(attrs.index))
        .build()
        .unwrap();
    seed(&seeder, &torrent, &seed_dir);
    let mut asker =
        std::net::TcpStream::connect(seeder.local_addr(Protocol::Tcp4).unwrap()).unwrap();
    let mut hello = handshake(&info_hash, b"-XX0001-badrequester").to_vec();
    hello.extend(encode(&MessageRepr::Interested));
    hello.extend(encode(&MessageRepr::Request(BlockRequest {
        index: pieces as u32 + 5,
        begin: 0,
        length: 16_384,
    })));
    asker.write_all(&hello).unwrap();
    poll_until(|| !requests.lock().unwrap().is_empty());
    assert_eq!(*requests.lock().unwrap(), [pieces as u32 + 5]);
    remove_dirs(&[&seed_dir, &leech_dir]);
}

/// Unmounts a tmpfs on drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: PathBuf, size: &str) -> Tmpfs {
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .status()
            .expect("run mount (the tests run as root)");
        assert!(status.success(), "mounting a tmpfs on {}", dir.display());
        Tmpfs(dir)
    }

    fn resize(&self, size: &str) {
        let status = std::process::Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.0)
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Downloading into a tmpfs too small for the torrent: a fatal `file_error`, the torrent
/// paused with its verified pieces kept; with room again, `resume` completes it.
#[test]
fn a_full_disk_pauses_the_torrent_and_resume_completes_it() {
    use hark::bittorrent::disk::DiskConfig;
    let fixture = Fixture::scaled(8); // about 1.1 MB
    let seed_dir = scratch("seed");
    let torrent = fixture.write(&seed_dir);
    let disk = Tmpfs::mount(scratch("tmpfs"), "512k");
    let seeder = loopback_client(Transports::TcpOnly).build().unwrap();
    seed(&seeder, &torrent, &seed_dir);
    let addr = seeder.local_addr(Protocol::Tcp4).unwrap();

    let errors = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&errors);
    let leecher = loopback_client(Transports::TcpOnly)
        .disk_config(DiskConfig {
            cache_bytes: 0,
            ..DiskConfig::default()
        })
        .on_file_error(move |_, event, attrs| {
            log.lock().unwrap().push((event.severity, attrs.error));
        })
        .build()
        .unwrap();
    let id = leech(&leecher, &torrent, &disk.0, addr);
    // Pieces whose hash jobs were queued behind the write that failed are verified after
    // the pause: wait for the first of them rather than read the count at the pause.
    let status = leecher
        .wait_for(id, TIMEOUT, |s| {
            s.state == TorrentState::Error && s.pieces_done > 0
        })
        .unwrap();
    assert_eq!(status.state, TorrentState::Error, "{status:?}");
    assert!(
        status.pieces_done > 0 && status.pieces_done < status.pieces_total,
        "{status:?}"
    );
    let errors = errors.lock().unwrap().clone();
    assert!(
        errors.iter().any(
            |(severity, kind)| *severity == hark::events::Severity::Fatal
                && *kind == std::io::ErrorKind::StorageFull
        ),
        "{errors:?}"
    );

    disk.resize("4m");
    leecher.resume(id).unwrap();
    wait_finished(&leecher, id);
    fixture.assert_same(&seed_dir, &disk.0);
    drop(leecher);
    let _ = std::fs::remove_dir_all(seed_dir);
}

/// With a resume directory, a finished torrent's resume file lets it be added again
/// without re-hashing: a byte changed under an unchanged length and modification time is
/// not noticed (a re-check would fail that piece), while a changed modification time
/// makes the client re-check and find it.
#[test]
fn a_resume_file_spares_the_re_check() {
    use std::os::unix::fs::MetadataExt;
    let seed_dir = scratch("seed");
    let leech_dir = scratch("leech");
    let resume_dir = scratch("resume");
    let torrent = fixture(&seed_dir);
    let seeder = loopback_client(Transports::TcpOnly).build().unwrap();
    seed(&seeder, &torrent, &seed_dir);
    let addr = seeder.local_addr(Protocol::Tcp4).unwrap();
    let with_resume = || {
        loopback_client(Transports::TcpOnly)
            .resume_dir(&resume_dir)
            .build()
            .unwrap()
    };
    let leecher = with_resume();
    let id = leech(&leecher, &torrent, &leech_dir, addr);
    wait_finished(&leecher, id);
    // The resume file is written (asynchronously) once the torrent finished.
    // (Saved atomically: a temporary file first, then renamed to `<info hash>.resume`.)
    let meta = hark_wire::bt::metainfo::Metainfo::parse(&torrent).unwrap();
    let resume_file = resume_dir.join(format!("{}.resume", meta.info.info_hash));
    poll_until(|| resume_file.exists());
    assert!(resume_file.exists());
    drop(leecher);

    // Change one byte of the first file, keeping its length and modification time.
    let file = leech_dir.join(NAME).join("a.bin");
    let meta = std::fs::metadata(&file).unwrap();
    let mut bytes = std::fs::read(&file).unwrap();
    bytes[0] ^= 0xff;
    std::fs::write(&file, &bytes).unwrap();
    let stamp = format!("@{}.{:09}", meta.mtime(), meta.mtime_nsec());
    let touched = std::process::Command::new("touch")
        .args(["-m", "-d", &stamp])
        .arg(&file)
        .status()
        .unwrap();
    assert!(touched.success());

    let again = with_resume();
    let (_, status) = seed(&again, &torrent, &leech_dir);
    assert!(
        status.is_finished(),
        "resumed without a re-check: {status:?}"
    );
    drop(again);

    // A new modification time: the resume file is stale, the re-check finds piece 0 bad.
    std::fs::write(&file, &bytes).unwrap();
    let third = with_resume();
    let id = third
        .add_torrent(AddTorrent::from_bytes(&torrent, &leech_dir).unwrap())
        .unwrap();
    let status = third
        .wait_for(id, TIMEOUT, |s| s.state == TorrentState::Downloading)
        .unwrap();
    assert_eq!(status.pieces_done, status.pieces_total - 1, "{status:?}");
    remove_dirs(&[&seed_dir, &leech_dir, &resume_dir]);
}
