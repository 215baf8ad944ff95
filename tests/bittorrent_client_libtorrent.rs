//! `hark::bittorrent::Client` with a real libtorrent (Debian's python3-libtorrent, through
//! `tools/peers/libtorrent_interop.py`) on loopback: hark downloads the multi-file fixture
//! (odd piece length, a file ending mid-piece, an empty file) from a libtorrent seeder, and
//! libtorrent downloads it from a hark seeder, over uTP and over TCP, byte-exact.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use hark::bittorrent::{AddTorrent, Client, TorrentState, Transports};
use hark::events::Protocol;
use hark_suite::bt_client::loopback_client;
use hark_suite::bt_interop::libtorrent::{self, Transport};
use hark_suite::peer_process::unique_dir;
use hark_suite::torrent_fixture::Fixture;

const TIMEOUT: Duration = Duration::from_secs(90);

/// Bigger than the hark-to-hark fixture: 32 times, about 4.5 MB in 183 pieces.
fn fixture() -> Fixture {
    Fixture::scaled(32)
}

fn hark(transports: Transports) -> Client {
    loopback_client(transports).build().expect("hark client")
}

fn hark_downloads_from_libtorrent(transport: Transport, transports: Transports) {
    let fixture = fixture();
    let seed_dir = unique_dir("lt-seed");
    let leech_dir = unique_dir("hark-leech");
    let torrent = fixture.write(&seed_dir);
    let torrent_file = seed_dir.join("fixture.torrent");
    std::fs::write(&torrent_file, &torrent).unwrap();
    // `seed` hash-checks every piece before it reports its port (and exits if one is wrong).
    let seeder = libtorrent::seed(None, &torrent_file, &seed_dir, transport, "127.0.0.1");
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

fn libtorrent_downloads_from_hark(transport: Transport, protocol: Protocol) {
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

    let mut leecher = libtorrent::download(
        None,
        &torrent_file,
        &leech_dir,
        &[addr],
        transport,
        "127.0.0.1",
    );
    libtorrent::wait_complete(&mut leecher, TIMEOUT);
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
    hark_downloads_from_libtorrent(Transport::Utp, Transports::UtpOnly);
}

#[test]
fn hark_downloads_from_libtorrent_over_tcp() {
    hark_downloads_from_libtorrent(Transport::Tcp, Transports::TcpOnly);
}

#[test]
fn libtorrent_downloads_from_hark_over_utp() {
    libtorrent_downloads_from_hark(Transport::Utp, Protocol::Udp4);
}

#[test]
fn libtorrent_downloads_from_hark_over_tcp() {
    libtorrent_downloads_from_hark(Transport::Tcp, Protocol::Tcp4);
}

/// uTP first, TCP as the fallback: against a libtorrent that speaks TCP only, hark's uTP
/// attempt fails and the download completes over TCP.
#[test]
fn hark_falls_back_to_tcp_when_utp_fails() {
    hark_downloads_from_libtorrent(Transport::Tcp, Transports::UtpFirst);
}
