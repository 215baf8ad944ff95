//! One UDP socket, the datagram cores sharing it and its buffers: reading to
//! `WouldBlock`, routing each datagram to the core that claims it, flushing output.

use std::any::Any;
use std::io;
use std::net::SocketAddr;
use std::time::Instant;

use mio::{Interest, Registry, Token};

use super::stats::SlotStats;
use crate::DatagramEndpoint;
use crate::udp::{BatchSocket, QueueError, RecvBuffers, SendQueue};

/// What is left to do on a socket after a bounded amount of work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Progress {
    /// Nothing until the next readiness event or timer.
    Idle,
    /// The work budget ran out with work left: come back without sleeping.
    MoreWork,
}

/// A datagram core behind a type-erased box, so one socket hosts cores of any types.
pub(crate) trait Core: DatagramEndpoint + Send {
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
    fn into_any(self: Box<Self>) -> Box<dyn Any>;
}

impl<E: DatagramEndpoint + Send + 'static> Core for E {
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

/// One core on a socket, with the generation that makes its id unique.
pub(crate) struct CoreSlot {
    pub(crate) core: Box<dyn Core>,
    pub(crate) generation: u64,
    /// Got datagrams in the batch being handed over: owes a `flush_deferred`.
    received: bool,
}

pub(crate) struct Slot {
    pub(crate) socket: BatchSocket,
    /// The cores in the order the demultiplexer asks them; `None` for a removed core.
    pub(crate) cores: Vec<Option<CoreSlot>>,
    /// Generation for the next core put in each index.
    core_generations: Vec<u64>,
    recv: RecvBuffers,
    queue: SendQueue,
    /// The core `fill_queue` starts with, rotating so no core starves the others.
    next_sender: usize,
    /// WRITABLE is part of the registered interest.
    writable_interest: bool,
    /// The last send hit `WouldBlock`; wait for a writable event before sending again.
    write_blocked: bool,
    /// The blocked state the endpoint was last told about.
    blocked_reported: bool,
    /// Readable and not yet drained to `WouldBlock` (budget ran out or event pending).
    pub(crate) read_pending: bool,
    /// Output left over after the budget ran out.
    pub(crate) output_pending: bool,
    received: u64,
    receive_batches: u64,
    oversized_transmits: u64,
    unclaimed: u64,
}

impl Slot {
    pub(crate) fn new(
        socket: BatchSocket,
        core: Box<dyn Core>,
        queue_capacity: usize,
        max_datagram_size: usize,
    ) -> Self {
        Slot {
            recv: socket.recv_buffers(),
            queue: SendQueue::new(
                queue_capacity,
                max_datagram_size.max(core.max_datagram_size()),
            ),
            socket,
            cores: vec![Some(CoreSlot {
                core,
                generation: 0,
                received: false,
            })],
            core_generations: vec![0],
            next_sender: 0,
            writable_interest: false,
            write_blocked: false,
            blocked_reported: false,
            read_pending: true,
            output_pending: true,
            received: 0,
            receive_batches: 0,
            oversized_transmits: 0,
            unclaimed: 0,
        }
    }

    /// Adds a core behind the others (asked last by the demultiplexer); returns its
    /// index and generation.
    pub(crate) fn add_core(&mut self, core: Box<dyn Core>) -> (usize, u64) {
        let index = self
            .cores
            .iter()
            .position(Option::is_none)
            .unwrap_or(self.cores.len());
        if index == self.cores.len() {
            self.cores.push(None);
            self.core_generations.push(0);
        }
        let generation = self.core_generations[index];
        self.queue.grow_slots(core.max_datagram_size());
        self.cores[index] = Some(CoreSlot {
            core,
            generation,
            received: false,
        });
        self.output_pending = true;
        (index, generation)
    }

    /// The core at `index` if its generation matches.
    pub(crate) fn core(&self, index: usize, generation: u64) -> Option<&dyn Core> {
        let slot = self.cores.get(index)?.as_ref()?;
        (slot.generation == generation).then_some(&*slot.core)
    }

    /// The core at `index` if its generation matches; its output is drained next turn.
    pub(crate) fn core_mut(&mut self, index: usize, generation: u64) -> Option<&mut dyn Core> {
        let slot = self.cores.get_mut(index)?.as_mut()?;
        if slot.generation != generation {
            return None;
        }
        self.output_pending = true;
        Some(&mut *slot.core)
    }

    /// Takes the core at `index` off the socket; its id is never reused.
    pub(crate) fn remove_core(&mut self, index: usize, generation: u64) -> Option<Box<dyn Core>> {
        let entry = self.cores.get_mut(index)?;
        if entry.as_ref()?.generation != generation {
            return None;
        }
        let slot = entry.take()?;
        self.core_generations[index] += 1;
        Some(slot.core)
    }

    /// The live cores.
    pub(crate) fn live_cores(&self) -> impl Iterator<Item = (usize, &dyn Core)> {
        self.cores
            .iter()
            .enumerate()
            .filter_map(|(index, slot)| Some((index, &*slot.as_ref()?.core)))
    }

    /// Records a readiness event (edge-triggered: remember it until acted on).
    pub(crate) fn on_event(&mut self, readable: bool, writable: bool) {
        if readable {
            self.read_pending = true;
        }
        if writable {
            self.write_blocked = false;
            self.output_pending = true;
        }
    }

    /// Receives up to `batches` batches, handing each to the endpoint followed by
    /// `flush_deferred` and an output flush.
    pub(crate) fn read(&mut self, batches: usize, output_rounds: usize) -> io::Result<()> {
        for _ in 0..batches {
            match self.socket.recv_batch(&mut self.recv) {
                Ok(_) => {
                    let now = Instant::now();
                    self.receive_batches += 1;
                    for (from, data) in self.recv.datagrams() {
                        self.received += 1;
                        if !route(&mut self.cores, now, from, data) {
                            self.unclaimed += 1;
                        }
                    }
                    for slot in self.cores.iter_mut().flatten() {
                        if std::mem::take(&mut slot.received) {
                            slot.core.flush_deferred(now);
                        }
                    }
                    self.flush_output(now, output_rounds)?;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.read_pending = false;
                    return Ok(());
                }
                Err(e) if is_transient_recv_error(&e) => {}
                Err(e) => return Err(e),
            }
        }
        self.read_pending = true;
        Ok(())
    }

    /// Error readiness: hands the socket's queued ICMP reports to every core on the
    /// socket (each looks up the destination and quoted bytes among its own peers and
    /// ignores the rest); their output may change.
    pub(crate) fn drain_icmp_errors(&mut self, now: Instant) {
        let cores = &mut self.cores;
        // A failing error-queue read is no reason to stop the socket; the next error
        // readiness tries again.
        let _ = self.socket.drain_icmp_errors(|report| {
            for slot in cores.iter_mut().flatten() {
                slot.core
                    .handle_icmp_error(now, report.destination, report.kind, report.quoted);
            }
        });
        self.output_pending = true;
    }

    /// Fires the timer of core `index` if it is due (the timer structure may be late,
    /// never early: a spurious call is a no-op for the core anyway).
    pub(crate) fn fire_timer(&mut self, index: usize, now: Instant) {
        let Some(Some(slot)) = self.cores.get_mut(index) else {
            return;
        };
        if slot.core.poll_timeout().is_some_and(|at| at <= now) {
            slot.core.handle_timeout(now);
            self.output_pending = true;
        }
    }

    /// Moves the endpoint's transmits through the bounded queue onto the socket, for at
    /// most `rounds` queue-fulls.
    pub(crate) fn flush_output(&mut self, now: Instant, rounds: usize) -> io::Result<Progress> {
        for _ in 0..rounds {
            let endpoint_idle = self.fill_queue(now);
            if self.queue.is_empty() || self.write_blocked {
                self.output_pending = false;
                return Ok(Progress::Idle);
            }
            while !self.queue.is_empty() {
                match self.socket.send_batch(&mut self.queue) {
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        self.write_blocked = true;
                        self.output_pending = false;
                        return Ok(Progress::Idle);
                    }
                    Err(e) => return Err(e),
                }
            }
            if endpoint_idle {
                self.output_pending = false;
                return Ok(Progress::Idle);
            }
        }
        self.output_pending = true;
        Ok(Progress::MoreWork)
    }

    /// Queues transmits until every core is idle (`true`) or the queue is full. The core
    /// asked first rotates, so one busy core cannot keep the others' output waiting.
    fn fill_queue(&mut self, now: Instant) -> bool {
        let count = self.cores.len();
        for step in 0..count {
            let index = (self.next_sender + step) % count;
            let Some(Some(slot)) = self.cores.get_mut(index) else {
                continue;
            };
            let core = &mut slot.core;
            loop {
                match self.queue.push_with(|buf| core.poll_transmit(now, buf)) {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(QueueError::TooLarge { .. }) => self.oversized_transmits += 1,
                    Err(_) => {
                        self.next_sender = (index + 1) % count;
                        return false;
                    }
                }
            }
        }
        true
    }

    /// Tells the cores when the send side became blocked or free since last told.
    pub(crate) fn report_send_blocked(&mut self, now: Instant) {
        let blocked = self.write_blocked && !self.queue.is_empty();
        if blocked != self.blocked_reported {
            self.blocked_reported = blocked;
            for slot in self.cores.iter_mut().flatten() {
                slot.core.handle_send_blocked(now, blocked);
            }
            // Unblocked, the endpoint may have output again: look at the next turn.
            self.output_pending |= !blocked;
        }
    }

    /// Registers WRITABLE interest exactly while queued output waits for buffer space.
    pub(crate) fn update_interest(&mut self, registry: &Registry, token: Token) -> io::Result<()> {
        let want_writable = self.write_blocked && !self.queue.is_empty();
        if want_writable != self.writable_interest {
            let interest = if want_writable {
                Interest::READABLE | Interest::WRITABLE
            } else {
                Interest::READABLE
            };
            // Re-arming with EPOLL_CTL_MOD reports current readiness again, so space freed
            // between the failed send and this call still produces an event.
            registry.reregister(&mut self.socket, token, interest)?;
            self.writable_interest = want_writable;
        }
        Ok(())
    }

    /// Whether this socket needs attention before sleeping.
    pub(crate) fn has_immediate_work(&self) -> bool {
        self.read_pending || (self.output_pending && !self.write_blocked)
    }

    pub(crate) fn stats(&self) -> SlotStats {
        SlotStats {
            socket: self.socket.stats(),
            received: self.received,
            receive_batches: self.receive_batches,
            receive_buffer_drops: self.recv.kernel_drops(),
            truncated: self.recv.truncated(),
            oversized_transmits: self.oversized_transmits,
            unclaimed: self.unclaimed,
        }
    }

    /// Datagrams waiting in the send queue.
    pub(crate) fn queued(&self) -> usize {
        self.queue.len()
    }
}

/// Hands a datagram to the first core that claims it; `false` when none does.
fn route(cores: &mut [Option<CoreSlot>], now: Instant, from: SocketAddr, data: &[u8]) -> bool {
    for slot in cores.iter_mut().flatten() {
        if slot.core.claim(from, data) {
            slot.core.handle_datagram(now, from, data);
            slot.received = true;
            return true;
        }
    }
    false
}

/// Receive errors that concern earlier traffic (ICMP reports), not the socket.
fn is_transient_recv_error(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(
            libc::ECONNREFUSED
                | libc::ENETUNREACH
                | libc::EHOSTUNREACH
                | libc::EMSGSIZE
                | libc::ENOBUFS
                | libc::ENOMEM
        )
    )
}
