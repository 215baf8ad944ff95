//! A bounded queue of outgoing datagrams in preallocated slots.

use std::net::SocketAddr;

use thiserror::Error;

use crate::Transmit;

/// Why a datagram was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum QueueError {
    /// Every slot holds an unsent datagram; send (or wait for writability) first.
    #[error("send queue is full")]
    Full,
    /// The datagram is longer than a slot.
    #[error("datagram of {len} bytes exceeds the slot size of {slot_size}")]
    TooLarge {
        /// The datagram's length.
        len: usize,
        /// The largest datagram a slot holds.
        slot_size: usize,
    },
}

/// What one queued datagram is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry {
    pub(crate) destination: SocketAddr,
    pub(crate) len: usize,
    pub(crate) dont_fragment: bool,
}

/// A ring of at most `capacity` datagrams of at most `slot_size` bytes, allocated once.
pub struct SendQueue {
    arena: Box<[u8]>,
    entries: Box<[Entry]>,
    slot_size: usize,
    head: usize,
    len: usize,
}

impl SendQueue {
    /// A queue of `capacity` (at least 1) slots of `slot_size` bytes each.
    pub fn new(capacity: usize, slot_size: usize) -> Self {
        let capacity = capacity.max(1);
        let empty = Entry {
            destination: SocketAddr::from(([0, 0, 0, 0], 0)),
            len: 0,
            dont_fragment: false,
        };
        SendQueue {
            arena: vec![0; capacity * slot_size].into_boxed_slice(),
            entries: vec![empty; capacity].into_boxed_slice(),
            slot_size,
            head: 0,
            len: 0,
        }
    }

    /// Datagrams waiting to be sent.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing waits to be sent.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether no more datagrams can be queued.
    pub fn is_full(&self) -> bool {
        self.len == self.entries.len()
    }

    /// The most datagrams the queue holds.
    pub fn capacity(&self) -> usize {
        self.entries.len()
    }

    /// The largest datagram a slot holds.
    pub fn slot_size(&self) -> usize {
        self.slot_size
    }

    /// Makes every slot at least `slot_size` bytes long, keeping the queued datagrams in
    /// order. Does nothing when the slots are already that long.
    pub fn grow_slots(&mut self, slot_size: usize) {
        if slot_size <= self.slot_size {
            return;
        }
        let capacity = self.entries.len();
        let mut arena = vec![0; capacity * slot_size].into_boxed_slice();
        let mut entries = self.entries.clone();
        for i in 0..self.len {
            let from = (self.head + i) % capacity;
            let entry = self.entries[from];
            let src = from * self.slot_size;
            arena[i * slot_size..i * slot_size + entry.len]
                .copy_from_slice(&self.arena[src..src + entry.len]);
            entries[i] = entry;
        }
        self.arena = arena;
        self.entries = entries;
        self.slot_size = slot_size;
        self.head = 0;
    }

    /// Copies `data` into the queue.
    pub fn push(
        &mut self,
        destination: SocketAddr,
        data: &[u8],
        dont_fragment: bool,
    ) -> Result<(), QueueError> {
        let transmit = Transmit {
            destination,
            len: data.len(),
            dont_fragment,
        };
        let slot_size = self.slot_size;
        let pushed = self.push_with(|buf| {
            if let Some(dst) = buf.get_mut(..data.len()) {
                dst.copy_from_slice(data);
            }
            Some(transmit)
        });
        match pushed {
            Ok(_) => Ok(()),
            Err(QueueError::TooLarge { len, .. }) => Err(QueueError::TooLarge { len, slot_size }),
            Err(e) => Err(e),
        }
    }

    /// Lets `fill` write a datagram straight into the next free slot (no copy).
    /// `Ok(true)` when one was queued, `Ok(false)` when `fill` had nothing; `fill` is not
    /// called when the queue is full.
    pub fn push_with(
        &mut self,
        fill: impl FnOnce(&mut [u8]) -> Option<Transmit>,
    ) -> Result<bool, QueueError> {
        if self.is_full() {
            return Err(QueueError::Full);
        }
        let index = (self.head + self.len) % self.entries.len();
        let start = index * self.slot_size;
        let slot = &mut self.arena[start..start + self.slot_size];
        let Some(transmit) = fill(slot) else {
            return Ok(false);
        };
        if transmit.len > self.slot_size {
            return Err(QueueError::TooLarge {
                len: transmit.len,
                slot_size: self.slot_size,
            });
        }
        self.entries[index] = Entry {
            destination: transmit.destination,
            len: transmit.len,
            dont_fragment: transmit.dont_fragment,
        };
        self.len += 1;
        Ok(true)
    }

    /// The `i`-th queued datagram (0 = oldest) and the offset of its bytes in the arena.
    pub(crate) fn get(&self, i: usize) -> Option<(Entry, usize)> {
        if i >= self.len {
            return None;
        }
        let index = (self.head + i) % self.entries.len();
        Some((self.entries[index], index * self.slot_size))
    }

    /// The base of the slot arena, to which offsets from [`get`](Self::get) are added.
    pub(crate) fn arena_ptr(&mut self) -> *mut u8 {
        self.arena.as_mut_ptr()
    }

    /// Forgets the `n` oldest datagrams (sent or dropped).
    pub(crate) fn pop_front(&mut self, n: usize) {
        let n = n.min(self.len);
        self.head = (self.head + n) % self.entries.len();
        self.len -= n;
    }

    /// Drops everything queued.
    pub fn clear(&mut self) {
        self.pop_front(self.len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    #[test]
    fn bounded_and_wraps() {
        let mut q = SendQueue::new(3, 8);
        for i in 0..3u8 {
            q.push(addr(1), &[i; 4], false).unwrap();
        }
        assert_eq!(q.push(addr(1), &[9], false), Err(QueueError::Full));
        q.pop_front(2);
        q.push(addr(2), &[7; 8], true).unwrap();
        let (e, _) = q.get(1).unwrap();
        assert_eq!((e.destination, e.len, e.dont_fragment), (addr(2), 8, true));
        assert_eq!(q.len(), 2);
        assert!(q.get(2).is_none());
    }

    #[test]
    fn growing_the_slots_keeps_queued_datagrams_in_order() {
        let mut q = SendQueue::new(3, 4);
        q.push(addr(1), &[1; 4], false).unwrap();
        q.push(addr(2), &[2; 3], true).unwrap();
        q.pop_front(1);
        q.push(addr(3), &[3; 2], false).unwrap();
        q.push(addr(4), &[4; 1], false).unwrap(); // wrapped to the first slot
        q.grow_slots(2); // smaller: nothing changes
        assert_eq!(q.slot_size(), 4);
        q.grow_slots(16);
        assert_eq!((q.slot_size(), q.len(), q.capacity()), (16, 3, 3));
        let queued: Vec<_> = (0..3)
            .map(|i| {
                let (e, at) = q.get(i).unwrap();
                (
                    e.destination,
                    e.dont_fragment,
                    q.arena[at..at + e.len].to_vec(),
                )
            })
            .collect();
        assert_eq!(
            queued,
            [
                (addr(2), true, vec![2; 3]),
                (addr(3), false, vec![3; 2]),
                (addr(4), false, vec![4; 1]),
            ]
        );
        assert_eq!(q.push(addr(5), &[5; 16], false), Err(QueueError::Full));
        q.pop_front(1);
        q.push(addr(5), &[5; 16], false).unwrap();
        assert_eq!(q.get(2).unwrap().0.len, 16);
    }

    #[test]
    fn rejects_oversized() {
        let mut q = SendQueue::new(2, 8);
        assert_eq!(
            q.push(addr(1), &[0; 9], false),
            Err(QueueError::TooLarge {
                len: 9,
                slot_size: 8
            })
        );
        assert!(q.is_empty());
        assert_eq!(q.push_with(|_| None), Ok(false));
    }
}
