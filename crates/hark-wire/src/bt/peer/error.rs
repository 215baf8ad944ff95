//! Errors of the peer-wire codec.

/// Why peer-wire bytes could not be parsed or emitted.
///
/// Running out of input is not an error: the stream decoder reports it as
/// [`Decoded::Incomplete`](super::Decoded::Incomplete).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The handshake's first byte (the protocol string's length) is not 19.
    #[error("handshake protocol length {0}, expected 19")]
    BadProtocolLength(u8),
    /// The handshake's protocol string is not `BitTorrent protocol`.
    #[error("handshake protocol string is not \"BitTorrent protocol\"")]
    BadProtocolString,
    /// A checked view was given fewer bytes than the thing it views.
    #[error("truncated: {len} bytes, at least {required} needed")]
    Truncated {
        /// How many bytes there were.
        len: usize,
        /// How many the view needs.
        required: usize,
    },
    /// A message view's buffer is longer or shorter than its length prefix says.
    #[error("message length prefix {prefix} does not match the {len} bytes after it")]
    LengthMismatch {
        /// The length prefix.
        prefix: u32,
        /// The bytes after the prefix.
        len: usize,
    },
    /// A length prefix above the configured maximum (refused before waiting for the body).
    #[error("message of {len} bytes exceeds the maximum of {max}")]
    MessageTooLong {
        /// The length prefix.
        len: u32,
        /// The configured maximum.
        max: u32,
    },
    /// A message whose length does not fit its id (a `have` of 7 bytes, a `piece` without
    /// its 8-byte header, an `extended` without its extension id, ...).
    #[error("message id {id} with a body of {len} bytes: {expected}")]
    BadMessageLength {
        /// The message id.
        id: u8,
        /// The length prefix (id byte included).
        len: u32,
        /// What the id requires, in words.
        expected: &'static str,
    },
    /// A piece message's block does not fit a 32-bit length (only when emitting).
    #[error("block of {len} bytes does not fit a peer-wire message")]
    BlockTooLong {
        /// The block's length.
        len: usize,
    },
    /// An extended handshake (BEP 10) that is not valid bencode.
    #[error("extended handshake: {0}")]
    Bencode(crate::bt::bencode::Error),
    /// An extended handshake whose dictionary (or one of its known keys) has the wrong
    /// type or range.
    #[error("extended handshake: bad `{field}`")]
    BadExtendedHandshake {
        /// The key (or `dictionary` when the payload is not one).
        field: &'static str,
    },
    /// The output buffer is too small.
    #[error("buffer too small: {required} bytes required")]
    BufferTooSmall {
        /// How many bytes the message needs.
        required: usize,
    },
}
