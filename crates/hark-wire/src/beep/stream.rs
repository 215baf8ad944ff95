//! Reading frames off a BEEP byte stream.
//!
//! [`Decoder::decode`] looks at the start of a receive buffer and returns either one whole
//! frame (data or `SEQ`), or [`Status::Incomplete`] with how many more bytes it needs at
//! least, or an [`Error`] as soon as the bytes seen make the frame poorly-formed (a bad
//! keyword or an out-of-range number is refused before the rest of its header line arrives;
//! a payload larger than the configured maximum is refused before any of it is buffered).
//!
//! ```
//! use hark_wire::beep::header::FrameType;
//! use hark_wire::beep::stream::{Decoded, Decoder, Status};
//!
//! // RFC 3080 section 2.3.1.1: the listener's empty greeting, arriving in two pieces.
//! let stream = b"RPY 0 0 . 0 52\r\nContent-Type: application/beep+xml\r\n\r\n<greeting />\r\nEND\r\n";
//! let decoder = Decoder::default();
//! assert_eq!(decoder.decode(&stream[..10]).unwrap(), Status::Incomplete { needed: 1 });
//! assert_eq!(decoder.decode(&stream[..20]).unwrap(), Status::Incomplete { needed: 53 });
//! let Status::Complete(Decoded::Data(frame)) = decoder.decode(stream).unwrap() else {
//!     panic!("one whole frame")
//! };
//! assert_eq!(frame.frame_type(), FrameType::Rpy);
//! assert_eq!(frame.len(), stream.len());
//! assert!(frame.payload().ends_with(b"<greeting />\r\n"));
//!
//! let too_big = Decoder::new(16).decode(b"MSG 1 0 . 0 17\r\n");
//! assert!(too_big.is_err());
//! ```

use super::error::Error;
use super::frame::{Frame, check_body};
use super::header::{Line, MAX_31, Stop, parse_line};
use super::seq::SeqFrame;

/// The default largest payload a [`Decoder`] accepts: 1 MiB.
pub const DEFAULT_MAX_PAYLOAD: u32 = 1 << 20;

/// What [`Decoder::decode`] found at the start of the buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status<T> {
    /// One whole item.
    Complete(T),
    /// The item is not all there yet.
    Incomplete {
        /// At least this many more bytes are needed (exactly this many once the header
        /// line is complete).
        needed: usize,
    },
}

/// One frame read off the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoded<'a> {
    /// A data frame (MSG, RPY, ERR, ANS, NUL).
    Data(Frame<&'a [u8]>),
    /// A `SEQ` frame of the TCP mapping.
    Seq(SeqFrame<&'a [u8]>),
}

impl Decoded<'_> {
    /// How many bytes of the buffer the frame takes: consume them before decoding again.
    pub fn len(&self) -> usize {
        match self {
            Self::Data(frame) => frame.len(),
            Self::Seq(frame) => frame.len(),
        }
    }

    /// Always false: a frame is never empty (provided for clippy's `len_without_is_empty`).
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// Splits a byte stream into frames, refusing payloads larger than a maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decoder {
    max_payload: u32,
}

impl Default for Decoder {
    /// A decoder that accepts payloads of up to [`DEFAULT_MAX_PAYLOAD`] bytes.
    fn default() -> Self {
        Self::new(DEFAULT_MAX_PAYLOAD)
    }
}

impl Decoder {
    /// A decoder that accepts payloads of up to `max_payload` bytes (capped at 2^31-1, the
    /// largest size RFC 3080 allows).
    pub const fn new(max_payload: u32) -> Self {
        Self {
            max_payload: if max_payload > MAX_31 {
                MAX_31
            } else {
                max_payload
            },
        }
    }

    /// The largest payload accepted.
    pub fn max_payload(&self) -> u32 {
        self.max_payload
    }

    /// Reads the frame at the start of `buf`.
    pub fn decode<'a>(&self, buf: &'a [u8]) -> Result<Status<Decoded<'a>>, Error> {
        let (line, header_len) = match parse_line(buf) {
            Ok(parsed) => parsed,
            Err(Stop::Incomplete) => return Ok(Status::Incomplete { needed: 1 }),
            Err(Stop::Bad(error)) => return Err(error),
        };
        let header = match line {
            Line::Seq(repr) => {
                let frame = SeqFrame::from_parts(&buf[..header_len], repr);
                return Ok(Status::Complete(Decoded::Seq(frame)));
            }
            Line::Data(header) => header,
        };
        if header.size > self.max_payload {
            return Err(Error::FrameTooLarge {
                size: header.size,
                max: self.max_payload,
            });
        }
        match check_body(&header, header_len, buf)? {
            Some(total) => {
                let frame = Frame::from_parts(&buf[..total], header, header_len);
                Ok(Status::Complete(Decoded::Data(frame)))
            }
            None => {
                let total = header_len + header.size as usize + super::header::TRAILER.len();
                Ok(Status::Incomplete {
                    needed: total - buf.len(),
                })
            }
        }
    }
}
