//! What the uTP fuzz targets share: the SYN that opens their connection, and the fuzzed
//! packet a script op sends on it.

use hark_wire::utp::{CHECKSUM_OFFER, PacketRepr, PacketType, SelectiveAck};

/// The connection id the script's SYN carries (the peer's receive id).
pub const SYN_ID: u16 = 500;
/// The script's SYN sequence number.
pub const SYN_SEQ: u16 = 1000;

/// Emits `repr` into a buffer of its exact size.
pub fn emit(repr: &PacketRepr<'_>) -> Vec<u8> {
    let mut buf = vec![0; repr.buffer_len()];
    repr.emit(&mut buf).expect("sized buffer");
    buf
}

/// The SYN that opens the script's connection; with `offer_integrity` it offers hark's
/// checksum extension, so the connection checksums everything.
pub fn syn(offer_integrity: bool) -> Vec<u8> {
    emit(&PacketRepr {
        seq_nr: SYN_SEQ,
        wnd_size: 1 << 20,
        extension_bits: offer_integrity.then_some(CHECKSUM_OFFER),
        ..PacketRepr::new(PacketType::Syn, SYN_ID)
    })
}

/// Reads a packet for the connection with fuzzed type, offsets, window, SACK, checksum
/// (the type byte's top bit) and payload from the front of `input`, stamped `timestamp_micros`; returns its bytes and the rest of
/// the input, or `None` when the input is too short.
pub fn fuzzed_packet(input: &[u8], timestamp_micros: u32) -> Option<(Vec<u8>, &[u8])> {
    let [ty, seq, ack, wnd, sack, len, rest @ ..] = input else {
        return None;
    };
    let types = [PacketType::Data, PacketType::Fin, PacketType::State, PacketType::Reset, PacketType::Syn];
    let packet_type = types[usize::from(*ty % 5)];
    let mask = [*sack, sack.rotate_left(3), 0, *sack];
    let len = usize::from(*len).min(rest.len());
    let repr = PacketRepr {
        seq_nr: SYN_SEQ.wrapping_add(u16::from(*seq)).wrapping_sub(8),
        ack_nr: 0u16.wrapping_add(u16::from(*ack)).wrapping_sub(128),
        wnd_size: u32::from(*wnd) << 10,
        timestamp_micros,
        selective_ack: (*sack != 0).then(|| SelectiveAck::new_checked(&mask[..]).expect("4 bytes")),
        checksum: ty & 0x80 != 0,
        payload: &rest[..len],
        ..PacketRepr::new(packet_type, if packet_type == PacketType::Syn { SYN_ID } else { SYN_ID + 1 })
    };
    Some((emit(&repr), &rest[len..]))
}
