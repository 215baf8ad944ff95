//! hark's HTTP client on a real reactor against small servers of the test's own on
//! loopback: keep-alive reuse, chunked bodies, redirects (relative, absolute, looping),
//! limits, timeouts, refused connections, a server that closes a reused connection, and
//! malformed replies.

use hark::bittorrent::http::{
    HttpClient, HttpConfig, HttpError, HttpRequest, HttpResponse, ParseError,
};
use hark_reactor::{Reactor, ReactorThread};
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the server does with one request.
enum Act {
    /// Write these bytes and read the next request on the same connection.
    Reply(Vec<u8>),
    /// Write these bytes, then close.
    ReplyClose(Vec<u8>),
    /// Read nothing more and answer nothing (until the client gives up).
    Stall,
    /// Close without answering.
    Close,
    /// Write these bytes one at a time, this far apart, then read the next request.
    Trickle(Vec<u8>, Duration),
}

/// A threaded server: `handler(request head, connection number)` decides each answer.
struct Server {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(handler: impl Fn(&str, usize) -> Act + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let connections = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handler = Arc::new(handler);
        let (count, log) = (Arc::clone(&connections), Arc::clone(&requests));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let number = count.fetch_add(1, Ordering::SeqCst);
                let (handler, log) = (Arc::clone(&handler), Arc::clone(&log));
                std::thread::spawn(move || serve(stream, number, &*handler, &log));
            }
        });
        Server {
            addr,
            connections,
            requests,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

fn serve(
    stream: TcpStream,
    number: usize,
    handler: &(dyn Fn(&str, usize) -> Act + Send + Sync),
    log: &Mutex<Vec<String>>,
) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut stream = stream;
    loop {
        let mut head = String::new();
        loop {
            let mut line = String::new();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            head.push_str(&line);
            if line == "\r\n" {
                break;
            }
        }
        log.lock().expect("log").push(head.clone());
        match handler(&head, number) {
            Act::Reply(bytes) => {
                if stream.write_all(&bytes).is_err() {
                    return;
                }
            }
            Act::ReplyClose(bytes) => {
                let _ = stream.write_all(&bytes);
                return;
            }
            Act::Stall => {
                std::thread::sleep(Duration::from_secs(5));
                return;
            }
            Act::Close => return,
            Act::Trickle(bytes, gap) => {
                for byte in bytes {
                    std::thread::sleep(gap);
                    if stream.write_all(&[byte]).is_err() {
                        return;
                    }
                }
            }
        }
    }
}

fn ok(body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// A reactor thread and a client on it whose wake hook signals the test thread.
struct Rig {
    client: HttpClient,
    woken: Receiver<()>,
    _reactor: ReactorThread,
}

impl Rig {
    fn new(config: HttpConfig) -> Rig {
        let reactor = Reactor::spawn(hark_reactor::tcp::TcpConfig::default()).expect("reactor");
        let mut client = HttpClient::new(reactor.handle().clone(), config);
        let (tx, woken) = sync_channel(64);
        client.set_wake(move || {
            let _ = tx.try_send(());
        });
        Rig {
            client,
            woken,
            _reactor: reactor,
        }
    }

    fn fetch(&mut self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let id = self.client.get(request)?;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some((done, outcome)) = self.client.poll_response() {
                assert_eq!(done, id);
                return outcome;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "no outcome within 10 s");
            let _ = self.woken.recv_timeout(left);
        }
    }
}

#[test]
fn keep_alive_serves_sequential_requests_on_one_connection() {
    let server = Server::start(|head, _| {
        let path = head.split(' ').nth(1).unwrap_or("").to_owned();
        Act::Reply(ok(&format!("you asked for {path}")))
    });
    let mut rig = Rig::new(HttpConfig::default());
    for i in 0..5 {
        let request =
            HttpRequest::get(server.url(&format!("/f{i}"))).header("Range", format!("bytes={i}-9"));
        let response = rig.fetch(request).expect("response");
        assert_eq!(response.status, 200);
        assert_eq!(response.body, format!("you asked for /f{i}").into_bytes());
    }
    assert_eq!(server.connections.load(Ordering::SeqCst), 1);
    assert_eq!(rig.client.connections_opened(), 1);
    let requests = server.requests.lock().expect("log");
    assert!(
        requests[3].starts_with("GET /f3 HTTP/1.1\r\n"),
        "{}",
        requests[3]
    );
    assert!(requests[3].contains("\r\nRange: bytes=3-9\r\n"));
    assert!(requests[3].contains(&format!("\r\nHost: {}\r\n", server.addr)));
}

#[test]
fn chunked_bodies_and_http_1_0_until_close() {
    let server = Server::start(|head, _| {
        if head.starts_with("GET /chunked") {
            Act::Reply(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nwiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-Trailer: 1\r\n\r\n"
                    .to_vec(),
            )
        } else {
            Act::ReplyClose(b"HTTP/1.0 200 OK\r\n\r\nuntil the end".to_vec())
        }
    });
    let mut rig = Rig::new(HttpConfig::default());
    let response = rig
        .fetch(HttpRequest::get(server.url("/chunked")))
        .expect("chunked");
    assert_eq!(response.body, b"wikipedia in\r\n\r\nchunks.");
    let response = rig
        .fetch(HttpRequest::get(server.url("/old")))
        .expect("until close");
    assert_eq!(response.body, b"until the end");
}

#[test]
fn redirects_relative_absolute_and_bounded() {
    let other = Server::start(|_, _| Act::Reply(ok("landed")));
    let target = other.url("/final");
    let server = Server::start(move |head, _| {
        let path = head.split(' ').nth(1).unwrap_or("").to_owned();
        let moved = |location: &str| {
            Act::Reply(
                format!(
                    "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 3\r\n\r\nbye"
                )
                .into_bytes(),
            )
        };
        match path.as_str() {
            "/a/start" => moved("next"),
            "/a/next" => moved("/elsewhere"),
            "/elsewhere" => moved(&target),
            "/loop" => moved("/loop"),
            "/nowhere" => Act::Reply(b"HTTP/1.1 301 Moved\r\nContent-Length: 0\r\n\r\n".to_vec()),
            "/tls" => moved("https://127.0.0.1/"),
            _ => Act::Reply(ok("?")),
        }
    });
    let mut rig = Rig::new(HttpConfig {
        max_redirects: 3,
        ..HttpConfig::default()
    });
    let response = rig
        .fetch(HttpRequest::get(server.url("/a/start")))
        .expect("followed");
    assert_eq!(
        (response.status, response.body.as_slice()),
        (200, &b"landed"[..])
    );
    assert_eq!(response.url, other.url("/final"));
    assert_eq!(
        rig.fetch(HttpRequest::get(server.url("/loop"))),
        Err(HttpError::TooManyRedirects { limit: 3 })
    );
    assert_eq!(
        rig.fetch(HttpRequest::get(server.url("/nowhere"))),
        Err(HttpError::BadRedirect)
    );
    assert_eq!(
        rig.fetch(HttpRequest::get(server.url("/tls"))),
        Err(HttpError::UnsupportedScheme("https".into()))
    );
    // The redirects within one host reused its connection.
    assert_eq!(server.connections.load(Ordering::SeqCst), 1);
}

#[test]
fn limits_and_malformed_replies_are_typed_errors() {
    let server = Server::start(|head, _| {
        let path = head.split(' ').nth(1).unwrap_or("").to_owned();
        match path.as_str() {
            "/big" => Act::Reply(ok(&"x".repeat(200))),
            "/big-chunked" => {
                let mut reply = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
                for _ in 0..10 {
                    reply.extend_from_slice(b"20\r\n");
                    reply.extend_from_slice(&[b'y'; 32]);
                    reply.extend_from_slice(b"\r\n");
                }
                reply.extend_from_slice(b"0\r\n\r\n");
                Act::Reply(reply)
            }
            "/garbage" => Act::ReplyClose(b"SMTP ready\r\n\r\n".to_vec()),
            "/bad-chunk" => Act::ReplyClose(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nqq\r\n".to_vec(),
            ),
            "/short" => {
                Act::ReplyClose(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc".to_vec())
            }
            "/hangup" => Act::Close,
            _ => Act::Reply(ok("fine")),
        }
    });
    let mut rig = Rig::new(HttpConfig {
        max_body: 100,
        ..HttpConfig::default()
    });
    let get = |path: &str| HttpRequest::get(server.url(path));
    assert_eq!(
        rig.fetch(get("/big")),
        Err(HttpError::TooLarge { limit: 100 })
    );
    assert_eq!(
        rig.fetch(get("/big-chunked")),
        Err(HttpError::TooLarge { limit: 100 })
    );
    assert!(matches!(
        rig.fetch(get("/garbage")),
        Err(HttpError::Malformed(ParseError::Head(_)))
    ));
    assert_eq!(
        rig.fetch(get("/bad-chunk")),
        Err(HttpError::Malformed(ParseError::ChunkSize))
    );
    assert_eq!(rig.fetch(get("/short")), Err(HttpError::Closed));
    assert_eq!(rig.fetch(get("/hangup")), Err(HttpError::Closed));
    assert_eq!(rig.fetch(get("/")).expect("still works").body, b"fine");
    assert_eq!(
        rig.client.get(HttpRequest::get("https://127.0.0.1/")),
        Err(HttpError::UnsupportedScheme("https".into()))
    );
    assert!(matches!(
        rig.client.get(get("/").header("X", "a\r\nInjected: 1")),
        Err(HttpError::InvalidRequest(_))
    ));
    assert_eq!(rig.client.outstanding(), 0);
}

#[test]
fn refused_connections_and_response_timeouts() {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let server = Server::start(|_, _| Act::Stall);
    let mut rig = Rig::new(HttpConfig {
        response_timeout: Duration::from_millis(300),
        ..HttpConfig::default()
    });
    assert_eq!(
        rig.fetch(HttpRequest::get(format!("http://127.0.0.1:{port}/"))),
        Err(HttpError::ConnectFailed {
            host: "127.0.0.1".into(),
            port
        })
    );
    let started = Instant::now();
    assert_eq!(
        rig.fetch(HttpRequest::get(server.url("/slow"))),
        Err(HttpError::ResponseTimeout)
    );
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[test]
fn a_connect_that_never_completes_times_out() {
    // A listener with a backlog of one that never accepts: once its queue is full, the
    // kernel drops further SYNs, so a connect hangs.
    let socket =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("socket");
    socket
        .bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())
        .expect("bind");
    socket.listen(0).expect("listen");
    let addr = socket
        .local_addr()
        .expect("addr")
        .as_socket()
        .expect("inet");
    let mut fillers = Vec::new();
    for _ in 0..4 {
        if let Ok(stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            fillers.push(stream);
        }
    }
    let mut rig = Rig::new(HttpConfig {
        connect_timeout: Duration::from_millis(400),
        ..HttpConfig::default()
    });
    assert_eq!(
        rig.fetch(HttpRequest::get(format!("http://{addr}/"))),
        Err(HttpError::ConnectTimeout)
    );
    drop(socket);
}

#[test]
fn a_reused_connection_closed_by_the_server_is_retried_once() {
    // The first connection answers `/1` with keep-alive, then closes without answering
    // `/2`: the request went out on a connection the server dropped, so it is sent again
    // once on a new connection. `/3` is refused on every connection: no second retry.
    let server = Server::start(|head, number| {
        let path = head.split(' ').nth(1).unwrap_or("").to_owned();
        match (path.as_str(), number) {
            ("/1", _) => Act::Reply(ok(&format!("conn {number}"))),
            ("/2", 0) | ("/3", _) => Act::Close,
            _ => Act::Reply(ok(&format!("conn {number}"))),
        }
    });
    let mut rig = Rig::new(HttpConfig::default());
    let first = rig
        .fetch(HttpRequest::get(server.url("/1")))
        .expect("first");
    assert_eq!(first.body, b"conn 0");
    let second = rig
        .fetch(HttpRequest::get(server.url("/2")))
        .expect("second");
    assert_eq!(second.body, b"conn 1");
    assert_eq!(
        rig.fetch(HttpRequest::get(server.url("/3"))),
        Err(HttpError::Closed)
    );
    assert_eq!(server.connections.load(Ordering::SeqCst), 3);
}

#[test]
fn per_host_connections_are_bounded() {
    let server = Server::start(|_, _| {
        std::thread::sleep(Duration::from_millis(50));
        Act::Reply(ok("slow"))
    });
    let mut rig = Rig::new(HttpConfig {
        max_connections_per_host: 2,
        ..HttpConfig::default()
    });
    let ids: Vec<_> = (0..6)
        .map(|i| {
            rig.client
                .get(HttpRequest::get(server.url(&format!("/{i}"))))
                .expect("get")
        })
        .collect();
    let mut done = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while done.len() < ids.len() {
        assert!(Instant::now() < deadline, "only {} done", done.len());
        assert!(rig.client.connections() <= 2);
        match rig.client.poll_response() {
            Some((id, outcome)) => {
                assert_eq!(outcome.expect("ok").body, b"slow");
                done.push(id);
            }
            None => {
                let _ = rig.woken.recv_timeout(Duration::from_millis(100));
            }
        }
    }
    done.sort();
    assert_eq!(done, ids);
    assert_eq!(server.connections.load(Ordering::SeqCst), 2);
}

#[test]
fn a_host_name_is_resolved_off_the_reactor_thread() {
    let server = Server::start(|head, _| {
        let host = head
            .lines()
            .find_map(|l| l.strip_prefix("Host: "))
            .unwrap_or("")
            .to_owned();
        Act::Reply(ok(&host))
    });
    let mut rig = Rig::new(HttpConfig::default());
    let url = format!("http://localhost:{}/", server.addr.port());
    let response = rig.fetch(HttpRequest::get(url)).expect("resolved");
    assert_eq!(
        response.body,
        format!("localhost:{}", server.addr.port()).into_bytes()
    );
    assert_eq!(
        rig.fetch(HttpRequest::get("http://no-such-host.invalid/")),
        Err(HttpError::ConnectFailed {
            host: "no-such-host.invalid".into(),
            port: 80
        })
    );
}

#[test]
fn a_slow_chunked_body_is_not_cut_off_while_bytes_keep_coming() {
    // Every byte 10 ms apart: the whole reply takes far longer than the response timeout,
    // which counts from the last byte received.
    let reply =
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
    let server = Server::start(move |_, _| Act::Trickle(reply.to_vec(), Duration::from_millis(10)));
    let mut rig = Rig::new(HttpConfig {
        response_timeout: Duration::from_millis(200),
        ..HttpConfig::default()
    });
    let started = Instant::now();
    let response = rig
        .fetch(HttpRequest::get(server.url("/")))
        .expect("slow but steady");
    assert_eq!(response.body, b"abcde");
    assert!(started.elapsed() > Duration::from_millis(200));
}

#[test]
fn the_wake_hook_runs_on_the_reactor_thread_and_may_request_again() {
    // The owner lives behind a mutex; the hook (on the reactor thread) takes each
    // response and makes the next request from there, three in a chain.
    let server = Server::start(|head, _| {
        let path = head.split(' ').nth(1).unwrap_or("").to_owned();
        Act::Reply(ok(&path))
    });
    let reactor = Reactor::spawn(hark_reactor::tcp::TcpConfig::default()).expect("reactor");
    let client = Arc::new(Mutex::new(HttpClient::new(
        reactor.handle().clone(),
        HttpConfig::default(),
    )));
    let (done_tx, done) = sync_channel(1);
    let test_thread = std::thread::current().id();
    let owner = Arc::clone(&client);
    let base = server.url("/");
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&bodies);
    client.lock().expect("client").set_wake(move || {
        assert_ne!(std::thread::current().id(), test_thread);
        let mut client = owner.lock().expect("owner");
        while let Some((_, outcome)) = client.poll_response() {
            let body = outcome.expect("response").body;
            let mut seen = seen.lock().expect("bodies");
            seen.push(String::from_utf8(body).expect("utf-8"));
            if seen.len() < 3 {
                let next = format!("{base}{}", seen.len());
                client.get(HttpRequest::get(next)).expect("next request");
            } else {
                let _ = done_tx.try_send(());
            }
        }
    });
    client
        .lock()
        .expect("client")
        .get(HttpRequest::get(server.url("/0")))
        .expect("first");
    done.recv_timeout(Duration::from_secs(10))
        .expect("three in a chain");
    assert_eq!(*bodies.lock().expect("bodies"), ["/0", "/1", "/2"]);
    drop(client);
    reactor.shutdown().expect("shutdown");
}
