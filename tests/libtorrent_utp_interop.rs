//! hark's uTP (through the `hark::utp` facade) against libtorrent 2.0's own uTP
//! (Debian's python3-libtorrent, uTP only): both directions, a BitTorrent handshake
//! exchange on top.

use hark_suite::bittorrent::{self, HANDSHAKE_LEN, Handshake, id};
use hark_suite::peer_process::PeerProcess;
use hark_suite::seeder_check::{ANSWER, PEER_ID, assert_seeder_reply, handshake_with_seeder};
use hark_suite::utp_peer::{UtpEvent, UtpPeer};

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
fn libtorrent_connects_to_a_hark_listener_and_exchanges_handshakes() {
    let mut hark = UtpPeer::spawn(Box::new(|_cx, _event| {}));
    let listener = hark.local_addr().to_string();
    let mut connector = PeerProcess::start(SCRIPT, &["connect", "--peer", &listener]);
    let info = connector.info.clone();

    // libtorrent initiates and speaks first: its handshake.
    let read = hark
        .read_until(ANSWER, |stream| stream.len() >= HANDSHAKE_LEN)
        .to_vec();
    let socket = match hark.log.first() {
        Some(UtpEvent::Accepted(socket, from)) => {
            assert_eq!(from.ip(), std::net::Ipv4Addr::LOCALHOST);
            assert_eq!(
                from.port(),
                info.port,
                "libtorrent connects from its uTP port"
            );
            *socket
        }
        other => panic!(
            "on_accept came first, not {other:?}; events: {:?}",
            hark.log
        ),
    };
    let theirs = Handshake::parse(&read).unwrap_or_else(|| {
        connector.fail(&format!(
            "not a BitTorrent handshake: {:02x?}",
            &read[..HANDSHAKE_LEN]
        ))
    });
    assert_eq!(
        theirs.info_hash, info.info_hash,
        "libtorrent asks for its torrent"
    );

    // hark answers as a seeder: handshake (no extensions) and a full bitfield.
    let mut answer = bittorrent::handshake(&info.info_hash, PEER_ID).to_vec();
    answer.extend_from_slice(&bittorrent::full_bitfield(info.pieces));
    hark.reactor
        .remote()
        .write(socket, &answer)
        .expect("hark writes its handshake");

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
}
