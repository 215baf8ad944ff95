//! A flooded connection yields; another connection on the same reactor still progresses.

use crate::util::{Signals, expect_msg};
use hark::tcp::{Reactor, TcpConfig, TcpConn, TcpConnection, TcpListener, TcpNotify};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Sender};

/// Server side: the first connection is the flood sink, later ones echo.
struct Sink {
    bytes: Arc<AtomicU64>,
    max_times: Arc<AtomicUsize>,
}

impl TcpNotify for Sink {
    fn received(&mut self, _conn: &mut TcpConn<'_>, data: &[u8], times: usize) -> bool {
        self.bytes.fetch_add(data.len() as u64, Ordering::Relaxed);
        self.max_times.fetch_max(times, Ordering::Relaxed);
        // Yield after three reads in a row.
        times < 3
    }
}

struct Echo;

impl TcpNotify for Echo {
    fn received(&mut self, conn: &mut TcpConn<'_>, data: &[u8], _times: usize) -> bool {
        conn.write(data).is_ok()
    }
}

/// Client side of the ping-pong: sends one byte per reply, counts round trips.
struct Pinger {
    left: usize,
    done: Sender<()>,
}

impl TcpNotify for Pinger {
    fn connected(&mut self, conn: &mut TcpConn<'_>) {
        conn.write(b"p").unwrap();
    }
    fn received(&mut self, conn: &mut TcpConn<'_>, data: &[u8], _times: usize) -> bool {
        for _ in data {
            self.left -= 1;
            if self.left == 0 {
                let _ = self.done.send(());
                conn.close();
                return true;
            }
            conn.write(b"p").unwrap();
        }
        true
    }
}

#[test]
fn a_flood_yields_and_another_connection_still_progresses() {
    let server = Reactor::spawn(TcpConfig::default()).unwrap();
    let flood_bytes = Arc::new(AtomicU64::new(0));
    let max_times = Arc::new(AtomicUsize::new(0));
    let accepted = Arc::new(AtomicUsize::new(0));
    let (bytes, times, count) = (flood_bytes.clone(), max_times.clone(), accepted.clone());
    let listener = TcpListener::bind(
        server.handle(),
        "127.0.0.1:0".parse().unwrap(),
        move |_peer| {
            let notify: Box<dyn TcpNotify> = if count.fetch_add(1, Ordering::SeqCst) == 0 {
                Box::new(Sink {
                    bytes: bytes.clone(),
                    max_times: times.clone(),
                })
            } else {
                Box::new(Echo)
            };
            Some(notify)
        },
    )
    .unwrap();
    let addr = listener.local_addr();

    // The flood: a producer thread keeps the sink's socket full until told to stop.
    let flood_client = Reactor::spawn(TcpConfig::default()).unwrap();
    let (connected_tx, connected) = mpsc::channel();
    let (closed_tx, _closed) = mpsc::channel();
    let flood = TcpConnection::connect_addrs(
        flood_client.handle(),
        vec![addr],
        Signals {
            connected: connected_tx,
            closed: closed_tx,
        },
    )
    .unwrap();
    expect_msg(&connected, "the flood connection");
    let stop = Arc::new(AtomicBool::new(false));
    let producer = {
        let stop = stop.clone();
        let flood = flood.clone();
        std::thread::spawn(move || {
            let chunk = vec![0xab; 64 * 1024];
            while !stop.load(Ordering::Relaxed) {
                if flood.write(chunk.as_slice()).is_err() {
                    std::thread::yield_now();
                }
            }
        })
    };
    while flood_bytes.load(Ordering::Relaxed) < 8 * 1024 * 1024 {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }

    // Meanwhile, 200 round trips on a second connection to the same server reactor.
    let ping_client = Reactor::spawn(TcpConfig::default()).unwrap();
    let (done_tx, done) = mpsc::channel();
    TcpConnection::connect_addrs(
        ping_client.handle(),
        vec![addr],
        Pinger {
            left: 200,
            done: done_tx,
        },
    )
    .unwrap();
    expect_msg(&done, "200 round trips beside the flood");
    let flooded_before = flood_bytes.load(Ordering::Relaxed);
    // The flood keeps being read after the pings: the yielding connection was resumed.
    let deadline = std::time::Instant::now() + crate::util::PATIENCE;
    while flood_bytes.load(Ordering::Relaxed) <= flooded_before + 1024 * 1024 {
        assert!(
            std::time::Instant::now() < deadline,
            "the flood stopped being read"
        );
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    stop.store(true, Ordering::Relaxed);
    producer.join().unwrap();
    assert_eq!(
        max_times.load(Ordering::Relaxed),
        3,
        "received yielded at times == 3"
    );
}
