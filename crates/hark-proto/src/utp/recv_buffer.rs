//! The receive side: in-order bytes wait in a preallocated byte ring for the application;
//! out-of-order packets wait in reusable slots indexed by sequence number until the hole
//! before them is filled. Everything held counts against the advertised window.

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
    ring: Vec<u8>,
    head: usize,
    len: usize,
    held: Vec<Held>,
    mask: usize,
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
    pub fn new(capacity: usize, max_held: usize, ack_nr: u16) -> Self {
        let slots = max_held.next_power_of_two().clamp(16, 1 << 15);
        Self {
            ring: vec![0; capacity.max(1)],
            head: 0,
            len: 0,
            held: (0..slots).map(|_| Held::default()).collect(),
            mask: slots - 1,
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
        self.ring.len() - self.len - self.held_bytes
    }

    /// Total capacity in bytes.
    pub fn capacity(&self) -> usize {
        self.ring.len()
    }

    /// True if out-of-order packets are held (a SACK should be sent).
    pub fn has_held(&self) -> bool {
        self.held_count > 0
    }

    /// True once the FIN was received in order.
    pub fn is_eof(&self) -> bool {
        self.eof
    }

    fn push_ring(&mut self, data: &[u8]) {
        let cap = self.ring.len();
        let tail = (self.head + self.len) % cap;
        let first = data.len().min(cap - tail);
        self.ring[tail..tail + first].copy_from_slice(&data[..first]);
        self.ring[..data.len() - first].copy_from_slice(&data[first..]);
        self.len += data.len();
    }

    /// Files a DATA (`fin == false`) or FIN packet.
    pub fn insert(&mut self, seq: u16, payload: &[u8], fin: bool) -> Arrival {
        let distance = seq_distance(self.ack_nr, seq);
        if distance == 0 || distance >= 0x8000 {
            return Arrival::Duplicate;
        }
        if usize::from(distance) > self.mask || self.fin_seq.is_some_and(|f| seq_less(f, seq)) {
            return Arrival::OutOfWindow;
        }
        if fin && self.fin_seq.is_some_and(|f| f != seq) {
            return Arrival::OutOfWindow;
        }
        let index = usize::from(seq) & self.mask;
        if self.held[index].present {
            return Arrival::Duplicate;
        }
        if payload.len() > self.window() {
            return Arrival::NoRoom;
        }
        if fin {
            self.fin_seq = Some(seq);
        }
        if distance > 1 {
            let slot = &mut self.held[index];
            slot.present = true;
            slot.fin = fin;
            slot.data.clear();
            slot.data.extend_from_slice(payload);
            self.held_bytes += payload.len();
            self.held_count += 1;
            if self.held_count == 1 || seq_less(self.highest_held, seq) {
                self.highest_held = seq;
            }
            return Arrival::OutOfOrder;
        }
        self.push_ring(payload);
        self.ack_nr = seq;
        self.eof |= fin;
        let mut bytes = payload.len();
        while self.held_count > 0 {
            let next = self.ack_nr.wrapping_add(1);
            let index = usize::from(next) & self.mask;
            if !self.held[index].present {
                break;
            }
            let data = std::mem::take(&mut self.held[index].data);
            self.held_bytes -= data.len();
            self.held_count -= 1;
            self.push_ring(&data);
            bytes += data.len();
            let slot = &mut self.held[index];
            slot.data = data;
            slot.present = false;
            self.eof |= slot.fin;
            self.ack_nr = next;
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
            let seq = base.wrapping_add(bit as u16);
            let slot = &self.held[usize::from(seq) & self.mask];
            if slot.present && seq_distance(self.ack_nr, seq) as usize <= self.mask {
                out[bit / 8] |= 1 << (bit % 8);
            }
        }
        len
    }

    /// The readable bytes in place, as at most two slices (the ring may wrap).
    pub fn slices(&self) -> (&[u8], &[u8]) {
        let cap = self.ring.len();
        let first = self.len.min(cap - self.head);
        (
            &self.ring[self.head..self.head + first],
            &self.ring[..self.len - first],
        )
    }

    /// Drops the first `n` readable bytes (at most what is readable); returns how many.
    pub fn consume(&mut self, n: usize) -> usize {
        let n = n.min(self.len);
        self.head = (self.head + n) % self.ring.len();
        self.len -= n;
        if self.len == 0 {
            self.head = 0;
        }
        n
    }

    /// Copies readable bytes into `buf` and returns how many.
    pub fn read(&mut self, buf: &mut [u8]) -> usize {
        let (a, b) = self.slices();
        let first = a.len().min(buf.len());
        buf[..first].copy_from_slice(&a[..first]);
        let second = b.len().min(buf.len() - first);
        buf[first..first + second].copy_from_slice(&b[..second]);
        self.consume(first + second)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reassembles_across_wraparound() {
        let mut r = RecvBuffer::new(8, 16, 65534);
        assert_eq!(r.insert(1, b"cd", false), Arrival::OutOfOrder);
        assert_eq!(r.insert(1, b"cd", false), Arrival::Duplicate);
        assert_eq!(r.window(), 6);
        let mut sack = [0u8; 8];
        // base = 65534 + 2 = 0; seq 1 is bit 1
        assert_eq!(r.write_sack(&mut sack), 4);
        assert_eq!(sack[..4], [0b10, 0, 0, 0]);
        assert_eq!(r.insert(65535, b"ab", false), Arrival::InOrder { bytes: 2 });
        assert_eq!(r.insert(0, b"x", false), Arrival::InOrder { bytes: 3 });
        assert_eq!(r.ack_nr(), 1);
        assert!(!r.has_held());
        let mut out = [0u8; 8];
        assert_eq!(r.read(&mut out), 5);
        assert_eq!(&out[..5], b"abxcd");
        assert_eq!(r.insert(1, b"zz", false), Arrival::Duplicate);
    }

    #[test]
    fn bounded_by_window_and_fin() {
        let mut r = RecvBuffer::new(4, 16, 0);
        assert_eq!(r.insert(1, b"abcde", false), Arrival::NoRoom);
        assert_eq!(r.insert(40, b"a", false), Arrival::OutOfWindow);
        assert_eq!(r.insert(3, b"", true), Arrival::OutOfOrder);
        assert_eq!(r.insert(4, b"a", false), Arrival::OutOfWindow);
        assert_eq!(r.insert(1, b"ab", false), Arrival::InOrder { bytes: 2 });
        assert!(!r.is_eof());
        assert_eq!(r.insert(2, b"cd", false), Arrival::InOrder { bytes: 2 });
        assert!(r.is_eof());
        assert_eq!(r.ack_nr(), 3);
        assert_eq!(r.window(), 0);
        let mut out = [0u8; 3];
        assert_eq!(r.read(&mut out), 3);
        assert_eq!(r.read(&mut out), 1);
        assert_eq!(out[0], b'd');
    }

    #[test]
    fn slices_show_wrapped_data_in_place() {
        let mut r = RecvBuffer::new(4, 16, 0);
        r.insert(1, b"abc", false);
        assert_eq!(r.consume(2), 2);
        r.insert(2, b"de", false);
        assert_eq!(r.slices(), (&b"cd"[..], &b"e"[..]));
        assert_eq!(r.consume(10), 3);
        assert_eq!(r.slices(), (&b""[..], &b""[..]));
    }
}
