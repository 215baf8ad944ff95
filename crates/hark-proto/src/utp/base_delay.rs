//! RFC 6817's base-delay history: the minimum one-way delay over the last
//! [`BASE_HISTORY`] minutes, kept as one minimum per minute, with the clock-drift correction
//! deployed uTP implementations use (RFC 6817 appendix A: the reverse direction's delays
//! reveal the drift).
//!
//! A one-way delay sample is the receiver's clock minus the sender's timestamp, so it carries
//! the offset between the two clocks. A fixed offset cancels out of `current - base`; a
//! drifting one does not. When the receiver's clock runs slow the samples fall and the
//! minimum follows at once. When it runs fast they rise by the drift (100 ppm: 6 ms per
//! minute) and a base kept for up to ten minutes reads the drift as queuing delay. The same
//! drift makes the reverse direction's samples (our clock minus the peer's timestamp) fall,
//! and their minimum follows at once: each time the reverse base falls, the forward base is
//! raised by as much. A single step larger than [`MAX_DRIFT_STEP_US`] is not drift (a
//! reverse-path queue draining, a clock stepped by NTP) and moves nothing.

use std::time::{Duration, Instant};

/// Number of per-minute minima kept for the base delay.
pub const BASE_HISTORY: usize = 10;
const MINUTE: Duration = Duration::from_secs(60);
/// Largest fall of the reverse base delay taken as clock drift, microseconds.
pub const MAX_DRIFT_STEP_US: u32 = 10_000;

/// `a < b` for clock values that may wrap.
pub(crate) fn wrapping_lt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

pub(crate) fn wrapping_min(a: u32, b: u32) -> u32 {
    if wrapping_lt(a, b) { a } else { b }
}

/// Per-minute minima of raw delay samples (microseconds, wrapping).
#[derive(Debug, Clone)]
pub(crate) struct DelayHistory {
    minima: [u32; BASE_HISTORY],
    filled: usize,
    index: usize,
    minute_started: Option<Instant>,
}

impl DelayHistory {
    pub(crate) fn new() -> Self {
        Self {
            minima: [0; BASE_HISTORY],
            filled: 0,
            index: 0,
            minute_started: None,
        }
    }

    /// Records one sample; a new minute opens a new slot, dropping the oldest.
    pub(crate) fn add(&mut self, now: Instant, sample_us: u32) {
        match self.minute_started {
            None => {
                self.minute_started = Some(now);
                self.minima[0] = sample_us;
                self.filled = 1;
                self.index = 0;
            }
            Some(start) if now.saturating_duration_since(start) >= MINUTE => {
                self.minute_started = Some(now);
                self.index = (self.index + 1) % BASE_HISTORY;
                self.minima[self.index] = sample_us;
                self.filled = (self.filled + 1).min(BASE_HISTORY);
            }
            Some(_) => {
                let slot = &mut self.minima[self.index];
                *slot = wrapping_min(*slot, sample_us);
            }
        }
    }

    /// The minimum over the kept minutes.
    pub(crate) fn base(&self) -> Option<u32> {
        self.minima[..self.filled]
            .iter()
            .copied()
            .reduce(wrapping_min)
    }

    /// Adds `by` microseconds to every kept minimum.
    pub(crate) fn raise(&mut self, by: u32) {
        for m in &mut self.minima[..self.filled] {
            *m = m.wrapping_add(by);
        }
    }
}

/// The forward base delay, corrected for clock drift with the reverse direction's.
#[derive(Debug, Clone)]
pub(crate) struct BaseDelay {
    forward: DelayHistory,
    reverse: DelayHistory,
    correct_drift: bool,
    /// Total the forward base was raised by, microseconds.
    corrected_us: u64,
}

impl BaseDelay {
    pub(crate) fn new(correct_drift: bool) -> Self {
        Self {
            forward: DelayHistory::new(),
            reverse: DelayHistory::new(),
            correct_drift,
            corrected_us: 0,
        }
    }

    /// Records a forward sample (the peer's clock minus our timestamp).
    pub(crate) fn on_forward(&mut self, now: Instant, sample_us: u32) {
        self.forward.add(now, sample_us);
    }

    /// Records a reverse sample (our clock minus the peer's timestamp); a fall of the
    /// reverse base raises the forward base by as much (see the module documentation).
    pub(crate) fn on_reverse(&mut self, now: Instant, sample_us: u32) {
        let before = self.reverse.base();
        self.reverse.add(now, sample_us);
        let (Some(before), Some(after)) = (before, self.reverse.base()) else {
            return;
        };
        if self.correct_drift && wrapping_lt(after, before) {
            let fall = before.wrapping_sub(after);
            if fall <= MAX_DRIFT_STEP_US {
                self.forward.raise(fall);
                self.corrected_us += u64::from(fall);
            }
        }
    }

    /// The forward base delay.
    pub(crate) fn base(&self) -> Option<u32> {
        self.forward.base()
    }

    /// How far drift correction has raised the forward base so far.
    pub(crate) fn corrected(&self) -> Duration {
        Duration::from_micros(self.corrected_us)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_falling_reverse_base_raises_the_forward_base_in_small_steps_only() {
        let t0 = Instant::now();
        let mut b = BaseDelay::new(true);
        b.on_forward(t0, 50_000);
        b.on_reverse(t0, 70_000);
        b.on_reverse(t0, 69_000);
        assert_eq!(b.base(), Some(51_000));
        // A rise of the reverse samples changes nothing; neither does a jump of 20 ms.
        b.on_reverse(t0, 75_000);
        b.on_reverse(t0, 49_000);
        assert_eq!(b.base(), Some(51_000));
        assert_eq!(b.corrected(), Duration::from_millis(1));
        let mut off = BaseDelay::new(false);
        off.on_forward(t0, 50_000);
        off.on_reverse(t0, 70_000);
        off.on_reverse(t0, 69_000);
        assert_eq!(off.base(), Some(50_000));
    }
}
