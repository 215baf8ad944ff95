//! Listener limit, mute/unmute, close versus hard_close, sent/sentv rewriting, and the
//! pending limit, each against a plain std socket on the other side.

use crate::util::expect_msg;
use hark::tcp::{Reactor, TcpConfig, TcpConn, TcpConnection, TcpListener, TcpNotify, WriteError};
use std::borrow::Cow;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Sender};
use std::time::Duration;

/// Counts accepted and closed connections.
struct Counted {
    accepted: Arc<AtomicUsize>,
    closed: Arc<AtomicUsize>,
}

impl TcpNotify for Counted {
    fn accepted(&mut self, _conn: &mut TcpConn<'_>) {
        self.accepted.fetch_add(1, Ordering::SeqCst);
    }
    fn closed(&mut self, _conn: &mut TcpConn<'_>) {
        self.closed.fetch_add(1, Ordering::SeqCst);
    }
}

fn wait_until(what: &str, condition: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + crate::util::PATIENCE;
    while !condition() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn the_connection_limit_pauses_accepting_until_one_closes() {
    let server = Reactor::spawn(TcpConfig::default()).unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let closed = Arc::new(AtomicUsize::new(0));
    let (a, c) = (accepted.clone(), closed.clone());
    let listener = TcpListener::bind_with_limit(
        server.handle(),
        "127.0.0.1:0".parse().unwrap(),
        move |_peer| {
            let notify: Box<dyn TcpNotify> = Box::new(Counted {
                accepted: a.clone(),
                closed: c.clone(),
            });
            Some(notify)
        },
        Some(1),
    )
    .unwrap();
    let first = TcpStream::connect(listener.local_addr()).unwrap();
    wait_until("the first accept", || accepted.load(Ordering::SeqCst) == 1);
    let _second = TcpStream::connect(listener.local_addr()).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(accepted.load(Ordering::SeqCst), 1, "paused at the limit");
    drop(first);
    wait_until("the second accept", || accepted.load(Ordering::SeqCst) == 2);
    assert_eq!(closed.load(Ordering::SeqCst), 1);
}

/// Mutes on accept; reports what it receives.
struct Muted {
    handle: Sender<hark::tcp::TcpConnectionHandle>,
    got: Sender<Vec<u8>>,
}

impl TcpNotify for Muted {
    fn accepted(&mut self, conn: &mut TcpConn<'_>) {
        conn.mute();
        let _ = self.handle.send(conn.handle());
    }
    fn received(&mut self, _conn: &mut TcpConn<'_>, data: &[u8], _times: usize) -> bool {
        let _ = self.got.send(data.to_vec());
        true
    }
}

#[test]
fn mute_stops_reading_and_unmute_resumes() {
    let server = Reactor::spawn(TcpConfig::default()).unwrap();
    let (handle_tx, handles) = mpsc::channel();
    let (got_tx, got) = mpsc::channel();
    let listener = TcpListener::bind(
        server.handle(),
        "127.0.0.1:0".parse().unwrap(),
        move |_peer| {
            let notify: Box<dyn TcpNotify> = Box::new(Muted {
                handle: handle_tx.clone(),
                got: got_tx.clone(),
            });
            Some(notify)
        },
    )
    .unwrap();
    let mut peer = TcpStream::connect(listener.local_addr()).unwrap();
    let handle = expect_msg(&handles, "the accepted handle");
    peer.write_all(b"0123456789").unwrap();
    assert!(
        got.recv_timeout(Duration::from_millis(200)).is_err(),
        "nothing is read while muted"
    );
    handle.unmute().unwrap();
    assert_eq!(expect_msg(&got, "data after unmute"), b"0123456789");
}

/// Writes `len` bytes on accept, then closes softly or hard.
struct WriteThenClose {
    len: usize,
    hard: bool,
    closed: Arc<AtomicUsize>,
}

impl TcpNotify for WriteThenClose {
    fn accepted(&mut self, conn: &mut TcpConn<'_>) {
        conn.write(&vec![7; self.len]).unwrap();
        if self.hard {
            conn.hard_close();
        } else {
            conn.close();
            conn.close();
        }
    }
    fn closed(&mut self, _conn: &mut TcpConn<'_>) {
        self.closed.fetch_add(1, Ordering::SeqCst);
    }
}

/// Reads until the end of the stream (or a reset); returns the byte count.
fn read_to_end_or_reset(peer: &mut TcpStream) -> usize {
    let mut buf = vec![0; 64 * 1024];
    let mut total = 0;
    loop {
        match peer.read(&mut buf) {
            Ok(0) | Err(_) => return total,
            Ok(n) => total += n,
        }
    }
}

fn write_then_close(hard: bool) -> (usize, Arc<AtomicUsize>) {
    const LEN: usize = 64 * 1024 * 1024;
    let config = TcpConfig {
        send_limit: LEN,
        ..TcpConfig::default()
    };
    let server = Reactor::spawn(config).unwrap();
    let closed = Arc::new(AtomicUsize::new(0));
    let counter = closed.clone();
    let listener = TcpListener::bind(
        server.handle(),
        "127.0.0.1:0".parse().unwrap(),
        move |_peer| {
            let notify: Box<dyn TcpNotify> = Box::new(WriteThenClose {
                len: LEN,
                hard,
                closed: counter.clone(),
            });
            Some(notify)
        },
    )
    .unwrap();
    let mut peer = TcpStream::connect(listener.local_addr()).unwrap();
    // Let the server fill the kernel buffers before anything is read.
    std::thread::sleep(Duration::from_millis(100));
    let received = read_to_end_or_reset(&mut peer);
    drop(peer);
    wait_until("closed", || closed.load(Ordering::SeqCst) >= 1);
    std::thread::sleep(Duration::from_millis(50));
    (received, closed)
}

#[test]
fn close_flushes_pending_writes_and_closed_fires_once() {
    let (received, closed) = write_then_close(false);
    assert_eq!(received, 64 * 1024 * 1024);
    assert_eq!(closed.load(Ordering::SeqCst), 1);
}

#[test]
fn hard_close_drops_pending_writes_and_closed_fires_once() {
    let (received, closed) = write_then_close(true);
    assert!(
        received < 64 * 1024 * 1024,
        "pending bytes were dropped: {received}"
    );
    assert_eq!(closed.load(Ordering::SeqCst), 1);
}

/// Uppercases in `sent`; keeps only the first chunk in `sentv`.
struct Rewriting;

impl TcpNotify for Rewriting {
    fn connected(&mut self, conn: &mut TcpConn<'_>) {
        conn.write(b"abc").unwrap();
        conn.writev(&[b"kept|", b"swallowed"]).unwrap();
        conn.write(b"").unwrap();
        conn.close();
    }
    fn sent<'d>(&mut self, _conn: &mut TcpConn<'_>, data: Cow<'d, [u8]>) -> Cow<'d, [u8]> {
        Cow::Owned(data.to_ascii_uppercase())
    }
    fn sentv<'d>(
        &mut self,
        _conn: &mut TcpConn<'_>,
        mut data: Vec<Cow<'d, [u8]>>,
    ) -> Vec<Cow<'d, [u8]>> {
        data.truncate(1);
        data
    }
}

#[test]
fn sent_and_sentv_rewrite_and_swallow_outgoing_data() {
    let peer_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let client = Reactor::spawn(TcpConfig::default()).unwrap();
    TcpConnection::connect_addrs(
        client.handle(),
        vec![peer_listener.local_addr().unwrap()],
        Rewriting,
    )
    .unwrap();
    let (mut peer, _) = peer_listener.accept().unwrap();
    let mut got = Vec::new();
    peer.read_to_end(&mut got).unwrap();
    assert_eq!(got, b"ABCkept|");
}

/// Tries two writes that together pass the limit.
/// Both write results and the pending count seen after them.
type LimitProbe = (Result<(), WriteError>, Result<(), WriteError>, usize);

struct OverLimit(Sender<LimitProbe>);

impl TcpNotify for OverLimit {
    fn connected(&mut self, conn: &mut TcpConn<'_>) {
        let first = conn.write(&[1; 600]);
        let second = conn.write(&[2; 600]);
        let _ = self.0.send((first, second, conn.pending()));
        conn.hard_close();
    }
}

#[test]
fn a_write_past_the_pending_limit_is_refused() {
    let peer_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let config = TcpConfig {
        send_limit: 1000,
        ..TcpConfig::default()
    };
    let client = Reactor::spawn(config).unwrap();
    let (tx, rx) = mpsc::channel();
    TcpConnection::connect_addrs(
        client.handle(),
        vec![peer_listener.local_addr().unwrap()],
        OverLimit(tx),
    )
    .unwrap();
    let (first, second, pending) = expect_msg(&rx, "the write results");
    assert_eq!(first, Ok(()));
    assert_eq!(
        second,
        Err(WriteError::LimitExceeded {
            pending: 600,
            limit: 1000,
            requested: 600
        })
    );
    assert_eq!(pending, 600);
}

#[test]
fn writes_made_before_the_connection_completes_are_delivered() {
    let peer_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let client = Reactor::spawn(TcpConfig::default()).unwrap();
    let conn = TcpConnection::connect_addrs(
        client.handle(),
        vec![peer_listener.local_addr().unwrap()],
        |_: &mut TcpConn<'_>, _: &[u8], _| true,
    )
    .unwrap();
    conn.write(&b"early "[..]).unwrap();
    conn.write(&b"bytes"[..]).unwrap();
    conn.close().unwrap();
    let (mut peer, _) = peer_listener.accept().unwrap();
    let mut got = Vec::new();
    peer.read_to_end(&mut got).unwrap();
    assert_eq!(got, b"early bytes");
}

/// Hard-closes while its attempts are in flight; records what follows.
struct CloseWhileConnecting(Sender<&'static str>);

impl TcpNotify for CloseWhileConnecting {
    fn connecting(&mut self, conn: &mut TcpConn<'_>, _count: usize) {
        conn.hard_close();
    }
    fn connected(&mut self, _conn: &mut TcpConn<'_>) {
        let _ = self.0.send("connected");
    }
    fn connect_failed(&mut self, _conn: &mut TcpConn<'_>) {
        let _ = self.0.send("connect_failed");
    }
    fn closed(&mut self, _conn: &mut TcpConn<'_>) {
        let _ = self.0.send("closed");
    }
}

#[test]
fn hard_close_while_connecting_abandons_the_attempts_and_reports_closed() {
    let peer_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let client = Reactor::spawn(TcpConfig::default()).unwrap();
    let (tx, rx) = mpsc::channel();
    let conn = TcpConnection::connect_addrs(
        client.handle(),
        vec![peer_listener.local_addr().unwrap()],
        CloseWhileConnecting(tx),
    )
    .unwrap();
    assert_eq!(expect_msg(&rx, "closed"), "closed");
    assert!(
        rx.recv_timeout(Duration::from_millis(100)).is_err(),
        "nothing after closed"
    );
    assert!(conn.is_closed());
}

/// Echoes each frame back in two writes of its halves (writes of the received bytes are
/// taken from the read buffer without a copy).
struct HalvesEcho;

impl TcpNotify for HalvesEcho {
    fn received(&mut self, conn: &mut TcpConn<'_>, data: &[u8], _times: usize) -> bool {
        let (first, second) = data.split_at(data.len() / 2);
        conn.write(first).is_ok() && conn.write(second).is_ok()
    }
    fn throttled(&mut self, conn: &mut TcpConn<'_>) {
        conn.mute();
    }
    fn unthrottled(&mut self, conn: &mut TcpConn<'_>) {
        conn.unmute();
    }
}

#[test]
fn echoing_received_bytes_returns_them_intact() {
    use crate::util::{StreamHash, fill_pseudo_random};
    const TOTAL: usize = 16 * 1024 * 1024;
    let server = Reactor::spawn(TcpConfig::default()).unwrap();
    let listener = TcpListener::bind(server.handle(), "127.0.0.1:0".parse().unwrap(), |_peer| {
        Some(Box::new(HalvesEcho) as Box<dyn TcpNotify>)
    })
    .unwrap();
    let mut peer = TcpStream::connect(listener.local_addr()).unwrap();
    let mut writer = peer.try_clone().unwrap();
    let producer = std::thread::spawn(move || {
        let mut seed = 3;
        let mut sent = StreamHash::default();
        let mut chunk = vec![0; 50_000];
        let mut left = TOTAL;
        while left > 0 {
            let n = left.min(chunk.len());
            fill_pseudo_random(&mut seed, &mut chunk[..n]);
            writer.write_all(&chunk[..n]).unwrap();
            sent.update(&chunk[..n]);
            left -= n;
        }
        sent.finish()
    });
    let mut received = StreamHash::default();
    let mut buf = vec![0; 64 * 1024];
    let mut left = TOTAL;
    while left > 0 {
        let n = peer.read(&mut buf).unwrap();
        assert!(n > 0, "the echo ended early");
        received.update(&buf[..n]);
        left -= n;
    }
    assert_eq!(received.finish(), producer.join().unwrap());
}
