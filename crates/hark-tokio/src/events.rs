//! The connections' events as a `Stream` ([`UtpEvents`]): every core event of every
//! connection on a socket, in order, through a bounded queue per subscriber.

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use futures_core::Stream;
use hark_proto::utp::Event;

use crate::state::{Shared, StreamKey, register};

/// One connection's event, as a [`UtpEvents`] stream yields it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SocketEvent {
    /// The connection, as [`UtpStream::id`](crate::UtpStream::id) names it.
    pub connection: u64,
    /// What happened.
    pub event: Event,
}

struct Subscriber {
    id: u64,
    queue: VecDeque<SocketEvent>,
    capacity: usize,
    lagged: u64,
    waker: Option<Waker>,
    closed: bool,
}

/// The subscribers of one socket.
#[derive(Default)]
pub(crate) struct Subscribers {
    list: Vec<Subscriber>,
    next_id: u64,
}

impl Subscribers {
    pub(crate) fn add(&mut self, capacity: usize) -> u64 {
        self.next_id += 1;
        self.list.push(Subscriber {
            id: self.next_id,
            queue: VecDeque::new(),
            capacity: capacity.max(1),
            lagged: 0,
            waker: None,
            closed: false,
        });
        self.next_id
    }

    pub(crate) fn remove(&mut self, id: u64) {
        self.list.retain(|s| s.id != id);
    }

    pub(crate) fn publish(&mut self, connection: StreamKey, event: Event) {
        for sub in &mut self.list {
            if sub.queue.len() >= sub.capacity {
                sub.lagged += 1;
                continue;
            }
            sub.queue.push_back(SocketEvent { connection, event });
            if let Some(w) = sub.waker.take() {
                w.wake();
            }
        }
    }

    pub(crate) fn close_all(&mut self) {
        for sub in &mut self.list {
            sub.closed = true;
            if let Some(w) = sub.waker.take() {
                w.wake();
            }
        }
    }
}

/// A `Stream` of the events of every connection on a socket, from
/// [`UtpSocket::events`](crate::UtpSocket::events). The queue is bounded: while it is
/// full, new events are dropped and counted in [`lagged`](Self::lagged), so a slow reader
/// never holds up the transfer. The stream ends when the socket is gone.
pub struct UtpEvents {
    pub(crate) shared: Arc<Shared>,
    pub(crate) id: u64,
}

impl fmt::Debug for UtpEvents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UtpEvents")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl UtpEvents {
    /// Events dropped because the queue was full.
    pub fn lagged(&self) -> u64 {
        let state = self.shared.lock();
        state
            .subscribers
            .list
            .iter()
            .find(|s| s.id == self.id)
            .map_or(0, |s| s.lagged)
    }
}

impl Stream for UtpEvents {
    type Item = SocketEvent;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<SocketEvent>> {
        let mut state = self.shared.lock();
        let stopped = state.stopped.is_some();
        let Some(sub) = state.subscribers.list.iter_mut().find(|s| s.id == self.id) else {
            return Poll::Ready(None);
        };
        if let Some(event) = sub.queue.pop_front() {
            return Poll::Ready(Some(event));
        }
        if sub.closed || stopped {
            return Poll::Ready(None);
        }
        register(&mut sub.waker, cx.waker());
        Poll::Pending
    }
}

impl Drop for UtpEvents {
    fn drop(&mut self) {
        self.shared.lock().subscribers.remove(self.id);
    }
}
