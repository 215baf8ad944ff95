//! The peer-wire pieces the interop tests speak, on top of hark's own codec
//! (`hark_wire::bt::peer`) and piece sets (`hark_proto::bt::peer`).

use hark_proto::bt::peer::PieceSet;
use hark_wire::bt::peer::{
    DEFAULT_MAX_MESSAGE_LEN, Decoded, Decoder, Frame, HandshakeRepr, MessageRepr, Reserved,
    decode_handshake,
};

pub use hark_wire::bt::peer::HANDSHAKE_LEN;

/// A received handshake.
pub type Handshake = HandshakeRepr;

/// Message ids the tests look at.
pub mod id {
    use hark_wire::bt::peer::MessageId;

    /// `choke`.
    pub const CHOKE: u8 = MessageId::Choke as u8;
    /// `unchoke`.
    pub const UNCHOKE: u8 = MessageId::Unchoke as u8;
    /// `interested`.
    pub const INTERESTED: u8 = MessageId::Interested as u8;
    /// `bitfield`.
    pub const BITFIELD: u8 = MessageId::Bitfield as u8;
    /// `request`.
    pub const REQUEST: u8 = MessageId::Request as u8;
    /// `piece`.
    pub const PIECE: u8 = MessageId::Piece as u8;
    /// `have_all` (fast extension, BEP 6).
    pub const HAVE_ALL: u8 = MessageId::HaveAll as u8;
}

/// A handshake for `info_hash` with all reserved bits zero (no extensions).
pub fn handshake(info_hash: &[u8; 20], peer_id: &[u8; 20]) -> [u8; HANDSHAKE_LEN] {
    HandshakeRepr {
        reserved: Reserved::NONE,
        info_hash: *info_hash,
        peer_id: *peer_id,
    }
    .to_bytes()
}

/// The handshake at the start of `bytes`; `None` if the bytes are too few or not a
/// BitTorrent handshake.
pub fn parse_handshake(bytes: &[u8]) -> Option<Handshake> {
    match decode_handshake(bytes) {
        Ok(Decoded::Complete { value, .. }) => Some(value),
        _ => None,
    }
}

/// Whether `bytes` already show they are not a BitTorrent handshake.
pub fn not_a_handshake(bytes: &[u8]) -> bool {
    decode_handshake(bytes).is_err()
}

/// A message with its length prefix.
pub fn encode(message: &MessageRepr<'_>) -> Vec<u8> {
    let mut out = vec![0; message.buffer_len()];
    let len = message
        .emit(&mut out)
        .expect("the buffer has buffer_len bytes");
    out.truncate(len);
    out
}

/// A `bitfield` message (length prefix included) saying we have all `pieces`; spare bits
/// of the last byte stay zero, as BEP 3 requires.
pub fn full_bitfield(pieces: usize) -> Vec<u8> {
    encode(&MessageRepr::Bitfield(&full_bits(pieces)))
}

/// The payload of a bitfield with all `pieces` set.
pub fn full_bits(pieces: usize) -> Vec<u8> {
    let count = u32::try_from(pieces).expect("a test torrent has fewer than 2^32 pieces");
    PieceSet::full(count).as_wire().to_vec()
}

/// Splits a byte stream (after the handshake) into messages `(id, payload)`; keep-alives
/// are skipped. Returns the messages and the number of bytes consumed; decoding stops at
/// the first incomplete or malformed message.
pub fn messages(stream: &[u8]) -> (Vec<(u8, Vec<u8>)>, usize) {
    let mut decoder = Decoder::after_handshake(DEFAULT_MAX_MESSAGE_LEN);
    let mut out = Vec::new();
    let mut at = 0;
    while let Ok(Decoded::Complete { value, consumed }) = decoder.decode(&stream[at..]) {
        if let Frame::Message(message) = value
            && let Some(id) = message.raw_id()
        {
            // The payload is everything after the prefix and the id byte.
            out.push((id, stream[at + 5..at + consumed].to_vec()));
        }
        at += consumed;
    }
    (out, at)
}
