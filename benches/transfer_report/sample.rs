//! One measured transfer, and the median of several.

/// What one transfer delivered, how long it took and the CPU it used.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// Bytes the receiver got (and, for raw UDP, not lost on the way).
    pub delivered: u64,
    /// Bytes the sender offered.
    pub offered: u64,
    /// Wall-clock seconds from the first byte sent to the last byte received.
    pub seconds: f64,
    /// Process CPU seconds (user + system, both ends) over the same span.
    pub cpu_seconds: f64,
}

impl Sample {
    /// Delivered megabytes (10^6 bytes) per second.
    pub fn mb_per_s(&self) -> f64 {
        self.delivered as f64 / 1e6 / self.seconds.max(1e-9)
    }

    /// CPU seconds per delivered megabyte.
    pub fn cpu_per_mb(&self) -> f64 {
        self.cpu_seconds / (self.delivered as f64 / 1e6).max(1e-9)
    }

    /// The share of offered bytes that never arrived.
    pub fn loss(&self) -> f64 {
        1.0 - self.delivered as f64 / (self.offered as f64).max(1.0)
    }
}

/// The median of each figure over several samples (each taken independently).
#[derive(Debug, Clone, Copy)]
pub struct Summary {
    /// Median MB/s.
    pub mb_per_s: f64,
    /// Median CPU seconds per MB.
    pub cpu_per_mb: f64,
    /// Median loss share.
    pub loss: f64,
    /// How many samples; how many of them delivered everything.
    pub runs: usize,
    /// Runs that delivered everything that was offered.
    pub complete: usize,
}

impl Summary {
    /// Summarises `samples`; `None` when there are none.
    pub fn of(samples: &[Sample]) -> Option<Summary> {
        if samples.is_empty() {
            return None;
        }
        Some(Summary {
            mb_per_s: median(samples.iter().map(Sample::mb_per_s)),
            cpu_per_mb: median(samples.iter().map(Sample::cpu_per_mb)),
            loss: median(samples.iter().map(Sample::loss)),
            runs: samples.len(),
            complete: samples.iter().filter(|s| s.delivered >= s.offered).count(),
        })
    }
}

fn median(values: impl Iterator<Item = f64>) -> f64 {
    let mut values: Vec<f64> = values.collect();
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}
