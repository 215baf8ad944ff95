//! A seeded BitTorrent swarm over [`netsim`](crate::netsim): what the engine's swarm
//! scenarios and the swarm bench run.
//!
//! The swarm shares one or more torrents ([`Swarm::add_torrent`]). Each client is a
//! [`PeerNode`] holding some of them: per torrent a [`Download`], one [`Torrent`] on an
//! in-memory [`MemoryDisk`] (which can corrupt what it serves, or run out of space),
//! optionally with an [`Announcer`] that finds its peers through a simulated UDP tracker
//! ([`TrackerNode`], BEP 15) and a simulated web seed ([`WebSeedSim`]). The peers of all a
//! client's torrents are uTP connections ([`crate::utp`], a reliable stream over the
//! simulator's lossy datagrams) of its one endpoint; an incoming connection joins the
//! torrent its handshake names. Every client sits behind its own access links: an uplink
//! at its upload rate and a downlink, each with half the one-way delay and the configured
//! loss, so flows to and from one client share its bottleneck. Everything is a function of
//! the seed: the same seed gives the same run, bit for bit.
//!
//! ```
//! use std::time::Duration;
//! use hark_proto::bt::swarm::{NodeSpec, Swarm, SwarmConfig, make_torrent};
//!
//! let (info, content) = make_torrent(7, &[100_000, 30_000], 32 * 1024);
//! let mut swarm = Swarm::new(7, info, content, SwarmConfig::default());
//! let seeder = swarm.add_node(NodeSpec::seeder(500_000)).unwrap();
//! let leecher = swarm.add_node(NodeSpec::leecher(200_000)).unwrap();
//! swarm.connect(leecher, seeder);
//! let took = swarm.run_until(Duration::from_secs(60), |s| s.is_finished(leecher));
//! assert!(took.unwrap().is_some());
//! assert!(swarm.byte_exact(leecher));
//! ```

mod disk;
mod node;
#[cfg(test)]
mod tests;
mod tracker;

pub use disk::MemoryDisk;
pub use node::{Download, PeerNode, WebSeedSim};
pub use tracker::{AnnounceLog, TrackerNode};

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hark_wire::bt::bencode::OwnedValue;
use hark_wire::bt::metainfo::Info;
use rand_core::{Rng, SeedableRng};
use rand_pcg::Pcg32;
use sha1::{Digest, Sha1};

use crate::bt::announce::{Announcer, AnnouncerConfig, TorrentParams};
use crate::bt::peer::{PieceSet, SessionConfig};
use crate::bt::torrent::{Torrent, TorrentConfig};
use crate::netsim::{LinkConfig, LinkId, NodeId, Outcome, Sim, SimError, Stepped};
use crate::utp::{Endpoint, EndpointConfig};

/// Why a client could not join the swarm.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SwarmError {
    /// The simulator refused a link, route or node.
    #[error("simulator: {0}")]
    Sim(#[from] SimError),
    /// The torrent refused the info.
    #[error("torrent: {0}")]
    Torrent(#[from] crate::bt::torrent::TorrentError),
    /// The announcer refused the tracker URL.
    #[error("announcer: {0}")]
    Announcer(#[from] crate::bt::announce::AnnouncerError),
    /// The swarm has no torrent of this index.
    #[error("no torrent {0} in the swarm")]
    UnknownTorrent(usize),
    /// The client was given the same torrent twice.
    #[error("torrent {0} given twice to one client")]
    DuplicateTorrent(usize),
}

/// A multi-file torrent of `lengths` whose content is drawn from `seed`: (info, content).
///
/// # Panics
///
/// If `piece_length` is zero or the lengths sum to zero (no torrent has that shape).
pub fn make_torrent(seed: u64, lengths: &[u64], piece_length: u32) -> (Info, Vec<u8>) {
    let mut rng = Pcg32::seed_from_u64(seed);
    let total: u64 = lengths.iter().sum();
    let mut content = vec![0u8; total as usize];
    rng.fill_bytes(&mut content);
    let mut pieces = Vec::new();
    for chunk in content.chunks(piece_length.max(1) as usize) {
        pieces.extend_from_slice(&Sha1::digest(chunk));
    }
    let files = lengths
        .iter()
        .enumerate()
        .map(|(i, &len)| {
            OwnedValue::dict()
                .with("length", OwnedValue::Integer(len as i64))
                .with(
                    "path",
                    OwnedValue::List(vec![OwnedValue::string(&format!("f{i}.bin"))]),
                )
        })
        .collect();
    let info = OwnedValue::dict()
        .with("files", OwnedValue::List(files))
        .with("name", OwnedValue::string("swarm"))
        .with("piece length", OwnedValue::Integer(i64::from(piece_length)))
        .with("pieces", OwnedValue::Bytes(pieces))
        .to_vec();
    let info = Info::parse(&info).unwrap_or_else(|e| panic!("make_torrent: {e}"));
    (info, content)
}

/// The network every client shares.
#[derive(Debug, Clone, PartialEq)]
pub struct SwarmConfig {
    /// One-way delay between two clients (half on each access link). Default 20 ms.
    pub delay: Duration,
    /// Loss probability on each access link. Default 0.
    pub loss: f64,
    /// Each client's downlink rate, bytes per second. Default 5 MB/s.
    pub down_rate: u64,
    /// Queue of each access link, in time at its rate (at least 16 KiB). Default 300 ms.
    pub queue: Duration,
    /// Seconds each peer waits before a request times out. Default 10 s.
    pub request_timeout: Duration,
    /// The announcers' wait after a failed round (doubling per failed round). Default 20 s.
    pub retry_base: Duration,
    /// The announcers' first UDP retransmission timeout (doubling per retry). Default 1 s.
    pub udp_timeout: Duration,
}

impl Default for SwarmConfig {
    fn default() -> Self {
        Self {
            delay: Duration::from_millis(20),
            loss: 0.0,
            down_rate: 5_000_000,
            queue: Duration::from_millis(300),
            request_timeout: Duration::from_secs(10),
            retry_base: Duration::from_secs(20),
            udp_timeout: Duration::from_secs(1),
        }
    }
}

/// One of a client's torrents.
#[derive(Debug, Clone, Default)]
pub struct TorrentSpec {
    /// Which of the swarm's torrents (0 is the one given to [`Swarm::new`]).
    pub torrent: usize,
    /// Starts with every piece.
    pub seed: bool,
    /// Serves corrupt blocks.
    pub corrupt: bool,
    /// Bytes its disk takes before writes fail with `StorageFull`; `None`: no limit.
    pub disk_space: Option<u64>,
    /// Has a web seed.
    pub web_seed: Option<WebSeedSim>,
}

impl TorrentSpec {
    /// The swarm's torrent `torrent`, complete.
    pub fn seeding(torrent: usize) -> Self {
        Self {
            torrent,
            seed: true,
            ..Self::default()
        }
    }

    /// The swarm's torrent `torrent`, to download.
    pub fn leeching(torrent: usize) -> Self {
        Self {
            torrent,
            ..Self::default()
        }
    }
}

/// One client of the swarm.
#[derive(Debug, Clone, Default)]
pub struct NodeSpec {
    /// Upload rate, bytes per second.
    pub up_rate: u64,
    /// Joins this long after the start.
    pub start_after: Duration,
    /// Finds the peers of each of its torrents through the swarm's tracker.
    pub tracker: bool,
    /// Its torrents.
    pub torrents: Vec<TorrentSpec>,
}

impl NodeSpec {
    /// A seeder of torrent 0 uploading at `up_rate` bytes per second.
    pub fn seeder(up_rate: u64) -> Self {
        Self {
            up_rate,
            torrents: vec![TorrentSpec::seeding(0)],
            ..Self::default()
        }
    }

    /// A leecher of torrent 0 uploading at `up_rate` bytes per second.
    pub fn leecher(up_rate: u64) -> Self {
        Self {
            up_rate,
            torrents: vec![TorrentSpec::leeching(0)],
            ..Self::default()
        }
    }

    /// The same client with torrent 0 changed by `change`.
    pub fn with_first(mut self, change: impl FnOnce(&mut TorrentSpec)) -> Self {
        if let Some(first) = self.torrents.first_mut() {
            change(first);
        }
        self
    }
}

/// The swarm: a [`Sim`] with its torrents, its clients, their links and, optionally, a
/// tracker.
pub struct Swarm {
    sim: Sim,
    seed: u64,
    config: SwarmConfig,
    /// Each torrent's info and content.
    torrents: Vec<(Info, Arc<[u8]>)>,
    nodes: Vec<NodeId<PeerNode>>,
    addrs: Vec<SocketAddr>,
    /// Each client's (uplink, downlink).
    access: Vec<(LinkId, LinkId)>,
    tracker: Option<(NodeId<TrackerNode>, SocketAddr, (LinkId, LinkId))>,
}

impl Swarm {
    /// A swarm without clients sharing `info` (whose content is `content`) as torrent 0,
    /// its randomness from `seed`.
    pub fn new(seed: u64, info: Info, content: Vec<u8>, config: SwarmConfig) -> Self {
        Self {
            sim: Sim::new(seed, Instant::now()),
            seed,
            config,
            torrents: vec![(info, content.into())],
            nodes: Vec::new(),
            addrs: Vec::new(),
            access: Vec::new(),
            tracker: None,
        }
    }

    /// The simulator, for its clock and statistics.
    pub fn sim(&self) -> &Sim {
        &self.sim
    }

    /// Adds another torrent (whose content is `content`); returns its index.
    pub fn add_torrent(&mut self, info: Info, content: Vec<u8>) -> usize {
        self.torrents.push((info, content.into()));
        self.torrents.len() - 1
    }

    /// Torrent 0's content.
    pub fn content(&self) -> &[u8] {
        self.content_of(0)
    }

    /// Torrent 0.
    pub fn info(&self) -> &Info {
        self.info_of(0)
    }

    /// Torrent `torrent`'s content.
    ///
    /// # Panics
    ///
    /// If there is no torrent `torrent`.
    pub fn content_of(&self, torrent: usize) -> &[u8] {
        &self.torrents[torrent].1
    }

    /// Torrent `torrent`.
    ///
    /// # Panics
    ///
    /// If there is no torrent `torrent`.
    pub fn info_of(&self, torrent: usize) -> &Info {
        &self.torrents[torrent].0
    }

    /// Virtual time since the start.
    pub fn elapsed(&self) -> Duration {
        self.sim.elapsed()
    }

    /// The number of clients.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the swarm has no client.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Client `i`.
    ///
    /// # Panics
    ///
    /// If there is no client `i`.
    pub fn node(&self, i: usize) -> &PeerNode {
        self.sim
            .node(self.nodes[i])
            .unwrap_or_else(|| panic!("no client {i}"))
    }

    /// Client `i`'s copy of torrent `torrent`.
    ///
    /// # Panics
    ///
    /// If there is no client `i` or it does not hold that torrent.
    pub fn download(&self, i: usize, torrent: usize) -> &Download {
        self.node(i)
            .download(torrent)
            .unwrap_or_else(|| panic!("client {i} does not hold torrent {torrent}"))
    }

    /// Whether every torrent of client `i` is complete.
    pub fn is_finished(&self, i: usize) -> bool {
        self.node(i)
            .downloads()
            .iter()
            .all(|d| d.torrent().is_finished())
    }

    /// Client `i`'s address.
    pub fn addr(&self, i: usize) -> SocketAddr {
        self.addrs[i]
    }

    /// The tracker, once added.
    pub fn tracker(&self) -> Option<&TrackerNode> {
        self.tracker.and_then(|(id, _, _)| self.sim.node(id))
    }

    fn access_links(&mut self, up_rate: u64) -> Result<(LinkId, LinkId), SimError> {
        let half = self.config.delay / 2;
        let queue = self.config.queue;
        let link = |rate: u64| {
            // The queue holds `queue` at the rate, and a few packets on the slowest links.
            let bytes = (rate as f64 * queue.as_secs_f64()) as usize;
            LinkConfig::new()
                .delay(half)
                .rate_bps(rate.saturating_mul(8).max(8_000))
                .queue_bytes(bytes.max(16 * 1024))
                .loss(self.config.loss)
        };
        let up = self.sim.add_link(link(up_rate))?;
        let down = self.sim.add_link(link(self.config.down_rate))?;
        Ok((up, down))
    }

    /// Adds a UDP tracker that refuses each client's first `fail_first` announces, then
    /// answers with the clients that announced before (`interval` seconds). Announces
    /// within 80 % of `retry_base` of a client's last one count as its retransmissions
    /// ([`TrackerNode::new`]). Clients added before it do not use it.
    pub fn add_tracker(&mut self, fail_first: u32, interval: u32) -> Result<(), SimError> {
        let addr = SocketAddr::from(([10, 255, 0, 1], 6969));
        let window = self.config.retry_base.mul_f64(0.8);
        let links = self.access_links(100_000_000)?;
        for (i, &peer) in self.addrs.iter().enumerate() {
            let (up, down) = self.access[i];
            self.sim.route(peer, addr, &[up, links.1])?;
            self.sim.route(addr, peer, &[links.0, down])?;
        }
        let id = self
            .sim
            .add_node(addr, TrackerNode::new(fail_first, interval, window))?;
        self.tracker = Some((id, addr, links));
        Ok(())
    }

    /// Adds a client; returns its index.
    pub fn add_node(&mut self, spec: NodeSpec) -> Result<usize, SwarmError> {
        let n = self.nodes.len();
        let addr = SocketAddr::from(([10, 0, (n / 250) as u8, (n % 250 + 1) as u8], 6881));
        let (up, down) = self.access_links(spec.up_rate)?;
        for (i, &peer) in self.addrs.iter().enumerate() {
            let (their_up, their_down) = self.access[i];
            self.sim.route(addr, peer, &[up, their_down])?;
            self.sim.route(peer, addr, &[their_up, down])?;
        }
        if let Some((_, tracker, (t_up, t_down))) = self.tracker {
            self.sim.route(addr, tracker, &[up, t_down])?;
            self.sim.route(tracker, addr, &[t_up, down])?;
        }
        let mut peer_id = *b"-HK0001-000000000000";
        peer_id[8..12].copy_from_slice(format!("{:04}", n % 10_000).as_bytes());
        let node_seed = self.seed ^ ((n as u64 + 1) << 32);
        let base = self.sim.now();
        let endpoint =
            Endpoint::with_seed(EndpointConfig::default(), base, node_seed ^ 0x5554_5000);
        let mut node = PeerNode::new(addr, base + spec.start_after, endpoint);
        let tracker = self.tracker.filter(|_| spec.tracker).map(|(_, at, _)| at);
        if let Some(tracker) = tracker {
            node.set_tracker(tracker);
        }
        for (k, t) in spec.torrents.into_iter().enumerate() {
            if node.download(t.torrent).is_some() {
                return Err(SwarmError::DuplicateTorrent(t.torrent));
            }
            // The first torrent's randomness is the client's own seed.
            let seed = node_seed ^ ((k as u64) << 16);
            let download = self.download_for(t, (peer_id, addr.port()), base, seed, tracker)?;
            node.add_download(download);
        }
        let id = self.sim.add_node(addr, node)?;
        self.nodes.push(id);
        self.addrs.push(addr);
        self.access.push((up, down));
        Ok(n)
    }

    /// A client's copy of a torrent as `spec` describes it: its engine (with the client's
    /// peer id and port, and randomness from `seed`), its disk, its web seed and, if the
    /// client uses the `tracker`, its announcer.
    fn download_for(
        &self,
        spec: TorrentSpec,
        (peer_id, port): ([u8; 20], u16),
        base: Instant,
        seed: u64,
        tracker: Option<SocketAddr>,
    ) -> Result<Download, SwarmError> {
        let (info, content) = self
            .torrents
            .get(spec.torrent)
            .ok_or(SwarmError::UnknownTorrent(spec.torrent))?;
        let mut config = TorrentConfig::new(SessionConfig::new(peer_id));
        config.session.request_timeout = self.config.request_timeout;
        let count = info.piece_count() as u32;
        let have = if spec.seed {
            PieceSet::full(count)
        } else {
            PieceSet::empty(count)
        };
        let torrent = Torrent::new(
            base,
            config,
            info,
            have,
            Box::new(Pcg32::seed_from_u64(seed)),
        )?;
        let lengths: Vec<u64> = info.files.iter().map(|f| f.length).collect();
        let mut disk = if spec.seed {
            MemoryDisk::holding(content, &lengths)
        } else {
            MemoryDisk::empty(lengths.len())
        };
        disk.set_corrupt(spec.corrupt);
        disk.set_space(spec.disk_space);
        let mut download = Download::new(spec.torrent, info, torrent, disk);
        if let Some(tracker) = tracker {
            let params = TorrentParams {
                info_hash: info.info_hash,
                peer_id,
                port,
            };
            let announcer_config = AnnouncerConfig {
                retry_base: self.config.retry_base,
                udp_timeout: self.config.udp_timeout,
                ..AnnouncerConfig::default()
            };
            let tiers = vec![vec![format!("udp://{tracker}")]];
            let announcer = Announcer::new(
                announcer_config,
                params,
                &tiers,
                Box::new(Pcg32::seed_from_u64(seed ^ 0x7472)),
            )?;
            download.set_announcer(announcer);
        }
        if let Some(web) = spec.web_seed {
            download.set_web_seed(web, info, Arc::clone(content));
        }
        Ok(download)
    }

    /// Client `a` connects to client `b` for every torrent both hold (once `a` has
    /// started).
    pub fn connect(&mut self, a: usize, b: usize) {
        let addr = self.addrs[b];
        let theirs: Vec<usize> = self
            .node(b)
            .downloads()
            .iter()
            .map(Download::index)
            .collect();
        if let Some(node) = self.sim.node_mut(self.nodes[a]) {
            for t in theirs {
                node.connect_to(t, addr);
            }
        }
    }

    /// Connects every pair of `clients` once (the later one connects to the earlier).
    pub fn mesh(&mut self, clients: &[usize]) {
        for (k, &a) in clients.iter().enumerate() {
            for &b in &clients[..k] {
                self.connect(a, b);
            }
        }
    }

    /// Runs the simulation's next event (a packet arriving or a timer firing).
    pub fn step(&mut self) -> Result<Stepped, SimError> {
        self.sim.step()
    }

    /// Runs until `done` holds (checked between events) or `limit` of virtual time has
    /// passed since the start: the virtual time it took, or `None` at the limit.
    pub fn run_until(
        &mut self,
        limit: Duration,
        mut done: impl FnMut(&Swarm) -> bool,
    ) -> Result<Option<Duration>, SimError> {
        // Events at one instant in a row: past this many, a node's timer is stuck in the
        // past and the run would never end, so it ends here (as a run that did not finish).
        const STUCK: u32 = 1_000_000;
        let mut same_instant = 0u32;
        let mut last = self.sim.elapsed();
        loop {
            if done(self) {
                return Ok(Some(self.sim.elapsed()));
            }
            // Check the predicate every few events: cheap, and fine-grained enough.
            for _ in 0..64 {
                let next = self.sim.next_event()?;
                if next.is_none_or(|at| at - self.sim.base() > limit) || same_instant > STUCK {
                    return Ok(done(self).then(|| self.sim.elapsed()));
                }
                if self.sim.step()? == Stepped::Idle {
                    break;
                }
                if self.sim.elapsed() == last {
                    same_instant += 1;
                } else {
                    same_instant = 0;
                    last = self.sim.elapsed();
                }
            }
        }
    }

    /// Whether every torrent of client `i` is complete and its disk holds the torrent's
    /// content exactly.
    pub fn byte_exact(&self, i: usize) -> bool {
        self.node(i)
            .downloads()
            .iter()
            .all(|d| d.byte_exact(self.content_of(d.index())))
    }

    /// Runs the simulation for `duration` more of virtual time.
    pub fn run_for(&mut self, duration: Duration) -> Result<Outcome, SimError> {
        self.sim.run_for(duration)
    }
}
