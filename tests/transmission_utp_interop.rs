//! hark's uTP (through the `hark::utp` facade) against the libutp inside
//! transmission-daemon 3.00: hark connects, sends a BitTorrent handshake, gets the
//! daemon's handshake and bitfield back, then downloads the whole torrent over uTP.

use hark_suite::peer_process::PeerProcess;
use hark_suite::seeder_check::{ANSWER, assert_seeder_reply, handshake_with_seeder};

/// Torrent size for the download: 256 pieces, enough for uTP's windows to matter.
const SIZE: &str = "4194304";

#[test]
fn hark_connects_to_transmissions_libutp_and_downloads_the_torrent() {
    // The script prints its line once the daemon has verified the data and seeds.
    let seeder = PeerProcess::start("transmission_peer.py", &["--size", SIZE]);
    let info = seeder.info.clone();
    let mut session = handshake_with_seeder(&info);
    assert_seeder_reply(&info, &session.reply);

    let file = std::fs::read(seeder.dir().join("data/hark-interop.bin")).expect("the seeded file");
    let data = session.download(&info, file.len(), ANSWER);
    assert!(data == file, "the pieces differ from the seeded file");
}
