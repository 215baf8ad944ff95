//! RFC 3081 section 3.1 flow control of one channel, in both directions.
//!
//! Sequence numbers count payload octets per channel and direction modulo 2^32; every
//! comparison here is a wrapping one, so a channel can carry more than 4 GiB.

/// The default and initial window of every channel (RFC 3081 section 3.1.1).
pub const DEFAULT_WINDOW: u32 = 4096;

/// The largest window a SEQ frame can carry (2^31 - 1).
pub const MAX_WINDOW: u32 = 0x7fff_ffff;

/// `a - b` as a signed distance on the 2^32 circle.
#[inline]
pub(crate) fn distance(a: u32, b: u32) -> i64 {
    i64::from(a.wrapping_sub(b) as i32)
}

/// What a peer did wrong with sequence numbers or windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WindowViolation {
    /// The frame's seqno is not the next expected octet (RFC 3080 2.2.1.1).
    Seqno { expected: u32, got: u32 },
    /// The frame goes beyond the window we advertised (RFC 3081 3.1.2).
    Exceeded { edge: u32, end: u32 },
    /// A SEQ acknowledges octets we never sent (RFC 3081 3.1.3).
    AckBeyondSent { next: u32, ackno: u32 },
}

/// The receiving side: what the peer may send us.
#[derive(Debug, Clone)]
pub(crate) struct RecvWindow {
    /// Seqno of the next octet expected from the peer.
    next: u32,
    /// The window size we keep (never shrinks).
    size: u32,
    /// Octets received but not yet handed to the application.
    held: u64,
    /// The right edge last advertised: the peer may send octets before it.
    edge: u32,
    /// A SEQ is due regardless of the half-window rule (the window grew).
    force: bool,
}

impl RecvWindow {
    /// A fresh channel: nothing received, `size` octets allowed.
    pub(crate) fn new(size: u32) -> Self {
        // Until our first SEQ the peer assumes the RFC's 4096 octets.
        let size = size.min(MAX_WINDOW);
        Self {
            next: 0,
            size,
            held: 0,
            edge: DEFAULT_WINDOW,
            force: size > DEFAULT_WINDOW,
        }
    }

    /// The configured window size.
    pub(crate) fn size(&self) -> u32 {
        self.size
    }

    /// Octets received and not yet released.
    pub(crate) fn held(&self) -> u64 {
        self.held
    }

    /// Accounts for a frame of `len` octets starting at `seqno`; `hold` says whether the
    /// octets stay held until [`release`](Self::release).
    pub(crate) fn accept(
        &mut self,
        seqno: u32,
        len: u32,
        hold: bool,
    ) -> Result<(), WindowViolation> {
        if seqno != self.next {
            return Err(WindowViolation::Seqno {
                expected: self.next,
                got: seqno,
            });
        }
        let end = self.next.wrapping_add(len);
        if distance(end, self.edge) > 0 {
            return Err(WindowViolation::Exceeded {
                edge: self.edge,
                end,
            });
        }
        self.next = end;
        if hold {
            self.held += u64::from(len);
        }
        Ok(())
    }

    /// Holds `len` more octets already accepted (a message completed in one piece).
    pub(crate) fn hold(&mut self, len: u64) {
        self.held += len;
    }

    /// The application took `len` held octets.
    pub(crate) fn release(&mut self, len: u64) {
        self.held = self.held.saturating_sub(len);
    }

    /// Grows the window; a smaller size is refused (windows never shrink).
    pub(crate) fn grow(&mut self, size: u32) -> bool {
        let size = size.min(MAX_WINDOW);
        if size < self.size {
            return false;
        }
        if size > self.size {
            self.size = size;
            self.force = true;
        }
        true
    }

    /// The right edge we could advertise now.
    fn open_edge(&self) -> u32 {
        let held = self.held.min(u64::from(self.size)) as u32;
        self.next.wrapping_sub(held).wrapping_add(self.size)
    }

    /// Test hook: as if `next` octets had been received and consumed.
    #[cfg(test)]
    pub(crate) fn set_next(&mut self, next: u32) {
        self.next = next;
        self.held = 0;
        self.edge = next.wrapping_add(self.size);
    }

    /// `(ackno, window)` of a SEQ if one is due: the advertisable edge moved by more than
    /// half the window (Vortex's rule), or the window grew.
    pub(crate) fn seq_due(&self) -> Option<(u32, u32)> {
        let edge = self.open_edge();
        let growth = distance(edge, self.edge);
        if growth <= 0 {
            return None;
        }
        if self.force || growth > i64::from(self.size / 2) {
            Some((self.next, edge.wrapping_sub(self.next)))
        } else {
            None
        }
    }

    /// Records that a SEQ with `(ackno, window)` from [`seq_due`](Self::seq_due) went out.
    pub(crate) fn advertised(&mut self, ackno: u32, window: u32) {
        self.edge = ackno.wrapping_add(window);
        self.force = false;
    }
}

/// The sending side: what the peer lets us send.
#[derive(Debug, Clone)]
pub(crate) struct SendWindow {
    /// Seqno of the next octet we send.
    next: u32,
    /// The peer's right edge: we may send octets before it.
    edge: u32,
}

impl Default for SendWindow {
    fn default() -> Self {
        Self {
            next: 0,
            edge: DEFAULT_WINDOW,
        }
    }
}

impl SendWindow {
    /// Seqno of the next octet to send.
    pub(crate) fn next(&self) -> u32 {
        self.next
    }

    /// Test hook: as if `next` octets had been sent and acknowledged.
    #[cfg(test)]
    pub(crate) fn set_next(&mut self, next: u32) {
        self.next = next;
        self.edge = next.wrapping_add(DEFAULT_WINDOW);
    }

    /// Octets we may send now.
    pub(crate) fn usable(&self) -> u32 {
        distance(self.edge, self.next).max(0) as u32
    }

    /// `len` octets went out.
    pub(crate) fn sent(&mut self, len: u32) {
        self.next = self.next.wrapping_add(len);
    }

    /// A SEQ arrived; returns whether the usable window grew. A shrinking edge is ignored
    /// (octets already allowed stay allowed).
    pub(crate) fn on_seq(&mut self, ackno: u32, window: u32) -> Result<bool, WindowViolation> {
        if distance(ackno, self.next) > 0 {
            return Err(WindowViolation::AckBeyondSent {
                next: self.next,
                ackno,
            });
        }
        let edge = ackno.wrapping_add(window);
        if distance(edge, self.edge) > 0 {
            self.edge = edge;
            Ok(true)
        } else {
            Ok(false)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seq_after_more_than_half_is_consumed() {
        let mut w = RecvWindow::new(DEFAULT_WINDOW);
        w.accept(0, 2048, true).unwrap();
        w.release(2048);
        assert_eq!(w.seq_due(), None, "exactly half is not more than half");
        w.accept(2048, 1, true).unwrap();
        w.release(1);
        assert_eq!(w.seq_due(), Some((2049, 4096)));
        w.advertised(2049, 4096);
        assert_eq!(w.seq_due(), None);
    }

    #[test]
    fn held_octets_keep_the_window_closed() {
        let mut w = RecvWindow::new(DEFAULT_WINDOW);
        w.accept(0, 4096, true).unwrap();
        assert_eq!(w.seq_due(), None);
        assert_eq!(
            w.accept(4096, 1, true),
            Err(WindowViolation::Exceeded {
                edge: 4096,
                end: 4097
            })
        );
        w.release(4096);
        assert_eq!(w.seq_due(), Some((4096, 4096)));
    }

    #[test]
    fn wrong_seqno_is_a_violation() {
        let mut w = RecvWindow::new(DEFAULT_WINDOW);
        assert_eq!(
            w.accept(5, 1, false),
            Err(WindowViolation::Seqno {
                expected: 0,
                got: 5
            })
        );
    }

    #[test]
    fn a_larger_window_is_advertised_at_once_and_never_shrinks() {
        let mut w = RecvWindow::new(1 << 20);
        assert_eq!(w.seq_due(), Some((0, 1 << 20)));
        w.advertised(0, 1 << 20);
        assert!(!w.grow(4096));
        assert!(w.grow(2 << 20));
        assert_eq!(w.seq_due(), Some((0, 2 << 20)));
    }

    #[test]
    fn seqnos_wrap_modulo_2_pow_32() {
        let mut w = RecvWindow::new(DEFAULT_WINDOW);
        w.next = u32::MAX - 10;
        w.edge = w.next.wrapping_add(4096);
        w.accept(u32::MAX - 10, 100, false).unwrap();
        assert_eq!(w.next, 89);
        let mut s = SendWindow {
            next: u32::MAX - 10,
            edge: (u32::MAX - 10).wrapping_add(4096),
        };
        s.sent(100);
        assert_eq!(s.usable(), 3996);
        assert_eq!(s.on_seq(89, 4096), Ok(true));
        assert_eq!(s.usable(), 4096);
        assert_eq!(
            s.on_seq(90, 4096),
            Err(WindowViolation::AckBeyondSent {
                next: 89,
                ackno: 90
            })
        );
    }

    #[test]
    fn a_shrinking_seq_is_ignored() {
        let mut s = SendWindow::default();
        assert_eq!(s.on_seq(0, 100), Ok(false));
        assert_eq!(s.usable(), 4096);
    }
}
