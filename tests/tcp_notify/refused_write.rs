//! A refused write always leads to a later callback (issue 17, item 1): a send-only
//! writer that pauses on `LimitExceeded` until `unthrottled` moves 1 GiB and finishes,
//! from inside the notifier and from another thread through a handle.

use hark::tcp::{HandleError, Reactor, TcpConfig, TcpConn, TcpConnection, TcpNotify, WriteError};
use std::io::Read;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

const TOTAL: u64 = 1024 * 1024 * 1024;
const CHUNK: usize = 64 * 1024;
/// No progress for this long is a stall: the writer waits for a callback that never comes.
const STALL: Duration = Duration::from_secs(20);

/// A loopback peer that reads and counts everything until the end of the stream.
fn counting_peer() -> (std::net::SocketAddr, Receiver<u64>, Receiver<u64>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (progress_tx, progress) = mpsc::channel();
    let (done_tx, done) = mpsc::channel();
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut buf = vec![0; 256 * 1024];
        let mut total = 0u64;
        let mut reported = 0u64;
        loop {
            match stream.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => total += n as u64,
            }
            if total - reported >= 16 * 1024 * 1024 {
                reported = total;
                let _ = progress_tx.send(total);
            }
        }
        let _ = done_tx.send(total);
    });
    (addr, progress, done)
}

/// Waits for the peer's count, failing on a stall (no progress for [`STALL`]).
fn wait_for_all(progress: &Receiver<u64>, done: &Receiver<u64>, what: &str) -> u64 {
    let mut last = 0;
    loop {
        if let Ok(total) = done.try_recv() {
            return total;
        }
        match progress.recv_timeout(STALL) {
            Ok(total) => last = total,
            Err(RecvTimeoutError::Timeout) => match done.try_recv() {
                Ok(total) => return total,
                Err(_) => panic!(
                    "{what} stalled after {last} of {TOTAL} bytes: no callback followed a refused write"
                ),
            },
            Err(RecvTimeoutError::Disconnected) => {
                return done.recv_timeout(STALL).expect("the peer's count");
            }
        }
    }
}

/// Writes until refused, then waits for `unthrottled`: what `TcpNotify::throttled` asks.
struct SendOnly {
    chunk: Vec<u8>,
    written: u64,
    paused: bool,
    throttles: usize,
}

impl SendOnly {
    fn pump(&mut self, conn: &mut TcpConn<'_>) {
        self.paused = false;
        while self.written < TOTAL {
            match conn.write(&self.chunk) {
                Ok(()) => self.written += CHUNK as u64,
                Err(WriteError::LimitExceeded { .. }) => {
                    self.paused = true;
                    return;
                }
                Err(err) => panic!("write failed: {err}"),
            }
        }
        conn.close();
    }
}

impl TcpNotify for SendOnly {
    fn connected(&mut self, conn: &mut TcpConn<'_>) {
        self.pump(conn);
    }
    fn throttled(&mut self, _conn: &mut TcpConn<'_>) {
        self.throttles += 1;
    }
    fn unthrottled(&mut self, conn: &mut TcpConn<'_>) {
        if self.paused {
            self.pump(conn);
        }
    }
}

#[test]
fn a_send_only_notifier_pausing_until_unthrottled_moves_1_gib() {
    let (addr, progress, done) = counting_peer();
    let client = Reactor::spawn(TcpConfig::default()).unwrap();
    let notify = SendOnly {
        chunk: vec![0x5a; CHUNK],
        written: 0,
        paused: false,
        throttles: 0,
    };
    TcpConnection::connect_addrs(client.handle(), vec![addr], notify).unwrap();
    let total = wait_for_all(&progress, &done, "the notifier writer");
    assert_eq!(total, TOTAL);
}

/// Reports backpressure transitions to the writing thread.
struct Pressure(Sender<bool>);

impl TcpNotify for Pressure {
    fn throttled(&mut self, _conn: &mut TcpConn<'_>) {
        let _ = self.0.send(true);
    }
    fn unthrottled(&mut self, _conn: &mut TcpConn<'_>) {
        let _ = self.0.send(false);
    }
}

#[test]
fn a_send_only_handle_writer_pausing_until_unthrottled_moves_1_gib() {
    let (addr, progress, done) = counting_peer();
    let client = Reactor::spawn(TcpConfig::default()).unwrap();
    let (pressure_tx, pressure) = mpsc::channel();
    let conn =
        TcpConnection::connect_addrs(client.handle(), vec![addr], Pressure(pressure_tx)).unwrap();
    let writer = std::thread::spawn(move || {
        let chunk = vec![0xa5; CHUNK];
        let mut written = 0u64;
        while written < TOTAL {
            match conn.write(chunk.as_slice()) {
                Ok(()) => written += CHUNK as u64,
                Err(HandleError::Write(WriteError::LimitExceeded { .. })) => {
                    // Pause until unthrottled (a `throttled` comes first).
                    loop {
                        match pressure.recv_timeout(STALL) {
                            Ok(false) => break,
                            Ok(true) => {}
                            Err(_) => return written,
                        }
                    }
                }
                Err(HandleError::Busy) => std::thread::yield_now(),
                Err(err) => panic!("write failed: {err}"),
            }
        }
        conn.close().unwrap();
        written
    });
    let total = wait_for_all(&progress, &done, "the handle writer");
    assert_eq!(total, TOTAL);
    assert_eq!(writer.join().unwrap(), TOTAL);
}
