//! The datagram demultiplexer: several cores on one UDP port, unclaimed datagrams, cores
//! added to and removed from a running socket.

use crate::util::{DelayedEcho, Threads, expect_msg};
use hark_reactor::udp::{BatchSocket, UdpConfig};
use hark_reactor::{DatagramEndpoint, Reactor, ReactorConfig, SocketId, Transmit};
use std::collections::VecDeque;
use std::net::{SocketAddr, UdpSocket};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Answers `ping` datagrams with `pong`; claims nothing else.
#[derive(Default)]
struct Ping {
    seen: u64,
    out: VecDeque<SocketAddr>,
}

impl DatagramEndpoint for Ping {
    fn claim(&self, _from: SocketAddr, data: &[u8]) -> bool {
        data == b"ping"
    }
    fn handle_datagram(&mut self, _now: Instant, from: SocketAddr, _data: &[u8]) {
        self.seen += 1;
        self.out.push_back(from);
    }
    fn handle_timeout(&mut self, _now: Instant) {}
    fn poll_transmit(&mut self, _now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        let destination = self.out.pop_front()?;
        buf.get_mut(..4)?.copy_from_slice(b"pong");
        Some(Transmit {
            destination,
            len: 4,
            dont_fragment: false,
        })
    }
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }
}

fn client() -> UdpSocket {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    socket
}

fn ask(client: &UdpSocket, to: SocketAddr, what: &[u8]) -> Option<Vec<u8>> {
    client.send_to(what, to).unwrap();
    let mut buf = [0u8; 64];
    let (len, _) = client.recv_from(&mut buf).ok()?;
    Some(buf[..len].to_vec())
}

fn ping_reactor() -> (Reactor, SocketId, SocketAddr) {
    let mut reactor = Reactor::new(ReactorConfig::default()).unwrap();
    let socket = BatchSocket::bind("127.0.0.1:0".parse().unwrap(), &UdpConfig::DEFAULT).unwrap();
    let addr = socket.local_addr();
    let id = reactor.add_socket(socket, Ping::default()).unwrap();
    (reactor, id, addr)
}

#[test]
fn a_datagram_nobody_claims_is_counted_and_dropped() {
    let (reactor, id, addr) = ping_reactor();
    let thread = reactor.into_thread().unwrap();
    let client = client();
    assert_eq!(ask(&client, addr, b"ping").as_deref(), Some(&b"pong"[..]));
    assert_eq!(ask(&client, addr, b"what is this"), None, "nobody answers");
    assert_eq!(ask(&client, addr, b"ping").as_deref(), Some(&b"pong"[..]));
    let reactor = thread.shutdown().unwrap();
    let stats = reactor.socket_stats(id).unwrap();
    assert_eq!((stats.received, stats.unclaimed), (3, 1));
    assert_eq!(reactor.endpoint::<Ping>(id).unwrap().seen, 2);
}

#[test]
fn a_core_is_added_to_and_removed_from_a_running_socket() {
    let (reactor, id, addr) = ping_reactor();
    let thread = reactor.into_thread().unwrap();
    let handle = thread.handle().clone();
    let client = client();
    assert_eq!(ask(&client, addr, b"RR?1"), None, "no core claims it yet");

    let threads = Threads::default();
    let (tx, rx) = mpsc::channel();
    let core = DelayedEcho::new(Duration::ZERO, &threads);
    handle
        .with_reactor(move |reactor, _now| {
            let _ = tx.send(reactor.add_core(id, core));
        })
        .unwrap();
    let core = expect_msg(&rx, "the added core").expect("the socket is running");
    assert_eq!(core.socket(), id);
    assert_eq!(ask(&client, addr, b"RR?2").as_deref(), Some(&b"RR!2"[..]));
    assert_eq!(ask(&client, addr, b"ping").as_deref(), Some(&b"pong"[..]));

    let (tx, rx) = mpsc::channel();
    handle
        .with_reactor(move |reactor, _now| {
            let _ = tx.send(reactor.remove_core::<DelayedEcho>(core).map(|c| c.answered));
        })
        .unwrap();
    assert_eq!(expect_msg(&rx, "the removed core"), Some(1));
    assert_eq!(
        ask(&client, addr, b"RR?3"),
        None,
        "removed: unclaimed again"
    );
    assert_eq!(ask(&client, addr, b"ping").as_deref(), Some(&b"pong"[..]));

    let mut reactor = thread.shutdown().unwrap();
    let stats = reactor.socket_stats(id).unwrap();
    assert_eq!(stats.unclaimed, 2, "RR?1 and RR?3");
    assert!(
        reactor.remove_core::<DelayedEcho>(core).is_none(),
        "ids are not reused"
    );
}
