//! The announcer: tiers, failover, intervals, backoff, and the UDP exchange.

use super::tracker::{Kind, Tracker};
use super::{
    AnnouncerConfig, AnnouncerError, RequestId, Stats, TorrentParams, TrackerEvent, TrackerRequest,
};
use hark_wire::bt::tracker::AnnounceEvent;
use hark_wire::bt::tracker::http::{AnnounceReply, AnnounceRequest};
use hark_wire::bt::tracker::udp::{Family, RequestRepr, Response, ResponseRepr, UdpAnnounce};
use rand_core::Rng;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Most events kept undrained; past it the oldest are dropped (and counted).
pub const EVENT_CAPACITY: usize = 64;

/// Where a UDP exchange is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UdpStep {
    Connecting,
    Announcing { connection_id: u64 },
}

#[derive(Debug, Clone, Copy)]
struct UdpExchange {
    step: UdpStep,
    transaction_id: u32,
    /// Retransmissions so far (BEP 15's n).
    attempt: u32,
}

#[derive(Debug, Clone, Copy)]
struct InFlight {
    id: RequestId,
    tier: usize,
    index: usize,
    event: AnnounceEvent,
    deadline: Instant,
    udp: Option<UdpExchange>,
}

/// What a successful reply said, whichever the transport.
struct Reply {
    peers: Vec<SocketAddr>,
    interval: u32,
    min_interval: Option<u32>,
    warning: Option<String>,
    tracker_id: Option<Vec<u8>>,
    seeders: Option<u32>,
    leechers: Option<u32>,
}

/// Announces one torrent to its trackers (BEP 3, 12, 15), sans I/O.
///
/// Trackers are tried tier by tier, each tier in an order shuffled once with the given
/// random number generator (BEP 12). A failure (timeout, refused connection, HTTP status
/// other than 200, `failure reason`, invalid reply, UDP error) moves on to the next
/// tracker at once; a tracker that answers moves to the front of its tier. When every
/// tracker of a round failed, the next round waits `retry_base · 2^(rounds - 1)`, at most
/// `max_retry`. After a success the next regular announce waits the tracker's `interval`;
/// [`Announcer::announce_now`] respects its `min interval`. `started` is repeated until a
/// tracker takes it; `completed` goes out at once. [`Announcer::stop`] sends `stopped` to
/// every tracker that took an announce (failover may have made it more than one), one
/// after the other, each once.
///
/// After any `handle_*` call or action, drain [`Announcer::poll_request`] and
/// [`Announcer::poll_event`], then read [`Announcer::poll_timeout`]. At most one request is
/// in flight; replies to older requests (by [`RequestId`], or by UDP transaction id) are
/// ignored.
pub struct Announcer {
    config: AnnouncerConfig,
    torrent: TorrentParams,
    key: u32,
    tiers: Vec<Vec<Tracker>>,
    rng: Box<dyn Rng + Send>,
    stats: Stats,
    pending: AnnounceEvent,
    started: bool,
    stopped: bool,
    next_announce: Option<Instant>,
    last_announce: Option<Instant>,
    min_interval: Duration,
    failed_rounds: u32,
    in_flight: Option<InFlight>,
    next_id: u64,
    request: Option<TrackerRequest>,
    events: VecDeque<TrackerEvent>,
    dropped_events: u64,
}

impl std::fmt::Debug for Announcer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Announcer")
            .field("info_hash", &self.torrent.info_hash)
            .field("pending", &self.pending)
            .field("next_announce", &self.next_announce)
            .field("in_flight", &self.in_flight.map(|f| f.id))
            .finish_non_exhaustive()
    }
}

impl Announcer {
    /// An announcer for `tiers` of tracker URLs (as [`Metainfo::tracker_tiers`] gives
    /// them). URLs of schemes other than `http`, `https` and `udp` are left out; empty
    /// tiers are dropped. The generator shuffles each tier and draws the `key` and the
    /// UDP transaction ids.
    ///
    /// [`Metainfo::tracker_tiers`]: hark_wire::bt::metainfo::Metainfo::tracker_tiers
    pub fn new(
        config: AnnouncerConfig,
        torrent: TorrentParams,
        tiers: &[Vec<String>],
        mut rng: Box<dyn Rng + Send>,
    ) -> Result<Announcer, AnnouncerError> {
        let mut kept = Vec::new();
        for tier in tiers {
            let mut trackers: Vec<Tracker> = tier.iter().filter_map(|u| Tracker::new(u)).collect();
            // Fisher-Yates with the given generator.
            for i in (1..trackers.len()).rev() {
                let j = ((u64::from(rng.next_u32()) * (i as u64 + 1)) >> 32) as usize;
                trackers.swap(i, j);
            }
            if !trackers.is_empty() {
                kept.push(trackers);
            }
        }
        if kept.is_empty() {
            return Err(AnnouncerError::NoTrackers);
        }
        let key = rng.next_u32();
        Ok(Announcer {
            config,
            torrent,
            key,
            tiers: kept,
            rng,
            stats: Stats::default(),
            pending: AnnounceEvent::None,
            started: false,
            stopped: false,
            next_announce: None,
            last_announce: None,
            min_interval: Duration::ZERO,
            failed_rounds: 0,
            in_flight: None,
            next_id: 0,
            request: None,
            events: VecDeque::new(),
            dropped_events: 0,
        })
    }

    /// The tracker URLs by tier, in the order they are tried now.
    #[must_use]
    pub fn tiers(&self) -> Vec<Vec<String>> {
        self.tiers
            .iter()
            .map(|tier| tier.iter().map(|t| t.url.clone()).collect())
            .collect()
    }

    /// The `key` sent with every announce.
    #[must_use]
    pub fn key(&self) -> u32 {
        self.key
    }

    /// Events dropped because [`Announcer::poll_event`] was not drained.
    #[must_use]
    pub fn dropped_events(&self) -> u64 {
        self.dropped_events
    }

    /// Whether `stopped` was delivered (or given up on): nothing more will happen.
    #[must_use]
    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    /// Updates the counters sent with the next announce.
    pub fn set_stats(&mut self, stats: Stats) {
        self.stats = stats;
    }

    /// Starts: announces `started` now. Later calls do nothing.
    pub fn start(&mut self, now: Instant, stats: Stats) {
        if self.started || self.stopped {
            return;
        }
        self.started = true;
        self.stats = stats;
        self.pending = AnnounceEvent::Started;
        self.begin_round(now);
    }

    /// The download finished: announces `completed` as soon as no request is in flight.
    pub fn complete(&mut self, now: Instant, stats: Stats) {
        if !self.started || self.stopped || self.pending == AnnounceEvent::Stopped {
            return;
        }
        self.stats = stats;
        self.pending = AnnounceEvent::Completed;
        if self.in_flight.is_none() {
            self.begin_round(now);
        }
    }

    /// Stops: abandons any request in flight and announces `stopped` to each tracker that
    /// took an announce, or may have (the tracker of an announce in flight), in tier
    /// order, once each (a failure is not retried; the next tracker follows at once). If no
    /// tracker took an announce, stops without one. [`Announcer::is_stopped`] tells when
    /// it is done.
    pub fn stop(&mut self, now: Instant, stats: Stats) {
        if self.stopped || self.pending == AnnounceEvent::Stopped {
            return;
        }
        // The tracker may have taken the announce whose reply has not come yet (a UDP
        // exchange still connecting has sent no announce).
        if let Some(flight) = self.in_flight {
            let connecting = flight
                .udp
                .is_some_and(|exchange| exchange.step == UdpStep::Connecting);
            if !connecting {
                self.tiers[flight.tier][flight.index].announced = true;
            }
        }
        self.stats = stats;
        self.in_flight = None;
        self.request = None;
        self.next_announce = None;
        self.pending = AnnounceEvent::Stopped;
        self.next_stop(now);
    }

    /// Sends `stopped` to the next tracker that took an announce, or ends.
    fn next_stop(&mut self, now: Instant) {
        let next = self.tiers.iter().enumerate().find_map(|(tier, trackers)| {
            let index = trackers.iter().position(|t| t.announced)?;
            Some((tier, index))
        });
        match next {
            Some((tier, index)) => self.send_announce(now, tier, index),
            None => {
                self.stopped = true;
                self.next_announce = None;
            }
        }
    }

    /// Asks for an announce as soon as the tracker's `min interval` allows.
    pub fn announce_now(&mut self, now: Instant) {
        if !self.started || self.stopped || self.in_flight.is_some() {
            return;
        }
        let earliest = self
            .last_announce
            .map_or(now, |last| (last + self.min_interval).max(now));
        self.next_announce = Some(earliest);
        if earliest <= now {
            self.begin_round(now);
        }
    }

    /// The next request for the driver, if any.
    #[must_use]
    pub fn poll_request(&mut self) -> Option<TrackerRequest> {
        self.request.take()
    }

    /// The next event, if any.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<TrackerEvent> {
        self.events.pop_front()
    }

    /// When [`Announcer::handle_timeout`] should be called next.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        match &self.in_flight {
            Some(flight) => Some(flight.deadline),
            None => self.next_announce,
        }
    }

    /// Time passed: retransmits, times out, or starts the next announce. Spurious calls
    /// do nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        if let Some(flight) = self.in_flight {
            if now < flight.deadline {
                return;
            }
            match flight.udp {
                None => self.fail(now, 0, "timed out".to_owned()),
                Some(exchange) if exchange.attempt >= self.config.udp_max_retries => {
                    let tracker = &mut self.tiers[flight.tier][flight.index];
                    tracker.connection = None;
                    self.fail(now, 0, "timed out".to_owned());
                }
                Some(exchange) => {
                    let mut exchange = UdpExchange {
                        attempt: exchange.attempt + 1,
                        ..exchange
                    };
                    // An expired connection id is not reused: connect again.
                    if let UdpStep::Announcing { .. } = exchange.step {
                        if !self.connection_valid(flight.tier, flight.index, now) {
                            exchange.step = UdpStep::Connecting;
                        }
                    }
                    self.send_udp(now, flight, exchange);
                }
            }
            return;
        }
        if self.next_announce.is_some_and(|at| at <= now) {
            self.begin_round(now);
        }
    }

    /// The HTTP reply to request `id`: its status and body.
    pub fn handle_http_response(&mut self, now: Instant, id: RequestId, status: u16, body: &[u8]) {
        let Some(flight) = self.in_flight.filter(|f| f.id == id && f.udp.is_none()) else {
            return;
        };
        let url = self.tiers[flight.tier][flight.index].url.clone();
        self.push(TrackerEvent::Read {
            url,
            length: body.len(),
        });
        if status != 200 {
            self.fail(now, status, format!("HTTP status {status}"));
            return;
        }
        match AnnounceReply::parse(body) {
            Ok(AnnounceReply::Success(reply)) => self.succeed(
                now,
                Reply {
                    peers: reply.peers.iter().map(|peer| peer.addr).collect(),
                    interval: reply.interval,
                    min_interval: reply.min_interval,
                    warning: reply.warning_message,
                    tracker_id: reply.tracker_id,
                    seeders: reply.complete,
                    leechers: reply.incomplete,
                },
            ),
            Ok(AnnounceReply::Failure { reason }) => self.fail(now, 200, reason),
            Err(error) => self.fail(now, 200, format!("invalid reply: {error}")),
        }
    }

    /// Request `id` could not be made: the name did not resolve, the connection was
    /// refused or reset, the datagram could not be sent. Counts as a failure with status 0.
    pub fn handle_request_failed(&mut self, now: Instant, id: RequestId, reason: &str) {
        if self.in_flight.is_some_and(|f| f.id == id) {
            self.fail(now, 0, reason.to_owned());
        }
    }

    /// A datagram from the UDP tracker of the request in flight, read from a socket of
    /// `family`. Datagrams with another transaction id are ignored.
    pub fn handle_datagram(&mut self, now: Instant, family: Family, datagram: &[u8]) {
        let Some(flight) = self.in_flight else {
            return;
        };
        let Some(exchange) = flight.udp else {
            return;
        };
        let Some(transaction_id) = datagram.get(4..8) else {
            return;
        };
        if transaction_id != exchange.transaction_id.to_be_bytes() {
            return;
        }
        let url = self.tiers[flight.tier][flight.index].url.clone();
        self.push(TrackerEvent::Read {
            url,
            length: datagram.len(),
        });
        let repr = match Response::new_checked(datagram, family) {
            Ok(view) => ResponseRepr::parse(&view),
            Err(error) => {
                self.fail(now, 0, format!("invalid reply: {error}"));
                return;
            }
        };
        match (repr, exchange.step) {
            (ResponseRepr::Connect { connection_id, .. }, UdpStep::Connecting) => {
                self.tiers[flight.tier][flight.index].connection = Some((connection_id, now));
                let next = UdpExchange {
                    step: UdpStep::Announcing { connection_id },
                    transaction_id: exchange.transaction_id,
                    attempt: 0,
                };
                self.send_udp(now, flight, next);
            }
            (
                ResponseRepr::Announce {
                    interval,
                    leechers,
                    seeders,
                    peers,
                    ..
                },
                UdpStep::Announcing { .. },
            ) => self.succeed(
                now,
                Reply {
                    peers,
                    interval,
                    min_interval: None,
                    warning: None,
                    tracker_id: None,
                    seeders: Some(seeders),
                    leechers: Some(leechers),
                },
            ),
            (ResponseRepr::Error { message, .. }, _) => self.fail(now, 0, message),
            (other, _) => self.fail(now, 0, format!("unexpected reply: {other:?}")),
        }
    }

    fn push(&mut self, event: TrackerEvent) {
        if self.events.len() >= EVENT_CAPACITY {
            self.events.pop_front();
            self.dropped_events += 1;
        }
        self.events.push_back(event);
    }

    fn connection_valid(&self, tier: usize, index: usize, now: Instant) -> bool {
        self.tiers[tier][index].connection.is_some_and(|(_, at)| {
            now.saturating_duration_since(at) < self.config.connection_id_lifetime
        })
    }

    fn begin_round(&mut self, now: Instant) {
        self.next_announce = None;
        self.send_announce(now, 0, 0);
    }

    fn next_tracker(&self, tier: usize, index: usize) -> Option<(usize, usize)> {
        if index + 1 < self.tiers[tier].len() {
            Some((tier, index + 1))
        } else if tier + 1 < self.tiers.len() {
            Some((tier + 1, 0))
        } else {
            None
        }
    }

    fn send_announce(&mut self, now: Instant, tier: usize, index: usize) {
        self.next_id += 1;
        let id = RequestId(self.next_id);
        let event = self.pending;
        let url = self.tiers[tier][index].url.clone();
        self.last_announce = Some(now);
        self.push(TrackerEvent::Announce {
            url: url.clone(),
            event,
        });
        let tracker = &self.tiers[tier][index];
        match tracker.kind.clone() {
            Kind::Http => {
                let request = AnnounceRequest {
                    uploaded: self.stats.uploaded,
                    downloaded: self.stats.downloaded,
                    event,
                    numwant: Some(self.config.numwant),
                    key: Some(self.key),
                    tracker_id: tracker.tracker_id.clone(),
                    ..AnnounceRequest::new(
                        self.torrent.info_hash,
                        self.torrent.peer_id,
                        self.torrent.port,
                        self.stats.left,
                    )
                };
                self.in_flight = Some(InFlight {
                    id,
                    tier,
                    index,
                    event,
                    deadline: now + self.config.http_timeout,
                    udp: None,
                });
                match request.to_url(&url) {
                    Ok(full) => {
                        self.push(TrackerEvent::Write {
                            url,
                            length: full.len(),
                        });
                        self.request = Some(TrackerRequest::Http { id, url: full });
                    }
                    Err(error) => self.fail(now, 0, error.to_string()),
                }
            }
            Kind::Udp { .. } => {
                let step = match tracker.connection {
                    Some((connection_id, _)) if self.connection_valid(tier, index, now) => {
                        UdpStep::Announcing { connection_id }
                    }
                    _ => UdpStep::Connecting,
                };
                let flight = InFlight {
                    id,
                    tier,
                    index,
                    event,
                    deadline: now,
                    udp: None,
                };
                let exchange = UdpExchange {
                    step,
                    transaction_id: 0,
                    attempt: 0,
                };
                self.send_udp(now, flight, exchange);
            }
        }
    }

    /// Sends the packet of `exchange`'s step with a fresh transaction id, and arms its
    /// retransmission timer (`udp_timeout · 2^attempt`).
    fn send_udp(&mut self, now: Instant, flight: InFlight, exchange: UdpExchange) {
        let transaction_id = self.rng.next_u32();
        let exchange = UdpExchange {
            transaction_id,
            ..exchange
        };
        let tracker = &self.tiers[flight.tier][flight.index];
        let Kind::Udp { host_port } = &tracker.kind else {
            return;
        };
        let host_port = host_port.clone();
        let url = tracker.url.clone();
        let repr = match exchange.step {
            UdpStep::Connecting => RequestRepr::Connect { transaction_id },
            UdpStep::Announcing { connection_id } => RequestRepr::Announce(UdpAnnounce {
                connection_id,
                transaction_id,
                info_hash: self.torrent.info_hash,
                peer_id: self.torrent.peer_id,
                downloaded: self.stats.downloaded,
                left: self.stats.left,
                uploaded: self.stats.uploaded,
                event: flight.event,
                ip: None,
                key: self.key,
                num_want: Some(self.config.numwant.min(i32::MAX as u32)),
                port: self.torrent.port,
            }),
        };
        let mut payload = vec![0u8; repr.buffer_len()];
        if let Err(error) = repr.emit(&mut payload) {
            self.in_flight = Some(flight);
            self.fail(now, 0, error.to_string());
            return;
        }
        let wait = self
            .config
            .udp_timeout
            .saturating_mul(1u32 << exchange.attempt.min(16));
        self.in_flight = Some(InFlight {
            deadline: now + wait,
            udp: Some(exchange),
            ..flight
        });
        self.push(TrackerEvent::Write {
            url,
            length: payload.len(),
        });
        self.request = Some(TrackerRequest::Udp {
            id: flight.id,
            host_port,
            payload,
        });
    }

    fn succeed(&mut self, now: Instant, reply: Reply) {
        let Some(flight) = self.in_flight.take() else {
            return;
        };
        let (tier, index) = (flight.tier, flight.index);
        let tracker = &mut self.tiers[tier][index];
        tracker.times_in_row = 0;
        if reply.tracker_id.is_some() {
            tracker.tracker_id = reply.tracker_id;
        }
        let url = tracker.url.clone();
        if flight.event == AnnounceEvent::Stopped {
            tracker.announced = false;
            self.push(TrackerEvent::Success {
                url,
                peers: reply.peers,
                interval: Duration::ZERO,
                seeders: reply.seeders,
                leechers: reply.leechers,
            });
            self.next_stop(now);
            return;
        }
        tracker.announced = true;
        // BEP 12: a tracker that answers moves to the front of its tier.
        self.tiers[tier][..=index].rotate_right(1);
        let interval =
            Duration::from_secs(u64::from(reply.interval)).max(self.config.min_interval_floor);
        self.push(TrackerEvent::Success {
            url: url.clone(),
            peers: reply.peers,
            interval,
            seeders: reply.seeders,
            leechers: reply.leechers,
        });
        if let Some(message) = reply.warning {
            self.push(TrackerEvent::Warning { url, message });
        }
        self.failed_rounds = 0;
        self.min_interval = Duration::from_secs(u64::from(reply.min_interval.unwrap_or(0)));
        if self.pending == flight.event {
            self.pending = AnnounceEvent::None;
            self.next_announce = Some(now + interval);
        } else {
            // Another event (completed) was asked for while this one was in flight.
            self.begin_round(now);
        }
    }

    fn fail(&mut self, now: Instant, status_code: u16, reason: String) {
        let Some(flight) = self.in_flight.take() else {
            return;
        };
        self.request = None;
        let tracker = &mut self.tiers[flight.tier][flight.index];
        tracker.times_in_row = tracker.times_in_row.saturating_add(1);
        let times_in_row = tracker.times_in_row;
        let url = tracker.url.clone();
        if flight.event == AnnounceEvent::Stopped {
            tracker.announced = false;
        }
        self.push(TrackerEvent::Failure {
            url,
            times_in_row,
            status_code,
            reason,
        });
        if flight.event == AnnounceEvent::Stopped {
            self.next_stop(now);
            return;
        }
        if let Some((tier, index)) = self.next_tracker(flight.tier, flight.index) {
            self.send_announce(now, tier, index);
            return;
        }
        self.failed_rounds = self.failed_rounds.saturating_add(1);
        let factor = 1u32 << (self.failed_rounds - 1).min(20);
        let wait = self
            .config
            .retry_base
            .saturating_mul(factor)
            .min(self.config.max_retry);
        self.next_announce = Some(now + wait);
    }
}
