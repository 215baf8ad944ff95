//! A seeded BitTorrent swarm over [`netsim`](crate::netsim): what the engine's swarm
//! scenarios and the swarm bench run.
//!
//! Each client is a [`PeerNode`]: one [`Torrent`] whose peers are uTP connections
//! ([`crate::utp`], a reliable stream over the simulator's lossy datagrams) of one endpoint,
//! an in-memory [`MemoryDisk`], optionally an [`Announcer`] that finds its peers through a
//! simulated UDP tracker ([`TrackerNode`], BEP 15) and a simulated web seed
//! ([`WebSeedSim`]). Every client sits behind its own access links: an uplink at its
//! upload rate and a downlink, each with half the one-way delay and the configured loss,
//! so flows to and from one client share its bottleneck. Everything is a function of the
//! seed: the same seed gives the same run, bit for bit.
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
//! let took = swarm.run_until(Duration::from_secs(60), |s| s.node(leecher).torrent().is_finished());
//! assert!(took.unwrap().is_some());
//! assert!(swarm.byte_exact(leecher));
//! ```

mod disk;
mod node;
#[cfg(test)]
mod tests;
mod tracker;

pub use disk::MemoryDisk;
pub use node::{PeerNode, WebSeedSim};
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

/// One client of the swarm.
#[derive(Debug, Clone, Default)]
pub struct NodeSpec {
    /// Starts with every piece.
    pub seed: bool,
    /// Upload rate, bytes per second.
    pub up_rate: u64,
    /// Serves corrupt blocks.
    pub corrupt: bool,
    /// Joins this long after the start.
    pub start_after: Duration,
    /// Finds its peers through the swarm's tracker.
    pub tracker: bool,
    /// Has a web seed.
    pub web_seed: Option<WebSeedSim>,
}

impl NodeSpec {
    /// A seeder uploading at `up_rate` bytes per second.
    pub fn seeder(up_rate: u64) -> Self {
        Self {
            seed: true,
            up_rate,
            ..Self::default()
        }
    }

    /// A leecher uploading at `up_rate` bytes per second.
    pub fn leecher(up_rate: u64) -> Self {
        Self {
            up_rate,
            ..Self::default()
        }
    }
}

/// The swarm: a [`Sim`] with its clients, their links and, optionally, a tracker.
pub struct Swarm {
    sim: Sim,
    seed: u64,
    config: SwarmConfig,
    info: Info,
    content: Arc<[u8]>,
    nodes: Vec<NodeId<PeerNode>>,
    addrs: Vec<SocketAddr>,
    /// Each client's (uplink, downlink).
    access: Vec<(LinkId, LinkId)>,
    tracker: Option<(NodeId<TrackerNode>, SocketAddr, (LinkId, LinkId))>,
}

impl Swarm {
    /// An empty swarm for `info` (whose content is `content`), its randomness from `seed`.
    pub fn new(seed: u64, info: Info, content: Vec<u8>, config: SwarmConfig) -> Self {
        Self {
            sim: Sim::new(seed, Instant::now()),
            seed,
            config,
            info,
            content: content.into(),
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

    /// The torrent's content.
    pub fn content(&self) -> &[u8] {
        &self.content
    }

    /// The torrent.
    pub fn info(&self) -> &Info {
        &self.info
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
        let mut config = TorrentConfig::new(SessionConfig::new(peer_id));
        config.session.request_timeout = self.config.request_timeout;
        let count = self.info.piece_count() as u32;
        let have = if spec.seed {
            PieceSet::full(count)
        } else {
            PieceSet::empty(count)
        };
        let node_seed = self.seed ^ ((n as u64 + 1) << 32);
        let base = self.sim.now();
        let torrent = Torrent::new(
            base,
            config,
            &self.info,
            have,
            Box::new(Pcg32::seed_from_u64(node_seed)),
        )?;
        let lengths: Vec<u64> = self.info.files.iter().map(|f| f.length).collect();
        let mut disk = if spec.seed {
            MemoryDisk::holding(&self.content, &lengths)
        } else {
            MemoryDisk::empty(lengths.len())
        };
        disk.set_corrupt(spec.corrupt);
        let endpoint =
            Endpoint::with_seed(EndpointConfig::default(), base, node_seed ^ 0x5554_5000);
        let mut node = PeerNode::new(
            addr,
            base + spec.start_after,
            torrent,
            endpoint,
            disk,
            self.info.total_length(),
        );
        if spec.tracker
            && let Some((_, tracker, _)) = self.tracker
        {
            let params = TorrentParams {
                info_hash: self.info.info_hash,
                peer_id,
                port: addr.port(),
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
                Box::new(Pcg32::seed_from_u64(node_seed ^ 0x7472)),
            )?;
            node.set_tracker(announcer, tracker);
        }
        if let Some(web) = spec.web_seed {
            let starts = self.info.files.iter().map(|f| f.offset).collect();
            node.set_web_seed(web, Arc::clone(&self.content), starts);
        }
        let id = self.sim.add_node(addr, node)?;
        self.nodes.push(id);
        self.addrs.push(addr);
        self.access.push((up, down));
        Ok(n)
    }

    /// Client `a` connects to client `b` (once `a` has started).
    pub fn connect(&mut self, a: usize, b: usize) {
        let addr = self.addrs[b];
        if let Some(node) = self.sim.node_mut(self.nodes[a]) {
            node.connect_to(addr);
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

    /// Whether client `i` has every piece and its disk holds the content exactly.
    pub fn byte_exact(&self, i: usize) -> bool {
        self.node(i).byte_exact(&self.content)
    }

    /// Runs the simulation for `duration` more of virtual time.
    pub fn run_for(&mut self, duration: Duration) -> Result<Outcome, SimError> {
        self.sim.run_for(duration)
    }
}
