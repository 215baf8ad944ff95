//! The BitTorrent peer wire: BEP 3 messages, BEP 5 `port`, the Fast extension (BEP 6) and
//! the extension protocol's `extended` message (BEP 10).
//!
//! A connection opens with a 68-byte [`Handshake`] each way, then carries messages, each a
//! 4-byte big-endian length and that many bytes (an id byte and its payload; a length of 0
//! is a keep-alive). [`Message`] is the checked view over one whole message,
//! [`MessageRepr`] its typed (payload-borrowing) representation with `parse`, `emit` and
//! `buffer_len`. [`Decoder`] walks a byte stream and reports
//! [`Decoded::Incomplete`] with how many more bytes it needs; a length prefix above the
//! configured maximum is refused as soon as the 4 prefix bytes are in, before waiting for
//! (or allocating) the body. [`ExtendedHandshake`] is the BEP 10 handshake dictionary
//! (`m`, `v`, `reqq`, `yourip`, `p`), read and written with [`bencode`](crate::bt::bencode).
//!
//! ```
//! use hark_wire::bt::peer::{
//!     BlockRequest, Decoded, Decoder, Frame, HandshakeRepr, MessageRepr, Reserved,
//! };
//!
//! let hello = HandshakeRepr {
//!     reserved: Reserved::NONE.with_fast(true).with_extension_protocol(true),
//!     info_hash: [0xaa; 20],
//!     peer_id: *b"-HK0001-abcdefghijkl",
//! };
//! let request = MessageRepr::Request(BlockRequest { index: 3, begin: 16384, length: 16384 });
//! let mut stream = hello.to_bytes().to_vec();
//! let mut buf = [0u8; 17];
//! let len = request.emit(&mut buf).unwrap();
//! stream.extend_from_slice(&buf[..len]);
//!
//! let mut decoder = Decoder::default();
//! let Decoded::Complete { value: Frame::Handshake(got), consumed } =
//!     decoder.decode(&stream).unwrap()
//! else {
//!     panic!("a handshake comes first")
//! };
//! assert!(got.reserved.fast() && got.reserved.extension_protocol() && !got.reserved.dht());
//! let rest = &stream[consumed..];
//! assert_eq!(
//!     decoder.decode(&rest[..10]).unwrap(),
//!     Decoded::Incomplete { needed: 7 }
//! );
//! assert_eq!(
//!     decoder.decode(rest).unwrap(),
//!     Decoded::Complete { value: Frame::Message(request), consumed: 17 }
//! );
//! ```

mod error;
mod extended;
mod handshake;
mod message;
mod repr;
mod stream;
#[cfg(test)]
mod tests;

pub use error::Error;
pub use extended::{EXTENDED_HANDSHAKE_ID, ExtendedHandshake};
pub use handshake::{HANDSHAKE_LEN, Handshake, HandshakeRepr, PROTOCOL, Reserved};
pub use message::{Message, MessageId, PREFIX_LEN};
pub use repr::{BlockRequest, MessageRepr, piece_header};
pub use stream::{
    DEFAULT_MAX_MESSAGE_LEN, Decoded, Decoder, Frame, decode_handshake, decode_message,
};
