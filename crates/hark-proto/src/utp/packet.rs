//! The core's narrow view of the uTP wire format.
//!
//! The connection logic only needs a header, an optional selective ACK bitmask and the
//! payload; this module is the single place that turns datagrams into that view and back.

use std::fmt;

/// Length of the fixed uTP header.
pub const HEADER_LEN: usize = 20;
/// The only uTP version (BEP 29).
pub const VERSION: u8 = 1;
/// Extension number of the selective ACK extension.
const EXT_SACK: u8 = 1;
/// Longest extension chain we walk before calling a packet malformed.
const MAX_EXTENSIONS: usize = 8;

/// The five uTP packet types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PacketType {
    /// ST_DATA: carries payload and consumes a sequence number.
    Data,
    /// ST_FIN: closes the sending direction and consumes a sequence number.
    Fin,
    /// ST_STATE: an acknowledgement; does not consume a sequence number.
    State,
    /// ST_RESET: terminates the connection.
    Reset,
    /// ST_SYN: opens a connection and consumes a sequence number.
    Syn,
}

impl PacketType {
    fn from_wire(value: u8) -> Option<Self> {
        Some(match value {
            0 => Self::Data,
            1 => Self::Fin,
            2 => Self::State,
            3 => Self::Reset,
            4 => Self::Syn,
            _ => return None,
        })
    }

    fn to_wire(self) -> u8 {
        match self {
            Self::Data => 0,
            Self::Fin => 1,
            Self::State => 2,
            Self::Reset => 3,
            Self::Syn => 4,
        }
    }
}

/// Why a datagram is not a well-formed uTP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MalformedPacket {
    /// Shorter than the fixed header or than its extensions claim.
    #[error("truncated uTP packet")]
    Truncated,
    /// The version nibble is not 1.
    #[error("unsupported uTP version {0}")]
    Version(u8),
    /// The type nibble is not one of the five packet types.
    #[error("unknown uTP packet type {0}")]
    Type(u8),
    /// An extension is malformed (bad SACK length, too many extensions).
    #[error("malformed uTP extension")]
    Extension,
}

/// The fixed header fields the core works with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Packet type.
    pub packet_type: PacketType,
    /// Connection id as carried on the wire.
    pub connection_id: u16,
    /// Sender's timestamp, microseconds.
    pub timestamp_micros: u32,
    /// Sender's last measured one-way delay difference, microseconds.
    pub timestamp_difference_micros: u32,
    /// Advertised receive window in bytes.
    pub wnd_size: u32,
    /// Sequence number.
    pub seq_nr: u16,
    /// Cumulative acknowledgement.
    pub ack_nr: u16,
}

/// A parsed datagram: header, selective ACK bitmask and payload, borrowed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Parsed<'a> {
    /// The fixed header.
    pub header: Header,
    /// The selective ACK bitmask (a non-empty multiple of 4 bytes), if present.
    pub sack: Option<&'a [u8]>,
    /// Payload after the header and extensions.
    pub payload: &'a [u8],
}

impl fmt::Debug for Parsed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Parsed")
            .field("header", &self.header)
            .field("sack", &self.sack)
            .field("payload_len", &self.payload.len())
            .finish()
    }
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at + 2)?;
    Some(u16::from_be_bytes([s[0], s[1]]))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 4)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// Parses a datagram; never panics.
pub fn parse(datagram: &[u8]) -> Result<Parsed<'_>, MalformedPacket> {
    let first = *datagram.first().ok_or(MalformedPacket::Truncated)?;
    if datagram.len() < HEADER_LEN {
        return Err(MalformedPacket::Truncated);
    }
    let version = first & 0x0f;
    if version != VERSION {
        return Err(MalformedPacket::Version(version));
    }
    let packet_type = PacketType::from_wire(first >> 4).ok_or(MalformedPacket::Type(first >> 4))?;
    let t = MalformedPacket::Truncated;
    let header = Header {
        packet_type,
        connection_id: be16(datagram, 2).ok_or(t)?,
        timestamp_micros: be32(datagram, 4).ok_or(t)?,
        timestamp_difference_micros: be32(datagram, 8).ok_or(t)?,
        wnd_size: be32(datagram, 12).ok_or(t)?,
        seq_nr: be16(datagram, 16).ok_or(t)?,
        ack_nr: be16(datagram, 18).ok_or(t)?,
    };
    let mut next = datagram.get(1).copied().ok_or(t)?;
    let mut at = HEADER_LEN;
    let mut sack = None;
    let mut count = 0;
    while next != 0 {
        count += 1;
        if count > MAX_EXTENSIONS {
            return Err(MalformedPacket::Extension);
        }
        let kind = next;
        next = *datagram.get(at).ok_or(t)?;
        let len = usize::from(*datagram.get(at + 1).ok_or(t)?);
        let body = datagram.get(at + 2..at + 2 + len).ok_or(t)?;
        if kind == EXT_SACK {
            if len == 0 || len % 4 != 0 {
                return Err(MalformedPacket::Extension);
            }
            sack = Some(body);
        }
        at += 2 + len;
    }
    Ok(Parsed {
        header,
        sack,
        payload: datagram.get(at..).ok_or(t)?,
    })
}

/// Bytes needed to emit a packet with this SACK length and payload length.
pub fn emitted_len(sack_len: usize, payload_len: usize) -> usize {
    HEADER_LEN + if sack_len > 0 { 2 + sack_len } else { 0 } + payload_len
}

/// Writes a packet into `out` and returns its length, or `None` if `out` is too small
/// or the SACK length is not a multiple of 4 in 4..=252.
pub fn emit(header: &Header, sack: Option<&[u8]>, payload: &[u8], out: &mut [u8]) -> Option<usize> {
    let sack_len = sack.map_or(0, <[u8]>::len);
    if sack.is_some() && (sack_len == 0 || sack_len % 4 != 0 || sack_len > 252) {
        return None;
    }
    let total = emitted_len(sack_len, payload.len());
    let out = out.get_mut(..total)?;
    out[0] = (header.packet_type.to_wire() << 4) | VERSION;
    out[1] = if sack.is_some() { EXT_SACK } else { 0 };
    out[2..4].copy_from_slice(&header.connection_id.to_be_bytes());
    out[4..8].copy_from_slice(&header.timestamp_micros.to_be_bytes());
    out[8..12].copy_from_slice(&header.timestamp_difference_micros.to_be_bytes());
    out[12..16].copy_from_slice(&header.wnd_size.to_be_bytes());
    out[16..18].copy_from_slice(&header.seq_nr.to_be_bytes());
    out[18..20].copy_from_slice(&header.ack_nr.to_be_bytes());
    let mut at = HEADER_LEN;
    if let Some(mask) = sack {
        out[at] = 0;
        out[at + 1] = sack_len as u8;
        out[at + 2..at + 2 + sack_len].copy_from_slice(mask);
        at += 2 + sack_len;
    }
    out[at..].copy_from_slice(payload);
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Header {
        Header {
            packet_type: PacketType::State,
            connection_id: 0x1234,
            timestamp_micros: 0xdead_beef,
            timestamp_difference_micros: 7,
            wnd_size: 65536,
            seq_nr: 0xfffe,
            ack_nr: 3,
        }
    }

    #[test]
    fn round_trip_with_sack_and_payload() {
        let mut buf = [0u8; 64];
        let n = emit(&header(), Some(&[1, 0, 0, 0x80]), b"hi", &mut buf).unwrap();
        assert_eq!(n, 28);
        let p = parse(&buf[..n]).unwrap();
        assert_eq!(p.header, header());
        assert_eq!(p.sack, Some(&[1u8, 0, 0, 0x80][..]));
        assert_eq!(p.payload, b"hi");
    }

    #[test]
    fn rejects_bad_input_without_panicking() {
        assert_eq!(parse(&[]), Err(MalformedPacket::Truncated));
        assert_eq!(parse(&[0x21; 19]), Err(MalformedPacket::Truncated));
        let mut buf = [0u8; 20];
        buf[0] = 0x22;
        assert_eq!(parse(&buf), Err(MalformedPacket::Version(2)));
        buf[0] = 0x51;
        assert_eq!(parse(&buf), Err(MalformedPacket::Type(5)));
        buf[0] = 0x21;
        buf[1] = 1;
        assert_eq!(parse(&buf), Err(MalformedPacket::Truncated));
        let mut ext = [0u8; 25];
        ext[0] = 0x21;
        ext[1] = 1;
        ext[21] = 3;
        assert_eq!(parse(&ext), Err(MalformedPacket::Extension));
    }

    #[test]
    fn too_small_output_is_reported() {
        let mut buf = [0u8; 21];
        assert_eq!(emit(&header(), None, b"xy", &mut buf), None);
        assert_eq!(emit(&header(), Some(&[0, 0]), b"", &mut [0u8; 64]), None);
    }
}
