//! The checked view over a uTP datagram.

use super::extension::{self, ChainInfo, Extensions};
use super::{Error, SelectiveAck, checksum};

/// The only uTP version that exists.
pub const VERSION: u8 = 1;

/// Length of the fixed header, before any extension.
pub const HEADER_LEN: usize = 20;

/// Byte offsets of the fixed header fields (all big-endian).
mod field {
    use core::ops::Range;

    /// High nibble: packet type; low nibble: version.
    pub const TYPE_VERSION: usize = 0;
    /// Type of the first extension (0 = none).
    pub const EXTENSION: usize = 1;
    pub const CONNECTION_ID: Range<usize> = 2..4;
    pub const TIMESTAMP: Range<usize> = 4..8;
    pub const TIMESTAMP_DIFF: Range<usize> = 8..12;
    pub const WND_SIZE: Range<usize> = 12..16;
    pub const SEQ_NR: Range<usize> = 16..18;
    pub const ACK_NR: Range<usize> = 18..20;
}

/// The five uTP packet types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum PacketType {
    /// ST_DATA: a data packet.
    Data = 0,
    /// ST_FIN: the last packet of a direction; consumes a sequence number.
    Fin = 1,
    /// ST_STATE: an ACK without data.
    State = 2,
    /// ST_RESET: terminates the connection forcefully.
    Reset = 3,
    /// ST_SYN: opens a connection.
    Syn = 4,
}

impl PacketType {
    /// The type for a wire value, if it is one of the five.
    pub fn from_wire(value: u8) -> Option<Self> {
        Some(match value {
            0 => Self::Data,
            1 => Self::Fin,
            2 => Self::State,
            3 => Self::Reset,
            4 => Self::Syn,
            _ => return None,
        })
    }

    /// libutp's name for the type (`ST_DATA`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Self::Data => "ST_DATA",
            Self::Fin => "ST_FIN",
            Self::State => "ST_STATE",
            Self::Reset => "ST_RESET",
            Self::Syn => "ST_SYN",
        }
    }
}

/// A validated view over the bytes of one uTP datagram.
///
/// Construction checks the header, walks the whole extension chain and, when the packet
/// carries hark's checksum extension, verifies it, so every getter is infallible afterwards
/// and a damaged checksummed packet never gets a view. The `set_*` setters leave the
/// checksum stale: call [`Packet::fill_checksum`] after them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
    chain: ChainInfo,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Validates `buffer` as a uTP version-1 packet.
    pub fn new_checked(buffer: T) -> Result<Self, Error> {
        let chain = validate(buffer.as_ref())?;
        Ok(Self { buffer, chain })
    }

    /// Gives the underlying buffer back.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    fn bytes(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    /// The fixed header (present: new_checked checked the length).
    fn header(&self) -> &[u8; HEADER_LEN] {
        const EMPTY: [u8; HEADER_LEN] = [0; HEADER_LEN];
        self.bytes().first_chunk().unwrap_or(&EMPTY)
    }

    fn read_u16(&self, range: core::ops::Range<usize>) -> u16 {
        let b = &self.header()[range];
        u16::from_be_bytes([b[0], b[1]])
    }

    fn read_u32(&self, range: core::ops::Range<usize>) -> u32 {
        let b = &self.header()[range];
        u32::from_be_bytes([b[0], b[1], b[2], b[3]])
    }

    /// The packet type.
    pub fn packet_type(&self) -> PacketType {
        // new_checked accepted only the five known types.
        PacketType::from_wire(self.header()[field::TYPE_VERSION] >> 4).unwrap_or(PacketType::Reset)
    }

    /// The version nibble (always [`VERSION`] once checked).
    pub fn version(&self) -> u8 {
        self.header()[field::TYPE_VERSION] & 0x0f
    }

    /// The connection id this packet is addressed to.
    pub fn connection_id(&self) -> u16 {
        self.read_u16(field::CONNECTION_ID)
    }

    /// The sender's clock when it sent the packet, in microseconds (wrapping).
    pub fn timestamp_micros(&self) -> u32 {
        self.read_u32(field::TIMESTAMP)
    }

    /// The sender's last measured one-way delay sample, in microseconds.
    pub fn timestamp_difference_micros(&self) -> u32 {
        self.read_u32(field::TIMESTAMP_DIFF)
    }

    /// The sender's advertised receive window, in bytes.
    pub fn wnd_size(&self) -> u32 {
        self.read_u32(field::WND_SIZE)
    }

    /// The sequence number of this packet.
    pub fn seq_nr(&self) -> u16 {
        self.read_u16(field::SEQ_NR)
    }

    /// The last sequence number the sender received in order.
    pub fn ack_nr(&self) -> u16 {
        self.read_u16(field::ACK_NR)
    }

    /// The type of the first extension (0 when there is none).
    pub fn first_extension_type(&self) -> u8 {
        self.header()[field::EXTENSION]
    }

    /// The extension chain, in wire order.
    pub fn extensions(&self) -> Extensions<'_> {
        Extensions::new(
            self.first_extension_type(),
            &self.bytes()[HEADER_LEN..self.header_len()],
        )
    }

    /// The selective-ACK extension, if present.
    pub fn selective_ack(&self) -> Option<SelectiveAck<&[u8]>> {
        let (start, len) = self.chain.sack?;
        SelectiveAck::new_checked(self.bytes().get(start..start + len)?).ok()
    }

    /// The extension bits (type 2), if present.
    pub fn extension_bits(&self) -> Option<[u8; 8]> {
        let start = self.chain.bits?;
        self.bytes().get(start..start + 8)?.try_into().ok()
    }

    /// The CRC-32 carried by hark's checksum extension, if present (verified by
    /// [`Packet::new_checked`]).
    pub fn checksum(&self) -> Option<u32> {
        checksum::read(self.bytes(), self.chain.checksum?)
    }

    /// Whether the chain holds any extension of an unknown type.
    pub fn has_unknown_extensions(&self) -> bool {
        self.chain.has_unknown
    }

    /// Length of the header including every extension.
    pub fn header_len(&self) -> usize {
        HEADER_LEN + self.chain.len
    }

    /// The payload after the extension chain.
    pub fn payload(&self) -> &[u8] {
        &self.bytes()[self.header_len()..]
    }
}

impl<'a> Packet<&'a [u8]> {
    /// The whole datagram, with the lifetime of the borrowed bytes.
    pub fn as_slice(&self) -> &'a [u8] {
        self.buffer
    }

    /// The selective-ACK bitmask bytes, with the lifetime of the borrowed bytes.
    pub fn selective_ack_bytes(&self) -> Option<&'a [u8]> {
        let (start, len) = self.chain.sack?;
        self.buffer.get(start..start + len)
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    fn write_u16(&mut self, range: core::ops::Range<usize>, value: u16) {
        self.buffer.as_mut()[range].copy_from_slice(&value.to_be_bytes());
    }

    fn write_u32(&mut self, range: core::ops::Range<usize>, value: u32) {
        self.buffer.as_mut()[range].copy_from_slice(&value.to_be_bytes());
    }

    /// Sets the packet type.
    pub fn set_packet_type(&mut self, packet_type: PacketType) {
        let byte = &mut self.buffer.as_mut()[field::TYPE_VERSION];
        *byte = (packet_type as u8) << 4 | (*byte & 0x0f);
    }

    /// Sets the connection id.
    pub fn set_connection_id(&mut self, value: u16) {
        self.write_u16(field::CONNECTION_ID, value);
    }

    /// Sets the send timestamp (re-stamping a retransmission in place).
    pub fn set_timestamp_micros(&mut self, value: u32) {
        self.write_u32(field::TIMESTAMP, value);
    }

    /// Sets the timestamp difference.
    pub fn set_timestamp_difference_micros(&mut self, value: u32) {
        self.write_u32(field::TIMESTAMP_DIFF, value);
    }

    /// Sets the advertised window.
    pub fn set_wnd_size(&mut self, value: u32) {
        self.write_u32(field::WND_SIZE, value);
    }

    /// Sets the sequence number.
    pub fn set_seq_nr(&mut self, value: u16) {
        self.write_u16(field::SEQ_NR, value);
    }

    /// Sets the acknowledgement number.
    pub fn set_ack_nr(&mut self, value: u16) {
        self.write_u16(field::ACK_NR, value);
    }

    /// Recomputes the checksum extension after the setters changed the packet; does nothing
    /// when the packet carries none.
    pub fn fill_checksum(&mut self) {
        if let Some(body) = self.chain.checksum {
            checksum::fill(self.buffer.as_mut(), body);
        }
    }

    /// The payload, writable. Call [`Packet::fill_checksum`] after changing it.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let start = self.header_len();
        &mut self.buffer.as_mut()[start..]
    }
}

/// Checks the fixed header and the extension chain.
fn validate(bytes: &[u8]) -> Result<ChainInfo, Error> {
    if bytes.len() < HEADER_LEN {
        return Err(Error::Truncated { len: bytes.len() });
    }
    let type_version = bytes[field::TYPE_VERSION];
    let version = type_version & 0x0f;
    if version != VERSION {
        return Err(Error::BadVersion(version));
    }
    let packet_type = type_version >> 4;
    if PacketType::from_wire(packet_type).is_none() {
        return Err(Error::UnknownType(packet_type));
    }
    let chain = match bytes[field::EXTENSION] {
        0 => ChainInfo::default(),
        first => extension::validate_chain(first, &bytes[HEADER_LEN..])?,
    };
    if let Some(body) = chain.checksum {
        let carried = checksum::read(bytes, body).unwrap_or(0);
        let computed = checksum::compute(bytes, body);
        if carried != computed {
            return Err(Error::ChecksumMismatch { carried, computed });
        }
    }
    Ok(chain)
}
