//! Round-trip time estimation and the retransmission timeout (RFC 6298, Karn's rule).

use std::time::Duration;

/// Smoothed RTT, RTT variance and the backed-off retransmission timeout.
#[derive(Debug, Clone)]
pub struct RttEstimator {
    srtt: Option<Duration>,
    rttvar: Duration,
    initial: Duration,
    min_rto: Duration,
    max_rto: Duration,
    backoff: u32,
    latest: Option<Duration>,
}

impl RttEstimator {
    /// An estimator with no samples yet.
    pub fn new(initial: Duration, min_rto: Duration, max_rto: Duration) -> Self {
        Self {
            srtt: None,
            rttvar: Duration::ZERO,
            initial,
            min_rto,
            max_rto,
            backoff: 0,
            latest: None,
        }
    }

    /// Feeds one RTT sample; callers pass only samples of packets sent once (Karn).
    pub fn on_sample(&mut self, rtt: Duration) {
        self.latest = Some(rtt);
        self.backoff = 0;
        match self.srtt {
            None => {
                self.srtt = Some(rtt);
                self.rttvar = rtt / 2;
            }
            Some(srtt) => {
                let err = srtt.abs_diff(rtt);
                self.rttvar = (self.rttvar * 3 + err) / 4;
                self.srtt = Some((srtt * 7 + rtt) / 8);
            }
        }
    }

    /// Doubles the timeout after a retransmission timer fired.
    pub fn on_timeout(&mut self) {
        self.backoff = self.backoff.saturating_add(1).min(16);
    }

    /// The smoothed RTT, if any sample was taken.
    pub fn smoothed(&self) -> Option<Duration> {
        self.srtt
    }

    /// The most recent sample.
    pub fn latest(&self) -> Option<Duration> {
        self.latest
    }

    /// The RTT variance estimate.
    pub fn variance(&self) -> Duration {
        self.rttvar
    }

    /// The retransmission timeout without backoff.
    pub fn base_rto(&self) -> Duration {
        let raw = match self.srtt {
            None => self.initial,
            Some(srtt) => srtt + (self.rttvar * 4).max(Duration::from_millis(1)),
        };
        raw.clamp(self.min_rto, self.max_rto)
    }

    /// The retransmission timeout including exponential backoff.
    pub fn rto(&self) -> Duration {
        let factor = 1u32 << self.backoff.min(16);
        self.base_rto().saturating_mul(factor).min(self.max_rto)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn est() -> RttEstimator {
        RttEstimator::new(
            Duration::from_secs(1),
            Duration::from_millis(200),
            Duration::from_secs(60),
        )
    }

    #[test]
    fn initial_then_samples_then_backoff() {
        let mut e = est();
        assert_eq!(e.rto(), Duration::from_secs(1));
        e.on_sample(Duration::from_millis(100));
        // srtt 100, rttvar 50 -> 300 ms
        assert_eq!(e.rto(), Duration::from_millis(300));
        e.on_timeout();
        assert_eq!(e.rto(), Duration::from_millis(600));
        e.on_timeout();
        assert_eq!(e.rto(), Duration::from_millis(1200));
        e.on_sample(Duration::from_millis(100));
        assert_eq!(e.rto(), Duration::from_millis(200).max(e.base_rto()));
    }

    #[test]
    fn clamped_by_min_and_max() {
        let mut e = est();
        e.on_sample(Duration::from_micros(10));
        assert_eq!(e.rto(), Duration::from_millis(200));
        for _ in 0..40 {
            e.on_timeout();
        }
        assert_eq!(e.rto(), Duration::from_secs(60));
    }
}
