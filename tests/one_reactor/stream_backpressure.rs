//! A stream core whose peer reads slowly keeps its bytes to itself: the adapter asks it
//! for output only while the connection has room and is not throttled, so what it has
//! produced stays within the send limit plus the kernel's buffers, and every byte still
//! arrives, in order.

use crate::util::PATIENCE;
use hark::tcp::{
    Reactor, ReactorConfig, StreamCore, StreamNotify, TcpConn, TcpListener, TcpNotify,
};
use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const TOTAL: u64 = 64 * 1024 * 1024;

/// Produces `TOTAL` pattern bytes on demand (nothing buffered), then asks to close.
struct Producer {
    produced: Arc<AtomicU64>,
}

impl StreamCore for Producer {
    type Event = ();
    fn handle_bytes(&mut self, _now: Instant, _data: &[u8]) {}
    fn poll_transmit(&mut self, _now: Instant, buf: &mut [u8]) -> usize {
        let start = self.produced.load(Ordering::SeqCst);
        let n = (buf.len() as u64).min(TOTAL - start) as usize;
        for (i, byte) in buf[..n].iter_mut().enumerate() {
            *byte = ((start + i as u64) % 251) as u8;
        }
        self.produced.store(start + n as u64, Ordering::SeqCst);
        n
    }
    fn poll_event(&mut self) -> Option<()> {
        None
    }
    fn wants_close(&self) -> bool {
        self.produced.load(Ordering::SeqCst) == TOTAL
    }
}

#[test]
fn a_slow_reader_throttles_a_stream_core_and_every_byte_arrives() {
    let reactor = Reactor::spawn(ReactorConfig::default()).unwrap();
    let produced = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&produced);
    let listener = TcpListener::bind(
        reactor.handle(),
        "127.0.0.1:0".parse().unwrap(),
        move |_peer| {
            let core = Producer {
                produced: Arc::clone(&counter),
            };
            let none = |_: &mut TcpConn<'_>, _: &mut Producer, (): ()| {};
            Some(Box::new(StreamNotify::new(core, none)) as Box<dyn TcpNotify>)
        },
    )
    .unwrap();
    let mut stream = std::net::TcpStream::connect(listener.local_addr()).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();

    // Not reading yet: the core may fill the send limit and the kernel's buffers, no more.
    std::thread::sleep(Duration::from_millis(700));
    let early = produced.load(Ordering::SeqCst);
    let limit = ReactorConfig::default().tcp.send_limit as u64;
    assert!(
        early > 0 && early <= limit + 32 * 1024 * 1024,
        "produced {early} bytes for a peer that read nothing"
    );

    let mut buf = vec![0u8; 256 * 1024];
    let mut got = 0u64;
    loop {
        let n = stream.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        for (i, &byte) in buf[..n].iter().enumerate() {
            assert_eq!(
                byte,
                ((got + i as u64) % 251) as u8,
                "byte {}",
                got + i as u64
            );
        }
        got += n as u64;
    }
    assert_eq!(got, TOTAL, "every byte, then a graceful close");
    println!("stream backpressure: {early} bytes produced before the reader started");
}
