//! The few BitTorrent peer-wire pieces the interop tests speak (BEP 3): the 68-byte
//! handshake and length-prefixed messages.

/// The protocol string, with its length byte in front.
pub const PROTOCOL: &[u8; 20] = b"\x13BitTorrent protocol";

/// Length of a handshake.
pub const HANDSHAKE_LEN: usize = 68;

/// Message ids the tests look at.
pub mod id {
    /// `choke`.
    pub const CHOKE: u8 = 0;
    /// `unchoke`.
    pub const UNCHOKE: u8 = 1;
    /// `interested`.
    pub const INTERESTED: u8 = 2;
    /// `bitfield`.
    pub const BITFIELD: u8 = 5;
    /// `request`.
    pub const REQUEST: u8 = 6;
    /// `piece`.
    pub const PIECE: u8 = 7;
    /// `have_all` (fast extension, BEP 6).
    pub const HAVE_ALL: u8 = 0x0e;
}

/// A handshake for `info_hash` with all reserved bits zero (no extensions).
pub fn handshake(info_hash: &[u8; 20], peer_id: &[u8; 20]) -> [u8; HANDSHAKE_LEN] {
    let mut out = [0u8; HANDSHAKE_LEN];
    out[..20].copy_from_slice(PROTOCOL);
    out[28..48].copy_from_slice(info_hash);
    out[48..].copy_from_slice(peer_id);
    out
}

/// A received handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handshake {
    /// The eight reserved bytes.
    pub reserved: [u8; 8],
    /// The info-hash.
    pub info_hash: [u8; 20],
    /// The peer id.
    pub peer_id: [u8; 20],
}

impl Handshake {
    /// Parses the first 68 bytes of `bytes`; `None` if they are too few or the protocol
    /// string is wrong.
    pub fn parse(bytes: &[u8]) -> Option<Handshake> {
        let bytes = bytes.get(..HANDSHAKE_LEN)?;
        if bytes.get(..20)? != PROTOCOL {
            return None;
        }
        Some(Handshake {
            reserved: bytes.get(20..28)?.try_into().ok()?,
            info_hash: bytes.get(28..48)?.try_into().ok()?,
            peer_id: bytes.get(48..68)?.try_into().ok()?,
        })
    }
}

/// A message with its length prefix.
pub fn message(id: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(5 + payload.len());
    out.extend_from_slice(&(1 + payload.len() as u32).to_be_bytes());
    out.push(id);
    out.extend_from_slice(payload);
    out
}

/// A `bitfield` message (length prefix included) saying we have all `pieces`; spare bits
/// of the last byte stay zero, as BEP 3 requires.
pub fn full_bitfield(pieces: usize) -> Vec<u8> {
    message(id::BITFIELD, &full_bits(pieces))
}

/// The payload of a bitfield with all `pieces` set.
pub fn full_bits(pieces: usize) -> Vec<u8> {
    let mut bits = vec![0xffu8; pieces.div_ceil(8)];
    let spare = bits.len() * 8 - pieces;
    if let Some(last) = bits.last_mut() {
        *last = 0xff << spare;
    }
    bits
}

/// Splits a byte stream (after the handshake) into messages `(id, payload)`; keep-alives
/// (length 0) are skipped. Returns the messages and the number of bytes consumed.
pub fn messages(stream: &[u8]) -> (Vec<(u8, Vec<u8>)>, usize) {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(prefix) = stream.get(at..at + 4) {
        let len = u32::from_be_bytes(prefix.try_into().unwrap_or([0; 4])) as usize;
        let Some(body) = stream.get(at + 4..at + 4 + len) else {
            break;
        };
        if let Some((&id, payload)) = body.split_first() {
            out.push((id, payload.to_vec()));
        }
        at += 4 + len;
    }
    (out, at)
}
