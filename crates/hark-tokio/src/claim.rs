//! Sharing the port: a [`DatagramClaim`] receives the datagrams its filter claims (a DHT's
//! bencoded messages, a UDP tracker's replies) before uTP sees them.

use std::collections::VecDeque;
use std::fmt;
use std::future::poll_fn;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use crate::error::UtpError;
use crate::state::{Shared, register};

/// Decides whether a datagram belongs to a claim. It runs on the driver for every
/// datagram, so it should be cheap (look at a byte or two).
pub type ClaimFilter = Box<dyn Fn(SocketAddr, &[u8]) -> bool + Send + Sync>;

/// A claimed datagram's bytes and its sender.
pub type ClaimedDatagram = (Box<[u8]>, SocketAddr);

struct Claim {
    id: u64,
    filter: ClaimFilter,
    queue: VecDeque<(SocketAddr, Box<[u8]>)>,
    capacity: usize,
    waker: Option<Waker>,
    dropped: u64,
    closed: bool,
}

/// Every claim on one socket, asked in registration order.
#[derive(Default)]
pub(crate) struct Claims {
    list: Vec<Claim>,
    next_id: u64,
}

impl Claims {
    pub(crate) fn add(&mut self, filter: ClaimFilter, capacity: usize) -> u64 {
        self.next_id += 1;
        self.list.push(Claim {
            id: self.next_id,
            filter,
            queue: VecDeque::new(),
            capacity: capacity.max(1),
            waker: None,
            dropped: 0,
            closed: false,
        });
        self.next_id
    }

    fn get(&mut self, id: u64) -> Option<&mut Claim> {
        self.list.iter_mut().find(|c| c.id == id)
    }

    pub(crate) fn remove(&mut self, id: u64) {
        self.list.retain(|c| c.id != id);
    }

    /// `None` if no claim wants the datagram; `Some(queued)` if one does.
    pub(crate) fn offer(&mut self, from: SocketAddr, data: &[u8]) -> Option<bool> {
        let claim = self.list.iter_mut().find(|c| (c.filter)(from, data))?;
        if claim.queue.len() >= claim.capacity {
            claim.dropped += 1;
            return Some(false);
        }
        claim.queue.push_back((from, data.into()));
        if let Some(w) = claim.waker.take() {
            w.wake();
        }
        Some(true)
    }

    /// The socket is gone: every claim reports the end once its queue is empty.
    pub(crate) fn close_all(&mut self) {
        for claim in &mut self.list {
            claim.closed = true;
            if let Some(w) = claim.waker.take() {
                w.wake();
            }
        }
    }
}

/// A share of a [`UtpSocket`](crate::UtpSocket)'s port: the datagrams its filter claimed,
/// in arrival order, in a bounded queue (when it is full, further datagrams are dropped and
/// counted, as the kernel drops them for a slow UDP reader). Dropping it withdraws the claim.
/// Send with [`UtpSocket::send_to`](crate::UtpSocket::send_to).
pub struct DatagramClaim {
    pub(crate) shared: Arc<Shared>,
    pub(crate) id: u64,
}

impl fmt::Debug for DatagramClaim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatagramClaim")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl DatagramClaim {
    /// The next claimed datagram and its sender. Cancellation-safe: a datagram is taken
    /// only when this returns it. Fails once the socket's driver stopped and the queue is
    /// empty.
    pub async fn recv_from(&mut self) -> Result<ClaimedDatagram, UtpError> {
        poll_fn(|cx| self.poll_recv_from(cx)).await
    }

    /// Polls for the next claimed datagram.
    pub fn poll_recv_from(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<ClaimedDatagram, UtpError>> {
        let mut state = self.shared.lock();
        let stopped = state.stopped.is_some();
        let Some(claim) = state.claims.get(self.id) else {
            return Poll::Ready(Err(UtpError::SocketClosed));
        };
        if let Some((from, data)) = claim.queue.pop_front() {
            return Poll::Ready(Ok((data, from)));
        }
        if claim.closed || stopped {
            return Poll::Ready(Err(UtpError::SocketClosed));
        }
        register(&mut claim.waker, cx.waker());
        Poll::Pending
    }

    /// Datagrams dropped because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.shared
            .lock()
            .claims
            .get(self.id)
            .map_or(0, |c| c.dropped)
    }
}

impl Drop for DatagramClaim {
    fn drop(&mut self) {
        self.shared.lock().claims.remove(self.id);
    }
}
