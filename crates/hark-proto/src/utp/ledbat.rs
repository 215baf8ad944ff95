//! LEDBAT congestion control (RFC 6817) as uTP uses it, with the fairness rules of
//! LEDBAT++ (draft-irtf-iccrg-ledbat-plus-plus) as an option.
//!
//! The one-way delay comes from the peer's timestamp differences. The base delay is the
//! minimum over a history of per-minute minima, the current delay the minimum of the last
//! few samples; their difference, the queuing delay, steers the window towards the target.
//! The base delay is corrected for a peer clock that runs faster than ours with the reverse
//! direction's delays (`base_delay.rs`, [`Ledbat::on_reverse_delay_sample`]).
//!
//! RFC 6817's update is additive and symmetric around the target, so flows sharing a
//! bottleneck keep whatever split slow start left them, and a latecomer whose base delay
//! includes an earlier flow's queue starves it. [`LedbatVariant::PlusPlus`] adds LEDBAT++'s
//! answers: a decrease proportional to the window (`W * (queuing / target - 1)` per round
//! trip, at most half), so windows converge to equal sizes while growth is equal; slow start
//! left at 3/4 of the target; and slowdowns: two round trips after the first slow start,
//! and then after nine times as long as the previous slowdown lasted, the window is held at
//! two packets and slow-started back, which drains the flow's own share of the queue so
//! every flow re-measures the true base delay.
//!
//! Two departures from the draft, both measured with `cargo xtask lab`: growth below the
//! target is `max_increase_per_rtt` per round trip (the draft's one packet per
//! `min(16, ceil(2 * target / base RTT))` round trips, available as `draft_gain`, is too slow
//! to undo a latecomer's head start there), and a slowdown holds the window for one smoothed
//! plus one minimum round trip rather than two smoothed ones: long enough for the flow's own
//! queue to drain and one packet sent into the emptied queue to be acknowledged, at less
//! cost in idle link time.
//!
//! Three more, from a real kernel bottleneck (`cargo xtask ledbat-bed`, a base RTT of a
//! fraction of a millisecond, where slow start fills 100 ms of queue within milliseconds):
//! there, a flow that starts a few milliseconds after another takes part of the other's
//! queue into its base delay, and one flow's slowdown never corrects it, because the other
//! flows keep their queue standing meanwhile. Per-flow traces showed the error (10 ms and
//! more) and that it goes only when two slowdowns happen to coincide. So, each on by default:
//!
//! - `join_slowdowns`: a fall of the queuing delay by a quarter within a round trip, from at
//!   least half the target, is another flow's slowdown; the next slowdown begins at once,
//!   and the flows' schedules stay together from then on.
//! - `hold_until_drained`: the hold lasts, up to two smoothed plus one minimum round trips,
//!   until the queuing delay is below an eighth of the target, so that slowdowns that began
//!   a little apart overlap while the queue is empty.
//! - `ramp_to_previous_window`: the ramp after a slowdown goes back to the window held
//!   before it whatever the delay; otherwise the flow whose hold ended first refills the
//!   queue, the others leave slow start at 3/4 of the target with small windows, and every
//!   slowdown hands the first flow a larger share.
//!
//! And one for delay-limited competitors: with [`LedbatConfig::rtt_target_floor`] (on by
//! default through `ConnectionConfig`), the target is three minimum round trips, within the
//! floor and `target_delay`. BBR keeps about one round trip of queue of its own; a 100 ms
//! target on a path of a millisecond is never reached by it, so LEDBAT never yielded to it
//! (see [`Ledbat::base_target`]).

use std::time::{Duration, Instant};

pub use super::base_delay::{BASE_HISTORY, MAX_DRIFT_STEP_US};
use super::base_delay::{BaseDelay, wrapping_min};
use super::slowdown::{Slowdown, SlowdownStep};

/// Number of recent samples whose minimum is the current delay.
const CURRENT_FILTER: usize = 4;
/// LEDBAT++'s cap on the growth divisor: at least one packet per 16 round trips.
pub const MAX_GAIN_DIVISOR: u32 = 16;
/// With [`LedbatConfig::rtt_target_floor`], the target is this many minimum round trips
/// (within the floor and `target_delay`; see [`Ledbat::base_target`]).
pub const RTT_TARGET_FACTOR: u32 = 3;
/// While another flow keeps a standing queue, the window aims at the target divided by this.
pub const COMPETING_TARGET_DIVISOR: u32 = 4;
/// A slowdown that leaves more than the effective target divided by this in the queue has
/// found another flow's standing queue.
const COMPETITOR_FLOOR_DIVISOR: u128 = 4;
/// With [`LedbatConfig::hold_until_drained`], a queue below the target divided by this has
/// drained.
const DRAINED_DIVISOR: u128 = 8;

/// Which rule set updates the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LedbatVariant {
    /// RFC 6817 as libutp runs it: additive, symmetric around the target, slow start left
    /// at half the target, growth of up to `max_increase_per_rtt` per round trip.
    Rfc6817,
    /// LEDBAT++: slower-than-Reno growth, multiplicative decrease, slow start left at 3/4
    /// of the target, initial and periodic slowdowns (see the module documentation).
    #[default]
    PlusPlus,
}

/// Tunables of the controller.
#[derive(Debug, Clone, Copy)]
pub struct LedbatConfig {
    /// Queuing delay the controller aims for.
    pub target_delay: Duration,
    /// Largest window growth per round trip, bytes (LEDBAT++: the growth below the target
    /// unless `draft_gain` is set).
    pub max_increase_per_rtt: usize,
    /// Largest congestion window, bytes.
    pub max_window: usize,
    /// Initial window, packets.
    pub initial_window_packets: usize,
    /// Rule set of the window update.
    pub variant: LedbatVariant,
    /// LEDBAT++ only: grow by one packet per `min(16, ceil(2 * target / base RTT))` round
    /// trips as the draft specifies, instead of `max_increase_per_rtt`.
    pub draft_gain: bool,
    /// LEDBAT++ only: yield to flows that keep a standing queue below the target (see
    /// [`Ledbat::competing`]).
    pub yield_to_standing_queues: bool,
    /// Raise the base delay by each fall of the reverse direction's base delay, which
    /// tracks a peer clock that runs faster than ours (see [`Ledbat::on_reverse_delay_sample`]).
    pub correct_clock_drift: bool,
    /// LEDBAT++ only: after a slowdown, slow-start back to the window held before it
    /// whatever the queuing delay (a loss still ends the ramp), instead of leaving slow
    /// start at 3/4 of the target. A flow whose ramp ends early on a queue the other flows
    /// kept loses its share at each slowdown.
    pub ramp_to_previous_window: bool,
    /// LEDBAT++ only: begin the next slowdown at once when the queuing delay falls by a
    /// quarter or more within a round trip from at least half the target, which is what
    /// another flow's slowdown looks like (see [`Ledbat::joined_slowdowns`]).
    pub join_slowdowns: bool,
    /// LEDBAT++ only: hold a slowdown beyond one smoothed plus one minimum round trip while
    /// the queuing delay is above an eighth of the target (up to two smoothed plus one
    /// minimum), so that flows whose slowdowns began a little apart all see the queue empty.
    pub hold_until_drained: bool,
    /// With `Some(floor)`, the target follows the path: [`RTT_TARGET_FACTOR`] minimum round
    /// trips, at least `floor` and at most `target_delay` (see [`Ledbat::base_target`]). `None` keeps
    /// `target_delay` whatever the path.
    pub rtt_target_floor: Option<Duration>,
}

/// The congestion window and the delay estimates that drive it.
#[derive(Debug, Clone)]
pub struct Ledbat {
    config: LedbatConfig,
    mss: usize,
    cwnd: usize,
    ssthresh: usize,
    slow_start: bool,
    base: BaseDelay,
    recent: [u32; CURRENT_FILTER],
    recent_filled: usize,
    recent_index: usize,
    queuing_delay_us: u32,
    last_sample_us: Option<u32>,
    smoothed_rtt: Option<Duration>,
    min_rtt: Option<Duration>,
    slowdown: Slowdown,
    /// Lowest queuing delay seen while the current slowdown holds the window.
    slowdown_floor_us: Option<u32>,
    /// The last slowdown found a queue this flow did not make.
    competing: bool,
    /// Recent peaks of the queuing delay, to see another flow's slowdown.
    drop_watch: DropWatch,
    /// Slowdowns begun early to join another flow's.
    joined: u64,
}

/// The largest queuing delay of the current and the previous round trip.
#[derive(Debug, Clone, Copy, Default)]
struct DropWatch {
    started: Option<Instant>,
    current_max_us: u32,
    previous_max_us: u32,
}

impl DropWatch {
    fn on_sample(&mut self, now: Instant, queuing_us: u32, round_trip: Duration) {
        match self.started {
            Some(at) if now.saturating_duration_since(at) < round_trip => {
                self.current_max_us = self.current_max_us.max(queuing_us);
            }
            _ => {
                self.previous_max_us = self.current_max_us;
                self.current_max_us = queuing_us;
                self.started = Some(now);
            }
        }
    }

    /// True if `queuing_us` is below 3/4 of a recent peak of at least `floor_us`.
    fn dropped(&self, queuing_us: u32, floor_us: u32) -> bool {
        let peak = self.current_max_us.max(self.previous_max_us);
        peak >= floor_us && u64::from(queuing_us) * 4 < u64::from(peak) * 3
    }
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
            base: BaseDelay::new(config.correct_clock_drift),
            recent: [0; CURRENT_FILTER],
            recent_filled: 0,
            recent_index: 0,
            queuing_delay_us: 0,
            last_sample_us: None,
            smoothed_rtt: None,
            min_rtt: None,
            slowdown: Slowdown::default(),
            slowdown_floor_us: None,
            competing: false,
            drop_watch: DropWatch::default(),
            joined: 0,
        }
    }

    /// How many slowdowns began early to join another flow's (with
    /// [`LedbatConfig::join_slowdowns`]). Flows whose slowdowns coincide empty the queue
    /// together, so each sees the true base delay; one flow's slowdown alone leaves the
    /// others' queue standing, and a flow whose base delay included that queue never learns
    /// better.
    pub fn joined_slowdowns(&self) -> u64 {
        self.joined
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

    /// True while a LEDBAT++ slowdown holds the window at two packets.
    pub fn in_slowdown(&self) -> bool {
        self.slowdown.is_frozen()
    }

    /// When the next LEDBAT++ slowdown is due, if one is scheduled.
    pub fn next_slowdown(&self) -> Option<Instant> {
        self.slowdown.scheduled_at()
    }

    /// True while the last slowdown found another flow's standing queue at the bottleneck:
    /// with [`LedbatConfig::yield_to_standing_queues`], a slowdown that leaves more than a
    /// quarter of the (effective) target queued once this flow's own packets have drained
    /// shows a competitor that keeps a queue of its own, such as BBR, which never fills the
    /// queue to the target and so would otherwise never be yielded to. The window then aims
    /// at a quarter of the target until a slowdown finds the queue empty.
    ///
    /// Off by default: two such flows need not agree (the one that sees the other's queue
    /// first yields, and then the other never sees one), which costs LEDBAT++'s fairness
    /// between LEDBAT flows; measured with `cargo xtask lab` and `cargo xtask ledbat-bed`.
    pub fn competing(&self) -> bool {
        self.competing
    }

    /// The target before [`Ledbat::competing`] lowers it: `target_delay`, or with
    /// [`LedbatConfig::rtt_target_floor`] [`RTT_TARGET_FACTOR`] times the minimum round trip
    /// seen, at least the floor and at most `target_delay` (`target_delay` before any
    /// round-trip sample).
    ///
    /// Why the round trip: a delay-limited competitor such as BBR keeps at most about two
    /// bandwidth-delay products in flight (`cwnd_gain` 2 times its bottleneck bandwidth
    /// estimate times its minimum RTT), so it becomes limited by its window rather than by
    /// the link once the queue exceeds about one minimum round trip, and from then on its
    /// bandwidth estimate, and with it its window, only shrinks. A target of 100 ms on a
    /// path whose round trip is a millisecond is a queue a hundred round trips long: such a
    /// flow never fills it, so LEDBAT never sees it and never yields (on the real-kernel
    /// bed, hark kept about two thirds of the link against BBR). A target of a few round
    /// trips is one the competitor's own queue and probing reach. The floor keeps the target
    /// above the delay noise of short paths; the ceiling is RFC 6817's 100 ms, which paths
    /// of a third of it or more keep.
    pub fn base_target(&self) -> Duration {
        match (self.config.rtt_target_floor, self.min_rtt) {
            (Some(floor), Some(rtt)) => (rtt * RTT_TARGET_FACTOR)
                .max(floor)
                .min(self.config.target_delay),
            _ => self.config.target_delay,
        }
    }

    /// The queuing delay the window aims at now: [`Ledbat::base_target`], or a quarter of
    /// it while [`Ledbat::competing`].
    pub fn effective_target(&self) -> Duration {
        if self.competing {
            self.base_target() / COMPETING_TARGET_DIVISOR
        } else {
            self.base_target()
        }
    }

    /// Estimated queuing delay from the latest samples.
    pub fn queuing_delay(&self) -> Duration {
        Duration::from_micros(u64::from(self.queuing_delay_us))
    }

    /// The base (minimum) one-way delay difference, raw microseconds on the peer's clock.
    pub fn base_delay_micros(&self) -> Option<u32> {
        self.base.base()
    }

    /// How far clock-drift correction has raised the base delay since the connection began.
    pub fn drift_corrected(&self) -> Duration {
        self.base.corrected()
    }

    /// Feeds one reverse-direction delay sample (our clock minus the peer's timestamp):
    /// with [`LedbatConfig::correct_clock_drift`], each fall of its base by at most
    /// [`MAX_DRIFT_STEP_US`] raises the forward base delay by as much, so a peer clock that
    /// runs fast is not read as a growing queue (RFC 6817 appendix A's deployed correction).
    pub fn on_reverse_delay_sample(&mut self, now: Instant, sample_us: u32) {
        self.base.on_reverse(now, sample_us);
    }

    /// The latest raw delay sample, microseconds.
    pub fn last_sample_micros(&self) -> Option<u32> {
        self.last_sample_us
    }

    /// Feeds one round-trip time sample (it sets LEDBAT++'s growth and slowdown length).
    pub fn on_rtt_sample(&mut self, rtt: Duration) {
        self.min_rtt = Some(self.min_rtt.map_or(rtt, |m| m.min(rtt)));
        self.smoothed_rtt = Some(match self.smoothed_rtt {
            None => rtt,
            Some(s) => (s * 7 + rtt) / 8,
        });
    }

    /// LEDBAT++'s growth divisor `min(16, ceil(2 * target / base RTT))`, at least 1; 16
    /// before any RTT sample.
    pub fn gain_divisor(&self) -> u32 {
        let Some(base) = self.min_rtt.filter(|b| !b.is_zero()) else {
            return MAX_GAIN_DIVISOR;
        };
        let ratio = (2 * self.config.target_delay.as_micros()).div_ceil(base.as_micros());
        u32::try_from(ratio)
            .unwrap_or(MAX_GAIN_DIVISOR)
            .clamp(1, MAX_GAIN_DIVISOR)
    }

    /// Feeds one one-way delay sample (the peer's timestamp difference) and returns the
    /// resulting queuing delay.
    pub fn on_delay_sample(&mut self, now: Instant, sample_us: u32) -> Duration {
        self.last_sample_us = Some(sample_us);
        self.base.on_forward(now, sample_us);
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
        if let Some(floor) = &mut self.slowdown_floor_us {
            *floor = (*floor).min(self.queuing_delay_us);
        }
        let round_trip = self.round_trip();
        self.drop_watch
            .on_sample(now, self.queuing_delay_us, round_trip);
        self.queuing_delay()
    }

    /// Grows (or shrinks) the window for `bytes_acked` newly acknowledged bytes.
    pub fn on_ack(&mut self, now: Instant, bytes_acked: usize) {
        if self.config.variant == LedbatVariant::PlusPlus {
            if self.config.join_slowdowns && !self.slow_start {
                let half_target = (self.effective_target().as_micros() / 2) as u32;
                if self.drop_watch.dropped(self.queuing_delay_us, half_target)
                    && self.slowdown.bring_forward(now)
                {
                    self.joined += 1;
                }
            }
            if self.advance_slowdown(now) {
                return;
            }
        }
        let target = self.effective_target().as_micros().max(1) as i64;
        let queuing = i64::from(self.queuing_delay_us);
        let mut grown = false;
        if self.slow_start {
            let ramp_on = self.config.ramp_to_previous_window && self.slowdown.is_ramping();
            if !ramp_on && queuing * self.exit_denominator() >= target * self.exit_numerator() {
                self.end_slow_start(now);
            } else {
                self.cwnd = self.cwnd.saturating_add(bytes_acked);
                grown = true;
                if self.cwnd >= self.ssthresh {
                    self.cwnd = self.cwnd.min(self.ssthresh.max(self.min_window()));
                    self.end_slow_start(now);
                }
            }
        }
        if !self.slow_start && !grown {
            let delta = match self.config.variant {
                LedbatVariant::Rfc6817 => self.additive_delta(target, queuing, bytes_acked),
                LedbatVariant::PlusPlus => self.multiplicative_delta(target, queuing, bytes_acked),
            };
            let cwnd = (self.cwnd as i64 + delta).max(0) as usize;
            self.cwnd = cwnd.max(self.min_window());
        }
        self.cwnd = self.cwnd.min(self.max_window());
    }

    /// Halves the window after a loss; the caller limits this to once per round trip.
    pub fn on_loss(&mut self, now: Instant) {
        if self.slowdown.is_frozen() {
            return;
        }
        self.cwnd = (self.cwnd / 2).max(self.min_window());
        if self.slow_start {
            self.ssthresh = self.cwnd;
            self.end_slow_start(now);
        }
        self.ssthresh = self.cwnd;
    }

    /// Collapses the window to one packet after a retransmission timeout.
    pub fn on_timeout(&mut self) {
        self.ssthresh = (self.cwnd / 2).max(self.min_window());
        self.cwnd = self.mss;
        self.slow_start = true;
    }

    /// RFC 6817: `gain * off_target / target` per round trip, symmetric around the target.
    fn additive_delta(&self, target: i64, queuing: i64, bytes_acked: usize) -> i64 {
        let off_target = (target - queuing).clamp(-target, target);
        let gain = self.config.max_increase_per_rtt as i64;
        gain * off_target / target * bytes_acked as i64 / self.cwnd.max(1) as i64
    }

    /// LEDBAT++ growth per round trip below the target, bytes.
    fn growth_per_rtt(&self) -> i64 {
        if self.config.draft_gain {
            self.mss as i64 / i64::from(self.gain_divisor())
        } else {
            self.config.max_increase_per_rtt as i64
        }
    }

    /// LEDBAT++: [`Self::growth_per_rtt`] per round trip below the target; above it, additionally
    /// `W * (queuing / target - 1)` less per round trip, never more than half the window.
    fn multiplicative_delta(&self, target: i64, queuing: i64, bytes_acked: usize) -> i64 {
        let acked = bytes_acked as i64;
        let growth = self.growth_per_rtt() * acked / self.cwnd.max(1) as i64;
        if queuing <= target {
            return growth;
        }
        let decrease = acked * (queuing - target) / target;
        (growth - decrease).max(-acked / 2)
    }

    /// Moves the slowdown schedule on; true while the window is held at two packets.
    fn advance_slowdown(&mut self, now: Instant) -> bool {
        let min_rtt = self.min_rtt.unwrap_or(self.round_trip());
        let hold = self.round_trip() + min_rtt;
        let max_hold = self.round_trip() * 2 + min_rtt;
        let drained = !self.config.hold_until_drained
            || u128::from(self.queuing_delay_us) * DRAINED_DIVISOR
                <= self.effective_target().as_micros();
        match self
            .slowdown
            .advance(now, hold, max_hold, drained, self.slow_start)
        {
            SlowdownStep::Begin => {
                self.ssthresh = self.cwnd.max(self.min_window());
                self.cwnd = self.min_window();
                if self.config.yield_to_standing_queues {
                    self.slowdown_floor_us = Some(u32::MAX);
                }
                true
            }
            SlowdownStep::Hold => {
                self.cwnd = self.min_window();
                true
            }
            SlowdownStep::Release => {
                // Our own queue has drained by now: what is left belongs to other flows.
                if let Some(floor) = self.slowdown_floor_us.take().filter(|&f| f != u32::MAX) {
                    let target = self.effective_target().as_micros();
                    self.competing = u128::from(floor) * COMPETITOR_FLOOR_DIVISOR > target;
                }
                self.slow_start = true;
                false
            }
            SlowdownStep::None => false,
        }
    }

    fn end_slow_start(&mut self, now: Instant) {
        self.slow_start = false;
        self.ssthresh = self.cwnd;
        if self.config.variant == LedbatVariant::PlusPlus {
            self.slowdown.on_slow_start_end(now, self.round_trip());
        }
    }

    /// Slow start ends at `numerator / denominator` of the target.
    fn exit_numerator(&self) -> i64 {
        match self.config.variant {
            LedbatVariant::Rfc6817 => 1,
            LedbatVariant::PlusPlus => 3,
        }
    }

    fn exit_denominator(&self) -> i64 {
        match self.config.variant {
            LedbatVariant::Rfc6817 => 2,
            LedbatVariant::PlusPlus => 4,
        }
    }

    /// The smoothed round trip, or the target before any sample.
    fn round_trip(&self) -> Duration {
        self.smoothed_rtt.unwrap_or(self.config.target_delay)
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
            variant: LedbatVariant::Rfc6817,
            draft_gain: false,
            yield_to_standing_queues: false,
            correct_clock_drift: true,
            ramp_to_previous_window: false,
            join_slowdowns: false,
            hold_until_drained: false,
            rtt_target_floor: None,
        }
    }

    #[test]
    fn slow_start_until_half_target_then_linear() {
        let t0 = Instant::now();
        let mut c = Ledbat::new(config(), 1000);
        assert_eq!(c.window(), 2000);
        c.on_delay_sample(t0, 50_000);
        c.on_ack(t0, 2000);
        assert_eq!(c.window(), 4000);
        // Queuing delay 60 ms >= target / 2: leave slow start, grow by gain * off_target.
        for _ in 0..4 {
            c.on_delay_sample(t0, 110_000);
        }
        assert_eq!(c.queuing_delay(), Duration::from_millis(60));
        c.on_ack(t0, 4000);
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
            c.on_ack(t0, 1000);
        }
        assert_eq!(c.window(), 2000);
    }

    #[test]
    fn loss_halves_timeout_collapses() {
        let t0 = Instant::now();
        let mut c = Ledbat::new(config(), 1000);
        for _ in 0..10 {
            c.on_ack(t0, 1000);
        }
        assert_eq!(c.window(), 12_000);
        c.on_loss(t0);
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
        let t0 = Instant::now();
        let mut c = Ledbat::new(
            LedbatConfig {
                max_window: 10_000,
                ..config()
            },
            1000,
        );
        for _ in 0..100 {
            c.on_ack(t0, 5000);
        }
        assert_eq!(c.window(), 10_000);
    }

    fn plus_plus() -> LedbatConfig {
        LedbatConfig {
            variant: LedbatVariant::PlusPlus,
            ..config()
        }
    }

    /// A LEDBAT++ controller out of slow start at `t0` with `window` bytes, a 40 ms base
    /// RTT and a delay sample history whose base is 0.
    fn settled(window: usize, t0: Instant) -> Ledbat {
        let mut c = Ledbat::new(plus_plus(), 1000);
        c.on_rtt_sample(Duration::from_millis(40));
        c.on_delay_sample(t0, 0);
        c.on_ack(t0, window - 2000);
        assert_eq!(c.window(), window);
        set_queuing(&mut c, t0, 80_000);
        c.on_ack(t0, 0);
        assert!(!c.in_slow_start());
        c
    }

    fn set_queuing(c: &mut Ledbat, now: Instant, micros: u32) {
        for _ in 0..CURRENT_FILTER {
            c.on_delay_sample(now, micros);
        }
    }

    #[test]
    fn draft_gain_divisor_follows_base_rtt_and_is_capped() {
        let mut c = Ledbat::new(plus_plus(), 1000);
        assert_eq!(c.gain_divisor(), MAX_GAIN_DIVISOR);
        c.on_rtt_sample(Duration::from_millis(40));
        // ceil(2 * 100 / 40) = 5
        assert_eq!(c.gain_divisor(), 5);
        c.on_rtt_sample(Duration::from_millis(300));
        assert_eq!(c.gain_divisor(), 5, "the base RTT is the minimum");
        let mut long = Ledbat::new(plus_plus(), 1000);
        long.on_rtt_sample(Duration::from_millis(300));
        assert_eq!(long.gain_divisor(), 1);
        let mut short = Ledbat::new(plus_plus(), 1000);
        short.on_rtt_sample(Duration::from_millis(5));
        assert_eq!(short.gain_divisor(), MAX_GAIN_DIVISOR);
    }

    #[test]
    fn plus_plus_grows_by_configured_or_draft_gain_below_target() {
        let t0 = Instant::now();
        let mut c = settled(10_000, t0);
        // 80 ms < 100 ms target: one window acked grows by max_increase_per_rtt (3000).
        for _ in 0..10 {
            c.on_ack(t0, 1000);
        }
        assert!((12_500..=13_000).contains(&c.window()), "{}", c.window());
        let mut draft = Ledbat::new(
            LedbatConfig {
                draft_gain: true,
                ..plus_plus()
            },
            1000,
        );
        draft.on_rtt_sample(Duration::from_millis(40));
        draft.on_delay_sample(t0, 0);
        draft.on_ack(t0, 8000);
        set_queuing(&mut draft, t0, 80_000);
        draft.on_ack(t0, 0);
        assert_eq!(draft.window(), 10_000);
        // gain 1/5: 1000 / 5 = 200 bytes per window acked.
        draft.on_ack(t0, 10_000);
        assert_eq!(draft.window(), 10_200);
    }

    #[test]
    fn plus_plus_decrease_is_proportional_to_the_window() {
        let t0 = Instant::now();
        let mut small = settled(10_000, t0);
        let mut large = settled(40_000, t0);
        // 150 ms against a 100 ms target: half a window less per round trip, the same
        // growth for both.
        set_queuing(&mut small, t0, 150_000);
        set_queuing(&mut large, t0, 150_000);
        small.on_ack(t0, 10_000);
        large.on_ack(t0, 40_000);
        assert_eq!(small.window(), 10_000 + 3000 - 5000);
        assert_eq!(large.window(), 40_000 + 3000 - 20_000);
        // The RFC 6817 rule takes the same bytes from both.
        let mut rfc = Ledbat::new(config(), 1000);
        rfc.on_delay_sample(t0, 0);
        rfc.on_ack(t0, 38_000);
        set_queuing(&mut rfc, t0, 150_000);
        rfc.on_ack(t0, 40_000);
        assert_eq!(rfc.window(), 40_000 - 1500);
    }

    #[test]
    fn plus_plus_decrease_is_at_most_half_a_window_per_round_trip() {
        let t0 = Instant::now();
        let mut c = settled(40_000, t0);
        set_queuing(&mut c, t0, 1_000_000);
        c.on_ack(t0, 40_000);
        assert_eq!(c.window(), 20_000);
    }

    #[test]
    fn plus_plus_leaves_slow_start_at_three_quarters_of_target() {
        let t0 = Instant::now();
        let mut pp = Ledbat::new(plus_plus(), 1000);
        let mut rfc = Ledbat::new(config(), 1000);
        for c in [&mut pp, &mut rfc] {
            c.on_delay_sample(t0, 0);
            set_queuing(c, t0, 60_000);
            c.on_ack(t0, 1000);
        }
        assert!(pp.in_slow_start(), "60 ms < 75 ms");
        assert!(!rfc.in_slow_start(), "60 ms >= 50 ms");
        set_queuing(&mut pp, t0, 75_000);
        pp.on_ack(t0, 1000);
        assert!(!pp.in_slow_start());
    }

    #[test]
    fn initial_slowdown_holds_two_packets_then_ramps_back_and_schedules_the_next() {
        let t0 = Instant::now();
        let rtt = Duration::from_millis(40);
        let mut c = settled(20_000, t0);
        // First slowdown: two round trips after slow start ended.
        assert_eq!(c.next_slowdown(), Some(t0 + rtt * 2));
        set_queuing(&mut c, t0, 100_000);
        c.on_ack(t0 + rtt, 0);
        assert_eq!(c.window(), 20_000);
        let begin = t0 + rtt * 2;
        c.on_ack(begin, 1000);
        assert!(c.in_slowdown());
        assert_eq!(c.window(), 2000);
        // Held at two packets for one smoothed plus one minimum RTT (40 + 40 ms), losses too.
        c.on_ack(begin + rtt, 5000);
        c.on_loss(begin + rtt);
        assert_eq!(c.window(), 2000);
        set_queuing(&mut c, begin, 0);
        c.on_ack(begin + rtt * 2, 2000);
        assert!(!c.in_slowdown());
        assert!(c.in_slow_start());
        assert_eq!(c.window(), 4000);
        // Slow start back to the window before the slowdown ends the ramp.
        let end = begin + rtt * 5;
        c.on_ack(end, 16_000);
        assert_eq!(c.window(), 20_000);
        assert!(!c.in_slow_start());
        // Next one after nine times the slowdown's length (200 ms).
        assert_eq!(c.next_slowdown(), Some(end + rtt * 5 * 9));
    }

    #[test]
    fn a_queue_left_during_a_slowdown_lowers_the_target_only_when_asked() {
        let t0 = Instant::now();
        let rtt = Duration::from_millis(40);
        for (yielding, floor_us, competing) in [
            (true, 40_000, true),
            (true, 10_000, false),
            (false, 40_000, false),
        ] {
            let mut c = settled(20_000, t0);
            c.config.yield_to_standing_queues = yielding;
            set_queuing(&mut c, t0, 100_000);
            let begin = t0 + rtt * 2;
            c.on_ack(begin, 1000);
            assert!(c.in_slowdown());
            // Our queue drains to what another flow keeps queued.
            set_queuing(&mut c, begin, floor_us);
            c.on_ack(begin + rtt * 2, 2000);
            assert!(!c.in_slowdown());
            assert_eq!(c.competing(), competing, "{yielding} {floor_us}");
            let target = if competing { 25 } else { 100 };
            assert_eq!(c.effective_target(), Duration::from_millis(target));
        }
    }

    #[test]
    fn a_loss_during_the_ramp_ends_it_and_schedules_the_next_slowdown() {
        let t0 = Instant::now();
        let rtt = Duration::from_millis(40);
        let mut c = settled(20_000, t0);
        let begin = t0 + rtt * 2;
        c.on_ack(begin, 0);
        set_queuing(&mut c, begin, 0);
        c.on_ack(begin + rtt * 2, 2000);
        assert!(c.in_slow_start());
        c.on_loss(begin + rtt * 3);
        assert!(!c.in_slow_start());
        assert_eq!(c.window(), 2000);
        assert_eq!(c.next_slowdown(), Some(begin + rtt * 3 + rtt * 3 * 9));
    }

    #[test]
    fn a_sudden_fall_of_the_queue_brings_the_next_slowdown_forward_when_asked() {
        let t0 = Instant::now();
        let rtt = Duration::from_millis(40);
        for join in [true, false] {
            let mut c = settled(20_000, t0);
            c.config.join_slowdowns = join;
            let scheduled = c.next_slowdown().expect("scheduled");
            // A steady 100 ms queue, then another flow's slowdown halves it.
            let mut now = t0;
            for _ in 0..4 {
                now += rtt / 8;
                set_queuing(&mut c, now, 100_000);
                c.on_ack(now, 1000);
            }
            assert!(now + rtt / 8 < scheduled);
            assert!(!c.in_slowdown());
            now += rtt / 8;
            set_queuing(&mut c, now, 50_000);
            c.on_ack(now, 1000);
            assert_eq!(c.in_slowdown(), join, "join {join}");
            assert_eq!(c.joined_slowdowns(), u64::from(join));
            assert_eq!(c.window() == 2000, join);
        }
    }

    #[test]
    fn a_small_queue_that_falls_is_no_slowdown_to_join() {
        let t0 = Instant::now();
        let rtt = Duration::from_millis(40);
        let mut c = Ledbat::new(
            LedbatConfig {
                join_slowdowns: true,
                ..plus_plus()
            },
            1000,
        );
        c.on_rtt_sample(rtt);
        c.on_delay_sample(t0, 0);
        c.on_ack(t0, 8000);
        // A loss ends slow start below the target and schedules a slowdown 2 RTTs later.
        c.on_loss(t0);
        assert!(!c.in_slow_start());
        let mut now = t0;
        // 40 ms is below half the target: falling from there is noise, not a slowdown.
        for micros in [40_000, 40_000, 40_000, 10_000] {
            now += rtt / 8;
            set_queuing(&mut c, now, micros);
            c.on_ack(now, 1000);
        }
        assert!(!c.in_slowdown());
        assert_eq!(c.joined_slowdowns(), 0);
    }

    #[test]
    fn the_ramp_after_a_slowdown_goes_back_to_the_old_window_when_asked() {
        let t0 = Instant::now();
        let rtt = Duration::from_millis(40);
        for ramp in [true, false] {
            let mut c = settled(20_000, t0);
            c.config.ramp_to_previous_window = ramp;
            let begin = t0 + rtt * 2;
            c.on_ack(begin, 0);
            assert!(c.in_slowdown());
            set_queuing(&mut c, begin, 0);
            c.on_ack(begin + rtt * 2, 2000);
            assert!(c.in_slow_start());
            // Another flow fills the queue to 90 ms: above 3/4 of the target.
            set_queuing(&mut c, begin + rtt * 2, 90_000);
            c.on_ack(begin + rtt * 3, 4000);
            assert_eq!(c.in_slow_start(), ramp, "ramp {ramp}");
            if ramp {
                assert_eq!(c.window(), 8000);
                c.on_ack(begin + rtt * 4, 16_000);
                assert_eq!(c.window(), 20_000);
                assert!(!c.in_slow_start());
            } else {
                assert!(c.window() < 8000);
            }
        }
    }

    #[test]
    fn a_slowdown_holds_on_while_the_queue_drains_when_asked() {
        let t0 = Instant::now();
        let rtt = Duration::from_millis(40);
        for (drain, queue_us, released_at) in
            [(false, 50_000, 2), (true, 50_000, 3), (true, 10_000, 2)]
        {
            let mut c = settled(20_000, t0);
            c.config.hold_until_drained = drain;
            let begin = t0 + rtt * 2;
            c.on_ack(begin, 0);
            assert!(c.in_slowdown());
            // One smoothed plus one minimum RTT later, `queue_us` is still queued: above an
            // eighth of the target (12.5 ms) the hold goes on, up to two smoothed plus one.
            set_queuing(&mut c, begin, queue_us);
            c.on_ack(begin + rtt * 2, 1000);
            assert_eq!(c.in_slowdown(), released_at > 2, "{drain} {queue_us}");
            c.on_ack(begin + rtt * 3, 1000);
            assert!(!c.in_slowdown());
            assert!(c.in_slow_start());
        }
    }

    #[test]
    fn the_target_follows_the_round_trip_between_the_floor_and_the_configured_target() {
        let floor = Duration::from_millis(15);
        let with_floor = LedbatConfig {
            rtt_target_floor: Some(floor),
            ..plus_plus()
        };
        let mut c = Ledbat::new(with_floor, 1000);
        assert_eq!(
            c.base_target(),
            Duration::from_millis(100),
            "no RTT sample yet"
        );
        // A LAN-like 1 ms round trip: the floor.
        c.on_rtt_sample(Duration::from_millis(1));
        assert_eq!(c.base_target(), floor);
        // 10 ms: three round trips.
        let mut mid = Ledbat::new(with_floor, 1000);
        mid.on_rtt_sample(Duration::from_millis(10));
        assert_eq!(mid.effective_target(), Duration::from_millis(30));
        // 40 ms: capped at the configured 100 ms; the minimum round trip is what counts.
        let mut long = Ledbat::new(with_floor, 1000);
        long.on_rtt_sample(Duration::from_millis(40));
        long.on_rtt_sample(Duration::from_millis(5));
        assert_eq!(long.base_target(), floor);
        let mut capped = Ledbat::new(with_floor, 1000);
        capped.on_rtt_sample(Duration::from_millis(40));
        assert_eq!(capped.base_target(), Duration::from_millis(100));
        // Without the floor the configured target holds on any path.
        let mut fixed = Ledbat::new(plus_plus(), 1000);
        fixed.on_rtt_sample(Duration::from_millis(1));
        assert_eq!(fixed.base_target(), Duration::from_millis(100));
    }

    #[test]
    fn a_lower_target_on_a_short_path_shrinks_the_window_where_the_fixed_one_grows() {
        let t0 = Instant::now();
        for (floor, grows) in [(None, true), (Some(Duration::from_millis(15)), false)] {
            let mut c = Ledbat::new(
                LedbatConfig {
                    rtt_target_floor: floor,
                    ..plus_plus()
                },
                1000,
            );
            c.on_rtt_sample(Duration::from_millis(1));
            c.on_delay_sample(t0, 0);
            c.on_ack(t0, 18_000);
            // 40 ms of queue: above 3/4 of the 15 ms target, so slow start ends and the
            // window shrinks; below 3/4 of 100 ms, so slow start goes on.
            set_queuing(&mut c, t0, 40_000);
            c.on_ack(t0, 1000);
            assert_eq!(c.in_slow_start(), grows, "{floor:?}");
            let before = c.window();
            c.on_ack(t0, 20_000);
            assert_eq!(c.window() > before, grows, "{floor:?}");
        }
    }

    #[test]
    fn rfc6817_never_slows_down() {
        let t0 = Instant::now();
        let mut c = Ledbat::new(config(), 1000);
        c.on_rtt_sample(Duration::from_millis(40));
        c.on_delay_sample(t0, 0);
        c.on_ack(t0, 18_000);
        set_queuing(&mut c, t0, 60_000);
        c.on_ack(t0, 0);
        assert!(!c.in_slow_start());
        assert_eq!(c.next_slowdown(), None);
        c.on_ack(t0 + Duration::from_secs(10), 1000);
        assert!(!c.in_slowdown());
        assert!(c.window() > 2000);
    }
}
