//! The send buffer: packets from the oldest unacknowledged to the newest unsent, in a
//! queue of slots indexed by their distance from the oldest.
//!
//! Writes are packetised at once; the newest packet keeps growing until it is first sent,
//! which coalesces small writes. Retransmissions are emitted again from the same slot.
//!
//! Storage follows use: a packet's payload buffer comes from the endpoint's
//! [`BufferPool`] when it is written and goes back when it is acknowledged, and the slot
//! queue gives its storage up once everything is acknowledged, so an idle connection holds
//! nothing here and a busy one does not allocate per packet.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::buffer_pool::BufferPool;
use super::seq::{seq_distance, seq_less, seq_less_eq};

/// What a slot holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotKind {
    /// An ST_DATA packet.
    Data,
    /// The ST_FIN packet.
    Fin,
}

/// One held packet.
#[derive(Debug)]
pub(crate) struct Slot {
    payload: Vec<u8>,
    /// Most payload this packet may carry (it grows by coalescing until first sent).
    cap: usize,
    kind: SlotKind,
    transmissions: u32,
    sent_at: Option<Instant>,
    /// Position of the latest transmission in the order of all transmissions.
    sent_order: u64,
    in_flight: bool,
    sacked: bool,
    lost: bool,
}

impl Slot {
    fn empty() -> Self {
        Self {
            payload: Vec::new(),
            cap: 0,
            kind: SlotKind::Data,
            transmissions: 0,
            sent_at: None,
            sent_order: 0,
            in_flight: false,
            sacked: false,
            lost: false,
        }
    }
}

/// Result of processing acknowledgements.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AckOutcome {
    /// Payload bytes newly acknowledged (cumulatively or selectively).
    pub bytes: usize,
    /// Packets newly acknowledged.
    pub packets: usize,
    /// RTT of the newest newly acknowledged packet that was sent only once (Karn).
    pub rtt_sample: Option<Duration>,
    /// The FIN was acknowledged.
    pub fin_acked: bool,
}

/// A packet chosen for transmission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outgoing {
    /// Its sequence number.
    pub seq_nr: u16,
    /// Data or FIN.
    pub kind: SlotKind,
    /// Payload length.
    pub len: usize,
    /// True if it was sent before.
    pub retransmission: bool,
}

/// The queue of outgoing packets.
#[derive(Debug)]
pub struct SendBuffer {
    /// Slot `i` holds sequence number `first_seq + i`.
    slots: VecDeque<Slot>,
    /// Most packets held at once (one less than a power of two).
    max_packets: usize,
    first_seq: u16,
    next_unsent: u16,
    next_seq: u16,
    buffered_bytes: usize,
    capacity_bytes: usize,
    in_flight_bytes: usize,
    in_flight_packets: usize,
    lost: VecDeque<u16>,
    fin_queued: bool,
    /// Transmissions so far (orders every transmission, retransmissions included).
    transmissions: u64,
    /// Highest `sent_order` of any packet acknowledged so far.
    highest_delivered_order: u64,
    /// Highest SACKed sequence number above the cumulative ACK, if any.
    highest_sacked: Option<u16>,
}

impl SendBuffer {
    /// A buffer holding up to `capacity_bytes` of payload in packets of up to `mss` bytes;
    /// `first_seq` is the sequence number of the first packet it will hold.
    pub fn new(capacity_bytes: usize, mss: usize, first_seq: u16) -> Self {
        let packets = (capacity_bytes / mss.max(1) + 2)
            .next_power_of_two()
            .clamp(16, 1 << 15);
        Self {
            slots: VecDeque::new(),
            max_packets: packets - 1,
            first_seq,
            next_unsent: first_seq,
            next_seq: first_seq,
            buffered_bytes: 0,
            capacity_bytes,
            in_flight_bytes: 0,
            in_flight_packets: 0,
            lost: VecDeque::new(),
            fin_queued: false,
            transmissions: 0,
            highest_delivered_order: 0,
            highest_sacked: None,
        }
    }

    /// The slot of a held packet (`first_seq <= seq < next_seq`).
    fn slot(&self, seq: u16) -> &Slot {
        &self.slots[usize::from(seq_distance(self.first_seq, seq))]
    }

    fn slot_mut(&mut self, seq: u16) -> &mut Slot {
        let index = usize::from(seq_distance(self.first_seq, seq));
        &mut self.slots[index]
    }

    fn packets(&self) -> usize {
        self.slots.len()
    }

    /// Bytes of storage held now (the slot queue and the payload buffers).
    pub fn storage_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<Slot>()
            + self
                .slots
                .iter()
                .map(|s| s.payload.capacity())
                .sum::<usize>()
            + self.lost.capacity() * std::mem::size_of::<u16>()
    }

    /// Gives all storage back to the pool (the connection is going away).
    pub fn release(&mut self, pool: &mut BufferPool) {
        for slot in self.slots.drain(..) {
            pool.give_packet(slot.payload);
        }
        pool.give_slot_queue(std::mem::take(&mut self.slots));
        self.lost = VecDeque::new();
        self.first_seq = self.next_seq;
        self.next_unsent = self.next_seq;
        self.buffered_bytes = 0;
        self.in_flight_bytes = 0;
        self.in_flight_packets = 0;
    }

    /// Appends a fresh slot for `next_seq` and advances it.
    fn push_slot(&mut self, payload: Vec<u8>, cap: usize, kind: SlotKind) {
        self.slots.push_back(Slot {
            payload,
            cap,
            kind,
            ..Slot::empty()
        });
        self.next_seq = self.next_seq.wrapping_add(1);
    }

    /// Sequence number of the oldest unacknowledged packet (or the next new one).
    pub fn first_seq(&self) -> u16 {
        self.first_seq
    }

    /// Sequence number the next new packet will get.
    pub fn next_seq(&self) -> u16 {
        self.next_seq
    }

    /// Sequence number of the first packet never sent.
    pub fn next_unsent(&self) -> u16 {
        self.next_unsent
    }

    /// Payload bytes `write` would still accept.
    pub fn free_bytes(&self) -> usize {
        if self.fin_queued {
            0
        } else {
            self.capacity_bytes.saturating_sub(self.buffered_bytes)
        }
    }

    /// Payload bytes in flight (sent, not acknowledged, not known lost).
    pub fn in_flight_bytes(&self) -> usize {
        self.in_flight_bytes
    }

    /// Packets in flight.
    pub fn in_flight_packets(&self) -> usize {
        self.in_flight_packets
    }

    /// Packets sent at least once and not yet acknowledged.
    pub fn unacked_packets(&self) -> usize {
        usize::from(seq_distance(self.first_seq, self.next_unsent))
    }

    /// True if no packet is held at all.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.first_seq == self.next_seq
    }

    /// True if something waits for (re)transmission.
    pub fn has_pending(&self) -> bool {
        self.next_unsent != self.next_seq || !self.lost.is_empty()
    }

    /// Length of the next packet `next_outgoing` would pick, if any.
    pub fn peek_len(&mut self) -> Option<usize> {
        self.discard_stale_lost();
        let seq = self
            .lost
            .front()
            .copied()
            .or((self.next_unsent != self.next_seq).then_some(self.next_unsent))?;
        Some(self.slot(seq).payload.len())
    }

    /// True if the next pick is a retransmission.
    pub fn next_is_retransmission(&mut self) -> bool {
        self.discard_stale_lost();
        !self.lost.is_empty()
    }

    /// Copies as much of `data` as fits into packets of up to `mss` bytes and returns how
    /// much it took. With `probe`, the first new packet may carry up to `probe` bytes (a
    /// path-MTU probe); its sequence number is returned too.
    pub fn write(
        &mut self,
        data: &[u8],
        mss: usize,
        mut probe: Option<usize>,
        pool: &mut BufferPool,
    ) -> (usize, Option<u16>) {
        let mss = mss.max(1);
        let mut accepted = 0;
        let mut probe_seq = None;
        let limit = self.free_bytes().min(data.len());
        // Coalesce into the newest packet while it has not been sent.
        if self.next_unsent != self.next_seq {
            let last = self.next_seq.wrapping_sub(1);
            let slot = self.slot_mut(last);
            if slot.kind == SlotKind::Data && slot.payload.len() < slot.cap {
                let take = (slot.cap - slot.payload.len()).min(limit);
                slot.payload.extend_from_slice(&data[..take]);
                accepted += take;
            }
        }
        if accepted < limit && self.slots.capacity() == 0 {
            self.slots = pool.take_slot_queue();
        }
        while accepted < limit && self.packets() < self.max_packets {
            let cap = match probe.take() {
                Some(size) => {
                    probe_seq = Some(self.next_seq);
                    size.max(1)
                }
                None => mss,
            };
            let take = cap.min(limit - accepted);
            // A packet that may still grow gets room for all of it at once.
            let mut payload = pool.take_packet(if take < cap { cap } else { take });
            payload.extend_from_slice(&data[accepted..accepted + take]);
            self.push_slot(payload, cap, SlotKind::Data);
            accepted += take;
        }
        self.buffered_bytes += accepted;
        (accepted, probe_seq)
    }

    /// Where a held packet stands: `None` once it is cumulatively acknowledged, else
    /// (times sent, SACKed).
    pub fn status(&self, seq: u16) -> Option<(u32, bool)> {
        if !(seq_less_eq(self.first_seq, seq) && seq_less(seq, self.next_seq)) {
            return None;
        }
        let slot = self.slot(seq);
        Some((slot.transmissions, slot.sacked))
    }

    /// Queues the FIN after all data; returns false if there is no slot for it right now.
    pub fn push_fin(&mut self) -> bool {
        if self.fin_queued {
            return true;
        }
        if self.packets() >= self.max_packets {
            return false;
        }
        self.push_slot(Vec::new(), 0, SlotKind::Fin);
        self.fin_queued = true;
        true
    }

    fn discard_stale_lost(&mut self) {
        while let Some(&seq) = self.lost.front() {
            let live = seq_less_eq(self.first_seq, seq) && seq_less(seq, self.next_unsent) && {
                let slot = self.slot(seq);
                slot.lost && !slot.sacked
            };
            if live {
                break;
            }
            self.lost.pop_front();
        }
    }

    /// Picks the next packet to transmit (lost ones first) and records it as sent.
    /// The caller copies the payload with [`SendBuffer::payload`].
    pub fn next_outgoing(&mut self, now: Instant) -> Option<Outgoing> {
        self.discard_stale_lost();
        let (seq, retransmission) = if let Some(seq) = self.lost.pop_front() {
            (seq, true)
        } else if self.next_unsent != self.next_seq {
            let seq = self.next_unsent;
            self.next_unsent = seq.wrapping_add(1);
            (seq, false)
        } else {
            return None;
        };
        self.transmissions += 1;
        let order = self.transmissions;
        let slot = self.slot_mut(seq);
        slot.lost = false;
        slot.transmissions += 1;
        slot.sent_at = Some(now);
        slot.sent_order = order;
        let len = slot.payload.len();
        let kind = slot.kind;
        let was_in_flight = std::mem::replace(&mut slot.in_flight, true);
        if !was_in_flight {
            self.in_flight_bytes += len;
            self.in_flight_packets += 1;
        }
        Some(Outgoing {
            seq_nr: seq,
            kind,
            len,
            retransmission,
        })
    }

    /// The payload of a held packet.
    pub fn payload(&self, seq: u16) -> &[u8] {
        &self.slot(seq).payload
    }

    fn leave_flight(&mut self, seq: u16) {
        let slot = self.slot_mut(seq);
        if std::mem::replace(&mut slot.in_flight, false) {
            self.in_flight_bytes -= slot.payload.len();
            self.in_flight_packets -= 1;
        }
    }

    /// Processes a cumulative ACK of everything up to and including `ack_nr`.
    /// Returns `None` if `ack_nr` acknowledges packets never sent.
    ///
    /// The RTT sample is the youngest newly acknowledged packet sent only once, and only
    /// if no retransmitted packet is among them (Karn): a retransmission that filled a
    /// hole releases packets that arrived long before, whose age is no round trip.
    pub fn ack_cumulative(
        &mut self,
        ack_nr: u16,
        now: Instant,
        pool: &mut BufferPool,
    ) -> Option<AckOutcome> {
        let through = ack_nr.wrapping_add(1);
        if !seq_less_eq(through, self.next_unsent) {
            return None;
        }
        let mut out = AckOutcome::default();
        let mut ambiguous = false;
        let mut youngest: Option<Instant> = None;
        while seq_less(self.first_seq, through) {
            let Some(slot) = self.slots.pop_front() else {
                break;
            };
            if slot.in_flight {
                self.in_flight_bytes -= slot.payload.len();
                self.in_flight_packets -= 1;
            }
            if !slot.sacked {
                out.packets += 1;
                out.bytes += slot.payload.len();
                self.highest_delivered_order = self.highest_delivered_order.max(slot.sent_order);
                if slot.transmissions == 1 {
                    youngest = youngest.max(slot.sent_at);
                } else {
                    ambiguous = true;
                }
            }
            out.fin_acked |= slot.kind == SlotKind::Fin;
            self.buffered_bytes -= slot.payload.len();
            pool.give_packet(slot.payload);
            self.first_seq = self.first_seq.wrapping_add(1);
        }
        if self.slots.is_empty() && self.slots.capacity() > 0 {
            // Everything acknowledged: the queues' storage goes back too.
            pool.give_slot_queue(std::mem::take(&mut self.slots));
            self.lost = VecDeque::new();
        }
        if !ambiguous {
            out.rtt_sample = youngest.map(|at| now.saturating_duration_since(at));
        }
        if self.highest_sacked.is_some_and(|h| !seq_less(ack_nr, h)) {
            self.highest_sacked = None;
        }
        Some(out)
    }

    /// Processes a selective ACK whose bit `k` of byte `i` stands for `base + 8 * i + k`.
    pub fn ack_selective(&mut self, base: u16, mask: &[u8], now: Instant) -> AckOutcome {
        let mut out = AckOutcome::default();
        let mut youngest: Option<Instant> = None;
        for (i, byte) in mask.iter().enumerate() {
            if *byte == 0 {
                continue;
            }
            for bit in 0..8 {
                if byte & (1 << bit) == 0 {
                    continue;
                }
                let seq = base.wrapping_add((i * 8 + bit) as u16);
                if !(seq_less_eq(self.first_seq, seq) && seq_less(seq, self.next_unsent)) {
                    continue;
                }
                if self.slot(seq).sacked {
                    continue;
                }
                self.leave_flight(seq);
                let index = usize::from(seq_distance(self.first_seq, seq));
                let slot = &mut self.slots[index];
                slot.sacked = true;
                slot.lost = false;
                out.packets += 1;
                out.bytes += slot.payload.len();
                if slot.transmissions == 1 {
                    youngest = youngest.max(slot.sent_at);
                }
                self.highest_delivered_order = self.highest_delivered_order.max(slot.sent_order);
                if self.highest_sacked.is_none_or(|h| seq_less(h, seq)) {
                    self.highest_sacked = Some(seq);
                }
            }
        }
        out.rtt_sample = youngest.map(|at| now.saturating_duration_since(at));
        out
    }

    /// Marks lost every packet below the highest SACKed one of which at least `threshold`
    /// later transmissions have been acknowledged (a time-ordered duplicate threshold, so
    /// a lost retransmission is detected as well as a lost first transmission). Returns
    /// how many packets were marked. The scan is bounded by the SACKed range.
    pub fn detect_losses(&mut self, threshold: u64) -> usize {
        let Some(highest) = self.highest_sacked else {
            return 0;
        };
        let mut marked = 0;
        let mut seq = self.first_seq;
        while seq_less(seq, highest) {
            let slot = self.slot(seq);
            let late = slot.sent_order.saturating_add(threshold) <= self.highest_delivered_order;
            if late && !slot.sacked && !slot.lost && slot.transmissions > 0 && self.mark_lost(seq) {
                marked += 1;
            }
            seq = seq.wrapping_add(1);
        }
        marked
    }

    /// Marks one sent packet lost so it is retransmitted next.
    pub fn mark_lost(&mut self, seq: u16) -> bool {
        if !(seq_less_eq(self.first_seq, seq) && seq_less(seq, self.next_unsent)) {
            return false;
        }
        let slot = self.slot(seq);
        if slot.sacked || slot.lost || slot.transmissions == 0 {
            return false;
        }
        self.leave_flight(seq);
        self.slot_mut(seq).lost = true;
        self.lost.push_back(seq);
        true
    }

    /// Marks every unacknowledged packet lost (after a retransmission timeout), oldest
    /// first. Selective ACKs are advisory: a receiver may renege on them (or a damaged
    /// header may have claimed them), so SACKed packets are sent again too.
    pub fn mark_all_lost(&mut self) -> usize {
        self.lost.clear();
        self.highest_sacked = None;
        for slot in &mut self.slots {
            slot.lost = false;
            slot.sacked = false;
        }
        let mut seq = self.first_seq;
        let mut count = 0;
        while seq_less(seq, self.next_unsent) {
            if self.mark_lost(seq) {
                count += 1;
            }
            seq = seq.wrapping_add(1);
        }
        count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coalesces_until_sent_and_bounds_bytes() {
        let now = Instant::now();
        let mut p = BufferPool::new(1 << 20);
        let mut b = SendBuffer::new(10, 4, 65534);
        assert_eq!(b.write(b"ab", 4, None, &mut p).0, 2);
        assert_eq!(b.write(b"cdefg", 4, None, &mut p).0, 5);
        assert_eq!(b.next_seq(), 0); // 65534: "abcd", 65535: "efg"
        assert_eq!(b.write(b"hijklmn", 4, None, &mut p).0, 3); // 10 bytes max
        let first = b.next_outgoing(now).unwrap();
        assert_eq!((first.seq_nr, first.len), (65534, 4));
        assert_eq!(b.payload(65534), b"abcd");
        let second = b.next_outgoing(now).unwrap();
        assert_eq!(b.payload(second.seq_nr), b"efgh");
        let third = b.next_outgoing(now).unwrap();
        assert_eq!(b.payload(third.seq_nr), b"ij");
        assert_eq!(b.write(b"z", 4, None, &mut p).0, 0);
        assert_eq!(b.in_flight_bytes(), 10);
        let acked = b.ack_cumulative(65535, now, &mut p).unwrap();
        assert_eq!((acked.bytes, acked.packets), (8, 2));
        assert_eq!(b.free_bytes(), 8);
        assert_eq!(
            b.ack_cumulative(1, now, &mut p),
            None,
            "acks a packet never sent"
        );
    }

    #[test]
    fn sack_then_loss_detection_resends_hole() {
        let now = Instant::now();
        let mut p = BufferPool::new(1 << 20);
        let mut b = SendBuffer::new(100, 1, 10);
        b.write(&[0; 6], 1, None, &mut p);
        for _ in 0..6 {
            b.next_outgoing(now).unwrap();
        }
        // Peer got nothing of 10, acked 9; SACK for 12, 13, 14 (base = ack + 2 = 11).
        let s = b.ack_selective(11, &[0b1110, 0, 0, 0], now);
        assert_eq!(s.packets, 3);
        // 10 and 11 each have three later transmissions acknowledged.
        assert_eq!(b.detect_losses(3), 2);
        let r1 = b.next_outgoing(now).unwrap();
        let r2 = b.next_outgoing(now).unwrap();
        assert_eq!((r1.seq_nr, r1.retransmission), (10, true));
        assert_eq!((r2.seq_nr, r2.retransmission), (11, true));
        assert_eq!(b.next_outgoing(now), None);
    }

    #[test]
    fn timeout_marks_everything_lost_oldest_first() {
        let now = Instant::now();
        let mut p = BufferPool::new(1 << 20);
        let mut b = SendBuffer::new(100, 1, 0);
        b.write(&[0; 3], 1, None, &mut p);
        for _ in 0..3 {
            b.next_outgoing(now).unwrap();
        }
        assert_eq!(b.mark_all_lost(), 3);
        assert_eq!(b.in_flight_bytes(), 0);
        assert_eq!(b.next_outgoing(now).unwrap().seq_nr, 0);
        assert!(b.ack_cumulative(2, now, &mut p).is_some());
        assert_eq!(b.next_outgoing(now), None);
        assert!(b.is_empty());
        assert_eq!(b.storage_bytes(), 0);
    }
}
