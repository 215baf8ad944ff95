//! Byte vectors (laid out by hand from BEP 3, 5, 6 and 10's message tables; captured streams
//! from real peers are in the workspace's tests/), round trips and hostile input.

use super::*;
use proptest::prelude::*;

const R: BlockRequest = BlockRequest {
    index: 1,
    begin: 0x4000,
    length: 0x4000,
};

/// (bytes, repr) pairs: every message id once.
fn vectors() -> Vec<(Vec<u8>, MessageRepr<'static>)> {
    vec![
        (vec![0, 0, 0, 0], MessageRepr::KeepAlive),
        (vec![0, 0, 0, 1, 0], MessageRepr::Choke),
        (vec![0, 0, 0, 1, 1], MessageRepr::Unchoke),
        (vec![0, 0, 0, 1, 2], MessageRepr::Interested),
        (vec![0, 0, 0, 1, 3], MessageRepr::NotInterested),
        (
            vec![0, 0, 0, 5, 4, 0, 0, 1, 2],
            MessageRepr::Have { piece: 258 },
        ),
        (
            vec![0, 0, 0, 3, 5, 0xff, 0xe0],
            MessageRepr::Bitfield(&[0xff, 0xe0]),
        ),
        (
            vec![0, 0, 0, 13, 6, 0, 0, 0, 1, 0, 0, 0x40, 0, 0, 0, 0x40, 0],
            MessageRepr::Request(R),
        ),
        (
            vec![0, 0, 0, 12, 7, 0, 0, 0, 2, 0, 0, 0, 8, b'a', b'b', b'c'],
            MessageRepr::Piece {
                index: 2,
                begin: 8,
                data: b"abc",
            },
        ),
        (
            vec![0, 0, 0, 13, 8, 0, 0, 0, 1, 0, 0, 0x40, 0, 0, 0, 0x40, 0],
            MessageRepr::Cancel(R),
        ),
        (vec![0, 0, 0, 3, 9, 0x1a, 0xe1], MessageRepr::Port(6881)),
        (
            vec![0, 0, 0, 5, 0x0d, 0, 0, 0, 7],
            MessageRepr::Suggest { piece: 7 },
        ),
        (vec![0, 0, 0, 1, 0x0e], MessageRepr::HaveAll),
        (vec![0, 0, 0, 1, 0x0f], MessageRepr::HaveNone),
        (
            vec![0, 0, 0, 13, 0x10, 0, 0, 0, 1, 0, 0, 0x40, 0, 0, 0, 0x40, 0],
            MessageRepr::Reject(R),
        ),
        (
            vec![0, 0, 0, 5, 0x11, 0, 0, 0, 9],
            MessageRepr::AllowedFast { piece: 9 },
        ),
        (
            vec![0, 0, 0, 4, 20, 0, b'd', b'e'],
            MessageRepr::Extended {
                id: 0,
                payload: b"de",
            },
        ),
        (
            vec![0, 0, 0, 3, 0x15, 1, 2],
            MessageRepr::Unknown {
                id: 0x15,
                payload: &[1, 2],
            },
        ),
    ]
}

#[test]
fn every_message_parses_and_emits_byte_exact() {
    for (bytes, repr) in vectors() {
        let view = Message::new_checked(&bytes[..]).unwrap();
        assert_eq!(MessageRepr::parse(&view), repr, "{bytes:02x?}");
        assert_eq!(repr.buffer_len(), bytes.len(), "{}", repr.name());
        let mut out = vec![0u8; bytes.len()];
        assert_eq!(repr.emit(&mut out), Ok(bytes.len()));
        assert_eq!(out, bytes, "{}", repr.name());
        assert_eq!(
            decode_message(&bytes, DEFAULT_MAX_MESSAGE_LEN),
            Ok(Decoded::Complete {
                value: repr,
                consumed: bytes.len()
            })
        );
    }
}

#[test]
fn message_view_getters() {
    let bytes = [0, 0, 0, 12, 7, 0, 0, 0, 2, 0, 0, 0, 8, b'a', b'b', b'c'];
    let view = Message::new_checked(&bytes[..]).unwrap();
    assert_eq!(view.length(), 12);
    assert_eq!(view.id(), Some(MessageId::Piece));
    assert_eq!(view.payload(), &bytes[5..]);
    assert!(!view.is_keep_alive());
    assert!(
        Message::new_checked(&[0u8, 0, 0, 0][..])
            .unwrap()
            .is_keep_alive()
    );
}

#[test]
fn every_prefix_of_a_stream_is_incomplete_with_the_exact_need() {
    let hs = HandshakeRepr {
        reserved: Reserved::NONE.with_dht(true),
        info_hash: [7; 20],
        peer_id: [9; 20],
    };
    let mut stream = hs.to_bytes().to_vec();
    let mut ends = vec![stream.len()];
    for (bytes, _) in vectors() {
        stream.extend_from_slice(&bytes);
        ends.push(stream.len());
    }
    let mut decoder = Decoder::default();
    let mut at = 0;
    for &end in &ends {
        for cut in at..end {
            let mut probe = decoder;
            match probe.decode(&stream[at..cut]).unwrap() {
                Decoded::Incomplete { needed } => {
                    // The need is exact for the handshake and once the prefix is in;
                    // before that, it counts the prefix bytes still missing.
                    assert!(
                        needed >= 1 && cut + needed <= end,
                        "cut {cut} needed {needed}"
                    );
                    if cut - at >= PREFIX_LEN || at == 0 {
                        assert_eq!(cut + needed, end);
                    }
                }
                other => panic!("complete at {cut} of {end}: {other:?}"),
            }
        }
        let Decoded::Complete { consumed, .. } = decoder.decode(&stream[at..]).unwrap() else {
            panic!("whole frame incomplete");
        };
        assert_eq!(at + consumed, end);
        at = end;
    }
}

#[test]
fn handshake_round_trip_and_reserved_bits() {
    // libtorrent 2.0's reserved bytes: extension protocol, Fast and DHT.
    let reserved = Reserved([0, 0, 0, 0, 0, 0x10, 0, 0x05]);
    assert!(reserved.extension_protocol() && reserved.fast() && reserved.dht());
    assert_eq!(
        Reserved::NONE
            .with_extension_protocol(true)
            .with_fast(true)
            .with_dht(true),
        reserved
    );
    assert_eq!(
        reserved.with_fast(false),
        Reserved([0, 0, 0, 0, 0, 0x10, 0, 0x01])
    );
    assert_eq!(
        reserved.intersect(Reserved::NONE.with_fast(true)),
        Reserved::NONE.with_fast(true)
    );
    let repr = HandshakeRepr {
        reserved,
        info_hash: *b"0123456789abcdefghij",
        peer_id: *b"-LT2000-xxxxxxxxxxxx",
    };
    let bytes = repr.to_bytes();
    assert_eq!(bytes[0], 19);
    assert_eq!(&bytes[1..20], PROTOCOL);
    let view = Handshake::new_checked(&bytes[..]).unwrap();
    assert_eq!(HandshakeRepr::parse(&view), repr);
    assert_eq!(
        repr.emit(&mut [0u8; 67]),
        Err(Error::BufferTooSmall { required: 68 })
    );
}

#[test]
fn a_stranger_is_refused_at_its_first_wrong_byte() {
    assert_eq!(decode_handshake(b"G"), Err(Error::BadProtocolLength(b'G')));
    assert_eq!(
        decode_handshake(b"\x13BitTorrent prot0"),
        Err(Error::BadProtocolString)
    );
    assert_eq!(
        decode_handshake(b"\x13BitTorrent prot"),
        Ok(Decoded::Incomplete { needed: 68 - 16 })
    );
    assert_eq!(
        decode_handshake(b""),
        Ok(Decoded::Incomplete { needed: 68 })
    );
}

#[test]
fn an_oversize_prefix_is_refused_before_its_body() {
    let huge = [0xff, 0xff, 0xff, 0xff];
    assert_eq!(
        decode_message(&huge, DEFAULT_MAX_MESSAGE_LEN),
        Err(Error::MessageTooLong {
            len: u32::MAX,
            max: DEFAULT_MAX_MESSAGE_LEN
        })
    );
    let mut d = Decoder::after_handshake(100);
    assert_eq!(
        d.decode(&[0, 0, 0, 101]),
        Err(Error::MessageTooLong { len: 101, max: 100 })
    );
    assert_eq!(
        d.decode(&[0, 0, 0, 100]),
        Ok(Decoded::Incomplete { needed: 100 })
    );
}

#[test]
fn wrong_lengths_for_known_ids_are_refused_once_the_id_is_in() {
    // A `have` of 7 bytes, known from the prefix and id before the body arrives.
    assert_eq!(
        decode_message(&[0, 0, 0, 7, 4], 1000),
        Err(Error::BadMessageLength {
            id: 4,
            len: 7,
            expected: "a 4-byte piece index"
        })
    );
    for (prefix, id) in [
        (2u8, 0u8),
        (4, 6),
        (8, 7),
        (1, 20),
        (2, 9),
        (2, 0x0e),
        (12, 0x10),
    ] {
        let msg = [0, 0, 0, prefix, id];
        assert!(
            matches!(
                decode_message(&msg, 1000),
                Err(Error::BadMessageLength { .. })
            ),
            "id {id} len {prefix}"
        );
    }
    assert_eq!(
        Message::new_checked(&[0u8, 0, 0, 2, 1][..]),
        Err(Error::LengthMismatch { prefix: 2, len: 1 })
    );
    assert_eq!(
        Message::new_checked(&[0u8, 0][..]),
        Err(Error::Truncated {
            len: 2,
            required: 4
        })
    );
}

#[test]
fn emit_refuses_what_parse_would_refuse() {
    let bad = MessageRepr::Unknown {
        id: 4,
        payload: &[1, 2],
    };
    assert!(matches!(
        bad.emit(&mut [0u8; 16]),
        Err(Error::BadMessageLength { id: 4, .. })
    ));
    assert_eq!(
        MessageRepr::Have { piece: 1 }.emit(&mut [0u8; 8]),
        Err(Error::BufferTooSmall { required: 9 })
    );
}

#[test]
fn piece_header_matches_the_emitted_piece() {
    let data = [5u8; 300];
    let repr = MessageRepr::Piece {
        index: 4,
        begin: 32,
        data: &data,
    };
    let mut out = vec![0; repr.buffer_len()];
    repr.emit(&mut out).unwrap();
    assert_eq!(piece_header(4, 32, 300).unwrap()[..], out[..13]);
    assert!(piece_header(0, 0, u32::MAX).is_err());
}

fn repr_strategy() -> impl Strategy<Value = (u8, u32, u32, u32, Vec<u8>)> {
    (
        any::<u8>(),
        any::<u32>(),
        any::<u32>(),
        any::<u32>(),
        prop::collection::vec(any::<u8>(), 0..64),
    )
}

fn build(kind: u8, a: u32, b: u32, c: u32, data: &[u8]) -> MessageRepr<'_> {
    let r = BlockRequest {
        index: a,
        begin: b,
        length: c,
    };
    match kind % 18 {
        0 => MessageRepr::KeepAlive,
        1 => MessageRepr::Choke,
        2 => MessageRepr::Unchoke,
        3 => MessageRepr::Interested,
        4 => MessageRepr::NotInterested,
        5 => MessageRepr::Have { piece: a },
        6 => MessageRepr::Bitfield(data),
        7 => MessageRepr::Request(r),
        8 => MessageRepr::Piece {
            index: a,
            begin: b,
            data,
        },
        9 => MessageRepr::Cancel(r),
        10 => MessageRepr::Port(a as u16),
        11 => MessageRepr::Suggest { piece: a },
        12 => MessageRepr::HaveAll,
        13 => MessageRepr::HaveNone,
        14 => MessageRepr::Reject(r),
        15 => MessageRepr::AllowedFast { piece: a },
        16 => MessageRepr::Extended {
            id: b as u8,
            payload: data,
        },
        _ => MessageRepr::Unknown {
            id: 21 + (b as u8 % 200),
            payload: data,
        },
    }
}

proptest! {
    #[test]
    fn emit_then_parse_is_identity((kind, a, b, c, data) in repr_strategy()) {
        let repr = build(kind, a, b, c, &data);
        let mut out = vec![0u8; repr.buffer_len()];
        prop_assert_eq!(repr.emit(&mut out), Ok(out.len()));
        let view = Message::new_checked(&out[..]).unwrap();
        prop_assert_eq!(MessageRepr::parse(&view), repr);
    }

    #[test]
    fn any_bytes_decode_without_panicking(bytes in prop::collection::vec(any::<u8>(), 0..200), max in 0u32..300) {
        let mut decoder = Decoder::new(max);
        let mut at = 0;
        while let Ok(Decoded::Complete { consumed, .. }) = decoder.decode(&bytes[at..]) {
            prop_assert!(consumed > 0);
            at += consumed;
        }
        let _ = Message::new_checked(&bytes[..]);
        let _ = Handshake::new_checked(&bytes[..]);
    }
}

mod extended {
    use super::super::*;
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    #[test]
    fn a_handshake_dictionary_emits_canonically_and_parses_back() {
        let hs = ExtendedHandshake {
            m: [("ut_metadata".to_string(), 2), ("ut_pex".to_string(), 1)]
                .into_iter()
                .collect(),
            v: Some("hark 0.1.0".into()),
            reqq: Some(250),
            yourip: Some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1))),
            p: Some(6881),
        };
        let bytes = hs.to_vec();
        assert_eq!(
            bytes,
            b"d1:md11:ut_metadatai2e6:ut_pexi1ee1:pi6881e4:reqqi250e1:v10:hark 0.1.06:yourip4:\x7f\x00\x00\x01e"
        );
        assert_eq!(hs.buffer_len(), bytes.len());
        assert_eq!(ExtendedHandshake::parse(&bytes), Ok(hs.clone()));
        assert_eq!(
            hs.emit(&mut [0u8; 10]),
            Err(Error::BufferTooSmall {
                required: bytes.len()
            })
        );
        let v6 = ExtendedHandshake {
            yourip: Some(IpAddr::V6(Ipv6Addr::LOCALHOST)),
            ..ExtendedHandshake::default()
        };
        assert_eq!(
            v6.to_vec(),
            b"d1:mde6:yourip16:\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01e"
        );
        assert_eq!(ExtendedHandshake::parse(&v6.to_vec()), Ok(v6));
    }

    #[test]
    fn unknown_keys_are_skipped_and_missing_ones_are_none() {
        let hs = ExtendedHandshake::parse(b"d13:metadata_sizei135e1:md6:ut_pexi0eee").unwrap();
        assert_eq!(hs.m.get("ut_pex"), Some(&0));
        assert_eq!((hs.v, hs.reqq, hs.yourip, hs.p), (None, None, None, None));
    }

    #[test]
    fn bad_fields_are_typed_errors() {
        let cases: [(&[u8], &str); 8] = [
            (b"le", "dictionary"),
            (b"d1:mi1ee", "m"),
            (b"d1:md1:ai256eee", "m"),
            (b"d1:md1:a1:xee", "m"),
            (b"d4:reqqi-1ee", "reqq"),
            (b"d1:pi65536ee", "p"),
            (b"d6:yourip3:abce", "yourip"),
            (b"d1:vi1ee", "v"),
        ];
        for (bytes, field) in cases {
            assert_eq!(
                ExtendedHandshake::parse(bytes),
                Err(Error::BadExtendedHandshake { field }),
                "{}",
                String::from_utf8_lossy(bytes)
            );
        }
        assert!(matches!(
            ExtendedHandshake::parse(b"d1:m"),
            Err(Error::Bencode(_))
        ));
    }
}
