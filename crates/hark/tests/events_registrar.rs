//! Registering and removing listeners from inside a listener (queued, applied between two
//! events) and from another thread.

use hark::events::{Event, EventHub, ListenSuccess, PeerDataIn, Protocol};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

fn peer() -> SocketAddr {
    "192.0.2.9:6881".parse().expect("literal")
}

fn listen_success() -> ListenSuccess {
    ListenSuccess {
        protocol: Protocol::Udp4,
        local: "127.0.0.1:6881".parse().expect("literal"),
        tried: vec![6881],
    }
}

#[test]
fn a_listener_registers_another_that_sees_the_following_events() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut hub = EventHub::new();
    let registrar = hub.registrar();
    let sink = Arc::clone(&seen);
    hub.on_listen_success(move |_: &Event, _: &ListenSuccess| {
        let sink = Arc::clone(&sink);
        registrar.on_peer_data_in(move |event: &Event, attrs: &PeerDataIn| {
            sink.lock()
                .expect("lock")
                .push((event.sequence, attrs.length));
        });
    });
    hub.emit(
        PeerDataIn {
            peer: peer(),
            length: 1,
        },
        None,
    )
    .expect("queued");
    hub.emit(listen_success(), None).expect("queued");
    hub.emit(
        PeerDataIn {
            peer: peer(),
            length: 3,
        },
        None,
    )
    .expect("queued");
    assert_eq!(hub.listener_count(), 1);
    assert_eq!(hub.dispatch(), 3);
    assert_eq!(hub.listener_count(), 2);
    // Registered while event 1 was delivered: sees event 2, not event 0.
    assert_eq!(*seen.lock().expect("lock"), [(2, 3)]);
}

#[test]
fn a_listener_removes_another_between_two_events() {
    let count = Arc::new(Mutex::new(0));
    let mut hub = EventHub::new();
    let counter = Arc::clone(&count);
    let counted = hub.on_peer_data_in(move |_: &Event, _: &PeerDataIn| {
        *counter.lock().expect("lock") += 1;
    });
    let registrar = hub.registrar();
    hub.on_listen_success(move |_: &Event, _: &ListenSuccess| {
        registrar.remove_listener(counted);
    });
    hub.emit(
        PeerDataIn {
            peer: peer(),
            length: 1,
        },
        None,
    )
    .expect("queued");
    hub.emit(listen_success(), None).expect("queued");
    hub.emit(
        PeerDataIn {
            peer: peer(),
            length: 2,
        },
        None,
    )
    .expect("queued");
    hub.dispatch();
    assert_eq!(*count.lock().expect("lock"), 1);
    assert_eq!(hub.listener_count(), 1);
}

#[test]
fn another_thread_can_register_through_a_registrar() {
    let mut hub = EventHub::new();
    let registrar = hub.registrar();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        registrar.on_all(move |event: &Event| {
            let _ = tx.send(event.name());
        });
    })
    .join()
    .expect("registering thread");
    hub.emit(listen_success(), None).expect("queued");
    hub.dispatch();
    assert_eq!(rx.try_iter().collect::<Vec<_>>(), ["listen_success"]);
}
