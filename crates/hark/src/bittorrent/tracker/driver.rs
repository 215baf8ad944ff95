//! [`TrackerDriver`]: performs the I/O of one [`Announcer`] per torrent.

use super::udp::{Inbound, Link, QUEUE_CAPACITY, UdpShared, UdpTrackerCore, lock};
use crate::bittorrent::http::{HttpClient, HttpConfig, HttpRequest, HttpRequestId, WakeHook};
use hark_proto::bt::announce::{Announcer, RequestId, TrackerEvent, TrackerRequest};
use hark_reactor::ReactorHandle;
use hark_wire::bt::metainfo::InfoHash;
use hark_wire::bt::tracker::udp::Family;
use std::collections::{HashMap, HashSet, VecDeque};
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

/// Most events kept undrained; past it the oldest are dropped (and counted).
pub const EVENT_CAPACITY: usize = 1024;
/// Most resolved UDP tracker names remembered.
const NAME_CACHE: usize = 64;

/// A UDP request waiting for its name or its reply.
#[derive(Debug, Clone)]
struct UdpFlight {
    id: RequestId,
    host_port: String,
    payload: Vec<u8>,
    /// The tracker's address, once resolved, and the transaction id sent to it.
    sent: Option<(SocketAddr, u32)>,
}

struct Slot {
    announcer: Announcer,
    http: Option<(RequestId, HttpRequestId)>,
    udp: Option<UdpFlight>,
}

type Lookups = Arc<Mutex<VecDeque<(String, io::Result<Vec<SocketAddr>>)>>>;

/// Drives one [`Announcer`] per torrent: its HTTP announces through an [`HttpClient`], its
/// UDP announces (BEP 15) through a [`UdpTrackerCore`] on the client's shared UDP socket;
/// surfaces every [`TrackerEvent`] with its torrent (turn them into hub events with
/// [`tracker_event_kind`](crate::events::tracker_event_kind); a `Success` carries the peers).
///
/// An owned value living on the reactor thread. Call [`TrackerDriver::drive`] after the
/// wake hook ran, when [`TrackerDriver::poll_timeout`] has come, and after acting on an
/// announcer ([`TrackerDriver::announcer_mut`]: start, complete, stop, announce_now); then
/// drain [`TrackerDriver::poll_event`].
pub struct TrackerDriver {
    reactor: ReactorHandle,
    http: HttpClient,
    /// One link per UDP socket family (IPv4, IPv6), with the socket's address.
    udp: Vec<(Link, SocketAddr)>,
    slots: HashMap<InfoHash, Slot>,
    events: VecDeque<(InfoHash, TrackerEvent)>,
    dropped_events: u64,
    wake: Arc<Mutex<Option<WakeHook>>>,
    lookups: Lookups,
    looking_up: HashSet<String>,
    names: HashMap<String, Vec<SocketAddr>>,
}

impl std::fmt::Debug for TrackerDriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrackerDriver")
            .field("torrents", &self.slots.len())
            .field("events", &self.events.len())
            .finish_non_exhaustive()
    }
}

impl TrackerDriver {
    /// A driver whose HTTP announces use connections on `reactor`. UDP trackers need
    /// [`TrackerDriver::udp_core`]; until then their requests fail.
    pub fn new(reactor: ReactorHandle, http: HttpConfig) -> Self {
        let wake: Arc<Mutex<Option<WakeHook>>> = Arc::default();
        let mut client = HttpClient::new(reactor.clone(), http);
        let hook = Arc::clone(&wake);
        client.set_wake(move || call(&hook));
        TrackerDriver {
            reactor,
            http: client,
            udp: Vec::new(),
            slots: HashMap::new(),
            events: VecDeque::new(),
            dropped_events: 0,
            wake,
            lookups: Arc::default(),
            looking_up: HashSet::new(),
            names: HashMap::new(),
        }
    }

    /// The datagram core for the client's UDP socket bound at `local`: add it with
    /// [`Reactor::add_core`](hark_reactor::Reactor::add_core) beside uTP. Call once per
    /// socket family (an IPv4 and an IPv6 socket): a UDP tracker is reached through the
    /// core of the first family among its addresses. A second call for the same family
    /// replaces the first core (which then stays idle).
    pub fn udp_core(&mut self, local: SocketAddr) -> UdpTrackerCore {
        let link = Arc::new(Mutex::new(UdpShared {
            outbox: VecDeque::new(),
            queued_at: None,
            expected: HashMap::new(),
            inbox: VecDeque::new(),
            wake_due: false,
            wake: None,
            dropped: 0,
        }));
        let hook = Arc::clone(&self.wake);
        lock(&link).wake = Some(Arc::new(move || call(&hook)));
        self.udp
            .retain(|(_, addr)| addr.is_ipv4() != local.is_ipv4());
        self.udp.push((Arc::clone(&link), local));
        UdpTrackerCore::new(link)
    }

    /// Sets the hook run (on the reactor thread, or a name-lookup thread) whenever
    /// [`TrackerDriver::drive`] has something to do.
    pub fn set_wake(&mut self, wake: impl Fn() + Send + Sync + 'static) {
        *self.wake.lock().unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(wake));
    }

    /// Drives `announcer` for its torrent, replacing (and returning) one driven before.
    /// Call [`Announcer::start`] (through [`TrackerDriver::announcer_mut`]) and then
    /// [`TrackerDriver::drive`].
    pub fn add(&mut self, torrent: InfoHash, announcer: Announcer) -> Option<Announcer> {
        let old = self.remove(torrent);
        self.slots.insert(
            torrent,
            Slot {
                announcer,
                http: None,
                udp: None,
            },
        );
        old
    }

    /// Stops driving `torrent`'s announcer and returns it; its request in flight is
    /// abandoned.
    pub fn remove(&mut self, torrent: InfoHash) -> Option<Announcer> {
        let mut slot = self.slots.remove(&torrent)?;
        if let Some((_, http)) = slot.http.take() {
            self.http.cancel(http);
        }
        if let Some(flight) = slot.udp.take() {
            self.forget_udp(&flight);
        }
        Some(slot.announcer)
    }

    /// The announcer of `torrent`, to act on; call [`TrackerDriver::drive`] afterwards.
    pub fn announcer_mut(&mut self, torrent: InfoHash) -> Option<&mut Announcer> {
        self.slots.get_mut(&torrent).map(|slot| &mut slot.announcer)
    }

    /// The announcer of `torrent`.
    pub fn announcer(&self, torrent: InfoHash) -> Option<&Announcer> {
        self.slots.get(&torrent).map(|slot| &slot.announcer)
    }

    /// The torrents driven.
    pub fn torrents(&self) -> impl Iterator<Item = InfoHash> + '_ {
        self.slots.keys().copied()
    }

    /// When [`TrackerDriver::drive`] must run next: the earliest announcer timer.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.slots
            .values()
            .filter_map(|slot| slot.announcer.poll_timeout())
            .min()
    }

    /// The next event, with its torrent.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<(InfoHash, TrackerEvent)> {
        self.events.pop_front()
    }

    /// Events dropped because [`TrackerDriver::poll_event`] was not drained.
    pub fn dropped_events(&self) -> u64 {
        self.dropped_events
    }

    /// Feeds everything that arrived (HTTP outcomes, UDP replies and unreachable
    /// reports, resolved names) to the announcers, fires their due timers, performs the
    /// requests they make and queues their events.
    pub fn drive(&mut self, now: Instant) {
        self.feed_http(now);
        self.feed_lookups(now);
        self.feed_udp(now);
        let torrents: Vec<InfoHash> = self.slots.keys().copied().collect();
        for torrent in torrents {
            if let Some(slot) = self.slots.get_mut(&torrent)
                && slot.announcer.poll_timeout().is_some_and(|at| at <= now)
            {
                slot.announcer.handle_timeout(now);
            }
            self.perform(torrent, now);
        }
    }

    /// Performs `torrent`'s requests and collects its events, until it asks for nothing.
    fn perform(&mut self, torrent: InfoHash, now: Instant) {
        loop {
            let Some(slot) = self.slots.get_mut(&torrent) else {
                return;
            };
            let request = slot.announcer.poll_request();
            let events: Vec<TrackerEvent> =
                std::iter::from_fn(|| slot.announcer.poll_event()).collect();
            for event in events {
                self.push(torrent, event);
            }
            let Some(request) = request else {
                return;
            };
            // A new request supersedes the one in flight.
            if let Some(slot) = self.slots.get_mut(&torrent) {
                if let Some((_, http)) = slot.http.take() {
                    self.http.cancel(http);
                }
                if let Some(flight) = slot.udp.take() {
                    forget(&self.udp, &flight);
                }
            }
            match request {
                TrackerRequest::Http { id, url } => match self.http.get(HttpRequest::get(url)) {
                    Ok(http) => {
                        if let Some(slot) = self.slots.get_mut(&torrent) {
                            slot.http = Some((id, http));
                        }
                    }
                    Err(error) => self.fail(torrent, id, &error.to_string(), now),
                },
                TrackerRequest::Udp {
                    id,
                    host_port,
                    payload,
                } => {
                    let flight = UdpFlight {
                        id,
                        host_port,
                        payload,
                        sent: None,
                    };
                    self.send_udp(torrent, flight, now);
                }
            }
        }
    }

    fn fail(&mut self, torrent: InfoHash, id: RequestId, reason: &str, now: Instant) {
        if let Some(slot) = self.slots.get_mut(&torrent) {
            slot.announcer.handle_request_failed(now, id, reason);
        }
    }

    /// Sends a UDP request once its tracker's address is known (looking it up first).
    fn send_udp(&mut self, torrent: InfoHash, mut flight: UdpFlight, now: Instant) {
        if self.udp.is_empty() {
            self.fail(torrent, flight.id, "no UDP socket for UDP trackers", now);
            return;
        }
        let addrs = match flight.host_port.parse::<SocketAddr>() {
            Ok(addr) => vec![addr],
            Err(_) => match self.names.get(&flight.host_port) {
                Some(addrs) => addrs.clone(),
                None => {
                    self.look_up(flight.host_port.clone());
                    if let Some(slot) = self.slots.get_mut(&torrent) {
                        slot.udp = Some(flight);
                    }
                    return;
                }
            },
        };
        let found = addrs.into_iter().find_map(|a| {
            let (link, _) = self.udp.iter().find(|(_, l)| l.is_ipv4() == a.is_ipv4())?;
            Some((a, Arc::clone(link)))
        });
        let Some((dest, link)) = found else {
            let reason = format!("{} has no address of the socket's family", flight.host_port);
            self.fail(torrent, flight.id, &reason, now);
            return;
        };
        let Some(transaction) = flight
            .payload
            .get(12..16)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_be_bytes)
        else {
            self.fail(torrent, flight.id, "request without a transaction id", now);
            return;
        };
        {
            let mut state = lock(&link);
            if state.outbox.len() >= QUEUE_CAPACITY {
                drop(state);
                self.fail(torrent, flight.id, "UDP send queue full", now);
                return;
            }
            state.expected.insert(transaction, dest);
            let first = state.outbox.is_empty();
            if first {
                state.queued_at = Some(now);
            }
            state.outbox.push_back((dest, flight.payload.clone()));
            if first {
                // The core's timer is read at the end of the reactor's turn: make sure a
                // turn ends soon even if this runs on another thread while it sleeps. A
                // full channel means the reactor is turning anyway.
                let _ = self.reactor.with_reactor(|_, _| {});
            }
        }
        flight.sent = Some((dest, transaction));
        if let Some(slot) = self.slots.get_mut(&torrent) {
            slot.udp = Some(flight);
        }
    }

    fn look_up(&mut self, host_port: String) {
        if !self.looking_up.insert(host_port.clone()) {
            return;
        }
        let (lookups, wake) = (Arc::clone(&self.lookups), Arc::clone(&self.wake));
        let spawned = std::thread::Builder::new()
            .name("hark-tracker-lookup".into())
            .spawn(move || {
                let result = host_port.to_socket_addrs().map(Iterator::collect);
                lookups
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push_back((host_port, result));
                call(&wake);
            });
        if let Err(error) = spawned {
            // No thread: report it as a failed lookup at the next drive.
            self.lookups
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push_back((String::new(), Err(error)));
        }
    }

    fn feed_lookups(&mut self, now: Instant) {
        let done: Vec<_> = self
            .lookups
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .drain(..)
            .collect();
        for (host_port, result) in done {
            self.looking_up.remove(&host_port);
            let waiting: Vec<InfoHash> = self
                .slots
                .iter()
                .filter(|(_, s)| {
                    s.udp.as_ref().is_some_and(|f| {
                        f.sent.is_none() && (f.host_port == host_port || host_port.is_empty())
                    })
                })
                .map(|(t, _)| *t)
                .collect();
            match result {
                Ok(addrs) if !addrs.is_empty() => {
                    if self.names.len() >= NAME_CACHE {
                        self.names.clear();
                    }
                    self.names.insert(host_port, addrs);
                    for torrent in waiting {
                        if let Some(flight) =
                            self.slots.get_mut(&torrent).and_then(|s| s.udp.take())
                        {
                            self.send_udp(torrent, flight, now);
                        }
                    }
                }
                other => {
                    let reason = match other {
                        Err(error) => format!("name lookup failed: {error}"),
                        Ok(_) => "name lookup found no address".to_owned(),
                    };
                    for torrent in waiting {
                        if let Some(flight) =
                            self.slots.get_mut(&torrent).and_then(|s| s.udp.take())
                        {
                            self.fail(torrent, flight.id, &reason, now);
                        }
                    }
                }
            }
        }
    }

    fn feed_http(&mut self, now: Instant) {
        while let Some((http, outcome)) = self.http.poll_response() {
            let Some((torrent, slot)) = self
                .slots
                .iter_mut()
                .find(|(_, s)| s.http.is_some_and(|(_, h)| h == http))
            else {
                continue;
            };
            let torrent = *torrent;
            let Some((id, _)) = slot.http.take() else {
                continue;
            };
            match outcome {
                Ok(response) => {
                    slot.announcer
                        .handle_http_response(now, id, response.status, &response.body);
                }
                Err(error) => slot
                    .announcer
                    .handle_request_failed(now, id, &error.to_string()),
            }
            self.perform(torrent, now);
        }
    }

    fn feed_udp(&mut self, now: Instant) {
        let inbound: Vec<Inbound> = self
            .udp
            .iter()
            .flat_map(|(link, _)| lock(link).inbox.drain(..).collect::<Vec<_>>())
            .collect();
        for message in inbound {
            let (from, data) = match &message {
                Inbound::Reply { from, data } => (*from, Some(data.as_slice())),
                Inbound::Unreachable(addr) => (*addr, None),
            };
            let transaction = data.and_then(super::udp::looks_like_udp_tracker_reply);
            let Some((torrent, slot)) = self.slots.iter_mut().find(|(_, s)| {
                s.udp
                    .as_ref()
                    .and_then(|f| f.sent)
                    .is_some_and(|(dest, tx)| dest == from && transaction.is_none_or(|t| t == tx))
            }) else {
                continue;
            };
            let torrent = *torrent;
            let Some(flight) = slot.udp.take() else {
                continue;
            };
            match data {
                Some(data) => {
                    let family = if from.is_ipv4() {
                        Family::V4
                    } else {
                        Family::V6
                    };
                    slot.announcer.handle_datagram(now, family, data);
                }
                None => slot
                    .announcer
                    .handle_request_failed(now, flight.id, "port unreachable"),
            }
            self.perform(torrent, now);
        }
    }

    fn forget_udp(&mut self, flight: &UdpFlight) {
        forget(&self.udp, flight);
    }

    fn push(&mut self, torrent: InfoHash, event: TrackerEvent) {
        if self.events.len() >= EVENT_CAPACITY {
            self.events.pop_front();
            self.dropped_events += 1;
        }
        self.events.push_back((torrent, event));
    }
}

impl Drop for TrackerDriver {
    /// The cores stay on their sockets (the owner removes them) but claim nothing more.
    fn drop(&mut self) {
        for (link, _) in &self.udp {
            let mut state = lock(link);
            state.expected.clear();
            state.outbox.clear();
            state.inbox.clear();
            state.wake = None;
        }
    }
}

/// Stops expecting the reply to `flight`.
fn forget(links: &[(Link, SocketAddr)], flight: &UdpFlight) {
    let Some((dest, transaction)) = flight.sent else {
        return;
    };
    for (link, _) in links {
        let mut state = lock(link);
        if state.expected.get(&transaction) == Some(&dest) {
            state.expected.remove(&transaction);
        }
    }
}

fn call(hook: &Mutex<Option<WakeHook>>) {
    let wake = hook.lock().unwrap_or_else(PoisonError::into_inner).clone();
    if let Some(wake) = wake {
        wake();
    }
}
