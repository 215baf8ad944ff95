//! The owned (payload-borrowing) representation of a peer-wire message.

use super::message::{PREFIX_LEN, check_shape};
use super::{Error, Message, MessageId};

/// A block within a piece: what `request`, `cancel` and `reject` name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlockRequest {
    /// The piece index.
    pub index: u32,
    /// The byte offset within the piece.
    pub begin: u32,
    /// The block's length in bytes.
    pub length: u32,
}

/// A peer-wire message as typed values. `bitfield`, `piece`, `extended` and unknown
/// messages borrow their payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MessageRepr<'a> {
    /// Length 0: keeps the connection from idling out.
    KeepAlive,
    /// The sender will not serve our requests.
    Choke,
    /// The sender will serve our requests.
    Unchoke,
    /// The sender wants pieces we have.
    Interested,
    /// The sender wants nothing from us.
    NotInterested,
    /// The sender has verified this piece.
    Have {
        /// The piece index.
        piece: u32,
    },
    /// Which pieces the sender has, high bit of the first byte = piece 0.
    Bitfield(&'a [u8]),
    /// The sender asks for a block.
    Request(BlockRequest),
    /// A block of data.
    Piece {
        /// The piece index.
        index: u32,
        /// The byte offset within the piece.
        begin: u32,
        /// The block's bytes.
        data: &'a [u8],
    },
    /// The sender no longer wants a block it requested.
    Cancel(BlockRequest),
    /// The sender's DHT port (BEP 5).
    Port(u16),
    /// The sender suggests we download this piece (BEP 6).
    Suggest {
        /// The piece index.
        piece: u32,
    },
    /// The sender has every piece (BEP 6).
    HaveAll,
    /// The sender has no piece (BEP 6).
    HaveNone,
    /// The sender will not serve a request of ours (BEP 6).
    Reject(BlockRequest),
    /// We may request this piece even while choked (BEP 6).
    AllowedFast {
        /// The piece index.
        piece: u32,
    },
    /// An extension-protocol message (BEP 10): id 0 is the extended handshake, other ids are
    /// the ones the receiver assigned in its handshake's `m` dictionary.
    Extended {
        /// The extended message id.
        id: u8,
        /// The payload after the extended id.
        payload: &'a [u8],
    },
    /// A message id hark does not know; BEP 3 peers ignore these.
    Unknown {
        /// The raw id.
        id: u8,
        /// Everything after the id.
        payload: &'a [u8],
    },
}

fn block(message: &Message<&[u8]>) -> BlockRequest {
    BlockRequest {
        index: message.payload_u32(0),
        begin: message.payload_u32(4),
        length: message.payload_u32(8),
    }
}

impl<'a> MessageRepr<'a> {
    /// Reads a validated message. Cannot fail: [`Message::new_checked`] already checked
    /// every length. The repr borrows the bytes the view was made over.
    pub fn parse(message: &Message<&'a [u8]>) -> Self {
        let Some(raw) = message.raw_id() else {
            return Self::KeepAlive;
        };
        let payload = message.payload_ref();
        let Some(id) = MessageId::from_wire(raw) else {
            return Self::Unknown { id: raw, payload };
        };
        match id {
            MessageId::Choke => Self::Choke,
            MessageId::Unchoke => Self::Unchoke,
            MessageId::Interested => Self::Interested,
            MessageId::NotInterested => Self::NotInterested,
            MessageId::Have => Self::Have {
                piece: message.payload_u32(0),
            },
            MessageId::Bitfield => Self::Bitfield(payload),
            MessageId::Request => Self::Request(block(message)),
            MessageId::Piece => Self::Piece {
                index: message.payload_u32(0),
                begin: message.payload_u32(4),
                data: payload.get(8..).unwrap_or_default(),
            },
            MessageId::Cancel => Self::Cancel(block(message)),
            MessageId::Port => Self::Port(u16::from_be_bytes([
                payload.first().copied().unwrap_or(0),
                payload.get(1).copied().unwrap_or(0),
            ])),
            MessageId::Suggest => Self::Suggest {
                piece: message.payload_u32(0),
            },
            MessageId::HaveAll => Self::HaveAll,
            MessageId::HaveNone => Self::HaveNone,
            MessageId::Reject => Self::Reject(block(message)),
            MessageId::AllowedFast => Self::AllowedFast {
                piece: message.payload_u32(0),
            },
            MessageId::Extended => Self::Extended {
                id: payload.first().copied().unwrap_or(0),
                payload: payload.get(1..).unwrap_or_default(),
            },
        }
    }

    /// The raw id byte; `None` for a keep-alive.
    pub fn raw_id(&self) -> Option<u8> {
        let id = match self {
            Self::KeepAlive => return None,
            Self::Unknown { id, .. } => return Some(*id),
            Self::Choke => MessageId::Choke,
            Self::Unchoke => MessageId::Unchoke,
            Self::Interested => MessageId::Interested,
            Self::NotInterested => MessageId::NotInterested,
            Self::Have { .. } => MessageId::Have,
            Self::Bitfield(_) => MessageId::Bitfield,
            Self::Request(_) => MessageId::Request,
            Self::Piece { .. } => MessageId::Piece,
            Self::Cancel(_) => MessageId::Cancel,
            Self::Port(_) => MessageId::Port,
            Self::Suggest { .. } => MessageId::Suggest,
            Self::HaveAll => MessageId::HaveAll,
            Self::HaveNone => MessageId::HaveNone,
            Self::Reject(_) => MessageId::Reject,
            Self::AllowedFast { .. } => MessageId::AllowedFast,
            Self::Extended { .. } => MessageId::Extended,
        };
        Some(id as u8)
    }

    /// The message's name (`keep_alive`, `have`, ..., `unknown`).
    pub fn name(&self) -> &'static str {
        match self {
            Self::KeepAlive => "keep_alive",
            Self::Unknown { .. } => "unknown",
            _ => self
                .raw_id()
                .and_then(MessageId::from_wire)
                .map_or("unknown", MessageId::name),
        }
    }

    /// Bytes after the id byte.
    fn payload_len(&self) -> usize {
        match self {
            Self::KeepAlive => 0,
            Self::Choke
            | Self::Unchoke
            | Self::Interested
            | Self::NotInterested
            | Self::HaveAll
            | Self::HaveNone => 0,
            Self::Have { .. } | Self::Suggest { .. } | Self::AllowedFast { .. } => 4,
            Self::Request(_) | Self::Cancel(_) | Self::Reject(_) => 12,
            Self::Port(_) => 2,
            Self::Bitfield(bits) => bits.len(),
            Self::Piece { data, .. } => 8 + data.len(),
            Self::Extended { payload, .. } => 1 + payload.len(),
            Self::Unknown { payload, .. } => payload.len(),
        }
    }

    /// The whole message's length, prefix included.
    pub fn buffer_len(&self) -> usize {
        match self {
            Self::KeepAlive => PREFIX_LEN,
            _ => PREFIX_LEN + 1 + self.payload_len(),
        }
    }

    /// Writes the message, length prefix included, into the front of `buf`; returns its
    /// length. Never allocates. A repr whose id needs another length (an `Unknown` carrying
    /// a known id with the wrong payload) is refused, so emit never produces bytes that
    /// [`Message::new_checked`] would reject.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, Error> {
        let total = self.buffer_len();
        let prefix = u32::try_from(total - PREFIX_LEN).map_err(|_| Error::BlockTooLong {
            len: self.payload_len(),
        })?;
        let out = buf
            .get_mut(..total)
            .ok_or(Error::BufferTooSmall { required: total })?;
        out[..PREFIX_LEN].copy_from_slice(&prefix.to_be_bytes());
        let Some(id) = self.raw_id() else {
            return Ok(total);
        };
        check_shape(id, prefix)?;
        out[PREFIX_LEN] = id;
        let body = &mut out[PREFIX_LEN + 1..];
        let put_u32s = |body: &mut [u8], values: &[u32]| {
            for (chunk, v) in body.chunks_exact_mut(4).zip(values) {
                chunk.copy_from_slice(&v.to_be_bytes());
            }
        };
        match *self {
            Self::Have { piece } | Self::Suggest { piece } | Self::AllowedFast { piece } => {
                put_u32s(body, &[piece]);
            }
            Self::Request(r) | Self::Cancel(r) | Self::Reject(r) => {
                put_u32s(body, &[r.index, r.begin, r.length]);
            }
            Self::Port(port) => body.copy_from_slice(&port.to_be_bytes()),
            Self::Bitfield(bits) => body.copy_from_slice(bits),
            Self::Piece { index, begin, data } => {
                put_u32s(&mut body[..8], &[index, begin]);
                body[8..].copy_from_slice(data);
            }
            Self::Extended { id, payload } => {
                body[0] = id;
                body[1..].copy_from_slice(payload);
            }
            Self::Unknown { payload, .. } => body.copy_from_slice(payload),
            _ => {}
        }
        Ok(total)
    }
}

/// The 13 bytes in front of a `piece` message's block (prefix, id, index, begin): lets a
/// sender write the header and then the block straight from its storage.
pub fn piece_header(index: u32, begin: u32, block_len: u32) -> Result<[u8; 13], Error> {
    let prefix = block_len.checked_add(9).ok_or(Error::BlockTooLong {
        len: block_len as usize,
    })?;
    let mut out = [0; 13];
    out[..4].copy_from_slice(&prefix.to_be_bytes());
    out[4] = MessageId::Piece as u8;
    out[5..9].copy_from_slice(&index.to_be_bytes());
    out[9..13].copy_from_slice(&begin.to_be_bytes());
    Ok(out)
}
