//! One simulated BitTorrent client: one uTP [`Endpoint`] shared by its torrents (each a
//! [`Download`]: a [`Torrent`], an in-memory disk, optionally an [`Announcer`] talking to a
//! UDP tracker and a web seed). An incoming connection joins the torrent its handshake's
//! info hash names, as a real client's listener does.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hark_wire::bt::metainfo::Info;
use hark_wire::bt::peer::PROTOCOL;
use hark_wire::bt::tracker::udp::Family;

use super::MemoryDisk;
use crate::bt::announce::{Announcer, Stats, TrackerEvent, TrackerRequest};
use crate::bt::torrent::{Event, PeerHandle, Torrent, WebRequest, WebSeedError};
use crate::netsim::{Node, Transmit};
use crate::utp::{self, ConnectionHandle, DatagramOutcome, Endpoint};

/// Bytes taken from a peer session per write attempt.
const CHUNK: usize = 64 * 1024;
/// Tracker datagrams queued at most.
const TRACKER_QUEUE: usize = 16;
/// A handshake's bytes up to the end of its info hash: enough to pick the torrent.
const HANDSHAKE_TO_HASH: usize = 48;

/// A simulated web seed (BEP 19) serving the torrent's content: each piece is answered
/// `latency` plus its length at `rate` bytes per second after it was asked for; the first
/// `failures` requests are answered with HTTP 503. It serves each file at
/// `url/name/path` (a multi-file torrent whose names need no escaping) and answers a
/// request for any other URL with 404.
#[derive(Debug, Clone)]
pub struct WebSeedSim {
    /// The seed's URL as the torrent knows it.
    pub url: String,
    /// Requests answered with 503 before it serves.
    pub failures: u32,
    /// Time to the first byte.
    pub latency: Duration,
    /// Bytes per second.
    pub rate: u64,
}

struct WebState {
    sim: WebSeedSim,
    content: Arc<[u8]>,
    /// Per file: where it starts in the content, and its URL.
    files: Vec<(u64, String)>,
    in_flight: Option<(Instant, WebRequest)>,
    served: u32,
}

impl WebState {
    /// The body for `request`, or the HTTP status a web server would answer.
    fn answer(&mut self, request: &WebRequest) -> Result<Vec<u8>, WebSeedError> {
        if self.sim.failures > 0 {
            self.sim.failures -= 1;
            return Err(WebSeedError::Status(503));
        }
        let mut body = Vec::new();
        for r in &request.ranges {
            let Some((start, url)) = self.files.get(r.file) else {
                return Err(WebSeedError::Status(404));
            };
            if *url != r.url {
                return Err(WebSeedError::Status(404));
            }
            let (at, to) = ((start + r.first) as usize, (start + r.last) as usize);
            let Some(bytes) = self.content.get(at..=to) else {
                return Err(WebSeedError::Status(416));
            };
            body.extend_from_slice(bytes);
        }
        self.served += 1;
        Ok(body)
    }
}

/// A peer's transport: its uTP connection and the bytes its session gave that the
/// connection has not taken yet.
struct Link {
    conn: ConnectionHandle,
    remote: SocketAddr,
    outbox: Vec<u8>,
}

/// What a uTP connection carries.
enum Conn {
    /// An incoming connection whose handshake has not named its torrent yet: the bytes so
    /// far.
    Handshake { remote: SocketAddr, head: Vec<u8> },
    /// A peer of download `.0`.
    Peer(usize, PeerHandle),
    /// Closing: what still arrives is dropped.
    Closing,
}

/// One torrent of a client: its engine, disk, peers, announcer and web seed, and what
/// happened to it.
pub struct Download {
    index: usize,
    info_hash: [u8; 20],
    total: u64,
    torrent: Torrent,
    disk: MemoryDisk,
    links: BTreeMap<PeerHandle, Link>,
    /// Addresses to connect to once started.
    to_connect: Vec<SocketAddr>,
    tracker: Option<Announcer>,
    web: Option<WebState>,
    events: Vec<(Instant, Event)>,
    tracker_events: Vec<(Instant, TrackerEvent)>,
    finished_at: Option<Instant>,
}

impl Download {
    /// The swarm's torrent `index` (whose info is `info`) run by `torrent` on `disk`.
    pub fn new(index: usize, info: &Info, torrent: Torrent, disk: MemoryDisk) -> Self {
        Self {
            index,
            info_hash: info.info_hash.0,
            total: info.total_length(),
            torrent,
            disk,
            links: BTreeMap::new(),
            to_connect: Vec::new(),
            tracker: None,
            web: None,
            events: Vec::new(),
            tracker_events: Vec::new(),
            finished_at: None,
        }
    }

    /// Announces with `announcer` (whose tiers name the client's tracker) once started,
    /// and connects to the peers it returns.
    pub fn set_announcer(&mut self, announcer: Announcer) {
        self.tracker = Some(announcer);
    }

    /// Adds a web seed serving `content`, the content of `info`.
    pub fn set_web_seed(&mut self, sim: WebSeedSim, info: &Info, content: Arc<[u8]>) {
        let mut base = sim.url.clone();
        if !base.ends_with('/') {
            base.push('/');
        }
        let files = info
            .files
            .iter()
            .map(|f| {
                let url = if info.single_file {
                    if sim.url.ends_with('/') {
                        format!("{base}{}", info.name)
                    } else {
                        sim.url.clone()
                    }
                } else {
                    format!("{base}{}/{}", info.name, f.path.join("/"))
                };
                (f.offset, url)
            })
            .collect();
        self.torrent.add_web_seed(sim.url.clone());
        self.web = Some(WebState {
            sim,
            content,
            files,
            in_flight: None,
            served: 0,
        });
    }

    /// Which of the swarm's torrents this is.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The torrent.
    pub fn torrent(&self) -> &Torrent {
        &self.torrent
    }

    /// The disk.
    pub fn disk(&self) -> &MemoryDisk {
        &self.disk
    }

    /// Every torrent event so far, with its time.
    pub fn events(&self) -> &[(Instant, Event)] {
        &self.events
    }

    /// Every tracker event so far, with its time.
    pub fn tracker_events(&self) -> &[(Instant, TrackerEvent)] {
        &self.tracker_events
    }

    /// When the torrent finished, if it did.
    pub fn finished_at(&self) -> Option<Instant> {
        self.finished_at
    }

    /// Pieces the web seed served.
    pub fn web_served(&self) -> u32 {
        self.web.as_ref().map_or(0, |w| w.served)
    }

    /// Whether every piece is in and the disk holds `content` exactly.
    pub fn byte_exact(&self, content: &[u8]) -> bool {
        self.torrent.is_finished() && self.disk.content() == content
    }

    fn run_disk(&mut self, now: Instant) -> bool {
        let mut progress = false;
        while let Some(job) = self.torrent.poll_disk_job() {
            progress = true;
            let completion = self.disk.run(job);
            self.torrent.handle_disk(now, completion);
        }
        progress
    }

    /// Moves bytes from the sessions into their connections, as far as they take them.
    fn flush(&mut self, now: Instant, endpoint: &mut Endpoint, buf: &mut [u8]) -> bool {
        let mut progress = false;
        let handles: Vec<PeerHandle> = self.links.keys().copied().collect();
        for peer in handles {
            while let Some(link) = self.links.get_mut(&peer) {
                if !link.outbox.is_empty() {
                    match endpoint.write(link.conn, &link.outbox) {
                        Ok(n) if n > 0 => {
                            link.outbox.drain(..n);
                            progress = true;
                        }
                        _ => break,
                    }
                    if !link.outbox.is_empty() {
                        break;
                    }
                }
                let n = self.torrent.poll_peer_transmit(now, peer, buf);
                if n == 0 {
                    break;
                }
                progress = true;
                if let Some(link) = self.links.get_mut(&peer) {
                    link.outbox.extend_from_slice(&buf[..n]);
                }
            }
        }
        progress
    }

    /// Drains the torrent's events; the connections of closed peers, to close.
    fn torrent_events(&mut self, now: Instant, closed: &mut Vec<ConnectionHandle>) -> bool {
        let mut progress = false;
        while let Some(event) = self.torrent.poll_event() {
            progress = true;
            match &event {
                Event::PeerClosed { peer, .. } => {
                    if let Some(link) = self.links.remove(peer) {
                        closed.push(link.conn);
                    }
                }
                Event::Finished => {
                    self.finished_at.get_or_insert(now);
                    if let Some(announcer) = &mut self.tracker {
                        announcer.complete(
                            now,
                            Stats {
                                downloaded: self.total,
                                ..Stats::default()
                            },
                        );
                    }
                }
                _ => {}
            }
            self.events.push((now, event));
        }
        progress
    }

    /// Queues the announcer's datagrams in `out`; the peers it found.
    fn tracker_io(
        &mut self,
        now: Instant,
        out: &mut VecDeque<Vec<u8>>,
        found: &mut Vec<SocketAddr>,
    ) -> bool {
        let Some(announcer) = &mut self.tracker else {
            return false;
        };
        let mut progress = false;
        while let Some(request) = announcer.poll_request() {
            progress = true;
            match request {
                TrackerRequest::Udp { payload, .. } => {
                    if out.len() < TRACKER_QUEUE {
                        out.push_back(payload);
                    }
                }
                TrackerRequest::Http { id, .. } => {
                    announcer.handle_request_failed(now, id, "no HTTP in the simulation");
                }
            }
        }
        while let Some(event) = announcer.poll_event() {
            progress = true;
            if let TrackerEvent::Success { peers, .. } = &event {
                found.extend(peers.iter().copied());
            }
            self.tracker_events.push((now, event));
        }
        progress
    }

    fn web_requests(&mut self, now: Instant) -> bool {
        let Some(web) = &mut self.web else {
            return false;
        };
        let mut progress = false;
        if web.in_flight.as_ref().is_some_and(|(due, _)| *due <= now)
            && let Some((_, request)) = web.in_flight.take()
        {
            let result = web.answer(&request);
            self.torrent.handle_web_seed(now, request.seed, result);
            progress = true;
        }
        let Some(web) = &mut self.web else {
            return progress;
        };
        if web.in_flight.is_none()
            && let Some(request) = self.torrent.poll_web_request(now)
        {
            let len: u64 = request.ranges.iter().map(|r| r.last - r.first + 1).sum();
            let wire = Duration::from_secs_f64(len as f64 / web.sim.rate.max(1) as f64);
            web.in_flight = Some((now + web.sim.latency + wire, request));
            progress = true;
        }
        progress
    }

    fn poll_timeout(&self) -> Option<Instant> {
        let web = self
            .web
            .as_ref()
            .and_then(|w| w.in_flight.as_ref().map(|(due, _)| *due));
        let tracker = self.tracker.as_ref().and_then(Announcer::poll_timeout);
        [self.torrent.poll_timeout(), web, tracker]
            .into_iter()
            .flatten()
            .min()
    }
}

/// A BitTorrent client in a [`Sim`](crate::netsim::Sim): see the [module docs](super).
pub struct PeerNode {
    addr: SocketAddr,
    start_at: Instant,
    started: bool,
    endpoint: Endpoint,
    downloads: Vec<Download>,
    conns: BTreeMap<ConnectionHandle, Conn>,
    tracker: Option<SocketAddr>,
    tracker_out: VecDeque<Vec<u8>>,
    buf: Vec<u8>,
}

impl PeerNode {
    /// A client at `addr` over `endpoint`, idle until `start_at`, with no torrent yet.
    pub fn new(addr: SocketAddr, start_at: Instant, endpoint: Endpoint) -> Self {
        Self {
            addr,
            start_at,
            started: false,
            endpoint,
            downloads: Vec::new(),
            conns: BTreeMap::new(),
            tracker: None,
            tracker_out: VecDeque::new(),
            buf: vec![0; CHUNK],
        }
    }

    /// Adds a torrent.
    pub fn add_download(&mut self, download: Download) {
        self.downloads.push(download);
    }

    /// Sends the announcers' datagrams to the UDP tracker at `tracker`.
    pub fn set_tracker(&mut self, tracker: SocketAddr) {
        self.tracker = Some(tracker);
    }

    /// Connects to `peer` for the swarm's torrent `torrent` once started (or at the next
    /// event, if started). Nothing happens if the client does not hold that torrent.
    pub fn connect_to(&mut self, torrent: usize, peer: SocketAddr) {
        if let Some(d) = self.downloads.iter_mut().find(|d| d.index == torrent) {
            d.to_connect.push(peer);
        }
    }

    /// The client's torrents, in the order they were added.
    pub fn downloads(&self) -> &[Download] {
        &self.downloads
    }

    /// The client's copy of the swarm's torrent `torrent`, if it holds it.
    pub fn download(&self, torrent: usize) -> Option<&Download> {
        self.downloads.iter().find(|d| d.index == torrent)
    }

    /// The uTP endpoint.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    fn start(&mut self, now: Instant) {
        if self.started || now < self.start_at {
            return;
        }
        self.started = true;
        for d in &mut self.downloads {
            if let Some(announcer) = &mut d.tracker {
                let left = if d.torrent.is_finished() { 0 } else { d.total };
                announcer.start(
                    now,
                    Stats {
                        left,
                        ..Stats::default()
                    },
                );
            }
        }
    }

    /// Connects download `d` to `peer`, unless it is this client or already a peer.
    fn connect(&mut self, now: Instant, d: usize, peer: SocketAddr) {
        let download = &mut self.downloads[d];
        if peer == self.addr || download.links.values().any(|l| l.remote == peer) {
            return;
        }
        let Ok(conn) = self.endpoint.connect(now, peer) else {
            return;
        };
        match download.torrent.add_peer(now, peer) {
            Ok(handle) => {
                download.links.insert(
                    handle,
                    Link {
                        conn,
                        remote: peer,
                        outbox: Vec::new(),
                    },
                );
                self.conns.insert(conn, Conn::Peer(d, handle));
            }
            Err(_) => {
                let _ = self.endpoint.abort(conn);
            }
        }
    }

    fn close(&mut self, conn: ConnectionHandle) {
        self.conns.insert(conn, Conn::Closing);
        let _ = self.endpoint.close(conn);
    }

    /// Runs everything that became possible, until nothing changes (bounded).
    fn pump(&mut self, now: Instant) {
        self.start(now);
        if !self.started {
            return;
        }
        for d in 0..self.downloads.len() {
            for peer in std::mem::take(&mut self.downloads[d].to_connect) {
                self.connect(now, d, peer);
            }
        }
        for _ in 0..16 {
            let mut progress = self.transport_events(now);
            let mut closed = Vec::new();
            let mut found = Vec::new();
            for (d, download) in self.downloads.iter_mut().enumerate() {
                progress |= download.run_disk(now);
                progress |= download.flush(now, &mut self.endpoint, &mut self.buf);
                progress |= download.torrent_events(now, &mut closed);
                let mut peers = Vec::new();
                progress |= download.tracker_io(now, &mut self.tracker_out, &mut peers);
                found.extend(peers.into_iter().map(|p| (d, p)));
                progress |= download.web_requests(now);
            }
            for conn in closed {
                self.close(conn);
            }
            for (d, peer) in found {
                self.connect(now, d, peer);
            }
            if !progress {
                break;
            }
        }
    }

    fn transport_events(&mut self, now: Instant) -> bool {
        let mut progress = false;
        while let Some((conn, event)) = self.endpoint.poll_event() {
            progress = true;
            match event {
                utp::Event::Readable => {
                    while let Ok(n @ 1..) = self.endpoint.read(conn, &mut self.buf) {
                        let bytes = self.buf[..n].to_vec();
                        self.deliver(now, conn, &bytes);
                    }
                }
                utp::Event::Eof | utp::Event::Error(_) => {
                    if let Some(&Conn::Peer(d, peer)) = self.conns.get(&conn) {
                        self.downloads[d].torrent.remove_peer(now, peer);
                    }
                    let _ = self.endpoint.close(conn);
                }
                utp::Event::Destroying => {
                    if let Some(Conn::Peer(d, peer)) = self.conns.remove(&conn) {
                        self.downloads[d].torrent.remove_peer(now, peer);
                        self.downloads[d].links.remove(&peer);
                    }
                }
                _ => {}
            }
        }
        progress
    }

    /// Hands `bytes` read from `conn` to its peer's torrent; an incoming connection's
    /// first bytes pick the torrent by the handshake's info hash.
    fn deliver(&mut self, now: Instant, conn: ConnectionHandle, bytes: &[u8]) {
        match self.conns.get_mut(&conn) {
            Some(&mut Conn::Peer(d, peer)) => {
                self.downloads[d]
                    .torrent
                    .handle_peer_bytes(now, peer, bytes);
            }
            Some(Conn::Handshake { remote, head }) => {
                let remote = *remote;
                let take = bytes.len().min(HANDSHAKE_TO_HASH - head.len());
                head.extend_from_slice(&bytes[..take]);
                let shown = head.len().clamp(1, 1 + PROTOCOL.len());
                let plausible = head
                    .first()
                    .is_none_or(|&n| usize::from(n) == PROTOCOL.len())
                    && head.get(1..shown).unwrap_or_default() == &PROTOCOL[..shown - 1];
                if !plausible {
                    self.close(conn);
                    return;
                }
                if head.len() < HANDSHAKE_TO_HASH {
                    return;
                }
                let head = std::mem::take(head);
                let Some(d) = self
                    .downloads
                    .iter()
                    .position(|d| d.info_hash[..] == head[28..HANDSHAKE_TO_HASH])
                else {
                    self.close(conn);
                    return;
                };
                let download = &mut self.downloads[d];
                let Ok(peer) = download.torrent.add_peer(now, remote) else {
                    self.close(conn);
                    return;
                };
                download.links.insert(
                    peer,
                    Link {
                        conn,
                        remote,
                        outbox: Vec::new(),
                    },
                );
                self.conns.insert(conn, Conn::Peer(d, peer));
                download.torrent.handle_peer_bytes(now, peer, &head);
                if take < bytes.len() {
                    download
                        .torrent
                        .handle_peer_bytes(now, peer, &bytes[take..]);
                }
            }
            Some(Conn::Closing) | None => {}
        }
    }
}

impl Node for PeerNode {
    fn handle_datagram(&mut self, now: Instant, from: SocketAddr, data: &[u8]) {
        if !self.started {
            self.pump(now);
        }
        if self.tracker == Some(from) {
            // Each announcer takes only the replies to its own transaction.
            for d in &mut self.downloads {
                if let Some(announcer) = &mut d.tracker {
                    announcer.handle_datagram(now, Family::of(&from), data);
                }
            }
        } else if let DatagramOutcome::Incoming(incoming) =
            self.endpoint.handle_datagram(now, from, data)
        {
            let remote = incoming.remote();
            if let Ok(conn) = self.endpoint.accept(now, incoming) {
                self.conns.insert(
                    conn,
                    Conn::Handshake {
                        remote,
                        head: Vec::with_capacity(HANDSHAKE_TO_HASH),
                    },
                );
            }
        }
        self.endpoint.issue_deferred_acks(now);
        self.pump(now);
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.endpoint.handle_timeout(now);
        if self.started {
            for d in &mut self.downloads {
                if d.torrent.poll_timeout().is_some_and(|t| t <= now) {
                    d.torrent.handle_timeout(now);
                }
                if let Some(announcer) = &mut d.tracker {
                    announcer.handle_timeout(now);
                }
            }
        }
        self.pump(now);
    }

    fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        if let Some(tracker) = self.tracker
            && let Some(payload) = self.tracker_out.pop_front()
        {
            let len = payload.len().min(buf.len());
            buf[..len].copy_from_slice(&payload[..len]);
            return Some(Transmit {
                destination: tracker,
                len,
            });
        }
        let transmit = self.endpoint.poll_transmit(now, buf)?;
        Some(Transmit {
            destination: transmit.destination,
            len: transmit.len,
        })
    }

    fn poll_timeout(&mut self) -> Option<Instant> {
        if !self.started {
            return Some(self.start_at);
        }
        self.downloads
            .iter()
            .filter_map(Download::poll_timeout)
            .chain(self.endpoint.poll_timeout())
            .min()
    }
}
