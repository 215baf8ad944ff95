//! A slow reader throttles the writer; nothing is lost (checksum over 256 MB).

use crate::util::{Signals, StreamHash, expect_msg, fill_pseudo_random};
use hark::tcp::{
    HandleError, Reactor, TcpConfig, TcpConn, TcpConnection, TcpListener, TcpNotify, WriteError,
};
use std::sync::mpsc::{self, Sender};

const TOTAL: usize = 256 * 1024 * 1024;
const CHUNK: usize = 64 * 1024;

/// Hashes everything received; starts muted so the writer runs into backpressure.
struct SlowReader {
    hash: StreamHash,
    signals: Signals,
    result: Sender<(u64, u64)>,
}

impl TcpNotify for SlowReader {
    fn accepted(&mut self, conn: &mut TcpConn<'_>) {
        conn.mute();
        self.signals.accepted(conn);
    }
    fn received(&mut self, _conn: &mut TcpConn<'_>, data: &[u8], _times: usize) -> bool {
        self.hash.update(data);
        true
    }
    fn closed(&mut self, _conn: &mut TcpConn<'_>) {
        let _ = self.result.send(self.hash.finish());
    }
}

/// Reports throttle transitions to the producer thread.
struct Pressure(Sender<&'static str>);

impl TcpNotify for Pressure {
    fn throttled(&mut self, _conn: &mut TcpConn<'_>) {
        let _ = self.0.send("throttled");
    }
    fn unthrottled(&mut self, _conn: &mut TcpConn<'_>) {
        let _ = self.0.send("unthrottled");
    }
}

#[test]
fn slow_reader_throttles_the_writer_and_no_byte_is_lost() {
    let server = Reactor::spawn(TcpConfig::default()).unwrap();
    let (accepted_tx, accepted) = mpsc::channel();
    let (closed_tx, _closed) = mpsc::channel();
    let (result_tx, result) = mpsc::channel();
    let listener = TcpListener::bind(
        server.handle(),
        "127.0.0.1:0".parse().unwrap(),
        move |_peer| {
            let notify: Box<dyn TcpNotify> = Box::new(SlowReader {
                hash: StreamHash::default(),
                signals: Signals {
                    connected: accepted_tx.clone(),
                    closed: closed_tx.clone(),
                },
                result: result_tx.clone(),
            });
            Some(notify)
        },
    )
    .unwrap();

    let client = Reactor::spawn(TcpConfig::default()).unwrap();
    let (pressure_tx, pressure) = mpsc::channel();
    let conn = TcpConnection::connect_addrs(
        client.handle(),
        vec![listener.local_addr()],
        Pressure(pressure_tx),
    )
    .unwrap();
    let reader = expect_msg(&accepted, "the accepted connection");

    // The producer writes as fast as the limit allows, and waits for `unthrottled`
    // whenever a write is refused while throttled.
    let mut seed = 0xfeed_u64;
    let mut sent = StreamHash::default();
    let mut chunk = vec![0; CHUNK];
    let mut transitions = Vec::new();
    let mut written = 0;
    let mut unmuted = false;
    while written < TOTAL {
        fill_pseudo_random(&mut seed, &mut chunk);
        loop {
            match conn.write(chunk.as_slice()) {
                Ok(()) => break,
                Err(HandleError::Write(WriteError::LimitExceeded { .. }) | HandleError::Busy) => {
                    let seen = pressure.recv_timeout(std::time::Duration::from_millis(5));
                    if let Ok(transition) = seen {
                        transitions.push(transition);
                        if transition == "throttled" && !unmuted {
                            // The reader has been muted so far; let it read now.
                            reader.unmute().unwrap();
                            unmuted = true;
                        }
                    }
                }
                Err(err) => panic!("write failed: {err}"),
            }
        }
        sent.update(&chunk);
        written += CHUNK;
    }
    conn.close().unwrap();
    let received = expect_msg(&result, "the reader's checksum");
    assert_eq!(
        received,
        sent.finish(),
        "checksum and length of all {TOTAL} bytes"
    );
    transitions.extend(pressure.try_iter());
    assert!(
        unmuted,
        "the writer was throttled while the reader was muted"
    );
    assert!(transitions.contains(&"unthrottled"), "{transitions:?}");
    for pair in transitions.chunks(2) {
        assert_eq!(
            pair[0], "throttled",
            "transitions alternate: {transitions:?}"
        );
        if let Some(second) = pair.get(1) {
            assert_eq!(
                *second, "unthrottled",
                "transitions alternate: {transitions:?}"
            );
        }
    }
}
