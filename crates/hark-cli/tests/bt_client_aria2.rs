//! The client matrix, aria2 (an independent TCP implementation from Debian): `hark torrent
//! download` takes the test torrent from an aria2 seeder over TCP, and aria2 downloads it
//! from `hark torrent seed`, finding hark through a tracker (aria2 takes no peer address).

use hark_suite::bt_interop::hark_cli::{Dial, HarkPeer, wait_download};
use hark_suite::bt_interop::{aria2, free_port, payload, torrent};
use hark_suite::peer_process::unique_dir;
use hark_suite::tracker::Tracker;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::Path;
use std::time::Duration;

const HARK: &str = env!("CARGO_BIN_EXE_hark");
const TRANSFER: Duration = Duration::from_secs(25);

#[test]
fn hark_downloads_from_aria2_over_tcp() {
    let dir = unique_dir("matrix-aria2-down");
    let made = torrent::make(Path::new(HARK), &dir, &[], &[]);
    let aria_port = free_port();
    let seeder = aria2::seed(&made.file, &made.seed_dir, aria_port);
    let mut hark = HarkPeer::new(Path::new(HARK), free_port());
    hark.peers = vec![SocketAddr::from(([127, 0, 0, 1], aria_port))];
    hark.dial = Dial::Tcp;
    let save = dir.join("hark");
    let mut download = hark.download(&made.file, &save);
    wait_download(&mut download, TRANSFER);
    if let Err(problem) = payload::verify(&save) {
        download.fail(&problem);
    }
    drop((download, seeder));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn aria2_downloads_from_hark_over_tcp() {
    let dir = unique_dir("matrix-aria2-up");
    let made = torrent::make(Path::new(HARK), &dir, &[], &[]);
    let port = free_port();
    let seeder = HarkPeer::new(Path::new(HARK), port).seed(&made.file, &made.seed_dir);
    let tracker = Tracker::start(vec![SocketAddrV4::new(Ipv4Addr::LOCALHOST, port)]);
    let save = dir.join("aria2");
    let mut leecher = aria2::download(&made.file, &save, free_port(), &tracker.announce_url());
    aria2::wait_complete(&mut leecher, TRANSFER);
    if let Err(problem) = payload::verify(&save) {
        leecher.fail(&problem);
    }
    drop((leecher, seeder, tracker));
    std::fs::remove_dir_all(&dir).ok();
}
