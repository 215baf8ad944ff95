//! hark's uTP (through the `hark::utp` facade) against the libutp inside
//! transmission-daemon 3.00, both ways:
//! - hark connects to a transmission seeder, exchanges BitTorrent handshakes and downloads
//!   the whole torrent over uTP;
//! - transmission learns a hark listener from a tracker run by the test, connects to it over
//!   uTP and downloads the torrent from hark, checking every piece's hash.

use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4, TcpListener, TcpStream};
use std::panic::AssertUnwindSafe;
use std::time::{Duration, Instant};

use hark_suite::hark_seeder::{accept_leecher, answer_as_seeder, serve};
use hark_suite::netns::NetNs;
use hark_suite::peer_process::PeerProcess;
use hark_suite::seeder_check::{ANSWER, PEER_ID, assert_seeder_reply, handshake_with_seeder};
use hark_suite::tracker::Tracker;
use hark_suite::utp_peer::{UtpEvent, UtpPeer};

const SCRIPT: &str = "transmission_peer.py";

/// Torrent size for the download: 256 pieces, enough for uTP's windows to matter.
const SIZE: &str = "4194304";

#[test]
fn hark_connects_to_transmissions_libutp_and_downloads_the_torrent() {
    // The script prints its line once the daemon has verified the data and seeds.
    let seeder = PeerProcess::start(SCRIPT, &["seed", "--size", SIZE]);
    let info = seeder.info.clone();
    let mut session = handshake_with_seeder(&info);
    assert_seeder_reply(&info, &session.reply);

    let file = std::fs::read(seeder.dir().join("data/hark-interop.bin")).expect("the seeded file");
    let data = session.download(&info, file.len(), ANSWER);
    assert!(data == file, "the pieces differ from the seeded file");
}

#[test]
fn transmission_connects_to_a_hark_listener_over_utp_and_downloads_the_torrent_from_it() {
    // transmission 3.00 never dials tracker peers in 127.0.0.0/8, so the test runs in a
    // network namespace of its own whose loopback also has an address outside it; hark,
    // the tracker and transmission-daemon all live there.
    let host = Ipv4Addr::new(10, 77, 0, 1);
    let ns = NetNs::create("transmission", host)
        .unwrap_or_else(|why| panic!("transmission ignores loopback peers, so this test makes a namespace with another address: {why}"));
    ns.run(move || transmission_downloads_from_hark(host));
}

fn transmission_downloads_from_hark(host: Ipv4Addr) {
    let (mut hark, tcp_trap) = utp_listener_with_tcp_trap(host);
    let listener = SocketAddrV4::new(host, hark.local_addr().port());
    let tracker = Tracker::start(vec![listener]);

    let announce = tracker.announce_url();
    let mut leecher = PeerProcess::start(
        SCRIPT,
        &["download", "--tracker", &announce, "--size", SIZE],
    );
    let info = leecher.info.clone();
    let file = std::fs::read(leecher.dir().join("source/hark-interop.bin"))
        .expect("the torrent's bytes for hark to serve");

    // transmission announces, gets hark's address and dials it over uTP from its peer port;
    // hark answers as a seeder and serves every block asked for. A failure on hark's side
    // shows transmission's log too.
    let hark_side = std::panic::catch_unwind(AssertUnwindSafe(|| {
        let connection = accept_leecher(&mut hark, ANSWER);
        assert_eq!(
            connection.from,
            SocketAddr::from((Ipv4Addr::LOCALHOST, info.port)),
            "transmission connects from its peer port"
        );
        assert_eq!(
            connection.handshake.info_hash, info.info_hash,
            "transmission asks for its torrent"
        );
        assert_ne!(&connection.handshake.peer_id, PEER_ID);
        answer_as_seeder(&hark, connection.socket, &info, ANSWER);
        serve(&mut hark, connection.socket, &info, &file, ANSWER)
    }));
    let served = hark_side.unwrap_or_else(|panic| {
        let why = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("a panic");
        leecher.fail(&format!("hark's side failed: {why}"))
    });

    // transmission checks each piece's hash; it reports completion once all passed and the
    // file is flushed to disk.
    let done = leecher.wait_line(ANSWER, |line| line.contains("\"complete\""));
    let done: serde_json::Value = serde_json::from_str(&done).expect("a JSON line");
    assert_eq!(done["corrupt"], 0, "no piece failed its hash check: {done}");
    assert_eq!(
        done["have_valid"],
        file.len(),
        "every byte verified: {done}"
    );
    let downloaded = std::fs::read(leecher.dir().join("data/hark-interop.bin"))
        .expect("transmission's downloaded file");
    assert!(
        downloaded == file,
        "transmission's file differs from hark's"
    );

    // The connection was uTP on both sides: transmission lists hark as a uTP peer it dialled,
    // hark's TCP port saw no connection, and hark accepted exactly one uTP connection.
    let lines = leecher.lines().to_vec();
    let utp_peer_seen = lines.iter().any(|line| {
        let Ok(report) = serde_json::from_str::<serde_json::Value>(line) else {
            return false;
        };
        let empty = Vec::new();
        let peers = report["peers"].as_array().unwrap_or(&empty);
        peers.iter().any(|peer| {
            peer["address"] == host.to_string()
                && peer["port"] == listener.port()
                && peer["utp"] == true
                && peer["incoming"] == false
        })
    });
    assert!(
        utp_peer_seen,
        "transmission never listed hark at {listener} as an outgoing uTP peer: {lines:#?}"
    );
    tcp_trap.set_nonblocking(true).expect("a non-blocking trap");
    match tcp_trap.accept() {
        Err(err) if err.kind() == ErrorKind::WouldBlock => {}
        Ok((_, from)) => panic!("transmission also tried TCP to hark's port, from {from}"),
        Err(err) => panic!("the TCP trap failed: {err}"),
    }
    let accepted = hark
        .log
        .iter()
        .filter(|event| matches!(event, UtpEvent::Accepted(..)))
        .count();
    assert_eq!(accepted, 1, "one uTP connection: {:?}", hark.log);
    assert!(served.blocks >= info.pieces, "served {served:?}");

    // And it found hark through the tracker, announcing the torrent and its peer port.
    let announces = tracker.announces();
    assert!(
        announces
            .iter()
            .any(|a| a.info_hash == info.info_hash && a.port == info.port),
        "transmission announced {announces:?}"
    );
}

/// The test's tracker answers a real HTTP announce with the compact peer list and records
/// what the announcer said.
#[test]
fn the_test_tracker_answers_an_announce_with_its_peers() {
    let peer = SocketAddrV4::new(Ipv4Addr::new(192, 0, 2, 2), 0x1234);
    let tracker = Tracker::start(vec![peer]);
    let url = tracker.announce_url();
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches("/announce");
    // The shape of transmission 3.00's announce (seen in its request to this tracker).
    let query = "info_hash=%bb%3cQX%f2%2a%f7%eb%b5%3eC%89a%f0%1a%ae%21%3aI%27\
                 &peer_id=-TR3000-3hikttvwr6au&port=51777&uploaded=0&downloaded=0\
                 &left=65536&numwant=80&key=f0fae3e&compact=1&supportcrypto=1&event=started";
    let reply = http_get(addr, &format!("/announce?{query}"));
    assert!(reply.starts_with(b"HTTP/1.1 200 OK\r\n"), "{reply:?}");
    assert!(
        reply
            .ends_with(b"d8:intervali1800e12:min intervali1800e5:peers6:\xc0\x00\x02\x02\x12\x34e"),
        "{:?}",
        String::from_utf8_lossy(&reply)
    );
    let announces = tracker.announces();
    assert_eq!(announces.len(), 1);
    let announce = &announces[0];
    assert_eq!(announce.info_hash[..4], [0xbb, 0x3c, b'Q', b'X']);
    assert_eq!(announce.info_hash[19], 0x27);
    assert_eq!(announce.peer_id, b"-TR3000-3hikttvwr6au");
    assert_eq!(announce.port, 51777);
    assert_eq!(announce.event.as_deref(), Some("started"));

    // A broken escape is refused with a tracker failure and not recorded.
    let reply = http_get(addr, "/announce?info_hash=%zz&peer_id=x&port=1");
    assert!(reply.ends_with(b"e"), "{reply:?}");
    assert!(String::from_utf8_lossy(&reply).contains("failure reason"));
    assert_eq!(tracker.announces().len(), 1);
    let reply = http_get(addr, "/elsewhere");
    assert!(reply.starts_with(b"HTTP/1.1 404"), "{reply:?}");
}

/// A hark uTP listener on `ip` and a TCP listener on the same port number that nobody
/// answers: a peer that falls back to TCP shows up in the trap's backlog.
fn utp_listener_with_tcp_trap(ip: Ipv4Addr) -> (UtpPeer, TcpListener) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let hark = UtpPeer::spawn_on(IpAddr::V4(ip), Box::new(|_cx, _event| {}));
        match TcpListener::bind((ip, hark.local_addr().port())) {
            Ok(trap) => return (hark, trap),
            // The TCP port of that number is taken: try another UDP port.
            Err(err) if Instant::now() < deadline => drop((hark, err)),
            Err(err) => panic!("no TCP trap beside hark's uTP port: {err}"),
        }
    }
}

/// One HTTP/1.1 GET on a fresh connection; returns the whole response.
fn http_get(addr: &str, target: &str) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).expect("connect to the tracker");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("a read timeout");
    write!(stream, "GET {target} HTTP/1.1\r\nHost: {addr}\r\n\r\n").expect("send the request");
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).expect("read the reply");
    reply
}
