//! How much one connection reads in a turn before it yields to the others.

/// Per-turn read accounting: the bytes delivered and the `times` count of `received`.
///
/// A turn starts when the reactor services a readable connection. Each delivered frame is
/// counted; once `yield_after` bytes were delivered, or the notifier asked to yield, the
/// reactor stops reading this connection and resumes it after the other ready ones.
#[derive(Debug, Clone)]
pub struct ReadBudget {
    yield_after: usize,
    delivered: usize,
    times: usize,
    yield_requested: bool,
}

impl ReadBudget {
    /// A budget that yields after `yield_after` bytes per turn (at least one).
    pub fn new(yield_after: usize) -> Self {
        Self {
            yield_after: yield_after.max(1),
            delivered: 0,
            times: 0,
            yield_requested: false,
        }
    }

    /// Bytes a turn may deliver before yielding.
    pub fn yield_after(&self) -> usize {
        self.yield_after
    }

    /// Starts a new turn.
    pub fn start_turn(&mut self) {
        self.delivered = 0;
        self.times = 0;
        self.yield_requested = false;
    }

    /// Counts one delivered frame of `len` bytes; returns its `times` value (1 for the
    /// first `received` of the turn).
    pub fn handle_delivered(&mut self, len: usize) -> usize {
        self.delivered = self.delivered.saturating_add(len);
        self.times += 1;
        self.times
    }

    /// The notifier returned false from `received`: yield now.
    pub fn handle_yield_request(&mut self) {
        self.yield_requested = true;
    }

    /// Whether the turn is over.
    pub fn should_yield(&self) -> bool {
        self.yield_requested || self.delivered >= self.yield_after
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yields_after_the_byte_budget() {
        let mut budget = ReadBudget::new(100);
        budget.start_turn();
        assert_eq!(budget.handle_delivered(60), 1);
        assert!(!budget.should_yield());
        assert_eq!(budget.handle_delivered(40), 2);
        assert!(budget.should_yield());
        budget.start_turn();
        assert!(!budget.should_yield());
        assert_eq!(budget.handle_delivered(1), 1, "times restarts each turn");
    }

    #[test]
    fn yields_when_the_notifier_asks() {
        let mut budget = ReadBudget::new(100);
        budget.start_turn();
        budget.handle_delivered(1);
        budget.handle_yield_request();
        assert!(budget.should_yield());
    }
}
