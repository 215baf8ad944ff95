//! The simulator: nodes at addresses, links and routes between them, and a virtual clock.

use core::cmp::Reverse;
use core::net::SocketAddr;
use core::time::Duration;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::time::Instant;

use thiserror::Error;

use super::config::{ConfigError, LinkConfig};
use super::link::{Entry, Link, LinkId, Scheduled};
use super::node::{AnyNode, Node, NodeId};
use super::packets::PacketStore;
use super::rng::SimRng;
use super::stats::{DropCause, Drops, FlowStats, LinkStats};
use super::trace::{Tap, TraceEvent, TraceKind};

/// Bounds that keep any run finite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most steps one `run_*` call may take.
    pub max_steps: u64,
    /// Virtual time (offset from the base) past which no event is processed.
    pub max_time: Duration,
    /// Most datagrams one node may emit in reply to a single event.
    pub max_transmits_per_event: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_steps: 100_000_000,
            max_time: Duration::from_secs(24 * 3600),
            max_transmits_per_event: 1_000_000,
        }
    }
}

/// How a `run_*` call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Outcome {
    /// The predicate held, or the requested duration elapsed.
    Done,
    /// Nothing is scheduled any more: no packet in flight and no node timer.
    Idle,
    /// The next event lies past [`Limits::max_time`].
    TimeLimit,
    /// [`Limits::max_steps`] steps were taken.
    StepLimit,
}

/// What one [`Sim::step`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Stepped {
    /// A packet reached a link end or a node's timer fired.
    Event,
    /// Nothing was scheduled; the clock did not move.
    Idle,
}

/// Wrong use of the simulator, or a node breaking the [`Node`] contract.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum SimError {
    /// A link configuration was rejected.
    #[error("invalid link config: {0}")]
    Config(#[from] ConfigError),
    /// The link id does not belong to this simulation.
    #[error("unknown link {0:?}")]
    UnknownLink(LinkId),
    /// A route needs at least one link.
    #[error("a route needs at least one link")]
    EmptyRoute,
    /// Another node already lives at this address.
    #[error("address {0} already has a node")]
    AddressInUse(SocketAddr),
    /// A node said its datagram is longer than the buffer it was given.
    #[error("node at {node} reported a {len}-byte datagram in a {capacity}-byte buffer")]
    TransmitTooLong {
        /// The node's address.
        node: SocketAddr,
        /// The length it reported.
        len: usize,
        /// The buffer's size.
        capacity: usize,
    },
    /// A node kept producing datagrams in reply to one event.
    #[error("node at {node} emitted more than {limit} datagrams for one event")]
    TransmitFlood {
        /// The node's address.
        node: SocketAddr,
        /// [`Limits::max_transmits_per_event`].
        limit: usize,
    },
}

/// A node with its address, cached next wakeup and last route used.
struct NodeSlot {
    addr: SocketAddr,
    node: Box<dyn AnyNode>,
    timeout: Option<Duration>,
    last_route: Option<(SocketAddr, usize)>,
}

/// A scheduled packet arrival: (time, tie-breaking sequence number, packet slot).
type Arrival = (Duration, u64, usize);

/// A path from one address to another through one or more links.
struct Route {
    links: Vec<LinkId>,
    dst_node: Option<usize>,
    flow: FlowStats,
}

/// Links, routes and packets in flight: everything but the nodes.
struct Network {
    seed: u64,
    links: Vec<Link>,
    routes: Vec<Route>,
    route_index: HashMap<(SocketAddr, SocketAddr), usize>,
    packets: PacketStore,
    /// Per link, arrivals in time order (the common case: links that keep order).
    lanes: Vec<VecDeque<Arrival>>,
    /// Arrivals that would overtake their lane's last entry (reordering).
    overtaking: BinaryHeap<Reverse<Arrival>>,
    next_seq: u64,
    next_packet_id: u64,
    drops: Drops,
    tap: Option<Tap>,
}

/// A deterministic network simulator driving [`Node`]s with a virtual clock.
///
/// See the [module docs](super) for the order of calls and the determinism guarantees.
pub struct Sim {
    base: Instant,
    now: Duration,
    now_at: Instant,
    nodes: Vec<NodeSlot>,
    node_index: HashMap<SocketAddr, usize>,
    dirty: Vec<usize>,
    net: Network,
    scratch: Vec<u8>,
    limits: Limits,
    steps: u64,
}

impl core::fmt::Debug for Sim {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Sim")
            .field("seed", &self.net.seed)
            .field("elapsed", &self.now)
            .field("nodes", &self.nodes.len())
            .field("links", &self.net.links.len())
            .field("in_flight", &self.net.packets.live())
            .finish_non_exhaustive()
    }
}

/// Largest datagram a node can emit unless [`Sim::set_max_datagram`] says otherwise.
pub const DEFAULT_MAX_DATAGRAM: usize = 65_535;

impl Sim {
    /// An empty simulation whose clock starts at `base` and whose randomness derives from `seed`.
    pub fn new(seed: u64, base: Instant) -> Self {
        Self {
            base,
            now: Duration::ZERO,
            now_at: base,
            nodes: Vec::new(),
            node_index: HashMap::new(),
            dirty: Vec::new(),
            net: Network {
                seed,
                links: Vec::new(),
                routes: Vec::new(),
                route_index: HashMap::new(),
                packets: PacketStore::default(),
                lanes: Vec::new(),
                overtaking: BinaryHeap::new(),
                next_seq: 0,
                next_packet_id: 0,
                drops: Drops::default(),
                tap: None,
            },
            scratch: vec![0; DEFAULT_MAX_DATAGRAM],
            limits: Limits::default(),
            steps: 0,
        }
    }

    /// The seed this simulation was created with.
    pub fn seed(&self) -> u64 {
        self.net.seed
    }

    /// The instant virtual time started from.
    pub fn base(&self) -> Instant {
        self.base
    }

    /// The current virtual instant.
    pub fn now(&self) -> Instant {
        self.now_at
    }

    /// Virtual time elapsed since the base.
    pub fn elapsed(&self) -> Duration {
        self.now
    }

    /// The run limits.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Replaces the run limits.
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
    }

    /// Sets the size of the buffer handed to [`Node::poll_transmit`].
    pub fn set_max_datagram(&mut self, bytes: usize) {
        self.scratch.resize(bytes, 0);
    }

    /// Steps taken since the simulation was created.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Packets currently travelling.
    pub fn packets_in_flight(&self) -> usize {
        self.net.packets.live()
    }

    /// An RNG for the caller's own use (e.g. to inject into a core), derived from the seed and
    /// `stream` and independent of every link's stream.
    pub fn rng_stream(&self, stream: u64) -> SimRng {
        SimRng::for_stream(self.net.seed, stream | (1 << 63))
    }

    /// Adds a link; it carries nothing until a route uses it.
    pub fn add_link(&mut self, config: LinkConfig) -> Result<LinkId, SimError> {
        config.validate()?;
        let id = LinkId(self.net.links.len());
        let rng = SimRng::for_stream(self.net.seed, id.0 as u64);
        let mut link = Link::new(config, rng);
        link.reset_stats(self.now);
        self.net.links.push(link);
        self.net.lanes.push(VecDeque::new());
        Ok(id)
    }

    /// Changes a link's configuration from now on.
    pub fn set_link_config(&mut self, id: LinkId, config: LinkConfig) -> Result<(), SimError> {
        config.validate()?;
        let link = self
            .net
            .links
            .get_mut(id.0)
            .ok_or(SimError::UnknownLink(id))?;
        link.set_config(config);
        Ok(())
    }

    /// A link's configuration.
    pub fn link_config(&self, id: LinkId) -> Option<&LinkConfig> {
        self.net.links.get(id.0).map(Link::config)
    }

    /// Sends datagrams from `src` to `dst` through `path`, in order (replacing any earlier
    /// route for the pair). Several routes may share a link: that is how flows share a
    /// bottleneck.
    pub fn route(
        &mut self,
        src: SocketAddr,
        dst: SocketAddr,
        path: &[LinkId],
    ) -> Result<(), SimError> {
        if path.is_empty() {
            return Err(SimError::EmptyRoute);
        }
        if let Some(bad) = path.iter().find(|id| id.0 >= self.net.links.len()) {
            return Err(SimError::UnknownLink(*bad));
        }
        let route = Route {
            links: path.to_vec(),
            dst_node: self.node_index.get(&dst).copied(),
            flow: FlowStats::default(),
        };
        match self.net.route_index.get(&(src, dst)) {
            Some(&index) => {
                if let Some(slot) = self.net.routes.get_mut(index) {
                    slot.links = route.links;
                }
            }
            None => {
                self.net
                    .route_index
                    .insert((src, dst), self.net.routes.len());
                self.net.routes.push(route);
            }
        }
        Ok(())
    }

    /// Adds one link per direction between `a` and `b`, both with `config`, and routes each
    /// direction through its link. Returns (`a` to `b`, `b` to `a`).
    pub fn connect(
        &mut self,
        a: SocketAddr,
        b: SocketAddr,
        config: LinkConfig,
    ) -> Result<(LinkId, LinkId), SimError> {
        let forward = self.add_link(config.clone())?;
        let backward = self.add_link(config)?;
        self.route(a, b, &[forward])?;
        self.route(b, a, &[backward])?;
        Ok((forward, backward))
    }

    /// Places `node` at `addr`. Its pending datagrams and timer are read at the next step.
    pub fn add_node<N: Node + 'static>(
        &mut self,
        addr: SocketAddr,
        node: N,
    ) -> Result<NodeId<N>, SimError> {
        if self.node_index.contains_key(&addr) {
            return Err(SimError::AddressInUse(addr));
        }
        let index = self.nodes.len();
        self.nodes.push(NodeSlot {
            addr,
            node: Box::new(node),
            timeout: None,
            last_route: None,
        });
        self.node_index.insert(addr, index);
        for (&(_, dst), &route) in &self.net.route_index {
            if dst == addr {
                if let Some(route) = self.net.routes.get_mut(route) {
                    route.dst_node = Some(index);
                }
            }
        }
        self.dirty.push(index);
        Ok(NodeId::new(index))
    }

    /// The node behind `id`, or `None` if `id` comes from another simulation.
    pub fn node<N: 'static>(&self, id: NodeId<N>) -> Option<&N> {
        self.nodes.get(id.index)?.node.as_any().downcast_ref()
    }

    /// The node behind `id`, mutably. The simulator drains its datagrams and rereads its timer
    /// at the next step.
    pub fn node_mut<N: 'static>(&mut self, id: NodeId<N>) -> Option<&mut N> {
        let slot = self.nodes.get_mut(id.index)?;
        let node = slot.node.as_any_mut().downcast_mut()?;
        if !self.dirty.contains(&id.index) {
            self.dirty.push(id.index);
        }
        Some(node)
    }

    /// The address of the node behind `id`.
    pub fn node_addr<N>(&self, id: NodeId<N>) -> Option<SocketAddr> {
        self.nodes.get(id.index).map(|slot| slot.addr)
    }

    /// Calls `tap` for every packet event from now on (see [`TraceEvent`]).
    pub fn set_tap(&mut self, tap: impl FnMut(&TraceEvent, &[u8]) + 'static) {
        self.net.tap = Some(Box::new(tap));
    }

    /// Removes the tap.
    pub fn clear_tap(&mut self) {
        self.net.tap = None;
    }

    /// A link's counters.
    pub fn link_stats(&self, id: LinkId) -> Option<&LinkStats> {
        self.net.links.get(id.0).map(|link| &link.stats)
    }

    /// Bytes that left `id` since its stats were reset, over what its rate could carry in that
    /// time: `None` for an unlimited link or before any time has passed.
    pub fn link_utilisation(&self, id: LinkId) -> Option<f64> {
        let link = self.net.links.get(id.0)?;
        let rate = link.config().rate_bps? as f64;
        let interval = self.now.checked_sub(link.stats.since)?.as_secs_f64();
        if interval <= 0.0 {
            return None;
        }
        Some(link.stats.bytes_out as f64 * 8.0 / (rate * interval))
    }

    /// Counters of the flow from `src` to `dst`, if a route exists for it.
    pub fn flow_stats(&self, src: SocketAddr, dst: SocketAddr) -> Option<FlowStats> {
        let index = *self.net.route_index.get(&(src, dst))?;
        self.net.routes.get(index).map(|route| route.flow)
    }

    /// Drops that happened outside any link: no route, or no node at the destination.
    pub fn network_drops(&self) -> Drops {
        self.net.drops
    }

    /// Restarts every link's and flow's counters (and delay samples) at the current time,
    /// e.g. after a warm-up.
    pub fn reset_stats(&mut self) {
        for link in &mut self.net.links {
            link.reset_stats(self.now);
        }
        for route in &mut self.net.routes {
            route.flow = FlowStats::default();
        }
        self.net.drops = Drops::default();
    }

    /// When the next event is due, if any (after draining nodes touched since the last step).
    pub fn next_event(&mut self) -> Result<Option<Instant>, SimError> {
        self.flush_dirty()?;
        Ok(self.next_due().map(|(at, _)| self.instant(at)))
    }

    /// Jumps the clock to the earliest packet arrival or node timer and processes it.
    /// At equal times, packets go first (in the order they were scheduled), then timers by
    /// node index.
    pub fn step(&mut self) -> Result<Stepped, SimError> {
        self.flush_dirty()?;
        let Some((at, due)) = self.next_due() else {
            return Ok(Stepped::Idle);
        };
        self.advance_to(at);
        self.steps += 1;
        match due {
            Due::Packet(source) => self.arrive(source)?,
            Due::Timer(index) => self.fire_timer(index)?,
        }
        Ok(Stepped::Event)
    }

    /// Steps until `done(self)` holds, nothing is left to do, or a limit is hit.
    pub fn run_until(&mut self, mut done: impl FnMut(&Sim) -> bool) -> Result<Outcome, SimError> {
        let mut steps = 0u64;
        loop {
            self.flush_dirty()?;
            if done(self) {
                return Ok(Outcome::Done);
            }
            if steps >= self.limits.max_steps {
                return Ok(Outcome::StepLimit);
            }
            let Some((at, _)) = self.next_due() else {
                return Ok(Outcome::Idle);
            };
            if at > self.limits.max_time {
                return Ok(Outcome::TimeLimit);
            }
            let _ = self.step()?;
            steps += 1;
        }
    }

    /// Runs for `duration` of virtual time and leaves the clock exactly that much later
    /// (returns `Done` even if the network went idle on the way).
    pub fn run_for(&mut self, duration: Duration) -> Result<Outcome, SimError> {
        let deadline = self.now.saturating_add(duration);
        let mut steps = 0u64;
        loop {
            self.flush_dirty()?;
            let next = self.next_due().map(|(at, _)| at);
            let target = next.map_or(deadline, |at| at.min(deadline));
            if target > self.limits.max_time {
                return Ok(Outcome::TimeLimit);
            }
            match next {
                Some(at) if at <= deadline => {
                    if steps >= self.limits.max_steps {
                        return Ok(Outcome::StepLimit);
                    }
                    let _ = self.step()?;
                    steps += 1;
                }
                _ => {
                    self.advance_to(deadline);
                    return Ok(Outcome::Done);
                }
            }
        }
    }

    /// Runs until nothing is scheduled (or a limit is hit).
    pub fn run_until_idle(&mut self) -> Result<Outcome, SimError> {
        self.run_until(|_| false)
    }

    /// Moves the clock forward to `at` (never back).
    fn advance_to(&mut self, at: Duration) {
        if at > self.now {
            self.now = at;
            self.now_at = self.instant(at);
        }
    }

    fn instant(&self, offset: Duration) -> Instant {
        self.base.checked_add(offset).unwrap_or(self.base)
    }

    /// The earliest pending event.
    fn next_due(&self) -> Option<(Duration, Due)> {
        let packet = self
            .net
            .next_arrival()
            .map(|(at, source)| (at, Due::Packet(source)));
        let timer = self
            .nodes
            .iter()
            .enumerate()
            .filter_map(|(index, slot)| slot.timeout.map(|at| (at, Due::Timer(index))))
            .min_by_key(|(at, _)| *at);
        match (packet, timer) {
            (Some(p), Some(t)) => Some(if p.0 <= t.0 { p } else { t }),
            (p, t) => p.or(t),
        }
    }

    /// Drains every node touched outside a step.
    fn flush_dirty(&mut self) -> Result<(), SimError> {
        while let Some(index) = self.dirty.pop() {
            self.flush(index)?;
        }
        Ok(())
    }

    /// Drains a node's datagrams into the network, then rereads its timer.
    fn flush(&mut self, index: usize) -> Result<(), SimError> {
        let now = self.now_at;
        let Some(slot) = self.nodes.get_mut(index) else {
            return Ok(());
        };
        let mut count = 0usize;
        while let Some(transmit) = slot.node.poll_transmit(now, &mut self.scratch) {
            let capacity = self.scratch.len();
            let Some(bytes) = self.scratch.get(..transmit.len) else {
                return Err(SimError::TransmitTooLong {
                    node: slot.addr,
                    len: transmit.len,
                    capacity,
                });
            };
            let dst = transmit.destination;
            let route = match slot.last_route {
                Some((cached, route)) if cached == dst => Some(route),
                _ => {
                    let route = self.net.route_index.get(&(slot.addr, dst)).copied();
                    slot.last_route = route.map(|route| (dst, route));
                    route
                }
            };
            self.net.send(self.now, slot.addr, dst, route, bytes);
            count += 1;
            if count >= self.limits.max_transmits_per_event {
                return Err(SimError::TransmitFlood {
                    node: slot.addr,
                    limit: self.limits.max_transmits_per_event,
                });
            }
        }
        slot.timeout = slot
            .node
            .poll_timeout()
            .map(|at| at.saturating_duration_since(self.base));
        Ok(())
    }

    /// Fires the timer of node `index`.
    fn fire_timer(&mut self, index: usize) -> Result<(), SimError> {
        let now = self.now_at;
        if let Some(slot) = self.nodes.get_mut(index) {
            slot.timeout = None;
            slot.node.handle_timeout(now);
        }
        self.flush(index)
    }

    /// Moves the earliest packet to the end of its current link.
    fn arrive(&mut self, source: Source) -> Result<(), SimError> {
        let Some(slot) = self.net.pop_arrival(source) else {
            return Ok(());
        };
        match self.net.cross(self.now, slot) {
            Some(index) => {
                let now = self.now_at;
                if let (Some(node), Some(packet)) =
                    (self.nodes.get_mut(index), self.net.packets.get(slot))
                {
                    node.node.handle_datagram(now, packet.src, &packet.data);
                }
                self.net.packets.release(slot);
                self.flush(index)
            }
            None => Ok(()),
        }
    }
}

/// Which kind of event is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Due {
    Packet(Source),
    Timer(usize),
}

/// Where the earliest arrival is queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Lane(usize),
    Overtaking,
}

impl Network {
    /// The earliest arrival, by time then sequence number, and where it is queued.
    fn next_arrival(&self) -> Option<(Duration, Source)> {
        let mut best: Option<((Duration, u64), Source)> = self
            .overtaking
            .peek()
            .map(|Reverse((at, seq, _))| ((*at, *seq), Source::Overtaking));
        for (index, lane) in self.lanes.iter().enumerate() {
            if let Some(&(at, seq, _)) = lane.front() {
                if best.is_none_or(|(key, _)| (at, seq) < key) {
                    best = Some(((at, seq), Source::Lane(index)));
                }
            }
        }
        best.map(|((at, _), source)| (at, source))
    }

    /// Removes the arrival at the head of `source`; returns its packet slot.
    fn pop_arrival(&mut self, source: Source) -> Option<usize> {
        match source {
            Source::Lane(index) => self
                .lanes
                .get_mut(index)?
                .pop_front()
                .map(|(_, _, slot)| slot),
            Source::Overtaking => self.overtaking.pop().map(|Reverse((_, _, slot))| slot),
        }
    }

    /// Queues an arrival at the end of `link`: in the link's lane if it does not overtake the
    /// lane's last entry, else in the overtaking heap.
    fn push_arrival(&mut self, link: LinkId, at: Duration, slot: usize) {
        let seq = self.next_seq;
        self.next_seq += 1;
        match self.lanes.get_mut(link.0) {
            Some(lane) if lane.back().is_none_or(|&(last, _, _)| last <= at) => {
                lane.push_back((at, seq, slot));
            }
            _ => self.overtaking.push(Reverse((at, seq, slot))),
        }
    }

    /// Reports an event to the tap, if any.
    fn trace(&mut self, time: Duration, slot: usize, link: Option<LinkId>, kind: TraceKind) {
        let (Some(tap), Some(packet)) = (self.tap.as_mut(), self.packets.get(slot)) else {
            return;
        };
        let event = TraceEvent {
            time,
            packet: packet.id,
            link,
            src: packet.src,
            dst: packet.dst,
            len: packet.data.len(),
            kind,
        };
        tap(&event, &packet.data);
    }

    /// Takes a datagram from a node at `src` and puts it on `route` (`None`: unrouted).
    fn send(
        &mut self,
        now: Duration,
        src: SocketAddr,
        dst: SocketAddr,
        route: Option<usize>,
        bytes: &[u8],
    ) {
        let id = self.next_packet_id;
        self.next_packet_id += 1;
        let slot = self
            .packets
            .insert(id, src, dst, route.unwrap_or(usize::MAX), 0, bytes);
        self.trace(now, slot, None, TraceKind::Sent);
        let Some(route) = route.and_then(|index| self.routes.get_mut(index)) else {
            self.drops.record(DropCause::NoRoute);
            self.trace(now, slot, None, TraceKind::Dropped(DropCause::NoRoute));
            self.packets.release(slot);
            return;
        };
        route.flow.packets_sent += 1;
        route.flow.bytes_sent += bytes.len() as u64;
        self.enter_link(now, slot);
    }

    /// The link the packet in `slot` is on, per its route and hop.
    fn current_link(&self, slot: usize) -> Option<(usize, LinkId)> {
        let packet = self.packets.get(slot)?;
        let route = self.routes.get(packet.route)?;
        Some((packet.route, *route.links.get(packet.hop)?))
    }

    /// Counts a drop against the packet's flow and frees it.
    fn discard(&mut self, now: Duration, slot: usize, link: Option<LinkId>, cause: DropCause) {
        self.trace(now, slot, link, TraceKind::Dropped(cause));
        if let Some(packet) = self.packets.get(slot) {
            if let Some(route) = self.routes.get_mut(packet.route) {
                route.flow.packets_dropped += 1;
            }
        }
        self.packets.release(slot);
    }

    /// Offers the packet in `slot` to the link of its current hop.
    fn enter_link(&mut self, now: Duration, slot: usize) {
        let Some((_, link_id)) = self.current_link(slot) else {
            self.packets.release(slot);
            return;
        };
        let len = self.packets.get(slot).map_or(0, |p| p.data.len());
        let Some(link) = self.links.get_mut(link_id.0) else {
            self.packets.release(slot);
            return;
        };
        match link.enter(len) {
            Entry::Drop(cause) => self.discard(now, slot, Some(link_id), cause),
            Entry::Pass { duplicate } => {
                let copy = if duplicate {
                    let id = self.next_packet_id;
                    self.next_packet_id += 1;
                    self.packets.duplicate(slot, id)
                } else {
                    None
                };
                self.admit(now, slot, link_id);
                if let Some(copy) = copy {
                    let of = self.packets.get(slot).map_or(0, |p| p.id);
                    self.trace(now, copy, Some(link_id), TraceKind::Duplicated { of });
                    self.admit(now, copy, link_id);
                }
            }
        }
    }

    /// Corrupts and queues one copy of a packet on `link_id`.
    fn admit(&mut self, now: Duration, slot: usize, link_id: LinkId) {
        let (Some(link), Some(packet)) =
            (self.links.get_mut(link_id.0), self.packets.get_mut(slot))
        else {
            return;
        };
        let corrupted = link.corrupt(&mut packet.data);
        let scheduled = link.schedule(now, packet.data.len());
        if corrupted {
            self.trace(now, slot, Some(link_id), TraceKind::Corrupted);
        }
        match scheduled {
            Ok(Scheduled {
                arrival,
                queue_delay,
            }) => {
                self.trace(
                    now,
                    slot,
                    Some(link_id),
                    TraceKind::Scheduled {
                        arrival,
                        queue_delay,
                    },
                );
                self.push_arrival(link_id, arrival, slot);
            }
            Err(cause) => self.discard(now, slot, Some(link_id), cause),
        }
    }

    /// The packet in `slot` reached the end of its current link: it moves on to the next link,
    /// or returns the index of the node it is delivered to (the caller hands it over and frees
    /// the slot).
    fn cross(&mut self, now: Duration, slot: usize) -> Option<usize> {
        let (route_index, link_id) = self.current_link(slot)?;
        let len = self.packets.get(slot).map_or(0, |p| p.data.len());
        if let Some(link) = self.links.get_mut(link_id.0) {
            link.record_exit(len);
        }
        let route = self.routes.get_mut(route_index)?;
        let packet = self.packets.get_mut(slot)?;
        if packet.hop + 1 < route.links.len() {
            packet.hop += 1;
            self.enter_link(now, slot);
            return None;
        }
        match route.dst_node {
            Some(index) => {
                route.flow.packets_delivered += 1;
                route.flow.bytes_delivered += len as u64;
                self.trace(now, slot, None, TraceKind::Delivered);
                Some(index)
            }
            None => {
                self.drops.record(DropCause::NoNode);
                self.discard(now, slot, None, DropCause::NoNode);
                None
            }
        }
    }
}
