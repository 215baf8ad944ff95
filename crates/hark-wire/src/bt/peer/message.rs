//! The checked view over one length-prefixed peer-wire message.

use super::Error;

/// Length of the big-endian length prefix in front of every message.
pub const PREFIX_LEN: usize = 4;

/// The message ids of BEP 3, BEP 5 (`port`), BEP 6 (Fast) and BEP 10 (`extended`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum MessageId {
    /// `choke` (0).
    Choke = 0,
    /// `unchoke` (1).
    Unchoke = 1,
    /// `interested` (2).
    Interested = 2,
    /// `not interested` (3).
    NotInterested = 3,
    /// `have` (4).
    Have = 4,
    /// `bitfield` (5).
    Bitfield = 5,
    /// `request` (6).
    Request = 6,
    /// `piece` (7).
    Piece = 7,
    /// `cancel` (8).
    Cancel = 8,
    /// `port` (9, BEP 5).
    Port = 9,
    /// `suggest piece` (0x0d, BEP 6).
    Suggest = 0x0d,
    /// `have all` (0x0e, BEP 6).
    HaveAll = 0x0e,
    /// `have none` (0x0f, BEP 6).
    HaveNone = 0x0f,
    /// `reject request` (0x10, BEP 6).
    Reject = 0x10,
    /// `allowed fast` (0x11, BEP 6).
    AllowedFast = 0x11,
    /// `extended` (20, BEP 10).
    Extended = 20,
}

/// What a message id requires of the length prefix (which counts the id byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape {
    /// Exactly this many bytes.
    Exact(u32),
    /// At least this many bytes.
    AtLeast(u32),
}

impl MessageId {
    /// The id for a wire value, if hark knows it.
    pub fn from_wire(value: u8) -> Option<Self> {
        Some(match value {
            0 => Self::Choke,
            1 => Self::Unchoke,
            2 => Self::Interested,
            3 => Self::NotInterested,
            4 => Self::Have,
            5 => Self::Bitfield,
            6 => Self::Request,
            7 => Self::Piece,
            8 => Self::Cancel,
            9 => Self::Port,
            0x0d => Self::Suggest,
            0x0e => Self::HaveAll,
            0x0f => Self::HaveNone,
            0x10 => Self::Reject,
            0x11 => Self::AllowedFast,
            20 => Self::Extended,
            _ => return None,
        })
    }

    /// The message's name as the BEPs spell it, in snake case.
    pub fn name(self) -> &'static str {
        match self {
            Self::Choke => "choke",
            Self::Unchoke => "unchoke",
            Self::Interested => "interested",
            Self::NotInterested => "not_interested",
            Self::Have => "have",
            Self::Bitfield => "bitfield",
            Self::Request => "request",
            Self::Piece => "piece",
            Self::Cancel => "cancel",
            Self::Port => "port",
            Self::Suggest => "suggest",
            Self::HaveAll => "have_all",
            Self::HaveNone => "have_none",
            Self::Reject => "reject",
            Self::AllowedFast => "allowed_fast",
            Self::Extended => "extended",
        }
    }

    pub(super) fn shape(self) -> (Shape, &'static str) {
        match self {
            Self::Choke
            | Self::Unchoke
            | Self::Interested
            | Self::NotInterested
            | Self::HaveAll
            | Self::HaveNone => (Shape::Exact(1), "no payload"),
            Self::Have | Self::Suggest | Self::AllowedFast => {
                (Shape::Exact(5), "a 4-byte piece index")
            }
            Self::Request | Self::Cancel | Self::Reject => {
                (Shape::Exact(13), "index, begin and length (12 bytes)")
            }
            Self::Port => (Shape::Exact(3), "a 2-byte port"),
            Self::Bitfield => (Shape::AtLeast(1), "a bitfield"),
            Self::Piece => (
                Shape::AtLeast(9),
                "index and begin (8 bytes) before the block",
            ),
            Self::Extended => (Shape::AtLeast(2), "an extension id byte"),
        }
    }
}

/// Checks a length prefix against the message id that follows it.
pub(super) fn check_shape(id: u8, len: u32) -> Result<(), Error> {
    let Some(known) = MessageId::from_wire(id) else {
        return Ok(());
    };
    let (shape, expected) = known.shape();
    let ok = match shape {
        Shape::Exact(n) => len == n,
        Shape::AtLeast(n) => len >= n,
    };
    if ok {
        Ok(())
    } else {
        Err(Error::BadMessageLength { id, len, expected })
    }
}

/// A validated view over exactly one message: the 4-byte length prefix and the bytes it
/// counts. A length of zero is a keep-alive (no id, no payload).
///
/// Construction checks that the buffer holds exactly the prefix's length and that known ids
/// have the length they require, so every getter is infallible afterwards. Unknown ids are
/// accepted (BEP 3 peers ignore messages they do not know).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Message<T> {
    /// Validates `buffer` as one whole message.
    pub fn new_checked(buffer: T) -> Result<Self, Error> {
        let bytes = buffer.as_ref();
        let Some(prefix) = bytes.first_chunk::<PREFIX_LEN>() else {
            return Err(Error::Truncated {
                len: bytes.len(),
                required: PREFIX_LEN,
            });
        };
        let prefix = u32::from_be_bytes(*prefix);
        let body = bytes.len() - PREFIX_LEN;
        if u64::from(prefix) != body as u64 {
            return Err(Error::LengthMismatch { prefix, len: body });
        }
        if let Some(&id) = bytes.get(PREFIX_LEN) {
            check_shape(id, prefix)?;
        }
        Ok(Self { buffer })
    }

    fn bytes(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    /// The length prefix: the id byte plus the payload (0 for a keep-alive).
    pub fn length(&self) -> u32 {
        (self.bytes().len() - PREFIX_LEN) as u32
    }

    /// Whether this is a keep-alive (length 0).
    pub fn is_keep_alive(&self) -> bool {
        self.bytes().len() == PREFIX_LEN
    }

    /// The raw id byte; `None` for a keep-alive.
    pub fn raw_id(&self) -> Option<u8> {
        self.bytes().get(PREFIX_LEN).copied()
    }

    /// The id, if hark knows it; `None` for a keep-alive or an unknown id.
    pub fn id(&self) -> Option<MessageId> {
        self.raw_id().and_then(MessageId::from_wire)
    }

    /// Everything after the id byte.
    pub fn payload(&self) -> &[u8] {
        self.bytes().get(PREFIX_LEN + 1..).unwrap_or_default()
    }

    /// Big-endian u32 at `offset` in the payload (0 past the end, which a checked view of a
    /// known id never reaches).
    pub(super) fn payload_u32(&self, offset: usize) -> u32 {
        self.payload()
            .get(offset..offset + 4)
            .and_then(|b| b.try_into().ok())
            .map_or(0, u32::from_be_bytes)
    }

    /// The whole message, prefix included.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes()
    }

    /// Gives the underlying buffer back.
    pub fn into_inner(self) -> T {
        self.buffer
    }
}

impl<'a> Message<&'a [u8]> {
    /// The payload with the buffer's lifetime.
    pub(super) fn payload_ref(&self) -> &'a [u8] {
        self.buffer.get(PREFIX_LEN + 1..).unwrap_or_default()
    }
}
