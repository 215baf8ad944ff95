//! An in-memory swarm: torrents joined by rate-limited, delayed byte pipes, disks in memory,
//! a virtual clock.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hark_wire::bt::metainfo::Info;
use rand_core::SeedableRng;
use rand_pcg::Pcg32;
use sha1::{Digest, Sha1};

use crate::bt::peer::{PieceSet, SessionConfig};
use crate::bt::torrent::{
    Completion, DiskError, DiskJob, Event, FileSlice, PeerHandle, Torrent, TorrentConfig,
};

pub use crate::bt::swarm::make_torrent;

/// How a node behaves.
#[derive(Debug, Clone, Copy, Default)]
pub struct NodeSpec {
    /// Starts with every piece.
    pub seed: bool,
    /// Upload bytes per second.
    pub up_rate: u64,
    /// Its disk flips a byte of every block it reads (it serves corrupt data).
    pub corrupt: bool,
    /// Writes fail once this many bytes were written.
    pub fail_writes_after: Option<u64>,
}

/// One node: its torrent, its in-memory disk, its uplink.
pub struct Node {
    pub torrent: Torrent,
    pub spec: NodeSpec,
    pub addr: SocketAddr,
    pub files: Vec<Vec<u8>>,
    pub written: u64,
    pub events: Vec<Event>,
    uplink_free: Instant,
    rr: usize,
}

struct Link {
    to_node: usize,
    to_peer: PeerHandle,
    /// (arrival, bytes)
    queue: VecDeque<(Instant, Vec<u8>)>,
}

/// The swarm.
pub struct Swarm {
    pub now: Instant,
    pub start: Instant,
    pub nodes: Vec<Node>,
    links: BTreeMap<(usize, PeerHandle), Link>,
    pub delay: Duration,
    pub content: Vec<u8>,
    pub info: Info,
    pub seed: u64,
    /// Web seed requests answered with HTTP 503 before it serves.
    pub web_failures_left: u32,
    /// Pieces the web seed served.
    pub web_served: u32,
}

const TICK: Duration = Duration::from_millis(5);
const CHUNK: usize = 16 * 1024 + 13;

impl Swarm {
    pub fn new(seed: u64, info: Info, content: Vec<u8>) -> Self {
        let start = Instant::now();
        Self {
            now: start,
            start,
            nodes: Vec::new(),
            links: BTreeMap::new(),
            delay: Duration::from_millis(20),
            content,
            info,
            seed,
            web_failures_left: 0,
            web_served: 0,
        }
    }

    pub fn add_node(&mut self, spec: NodeSpec) -> usize {
        let n = self.nodes.len();
        let mut peer_id = *b"-HK0001-000000000000";
        peer_id[8..12].copy_from_slice(format!("{n:04}").as_bytes());
        let mut config = TorrentConfig::new(SessionConfig::new(peer_id));
        config.session.request_timeout = Duration::from_secs(10);
        let count = self.info.piece_count() as u32;
        let have = if spec.seed {
            PieceSet::full(count)
        } else {
            PieceSet::empty(count)
        };
        let rng = Box::new(Pcg32::seed_from_u64(self.seed ^ (n as u64) << 32));
        let torrent = Torrent::new(self.now, config, &self.info, have, rng).expect("torrent");
        let mut files = Vec::new();
        let mut at = 0usize;
        for f in &self.info.files {
            let len = f.length as usize;
            files.push(if spec.seed {
                self.content[at..at + len].to_vec()
            } else {
                Vec::new()
            });
            at += len;
        }
        self.nodes.push(Node {
            torrent,
            spec,
            addr: SocketAddr::from(([10, 0, (n / 250) as u8, (n % 250 + 1) as u8], 6881)),
            files,
            written: 0,
            events: Vec::new(),
            uplink_free: self.now,
            rr: 0,
        });
        n
    }

    /// Connects nodes `a` and `b` (a stream both ways). False if either refused.
    pub fn connect(&mut self, a: usize, b: usize) -> bool {
        let now = self.now;
        let addr_a = self.nodes[a].addr;
        let addr_b = self.nodes[b].addr;
        let Ok(ha) = self.nodes[a].torrent.add_peer(now, addr_b) else {
            return false;
        };
        let Ok(hb) = self.nodes[b].torrent.add_peer(now, addr_a) else {
            self.nodes[a].torrent.remove_peer(now, ha);
            return false;
        };
        self.links.insert(
            (a, ha),
            Link {
                to_node: b,
                to_peer: hb,
                queue: VecDeque::new(),
            },
        );
        self.links.insert(
            (b, hb),
            Link {
                to_node: a,
                to_peer: ha,
                queue: VecDeque::new(),
            },
        );
        true
    }

    /// One tick of virtual time.
    pub fn step(&mut self) {
        self.now += TICK;
        let now = self.now;
        // Deliver what has arrived.
        let keys: Vec<(usize, PeerHandle)> = self.links.keys().copied().collect();
        for key in &keys {
            while let Some(link) = self.links.get_mut(key) {
                if link.queue.front().is_none_or(|(at, _)| *at > now) {
                    break;
                }
                let (_, bytes) = link.queue.pop_front().expect("front");
                let (to, peer) = (link.to_node, link.to_peer);
                self.nodes[to].torrent.handle_peer_bytes(now, peer, &bytes);
            }
        }
        for i in 0..self.nodes.len() {
            let node = &mut self.nodes[i];
            if node.torrent.poll_timeout().is_some_and(|t| t <= now) {
                node.torrent.handle_timeout(now);
            }
            run_disk(node, now);
        }
        self.serve_web_seeds();
        // Uplinks: each node sends while its uplink is free, round robin over its peers.
        for i in 0..self.nodes.len() {
            let mut buf = vec![0u8; CHUNK];
            loop {
                let node = &mut self.nodes[i];
                if node.uplink_free > now {
                    break;
                }
                let peers: Vec<PeerHandle> = node.torrent.peers().collect();
                if peers.is_empty() {
                    break;
                }
                let mut sent = None;
                for k in 0..peers.len() {
                    let peer = peers[(node.rr + k) % peers.len()];
                    let n = node.torrent.poll_peer_transmit(now, peer, &mut buf);
                    if n > 0 {
                        node.rr = (node.rr + k + 1) % peers.len();
                        sent = Some((peer, n));
                        break;
                    }
                }
                let Some((peer, n)) = sent else {
                    break;
                };
                let wire = Duration::from_secs_f64(n as f64 / node.spec.up_rate as f64);
                node.uplink_free = node.uplink_free.max(now - TICK) + wire;
                let arrival = node.uplink_free + self.delay;
                if let Some(link) = self.links.get_mut(&(i, peer)) {
                    link.queue.push_back((arrival, buf[..n].to_vec()));
                }
            }
        }
        // Events; closed sessions end their transport both ways.
        let mut closed = Vec::new();
        for i in 0..self.nodes.len() {
            run_disk(&mut self.nodes[i], now);
            while let Some(e) = self.nodes[i].torrent.poll_event() {
                if let Event::PeerClosed { peer, .. } = &e {
                    closed.push((i, *peer));
                }
                self.nodes[i].events.push(e);
            }
        }
        for (i, peer) in closed {
            if let Some(link) = self.links.remove(&(i, peer)) {
                self.links.remove(&(link.to_node, link.to_peer));
                self.nodes[link.to_node]
                    .torrent
                    .remove_peer(now, link.to_peer);
            }
        }
    }

    /// Answers every web seed request: 503 while `web_failures_left`, else the ranges.
    fn serve_web_seeds(&mut self) {
        let now = self.now;
        let starts: Vec<u64> = self.info.files.iter().map(|f| f.offset).collect();
        for node in &mut self.nodes {
            while let Some(request) = node.torrent.poll_web_request(now) {
                let result = if self.web_failures_left > 0 {
                    self.web_failures_left -= 1;
                    Err(crate::bt::torrent::WebSeedError::Status(503))
                } else {
                    self.web_served += 1;
                    let mut body = Vec::new();
                    for r in &request.ranges {
                        assert!(r.url.starts_with("http://127.0.0.1:8080/ws/swarm/f"));
                        let at = (starts[r.file] + r.first) as usize;
                        let to = (starts[r.file] + r.last) as usize;
                        body.extend_from_slice(&self.content[at..=to]);
                    }
                    Ok(body)
                };
                node.torrent.handle_web_seed(now, request.seed, result);
                run_disk(node, now);
            }
        }
    }

    /// Steps until `done` or `limit` of virtual time; the virtual time it took.
    pub fn run_until(
        &mut self,
        limit: Duration,
        mut done: impl FnMut(&Swarm) -> bool,
    ) -> Option<Duration> {
        while self.now - self.start < limit {
            if done(self) {
                return Some(self.now - self.start);
            }
            self.step();
        }
        None
    }

    /// Whether node `i` has every piece and its files equal the content.
    pub fn byte_exact(&self, i: usize) -> bool {
        let node = &self.nodes[i];
        node.torrent.is_finished() && node.files.concat() == self.content
    }
}

/// Runs every queued disk job of `node` in memory, until none is left.
pub fn run_disk(node: &mut Node, now: Instant) {
    while let Some(job) = node.torrent.poll_disk_job() {
        let id = job.id();
        let completion = match job {
            DiskJob::Open { .. } | DiskJob::Close { .. } => Completion::Done(id),
            DiskJob::Allocate { file, length, .. } => {
                node.files[file].resize(length as usize, 0);
                Completion::Done(id)
            }
            DiskJob::Write { slices, data, .. } => {
                let len = data.len() as u64;
                if node
                    .spec
                    .fail_writes_after
                    .is_some_and(|limit| node.written + len > limit)
                {
                    Completion::Failed(
                        id,
                        DiskError::from_io(
                            slices.first().map(|s| s.file),
                            &std::io::Error::from(std::io::ErrorKind::StorageFull),
                        ),
                    )
                } else {
                    node.written += len;
                    let mut at = 0;
                    for s in slices {
                        let file = &mut node.files[s.file];
                        let off = s.offset as usize;
                        file[off..off + s.length as usize]
                            .copy_from_slice(&data[at..at + s.length as usize]);
                        at += s.length as usize;
                    }
                    Completion::Done(id)
                }
            }
            DiskJob::Read { slices, .. } => {
                let mut data = read(node, &slices);
                if node.spec.corrupt {
                    data[0] ^= 0xff;
                }
                Completion::Read(id, data)
            }
            DiskJob::HashPiece { slices, .. } => {
                Completion::Hashed(id, Sha1::digest(read(node, &slices)).into())
            }
            DiskJob::HashBlocks { blocks, .. } => Completion::BlockHashes(
                id,
                blocks
                    .iter()
                    .map(|b| Sha1::digest(read(node, b)).into())
                    .collect(),
            ),
        };
        node.torrent.handle_disk(now, completion);
    }
}

fn read(node: &Node, slices: &[FileSlice]) -> Vec<u8> {
    let mut out = Vec::new();
    for s in slices {
        let off = s.offset as usize;
        out.extend_from_slice(&node.files[s.file][off..off + s.length as usize]);
    }
    out
}
