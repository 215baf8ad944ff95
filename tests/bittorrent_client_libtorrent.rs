//! `hark::bittorrent::Client` with a real libtorrent (Debian's python3-libtorrent, through
//! `tools/peers/libtorrent_client.py`) on loopback: hark downloads the multi-file fixture
//! (odd piece length, a file ending mid-piece, an empty file) from a libtorrent seeder, and
//! libtorrent downloads it from a hark seeder, over uTP and over TCP, byte-exact.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::time::Duration;

use hark::bittorrent::{AddTorrent, Client, TorrentState, Transports};
use hark::events::Protocol;
use hark_suite::peer_process::{PeerProcess, unique_dir};
use hark_suite::torrent_fixture::Fixture;

const TIMEOUT: Duration = Duration::from_secs(90);

/// Bigger than the hark-to-hark fixture: 32 times, about 4.5 MB in 183 pieces.
fn fixture() -> Fixture {
    Fixture::scaled(32)
}

fn hark(transports: Transports) -> Client {
    Client::builder()
        .ipv4(Some(Ipv4Addr::LOCALHOST))
        .ipv6(None)
        .port_list([0])
        .transports(transports)
        .build()
        .expect("hark client")
}

/// libtorrent with the fixture's `.torrent`, its data under `save`.
fn libtorrent(
    transport: &str,
    torrent: &Path,
    save: &Path,
    peer: Option<SocketAddr>,
) -> PeerProcess {
    let torrent = torrent.to_string_lossy().into_owned();
    let save = save.to_string_lossy().into_owned();
    let mut args = vec![
        "--torrent",
        &torrent,
        "--save",
        &save,
        "--transport",
        transport,
    ];
    let peer = peer.map(|p| p.to_string());
    if let Some(peer) = &peer {
        args.extend(["--peer", peer]);
    }
    PeerProcess::start("libtorrent_client.py", &args)
}

fn hark_downloads_from_libtorrent(transport: &str, transports: Transports) {
    let fixture = fixture();
    let seed_dir = unique_dir("lt-seed");
    let leech_dir = unique_dir("hark-leech");
    let torrent = fixture.write(&seed_dir);
    let torrent_file = seed_dir.join("fixture.torrent");
    std::fs::write(&torrent_file, &torrent).unwrap();
    let mut seeder = libtorrent(transport, &torrent_file, &seed_dir, None);
    seeder.wait_line(TIMEOUT, |line| line.contains("\"seeding\""));
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, seeder.info.port));

    let client = hark(transports);
    let id = client
        .add_torrent(
            AddTorrent::from_bytes(&torrent, &leech_dir)
                .unwrap()
                .peers([addr]),
        )
        .unwrap();
    let status = client
        .wait_for(id, TIMEOUT, |s| s.is_finished())
        .expect("the torrent's status");
    if !status.is_finished() {
        seeder.fail(&format!("hark did not finish: {status:?}"));
    }
    assert_eq!(status.state, TorrentState::Seeding);
    fixture.assert_same(&seed_dir, &leech_dir);
    assert!(status.bytes_received >= status.total_bytes);
    drop(client);
    drop(seeder);
    let _ = std::fs::remove_dir_all(seed_dir);
    let _ = std::fs::remove_dir_all(leech_dir);
}

fn libtorrent_downloads_from_hark(transport: &str, protocol: Protocol) {
    let fixture = fixture();
    let seed_dir = unique_dir("hark-seed");
    let leech_dir = unique_dir("lt-leech");
    let torrent = fixture.write(&seed_dir);
    let torrent_file = leech_dir.join("fixture.torrent");
    std::fs::write(&torrent_file, &torrent).unwrap();

    let client = hark(Transports::UtpFirst);
    let id = client
        .add_torrent(AddTorrent::from_bytes(&torrent, &seed_dir).unwrap())
        .unwrap();
    let status = client.wait_for(id, TIMEOUT, |s| s.is_finished()).unwrap();
    assert_eq!(status.state, TorrentState::Seeding);
    let addr = client.local_addr(protocol).unwrap();

    let mut leecher = libtorrent(transport, &torrent_file, &leech_dir, Some(addr));
    leecher.wait_line(TIMEOUT, |line| line.contains("\"seeding\""));
    let failures = leecher.failures_before_finishing();
    if !failures.is_empty() {
        leecher.fail(&format!("libtorrent reported failures: {failures:?}"));
    }
    fixture.assert_same(&seed_dir, &leech_dir);
    let total = fixture.lengths.iter().sum::<usize>() as u64;
    let status = client.wait_for(id, TIMEOUT, |s| s.bytes_sent >= total);
    assert!(status.is_some_and(|s| s.bytes_sent >= total));
    drop(leecher);
    drop(client);
    let _ = std::fs::remove_dir_all(seed_dir);
    let _ = std::fs::remove_dir_all(leech_dir);
}

#[test]
fn hark_downloads_from_libtorrent_over_utp() {
    hark_downloads_from_libtorrent("utp", Transports::UtpOnly);
}

#[test]
fn hark_downloads_from_libtorrent_over_tcp() {
    hark_downloads_from_libtorrent("tcp", Transports::TcpOnly);
}

#[test]
fn libtorrent_downloads_from_hark_over_utp() {
    libtorrent_downloads_from_hark("utp", Protocol::Udp4);
}

#[test]
fn libtorrent_downloads_from_hark_over_tcp() {
    libtorrent_downloads_from_hark("tcp", Protocol::Tcp4);
}

/// uTP first, TCP as the fallback: against a libtorrent that speaks TCP only, hark's uTP
/// attempt fails and the download completes over TCP.
#[test]
fn hark_falls_back_to_tcp_when_utp_fails() {
    hark_downloads_from_libtorrent("tcp", Transports::UtpFirst);
}
