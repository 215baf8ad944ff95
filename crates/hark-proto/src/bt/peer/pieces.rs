//! The torrent's shape (piece count and lengths) and a set of pieces (a bitfield).

use thiserror::Error;

/// How a torrent divides into pieces: enough to check a request's range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TorrentShape {
    piece_count: u32,
    piece_length: u32,
    total_length: u64,
}

/// Why a [`TorrentShape`] cannot be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ShapeError {
    /// A piece length of zero, or a total length of zero.
    #[error("piece length and total length must be positive")]
    Zero,
    /// More pieces than a peer-wire index can name.
    #[error("{total_length} bytes in pieces of {piece_length} make more than 2^32 pieces")]
    TooManyPieces {
        /// The total length.
        total_length: u64,
        /// The piece length.
        piece_length: u32,
    },
}

impl TorrentShape {
    /// A torrent of `total_length` bytes in pieces of `piece_length` (the last one may be
    /// shorter).
    pub fn new(total_length: u64, piece_length: u32) -> Result<Self, ShapeError> {
        if piece_length == 0 || total_length == 0 {
            return Err(ShapeError::Zero);
        }
        let piece_count =
            u32::try_from(total_length.div_ceil(u64::from(piece_length))).map_err(|_| {
                ShapeError::TooManyPieces {
                    total_length,
                    piece_length,
                }
            })?;
        Ok(Self {
            piece_count,
            piece_length,
            total_length,
        })
    }

    /// The number of pieces.
    pub fn piece_count(&self) -> u32 {
        self.piece_count
    }

    /// The nominal piece length.
    pub fn piece_length(&self) -> u32 {
        self.piece_length
    }

    /// The torrent's length in bytes.
    pub fn total_length(&self) -> u64 {
        self.total_length
    }

    /// The length of piece `index`; `None` past the last piece.
    pub fn piece_len(&self, index: u32) -> Option<u32> {
        if index >= self.piece_count {
            return None;
        }
        let start = u64::from(index) * u64::from(self.piece_length);
        Some((self.total_length - start).min(u64::from(self.piece_length)) as u32)
    }

    /// Whether `begin..begin + length` lies inside piece `index` and is not empty.
    pub fn contains_block(&self, index: u32, begin: u32, length: u32) -> bool {
        self.piece_len(index).is_some_and(|piece| {
            length > 0 && u64::from(begin) + u64::from(length) <= u64::from(piece)
        })
    }

    /// Bytes in a bitfield message's payload for this torrent.
    pub fn bitfield_len(&self) -> usize {
        self.piece_count.div_ceil(8) as usize
    }
}

/// Why a bitfield from the wire was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum BitfieldError {
    /// The payload is not `ceil(pieces / 8)` bytes.
    #[error("bitfield of {got} bytes, expected {expected}")]
    Length {
        /// Its length.
        got: usize,
        /// The length the torrent needs.
        expected: usize,
    },
    /// A bit past the last piece is set (BEP 3: spare bits must be cleared).
    #[error("bitfield sets spare bits past piece {pieces}")]
    SpareBits {
        /// The torrent's piece count.
        pieces: u32,
    },
}

/// A set of pieces of one torrent, stored as a peer-wire bitfield (piece 0 is the high bit
/// of the first byte).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PieceSet {
    bits: Vec<u8>,
    count: u32,
    ones: u32,
}

impl PieceSet {
    /// No piece of `count`.
    pub fn empty(count: u32) -> Self {
        Self {
            bits: vec![0; count.div_ceil(8) as usize],
            count,
            ones: 0,
        }
    }

    /// Every piece of `count`.
    pub fn full(count: u32) -> Self {
        let mut set = Self::empty(count);
        for index in 0..count {
            set.insert(index);
        }
        set
    }

    /// A bitfield payload for a torrent of `count` pieces; its length and spare bits are
    /// checked.
    pub fn from_wire(bits: &[u8], count: u32) -> Result<Self, BitfieldError> {
        let expected = count.div_ceil(8) as usize;
        if bits.len() != expected {
            return Err(BitfieldError::Length {
                got: bits.len(),
                expected,
            });
        }
        let spare = (expected * 8) as u64 - u64::from(count);
        if let Some(&last) = bits.last()
            && spare > 0
            && last & ((1u8 << spare) - 1) != 0
        {
            return Err(BitfieldError::SpareBits { pieces: count });
        }
        Ok(Self {
            bits: bits.to_vec(),
            count,
            ones: bits.iter().map(|b| b.count_ones()).sum(),
        })
    }

    /// The bitfield payload.
    pub fn as_wire(&self) -> &[u8] {
        &self.bits
    }

    /// The number of pieces the set ranges over.
    pub fn capacity(&self) -> u32 {
        self.count
    }

    /// How many pieces are in the set.
    pub fn len(&self) -> u32 {
        self.ones
    }

    /// Whether no piece is in the set.
    pub fn is_empty(&self) -> bool {
        self.ones == 0
    }

    /// Whether every piece is in the set.
    pub fn is_full(&self) -> bool {
        self.ones == self.count
    }

    /// Whether piece `index` is in the set (false past the end).
    pub fn contains(&self, index: u32) -> bool {
        self.bits
            .get((index / 8) as usize)
            .is_some_and(|b| b & (0x80 >> (index % 8)) != 0)
    }

    /// Removes piece `index`; false if it was not in the set.
    pub fn remove(&mut self, index: u32) -> bool {
        if !self.contains(index) {
            return false;
        }
        self.bits[(index / 8) as usize] &= !(0x80 >> (index % 8));
        self.ones -= 1;
        true
    }

    /// Adds piece `index`; false if it is past the end.
    pub fn insert(&mut self, index: u32) -> bool {
        if index >= self.count {
            return false;
        }
        let mask = 0x80 >> (index % 8);
        let byte = &mut self.bits[(index / 8) as usize];
        if *byte & mask == 0 {
            *byte |= mask;
            self.ones += 1;
        }
        true
    }
}
