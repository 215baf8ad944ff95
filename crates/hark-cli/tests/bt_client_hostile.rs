//! The client matrix, a hostile peer (`tools/peers/hostile_peer.py`, on 127.0.0.2):
//! `hark torrent download` meets invalid requests and a malformed message on the first
//! connection, corrupt blocks on the second, bans the address, refuses it on reconnect,
//! and still completes the download from an honest libtorrent seeder.

use hark_suite::bt_interop::hark_cli::{Dial, HarkPeer, event_names, wait_download};
use hark_suite::bt_interop::libtorrent::{self, Transport};
use hark_suite::bt_interop::{free_port, hostile, payload, torrent};
use hark_suite::peer_process::unique_dir;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

const HARK: &str = env!("CARGO_BIN_EXE_hark");
const TRANSFER: Duration = Duration::from_secs(25);

#[test]
fn hark_bans_the_hostile_peer_and_completes_from_an_honest_one() {
    let dir = unique_dir("matrix-hostile");
    let made = torrent::make(Path::new(HARK), &dir, &[], &[]);
    let port = free_port();
    let mut bad = hostile::start(
        &made.file,
        &made.seed_dir,
        Some(SocketAddr::from(([127, 0, 0, 1], port))),
    );
    let mut hark = HarkPeer::new(Path::new(HARK), port);
    hark.peers = vec![
        format!("{}:{}", hostile::ADDRESS, bad.info.port)
            .parse()
            .expect("an address"),
    ];
    hark.dial = Dial::Tcp;
    let save = dir.join("hark");
    let mut download = hark.download(&made.file, &save);
    // Phase 1 (invalid requests, malformed message), phase 2 (corrupt blocks), then the
    // reconnect from the banned address.
    if hostile::reconnect_answered(&mut bad, TRANSFER) {
        download.fail("hark answered the handshake of the banned address");
    }
    // Only now does an honest seeder dial hark.
    let mut honest = libtorrent::seed(
        None,
        &made.file,
        &made.seed_dir,
        Transport::Tcp,
        "127.0.0.1",
    );
    honest.send_line(&format!("connect 127.0.0.1:{port}"));
    wait_download(&mut download, TRANSFER);
    if let Err(problem) = payload::verify(&save) {
        download.fail(&problem);
    }
    let seen = event_names(&download.log());
    let missing: Vec<&str> = [
        "invalid_request",
        "peer_error",
        "piece_hash_failed",
        "peer_ban",
    ]
    .into_iter()
    .filter(|kind| !seen.contains(*kind))
    .collect();
    if !missing.is_empty() {
        download.fail(&format!("events that did not fire: {missing:?}"));
    }
    drop((download, bad, honest));
    std::fs::remove_dir_all(&dir).ok();
}
