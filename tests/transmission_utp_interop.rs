//! hark's uTP (through the `hark::utp` facade) against the libutp inside
//! transmission-daemon 3.00: hark connects, sends a BitTorrent handshake and gets the
//! daemon's handshake and its bitfield back.

use hark_suite::peer_process::PeerProcess;
use hark_suite::seeder_check::{assert_seeder_reply, handshake_with_seeder};

#[test]
fn hark_connects_to_transmissions_libutp_and_gets_its_bitfield() {
    // The script prints its line once the daemon has verified the data and seeds.
    let seeder = PeerProcess::start("transmission_peer.py", &[]);
    let info = seeder.info.clone();
    let reply = handshake_with_seeder(&info);
    assert_seeder_reply(&info, &reply);
    eprintln!("transmission replied: {reply:?}");
}
