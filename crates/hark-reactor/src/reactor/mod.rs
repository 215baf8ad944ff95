//! [`Reactor`]: the one mio loop. UDP sockets with their datagram cores, TCP listeners and
//! connections, kernel SCTP sockets, one timer structure, one command channel, one thread.

mod slot;
mod stats;
mod thread;
mod timers;
pub(crate) mod token;

use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, TryRecvError};
use mio::{Events, Interest, Poll, Waker};
use thiserror::Error;

use crate::DatagramEndpoint;
use crate::handle::{Command, ReactorHandle, Shared};
use crate::sctp::{SctpHost, SctpLoopConfig};
use crate::tcp::{Resolve, StdResolver, TcpConfig, TcpHost};
use crate::udp::BatchSocket;
use slot::Slot;
pub use stats::{ReactorStats, SlotStats};
pub use thread::ReactorThread;
use timers::{TimerKey, Timers};
use token::Kind;

/// Names a UDP socket inside one reactor. Ids are not reused: a command for a removed
/// socket never reaches a later socket in the same slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SocketId {
    index: usize,
    generation: u64,
}

impl SocketId {
    /// The slot index.
    pub fn index(self) -> usize {
        self.index
    }
}

/// Names one datagram core on a UDP socket (see [`Reactor::add_core`]). Not reused either.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CoreId {
    socket: SocketId,
    index: usize,
    generation: u64,
}

impl CoreId {
    /// The socket the core lives on.
    pub fn socket(self) -> SocketId {
        self.socket
    }
}

/// Limits of a reactor; every queue it owns is bounded by one of these.
#[derive(Debug, Clone)]
pub struct ReactorConfig {
    /// Commands that may wait in the channel before senders get [`CommandError::Full`](crate::CommandError::Full).
    pub command_capacity: usize,
    /// Outgoing datagrams buffered per UDP socket before its cores are no longer polled.
    pub send_queue_capacity: usize,
    /// The buffer size handed to [`DatagramEndpoint::poll_transmit`], at least: a socket
    /// whose core asks for longer datagrams ([`DatagramEndpoint::max_datagram_size`]) gets
    /// send slots that long.
    pub max_datagram_size: usize,
    /// Readiness events taken per poll.
    pub events_capacity: usize,
    /// Receive batches per UDP socket per turn before other work gets a go.
    pub read_batches_per_turn: usize,
    /// Send-queue fulls per UDP socket per flush before other work gets a go.
    pub send_rounds_per_flush: usize,
    /// TCP connections: buffers, per-turn read budget, send limit.
    pub tcp: TcpConfig,
    /// SCTP sockets: read size and send queue bound.
    pub sctp: SctpLoopConfig,
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
            tcp: TcpConfig::default(),
            sctp: SctpLoopConfig::default(),
        }
    }
}

/// The default limits with these TCP settings.
impl From<TcpConfig> for ReactorConfig {
    fn from(tcp: TcpConfig) -> Self {
        ReactorConfig {
            tcp,
            ..ReactorConfig::default()
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
    /// A UDP socket failed in a way that is not about one datagram.
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
    /// The reactor's thread panicked.
    #[error("the reactor thread panicked")]
    Panicked,
}

/// hark's one event loop: one `mio::Poll`, one timer structure fed by every core's
/// `poll_timeout`, one bounded command channel woken by one `mio::Waker`, one thread.
///
/// It hosts, side by side and in any number:
/// - UDP sockets ([`add_socket`](Self::add_socket)), each with one or more datagram cores
///   ([`add_core`](Self::add_core)) between which a demultiplexer routes every datagram
///   ([`DatagramEndpoint::claim`]);
/// - TCP listeners and connections with notifiers
///   ([`ReactorHandle::listen`], [`ReactorHandle::connect`]), and sans-IO stream cores
///   behind them ([`crate::stream`]);
/// - kernel SCTP sockets ([`sctp_open`](Self::sctp_open), ...).
///
/// Each socket is drained to `WouldBlock` within a per-turn budget
/// ([`ReactorConfig::read_batches_per_turn`], [`TcpConfig::yield_after_reading`]), so none
/// starves the others; every queue is bounded.
pub struct Reactor {
    poll: Poll,
    events: Events,
    slots: Vec<Option<Slot>>,
    /// Per slot index, the generation of its current (or next) socket.
    generations: Vec<u64>,
    pub(crate) tcp: TcpHost,
    pub(crate) sctp: SctpHost,
    timers: Timers,
    due: Vec<TimerKey>,
    rx: Receiver<Command>,
    handle: ReactorHandle,
    config: ReactorConfig,
    commands_pending: bool,
    running: bool,
    stats: ReactorStats,
}

impl std::fmt::Debug for Reactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reactor")
            .field("udp_sockets", &self.slots.iter().flatten().count())
            .field("tcp_entries", &self.tcp.len())
            .field("sctp_sockets", &self.sctp.len())
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl Reactor {
    /// A reactor with no sockets yet, resolving TCP names with the system resolver.
    pub fn new(config: impl Into<ReactorConfig>) -> io::Result<Self> {
        Self::with_resolver(config, StdResolver)
    }

    /// A reactor resolving TCP names with `resolver` (on helper threads).
    pub fn with_resolver(
        config: impl Into<ReactorConfig>,
        resolver: impl Resolve,
    ) -> io::Result<Self> {
        let config = config.into();
        let poll = Poll::new()?;
        let waker = Waker::new(poll.registry(), token::WAKER)?;
        let (tx, rx) = crossbeam_channel::bounded(config.command_capacity.max(1));
        let (stop_signal, stop_watch) = crossbeam_channel::bounded(0);
        let handle = ReactorHandle {
            tx,
            shared: Arc::new(Shared {
                stop: AtomicBool::new(false),
                wake_pending: AtomicBool::new(false),
                waker,
                next_id: AtomicU64::new(1),
                resolver: Arc::new(resolver),
                tcp_send_limit: config.tcp.send_limit,
                refused: Mutex::new(Vec::new()),
                results_pending: AtomicBool::new(false),
                ready: Mutex::new(Vec::new()),
                stop_signal: Mutex::new(Some(stop_signal)),
                stop_watch,
            }),
        };
        let tcp = TcpHost::new(
            poll.registry().try_clone()?,
            handle.clone(),
            config.tcp.clone(),
        );
        let sctp = SctpHost::new(poll.registry().try_clone()?, handle.clone(), config.sctp);
        Ok(Reactor {
            events: Events::with_capacity(config.events_capacity.max(1)),
            poll,
            slots: Vec::new(),
            generations: Vec::new(),
            tcp,
            sctp,
            timers: Timers::default(),
            due: Vec::new(),
            rx,
            handle,
            config,
            commands_pending: false,
            running: false,
            stats: ReactorStats::default(),
        })
    }

    /// A reactor with `config` running on a new thread (see [`ReactorThread`]).
    pub fn spawn(config: impl Into<ReactorConfig>) -> io::Result<ReactorThread> {
        Self::new(config)?.into_thread()
    }

    /// Runs this reactor on a new thread; the [`ReactorThread`] stops it when dropped.
    pub fn into_thread(self) -> io::Result<ReactorThread> {
        ReactorThread::start(self)
    }

    /// A handle for queuing commands from any thread.
    pub fn handle(&self) -> ReactorHandle {
        self.handle.clone()
    }

    /// Counters of the loop itself: turns (wakeups) and timers fired.
    pub fn stats(&self) -> ReactorStats {
        self.stats
    }

    /// Starts driving `endpoint` on `socket`, as the socket's first datagram core.
    pub fn add_socket<E: DatagramEndpoint + Send + 'static>(
        &mut self,
        mut socket: BatchSocket,
        endpoint: E,
    ) -> io::Result<SocketId> {
        let index = self
            .slots
            .iter()
            .position(Option::is_none)
            .unwrap_or(self.slots.len());
        self.poll
            .registry()
            .register(&mut socket, token::udp(index), Interest::READABLE)?;
        let slot = Slot::new(
            socket,
            Box::new(endpoint),
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

    /// Adds another datagram core to a running socket, behind the cores already there:
    /// the demultiplexer asks it after them whether it [claims](DatagramEndpoint::claim) a
    /// datagram. `None` if the socket is gone.
    pub fn add_core<E: DatagramEndpoint + Send + 'static>(
        &mut self,
        socket: SocketId,
        endpoint: E,
    ) -> Option<CoreId> {
        let slot = self.slot_mut(socket)?;
        let (index, generation) = slot.add_core(Box::new(endpoint));
        Some(CoreId {
            socket,
            index,
            generation,
        })
    }

    /// Takes a core off its socket (its queued datagrams already in the socket's send
    /// queue still go out) and gives it back, if it is an `E`.
    pub fn remove_core<E: 'static>(&mut self, core: CoreId) -> Option<E> {
        let slot = self.slot_mut(core.socket)?;
        slot.core(core.index, core.generation)?
            .as_any()
            .downcast_ref::<E>()?;
        let removed = slot.remove_core(core.index, core.generation)?;
        self.timers
            .arm(TimerKey::Core(core.socket.index, core.index), None);
        removed.into_any().downcast().ok().map(|boxed| *boxed)
    }

    /// Stops driving a socket and gives it back with its first core, if that is an `E`
    /// (other cores on it are dropped); queued output is lost.
    pub fn remove_socket<E: 'static>(&mut self, id: SocketId) -> Option<(BatchSocket, E)> {
        self.endpoint::<E>(id)?;
        let mut slot = self.slots.get_mut(id.index)?.take()?;
        self.generations[id.index] += 1;
        let _ = self.poll.registry().deregister(&mut slot.socket);
        self.timers
            .retain(|key| !matches!(key, TimerKey::Core(index, _) if *index == id.index));
        let first = slot.remove_core(0, 0)?;
        let endpoint = first.into_any().downcast::<E>().ok()?;
        Some((slot.socket, *endpoint))
    }

    /// The first core of a socket, if it is an `E`.
    pub fn endpoint<E: 'static>(&self, id: SocketId) -> Option<&E> {
        self.slot(id)?.core(0, 0)?.as_any().downcast_ref()
    }

    /// The first core of a socket, mutably, if it is an `E` (its output is drained at the
    /// next turn).
    pub fn endpoint_mut<E: 'static>(&mut self, id: SocketId) -> Option<&mut E> {
        self.slot_mut(id)?
            .core_mut(0, 0)?
            .as_any_mut()
            .downcast_mut()
    }

    /// A core, if it is an `E`.
    pub fn core<E: 'static>(&self, id: CoreId) -> Option<&E> {
        self.slot(id.socket)?
            .core(id.index, id.generation)?
            .as_any()
            .downcast_ref()
    }

    /// A core, mutably, if it is an `E` (its output is drained at the next turn).
    pub fn core_mut<E: 'static>(&mut self, id: CoreId) -> Option<&mut E> {
        self.slot_mut(id.socket)?
            .core_mut(id.index, id.generation)?
            .as_any_mut()
            .downcast_mut()
    }

    /// A UDP socket, to read its capabilities and counters.
    pub fn socket(&self, id: SocketId) -> Option<&BatchSocket> {
        self.slot(id).map(|s| &s.socket)
    }

    /// Counters of a UDP socket: sends, receives, kernel drops, unclaimed datagrams.
    pub fn socket_stats(&self, id: SocketId) -> Option<SlotStats> {
        self.slot(id).map(Slot::stats)
    }

    /// Datagrams waiting in a UDP socket's send queue.
    pub fn queued_datagrams(&self, id: SocketId) -> Option<usize> {
        self.slot(id).map(Slot::queued)
    }

    /// Whether a stop was requested.
    pub fn is_stopped(&self) -> bool {
        self.handle.is_stopped()
    }

    /// Runs turns until a [`ReactorHandle::shutdown`]; then hard-closes every TCP
    /// connection. UDP sockets and their cores, and SCTP sockets, stay in the reactor for
    /// inspection.
    pub fn run(&mut self) -> Result<(), ReactorError> {
        let result = loop {
            if self.is_stopped() {
                break Ok(());
            }
            if let Err(error) = self.turn(None) {
                break Err(error);
            }
        };
        self.tcp.shutdown_all();
        result
    }

    /// One turn: wait for readiness (at most `max_wait`, and never past the earliest
    /// timer), run queued commands, serve ready sockets within their budgets, fire due
    /// timers and flush output.
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
        self.stats.turns += 1;
        for event in self.events.iter() {
            let readable = event.is_readable() || event.is_error() || event.is_read_closed();
            let writable = event.is_writable();
            match token::kind(event.token()) {
                Kind::Waker => self.commands_pending = true,
                Kind::Udp(index) => {
                    if let Some(Some(slot)) = self.slots.get_mut(index) {
                        if event.is_error() {
                            // ICMP errors (IP_RECVERR): e.g. a SYN's port unreachable.
                            slot.drain_icmp_errors(Instant::now());
                        }
                        slot.on_event(readable, writable);
                    }
                }
                Kind::Tcp(key) => self.tcp.ready(key, readable, writable),
                Kind::Sctp(id) => self.sctp.ready(id, readable, writable),
                Kind::Unknown => {}
            }
        }
        if self.is_stopped() {
            return Ok(());
        }
        if self.commands_pending {
            self.run_commands();
        }
        self.deliver_results();
        self.tcp.finish_turn();
        self.serve_udp()?;
        self.fire_timers();
        self.flush_udp()?;
        self.rearm_tcp_timers();
        Ok(())
    }

    /// Reads every readable UDP socket within its budget.
    fn serve_udp(&mut self) -> Result<(), ReactorError> {
        let (batches, rounds) = (
            self.config.read_batches_per_turn.max(1),
            self.config.send_rounds_per_flush.max(1),
        );
        for index in 0..self.slots.len() {
            let Some(slot) = self.slots.get_mut(index).and_then(Option::as_mut) else {
                continue;
            };
            if slot.read_pending {
                let socket = SocketId {
                    index,
                    generation: self.generations[index],
                };
                slot.read(batches, rounds)
                    .map_err(|source| ReactorError::Socket { socket, source })?;
            }
        }
        Ok(())
    }

    /// Fires every due timer, datagram cores and TCP notifiers alike.
    fn fire_timers(&mut self) {
        let now = Instant::now();
        let mut due = std::mem::take(&mut self.due);
        self.timers.take_due(now, &mut due);
        for key in due.drain(..) {
            self.stats.timers_fired += 1;
            match key {
                TimerKey::Core(index, core) => {
                    if let Some(Some(slot)) = self.slots.get_mut(index) {
                        slot.fire_timer(core, now);
                    }
                }
                TimerKey::Tcp(key) => self.tcp.fire_timer(key, now),
            }
        }
        self.due = due;
    }

    /// Flushes UDP output, reports send blocking, sets interest and re-arms the cores'
    /// timers (a handful of sockets: each is looked at every turn).
    fn flush_udp(&mut self) -> Result<(), ReactorError> {
        let rounds = self.config.send_rounds_per_flush.max(1);
        let now = Instant::now();
        for index in 0..self.slots.len() {
            let Some(slot) = self.slots.get_mut(index).and_then(Option::as_mut) else {
                continue;
            };
            let socket = SocketId {
                index,
                generation: self.generations[index],
            };
            let fail = |source| ReactorError::Socket { socket, source };
            if slot.output_pending {
                slot.flush_output(now, rounds).map_err(fail)?;
            }
            slot.report_send_blocked(now);
            slot.update_interest(self.poll.registry(), token::udp(index))
                .map_err(fail)?;
            for (core, endpoint) in slot.live_cores() {
                self.timers
                    .arm(TimerKey::Core(index, core), endpoint.poll_timeout());
            }
        }
        Ok(())
    }

    /// Re-arms the timers of the TCP connections touched this turn.
    fn rearm_tcp_timers(&mut self) {
        let mut touched = std::mem::take(&mut self.tcp.touched);
        for key in touched.drain(..) {
            self.timers
                .arm(TimerKey::Tcp(key), self.tcp.timeout_of(key));
        }
        if self.tcp.touched.is_empty() {
            self.tcp.touched = touched;
        }
    }

    /// How long the next poll may sleep: zero with work pending, else until the earliest
    /// timer, else indefinitely.
    fn sleep_bound(&self, now: Instant) -> Option<Duration> {
        let busy = self.commands_pending
            || self.handle.shared.results_pending.load(Ordering::SeqCst)
            || self.is_stopped()
            || self.tcp.has_immediate_work()
            || self.slots.iter().flatten().any(Slot::has_immediate_work);
        if busy {
            return Some(Duration::ZERO);
        }
        self.timers
            .next()
            .map(|at| at.saturating_duration_since(now))
    }

    /// Delivers the results of the worker pools' jobs to their owners, on this thread
    /// (see [`crate::workers`]): every owner scheduled so far, each with all its results.
    fn deliver_results(&mut self) {
        let shared = &self.handle.shared;
        if !shared.results_pending.swap(false, Ordering::SeqCst) {
            return;
        }
        let ready =
            std::mem::take(&mut *shared.ready.lock().unwrap_or_else(PoisonError::into_inner));
        let now = Instant::now();
        for owner in ready {
            owner.deliver(self, now);
        }
    }

    /// Runs the notifier's [`TcpNotify::woken`](crate::tcp::TcpNotify::woken) of connection
    /// `id` now, on this thread (as [`TcpConnectionHandle::wake`](crate::tcp::TcpConnectionHandle::wake)
    /// does through the command channel, which may be full). For code already on the
    /// reactor thread, such as a worker-pool owner's [`Deliver`](crate::workers::Deliver).
    /// `false` if the connection is gone.
    pub fn wake_connection(&mut self, id: crate::tcp::ConnId) -> bool {
        self.tcp.wake(id)
    }

    /// Runs at most one channel's worth of commands, so a flood cannot starve I/O.
    fn run_commands(&mut self) {
        self.handle
            .shared
            .wake_pending
            .store(false, Ordering::SeqCst);
        // Taken before the channel is drained: the writes a TCP handle queued before its
        // refusal are then applied before the refusal throttles.
        let refused = self.handle.take_refused();
        for _ in 0..self.config.command_capacity.max(1) {
            match self.rx.try_recv() {
                Ok(Command::Reactor(action)) => action(self, Instant::now()),
                Ok(Command::Tcp(command)) => self.tcp.command(command),
                Ok(Command::Sctp(command)) => self.sctp.command(command),
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => {
                    self.commands_pending = false;
                    self.tcp.refused(refused);
                    return;
                }
            }
        }
        self.tcp.refused(refused);
        self.commands_pending = true;
    }

    fn slot(&self, id: SocketId) -> Option<&Slot> {
        if self.generations.get(id.index) != Some(&id.generation) {
            return None;
        }
        self.slots.get(id.index).and_then(Option::as_ref)
    }

    fn slot_mut(&mut self, id: SocketId) -> Option<&mut Slot> {
        if self.generations.get(id.index) != Some(&id.generation) {
            return None;
        }
        self.slots.get_mut(id.index).and_then(Option::as_mut)
    }
}

impl Drop for Reactor {
    /// A reactor dropped without a shutdown stops too: its handles see `Stopped` and its
    /// worker pools' threads exit.
    fn drop(&mut self) {
        self.handle.shutdown();
        // Owners scheduled but never delivered hold their pool: let them go.
        self.handle
            .shared
            .ready
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

fn min_duration(a: Option<Duration>, b: Option<Duration>) -> Option<Duration> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}
