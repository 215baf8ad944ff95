//! The header line of a BEEP frame: its keyword and numbers, parsed and emitted.
//!
//! RFC 3080 section 2.2.1 gives the data frame header as
//! `keyword SP channel SP msgno SP more SP seqno SP size [SP ansno] CR LF`, RFC 3081 section
//! 3.1 the mapping frame `SEQ SP channel SP ackno SP window CR LF`. All numbers are decimal.
//! Parsing reads the line incrementally, so a bad keyword or an out-of-range number is refused
//! as soon as its bytes arrive, without waiting for the end of the line.

use core::fmt;

use super::error::{Error, Field};
use super::seq::SeqRepr;

/// The largest channel number, message number, payload size and window: 2^31 - 1.
pub const MAX_31: u32 = i32::MAX as u32;

/// The longest data frame header line, CR LF included (an `ANS` with ten-digit numbers).
pub const MAX_HEADER_LEN: usize = 62;

/// The trailer that ends every data frame (RFC 3080 section 2.2.1.3).
pub const TRAILER: &[u8; 5] = b"END\r\n";

/// The five kinds of data frame. `ANS` carries its answer number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FrameType {
    /// `MSG`: a message that asks for a reply.
    Msg,
    /// `RPY`: a positive reply (one-to-one).
    Rpy,
    /// `ERR`: a negative reply (one-to-one).
    Err,
    /// `ANS`: one answer of a one-to-many reply.
    Ans {
        /// Distinguishes answers in progress for the same message (0..=2^32-1).
        ansno: u32,
    },
    /// `NUL`: the end of a one-to-many reply; always complete and empty.
    Nul,
}

impl FrameType {
    /// The three-letter keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            Self::Msg => "MSG",
            Self::Rpy => "RPY",
            Self::Err => "ERR",
            Self::Ans { .. } => "ANS",
            Self::Nul => "NUL",
        }
    }

    /// The answer number, for `ANS`.
    pub fn ansno(self) -> Option<u32> {
        match self {
            Self::Ans { ansno } => Some(ansno),
            _ => None,
        }
    }

    /// Whether this is a reply (anything but `MSG`).
    pub fn is_reply(self) -> bool {
        !matches!(self, Self::Msg)
    }
}

/// The continuation indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum More {
    /// `.`: this frame completes the message.
    Complete,
    /// `*`: more frames of this message follow.
    Intermediate,
}

impl More {
    /// The wire character.
    pub fn as_byte(self) -> u8 {
        match self {
            Self::Complete => b'.',
            Self::Intermediate => b'*',
        }
    }
}

/// The header of a data frame as typed values (owned representation).
///
/// `size` is the payload length in bytes; emitting checks every field against its range
/// and refuses a `NUL` that is intermediate or not empty, so a header it writes is never
/// poorly-formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DataHeader {
    /// The keyword (with the answer number of `ANS`).
    pub frame_type: FrameType,
    /// The channel number (0..=2^31-1).
    pub channel: u32,
    /// The message number (0..=2^31-1).
    pub msgno: u32,
    /// The continuation indicator.
    pub more: More,
    /// Sequence number of the payload's first octet on this channel (0..=2^32-1, wrapping).
    pub seqno: u32,
    /// The payload size (0..=2^31-1).
    pub size: u32,
}

impl DataHeader {
    /// Checks every field against its range and the `NUL` rules.
    pub fn check(&self) -> Result<(), Error> {
        for (field, value) in [
            (Field::Channel, self.channel),
            (Field::Msgno, self.msgno),
            (Field::Size, self.size),
        ] {
            if value > MAX_31 {
                return Err(Error::EmitOutOfRange {
                    field,
                    value: value.into(),
                });
            }
        }
        check_nul(self.frame_type, self.more, self.size)
    }

    /// Length of the header line, CR LF included.
    pub fn buffer_len(&self) -> usize {
        let ansno = self.frame_type.ansno().map_or(0, |a| 1 + digits(a));
        3 + 1
            + digits(self.channel)
            + 1
            + digits(self.msgno)
            + 3
            + digits(self.seqno)
            + 1
            + digits(self.size)
            + ansno
            + 2
    }

    /// Writes the header line to the start of `buf`; returns its length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, Error> {
        self.check()?;
        let required = self.buffer_len();
        let Some(out) = buf.get_mut(..required) else {
            return Err(Error::BufferTooSmall { required });
        };
        self.write(out);
        Ok(required)
    }

    /// Writes the checked header into `out`, exactly [`DataHeader::buffer_len`] bytes long.
    pub(crate) fn write(&self, out: &mut [u8]) {
        let mut w = Writer { buf: out, pos: 0 };
        w.bytes(self.frame_type.keyword().as_bytes());
        w.number(self.channel);
        w.number(self.msgno);
        w.bytes(&[b' ', self.more.as_byte()]);
        w.number(self.seqno);
        w.number(self.size);
        if let Some(ansno) = self.frame_type.ansno() {
            w.number(ansno);
        }
        w.bytes(b"\r\n");
    }
}

/// The header line without its CR LF, as on the wire.
impl fmt::Display for DataHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {} {} {}",
            self.frame_type.keyword(),
            self.channel,
            self.msgno,
            self.more.as_byte() as char,
            self.seqno,
            self.size
        )?;
        match self.frame_type.ansno() {
            Some(ansno) => write!(f, " {ansno}"),
            None => Ok(()),
        }
    }
}

/// RFC 3080 section 2.2.1.1: a `NUL` must be complete (`.`) and empty.
pub(crate) fn check_nul(frame_type: FrameType, more: More, size: u32) -> Result<(), Error> {
    if frame_type == FrameType::Nul {
        if more == More::Intermediate {
            return Err(Error::IntermediateNul);
        }
        if size != 0 {
            return Err(Error::NulWithPayload { size });
        }
    }
    Ok(())
}

/// Number of decimal digits of `value`.
pub(crate) fn digits(value: u32) -> usize {
    value.checked_ilog10().map_or(1, |log| log as usize + 1)
}

/// Writes keywords and space-prefixed numbers into a buffer already checked to be long enough.
pub(crate) struct Writer<'b> {
    pub(crate) buf: &'b mut [u8],
    pub(crate) pos: usize,
}

impl Writer<'_> {
    pub(crate) fn bytes(&mut self, bytes: &[u8]) {
        self.buf[self.pos..self.pos + bytes.len()].copy_from_slice(bytes);
        self.pos += bytes.len();
    }

    /// Writes a space and `value` in decimal, two digits at a time.
    pub(crate) fn number(&mut self, mut value: u32) {
        const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
            2021222324252627282930313233343536373839\
            4041424344454647484950515253545556575859\
            6061626364656667686970717273747576777879\
            8081828384858687888990919293949596979899";
        let mut digits = [0u8; 10];
        let mut start = digits.len();
        while value >= 100 {
            let pair = (value % 100) as usize * 2;
            value /= 100;
            start -= 2;
            digits[start..start + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
        }
        if value >= 10 {
            let pair = value as usize * 2;
            start -= 2;
            digits[start..start + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
        } else {
            start -= 1;
            digits[start] = b'0' + value as u8;
        }
        self.buf[self.pos] = b' ';
        self.pos += 1;
        self.bytes(&digits[start..]);
    }
}

/// A parsed header line of either kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Line {
    Data(DataHeader),
    Seq(SeqRepr),
}

/// Why header parsing stopped.
pub(crate) enum Stop {
    /// The line is not complete yet.
    Incomplete,
    /// The line is poorly formed.
    Bad(Error),
}

impl From<Error> for Stop {
    fn from(error: Error) -> Self {
        Self::Bad(error)
    }
}

/// Parses the header line at the start of `buf`; returns it and its length (CR LF included).
pub(crate) fn parse_line(buf: &[u8]) -> Result<(Line, usize), Stop> {
    let mut c = Cursor { buf, pos: 0 };
    let keyword = c.take::<3>()?;
    let frame_type = match &keyword {
        b"MSG" => FrameType::Msg,
        b"RPY" => FrameType::Rpy,
        b"ERR" => FrameType::Err,
        b"ANS" => FrameType::Ans { ansno: 0 },
        b"NUL" => FrameType::Nul,
        b"SEQ" => {
            let channel = c.field(Field::Channel)?;
            let ackno = c.field(Field::Ackno)?;
            let window = c.field(Field::Window)?;
            c.crlf()?;
            let seq = SeqRepr {
                channel,
                ackno,
                window,
            };
            return Ok((Line::Seq(seq), c.pos));
        }
        _ => return Err(Error::UnknownKeyword(keyword).into()),
    };
    let channel = c.field(Field::Channel)?;
    let msgno = c.field(Field::Msgno)?;
    c.space()?;
    let more = match c.take::<1>()? {
        [b'.'] => More::Complete,
        [b'*'] => More::Intermediate,
        _ => {
            return Err(Error::MalformedHeader {
                offset: c.pos - 1,
                expected: "'.' or '*'",
            }
            .into());
        }
    };
    let seqno = c.field(Field::Seqno)?;
    let size = c.field(Field::Size)?;
    let frame_type = match frame_type {
        FrameType::Ans { .. } => FrameType::Ans {
            ansno: c.field(Field::Ansno)?,
        },
        other => other,
    };
    c.crlf()?;
    let header = DataHeader {
        frame_type,
        channel,
        msgno,
        more,
        seqno,
        size,
    };
    Ok((Line::Data(header), c.pos))
}

struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], Stop> {
        let bytes = self
            .buf
            .get(self.pos..self.pos + N)
            .ok_or(Stop::Incomplete)?;
        self.pos += N;
        let mut out = [0; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    fn expect(&mut self, byte: u8, expected: &'static str) -> Result<(), Stop> {
        let offset = self.pos;
        if self.take::<1>()? == [byte] {
            Ok(())
        } else {
            Err(Error::MalformedHeader { offset, expected }.into())
        }
    }

    fn space(&mut self) -> Result<(), Stop> {
        self.expect(b' ', "a space")
    }

    fn crlf(&mut self) -> Result<(), Stop> {
        self.expect(b'\r', "CR LF")?;
        self.expect(b'\n', "CR LF")
    }

    /// A space, then 1 to 10 decimal digits no larger than the field's maximum. Refuses a
    /// number as soon as it is too large, before the rest of the line arrives.
    fn field(&mut self, field: Field) -> Result<u32, Stop> {
        self.space()?;
        let start = self.pos;
        let mut value: u64 = 0;
        while let Some(&byte) = self.buf.get(self.pos) {
            if !byte.is_ascii_digit() {
                break;
            }
            value = value * 10 + u64::from(byte - b'0');
            self.pos += 1;
            if value > u64::from(field.max()) || self.pos - start > 10 {
                return Err(Error::NumberOutOfRange { field }.into());
            }
        }
        if self.pos == self.buf.len() {
            return Err(Stop::Incomplete);
        }
        if self.pos == start {
            return Err(Error::MalformedHeader {
                offset: start,
                expected: "a decimal number",
            }
            .into());
        }
        // At most 10 digits and no more than u32::MAX: the value fits.
        Ok(value as u32)
    }
}
