//! One direction of a path: the per-packet decisions of a [`LinkConfig`].

use backlog::Backlog;
use core::time::Duration;

use super::config::{JitterOrder, LinkConfig};
use super::rng::SimRng;
use super::stats::{DropCause, LinkStats};

/// Identifies a link inside one [`Sim`](super::Sim).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LinkId(pub(crate) usize);

impl LinkId {
    /// The link's index, in creation order.
    pub fn index(self) -> usize {
        self.0
    }
}

/// What happened to a packet at the entrance of a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Entry {
    /// The packet goes on; `duplicate` asks for a second copy.
    Pass { duplicate: bool },
    /// The packet is gone.
    Drop(DropCause),
}

/// A packet admitted onto a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Scheduled {
    /// Virtual time of arrival at the far end.
    pub(crate) arrival: Duration,
    /// Time spent waiting in the queue.
    pub(crate) queue_delay: Duration,
}

/// The state of one link: its config, random stream, burst state, queue and counters.
#[derive(Debug, Clone)]
pub(crate) struct Link {
    config: LinkConfig,
    rng: SimRng,
    burst_bad: bool,
    busy_until: Duration,
    backlog: Backlog,
    last_arrival: Duration,
    pub(crate) stats: LinkStats,
}

impl Link {
    /// A fresh, empty link drawing from `rng`.
    pub(crate) fn new(config: LinkConfig, rng: SimRng) -> Self {
        Self {
            config,
            rng,
            burst_bad: false,
            busy_until: Duration::ZERO,
            backlog: Backlog::default(),
            last_arrival: Duration::ZERO,
            stats: LinkStats::default(),
        }
    }

    /// The link's configuration.
    pub(crate) fn config(&self) -> &LinkConfig {
        &self.config
    }

    /// Replaces the configuration; the queue and counters carry on.
    pub(crate) fn set_config(&mut self, config: LinkConfig) {
        self.config = config;
    }

    /// Restarts the counters at virtual time `now`.
    pub(crate) fn reset_stats(&mut self, now: Duration) {
        let mut samples = core::mem::take(&mut self.stats.queue_delay);
        samples.clear();
        self.stats = LinkStats {
            since: now,
            queue_delay: samples,
            ..LinkStats::default()
        };
    }

    /// Size check, random loss, burst loss and the duplication draw for a packet of `len` bytes.
    pub(crate) fn enter(&mut self, len: usize) -> Entry {
        self.stats.packets_in += 1;
        self.stats.bytes_in += len as u64;
        if self.config.max_packet.is_some_and(|max| len > max) {
            return self.drop(DropCause::TooBig);
        }
        if self.rng.chance(self.config.loss) {
            return self.drop(DropCause::RandomLoss);
        }
        if let Some(ge) = self.config.burst_loss {
            let loss = if self.burst_bad {
                ge.loss_in_bad
            } else {
                ge.loss_in_good
            };
            let lost = self.rng.chance(loss);
            let flip = if self.burst_bad {
                ge.bad_to_good
            } else {
                ge.good_to_bad
            };
            if self.rng.chance(flip) {
                self.burst_bad = !self.burst_bad;
            }
            if lost {
                return self.drop(DropCause::BurstLoss);
            }
        }
        let duplicate = self.rng.chance(self.config.duplicate);
        if duplicate {
            self.stats.duplicated += 1;
            self.stats.packets_in += 1;
            self.stats.bytes_in += len as u64;
        }
        Entry::Pass { duplicate }
    }

    /// Counts a drop and reports it.
    fn drop(&mut self, cause: DropCause) -> Entry {
        self.stats.drops.record(cause);
        Entry::Drop(cause)
    }

    /// Maybe flips bits within the first `header_bytes` of `data`; returns whether it did.
    pub(crate) fn corrupt(&mut self, data: &mut [u8]) -> bool {
        let corruption = self.config.corruption;
        let span = corruption.header_bytes.min(data.len());
        if span == 0 || !self.rng.chance(corruption.probability) {
            return false;
        }
        let bits = (span as u64) * 8;
        for _ in 0..corruption.bits {
            let bit = self.rng.below(bits);
            if let Some(byte) = data.get_mut((bit / 8) as usize) {
                *byte ^= 1 << (bit % 8);
            }
        }
        self.stats.corrupted += 1;
        true
    }

    /// Queues a packet of `len` bytes entering at `now`: when it reaches the far end and how
    /// long it waits in the queue, or the drop-tail verdict.
    pub(crate) fn schedule(&mut self, now: Duration, len: usize) -> Result<Scheduled, DropCause> {
        let (departure, queue_delay) = match self.config.rate_bps {
            None => (now, Duration::ZERO),
            Some(rate) => self.serialise(now, len, rate)?,
        };
        let mut arrival = departure + self.config.delay;
        let jitter = self.config.jitter;
        if !jitter.max.is_zero() {
            let max_nanos = u64::try_from(jitter.max.as_nanos()).unwrap_or(u64::MAX);
            arrival += Duration::from_nanos(self.rng.below(max_nanos.saturating_add(1)));
        }
        if jitter.order == JitterOrder::KeepOrder {
            arrival = arrival.max(self.last_arrival);
        }
        let reorder = self.config.reorder;
        if self.rng.chance(reorder.probability) {
            self.stats.reordered += 1;
            arrival += reorder.extra_delay;
        } else if jitter.order == JitterOrder::KeepOrder {
            self.last_arrival = arrival;
        }
        Ok(Scheduled {
            arrival,
            queue_delay,
        })
    }

    /// The drop-tail queue in front of a `rate` bit/s serialiser: returns the departure time and
    /// the wait before serialisation.
    fn serialise(
        &mut self,
        now: Duration,
        len: usize,
        rate: u64,
    ) -> Result<(Duration, Duration), DropCause> {
        self.backlog.drain_until(now);
        let transmission = transmission_time(len, rate);
        let wait = self.busy_until.saturating_sub(now);
        let limit = self.config.queue;
        let over_bytes = limit
            .bytes
            .is_some_and(|max| self.backlog.bytes().saturating_add(len) > max);
        let over_time = limit.time.is_some_and(|max| wait + transmission > max);
        if over_bytes || over_time {
            self.stats.drops.record(DropCause::QueueFull);
            return Err(DropCause::QueueFull);
        }
        let departure = now.max(self.busy_until) + transmission;
        self.busy_until = departure;
        self.backlog.push(departure, len);
        self.stats.queue_delay.push(wait);
        Ok((departure, wait))
    }

    /// Counts a packet that reached the far end.
    pub(crate) fn record_exit(&mut self, len: usize) {
        self.stats.packets_out += 1;
        self.stats.bytes_out += len as u64;
    }

    /// Bytes currently queued or being serialised, as of the last packet that entered.
    #[cfg(test)]
    pub(crate) fn backlog_bytes(&self) -> usize {
        self.backlog.bytes()
    }
}

/// Time to serialise `len` bytes at `rate` bit/s, rounded up to the nanosecond.
pub(crate) fn transmission_time(len: usize, rate: u64) -> Duration {
    let bits = len as u128 * 8 * 1_000_000_000;
    let rate = u128::from(rate.max(1));
    let nanos = bits.div_ceil(rate);
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

mod backlog {
    //! The queue's contents as (departure, size) pairs, kept in a reused ring buffer.

    use std::collections::VecDeque;

    use core::time::Duration;

    /// Packets queued or in service, oldest first.
    #[derive(Debug, Clone, Default)]
    pub(crate) struct Backlog {
        entries: VecDeque<(Duration, usize)>,
        bytes: usize,
    }

    impl Backlog {
        /// Forgets packets that have fully departed by `now`.
        pub(crate) fn drain_until(&mut self, now: Duration) {
            while let Some(&(departure, len)) = self.entries.front() {
                if departure > now {
                    break;
                }
                self.bytes -= len;
                self.entries.pop_front();
            }
        }

        /// Adds a packet departing at `departure`.
        pub(crate) fn push(&mut self, departure: Duration, len: usize) {
            self.bytes += len;
            self.entries.push_back((departure, len));
        }

        /// Total bytes held.
        pub(crate) fn bytes(&self) -> usize {
            self.bytes
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netsim::config::GilbertElliott;

    fn link(config: LinkConfig) -> Link {
        Link::new(config, SimRng::new(42))
    }

    #[test]
    fn transmission_time_is_exact_for_round_numbers() {
        assert_eq!(
            transmission_time(1250, 10_000_000),
            Duration::from_millis(1)
        );
        assert_eq!(transmission_time(1, 3), Duration::from_nanos(2_666_666_667));
    }

    #[test]
    fn ideal_link_delivers_after_the_delay() {
        let mut l = link(LinkConfig::new().delay(Duration::from_millis(5)));
        assert_eq!(l.enter(100), Entry::Pass { duplicate: false });
        let scheduled = l.schedule(Duration::from_millis(1), 100).unwrap();
        assert_eq!(scheduled.arrival, Duration::from_millis(6));
    }

    #[test]
    fn queue_serialises_back_to_back() {
        let mut l = link(LinkConfig::new().rate_bps(10_000_000));
        let now = Duration::ZERO;
        assert_eq!(
            l.schedule(now, 1250).unwrap().arrival,
            Duration::from_millis(1)
        );
        let second = l.schedule(now, 1250).unwrap();
        assert_eq!(second.arrival, Duration::from_millis(2));
        assert_eq!(second.queue_delay, Duration::from_millis(1));
        assert_eq!(l.backlog_bytes(), 2500);
        assert_eq!(
            l.stats.queue_delay.as_slice(),
            &[Duration::ZERO, Duration::from_millis(1)]
        );
        let later = l.schedule(Duration::from_millis(5), 1250).unwrap();
        assert_eq!(later.arrival, Duration::from_millis(6));
        assert_eq!(l.backlog_bytes(), 1250);
    }

    #[test]
    fn byte_limit_drops_tail() {
        let mut l = link(LinkConfig::new().rate_bps(8_000).queue_bytes(250));
        assert!(l.schedule(Duration::ZERO, 100).is_ok());
        assert!(l.schedule(Duration::ZERO, 100).is_ok());
        assert_eq!(l.schedule(Duration::ZERO, 100), Err(DropCause::QueueFull));
        assert!(l.schedule(Duration::ZERO, 50).is_ok());
        assert_eq!(l.stats.drops.queue_full, 1);
    }

    #[test]
    fn burst_loss_in_bad_state_loses_everything() {
        let ge = GilbertElliott {
            good_to_bad: 1.0,
            bad_to_good: 0.0,
            loss_in_good: 0.0,
            loss_in_bad: 1.0,
        };
        let mut l = link(LinkConfig::new().burst_loss(ge));
        assert_eq!(l.enter(10), Entry::Pass { duplicate: false });
        for _ in 0..10 {
            assert_eq!(l.enter(10), Entry::Drop(DropCause::BurstLoss));
        }
    }

    #[test]
    fn oversized_packets_are_dropped() {
        let mut l = link(LinkConfig::new().max_packet(100));
        assert_eq!(l.enter(101), Entry::Drop(DropCause::TooBig));
        assert_eq!(l.enter(100), Entry::Pass { duplicate: false });
    }

    #[test]
    fn corruption_of_empty_packet_does_nothing() {
        let mut l = link(LinkConfig::new().corrupt(1.0, 4));
        assert!(!l.corrupt(&mut []));
        let mut one = [0u8];
        assert!(l.corrupt(&mut one));
        assert_eq!(one[0].count_ones(), 1);
    }
}
