//! The endpoint's pool of buffer memory: connections take storage from it as data arrives
//! or is written, and give it back as soon as it is drained, so an idle connection holds
//! no buffer at all and a busy one reuses memory without allocating per packet.
//!
//! Three kinds of storage: packet buffers (a send slot's payload, an out-of-order packet
//! held by the receiver), receive rings, whose sizes are powers of two, and the send
//! side's slot queues. The pool keeps
//! at most `limit` bytes of free storage (or one ring, if a single ring is larger); what is
//! given back beyond that returns to the allocator.

/// Smallest receive ring taken for a window at least this large, bytes.
pub(crate) const MIN_RING: usize = 4096;
/// Ring size classes: `1 << class` bytes for class `0..RING_CLASSES`.
const RING_CLASSES: usize = usize::BITS as usize;

use std::collections::VecDeque;

use super::send_buffer::Slot;

/// Free storage shared by the connections of one endpoint.
#[derive(Debug)]
pub(crate) struct BufferPool {
    packets: Vec<Vec<u8>>,
    slot_queues: Vec<VecDeque<Slot>>,
    rings: [Vec<Vec<u8>>; RING_CLASSES],
    free_bytes: usize,
    limit: usize,
}

/// The ring size class holding at least `bytes`.
fn ring_class(bytes: usize) -> usize {
    bytes.max(1).next_power_of_two().trailing_zeros() as usize
}

impl BufferPool {
    /// A pool that keeps up to `limit` bytes of free storage.
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            packets: Vec::new(),
            slot_queues: Vec::new(),
            rings: std::array::from_fn(|_| Vec::new()),
            free_bytes: 0,
            limit,
        }
    }

    /// Bytes of free storage the pool holds.
    pub(crate) fn free_bytes(&self) -> usize {
        self.free_bytes
    }

    /// An empty packet buffer with room for at least `capacity` bytes.
    #[inline]
    pub(crate) fn take_packet(&mut self, capacity: usize) -> Vec<u8> {
        match self.packets.pop() {
            Some(mut buf) => {
                self.free_bytes -= buf.capacity();
                buf.reserve(capacity);
                buf
            }
            None => Vec::with_capacity(capacity),
        }
    }

    /// Gives a packet buffer back.
    #[inline]
    pub(crate) fn give_packet(&mut self, mut buf: Vec<u8>) {
        let size = buf.capacity();
        if size == 0 || self.free_bytes + size > self.limit {
            return;
        }
        buf.clear();
        self.free_bytes += size;
        self.packets.push(buf);
    }

    /// An empty slot queue (with the storage of one given back before, if any).
    pub(crate) fn take_slot_queue(&mut self) -> VecDeque<Slot> {
        match self.slot_queues.pop() {
            Some(queue) => {
                self.free_bytes -= queue.capacity() * std::mem::size_of::<Slot>();
                queue
            }
            None => VecDeque::new(),
        }
    }

    /// Gives an empty slot queue's storage back.
    pub(crate) fn give_slot_queue(&mut self, mut queue: VecDeque<Slot>) {
        let size = queue.capacity() * std::mem::size_of::<Slot>();
        if size == 0 || self.free_bytes + size > self.limit {
            return;
        }
        queue.clear();
        self.free_bytes += size;
        self.slot_queues.push(queue);
    }

    /// A ring of `bytes` rounded up to a power of two; its contents are unspecified.
    pub(crate) fn take_ring(&mut self, bytes: usize) -> Vec<u8> {
        let class = ring_class(bytes);
        match self.rings[class].pop() {
            Some(ring) => {
                self.free_bytes -= ring.len();
                ring
            }
            None => vec![0; 1 << class],
        }
    }

    /// Gives a ring back.
    pub(crate) fn give_ring(&mut self, ring: Vec<u8>) {
        let size = ring.len();
        let fits = self.free_bytes + size <= self.limit || self.free_bytes == 0;
        if !size.is_power_of_two() || !fits {
            return;
        }
        self.free_bytes += size;
        self.rings[ring_class(size)].push(ring);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reuses_storage_within_its_limit() {
        let mut pool = BufferPool::new(3 * MIN_RING);
        let ring = pool.take_ring(5000);
        assert_eq!(ring.len(), 2 * MIN_RING);
        pool.give_ring(ring);
        assert_eq!(pool.free_bytes(), 2 * MIN_RING);
        assert_eq!(pool.take_ring(6000).len(), 2 * MIN_RING);
        assert_eq!(pool.free_bytes(), 0);
        // Beyond the limit, storage goes back to the allocator; an empty pool keeps one
        // ring however large.
        pool.give_ring(vec![0; 4 * MIN_RING]);
        assert_eq!(pool.free_bytes(), 4 * MIN_RING);
        pool.give_ring(vec![0; MIN_RING]);
        assert_eq!(pool.free_bytes(), 4 * MIN_RING);
        assert_eq!(pool.take_ring(3 * MIN_RING).len(), 4 * MIN_RING);
        pool.give_ring(vec![0; 3]);
        assert_eq!(pool.free_bytes(), 0);
        let mut packet = pool.take_packet(1400);
        packet.extend_from_slice(b"abc");
        pool.give_packet(packet);
        let again = pool.take_packet(1400);
        assert!(again.is_empty() && again.capacity() >= 1400);
        assert_eq!(pool.free_bytes(), 0);
    }
}
