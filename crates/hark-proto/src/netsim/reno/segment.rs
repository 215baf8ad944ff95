//! The Reno model's own tiny header: kind, sequence or ack number, timestamp, checksum.
//!
//! ```text
//! 0      1                9               17      19
//! | kind | number (u64 BE) | stamp (u64 BE) | csum |  payload (data segments only)
//! ```
//! `kind` is 1 for data (`number` = sequence of the first payload byte, `stamp` = the sender's
//! timestamp) and 2 for an ACK (`number` = next byte expected, `stamp` = echoed timestamp).
//! `csum` is the ones'-complement sum of the first 17 bytes, so corrupted headers are rejected.

use thiserror::Error;

/// Length of the header in bytes.
pub const HEADER_LEN: usize = 19;

mod field {
    use core::ops::Range;

    pub(super) const KIND: usize = 0;
    pub(super) const NUMBER: Range<usize> = 1..9;
    pub(super) const STAMP: Range<usize> = 9..17;
    pub(super) const CHECKSUM: Range<usize> = 17..19;
}

const KIND_DATA: u8 = 1;
const KIND_ACK: u8 = 2;

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
    /// Cumulative acknowledgement of everything below `ack`.
    Ack {
        /// Next stream offset the receiver expects.
        ack: u64,
        /// Timestamp echoed from the segment that triggered this ACK.
        echo: u64,
    },
}

/// Why bytes are not a Reno-model segment, or a segment does not fit a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SegmentError {
    /// Shorter than the header.
    #[error("segment of {len} bytes is shorter than the {HEADER_LEN}-byte header")]
    Truncated {
        /// Bytes available.
        len: usize,
    },
    /// Unknown kind byte.
    #[error("unknown segment kind {0}")]
    UnknownKind(u8),
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
    /// Parses the header at the start of `bytes`; the payload is `&bytes[HEADER_LEN..]`.
    pub fn parse(bytes: &[u8]) -> Result<Self, SegmentError> {
        let header = bytes
            .get(..HEADER_LEN)
            .ok_or(SegmentError::Truncated { len: bytes.len() })?;
        let checksummed = header.get(..field::CHECKSUM.start).unwrap_or_default();
        if read_u16(header, field::CHECKSUM.start) != checksum(checksummed) {
            return Err(SegmentError::BadChecksum);
        }
        let number = read_u64(header, field::NUMBER.start);
        let stamp = read_u64(header, field::STAMP.start);
        match header.get(field::KIND).copied().unwrap_or_default() {
            KIND_DATA => Ok(Self::Data { seq: number, stamp }),
            KIND_ACK => Ok(Self::Ack {
                ack: number,
                echo: stamp,
            }),
            other => Err(SegmentError::UnknownKind(other)),
        }
    }

    /// Bytes the header needs.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the header into the start of `buf`; returns its length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, SegmentError> {
        let header = buf
            .get_mut(..HEADER_LEN)
            .ok_or(SegmentError::BufferTooSmall {
                required: HEADER_LEN,
            })?;
        let (kind, number, stamp) = match *self {
            Self::Data { seq, stamp } => (KIND_DATA, seq, stamp),
            Self::Ack { ack, echo } => (KIND_ACK, ack, echo),
        };
        header[field::KIND] = kind;
        header[field::NUMBER].copy_from_slice(&number.to_be_bytes());
        header[field::STAMP].copy_from_slice(&stamp.to_be_bytes());
        let sum = checksum(&header[..field::CHECKSUM.start]);
        header[field::CHECKSUM].copy_from_slice(&sum.to_be_bytes());
        Ok(HEADER_LEN)
    }
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

    #[test]
    fn data_round_trip_and_bytes() {
        let repr = SegmentRepr::Data {
            seq: 0x0102_0304_0506_0708,
            stamp: 9,
        };
        let mut buf = [0u8; HEADER_LEN];
        assert_eq!(repr.emit(&mut buf), Ok(HEADER_LEN));
        assert_eq!(
            &buf[..17],
            &[1, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 9]
        );
        assert_eq!(SegmentRepr::parse(&buf), Ok(repr));
    }

    #[test]
    fn ack_round_trip() {
        let repr = SegmentRepr::Ack { ack: 42, echo: 7 };
        let mut buf = [0u8; 32];
        repr.emit(&mut buf).unwrap();
        assert_eq!(SegmentRepr::parse(&buf), Ok(repr));
    }

    #[test]
    fn any_single_bit_flip_is_rejected() {
        let mut buf = [0u8; HEADER_LEN];
        SegmentRepr::Ack { ack: 1234, echo: 5 }
            .emit(&mut buf)
            .unwrap();
        for bit in 0..HEADER_LEN * 8 {
            let mut flipped = buf;
            flipped[bit / 8] ^= 1 << (bit % 8);
            assert!(SegmentRepr::parse(&flipped).is_err(), "bit {bit}");
        }
    }

    #[test]
    fn short_input_and_small_buffer_are_errors() {
        assert_eq!(
            SegmentRepr::parse(&[1, 2, 3]),
            Err(SegmentError::Truncated { len: 3 })
        );
        let mut small = [0u8; 4];
        assert_eq!(
            SegmentRepr::Ack { ack: 0, echo: 0 }.emit(&mut small),
            Err(SegmentError::BufferTooSmall {
                required: HEADER_LEN
            })
        );
    }
}
