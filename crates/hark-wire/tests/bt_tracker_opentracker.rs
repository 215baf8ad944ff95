//! Tracker replies from a real tracker: Debian's `opentracker`, started by the test on
//! loopback, answering hark's own announce and scrape requests over HTTP and UDP (BEP 15).
//! opentracker serves only whitelisted info hashes, so the test writes a whitelist inside
//! the directory it chroots to. A missing opentracker fails the test (`cargo xtask ci`
//! installs it).
//!
//! The replies are also kept as fixtures in `tests/vectors/bt/opentracker-*.bin`, read by
//! `bt_tracker.rs`; regenerate them with `HARK_BLESS=1 cargo test -p hark-wire --test
//! bt_tracker_opentracker`.

use hark_wire::bt::metainfo::InfoHash;
use hark_wire::bt::tracker::AnnounceEvent;
use hark_wire::bt::tracker::http::{AnnounceReply, AnnounceRequest, ScrapeReply, scrape_url};
use hark_wire::bt::tracker::udp::{
    Error, Family, Request, RequestRepr, Response, ResponseRepr, UdpAnnounce,
};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The info hash opentracker is told to serve (that of `tests/vectors/bt/mktorrent.torrent`).
const SERVED: &str = "08b6b0c5e480c9a9aa6a95f416d2371d507c446a";

struct Tracker {
    child: Child,
    port: u16,
    root: PathBuf,
}

impl Drop for Tracker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn free_port() -> u16 {
    // A port free for TCP and for UDP: opentracker binds both and exits if UDP is taken.
    loop {
        let tcp = TcpListener::bind("127.0.0.1:0").expect("bind a free TCP port");
        let port = tcp.local_addr().expect("local address").port();
        if UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

fn start_tracker(test: &str) -> Tracker {
    let root = std::env::temp_dir().join(format!("hark-opentracker-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).expect("chroot dir");
    std::fs::write(root.join("whitelist.txt"), format!("{SERVED}\n")).expect("whitelist");
    let port = free_port();
    let child = Command::new("opentracker")
        .args(["-i", "127.0.0.1"])
        .args(["-p", &port.to_string(), "-P", &port.to_string()])
        .arg("-d")
        .arg(&root)
        // Read after the chroot: the path is inside it.
        .args(["-w", "/whitelist.txt"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|error| {
            panic!("cannot run opentracker ({error}): install it (`cargo xtask ci` does)")
        });
    let tracker = Tracker { child, port, root };
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "opentracker did not start on port {port}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // opentracker loads its whitelist in the background after it starts listening, and
    // answers a `stopped` announce either way: wait until it takes a probe peer's
    // `started`, then remove the probe with `stopped`.
    let probe = |event| AnnounceRequest {
        event,
        ..AnnounceRequest::new(SERVED.parse().expect("hex"), peer_id(b'p'), 1, 1)
    };
    let announce = format!("http://127.0.0.1:{port}/announce");
    let started = probe(AnnounceEvent::Started)
        .to_url(&announce)
        .expect("url");
    // Until then a probe may also be refused or reset: not ready yet, try again.
    while !try_http_get(&started)
        .is_ok_and(|body| matches!(AnnounceReply::parse(&body), Ok(AnnounceReply::Success(_))))
    {
        assert!(
            Instant::now() < deadline,
            "opentracker did not load its whitelist"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let stopped = probe(AnnounceEvent::Stopped)
        .to_url(&announce)
        .expect("url");
    assert!(matches!(
        AnnounceReply::parse(&http_get(&stopped)),
        Ok(AnnounceReply::Success(_))
    ));
    tracker
}

fn fixture(name: &str, bytes: &[u8]) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors/bt")
        .join(name);
    if std::env::var_os("HARK_BLESS").is_some() {
        std::fs::write(&path, bytes).expect("write fixture");
    }
    assert!(path.exists(), "fixture {name} missing; bless it");
}

/// GETs `url` from the tracker and returns the body of a 200 reply.
fn http_get(url: &str) -> Vec<u8> {
    try_http_get(url).unwrap_or_else(|error| panic!("{url}: {error}"))
}

/// [`http_get`], with a failed connection, send or read as an error.
fn try_http_get(url: &str) -> std::io::Result<Vec<u8>> {
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, target) = rest.split_at(rest.find('/').expect("path"));
    let mut stream = TcpStream::connect(host)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(stream, "GET {target} HTTP/1.0\r\nHost: {host}\r\n\r\n")?;
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply)?;
    let split = reply
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("the reply ends before its header does"))?;
    let head = String::from_utf8_lossy(&reply[..split]).into_owned();
    assert!(head.starts_with("HTTP/1.1 200"), "{url}: {head}");
    Ok(reply[split + 4..].to_vec())
}

fn peer_id(tag: u8) -> [u8; 20] {
    let mut id = *b"-HK0001-000000000000";
    id[19] = tag;
    id
}

#[test]
fn opentracker_http_announce_and_scrape() {
    let tracker = start_tracker("http");
    let announce = format!("http://127.0.0.1:{}/announce", tracker.port);
    let served: InfoHash = SERVED.parse().expect("hex");

    let seeder = AnnounceRequest {
        event: AnnounceEvent::Started,
        numwant: Some(50),
        key: Some(0x1234_abcd),
        ..AnnounceRequest::new(served, peer_id(b'a'), 6881, 0)
    };
    let first = http_get(&seeder.to_url(&announce).expect("url"));
    let AnnounceReply::Success(reply) = AnnounceReply::parse(&first).expect("parse") else {
        panic!("refused: {}", String::from_utf8_lossy(&first));
    };
    assert_eq!(reply.complete, Some(1));
    // opentracker spreads its 30-minute interval at random.
    assert!((900..=3600).contains(&reply.interval), "{}", reply.interval);
    assert_eq!(reply.min_interval, Some(reply.interval / 2));

    let leecher = AnnounceRequest {
        event: AnnounceEvent::Started,
        ..AnnounceRequest::new(served, peer_id(b'b'), 6882, 1000)
    };
    let second = http_get(&leecher.to_url(&announce).expect("url"));
    let AnnounceReply::Success(reply) = AnnounceReply::parse(&second).expect("parse") else {
        panic!("refused");
    };
    assert_eq!((reply.complete, reply.incomplete), (Some(1), Some(1)));
    let mut peers: Vec<SocketAddr> = reply.peers.iter().map(|p| p.addr).collect();
    peers.sort();
    assert!(
        peers.contains(&"127.0.0.1:6881".parse().expect("addr")),
        "{peers:?}"
    );
    fixture("opentracker-http-announce.bin", &second);

    let stranger = AnnounceRequest::new(InfoHash([0x11; 20]), peer_id(b'c'), 6883, 5);
    let refused = http_get(&stranger.to_url(&announce).expect("url"));
    assert_eq!(
        AnnounceReply::parse(&refused).expect("parse"),
        AnnounceReply::Failure {
            reason: "Requested download is not authorized for use with this tracker.".into()
        }
    );
    fixture("opentracker-http-failure.bin", &refused);

    let scrape = http_get(&scrape_url(&announce, &[served]).expect("scrape url"));
    let ScrapeReply::Success(files) = ScrapeReply::parse(&scrape).expect("parse") else {
        panic!("scrape refused");
    };
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].0, served);
    assert_eq!((files[0].1.complete, files[0].1.incomplete), (1, 1));
    fixture("opentracker-http-scrape.bin", &scrape);
}

/// Sends one request and returns the reply's bytes, checking it round-trips.
fn exchange(socket: &UdpSocket, request: &RequestRepr) -> Vec<u8> {
    let mut buf = [0u8; 1500];
    let len = request.emit(&mut buf).expect("emit");
    // What we send is a valid request by our own parser.
    let view = Request::new_checked(&buf[..len]).expect("own request");
    assert_eq!(&RequestRepr::parse(&view), request);
    socket.send(&buf[..len]).expect("send");
    let len = socket.recv(&mut buf).expect("reply within 5 s");
    let reply = buf[..len].to_vec();
    let view = Response::new_checked(&reply[..], Family::V4).expect("check reply");
    let repr = ResponseRepr::parse(&view);
    let mut again = vec![0u8; repr.buffer_len()];
    assert_eq!(repr.emit(&mut again), Ok(reply.len()));
    assert_eq!(again, reply, "emit(parse(reply)) differs");
    reply
}

#[test]
fn opentracker_udp_connect_announce_scrape_and_error() {
    let tracker = start_tracker("udp");
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    socket
        .connect(("127.0.0.1", tracker.port))
        .expect("connect");
    let served: InfoHash = SERVED.parse().expect("hex");

    let connect = exchange(
        &socket,
        &RequestRepr::Connect {
            transaction_id: 0x1111_2222,
        },
    );
    let ResponseRepr::Connect {
        transaction_id,
        connection_id,
    } = ResponseRepr::parse(&Response::new_checked(&connect[..], Family::V4).expect("view"))
    else {
        panic!("not a connect reply");
    };
    assert_eq!(transaction_id, 0x1111_2222);
    fixture("opentracker-udp-connect.bin", &connect);

    let announce = |transaction_id, tag, port, left, info_hash| {
        RequestRepr::Announce(UdpAnnounce {
            connection_id,
            transaction_id,
            info_hash,
            peer_id: peer_id(tag),
            downloaded: 0,
            left,
            uploaded: 0,
            event: AnnounceEvent::Started,
            ip: None,
            key: 7,
            num_want: None,
            port,
        })
    };
    exchange(&socket, &announce(1, b'a', 6881, 0, served));
    let reply = exchange(&socket, &announce(2, b'b', 6882, 1000, served));
    let ResponseRepr::Announce {
        transaction_id,
        interval,
        leechers,
        seeders,
        peers,
    } = ResponseRepr::parse(&Response::new_checked(&reply[..], Family::V4).expect("view"))
    else {
        panic!("not an announce reply");
    };
    assert_eq!(transaction_id, 2);
    assert!((900..=3600).contains(&interval), "{interval}");
    assert_eq!((leechers, seeders), (1, 1));
    assert!(
        peers.contains(&"127.0.0.1:6881".parse().expect("addr")),
        "{peers:?}"
    );
    fixture("opentracker-udp-announce.bin", &reply);

    let scrape = exchange(
        &socket,
        &RequestRepr::Scrape {
            connection_id,
            transaction_id: 3,
            info_hashes: vec![served, InfoHash([0x22; 20])],
        },
    );
    let ResponseRepr::Scrape { stats, .. } =
        ResponseRepr::parse(&Response::new_checked(&scrape[..], Family::V4).expect("view"))
    else {
        panic!("not a scrape reply");
    };
    assert_eq!(stats.len(), 2);
    assert_eq!((stats[0].complete, stats[0].incomplete), (1, 1));
    assert_eq!(stats[1].complete, 0);
    fixture("opentracker-udp-scrape.bin", &scrape);

    // opentracker refuses an announce for a torrent off its whitelist with a bare 8-byte
    // announce header (no interval, counts or peers): a truncated reply, refused as such.
    let mut buf = [0u8; 1500];
    let len = announce(4, b'c', 6883, 5, InfoHash([0x11; 20]))
        .emit(&mut buf)
        .expect("emit");
    socket.send(&buf[..len]).expect("send");
    let len = socket.recv(&mut buf).expect("reply within 5 s");
    let refused = &buf[..len];
    assert_eq!(refused, [0, 0, 0, 1, 0, 0, 0, 4]);
    assert_eq!(
        Response::new_checked(refused, Family::V4),
        Err(Error::Truncated { len: 8, needed: 20 })
    );
    fixture("opentracker-udp-refused.bin", refused);
}
