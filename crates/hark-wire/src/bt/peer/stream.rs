//! Decoding a peer-wire byte stream: one handshake, then length-prefixed messages.

use super::handshake::check_prefix;
use super::message::{PREFIX_LEN, check_shape};
use super::{Error, HANDSHAKE_LEN, Handshake, HandshakeRepr, Message, MessageRepr};

/// The default largest length prefix accepted: 1 MiB (a 128 KiB block with room to spare,
/// or the bitfield of a torrent with 8 million pieces).
pub const DEFAULT_MAX_MESSAGE_LEN: u32 = 1 << 20;

/// The outcome of decoding from the front of a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoded<T> {
    /// A whole value, which took the first `consumed` bytes.
    Complete {
        /// The value.
        value: T,
        /// How many bytes it took from the front of the buffer.
        consumed: usize,
    },
    /// The buffer ends inside a value: at least `needed` more bytes must arrive before
    /// decoding can make progress.
    Incomplete {
        /// How many bytes beyond the ones given are needed, at least.
        needed: usize,
    },
}

/// One unit of a peer-wire stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame<'a> {
    /// The handshake that opens the stream.
    Handshake(HandshakeRepr),
    /// A message after it.
    Message(MessageRepr<'a>),
}

/// Decodes a handshake from the front of `bytes`. A wrong protocol length or string is an
/// error as soon as its first wrong byte has arrived.
pub fn decode_handshake(bytes: &[u8]) -> Result<Decoded<HandshakeRepr>, Error> {
    check_prefix(bytes)?;
    if bytes.len() < HANDSHAKE_LEN {
        return Ok(Decoded::Incomplete {
            needed: HANDSHAKE_LEN - bytes.len(),
        });
    }
    let view = Handshake::new_checked(&bytes[..HANDSHAKE_LEN])?;
    Ok(Decoded::Complete {
        value: HandshakeRepr::parse(&view),
        consumed: HANDSHAKE_LEN,
    })
}

/// Decodes one message from the front of `bytes`. A length prefix above `max_len`, or one
/// that does not fit its id, is an error as soon as the prefix (and the id) have arrived,
/// before any of the body is waited for.
pub fn decode_message(bytes: &[u8], max_len: u32) -> Result<Decoded<MessageRepr<'_>>, Error> {
    let Some(prefix) = bytes.first_chunk::<PREFIX_LEN>() else {
        return Ok(Decoded::Incomplete {
            needed: PREFIX_LEN - bytes.len(),
        });
    };
    let len = u32::from_be_bytes(*prefix);
    if len > max_len {
        return Err(Error::MessageTooLong { len, max: max_len });
    }
    if len > 0
        && let Some(&id) = bytes.get(PREFIX_LEN)
    {
        check_shape(id, len)?;
    }
    let total = PREFIX_LEN + len as usize;
    let Some(whole) = bytes.get(..total) else {
        return Ok(Decoded::Incomplete {
            needed: total - bytes.len(),
        });
    };
    let view = Message::new_checked(whole)?;
    Ok(Decoded::Complete {
        value: MessageRepr::parse(&view),
        consumed: total,
    })
}

/// A peer-wire stream decoder: expects the handshake first (unless made with
/// [`Decoder::after_handshake`]), then messages up to a maximum length.
///
/// It holds no bytes: the caller keeps its receive buffer, calls [`Decoder::decode`] on
/// it, drops the `consumed` bytes of each complete frame, and waits for `needed` more on
/// [`Decoded::Incomplete`]. After an error the stream cannot be resynchronised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decoder {
    max_message_len: u32,
    handshake_done: bool,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_MESSAGE_LEN)
    }
}

impl Decoder {
    /// A decoder that expects a handshake first and refuses messages longer than
    /// `max_message_len` (the length prefix's value).
    pub const fn new(max_message_len: u32) -> Self {
        Self {
            max_message_len,
            handshake_done: false,
        }
    }

    /// A decoder for a stream whose handshake was already read.
    pub const fn after_handshake(max_message_len: u32) -> Self {
        Self {
            max_message_len,
            handshake_done: true,
        }
    }

    /// The largest length prefix accepted.
    pub fn max_message_len(&self) -> u32 {
        self.max_message_len
    }

    /// Whether the handshake has been decoded (or was never expected).
    pub fn handshake_done(&self) -> bool {
        self.handshake_done
    }

    /// Decodes the next frame from the front of `bytes`.
    pub fn decode<'a>(&mut self, bytes: &'a [u8]) -> Result<Decoded<Frame<'a>>, Error> {
        if self.handshake_done {
            return Ok(match decode_message(bytes, self.max_message_len)? {
                Decoded::Complete { value, consumed } => Decoded::Complete {
                    value: Frame::Message(value),
                    consumed,
                },
                Decoded::Incomplete { needed } => Decoded::Incomplete { needed },
            });
        }
        Ok(match decode_handshake(bytes)? {
            Decoded::Complete { value, consumed } => {
                self.handshake_done = true;
                Decoded::Complete {
                    value: Frame::Handshake(value),
                    consumed,
                }
            }
            Decoded::Incomplete { needed } => Decoded::Incomplete { needed },
        })
    }
}
