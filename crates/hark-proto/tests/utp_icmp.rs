//! `Endpoint::handle_icmp_error`: the kernel's ICMP reports end a connection attempt at
//! once (libutp's `utp_process_icmp_error`) instead of after the SYN retries.

use std::net::SocketAddr;
use std::time::Instant;

use hark_proto::utp::{
    ConnectionError, ConnectionHandle, ConnectionState, DatagramOutcome, Endpoint, EndpointConfig,
    Event, Unreachable,
};

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// An endpoint that has sent a SYN to `to`; returns it, the handle and the SYN's bytes.
fn syn_sent(now: Instant, to: SocketAddr) -> (Endpoint, ConnectionHandle, Vec<u8>) {
    let mut endpoint = Endpoint::with_seed(EndpointConfig::default(), now, 11);
    let handle = endpoint.connect(now, to).unwrap();
    let mut buf = [0u8; 2048];
    let syn = endpoint.poll_transmit(now, &mut buf).expect("a SYN");
    assert_eq!(syn.destination, to);
    let bytes = buf[..syn.len].to_vec();
    (endpoint, handle, bytes)
}

fn events(endpoint: &mut Endpoint) -> Vec<Event> {
    std::iter::from_fn(|| endpoint.poll_event().map(|(_, e)| e)).collect()
}

#[test]
fn port_unreachable_quoting_the_syn_fails_the_attempt_at_once() {
    let now = Instant::now();
    let peer = addr("127.0.0.1:9");
    let (mut a, handle, syn) = syn_sent(now, peer);
    let _ = events(&mut a);
    assert!(a.handle_icmp_error(now, peer, Unreachable::Port, &syn));
    let seen = events(&mut a);
    assert!(
        seen.contains(&Event::Error(ConnectionError::Unreachable(
            Unreachable::Port
        ))),
        "{seen:?}"
    );
    assert_eq!(seen.last(), Some(&Event::Destroying));
    assert_eq!(a.state(handle), None, "destroyed once Destroying is polled");
    assert_eq!(a.poll_timeout(), None, "no SYN retry is left");
}

#[test]
fn a_report_without_quote_concerns_every_attempt_to_that_destination() {
    let now = Instant::now();
    let peer = addr("127.0.0.1:9");
    let (mut a, _, _) = syn_sent(now, peer);
    let _ = events(&mut a);
    assert!(!a.handle_icmp_error(now, addr("127.0.0.1:10"), Unreachable::Host, &[]));
    assert!(a.handle_icmp_error(now, peer, Unreachable::Host, &[]));
    assert!(
        events(&mut a).contains(&Event::Error(ConnectionError::Unreachable(
            Unreachable::Host
        )))
    );
}

#[test]
fn reports_about_other_packets_are_ignored() {
    let now = Instant::now();
    let peer = addr("127.0.0.1:9");
    let (mut a, handle, mut syn) = syn_sent(now, peer);
    // Another connection id, and a RESET (sent to strangers, no connection of ours).
    let mut other = syn.clone();
    other[3] ^= 0x55;
    assert!(!a.handle_icmp_error(now, peer, Unreachable::Port, &other));
    syn[0] = (3 << 4) | 1;
    assert!(!a.handle_icmp_error(now, peer, Unreachable::Port, &syn));
    assert_eq!(a.state(handle), Some(ConnectionState::SynSent));
}

#[test]
fn an_established_connection_fails_only_when_the_peers_port_is_closed() {
    let now = Instant::now();
    let (a_addr, b_addr) = (addr("10.0.0.1:1"), addr("10.0.0.2:2"));
    let (mut a, handle, syn) = syn_sent(now, b_addr);
    let mut b = Endpoint::with_seed(EndpointConfig::default(), now, 12);
    let DatagramOutcome::Incoming(incoming) = b.handle_datagram(now, a_addr, &syn) else {
        panic!("the SYN is an incoming connection");
    };
    b.accept(now, incoming).unwrap();
    let mut buf = [0u8; 2048];
    let syn_ack = b.poll_transmit(now, &mut buf).unwrap();
    let _ = a.handle_datagram(now, b_addr, &buf[..syn_ack.len]);
    assert_eq!(a.state(handle), Some(ConnectionState::Connected));
    a.write(handle, b"hello").unwrap();
    let data = a.poll_transmit(now, &mut buf).unwrap();
    let quoted = buf[..data.len].to_vec();
    let _ = events(&mut a);

    for passing in [
        Unreachable::Host,
        Unreachable::Network,
        Unreachable::Prohibited,
    ] {
        assert!(!a.handle_icmp_error(now, b_addr, passing, &quoted));
        assert_eq!(a.state(handle), Some(ConnectionState::Connected));
    }
    assert!(a.handle_icmp_error(now, b_addr, Unreachable::Port, &quoted));
    assert!(events(&mut a).contains(&Event::Error(ConnectionError::PeerPortClosed)));
}
