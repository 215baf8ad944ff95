//! The schedule of LEDBAT++'s slowdowns (draft-irtf-iccrg-ledbat-plus-plus §4.4).
//!
//! Two round trips after the first slow start ends, the window is held at two packets for
//! about two round trips (the controller chooses how long) and then slow-started back to
//! where it was. When that ramp ends, the
//! next slowdown is due after nine times the time the whole slowdown took, so slowdowns
//! cost at most about a tenth of the time.

use std::time::{Duration, Instant};

/// Gap after a slowdown, in multiples of the slowdown's own length.
pub(crate) const SLOWDOWN_SPACING: u32 = 9;

/// Where a connection is in its slowdown cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Phase {
    /// No slow start has ended yet.
    #[default]
    Unscheduled,
    /// The next slowdown begins at this instant.
    Scheduled(Instant),
    /// The window is held at two packets until `until`.
    Frozen { started: Instant, until: Instant },
    /// Slow start back to the window held before the slowdown.
    Ramping { started: Instant },
}

/// What the controller must do to its window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SlowdownStep {
    /// Nothing changes.
    None,
    /// A slowdown starts now: remember the window and hold it at two packets.
    Begin,
    /// Keep the window at two packets.
    Hold,
    /// The hold is over: slow-start back to the remembered window.
    Release,
}

/// The slowdown state machine; the controller owns the window.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Slowdown {
    phase: Phase,
}

impl Slowdown {
    /// True while the window is held at two packets.
    pub(crate) fn is_frozen(&self) -> bool {
        matches!(self.phase, Phase::Frozen { .. })
    }

    /// True while slow start brings the window back after a slowdown.
    pub(crate) fn is_ramping(&self) -> bool {
        matches!(self.phase, Phase::Ramping { .. })
    }

    /// When the next slowdown begins, if one is scheduled.
    pub(crate) fn scheduled_at(&self) -> Option<Instant> {
        match self.phase {
            Phase::Scheduled(at) => Some(at),
            _ => None,
        }
    }

    /// Called on each acknowledgement; `hold` is how long a new slowdown keeps the window
    /// small, and longer, up to `max_hold` in all, while `drained` is false. A slowdown
    /// never begins during slow start.
    pub(crate) fn advance(
        &mut self,
        now: Instant,
        hold: Duration,
        max_hold: Duration,
        drained: bool,
        slow_start: bool,
    ) -> SlowdownStep {
        match self.phase {
            Phase::Scheduled(at) if now >= at && !slow_start => {
                self.phase = Phase::Frozen {
                    started: now,
                    until: now + hold,
                };
                SlowdownStep::Begin
            }
            Phase::Frozen { started, until }
                if now >= until && (drained || now >= started + max_hold) =>
            {
                self.phase = Phase::Ramping { started };
                SlowdownStep::Release
            }
            Phase::Frozen { .. } => SlowdownStep::Hold,
            _ => SlowdownStep::None,
        }
    }

    /// Moves a scheduled slowdown to `now`, so that the next acknowledgement begins it
    /// (joining another flow's slowdown); true if one was scheduled later.
    pub(crate) fn bring_forward(&mut self, now: Instant) -> bool {
        match self.phase {
            Phase::Scheduled(at) if at > now => {
                self.phase = Phase::Scheduled(now);
                true
            }
            _ => false,
        }
    }

    /// Slow start has ended (by delay, by reaching the old window, or by a loss): schedule
    /// the first slowdown two round trips from now, or the next one after a ramp.
    pub(crate) fn on_slow_start_end(&mut self, now: Instant, round_trip: Duration) {
        self.phase = match self.phase {
            Phase::Unscheduled => Phase::Scheduled(now + round_trip * 2),
            Phase::Ramping { started } => {
                Phase::Scheduled(now + now.saturating_duration_since(started) * SLOWDOWN_SPACING)
            }
            other => other,
        };
    }
}
