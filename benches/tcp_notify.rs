//! Notifier TCP (hark) against a hand-written mio echo loop, in the same run: bulk echo
//! throughput and 1-byte ping-pong round trips. The client is the same blocking socket
//! code for both servers, so only the server side differs, and each timed iteration of
//! one server is followed by an untimed one of the other, so both see the same load.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hark::tcp::{TcpConfig, TcpConn, TcpListener, TcpNotify, TcpReactor};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

const BULK: usize = 8 * 1024 * 1024;
const CHUNK: usize = 64 * 1024;

/// The echo notifier of `crates/hark/examples/tcp_echo.rs`.
struct Echo;

impl TcpNotify for Echo {
    fn received(&mut self, conn: &mut TcpConn<'_>, data: &[u8], _times: usize) -> bool {
        if conn.write(data).is_err() {
            conn.hard_close();
        }
        true
    }
    fn throttled(&mut self, conn: &mut TcpConn<'_>) {
        conn.mute();
    }
    fn unthrottled(&mut self, conn: &mut TcpConn<'_>) {
        conn.unmute();
    }
}

/// A hand-written mio echo server: read into one buffer, write it back, and while a
/// write is incomplete stop reading until the rest is out.
mod mio_echo {
    use mio::net::{TcpListener, TcpStream};
    use mio::{Events, Interest, Poll, Token, Waker};
    use std::collections::HashMap;
    use std::io::{self, Read, Write};
    use std::net::SocketAddr;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    const LISTENER: Token = Token(0);
    const WAKER: Token = Token(1);

    struct Conn {
        stream: TcpStream,
        pending: Vec<u8>,
        written: usize,
    }

    pub struct Server {
        pub addr: SocketAddr,
        stop: Arc<AtomicBool>,
        waker: Arc<Waker>,
        thread: Option<std::thread::JoinHandle<()>>,
    }

    impl Drop for Server {
        fn drop(&mut self) {
            self.stop.store(true, Ordering::SeqCst);
            let _ = self.waker.wake();
            if let Some(thread) = self.thread.take() {
                let _ = thread.join();
            }
        }
    }

    pub fn spawn() -> Server {
        let poll = Poll::new().unwrap();
        let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = listener.local_addr().unwrap();
        poll.registry()
            .register(&mut listener, LISTENER, Interest::READABLE)
            .unwrap();
        let waker = Arc::new(Waker::new(poll.registry(), WAKER).unwrap());
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || run(poll, listener, &flag));
        Server {
            addr,
            stop,
            waker,
            thread: Some(thread),
        }
    }

    fn run(mut poll: Poll, listener: TcpListener, stop: &AtomicBool) {
        let mut events = Events::with_capacity(1024);
        let mut conns: HashMap<Token, Conn> = HashMap::new();
        let mut next = 2;
        let mut buf = vec![0; 64 * 1024];
        while !stop.load(Ordering::SeqCst) {
            poll.poll(&mut events, None).unwrap();
            for event in events.iter() {
                match event.token() {
                    WAKER => {}
                    LISTENER => loop {
                        match listener.accept() {
                            Ok((mut stream, _)) => {
                                stream.set_nodelay(true).unwrap();
                                let token = Token(next);
                                next += 1;
                                poll.registry()
                                    .register(
                                        &mut stream,
                                        token,
                                        Interest::READABLE | Interest::WRITABLE,
                                    )
                                    .unwrap();
                                conns.insert(
                                    token,
                                    Conn {
                                        stream,
                                        pending: Vec::new(),
                                        written: 0,
                                    },
                                );
                            }
                            Err(err) if err.kind() == io::ErrorKind::WouldBlock => break,
                            Err(err) => panic!("accept: {err}"),
                        }
                    },
                    token => {
                        let Some(conn) = conns.get_mut(&token) else {
                            continue;
                        };
                        if !serve(conn, &mut buf) {
                            conns.remove(&token);
                        }
                    }
                }
            }
        }
    }

    /// Flushes pending bytes, then echoes until would-block. False when the peer left.
    fn serve(conn: &mut Conn, buf: &mut [u8]) -> bool {
        loop {
            while conn.written < conn.pending.len() {
                match conn.stream.write(&conn.pending[conn.written..]) {
                    Ok(n) => conn.written += n,
                    Err(err) if err.kind() == io::ErrorKind::WouldBlock => return true,
                    Err(_) => return false,
                }
            }
            conn.pending.clear();
            conn.written = 0;
            let n = match conn.stream.read(buf) {
                Ok(0) => return false,
                Ok(n) => n,
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => return true,
                Err(_) => return false,
            };
            match conn.stream.write(&buf[..n]) {
                Ok(w) if w == n => {}
                Ok(w) => conn.pending.extend_from_slice(&buf[w..n]),
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                    conn.pending.extend_from_slice(&buf[..n])
                }
                Err(_) => return false,
            }
        }
    }
}

fn client(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_nodelay(true).unwrap();
    stream
}

/// Sends `BULK` bytes from a second thread while reading the echo back on this one.
fn bulk_echo(stream: &mut TcpStream, out: &[u8], back: &mut [u8]) {
    let mut writer = stream.try_clone().unwrap();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            for _ in 0..BULK / CHUNK {
                writer.write_all(out).unwrap();
            }
        });
        let mut left = BULK;
        while left > 0 {
            let n = stream.read(back).unwrap();
            assert!(n > 0, "the echo server closed early");
            left -= n;
        }
    });
}

fn ping_pong(stream: &mut TcpStream) {
    let mut byte = [0u8; 1];
    stream.write_all(b"p").unwrap();
    stream.read_exact(&mut byte).unwrap();
}

/// Times `run(subject)` per iteration while running the other server's iteration, untimed,
/// right after each one: both see the same machine load, which on a shared machine
/// matters more than anything the servers do.
fn interleaved(b: &mut criterion::Bencher<'_>, subject: usize, mut run: impl FnMut(usize)) {
    b.iter_custom(|iters| {
        let mut timed = Duration::ZERO;
        for _ in 0..iters {
            let start = Instant::now();
            run(subject);
            timed += start.elapsed();
            run(1 - subject);
        }
        timed
    });
}

fn bench(c: &mut Criterion) {
    let reactor = TcpReactor::spawn(TcpConfig::default()).unwrap();
    let hark_server =
        TcpListener::bind(reactor.handle(), "127.0.0.1:0".parse().unwrap(), |_peer| {
            Some(Box::new(Echo) as Box<dyn TcpNotify>)
        })
        .unwrap();
    let mio_server = mio_echo::spawn();
    let names = ["hark_notify", "mio_by_hand"];
    let mut streams = [client(hark_server.local_addr()), client(mio_server.addr)];

    let out = vec![0x5a; CHUNK];
    let mut back = vec![0; CHUNK];
    let mut group = c.benchmark_group("tcp_bulk_echo");
    group.throughput(Throughput::Bytes(BULK as u64));
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(10));
    for (subject, name) in names.into_iter().enumerate() {
        group.bench_function(name, |b| {
            interleaved(b, subject, |which| {
                bulk_echo(&mut streams[which], &out, &mut back)
            })
        });
    }
    group.finish();

    // Fresh connections, so nothing left from the bulk phase carries over.
    let mut streams = [client(hark_server.local_addr()), client(mio_server.addr)];
    let mut group = c.benchmark_group("tcp_ping_pong");
    group.throughput(Throughput::Elements(1));
    group.measurement_time(Duration::from_secs(5));
    for (subject, name) in names.into_iter().enumerate() {
        group.bench_function(name, |b| {
            interleaved(b, subject, |which| ping_pong(&mut streams[which]))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
