//! Data frames (RFC 3080 section 2.2.1): header line, payload, `END` trailer.
//!
//! [`Frame`] is a checked view over the bytes of exactly one frame; [`FrameRepr`] the owned
//! (payload-borrowing) representation with [`FrameRepr::parse`], [`FrameRepr::emit`] and
//! [`FrameRepr::buffer_len`]. To read frames off a byte stream use
//! [`Decoder`](super::stream::Decoder).
//!
//! ```
//! use hark_wire::beep::frame::{Frame, FrameRepr};
//! use hark_wire::beep::header::{FrameType, More};
//!
//! // RFC 3080 section 2.2.1.1: the empty RPY frame that ends a reply.
//! let bytes = b"RPY 0 1 . 307 0\r\nEND\r\n";
//! let frame = Frame::new_checked(&bytes[..]).unwrap();
//! assert_eq!(frame.frame_type(), FrameType::Rpy);
//! assert_eq!((frame.channel(), frame.msgno(), frame.seqno()), (0, 1, 307));
//! assert_eq!(frame.more(), More::Complete);
//! assert!(frame.payload().is_empty());
//!
//! let repr = FrameRepr {
//!     frame_type: FrameType::Rpy,
//!     channel: 0,
//!     msgno: 1,
//!     more: More::Complete,
//!     seqno: 307,
//!     payload: b"",
//! };
//! assert_eq!(FrameRepr::parse(&frame), repr);
//! let mut buf = [0u8; 64];
//! let len = repr.emit(&mut buf).unwrap();
//! assert_eq!(&buf[..len], bytes);
//! ```

use super::error::{Error, Field};
use super::header::{DataHeader, FrameType, Line, MAX_31, More, Stop, TRAILER, parse_line};

/// A validated view over the bytes of exactly one data frame.
///
/// Construction parses the header and checks the `NUL` rules, the payload length and the
/// trailer once; every getter is infallible afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<T: AsRef<[u8]>> {
    buffer: T,
    header: DataHeader,
    header_len: usize,
}

impl<T: AsRef<[u8]>> Frame<T> {
    /// Validates that `buffer` holds one data frame and nothing else.
    pub fn new_checked(buffer: T) -> Result<Self, Error> {
        let bytes = buffer.as_ref();
        let (header, header_len) = match parse_line(bytes) {
            Ok((Line::Data(header), len)) => (header, len),
            Ok((Line::Seq(_), _)) => {
                return Err(Error::MalformedHeader {
                    offset: 0,
                    expected: "a data frame (MSG, RPY, ERR, ANS or NUL), not SEQ",
                });
            }
            Err(Stop::Incomplete) => return Err(Error::Truncated { len: bytes.len() }),
            Err(Stop::Bad(error)) => return Err(error),
        };
        let total =
            check_body(&header, header_len, bytes)?.ok_or(Error::Truncated { len: bytes.len() })?;
        if total != bytes.len() {
            return Err(Error::SizeMismatch {
                declared: total,
                actual: bytes.len(),
            });
        }
        Ok(Self {
            buffer,
            header,
            header_len,
        })
    }

    /// Wraps a frame the stream decoder already validated.
    pub(crate) fn from_parts(buffer: T, header: DataHeader, header_len: usize) -> Self {
        Self {
            buffer,
            header,
            header_len,
        }
    }

    /// The parsed header line.
    pub fn header(&self) -> DataHeader {
        self.header
    }

    /// The keyword (with the answer number of `ANS`).
    pub fn frame_type(&self) -> FrameType {
        self.header.frame_type
    }

    /// The channel number.
    pub fn channel(&self) -> u32 {
        self.header.channel
    }

    /// The message number.
    pub fn msgno(&self) -> u32 {
        self.header.msgno
    }

    /// The continuation indicator.
    pub fn more(&self) -> More {
        self.header.more
    }

    /// The sequence number of the payload's first octet.
    pub fn seqno(&self) -> u32 {
        self.header.seqno
    }

    /// The payload size the header declares (equal to `payload().len()`).
    pub fn size(&self) -> u32 {
        self.header.size
    }

    /// The answer number of an `ANS` frame.
    pub fn ansno(&self) -> Option<u32> {
        self.header.frame_type.ansno()
    }

    /// Length of the header line, CR LF included.
    pub fn header_len(&self) -> usize {
        self.header_len
    }

    /// The header line's bytes, CR LF included.
    pub fn header_bytes(&self) -> &[u8] {
        &self.buffer.as_ref()[..self.header_len]
    }

    /// The payload (MIME headers and content).
    pub fn payload(&self) -> &[u8] {
        let bytes = self.buffer.as_ref();
        &bytes[self.header_len..bytes.len() - TRAILER.len()]
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

impl<'a> Frame<&'a [u8]> {
    /// The payload, borrowing the underlying buffer rather than the view.
    pub fn payload_ref(&self) -> &'a [u8] {
        let bytes: &'a [u8] = self.buffer;
        &bytes[self.header_len..bytes.len() - TRAILER.len()]
    }
}

/// After a parsed header: checks the `NUL` rules, then, once the payload and trailer are in
/// `bytes`, the trailer. Returns the whole frame's length, or `None` while bytes are missing.
pub(crate) fn check_body(
    header: &DataHeader,
    header_len: usize,
    bytes: &[u8],
) -> Result<Option<usize>, Error> {
    super::header::check_nul(header.frame_type, header.more, header.size)?;
    // size <= 2^31-1 and header_len <= 62: no overflow on any target of 32 bits or more.
    let payload_end = header_len + header.size as usize;
    let total = payload_end + TRAILER.len();
    match bytes.get(payload_end..total) {
        Some(trailer) if trailer == TRAILER => Ok(Some(total)),
        Some(_) => Err(Error::MissingTrailer { size: header.size }),
        None => Ok(None),
    }
}

/// A data frame as typed values; the payload borrows from elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FrameRepr<'a> {
    /// The keyword (with the answer number of `ANS`).
    pub frame_type: FrameType,
    /// The channel number (0..=2^31-1).
    pub channel: u32,
    /// The message number (0..=2^31-1).
    pub msgno: u32,
    /// The continuation indicator.
    pub more: More,
    /// Sequence number of the payload's first octet on this channel (wrapping).
    pub seqno: u32,
    /// The payload (MIME headers and content); at most 2^31-1 bytes.
    pub payload: &'a [u8],
}

impl<'a> FrameRepr<'a> {
    /// Reads a validated frame. The repr borrows the bytes the view was made over.
    pub fn parse(frame: &Frame<&'a [u8]>) -> Self {
        let header = frame.header();
        Self {
            frame_type: header.frame_type,
            channel: header.channel,
            msgno: header.msgno,
            more: header.more,
            seqno: header.seqno,
            payload: frame.payload_ref(),
        }
    }

    /// Validates and reads one whole frame in one step.
    pub fn parse_bytes(bytes: &'a [u8]) -> Result<Self, Error> {
        Ok(Self::parse(&Frame::new_checked(bytes)?))
    }

    /// The header line this frame is emitted with; fails if the payload is longer than
    /// 2^31-1 bytes.
    pub fn header(&self) -> Result<DataHeader, Error> {
        let size = u32::try_from(self.payload.len())
            .ok()
            .filter(|&size| size <= MAX_31)
            .ok_or(Error::EmitOutOfRange {
                field: Field::Size,
                value: self.payload.len() as u64,
            })?;
        Ok(DataHeader {
            frame_type: self.frame_type,
            channel: self.channel,
            msgno: self.msgno,
            more: self.more,
            seqno: self.seqno,
            size,
        })
    }

    /// Length of the whole frame: header line, payload and trailer.
    pub fn buffer_len(&self) -> usize {
        let size = u32::try_from(self.payload.len()).unwrap_or(u32::MAX);
        let header = DataHeader {
            frame_type: self.frame_type,
            channel: self.channel,
            msgno: self.msgno,
            more: self.more,
            seqno: self.seqno,
            size,
        };
        header.buffer_len() + self.payload.len() + TRAILER.len()
    }

    /// Writes the whole frame to the start of `buf`; returns how many bytes it took.
    /// Never writes a poorly-formed frame: out-of-range fields and a `NUL` that is
    /// intermediate or not empty are refused.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, Error> {
        let header = self.header()?;
        header.check()?;
        let header_len = header.buffer_len();
        let payload_end = header_len + self.payload.len();
        let required = payload_end + TRAILER.len();
        if buf.len() < required {
            return Err(Error::BufferTooSmall { required });
        }
        header.write(&mut buf[..header_len]);
        buf[header_len..payload_end].copy_from_slice(self.payload);
        buf[payload_end..required].copy_from_slice(TRAILER);
        Ok(required)
    }
}
