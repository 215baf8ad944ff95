//! The client matrix, rtorrent (Debian's 0.9.8 on rakshasa's libtorrent, an independent
//! TCP implementation): `hark torrent download` takes the test torrent from an rtorrent
//! seeder over TCP, and rtorrent downloads it from `hark torrent seed`, finding hark
//! through the torrent's tracker (rtorrent takes no peer address, and refuses a torrent
//! without a tracker). Byte-exact both ways; rtorrent's log is printed on failure.

use hark_suite::bt_interop::hark_cli::{Dial, HarkPeer, wait_download};
use hark_suite::bt_interop::rtorrent::Rtorrent;
use hark_suite::bt_interop::{free_port, payload, torrent};
use hark_suite::peer_process::unique_dir;
use hark_suite::tracker::Tracker;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::Path;
use std::time::Duration;

const HARK: &str = env!("CARGO_BIN_EXE_hark");
const TRANSFER: Duration = Duration::from_secs(25);

#[test]
fn hark_downloads_from_rtorrent_over_tcp() {
    let dir = unique_dir("matrix-rtorrent-down");
    let rtorrent_port = free_port();
    // rtorrent needs a tracker in the torrent; hark is given the seeder directly.
    let tracker = Tracker::start(vec![SocketAddrV4::new(Ipv4Addr::LOCALHOST, rtorrent_port)]);
    let made = torrent::make(Path::new(HARK), &dir, &[tracker.announce_url()], &[]);
    let seeder = Rtorrent::seed(&made.file, &made.seed_dir, rtorrent_port);
    let mut hark = HarkPeer::new(Path::new(HARK), free_port());
    hark.peers = vec![SocketAddr::from(([127, 0, 0, 1], rtorrent_port))];
    hark.dial = Dial::Tcp;
    let save = dir.join("hark");
    let mut download = hark.download(&made.file, &save);
    wait_download(&mut download, TRANSFER);
    if let Err(problem) = payload::verify(&save) {
        seeder.process.fail(&problem);
    }
    drop((download, seeder, tracker));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn rtorrent_downloads_from_hark_over_tcp() {
    let dir = unique_dir("matrix-rtorrent-up");
    let port = free_port();
    let tracker = Tracker::start(vec![SocketAddrV4::new(Ipv4Addr::LOCALHOST, port)]);
    let made = torrent::make(Path::new(HARK), &dir, &[tracker.announce_url()], &[]);
    let mut hark = HarkPeer::new(Path::new(HARK), port);
    hark.dial = Dial::Tcp;
    let seeder = hark.seed(&made.file, &made.seed_dir);
    let save = dir.join("rtorrent");
    let mut leecher = Rtorrent::download(&made.file, &save, free_port());
    leecher.wait_complete(TRANSFER);
    if let Err(problem) = payload::verify(&save) {
        leecher.process.fail(&problem);
    }
    drop((leecher, seeder, tracker));
    std::fs::remove_dir_all(&dir).ok();
}
