//! LEDBAT congestion control (RFC 6817) as uTP uses it.
//!
//! The one-way delay comes from the peer's timestamp differences. The base delay is the
//! minimum over a history of per-minute minima, the current delay the minimum of the last
//! few samples; their difference, the queuing delay, steers the window towards the target.

use std::time::{Duration, Instant};

/// Number of per-minute minima kept for the base delay.
pub const BASE_HISTORY: usize = 10;
/// Number of recent samples whose minimum is the current delay.
const CURRENT_FILTER: usize = 4;
const MINUTE: Duration = Duration::from_secs(60);

/// `a < b` for clock values that may wrap.
fn wrapping_lt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

fn wrapping_min(a: u32, b: u32) -> u32 {
    if wrapping_lt(a, b) { a } else { b }
}

/// Tunables of the controller.
#[derive(Debug, Clone, Copy)]
pub struct LedbatConfig {
    /// Queuing delay the controller aims for.
    pub target_delay: Duration,
    /// Largest window growth per round trip, bytes.
    pub max_increase_per_rtt: usize,
    /// Largest congestion window, bytes.
    pub max_window: usize,
    /// Initial window, packets.
    pub initial_window_packets: usize,
}

/// The congestion window and the delay estimates that drive it.
#[derive(Debug, Clone)]
pub struct Ledbat {
    config: LedbatConfig,
    mss: usize,
    cwnd: usize,
    ssthresh: usize,
    slow_start: bool,
    minima: [u32; BASE_HISTORY],
    minima_filled: usize,
    minute_index: usize,
    minute_started: Option<Instant>,
    recent: [u32; CURRENT_FILTER],
    recent_filled: usize,
    recent_index: usize,
    queuing_delay_us: u32,
    last_sample_us: Option<u32>,
}

impl Ledbat {
    /// A controller in slow start with the initial window.
    pub fn new(config: LedbatConfig, mss: usize) -> Self {
        let mss = mss.max(1);
        let cwnd = (config.initial_window_packets.max(1) * mss).min(config.max_window.max(mss));
        Self {
            config,
            mss,
            cwnd,
            ssthresh: usize::MAX,
            slow_start: true,
            minima: [0; BASE_HISTORY],
            minima_filled: 0,
            minute_index: 0,
            minute_started: None,
            recent: [0; CURRENT_FILTER],
            recent_filled: 0,
            recent_index: 0,
            queuing_delay_us: 0,
            last_sample_us: None,
        }
    }

    /// Changes the packet size the window is measured against.
    pub fn set_mss(&mut self, mss: usize) {
        self.mss = mss.max(1);
        self.cwnd = self.cwnd.max(self.mss);
    }

    /// Changes the target queuing delay.
    pub fn set_target_delay(&mut self, target: Duration) {
        self.config.target_delay = target;
    }

    /// The congestion window in bytes.
    pub fn window(&self) -> usize {
        self.cwnd
    }

    /// True while the window still grows exponentially.
    pub fn in_slow_start(&self) -> bool {
        self.slow_start
    }

    /// Estimated queuing delay from the latest samples.
    pub fn queuing_delay(&self) -> Duration {
        Duration::from_micros(u64::from(self.queuing_delay_us))
    }

    /// The base (minimum) one-way delay difference, raw microseconds on the peer's clock.
    pub fn base_delay_micros(&self) -> Option<u32> {
        self.minima[..self.minima_filled]
            .iter()
            .copied()
            .reduce(wrapping_min)
    }

    /// The latest raw delay sample, microseconds.
    pub fn last_sample_micros(&self) -> Option<u32> {
        self.last_sample_us
    }

    /// Feeds one one-way delay sample (the peer's timestamp difference) and returns the
    /// resulting queuing delay.
    pub fn on_delay_sample(&mut self, now: Instant, sample_us: u32) -> Duration {
        self.last_sample_us = Some(sample_us);
        match self.minute_started {
            None => {
                self.minute_started = Some(now);
                self.minima[0] = sample_us;
                self.minima_filled = 1;
                self.minute_index = 0;
            }
            Some(start) if now.saturating_duration_since(start) >= MINUTE => {
                self.minute_started = Some(now);
                self.minute_index = (self.minute_index + 1) % BASE_HISTORY;
                self.minima[self.minute_index] = sample_us;
                self.minima_filled = (self.minima_filled + 1).min(BASE_HISTORY);
            }
            Some(_) => {
                let slot = &mut self.minima[self.minute_index];
                *slot = wrapping_min(*slot, sample_us);
            }
        }
        self.recent[self.recent_index] = sample_us;
        self.recent_index = (self.recent_index + 1) % CURRENT_FILTER;
        self.recent_filled = (self.recent_filled + 1).min(CURRENT_FILTER);
        let current = self.recent[..self.recent_filled]
            .iter()
            .copied()
            .reduce(wrapping_min)
            .unwrap_or(sample_us);
        let base = self.base_delay_micros().unwrap_or(current);
        let queuing = current.wrapping_sub(base);
        self.queuing_delay_us = if (queuing as i32) < 0 { 0 } else { queuing };
        self.queuing_delay()
    }

    /// Grows (or shrinks) the window for `bytes_acked` newly acknowledged bytes.
    pub fn on_ack(&mut self, bytes_acked: usize) {
        let target = self.config.target_delay.as_micros().max(1) as i64;
        let queuing = i64::from(self.queuing_delay_us);
        let mut grown = false;
        if self.slow_start {
            if queuing * 2 >= target {
                self.slow_start = false;
                self.ssthresh = self.cwnd;
            } else {
                self.cwnd = self.cwnd.saturating_add(bytes_acked);
                grown = true;
                if self.cwnd >= self.ssthresh {
                    self.cwnd = self.cwnd.min(self.ssthresh.max(self.min_window()));
                    self.slow_start = false;
                }
            }
        }
        if !self.slow_start && !grown {
            let off_target = (target - queuing).clamp(-target, target);
            let gain = self.config.max_increase_per_rtt as i64;
            let delta = gain * off_target / target * bytes_acked as i64 / self.cwnd.max(1) as i64;
            let cwnd = (self.cwnd as i64 + delta).max(0) as usize;
            self.cwnd = cwnd.max(self.min_window());
        }
        self.cwnd = self.cwnd.min(self.max_window());
    }

    /// Halves the window after a loss; the caller limits this to once per round trip.
    pub fn on_loss(&mut self) {
        self.cwnd = (self.cwnd / 2).max(self.min_window());
        self.ssthresh = self.cwnd;
        self.slow_start = false;
    }

    /// Collapses the window to one packet after a retransmission timeout.
    pub fn on_timeout(&mut self) {
        self.ssthresh = (self.cwnd / 2).max(self.min_window());
        self.cwnd = self.mss;
        self.slow_start = true;
    }

    fn min_window(&self) -> usize {
        (2 * self.mss).min(self.max_window())
    }

    fn max_window(&self) -> usize {
        self.config.max_window.max(self.mss)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> LedbatConfig {
        LedbatConfig {
            target_delay: Duration::from_millis(100),
            max_increase_per_rtt: 3000,
            max_window: 1 << 20,
            initial_window_packets: 2,
        }
    }

    #[test]
    fn slow_start_until_half_target_then_linear() {
        let t0 = Instant::now();
        let mut c = Ledbat::new(config(), 1000);
        assert_eq!(c.window(), 2000);
        c.on_delay_sample(t0, 50_000);
        c.on_ack(2000);
        assert_eq!(c.window(), 4000);
        // Queuing delay 60 ms >= target / 2: leave slow start, grow by gain * off_target.
        for _ in 0..4 {
            c.on_delay_sample(t0, 110_000);
        }
        assert_eq!(c.queuing_delay(), Duration::from_millis(60));
        c.on_ack(4000);
        assert!(!c.in_slow_start());
        // one window acked at 40 % off target -> +1200 bytes
        assert_eq!(c.window(), 5200);
    }

    #[test]
    fn above_target_shrinks_but_not_below_two_packets() {
        let t0 = Instant::now();
        let mut c = Ledbat::new(config(), 1000);
        c.on_delay_sample(t0, 0);
        for _ in 0..4 {
            c.on_delay_sample(t0, 400_000);
        }
        for _ in 0..100 {
            c.on_ack(1000);
        }
        assert_eq!(c.window(), 2000);
    }

    #[test]
    fn loss_halves_timeout_collapses() {
        let mut c = Ledbat::new(config(), 1000);
        for _ in 0..10 {
            c.on_ack(1000);
        }
        assert_eq!(c.window(), 12_000);
        c.on_loss();
        assert_eq!(c.window(), 6000);
        c.on_timeout();
        assert_eq!(c.window(), 1000);
        assert!(c.in_slow_start());
    }

    #[test]
    fn base_delay_is_minimum_of_minute_minima_and_wraps() {
        let t0 = Instant::now();
        let mut c = Ledbat::new(config(), 1000);
        c.on_delay_sample(t0, u32::MAX - 10);
        c.on_delay_sample(t0 + Duration::from_secs(61), 5);
        // 5 is "after" u32::MAX - 10 in wrapping order, so the base stays at the older value.
        assert_eq!(c.base_delay_micros(), Some(u32::MAX - 10));
        assert!(c.queuing_delay() <= Duration::from_micros(16));
        for i in 0..BASE_HISTORY as u64 {
            c.on_delay_sample(t0 + Duration::from_secs(122 + 61 * i), 1000);
        }
        assert_eq!(c.base_delay_micros(), Some(1000));
    }

    #[test]
    fn window_never_exceeds_maximum() {
        let mut c = Ledbat::new(
            LedbatConfig {
                max_window: 10_000,
                ..config()
            },
            1000,
        );
        for _ in 0..100 {
            c.on_ack(5000);
        }
        assert_eq!(c.window(), 10_000);
    }
}
