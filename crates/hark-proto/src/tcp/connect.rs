//! Connection attempts to the addresses a name resolved to, counting those in flight.
//!
//! hark starts every attempt at once rather than staggering them as RFC 8305 (Happy
//! Eyeballs v2) recommends: `connecting(count)` then reports exactly the attempts in
//! flight, the first to complete wins, and no timer is needed. The cost is one SYN per
//! resolved address, which matters only for names with many addresses.

use std::collections::VecDeque;
use std::net::SocketAddr;

/// One attempt: the index of its address in the resolved list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AttemptId(pub usize);

/// What the attempts tell the notifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectEvent {
    /// The number of attempts in flight; reported again each time it changes.
    Connecting(usize),
    /// This attempt succeeded; the reactor drops the `abandoned` ones still in flight.
    Connected {
        /// The winning attempt.
        winner: AttemptId,
        /// Attempts still in flight, to be dropped.
        abandoned: Vec<AttemptId>,
    },
    /// Every attempt failed, or there was no address to try.
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Attempt {
    NotStarted,
    InFlight,
    Failed,
}

/// The attempts of one outgoing connection.
///
/// Drain [`ConnectAttempts::poll_start`] (the reactor opens one socket per address and
/// reports a synchronous failure with [`ConnectAttempts::handle_failed`]), then report each
/// completion with [`ConnectAttempts::handle_connected`] or
/// [`ConnectAttempts::handle_failed`], and drain [`ConnectAttempts::poll_event`] after each
/// input. When one batch of readiness reports both failures and a success, report the
/// failures first so the counts read in order.
#[derive(Debug, Clone)]
pub struct ConnectAttempts {
    addrs: Vec<SocketAddr>,
    attempts: Vec<Attempt>,
    next_start: usize,
    in_flight: usize,
    reported: Option<usize>,
    done: bool,
    events: VecDeque<ConnectEvent>,
}

impl ConnectAttempts {
    /// Attempts for the resolved `addrs`; none means the connection fails at once.
    pub fn new(addrs: Vec<SocketAddr>) -> Self {
        let attempts = vec![Attempt::NotStarted; addrs.len()];
        let mut this = Self {
            addrs,
            attempts,
            next_start: 0,
            in_flight: 0,
            reported: None,
            done: false,
            events: VecDeque::new(),
        };
        if this.addrs.is_empty() {
            this.finish_failed();
        }
        this
    }

    /// Attempts in flight.
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// Whether the outcome (connected or failed) is known.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The address of an attempt.
    pub fn addr(&self, id: AttemptId) -> Option<SocketAddr> {
        self.addrs.get(id.0).copied()
    }

    /// The next attempt to start. After the last one, the first count is reported.
    #[must_use]
    pub fn poll_start(&mut self) -> Option<(AttemptId, SocketAddr)> {
        if self.done {
            return None;
        }
        if let Some(&addr) = self.addrs.get(self.next_start) {
            let id = AttemptId(self.next_start);
            self.next_start += 1;
            if let Some(slot) = self.attempts.get_mut(id.0) {
                *slot = Attempt::InFlight;
            }
            self.in_flight += 1;
            return Some((id, addr));
        }
        self.report();
        None
    }

    /// An attempt failed (at start or later). Unknown or finished attempts are ignored.
    pub fn handle_failed(&mut self, id: AttemptId) {
        if self.done || self.attempts.get(id.0) != Some(&Attempt::InFlight) {
            return;
        }
        if let Some(slot) = self.attempts.get_mut(id.0) {
            *slot = Attempt::Failed;
        }
        self.in_flight -= 1;
        if self.all_started() {
            self.report();
        }
    }

    /// An attempt connected. The first one wins; later ones are ignored.
    pub fn handle_connected(&mut self, id: AttemptId) {
        if self.done || self.attempts.get(id.0) != Some(&Attempt::InFlight) {
            return;
        }
        self.done = true;
        self.in_flight = 0;
        let abandoned = self
            .attempts
            .iter()
            .enumerate()
            .filter(|&(index, state)| index != id.0 && *state == Attempt::InFlight)
            .map(|(index, _)| AttemptId(index))
            .collect();
        self.events.push_back(ConnectEvent::Connected {
            winner: id,
            abandoned,
        });
    }

    /// The next event for the notifier.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ConnectEvent> {
        self.events.pop_front()
    }

    fn all_started(&self) -> bool {
        self.next_start >= self.addrs.len()
    }

    fn report(&mut self) {
        if self.done {
            return;
        }
        if self.in_flight == 0 {
            self.finish_failed();
        } else if self.reported != Some(self.in_flight) {
            self.reported = Some(self.in_flight);
            self.events
                .push_back(ConnectEvent::Connecting(self.in_flight));
        }
    }

    fn finish_failed(&mut self) {
        self.done = true;
        self.events.push_back(ConnectEvent::Failed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs(n: u16) -> Vec<SocketAddr> {
        (0..n)
            .map(|i| SocketAddr::from(([127, 0, 0, 1], 1000 + i)))
            .collect()
    }

    fn drain(attempts: &mut ConnectAttempts) -> Vec<ConnectEvent> {
        std::iter::from_fn(|| attempts.poll_event()).collect()
    }

    fn start_all(attempts: &mut ConnectAttempts) -> Vec<AttemptId> {
        std::iter::from_fn(|| attempts.poll_start())
            .map(|(id, _)| id)
            .collect()
    }

    #[test]
    fn one_refusing_one_listening_counts_down_then_connects() {
        let mut attempts = ConnectAttempts::new(addrs(2));
        assert_eq!(start_all(&mut attempts), [AttemptId(0), AttemptId(1)]);
        assert_eq!(drain(&mut attempts), [ConnectEvent::Connecting(2)]);
        attempts.handle_failed(AttemptId(0));
        attempts.handle_connected(AttemptId(1));
        assert_eq!(
            drain(&mut attempts),
            [
                ConnectEvent::Connecting(1),
                ConnectEvent::Connected {
                    winner: AttemptId(1),
                    abandoned: vec![]
                }
            ]
        );
        attempts.handle_failed(AttemptId(1));
        assert_eq!(drain(&mut attempts), []);
    }

    #[test]
    fn all_failing_fails_once() {
        let mut attempts = ConnectAttempts::new(addrs(2));
        start_all(&mut attempts);
        attempts.handle_failed(AttemptId(1));
        attempts.handle_failed(AttemptId(1));
        attempts.handle_failed(AttemptId(0));
        assert_eq!(
            drain(&mut attempts),
            [
                ConnectEvent::Connecting(2),
                ConnectEvent::Connecting(1),
                ConnectEvent::Failed
            ]
        );
    }

    #[test]
    fn synchronous_start_failures_are_counted_before_the_first_report() {
        let mut attempts = ConnectAttempts::new(addrs(3));
        let (first, _) = attempts.poll_start().unwrap();
        attempts.handle_failed(first);
        let rest = start_all(&mut attempts);
        assert_eq!(rest, [AttemptId(1), AttemptId(2)]);
        assert_eq!(drain(&mut attempts), [ConnectEvent::Connecting(2)]);
    }

    #[test]
    fn first_success_abandons_the_rest() {
        let mut attempts = ConnectAttempts::new(addrs(3));
        start_all(&mut attempts);
        drain(&mut attempts);
        attempts.handle_connected(AttemptId(2));
        attempts.handle_connected(AttemptId(0));
        assert_eq!(
            drain(&mut attempts),
            [ConnectEvent::Connected {
                winner: AttemptId(2),
                abandoned: vec![AttemptId(0), AttemptId(1)]
            }]
        );
        assert!(attempts.is_done());
    }

    #[test]
    fn no_address_fails_at_once() {
        let mut attempts = ConnectAttempts::new(Vec::new());
        assert_eq!(attempts.poll_start(), None);
        assert_eq!(drain(&mut attempts), [ConnectEvent::Failed]);
    }

    #[test]
    fn every_start_failing_synchronously_fails() {
        let mut attempts = ConnectAttempts::new(addrs(2));
        while let Some((id, _)) = attempts.poll_start() {
            attempts.handle_failed(id);
        }
        assert_eq!(drain(&mut attempts), [ConnectEvent::Failed]);
    }
}
