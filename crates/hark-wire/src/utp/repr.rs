//! The owned (payload-borrowing) representation of a uTP packet.

use super::extension::{
    CHECKSUM, CHECKSUM_LEN, EXTENSION_BITS, EXTENSION_BITS_LEN, SELECTIVE_ACK, UnknownExtensions,
};
use super::{Error, HEADER_LEN, Packet, PacketType, SelectiveAck, VERSION, checksum};

/// A uTP packet as typed values. The payload and extension bodies borrow from elsewhere.
///
/// Emitting writes the selective ACK first, then the extension bits, then any unknown
/// extensions, then the checksum, so the first extension is never one libutp drops unless
/// the checksum is the only one (which only a peer that accepted it receives).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacketRepr<'a> {
    /// The packet type.
    pub packet_type: PacketType,
    /// The connection id the packet is addressed to.
    pub connection_id: u16,
    /// Send time in microseconds (wrapping).
    pub timestamp_micros: u32,
    /// The sender's latest one-way delay sample, in microseconds.
    pub timestamp_difference_micros: u32,
    /// The advertised receive window, in bytes.
    pub wnd_size: u32,
    /// This packet's sequence number.
    pub seq_nr: u16,
    /// The last sequence number received in order.
    pub ack_nr: u16,
    /// The selective-ACK bitmask, if any.
    pub selective_ack: Option<SelectiveAck<&'a [u8]>>,
    /// The 8 extension bits (type 2), if any.
    pub extension_bits: Option<[u8; EXTENSION_BITS_LEN]>,
    /// Extensions of unknown types, in order.
    pub unknown_extensions: UnknownExtensions<'a>,
    /// Whether the packet carries hark's checksum extension; [`PacketRepr::emit`] computes
    /// its value. Send it only to a peer that accepted it.
    pub checksum: bool,
    /// The payload.
    pub payload: &'a [u8],
}

impl<'a> PacketRepr<'a> {
    /// A packet of the given type and connection id with every other field zero or empty;
    /// meant as the base of struct-update syntax.
    pub const fn new(packet_type: PacketType, connection_id: u16) -> Self {
        Self {
            packet_type,
            connection_id,
            timestamp_micros: 0,
            timestamp_difference_micros: 0,
            wnd_size: 0,
            seq_nr: 0,
            ack_nr: 0,
            selective_ack: None,
            extension_bits: None,
            unknown_extensions: UnknownExtensions::NONE,
            checksum: false,
            payload: &[],
        }
    }

    /// Reads a validated packet. The repr borrows the datagram the view was made over.
    pub fn parse(packet: &Packet<&'a [u8]>) -> Result<Self, Error> {
        let bytes: &'a [u8] = packet.as_slice();
        let header_len = packet.header_len();
        let selective_ack = packet
            .selective_ack_bytes()
            .map(SelectiveAck::new_checked)
            .transpose()?;
        let unknown_extensions = if packet.has_unknown_extensions() {
            UnknownExtensions::from_chain(
                packet.first_extension_type(),
                &bytes[HEADER_LEN..header_len],
            )
        } else {
            UnknownExtensions::NONE
        };
        Ok(Self {
            packet_type: packet.packet_type(),
            connection_id: packet.connection_id(),
            timestamp_micros: packet.timestamp_micros(),
            timestamp_difference_micros: packet.timestamp_difference_micros(),
            wnd_size: packet.wnd_size(),
            seq_nr: packet.seq_nr(),
            ack_nr: packet.ack_nr(),
            selective_ack,
            extension_bits: packet.extension_bits(),
            unknown_extensions,
            checksum: packet.checksum().is_some(),
            payload: &bytes[header_len..],
        })
    }

    /// Validates and reads a datagram in one step.
    pub fn parse_bytes(bytes: &'a [u8]) -> Result<Self, Error> {
        Self::parse(&Packet::new_checked(bytes)?)
    }

    /// Length of the header with its extensions.
    pub fn header_len(&self) -> usize {
        HEADER_LEN
            + self
                .selective_ack
                .map_or(0, |sack| 2 + sack.as_bytes().len())
            + self.extension_bits.map_or(0, |_| 2 + EXTENSION_BITS_LEN)
            + self.unknown_extensions.wire_len()
            + if self.checksum { 2 + CHECKSUM_LEN } else { 0 }
    }

    /// Length of the whole datagram.
    pub fn buffer_len(&self) -> usize {
        self.header_len() + self.payload.len()
    }

    /// Writes the packet to the start of `buf`; returns how many bytes it took.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, Error> {
        let len = self.emit_header(buf)?;
        let total = len + self.payload.len();
        // emit_header checked that the payload fits too.
        buf[len..total].copy_from_slice(self.payload);
        self.fill_checksum(&mut buf[..total]);
        Ok(total)
    }

    /// After [`PacketRepr::emit_header`] and the payload were written to `datagram` (the
    /// whole packet, nothing more), computes and writes the checksum; does nothing unless
    /// `checksum` is set.
    pub fn fill_checksum(&self, datagram: &mut [u8]) {
        if self.checksum {
            checksum::fill(datagram, self.header_len() - CHECKSUM_LEN);
        }
    }

    /// Writes only the header and extensions (the payload is expected to follow at
    /// `header_len()`, placed there by the caller, who then calls
    /// [`PacketRepr::fill_checksum`]); returns the header length.
    pub fn emit_header(&self, buf: &mut [u8]) -> Result<usize, Error> {
        let header_len = self.header_len();
        let required = header_len + self.payload.len();
        if buf.len() < required {
            return Err(Error::BufferTooSmall { required });
        }
        let has_unknown = !self.unknown_extensions.is_empty();
        for ext in self.unknown_extensions.iter().filter(|_| has_unknown) {
            let kind = ext.extension_type.to_wire();
            if kind <= EXTENSION_BITS || kind == CHECKSUM {
                return Err(Error::ReservedExtensionType(kind));
            }
            if ext.data.len() > usize::from(u8::MAX) {
                return Err(Error::ExtensionTooLong {
                    len: ext.data.len(),
                });
            }
        }
        if let Some(sack) = self.selective_ack {
            let len = sack.as_bytes().len();
            if len > usize::from(u8::MAX) {
                return Err(Error::ExtensionTooLong { len });
            }
        }
        let first_unknown = self.unknown_extensions.iter().find(|_| has_unknown);
        let first_type = if self.selective_ack.is_some() {
            SELECTIVE_ACK
        } else if self.extension_bits.is_some() {
            EXTENSION_BITS
        } else if let Some(ext) = first_unknown {
            return Err(Error::UnknownFirstExtension(ext.extension_type.to_wire()));
        } else if self.checksum {
            CHECKSUM
        } else {
            0
        };

        buf[0] = (self.packet_type as u8) << 4 | VERSION;
        buf[1] = first_type;
        buf[2..4].copy_from_slice(&self.connection_id.to_be_bytes());
        buf[4..8].copy_from_slice(&self.timestamp_micros.to_be_bytes());
        buf[8..12].copy_from_slice(&self.timestamp_difference_micros.to_be_bytes());
        buf[12..16].copy_from_slice(&self.wnd_size.to_be_bytes());
        buf[16..18].copy_from_slice(&self.seq_nr.to_be_bytes());
        buf[18..20].copy_from_slice(&self.ack_nr.to_be_bytes());

        // Each link is written with a zero "next type"; the following link patches it.
        let mut offset = HEADER_LEN;
        let mut previous_link: Option<usize> = None;
        let mut write_link = |buf: &mut [u8], kind: u8, body: &[u8]| {
            if let Some(at) = previous_link {
                buf[at] = kind;
            }
            buf[offset] = 0;
            // Lengths were checked above to fit one byte.
            buf[offset + 1] = body.len() as u8;
            buf[offset + 2..offset + 2 + body.len()].copy_from_slice(body);
            previous_link = Some(offset);
            offset += 2 + body.len();
        };
        if let Some(sack) = self.selective_ack {
            write_link(buf, SELECTIVE_ACK, sack.as_bytes());
        }
        if let Some(bits) = self.extension_bits {
            write_link(buf, EXTENSION_BITS, &bits);
        }
        if has_unknown {
            for ext in self.unknown_extensions.iter() {
                write_link(buf, ext.extension_type.to_wire(), ext.data);
            }
        }
        if self.checksum {
            write_link(buf, CHECKSUM, &[0; CHECKSUM_LEN]);
        }
        debug_assert_eq!(offset, header_len);
        Ok(offset)
    }
}
