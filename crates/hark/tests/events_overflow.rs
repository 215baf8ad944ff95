//! A full queue: dropped events are reported by one `events_dropped` event where the gap
//! is; guaranteed kinds survive through the reserved lane.

use bytes::Bytes;
use hark::events::{
    Category, ConnectionId, DisconnectReason, Emitted, Event, EventHub, EventKind, EventsDropped,
    KindId, PeerDataIn, PeerDisconnect, PeerPacketOut, Severity,
};
use std::net::SocketAddr;

const CONNECTION: Option<ConnectionId> = Some(ConnectionId(1));

fn peer() -> SocketAddr {
    "198.51.100.20:6881".parse().expect("literal")
}

fn data_in(length: usize) -> PeerDataIn {
    PeerDataIn {
        peer: peer(),
        length,
    }
}

fn disconnect() -> PeerDisconnect {
    PeerDisconnect {
        peer: peer(),
        reason: DisconnectReason::ClosedByPeer,
    }
}

fn drain(hub: &mut EventHub) -> Vec<Event> {
    let mut events = Vec::new();
    while hub.poll_events(&mut events, 3) > 0 {}
    events
}

fn dropped(event: &Event) -> Option<&EventsDropped> {
    match &event.kind {
        EventKind::EventsDropped(attrs) => Some(attrs),
        _ => None,
    }
}

#[test]
fn overflow_is_reported_once_with_count_and_kinds_and_guaranteed_kinds_survive() {
    let mut hub = EventHub::builder().capacity(4).reserved_capacity(2).build();
    let outcomes: Vec<Emitted> = (0..10)
        .map(|length| hub.emit(data_in(length), CONNECTION).expect("droppable"))
        .collect();
    assert_eq!(outcomes[3], Emitted::Queued);
    assert_eq!(outcomes[4], Emitted::Dropped);
    for _ in 0..2 {
        let packet = PeerPacketOut {
            peer: peer(),
            packet: Bytes::from_static(b"\x13BitTorrent protocol"),
        };
        assert_eq!(
            hub.emit(packet, CONNECTION).expect("droppable"),
            Emitted::Dropped
        );
    }
    assert_eq!(
        hub.emit(disconnect(), CONNECTION).expect("reserved"),
        Emitted::Queued
    );

    let events = drain(&mut hub);
    let names: Vec<&str> = events.iter().map(Event::name).collect();
    assert_eq!(
        names,
        [
            "peer_data_in",
            "peer_data_in",
            "peer_data_in",
            "peer_data_in",
            "events_dropped",
            "peer_disconnect",
        ]
    );
    let report = dropped(&events[4]).expect("events_dropped");
    assert_eq!(report.count, 8);
    assert_eq!(
        report.kinds,
        [(KindId::PeerDataIn, 6), (KindId::PeerPacketOut, 2)]
    );
    assert_eq!(events[4].severity, Severity::Warning);
    assert_eq!(
        events[4].message(),
        "Dropped 8 events because the event queue was full (6 peer_data_in, 2 peer_packet_out)."
    );
    let sequences: Vec<u64> = events.iter().map(|event| event.sequence).collect();
    assert_eq!(sequences, [0, 1, 2, 3, 4, 12]);

    // The gap was reported; draining leaves nothing behind and no second report.
    hub.emit(data_in(1), CONNECTION).expect("queued");
    let names: Vec<&str> = drain(&mut hub).iter().map(Event::name).collect();
    assert_eq!(names, ["peer_data_in"]);
}

#[test]
fn a_second_gap_gets_its_own_report_in_place() {
    let mut hub = EventHub::builder().capacity(2).build();
    for length in 0..3 {
        let _ = hub.emit(data_in(length), CONNECTION);
    }
    assert_eq!(hub.poll_event().map(|event| event.sequence), Some(0));
    // One slot free again: this one is queued after the gap of sequence 2.
    assert_eq!(hub.emit(data_in(3), CONNECTION).ok(), Some(Emitted::Queued));
    assert_eq!(
        hub.emit(data_in(4), CONNECTION).ok(),
        Some(Emitted::Dropped)
    );
    let events = drain(&mut hub);
    let summary: Vec<(&str, u64)> = events.iter().map(|e| (e.name(), e.sequence)).collect();
    assert_eq!(
        summary,
        [
            ("peer_data_in", 1),
            ("events_dropped", 2),
            ("peer_data_in", 3),
            ("events_dropped", 4),
        ]
    );
    assert_eq!(dropped(&events[1]).map(|d| d.count), Some(1));
    assert_eq!(dropped(&events[3]).map(|d| d.count), Some(1));
}

#[test]
fn a_full_reserved_lane_hands_the_event_back() {
    let mut hub = EventHub::builder().capacity(1).reserved_capacity(1).build();
    hub.emit(disconnect(), Some(ConnectionId(1)))
        .expect("main lane");
    hub.emit(disconnect(), Some(ConnectionId(2)))
        .expect("reserved lane");
    let refused = hub
        .emit(disconnect(), Some(ConnectionId(3)))
        .expect_err("both lanes full");
    assert_eq!(refused.event.connection, Some(ConnectionId(3)));
    assert_eq!(refused.event.name(), "peer_disconnect");
    // After a drain, the producer retries and the event goes through.
    assert_eq!(drain(&mut hub).len(), 2);
    assert_eq!(hub.emit_event(*refused.event).ok(), Some(Emitted::Queued));
    assert_eq!(
        hub.poll_event().and_then(|event| event.connection),
        Some(ConnectionId(3))
    );
}

#[test]
fn events_dropped_is_exempt_from_the_filters() {
    let mut hub = EventHub::builder()
        .capacity(1)
        .min_severity(Severity::Debug)
        .categories(Category::TransportStats)
        .build();
    for length in 0..3 {
        let _ = hub.emit(data_in(length), CONNECTION);
    }
    let names: Vec<&str> = drain(&mut hub).iter().map(Event::name).collect();
    assert_eq!(names, ["peer_data_in", "events_dropped"]);
}

#[test]
fn listeners_receive_the_drop_report_through_dispatch() {
    let mut hub = EventHub::builder().capacity(1).build();
    let (tx, rx) = std::sync::mpsc::channel();
    hub.on_events_dropped(move |_: &Event, report: &EventsDropped| {
        let _ = tx.send(report.count);
    });
    for length in 0..5 {
        let _ = hub.emit(data_in(length), CONNECTION);
    }
    assert_eq!(hub.dispatch(), 2);
    assert_eq!(rx.try_iter().collect::<Vec<_>>(), [4]);
}

#[test]
fn reserved_and_main_lanes_merge_back_into_emission_order() {
    let mut hub = EventHub::builder().capacity(1).build();
    hub.emit(data_in(0), Some(ConnectionId(1))).expect("main");
    hub.emit(disconnect(), Some(ConnectionId(1)))
        .expect("reserved");
    assert_eq!(hub.poll_event().map(|e| e.sequence), Some(0));
    // The main lane has room again; this later event must still come after the disconnect.
    hub.emit(data_in(1), Some(ConnectionId(2))).expect("main");
    let order: Vec<(&str, u64)> = drain(&mut hub)
        .iter()
        .map(|event| (event.name(), event.sequence))
        .collect();
    assert_eq!(order, [("peer_disconnect", 1), ("peer_data_in", 2)]);
}
