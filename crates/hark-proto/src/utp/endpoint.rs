//! The endpoint: libutp's context. It demultiplexes datagrams by (remote address,
//! connection id), owns the connections in a slab, answers strangers with ST_RESET and
//! bounds the number of half-open connections.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rand_core::{Rng, SeedableRng};
use rand_pcg::Pcg32;

use super::config::EndpointConfig;
use super::connection::{Connection, EventQueue};
use super::error::{AcceptError, ConnectError, HandleError, WriteError};
use super::event::{ConnectionError, ConnectionState, ConnectionStats, Event};
use super::packet::{self, Extras, Header, MalformedPacket, PacketType, offers_checksum};
use super::timer_queue::TimerQueue;
use crate::icmp::Unreachable;

/// Index of a connection in the endpoint's slab. Valid until its `Destroying` event has
/// been polled; the index may be reused afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectionHandle(pub usize);

/// An incoming SYN awaiting the application's decision (libutp's on_firewall and
/// on_accept). Pass it to [`Endpoint::accept`] or [`Endpoint::refuse`]; dropping it
/// ignores the SYN, and the peer's SYN retry will produce a new `Incoming`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    pub(crate) remote: SocketAddr,
    pub(crate) connection_id: u16,
    pub(crate) seq_nr: u16,
    pub(crate) wnd_size: u32,
    pub(crate) timestamp_micros: u32,
    pub(crate) received_at: Instant,
    pub(crate) datagram_len: usize,
    pub(crate) offers_integrity: bool,
}

impl Incoming {
    /// Address of the peer asking to connect.
    pub fn remote(&self) -> SocketAddr {
        self.remote
    }

    /// Connection id carried by the SYN (the peer's receive id).
    pub fn connection_id(&self) -> u16 {
        self.connection_id
    }

    /// Whether the SYN offered hark's integrity extension (a hark peer; libutp never does).
    pub fn offers_integrity(&self) -> bool {
        self.offers_integrity
    }
}

/// What [`Endpoint::handle_datagram`] did with a datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum DatagramOutcome {
    /// It was uTP and went to this connection.
    Connection(ConnectionHandle),
    /// A SYN for a new connection: accept or refuse it.
    Incoming(Incoming),
    /// uTP for no known connection; a RESET is queued unless it was a RESET itself (or,
    /// when integrity is required, a packet without a checksum).
    UnknownConnection,
    /// A SYN refused because `max_half_open` connections are half-open; a RESET is queued.
    SynRefused,
    /// A uTP packet whose checksum extension does not match its bytes: damaged on the way.
    /// Counted and dropped, as if lost.
    ChecksumMismatch,
    /// Not a well-formed uTP packet; counted and otherwise ignored.
    Malformed(MalformedPacket),
}

impl DatagramOutcome {
    /// True if the datagram was a uTP packet (a damaged checksummed one included).
    pub fn is_utp(&self) -> bool {
        !matches!(self, Self::Malformed(_))
    }
}

/// A datagram written by [`Endpoint::poll_transmit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transmit {
    /// Where to send it.
    pub destination: SocketAddr,
    /// Its length at the start of the caller's buffer.
    pub len: usize,
    /// Send with the don't-fragment flag (libutp's UTP_UDP_DONTFRAG).
    pub dont_fragment: bool,
    /// The connection that sends it; `None` for a RESET answering a packet that belongs
    /// to no connection.
    pub connection: Option<ConnectionHandle>,
}

/// Counters of the endpoint itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EndpointStats {
    /// Datagrams passed to `handle_datagram`.
    pub datagrams: u64,
    /// Datagrams that were not uTP.
    pub malformed: u64,
    /// uTP packets dropped because their checksum extension did not match.
    pub checksum_failures: u64,
    /// uTP packets for no known connection.
    pub unknown_connection: u64,
    /// SYNs refused because of the half-open bound.
    pub syns_refused: u64,
    /// RESETs sent.
    pub resets_sent: u64,
    /// RESETs not sent because too many were queued.
    pub resets_dropped: u64,
}

/// A snapshot of a connection's estimates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionInfo {
    /// The peer.
    pub remote: SocketAddr,
    /// Current state.
    pub state: ConnectionState,
    /// Smoothed round-trip time, if measured.
    pub rtt: Option<Duration>,
    /// Current retransmission timeout (with backoff).
    pub rto: Duration,
    /// Congestion window, bytes.
    pub congestion_window: usize,
    /// Estimated queuing delay.
    pub queuing_delay: Duration,
    /// The peer's advertised receive window, bytes.
    pub peer_window: usize,
    /// Payload bytes in flight.
    pub bytes_in_flight: usize,
    /// Largest payload per packet.
    pub max_payload: usize,
    /// Bytes waiting to be read.
    pub readable: usize,
    /// Bytes `write` would accept now.
    pub writable: usize,
    /// Whether both sides checksum every packet (hark's integrity extension).
    pub integrity: bool,
    /// Packets written (data, and the FIN after `close`) that the peer has not yet
    /// acknowledged, sent or not: 0 once every byte written so far has arrived.
    pub unacknowledged_packets: usize,
    /// Whether the peer acknowledged our FIN, and so every byte written before `close`
    /// ([`Event::FinAcked`] reports the moment).
    pub fin_acked: bool,
}

#[derive(Debug, Clone, Copy)]
struct PendingReset {
    to: SocketAddr,
    connection_id: u16,
    ack_nr: u16,
    /// Whether the peer expects the checksum extension.
    checksum: bool,
}

#[derive(Debug)]
struct Slot {
    conn: Connection,
    counted_half_open: bool,
}

/// The packet type and connection id of a quoted uTP header, if it looks like one.
fn quoted_header(quoted: &[u8]) -> Option<(PacketType, u16)> {
    let [type_version, _, id_high, id_low, ..] = *quoted else {
        return None;
    };
    if type_version & 0x0f != 1 {
        return None;
    }
    let packet_type = PacketType::from_wire(type_version >> 4)?;
    Some((packet_type, u16::from_be_bytes([id_high, id_low])))
}

/// A uTP endpoint over one UDP socket.
///
/// Drive it like this: after any `handle_*` call (and after `connect`, `accept`, `write`,
/// `read`, `close`), drain [`Endpoint::poll_transmit`] until it returns `None`, then
/// drain [`Endpoint::poll_event`], then read [`Endpoint::poll_timeout`] and call
/// [`Endpoint::handle_timeout`] when it is reached. After a batch of datagrams, call
/// [`Endpoint::issue_deferred_acks`] (libutp's utp_issue_deferred_acks) and drain again.
pub struct Endpoint {
    config: EndpointConfig,
    epoch: Instant,
    rng: Box<dyn Rng + Send>,
    slab: Vec<Option<Slot>>,
    free: Vec<usize>,
    live: usize,
    by_key: HashMap<(SocketAddr, u16), usize>,
    events: EventQueue,
    ready: VecDeque<usize>,
    deferred: Vec<usize>,
    resets: VecDeque<PendingReset>,
    half_open: usize,
    stats: EndpointStats,
    /// When each connection next needs `handle_timeout`.
    timers: TimerQueue,
    /// Scratch list of the connections due in `handle_timeout` (kept to reuse its memory).
    due: Vec<usize>,
    /// The last (address, id) looked up and its slot: saves hashing on back-to-back packets.
    last_lookup: Option<((SocketAddr, u16), usize)>,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("connections", &self.live)
            .field("half_open", &self.half_open)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl Endpoint {
    /// An endpoint whose wire timestamps count microseconds from `epoch`, drawing
    /// connection ids and initial sequence numbers from `rng`: any random number generator
    /// of `rand_core` 0.10 (re-exported as [`rand_core`](super::rand_core); its
    /// [`Rng`](super::Rng) is implemented by every `TryRng<Error = Infallible>`).
    /// [`Endpoint::with_seed`] builds one from a seed.
    pub fn new(config: EndpointConfig, epoch: Instant, rng: Box<dyn Rng + Send>) -> Self {
        let resets = VecDeque::with_capacity(config.max_pending_resets);
        Self {
            config,
            epoch,
            rng,
            slab: Vec::new(),
            free: Vec::new(),
            live: 0,
            by_key: HashMap::new(),
            events: VecDeque::new(),
            ready: VecDeque::new(),
            deferred: Vec::new(),
            resets,
            half_open: 0,
            stats: EndpointStats::default(),
            timers: TimerQueue::default(),
            due: Vec::new(),
            last_lookup: None,
        }
    }

    /// An endpoint drawing its connection ids and sequence numbers from a PCG-32 generator
    /// seeded with `seed`: the same seed gives the same ids, which makes tests and
    /// simulations repeatable. Off-path attackers who can guess the seed can guess
    /// connection ids, so outside tests seed it from the operating system, e.g.
    /// `std::collections::hash_map::RandomState::new().hash_one(0u8)`.
    ///
    /// ```
    /// use hark_proto::utp::{Endpoint, EndpointConfig};
    /// use std::time::Instant;
    ///
    /// let now = Instant::now();
    /// let mut a = Endpoint::with_seed(EndpointConfig::default(), now, 7);
    /// let mut b = Endpoint::with_seed(EndpointConfig::default(), now, 7);
    /// let peer = "127.0.0.1:6881".parse()?;
    /// a.connect(now, peer)?;
    /// b.connect(now, peer)?;
    /// let (mut syn_a, mut syn_b) = ([0u8; 1500], [0u8; 1500]);
    /// let len_a = a.poll_transmit(now, &mut syn_a).map(|t| t.len).unwrap_or(0);
    /// let len_b = b.poll_transmit(now, &mut syn_b).map(|t| t.len).unwrap_or(0);
    /// assert_eq!(syn_a[..len_a], syn_b[..len_b]); // same connection id and sequence number
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_seed(config: EndpointConfig, epoch: Instant, seed: u64) -> Self {
        Self::new(config, epoch, Box::new(Pcg32::seed_from_u64(seed)))
    }

    /// The endpoint's configuration.
    pub fn config(&self) -> &EndpointConfig {
        &self.config
    }

    /// Endpoint counters.
    pub fn stats(&self) -> EndpointStats {
        self.stats
    }

    /// Number of connections held (including ones whose `Destroying` is not yet polled).
    pub fn connection_count(&self) -> usize {
        self.live
    }

    /// Number of accepted connections still waiting for the initiator's first packet.
    pub fn half_open_count(&self) -> usize {
        self.half_open
    }

    fn conn(&self, handle: ConnectionHandle) -> Option<&Connection> {
        self.slab.get(handle.0)?.as_ref().map(|s| &s.conn)
    }

    fn conn_mut(&mut self, handle: ConnectionHandle) -> Option<&mut Connection> {
        self.slab.get_mut(handle.0)?.as_mut().map(|s| &mut s.conn)
    }

    fn insert(
        &mut self,
        make: impl FnOnce(ConnectionHandle, &mut EventQueue) -> Connection,
    ) -> ConnectionHandle {
        let index = self.free.pop().unwrap_or_else(|| {
            self.slab.push(None);
            self.slab.len() - 1
        });
        let handle = ConnectionHandle(index);
        let conn = make(handle, &mut self.events);
        self.by_key.insert((conn.remote(), conn.recv_id()), index);
        let counted_half_open = conn.half_open;
        if counted_half_open {
            self.half_open += 1;
        }
        self.slab[index] = Some(Slot {
            conn,
            counted_half_open,
        });
        self.live += 1;
        self.touched(index);
        handle
    }

    /// Bookkeeping after anything happened to a connection: schedule its output, its
    /// deferred ACK and its next timeout, and forget its key once it is destroyed.
    fn touched(&mut self, index: usize) {
        let Some(slot) = self.slab.get_mut(index).and_then(Option::as_mut) else {
            return;
        };
        if let Some(reset) = slot.conn.take_reset_request() {
            let to = slot.conn.remote();
            self.queue_reset(to, reset.connection_id, reset.ack_nr, reset.checksum);
        }
        let Some(slot) = self.slab.get_mut(index).and_then(Option::as_mut) else {
            return;
        };
        let conn = &mut slot.conn;
        self.timers.schedule(index, conn.next_timeout());
        if slot.counted_half_open && (!conn.half_open || conn.is_destroyed()) {
            slot.counted_half_open = false;
            self.half_open -= 1;
        }
        if conn.is_destroyed() {
            let key = (conn.remote(), conn.recv_id());
            if self.by_key.get(&key) == Some(&index) {
                self.by_key.remove(&key);
            }
            return;
        }
        if !conn.ready_queued {
            conn.ready_queued = true;
            self.ready.push_back(index);
        }
        if conn.wants_deferred_ack() && !conn.deferred_queued {
            conn.deferred_queued = true;
            self.deferred.push(index);
        }
    }

    /// Finds the connection receiving on `key`, trying the last hit before the map.
    fn lookup(&mut self, key: (SocketAddr, u16)) -> Option<usize> {
        if let Some((last, index)) = self.last_lookup {
            let live = self
                .slab
                .get(index)
                .and_then(Option::as_ref)
                .is_some_and(|slot| {
                    !slot.conn.is_destroyed() && (slot.conn.remote(), slot.conn.recv_id()) == key
                });
            if last == key && live {
                return Some(index);
            }
        }
        let index = *self.by_key.get(&key)?;
        self.last_lookup = Some((key, index));
        Some(index)
    }

    fn queue_reset(&mut self, to: SocketAddr, connection_id: u16, ack_nr: u16, checksum: bool) {
        if self.resets.len() < self.config.max_pending_resets {
            self.resets.push_back(PendingReset {
                to,
                connection_id,
                ack_nr,
                checksum,
            });
        } else {
            self.stats.resets_dropped += 1;
        }
    }

    /// Opens a connection to `remote`; its SYN comes out of the next `poll_transmit`.
    ///
    /// Connect timeout: the SYN is resent after `initial_rto`, doubling each time, up to
    /// `syn_retries` times; then the connection fails with [`ConnectionError::TimedOut`].
    /// With the defaults (1 s, 3 retries) that is 1 + 2 + 4 + 8 = 15 s. A closed port
    /// fails much sooner when the driver passes the kernel's ICMP reports to
    /// [`Endpoint::handle_icmp_error`], and at once with `Refused` when the peer answers
    /// with a RESET.
    pub fn connect(
        &mut self,
        now: Instant,
        remote: SocketAddr,
    ) -> Result<ConnectionHandle, ConnectError> {
        if self.live >= self.config.max_connections {
            return Err(ConnectError::TooManyConnections);
        }
        let mut recv_id = None;
        for _ in 0..32 {
            let id = self.rng.next_u32() as u16;
            if !self.by_key.contains_key(&(remote, id)) {
                recv_id = Some(id);
                break;
            }
        }
        let recv_id = recv_id.ok_or(ConnectError::NoConnectionId)?;
        let syn_seq = self.rng.next_u32() as u16;
        let config = self.config.connection.clone();
        let epoch = self.epoch;
        Ok(self.insert(|handle, events| {
            Connection::connect(handle, remote, recv_id, syn_seq, config, epoch, now, events)
        }))
    }

    /// Accepts an incoming connection; its SYN-ACK comes out of the next `poll_transmit`.
    /// On `TooManyHalfOpen`, `TooManyConnections` and `IntegrityRequired` the peer is sent
    /// a RESET.
    pub fn accept(
        &mut self,
        now: Instant,
        incoming: Incoming,
    ) -> Result<ConnectionHandle, AcceptError> {
        let key = (incoming.remote, incoming.connection_id.wrapping_add(1));
        if self.by_key.contains_key(&key) {
            return Err(AcceptError::Duplicate);
        }
        if self.half_open >= self.config.max_half_open {
            self.refuse(incoming);
            return Err(AcceptError::TooManyHalfOpen);
        }
        if self.live >= self.config.max_connections {
            self.refuse(incoming);
            return Err(AcceptError::TooManyConnections);
        }
        if self.config.connection.require_integrity && !incoming.offers_integrity {
            self.refuse(incoming);
            return Err(AcceptError::IntegrityRequired);
        }
        let our_seq = self.rng.next_u32() as u16;
        let config = self.config.connection.clone();
        let epoch = self.epoch;
        Ok(self.insert(|handle, events| {
            Connection::accept(handle, &incoming, our_seq, config, epoch, now, events)
        }))
    }

    /// Refuses an incoming connection with a RESET (unchecked: the initiator cannot
    /// expect a checksum before the handshake).
    pub fn refuse(&mut self, incoming: Incoming) {
        self.queue_reset(
            incoming.remote,
            incoming.connection_id,
            incoming.seq_nr,
            false,
        );
    }

    /// Processes one received datagram. Never panics, whatever the bytes. A packet whose
    /// checksum extension does not verify is dropped here, before it can reach (or, with a
    /// damaged connection id, reset) any connection.
    pub fn handle_datagram(
        &mut self,
        now: Instant,
        from: SocketAddr,
        datagram: &[u8],
    ) -> DatagramOutcome {
        self.stats.datagrams += 1;
        let parsed = match packet::parse(datagram) {
            Ok(parsed) => parsed,
            Err(MalformedPacket::ChecksumMismatch { .. }) => {
                self.stats.checksum_failures += 1;
                return DatagramOutcome::ChecksumMismatch;
            }
            Err(error) => {
                self.stats.malformed += 1;
                return DatagramOutcome::Malformed(error);
            }
        };
        let h = parsed.header;
        let id = h.connection_id;
        let index = match h.packet_type {
            PacketType::Reset => {
                // The id is our receive id, or our send id (ours +1 or -1).
                let found = self.by_key.get(&(from, id)).copied().or_else(|| {
                    [id.wrapping_add(1), id.wrapping_sub(1)]
                        .into_iter()
                        .find_map(|candidate| {
                            let index = *self.by_key.get(&(from, candidate))?;
                            let slot = self.slab.get(index)?.as_ref()?;
                            (slot.conn.send_id() == id).then_some(index)
                        })
                });
                let Some(index) = found else {
                    self.stats.unknown_connection += 1;
                    return DatagramOutcome::UnknownConnection;
                };
                if let Some(slot) = self.slab[index].as_mut() {
                    slot.conn
                        .handle_reset(parsed.extras.checksum, &mut self.events);
                }
                index
            }
            PacketType::Syn => {
                let existing = self
                    .by_key
                    .get(&(from, id.wrapping_add(1)))
                    .copied()
                    .filter(|&index| {
                        self.slab
                            .get(index)
                            .and_then(Option::as_ref)
                            .is_some_and(|s| s.conn.send_id() == id)
                    });
                let Some(index) = existing else {
                    if self.half_open >= self.config.max_half_open {
                        self.stats.syns_refused += 1;
                        self.queue_reset(from, id, h.seq_nr, false);
                        return DatagramOutcome::SynRefused;
                    }
                    return DatagramOutcome::Incoming(Incoming {
                        remote: from,
                        connection_id: id,
                        seq_nr: h.seq_nr,
                        wnd_size: h.wnd_size,
                        timestamp_micros: h.timestamp_micros,
                        received_at: now,
                        datagram_len: datagram.len(),
                        offers_integrity: parsed
                            .extras
                            .extension_bits
                            .is_some_and(|bits| offers_checksum(&bits)),
                    });
                };
                if let Some(slot) = self.slab[index].as_mut() {
                    slot.conn
                        .handle_packet(now, datagram.len(), &parsed, &mut self.events);
                }
                index
            }
            _ => {
                let Some(index) = self.lookup((from, id)) else {
                    self.stats.unknown_connection += 1;
                    // A checksummed packet comes from a peer that drops unchecked RESETs.
                    // When integrity is required no unchecked connection can exist, so an
                    // unchecked stray is noise (a damaged SYN, say) and gets no RESET.
                    let checksum = parsed.extras.checksum;
                    if checksum || !self.config.connection.require_integrity {
                        self.queue_reset(from, id, h.seq_nr, checksum);
                    }
                    return DatagramOutcome::UnknownConnection;
                };
                if let Some(slot) = self.slab[index].as_mut() {
                    slot.conn
                        .handle_packet(now, datagram.len(), &parsed, &mut self.events);
                }
                index
            }
        };
        self.touched(index);
        DatagramOutcome::Connection(ConnectionHandle(index))
    }

    /// Handles an ICMP destination-unreachable report about a datagram this endpoint sent
    /// to `destination` (libutp's `utp_process_icmp_error`); `quoted` is the start of that
    /// datagram as the report quotes it (may be empty). Returns whether a connection
    /// ended.
    ///
    /// A connection attempt (SYN sent) to `destination` fails at once with
    /// [`ConnectionError::Unreachable`] instead of retrying its SYN for
    /// `initial_rto * (2^(syn_retries + 1) - 1)` (15 s by default); an established
    /// connection fails only on [`Unreachable::Port`]. With a quoted uTP header only the
    /// connection that sent it is concerned; without one, every connection to
    /// `destination`. Reports about RESETs answering strangers concern nobody.
    pub fn handle_icmp_error(
        &mut self,
        now: Instant,
        destination: SocketAddr,
        kind: Unreachable,
        quoted: &[u8],
    ) -> bool {
        let _ = now;
        let mut targets = Vec::new();
        match quoted_header(quoted) {
            Some((PacketType::Reset, _)) => {}
            Some((PacketType::Syn, id)) => targets.extend(self.by_key.get(&(destination, id))),
            Some((_, id)) => {
                // The packet carried the send id: the initiator receives on id - 1, the
                // acceptor on id + 1.
                for recv_id in [id.wrapping_sub(1), id.wrapping_add(1)] {
                    if let Some(&index) = self.by_key.get(&(destination, recv_id)) {
                        let sent_it = self
                            .conn(ConnectionHandle(index))
                            .is_some_and(|c| c.send_id() == id);
                        if sent_it {
                            targets.push(index);
                        }
                    }
                }
            }
            None => targets.extend(
                self.slab
                    .iter()
                    .enumerate()
                    .filter(|(_, slot)| {
                        slot.as_ref()
                            .is_some_and(|s| s.conn.remote() == destination)
                    })
                    .map(|(index, _)| index),
            ),
        }
        let mut ended = false;
        for index in targets {
            if let Some(slot) = self.slab.get_mut(index).and_then(Option::as_mut) {
                ended |= slot.conn.handle_unreachable(kind, &mut self.events);
            }
            self.touched(index);
        }
        ended
    }

    /// Sends the deferred ACKs of every connection that received data since the last
    /// call (libutp's utp_issue_deferred_acks). Call it after a batch of datagrams.
    pub fn issue_deferred_acks(&mut self, _now: Instant) {
        let mut list = std::mem::take(&mut self.deferred);
        for &index in &list {
            if let Some(slot) = self.slab.get_mut(index).and_then(Option::as_mut) {
                slot.conn.flush_deferred_ack();
            }
            self.touched(index);
        }
        list.clear();
        if self.deferred.is_empty() {
            self.deferred = list;
        }
    }

    /// Runs the timers that are due. Spurious calls do nothing. Costs O(log n) per due
    /// connection, not O(n): the connections wait in a timer heap.
    pub fn handle_timeout(&mut self, now: Instant) {
        let mut due = std::mem::take(&mut self.due);
        self.timers.pop_due(now, &mut due);
        for &index in &due {
            if let Some(slot) = self.slab.get_mut(index).and_then(Option::as_mut) {
                if slot.conn.next_timeout().is_some_and(|at| at <= now) {
                    slot.conn.handle_timeout(now, &mut self.events);
                }
            }
            // Reschedules the connection, whatever its timers now say.
            self.touched(index);
        }
        due.clear();
        self.due = due;
    }

    /// Writes the next datagram to send into `buf` (which should hold at least the
    /// configured MTU) and says where it goes.
    #[must_use]
    pub fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        if let Some(reset) = self.resets.pop_front() {
            let header = Header {
                packet_type: PacketType::Reset,
                connection_id: reset.connection_id,
                timestamp_micros: now.saturating_duration_since(self.epoch).as_micros() as u32,
                timestamp_difference_micros: 0,
                wnd_size: 0,
                seq_nr: self.rng.next_u32() as u16,
                ack_nr: reset.ack_nr,
            };
            let extras = Extras::checksum(reset.checksum);
            if let Some(len) = packet::emit(&header, None, extras, &[], buf) {
                self.stats.resets_sent += 1;
                return Some(Transmit {
                    destination: reset.to,
                    len,
                    dont_fragment: false,
                    connection: None,
                });
            }
        }
        while let Some(index) = self.ready.pop_front() {
            let Some(slot) = self.slab.get_mut(index).and_then(Option::as_mut) else {
                continue;
            };
            slot.conn.ready_queued = false;
            let sent = slot.conn.poll_transmit(now, buf, &mut self.events);
            // Sending arms the retransmission and keepalive timers.
            self.timers.schedule(index, slot.conn.next_timeout());
            if let Some((len, dont_fragment)) = sent {
                let destination = slot.conn.remote();
                slot.conn.ready_queued = true;
                self.ready.push_back(index);
                return Some(Transmit {
                    destination,
                    len,
                    dont_fragment,
                    connection: Some(ConnectionHandle(index)),
                });
            }
        }
        None
    }

    /// The next connection event. A connection's slot is freed when its `Destroying`
    /// event is returned here.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<(ConnectionHandle, Event)> {
        let (handle, event) = self.events.pop_front()?;
        let destroyed = match event {
            Event::Destroying => self.slab.get_mut(handle.0).and_then(Option::take),
            _ => None,
        };
        if let Some(slot) = destroyed {
            let key = (slot.conn.remote(), slot.conn.recv_id());
            if self.by_key.get(&key) == Some(&handle.0) {
                self.by_key.remove(&key);
            }
            if slot.counted_half_open {
                self.half_open -= 1;
            }
            self.timers.schedule(handle.0, None);
            self.live -= 1;
            self.free.push(handle.0);
        }
        Some((handle, event))
    }

    /// The earliest instant at which `handle_timeout` has work to do. O(1): the top of the
    /// timer heap.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let next = self.timers.next();
        #[cfg(debug_assertions)]
        {
            let scanned = self
                .slab
                .iter()
                .flatten()
                .filter_map(|slot| slot.conn.next_timeout())
                .min();
            debug_assert_eq!(
                next, scanned,
                "the timer heap disagrees with the connections"
            );
        }
        next
    }

    /// Queues data on a connection and returns how much was accepted (never more than
    /// the free send buffer: backpressure, not unbounded buffering).
    pub fn write(&mut self, handle: ConnectionHandle, data: &[u8]) -> Result<usize, WriteError> {
        let slot = self
            .slab
            .get_mut(handle.0)
            .and_then(Option::as_mut)
            .ok_or(WriteError::UnknownConnection)?;
        let n = slot.conn.write(data, &mut self.events)?;
        self.touched(handle.0);
        Ok(n)
    }

    /// Reads received data; 0 means nothing is readable right now.
    pub fn read(&mut self, handle: ConnectionHandle, buf: &mut [u8]) -> Result<usize, HandleError> {
        let slot = self
            .slab
            .get_mut(handle.0)
            .and_then(Option::as_mut)
            .ok_or(HandleError::UnknownConnection)?;
        let n = slot.conn.read(buf);
        self.touched(handle.0);
        Ok(n)
    }

    /// The received data in place, without copying: up to two slices (the buffer is a
    /// ring). Call [`Endpoint::consume`] with how much of it was used.
    pub fn readable_slices(&self, handle: ConnectionHandle) -> Result<(&[u8], &[u8]), HandleError> {
        self.conn(handle)
            .map(Connection::readable_slices)
            .ok_or(HandleError::UnknownConnection)
    }

    /// Drops the first `n` readable bytes after the application used them in place;
    /// returns how many were dropped.
    pub fn consume(&mut self, handle: ConnectionHandle, n: usize) -> Result<usize, HandleError> {
        let slot = self
            .slab
            .get_mut(handle.0)
            .and_then(Option::as_mut)
            .ok_or(HandleError::UnknownConnection)?;
        let n = slot.conn.consume(n);
        self.touched(handle.0);
        Ok(n)
    }

    /// Closes the sending direction: a FIN follows the queued data. [`Event::FinAcked`]
    /// reports when the peer has acknowledged it (all data delivered). The connection is
    /// destroyed [`ConnectionConfig::linger`](super::ConnectionConfig::linger) (2 s by
    /// default) after both FINs are acknowledged, or when the peer stays silent.
    pub fn close(&mut self, handle: ConnectionHandle) -> Result<(), HandleError> {
        let slot = self
            .slab
            .get_mut(handle.0)
            .and_then(Option::as_mut)
            .ok_or(HandleError::UnknownConnection)?;
        slot.conn.close(&mut self.events);
        self.touched(handle.0);
        Ok(())
    }

    /// Drops a connection at once, without telling the peer.
    pub fn abort(&mut self, handle: ConnectionHandle) -> Result<(), HandleError> {
        let slot = self
            .slab
            .get_mut(handle.0)
            .and_then(Option::as_mut)
            .ok_or(HandleError::UnknownConnection)?;
        slot.conn.abort(&mut self.events);
        self.touched(handle.0);
        Ok(())
    }

    /// The state of a connection.
    pub fn state(&self, handle: ConnectionHandle) -> Option<ConnectionState> {
        self.conn(handle).map(Connection::state)
    }

    /// Why a connection failed, if it did.
    pub fn connection_error(&self, handle: ConnectionHandle) -> Option<ConnectionError> {
        self.conn(handle).and_then(Connection::error)
    }

    /// Counters of a connection.
    pub fn connection_stats(&self, handle: ConnectionHandle) -> Option<ConnectionStats> {
        self.conn(handle).map(Connection::stats)
    }

    /// Estimates and buffer levels of a connection.
    pub fn connection_info(&self, handle: ConnectionHandle) -> Option<ConnectionInfo> {
        let c = self.conn(handle)?;
        Some(ConnectionInfo {
            remote: c.remote(),
            state: c.state(),
            rtt: c.rtt().smoothed(),
            rto: c.rtt().rto(),
            congestion_window: c.congestion().window(),
            queuing_delay: c.congestion().queuing_delay(),
            peer_window: c.peer_window(),
            bytes_in_flight: c.bytes_in_flight(),
            max_payload: c.mss(),
            readable: c.readable(),
            writable: c.send_buffer_free(),
            integrity: c.integrity_active(),
            unacknowledged_packets: c.unacknowledged_packets(),
            fin_acked: c.fin_acked(),
        })
    }

    /// Changes a connection's LEDBAT target delay.
    pub fn set_target_delay(
        &mut self,
        handle: ConnectionHandle,
        target: Duration,
    ) -> Result<(), HandleError> {
        self.conn_mut(handle)
            .ok_or(HandleError::UnknownConnection)?
            .set_target_delay(target);
        Ok(())
    }

    /// Changes a connection's UDP MTU (libutp's get_udp_mtu answer); new packets use it.
    pub fn set_mtu(&mut self, handle: ConnectionHandle, udp_mtu: u16) -> Result<(), HandleError> {
        self.conn_mut(handle)
            .ok_or(HandleError::UnknownConnection)?
            .set_mtu(udp_mtu);
        Ok(())
    }
}
