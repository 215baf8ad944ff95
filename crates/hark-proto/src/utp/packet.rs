//! The core's narrow view of the uTP wire format, on top of [`hark_wire::utp`].
//!
//! The connection logic needs a header, an optional selective ACK bitmask and the
//! payload; this module is the single place that turns datagrams into that view and back.

use std::fmt;

use hark_wire::utp::{Packet, PacketRepr, SelectiveAck};

pub use hark_wire::utp::{Error as MalformedPacket, HEADER_LEN, PacketType, VERSION};

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
    /// The selective ACK bitmask (at least one byte), if present.
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

/// Parses a datagram; never panics.
pub fn parse(datagram: &[u8]) -> Result<Parsed<'_>, MalformedPacket> {
    let packet = Packet::new_checked(datagram)?;
    let header = Header {
        packet_type: packet.packet_type(),
        connection_id: packet.connection_id(),
        timestamp_micros: packet.timestamp_micros(),
        timestamp_difference_micros: packet.timestamp_difference_micros(),
        wnd_size: packet.wnd_size(),
        seq_nr: packet.seq_nr(),
        ack_nr: packet.ack_nr(),
    };
    let sack = packet.selective_ack_bytes();
    if let Some(mask) = sack {
        SelectiveAck::new_checked(mask)?;
    }
    let payload = datagram.get(packet.header_len()..).unwrap_or(&[]);
    Ok(Parsed {
        header,
        sack,
        payload,
    })
}

/// Bytes needed to emit a packet with this SACK length and payload length.
pub fn emitted_len(sack_len: usize, payload_len: usize) -> usize {
    HEADER_LEN + if sack_len > 0 { 2 + sack_len } else { 0 } + payload_len
}

/// Writes a packet into `out` and returns its length, or `None` if `out` is too small
/// or the SACK is empty.
pub fn emit(header: &Header, sack: Option<&[u8]>, payload: &[u8], out: &mut [u8]) -> Option<usize> {
    let selective_ack = match sack {
        Some(mask) => Some(SelectiveAck::new_checked(mask).ok()?),
        None => None,
    };
    let repr = PacketRepr {
        timestamp_micros: header.timestamp_micros,
        timestamp_difference_micros: header.timestamp_difference_micros,
        wnd_size: header.wnd_size,
        seq_nr: header.seq_nr,
        ack_nr: header.ack_nr,
        selective_ack,
        payload,
        ..PacketRepr::new(header.packet_type, header.connection_id)
    };
    repr.emit(out).ok()
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
        assert_eq!(n, emitted_len(4, 2));
        let p = parse(&buf[..n]).unwrap();
        assert_eq!(p.header, header());
        assert_eq!(p.sack, Some(&[1u8, 0, 0, 0x80][..]));
        assert_eq!(p.payload, b"hi");
    }

    #[test]
    fn rejects_bad_input_without_panicking() {
        assert!(parse(&[]).is_err());
        assert!(parse(&[0x21; 19]).is_err());
        let mut buf = [0u8; 20];
        buf[0] = 0x22;
        assert_eq!(parse(&buf), Err(MalformedPacket::BadVersion(2)));
        buf[0] = 0x51;
        assert_eq!(parse(&buf), Err(MalformedPacket::UnknownType(5)));
        buf[0] = 0x21;
        buf[1] = 1;
        assert!(parse(&buf).is_err());
        let mut ext = [0u8; 25];
        ext[0] = 0x21;
        ext[1] = 1;
        // An empty SACK, and one longer than the datagram.
        assert!(parse(&ext).is_err());
        ext[21] = 4;
        assert!(parse(&ext).is_err());
        // Any other length is read (libtorrent sends 1 to 32 bytes).
        ext[21] = 3;
        assert_eq!(parse(&ext).map(|p| p.sack), Ok(Some(&[0u8, 0, 0][..])));
    }

    #[test]
    fn too_small_output_is_reported() {
        let mut buf = [0u8; 21];
        assert_eq!(emit(&header(), None, b"xy", &mut buf), None);
        assert_eq!(emit(&header(), Some(&[]), b"", &mut [0u8; 64]), None);
    }
}
