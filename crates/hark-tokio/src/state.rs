//! The state one socket's driver and its streams share behind one mutex: the core
//! [`Endpoint`], what each stream waits for, the accept queue and the datagram claims.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Waker;
use std::time::Instant;

use hark_proto::utp::{
    ConnectionError, ConnectionHandle, ConnectionStats, DatagramOutcome, Endpoint, Event,
};

use crate::claim::Claims;
use crate::events::Subscribers;

/// What the driver and every handle of one socket share.
pub(crate) struct Shared {
    state: Mutex<State>,
    pub(crate) local: SocketAddr,
    /// A second descriptor of the socket: other users' single datagrams leave through it,
    /// and the driver waits on it for error readiness (ICMP reports).
    pub(crate) sender: tokio::net::UdpSocket,
}

impl Shared {
    pub(crate) fn new(
        state: State,
        local: SocketAddr,
        sender: tokio::net::UdpSocket,
    ) -> Arc<Shared> {
        Arc::new(Shared {
            state: Mutex::new(state),
            local,
            sender,
        })
    }

    /// Locks the state. A panic while it was held (a bug) does not make it unusable: the
    /// core's own invariants hold between calls.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Key of a stream's entry: unique for the socket's life, unlike core handles.
pub(crate) type StreamKey = u64;

/// What the adapter keeps per connection.
#[derive(Debug)]
pub(crate) struct Conn {
    /// The core's handle; `None` once the core destroyed the connection.
    pub(crate) handle: Option<ConnectionHandle>,
    pub(crate) remote: SocketAddr,
    /// Stream halves alive (0 while waiting in the accept queue, or once dropped).
    pub(crate) refs: usize,
    /// Waiting in the accept queue.
    pub(crate) queued: bool,
    pub(crate) connected: bool,
    /// The peer acknowledged our FIN (and every byte before it).
    pub(crate) fin_acked: bool,
    pub(crate) eof: bool,
    pub(crate) error: Option<ConnectionError>,
    /// `poll_shutdown` (or dropping the write half) closed the sending direction.
    pub(crate) write_closed: bool,
    pub(crate) read_waker: Option<Waker>,
    pub(crate) write_waker: Option<Waker>,
    /// The counters last seen (kept after the core forgets the connection).
    pub(crate) stats: ConnectionStats,
}

impl Conn {
    fn new(handle: ConnectionHandle, remote: SocketAddr, queued: bool) -> Conn {
        Conn {
            handle: Some(handle),
            remote,
            refs: 0,
            queued,
            connected: false,
            fin_acked: false,
            eof: false,
            error: None,
            write_closed: false,
            read_waker: None,
            write_waker: None,
            stats: ConnectionStats::default(),
        }
    }

    /// No stream and no acceptor will ever read it.
    fn detached(&self) -> bool {
        self.refs == 0 && !self.queued
    }

    fn wake_read(&mut self) {
        if let Some(w) = self.read_waker.take() {
            w.wake();
        }
    }

    fn wake_write(&mut self) {
        if let Some(w) = self.write_waker.take() {
            w.wake();
        }
    }
}

/// Stores `waker` in `slot` unless an equivalent one is there.
pub(crate) fn register(slot: &mut Option<Waker>, waker: &Waker) {
    match slot {
        Some(w) if w.will_wake(waker) => {}
        _ => *slot = Some(waker.clone()),
    }
}

/// Counters of the adapter around the core.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DriverStats {
    /// Datagrams received.
    pub datagrams_received: u64,
    /// Receive batches (`recvmmsg` calls that returned data).
    pub receive_batches: u64,
    /// Datagrams sent through the driver (uTP).
    pub datagrams_sent: u64,
    /// Send batches (`sendmmsg` calls).
    pub send_batches: u64,
    /// Datagrams handed to a claim.
    pub claimed: u64,
    /// Datagrams a claim wanted but whose queue was full (dropped, as UDP would).
    pub claim_overflows: u64,
    /// ICMP destination-unreachable reports read from the socket's error queue.
    pub icmp_errors: u64,
    /// Datagrams neither uTP nor claimed.
    pub unclaimed: u64,
    /// SYNs refused because the accept queue was full or the socket no longer accepts.
    pub refused: u64,
    /// Transmits larger than the send queue's slots (dropped; a configuration error).
    pub oversized_transmits: u64,
}

/// Everything behind the socket's mutex.
pub(crate) struct State {
    pub(crate) endpoint: Endpoint,
    pub(crate) conns: HashMap<StreamKey, Conn>,
    /// Core handle index -> stream key.
    by_handle: Vec<Option<StreamKey>>,
    next_key: StreamKey,
    pub(crate) accept_queue: VecDeque<StreamKey>,
    pub(crate) backlog: usize,
    pub(crate) accept_wakers: Vec<Waker>,
    /// Tasks waiting in `UtpSocket::close` for the driver to finish.
    pub(crate) close_wakers: Vec<Waker>,
    pub(crate) driver_waker: Option<Waker>,
    /// `UtpSocket` handles alive; at 0 incoming connections are refused.
    pub(crate) sockets: usize,
    /// Stream halves alive across all connections.
    pub(crate) streams: usize,
    /// Why the driver stopped, once it has.
    pub(crate) stopped: Option<std::io::ErrorKind>,
    pub(crate) claims: Claims,
    pub(crate) subscribers: Subscribers,
    pub(crate) stats: DriverStats,
}

impl State {
    pub(crate) fn new(endpoint: Endpoint, backlog: usize) -> State {
        State {
            endpoint,
            conns: HashMap::new(),
            by_handle: Vec::new(),
            next_key: 0,
            accept_queue: VecDeque::new(),
            backlog: backlog.max(1),
            accept_wakers: Vec::new(),
            close_wakers: Vec::new(),
            driver_waker: None,
            sockets: 1,
            streams: 0,
            stopped: None,
            claims: Claims::default(),
            subscribers: Subscribers::default(),
            stats: DriverStats::default(),
        }
    }

    pub(crate) fn wake_driver(&self) {
        if let Some(w) = &self.driver_waker {
            w.wake_by_ref();
        }
    }

    /// Registers a connection the core just created.
    pub(crate) fn insert(
        &mut self,
        handle: ConnectionHandle,
        remote: SocketAddr,
        queued: bool,
    ) -> StreamKey {
        self.next_key += 1;
        let key = self.next_key;
        if self.by_handle.len() <= handle.0 {
            self.by_handle.resize(handle.0 + 1, None);
        }
        self.by_handle[handle.0] = Some(key);
        self.conns.insert(key, Conn::new(handle, remote, queued));
        key
    }

    /// A stream half now refers to `key`.
    pub(crate) fn retain(&mut self, key: StreamKey) {
        if let Some(conn) = self.conns.get_mut(&key) {
            conn.refs += 1;
            conn.queued = false;
            self.streams += 1;
        }
    }

    /// A stream half of `key` was dropped. The last one closes the sending direction
    /// (a FIN after the queued data) and leaves the connection to finish on its own;
    /// data still arriving is discarded.
    pub(crate) fn release(&mut self, key: StreamKey) {
        let Some(conn) = self.conns.get_mut(&key) else {
            return;
        };
        conn.refs = conn.refs.saturating_sub(1);
        self.streams = self.streams.saturating_sub(1);
        if conn.refs > 0 {
            return;
        }
        match conn.handle {
            Some(handle) => {
                if !conn.write_closed {
                    conn.write_closed = true;
                    let _ = self.endpoint.close(handle);
                }
                self.discard_readable(handle);
            }
            None => {
                self.conns.remove(&key);
            }
        }
        self.wake_driver();
    }

    /// Closes the sending direction of `key` (idempotent).
    pub(crate) fn shutdown_write(&mut self, key: StreamKey) {
        let Some(conn) = self.conns.get_mut(&key) else {
            return;
        };
        if conn.write_closed {
            return;
        }
        conn.write_closed = true;
        if let Some(handle) = conn.handle {
            let _ = self.endpoint.close(handle);
            self.wake_driver();
        }
    }

    fn discard_readable(&mut self, handle: ConnectionHandle) {
        if let Ok((a, b)) = self.endpoint.readable_slices(handle) {
            let n = a.len() + b.len();
            if n > 0 {
                let _ = self.endpoint.consume(handle, n);
            }
        }
    }

    /// Whether the driver may stop: no socket handle, no stream and no connection left.
    pub(crate) fn finished(&self) -> bool {
        self.sockets == 0 && self.streams == 0 && self.endpoint.connection_count() == 0
    }

    /// The last `UtpSocket` handle is gone: nobody can accept any more, so the queued
    /// connections are closed.
    pub(crate) fn sockets_gone(&mut self) {
        while let Some(key) = self.accept_queue.pop_front() {
            if let Some(conn) = self.conns.get_mut(&key) {
                conn.queued = false;
                conn.refs = 1;
                self.streams += 1;
                self.release(key);
            }
        }
        self.claims.close_all();
        self.subscribers.close_all();
        self.wake_driver();
    }

    /// Handles one received datagram: a claim's, or the core's.
    pub(crate) fn handle_datagram(&mut self, now: Instant, from: SocketAddr, data: &[u8]) {
        self.stats.datagrams_received += 1;
        match self.claims.offer(from, data) {
            Some(true) => {
                self.stats.claimed += 1;
                return;
            }
            Some(false) => {
                self.stats.claim_overflows += 1;
                return;
            }
            None => {}
        }
        match self.endpoint.handle_datagram(now, from, data) {
            DatagramOutcome::Incoming(incoming) => {
                if self.sockets == 0 || self.accept_queue.len() >= self.backlog {
                    self.stats.refused += 1;
                    self.endpoint.refuse(incoming);
                    return;
                }
                let remote = incoming.remote();
                if let Ok(handle) = self.endpoint.accept(now, incoming) {
                    let key = self.insert(handle, remote, true);
                    self.accept_queue.push_back(key);
                    for w in self.accept_wakers.drain(..) {
                        w.wake();
                    }
                }
            }
            DatagramOutcome::Malformed(_) => self.stats.unclaimed += 1,
            _ => {}
        }
    }

    /// Drains the core's events into the streams' states and wakes who waits.
    pub(crate) fn drain_events(&mut self) {
        while let Some((handle, event)) = self.endpoint.poll_event() {
            self.dispatch(handle, event);
        }
    }

    fn dispatch(&mut self, handle: ConnectionHandle, event: Event) {
        let Some(key) = self.by_handle.get(handle.0).copied().flatten() else {
            return;
        };
        self.subscribers.publish(key, event);
        let Some(conn) = self.conns.get_mut(&key) else {
            return;
        };
        match event {
            Event::Connected => {
                conn.connected = true;
                conn.wake_write();
            }
            Event::Writable => conn.wake_write(),
            Event::FinAcked => {
                conn.fin_acked = true;
                conn.wake_write();
            }
            Event::Readable => {
                if conn.detached() {
                    self.discard_readable(handle);
                } else {
                    conn.wake_read();
                }
            }
            Event::Eof => {
                conn.eof = true;
                conn.wake_read();
            }
            Event::Error(error) => {
                conn.error = Some(error);
                conn.wake_read();
                conn.wake_write();
            }
            Event::StateChanged(_) => {
                if let Some(stats) = self.endpoint.connection_stats(handle) {
                    conn.stats = stats;
                }
            }
            Event::Destroying => {
                conn.handle = None;
                conn.wake_read();
                conn.wake_write();
                self.by_handle[handle.0] = None;
                if conn.detached() {
                    self.conns.remove(&key);
                }
            }
            _ => {}
        }
    }
}
