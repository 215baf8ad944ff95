//! Listening on a range of ports with real loopback sockets, the first ports of the range
//! already taken by other sockets.

use hark::events::{Event, EventHub, EventKind, ListenFailure, ListenSuccess, Protocol, Severity};
use hark::listen::{ListenError, bind_udp, listen_tcp};
use std::io;
use std::net::{IpAddr, SocketAddr, TcpListener, UdpSocket};

/// Binds `taken` consecutive ports on `ip` with `bind` and checks that the next one is free;
/// returns the blocking sockets and the `taken + 1` ports.
fn occupied_run<S>(
    ip: IpAddr,
    taken: u16,
    bind: impl Fn(SocketAddr) -> io::Result<S>,
    local_port: impl Fn(&S) -> u16,
) -> (Vec<S>, Vec<u16>) {
    for _ in 0..50 {
        let Ok(probe) = bind(SocketAddr::new(ip, 0)) else {
            continue;
        };
        let base = local_port(&probe);
        drop(probe);
        if base > u16::MAX - taken {
            continue;
        }
        let ports: Vec<u16> = (base..=base + taken).collect();
        let blockers: Result<Vec<S>, _> = ports[..usize::from(taken)]
            .iter()
            .map(|&port| bind(SocketAddr::new(ip, port)))
            .collect();
        let next_is_free = bind(SocketAddr::new(ip, base + taken)).is_ok();
        if let (Ok(blockers), true) = (blockers, next_is_free) {
            return (blockers, ports);
        }
    }
    panic!("found no run of {taken} free ports followed by a free one on {ip}");
}

fn only_event(hub: &mut EventHub) -> Event {
    let event = hub.poll_event().expect("one event");
    assert!(hub.poll_event().is_none(), "exactly one event");
    event
}

fn success(event: &Event) -> &ListenSuccess {
    match &event.kind {
        EventKind::ListenSuccess(attrs) => attrs,
        _ => panic!("expected listen_success, got {}", event.message()),
    }
}

fn failure(event: &Event) -> &ListenFailure {
    match &event.kind {
        EventKind::ListenFailure(attrs) => attrs,
        _ => panic!("expected listen_failure, got {}", event.message()),
    }
}

fn tcp_skips_taken_ports(ip: &str, protocol: Protocol) {
    let ip: IpAddr = ip.parse().expect("literal");
    let (_blockers, ports) = occupied_run(ip, 3, TcpListener::bind, |s: &TcpListener| {
        s.local_addr().map(|a| a.port()).unwrap_or(0)
    });
    let mut hub = EventHub::new();
    let listener = listen_tcp(&mut hub, ip, ports.clone()).expect("last port is free");
    let local = listener.local_addr().expect("addr");
    assert_eq!(local.port(), ports[3]);
    let event = only_event(&mut hub);
    assert_eq!(event.severity, Severity::Debug);
    assert_eq!(success(&event).tried, ports);
    assert_eq!(success(&event).protocol, protocol);
    assert_eq!(success(&event).local, local);
    assert_eq!(
        event.message(),
        format!("Listening for {protocol} on {local}.")
    );
    // The listener is real: it accepts a connection.
    let _client = std::net::TcpStream::connect(local).expect("connect");
    listener.accept().expect("accept");
}

fn udp_skips_taken_ports(ip: &str, protocol: Protocol) {
    let ip: IpAddr = ip.parse().expect("literal");
    let (_blockers, ports) = occupied_run(ip, 2, UdpSocket::bind, |s: &UdpSocket| {
        s.local_addr().map(|a| a.port()).unwrap_or(0)
    });
    let mut hub = EventHub::new();
    let socket = bind_udp(&mut hub, ip, ports.clone()).expect("last port is free");
    let local = socket.local_addr().expect("addr");
    assert_eq!(local.port(), ports[2]);
    let event = only_event(&mut hub);
    assert_eq!(success(&event).tried, ports);
    assert_eq!(success(&event).protocol, protocol);
    // The socket is real: it receives a datagram.
    let sender = UdpSocket::bind(SocketAddr::new(ip, 0)).expect("sender");
    sender.send_to(b"ping", local).expect("send");
    let mut buf = [0u8; 8];
    let (len, _) = socket.recv_from(&mut buf).expect("recv");
    assert_eq!(&buf[..len], b"ping");
}

#[test]
fn tcp4_skips_the_taken_ports() {
    tcp_skips_taken_ports("127.0.0.1", Protocol::Tcp4);
}

#[test]
fn tcp6_skips_the_taken_ports() {
    tcp_skips_taken_ports("::1", Protocol::Tcp6);
}

#[test]
fn udp4_skips_the_taken_ports() {
    udp_skips_taken_ports("127.0.0.1", Protocol::Udp4);
}

#[test]
fn udp6_skips_the_taken_ports() {
    udp_skips_taken_ports("::1", Protocol::Udp6);
}

#[test]
fn every_port_taken_is_a_fatal_listen_failure() {
    let ip: IpAddr = "127.0.0.1".parse().expect("literal");
    let (_blockers, mut ports) = occupied_run(ip, 3, TcpListener::bind, |s: &TcpListener| {
        s.local_addr().map(|a| a.port()).unwrap_or(0)
    });
    ports.truncate(3);
    let mut hub = EventHub::new();
    let error = listen_tcp(&mut hub, ip, ports.clone()).expect_err("all taken");
    assert!(matches!(
        &error,
        ListenError::AllPortsFailed { tried, error: io::ErrorKind::AddrInUse, .. } if *tried == ports
    ));
    let event = only_event(&mut hub);
    assert_eq!(event.severity, Severity::Fatal);
    let attrs = failure(&event);
    assert_eq!(attrs.tried, ports);
    assert_eq!(attrs.protocol, Protocol::Tcp4);
    assert_eq!(attrs.error, io::ErrorKind::AddrInUse);
    assert!(
        event
            .message()
            .starts_with("Could not listen for tcp4 on 127.0.0.1")
    );
}

#[test]
fn every_udp6_port_taken_is_a_fatal_listen_failure() {
    let ip: IpAddr = "::1".parse().expect("literal");
    let (_blockers, mut ports) = occupied_run(ip, 2, UdpSocket::bind, |s: &UdpSocket| {
        s.local_addr().map(|a| a.port()).unwrap_or(0)
    });
    ports.truncate(2);
    let mut hub = EventHub::new();
    assert!(bind_udp(&mut hub, ip, ports.clone()).is_err());
    let event = only_event(&mut hub);
    assert_eq!(event.severity, Severity::Fatal);
    assert_eq!(failure(&event).protocol, Protocol::Udp6);
    assert_eq!(failure(&event).tried, ports);
}

#[test]
fn an_empty_port_list_is_an_error_without_event() {
    let mut hub = EventHub::new();
    let ip: IpAddr = "127.0.0.1".parse().expect("literal");
    assert!(matches!(
        listen_tcp(&mut hub, ip, []),
        Err(ListenError::NoPorts)
    ));
    assert_eq!(hub.pending(), 0);
}

#[test]
fn port_zero_lets_the_system_choose() {
    let mut hub = EventHub::new();
    let ip: IpAddr = "127.0.0.1".parse().expect("literal");
    let listener = listen_tcp(&mut hub, ip, [0]).expect("any port");
    let event = only_event(&mut hub);
    assert_eq!(success(&event).local, listener.local_addr().expect("addr"));
    assert_eq!(success(&event).tried, [0]);
}
