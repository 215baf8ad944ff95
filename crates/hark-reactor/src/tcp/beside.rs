//! One thread for TCP and UDP: the TCP loop waits on a UDP [`Reactor`]'s poll beside its
//! own sockets and turns it when it has work, so notifier connections and datagram
//! endpoints (uTP) share one thread and one blocking wait.

use super::event_loop::TcpReactor;
use crate::{DatagramEndpoint, Reactor, ReactorError};
use std::os::fd::{AsRawFd, RawFd};
use std::time::{Duration, Instant};

/// Why a loop serving TCP and UDP together stopped with an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SharedLoopError {
    /// The TCP side's poll failed.
    #[error("the TCP loop failed: {0}")]
    Tcp(#[source] std::io::Error),
    /// The UDP reactor's turn failed.
    #[error("the UDP reactor failed: {0}")]
    Udp(#[source] ReactorError),
}

/// A reactor the TCP loop drives beside its own sockets.
pub(super) trait Beside {
    fn raw_fd(&self) -> RawFd;
    fn next_wakeup(&self, now: Instant) -> Option<Duration>;
    fn turn(&mut self) -> Result<(), ReactorError>;
    fn is_stopped(&self) -> bool;
}

impl<E: DatagramEndpoint + 'static> Beside for Reactor<E> {
    fn raw_fd(&self) -> RawFd {
        self.as_raw_fd()
    }
    fn next_wakeup(&self, now: Instant) -> Option<Duration> {
        Reactor::next_wakeup(self, now)
    }
    fn turn(&mut self) -> Result<(), ReactorError> {
        // Never blocks: the TCP loop did the waiting.
        Reactor::turn(self, Some(Duration::ZERO))
    }
    fn is_stopped(&self) -> bool {
        Reactor::is_stopped(self)
    }
}

/// The earlier of two optional waits (`None` is forever).
pub(super) fn earliest(a: Option<Duration>, b: Option<Duration>) -> Option<Duration> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

impl TcpReactor {
    /// Runs this TCP loop and `udp` together on the calling thread: one blocking wait
    /// covers the TCP sockets and the UDP reactor's poll (its sockets, waker and timers),
    /// and the UDP reactor takes a non-blocking [`turn`](Reactor::turn) whenever it has
    /// readiness, due timers or pending work. Notifier callbacks and datagram endpoints
    /// therefore run on the same thread. Both keep their handles: commands from other
    /// threads reach either side as before.
    ///
    /// Runs until [`TcpReactorHandle::shutdown`](super::TcpReactorHandle::shutdown) or the
    /// UDP reactor's [`ReactorHandle::shutdown`](crate::ReactorHandle::shutdown); then
    /// hard-closes every TCP connection. `udp` keeps its sockets and endpoints for
    /// inspection.
    pub fn run_beside<E: DatagramEndpoint + 'static>(
        mut self,
        udp: &mut Reactor<E>,
    ) -> Result<(), SharedLoopError> {
        self.run_loop(Some(udp))
    }
}
