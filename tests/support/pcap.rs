//! A minimal pcap writer: UDP datagrams wrapped in IPv4 headers, link type RAW (101).

use std::net::SocketAddrV4;

/// pcap link type for packets that start with an IP header.
const LINKTYPE_RAW: u32 = 101;

/// Builds a pcap file in memory.
#[derive(Debug, Clone)]
pub struct PcapWriter {
    bytes: Vec<u8>,
    micros: u64,
}

impl Default for PcapWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl PcapWriter {
    /// An empty capture (just the global header).
    pub fn new() -> Self {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        bytes.extend_from_slice(&2u16.to_le_bytes());
        bytes.extend_from_slice(&4u16.to_le_bytes());
        bytes.extend_from_slice(&0i32.to_le_bytes()); // thiszone
        bytes.extend_from_slice(&0u32.to_le_bytes()); // sigfigs
        bytes.extend_from_slice(&65_535u32.to_le_bytes()); // snaplen
        bytes.extend_from_slice(&LINKTYPE_RAW.to_le_bytes());
        Self { bytes, micros: 0 }
    }

    /// Appends one UDP datagram from `src` to `dst`, 1 ms after the previous one.
    pub fn push_udp(&mut self, src: SocketAddrV4, dst: SocketAddrV4, payload: &[u8]) {
        let udp_len = 8 + payload.len();
        let ip_len = 20 + udp_len;
        let mut packet = Vec::with_capacity(ip_len);
        packet.extend_from_slice(&[0x45, 0]);
        packet.extend_from_slice(&(ip_len as u16).to_be_bytes());
        packet.extend_from_slice(&[0, 0, 0x40, 0, 64, 17, 0, 0]); // id, DF, TTL, UDP, checksum
        packet.extend_from_slice(&src.ip().octets());
        packet.extend_from_slice(&dst.ip().octets());
        let checksum = ipv4_checksum(&packet[..20]);
        packet[10..12].copy_from_slice(&checksum.to_be_bytes());
        packet.extend_from_slice(&src.port().to_be_bytes());
        packet.extend_from_slice(&dst.port().to_be_bytes());
        packet.extend_from_slice(&(udp_len as u16).to_be_bytes());
        packet.extend_from_slice(&[0, 0]); // no UDP checksum
        packet.extend_from_slice(payload);

        self.micros += 1000;
        let secs = (self.micros / 1_000_000) as u32;
        let usecs = (self.micros % 1_000_000) as u32;
        self.bytes.extend_from_slice(&secs.to_le_bytes());
        self.bytes.extend_from_slice(&usecs.to_le_bytes());
        self.bytes
            .extend_from_slice(&(packet.len() as u32).to_le_bytes());
        self.bytes
            .extend_from_slice(&(packet.len() as u32).to_le_bytes());
        self.bytes.extend_from_slice(&packet);
    }

    /// The capture file's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }
}

fn ipv4_checksum(header: &[u8]) -> u16 {
    let mut sum: u32 = header
        .chunks(2)
        .map(|pair| u32::from(u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}
