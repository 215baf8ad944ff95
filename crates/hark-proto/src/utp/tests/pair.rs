//! Two endpoints over an in-memory link with a virtual clock (quinn's `Pair` style):
//! `step()` jumps to the next delivery or timer, `drive()` runs until both are idle.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rand_core::{Rng, SeedableRng};
use rand_pcg::Pcg32;

use crate::utp::{
    ConnectionError, ConnectionHandle, ConnectionState, DatagramOutcome, Endpoint, EndpointConfig,
    Event,
};

/// Impairments of the link, applied independently per datagram.
#[derive(Debug, Clone, Copy)]
pub struct Link {
    /// One-way delay.
    pub delay: Duration,
    /// Extra random delay in `0..jitter` (reorders packets).
    pub jitter: Duration,
    /// Probability of losing a datagram.
    pub loss: f64,
    /// Probability of delivering a datagram twice.
    pub duplicate: f64,
}

impl Link {
    pub const CLEAN: Link = Link {
        delay: Duration::from_millis(10),
        jitter: Duration::ZERO,
        loss: 0.0,
        duplicate: 0.0,
    };
}

struct InFlight {
    at: Instant,
    order: u64,
    to_b: bool,
    bytes: Vec<u8>,
}

impl PartialEq for InFlight {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.order) == (other.at, other.order)
    }
}
impl Eq for InFlight {}
impl PartialOrd for InFlight {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for InFlight {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.order).cmp(&(other.at, other.order))
    }
}

/// One side's application: writes `send`, collects what it reads, closes when done.
#[derive(Default)]
pub struct App {
    pub conn: Option<ConnectionHandle>,
    pub send: Vec<u8>,
    pub sent: usize,
    pub received: Vec<u8>,
    pub eof: bool,
    pub closed: bool,
    pub destroyed: bool,
    pub error: Option<ConnectionError>,
}

pub struct Pair {
    pub a: Endpoint,
    pub b: Endpoint,
    pub a_addr: SocketAddr,
    pub b_addr: SocketAddr,
    pub app_a: App,
    pub app_b: App,
    pub now: Instant,
    pub t0: Instant,
    pub a_stats: Option<crate::utp::ConnectionStats>,
    pub b_stats: Option<crate::utp::ConnectionStats>,
    pub link: Link,
    rng: Pcg32,
    wire: BinaryHeap<Reverse<InFlight>>,
    order: u64,
    buf: Vec<u8>,
    read_buf: Vec<u8>,
    pub datagrams: u64,
}

impl Pair {
    pub fn new(config: EndpointConfig, link: Link, seed: u64) -> Self {
        let t0 = Instant::now();
        let a = Endpoint::new(
            config.clone(),
            t0,
            Box::new(Pcg32::seed_from_u64(seed ^ 0xa)),
        );
        let b = Endpoint::new(config, t0, Box::new(Pcg32::seed_from_u64(seed ^ 0xb)));
        Self {
            a,
            b,
            a_addr: "10.0.0.1:5000".parse().unwrap(),
            b_addr: "10.0.0.2:6000".parse().unwrap(),
            app_a: App::default(),
            app_b: App::default(),
            now: t0,
            t0,
            a_stats: None,
            b_stats: None,
            link,
            rng: Pcg32::seed_from_u64(seed),
            wire: BinaryHeap::new(),
            order: 0,
            buf: vec![0; 65536],
            read_buf: vec![0; 1 << 16],
            datagrams: 0,
        }
    }

    fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && f64::from(self.rng.next_u32()) / f64::from(u32::MAX) < p
    }

    fn put_on_wire(&mut self, to_b: bool, bytes: Vec<u8>) {
        if self.chance(self.link.loss) {
            return;
        }
        let copies = if self.chance(self.link.duplicate) {
            2
        } else {
            1
        };
        for _ in 0..copies {
            let jitter = if self.link.jitter.is_zero() {
                Duration::ZERO
            } else {
                self.link
                    .jitter
                    .mul_f64(f64::from(self.rng.next_u32()) / f64::from(u32::MAX))
            };
            self.order += 1;
            let at = self.now + self.link.delay + jitter;
            self.wire.push(Reverse(InFlight {
                at,
                order: self.order,
                to_b,
                bytes: bytes.clone(),
            }));
        }
    }

    /// Lets the applications act, then drains both endpoints' output onto the wire,
    /// until neither has anything more to say.
    fn flush(&mut self) {
        loop {
            self.run_apps();
            let mut any = false;
            while let Some(t) = self.a.poll_transmit(self.now, &mut self.buf) {
                assert_eq!(t.destination, self.b_addr);
                let bytes = self.buf[..t.len].to_vec();
                self.put_on_wire(true, bytes);
                any = true;
            }
            while let Some(t) = self.b.poll_transmit(self.now, &mut self.buf) {
                assert_eq!(t.destination, self.a_addr);
                let bytes = self.buf[..t.len].to_vec();
                self.put_on_wire(false, bytes);
                any = true;
            }
            if !any {
                break;
            }
        }
    }

    /// Lets both applications react to events, write and read.
    fn run_apps(&mut self) {
        Self::run_app(&mut self.a, &mut self.app_a, &mut self.read_buf);
        Self::run_app(&mut self.b, &mut self.app_b, &mut self.read_buf);
    }

    fn run_app(ep: &mut Endpoint, app: &mut App, read_buf: &mut [u8]) {
        while let Some((handle, event)) = ep.poll_event() {
            assert_eq!(Some(handle), app.conn, "event for an unknown connection");
            match event {
                Event::Eof => app.eof = true,
                Event::Error(e) => app.error = Some(e),
                Event::Destroying => app.destroyed = true,
                _ => {}
            }
        }
        let Some(conn) = app.conn else { return };
        if app.destroyed {
            return;
        }
        loop {
            let n = ep.read(conn, read_buf).expect("live connection");
            if n == 0 {
                break;
            }
            app.received.extend_from_slice(&read_buf[..n]);
        }
        if ep.state(conn) == Some(ConnectionState::SynSent) {
            return;
        }
        while app.sent < app.send.len() {
            match ep.write(conn, &app.send[app.sent..]) {
                Ok(0) => break,
                Ok(n) => app.sent += n,
                Err(e) => panic!("write failed: {e}"),
            }
        }
        if app.sent == app.send.len() && app.eof && !app.closed {
            app.closed = true;
            ep.close(conn).expect("live connection");
        }
    }

    /// Advances to the next delivery or timer and processes it. False when idle.
    pub fn step(&mut self) -> bool {
        self.flush();
        let next_wire = self.wire.peek().map(|Reverse(d)| d.at);
        let next = [next_wire, self.a.poll_timeout(), self.b.poll_timeout()]
            .into_iter()
            .flatten()
            .min();
        let Some(next) = next else { return false };
        self.now = self.now.max(next);
        while self.wire.peek().is_some_and(|Reverse(d)| d.at <= self.now) {
            let Some(Reverse(d)) = self.wire.pop() else {
                break;
            };
            self.datagrams += 1;
            if d.to_b {
                match self.b.handle_datagram(self.now, self.a_addr, &d.bytes) {
                    DatagramOutcome::Incoming(incoming) => {
                        if self.app_b.conn.is_none() {
                            self.app_b.conn =
                                Some(self.b.accept(self.now, incoming).expect("accept"));
                        }
                    }
                    other => assert!(other.is_utp()),
                }
            } else {
                assert!(
                    self.a
                        .handle_datagram(self.now, self.b_addr, &d.bytes)
                        .is_utp()
                );
            }
        }
        self.a.issue_deferred_acks(self.now);
        self.b.issue_deferred_acks(self.now);
        self.a.handle_timeout(self.now);
        self.b.handle_timeout(self.now);
        if let Some(c) = self.app_a.conn.filter(|_| !self.app_a.destroyed) {
            self.a_stats = self.a.connection_stats(c).or(self.a_stats);
        }
        if let Some(c) = self.app_b.conn.filter(|_| !self.app_b.destroyed) {
            self.b_stats = self.b.connection_stats(c).or(self.b_stats);
        }
        true
    }

    /// Runs until both sides are idle, or panics after `max_virtual` of virtual time.
    pub fn drive(&mut self, max_virtual: Duration) {
        let start = self.now;
        while self.step() {
            assert!(
                self.now - start < max_virtual,
                "transfer did not finish within {max_virtual:?}"
            );
        }
    }

    /// A connects to B; A sends `a_to_b` and closes its direction once all is queued; B
    /// sends `b_to_a` and closes once it has also seen A's EOF.
    pub fn transfer(&mut self, a_to_b: Vec<u8>, b_to_a: Vec<u8>) {
        self.app_a.send = a_to_b;
        self.app_b.send = b_to_a;
        self.app_a.eof = true; // A closes as soon as its data is queued.
        self.app_a.conn = Some(self.a.connect(self.now, self.b_addr).expect("connect"));
        self.drive(Duration::from_secs(3600));
    }
}

fn pattern(len: usize, salt: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add((i >> 8) as u8) ^ salt)
        .collect()
}

/// Runs one transfer and checks that it either completed byte-exact or failed with a
/// typed error.
fn run(size_a: usize, size_b: usize, link: Link, seed: u64) -> Pair {
    run_with(EndpointConfig::default(), size_a, size_b, link, seed)
}

fn run_with(config: EndpointConfig, size_a: usize, size_b: usize, link: Link, seed: u64) -> Pair {
    let mut pair = Pair::new(config, link, seed);
    let a_data = pattern(size_a, 0x5a);
    let b_data = pattern(size_b, 0xa5);
    pair.transfer(a_data.clone(), b_data.clone());
    let ctx = format!("seed {seed}, link {link:?}, sizes {size_a}/{size_b}");
    if std::env::var_os("HARK_PAIR_VERBOSE").is_some() {
        let elapsed = pair.now - pair.t0;
        eprintln!(
            "{ctx}: errors {:?}/{:?}, {} datagrams, {elapsed:?} virtual, a {:?}, b {:?}",
            pair.app_a.error, pair.app_b.error, pair.datagrams, pair.a_stats, pair.b_stats
        );
    }
    match (pair.app_a.error, pair.app_b.error) {
        (None, None) => {
            assert!(
                pair.app_a.destroyed && pair.app_b.destroyed,
                "{ctx}: not closed"
            );
            assert!(
                pair.app_b.received == a_data,
                "{ctx}: A->B bytes differ ({} received)",
                pair.app_b.received.len()
            );
            assert!(
                pair.app_a.received == b_data,
                "{ctx}: B->A bytes differ ({} received)",
                pair.app_a.received.len()
            );
        }
        (ea, eb) => {
            // A typed error: whatever was delivered must be a prefix of what was sent.
            assert!(
                a_data.starts_with(&pair.app_b.received),
                "{ctx}: wrong bytes before error {ea:?}/{eb:?}"
            );
            assert!(
                b_data.starts_with(&pair.app_a.received),
                "{ctx}: wrong bytes before error {ea:?}/{eb:?}"
            );
        }
    }
    pair
}

fn lossy(loss: f64) -> Link {
    Link {
        delay: Duration::from_millis(20),
        jitter: Duration::from_millis(15),
        loss,
        duplicate: 0.02,
    }
}

#[test]
fn clean_1kb_both_directions() {
    let pair = run(1024, 1024, Link::CLEAN, 1);
    assert_eq!(pair.app_a.error, None);
    assert_eq!(pair.app_b.error, None);
}

#[test]
fn clean_1mb_each_direction() {
    for (a, b) in [(1 << 20, 0), (0, 1 << 20), (1 << 20, 1 << 20)] {
        let pair = run(a, b, Link::CLEAN, 2);
        assert_eq!((pair.app_a.error, pair.app_b.error), (None, None));
    }
}

#[test]
fn lossy_reordered_duplicated_1kb_many_seeds() {
    for loss in [0.0, 0.01, 0.05, 0.2] {
        for seed in 0..20 {
            run(1024, 1024, lossy(loss), seed);
        }
    }
}

#[test]
fn lossy_reordered_duplicated_1mb() {
    for loss in [0.01, 0.05, 0.2] {
        for seed in 0..2 {
            let pair = run(1 << 20, 1 << 20, lossy(loss), seed);
            if loss < 0.2 {
                assert_eq!(
                    (pair.app_a.error, pair.app_b.error),
                    (None, None),
                    "seed {seed} loss {loss}"
                );
            }
        }
    }
}

#[test]
fn path_mtu_probing_transfers_byte_exact() {
    let config = EndpointConfig {
        connection: crate::utp::ConnectionConfig {
            mtu_probing: true,
            ..Default::default()
        },
        ..EndpointConfig::default()
    };
    for (seed, link) in [(1, Link::CLEAN), (2, lossy(0.05))] {
        let pair = run_with(config.clone(), 1 << 20, 1 << 20, link, seed);
        assert_eq!(
            (pair.app_a.error, pair.app_b.error),
            (None, None),
            "seed {seed}"
        );
    }
}
