//! TLS through the wrapping notifier: an echo with a self-signed certificate, inner
//! `expect` framing over TLS, and a wrong certificate giving `auth_failed`.

use crate::util::expect_msg;
use hark::tcp::tls::TlsNotify;
use hark::tcp::tls::rustls::pki_types::{
    CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName,
};
use hark::tcp::tls::rustls::{self, ClientConfig, RootCertStore, ServerConfig};
use hark::tcp::{Reactor, TcpConfig, TcpConn, TcpConnection, TcpListener, TcpNotify};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::mpsc::{self, Sender};

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A self-signed certificate for `localhost` and its key.
fn self_signed() -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let key = PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der());
    (certified.cert.der().clone(), key.into())
}

fn server_config(cert: CertificateDer<'static>, key: PrivateKeyDer<'static>) -> Arc<ServerConfig> {
    let config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
    Arc::new(config)
}

fn client_config(trusted: CertificateDer<'static>) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    roots.add(trusted).unwrap();
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}

struct Echo;

impl TcpNotify for Echo {
    fn received(&mut self, conn: &mut TcpConn<'_>, data: &[u8], _times: usize) -> bool {
        conn.write(data).is_ok()
    }
}

/// Client: sends three 5-byte messages in one write, expects 5-byte frames back.
struct Client {
    log: Vec<String>,
    done: Sender<Vec<String>>,
    frames: usize,
}

impl TcpNotify for Client {
    fn connected(&mut self, conn: &mut TcpConn<'_>) {
        self.log.push("connected".into());
        conn.expect(5).unwrap();
        conn.write(b"helloworld!!!!!").unwrap();
    }
    fn auth_failed(&mut self, _conn: &mut TcpConn<'_>) {
        self.log.push("auth_failed".into());
    }
    fn received(&mut self, conn: &mut TcpConn<'_>, data: &[u8], _times: usize) -> bool {
        self.log.push(String::from_utf8_lossy(data).into_owned());
        self.frames += 1;
        if self.frames == 3 {
            conn.close();
        }
        true
    }
    fn closed(&mut self, _conn: &mut TcpConn<'_>) {
        self.log.push("closed".into());
        let _ = self.done.send(std::mem::take(&mut self.log));
    }
}

fn tls_echo_server(config: Arc<ServerConfig>) -> (hark::tcp::ReactorThread, SocketAddr) {
    let server = Reactor::spawn(TcpConfig::default()).unwrap();
    let listener = TcpListener::bind(
        server.handle(),
        "127.0.0.1:0".parse().unwrap(),
        move |_peer| {
            let tls = TlsNotify::server(config.clone(), Echo).unwrap();
            Some(Box::new(tls) as Box<dyn TcpNotify>)
        },
    )
    .unwrap();
    let addr = listener.local_addr();
    (server, addr)
}

fn run_client(addr: SocketAddr, config: Arc<ClientConfig>) -> Vec<String> {
    let client = Reactor::spawn(TcpConfig::default()).unwrap();
    let (done, log) = mpsc::channel();
    let inner = Client {
        log: Vec::new(),
        done,
        frames: 0,
    };
    let name = ServerName::try_from("localhost").unwrap();
    let tls = TlsNotify::client(config, name, inner).unwrap();
    TcpConnection::connect_addrs(client.handle(), vec![addr], tls).unwrap();
    expect_msg(&log, "the TLS client's log")
}

#[test]
fn tls_echo_with_a_self_signed_certificate_and_inner_framing() {
    let (cert, key) = self_signed();
    let (_server, addr) = tls_echo_server(server_config(cert.clone(), key));
    let log = run_client(addr, client_config(cert));
    assert_eq!(log, ["connected", "hello", "world", "!!!!!", "closed"]);
}

#[test]
fn a_wrong_certificate_gives_auth_failed_then_closed() {
    let (cert, key) = self_signed();
    let (other_cert, _other_key) = self_signed();
    let (_server, addr) = tls_echo_server(server_config(cert, key));
    let log = run_client(addr, client_config(other_cert));
    assert_eq!(log, ["auth_failed", "closed"]);
}

/// Sends `total` pseudo-random bytes over TLS and checks the echo.
struct BulkClient {
    sent: crate::util::StreamHash,
    received: crate::util::StreamHash,
    total: usize,
    done: Sender<bool>,
}

impl TcpNotify for BulkClient {
    fn connected(&mut self, conn: &mut TcpConn<'_>) {
        let mut seed = 99;
        let mut chunk = vec![0; 64 * 1024];
        for _ in 0..self.total / chunk.len() {
            crate::util::fill_pseudo_random(&mut seed, &mut chunk);
            self.sent.update(&chunk);
            conn.write(&chunk).unwrap();
        }
    }
    fn received(&mut self, conn: &mut TcpConn<'_>, data: &[u8], _times: usize) -> bool {
        self.received.update(data);
        if self.received.finish().1 == self.total as u64 {
            let _ = self.done.send(self.received.finish() == self.sent.finish());
            conn.close();
        }
        true
    }
}

#[test]
fn a_megabyte_echoes_through_tls_unchanged() {
    let (cert, key) = self_signed();
    let (_server, addr) = tls_echo_server(server_config(cert.clone(), key));
    let client = Reactor::spawn(TcpConfig::default()).unwrap();
    let (done, result) = mpsc::channel();
    let inner = BulkClient {
        sent: Default::default(),
        received: Default::default(),
        total: 1024 * 1024,
        done,
    };
    let name = ServerName::try_from("localhost").unwrap();
    let tls = TlsNotify::client(client_config(cert), name, inner).unwrap();
    TcpConnection::connect_addrs(client.handle(), vec![addr], tls).unwrap();
    assert!(
        expect_msg(&result, "the echoed megabyte"),
        "checksums differ"
    );
}

/// Echoes one message, then closes gracefully.
struct EchoOnceThenClose;

impl TcpNotify for EchoOnceThenClose {
    fn received(&mut self, conn: &mut TcpConn<'_>, data: &[u8], _times: usize) -> bool {
        conn.write(data).unwrap();
        conn.close();
        true
    }
}

#[test]
fn a_graceful_close_sends_close_notify_to_a_plain_rustls_peer() {
    use std::io::{Read, Write};
    let (cert, key) = self_signed();
    let config = server_config(cert.clone(), key);
    let server = Reactor::spawn(TcpConfig::default()).unwrap();
    let listener = TcpListener::bind(
        server.handle(),
        "127.0.0.1:0".parse().unwrap(),
        move |_peer| {
            let tls = TlsNotify::server(config.clone(), EchoOnceThenClose).unwrap();
            Some(Box::new(tls) as Box<dyn TcpNotify>)
        },
    )
    .unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    let tls = rustls::ClientConnection::new(client_config(cert), name).unwrap();
    let socket = std::net::TcpStream::connect(listener.local_addr()).unwrap();
    let mut stream = rustls::StreamOwned::new(tls, socket);
    stream.write_all(b"bye").unwrap();
    let mut got = Vec::new();
    // rustls reports a TCP end without close_notify as an UnexpectedEof error.
    stream.read_to_end(&mut got).expect("a clean TLS close");
    assert_eq!(got, b"bye");
}

/// Hands its connection's cross-thread handle out once TLS has accepted the peer.
struct HandsOutHandle {
    handles: Sender<hark::tcp::TcpConnectionHandle>,
}

impl TcpNotify for HandsOutHandle {
    fn accepted(&mut self, conn: &mut TcpConn<'_>) {
        let _ = self.handles.send(conn.handle());
    }
}

#[test]
fn a_close_from_another_thread_sends_close_notify_through_the_tls_notifier() {
    use std::io::{Read, Write};
    let (cert, key) = self_signed();
    let config = server_config(cert.clone(), key);
    let server = Reactor::spawn(TcpConfig::default()).unwrap();
    let (handles, handle) = mpsc::channel();
    let listener = TcpListener::bind(
        server.handle(),
        "127.0.0.1:0".parse().unwrap(),
        move |_peer| {
            let inner = HandsOutHandle {
                handles: handles.clone(),
            };
            let tls = TlsNotify::server(config.clone(), inner).unwrap();
            Some(Box::new(tls) as Box<dyn TcpNotify>)
        },
    )
    .unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    let tls = rustls::ClientConnection::new(client_config(cert), name).unwrap();
    let socket = std::net::TcpStream::connect(listener.local_addr()).unwrap();
    socket
        .set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    let mut stream = rustls::StreamOwned::new(tls, socket);
    // Completes the handshake, so the server's inner notifier is told `accepted`.
    stream.write_all(b"hello").unwrap();
    stream.flush().unwrap();
    let handle = expect_msg(&handle, "the accepted connection's handle");
    // From this thread, not from a notifier callback.
    handle.write(b"last words".to_vec()).unwrap();
    handle.close().unwrap();
    let mut got = Vec::new();
    // rustls reports a TCP end without close_notify as an UnexpectedEof error.
    stream
        .read_to_end(&mut got)
        .expect("a clean TLS close: close_notify before the TCP shutdown");
    assert_eq!(got, b"last words");
}

/// STARTTLS over `TlsNotify::deferred`: the server waits for a `STARTTLS\n` line in
/// plaintext, then starts TLS with whatever followed the line as the first TLS bytes.
struct StartTlsServer {
    switch: hark::tcp::tls::TlsSwitch,
    config: Arc<ServerConfig>,
    line: Vec<u8>,
    started: bool,
}

impl TcpNotify for StartTlsServer {
    fn received(&mut self, conn: &mut TcpConn<'_>, data: &[u8], _times: usize) -> bool {
        if self.started {
            // Over TLS: echo.
            return conn.write(data).is_ok();
        }
        self.line.extend_from_slice(data);
        if let Some(end) = self.line.iter().position(|&b| b == b'\n') {
            assert_eq!(&self.line[..end], b"STARTTLS");
            let carry = self.line.split_off(end + 1);
            self.started = true;
            self.switch
                .start_server(self.config.clone(), carry)
                .unwrap();
        }
        true
    }
}

/// The client writes `STARTTLS\n` and starts TLS in the same callback, so its
/// ClientHello follows the line at once (the server gets both in one read, typically);
/// then sends `ping` over TLS once the handshake completed.
struct StartTlsClient {
    switch: hark::tcp::tls::TlsSwitch,
    config: Arc<ClientConfig>,
    log: Vec<String>,
    done: Sender<Vec<String>>,
    pinged: bool,
}

impl TcpNotify for StartTlsClient {
    fn connected(&mut self, conn: &mut TcpConn<'_>) {
        conn.write(b"STARTTLS\n").unwrap();
        let name = ServerName::try_from("localhost").unwrap();
        self.switch
            .start_client(self.config.clone(), name, Vec::new())
            .unwrap();
        self.log.push("connected".into());
    }
    fn woken(&mut self, conn: &mut TcpConn<'_>) {
        use hark::tcp::tls::TlsStatus;
        match self.switch.status() {
            TlsStatus::Handshaking => self.log.push("handshaking".into()),
            TlsStatus::Established(info) if !self.pinged => {
                self.log.push(format!("established {}", info.version));
                self.pinged = true;
                conn.write(b"ping").unwrap();
            }
            TlsStatus::Failed(reason) => self.log.push(format!("failed {reason}")),
            _ => {}
        }
    }
    fn received(&mut self, conn: &mut TcpConn<'_>, data: &[u8], _times: usize) -> bool {
        self.log.push(String::from_utf8_lossy(data).into_owned());
        conn.close();
        true
    }
    fn closed(&mut self, _conn: &mut TcpConn<'_>) {
        self.log.push("closed".into());
        let _ = self.done.send(std::mem::take(&mut self.log));
    }
}

fn starttls(
    (cert, key): (CertificateDer<'static>, PrivateKeyDer<'static>),
    trusted: CertificateDer<'static>,
) -> Vec<String> {
    let config = server_config(cert, key);
    let server = Reactor::spawn(TcpConfig::default()).unwrap();
    let listener = TcpListener::bind(
        server.handle(),
        "127.0.0.1:0".parse().unwrap(),
        move |_peer| {
            let switch = hark::tcp::tls::TlsSwitch::new();
            let inner = StartTlsServer {
                switch: switch.clone(),
                config: config.clone(),
                line: Vec::new(),
                started: false,
            };
            Some(Box::new(TlsNotify::deferred(switch, inner)) as Box<dyn TcpNotify>)
        },
    )
    .unwrap();
    let client = Reactor::spawn(TcpConfig::default()).unwrap();
    let (done, log) = mpsc::channel();
    let switch = hark::tcp::tls::TlsSwitch::new();
    let inner = StartTlsClient {
        switch: switch.clone(),
        config: client_config(trusted),
        log: Vec::new(),
        done,
        pinged: false,
    };
    let notify = TlsNotify::deferred(switch, inner);
    TcpConnection::connect_addrs(client.handle(), vec![listener.local_addr()], notify).unwrap();
    expect_msg(&log, "the STARTTLS client's log")
}

#[test]
fn tls_starts_on_a_connection_that_is_already_up() {
    let (cert, key) = self_signed();
    let log = starttls((cert.clone(), key), cert);
    assert_eq!(
        log,
        [
            "connected",
            "handshaking",
            "established TLSv1_3",
            "ping",
            "closed"
        ]
    );
}

#[test]
fn a_deferred_start_with_a_wrong_certificate_reports_failed_then_closes() {
    let (cert, key) = self_signed();
    let (other, _) = self_signed();
    let log = starttls((cert, key), other);
    assert_eq!(log.len(), 4, "{log:?}");
    assert_eq!(log[..2], ["connected", "handshaking"]);
    assert!(
        log[2].starts_with("failed invalid peer certificate"),
        "{log:?}"
    );
    assert_eq!(log[3], "closed");
}
