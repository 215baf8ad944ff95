//! The interop harness proves itself: each launcher of `hark_suite::bt_interop` moves the
//! test torrent (made by `hark torrent create`) between third-party peers only, so a broken
//! launcher fails here rather than as a puzzling hark failure in the matrix. Every peer's
//! log is printed when a test fails.

use hark_suite::bt_interop::libtorrent::{self, Transport};
use hark_suite::bt_interop::opentracker::OpenTracker;
use hark_suite::bt_interop::rtorrent::Rtorrent;
use hark_suite::bt_interop::web_seed::WebSeed;
use hark_suite::bt_interop::{aria2, free_port, hostile, payload, torrent, transmission};
use hark_suite::netns::NetNs;
use hark_suite::peer_process::unique_dir;
use hark_suite::tracker::Tracker;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::Path;
use std::time::Duration;

const HARK: &str = env!("CARGO_BIN_EXE_hark");
const TRANSFER: Duration = Duration::from_secs(25);

fn local(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

fn check(save: &Path) {
    if let Err(problem) = payload::verify(save) {
        panic!("the downloaded data differs: {problem}");
    }
}

fn libtorrent_to_libtorrent(transport: Transport) {
    let dir = unique_dir("harness-lt");
    let made = torrent::make(Path::new(HARK), &dir, &[], &[]);
    let seeder = libtorrent::seed(None, &made.file, &made.seed_dir, transport, "127.0.0.1");
    assert_eq!(hex(&seeder.info.info_hash), made.info_hash);
    let save = dir.join("leech");
    let mut leecher = libtorrent::download(
        None,
        &made.file,
        &save,
        &[local(seeder.info.port)],
        transport,
        "127.0.0.1",
    );
    libtorrent::wait_complete(&mut leecher, TRANSFER);
    check(&save);
    drop((leecher, seeder));
    std::fs::remove_dir_all(&dir).ok();
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn libtorrent_seeds_libtorrent_over_utp() {
    libtorrent_to_libtorrent(Transport::Utp);
}

#[test]
fn libtorrent_seeds_libtorrent_over_tcp() {
    libtorrent_to_libtorrent(Transport::Tcp);
}

#[test]
fn aria2_downloads_from_libtorrent_and_seeds_it_back() {
    let dir = unique_dir("harness-aria2");
    let made = torrent::make(Path::new(HARK), &dir, &[], &[]);
    let seeder = libtorrent::seed(
        None,
        &made.file,
        &made.seed_dir,
        Transport::Tcp,
        "127.0.0.1",
    );
    let tracker = Tracker::start(vec![SocketAddrV4::new(
        Ipv4Addr::LOCALHOST,
        seeder.info.port,
    )]);
    let save = dir.join("aria2");
    let mut aria = aria2::download(&made.file, &save, free_port(), &tracker.announce_url());
    aria2::wait_complete(&mut aria, TRANSFER);
    check(&save);
    drop(seeder);

    // aria2 seeds what it got; libtorrent takes it from aria2 alone.
    let port = free_port();
    let _aria_seed = aria2::seed(&made.file, &save, port);
    let again = dir.join("lt");
    let mut leecher = libtorrent::download(
        None,
        &made.file,
        &again,
        &[local(port)],
        Transport::Tcp,
        "127.0.0.1",
    );
    libtorrent::wait_complete(&mut leecher, TRANSFER);
    check(&again);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn rtorrent_downloads_from_libtorrent_and_seeds_it_back() {
    let dir = unique_dir("harness-rtorrent");
    let made = torrent::make(Path::new(HARK), &dir, &[], &[]);
    let seeder = libtorrent::seed(
        None,
        &made.file,
        &made.seed_dir,
        Transport::Tcp,
        "127.0.0.1",
    );
    // rtorrent refuses a torrent without a tracker: the same torrent (the info hash does
    // not cover the tracker), announcing to one that names libtorrent.
    let tracker = Tracker::start(vec![SocketAddrV4::new(
        Ipv4Addr::LOCALHOST,
        seeder.info.port,
    )]);
    let tracked = torrent::make(
        Path::new(HARK),
        &dir.join("tracked"),
        &[tracker.announce_url()],
        &[],
    );
    assert_eq!(tracked.info_hash, made.info_hash);
    let save = dir.join("rtorrent");
    let mut leecher = Rtorrent::download(&tracked.file, &save, free_port());
    leecher.wait_complete(TRANSFER);
    check(&save);
    drop((leecher, seeder));

    // rtorrent seeds what it got; libtorrent takes it from rtorrent alone.
    let port = free_port();
    let _rtorrent_seed = Rtorrent::seed(&tracked.file, &save, port);
    let again = dir.join("lt");
    let mut leecher = libtorrent::download(
        None,
        &made.file,
        &again,
        &[local(port)],
        Transport::Tcp,
        "127.0.0.1",
    );
    libtorrent::wait_complete(&mut leecher, TRANSFER);
    check(&again);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn transmission_in_a_namespace_seeds_libtorrent_over_utp() {
    let (seed_ip, leech_ip) = (Ipv4Addr::new(10, 77, 0, 1), Ipv4Addr::new(10, 77, 0, 2));
    let ns = NetNs::create("harness-tr", seed_ip).expect("network namespace");
    ns.add_address(leech_ip).expect("second address");
    let dir = unique_dir("harness-tr");
    let made = torrent::make(Path::new(HARK), &dir, &[], &[]);
    let seeder = transmission::seed(&ns, &made.file, &made.seed_dir, seed_ip);
    let save = dir.join("lt");
    let mut leecher = libtorrent::download(
        Some(&ns),
        &made.file,
        &save,
        &[SocketAddr::from((seed_ip, seeder.info.port))],
        Transport::Utp,
        &leech_ip.to_string(),
    );
    libtorrent::wait_complete(&mut leecher, TRANSFER);
    check(&save);
    drop((leecher, seeder));
    // Not proven here: transmission downloading from libtorrent. Dialing libtorrent 2.0.8
    // over uTP it stalls after the handshakes (libtorrent logs no handshake, transmission
    // sees no bitfield), and with libtorrent on TCP only, transmission 3.00 had not fallen
    // back to TCP after 25 s. The downloader launcher is proven by the hark seeder's test.
    std::fs::remove_dir_all(&dir).ok();
}

fn through_opentracker(udp: bool) {
    let dir = unique_dir("harness-ot");
    let bare = torrent::make(Path::new(HARK), &dir, &[], &[]);
    let tracker = OpenTracker::start(&[&bare.info_hash]);
    let url = if udp {
        tracker.udp_url()
    } else {
        tracker.http_url()
    };
    let made = torrent::make(Path::new(HARK), &dir, &[url], &[]);
    assert_eq!(made.info_hash, bare.info_hash);
    let seeder = libtorrent::seed(
        None,
        &made.file,
        &made.seed_dir,
        Transport::Both,
        "127.0.0.1",
    );
    let save = dir.join("leech");
    let mut leecher =
        libtorrent::download(None, &made.file, &save, &[], Transport::Both, "127.0.0.1");
    libtorrent::wait_complete(&mut leecher, TRANSFER);
    check(&save);
    drop((leecher, seeder, tracker));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn libtorrent_peers_find_each_other_through_opentracker_over_http() {
    through_opentracker(false);
}

#[test]
fn libtorrent_peers_find_each_other_through_opentracker_over_udp() {
    through_opentracker(true);
}

#[test]
fn libtorrent_downloads_from_a_web_seed_alone() {
    let dir = unique_dir("harness-web");
    let bare = torrent::make(Path::new(HARK), &dir, &[], &[]);
    let server = WebSeed::start(&bare.seed_dir);
    let made = torrent::make(Path::new(HARK), &dir, &[], &[server.url()]);
    let save = dir.join("leech");
    let mut leecher =
        libtorrent::download(None, &made.file, &save, &[], Transport::Both, "127.0.0.1");
    libtorrent::wait_complete(&mut leecher, TRANSFER);
    check(&save);
    assert!(
        server.process.log().contains("GET /hark-album/a.bin"),
        "no request for the files reached the web seed:\n{}",
        server.process.log()
    );
    drop((leecher, server));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn libtorrent_sees_the_hostile_peer_misbehave_and_completes_from_an_honest_one() {
    let dir = unique_dir("harness-hostile");
    let made = torrent::make(Path::new(HARK), &dir, &[], &[]);
    let save = dir.join("leech");
    let mut leecher =
        libtorrent::download(None, &made.file, &save, &[], Transport::Tcp, "127.0.0.1");
    let mut bad = hostile::start(&made.file, &made.seed_dir, Some(local(leecher.info.port)));
    // Phase 1: libtorrent dials the hostile peer and gets invalid requests and a malformed
    // message; phase 2: the hostile peer dials back and serves corrupt blocks.
    leecher.send_line(&format!("connect {}:{}", hostile::ADDRESS, bad.info.port));
    bad.wait_line(TRANSFER, |line| line.contains("\"phase1_done\""));
    leecher.wait_line(TRANSFER, |line| line.contains("\"invalid_request\""));
    leecher.wait_line(TRANSFER, |line| line.contains("\"peer_error\""));
    leecher.wait_line(TRANSFER, |line| line.contains("\"hash_failed\""));
    leecher.wait_line(TRANSFER, |line| line.contains("\"peer_ban\""));
    bad.wait_line(TRANSFER, |line| line.contains("\"reconnect\""));
    // The honest seeder completes the download.
    let honest = libtorrent::seed(
        None,
        &made.file,
        &made.seed_dir,
        Transport::Tcp,
        "127.0.0.1",
    );
    leecher.send_line(&format!("connect 127.0.0.1:{}", honest.info.port));
    libtorrent::wait_complete(&mut leecher, TRANSFER);
    check(&save);
    drop((leecher, bad, honest));
    std::fs::remove_dir_all(&dir).ok();
}
