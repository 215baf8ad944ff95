//! The core's narrow view of the uTP wire format, on top of [`hark_wire::utp`].
//!
//! The connection logic needs a header, an optional selective ACK bitmask, the extension
//! bits and checksum that negotiate and carry hark's integrity extension, and the payload;
//! this module is the single place that turns datagrams into that view and back.

use std::fmt;

use hark_wire::utp::{CHECKSUM_LEN, Packet, PacketRepr, SelectiveAck};

pub use hark_wire::utp::{
    CHECKSUM_OFFER, Error as MalformedPacket, HEADER_LEN, PacketType, VERSION, offers_checksum,
};

/// Bytes the checksum extension adds to a packet (two-byte link header and the CRC).
pub const CHECKSUM_OVERHEAD: usize = 2 + CHECKSUM_LEN;

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

/// The extensions besides the selective ACK that a packet carries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Extras {
    /// The extension bits (type 2): SYN and SYN-ACK carry them to negotiate the checksum.
    pub extension_bits: Option<[u8; 8]>,
    /// hark's checksum extension (only for a peer that accepted it).
    pub checksum: bool,
}

impl Extras {
    /// No extension besides a selective ACK.
    pub const NONE: Self = Self {
        extension_bits: None,
        checksum: false,
    };

    /// The checksum alone when `checksum` is set, else nothing.
    pub const fn checksum(checksum: bool) -> Self {
        Self {
            extension_bits: None,
            checksum,
        }
    }

    /// Bytes these extensions take on the wire.
    pub fn wire_len(&self) -> usize {
        self.extension_bits.map_or(0, |bits| 2 + bits.len())
            + if self.checksum { CHECKSUM_OVERHEAD } else { 0 }
    }
}

/// A parsed datagram: header, selective ACK bitmask, extras and payload, borrowed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Parsed<'a> {
    /// The fixed header.
    pub header: Header,
    /// The selective ACK bitmask (at least one byte), if present.
    pub sack: Option<&'a [u8]>,
    /// The extension bits, and whether a checksum was carried (parsing has verified it:
    /// a packet whose checksum does not match is [`MalformedPacket::ChecksumMismatch`]).
    pub extras: Extras,
    /// Payload after the header and extensions.
    pub payload: &'a [u8],
}

impl fmt::Debug for Parsed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Parsed")
            .field("header", &self.header)
            .field("sack", &self.sack)
            .field("extras", &self.extras)
            .field("payload_len", &self.payload.len())
            .finish()
    }
}

/// Parses a datagram and verifies its checksum, if it carries one; never panics.
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
    let extras = Extras {
        extension_bits: packet.extension_bits(),
        checksum: packet.checksum().is_some(),
    };
    Ok(Parsed {
        header,
        sack,
        extras,
        payload,
    })
}

/// Bytes needed to emit a packet with this SACK length, these extras and payload length.
pub fn emitted_len(sack_len: usize, extras: Extras, payload_len: usize) -> usize {
    HEADER_LEN + if sack_len > 0 { 2 + sack_len } else { 0 } + extras.wire_len() + payload_len
}

/// Writes a packet into `out` and returns its length, or `None` if `out` is too small
/// or the SACK is empty. With `extras.checksum` the checksum is computed here.
pub fn emit(
    header: &Header,
    sack: Option<&[u8]>,
    extras: Extras,
    payload: &[u8],
    out: &mut [u8],
) -> Option<usize> {
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
        extension_bits: extras.extension_bits,
        checksum: extras.checksum,
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
        let n = emit(
            &header(),
            Some(&[1, 0, 0, 0x80]),
            Extras::NONE,
            b"hi",
            &mut buf,
        )
        .unwrap();
        assert_eq!(n, 28);
        assert_eq!(n, emitted_len(4, Extras::NONE, 2));
        let p = parse(&buf[..n]).unwrap();
        assert_eq!(p.header, header());
        assert_eq!(p.sack, Some(&[1u8, 0, 0, 0x80][..]));
        assert_eq!(p.extras, Extras::NONE);
        assert_eq!(p.payload, b"hi");
    }

    #[test]
    fn checksummed_round_trip_and_any_flipped_bit_is_caught() {
        let extras = Extras {
            extension_bits: Some(CHECKSUM_OFFER),
            checksum: true,
        };
        let mut buf = [0u8; 64];
        let n = emit(&header(), Some(&[1, 0, 0, 0]), extras, b"payload", &mut buf).unwrap();
        assert_eq!(n, emitted_len(4, extras, 7));
        let p = parse(&buf[..n]).unwrap();
        assert_eq!(
            (p.header, p.extras, p.payload),
            (header(), extras, &b"payload"[..])
        );
        assert!(
            p.extras
                .extension_bits
                .is_some_and(|bits| offers_checksum(&bits))
        );
        for bit in 0..n * 8 {
            let mut damaged = buf;
            damaged[bit / 8] ^= 1 << (bit % 8);
            match parse(&damaged[..n]) {
                Err(_) => {}
                // The flip removed the checksum from the chain: the connection drops such
                // a packet because its peer always checksums.
                Ok(p) => assert!(!p.extras.checksum, "bit {bit} went unnoticed"),
            }
        }
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
        assert_eq!(emit(&header(), None, Extras::NONE, b"xy", &mut buf), None);
        assert_eq!(
            emit(&header(), Some(&[]), Extras::NONE, b"", &mut [0u8; 64]),
            None
        );
        let checksummed = Extras::checksum(true);
        let mut short = [0u8; 26];
        assert_eq!(emit(&header(), None, checksummed, b"x", &mut short), None);
    }
}
