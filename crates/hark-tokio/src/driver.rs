//! The one task per socket: receives batches (`recvmmsg`, GRO) when tokio reports the
//! socket readable, feeds them to the core, sends the core's output in batches
//! (`sendmmsg`, GSO) while the socket is writable, and sleeps on one `tokio::time`
//! timer set to the core's `poll_timeout`.

use std::future::Future;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use hark_reactor::udp::{BatchSocket, QueueError, RecvBuffers, SendQueue};
use tokio::io::unix::AsyncFd;
use tokio::io::{Interest, Ready};
use tokio::time::Sleep;

use crate::state::{Shared, State};

/// Receive batches handled per turn before the driver yields to other tasks.
const RECV_BATCHES_PER_TURN: usize = 16;
/// Send-queue fills per flush before the driver yields.
const SEND_ROUNDS_PER_FLUSH: usize = 16;
/// Error-queue drains per turn.
const ICMP_ROUNDS_PER_TURN: usize = 4;
/// Datagrams the send queue holds.
const SEND_QUEUE_DATAGRAMS: usize = 256;
/// Bytes per send-queue slot at least; more when the endpoint's configuration allows
/// longer datagrams ([`ConnectionConfig::largest_datagram`](hark_proto::utp::ConnectionConfig::largest_datagram)).
const MIN_SEND_SLOT_SIZE: usize = 2048;

/// The batch socket, given to tokio's reactor by its file descriptor.
pub(crate) struct Fd(pub(crate) BatchSocket);

impl AsRawFd for Fd {
    fn as_raw_fd(&self) -> RawFd {
        self.0.inner().as_raw_fd()
    }
}

/// Resolves when the socket has error readiness (an ICMP report in its error queue).
type ErrorReady = Pin<Box<dyn Future<Output = io::Result<Ready>> + Send>>;

fn error_ready(shared: &Arc<Shared>) -> ErrorReady {
    let shared = Arc::clone(shared);
    Box::pin(async move { shared.sender.ready(Interest::ERROR).await })
}

/// The driver task's future.
pub(crate) struct Driver {
    shared: Arc<Shared>,
    io: AsyncFd<Fd>,
    recv: RecvBuffers,
    queue: SendQueue,
    sleep: Pin<Box<Sleep>>,
    armed: Option<Instant>,
    errors: ErrorReady,
}

impl Driver {
    pub(crate) fn new(shared: Arc<Shared>, io: AsyncFd<Fd>) -> Driver {
        let recv = io.get_ref().0.recv_buffers();
        let largest = shared
            .lock()
            .endpoint
            .config()
            .connection
            .largest_datagram();
        let slot_size = MIN_SEND_SLOT_SIZE.max(usize::from(largest));
        Driver {
            errors: error_ready(&shared),
            shared,
            io,
            recv,
            queue: SendQueue::new(SEND_QUEUE_DATAGRAMS, slot_size),
            sleep: Box::pin(tokio::time::sleep_until(tokio::time::Instant::now())),
            armed: None,
        }
    }

    /// One turn; `Ok(true)` once the socket has nothing left to do.
    fn turn(&mut self, cx: &mut Context<'_>) -> io::Result<bool> {
        let mut budget_left = false;
        let mut batches = 0;
        loop {
            if batches == RECV_BATCHES_PER_TURN {
                budget_left = true;
                break;
            }
            let received = {
                let mut guard = match self.io.poll_read_ready_mut(cx) {
                    Poll::Ready(ready) => ready?,
                    Poll::Pending => break,
                };
                let recv = &mut self.recv;
                match guard.try_io(|fd| fd.get_mut().0.recv_batch(recv)) {
                    Ok(result) => result,
                    // Readiness cleared: the next poll registers the waker.
                    Err(_would_block) => continue,
                }
            };
            match received {
                Ok(_) => {
                    batches += 1;
                    let now = Instant::now();
                    let mut state = self.shared.lock();
                    state.stats.receive_batches += 1;
                    for (from, data) in self.recv.datagrams() {
                        state.handle_datagram(now, from, data);
                    }
                    state.endpoint.issue_deferred_acks(now);
                    flush(&mut state, &mut self.io, &mut self.queue, cx, now)?;
                    state.drain_events();
                }
                Err(e) if is_transient_recv_error(&e) => {}
                Err(e) => return Err(e),
            }
        }

        self.read_icmp_errors(cx);

        let now = Instant::now();
        let mut state = self.shared.lock();
        match &state.driver_waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => state.driver_waker = Some(cx.waker().clone()),
        }
        if state.endpoint.poll_timeout().is_some_and(|at| at <= now) {
            state.endpoint.handle_timeout(now);
        }
        flush(&mut state, &mut self.io, &mut self.queue, cx, now)?;
        state.drain_events();
        // Events may have discarded data of dropped streams, which can open windows.
        flush(&mut state, &mut self.io, &mut self.queue, cx, now)?;
        if state.finished() && self.queue.is_empty() {
            return Ok(true);
        }
        let deadline = state.endpoint.poll_timeout();
        drop(state);
        if let Some(at) = deadline {
            if self.armed != Some(at) {
                self.armed = Some(at);
                self.sleep
                    .as_mut()
                    .reset(tokio::time::Instant::from_std(at));
            }
            if self.sleep.as_mut().poll(cx).is_ready() {
                budget_left = true;
            }
        } else {
            self.armed = None;
        }
        if budget_left {
            cx.waker().wake_by_ref();
        }
        Ok(false)
    }

    /// Hands the ICMP destination-unreachable reports queued on the socket to the core
    /// (a SYN to a closed port fails at once instead of after its retries).
    fn read_icmp_errors(&mut self, cx: &mut Context<'_>) {
        // Bounded, like the other work of a turn; the driver is woken to go on.
        for _ in 0..ICMP_ROUNDS_PER_TURN {
            match self.errors.as_mut().poll(cx) {
                Poll::Ready(Ok(_)) => {}
                Poll::Ready(Err(_)) => {
                    // Error readiness is unavailable: the core's timeouts remain.
                    self.errors = Box::pin(std::future::pending());
                    return;
                }
                Poll::Pending => return,
            }
            let now = Instant::now();
            let mut state = self.shared.lock();
            let state = &mut *state;
            // A failing error-queue read loses reports, not the socket: the core's own
            // retries and timeouts still end the connections concerned.
            let _ = self.io.get_mut().0.drain_icmp_errors(|report| {
                state.stats.icmp_errors += 1;
                let _ = state.endpoint.handle_icmp_error(
                    now,
                    report.destination,
                    report.kind,
                    report.quoted,
                );
            });
            // The queue is empty: clear the readiness so the next report wakes us again.
            let _ = self.shared.sender.try_io(Interest::ERROR, || {
                Err::<(), _>(io::ErrorKind::WouldBlock.into())
            });
            self.errors = error_ready(&self.shared);
        }
        cx.waker().wake_by_ref();
    }

    /// Marks the socket stopped and wakes everyone waiting on it.
    fn stop(&self, why: io::ErrorKind) {
        let mut state = self.shared.lock();
        if state.stopped.is_none() {
            state.stopped = Some(why);
        }
        state.driver_waker = None;
        for w in state.accept_wakers.drain(..) {
            w.wake();
        }
        for w in state.close_wakers.drain(..) {
            w.wake();
        }
        for conn in state.conns.values_mut() {
            if let Some(w) = conn.read_waker.take() {
                w.wake();
            }
            if let Some(w) = conn.write_waker.take() {
                w.wake();
            }
        }
        state.claims.close_all();
        state.subscribers.close_all();
    }
}

impl Future for Driver {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match self.turn(cx) {
            Ok(false) => Poll::Pending,
            Ok(true) => {
                self.stop(io::ErrorKind::NotConnected);
                Poll::Ready(())
            }
            Err(e) => {
                self.stop(e.kind());
                Poll::Ready(())
            }
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The runtime shutting down drops the task: nobody may wait forever.
        self.stop(io::ErrorKind::NotConnected);
    }
}

/// Moves the core's transmits through the bounded queue onto the socket until the core
/// is idle, the socket is full (tokio wakes the driver when it drains) or the budget is
/// spent (the driver is woken to go on).
fn flush(
    state: &mut State,
    io: &mut AsyncFd<Fd>,
    queue: &mut SendQueue,
    cx: &mut Context<'_>,
    now: Instant,
) -> io::Result<()> {
    for _ in 0..SEND_ROUNDS_PER_FLUSH {
        let core_idle = fill(state, queue, now);
        while !queue.is_empty() {
            let mut guard = match io.poll_write_ready_mut(cx) {
                Poll::Ready(ready) => ready?,
                Poll::Pending => return Ok(()),
            };
            match guard.try_io(|fd| fd.get_mut().0.send_batch(queue)) {
                Ok(Ok(sent)) => {
                    state.stats.datagrams_sent += sent as u64;
                    state.stats.send_batches += 1;
                }
                Ok(Err(e)) => return Err(e),
                Err(_would_block) => {}
            }
        }
        if core_idle {
            return Ok(());
        }
    }
    cx.waker().wake_by_ref();
    Ok(())
}

/// Queues transmits until the core has none (`true`) or the queue is full.
fn fill(state: &mut State, queue: &mut SendQueue, now: Instant) -> bool {
    let endpoint = &mut state.endpoint;
    loop {
        let pushed = queue.push_with(|buf| {
            endpoint
                .poll_transmit(now, buf)
                .map(|t| hark_reactor::Transmit {
                    destination: t.destination,
                    len: t.len,
                    dont_fragment: t.dont_fragment,
                })
        });
        match pushed {
            Ok(true) => {}
            Ok(false) => return true,
            Err(QueueError::TooLarge { .. }) => state.stats.oversized_transmits += 1,
            Err(_) => return false,
        }
    }
}

/// Receive errors that concern one datagram (an ICMP error queued on the socket), not
/// the socket.
fn is_transient_recv_error(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::Interrupted
        || matches!(
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
