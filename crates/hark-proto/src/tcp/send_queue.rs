//! Pending outgoing bytes under a byte limit, and the throttled state backpressure reports.

use super::error::WriteError;
use std::collections::VecDeque;
use std::io::IoSlice;

/// Largest chunk kept for reuse.
const RECYCLE_MAX: usize = 256 * 1024;

/// A change of backpressure state, reported once per transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backpressure {
    /// The kernel stopped taking bytes (would-block or a short write) while data was pending.
    Throttled,
    /// The pending queue drained after a throttle.
    Unthrottled,
}

/// Outgoing bytes waiting for the socket, never more than a configured limit.
///
/// A write first reserves its size ([`SendQueue::reserve`]), which fails with
/// [`WriteError::LimitExceeded`] past the limit, then hands its (possibly transformed)
/// bytes to [`SendQueue::push_reserved`]. The reactor writes the chunks from
/// [`SendQueue::io_slices`] and reports the outcome with [`SendQueue::handle_written`] and
/// [`SendQueue::handle_blocked`]; transitions come out of [`SendQueue::poll_backpressure`].
#[derive(Debug)]
pub struct SendQueue {
    chunks: VecDeque<Vec<u8>>,
    head_offset: usize,
    queued: usize,
    reserved: usize,
    limit: usize,
    throttled: bool,
    event: Option<Backpressure>,
    /// A written-out chunk kept for the next remainder, so steady short writes do not
    /// allocate.
    recycled: Option<Vec<u8>>,
}

impl SendQueue {
    /// An empty queue that holds at most `limit` pending bytes.
    pub fn new(limit: usize) -> Self {
        Self {
            chunks: VecDeque::new(),
            head_offset: 0,
            queued: 0,
            reserved: 0,
            limit,
            throttled: false,
            event: None,
            recycled: None,
        }
    }

    /// The limit on pending bytes.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Bytes queued and not yet written.
    pub fn queued(&self) -> usize {
        self.queued
    }

    /// Bytes queued plus bytes reserved by writes not yet pushed.
    pub fn pending(&self) -> usize {
        self.queued + self.reserved
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.queued == 0
    }

    /// Whether the connection is currently throttled.
    pub fn is_throttled(&self) -> bool {
        self.throttled
    }

    /// Checks that `len` more bytes fit under the limit, without reserving them.
    ///
    /// A write larger than the limit itself is [`WriteError::TooLarge`]: it could never
    /// fit, so it arms nothing. A write that does not fit *now* is
    /// [`WriteError::LimitExceeded`]; whoever refuses it must then call
    /// [`SendQueue::handle_refused`] so that the writer hears `Throttled` and later
    /// `Unthrottled`.
    pub fn check_room(&self, already_accepted: usize, len: usize) -> Result<(), WriteError> {
        if len > self.limit {
            return Err(WriteError::TooLarge {
                requested: len,
                limit: self.limit,
            });
        }
        let pending = self.pending().saturating_add(already_accepted);
        match pending.checked_add(len) {
            Some(total) if total <= self.limit => Ok(()),
            _ => Err(WriteError::LimitExceeded {
                pending,
                limit: self.limit,
                requested: len,
            }),
        }
    }

    /// Reserves room for a write of `len` bytes.
    pub fn reserve(&mut self, len: usize) -> Result<(), WriteError> {
        self.check_room(0, len)?;
        self.reserved += len;
        Ok(())
    }

    /// Gives back a reservation that will not be pushed.
    pub fn cancel_reservation(&mut self, len: usize) {
        self.reserved = self.reserved.saturating_sub(len);
    }

    /// Queues `data` against a reservation of `reserved` bytes.
    ///
    /// `data` may differ in size from the reservation (a `sent` transform rewrote it); the
    /// queue then holds at most the limit plus that transform's overhead.
    pub fn push_reserved(&mut self, reserved: usize, data: Vec<u8>) {
        self.cancel_reservation(reserved);
        if data.is_empty() {
            return;
        }
        self.queued += data.len();
        self.chunks.push_back(data);
    }

    /// Reserves and queues `data` in one step.
    pub fn push(&mut self, data: Vec<u8>) -> Result<(), WriteError> {
        let len = data.len();
        self.reserve(len)?;
        self.push_reserved(len, data);
        Ok(())
    }

    /// Queues the unwritten tail of a write the reactor tried directly, without a limit
    /// check: its size was reserved before the attempt.
    pub fn push_remainder(&mut self, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        self.queued += data.len();
        let mut chunk = self.recycled.take().unwrap_or_default();
        chunk.clear();
        chunk.extend_from_slice(data);
        self.chunks.push_back(chunk);
    }

    /// Fills `out` with the pending chunks in order; returns how many it filled.
    pub fn io_slices<'a>(&'a self, out: &mut [IoSlice<'a>]) -> usize {
        let mut filled = 0;
        for (index, chunk) in self.chunks.iter().enumerate() {
            let Some(slot) = out.get_mut(filled) else {
                break;
            };
            let start = if index == 0 { self.head_offset } else { 0 };
            *slot = IoSlice::new(chunk.get(start..).unwrap_or_default());
            filled += 1;
        }
        filled
    }

    /// The socket took `n` bytes from the front of the queue.
    ///
    /// A write that took less than was offered counts as a short write and throttles.
    pub fn handle_written(&mut self, n: usize, offered: usize) {
        let mut left = n.min(self.queued);
        self.queued -= left;
        while left > 0 {
            let Some(head) = self.chunks.front() else {
                break;
            };
            let remaining = head.len() - self.head_offset;
            if left >= remaining {
                left -= remaining;
                let done = self.chunks.pop_front();
                if let Some(done) = done.filter(|chunk| chunk.capacity() <= RECYCLE_MAX) {
                    self.recycled = Some(done);
                }
                self.head_offset = 0;
            } else {
                self.head_offset += left;
                left = 0;
            }
        }
        if n < offered {
            self.throttle();
        } else if self.queued == 0 {
            self.unthrottle();
        }
    }

    /// The socket would block: the kernel send buffer is full.
    pub fn handle_blocked(&mut self) {
        self.throttle();
    }

    /// A write that bypassed the queue left `remaining` bytes unwritten (now queued with
    /// [`SendQueue::push_remainder`]), or wrote completely when `remaining` is zero.
    pub fn handle_direct_write(&mut self, remaining: usize) {
        if remaining > 0 {
            self.throttle();
        }
    }

    /// A write was refused with [`WriteError::LimitExceeded`]: the writer will pause until
    /// `Unthrottled`, so make sure one comes. Throttles now (reported once, like any
    /// throttle); `Unthrottled` follows when the queue drains, or at the next
    /// [`SendQueue::poll_backpressure`] after `Throttled` was reported when nothing is
    /// queued any more (the kernel took everything meanwhile).
    pub fn handle_refused(&mut self) {
        self.throttle();
    }

    /// Drops every pending byte (hard close). Reports no backpressure change.
    pub fn clear(&mut self) {
        self.chunks.clear();
        self.head_offset = 0;
        self.queued = 0;
        self.reserved = 0;
        self.throttled = false;
        self.event = None;
    }

    /// The latest backpressure transition not yet reported, if any.
    ///
    /// Once `Throttled` was reported, a queue that holds nothing (and has no write
    /// reserved) reports `Unthrottled` here: a throttle never outlives the bytes that
    /// caused it, so a refused writer always hears back.
    #[must_use]
    pub fn poll_backpressure(&mut self) -> Option<Backpressure> {
        if let Some(event) = self.event.take() {
            return Some(event);
        }
        if self.throttled && self.queued == 0 && self.reserved == 0 {
            self.throttled = false;
            return Some(Backpressure::Unthrottled);
        }
        None
    }

    // A transition that undoes one not yet reported cancels it: the user saw neither.
    fn throttle(&mut self) {
        if !self.throttled {
            self.throttled = true;
            self.event = match self.event {
                Some(Backpressure::Unthrottled) => None,
                _ => Some(Backpressure::Throttled),
            };
        }
    }

    fn unthrottle(&mut self) {
        if self.throttled {
            self.throttled = false;
            self.event = match self.event {
                Some(Backpressure::Throttled) => None,
                _ => Some(Backpressure::Unthrottled),
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slices(queue: &SendQueue) -> Vec<Vec<u8>> {
        let mut out = [IoSlice::new(&[]); 8];
        let n = queue.io_slices(&mut out);
        out[..n].iter().map(|s| s.to_vec()).collect()
    }

    #[test]
    fn limit_refuses_the_write_that_would_pass_it() {
        let mut queue = SendQueue::new(10);
        queue.push(vec![1; 6]).unwrap();
        assert_eq!(
            queue.push(vec![2; 5]),
            Err(WriteError::LimitExceeded {
                pending: 6,
                limit: 10,
                requested: 5
            })
        );
        queue.push(vec![3; 4]).unwrap();
        assert_eq!(queue.queued(), 10);
        assert_eq!(slices(&queue), [vec![1; 6], vec![3; 4]]);
    }

    #[test]
    fn reservations_count_against_the_limit_until_pushed() {
        let mut queue = SendQueue::new(10);
        queue.reserve(8).unwrap();
        assert!(queue.reserve(3).is_err());
        assert_eq!(
            queue.check_room(1, 2),
            Err(WriteError::LimitExceeded {
                pending: 9,
                limit: 10,
                requested: 2
            })
        );
        // A transform grew the data: the queue holds it anyway, bounded by that overhead.
        queue.push_reserved(8, vec![0; 12]);
        assert_eq!(queue.pending(), 12);
        assert!(queue.reserve(1).is_err());
    }

    #[test]
    fn partial_writes_advance_through_chunks() {
        let mut queue = SendQueue::new(100);
        queue.push(b"abc".to_vec()).unwrap();
        queue.push(b"defg".to_vec()).unwrap();
        queue.handle_written(4, 7);
        assert_eq!(slices(&queue), [b"efg".to_vec()]);
        assert_eq!(queue.queued(), 3);
    }

    #[test]
    fn throttles_on_block_and_unthrottles_once_drained() {
        let mut queue = SendQueue::new(100);
        queue.push(vec![0; 10]).unwrap();
        queue.handle_blocked();
        assert_eq!(queue.poll_backpressure(), Some(Backpressure::Throttled));
        queue.handle_blocked();
        assert_eq!(queue.poll_backpressure(), None, "one report per transition");
        queue.handle_written(4, 4);
        assert_eq!(queue.poll_backpressure(), None, "still pending");
        queue.handle_written(6, 6);
        assert_eq!(queue.poll_backpressure(), Some(Backpressure::Unthrottled));
        assert!(!queue.is_throttled());
    }

    #[test]
    fn short_write_throttles() {
        let mut queue = SendQueue::new(100);
        queue.push(vec![0; 10]).unwrap();
        queue.handle_written(3, 10);
        assert_eq!(queue.poll_backpressure(), Some(Backpressure::Throttled));
    }

    #[test]
    fn unseen_throttle_and_unthrottle_cancel_out() {
        let mut queue = SendQueue::new(100);
        queue.handle_direct_write(5);
        queue.push_remainder(&[0; 5]);
        queue.handle_written(5, 5);
        assert_eq!(queue.poll_backpressure(), None);
    }

    #[test]
    fn a_recycled_chunk_carries_only_the_new_bytes() {
        let mut queue = SendQueue::new(100);
        queue.push_remainder(b"first chunk");
        queue.handle_written(11, 11);
        queue.push_remainder(b"next");
        assert_eq!(slices(&queue), [b"next".to_vec()]);
        assert_eq!(queue.queued(), 4);
    }

    #[test]
    fn a_refusal_throttles_and_an_empty_queue_then_unthrottles() {
        let mut queue = SendQueue::new(10);
        queue.push(vec![0; 8]).unwrap();
        assert!(matches!(
            queue.check_room(0, 4),
            Err(WriteError::LimitExceeded { .. })
        ));
        queue.handle_refused();
        // The kernel takes everything before anyone looks: no short write, no block.
        queue.handle_written(8, 8);
        assert_eq!(
            queue.poll_backpressure(),
            None,
            "an unseen throttle cancels"
        );
        queue.push(vec![0; 8]).unwrap();
        queue.handle_refused();
        assert_eq!(queue.poll_backpressure(), Some(Backpressure::Throttled));
        queue.handle_written(8, 8);
        assert_eq!(queue.poll_backpressure(), Some(Backpressure::Unthrottled));
        // Refused with nothing queued (bytes accepted but written directly): throttled
        // now, unthrottled at the next poll.
        queue.handle_refused();
        assert_eq!(queue.poll_backpressure(), Some(Backpressure::Throttled));
        assert_eq!(queue.poll_backpressure(), Some(Backpressure::Unthrottled));
        assert_eq!(queue.poll_backpressure(), None);
    }

    #[test]
    fn a_write_larger_than_the_limit_is_too_large_and_arms_nothing() {
        let mut queue = SendQueue::new(10);
        queue.push(vec![0; 4]).unwrap();
        assert_eq!(
            queue.push(vec![0; 11]),
            Err(WriteError::TooLarge {
                requested: 11,
                limit: 10
            })
        );
        assert_eq!(queue.poll_backpressure(), None);
    }

    #[test]
    fn clear_drops_everything() {
        let mut queue = SendQueue::new(100);
        queue.push(vec![0; 10]).unwrap();
        queue.reserve(5).unwrap();
        queue.handle_blocked();
        queue.clear();
        assert_eq!(queue.pending(), 0);
        assert_eq!(queue.poll_backpressure(), None);
    }
}
