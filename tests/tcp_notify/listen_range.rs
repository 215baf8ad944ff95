//! A listener on a range of ports, the first ports taken by other sockets: the first free
//! one wins, and the hub hears `listen_success` with every port tried, or `listen_failure`
//! at fatal severity when none binds.

use hark::events::{EventHub, EventKind, Protocol, Severity};
use hark::listen::ListenError;
use hark::tcp::{Reactor, TcpConfig, TcpConn, TcpListenError, TcpListener, TcpNotify};
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};

struct Echo;

impl TcpNotify for Echo {
    fn received(&mut self, conn: &mut TcpConn<'_>, data: &[u8], _times: usize) -> bool {
        conn.write(data).is_ok()
    }
}

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// `taken` consecutive loopback ports held by other listeners, followed by a free one:
/// the blockers and all `taken + 1` ports.
fn taken_then_free(taken: u16) -> (Vec<std::net::TcpListener>, Vec<u16>) {
    for _ in 0..50 {
        let probe = std::net::TcpListener::bind((LOOPBACK, 0)).unwrap();
        let base = probe.local_addr().unwrap().port();
        drop(probe);
        let Some(last) = base.checked_add(taken) else {
            continue;
        };
        let ports: Vec<u16> = (base..=last).collect();
        let blockers: Result<Vec<_>, _> = ports
            .iter()
            .take(usize::from(taken))
            .map(|&port| std::net::TcpListener::bind((LOOPBACK, port)))
            .collect();
        let free = std::net::TcpListener::bind((LOOPBACK, last)).is_ok();
        if let (Ok(blockers), true) = (blockers, free) {
            return (blockers, ports);
        }
    }
    panic!("found no run of {taken} bindable ports followed by a free one");
}

fn debug_hub() -> Arc<Mutex<EventHub>> {
    Arc::new(Mutex::new(
        EventHub::builder().min_severity(Severity::Debug).build(),
    ))
}

fn echo_listener() -> impl hark::tcp::TcpListenNotify {
    |_peer| Some(Box::new(Echo) as Box<dyn TcpNotify>)
}

#[test]
fn the_first_free_port_of_the_range_wins_and_listen_success_lists_the_ports_tried() {
    let (_blockers, ports) = taken_then_free(3);
    let hub = debug_hub();
    let reactor = Reactor::spawn(TcpConfig::default()).unwrap();
    let listener = TcpListener::bind_range(
        reactor.handle(),
        &hub,
        LOOPBACK,
        ports.clone(),
        echo_listener(),
        None,
    )
    .expect("the last port of the range is free");
    assert_eq!(listener.local_addr().port(), ports[3]);
    assert_eq!(listener.ports_tried(), ports.as_slice());

    // The listener is real: a connection is accepted and echoed.
    let mut client = std::net::TcpStream::connect(listener.local_addr()).unwrap();
    client
        .set_read_timeout(Some(crate::util::PATIENCE))
        .unwrap();
    client.write_all(b"range").unwrap();
    let mut back = [0; 5];
    client.read_exact(&mut back).unwrap();
    assert_eq!(&back, b"range");

    let mut hub = hub.lock().unwrap();
    let events: Vec<_> = std::iter::from_fn(|| hub.poll_event()).collect();
    let first = events.first().expect("events");
    let EventKind::ListenSuccess(success) = &first.kind else {
        panic!("expected listen_success first, got {}", first.message());
    };
    assert_eq!(first.severity, Severity::Debug);
    assert_eq!(success.tried, ports);
    assert_eq!(success.protocol, Protocol::Tcp4);
    assert_eq!(success.local, listener.local_addr());
    // Reported once, by the binding (the hub notifier does not repeat it), and the
    // listener's notifier calls follow as events.
    let names: Vec<&str> = events.iter().map(|event| event.name()).collect();
    assert_eq!(names.iter().filter(|&&n| n == "listen_success").count(), 1);
    assert!(names.contains(&"tcp_listening"), "{names:?}");
    assert!(names.contains(&"tcp_accepted"), "{names:?}");
}

#[test]
fn every_port_taken_gives_a_fatal_listen_failure_and_an_error() {
    let (blockers, mut ports) = taken_then_free(3);
    ports.pop();
    let hub = debug_hub();
    let reactor = Reactor::spawn(TcpConfig::default()).unwrap();
    let result = TcpListener::bind_range(
        reactor.handle(),
        &hub,
        LOOPBACK,
        ports.clone(),
        echo_listener(),
        None,
    );
    match result {
        Err(TcpListenError::Listen(ListenError::AllPortsFailed { tried, .. })) => {
            assert_eq!(tried, ports);
        }
        other => panic!("expected every port to fail, got {other:?}"),
    }
    let mut hub = hub.lock().unwrap();
    let event = hub.poll_event().expect("listen_failure");
    assert!(hub.poll_event().is_none(), "only listen_failure");
    assert_eq!(event.severity, Severity::Fatal);
    let EventKind::ListenFailure(failure) = &event.kind else {
        panic!("expected listen_failure, got {}", event.message());
    };
    assert_eq!(failure.tried, ports);
    assert_eq!(failure.protocol, Protocol::Tcp4);
    assert_eq!(failure.ip, LOOPBACK);
    assert_eq!(failure.error, std::io::ErrorKind::AddrInUse);
    drop(blockers);
}

#[test]
fn a_single_address_that_cannot_be_bound_reports_listen_failure_through_the_hub_notifier() {
    let (blockers, ports) = taken_then_free(1);
    let taken = std::net::SocketAddr::new(LOOPBACK, ports[0]);
    let hub = debug_hub();
    let reactor = Reactor::spawn(TcpConfig::default()).unwrap();
    let notify = hark::tcp::HubListenNotify::new(Arc::clone(&hub), echo_listener());
    let result = TcpListener::bind(reactor.handle(), taken, notify);
    assert!(
        matches!(result, Err(hark::tcp::HandleError::Bind { addr, .. }) if addr == taken),
        "{result:?}"
    );
    let mut hub = hub.lock().unwrap();
    let events: Vec<_> = std::iter::from_fn(|| hub.poll_event()).collect();
    let names: Vec<(&str, Severity)> = events.iter().map(|e| (e.name(), e.severity)).collect();
    assert_eq!(
        names,
        [
            ("listen_failure", Severity::Fatal),
            ("tcp_not_listening", Severity::Fatal)
        ]
    );
    let EventKind::ListenFailure(failure) = &events[0].kind else {
        unreachable!("checked by name");
    };
    assert_eq!(failure.tried, [ports[0]]);
    assert_eq!(failure.ip, LOOPBACK);
    assert_eq!(failure.error, std::io::ErrorKind::AddrInUse);
    drop(blockers);
}
