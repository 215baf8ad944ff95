//! The `SEQ` frame of the TCP mapping (RFC 3081 section 3.1): `SEQ channel ackno window`.
//!
//! ```
//! use hark_wire::beep::seq::{SeqFrame, SeqRepr};
//!
//! // Channel 0 with nothing received yet and the initial 4096-octet window (RFC 3081 3.1.1).
//! let bytes = b"SEQ 0 0 4096\r\n";
//! let frame = SeqFrame::new_checked(&bytes[..]).unwrap();
//! assert_eq!((frame.channel(), frame.ackno(), frame.window()), (0, 0, 4096));
//!
//! let repr = SeqRepr { channel: 0, ackno: 0, window: 4096 };
//! let mut buf = [0u8; 64];
//! let len = repr.emit(&mut buf).unwrap();
//! assert_eq!(&buf[..len], bytes);
//! ```

use core::fmt;

use super::error::{Error, Field};
use super::header::{Line, MAX_31, Stop, Writer, digits, parse_line};

/// A `SEQ` frame as typed values: the receiver of `channel` has consumed every octet
/// before `ackno` and can take `window` octets from there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SeqRepr {
    /// The channel (0..=2^31-1).
    pub channel: u32,
    /// The sequence number of the next octet the receiver expects (0..=2^32-1, wrapping).
    pub ackno: u32,
    /// How many octets from `ackno` on the receiver accepts (0..=2^31-1).
    pub window: u32,
}

impl SeqRepr {
    /// Reads a validated `SEQ` frame.
    pub fn parse<T: AsRef<[u8]>>(frame: &SeqFrame<T>) -> Self {
        frame.repr
    }

    /// Length of the frame, CR LF included.
    pub fn buffer_len(&self) -> usize {
        3 + 1 + digits(self.channel) + 1 + digits(self.ackno) + 1 + digits(self.window) + 2
    }

    /// Writes the frame to the start of `buf`; returns its length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, Error> {
        for (field, value) in [(Field::Channel, self.channel), (Field::Window, self.window)] {
            if value > MAX_31 {
                return Err(Error::EmitOutOfRange {
                    field,
                    value: value.into(),
                });
            }
        }
        let required = self.buffer_len();
        let Some(out) = buf.get_mut(..required) else {
            return Err(Error::BufferTooSmall { required });
        };
        let mut w = Writer { buf: out, pos: 0 };
        w.bytes(b"SEQ");
        w.number(self.channel);
        w.number(self.ackno);
        w.number(self.window);
        w.bytes(b"\r\n");
        Ok(w.pos)
    }
}

/// The frame without its CR LF, as on the wire.
impl fmt::Display for SeqRepr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SEQ {} {} {}", self.channel, self.ackno, self.window)
    }
}

/// A validated view over the bytes of exactly one `SEQ` frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeqFrame<T: AsRef<[u8]>> {
    buffer: T,
    repr: SeqRepr,
}

impl<T: AsRef<[u8]>> SeqFrame<T> {
    /// Validates that `buffer` holds one `SEQ` frame and nothing else.
    pub fn new_checked(buffer: T) -> Result<Self, Error> {
        let bytes = buffer.as_ref();
        match parse_line(bytes) {
            Ok((Line::Seq(repr), len)) if len == bytes.len() => Ok(Self { buffer, repr }),
            Ok((Line::Seq(_), len)) => Err(Error::SizeMismatch {
                declared: len,
                actual: bytes.len(),
            }),
            Ok((Line::Data(_), _)) => Err(Error::MalformedHeader {
                offset: 0,
                expected: "SEQ",
            }),
            Err(Stop::Incomplete) => Err(Error::Truncated { len: bytes.len() }),
            Err(Stop::Bad(error)) => Err(error),
        }
    }

    /// Wraps a frame the stream decoder already validated.
    pub(crate) fn from_parts(buffer: T, repr: SeqRepr) -> Self {
        Self { buffer, repr }
    }

    /// The channel.
    pub fn channel(&self) -> u32 {
        self.repr.channel
    }

    /// The acknowledgement number.
    pub fn ackno(&self) -> u32 {
        self.repr.ackno
    }

    /// The window.
    pub fn window(&self) -> u32 {
        self.repr.window
    }

    /// The frame's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    /// The frame's length in bytes.
    pub fn len(&self) -> usize {
        self.buffer.as_ref().len()
    }

    /// Always false: a frame is never empty (provided for clippy's `len_without_is_empty`).
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The underlying buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }
}
