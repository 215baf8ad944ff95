//! What the simulator measures: per-link and per-flow counters and queueing delays.

use core::time::Duration;

/// Why the network dropped a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DropCause {
    /// Independent random loss.
    RandomLoss,
    /// Gilbert-Elliott burst loss.
    BurstLoss,
    /// The drop-tail queue was full.
    QueueFull,
    /// Larger than the link's `max_packet`.
    TooBig,
    /// No route from the source to the destination address.
    NoRoute,
    /// The route ended at an address where no node lives.
    NoNode,
}

/// Drop counters, one per cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Drops {
    /// Independent random loss.
    pub random_loss: u64,
    /// Gilbert-Elliott burst loss.
    pub burst_loss: u64,
    /// Drop-tail queue overflow.
    pub queue_full: u64,
    /// Oversized packets.
    pub too_big: u64,
    /// Packets without a route.
    pub no_route: u64,
    /// Packets for an address without a node.
    pub no_node: u64,
}

impl Drops {
    /// Counts one drop of `cause`.
    pub fn record(&mut self, cause: DropCause) {
        match cause {
            DropCause::RandomLoss => self.random_loss += 1,
            DropCause::BurstLoss => self.burst_loss += 1,
            DropCause::QueueFull => self.queue_full += 1,
            DropCause::TooBig => self.too_big += 1,
            DropCause::NoRoute => self.no_route += 1,
            DropCause::NoNode => self.no_node += 1,
        }
    }

    /// All drops together.
    pub fn total(&self) -> u64 {
        self.random_loss
            + self.burst_loss
            + self.queue_full
            + self.too_big
            + self.no_route
            + self.no_node
    }
}

/// Samples of time spent waiting in a queue, one per admitted packet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DelaySamples {
    samples: Vec<Duration>,
}

impl DelaySamples {
    /// Adds one sample.
    pub fn push(&mut self, delay: Duration) {
        self.samples.push(delay);
    }

    /// Removes every sample, keeping the allocation.
    pub fn clear(&mut self) {
        self.samples.clear();
    }

    /// How many samples there are.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// The samples in arrival order.
    pub fn as_slice(&self) -> &[Duration] {
        &self.samples
    }

    /// The largest sample.
    pub fn max(&self) -> Option<Duration> {
        self.samples.iter().copied().max()
    }

    /// The arithmetic mean.
    pub fn mean(&self) -> Option<Duration> {
        if self.samples.is_empty() {
            return None;
        }
        let total: u128 = self.samples.iter().map(Duration::as_nanos).sum();
        let mean = total / self.samples.len() as u128;
        Some(Duration::from_nanos(
            u64::try_from(mean).unwrap_or(u64::MAX),
        ))
    }

    /// The `q`-quantile (`q` in `[0, 1]`, nearest rank), e.g. `0.5` for the median.
    pub fn percentile(&self, q: f64) -> Option<Duration> {
        if self.samples.is_empty() || !(0.0..=1.0).contains(&q) {
            return None;
        }
        let mut sorted = self.samples.clone();
        let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
        let (_, value, _) = sorted.select_nth_unstable(rank);
        Some(*value)
    }

    /// The median.
    pub fn median(&self) -> Option<Duration> {
        self.percentile(0.5)
    }
}

/// Counters of one link since it was created or its stats were last reset.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LinkStats {
    /// Virtual time (offset from the simulation's base) when counting started.
    pub since: Duration,
    /// Packets offered to the link (duplicates count once more each).
    pub packets_in: u64,
    /// Bytes offered to the link.
    pub bytes_in: u64,
    /// Packets that reached the far end of the link.
    pub packets_out: u64,
    /// Bytes that reached the far end of the link.
    pub bytes_out: u64,
    /// Drops by cause.
    pub drops: Drops,
    /// Extra copies made by duplication.
    pub duplicated: u64,
    /// Packets whose header bits were flipped.
    pub corrupted: u64,
    /// Packets held back for reordering.
    pub reordered: u64,
    /// Time each admitted packet waited in the queue before its serialisation began
    /// (only on links with a rate).
    pub queue_delay: DelaySamples,
}

/// Counters of one flow, i.e. one (source, destination) address pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FlowStats {
    /// Packets the source node sent.
    pub packets_sent: u64,
    /// Bytes the source node sent.
    pub bytes_sent: u64,
    /// Packets handed to the destination node (duplicates included).
    pub packets_delivered: u64,
    /// Bytes handed to the destination node.
    pub bytes_delivered: u64,
    /// Packets dropped anywhere on the way.
    pub packets_dropped: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let mut s = DelaySamples::default();
        assert_eq!(s.median(), None);
        for ms in [5u64, 1, 4, 2, 3] {
            s.push(Duration::from_millis(ms));
        }
        assert_eq!(s.median(), Some(Duration::from_millis(3)));
        assert_eq!(s.percentile(0.0), Some(Duration::from_millis(1)));
        assert_eq!(s.percentile(1.0), Some(Duration::from_millis(5)));
        assert_eq!(s.max(), Some(Duration::from_millis(5)));
        assert_eq!(s.mean(), Some(Duration::from_millis(3)));
        assert_eq!(s.percentile(1.5), None);
    }
}
