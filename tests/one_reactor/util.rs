//! A small request/response protocol over UDP, as a sans-IO datagram core, and helpers.

use hark_reactor::{DatagramEndpoint, Transmit};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a test waits for one thing before failing.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// Receives or fails the test with `what`.
pub fn expect_msg<T>(rx: &Receiver<T>, what: &str) -> T {
    rx.recv_timeout(PATIENCE)
        .unwrap_or_else(|err| panic!("waiting for {what}: {err}"))
}

/// The names of the threads that ran some callback, shared by every part of a test.
pub type Threads = Arc<Mutex<Vec<String>>>;

/// Records the current thread's name.
pub fn note_thread(threads: &Threads) {
    let name = std::thread::current()
        .name()
        .unwrap_or("unnamed")
        .to_owned();
    let mut threads = threads.lock().unwrap();
    if !threads.contains(&name) {
        threads.push(name);
    }
}

/// "Delayed echo": a request is `RR?` and a payload; the answer, `RR!` and the same
/// payload, goes out `delay` later (a timer of the core's own). It claims only requests,
/// so it can share a port with uTP.
pub struct DelayedEcho {
    pub delay: Duration,
    pub waiting: VecDeque<(Instant, SocketAddr, Vec<u8>)>,
    pub ready: VecDeque<(SocketAddr, Vec<u8>)>,
    pub answered: u64,
    pub threads: Threads,
}

impl DelayedEcho {
    pub fn new(delay: Duration, threads: &Threads) -> Self {
        DelayedEcho {
            delay,
            waiting: VecDeque::new(),
            ready: VecDeque::new(),
            answered: 0,
            threads: Arc::clone(threads),
        }
    }
}

impl DatagramEndpoint for DelayedEcho {
    fn claim(&self, _from: SocketAddr, data: &[u8]) -> bool {
        data.starts_with(b"RR?")
    }

    fn handle_datagram(&mut self, now: Instant, from: SocketAddr, data: &[u8]) {
        note_thread(&self.threads);
        let payload = data.get(3..).unwrap_or_default().to_vec();
        // Bounded: a flood of requests beyond 1024 waiting ones is dropped.
        if self.waiting.len() < 1024 {
            self.waiting.push_back((now + self.delay, from, payload));
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        note_thread(&self.threads);
        while let Some((at, ..)) = self.waiting.front() {
            if *at > now {
                break;
            }
            if let Some((_, to, payload)) = self.waiting.pop_front() {
                self.ready.push_back((to, payload));
            }
        }
    }

    fn poll_transmit(&mut self, _now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        let (destination, payload) = self.ready.pop_front()?;
        let len = payload.len() + 3;
        let out = buf.get_mut(..len)?;
        out[..3].copy_from_slice(b"RR!");
        out[3..].copy_from_slice(&payload);
        self.answered += 1;
        Some(Transmit {
            destination,
            len,
            dont_fragment: false,
        })
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.waiting.front().map(|(at, ..)| *at)
    }
}
