//! [`UtpPacketHeader`]: the header fields of one datagram, as `utp_packets` events report
//! them without copying the datagram.

use hark_wire::utp::{Packet, PacketType};

/// The header of one uTP datagram (BEP 29's fields), whether a selective ACK rode along,
/// and its sizes. A plain value, so reporting every packet costs no allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UtpPacketHeader {
    /// ST_DATA, ST_FIN, ST_STATE, ST_RESET or ST_SYN.
    pub packet_type: PacketType,
    /// The connection id the packet carries.
    pub connection_id: u16,
    /// Sequence number.
    pub seq_nr: u16,
    /// Acknowledgement number.
    pub ack_nr: u16,
    /// Advertised receive window, bytes.
    pub wnd_size: u32,
    /// The sender's timestamp, microseconds.
    pub timestamp_micros: u32,
    /// The sender's last measured timestamp difference, microseconds.
    pub timestamp_difference_micros: u32,
    /// Whether a selective ACK extension is present.
    pub selective_ack: bool,
    /// Header and extensions, bytes.
    pub header_len: u16,
    /// The whole datagram, bytes.
    pub datagram_len: u16,
}

impl UtpPacketHeader {
    /// The header of `datagram`, or `None` if it is not a valid uTP packet.
    #[must_use]
    pub fn parse(datagram: &[u8]) -> Option<UtpPacketHeader> {
        let packet = Packet::new_checked(datagram).ok()?;
        Some(UtpPacketHeader {
            packet_type: packet.packet_type(),
            connection_id: packet.connection_id(),
            seq_nr: packet.seq_nr(),
            ack_nr: packet.ack_nr(),
            wnd_size: packet.wnd_size(),
            timestamp_micros: packet.timestamp_micros(),
            timestamp_difference_micros: packet.timestamp_difference_micros(),
            selective_ack: packet.selective_ack().is_some(),
            header_len: u16::try_from(packet.header_len()).ok()?,
            datagram_len: u16::try_from(datagram.len()).ok()?,
        })
    }

    /// Payload bytes.
    #[must_use]
    pub fn payload_len(&self) -> usize {
        usize::from(self.datagram_len.saturating_sub(self.header_len))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hark_wire::utp::PacketRepr;

    #[test]
    fn reports_every_header_field_and_the_sizes() {
        let mut repr = PacketRepr::new(PacketType::Data, 0x1234);
        repr.seq_nr = 7;
        repr.ack_nr = 5;
        repr.wnd_size = 65_536;
        repr.timestamp_micros = 1_000;
        repr.timestamp_difference_micros = 20;
        repr.payload = b"hello";
        let mut buf = [0u8; 64];
        let len = repr.emit(&mut buf).unwrap();
        let header = UtpPacketHeader::parse(&buf[..len]).unwrap();
        assert_eq!(header.packet_type, PacketType::Data);
        assert_eq!(
            (header.connection_id, header.seq_nr, header.ack_nr),
            (0x1234, 7, 5)
        );
        assert_eq!(header.wnd_size, 65_536);
        assert_eq!(
            (header.timestamp_micros, header.timestamp_difference_micros),
            (1_000, 20)
        );
        assert!(!header.selective_ack);
        assert_eq!((header.header_len, header.datagram_len), (20, 25));
        assert_eq!(header.payload_len(), 5);
    }

    #[test]
    fn rejects_what_is_not_utp() {
        assert_eq!(UtpPacketHeader::parse(b"GET / HTTP/1.1\r\n\r\n"), None);
        assert_eq!(UtpPacketHeader::parse(&[]), None);
    }
}
