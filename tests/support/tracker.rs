//! A minimal HTTP BitTorrent tracker on 127.0.0.1 (BEP 3 announce with BEP 23's compact
//! peer list): it names the same fixed peers to every announcer and records each announce,
//! so a test can point a real client at a hark listener and check what the client said.
//!
//! One thread serves one request per connection. Scrapes get an empty answer; anything
//! else a 404. Dropping the tracker stops the thread.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddrV4, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// What a client said in one announce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announce {
    /// The torrent's v1 info-hash.
    pub info_hash: [u8; 20],
    /// The client's peer id.
    pub peer_id: Vec<u8>,
    /// The port the client says it listens on.
    pub port: u16,
    /// `started`, `completed`, `stopped`, or `None` for a regular announce.
    pub event: Option<String>,
}

/// A running tracker.
pub struct Tracker {
    addr: SocketAddrV4,
    announces: Arc<Mutex<Vec<Announce>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// The longest request head read; longer ones are refused.
const MAX_REQUEST: usize = 8192;

impl Tracker {
    /// Starts a tracker that hands out `peers` to every announcer.
    pub fn start(peers: Vec<SocketAddrV4>) -> Tracker {
        Tracker::start_with(peers, None)
    }

    /// As [`Tracker::start`], with a BEP 3 `warning message` in every announce reply.
    pub fn start_with_warning(peers: Vec<SocketAddrV4>, warning: &str) -> Tracker {
        Tracker::start_with(peers, Some(warning))
    }

    fn start_with(peers: Vec<SocketAddrV4>, warning: Option<&str>) -> Tracker {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind the tracker");
        let addr = match listener.local_addr().expect("the tracker's address") {
            std::net::SocketAddr::V4(addr) => addr,
            std::net::SocketAddr::V6(addr) => panic!("an IPv4 listener on {addr}"),
        };
        let announces = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let reply = announce_reply(&peers, warning);
        let (log, stopping) = (Arc::clone(&announces), Arc::clone(&stop));
        let thread = thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::Acquire) {
                    break;
                }
                if let Ok(stream) = stream {
                    // A client that misbehaves only loses its own request.
                    let _ = serve(stream, &reply, &log);
                }
            }
        });
        Tracker {
            addr,
            announces,
            stop,
            thread: Some(thread),
        }
    }

    /// The announce URL to put in a torrent.
    pub fn announce_url(&self) -> String {
        format!("http://{}/announce", self.addr)
    }

    /// Every announce so far, in order.
    pub fn announces(&self) -> Vec<Announce> {
        self.announces.lock().map(|a| a.clone()).unwrap_or_default()
    }
}

impl Drop for Tracker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        // Wake the blocking accept; the thread sees the flag and ends.
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads one request head and answers it.
fn serve(
    mut stream: TcpStream,
    announce: &[u8],
    log: &Mutex<Vec<Announce>>,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut head = Vec::new();
    let mut chunk = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut chunk)?;
        if n == 0 || head.len() + n > MAX_REQUEST {
            return respond(&mut stream, "400 Bad Request", b"");
        }
        head.extend_from_slice(&chunk[..n]);
    }
    let line = head.split(|b| *b == b'\r').next().unwrap_or_default();
    let target = std::str::from_utf8(line)
        .ok()
        .and_then(|line| line.strip_prefix("GET "))
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_default();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    match path {
        "/announce" => match parse_announce(query) {
            Some(parsed) => {
                if let Ok(mut log) = log.lock() {
                    log.push(parsed);
                }
                respond(&mut stream, "200 OK", announce)
            }
            None => respond(
                &mut stream,
                "200 OK",
                b"d14:failure reason17:a bad announce !e",
            ),
        },
        "/scrape" => respond(&mut stream, "200 OK", b"d5:filesdee"),
        _ => respond(&mut stream, "404 Not Found", b""),
    }
}

fn respond(stream: &mut TcpStream, status: &str, body: &[u8]) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()
}

/// The bencoded answer to every announce: a long interval, the compact peer list and the
/// warning, if any.
fn announce_reply(peers: &[SocketAddrV4], warning: Option<&str>) -> Vec<u8> {
    let mut compact = Vec::with_capacity(6 * peers.len());
    for peer in peers {
        compact.extend_from_slice(&peer.ip().octets());
        compact.extend_from_slice(&peer.port().to_be_bytes());
    }
    let mut out = b"d8:intervali1800e12:min intervali1800e5:peers".to_vec();
    out.extend_from_slice(format!("{}:", compact.len()).as_bytes());
    out.extend_from_slice(&compact);
    if let Some(text) = warning {
        out.extend_from_slice(format!("15:warning message{}:{text}", text.len()).as_bytes());
    }
    out.push(b'e');
    out
}

/// Reads `info_hash`, `peer_id`, `port` and `event` from an announce's query string.
fn parse_announce(query: &str) -> Option<Announce> {
    let (mut info_hash, mut peer_id, mut port, mut event) = (None, None, None, None);
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_decode(value)?;
        match key {
            "info_hash" => info_hash = Some(<[u8; 20]>::try_from(value.as_slice()).ok()?),
            "peer_id" => peer_id = Some(value),
            "port" => port = std::str::from_utf8(&value).ok()?.parse().ok(),
            "event" if !value.is_empty() => event = Some(String::from_utf8(value).ok()?),
            _ => {}
        }
    }
    Some(Announce {
        info_hash: info_hash?,
        peer_id: peer_id?,
        port: port?,
        event,
    })
}

/// Decodes `%XX` escapes and `+`; `None` on a broken escape.
fn percent_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        match byte {
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(at + 1..at + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                at += 3;
            }
            b'+' => {
                out.push(b' ');
                at += 1;
            }
            _ => {
                out.push(byte);
                at += 1;
            }
        }
    }
    Some(out)
}
