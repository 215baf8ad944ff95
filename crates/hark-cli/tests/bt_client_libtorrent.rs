//! The client matrix, libtorrent (python3-libtorrent 2.0): `hark torrent download` takes the
//! test torrent (48 KiB pieces, files ending mid-piece, an empty file) from a libtorrent
//! seeder over uTP and over TCP, and libtorrent downloads it from `hark torrent seed` over
//! each. Byte-exact; every peer's log is printed on failure.

use hark_suite::bt_interop::hark_cli::{Dial, HarkPeer, wait_download};
use hark_suite::bt_interop::libtorrent::{self, Transport};
use hark_suite::bt_interop::{free_port, payload, torrent};
use hark_suite::peer_process::unique_dir;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

const HARK: &str = env!("CARGO_BIN_EXE_hark");
const TRANSFER: Duration = Duration::from_secs(25);

fn local(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

fn hark_downloads_from_libtorrent(transport: Transport, dial: Dial, wire: &str) {
    let dir = unique_dir("matrix-lt-down");
    let made = torrent::make(Path::new(HARK), &dir, &[], &[]);
    let mut seeder = libtorrent::seed(None, &made.file, &made.seed_dir, transport, "127.0.0.1");
    let mut hark = HarkPeer::new(Path::new(HARK), free_port());
    hark.peers = vec![local(seeder.info.port)];
    hark.dial = dial;
    let save = dir.join("hark");
    let mut download = hark.download(&made.file, &save);
    wait_download(&mut download, TRANSFER);
    if let Err(problem) = payload::verify(&save) {
        download.fail(&problem);
    }
    // libtorrent listened on the one transport; it says which one hark came over.
    let incoming = format!("({wire})");
    if !seeder
        .lines()
        .iter()
        .any(|line| line.contains("incoming_connection") && line.contains(&incoming))
    {
        seeder.fail(&format!("no incoming {wire} connection from hark"));
    }
    drop((download, seeder));
    std::fs::remove_dir_all(&dir).ok();
}

fn libtorrent_downloads_from_hark(transport: Transport) {
    let dir = unique_dir("matrix-lt-up");
    let made = torrent::make(Path::new(HARK), &dir, &[], &[]);
    let port = free_port();
    let seeder = HarkPeer::new(Path::new(HARK), port).seed(&made.file, &made.seed_dir);
    let save = dir.join("libtorrent");
    let mut leecher = libtorrent::download(
        None,
        &made.file,
        &save,
        &[local(port)],
        transport,
        "127.0.0.1",
    );
    libtorrent::wait_complete(&mut leecher, TRANSFER);
    if let Err(problem) = payload::verify(&save) {
        leecher.fail(&problem);
    }
    let failures = leecher.failures_before_finishing();
    if !failures.is_empty() {
        leecher.fail(&format!("libtorrent saw failures: {failures:?}"));
    }
    drop((leecher, seeder));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn hark_downloads_from_libtorrent_over_utp() {
    hark_downloads_from_libtorrent(Transport::Utp, Dial::Utp, "uTP");
}

#[test]
fn hark_downloads_from_libtorrent_over_tcp() {
    hark_downloads_from_libtorrent(Transport::Tcp, Dial::Tcp, "TCP");
}

#[test]
fn libtorrent_downloads_from_hark_over_utp() {
    libtorrent_downloads_from_hark(Transport::Utp);
}

#[test]
fn libtorrent_downloads_from_hark_over_tcp() {
    libtorrent_downloads_from_hark(Transport::Tcp);
}

#[test]
fn seeding_refuses_incomplete_data() {
    let dir = unique_dir("matrix-seed-empty");
    let made = torrent::make(Path::new(HARK), &dir, &[], &[]);
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).expect("an empty directory");
    let output = std::process::Command::new(HARK)
        .args(["torrent", "seed", "--port", "0"])
        .arg(&made.file)
        .arg(&empty)
        .output()
        .expect("run hark");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "seeding nothing exited 0");
    assert!(
        stderr.contains("holds 0 of the 23 pieces of hark-album"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
