//! The typed errors of the SCTP codec.

use thiserror::Error;

/// Why bytes could not be parsed as an SCTP notification or socket struct.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ParseError {
    /// Fewer bytes than the fixed part of the struct.
    #[error("truncated {what}: need {needed} bytes, got {got}")]
    Truncated {
        /// The C struct being read.
        what: &'static str,
        /// Bytes its fixed part needs.
        needed: usize,
        /// Bytes available.
        got: usize,
    },
    /// The header's `sn_length` disagrees with the number of bytes given.
    #[error("length field says {declared} bytes but {actual} bytes were given")]
    LengthMismatch {
        /// `sn_length` as read.
        declared: u32,
        /// Bytes given.
        actual: usize,
    },
    /// `sn_type` is not a notification of the chosen layout.
    #[error("unknown notification type {sn_type:#06x} for the {layout} layout")]
    UnknownType {
        /// The raw `sn_type`.
        sn_type: u16,
        /// The layout name.
        layout: &'static str,
    },
    /// A `uint16_t` list (stream reset) whose byte length is odd.
    #[error("{what} has an odd byte length {len}")]
    OddListLength {
        /// The list being read.
        what: &'static str,
        /// Its byte length.
        len: usize,
    },
}

/// Why a value could not be written.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum EmitError {
    /// The output buffer is shorter than [`buffer_len`](super::Notification::buffer_len).
    #[error("buffer too small: {required} bytes required")]
    BufferTooSmall {
        /// Bytes needed.
        required: usize,
    },
    /// The value holds something the target layout cannot express (for example
    /// `SCTP_NOTIFICATIONS_STOPPED_EVENT` or `SCTP_ADDR_POTENTIALLY_FAILED` on one side only).
    #[error("{what} does not exist in the {layout} layout")]
    NotInLayout {
        /// What could not be expressed.
        what: &'static str,
        /// The layout name.
        layout: &'static str,
    },
    /// The total length does not fit the 32-bit length field.
    #[error("notification of {len} bytes does not fit a 32-bit length field")]
    TooLong {
        /// The length that would have been written.
        len: usize,
    },
}

/// Why [`NotificationAssembler`](super::NotificationAssembler) refused a read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum AssembleError {
    /// The pieces of one notification add up to more than the configured maximum; the
    /// partial notification was dropped and the assembler is ready for the next one.
    #[error("notification exceeds the {max}-byte limit ({got} bytes so far)")]
    TooLarge {
        /// The configured maximum.
        max: usize,
        /// Bytes the notification would have reached.
        got: usize,
    },
}
