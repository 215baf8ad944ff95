//! A node whose clock runs at its own rate: [`ClockSkew`] wraps any [`Node`] and shows it
//! the simulator's virtual time stretched by a skew in parts per million, as a host whose
//! oscillator is off by that much would see it. Timers the node asks for are mapped back,
//! so it is woken when its own clock reaches them (never earlier).
//!
//! Two endpoints whose clocks drift apart see one-way delays (the receiver's clock minus the
//! sender's timestamp) that grow or shrink by the skew: 100 ppm is 6 ms per minute. This is
//! what LEDBAT's base-delay history and its drift correction are tested against.

use core::net::SocketAddr;
use core::time::Duration;
use std::time::Instant;

use super::config::ConfigError;
use super::node::{Node, Transmit};

/// Largest skew [`ClockSkew::new`] accepts either way, parts per million (10 %).
pub const MAX_SKEW_PPM: i32 = 100_000;

const MILLION: u128 = 1_000_000;

/// A [`Node`] that sees time at `1 + ppm / 1e6` times the simulator's rate, counted from
/// `base` (the instant both clocks agree on, normally [`Sim::base`](super::Sim::base)).
///
/// ```
/// use core::net::SocketAddr;
/// use core::time::Duration;
/// use std::time::Instant;
///
/// use hark_proto::netsim::{ClockSkew, Node, Sim, Transmit};
///
/// /// Records the instants it is called at.
/// struct Clock(Vec<Instant>, Option<Instant>);
///
/// impl Node for Clock {
///     fn handle_datagram(&mut self, _: Instant, _: SocketAddr, _: &[u8]) {}
///     fn handle_timeout(&mut self, now: Instant) {
///         self.0.push(now);
///         self.1 = None;
///     }
///     fn poll_transmit(&mut self, _: Instant, _: &mut [u8]) -> Option<Transmit> {
///         None
///     }
///     fn poll_timeout(&mut self) -> Option<Instant> {
///         self.1
///     }
/// }
///
/// let base = Instant::now();
/// let mut sim = Sim::new(1, base);
/// let wake = base + Duration::from_secs(10);
/// // This node's clock runs 1000 ppm (0.1 %) fast: its 10 s come after 9.99 s of sim time.
/// let skewed = ClockSkew::new(Clock(Vec::new(), Some(wake)), base, 1000).unwrap();
/// let id = sim.add_node("10.0.0.1:1".parse().unwrap(), skewed).unwrap();
/// sim.run_until_idle().unwrap();
/// assert_eq!(sim.node(id).unwrap().inner().0, [wake]);
/// assert_eq!(sim.now() - base, Duration::from_nanos(9_990_009_991));
/// ```
#[derive(Debug, Clone)]
pub struct ClockSkew<N> {
    inner: N,
    base: Instant,
    ppm: i32,
}

impl<N> ClockSkew<N> {
    /// Wraps `inner`, whose clock agrees with the simulator's at `base` and then runs
    /// `ppm` parts per million fast (negative: slow). At most [`MAX_SKEW_PPM`] either way.
    pub fn new(inner: N, base: Instant, ppm: i32) -> Result<Self, ConfigError> {
        if !(-MAX_SKEW_PPM..=MAX_SKEW_PPM).contains(&ppm) {
            return Err(ConfigError::ClockSkew {
                ppm,
                max: MAX_SKEW_PPM,
            });
        }
        Ok(Self { inner, base, ppm })
    }

    /// The wrapped node.
    pub fn inner(&self) -> &N {
        &self.inner
    }

    /// The wrapped node, mutably.
    pub fn inner_mut(&mut self) -> &mut N {
        &mut self.inner
    }

    /// The skew, parts per million.
    pub fn ppm(&self) -> i32 {
        self.ppm
    }

    fn rate(&self) -> u128 {
        (MILLION as i128 + i128::from(self.ppm)) as u128
    }

    /// The node's clock reading at simulator time `sim` (rounded down).
    pub fn local(&self, sim: Instant) -> Instant {
        let elapsed = sim.saturating_duration_since(self.base).as_nanos();
        self.base + nanos(elapsed * self.rate() / MILLION)
    }

    /// The earliest simulator time at which the node's clock reads `local` or later.
    pub fn global(&self, local: Instant) -> Instant {
        let elapsed = local.saturating_duration_since(self.base).as_nanos();
        self.base + nanos((elapsed * MILLION).div_ceil(self.rate()))
    }
}

/// `n` nanoseconds as a duration, saturating far beyond any simulation.
fn nanos(n: u128) -> Duration {
    Duration::from_nanos(u64::try_from(n).unwrap_or(u64::MAX))
}

impl<N: Node> Node for ClockSkew<N> {
    fn handle_datagram(&mut self, now: Instant, from: SocketAddr, data: &[u8]) {
        let local = self.local(now);
        self.inner.handle_datagram(local, from, data);
    }

    fn handle_timeout(&mut self, now: Instant) {
        let local = self.local(now);
        self.inner.handle_timeout(local);
    }

    fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        let local = self.local(now);
        self.inner.poll_transmit(local, buf)
    }

    fn poll_timeout(&mut self) -> Option<Instant> {
        self.inner.poll_timeout().map(|local| self.global(local))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Idle;

    impl Node for Idle {
        fn handle_datagram(&mut self, _: Instant, _: SocketAddr, _: &[u8]) {}
        fn handle_timeout(&mut self, _: Instant) {}
        fn poll_transmit(&mut self, _: Instant, _: &mut [u8]) -> Option<Transmit> {
            None
        }
        fn poll_timeout(&mut self) -> Option<Instant> {
            None
        }
    }

    #[test]
    fn local_time_runs_at_the_skewed_rate_and_maps_back_never_early() {
        let base = Instant::now();
        for ppm in [-MAX_SKEW_PPM, -250, 0, 1, 100, 7777, MAX_SKEW_PPM] {
            let node = ClockSkew::new(Idle, base, ppm).unwrap();
            let minute = base + Duration::from_secs(60);
            let expected = 60_000_000_000i128 * (1_000_000 + i128::from(ppm)) / 1_000_000;
            assert_eq!(
                (node.local(minute) - base).as_nanos() as i128,
                expected,
                "{ppm}"
            );
            for offset_ns in [0u64, 1, 999, 1_000_001, 12_345_678_901] {
                let local = base + Duration::from_nanos(offset_ns);
                let global = node.global(local);
                assert!(node.local(global) >= local, "{ppm} {offset_ns}");
                if global > base {
                    let earlier = global - Duration::from_nanos(1);
                    assert!(node.local(earlier) < local, "{ppm} {offset_ns}");
                }
            }
            // Before the base both clocks read the base.
            assert_eq!(node.local(base - Duration::from_secs(1)), base);
        }
    }

    #[test]
    fn rejects_skews_beyond_the_bound() {
        let base = Instant::now();
        for ppm in [MAX_SKEW_PPM + 1, -MAX_SKEW_PPM - 1, i32::MIN, i32::MAX] {
            assert_eq!(
                ClockSkew::new(Idle, base, ppm).err(),
                Some(ConfigError::ClockSkew {
                    ppm,
                    max: MAX_SKEW_PPM
                })
            );
        }
    }
}
