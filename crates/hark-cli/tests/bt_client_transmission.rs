//! The client matrix, transmission-daemon 3.00, inside a network namespace the test makes
//! (transmission never dials 127/8 and keys peers by IP alone, so it and hark get addresses
//! of their own, 10.78.0.1 and 10.78.0.2): `hark torrent download --utp-only` takes the test
//! torrent from a transmission seeder, and transmission downloads it from `hark torrent
//! seed`, finding hark through a tracker inside the namespace. transmission rechokes every
//! 10 s, so a download may wait that long for its first unchoke. Over uTP, transmission
//! reads hark's bitfield only once more bytes follow it: hark's peer session sends a
//! keep-alive 1 s after its opening messages for that (`OPENING_NUDGE`).

use hark_suite::bt_interop::hark_cli::{Dial, HarkPeer, wait_download};
use hark_suite::bt_interop::{payload, torrent, transmission};
use hark_suite::netns::NetNs;
use hark_suite::peer_process::unique_dir;
use hark_suite::tracker::Tracker;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::Path;
use std::time::Duration;

const HARK: &str = env!("CARGO_BIN_EXE_hark");
const TRANSFER: Duration = Duration::from_secs(30);
const TRANSMISSION_IP: Ipv4Addr = Ipv4Addr::new(10, 78, 0, 1);
const HARK_IP: Ipv4Addr = Ipv4Addr::new(10, 78, 0, 2);
/// Any port is free in a namespace of the test's own.
const HARK_PORT: u16 = 6881;

fn namespace(tag: &str) -> NetNs {
    let ns = NetNs::create(tag, TRANSMISSION_IP).expect("network namespace");
    ns.add_address(HARK_IP).expect("hark's address");
    ns
}

fn hark_in(ns: &NetNs) -> HarkPeer<'static> {
    let mut hark = HarkPeer::new(Path::new(HARK), HARK_PORT);
    hark.bind = Some(HARK_IP.to_string());
    hark.wrapper = ns
        .exec_prefix()
        .iter()
        .map(|word| word.to_string())
        .collect();
    hark
}

#[test]
fn hark_downloads_from_transmission_over_utp() {
    let ns = namespace("matrix-tr-down");
    let dir = unique_dir("matrix-tr-down");
    let made = torrent::make(Path::new(HARK), &dir, &[], &[]);
    let seeder = transmission::seed(&ns, &made.file, &made.seed_dir, TRANSMISSION_IP);
    let mut hark = hark_in(&ns);
    hark.peers = vec![SocketAddr::from((TRANSMISSION_IP, seeder.info.port))];
    hark.dial = Dial::Utp;
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
fn transmission_downloads_from_hark() {
    let ns = namespace("matrix-tr-up");
    let dir = unique_dir("matrix-tr-up");
    let peer = SocketAddrV4::new(HARK_IP, HARK_PORT);
    let tracker = ns.keep(move || Tracker::start(vec![peer]));
    let made = torrent::make(Path::new(HARK), &dir, &[tracker.announce_url()], &[]);
    let seeder = hark_in(&ns).seed(&made.file, &made.seed_dir);
    let save = dir.join("transmission");
    let mut leecher = transmission::download(&ns, &made.file, &save, TRANSMISSION_IP);
    transmission::wait_complete(&mut leecher, TRANSFER);
    // transmission 3.00 does not create the empty file.
    if let Err(problem) = payload::verify_except_empty_files(&save) {
        leecher.fail(&problem);
    }
    drop((leecher, seeder, tracker));
    std::fs::remove_dir_all(&dir).ok();
}
