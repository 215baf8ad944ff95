//! Bencode decoding and encoding: BEP 3's own examples, every canonical rule, limits,
//! streams cut at every byte, and encode→decode round trips.

use hark_wire::bt::bencode::{
    self, Decoded, Error, Kind, Limits, OwnedValue, decode, decode_prefix, decode_with,
};
use proptest::prelude::*;
use std::collections::BTreeMap;

#[test]
fn bep3_examples_decode() {
    // The examples in BEP 3's "bencoding" section.
    assert_eq!(decode(b"4:spam").unwrap().as_bytes(), Some(&b"spam"[..]));
    assert_eq!(decode(b"0:").unwrap().as_bytes(), Some(&b""[..]));
    assert_eq!(decode(b"i3e").unwrap().as_integer(), Some(3));
    assert_eq!(decode(b"i-3e").unwrap().as_integer(), Some(-3));
    assert_eq!(decode(b"i0e").unwrap().as_integer(), Some(0));
    let list = decode(b"l4:spam4:eggse").unwrap();
    let items: Vec<_> = list.as_list().unwrap().iter().map(|v| v.as_str()).collect();
    assert_eq!(items, [Some("spam"), Some("eggs")]);
    let dict = decode(b"d3:cow3:moo4:spam4:eggse").unwrap();
    assert_eq!(dict.get(b"cow").unwrap().as_str(), Some("moo"));
    assert_eq!(dict.get(b"spam").unwrap().as_str(), Some("eggs"));
    assert_eq!(dict.get(b"nope"), None);
    let nested = decode(b"d4:spaml1:a1:bee").unwrap();
    assert_eq!(nested.get(b"spam").unwrap().as_list().unwrap().len(), 2);
}

#[test]
fn every_value_knows_its_span() {
    let input = b"d1:ai-12e1:bl0:d1:xleee1:c3:xyze";
    let value = decode(input).unwrap();
    assert_eq!(value.span(), 0..input.len());
    let entries = value.as_dict().unwrap();
    let spans: Vec<_> = entries.iter().map(|(k, v)| (k.span(), v.span())).collect();
    assert_eq!(spans, [(1..4, 4..9), (9..12, 12..23), (23..26, 26..31)]);
    for (key, item) in entries {
        assert_eq!(&input[key.span()], key.raw());
        assert_eq!(&input[item.span()], item.raw());
    }
    let b = value.get(b"b").unwrap().as_list().unwrap();
    assert_eq!(b[0].span(), 13..15);
    assert_eq!(b[1].raw(), b"d1:xlee");
    assert_eq!(b[1].get(b"x").unwrap().offset(), 19);
    assert_eq!(b[1].type_name(), "dictionary");
    assert!(matches!(b[1].get(b"x").unwrap().kind(), Kind::List(items) if items.is_empty()));
}

#[test]
fn integers_follow_the_canonical_rules() {
    assert_eq!(
        decode(b"i9223372036854775807e").unwrap().as_integer(),
        Some(i64::MAX)
    );
    assert_eq!(
        decode(b"i-9223372036854775808e").unwrap().as_integer(),
        Some(i64::MIN)
    );
    let cases: [(&[u8], Error); 9] = [
        (
            b"i9223372036854775808e",
            Error::IntegerOverflow { offset: 0 },
        ),
        (
            b"i-9223372036854775809e",
            Error::IntegerOverflow { offset: 0 },
        ),
        (b"i03e", Error::LeadingZero { offset: 1 }),
        (b"i-03e", Error::LeadingZero { offset: 2 }),
        (b"i00e", Error::LeadingZero { offset: 1 }),
        (b"i-0e", Error::NegativeZero { offset: 0 }),
        (b"ie", Error::InvalidInteger { offset: 1 }),
        (b"i-e", Error::InvalidInteger { offset: 2 }),
        (b"i1x2e", Error::InvalidInteger { offset: 2 }),
    ];
    for (input, error) in cases {
        assert_eq!(decode(input), Err(error), "{}", input.escape_ascii());
    }
    assert_eq!(decode(b"i+1e"), Err(Error::InvalidInteger { offset: 1 }));
    assert_eq!(decode(b"i--1e"), Err(Error::InvalidInteger { offset: 2 }));
}

#[test]
fn strings_follow_the_canonical_rules() {
    assert_eq!(decode(b"01:a"), Err(Error::LeadingZero { offset: 0 }));
    assert_eq!(decode(b"00:"), Err(Error::LeadingZero { offset: 0 }));
    assert_eq!(decode(b"1a:a"), Err(Error::InvalidLength { offset: 1 }));
    assert_eq!(
        decode(b"-1:a"),
        Err(Error::UnexpectedByte {
            offset: 0,
            byte: b'-'
        })
    );
    assert_eq!(decode(b"3:abcd"), Err(Error::TrailingData { offset: 5 }));
    assert_eq!(
        decode(b"99999999999999999999999:x"),
        Err(Error::StringTooLong {
            offset: 0,
            len: u64::MAX,
            max: Limits::DEFAULT.max_len
        })
    );
}

#[test]
fn dictionaries_need_unique_sorted_string_keys() {
    assert_eq!(
        decode(b"d1:bi1e1:ai2ee"),
        Err(Error::UnsortedKey { offset: 7 })
    );
    assert_eq!(
        decode(b"d1:ai1e1:ai2ee"),
        Err(Error::DuplicateKey { offset: 7 })
    );
    assert_eq!(decode(b"di1e1:ae"), Err(Error::NonStringKey { offset: 1 }));
    assert_eq!(decode(b"dle1:ae"), Err(Error::NonStringKey { offset: 1 }));
    assert_eq!(decode(b"d1:ae"), Err(Error::MissingValue { offset: 4 }));
    // Keys compare as raw bytes: "Z" (0x5a) sorts before "a" (0x61), and a prefix first.
    assert!(decode(b"d1:Zi1e1:ai2e2:aai3ee").is_ok());
    let relaxed = Limits {
        sorted_keys: false,
        ..Limits::DEFAULT
    };
    let value = decode_with(b"d1:bi1e1:ai2ee", &relaxed).unwrap();
    assert_eq!(value.get(b"a").unwrap().as_integer(), Some(2));
    assert_eq!(
        decode_with(b"d1:bi1e1:ai2e1:bi3ee", &relaxed),
        Err(Error::DuplicateKey { offset: 13 })
    );
}

#[test]
fn stray_bytes_are_refused_with_their_offset() {
    assert_eq!(
        decode(b"e"),
        Err(Error::UnexpectedByte {
            offset: 0,
            byte: b'e'
        })
    );
    assert_eq!(
        decode(b"lxe"),
        Err(Error::UnexpectedByte {
            offset: 1,
            byte: b'x'
        })
    );
    assert_eq!(decode(b"i1ee"), Err(Error::TrailingData { offset: 3 }));
    assert_eq!(decode(b""), Err(Error::Truncated { needed: 2 }));
}

#[test]
fn limits_bound_depth_values_and_length() {
    let deep = [vec![b'l'; 100], vec![b'e'; 100]].concat();
    assert!(decode(&deep).is_ok());
    let deeper = [vec![b'l'; 101], vec![b'e'; 101]].concat();
    assert_eq!(
        decode(&deeper),
        Err(Error::TooDeep {
            offset: 100,
            max: 100
        })
    );
    // A million-deep nesting is refused at the limit without touching the call stack.
    let hostile = vec![b'l'; 1_000_000];
    assert_eq!(
        decode(&hostile),
        Err(Error::TooDeep {
            offset: 100,
            max: 100
        })
    );
    let few = Limits {
        max_values: 3,
        ..Limits::DEFAULT
    };
    assert!(decode_with(b"li1ei2ee", &few).is_ok());
    assert_eq!(
        decode_with(b"li1ei2ei3ee", &few),
        Err(Error::TooManyValues { offset: 7, max: 3 })
    );
    let short = Limits {
        max_len: 8,
        ..Limits::DEFAULT
    };
    assert_eq!(
        decode_with(b"9:123456789", &short),
        Err(Error::InputTooLarge { len: 11, max: 8 })
    );
    // A stream may hold more than the limit after a small value, not a value over it.
    assert!(matches!(
        decode_prefix(b"i1e123456789", &short),
        Ok(Decoded::Complete { len: 3, .. })
    ));
    assert_eq!(
        decode_prefix(b"l1:a1:b1:c1:de", &short),
        Err(Error::InputTooLarge { len: 14, max: 8 })
    );
    assert_eq!(
        decode_prefix(b"9:1234", &short),
        Err(Error::StringTooLong {
            offset: 0,
            len: 9,
            max: 8
        })
    );
}

#[test]
fn a_stream_cut_at_every_byte_asks_for_more_never_errs() {
    let whole = b"d8:completei3e10:incompletei1e8:intervali1800e5:peers12:\x7f\0\0\x01\x1a\xe1\x7f\0\0\x02\x1a\xe2e";
    let limits = Limits::DEFAULT;
    for cut in 0..whole.len() {
        match decode_prefix(&whole[..cut], &limits) {
            Ok(Decoded::Incomplete { needed }) => {
                assert!(needed >= 1, "cut {cut}");
                assert!(cut + needed <= whole.len(), "cut {cut} needed {needed}");
            }
            other => panic!("cut {cut}: {other:?}"),
        }
    }
    // The string length is known, so the missing bytes are exact for a cut inside it.
    assert_eq!(
        decode_prefix(&whole[..whole.len() - 5], &limits),
        Ok(Decoded::Incomplete { needed: 5 })
    );
    let mut stream = whole.to_vec();
    stream.extend_from_slice(b"i7e");
    match decode_prefix(&stream, &limits).unwrap() {
        Decoded::Complete { value, len } => {
            assert_eq!(len, whole.len());
            assert_eq!(value.get(b"interval").unwrap().as_integer(), Some(1800));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn encoding_is_canonical_and_emit_checks_the_buffer() {
    let mut entries = BTreeMap::new();
    entries.insert(b"zz".to_vec(), OwnedValue::Integer(-42));
    entries.insert(
        b"a".to_vec(),
        OwnedValue::List(vec![OwnedValue::string("x")]),
    );
    let value = OwnedValue::Dict(entries);
    assert_eq!(value.to_vec(), b"d1:al1:xe2:zzi-42ee");
    assert_eq!(value.buffer_len(), 19);
    let mut small = [0u8; 18];
    assert_eq!(
        value.emit(&mut small),
        Err(Error::BufferTooSmall { required: 19 })
    );
    let mut buf = [0u8; 32];
    assert_eq!(value.emit(&mut buf), Ok(19));
    assert_eq!(&buf[..19], b"d1:al1:xe2:zzi-42ee");
    assert_eq!(
        OwnedValue::Integer(i64::MIN).to_vec(),
        b"i-9223372036854775808e"
    );
    assert_eq!(OwnedValue::Integer(0).to_vec(), b"i0e");
    assert_eq!(OwnedValue::Bytes(vec![0; 10]).buffer_len(), 13);
}

fn owned_value() -> impl Strategy<Value = OwnedValue> {
    let leaf = prop_oneof![
        any::<i64>().prop_map(OwnedValue::Integer),
        proptest::collection::vec(any::<u8>(), 0..20).prop_map(OwnedValue::Bytes),
    ];
    leaf.prop_recursive(4, 64, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(OwnedValue::List),
            proptest::collection::btree_map(
                proptest::collection::vec(any::<u8>(), 0..6),
                inner,
                0..6
            )
            .prop_map(OwnedValue::Dict),
        ]
    })
}

proptest! {
    #[test]
    fn encode_then_decode_gives_the_value_and_the_bytes_back(value in owned_value()) {
        let bytes = value.to_vec();
        prop_assert_eq!(bytes.len(), value.buffer_len());
        let decoded = decode(&bytes).unwrap();
        prop_assert_eq!(decoded.raw(), &bytes[..]);
        prop_assert_eq!(decoded.to_owned_value(), value);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        if let Ok(value) = bencode::decode(&bytes) {
            // Whatever decodes is canonical, so it encodes to the same bytes.
            prop_assert_eq!(value.to_owned_value().to_vec(), bytes);
        }
    }
}
