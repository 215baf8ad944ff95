//! The bounded event queue: a main lane, a reserved lane for guaranteed kinds, and a record
//! of the current gap left by dropped events.
//!
//! Events enter in sequence order. A droppable event that finds the main lane full is
//! dropped and counted; each run of drops not interrupted by a queued event (a gap) comes
//! out as one `events_dropped` event placed exactly where the gap is. Gaps are separated by
//! queued events, so there are at most as many as queued events plus one. A
//! guaranteed event that finds the main lane full takes the reserved lane; if that is full
//! too, it is handed back to the producer ([`ReservedLaneFull`]), never dropped. Popping
//! merges both lanes by sequence number, so the stream keeps emission order.

use super::event::Event;
use super::kind::Delivery;
use super::kinds::{EventsDropped, KindId};
use std::collections::VecDeque;

/// A guaranteed event found both lanes full; it is handed back, not lost. The producer
/// should stop producing (apply backpressure) until the application drains the hub.
#[derive(Debug, thiserror::Error)]
#[error("the event hub's reserved lane is full; `{}` was not queued", .event.name())]
pub struct ReservedLaneFull {
    /// The event that was not queued.
    pub event: Box<Event>,
}

/// What became of an event handed to the hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Emitted {
    /// It is in the queue.
    Queued,
    /// The listeners already had it (listeners-only mode with nothing queued before it).
    Delivered,
    /// The severity or category filter discarded it.
    Filtered,
    /// The queue was full; it is counted in the next `events_dropped`.
    Dropped,
}

const KIND_COUNT: usize = KindId::ALL.len();

#[derive(Debug)]
struct Gap {
    first_sequence: u64,
    count: u64,
    per_kind: [u64; KIND_COUNT],
}

#[derive(Debug)]
pub(crate) struct EventQueue {
    main: VecDeque<Event>,
    reserved: VecDeque<Event>,
    capacity: usize,
    reserved_capacity: usize,
    gaps: VecDeque<Gap>,
    last_queued: Option<u64>,
}

impl EventQueue {
    pub(crate) fn new(capacity: usize, reserved_capacity: usize) -> Self {
        EventQueue {
            main: VecDeque::with_capacity(capacity.min(4096)),
            reserved: VecDeque::new(),
            capacity,
            reserved_capacity,
            gaps: VecDeque::new(),
            last_queued: None,
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    pub(crate) fn reserved_capacity(&self) -> usize {
        self.reserved_capacity
    }

    /// Events waiting, counting each pending `events_dropped` as one.
    pub(crate) fn len(&self) -> usize {
        self.main.len() + self.reserved.len() + self.gaps.len()
    }

    pub(crate) fn push(&mut self, event: Event) -> Result<Emitted, ReservedLaneFull> {
        let sequence = event.sequence;
        if self.main.len() < self.capacity {
            self.main.push_back(event);
            self.last_queued = Some(sequence);
            return Ok(Emitted::Queued);
        }
        let id = event.kind.id();
        match id.info().delivery {
            Delivery::Guaranteed if self.reserved.len() < self.reserved_capacity => {
                self.reserved.push_back(event);
                self.last_queued = Some(sequence);
                Ok(Emitted::Queued)
            }
            Delivery::Guaranteed => Err(ReservedLaneFull {
                event: Box::new(event),
            }),
            Delivery::Droppable => {
                let last_queued = self.last_queued;
                let gap_is_open = self.gaps.back().is_some_and(|gap| {
                    last_queued.is_none_or(|queued| queued < gap.first_sequence)
                });
                if !gap_is_open {
                    self.gaps.push_back(Gap {
                        first_sequence: sequence,
                        count: 0,
                        per_kind: [0; KIND_COUNT],
                    });
                }
                if let Some(gap) = self.gaps.back_mut() {
                    gap.count += 1;
                    if let Some(count) = gap.per_kind.get_mut(id.index()) {
                        *count += 1;
                    }
                }
                Ok(Emitted::Dropped)
            }
        }
    }

    pub(crate) fn pop(&mut self) -> Option<Event> {
        let main_next = self.main.front().map(|event| event.sequence);
        let reserved_next = self.reserved.front().map(|event| event.sequence);
        let next = match (main_next, reserved_next) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if let Some(gap) = self.gaps.front() {
            if next.is_none_or(|sequence| sequence > gap.first_sequence) {
                return self.gaps.pop_front().map(gap_event);
            }
        }
        if next.is_some() && next == reserved_next {
            self.reserved.pop_front()
        } else {
            self.main.pop_front()
        }
    }
}

fn gap_event(gap: Gap) -> Event {
    let kinds = KindId::ALL
        .iter()
        .zip(gap.per_kind)
        .filter(|(_, count)| *count > 0)
        .map(|(kind, count)| (*kind, count))
        .collect();
    let mut event = Event::new(
        EventsDropped {
            count: gap.count,
            kinds,
        },
        None,
    );
    event.sequence = gap.first_sequence;
    event
}
