//! The receive side: in-order bytes wait in a byte ring for the application; out-of-order
//! packets wait in slots indexed by sequence number until the hole before them is filled.
//! Everything held counts against the advertised window.
//!
//! Storage follows use: the ring is taken from the endpoint's [`BufferPool`] when the first
//! bytes arrive, grows (by powers of two, up to the window) only while the application
//! leaves data unread, and goes back to the pool as soon as it is drained; the next one is
//! taken at the size the last one needed, so a steady transfer does not regrow it. Held
//! packets live in pooled packet buffers, and their slot table exists only while some are
//! held. An idle connection holds no buffer.

use std::collections::VecDeque;

use super::buffer_pool::{BufferPool, MIN_RING};
use super::seq::{seq_distance, seq_less};

#[derive(Debug, Default)]
struct Held {
    present: bool,
    fin: bool,
    data: Vec<u8>,
}

/// What happened to an arriving packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// It was next in order; `bytes` became readable (including drained held packets).
    InOrder {
        /// Bytes appended to the read buffer.
        bytes: usize,
    },
    /// It is held until the hole before it is filled.
    OutOfOrder,
    /// Received before.
    Duplicate,
    /// No room in the receive window.
    NoRoom,
    /// Too far ahead of the cumulative ACK, or after the FIN.
    OutOfWindow,
}

/// The reassembly and read buffer.
#[derive(Debug)]
pub struct RecvBuffer {
    /// The byte ring: empty while nothing is readable.
    ring: Vec<u8>,
    head: usize,
    len: usize,
    /// Most readable bytes at once since the ring was taken.
    peak: usize,
    /// Size of the ring to take next: what the last one needed.
    ring_hint: usize,
    /// The window: most bytes held, readable and out of order together.
    capacity: usize,
    /// Slot `i` stands for sequence number `ack_nr + 1 + i`; slot 0 is never present.
    /// Empty (no storage) while nothing is held.
    held: VecDeque<Held>,
    /// Largest distance ahead of the cumulative ACK that is accepted.
    max_distance: usize,
    held_bytes: usize,
    held_count: usize,
    highest_held: u16,
    ack_nr: u16,
    fin_seq: Option<u16>,
    eof: bool,
}

impl RecvBuffer {
    /// A buffer of `capacity` bytes that can hold up to `max_held` out-of-order packets
    /// (rounded up to a power of two); `ack_nr` is the sequence number already received.
    /// It allocates nothing until data arrives.
    pub fn new(capacity: usize, max_held: usize, ack_nr: u16) -> Self {
        let slots = max_held.next_power_of_two().clamp(16, 1 << 15);
        let capacity = capacity.max(1);
        Self {
            ring: Vec::new(),
            head: 0,
            len: 0,
            peak: 0,
            ring_hint: MIN_RING,
            capacity,
            held: VecDeque::new(),
            max_distance: slots - 1,
            held_bytes: 0,
            held_count: 0,
            highest_held: ack_nr,
            ack_nr,
            fin_seq: None,
            eof: false,
        }
    }

    /// The cumulative ACK: the last sequence number received in order.
    pub fn ack_nr(&self) -> u16 {
        self.ack_nr
    }

    /// Resets the cumulative ACK (only before any data arrived).
    pub fn set_ack_nr(&mut self, ack_nr: u16) {
        self.ack_nr = ack_nr;
        self.highest_held = ack_nr;
    }

    /// Bytes the application can read.
    pub fn readable(&self) -> usize {
        self.len
    }

    /// Bytes still free in the window.
    pub fn window(&self) -> usize {
        self.capacity - self.len - self.held_bytes
    }

    /// Total capacity in bytes.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Bytes of storage held now (ring, held packets and their slot table).
    pub fn storage_bytes(&self) -> usize {
        self.ring.len()
            + self.held.capacity() * std::mem::size_of::<Held>()
            + self.held.iter().map(|h| h.data.capacity()).sum::<usize>()
    }

    /// True if out-of-order packets are held (a SACK should be sent).
    pub fn has_held(&self) -> bool {
        self.held_count > 0
    }

    /// True once the FIN was received in order.
    pub fn is_eof(&self) -> bool {
        self.eof
    }

    /// Makes room for `more` readable bytes: takes a ring, or a larger one.
    fn reserve(&mut self, more: usize, pool: &mut BufferPool) {
        let needed = self.len + more;
        if needed <= self.ring.len() {
            return;
        }
        let size = needed
            .max(self.ring_hint)
            .min(self.capacity.next_power_of_two());
        let mut ring = pool.take_ring(size);
        let (a, b) = self.slices();
        ring[..a.len()].copy_from_slice(a);
        ring[a.len()..a.len() + b.len()].copy_from_slice(b);
        let old = std::mem::replace(&mut self.ring, ring);
        self.head = 0;
        pool.give_ring(old);
    }

    fn push_ring(&mut self, data: &[u8], pool: &mut BufferPool) {
        if data.is_empty() {
            return;
        }
        self.reserve(data.len(), pool);
        let cap = self.ring.len();
        // Rings are powers of two.
        let tail = (self.head + self.len) & (cap - 1);
        let first = data.len().min(cap - tail);
        self.ring[tail..tail + first].copy_from_slice(&data[..first]);
        self.ring[..data.len() - first].copy_from_slice(&data[first..]);
        self.len += data.len();
        self.peak = self.peak.max(self.len);
    }

    /// Files a DATA (`fin == false`) or FIN packet.
    pub fn insert(
        &mut self,
        seq: u16,
        payload: &[u8],
        fin: bool,
        pool: &mut BufferPool,
    ) -> Arrival {
        let distance = seq_distance(self.ack_nr, seq);
        if distance == 0 || distance >= 0x8000 {
            return Arrival::Duplicate;
        }
        let distance = usize::from(distance);
        if distance > self.max_distance || self.fin_seq.is_some_and(|f| seq_less(f, seq)) {
            return Arrival::OutOfWindow;
        }
        if fin && self.fin_seq.is_some_and(|f| f != seq) {
            return Arrival::OutOfWindow;
        }
        if self.held.get(distance - 1).is_some_and(|h| h.present) {
            return Arrival::Duplicate;
        }
        if payload.len() > self.window() {
            return Arrival::NoRoom;
        }
        if fin {
            self.fin_seq = Some(seq);
        }
        if distance > 1 {
            if self.held.len() < distance {
                self.held.resize_with(distance, Held::default);
            }
            let slot = &mut self.held[distance - 1];
            slot.present = true;
            slot.fin = fin;
            slot.data = pool.take_packet(payload.len());
            slot.data.extend_from_slice(payload);
            self.held_bytes += payload.len();
            self.held_count += 1;
            if self.held_count == 1 || seq_less(self.highest_held, seq) {
                self.highest_held = seq;
            }
            return Arrival::OutOfOrder;
        }
        self.push_ring(payload, pool);
        self.ack_nr = seq;
        self.eof |= fin;
        self.held.pop_front();
        let mut bytes = payload.len();
        while self.held.front().is_some_and(|h| h.present) {
            let Some(slot) = self.held.pop_front() else {
                break;
            };
            self.held_bytes -= slot.data.len();
            self.held_count -= 1;
            self.push_ring(&slot.data, pool);
            bytes += slot.data.len();
            pool.give_packet(slot.data);
            self.eof |= slot.fin;
            self.ack_nr = self.ack_nr.wrapping_add(1);
        }
        if self.held_count == 0 && self.held.capacity() > 0 {
            // Nothing held: the slot table's storage goes too.
            self.held = VecDeque::new();
        }
        Arrival::InOrder { bytes }
    }

    /// Writes the selective ACK bitmask into `out` (bit `k` of byte `i` = ack_nr + 2 +
    /// 8i + k) and returns its length: a multiple of 4, at most `out.len()` rounded down,
    /// or 0 if nothing is held.
    pub fn write_sack(&self, out: &mut [u8]) -> usize {
        if self.held_count == 0 {
            return 0;
        }
        let base = self.ack_nr.wrapping_add(2);
        let span = usize::from(seq_distance(base, self.highest_held)) + 1;
        let len = span.div_ceil(32) * 4;
        let len = len.min(out.len() / 4 * 4);
        let out = &mut out[..len];
        out.fill(0);
        for bit in 0..len * 8 {
            // Bit `bit` stands for ack_nr + 2 + bit: slot 1 + bit.
            if self.held.get(1 + bit).is_some_and(|h| h.present) {
                out[bit / 8] |= 1 << (bit % 8);
            }
        }
        len
    }

    /// The readable bytes in place, as at most two slices (the ring may wrap).
    pub fn slices(&self) -> (&[u8], &[u8]) {
        if self.len == 0 {
            return (&[], &[]);
        }
        let cap = self.ring.len();
        let first = self.len.min(cap - self.head);
        (
            &self.ring[self.head..self.head + first],
            &self.ring[..self.len - first],
        )
    }

    /// Drops the first `n` readable bytes (at most what is readable); returns how many.
    /// A drained ring goes back to the pool.
    pub fn consume(&mut self, n: usize, pool: &mut BufferPool) -> usize {
        let n = n.min(self.len);
        if n == 0 {
            return 0;
        }
        self.head = (self.head + n) & (self.ring.len() - 1);
        self.len -= n;
        if self.len == 0 {
            self.head = 0;
            self.ring_hint = self.peak.max(MIN_RING).next_power_of_two();
            self.peak = 0;
            pool.give_ring(std::mem::take(&mut self.ring));
        }
        n
    }

    /// Copies readable bytes into `buf` and returns how many.
    pub fn read(&mut self, buf: &mut [u8], pool: &mut BufferPool) -> usize {
        let (a, b) = self.slices();
        let first = a.len().min(buf.len());
        buf[..first].copy_from_slice(&a[..first]);
        let second = b.len().min(buf.len() - first);
        buf[first..first + second].copy_from_slice(&b[..second]);
        self.consume(first + second, pool)
    }

    /// Gives all storage back to the pool (the connection is going away).
    pub fn release(&mut self, pool: &mut BufferPool) {
        pool.give_ring(std::mem::take(&mut self.ring));
        for slot in std::mem::take(&mut self.held) {
            pool.give_packet(slot.data);
        }
        self.len = 0;
        self.head = 0;
        self.held_bytes = 0;
        self.held_count = 0;
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reassembles_across_wraparound() {
        let mut p = BufferPool::new(1 << 20);
        let mut r = RecvBuffer::new(8, 16, 65534);
        assert_eq!(r.insert(1, b"cd", false, &mut p), Arrival::OutOfOrder);
        assert_eq!(r.insert(1, b"cd", false, &mut p), Arrival::Duplicate);
        assert_eq!(r.window(), 6);
        let mut sack = [0u8; 8];
        // base = 65534 + 2 = 0; seq 1 is bit 1
        assert_eq!(r.write_sack(&mut sack), 4);
        assert_eq!(sack[..4], [0b10, 0, 0, 0]);
        assert_eq!(
            r.insert(65535, b"ab", false, &mut p),
            Arrival::InOrder { bytes: 2 }
        );
        assert_eq!(
            r.insert(0, b"x", false, &mut p),
            Arrival::InOrder { bytes: 3 }
        );
        assert_eq!(r.ack_nr(), 1);
        assert!(!r.has_held());
        let mut out = [0u8; 8];
        assert_eq!(r.read(&mut out, &mut p), 5);
        assert_eq!(&out[..5], b"abxcd");
        assert_eq!(r.insert(1, b"zz", false, &mut p), Arrival::Duplicate);
    }

    #[test]
    fn bounded_by_window_and_fin() {
        let mut p = BufferPool::new(1 << 20);
        let mut r = RecvBuffer::new(4, 16, 0);
        assert_eq!(r.insert(1, b"abcde", false, &mut p), Arrival::NoRoom);
        assert_eq!(r.insert(40, b"a", false, &mut p), Arrival::OutOfWindow);
        assert_eq!(r.insert(3, b"", true, &mut p), Arrival::OutOfOrder);
        assert_eq!(r.insert(4, b"a", false, &mut p), Arrival::OutOfWindow);
        assert_eq!(
            r.insert(1, b"ab", false, &mut p),
            Arrival::InOrder { bytes: 2 }
        );
        assert!(!r.is_eof());
        assert_eq!(
            r.insert(2, b"cd", false, &mut p),
            Arrival::InOrder { bytes: 2 }
        );
        assert!(r.is_eof());
        assert_eq!(r.ack_nr(), 3);
        assert_eq!(r.window(), 0);
        let mut out = [0u8; 3];
        assert_eq!(r.read(&mut out, &mut p), 3);
        assert_eq!(r.read(&mut out, &mut p), 1);
        assert_eq!(out[0], b'd');
    }

    #[test]
    fn slices_show_wrapped_data_in_place() {
        let mut p = BufferPool::new(1 << 20);
        let mut r = RecvBuffer::new(4, 16, 0);
        r.insert(1, b"abc", false, &mut p);
        assert_eq!(r.consume(2, &mut p), 2);
        r.insert(2, b"de", false, &mut p);
        assert_eq!(r.slices(), (&b"cd"[..], &b"e"[..]));
        assert_eq!(r.consume(10, &mut p), 3);
        assert_eq!(r.slices(), (&b""[..], &b""[..]));
    }

    #[test]
    fn storage_follows_use() {
        let mut p = BufferPool::new(1 << 20);
        let mut r = RecvBuffer::new(1 << 16, 1024, 0);
        assert_eq!(r.storage_bytes(), 0);
        r.insert(1, &[1; 1000], false, &mut p);
        assert_eq!(r.storage_bytes(), MIN_RING);
        // Unread data makes the ring grow, contents intact.
        for seq in 2..=10 {
            r.insert(seq, &[seq as u8; 1000], false, &mut p);
        }
        assert_eq!(r.storage_bytes(), 16384);
        let (a, b) = r.slices();
        assert_eq!((a.len() + b.len(), a[999], a[1000]), (10_000, 1, 2));
        // An out-of-order packet takes a packet buffer and a slot table while held.
        assert_eq!(r.insert(12, &[12; 100], false, &mut p), Arrival::OutOfOrder);
        assert!(r.storage_bytes() > 16384 + 100);
        assert_eq!(
            r.insert(11, &[11; 100], false, &mut p),
            Arrival::InOrder { bytes: 200 }
        );
        assert_eq!(r.storage_bytes(), 16384);
        // Drained: everything goes back to the pool, and the next ring is as large.
        assert_eq!(r.consume(usize::MAX, &mut p), 10_200);
        assert_eq!(r.storage_bytes(), 0);
        assert!(p.free_bytes() >= 16384);
        r.insert(13, b"x", false, &mut p);
        assert_eq!(r.storage_bytes(), 16384);
    }
}
