//! Registering listeners at construction and later; per kind, per category, for all.

use hark::events::{
    Category, ConnectionId, DisconnectReason, Event, EventHub, EventKind, ListenSuccess,
    PeerDataIn, PeerDisconnect, Protocol,
};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

type Log = Arc<Mutex<Vec<String>>>;

fn log() -> Log {
    Arc::new(Mutex::new(Vec::new()))
}

fn entries(log: &Log) -> Vec<String> {
    log.lock().expect("log lock").clone()
}

fn peer() -> SocketAddr {
    "192.0.2.7:6881".parse().expect("literal")
}

fn listen_success() -> ListenSuccess {
    ListenSuccess {
        protocol: Protocol::Tcp4,
        local: "127.0.0.1:6881".parse().expect("literal"),
        tried: vec![6880, 6881],
    }
}

#[test]
fn builder_and_later_registration_both_receive_events_in_registration_order() {
    let seen = log();
    let (a, b) = (Arc::clone(&seen), Arc::clone(&seen));
    let mut hub = EventHub::builder()
        .on_listen_success(move |event: &Event, attrs: &ListenSuccess| {
            a.lock().expect("lock").push(format!(
                "builder {} {} {:?}",
                event.name(),
                attrs.local.port(),
                attrs.tried
            ));
        })
        .build();
    hub.on_listen_success(move |event: &Event, _: &ListenSuccess| {
        b.lock()
            .expect("lock")
            .push(format!("later {}", event.severity));
    });
    hub.emit(listen_success(), None).expect("queued");
    assert_eq!(hub.dispatch(), 1);
    assert_eq!(
        entries(&seen),
        ["builder listen_success 6881 [6880, 6881]", "later debug"]
    );
}

#[test]
fn per_kind_listeners_see_only_their_kind() {
    let seen = log();
    let sink = Arc::clone(&seen);
    let mut hub = EventHub::new();
    hub.on_peer_disconnect(move |_: &Event, attrs: &PeerDisconnect| {
        sink.lock()
            .expect("lock")
            .push(format!("{:?}", attrs.reason));
    });
    hub.emit(listen_success(), None).expect("queued");
    hub.emit(
        PeerDisconnect {
            peer: peer(),
            reason: DisconnectReason::TimedOut,
        },
        Some(ConnectionId(3)),
    )
    .expect("queued");
    hub.dispatch();
    assert_eq!(entries(&seen), ["TimedOut"]);
}

#[test]
fn one_closure_can_take_a_category_or_every_kind() {
    let by_category = log();
    let everything = log();
    let (c, e) = (Arc::clone(&by_category), Arc::clone(&everything));
    let mut hub = EventHub::builder()
        .on_category(Category::Peer | Category::TransportStats, move |event| {
            c.lock().expect("lock").push(event.name().to_owned());
        })
        .on_all(move |event| e.lock().expect("lock").push(event.name().to_owned()))
        .build();
    hub.emit(listen_success(), None).expect("queued");
    hub.emit(
        PeerDataIn {
            peer: peer(),
            length: 16384,
        },
        Some(ConnectionId(1)),
    )
    .expect("queued");
    hub.dispatch();
    assert_eq!(entries(&by_category), ["peer_data_in"]);
    assert_eq!(entries(&everything), ["listen_success", "peer_data_in"]);
}

#[test]
fn events_carry_name_severity_message_and_typed_attributes() {
    let mut hub = EventHub::new();
    hub.emit(
        PeerDataIn {
            peer: peer(),
            length: 512,
        },
        Some(ConnectionId(9)),
    )
    .expect("queued");
    let event = hub.poll_event().expect("one event");
    assert_eq!(event.name(), "peer_data_in");
    assert_eq!(event.severity.name(), "debug");
    assert_eq!(
        event.message(),
        "Received 512 bytes from peer 192.0.2.7:6881."
    );
    assert_eq!(event.connection, Some(ConnectionId(9)));
    assert!(matches!(
        event.kind,
        EventKind::PeerDataIn(PeerDataIn { length: 512, .. })
    ));
}

#[test]
fn removed_listeners_are_not_called() {
    let seen = log();
    let sink = Arc::clone(&seen);
    let mut hub = EventHub::new();
    let id = hub.on_all(move |event| sink.lock().expect("lock").push(event.name().into()));
    assert!(hub.remove_listener(id));
    assert!(!hub.remove_listener(id));
    hub.emit(listen_success(), None).expect("queued");
    hub.dispatch();
    assert!(entries(&seen).is_empty());
}

#[test]
fn pull_api_and_listeners_see_the_same_stream_once() {
    let seen = log();
    let sink = Arc::clone(&seen);
    let mut hub = EventHub::builder()
        .on_all(move |event| sink.lock().expect("lock").push(event.sequence.to_string()))
        .build();
    for length in 0..5 {
        hub.emit(
            PeerDataIn {
                peer: peer(),
                length,
            },
            None,
        )
        .expect("queued");
    }
    let mut batch = Vec::new();
    assert_eq!(hub.poll_events(&mut batch, 2), 2);
    assert_eq!(hub.poll_events(&mut batch, 10), 3);
    assert_eq!(hub.dispatch(), 0);
    let pulled: Vec<String> = batch.iter().map(|e| e.sequence.to_string()).collect();
    assert_eq!(pulled, ["0", "1", "2", "3", "4"]);
    assert_eq!(entries(&seen), pulled);
}

#[test]
fn the_hub_can_move_to_the_reactor_thread() {
    fn assert_send<T: Send>() {}
    assert_send::<EventHub>();
    assert_send::<Event>();
}

#[test]
fn listeners_only_mode_discards_what_no_listener_watches() {
    let connection = Some(ConnectionId(3));
    let data_in = || PeerDataIn {
        peer: peer(),
        length: 10,
    };
    let mut hub = EventHub::builder().listeners_only(true).build();
    assert!(hub.is_listeners_only());
    assert!(!hub.wants(hark::events::KindId::PeerDataIn));
    assert_eq!(
        hub.emit(data_in(), connection).expect("emit"),
        hark::events::Emitted::Filtered
    );
    assert_eq!(hub.pending(), 0);

    // A per-kind listener makes its kind wanted, and only its kind.
    let seen = log();
    let sink = Arc::clone(&seen);
    let id = hub.on_peer_data_in(move |_: &Event, attrs: &PeerDataIn| {
        sink.lock()
            .expect("lock")
            .push(format!("in {}", attrs.length));
    });
    assert!(hub.wants(hark::events::KindId::PeerDataIn));
    assert!(!hub.wants(hark::events::KindId::ListenSuccess));
    assert_eq!(
        hub.emit(listen_success(), None).expect("emit"),
        hark::events::Emitted::Filtered
    );
    // It reaches the listener at once.
    assert_eq!(
        hub.emit(data_in(), connection).expect("emit"),
        hark::events::Emitted::Delivered
    );
    assert_eq!(entries(&seen), ["in 10"]);
    assert_eq!(hub.dispatch(), 0);

    // Removing it makes the kind unwanted again; a registrar's pending registration
    // counts as interest until it is applied.
    assert!(hub.remove_listener(id));
    assert!(!hub.wants(hark::events::KindId::PeerDataIn));
    let sink = Arc::clone(&seen);
    hub.registrar().on_all(move |event: &Event| {
        sink.lock().expect("lock").push(event.name().to_string());
    });
    assert!(hub.wants(hark::events::KindId::PeerDataIn));
    hub.emit(data_in(), connection).expect("emit");
    hub.dispatch();
    assert!(hub.wants(hark::events::KindId::ListenSuccess));
    assert_eq!(entries(&seen), ["in 10", "peer_data_in"]);

    // Switched off, events wait for the pull API again; switched back on while events
    // wait, new ones queue behind them, so the order holds.
    hub.set_listeners_only(false);
    assert!(!hub.is_listeners_only());
    assert_eq!(
        hub.emit(data_in(), connection).expect("emit"),
        hark::events::Emitted::Queued
    );
    hub.set_listeners_only(true);
    assert_eq!(
        hub.emit(listen_success(), None).expect("emit"),
        hark::events::Emitted::Queued
    );
    assert_eq!(hub.dispatch(), 2);
    assert_eq!(
        entries(&seen),
        ["in 10", "peer_data_in", "peer_data_in", "listen_success"]
    );
}
