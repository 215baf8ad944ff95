//! The BitTorrent kinds travel through the hub with the seed's severities, their typed
//! attributes, and English messages.

use hark::events::{
    Category, Event, EventHub, FileError, FileOperation, PeerError, PieceHashFailed, Severity,
    TrackerAnnounce, TrackerFailure,
};
use hark_wire::bt::metainfo::InfoHash;
use hark_wire::bt::tracker::AnnounceEvent;
use std::sync::{Arc, Mutex};

fn torrent() -> InfoHash {
    InfoHash::of(b"abc")
}

#[test]
fn bittorrent_events_reach_their_listeners_with_messages() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (a, b, c) = (Arc::clone(&seen), Arc::clone(&seen), Arc::clone(&seen));
    let mut hub = EventHub::builder()
        .min_severity(Severity::Debug)
        .on_tracker_failure(move |event: &Event, attrs: &TrackerFailure| {
            a.lock().unwrap().push(format!(
                "{} {} {} {}: {}",
                event.severity,
                event.name(),
                attrs.times_in_row,
                attrs.status_code,
                event.message()
            ));
        })
        .on_piece_hash_failed(move |event: &Event, attrs: &PieceHashFailed| {
            b.lock().unwrap().push(format!(
                "{} {:?}: {}",
                event.severity,
                attrs.peers,
                event.message()
            ));
        })
        .on_category(Category::Storage, move |event: &Event| {
            c.lock().unwrap().push(format!(
                "{} {}: {}",
                event.severity,
                event.name(),
                event.message()
            ));
        })
        .build();
    hub.emit(
        TrackerFailure {
            torrent: torrent(),
            url: "http://127.0.0.1:6969/announce".into(),
            times_in_row: 2,
            status_code: 0,
            reason: "timed out".into(),
        },
        None,
    )
    .unwrap();
    hub.emit(
        PieceHashFailed {
            torrent: torrent(),
            index: 7,
            peers: vec!["127.0.0.2:6881".parse().unwrap()],
        },
        None,
    )
    .unwrap();
    hub.emit(
        FileError {
            torrent: torrent(),
            file: "movie/a.mkv".into(),
            operation: FileOperation::Write,
            error: std::io::ErrorKind::StorageFull,
        },
        None,
    )
    .unwrap();
    // A kind nobody listens to is still dispatched, to no one.
    hub.emit(
        TrackerAnnounce {
            torrent: torrent(),
            url: "udp://127.0.0.1:6969".into(),
            event: AnnounceEvent::Started,
        },
        None,
    )
    .unwrap();
    hub.emit(
        PeerError {
            peer_id: None,
            ip: "127.0.0.3".parse().unwrap(),
            port: 51413,
            reason: "message before handshake".into(),
        },
        None,
    )
    .unwrap();
    assert_eq!(hub.dispatch(), 5);
    assert_eq!(
        *seen.lock().unwrap(),
        [
            "warning tracker_failure 2 0: Tracker http://127.0.0.1:6969/announce failed \
             (timed out); it has failed 2 times in a row.",
            "info [127.0.0.2:6881]: Piece 7 of torrent a9993e364706816aba3e25717850c26c9cd0d89d \
             failed its hash check (from 127.0.0.2:6881).",
            "fatal file_error: Could not write movie/a.mkv of torrent \
             a9993e364706816aba3e25717850c26c9cd0d89d: no storage space. The torrent is paused.",
        ]
    );
}
