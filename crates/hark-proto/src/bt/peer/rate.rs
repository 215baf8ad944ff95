//! A transfer rate over a rolling window of whole seconds, on the caller's clock.

use std::time::{Duration, Instant};

/// Seconds in the window.
const WINDOW: usize = 5;

/// Bytes per second over the last [`WINDOW`] seconds.
///
/// Bytes go into one-second buckets counted from an epoch; the rate is the sum of the
/// buckets still in the window divided by the window's length (shorter at the start, so
/// the first second is not diluted).
#[derive(Debug, Clone)]
pub(super) struct RateMeter {
    epoch: Instant,
    buckets: [u64; WINDOW],
    /// The second (since `epoch`) the newest bucket holds.
    current: u64,
}

impl RateMeter {
    pub(super) fn new(epoch: Instant) -> Self {
        Self {
            epoch,
            buckets: [0; WINDOW],
            current: 0,
        }
    }

    fn second(&self, now: Instant) -> u64 {
        now.saturating_duration_since(self.epoch).as_secs()
    }

    /// Moves the window forward to `now`, emptying the buckets it leaves behind.
    fn advance(&mut self, now: Instant) {
        let second = self.second(now);
        if second <= self.current {
            return;
        }
        let gap = (second - self.current).min(WINDOW as u64);
        for step in 1..=gap {
            self.buckets[((self.current + step) % WINDOW as u64) as usize] = 0;
        }
        self.current = second;
    }

    /// Counts `bytes` at `now`.
    pub(super) fn record(&mut self, now: Instant, bytes: u64) {
        self.advance(now);
        let slot = (self.current % WINDOW as u64) as usize;
        self.buckets[slot] = self.buckets[slot].saturating_add(bytes);
    }

    /// Bytes per second at `now` (a `now` before the newest bucket reads the window as it
    /// is).
    pub(super) fn rate(&self, now: Instant) -> u64 {
        let second = self.second(now).max(self.current);
        // The buckets hold seconds current - WINDOW + 1 ..= current; those still inside the
        // window ending at `second` count.
        let first = (second + 1).saturating_sub(WINDOW as u64);
        let sum: u64 = (first..=self.current)
            .map(|s| self.buckets[(s % WINDOW as u64) as usize])
            .sum();
        let elapsed = now.saturating_duration_since(self.epoch);
        let span = elapsed
            .min(Duration::from_secs(WINDOW as u64))
            .max(Duration::from_secs(1));
        (sum as f64 / span.as_secs_f64()) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_follows_the_window() {
        let t0 = Instant::now();
        let mut meter = RateMeter::new(t0);
        meter.record(t0, 100_000);
        assert_eq!(meter.rate(t0), 100_000);
        for s in 1..5 {
            meter.record(t0 + Duration::from_secs(s), 100_000);
        }
        // 500 000 bytes in 4.5 s.
        assert_eq!(meter.rate(t0 + Duration::from_millis(4500)), 111_111);
        // Five silent seconds empty the window.
        assert_eq!(meter.rate(t0 + Duration::from_secs(10)), 0);
        // A time before the epoch or before the newest bucket counts into the newest one.
        meter.record(t0 + Duration::from_secs(10), 0);
        meter.record(t0, 5);
        assert_eq!(meter.rate(t0 + Duration::from_secs(10)), 1);
    }
}
