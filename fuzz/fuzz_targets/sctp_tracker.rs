//! Feeds arbitrary notifications to hark-proto's SCTP association tracker: the first byte
//! picks the layout, then each notification is a length byte followed by that many bytes.
//! Whatever parses is handed to the tracker; its tables and event queue stay bounded and
//! every queued event drains.
#![no_main]

use hark_proto::sctp::{AssociationTracker, MAX_ASSOCIATIONS, MAX_EVENTS, MAX_PEER_ADDRESSES};
use hark_wire::sctp::{Abi, Endian, Layout, Notification};
use libfuzzer_sys::fuzz_target;
use std::time::{Duration, Instant};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, mut rest)) = data.split_first() else {
        return;
    };
    let layout = if mode & 1 == 0 { Layout::Linux } else { Layout::FreeBsd };
    let abi = Abi::with_endian(layout, Endian::Little);
    let mut tracker = AssociationTracker::new(layout);
    let mut now = Instant::now();
    while let Some((&len, tail)) = rest.split_first() {
        let len = usize::from(len).min(tail.len());
        let (bytes, next) = tail.split_at(len);
        rest = next;
        now += Duration::from_millis(1);
        if let Ok(n) = Notification::parse(bytes, abi) {
            tracker.handle_notification(now, &n);
        }
        assert!(tracker.associations().count() <= MAX_ASSOCIATIONS);
        assert!(tracker
            .associations()
            .all(|a| a.peer_addresses.len() <= MAX_PEER_ADDRESSES));
        if mode & 2 == 0 {
            while tracker.poll_event().is_some() {}
        }
    }
    let mut drained = 0;
    while tracker.poll_event().is_some() {
        drained += 1;
    }
    assert!(drained <= MAX_EVENTS);
});
