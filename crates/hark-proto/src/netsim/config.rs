//! How one direction of a path behaves: [`LinkConfig`] and its parts.

use core::time::Duration;

use thiserror::Error;

/// Whether jitter may reorder packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JitterOrder {
    /// Packets leave in the order they entered: a packet's arrival is never earlier than the
    /// previous packet's arrival (jitter only stretches gaps).
    #[default]
    KeepOrder,
    /// Each packet's jitter is drawn independently, so a later packet may overtake an earlier one.
    AllowReorder,
}

/// Bounded jitter: an extra one-way delay drawn uniformly from `[0, max]` for each packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Jitter {
    /// The largest extra delay.
    pub max: Duration,
    /// Whether the jitter may reorder packets.
    pub order: JitterOrder,
}

/// Drop-tail limits of the bottleneck queue. A packet is admitted only if, counting itself,
/// the queue holds at most `bytes` bytes and drains within `time`; `None` means no such limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QueueLimit {
    /// Largest backlog in bytes, including the packet being serialised.
    pub bytes: Option<usize>,
    /// Largest backlog in time to drain at the link rate (a "200 ms buffer").
    pub time: Option<Duration>,
}

/// Gilbert-Elliott two-state burst loss. Each packet first suffers the loss probability of the
/// current state, then the state may change.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct GilbertElliott {
    /// Probability of moving from the good to the bad state after a packet.
    pub good_to_bad: f64,
    /// Probability of moving from the bad to the good state after a packet.
    pub bad_to_good: f64,
    /// Loss probability while good (often 0).
    pub loss_in_good: f64,
    /// Loss probability while bad (often 1).
    pub loss_in_bad: f64,
}

impl GilbertElliott {
    /// Bursts that lose every packet while bad and none while good, with the given long-run
    /// loss rate and mean burst length in packets (`mean_burst >= 1`).
    pub fn bursts(loss_rate: f64, mean_burst: f64) -> Self {
        let bad_to_good = if mean_burst > 1.0 {
            1.0 / mean_burst
        } else {
            1.0
        };
        let good_to_bad = if loss_rate >= 1.0 {
            1.0
        } else {
            (loss_rate * bad_to_good / (1.0 - loss_rate)).clamp(0.0, 1.0)
        };
        Self {
            good_to_bad,
            bad_to_good,
            loss_in_good: 0.0,
            loss_in_bad: 1.0,
        }
    }
}

/// Random reordering: a selected packet is held back by `extra_delay`, so later ones overtake it.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Reorder {
    /// Probability that a packet is held back.
    pub probability: f64,
    /// How long a held-back packet is delayed on top of the normal delay.
    pub extra_delay: Duration,
}

/// Header corruption: with `probability`, flip `bits` random bits within the first
/// `header_bytes` bytes of the packet (or the whole packet if shorter).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Corruption {
    /// Probability that a packet is corrupted.
    pub probability: f64,
    /// How many leading bytes may be hit.
    pub header_bytes: usize,
    /// How many bits are flipped in a corrupted packet (at least one).
    pub bits: u32,
}

/// One direction of a path. Build with the chained setters:
///
/// ```
/// # use core::time::Duration;
/// # use hark_proto::netsim::LinkConfig;
/// let bottleneck = LinkConfig::new()
///     .delay(Duration::from_millis(20))
///     .rate_bps(10_000_000)
///     .queue_time(Duration::from_millis(200))
///     .loss(0.01);
/// ```
///
/// Order of effects for each packet entering a link: size check, random loss, burst loss,
/// duplication (the copy then runs the remaining steps on its own), corruption, the
/// drop-tail queue at the link rate, propagation delay plus jitter, reordering.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LinkConfig {
    /// Fixed one-way propagation delay.
    pub delay: Duration,
    /// Bounded random extra delay.
    pub jitter: Jitter,
    /// Bottleneck rate in bits per second; `None` is unlimited (no queue at all).
    pub rate_bps: Option<u64>,
    /// Drop-tail limits of the queue (only meaningful with a rate).
    pub queue: QueueLimit,
    /// Largest packet the link carries; larger ones are dropped.
    pub max_packet: Option<usize>,
    /// Independent random loss probability.
    pub loss: f64,
    /// Optional burst loss model.
    pub burst_loss: Option<GilbertElliott>,
    /// Random reordering.
    pub reorder: Reorder,
    /// Probability that a packet is duplicated.
    pub duplicate: f64,
    /// Header corruption.
    pub corruption: Corruption,
}

impl LinkConfig {
    /// An ideal link: no delay, unlimited rate, no impairment.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the fixed one-way delay.
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Sets bounded jitter of up to `max`, keeping or breaking packet order.
    pub fn jitter(mut self, max: Duration, order: JitterOrder) -> Self {
        self.jitter = Jitter { max, order };
        self
    }

    /// Sets the bottleneck rate in bits per second.
    pub fn rate_bps(mut self, bits_per_second: u64) -> Self {
        self.rate_bps = Some(bits_per_second);
        self
    }

    /// Limits the queue to `bytes` bytes of backlog.
    pub fn queue_bytes(mut self, bytes: usize) -> Self {
        self.queue.bytes = Some(bytes);
        self
    }

    /// Limits the queue to `time` of backlog at the link rate.
    pub fn queue_time(mut self, time: Duration) -> Self {
        self.queue.time = Some(time);
        self
    }

    /// Drops packets larger than `bytes`.
    pub fn max_packet(mut self, bytes: usize) -> Self {
        self.max_packet = Some(bytes);
        self
    }

    /// Sets the independent random loss probability.
    pub fn loss(mut self, probability: f64) -> Self {
        self.loss = probability;
        self
    }

    /// Adds Gilbert-Elliott burst loss.
    pub fn burst_loss(mut self, model: GilbertElliott) -> Self {
        self.burst_loss = Some(model);
        self
    }

    /// Holds back a fraction `probability` of packets by `extra_delay`.
    pub fn reorder(mut self, probability: f64, extra_delay: Duration) -> Self {
        self.reorder = Reorder {
            probability,
            extra_delay,
        };
        self
    }

    /// Sets the duplication probability.
    pub fn duplicate(mut self, probability: f64) -> Self {
        self.duplicate = probability;
        self
    }

    /// Corrupts a fraction `probability` of packets by flipping one bit in the first
    /// `header_bytes` bytes.
    pub fn corrupt(self, probability: f64, header_bytes: usize) -> Self {
        self.corrupt_bits(probability, header_bytes, 1)
    }

    /// Like [`corrupt`](Self::corrupt), flipping `bits` bits (at least one) per corrupted packet.
    pub fn corrupt_bits(mut self, probability: f64, header_bytes: usize, bits: u32) -> Self {
        self.corruption = Corruption {
            probability,
            header_bytes,
            bits: bits.max(1),
        };
        self
    }

    /// Checks that every probability is within `[0, 1]` and the rate is non-zero.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut probabilities = vec![
            ("loss", self.loss),
            ("reorder", self.reorder.probability),
            ("duplicate", self.duplicate),
            ("corruption", self.corruption.probability),
        ];
        if let Some(ge) = &self.burst_loss {
            probabilities.extend([
                ("burst good_to_bad", ge.good_to_bad),
                ("burst bad_to_good", ge.bad_to_good),
                ("burst loss_in_good", ge.loss_in_good),
                ("burst loss_in_bad", ge.loss_in_bad),
            ]);
        }
        for (name, value) in probabilities {
            if !(0.0..=1.0).contains(&value) {
                return Err(ConfigError::Probability { name, value });
            }
        }
        if self.rate_bps == Some(0) {
            return Err(ConfigError::ZeroRate);
        }
        Ok(())
    }
}

/// A [`LinkConfig`] that cannot be simulated.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A probability outside `[0, 1]` (or NaN).
    #[error("{name} probability {value} is outside [0, 1]")]
    Probability {
        /// Which setting.
        name: &'static str,
        /// The rejected value.
        value: f64,
    },
    /// A rate of zero bits per second would never deliver anything.
    #[error("link rate must be above zero (use None for unlimited)")]
    ZeroRate,
    /// A node clock skew outside what [`ClockSkew`](super::ClockSkew) allows.
    #[error("clock skew {ppm} ppm is outside +-{max} ppm")]
    ClockSkew {
        /// The rejected skew, parts per million.
        ppm: i32,
        /// The largest skew allowed either way.
        max: i32,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_probabilities() {
        assert!(LinkConfig::new().loss(1.5).validate().is_err());
        assert!(LinkConfig::new().duplicate(f64::NAN).validate().is_err());
        assert!(LinkConfig::new().rate_bps(0).validate().is_err());
        assert!(LinkConfig::new().loss(0.2).validate().is_ok());
    }

    #[test]
    fn burst_model_matches_its_targets() {
        let ge = GilbertElliott::bursts(0.05, 4.0);
        let stationary_bad = ge.good_to_bad / (ge.good_to_bad + ge.bad_to_good);
        assert!((stationary_bad - 0.05).abs() < 1e-12);
        assert!((1.0 / ge.bad_to_good - 4.0).abs() < 1e-12);
    }
}
