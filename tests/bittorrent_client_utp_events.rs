//! `ClientBuilder::utp_events`: the uTP transport's own `utp_*` events reach the client's
//! callbacks (a catch-all one, and one registered later for a kind), and only when asked.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hark::bittorrent::{AddTorrent, Transports};
use hark::events::{Protocol, UtpConnect};
use hark_suite::bt_client::loopback_client;
use hark_suite::peer_process::unique_dir;
use hark_suite::torrent_fixture::Fixture;

const TIMEOUT: Duration = Duration::from_secs(30);

fn hark() -> hark::bittorrent::ClientBuilder {
    loopback_client(Transports::UtpOnly)
}

/// The `utp_*` event names a downloader's catch-all callback saw, and how many
/// `utp_connect` events its later per-kind callback saw, for one download over uTP.
fn download(utp_events: bool) -> (BTreeSet<String>, usize) {
    let fixture = Fixture::scaled(2);
    let seed_dir = unique_dir("utp-events-seed");
    let leech_dir = unique_dir("utp-events-leech");
    let torrent = fixture.write(&seed_dir);
    let seeder = hark().build().unwrap();
    let seeding = seeder
        .add_torrent(AddTorrent::from_bytes(&torrent, &seed_dir).unwrap())
        .unwrap();
    seeder
        .wait_for(seeding, TIMEOUT, |s| s.is_finished())
        .unwrap();

    let names = Arc::new(Mutex::new(BTreeSet::new()));
    let log = Arc::clone(&names);
    let leecher = hark()
        .utp_events(utp_events)
        .on_event(move |_, event| {
            if event.name().starts_with("utp_") {
                log.lock().unwrap().insert(event.name().to_owned());
            }
        })
        .build()
        .unwrap();
    let connects = Arc::new(Mutex::new(0));
    let count = Arc::clone(&connects);
    leecher.on::<UtpConnect, _, _>(move |_, _, _| *count.lock().unwrap() += 1);
    let peer = seeder.local_addr(Protocol::Udp4).unwrap();
    let id = leecher
        .add_torrent(
            AddTorrent::from_bytes(&torrent, &leech_dir)
                .unwrap()
                .peers([peer]),
        )
        .unwrap();
    let status = leecher.wait_for(id, TIMEOUT, |s| s.is_finished()).unwrap();
    assert!(status.is_finished(), "{status:?}");
    fixture.assert_same(&seed_dir, &leech_dir);
    drop((leecher, seeder));
    let _ = std::fs::remove_dir_all(seed_dir);
    let _ = std::fs::remove_dir_all(leech_dir);
    let names = names.lock().unwrap().clone();
    let connects = *connects.lock().unwrap();
    (names, connects)
}

#[test]
fn utp_events_reach_the_clients_callbacks_when_asked() {
    let (names, connects) = download(true);
    for wanted in ["utp_connect", "utp_packets", "utp_delay_sample"] {
        assert!(names.contains(wanted), "no {wanted} among {names:?}");
    }
    assert_eq!(
        connects, 1,
        "the callback registered after build saw utp_connect"
    );
}

#[test]
fn utp_events_stay_inside_the_transport_by_default() {
    let (names, connects) = download(false);
    assert!(names.is_empty(), "{names:?}");
    assert_eq!(connects, 0);
}
