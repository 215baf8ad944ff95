//! [`UdpTrackerCore`]: the datagram core that sends BEP 15 packets from the client's shared
//! UDP socket and claims only the replies to its own outstanding transactions.

use crate::bittorrent::http::WakeHook;
use hark_proto::icmp::Unreachable;
use hark_reactor::{DatagramEndpoint, Transmit};
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

/// Datagrams waiting to be sent, and replies waiting for the driver: each bounded.
pub(super) const QUEUE_CAPACITY: usize = 256;

/// How soon the core asks again to send when the socket's queue had no room.
const RETRY_SEND: std::time::Duration = std::time::Duration::from_millis(50);

/// What the core hands the driver.
#[derive(Debug)]
pub(super) enum Inbound {
    /// A reply to an outstanding transaction.
    Reply { from: SocketAddr, data: Vec<u8> },
    /// ICMP said a tracker's address is unreachable.
    Unreachable(SocketAddr),
}

/// State shared by the core (on the reactor) and its driver.
pub(super) struct UdpShared {
    pub outbox: VecDeque<(SocketAddr, Vec<u8>)>,
    /// When the oldest datagram of `outbox` was queued (the core's timer, so the reactor
    /// polls its output at its next turn).
    pub queued_at: Option<Instant>,
    /// Outstanding transaction ids and the tracker each was sent to.
    pub expected: HashMap<u32, SocketAddr>,
    pub inbox: VecDeque<Inbound>,
    pub wake_due: bool,
    pub wake: Option<WakeHook>,
    /// Datagrams dropped because a queue was full.
    pub dropped: u64,
}

pub(super) type Link = Arc<Mutex<UdpShared>>;

pub(super) fn lock(link: &Link) -> MutexGuard<'_, UdpShared> {
    link.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Whether `data` looks like a BEP 15 reply: an action from 0 (connect) to 3 (error)
/// and a transaction id. A uTP packet's first byte holds its version 1, a bencoded DHT
/// message starts with `d`: neither has three zero bytes first.
pub fn looks_like_udp_tracker_reply(data: &[u8]) -> Option<u32> {
    let action = u32::from_be_bytes(data.get(0..4)?.try_into().ok()?);
    let transaction = u32::from_be_bytes(data.get(4..8)?.try_into().ok()?);
    (action <= 3).then_some(transaction)
}

/// The UDP tracker client's datagram core, for the client's shared UDP socket, beside
/// uTP (add it with [`Reactor::add_core`](hark_reactor::Reactor::add_core) after the uTP
/// context). It claims a datagram only when it is a BEP 15 reply (action 0–3) carrying
/// the transaction id of a request it sent and not yet answered, from the address it was
/// sent to; everything else stays with the other cores. Made by
/// [`TrackerDriver::udp_core`](super::TrackerDriver::udp_core), which it serves.
pub struct UdpTrackerCore {
    link: Link,
}

impl std::fmt::Debug for UdpTrackerCore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = lock(&self.link);
        f.debug_struct("UdpTrackerCore")
            .field("outstanding", &state.expected.len())
            .field("queued", &state.outbox.len())
            .finish_non_exhaustive()
    }
}

impl UdpTrackerCore {
    pub(super) fn new(link: Link) -> Self {
        UdpTrackerCore { link }
    }

    /// Transactions sent and not yet answered.
    pub fn outstanding(&self) -> usize {
        lock(&self.link).expected.len()
    }

    fn wake(&self) {
        let wake = {
            let mut state = lock(&self.link);
            let due = std::mem::take(&mut state.wake_due);
            state.wake.clone().filter(|_| due)
        };
        if let Some(wake) = wake {
            wake();
        }
    }
}

impl DatagramEndpoint for UdpTrackerCore {
    fn claim(&self, from: SocketAddr, data: &[u8]) -> bool {
        let Some(transaction) = looks_like_udp_tracker_reply(data) else {
            return false;
        };
        lock(&self.link).expected.get(&transaction) == Some(&from)
    }

    fn handle_datagram(&mut self, _now: Instant, from: SocketAddr, data: &[u8]) {
        let mut state = lock(&self.link);
        let Some(transaction) = looks_like_udp_tracker_reply(data) else {
            return;
        };
        if state.expected.get(&transaction) != Some(&from) {
            return;
        }
        // One reply per transaction: a duplicate is no longer claimed.
        state.expected.remove(&transaction);
        if state.inbox.len() >= QUEUE_CAPACITY {
            state.inbox.pop_front();
            state.dropped += 1;
        }
        state.inbox.push_back(Inbound::Reply {
            from,
            data: data.to_vec(),
        });
        state.wake_due = true;
    }

    fn flush_deferred(&mut self, _now: Instant) {
        self.wake();
    }

    fn handle_timeout(&mut self, now: Instant) {
        // The timer only makes the reactor poll this core's output, right after this
        // call. Should the socket's queue be full, look again a little later.
        let mut state = lock(&self.link);
        if !state.outbox.is_empty() {
            state.queued_at = Some(now + RETRY_SEND);
        }
    }

    fn poll_transmit(&mut self, _now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        let mut state = lock(&self.link);
        loop {
            let (destination, data) = state.outbox.pop_front()?;
            if state.outbox.is_empty() {
                state.queued_at = None;
            }
            let Some(slot) = buf.get_mut(..data.len()) else {
                state.dropped += 1;
                continue;
            };
            slot.copy_from_slice(&data);
            return Some(Transmit {
                destination,
                len: data.len(),
                dont_fragment: false,
            });
        }
    }

    fn poll_timeout(&self) -> Option<Instant> {
        let state = lock(&self.link);
        if state.outbox.is_empty() {
            None
        } else {
            state.queued_at
        }
    }

    fn handle_icmp_error(
        &mut self,
        _now: Instant,
        destination: SocketAddr,
        _kind: Unreachable,
        _quoted: &[u8],
    ) {
        {
            let mut state = lock(&self.link);
            if !state.expected.values().any(|addr| *addr == destination) {
                return;
            }
            state.expected.retain(|_, addr| *addr != destination);
            if state.inbox.len() >= QUEUE_CAPACITY {
                state.inbox.pop_front();
                state.dropped += 1;
            }
            state.inbox.push_back(Inbound::Unreachable(destination));
            state.wake_due = true;
        }
        self.wake();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_only_replies_to_outstanding_transactions_from_their_tracker() {
        let tracker: SocketAddr = "127.0.0.1:6969".parse().expect("addr");
        let other: SocketAddr = "127.0.0.1:6970".parse().expect("addr");
        let link: Link = Arc::new(Mutex::new(UdpShared {
            outbox: VecDeque::new(),
            queued_at: None,
            expected: HashMap::from([(0x0102_0304, tracker)]),
            inbox: VecDeque::new(),
            wake_due: false,
            wake: None,
            dropped: 0,
        }));
        let mut core = UdpTrackerCore::new(Arc::clone(&link));
        let reply = |action: u32, transaction: u32| {
            let mut data = action.to_be_bytes().to_vec();
            data.extend_from_slice(&transaction.to_be_bytes());
            data.extend_from_slice(&[0; 8]);
            data
        };
        for action in 0..=3 {
            assert!(core.claim(tracker, &reply(action, 0x0102_0304)), "{action}");
        }
        assert!(!core.claim(tracker, &reply(4, 0x0102_0304)));
        assert!(!core.claim(tracker, &reply(1, 0x0102_0305)));
        assert!(!core.claim(other, &reply(1, 0x0102_0304)));
        assert!(!core.claim(tracker, &[0, 0, 0, 1, 1, 2, 3]));
        // A uTP SYN (version 1, type 4) and a DHT message are never claimed.
        let mut syn = vec![0x41, 0, 0x01, 0x02];
        syn.extend_from_slice(&[0; 16]);
        assert!(!core.claim(tracker, &syn));
        assert!(!core.claim(
            tracker,
            b"d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe"
        ));
        // One reply per transaction: after it, a duplicate is not claimed.
        core.handle_datagram(Instant::now(), tracker, &reply(0, 0x0102_0304));
        assert!(!core.claim(tracker, &reply(0, 0x0102_0304)));
        assert_eq!(lock(&link).inbox.len(), 1);
    }
}
