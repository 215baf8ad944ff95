//! [`Reactor`]: the mio loop that drives one [`DatagramEndpoint`] per UDP socket.

mod beside;
mod slot;
mod stats;

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TryRecvError};
use mio::{Events, Interest, Poll, Token, Waker};
use thiserror::Error;

use crate::DatagramEndpoint;
use crate::handle::{Command, ReactorHandle, Shared};
use crate::udp::BatchSocket;
use slot::Slot;
pub use stats::SlotStats;

/// The mio token of the cross-thread waker.
const WAKER: Token = Token(usize::MAX);

/// Names a socket (and its endpoint) inside one reactor. Ids are not reused: a command
/// for a removed socket never reaches a later socket in the same slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SocketId {
    index: usize,
    generation: u64,
}

impl SocketId {
    /// The slot index, also the socket's mio token.
    pub fn index(self) -> usize {
        self.index
    }
}

/// Limits of a reactor; every queue it owns is bounded by one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReactorConfig {
    /// Commands that may wait in the channel before senders get [`CommandError::Full`](crate::CommandError::Full).
    pub command_capacity: usize,
    /// Outgoing datagrams buffered per socket before the endpoint is no longer polled.
    pub send_queue_capacity: usize,
    /// The buffer size handed to [`DatagramEndpoint::poll_transmit`].
    pub max_datagram_size: usize,
    /// Readiness events taken per poll.
    pub events_capacity: usize,
    /// Receive batches per socket per turn before other work gets a go.
    pub read_batches_per_turn: usize,
    /// Send-queue fulls per socket per flush before other work gets a go.
    pub send_rounds_per_flush: usize,
}

impl Default for ReactorConfig {
    fn default() -> Self {
        ReactorConfig {
            command_capacity: 1024,
            send_queue_capacity: 256,
            max_datagram_size: 2048,
            events_capacity: 256,
            read_batches_per_turn: 64,
            send_rounds_per_flush: 16,
        }
    }
}

/// Why the reactor stopped with an error.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ReactorError {
    /// Waiting for readiness failed.
    #[error("polling failed: {0}")]
    Poll(#[source] io::Error),
    /// A socket failed in a way that is not about one datagram.
    #[error("socket {socket:?} failed: {source}")]
    Socket {
        /// The failing socket.
        socket: SocketId,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// `run` or `turn` was called from inside the reactor (e.g. from a command).
    #[error("the reactor is already running")]
    AlreadyRunning,
}

/// A mio event loop owning UDP sockets, each driving one endpoint of type `E`.
pub struct Reactor<E> {
    poll: Poll,
    events: Events,
    slots: Vec<Option<Slot<E>>>,
    /// Per slot index, the generation of its current (or next) socket.
    generations: Vec<u64>,
    rx: Receiver<Command<E>>,
    tx: Sender<Command<E>>,
    shared: Arc<Shared>,
    config: ReactorConfig,
    commands_pending: bool,
    running: bool,
}

impl<E: DatagramEndpoint + 'static> Reactor<E> {
    /// A reactor with no sockets yet.
    pub fn new(config: ReactorConfig) -> io::Result<Self> {
        let poll = Poll::new()?;
        let waker = Waker::new(poll.registry(), WAKER)?;
        let (tx, rx) = crossbeam_channel::bounded(config.command_capacity.max(1));
        Ok(Reactor {
            events: Events::with_capacity(config.events_capacity.max(1)),
            poll,
            slots: Vec::new(),
            generations: Vec::new(),
            rx,
            tx,
            shared: Arc::new(Shared {
                stop: AtomicBool::new(false),
                wake_pending: AtomicBool::new(false),
                waker,
            }),
            config,
            commands_pending: false,
            running: false,
        })
    }

    /// A handle for queuing commands from any thread.
    pub fn handle(&self) -> ReactorHandle<E> {
        ReactorHandle::new(self.tx.clone(), Arc::clone(&self.shared))
    }

    /// Starts driving `endpoint` on `socket`.
    pub fn add_socket(&mut self, mut socket: BatchSocket, endpoint: E) -> io::Result<SocketId> {
        let index = self
            .slots
            .iter()
            .position(Option::is_none)
            .unwrap_or(self.slots.len());
        self.poll
            .registry()
            .register(&mut socket, Token(index), Interest::READABLE)?;
        let slot = Slot::new(
            socket,
            endpoint,
            self.config.send_queue_capacity,
            self.config.max_datagram_size,
        );
        if index == self.slots.len() {
            self.slots.push(Some(slot));
            self.generations.push(0);
        } else {
            self.slots[index] = Some(slot);
        }
        Ok(SocketId {
            index,
            generation: self.generations[index],
        })
    }

    /// Stops driving a socket and gives it back with its endpoint; queued output is lost.
    pub fn remove_socket(&mut self, id: SocketId) -> Option<(BatchSocket, E)> {
        self.slot(id)?;
        let mut slot = self.slots.get_mut(id.index)?.take()?;
        self.generations[id.index] += 1;
        let _ = self.poll.registry().deregister(&mut slot.socket);
        Some((slot.socket, slot.endpoint))
    }

    /// The endpoint of a socket.
    pub fn endpoint(&self, id: SocketId) -> Option<&E> {
        self.slot(id).map(|s| &s.endpoint)
    }

    /// The endpoint of a socket, mutably (its output is drained at the next turn).
    pub fn endpoint_mut(&mut self, id: SocketId) -> Option<&mut E> {
        let slot = self.slot_mut(id)?;
        slot.output_pending = true;
        Some(&mut slot.endpoint)
    }

    /// A socket, to read its capabilities and counters.
    pub fn socket(&self, id: SocketId) -> Option<&BatchSocket> {
        self.slot(id).map(|s| &s.socket)
    }

    /// Counters of a socket: sends, receives, kernel drops.
    pub fn socket_stats(&self, id: SocketId) -> Option<SlotStats> {
        self.slot(id).map(Slot::stats)
    }

    /// Datagrams waiting in a socket's send queue.
    pub fn queued_datagrams(&self, id: SocketId) -> Option<usize> {
        self.slot(id).map(Slot::queued)
    }

    /// Whether a stop was requested.
    pub fn is_stopped(&self) -> bool {
        self.shared.stop.load(Ordering::SeqCst)
    }

    /// Runs turns until a [`ReactorHandle::shutdown`]; the sockets and endpoints stay in
    /// the reactor for inspection.
    pub fn run(&mut self) -> Result<(), ReactorError> {
        while !self.is_stopped() {
            self.turn(None)?;
        }
        Ok(())
    }

    /// One turn: wait for readiness (at most `max_wait`, and never past the earliest
    /// endpoint timer), run queued commands, drain readable sockets, fire due timers and
    /// flush output.
    pub fn turn(&mut self, max_wait: Option<Duration>) -> Result<(), ReactorError> {
        if self.running {
            return Err(ReactorError::AlreadyRunning);
        }
        self.running = true;
        let result = self.turn_inner(max_wait);
        self.running = false;
        result
    }

    fn turn_inner(&mut self, max_wait: Option<Duration>) -> Result<(), ReactorError> {
        let timeout = min_duration(self.sleep_bound(Instant::now()), max_wait);
        match self.poll.poll(&mut self.events, timeout) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(ReactorError::Poll(e)),
        }
        for event in self.events.iter() {
            if event.token() == WAKER {
                self.commands_pending = true;
                continue;
            }
            if let Some(Some(slot)) = self.slots.get_mut(event.token().0) {
                if event.is_error() {
                    // ICMP errors (IP_RECVERR): e.g. a SYN's port unreachable.
                    slot.drain_icmp_errors(Instant::now());
                }
                let readable = event.is_readable() || event.is_error() || event.is_read_closed();
                slot.on_event(readable, event.is_writable());
            }
        }
        if self.is_stopped() {
            return Ok(());
        }
        if self.commands_pending {
            self.run_commands();
        }
        let (batches, rounds) = (
            self.config.read_batches_per_turn.max(1),
            self.config.send_rounds_per_flush.max(1),
        );
        for index in 0..self.slots.len() {
            let Some(slot) = self.slots.get_mut(index).and_then(Option::as_mut) else {
                continue;
            };
            let socket = SocketId {
                index,
                generation: self.generations[index],
            };
            let fail = |source| ReactorError::Socket { socket, source };
            if slot.read_pending {
                slot.read(batches, rounds).map_err(fail)?;
            }
            let now = Instant::now();
            slot.fire_timer(now);
            if slot.output_pending {
                slot.flush_output(now, rounds).map_err(fail)?;
            }
            slot.report_send_blocked(now);
            slot.update_interest(self.poll.registry(), Token(index))
                .map_err(fail)?;
        }
        Ok(())
    }

    /// How long the next poll may sleep: zero with work pending, else until the earliest
    /// endpoint timer, else indefinitely.
    fn sleep_bound(&self, now: Instant) -> Option<Duration> {
        let live = self.slots.iter().flatten();
        if self.commands_pending || self.is_stopped() || live.clone().any(Slot::has_immediate_work)
        {
            return Some(Duration::ZERO);
        }
        live.filter_map(|s| s.endpoint.poll_timeout())
            .min()
            .map(|at| at.saturating_duration_since(now))
    }

    /// Runs at most one channel's worth of commands, so a flood cannot starve I/O.
    fn run_commands(&mut self) {
        self.shared.wake_pending.store(false, Ordering::SeqCst);
        for _ in 0..self.config.command_capacity.max(1) {
            match self.rx.try_recv() {
                Ok(Command::Endpoint { socket, action }) => {
                    if let Some(slot) = self.slot_mut(socket) {
                        action(&mut slot.endpoint, Instant::now());
                        slot.output_pending = true;
                    }
                }
                Ok(Command::Reactor(action)) => action(self, Instant::now()),
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => {
                    self.commands_pending = false;
                    return;
                }
            }
        }
        self.commands_pending = true;
    }

    fn slot(&self, id: SocketId) -> Option<&Slot<E>> {
        if self.generations.get(id.index) != Some(&id.generation) {
            return None;
        }
        self.slots.get(id.index).and_then(Option::as_ref)
    }

    fn slot_mut(&mut self, id: SocketId) -> Option<&mut Slot<E>> {
        if self.generations.get(id.index) != Some(&id.generation) {
            return None;
        }
        self.slots.get_mut(id.index).and_then(Option::as_mut)
    }
}

fn min_duration(a: Option<Duration>, b: Option<Duration>) -> Option<Duration> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}
