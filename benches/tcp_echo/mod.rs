//! The two echo servers compared by `benches/tcp_notify.rs` and `benches/tcp_ratio/`: the
//! notifier echo of `crates/hark/examples/tcp_echo.rs` on a [`Reactor`], and a
//! hand-written mio echo loop; plus the blocking client both are driven by.
//!
//! Each server loop runs in a function of its own ([`serve_hark_notify`],
//! [`serve_mio_by_hand`]) on a thread of its own, so callgrind can count that thread's
//! instructions alone (`--toggle-collect`).

use hark::tcp::{Reactor, ReactorHandle, TcpConfig, TcpConn, TcpListener, TcpNotify};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The client's write size in a bulk round.
pub const CHUNK: usize = 64 * 1024;

/// The two servers, in the order the reports print them.
pub const NAMES: [&str; 2] = ["hark_notify", "mio_by_hand"];

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

/// Pins the calling thread to one CPU: the servers to the last, their client to the first.
/// Both servers then run under the same scheduling (a round trip costs very different
/// amounts depending on whether client and server share a CPU, and which way the
/// scheduler places them can change from run to run). Does nothing if the kernel refuses.
pub fn pin_to_cpu(role: Role) {
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    let cpu = match role {
        Role::Server => cpus - 1,
        Role::Client => 0,
    };
    // SAFETY: `set` is a plain bitmask owned by this frame; sched_setaffinity reads
    // `size_of::<cpu_set_t>()` bytes of it and affects only the calling thread (pid 0).
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        let _ = libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

/// Which side of a benchmark a thread is, for [`pin_to_cpu`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// An echo server's loop thread.
    Server,
    /// The thread driving the clients.
    Client,
}

/// The reactor's loop; a function of its own so a profiler can single it out.
#[inline(never)]
pub fn serve_hark_notify(mut reactor: Reactor) {
    reactor.run().expect("the hark reactor failed");
}

/// The notifier echo server on its own reactor thread (named `hark-notify`).
pub struct HarkServer {
    /// Where it listens.
    pub addr: SocketAddr,
    handle: ReactorHandle,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl HarkServer {
    /// Starts the reactor and its echo listener on a loopback port.
    pub fn spawn() -> HarkServer {
        let reactor = Reactor::new(TcpConfig::default()).expect("reactor");
        let handle = reactor.handle();
        let thread = std::thread::Builder::new()
            .name("hark-notify".into())
            .spawn(move || {
                pin_to_cpu(Role::Server);
                serve_hark_notify(reactor);
            })
            .expect("spawn");
        let new_echo = |_peer| Some(Box::new(Echo) as Box<dyn TcpNotify>);
        let listener = TcpListener::bind(&handle, "127.0.0.1:0".parse().expect("addr"), new_echo)
            .expect("listen");
        HarkServer {
            addr: listener.local_addr(),
            handle,
            thread: Some(thread),
        }
    }
}

impl Drop for HarkServer {
    fn drop(&mut self) {
        self.handle.shutdown();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A hand-written mio echo server (thread `mio-by-hand`): read into one buffer, write it
/// back, and while a write is incomplete stop reading until the rest is out.
pub struct MioServer {
    /// Where it listens.
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    waker: Arc<mio::Waker>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl MioServer {
    /// Starts the loop on a loopback port.
    pub fn spawn() -> MioServer {
        let poll = mio::Poll::new().expect("poll");
        let mut listener =
            mio::net::TcpListener::bind("127.0.0.1:0".parse().expect("addr")).expect("bind");
        let addr = listener.local_addr().expect("addr");
        poll.registry()
            .register(&mut listener, mio_echo::LISTENER, mio::Interest::READABLE)
            .expect("register");
        let waker = Arc::new(mio::Waker::new(poll.registry(), mio_echo::WAKER).expect("waker"));
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("mio-by-hand".into())
            .spawn(move || {
                pin_to_cpu(Role::Server);
                serve_mio_by_hand(poll, listener, &flag);
            })
            .expect("spawn");
        MioServer {
            addr,
            stop,
            waker,
            thread: Some(thread),
        }
    }
}

impl Drop for MioServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = self.waker.wake();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The hand-written loop; a function of its own so a profiler can single it out.
#[inline(never)]
pub fn serve_mio_by_hand(poll: mio::Poll, listener: mio::net::TcpListener, stop: &AtomicBool) {
    mio_echo::run(poll, listener, stop);
}

mod mio_echo {
    use mio::net::{TcpListener, TcpStream};
    use mio::{Events, Interest, Poll, Token};
    use std::collections::HashMap;
    use std::io::{self, Read, Write};
    use std::sync::atomic::{AtomicBool, Ordering};

    pub const LISTENER: Token = Token(0);
    pub const WAKER: Token = Token(1);

    struct Conn {
        stream: TcpStream,
        pending: Vec<u8>,
        written: usize,
    }

    pub fn run(mut poll: Poll, listener: TcpListener, stop: &AtomicBool) {
        let mut events = Events::with_capacity(1024);
        let mut conns: HashMap<Token, Conn> = HashMap::new();
        let mut next = 2;
        let mut buf = vec![0; 64 * 1024];
        while !stop.load(Ordering::SeqCst) {
            if let Err(err) = poll.poll(&mut events, None) {
                assert_eq!(err.kind(), io::ErrorKind::Interrupted, "poll: {err}");
                continue;
            }
            for event in events.iter() {
                match event.token() {
                    WAKER => {}
                    LISTENER => loop {
                        match listener.accept() {
                            Ok((mut stream, _)) => {
                                stream.set_nodelay(true).expect("nodelay");
                                let token = Token(next);
                                next += 1;
                                poll.registry()
                                    .register(
                                        &mut stream,
                                        token,
                                        Interest::READABLE | Interest::WRITABLE,
                                    )
                                    .expect("register");
                                let conn = Conn {
                                    stream,
                                    pending: Vec::new(),
                                    written: 0,
                                };
                                conns.insert(token, conn);
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

/// A blocking client connection with `TCP_NODELAY`.
pub fn client(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    stream
}

/// Sends `total` bytes in `CHUNK`s from a second thread while reading the echo back on
/// this one.
pub fn bulk_echo(stream: &mut TcpStream, total: usize, out: &[u8], back: &mut [u8]) {
    let mut writer = stream.try_clone().expect("clone");
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let mut left = total;
            while left > 0 {
                let len = left.min(out.len());
                writer.write_all(&out[..len]).expect("write");
                left -= len;
            }
        });
        let mut left = total;
        while left > 0 {
            let n = stream.read(back).expect("read");
            assert!(n > 0, "the echo server closed early");
            left = left.saturating_sub(n);
        }
    });
}

/// One 1-byte round trip.
pub fn ping_pong(stream: &mut TcpStream) {
    let mut byte = [0u8; 1];
    stream.write_all(b"p").expect("write");
    stream.read_exact(&mut byte).expect("read");
}
