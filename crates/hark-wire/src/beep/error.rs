//! Errors of the BEEP frame codec (RFC 3080 section 2.2.1, RFC 3081 section 3.1).

use core::fmt;

/// A numeric field of a frame header, named in errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// The channel number (0..=2^31-1).
    Channel,
    /// The message number (0..=2^31-1).
    Msgno,
    /// The sequence number (0..=2^32-1).
    Seqno,
    /// The payload size (0..=2^31-1).
    Size,
    /// The answer number of an `ANS` frame (0..=2^32-1).
    Ansno,
    /// The acknowledgement number of a `SEQ` frame (0..=2^32-1).
    Ackno,
    /// The window size of a `SEQ` frame (0..=2^31-1).
    Window,
}

impl Field {
    /// The field's name as the RFCs' ABNF spells it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Channel => "channel",
            Self::Msgno => "msgno",
            Self::Seqno => "seqno",
            Self::Size => "size",
            Self::Ansno => "ansno",
            Self::Ackno => "ackno",
            Self::Window => "window",
        }
    }

    /// The largest value the field may carry.
    pub fn max(self) -> u32 {
        match self {
            Self::Channel | Self::Msgno | Self::Size | Self::Window => super::header::MAX_31,
            Self::Seqno | Self::Ansno | Self::Ackno => u32::MAX,
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why bytes are not a well-formed BEEP frame, or why a frame cannot be emitted.
///
/// Every variant but [`Error::BufferTooSmall`] makes the frame poorly-formed in the sense of
/// RFC 3080 section 2.2.1.1: the session that receives it is terminated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The header does not start with `MSG`, `RPY`, `ERR`, `ANS`, `NUL` (or `SEQ`).
    #[error("unknown BEEP frame keyword {:?}", String::from_utf8_lossy(.0))]
    UnknownKeyword([u8; 3]),
    /// A header is not `keyword SP fields... CRLF` with fields of the right shape.
    #[error("malformed BEEP header at byte {offset}: expected {expected}")]
    MalformedHeader {
        /// Offset of the offending byte from the start of the header.
        offset: usize,
        /// What the grammar wants there.
        expected: &'static str,
    },
    /// A number is larger than its field allows (or has more than 10 digits).
    #[error("BEEP {field} out of range (more than {} or more than 10 digits)", .field.max())]
    NumberOutOfRange {
        /// Which field.
        field: Field,
    },
    /// A `NUL` frame whose continuation indicator is `*`: NUL is always the last frame.
    #[error("NUL frame with continuation indicator '*'")]
    IntermediateNul,
    /// A `NUL` frame with a non-empty payload.
    #[error("NUL frame with a payload of {size} bytes: it must be empty")]
    NulWithPayload {
        /// The declared payload size.
        size: u32,
    },
    /// The payload is not followed by `END` CR LF.
    #[error("BEEP frame trailer missing: the {size}-byte payload is not followed by END CRLF")]
    MissingTrailer {
        /// The declared payload size.
        size: u32,
    },
    /// A buffer that should hold exactly one frame ends before the frame does.
    #[error("truncated BEEP frame: {len} bytes")]
    Truncated {
        /// How many bytes there were.
        len: usize,
    },
    /// A buffer that should hold exactly one frame holds a different number of bytes than
    /// the header declares.
    #[error("BEEP frame of {actual} bytes, but its header declares {declared}")]
    SizeMismatch {
        /// Header, declared payload and trailer.
        declared: usize,
        /// The bytes given.
        actual: usize,
    },
    /// The declared payload is larger than the configured maximum; refused before any of it
    /// is buffered.
    #[error("BEEP frame payload of {size} bytes exceeds the maximum of {max}")]
    FrameTooLarge {
        /// The declared payload size.
        size: u32,
        /// The configured maximum.
        max: u32,
    },
    /// A value handed to emit is out of its field's range.
    #[error("cannot emit BEEP {field} {value}: more than {}", .field.max())]
    EmitOutOfRange {
        /// Which field.
        field: Field,
        /// The value given.
        value: u64,
    },
    /// The output buffer is too small.
    #[error("buffer too small: {required} bytes required")]
    BufferTooSmall {
        /// How many bytes the frame needs.
        required: usize,
    },
}
