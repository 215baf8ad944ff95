//! Driving a [`Reactor`] from another loop on the same thread (the TCP reactor's
//! [`run_beside`](crate::tcp::TcpReactor::run_beside)): its poll's file descriptor to wait
//! on, and how long it may sleep.

use std::os::fd::{AsRawFd, RawFd};
use std::time::{Duration, Instant};

use super::Reactor;
use crate::DatagramEndpoint;

impl<E: DatagramEndpoint + 'static> Reactor<E> {
    /// How long this reactor may sleep before its next [`turn`](Reactor::turn): zero with
    /// work pending (commands, unread sockets, unsent output), until the earliest endpoint
    /// timer, or `None` when only readiness can wake it. For a loop that waits on
    /// [`AsRawFd::as_raw_fd`] and turns this reactor beside its own work.
    pub fn next_wakeup(&self, now: Instant) -> Option<Duration> {
        self.sleep_bound(now)
    }
}

impl<E> AsRawFd for Reactor<E> {
    /// The file descriptor of the reactor's poll (an epoll instance): readable when a
    /// socket or the waker has readiness for the next turn, so another loop can wait on it.
    fn as_raw_fd(&self) -> RawFd {
        self.poll.as_raw_fd()
    }
}
