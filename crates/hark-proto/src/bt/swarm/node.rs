//! One simulated BitTorrent client: a [`Torrent`] whose peers are uTP connections of one
//! [`Endpoint`], an in-memory disk, optionally an [`Announcer`] talking to a UDP tracker
//! and a web seed.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

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

/// A simulated web seed (BEP 19) serving the torrent's content: each piece is answered
/// `latency` plus its length at `rate` bytes per second after it was asked for; the first
/// `failures` requests are answered with HTTP 503.
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
    file_starts: Vec<u64>,
    in_flight: Option<(Instant, WebRequest)>,
    served: u32,
}

/// A peer's transport: its uTP connection and the bytes its session gave that the
/// connection has not taken yet.
struct Link {
    conn: ConnectionHandle,
    remote: SocketAddr,
    outbox: Vec<u8>,
}

/// A BitTorrent client in a [`Sim`](crate::netsim::Sim): see the [module docs](super).
pub struct PeerNode {
    addr: SocketAddr,
    start_at: Instant,
    started: bool,
    torrent: Torrent,
    endpoint: Endpoint,
    disk: MemoryDisk,
    total: u64,
    links: BTreeMap<PeerHandle, Link>,
    by_conn: BTreeMap<ConnectionHandle, Option<PeerHandle>>,
    /// Addresses to connect to once started.
    to_connect: Vec<SocketAddr>,
    tracker: Option<(Announcer, SocketAddr)>,
    tracker_out: VecDeque<Vec<u8>>,
    web: Option<WebState>,
    events: Vec<(Instant, Event)>,
    tracker_events: Vec<(Instant, TrackerEvent)>,
    finished_at: Option<Instant>,
    buf: Vec<u8>,
}

impl PeerNode {
    /// A client at `addr` running `torrent` on `disk` over `endpoint`, idle until
    /// `start_at`. `total` is the torrent's length (for the tracker's `left`).
    pub fn new(
        addr: SocketAddr,
        start_at: Instant,
        torrent: Torrent,
        endpoint: Endpoint,
        disk: MemoryDisk,
        total: u64,
    ) -> Self {
        Self {
            addr,
            start_at,
            started: false,
            torrent,
            endpoint,
            disk,
            total,
            links: BTreeMap::new(),
            by_conn: BTreeMap::new(),
            to_connect: Vec::new(),
            tracker: None,
            tracker_out: VecDeque::new(),
            web: None,
            events: Vec::new(),
            tracker_events: Vec::new(),
            finished_at: None,
            buf: vec![0; CHUNK],
        }
    }

    /// Connects to `peer` once started (or at the next event, if started).
    pub fn connect_to(&mut self, peer: SocketAddr) {
        self.to_connect.push(peer);
    }

    /// Announces to the UDP tracker at `tracker` with `announcer` (whose tiers name it)
    /// once started, and connects to the peers it returns.
    pub fn set_tracker(&mut self, announcer: Announcer, tracker: SocketAddr) {
        self.tracker = Some((announcer, tracker));
    }

    /// Adds a web seed serving `content` (whose files start at `file_starts`).
    pub fn set_web_seed(&mut self, sim: WebSeedSim, content: Arc<[u8]>, file_starts: Vec<u64>) {
        self.torrent.add_web_seed(sim.url.clone());
        self.web = Some(WebState {
            sim,
            content,
            file_starts,
            in_flight: None,
            served: 0,
        });
    }

    /// The torrent.
    pub fn torrent(&self) -> &Torrent {
        &self.torrent
    }

    /// The disk.
    pub fn disk(&self) -> &MemoryDisk {
        &self.disk
    }

    /// The uTP endpoint.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
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

    fn start(&mut self, now: Instant) {
        if self.started || now < self.start_at {
            return;
        }
        self.started = true;
        if let Some((announcer, _)) = &mut self.tracker {
            announcer.start(
                now,
                Stats {
                    left: self.total,
                    ..Stats::default()
                },
            );
        }
    }

    fn connect(&mut self, now: Instant, peer: SocketAddr) {
        if peer == self.addr || self.links.values().any(|l| l.remote == peer) {
            return;
        }
        let Ok(conn) = self.endpoint.connect(now, peer) else {
            return;
        };
        match self.torrent.add_peer(now, peer) {
            Ok(handle) => {
                self.links.insert(
                    handle,
                    Link {
                        conn,
                        remote: peer,
                        outbox: Vec::new(),
                    },
                );
                self.by_conn.insert(conn, Some(handle));
            }
            Err(_) => {
                let _ = self.endpoint.abort(conn);
            }
        }
    }

    /// Runs everything that became possible, until nothing changes (bounded).
    fn pump(&mut self, now: Instant) {
        self.start(now);
        if !self.started {
            return;
        }
        for peer in std::mem::take(&mut self.to_connect) {
            self.connect(now, peer);
        }
        for _ in 0..16 {
            let mut progress = self.transport_events(now);
            progress |= self.run_disk(now);
            progress |= self.flush(now);
            progress |= self.torrent_events(now);
            progress |= self.tracker_io(now);
            progress |= self.web_requests(now);
            if !progress {
                break;
            }
        }
    }

    fn transport_events(&mut self, now: Instant) -> bool {
        let mut progress = false;
        while let Some((conn, event)) = self.endpoint.poll_event() {
            progress = true;
            let peer = self.by_conn.get(&conn).copied().flatten();
            match event {
                utp::Event::Readable => {
                    while let Ok(n @ 1..) = self.endpoint.read(conn, &mut self.buf) {
                        if let Some(peer) = peer {
                            let bytes = self.buf[..n].to_vec();
                            self.torrent.handle_peer_bytes(now, peer, &bytes);
                        }
                    }
                }
                utp::Event::Eof | utp::Event::Error(_) => {
                    if let Some(peer) = peer {
                        self.torrent.remove_peer(now, peer);
                    }
                    let _ = self.endpoint.close(conn);
                }
                utp::Event::Destroying => {
                    if let Some(peer) = peer {
                        self.torrent.remove_peer(now, peer);
                        self.links.remove(&peer);
                    }
                    self.by_conn.remove(&conn);
                }
                _ => {}
            }
        }
        progress
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
    fn flush(&mut self, now: Instant) -> bool {
        let mut progress = false;
        let handles: Vec<PeerHandle> = self.links.keys().copied().collect();
        for peer in handles {
            while let Some(link) = self.links.get_mut(&peer) {
                if !link.outbox.is_empty() {
                    match self.endpoint.write(link.conn, &link.outbox) {
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
                let n = self.torrent.poll_peer_transmit(now, peer, &mut self.buf);
                if n == 0 {
                    break;
                }
                progress = true;
                if let Some(link) = self.links.get_mut(&peer) {
                    link.outbox.extend_from_slice(&self.buf[..n]);
                }
            }
        }
        progress
    }

    fn torrent_events(&mut self, now: Instant) -> bool {
        let mut progress = false;
        while let Some(event) = self.torrent.poll_event() {
            progress = true;
            match &event {
                Event::PeerClosed { peer, .. } => {
                    if let Some(link) = self.links.remove(peer) {
                        self.by_conn.insert(link.conn, None);
                        let _ = self.endpoint.close(link.conn);
                    }
                }
                Event::Finished => {
                    self.finished_at.get_or_insert(now);
                    if let Some((announcer, _)) = &mut self.tracker {
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

    fn tracker_io(&mut self, now: Instant) -> bool {
        let Some((announcer, _)) = &mut self.tracker else {
            return false;
        };
        let mut progress = false;
        let mut found = Vec::new();
        while let Some(request) = announcer.poll_request() {
            progress = true;
            match request {
                TrackerRequest::Udp { payload, .. } => {
                    if self.tracker_out.len() < TRACKER_QUEUE {
                        self.tracker_out.push_back(payload);
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
        for peer in found {
            self.connect(now, peer);
        }
        progress
    }

    fn web_requests(&mut self, now: Instant) -> bool {
        let Some(web) = &mut self.web else {
            return false;
        };
        let mut progress = false;
        if let Some((due, _)) = &web.in_flight
            && *due <= now
        {
            let Some((_, request)) = web.in_flight.take() else {
                return false;
            };
            let result = if web.sim.failures > 0 {
                web.sim.failures -= 1;
                Err(WebSeedError::Status(503))
            } else {
                let mut body = Vec::new();
                for r in &request.ranges {
                    let start = web.file_starts.get(r.file).copied().unwrap_or(0);
                    let (at, to) = ((start + r.first) as usize, (start + r.last) as usize);
                    if let Some(bytes) = web.content.get(at..=to) {
                        body.extend_from_slice(bytes);
                    }
                }
                web.served += 1;
                Ok(body)
            };
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
}

impl Node for PeerNode {
    fn handle_datagram(&mut self, now: Instant, from: SocketAddr, data: &[u8]) {
        if !self.started {
            self.pump(now);
        }
        if let Some((announcer, tracker)) = &mut self.tracker
            && from == *tracker
        {
            announcer.handle_datagram(now, Family::of(&from), data);
        } else if let DatagramOutcome::Incoming(incoming) =
            self.endpoint.handle_datagram(now, from, data)
        {
            let remote = incoming.remote();
            match self.torrent.add_peer(now, remote) {
                Ok(handle) => match self.endpoint.accept(now, incoming) {
                    Ok(conn) => {
                        self.links.insert(
                            handle,
                            Link {
                                conn,
                                remote,
                                outbox: Vec::new(),
                            },
                        );
                        self.by_conn.insert(conn, Some(handle));
                    }
                    Err(_) => self.torrent.remove_peer(now, handle),
                },
                Err(_) => self.endpoint.refuse(incoming),
            }
        }
        self.endpoint.issue_deferred_acks(now);
        self.pump(now);
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.endpoint.handle_timeout(now);
        if self.started && self.torrent.poll_timeout().is_some_and(|t| t <= now) {
            self.torrent.handle_timeout(now);
        }
        if let Some((announcer, _)) = &mut self.tracker
            && self.started
        {
            announcer.handle_timeout(now);
        }
        self.pump(now);
    }

    fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        if let Some((_, tracker)) = &self.tracker
            && let Some(payload) = self.tracker_out.pop_front()
        {
            let len = payload.len().min(buf.len());
            buf[..len].copy_from_slice(&payload[..len]);
            return Some(Transmit {
                destination: *tracker,
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
        let web = self
            .web
            .as_ref()
            .and_then(|w| w.in_flight.as_ref().map(|(due, _)| *due));
        let tracker = self.tracker.as_ref().and_then(|(a, _)| a.poll_timeout());
        [
            self.endpoint.poll_timeout(),
            self.torrent.poll_timeout(),
            web,
            tracker,
        ]
        .into_iter()
        .flatten()
        .min()
    }
}
