//! `close` (flush, then shut down) and `hard_close` (drop pending data), with `closed`
//! reported exactly once.

/// What the reactor must do to the socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseAction {
    /// Send FIN: shut down the writing half. Pending data has been flushed.
    ShutdownWrite,
    /// Drop the socket and report `closed`. Given exactly once per connection.
    Release,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Open,
    /// Flushing pending data; no new writes.
    Flushing,
    /// FIN sent; reading until the peer's end of stream.
    WriteShut,
    Closed,
}

/// The closing state of one connection.
///
/// `close` stops new writes and waits for the pending queue to drain
/// ([`CloseState::handle_flushed`]); then the writing half shuts down and the connection
/// reads until the peer's end of stream, after which it is released. The peer's end of
/// stream on an open connection starts the same graceful close. `hard_close` (or an I/O
/// error) releases at once and the reactor drops pending data.
#[derive(Debug, Clone)]
pub struct CloseState {
    phase: Phase,
    peer_eof: bool,
    actions: [Option<CloseAction>; 2],
}

impl Default for CloseState {
    fn default() -> Self {
        Self::new()
    }
}

impl CloseState {
    /// An open connection.
    pub fn new() -> Self {
        Self {
            phase: Phase::Open,
            peer_eof: false,
            actions: [None; 2],
        }
    }

    /// Whether new writes are accepted.
    pub fn accepts_writes(&self) -> bool {
        self.phase == Phase::Open
    }

    /// Whether the connection should still read from its socket.
    pub fn wants_read(&self) -> bool {
        !self.peer_eof && self.phase != Phase::Closed
    }

    /// Whether pending data should still be written.
    pub fn wants_write(&self) -> bool {
        matches!(self.phase, Phase::Open | Phase::Flushing)
    }

    /// Whether the connection has been released.
    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    /// Whether a graceful close is under way.
    pub fn is_closing(&self) -> bool {
        matches!(self.phase, Phase::Flushing | Phase::WriteShut)
    }

    /// The user asked for a graceful close.
    pub fn close(&mut self) {
        if self.phase == Phase::Open {
            self.phase = Phase::Flushing;
        }
    }

    /// The user asked for a hard close, or the socket failed.
    pub fn hard_close(&mut self) {
        if self.phase != Phase::Closed {
            self.release();
        }
    }

    /// The peer ended its stream (a zero-length read).
    pub fn handle_peer_eof(&mut self) {
        self.peer_eof = true;
        match self.phase {
            Phase::Open => self.phase = Phase::Flushing,
            Phase::WriteShut => self.release(),
            Phase::Flushing | Phase::Closed => {}
        }
    }

    /// The pending queue is empty. `reading` tells whether the connection still reads
    /// (it does not while muted; then nobody would see the peer's end of stream, so the
    /// connection is released right after its FIN).
    pub fn handle_flushed(&mut self, reading: bool) {
        if self.phase != Phase::Flushing {
            return;
        }
        self.push(CloseAction::ShutdownWrite);
        if self.peer_eof || !reading {
            self.release();
        } else {
            self.phase = Phase::WriteShut;
        }
    }

    /// The next socket action, if any.
    #[must_use]
    pub fn poll_action(&mut self) -> Option<CloseAction> {
        let first = self.actions.iter_mut().find(|slot| slot.is_some())?;
        first.take()
    }

    fn release(&mut self) {
        self.phase = Phase::Closed;
        self.push(CloseAction::Release);
    }

    fn push(&mut self, action: CloseAction) {
        if let Some(slot) = self.actions.iter_mut().find(|slot| slot.is_none()) {
            *slot = Some(action);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(state: &mut CloseState) -> Vec<CloseAction> {
        std::iter::from_fn(|| state.poll_action()).collect()
    }

    #[test]
    fn close_flushes_then_shuts_down_then_waits_for_the_peer() {
        let mut state = CloseState::new();
        state.close();
        assert!(!state.accepts_writes());
        assert!(state.wants_write());
        assert_eq!(drain(&mut state), []);
        state.handle_flushed(true);
        assert_eq!(drain(&mut state), [CloseAction::ShutdownWrite]);
        assert!(state.wants_read());
        state.handle_peer_eof();
        assert_eq!(drain(&mut state), [CloseAction::Release]);
        assert!(state.is_closed());
    }

    #[test]
    fn peer_eof_starts_a_graceful_close() {
        let mut state = CloseState::new();
        state.handle_peer_eof();
        assert!(!state.wants_read());
        assert!(!state.accepts_writes());
        state.handle_flushed(false);
        assert_eq!(
            drain(&mut state),
            [CloseAction::ShutdownWrite, CloseAction::Release]
        );
    }

    #[test]
    fn muted_close_releases_after_its_fin() {
        let mut state = CloseState::new();
        state.close();
        state.handle_flushed(false);
        assert_eq!(
            drain(&mut state),
            [CloseAction::ShutdownWrite, CloseAction::Release]
        );
    }

    #[test]
    fn release_is_reported_exactly_once() {
        let mut state = CloseState::new();
        state.close();
        state.hard_close();
        state.hard_close();
        state.handle_peer_eof();
        state.handle_flushed(true);
        state.close();
        assert_eq!(drain(&mut state), [CloseAction::Release]);
    }

    #[test]
    fn flushed_while_open_does_nothing() {
        let mut state = CloseState::new();
        state.handle_flushed(true);
        assert_eq!(drain(&mut state), []);
        assert!(state.accepts_writes());
    }
}
