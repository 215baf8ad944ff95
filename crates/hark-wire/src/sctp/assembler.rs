//! [`NotificationAssembler`]: joins a notification delivered in several reads.

use super::error::AssembleError;

/// Default upper bound for one notification: 256 KiB.
pub const DEFAULT_MAX_NOTIFICATION: usize = 256 * 1024;

/// Joins the pieces of a notification until the read that carries `MSG_EOR`.
///
/// A kernel delivers a notification larger than the receive buffer (typically a send-failed
/// event carrying the whole undelivered message) over several `recvmsg` calls; only the last
/// has `MSG_EOR` set. Feed every read with `MSG_NOTIFICATION` to [`push`](Self::push). The
/// buffer is bounded: a notification growing past `max_size` is dropped with
/// [`AssembleError::TooLarge`] and never buffered beyond the limit.
#[derive(Debug, Clone)]
pub struct NotificationAssembler {
    buf: Vec<u8>,
    max_size: usize,
    complete: bool,
}

impl Default for NotificationAssembler {
    fn default() -> Self {
        NotificationAssembler::new(DEFAULT_MAX_NOTIFICATION)
    }
}

impl NotificationAssembler {
    /// An assembler accepting notifications of at most `max_size` bytes.
    pub fn new(max_size: usize) -> Self {
        NotificationAssembler {
            buf: Vec::new(),
            max_size,
            complete: false,
        }
    }

    /// The configured maximum.
    pub fn max_size(&self) -> usize {
        self.max_size
    }

    /// Bytes of an unfinished notification held so far.
    pub fn pending_len(&self) -> usize {
        if self.complete { 0 } else { self.buf.len() }
    }

    /// Drops any partial notification.
    pub fn reset(&mut self) {
        self.buf.clear();
        self.complete = false;
    }

    /// Adds one read. Returns the complete notification when `eor` (the read had `MSG_EOR`)
    /// is true, `None` while more pieces are expected.
    ///
    /// A notification that arrives whole in one read is returned without copying. The
    /// returned bytes stay valid until the next call.
    pub fn push<'s>(
        &'s mut self,
        piece: &'s [u8],
        eor: bool,
    ) -> Result<Option<&'s [u8]>, AssembleError> {
        if self.complete {
            self.reset();
        }
        let total = self.buf.len().saturating_add(piece.len());
        if total > self.max_size {
            self.reset();
            return Err(AssembleError::TooLarge {
                max: self.max_size,
                got: total,
            });
        }
        if eor && self.buf.is_empty() {
            return Ok(Some(piece));
        }
        self.buf.extend_from_slice(piece);
        if eor {
            self.complete = true;
            Ok(Some(&self.buf))
        } else {
            Ok(None)
        }
    }
}
