//! Everything at once on one reactor thread: a uTP transfer, a TCP echo notifier with a
//! timer, a TLS echo whose server is a sans-IO stream core with a timer, and the delayed
//! echo UDP core sharing the uTP socket's port.

use crate::util::{DelayedEcho, PATIENCE, Threads, expect_msg, note_thread};
use hark::tcp::tls::TlsNotify;
use hark::tcp::tls::rustls::pki_types::{
    CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName,
};
use hark::tcp::tls::rustls::{self, ClientConfig, RootCertStore, ServerConfig};
use hark::tcp::{
    Reactor, ReactorConfig, StreamCore, StreamNotify, TcpConn, TcpConnection, TcpListener,
    TcpNotify,
};
use hark::utp::{Callbacks, EndpointConfig, UtpContext, UtpReactor, UtpState};
use std::io::{Read, Write};
use std::net::UdpSocket;
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TICK: Duration = Duration::from_millis(30);

/// Echoes, and 30 ms after being accepted writes `tick\n` once (a notifier timer).
struct TickEcho {
    tick_at: Option<Instant>,
    threads: Threads,
}

impl TcpNotify for TickEcho {
    fn accepted(&mut self, _conn: &mut TcpConn<'_>) {
        note_thread(&self.threads);
        self.tick_at = Some(Instant::now() + TICK);
    }
    fn received(&mut self, conn: &mut TcpConn<'_>, data: &[u8], _times: usize) -> bool {
        note_thread(&self.threads);
        conn.write(data).is_ok()
    }
    fn poll_timeout(&self) -> Option<Instant> {
        self.tick_at
    }
    fn handle_timeout(&mut self, conn: &mut TcpConn<'_>, now: Instant) {
        note_thread(&self.threads);
        if self.tick_at.is_some_and(|at| at <= now) {
            self.tick_at = None;
            let _ = conn.write(b"tick\n");
        }
    }
}

/// A sans-IO stream core: echoes, and 30 ms after the connection is up sends `TICK`.
struct EchoCore {
    out: Vec<u8>,
    tick_at: Option<Instant>,
    events: Vec<usize>,
    threads: Threads,
}

impl StreamCore for EchoCore {
    type Event = usize;
    fn handle_connected(&mut self, now: Instant) {
        self.tick_at = Some(now + TICK);
    }
    fn handle_bytes(&mut self, _now: Instant, data: &[u8]) {
        note_thread(&self.threads);
        self.out.extend_from_slice(data);
        self.events.push(data.len());
    }
    fn poll_transmit(&mut self, _now: Instant, buf: &mut [u8]) -> usize {
        let n = buf.len().min(self.out.len());
        buf[..n].copy_from_slice(&self.out[..n]);
        self.out.drain(..n);
        n
    }
    fn poll_event(&mut self) -> Option<usize> {
        self.events.pop()
    }
    fn poll_timeout(&self) -> Option<Instant> {
        self.tick_at
    }
    fn handle_timeout(&mut self, now: Instant) {
        note_thread(&self.threads);
        if self.tick_at.is_some_and(|at| at <= now) {
            self.tick_at = None;
            self.out.extend_from_slice(b"TICK");
        }
    }
}

/// The TLS client: sends `secret`, collects until it has the echo and the tick.
struct TlsClient {
    got: Vec<u8>,
    done: Sender<Vec<u8>>,
    threads: Threads,
}

impl TcpNotify for TlsClient {
    fn connected(&mut self, conn: &mut TcpConn<'_>) {
        note_thread(&self.threads);
        conn.write(b"secret").unwrap();
    }
    fn received(&mut self, conn: &mut TcpConn<'_>, data: &[u8], _times: usize) -> bool {
        note_thread(&self.threads);
        self.got.extend_from_slice(data);
        if self.got.len() >= 10 {
            let _ = self.done.send(std::mem::take(&mut self.got));
            conn.close();
        }
        true
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn tls_configs() -> (Arc<ServerConfig>, Arc<ClientConfig>) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let key = PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der());
    let cert: CertificateDer<'static> = certified.cert.der().clone();
    let key: PrivateKeyDer<'static> = key.into();
    let server = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .unwrap();
    let mut roots = RootCertStore::empty();
    roots.add(cert).unwrap();
    let client = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    (Arc::new(server), Arc::new(client))
}

/// Short uTP timers, so the linger before DESTROYING (a uTP timer) ends quickly.
fn quick_utp() -> EndpointConfig {
    let mut config = EndpointConfig::default();
    config.connection.linger = Duration::from_millis(50);
    config
}

/// A receiver that closes on EOF and reports everything it read when destroyed.
fn receiving(done: Sender<Vec<u8>>, threads: &Threads) -> Callbacks {
    let received = Arc::new(Mutex::new(Vec::new()));
    let into = Arc::clone(&received);
    let (read_threads, state_threads) = (Arc::clone(threads), Arc::clone(threads));
    Callbacks::new()
        .on_accept(|_cx, _socket, _addr| {})
        .on_read(move |_cx, _socket, data| {
            note_thread(&read_threads);
            into.lock().unwrap().extend_from_slice(data);
        })
        .on_state_change(move |cx, socket, state| {
            note_thread(&state_threads);
            match state {
                UtpState::Eof => cx.close(socket),
                UtpState::Destroying => {
                    let _ = done.send(std::mem::take(&mut *received.lock().unwrap()));
                }
                _ => {}
            }
        })
}

/// A sender that writes `data` from on_connect and WRITABLE, then closes.
fn sending(data: Vec<u8>, threads: &Threads) -> Callbacks {
    let state = Arc::new(Mutex::new((data, 0usize)));
    let on_connect = Arc::clone(&state);
    let pump = |state: &Mutex<(Vec<u8>, usize)>, cx: &mut hark::utp::ContextHandle<'_>, socket| {
        let mut state = state.lock().unwrap();
        let (data, offset) = &mut *state;
        while *offset < data.len() {
            let n = cx.write(socket, &data[*offset..]);
            if n == 0 {
                return;
            }
            *offset += n;
        }
        cx.close(socket);
    };
    let (connect_threads, state_threads) = (Arc::clone(threads), Arc::clone(threads));
    Callbacks::new()
        .on_connect(move |cx, socket| {
            note_thread(&connect_threads);
            pump(&on_connect, cx, socket);
        })
        .on_state_change(move |cx, socket, utp_state| {
            note_thread(&state_threads);
            if utp_state == UtpState::Writable {
                pump(&state, cx, socket);
            }
        })
}

#[test]
fn utp_tcp_tls_and_a_udp_core_share_one_reactor_thread_with_timers_for_each() {
    let threads = Threads::default();
    let reactor = Reactor::spawn(ReactorConfig::default()).unwrap();
    let handle = reactor.handle().clone();

    // uTP: both ends on the reactor.
    let (received_tx, received) = mpsc::channel();
    let server = UtpReactor::bind_on(
        &handle,
        UtpContext::builder()
            .endpoint_config(quick_utp())
            .callbacks(receiving(received_tx, &threads)),
        "127.0.0.1:0".parse().unwrap(),
    )
    .unwrap();
    let data: Vec<u8> = (0..2_000_000u32).map(|i| (i * 31 % 251) as u8).collect();
    let client = UtpReactor::bind_on(
        &handle,
        UtpContext::builder()
            .endpoint_config(quick_utp())
            .callbacks(sending(data.clone(), &threads)),
        "127.0.0.1:0".parse().unwrap(),
    )
    .unwrap();

    // The delayed echo core on the uTP server's port.
    let (core_tx, core_rx) = mpsc::channel();
    let socket = server.socket_id();
    let echo = DelayedEcho::new(TICK, &threads);
    handle
        .with_reactor(move |reactor, _now| {
            let _ = core_tx.send(reactor.add_core(socket, echo));
        })
        .unwrap();
    let core = expect_msg(&core_rx, "the core's id").expect("the socket is on the reactor");

    // TCP: an echo notifier with a timer.
    let tcp_threads = Arc::clone(&threads);
    let tcp = TcpListener::bind(&handle, "127.0.0.1:0".parse().unwrap(), move |_peer| {
        let echo = TickEcho {
            tick_at: None,
            threads: Arc::clone(&tcp_threads),
        };
        Some(Box::new(echo) as Box<dyn TcpNotify>)
    })
    .unwrap();

    // TLS: a stream core with a timer behind the TLS notifier; the client on the reactor too.
    let (server_tls, client_tls) = tls_configs();
    let core_threads = Arc::clone(&threads);
    let tls = TcpListener::bind(&handle, "127.0.0.1:0".parse().unwrap(), move |_peer| {
        let core = EchoCore {
            out: Vec::new(),
            tick_at: None,
            events: Vec::new(),
            threads: Arc::clone(&core_threads),
        };
        let ignore = |_conn: &mut TcpConn<'_>, _core: &mut EchoCore, _len: usize| {};
        let notify = TlsNotify::server(Arc::clone(&server_tls), StreamNotify::new(core, ignore));
        Some(Box::new(notify.unwrap()) as Box<dyn TcpNotify>)
    })
    .unwrap();

    // All at once.
    let started = Instant::now();
    client.remote().connect(server.local_addr()).unwrap();
    let (tls_tx, tls_done) = mpsc::channel();
    let tls_client = TlsClient {
        got: Vec::new(),
        done: tls_tx,
        threads: Arc::clone(&threads),
    };
    let name = ServerName::try_from("localhost").unwrap();
    TcpConnection::connect_addrs(
        &handle,
        vec![tls.local_addr()],
        TlsNotify::client(client_tls, name, tls_client).unwrap(),
    )
    .unwrap();
    let mut stream = std::net::TcpStream::connect(tcp.local_addr()).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream.write_all(b"hello").unwrap();
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.set_read_timeout(Some(PATIENCE)).unwrap();
    let udp_sent = Instant::now();
    udp.send_to(b"RR?42", server.local_addr()).unwrap();

    // The UDP core answered on the shared port, after its own timer.
    let mut buf = [0u8; 64];
    let (len, from) = udp.recv_from(&mut buf).unwrap();
    assert_eq!((&buf[..len], from), (&b"RR!42"[..], server.local_addr()));
    assert!(
        udp_sent.elapsed() >= TICK,
        "the UDP core's timer fired early"
    );

    // The TCP echo and its timer's tick.
    let mut back = [0u8; 10];
    stream.read_exact(&mut back).unwrap();
    assert!(
        &back == b"hellotick\n" || &back == b"tick\nhello",
        "{:?}",
        String::from_utf8_lossy(&back)
    );

    // The TLS echo through the stream core, and the core's tick.
    let tls_got = expect_msg(&tls_done, "the TLS echo");
    assert!(
        tls_got == b"secretTICK" || tls_got == b"TICKsecret",
        "{:?}",
        String::from_utf8_lossy(&tls_got)
    );

    // The uTP transfer, ended by its linger timer.
    let got = match received.recv_timeout(PATIENCE) {
        Ok(got) => got,
        Err(_) => {
            let s = server
                .remote()
                .with_context(|c| format!("{:?} sockets {}", c.context_stats(), c.socket_count()))
                .unwrap();
            let c = client
                .remote()
                .with_context(|c| format!("{:?} sockets {}", c.context_stats(), c.socket_count()))
                .unwrap();
            panic!("uTP stalled: server {s}\nclient {c}");
        }
    };
    assert_eq!(got.len(), data.len());
    assert!(got == data, "the uTP bytes arrived intact");
    assert!(started.elapsed() < PATIENCE);

    // One thread did all of it: the reactor's.
    let seen = threads.lock().unwrap().clone();
    assert_eq!(seen, ["hark-reactor"], "callbacks ran on {seen:?}");

    let server_context = server.stop().unwrap();
    assert!(server_context.context_stats().datagrams > 0);
    drop(client);
    let reactor = reactor.shutdown().unwrap();
    let stats = reactor.stats();
    assert!(stats.timers_fired >= 4, "{stats:?}");
    // The socket went off the reactor with the uTP context, and the core with it.
    assert!(reactor.core::<DelayedEcho>(core).is_none());
}
