//! The IP filter on real loopback TCP connections: a blocked peer is declined and
//! `ip_filter` is raised; an allowed one is served; a listener can veto.

use hark::events::{
    Admission, Direction, Event, EventHub, EventKind, IpFiltered, Protocol, Verdict,
};
use hark::ipfilter::IpFilter;
use socket2::{Domain, SockAddr, Socket, Type};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

const RULES: &[u8] = include_bytes!("fixtures/loopback.ipfilter.dat");

fn filter() -> Arc<IpFilter> {
    Arc::new(IpFilter::from_emule(RULES).expect("fixture parses"))
}

/// A client socket bound to `from` (any port), connected to `to`.
fn connect_from(from: &str, to: SocketAddr) -> TcpStream {
    let from: SocketAddr = from.parse().expect("literal");
    let socket = Socket::new(Domain::for_address(from), Type::STREAM, None).expect("socket");
    socket.bind(&SockAddr::from(from)).expect("bind client");
    socket.connect(&SockAddr::from(to)).expect("connect");
    let stream = TcpStream::from(socket);
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    stream
}

/// Accepts one connection, asks the hub, serves or declines it; returns the decision.
fn accept_and_decide(listener: &TcpListener, hub: &mut EventHub) -> (Admission, SocketAddr) {
    let (mut stream, remote) = listener.accept().expect("accept");
    let admission = hub.admit(
        remote,
        Protocol::tcp_for(&remote),
        Direction::Incoming,
        None,
    );
    if admission == Admission::Allow {
        stream.write_all(b"welcome").expect("write");
    }
    (admission, remote)
}

fn read_all(mut stream: TcpStream) -> Vec<u8> {
    let mut received = Vec::new();
    stream.read_to_end(&mut received).expect("read");
    received
}

#[test]
fn blocked_peer_is_declined_and_raises_ip_filter() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
    let server = listener.local_addr().expect("addr");
    let (tx, rx) = mpsc::channel();
    let mut hub = EventHub::builder()
        .ip_filter(filter())
        .on_ip_filter(move |event: &Event, attrs: &IpFiltered| {
            let _ = tx.send((event.message().into_owned(), attrs.clone()));
        })
        .build();

    let blocked_client = connect_from("127.0.0.2:0", server);
    let (admission, remote) = accept_and_decide(&listener, &mut hub);
    assert_eq!(admission, Admission::Deny);
    assert_eq!(remote.ip().to_string(), "127.0.0.2");
    assert!(
        read_all(blocked_client).is_empty(),
        "declined: closed unserved"
    );

    let allowed_client = connect_from("127.0.0.1:0", server);
    let (admission, _) = accept_and_decide(&listener, &mut hub);
    assert_eq!(admission, Admission::Allow);
    assert_eq!(read_all(allowed_client), b"welcome");

    // The deciding listener ran at decision time, once.
    let (message, attrs) = rx.try_recv().expect("ip_filter listener called");
    assert!(rx.try_recv().is_err());
    assert_eq!(attrs.address, remote);
    assert_eq!(attrs.protocol, Protocol::Tcp4);
    assert_eq!(attrs.direction, Direction::Incoming);
    assert_eq!(attrs.rule.line, 3);
    assert_eq!(attrs.rule.description, "loopback test peers");
    assert!(!attrs.vetoed);
    assert!(message.starts_with(&format!(
        "Declined the incoming tcp4 connection with {remote}: blocked by IP filter rule"
    )));

    // The stream has the same event once, for the pull API and category listeners.
    let events: Vec<Event> = std::iter::from_fn(|| hub.poll_event()).collect();
    assert_eq!(events.len(), 1);
    assert!(matches!(&events[0].kind, EventKind::IpFiltered(a) if a.address == remote));
}

#[test]
fn a_listener_can_veto_the_block() {
    let listener = TcpListener::bind("[::1]:0").expect("listen on ::1");
    let server = listener.local_addr().expect("addr");
    let mut hub = EventHub::new();
    hub.set_ip_filter(Some(filter()));
    hub.on_ip_filter(|_: &Event, attrs: &IpFiltered| {
        if attrs.rule.level >= 10 {
            Verdict::Allow
        } else {
            Verdict::Block
        }
    });
    // An observer returning `()` keeps the block, so it does not change the outcome.
    hub.on_ip_filter(|_: &Event, _: &IpFiltered| {});

    let client = connect_from("[::1]:0", server);
    let (admission, _) = accept_and_decide(&listener, &mut hub);
    assert_eq!(admission, Admission::Allow);
    assert_eq!(read_all(client), b"welcome");
    let event = hub.poll_event().expect("ip_filter in the stream");
    let EventKind::IpFiltered(attrs) = &event.kind else {
        panic!("expected ip_filter, got {}", event.name());
    };
    assert!(attrs.vetoed);
    assert_eq!(attrs.protocol, Protocol::Tcp6);
    assert!(
        event
            .message()
            .ends_with("A listener vetoed the block and let it through.")
    );
}

#[test]
fn outgoing_attempt_to_a_blocked_address_is_aborted_before_connecting() {
    let listener = TcpListener::bind("127.0.0.3:0").expect("listen on 127.0.0.3");
    listener.set_nonblocking(true).expect("nonblocking");
    let target = listener.local_addr().expect("addr");
    let mut hub = EventHub::builder().ip_filter(filter()).build();

    let admission = hub.admit(target, Protocol::Tcp4, Direction::Outgoing, None);
    assert_eq!(admission, Admission::Deny);
    // Nothing connected.
    assert_eq!(
        listener.accept().map(|_| ()).map_err(|e| e.kind()),
        Err(std::io::ErrorKind::WouldBlock)
    );
    let event = hub.poll_event().expect("ip_filter raised");
    assert!(
        event
            .message()
            .starts_with("Aborted the outgoing tcp4 connection")
    );
}

#[test]
fn without_a_blocking_rule_nothing_is_raised() {
    let mut hub = EventHub::builder().ip_filter(filter()).build();
    let allowed: SocketAddr = "127.0.0.1:80".parse().expect("literal");
    let unlisted: SocketAddr = "192.0.2.1:80".parse().expect("literal");
    assert_eq!(
        hub.admit(allowed, Protocol::Tcp4, Direction::Outgoing, None),
        Admission::Allow
    );
    assert_eq!(
        hub.admit(unlisted, Protocol::Tcp4, Direction::Outgoing, None),
        Admission::Allow
    );
    assert_eq!(hub.pending(), 0);
    hub.set_ip_filter(None);
    let blocked: SocketAddr = "127.0.0.9:80".parse().expect("literal");
    assert_eq!(
        hub.admit(blocked, Protocol::Tcp4, Direction::Outgoing, None),
        Admission::Allow
    );
}

#[test]
fn with_ip_filter_events_masked_out_the_block_stands_and_nobody_is_asked() {
    use hark::events::{Category, CategoryMask};
    let mut hub = EventHub::builder()
        .ip_filter(filter())
        .categories(CategoryMask::ALL.without(Category::IpBlock))
        .on_ip_filter(|_: &Event, _: &IpFiltered| -> Verdict {
            panic!("a masked-out kind must not reach its listeners")
        })
        .build();
    let blocked: SocketAddr = "127.0.0.2:80".parse().expect("literal");
    assert_eq!(
        hub.admit(blocked, Protocol::Tcp4, Direction::Incoming, None),
        Admission::Deny
    );
    assert_eq!(hub.pending(), 0);
}
