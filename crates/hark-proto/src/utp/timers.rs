//! Per-connection timers: an enum indexing `[Option<Instant>; N]`.

use std::time::Instant;

/// The timers a connection can arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timer {
    /// Retransmission (and SYN retry) timeout.
    Rto = 0,
    /// Fallback for a deferred ACK the driver did not flush.
    DelayedAck = 1,
    /// Send a keepalive after this long without sending.
    KeepAlive = 2,
    /// Give up after this long without receiving.
    Idle = 3,
    /// Probe a peer that advertised a zero window.
    ZeroWindow = 4,
    /// End of the linger period after close; the connection is then destroyed.
    Linger = 5,
}

const COUNT: usize = 6;
const ALL: [Timer; COUNT] = [
    Timer::Rto,
    Timer::DelayedAck,
    Timer::KeepAlive,
    Timer::Idle,
    Timer::ZeroWindow,
    Timer::Linger,
];

/// Deadlines of every [`Timer`].
#[derive(Debug, Clone, Default)]
pub struct TimerTable {
    deadlines: [Option<Instant>; COUNT],
}

impl TimerTable {
    /// Arms (or re-arms) a timer.
    pub fn set(&mut self, timer: Timer, at: Instant) {
        self.deadlines[timer as usize] = Some(at);
    }

    /// Disarms a timer.
    pub fn stop(&mut self, timer: Timer) {
        self.deadlines[timer as usize] = None;
    }

    /// The deadline of a timer, if armed.
    pub fn get(&self, timer: Timer) -> Option<Instant> {
        self.deadlines[timer as usize]
    }

    /// Disarms every timer.
    pub fn stop_all(&mut self) {
        self.deadlines = [None; COUNT];
    }

    /// The earliest armed deadline.
    pub fn next(&self) -> Option<Instant> {
        self.deadlines.iter().flatten().min().copied()
    }

    /// Disarms and returns the first timer that is due at `now`.
    pub fn pop_expired(&mut self, now: Instant) -> Option<Timer> {
        for timer in ALL {
            if self.deadlines[timer as usize].is_some_and(|at| at <= now) {
                self.deadlines[timer as usize] = None;
                return Some(timer);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn next_is_minimum_and_expiry_pops_once() {
        let t0 = Instant::now();
        let mut t = TimerTable::default();
        assert_eq!(t.next(), None);
        t.set(Timer::Idle, t0 + Duration::from_secs(5));
        t.set(Timer::Rto, t0 + Duration::from_secs(1));
        assert_eq!(t.next(), Some(t0 + Duration::from_secs(1)));
        assert_eq!(t.pop_expired(t0), None);
        assert_eq!(t.pop_expired(t0 + Duration::from_secs(2)), Some(Timer::Rto));
        assert_eq!(t.pop_expired(t0 + Duration::from_secs(2)), None);
        t.stop(Timer::Idle);
        assert_eq!(t.next(), None);
    }
}
