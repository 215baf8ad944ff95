//! A real peer-wire conversation, recorded once, parsed message by message and re-emitted
//! byte for byte.
//!
//! Provenance: `vectors/bt_libtorrent_seeder.bin` and `vectors/bt_libtorrent_leecher.bin`
//! are the two directions of one TCP connection between two sessions of Debian's
//! python3-libtorrent 2.0.8 on 127.0.0.1, as written by `tools/bt-peer-wire-capture.py`
//! (`/usr/bin/python3 tools/bt-peer-wire-capture.py DIR`; it printed info hash
//! 388deff7b9e3b300d8ef08f9356074cc1ad19756, 3 pieces). The seeder's torrent is 2 × 16 KiB
//! pieces and a 1000-byte last piece of seeded random bytes; plain TCP, no encryption, DHT
//! on without bootstrap nodes (so both sides send `port`). `hark decode bt --file` lists
//! them.

use hark_wire::bt::peer::{
    BlockRequest, DEFAULT_MAX_MESSAGE_LEN, Decoded, Decoder, Frame, HandshakeRepr, MessageRepr,
};

const SEEDER: &[u8] = include_bytes!("vectors/bt_libtorrent_seeder.bin");
const LEECHER: &[u8] = include_bytes!("vectors/bt_libtorrent_leecher.bin");
const INFO_HASH: [u8; 20] = [
    0x38, 0x8d, 0xef, 0xf7, 0xb9, 0xe3, 0xb3, 0x00, 0xd8, 0xef, 0x08, 0xf9, 0x35, 0x60, 0x74, 0xcc,
    0x1a, 0xd1, 0x97, 0x56,
];

/// Decodes the whole stream; every byte must belong to a frame.
fn frames(stream: &[u8]) -> (HandshakeRepr, Vec<(MessageRepr<'_>, &[u8])>) {
    let mut decoder = Decoder::new(DEFAULT_MAX_MESSAGE_LEN);
    let mut at = 0;
    let mut handshake = None;
    let mut messages = Vec::new();
    while at < stream.len() {
        match decoder.decode(&stream[at..]).unwrap() {
            Decoded::Complete { value, consumed } => {
                match value {
                    Frame::Handshake(hs) => handshake = Some(hs),
                    Frame::Message(msg) => messages.push((msg, &stream[at..at + consumed])),
                }
                at += consumed;
            }
            Decoded::Incomplete { needed } => panic!("stream ends {needed} bytes short"),
        }
    }
    (handshake.expect("a handshake first"), messages)
}

fn names(messages: &[(MessageRepr<'_>, &[u8])]) -> Vec<&'static str> {
    messages.iter().map(|(m, _)| m.name()).collect()
}

#[test]
fn every_recorded_message_parses_and_re_emits_byte_exact() {
    for stream in [SEEDER, LEECHER] {
        let (handshake, messages) = frames(stream);
        assert_eq!(handshake.to_bytes()[..], stream[..68]);
        for (repr, bytes) in messages {
            let mut out = vec![0; repr.buffer_len()];
            assert_eq!(repr.emit(&mut out), Ok(bytes.len()));
            assert_eq!(out, bytes, "{}", repr.name());
        }
    }
}

#[test]
fn libtorrent_handshakes_carry_extension_fast_and_dht() {
    for stream in [SEEDER, LEECHER] {
        let (hs, _) = frames(stream);
        assert_eq!(hs.info_hash, INFO_HASH);
        assert_eq!(&hs.peer_id[..8], b"-LT2080-");
        assert!(hs.reserved.extension_protocol() && hs.reserved.fast() && hs.reserved.dht());
        assert_eq!(hs.reserved.0, [0, 0, 0, 0, 0, 0x10, 0, 0x05]);
    }
}

#[test]
fn the_seeder_says_have_all_and_allows_fast_then_serves_three_pieces() {
    let (_, messages) = frames(SEEDER);
    assert_eq!(
        names(&messages),
        [
            "extended",
            "have_all",
            "port",
            "unchoke",
            "allowed_fast",
            "allowed_fast",
            "allowed_fast",
            "unchoke",
            "piece",
            "piece",
            "piece",
        ]
    );
    let MessageRepr::Extended { id: 0, payload } = messages[0].0 else {
        panic!("extended handshake first")
    };
    assert!(payload.windows(21).any(|w| w == b"v18:libtorrent/2.0.8."));
    let blocks: Vec<(u32, u32, usize)> = messages
        .iter()
        .filter_map(|(m, _)| match *m {
            MessageRepr::Piece { index, begin, data } => Some((index, begin, data.len())),
            _ => None,
        })
        .collect();
    assert_eq!(blocks, [(2, 0, 1000), (0, 0, 16384), (1, 0, 16384)]);
}

#[test]
fn the_leecher_says_have_none_asks_for_each_piece_and_announces_one() {
    let (_, messages) = frames(LEECHER);
    assert_eq!(
        names(&messages),
        [
            "extended",
            "have_none",
            "port",
            "interested",
            "request",
            "request",
            "request",
            "have"
        ]
    );
    let requests: Vec<BlockRequest> = messages
        .iter()
        .filter_map(|(m, _)| match *m {
            MessageRepr::Request(r) => Some(r),
            _ => None,
        })
        .collect();
    let block = |index, length| BlockRequest {
        index,
        begin: 0,
        length,
    };
    assert_eq!(requests, [block(2, 1000), block(0, 16384), block(1, 16384)]);
    assert_eq!(messages[7].0, MessageRepr::Have { piece: 2 });
}

#[test]
fn every_cut_of_the_recorded_stream_resumes_exactly() {
    // Feed the seeder's stream in 7-byte slices into a growing buffer.
    let mut decoder = Decoder::default();
    let mut buffer = Vec::new();
    let mut count = 0;
    for chunk in SEEDER.chunks(7) {
        buffer.extend_from_slice(chunk);
        while let Decoded::Complete { consumed, .. } = decoder.decode(&buffer).unwrap() {
            buffer.drain(..consumed);
            count += 1;
        }
    }
    assert!(buffer.is_empty());
    assert_eq!(count, 12);
}

#[test]
fn libtorrent_extended_handshakes_parse_with_bencode() {
    use hark_wire::bt::peer::ExtendedHandshake;
    use std::net::{IpAddr, Ipv4Addr};

    for (stream, port) in [(SEEDER, None), (LEECHER, Some(40607))] {
        let (_, messages) = frames(stream);
        let MessageRepr::Extended { id: 0, payload } = messages[0].0 else {
            panic!("the extended handshake comes first")
        };
        let hs = ExtendedHandshake::parse(payload).unwrap();
        let m: Vec<(&str, u8)> = hs.m.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(
            m,
            [
                ("lt_donthave", 7),
                ("share_mode", 8),
                ("upload_only", 3),
                ("ut_holepunch", 4),
                ("ut_metadata", 2),
                ("ut_pex", 1)
            ]
        );
        assert_eq!(hs.v.as_deref(), Some("libtorrent/2.0.8.0"));
        assert_eq!(hs.reqq, Some(2000));
        assert_eq!(hs.yourip, Some(IpAddr::V4(Ipv4Addr::LOCALHOST)));
        assert_eq!(hs.p, port);
        // Re-emitted, it parses to the same keys (the ones hark does not know are dropped).
        assert_eq!(ExtendedHandshake::parse(&hs.to_vec()), Ok(hs));
    }
}
