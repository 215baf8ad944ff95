//! The endpoint's timer queue: when each connection next needs `handle_timeout`, kept in a
//! binary heap with lazy invalidation, so the earliest wakeup is O(1) to read and O(log n)
//! amortised to maintain, however many connections there are.
//!
//! Each connection (by slab index) has at most one *current* deadline, recorded beside the
//! heap. Rescheduling records the new deadline and pushes it; the old heap entry stays
//! behind, stale, and is discarded when it reaches the top. After every operation the top
//! entry is current, so the heap's minimum is the endpoint's next wakeup. Stale entries are
//! bounded: when they outnumber the current ones the heap is rebuilt in place.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

/// Stale entries tolerated beyond the current ones before the heap is rebuilt.
const SLACK: usize = 64;

/// Deadlines of the endpoint's connections, by slab index.
#[derive(Debug, Default)]
pub(crate) struct TimerQueue {
    heap: BinaryHeap<Reverse<(Instant, usize)>>,
    /// The current deadline of each slab index.
    scheduled: Vec<Option<Instant>>,
    /// How many entries of `scheduled` are `Some`.
    current: usize,
}

impl TimerQueue {
    /// Records that slab index `index` next wants a timeout at `at` (or never).
    pub(crate) fn schedule(&mut self, index: usize, at: Option<Instant>) {
        if self.scheduled.len() <= index {
            if at.is_none() {
                return;
            }
            self.scheduled.resize(index + 1, None);
        }
        let slot = &mut self.scheduled[index];
        if *slot == at {
            return;
        }
        match (*slot, at) {
            (None, Some(_)) => self.current += 1,
            (Some(_), None) => self.current -= 1,
            _ => {}
        }
        *slot = at;
        if let Some(at) = at {
            self.heap.push(Reverse((at, index)));
        }
        self.settle();
    }

    /// The earliest current deadline.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((at, _))| *at)
    }

    /// Moves the indices whose deadline is at or before `now` into `due` (their deadlines
    /// are cleared: reschedule them after handling).
    pub(crate) fn pop_due(&mut self, now: Instant, due: &mut Vec<usize>) {
        while let Some(&Reverse((at, index))) = self.heap.peek() {
            if at > now {
                break;
            }
            self.heap.pop();
            if self.is_current(at, index) {
                self.scheduled[index] = None;
                self.current -= 1;
                due.push(index);
            }
        }
        self.settle();
    }

    fn is_current(&self, at: Instant, index: usize) -> bool {
        self.scheduled.get(index) == Some(&Some(at))
    }

    /// Restores the invariants: a current entry on top, and stale entries bounded.
    fn settle(&mut self) {
        if self.heap.len() > 2 * self.current + SLACK {
            // Rebuilt in place: the heap keeps its capacity, so this does not allocate.
            self.heap.clear();
            let entries = self
                .scheduled
                .iter()
                .enumerate()
                .filter_map(|(index, at)| at.map(|at| Reverse((at, index))));
            self.heap.extend(entries);
        }
        while let Some(&Reverse((at, index))) = self.heap.peek() {
            if self.is_current(at, index) {
                break;
            }
            self.heap.pop();
        }
    }

    /// Entries held, stale ones included (for tests of the bound).
    #[cfg(test)]
    pub(crate) fn heap_len(&self) -> usize {
        self.heap.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(t0: Instant, ms: u64) -> Option<Instant> {
        Some(t0 + Duration::from_millis(ms))
    }

    #[test]
    fn earliest_current_deadline_wins_and_stale_ones_vanish() {
        let t0 = Instant::now();
        let mut q = TimerQueue::default();
        assert_eq!(q.next(), None);
        q.schedule(3, at(t0, 50));
        q.schedule(1, at(t0, 20));
        assert_eq!(q.next(), at(t0, 20));
        // Moving index 1 later leaves its old entry stale; it must not be reported.
        q.schedule(1, at(t0, 80));
        assert_eq!(q.next(), at(t0, 50));
        q.schedule(3, None);
        assert_eq!(q.next(), at(t0, 80));
        q.schedule(1, None);
        assert_eq!(q.next(), None);
        // Unscheduling an index never seen is a no-op.
        q.schedule(99, None);
        assert_eq!(q.next(), None);
    }

    #[test]
    fn pop_due_returns_each_due_index_once() {
        let t0 = Instant::now();
        let mut q = TimerQueue::default();
        for index in 0..10 {
            q.schedule(index, at(t0, 10 * index as u64));
        }
        q.schedule(4, at(t0, 500)); // moved out of the window
        let mut due = Vec::new();
        q.pop_due(t0 + Duration::from_millis(45), &mut due);
        due.sort_unstable();
        assert_eq!(due, [0, 1, 2, 3]);
        assert_eq!(q.next(), at(t0, 50));
        due.clear();
        q.pop_due(t0 + Duration::from_millis(45), &mut due);
        assert!(due.is_empty(), "a spurious call finds nothing");
    }

    #[test]
    fn stale_entries_stay_bounded() {
        let t0 = Instant::now();
        let mut q = TimerQueue::default();
        // One connection moving its deadline earlier every time: each move strands an
        // entry below the top that only a rebuild removes.
        for step in 0..10_000u64 {
            q.schedule(0, at(t0, 1_000_000 - step));
            q.schedule(1, at(t0, 2_000_000 + step));
        }
        assert!(
            q.heap_len() <= 2 * 2 + SLACK + 1,
            "{} entries",
            q.heap_len()
        );
        assert_eq!(q.next(), at(t0, 1_000_000 - 9_999));
    }
}
