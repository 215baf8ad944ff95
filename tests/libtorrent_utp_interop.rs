//! hark's uTP (through the `hark::utp` facade) against libtorrent 2.0's own uTP
//! (Debian's python3-libtorrent, uTP only): both directions, a BitTorrent handshake
//! exchange and a 4 MiB torrent download on top.

use hark_suite::bittorrent::{self, HANDSHAKE_LEN, id};
use hark_suite::hark_seeder::{accept_leecher, answer_as_seeder, serve};
use hark_suite::peer_process::{PeerProcess, start_connecting_leecher};
use hark_suite::seeder_check::{ANSWER, assert_seeder_reply, handshake_with_seeder};
use hark_suite::utp_peer::UtpPeer;

const SCRIPT: &str = "libtorrent_peer.py";

/// Torrent size for the download: 256 pieces, enough for uTP's windows to matter.
const SIZE: &str = "4194304";

#[test]
fn hark_connects_to_a_libtorrent_seeder_and_downloads_the_torrent() {
    let mut seeder = PeerProcess::start(SCRIPT, &["seed", "--size", SIZE]);
    // Connect once libtorrent listens on uTP and the torrent is seeding.
    seeder.wait_line(ANSWER, |line| {
        line.contains("listen_succeeded") && line.contains("[uTP]")
    });
    seeder.wait_line(ANSWER, |line| line.contains("state changed to: seeding"));
    let info = seeder.info.clone();
    let mut session = handshake_with_seeder(&info);
    assert_seeder_reply(&info, &session.reply);

    let file = std::fs::read(seeder.dir().join("hark-interop.bin")).expect("the seeded file");
    let data = session.download(&info, file.len(), ANSWER);
    assert!(data == file, "the pieces differ from the seeded file");
}

#[test]
fn libtorrent_connects_to_a_hark_listener_and_downloads_the_torrent_from_it() {
    let mut hark = UtpPeer::spawn(Box::new(|_cx, _event| {}));
    let listener = hark.local_addr().to_string();
    let (mut connector, file) = start_connecting_leecher(SCRIPT, &listener, SIZE);
    let info = connector.info.clone();

    // libtorrent initiates and speaks first: its handshake.
    let leecher = accept_leecher(&mut hark, ANSWER);
    assert_eq!(leecher.from.ip(), std::net::Ipv4Addr::LOCALHOST);
    assert_eq!(
        leecher.from.port(),
        info.port,
        "libtorrent connects from its uTP port"
    );
    assert_eq!(
        leecher.handshake.info_hash, info.info_hash,
        "libtorrent asks for its torrent"
    );
    let socket = leecher.socket;

    // hark answers as a seeder: handshake (no extensions) and a full bitfield.
    answer_as_seeder(&hark, socket, &info, ANSWER);

    // A downloader that sees a seeder says it is interested.
    let read = hark.read_until(ANSWER, |stream| {
        let (messages, _) = bittorrent::messages(stream.get(HANDSHAKE_LEN..).unwrap_or_default());
        messages.iter().any(|(id, _)| *id == id::INTERESTED)
    });
    let (messages, _) = bittorrent::messages(&read[HANDSHAKE_LEN..]);
    assert!(
        messages.iter().all(|(id, _)| *id <= 20),
        "only known messages: {messages:?}"
    );
    // And libtorrent's own alerts report the uTP peer connection, and no failure of it.
    connector.wait_line(ANSWER, |line| {
        line.contains("\"peer_connect\"") && line.contains("(uTP)")
    });
    let failures: Vec<&String> = connector
        .lines()
        .iter()
        .filter(|line| {
            ["peer_error", "peer_disconnected"]
                .iter()
                .any(|a| line.contains(a))
        })
        .collect();
    assert!(failures.is_empty(), "libtorrent reported {failures:?}");

    // hark unchokes and serves every block libtorrent asks for; libtorrent checks each
    // piece's hash and reports the torrent finished.
    serve(&mut hark, socket, &info, &file, ANSWER);
    connector.wait_line(ANSWER, |line| line.contains("\"torrent_finished\""));
    // Once finished, libtorrent may drop hark (two seeds have nothing to trade); before,
    // the connection must not fail, and no piece may fail its hash check.
    let failures = connector.failures_before_finishing();
    assert!(failures.is_empty(), "libtorrent reported {failures:?}");
}
