//! The one timer structure of a reactor: the earliest `poll_timeout` of every core it
//! drives, ordered, so a turn finds the next wakeup and the due timers without asking
//! every core.

use std::collections::{BTreeSet, HashMap};
use std::time::Instant;

/// Whose timer an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum TimerKey {
    /// A datagram core: socket slot index, core index.
    Core(usize, usize),
    /// A TCP connection's notifier (a stream core behind it): its entry key.
    Tcp(usize),
}

/// Armed timers, at most one per key; each key's deadline is what its core's
/// `poll_timeout` said when last asked.
#[derive(Debug, Default)]
pub(crate) struct Timers {
    order: BTreeSet<(Instant, TimerKey)>,
    armed: HashMap<TimerKey, Instant>,
}

impl Timers {
    /// Sets (or with `None` clears) the deadline of `key`.
    pub(crate) fn arm(&mut self, key: TimerKey, at: Option<Instant>) {
        let old = match at {
            Some(at) => {
                let old = self.armed.insert(key, at);
                if old == Some(at) {
                    return;
                }
                self.order.insert((at, key));
                old
            }
            None => self.armed.remove(&key),
        };
        if let Some(old) = old {
            self.order.remove(&(old, key));
        }
    }

    /// The earliest deadline.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.order.first().map(|&(at, _)| at)
    }

    /// Takes every timer due at `now`, earliest first; they are disarmed (the caller
    /// fires them and arms them again from the cores' new `poll_timeout`).
    pub(crate) fn take_due(&mut self, now: Instant, out: &mut Vec<TimerKey>) {
        while let Some(&(at, key)) = self.order.first() {
            if at > now {
                break;
            }
            self.order.pop_first();
            self.armed.remove(&key);
            out.push(key);
        }
    }

    /// Clears every timer whose key matches `remove`.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&TimerKey) -> bool) {
        self.order.retain(|(_, key)| keep(key));
        self.armed.retain(|key, _| keep(key));
    }

    /// How many timers are armed.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.armed.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn rearming_moves_a_deadline_and_due_timers_come_out_in_order() {
        let base = Instant::now();
        let at = |ms| base + Duration::from_millis(ms);
        let mut timers = Timers::default();
        timers.arm(TimerKey::Tcp(1), Some(at(30)));
        timers.arm(TimerKey::Core(0, 0), Some(at(10)));
        timers.arm(TimerKey::Tcp(2), Some(at(20)));
        timers.arm(TimerKey::Tcp(1), Some(at(5)));
        timers.arm(TimerKey::Tcp(2), None);
        assert_eq!(timers.len(), 2);
        assert_eq!(timers.next(), Some(at(5)));
        let mut due = Vec::new();
        timers.take_due(at(10), &mut due);
        assert_eq!(due, [TimerKey::Tcp(1), TimerKey::Core(0, 0)]);
        assert_eq!(timers.next(), None);
    }

    #[test]
    fn retain_drops_the_timers_of_removed_keys() {
        let now = Instant::now();
        let mut timers = Timers::default();
        timers.arm(TimerKey::Core(3, 0), Some(now));
        timers.arm(TimerKey::Core(3, 1), Some(now));
        timers.arm(TimerKey::Core(4, 0), Some(now));
        timers.retain(|key| !matches!(key, TimerKey::Core(3, _)));
        let mut due = Vec::new();
        timers.take_due(now, &mut due);
        assert_eq!(due, [TimerKey::Core(4, 0)]);
    }
}
