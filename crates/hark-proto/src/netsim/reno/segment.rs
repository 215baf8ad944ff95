//! The Reno model's own tiny header (it is a model, not TCP).
//!
//! ```text
//! data: | kind=1 | seq (u64 BE) | stamp (u64 BE) | csum (u16) | payload...
//! ack:  | kind=2 | ack (u64 BE) | echo (u64 BE)  | n (u8) | n x (start, end) u64 BE | csum |
//! ```
//! `seq` is the stream offset of the first payload byte and `stamp` the sender's timestamp;
//! `ack` is the next offset expected, `echo` the stamp of the segment that triggered the ACK,
//! and the blocks are ranges received above `ack` (selective acknowledgements, at most
//! [`MAX_SACK_BLOCKS`]). `csum` is the inverted ones'-complement sum of the header bytes
//! before it, so corrupted headers are rejected.

use thiserror::Error;

/// Length of a data segment's header in bytes.
pub const DATA_HEADER_LEN: usize = 19;

/// Most selective-acknowledgement blocks an ACK carries.
pub const MAX_SACK_BLOCKS: usize = 4;

mod field {
    use core::ops::Range;

    pub(super) const KIND: usize = 0;
    pub(super) const NUMBER: Range<usize> = 1..9;
    pub(super) const STAMP: Range<usize> = 9..17;
    pub(super) const SACK_COUNT: usize = 17;
    pub(super) const SACK_BLOCKS: usize = 18;
    pub(super) const SACK_BLOCK_LEN: usize = 16;
    pub(super) const CHECKSUM_LEN: usize = 2;
}

const KIND_DATA: u8 = 1;
const KIND_ACK: u8 = 2;

/// Up to [`MAX_SACK_BLOCKS`] received ranges `[start, end)`, without allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SackBlocks {
    blocks: [(u64, u64); MAX_SACK_BLOCKS],
    len: usize,
}

impl SackBlocks {
    /// Adds a block; returns `false` (and adds nothing) when full.
    pub fn push(&mut self, start: u64, end: u64) -> bool {
        match self.blocks.get_mut(self.len) {
            Some(slot) => {
                *slot = (start, end);
                self.len += 1;
                true
            }
            None => false,
        }
    }

    /// The blocks.
    pub fn as_slice(&self) -> &[(u64, u64)] {
        self.blocks.get(..self.len).unwrap_or_default()
    }
}

/// A parsed Reno-model header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentRepr {
    /// Payload bytes starting at stream offset `seq`, sent at `stamp`.
    Data {
        /// Stream offset of the first payload byte.
        seq: u64,
        /// Sender's timestamp (microseconds since its epoch, plus one; 0 = none).
        stamp: u64,
    },
    /// Cumulative acknowledgement of everything below `ack`, plus selective blocks.
    Ack {
        /// Next stream offset the receiver expects.
        ack: u64,
        /// Timestamp echoed from the segment that triggered this ACK.
        echo: u64,
        /// Ranges received above `ack`.
        sack: SackBlocks,
    },
}

/// Why bytes are not a Reno-model segment, or a segment does not fit a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SegmentError {
    /// Shorter than the header says.
    #[error("segment of {len} bytes is shorter than its {required}-byte header")]
    Truncated {
        /// Bytes available.
        len: usize,
        /// Bytes the header needs.
        required: usize,
    },
    /// Unknown kind byte.
    #[error("unknown segment kind {0}")]
    UnknownKind(u8),
    /// More selective blocks than [`MAX_SACK_BLOCKS`].
    #[error("{0} SACK blocks, at most {MAX_SACK_BLOCKS} allowed")]
    TooManyBlocks(u8),
    /// The header checksum does not match.
    #[error("header checksum mismatch")]
    BadChecksum,
    /// The output buffer is too small.
    #[error("buffer too small: {required} bytes required")]
    BufferTooSmall {
        /// Bytes needed.
        required: usize,
    },
}

impl SegmentRepr {
    /// Parses the header at the start of `bytes`; a data segment's payload follows at
    /// [`DATA_HEADER_LEN`].
    pub fn parse(bytes: &[u8]) -> Result<Self, SegmentError> {
        let truncated = |required| SegmentError::Truncated {
            len: bytes.len(),
            required,
        };
        let kind = *bytes.get(field::KIND).ok_or(truncated(DATA_HEADER_LEN))?;
        let header_len = match kind {
            KIND_DATA => DATA_HEADER_LEN,
            KIND_ACK => {
                let count = *bytes
                    .get(field::SACK_COUNT)
                    .ok_or(truncated(field::SACK_BLOCKS + field::CHECKSUM_LEN))?;
                if usize::from(count) > MAX_SACK_BLOCKS {
                    return Err(SegmentError::TooManyBlocks(count));
                }
                ack_header_len(usize::from(count))
            }
            other => return Err(SegmentError::UnknownKind(other)),
        };
        let header = bytes.get(..header_len).ok_or(truncated(header_len))?;
        let summed_len = header_len - field::CHECKSUM_LEN;
        let summed = header.get(..summed_len).unwrap_or_default();
        if read_u16(header, summed_len) != checksum(summed) {
            return Err(SegmentError::BadChecksum);
        }
        let number = read_u64(header, field::NUMBER.start);
        let stamp = read_u64(header, field::STAMP.start);
        if kind == KIND_DATA {
            return Ok(Self::Data { seq: number, stamp });
        }
        let mut sack = SackBlocks::default();
        let blocks = header
            .get(field::SACK_BLOCKS..summed_len)
            .unwrap_or_default();
        for block in blocks.chunks_exact(field::SACK_BLOCK_LEN) {
            sack.push(read_u64(block, 0), read_u64(block, 8));
        }
        Ok(Self::Ack {
            ack: number,
            echo: stamp,
            sack,
        })
    }

    /// Bytes the header needs.
    pub fn buffer_len(&self) -> usize {
        match self {
            Self::Data { .. } => DATA_HEADER_LEN,
            Self::Ack { sack, .. } => ack_header_len(sack.as_slice().len()),
        }
    }

    /// Writes the header into the start of `buf`; returns its length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, SegmentError> {
        let required = self.buffer_len();
        let header = buf
            .get_mut(..required)
            .ok_or(SegmentError::BufferTooSmall { required })?;
        let (kind, number, stamp) = match *self {
            Self::Data { seq, stamp } => (KIND_DATA, seq, stamp),
            Self::Ack { ack, echo, .. } => (KIND_ACK, ack, echo),
        };
        header[field::KIND] = kind;
        header[field::NUMBER].copy_from_slice(&number.to_be_bytes());
        header[field::STAMP].copy_from_slice(&stamp.to_be_bytes());
        if let Self::Ack { sack, .. } = self {
            let blocks = sack.as_slice();
            header[field::SACK_COUNT] = blocks.len() as u8;
            let area = &mut header[field::SACK_BLOCKS..required - field::CHECKSUM_LEN];
            for (out, (start, end)) in area.chunks_exact_mut(field::SACK_BLOCK_LEN).zip(blocks) {
                out[..8].copy_from_slice(&start.to_be_bytes());
                out[8..].copy_from_slice(&end.to_be_bytes());
            }
        }
        let summed_len = required - field::CHECKSUM_LEN;
        let sum = checksum(&header[..summed_len]);
        header[summed_len..].copy_from_slice(&sum.to_be_bytes());
        Ok(required)
    }
}

fn ack_header_len(blocks: usize) -> usize {
    field::SACK_BLOCKS + blocks * field::SACK_BLOCK_LEN + field::CHECKSUM_LEN
}

fn read_u64(bytes: &[u8], at: usize) -> u64 {
    let mut raw = [0u8; 8];
    if let Some(src) = bytes.get(at..at + 8) {
        raw.copy_from_slice(src);
    }
    u64::from_be_bytes(raw)
}

fn read_u16(bytes: &[u8], at: usize) -> u16 {
    let mut raw = [0u8; 2];
    if let Some(src) = bytes.get(at..at + 2) {
        raw.copy_from_slice(src);
    }
    u16::from_be_bytes(raw)
}

/// Ones'-complement sum of 16-bit big-endian words (odd tail padded with zero), inverted.
fn checksum(bytes: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    let mut words = bytes.chunks_exact(2);
    for word in &mut words {
        sum += u32::from(u16::from_be_bytes([word[0], word[1]]));
    }
    if let [last] = words.remainder() {
        sum += u32::from(*last) << 8;
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ack_with_blocks() -> SegmentRepr {
        let mut sack = SackBlocks::default();
        assert!(sack.push(3000, 4000));
        assert!(sack.push(6000, 6500));
        SegmentRepr::Ack {
            ack: 1000,
            echo: 7,
            sack,
        }
    }

    #[test]
    fn data_round_trip_and_bytes() {
        let repr = SegmentRepr::Data {
            seq: 0x0102_0304_0506_0708,
            stamp: 9,
        };
        let mut buf = [0u8; DATA_HEADER_LEN];
        assert_eq!(repr.emit(&mut buf), Ok(DATA_HEADER_LEN));
        assert_eq!(
            &buf[..17],
            &[1, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 9]
        );
        assert_eq!(SegmentRepr::parse(&buf), Ok(repr));
    }

    #[test]
    fn ack_round_trip_with_blocks() {
        let repr = ack_with_blocks();
        let mut buf = [0u8; 64];
        assert_eq!(repr.emit(&mut buf), Ok(18 + 32 + 2));
        assert_eq!(SegmentRepr::parse(&buf[..52]), Ok(repr));
        assert_eq!(buf[17], 2);
    }

    #[test]
    fn any_single_bit_flip_is_rejected() {
        let mut buf = [0u8; 52];
        let len = ack_with_blocks().emit(&mut buf).unwrap();
        for bit in 0..len * 8 {
            let mut flipped = buf;
            flipped[bit / 8] ^= 1 << (bit % 8);
            assert!(SegmentRepr::parse(&flipped).is_err(), "bit {bit}");
        }
    }

    #[test]
    fn short_input_and_small_buffer_are_errors() {
        assert_eq!(
            SegmentRepr::parse(&[1, 2, 3]),
            Err(SegmentError::Truncated {
                len: 3,
                required: DATA_HEADER_LEN
            })
        );
        assert_eq!(
            SegmentRepr::parse(&[]).map(|_| ()),
            Err(SegmentError::Truncated {
                len: 0,
                required: DATA_HEADER_LEN
            })
        );
        let mut too_many = [0u8; 20];
        too_many[0] = 2;
        too_many[17] = 5;
        assert_eq!(
            SegmentRepr::parse(&too_many),
            Err(SegmentError::TooManyBlocks(5))
        );
        assert_eq!(
            SegmentRepr::parse(&[9; 30]),
            Err(SegmentError::UnknownKind(9))
        );
        let mut small = [0u8; 40];
        assert_eq!(
            ack_with_blocks().emit(&mut small),
            Err(SegmentError::BufferTooSmall { required: 52 })
        );
    }

    #[test]
    fn sack_blocks_are_bounded() {
        let mut sack = SackBlocks::default();
        for i in 0..MAX_SACK_BLOCKS as u64 {
            assert!(sack.push(i, i + 1));
        }
        assert!(!sack.push(9, 10));
        assert_eq!(sack.as_slice().len(), MAX_SACK_BLOCKS);
    }
}
