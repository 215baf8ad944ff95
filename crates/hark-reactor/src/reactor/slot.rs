//! One socket, its endpoint and its buffers: reading to `WouldBlock` and flushing output.

use std::io;
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

pub(crate) struct Slot<E> {
    pub(crate) socket: BatchSocket,
    pub(crate) endpoint: E,
    recv: RecvBuffers,
    queue: SendQueue,
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
}

impl<E: DatagramEndpoint> Slot<E> {
    pub(crate) fn new(
        socket: BatchSocket,
        endpoint: E,
        queue_capacity: usize,
        max_datagram_size: usize,
    ) -> Self {
        Slot {
            recv: socket.recv_buffers(),
            queue: SendQueue::new(queue_capacity, max_datagram_size),
            socket,
            endpoint,
            writable_interest: false,
            write_blocked: false,
            blocked_reported: false,
            read_pending: true,
            output_pending: true,
            received: 0,
            receive_batches: 0,
            oversized_transmits: 0,
        }
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
                        self.endpoint.handle_datagram(now, from, data);
                        self.received += 1;
                    }
                    self.endpoint.flush_deferred(now);
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

    /// Error readiness: hands the socket's queued ICMP reports to the endpoint, whose
    /// output may change.
    pub(crate) fn drain_icmp_errors(&mut self, now: Instant) {
        let endpoint = &mut self.endpoint;
        // A failing error-queue read is no reason to stop the socket; the next error
        // readiness tries again.
        let _ = self.socket.drain_icmp_errors(|report| {
            endpoint.handle_icmp_error(now, report.destination, report.kind, report.quoted);
        });
        self.output_pending = true;
    }

    /// Fires the endpoint's timer if it is due.
    pub(crate) fn fire_timer(&mut self, now: Instant) {
        if self.endpoint.poll_timeout().is_some_and(|at| at <= now) {
            self.endpoint.handle_timeout(now);
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

    /// Queues transmits until the endpoint is idle (`true`) or the queue is full.
    fn fill_queue(&mut self, now: Instant) -> bool {
        let endpoint = &mut self.endpoint;
        loop {
            match self.queue.push_with(|buf| endpoint.poll_transmit(now, buf)) {
                Ok(true) => {}
                Ok(false) => return true,
                Err(QueueError::TooLarge { .. }) => self.oversized_transmits += 1,
                Err(_) => return false,
            }
        }
    }

    /// Tells the endpoint when the send side became blocked or free since last told.
    pub(crate) fn report_send_blocked(&mut self, now: Instant) {
        let blocked = self.write_blocked && !self.queue.is_empty();
        if blocked != self.blocked_reported {
            self.blocked_reported = blocked;
            self.endpoint.handle_send_blocked(now, blocked);
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
        }
    }

    /// Datagrams waiting in the send queue.
    pub(crate) fn queued(&self) -> usize {
        self.queue.len()
    }
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
