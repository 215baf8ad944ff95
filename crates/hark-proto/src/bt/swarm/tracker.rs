//! A BEP 15 UDP tracker as a simulated node: it answers connects, refuses each client's
//! first announces of a torrent with an error (a tracker that fails, then answers), and
//! hands out the addresses of the peers that announced that torrent before.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hark_wire::bt::metainfo::InfoHash;
use hark_wire::bt::tracker::AnnounceEvent;
use hark_wire::bt::tracker::udp::{Request, RequestRepr, ResponseRepr};

use crate::netsim::{Node, Transmit};

/// One announce the tracker received: when, from whom, for which torrent, which event,
/// and whether it answered with peers (`true`) or an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnnounceLog {
    /// When it arrived.
    pub at: Instant,
    /// The client's address.
    pub from: SocketAddr,
    /// The torrent announced.
    pub info_hash: InfoHash,
    /// The announce's event.
    pub event: AnnounceEvent,
    /// Answered with peers rather than an error.
    pub answered: bool,
}

/// A UDP tracker (BEP 15) for one simulated swarm: each torrent has its own peer list.
#[derive(Debug)]
pub struct TrackerNode {
    fail_first: u32,
    interval: u32,
    /// An announce this soon after the client's last counted one is its retransmission.
    window: Duration,
    /// Per client and torrent: announces counted, and the last one's time and verdict (a
    /// retransmission, after a lost packet, gets the same verdict and is not counted again).
    seen: BTreeMap<(SocketAddr, InfoHash), (u32, Instant, bool)>,
    /// Per torrent, the clients that were answered, in order; stopped ones leave.
    registered: BTreeMap<InfoHash, Vec<SocketAddr>>,
    /// Per torrent, whether each of them is a seeder (announced `left` = 0).
    seeders: BTreeMap<InfoHash, BTreeMap<SocketAddr, bool>>,
    out: VecDeque<(SocketAddr, Vec<u8>)>,
    log: Vec<AnnounceLog>,
}

/// Most replies queued; more requests are dropped (as a loaded tracker drops them).
const OUT_CAPACITY: usize = 1024;

impl TrackerNode {
    /// A tracker that answers each client's first `fail_first` announces with an error,
    /// and tells clients to come back after `interval` seconds. BEP 15 clients resend an
    /// unanswered request with a fresh transaction id, so a tracker cannot tell a
    /// retransmission from a new announce: this one takes an announce that comes within
    /// `window` of the client's last counted one as its retransmission (the same verdict,
    /// not counted again). Clients whose back-off after a failure is longer than `window`
    /// and whose retransmissions come sooner see exactly `fail_first` failures.
    pub fn new(fail_first: u32, interval: u32, window: Duration) -> Self {
        Self {
            fail_first,
            interval,
            window,
            seen: BTreeMap::new(),
            registered: BTreeMap::new(),
            seeders: BTreeMap::new(),
            out: VecDeque::new(),
            log: Vec::new(),
        }
    }

    /// Every announce received, in order (a retransmission is not logged again).
    pub fn log(&self) -> &[AnnounceLog] {
        &self.log
    }

    /// The connection id handed to `addr` (any stable value works for a simulation).
    fn connection_id(addr: SocketAddr) -> u64 {
        let ip = match addr.ip() {
            std::net::IpAddr::V4(v4) => u64::from(u32::from(v4)),
            std::net::IpAddr::V6(v6) => u128::from(v6) as u64,
        };
        0x4172_6b00_0000_0000 ^ (ip << 16) ^ u64::from(addr.port())
    }

    fn reply(&mut self, to: SocketAddr, repr: &ResponseRepr) {
        if self.out.len() >= OUT_CAPACITY {
            return;
        }
        let mut buf = vec![0u8; repr.buffer_len()];
        if let Ok(n) = repr.emit(&mut buf) {
            buf.truncate(n);
            self.out.push_back((to, buf));
        }
    }
}

impl Node for TrackerNode {
    fn handle_datagram(&mut self, now: Instant, from: SocketAddr, data: &[u8]) {
        let Ok(request) = Request::new_checked(data) else {
            return;
        };
        match RequestRepr::parse(&request) {
            RequestRepr::Connect { transaction_id } => {
                let connection_id = Self::connection_id(from);
                self.reply(
                    from,
                    &ResponseRepr::Connect {
                        transaction_id,
                        connection_id,
                    },
                );
            }
            RequestRepr::Announce(announce) => {
                let transaction_id = announce.transaction_id;
                if announce.connection_id != Self::connection_id(from) {
                    self.reply(
                        from,
                        &ResponseRepr::Error {
                            transaction_id,
                            message: "unknown connection id".into(),
                        },
                    );
                    return;
                }
                let hash = announce.info_hash;
                let answered = match self.seen.get(&(from, hash)) {
                    Some(&(_, at, verdict)) if now - at < self.window => verdict,
                    last => {
                        let count = last.map_or(1, |(count, _, _)| count + 1);
                        let answered = count > self.fail_first;
                        self.seen.insert((from, hash), (count, now, answered));
                        self.log.push(AnnounceLog {
                            at: now,
                            from,
                            info_hash: hash,
                            event: announce.event,
                            answered,
                        });
                        answered
                    }
                };
                if !answered {
                    self.reply(
                        from,
                        &ResponseRepr::Error {
                            transaction_id,
                            message: "overloaded, try again later".into(),
                        },
                    );
                    return;
                }
                let registered = self.registered.entry(hash).or_default();
                let states = self.seeders.entry(hash).or_default();
                let peers: Vec<SocketAddr> =
                    registered.iter().copied().filter(|p| *p != from).collect();
                if announce.event == AnnounceEvent::Stopped {
                    registered.retain(|p| *p != from);
                    states.remove(&from);
                } else {
                    if !registered.contains(&from) {
                        registered.push(from);
                    }
                    states.insert(from, announce.left == 0);
                }
                let seeders = states.values().filter(|s| **s).count() as u32;
                let leechers = states.len() as u32 - seeders;
                self.reply(
                    from,
                    &ResponseRepr::Announce {
                        transaction_id,
                        interval: self.interval,
                        leechers,
                        seeders,
                        peers,
                    },
                );
            }
            RequestRepr::Scrape { .. } => {}
        }
    }

    fn handle_timeout(&mut self, _now: Instant) {}

    fn poll_transmit(&mut self, _now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        let (to, bytes) = self.out.pop_front()?;
        let len = bytes.len().min(buf.len());
        buf[..len].copy_from_slice(&bytes[..len]);
        Some(Transmit {
            destination: to,
            len,
        })
    }

    fn poll_timeout(&mut self) -> Option<Instant> {
        None
    }
}
