//! Minimum severity and category mask, chosen at construction and changed later.

use hark::events::{
    Category, CategoryMask, Emitted, EventHub, ListenFailure, ListenSuccess, PeerDataOut,
    PeerHandshakeComplete, Protocol, Severity,
};
use std::io;
use std::net::SocketAddr;

fn peer() -> SocketAddr {
    "[2001:db8::2]:51413".parse().expect("literal")
}

fn names(hub: &mut EventHub) -> Vec<&'static str> {
    std::iter::from_fn(|| hub.poll_event())
        .map(|event| event.name())
        .collect()
}

fn emit_one_of_each(hub: &mut EventHub) {
    let local: SocketAddr = "127.0.0.1:7000".parse().expect("literal");
    let _ = hub.emit(
        ListenSuccess {
            protocol: Protocol::Tcp4,
            local,
            tried: vec![7000],
        },
        None,
    );
    let _ = hub.emit(
        ListenFailure {
            protocol: Protocol::Udp4,
            ip: local.ip(),
            tried: vec![7000],
            error: io::ErrorKind::AddrInUse,
        },
        None,
    );
    let _ = hub.emit(PeerHandshakeComplete { peer: peer() }, None);
    let _ = hub.emit(
        PeerDataOut {
            peer: peer(),
            length: 10,
        },
        None,
    );
}

#[test]
fn minimum_severity_discards_lower_events() {
    let mut hub = EventHub::builder().min_severity(Severity::Info).build();
    emit_one_of_each(&mut hub);
    assert_eq!(
        names(&mut hub),
        ["listen_failure", "peer_handshake_complete"]
    );

    hub.set_min_severity(Severity::Fatal);
    emit_one_of_each(&mut hub);
    assert_eq!(names(&mut hub), ["listen_failure"]);
}

#[test]
fn category_mask_discards_other_categories() {
    let mut hub = EventHub::builder()
        .categories(Category::TransportStats)
        .build();
    emit_one_of_each(&mut hub);
    assert_eq!(names(&mut hub), ["peer_data_out"]);

    hub.set_categories(CategoryMask::ALL.without(Category::TransportStats));
    assert!(!hub.categories().contains(Category::TransportStats));
    assert!(hub.categories().contains(Category::Storage));
    emit_one_of_each(&mut hub);
    assert_eq!(
        names(&mut hub),
        [
            "listen_success",
            "listen_failure",
            "peer_handshake_complete"
        ]
    );
}

#[test]
fn filtered_events_are_reported_as_such_and_do_not_use_sequence_numbers() {
    let mut hub = EventHub::builder().categories(CategoryMask::NONE).build();
    let outcome = hub.emit(PeerHandshakeComplete { peer: peer() }, None);
    assert_eq!(outcome.expect("not refused"), Emitted::Filtered);
    assert_eq!(hub.pending(), 0);
    hub.set_categories(Category::Peer);
    hub.emit(PeerHandshakeComplete { peer: peer() }, None)
        .expect("queued");
    assert_eq!(hub.poll_event().map(|event| event.sequence), Some(0));
}
