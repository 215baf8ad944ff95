//! BEEP TLS tuning (RFC 3080 3.1) on loopback: a good certificate (in memory and from
//! files), a request refused by the accept handler, a wrong certificate, and both roles
//! against an independent TLS stack (Python's ssl module, i.e. OpenSSL).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hark::beep::tls::{ClientTrust, TlsSource, client_config};
use hark::beep::{
    Answer, BeepContext, BeepError, ChannelHandlers, Frame, FrameType, Profile, ReplyKind,
};
use hark::events::{EventHub, Severity};

const ECHO: &str = "http://example.org/beep/echo";
const T: Duration = Duration::from_secs(10);
const PEER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/beep_tls_peer.py"
);

/// A self-signed certificate for `localhost`: (certificate PEM, key PEM).
fn certificate() -> (String, String) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    (certified.cert.pem(), certified.signing_key.serialize_pem())
}

fn echo_profile() -> Profile {
    Profile::new(ECHO).on_frame((), |conn, channel, frame: &Frame, _| {
        if frame.kind() == FrameType::Msg {
            let _ = conn.reply(
                channel,
                frame.msgno(),
                ReplyKind::Rpy,
                frame.payload().clone(),
            );
        }
    })
}

type Log = Arc<Mutex<Vec<String>>>;

/// A listener context with the echo profile, logging the TLS handlers' calls.
fn server(log: &Log) -> BeepContext {
    let ctx = BeepContext::new().unwrap();
    ctx.register(echo_profile());
    let l = log.clone();
    ctx.on_tls_status(l, |_conn, ok, text, log| {
        log.lock().unwrap().push(format!("status {ok} {text}"));
    });
    ctx
}

fn client(log: &Log) -> BeepContext {
    let ctx = BeepContext::new().unwrap();
    ctx.register(Profile::new(ECHO));
    let l = log.clone();
    ctx.on_tls_status(l, |_conn, ok, text, log| {
        log.lock().unwrap().push(format!("status {ok} {text}"));
    });
    ctx
}

fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + T;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn echo_once(conn: &hark::beep::Connection, body: &[u8]) {
    let ch = conn.open_channel(ECHO, ChannelHandlers::new(), T).unwrap();
    let mut payload = b"\r\n".to_vec();
    payload.extend_from_slice(body);
    match conn.send_and_wait(ch, payload, T).unwrap() {
        Answer::Rpy(frame) => assert_eq!(frame.body(), body),
        other => panic!("not an RPY: {other:?}"),
    }
    conn.close_channel(ch, T).unwrap();
}

#[test]
fn good_certificate_in_memory_resets_the_session_and_greets_over_tls() {
    let (cert, key) = certificate();
    let server_log: Log = Log::default();
    let srv = server(&server_log);
    let hub = Arc::new(Mutex::new(EventHub::new()));
    let srv = srv.with_hub(hub.clone());
    let names = Arc::new(Mutex::new(Vec::new()));
    let seen = names.clone();
    srv.on_tls_accept(seen, |_conn, name, seen| {
        seen.lock().unwrap().push(name.map(str::to_owned));
        true
    });
    srv.tls_credentials(
        TlsSource::Pem(cert.clone().into_bytes()),
        TlsSource::Pem(key.into_bytes()),
    );
    let listener = srv.listen("127.0.0.1:0".parse().unwrap()).unwrap();

    let client_log: Log = Log::default();
    let cli = client(&client_log);
    let conn = cli.connect(listener.local_addr(), T).unwrap();
    assert!(
        conn.peer_profiles()
            .contains(&"http://iana.org/beep/TLS".to_owned())
    );
    // A channel before TLS: it is gone after the reset.
    let before = conn.open_channel(ECHO, ChannelHandlers::new(), T).unwrap();
    let config = client_config(&ClientTrust::Roots(TlsSource::Pem(cert.into_bytes()))).unwrap();
    let info = conn.start_tls(config, "localhost", T).unwrap();
    assert!(info.version.starts_with("TLSv1_"), "{info:?}");
    assert_eq!(conn.tls_info(), Some(info));
    assert!(conn.is_ok());
    // The listener's new greeting no longer offers TLS.
    assert_eq!(conn.peer_profiles(), vec![ECHO.to_owned()]);
    assert!(matches!(
        conn.send_and_wait(before, &b"\r\nx"[..], T),
        Err(BeepError::Send(_))
    ));
    echo_once(&conn, b"over TLS");
    // Big messages cross TLS intact.
    let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    echo_once(&conn, &big);
    conn.close(T).unwrap();

    assert_eq!(*names.lock().unwrap(), vec![Some("localhost".to_owned())]);
    wait_until("the server's tls_notify", || {
        !server_log.lock().unwrap().is_empty()
    });
    let s = server_log.lock().unwrap().clone();
    assert!(s[0].starts_with("status true TLS established"), "{s:?}");
    let c = client_log.lock().unwrap().clone();
    assert!(c[0].starts_with("status true TLS established"), "{c:?}");
    let mut kinds = Vec::new();
    while let Some(ev) = hub.lock().unwrap().poll_event() {
        if ev.kind.name().starts_with("beep_tls") {
            kinds.push((ev.kind.name(), ev.severity));
        }
    }
    assert_eq!(
        kinds,
        vec![
            ("beep_tls_requested", Severity::Info),
            ("beep_tls_complete", Severity::Info)
        ]
    );
}

#[test]
fn certificate_and_key_from_the_location_handlers_paths() {
    let (cert, key) = certificate();
    let dir = std::env::temp_dir().join(format!("hark-beep-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert_path, key_path) = (dir.join("test.crt"), dir.join("test.key"));
    std::fs::write(&cert_path, &cert).unwrap();
    std::fs::write(&key_path, &key).unwrap();
    let log = Log::default();
    let srv = server(&log);
    let asked = Arc::new(Mutex::new(Vec::new()));
    let a = asked.clone();
    srv.on_tls_certificate((cert_path.clone(), a), |_conn, name, (path, asked)| {
        asked.lock().unwrap().push(format!("cert {name:?}"));
        Some(TlsSource::File(path.clone()))
    });
    let a = asked.clone();
    srv.on_tls_key((key_path.clone(), a), |_conn, name, (path, asked)| {
        asked.lock().unwrap().push(format!("key {name:?}"));
        Some(TlsSource::File(path.clone()))
    });
    let listener = srv.listen("127.0.0.1:0".parse().unwrap()).unwrap();
    let cli = client(&Log::default());
    let conn = cli.connect(listener.local_addr(), T).unwrap();
    let config = client_config(&ClientTrust::Roots(TlsSource::File(cert_path))).unwrap();
    conn.start_tls(config, "localhost", T).unwrap();
    echo_once(&conn, b"from files");
    conn.close(T).unwrap();
    assert_eq!(
        *asked.lock().unwrap(),
        vec![
            "cert Some(\"localhost\")".to_owned(),
            "key Some(\"localhost\")".to_owned()
        ]
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn refused_by_the_accept_handler_is_an_error_and_the_session_stays_plain() {
    let (cert, key) = certificate();
    let server_log = Log::default();
    let srv = server(&server_log);
    srv.tls_credentials(
        TlsSource::Pem(cert.clone().into_bytes()),
        TlsSource::Pem(key.into_bytes()),
    );
    srv.on_tls_accept((), |_conn, name, _| name != Some("localhost"));
    let listener = srv.listen("127.0.0.1:0".parse().unwrap()).unwrap();
    let client_log = Log::default();
    let cli = client(&client_log);
    let conn = cli.connect(listener.local_addr(), T).unwrap();
    let config = client_config(&ClientTrust::Roots(TlsSource::Pem(cert.into_bytes()))).unwrap();
    match conn.start_tls(config, "localhost", T) {
        Err(BeepError::Refused { code: 421, .. }) => {}
        other => panic!("expected a 421 refusal, got {other:?}"),
    }
    assert_eq!(conn.tls_info(), None);
    // Still a working plaintext session.
    echo_once(&conn, b"still plain");
    conn.close(T).unwrap();
    assert_eq!(
        *server_log.lock().unwrap(),
        vec!["status false refused by the TLS accept handler".to_owned()]
    );
    let c = client_log.lock().unwrap().clone();
    assert_eq!(c.len(), 1);
    assert!(
        c[0].starts_with("status false refused by the peer: 421"),
        "{c:?}"
    );
}

#[test]
fn a_wrong_certificate_closes_the_session_with_a_clear_error() {
    let (cert, key) = certificate();
    let (other_cert, _) = certificate();
    let server_log = Log::default();
    let srv = server(&server_log);
    let broken = Arc::new(Mutex::new(0));
    let b = broken.clone();
    srv.on_connection_closed(b, |_conn, b| *b.lock().unwrap() += 1);
    srv.tls_credentials(
        TlsSource::Pem(cert.into_bytes()),
        TlsSource::Pem(key.into_bytes()),
    );
    let listener = srv.listen("127.0.0.1:0".parse().unwrap()).unwrap();
    let client_log = Log::default();
    let cli = client(&client_log);
    let conn = cli.connect(listener.local_addr(), T).unwrap();
    let config =
        client_config(&ClientTrust::Roots(TlsSource::Pem(other_cert.into_bytes()))).unwrap();
    match conn.start_tls(config, "localhost", T) {
        Err(BeepError::Tls(reason)) => {
            assert!(reason.contains("certificate"), "{reason}");
        }
        other => panic!("expected a TLS error, got {other:?}"),
    }
    assert!(conn.wait_closed(T), "the session closes");
    assert!(matches!(
        conn.open_channel(ECHO, ChannelHandlers::new(), T),
        Err(BeepError::Closed)
    ));
    let c = client_log.lock().unwrap().clone();
    assert_eq!(c.len(), 1, "{c:?}");
    assert!(
        c[0].starts_with("status false TLS handshake failed: invalid peer certificate"),
        "{c:?}"
    );
    wait_until("the server's tls_notify", || {
        !server_log.lock().unwrap().is_empty()
    });
    let s = server_log.lock().unwrap().clone();
    assert!(
        s[0].starts_with("status false TLS handshake failed"),
        "{s:?}"
    );
    wait_until("connection closed on the server", || {
        *broken.lock().unwrap() == 1
    });
}

#[test]
fn a_tls_start_with_no_certificate_for_the_name_is_refused() {
    let log = Log::default();
    let srv = server(&log);
    srv.on_tls_certificate((), |_conn, _name, _| None);
    srv.on_tls_key((), |_conn, _name, _| None);
    let listener = srv.listen("127.0.0.1:0".parse().unwrap()).unwrap();
    let cli = client(&Log::default());
    let conn = cli.connect(listener.local_addr(), T).unwrap();
    let config = client_config(&ClientTrust::Insecure).unwrap();
    assert!(matches!(
        conn.start_tls(config, "localhost", T),
        Err(BeepError::Refused { code: 421, .. })
    ));
    echo_once(&conn, b"plain");
    conn.close(T).unwrap();
}

fn temp_files(cert: &str, key: &str, tag: &str) -> (PathBuf, PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("hark-beep-tls-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (c, k) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&c, cert).unwrap();
    std::fs::write(&k, key).unwrap();
    (dir, c, k)
}

#[test]
fn openssl_peer_as_tls_client_against_a_hark_listener() {
    let (cert, key) = certificate();
    let (dir, cert_path, _) = temp_files(&cert, &key, "pyclient");
    let log = Log::default();
    let srv = server(&log);
    srv.tls_credentials(
        TlsSource::Pem(cert.into_bytes()),
        TlsSource::Pem(key.into_bytes()),
    );
    let listener = srv.listen("127.0.0.1:0".parse().unwrap()).unwrap();
    let out = Command::new("python3")
        .arg(PEER)
        .arg("client")
        .arg(listener.local_addr().port().to_string())
        .arg(&cert_path)
        .arg(ECHO)
        .output()
        .expect("python3 must be installed");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.starts_with("OK TLSv1."),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    wait_until("the server's tls_notify", || {
        !log.lock().unwrap().is_empty()
    });
    assert!(log.lock().unwrap()[0].starts_with("status true"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn openssl_peer_as_tls_server_for_a_hark_initiator() {
    let (cert, key) = certificate();
    let (dir, cert_path, key_path) = temp_files(&cert, &key, "pyserver");
    let mut child = Command::new("python3")
        .arg(PEER)
        .arg("server")
        .arg(&cert_path)
        .arg(&key_path)
        .arg(ECHO)
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 must be installed");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let port: u16 = line.trim().parse().unwrap_or_else(|_| panic!("{line:?}"));
    let cli = client(&Log::default());
    let conn = cli
        .connect(format!("127.0.0.1:{port}").parse().unwrap(), T)
        .unwrap();
    let config = client_config(&ClientTrust::Roots(TlsSource::Pem(cert.into_bytes()))).unwrap();
    let info = conn.start_tls(config, "localhost", T).unwrap();
    assert!(info.version.starts_with("TLSv1_"));
    echo_once(&conn, b"hello OpenSSL");
    conn.close(T).unwrap();
    line.clear();
    stdout.read_line(&mut line).unwrap();
    let status = child.wait().unwrap();
    assert!(status.success() && line.starts_with("OK TLSv1."), "{line}");
    assert!(line.contains("serverName=localhost"), "{line}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_handshake_error_after_proceed_closes_the_listeners_session() {
    use hark_proto::beep::{Event, Role, Session, SessionConfig};
    use std::io::{Read, Write};
    let (cert, key) = certificate();
    let log = Log::default();
    let srv = server(&log);
    let broken = Arc::new(Mutex::new(Vec::new()));
    let b = broken.clone();
    srv.on_connection_closed(b, |_conn, b| b.lock().unwrap().push("broken"));
    srv.tls_credentials(
        TlsSource::Pem(cert.into_bytes()),
        TlsSource::Pem(key.into_bytes()),
    );
    let listener = srv.listen("127.0.0.1:0".parse().unwrap()).unwrap();
    // A raw initiator: hark-proto's session over a blocking socket, up to <proceed/>.
    let mut stream = std::net::TcpStream::connect(listener.local_addr()).unwrap();
    stream.set_read_timeout(Some(T)).unwrap();
    let mut session = Session::new(Instant::now(), SessionConfig::new(Role::Initiator));
    let mut buf = vec![0u8; 64 * 1024];
    let mut switched = false;
    while !switched {
        while let Some(n) = session.poll_transmit(Instant::now(), &mut buf) {
            stream.write_all(&buf[..n]).unwrap();
        }
        while let Some(ev) = session.poll_event() {
            match ev {
                Event::GreetingReceived { .. } => {
                    session.start_tls(Some("localhost".into())).unwrap();
                }
                Event::TlsSwitch { .. } => switched = true,
                _ => {}
            }
        }
        if switched {
            break;
        }
        while let Some(n) = session.poll_transmit(Instant::now(), &mut buf) {
            stream.write_all(&buf[..n]).unwrap();
        }
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "closed before proceed");
        session.handle_bytes(Instant::now(), &buf[..n]);
    }
    // Not a ClientHello.
    stream.write_all(b"MSG 0 1 . 0 0\r\nEND\r\n").unwrap();
    let mut rest = Vec::new();
    // The listener sends its alert and closes.
    let _ = stream.read_to_end(&mut rest);
    // The listener waits for our end of the stream before reporting the close.
    stream.shutdown(std::net::Shutdown::Write).unwrap();
    wait_until("the listener's tls_notify", || {
        !log.lock().unwrap().is_empty()
    });
    let s = log.lock().unwrap().clone();
    assert_eq!(s.len(), 1, "{s:?}");
    assert!(
        s[0].starts_with("status false TLS handshake failed"),
        "{s:?}"
    );
    wait_until("connection closed", || !broken.lock().unwrap().is_empty());
    assert_eq!(*broken.lock().unwrap(), ["broken"]);
    assert!(
        rest.len() < 64,
        "only a TLS alert may follow the proceed: {rest:?}"
    );
}

#[test]
fn tls_is_not_offered_without_a_certificate_handler_and_starts_only_once() {
    // A listener without certificate handlers neither offers nor accepts TLS.
    let plain = server(&Log::default());
    let l = plain.listen("127.0.0.1:0".parse().unwrap()).unwrap();
    let cli = client(&Log::default());
    let conn = cli.connect(l.local_addr(), T).unwrap();
    assert!(
        !conn
            .peer_profiles()
            .contains(&"http://iana.org/beep/TLS".to_owned())
    );
    let insecure = client_config(&ClientTrust::Insecure).unwrap();
    assert!(matches!(
        conn.start_tls(insecure.clone(), "localhost", T),
        Err(BeepError::Refused { code: 554, .. })
    ));
    echo_once(&conn, b"plain");
    conn.close(T).unwrap();

    // Once over TLS, a second start is refused locally.
    let (cert, key) = certificate();
    let srv = server(&Log::default());
    srv.tls_credentials(
        TlsSource::Pem(cert.into_bytes()),
        TlsSource::Pem(key.into_bytes()),
    );
    let l = srv.listen("127.0.0.1:0".parse().unwrap()).unwrap();
    let conn = cli.connect(l.local_addr(), T).unwrap();
    conn.start_tls(insecure.clone(), "localhost", T).unwrap();
    assert!(matches!(
        conn.start_tls(insecure, "localhost", T),
        Err(BeepError::Tls(_) | BeepError::Start(_))
    ));
    echo_once(&conn, b"still TLS");
    conn.close(T).unwrap();
    // A server name that is not a name.
    assert!(matches!(
        cli.connect(l.local_addr(), T).unwrap().start_tls(
            client_config(&ClientTrust::Insecure).unwrap(),
            "not a name!",
            T
        ),
        Err(BeepError::Tls(_))
    ));
}
