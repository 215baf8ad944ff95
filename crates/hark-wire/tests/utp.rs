//! Byte-vector, error and round-trip tests for `hark_wire::utp`.

use hark_wire::utp::{
    CHECKSUM, CHECKSUM_OFFER, Error, Extension, ExtensionType, HEADER_LEN, Packet, PacketRepr,
    PacketType, SelectiveAck, UnknownExtensions, offers_checksum,
};
use proptest::prelude::*;

/// Real datagrams sent by libtorrent 2.0.8 (Debian bookworm's python3-libtorrent) on
/// loopback, recorded with `tools/libtorrent-utp-vectors.py` on 2026-11-21.
mod libtorrent {
    /// The SYN libtorrent sends when it connects out over uTP: no extension, wnd_size 0.
    pub const SYN: &str = "4100e54472672a6e0000000000000000a9c10000";
    /// Its first DATA after our SYN-ACK (which had seq_nr 0x3000): the 68-byte BitTorrent
    /// handshake, sent on receive id + 1 and acking 0x2fff, since a SYN-ACK consumes no seq_nr.
    pub const DATA: &str = "0100e54572672b4772672b2c00100000a9c22fff13426974546f7272656e742070726f746f636f6c0000000000100005e19f4c291d3332bb497881df21abe04fb1e386552d4c54323038302d53644e485f4a686d21595872";
    /// The FIN it sends when the session closes: its first extension is type 3 (libtorrent's
    /// close reason, 4 bytes), which libutp would drop.
    pub const FIN_CLOSE_REASON: &str = "1103e54572672b9372672b2c00100000a9c32fff000400000002";
    /// The SYN-ACK (ST_STATE) a listening libtorrent answered to our SYN (receive id 0x1234,
    /// seq_nr 1).
    pub const SYN_ACK: &str = "21001234720b4fd2720b4f99001000004d480001";
}

/// Real datagrams sent by the libutp inside transmission-daemon 3.00 (Debian bookworm) on
/// loopback, recorded with `tools/transmission-utp-vectors.py` on 2026-11-21, after we sent
/// it a SYN (receive id 0x1234, seq_nr 1) and then a DATA with a BitTorrent handshake.
mod libutp {
    /// Its SYN-ACK: an ST_STATE with an 8-byte extension-bits extension (type 2) of zeros.
    pub const SYN_ACK: &str = "210212347c15ee6a00000000003800007486000100080000000000000000";
    /// Its ACK of our DATA.
    pub const STATE: &str = "210012347c1821637c15fded0004000074860002";
    /// Its handshake, the first DATA it could send (an accepting libutp socket writes only
    /// after the first DATA arrives); its seq_nr equals the SYN-ACK's, which consumed none.
    pub const DATA: &str = "010012347c1860897c15fded000400007486000213426974546f7272656e742070726f746f636f6c0000000000100004095f3ee1fe4c4c16b5284e923ab2e1160dc79a4a2d5452333030302d6b7173636932623039676f65";
}

/// hark's integrity extension, built by hand from its definition (extension bits with the
/// last bit set; a type-104 link with a big-endian CRC-32 of every other byte). The CRCs were
/// computed outside this crate, with Python's `zlib.crc32`.
mod hark_integrity {
    /// A DATA packet whose only extension is the checksum, payload "hark".
    pub const DATA: &str = "016812340102030400000000001000000010002000042d5b457f6861726b";
    /// A SYN-ACK accepting the offer: extension bits (flag set), then the checksum.
    pub const SYN_ACK: &str =
        "2102123401020304000000050010000000110010680800000000000000010004504c32a9";
}

#[test]
fn checksummed_data_parses_and_reemits() {
    let bytes = hex(hark_integrity::DATA);
    let packet = Packet::new_checked(&bytes[..]).unwrap();
    assert_eq!(packet.first_extension_type(), CHECKSUM);
    assert_eq!(packet.checksum(), Some(0x2d5b_457f));
    let kinds: Vec<_> = packet.extensions().map(|e| e.extension_type).collect();
    assert_eq!(kinds, [ExtensionType::Checksum]);
    let repr = assert_reemits(&bytes);
    assert_eq!(
        repr,
        PacketRepr {
            timestamp_micros: 0x0102_0304,
            wnd_size: 0x0010_0000,
            seq_nr: 0x10,
            ack_nr: 0x20,
            checksum: true,
            payload: b"hark",
            ..PacketRepr::new(PacketType::Data, 0x1234)
        }
    );
}

#[test]
fn checksummed_syn_ack_accepts_the_offer() {
    let bytes = hex(hark_integrity::SYN_ACK);
    let repr = assert_reemits(&bytes);
    assert_eq!(repr.extension_bits, Some(CHECKSUM_OFFER));
    assert!(offers_checksum(&CHECKSUM_OFFER));
    assert!(!offers_checksum(&[0; 8]));
    assert!(repr.checksum);
    assert_eq!(
        (repr.packet_type, repr.seq_nr, repr.ack_nr),
        (PacketType::State, 0x11, 0x10)
    );
    assert!(repr.unknown_extensions.is_empty());
}

#[test]
fn every_flipped_bit_of_a_checksummed_packet_is_caught() {
    let bytes = hex(hark_integrity::SYN_ACK);
    for bit in 0..bytes.len() * 8 {
        let mut damaged = bytes.clone();
        damaged[bit / 8] ^= 1 << (bit % 8);
        // Either the view refuses it, or the flip took the checksum out of the chain (a
        // receiver that expects one drops such a packet).
        if let Ok(packet) = Packet::new_checked(&damaged[..]) {
            assert_eq!(packet.checksum(), None, "bit {bit} went unnoticed");
        }
    }
    let mut damaged = bytes.clone();
    damaged[17] ^= 0x01; // seq_nr 0x0011 -> 0x0010
    assert!(matches!(
        Packet::new_checked(&damaged[..]),
        Err(Error::ChecksumMismatch {
            carried: 0x504c_32a9,
            ..
        })
    ));
}

#[test]
fn checksum_typed_errors_and_fill_after_setters() {
    let bytes = hex(hark_integrity::DATA);
    // A checksum body that is not 4 bytes.
    let mut short = bytes[..HEADER_LEN].to_vec();
    short.extend_from_slice(&[0, 2, 0, 0]);
    assert_eq!(
        Packet::new_checked(&short[..]),
        Err(Error::MalformedChecksum { len: 2 })
    );
    // Two checksums in one chain.
    let mut twice = bytes[..HEADER_LEN].to_vec();
    twice.extend_from_slice(&[CHECKSUM, 4, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0]);
    assert_eq!(
        Packet::new_checked(&twice[..]),
        Err(Error::DuplicateExtension(CHECKSUM))
    );
    // The setters leave the checksum stale; fill_checksum makes the packet whole again.
    let mut edited = bytes.clone();
    let mut packet = Packet::new_checked(&mut edited[..]).unwrap();
    packet.set_seq_nr(0x11);
    packet.payload_mut()[0] = b'H';
    packet.fill_checksum();
    let packet = Packet::new_checked(&edited[..]).unwrap();
    assert_eq!((packet.seq_nr(), packet.payload()), (0x11, &b"Hark"[..]));
    assert_ne!(packet.checksum(), Some(0x2d5b_457f));
}

#[test]
fn emit_header_then_fill_checksum_matches_emit() {
    let repr = PacketRepr {
        seq_nr: 9,
        checksum: true,
        payload: b"split",
        ..PacketRepr::new(PacketType::Data, 77)
    };
    let mut whole = [0u8; 64];
    let len = repr.emit(&mut whole).unwrap();
    let mut split = [0u8; 64];
    let header_len = repr.emit_header(&mut split).unwrap();
    split[header_len..len].copy_from_slice(b"split");
    repr.fill_checksum(&mut split[..len]);
    assert_eq!(whole[..len], split[..len]);
    assert_eq!(PacketRepr::parse_bytes(&split[..len]).unwrap(), repr);
}

#[test]
fn libutp_syn_ack_carries_extension_bits() {
    let bytes = hex(libutp::SYN_ACK);
    let repr = assert_reemits(&bytes);
    assert_eq!(
        repr,
        PacketRepr {
            timestamp_micros: 0x7c15_ee6a,
            wnd_size: 0x0038_0000,
            seq_nr: 0x7486,
            ack_nr: 1,
            extension_bits: Some([0; 8]),
            ..PacketRepr::new(PacketType::State, 0x1234)
        }
    );
}

#[test]
fn libutp_data_reuses_the_syn_ack_seq_nr() {
    let syn_ack = hex(libutp::SYN_ACK);
    let syn_ack = PacketRepr::parse_bytes(&syn_ack).unwrap();
    let state = hex(libutp::STATE);
    let state = assert_reemits(&state);
    assert_eq!((state.packet_type, state.ack_nr), (PacketType::State, 2));
    let data = hex(libutp::DATA);
    let data = assert_reemits(&data);
    assert_eq!(data.packet_type, PacketType::Data);
    assert_eq!(data.seq_nr, syn_ack.seq_nr);
    assert_eq!(data.payload.len(), 68);
    assert_eq!(&data.payload[48..56], b"-TR3000-");
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// Parses `bytes`, re-emits the repr and checks the bytes come back identical.
fn assert_reemits(bytes: &[u8]) -> PacketRepr<'_> {
    let repr = PacketRepr::parse_bytes(bytes).unwrap();
    let mut buf = vec![0u8; repr.buffer_len()];
    assert_eq!(repr.emit(&mut buf), Ok(bytes.len()));
    assert_eq!(buf, bytes);
    repr
}

#[test]
fn libtorrent_syn() {
    let bytes = hex(libtorrent::SYN);
    let repr = assert_reemits(&bytes);
    assert_eq!(
        repr,
        PacketRepr {
            timestamp_micros: 0x7267_2a6e,
            seq_nr: 0xa9c1,
            ..PacketRepr::new(PacketType::Syn, 0xe544)
        }
    );
}

#[test]
fn libtorrent_data_carries_the_bittorrent_handshake() {
    let bytes = hex(libtorrent::DATA);
    let repr = assert_reemits(&bytes);
    assert_eq!(repr.packet_type, PacketType::Data);
    assert_eq!(repr.connection_id, 0xe545, "sends on the SYN's id + 1");
    assert_eq!(repr.seq_nr, 0xa9c2, "the SYN consumed one sequence number");
    assert_eq!(
        repr.ack_nr, 0x2fff,
        "our SYN-ACK's seq_nr 0x3000 was not consumed"
    );
    assert_eq!(repr.wnd_size, 0x0010_0000);
    assert_eq!(repr.payload.len(), 68);
    assert_eq!(&repr.payload[..20], b"\x13BitTorrent protocol");
}

#[test]
fn libtorrent_fin_exposes_its_close_reason() {
    let bytes = hex(libtorrent::FIN_CLOSE_REASON);
    let packet = Packet::new_checked(&bytes[..]).unwrap();
    assert_eq!(packet.packet_type(), PacketType::Fin);
    assert_eq!(packet.first_extension_type(), 3);
    let repr = PacketRepr::parse(&packet).unwrap();
    let unknown: Vec<_> = repr.unknown_extensions.iter().collect();
    assert_eq!(
        unknown,
        [Extension {
            extension_type: ExtensionType::Unknown(3),
            data: &[0, 0, 0, 2]
        }]
    );
    // hark never emits what libutp drops: an unknown extension in first place.
    let mut buf = [0u8; 64];
    assert_eq!(repr.emit(&mut buf), Err(Error::UnknownFirstExtension(3)));
}

#[test]
fn libtorrent_syn_ack() {
    let bytes = hex(libtorrent::SYN_ACK);
    let repr = assert_reemits(&bytes);
    assert_eq!(repr.packet_type, PacketType::State);
    assert_eq!(
        repr.connection_id, 0x1234,
        "answers on the initiator's receive id"
    );
    assert_eq!(repr.ack_nr, 1, "acks our SYN's seq_nr");
}

/// A hand-built SYN with an 8-byte extension-bits extension (type 2) of zeros, ack_nr 0,
/// connection id 0x6f8e, seq_nr 1: the shape of a SYN that carries extension bits.
const SYN_WITH_BITS: [u8; 30] = [
    0x41, 0x02, 0x6f, 0x8e, // ST_SYN v1, first extension 2, connection id
    0x1c, 0x9b, 0x4a, 0x2e, // timestamp µs
    0x00, 0x00, 0x00, 0x00, // timestamp difference
    0x00, 0x10, 0x00, 0x00, // wnd_size 1 MiB
    0x00, 0x01, 0x00, 0x00, // seq_nr 1, ack_nr 0
    0x00, 0x08, 0, 0, 0, 0, 0, 0, 0, 0, // end of chain, len 8, extension bits
];

/// A hand-built ST_STATE carrying a 4-byte SACK (the size libutp sends):
/// ack_nr 0x0010, packets 0x0012 and 0x0015 received (bits 0 and 3 of the first byte).
const STATE_WITH_SACK: [u8; 26] = [
    0x21,
    0x01,
    0x6f,
    0x8f, // ST_STATE v1, first extension 1 (SACK)
    0x00,
    0x00,
    0x30,
    0x39, // timestamp 12345
    0x00,
    0x00,
    0x01,
    0xf4, // timestamp difference 500
    0x00,
    0x00,
    0xff,
    0xff, // wnd_size
    0x42,
    0x42,
    0x00,
    0x10, // seq_nr 0x4242, ack_nr 0x0010
    0x00,
    0x04,
    0b0000_1001,
    0x00,
    0x00,
    0x00, // end of chain, len 4, bitmask
];

#[test]
fn syn_with_extension_bits_parses() {
    let packet = Packet::new_checked(&SYN_WITH_BITS[..]).unwrap();
    assert_eq!(packet.packet_type(), PacketType::Syn);
    assert_eq!(packet.version(), 1);
    assert_eq!(packet.connection_id(), 0x6f8e);
    assert_eq!(packet.timestamp_micros(), 0x1c9b_4a2e);
    assert_eq!(packet.wnd_size(), 0x0010_0000);
    assert_eq!((packet.seq_nr(), packet.ack_nr()), (1, 0));
    assert_eq!(packet.header_len(), 30);
    assert!(packet.payload().is_empty());

    let repr = PacketRepr::parse(&packet).unwrap();
    assert_eq!(
        repr,
        PacketRepr {
            timestamp_micros: 0x1c9b_4a2e,
            wnd_size: 0x0010_0000,
            seq_nr: 1,
            extension_bits: Some([0; 8]),
            ..PacketRepr::new(PacketType::Syn, 0x6f8e)
        }
    );
    let mut buf = [0u8; 64];
    let len = repr.emit(&mut buf).unwrap();
    assert_eq!(&buf[..len], &SYN_WITH_BITS[..]);
}

#[test]
fn state_with_sack_vector_parses_and_reemits() {
    let repr = PacketRepr::parse_bytes(&STATE_WITH_SACK).unwrap();
    assert_eq!(repr.packet_type, PacketType::State);
    assert_eq!(repr.timestamp_difference_micros, 500);
    let sack = repr.selective_ack.unwrap();
    assert_eq!(sack.len_bits(), 32);
    assert_eq!(
        sack.acked_seq_nrs(repr.ack_nr).collect::<Vec<_>>(),
        [0x12, 0x15]
    );
    assert!(sack.is_acked(0) && !sack.is_acked(1) && sack.is_acked(3));
    assert!(!sack.is_acked(1000));
    let mut buf = [0u8; 26];
    assert_eq!(repr.emit(&mut buf), Ok(26));
    assert_eq!(buf, STATE_WITH_SACK);
}

/// libtorrent 2.0.8's uTP on loopback (python3-libtorrent, captured by dumpcap while it
/// downloaded from hark): selective ACKs of 1 and 13 bytes, and a DATA packet behind a
/// 1-byte SACK (its payload cut to the first three `request`s). BEP 29 wants multiples of 4; libutp reads
/// any length, and so does hark.
#[test]
fn libtorrent_sacks_of_any_byte_length_parse() {
    let state_1 = hex("21018a389e4bf90a9e3fade1000f58dd51894852000100");
    let repr = PacketRepr::parse_bytes(&state_1).unwrap();
    assert_eq!(repr.packet_type, PacketType::State);
    assert_eq!((repr.seq_nr, repr.ack_nr), (0x5189, 0x4852));
    let sack = repr.selective_ack.unwrap();
    assert_eq!((sack.as_bytes(), sack.len_bits()), (&[0u8][..], 8));
    let mut buf = [0u8; 64];
    let len = repr.emit(&mut buf).unwrap();
    assert_eq!(&buf[..len], &state_1[..], "re-emitted byte for byte");

    let state_13 = hex("21018a389e5af0559e3f9e71000df45a51964a6f000d80ffffffffffffffffffffffff");
    let repr = PacketRepr::parse_bytes(&state_13).unwrap();
    let sack = repr.selective_ack.unwrap();
    assert_eq!(sack.len_bits(), 104);
    assert_eq!(sack.count_acked(), 97);
    assert!(!sack.is_acked(0) && sack.is_acked(7) && sack.is_acked(103));

    let data = hex(concat!(
        "01018a389e4bfb3f9e3f9a90000fff6e518948520001000000000d06000000540000000000004000",
        "0000000d060000001e00000000000040000000000d06000000360000000000004000"
    ));
    let repr = PacketRepr::parse_bytes(&data).unwrap();
    assert_eq!(repr.packet_type, PacketType::Data);
    assert_eq!(repr.selective_ack.unwrap().as_bytes(), [0]);
    assert_eq!(repr.payload.len(), 3 * 17);
    assert_eq!(&repr.payload[..5], [0, 0, 0, 13, 6], "a BitTorrent request");
}

#[test]
fn data_payload_follows_the_chain() {
    let mut bytes = STATE_WITH_SACK.to_vec();
    bytes[0] = 0x01; // ST_DATA
    bytes.extend_from_slice(b"payload");
    let packet = Packet::new_checked(&bytes[..]).unwrap();
    assert_eq!(packet.payload(), b"payload");
    assert_eq!(packet.selective_ack().unwrap().count_acked(), 2);
}

#[test]
fn sack_sequence_numbers_wrap() {
    let mask = [0x01, 0, 0, 0x80];
    let sack = SelectiveAck::new_checked(&mask[..]).unwrap();
    assert_eq!(
        sack.acked_seq_nrs(0xfffe).collect::<Vec<_>>(),
        [0x0000, 0x001f]
    );
}

#[test]
fn sack_setters_mark_bits() {
    let mut mask = [0u8; 8];
    let mut sack = SelectiveAck::new_checked(&mut mask[..]).unwrap();
    assert!(sack.set_acked(0));
    assert!(sack.set_acked(63));
    assert!(!sack.set_acked(64));
    assert_eq!(sack.count_acked(), 2);
    sack.clear();
    assert_eq!(sack.count_acked(), 0);
}

#[test]
fn setters_restamp_in_place() {
    let mut bytes = SYN_WITH_BITS;
    let mut packet = Packet::new_checked(&mut bytes[..]).unwrap();
    packet.set_timestamp_micros(7);
    packet.set_ack_nr(0xffff);
    packet.set_packet_type(PacketType::Data);
    assert_eq!(packet.timestamp_micros(), 7);
    assert_eq!(packet.ack_nr(), 0xffff);
    assert_eq!(packet.packet_type(), PacketType::Data);
    assert_eq!(packet.version(), 1);
}

#[test]
fn typed_errors() {
    assert_eq!(
        Packet::new_checked(&SYN_WITH_BITS[..19]),
        Err(Error::Truncated { len: 19 })
    );
    let mut bad = SYN_WITH_BITS;
    bad[0] = 0x42;
    assert_eq!(Packet::new_checked(&bad[..]), Err(Error::BadVersion(2)));
    bad[0] = 0x51;
    assert_eq!(Packet::new_checked(&bad[..]), Err(Error::UnknownType(5)));

    // The extension chain runs past the end.
    assert_eq!(
        Packet::new_checked(&SYN_WITH_BITS[..29]),
        Err(Error::ExtensionOverrun {
            extension_type: 2,
            offset: HEADER_LEN
        })
    );
    assert_eq!(
        Packet::new_checked(&SYN_WITH_BITS[..21]),
        Err(Error::ExtensionOverrun {
            extension_type: 2,
            offset: HEADER_LEN
        })
    );

    // libutp drops a type-2 extension that is not 8 bytes.
    let mut short_bits = SYN_WITH_BITS.to_vec();
    short_bits[21] = 4;
    short_bits.truncate(26);
    assert_eq!(
        Packet::new_checked(&short_bits[..]),
        Err(Error::MalformedExtensionBits { len: 4 })
    );

    // An empty SACK.
    let mut bytes = STATE_WITH_SACK[..HEADER_LEN].to_vec();
    bytes.extend_from_slice(&[0, 0]);
    assert_eq!(
        Packet::new_checked(&bytes[..]),
        Err(Error::MalformedSelectiveAck { len: 0 })
    );

    // A second SACK in one chain.
    let mut twice = STATE_WITH_SACK.to_vec();
    twice[20] = 1;
    twice.extend_from_slice(&[0, 4, 0, 0, 0, 0]);
    assert_eq!(
        Packet::new_checked(&twice[..]),
        Err(Error::DuplicateExtension(1))
    );
}

#[test]
fn unknown_extensions_are_skipped_but_exposed() {
    // First extension of type 7 (libutp would drop this packet, hark exposes it), then a SACK.
    let mut bytes = STATE_WITH_SACK[..HEADER_LEN].to_vec();
    bytes[1] = 7;
    bytes.extend_from_slice(&[1, 2, 0xaa, 0xbb]); // type 7, next = SACK, len 2
    bytes.extend_from_slice(&[0, 4, 1, 0, 0, 0]); // SACK, end
    bytes.extend_from_slice(b"xyz");
    let packet = Packet::new_checked(&bytes[..]).unwrap();
    assert_eq!(packet.first_extension_type(), 7);
    let kinds: Vec<_> = packet.extensions().map(|e| e.extension_type).collect();
    assert_eq!(
        kinds,
        [ExtensionType::Unknown(7), ExtensionType::SelectiveAck]
    );
    assert_eq!(packet.payload(), b"xyz");

    let repr = PacketRepr::parse(&packet).unwrap();
    let unknown: Vec<_> = repr.unknown_extensions.iter().collect();
    assert_eq!(
        unknown,
        [Extension {
            extension_type: ExtensionType::Unknown(7),
            data: &[0xaa, 0xbb]
        }]
    );
    // Re-emitting puts the SACK first, so libutp would accept the result.
    let mut buf = [0u8; 64];
    let len = repr.emit(&mut buf).unwrap();
    assert_eq!(buf[1], 1);
    assert_eq!(PacketRepr::parse_bytes(&buf[..len]).unwrap(), repr);
}

#[test]
fn emit_refuses_what_libutp_drops() {
    let list = [Extension {
        extension_type: ExtensionType::Unknown(9),
        data: b"zz",
    }];
    let repr = PacketRepr {
        unknown_extensions: UnknownExtensions::from_list(&list),
        ..PacketRepr::new(PacketType::State, 1)
    };
    let mut buf = [0u8; 64];
    assert_eq!(repr.emit(&mut buf), Err(Error::UnknownFirstExtension(9)));

    let reserved = [Extension {
        extension_type: ExtensionType::Unknown(1),
        data: b"zzzz",
    }];
    let repr = PacketRepr {
        extension_bits: Some([0; 8]),
        unknown_extensions: UnknownExtensions::from_list(&reserved),
        ..PacketRepr::new(PacketType::State, 1)
    };
    assert_eq!(repr.emit(&mut buf), Err(Error::ReservedExtensionType(1)));

    // The checksum goes through its own field, never as an "unknown" extension.
    let checksum = [Extension {
        extension_type: ExtensionType::Unknown(CHECKSUM),
        data: b"zzzz",
    }];
    let repr = PacketRepr {
        extension_bits: Some([0; 8]),
        unknown_extensions: UnknownExtensions::from_list(&checksum),
        ..PacketRepr::new(PacketType::State, 1)
    };
    assert_eq!(
        repr.emit(&mut buf),
        Err(Error::ReservedExtensionType(CHECKSUM))
    );
}

#[test]
fn emit_reports_buffer_too_small() {
    let repr = PacketRepr {
        payload: &[1; 100],
        ..PacketRepr::new(PacketType::Data, 1)
    };
    let mut buf = [0u8; 119];
    assert_eq!(
        repr.emit(&mut buf),
        Err(Error::BufferTooSmall { required: 120 })
    );
}

fn arb_packet_type() -> impl Strategy<Value = PacketType> {
    prop_oneof![
        Just(PacketType::Data),
        Just(PacketType::Fin),
        Just(PacketType::State),
        Just(PacketType::Reset),
        Just(PacketType::Syn),
    ]
}

proptest! {
    #[test]
    fn emit_then_parse_round_trips(
        packet_type in arb_packet_type(),
        fields in any::<(u16, u32, u32, u32, u16, u16)>(),
        sack_words in proptest::option::of(1usize..8),
        sack_seed in any::<u64>(),
        bits in proptest::option::of(any::<[u8; 8]>()),
        unknown in proptest::collection::vec(
            ((3u8..=255).prop_filter("not the checksum type", |kind| *kind != CHECKSUM),
             proptest::collection::vec(any::<u8>(), 0..16)),
            0..3),
        checksum in any::<bool>(),
        payload in proptest::collection::vec(any::<u8>(), 0..1500),
    ) {
        let sack_bytes: Vec<u8> = sack_words
            .map(|words| (0..words * 4).map(|i| (sack_seed >> (i % 8 * 8)) as u8).collect())
            .unwrap_or_default();
        let unknown_list: Vec<Extension<'_>> = unknown
            .iter()
            .map(|(kind, data)| Extension { extension_type: ExtensionType::Unknown(*kind), data })
            .collect();
        let has_known = sack_words.is_some() || bits.is_some();
        let (connection_id, timestamp_micros, timestamp_difference_micros, wnd_size, seq_nr, ack_nr) = fields;
        let repr = PacketRepr {
            packet_type,
            connection_id,
            timestamp_micros,
            timestamp_difference_micros,
            wnd_size,
            seq_nr,
            ack_nr,
            selective_ack: sack_words.map(|_| SelectiveAck::new_checked(&sack_bytes[..]).unwrap()),
            extension_bits: bits,
            unknown_extensions: UnknownExtensions::from_list(&unknown_list),
            checksum,
            payload: &payload,
        };
        let mut buf = vec![0u8; repr.buffer_len()];
        match repr.emit(&mut buf) {
            Ok(len) => {
                prop_assert_eq!(len, repr.buffer_len());
                let parsed = PacketRepr::parse_bytes(&buf).unwrap();
                prop_assert_eq!(parsed, repr);
            }
            Err(err) => {
                prop_assert!(!has_known && !unknown_list.is_empty());
                prop_assert_eq!(err, Error::UnknownFirstExtension(unknown_list[0].extension_type.to_wire()));
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(packet) = Packet::new_checked(&bytes[..]) {
            let repr = PacketRepr::parse(&packet).unwrap();
            prop_assert_eq!(repr.payload, packet.payload());
            let _ = packet.extensions().count();
            let mut buf = vec![0u8; repr.buffer_len()];
            if let Ok(len) = repr.emit(&mut buf) {
                prop_assert_eq!(PacketRepr::parse_bytes(&buf[..len]).unwrap(), repr);
            }
        }
    }
}
