//! MIME entity headers of BEEP payloads (RFC 3080 section 2.2.1.2).

use hark_wire::beep::mime::{MimeError, MimeHeaders, MimeRepr};
use proptest::prelude::*;

#[test]
fn rfc3080_2_3_1_2_start_payload() {
    // The payload of section 2.3.1.2's `MSG 0 1 . 52 120`.
    let payload = b"Content-Type: application/beep+xml\r\n\r\n<start number='1'>\r\n   <profile uri='http://iana.org/beep/SASL/OTP' />\r\n</start>\r\n";
    assert_eq!(payload.len(), 120);
    let entity = MimeHeaders::new_checked(&payload[..]).unwrap();
    assert!(entity.is_beep_xml());
    assert_eq!(entity.header_len(), 38);
    assert!(entity.content().starts_with(b"<start number='1'>"));
    assert_eq!(
        MimeRepr::parse(&entity),
        MimeRepr {
            content_type: Some("application/beep+xml"),
            ..MimeRepr::default()
        }
    );
}

#[test]
fn defaults_others_folding_and_case() {
    let payload = b"content-type: text/plain;\r\n  charset=us-ascii\r\nX-Trace: a:b\r\nContent-Transfer-Encoding: base64\r\n\r\naGk=";
    let entity = MimeHeaders::new_checked(&payload[..]).unwrap();
    assert_eq!(entity.content_type(), "text/plain;\r\n  charset=us-ascii");
    assert_eq!(entity.content_transfer_encoding(), "base64");
    assert_eq!(entity.get("x-trace"), Some("a:b"));
    assert!(!entity.is_beep_xml());
    assert_eq!(entity.content(), b"aGk=");
    let repr = MimeRepr::parse(&entity);
    assert_eq!(repr.others, [("X-Trace", "a:b")]);

    let defaults = MimeHeaders::new_checked(&b"\r\n"[..]).unwrap();
    assert_eq!(defaults.content_type(), "application/octet-stream");
    assert_eq!(defaults.content_transfer_encoding(), "binary");
    assert_eq!(defaults.fields().count(), 0);
    assert!(defaults.content().is_empty());

    let typed =
        MimeHeaders::new_checked(&b"Content-Type: application/beep+xml; charset=utf-8\r\n\r\n"[..])
            .unwrap();
    assert!(typed.is_beep_xml());
}

#[test]
fn malformed_blocks_are_typed_errors() {
    let cases: &[(&[u8], MimeError)] = &[
        (b"", MimeError::Unterminated),
        (b"<greeting/>", MimeError::Unterminated),
        (b"Content-Type: a\r\n", MimeError::Unterminated),
        (
            b"no colon here\r\n\r\n",
            MimeError::MalformedField { offset: 0 },
        ),
        (
            b": empty name\r\n\r\n",
            MimeError::MalformedField { offset: 0 },
        ),
        (
            b"A: b\r\nbad name: c\r\n\r\n",
            MimeError::MalformedField { offset: 6 },
        ),
        (
            b" folded first\r\n\r\n",
            MimeError::MalformedField { offset: 0 },
        ),
        (b"A: b\rc\r\n\r\n", MimeError::BadText { offset: 0 }),
        (b"A: \xff\r\n\r\n", MimeError::BadText { offset: 0 }),
        (
            b"Content-Type: a\r\ncontent-type: b\r\n\r\n",
            MimeError::Duplicate {
                name: "Content-Type",
            },
        ),
        (
            b"Content-Transfer-Encoding: a\r\nContent-Transfer-Encoding: a\r\n\r\n",
            MimeError::Duplicate {
                name: "Content-Transfer-Encoding",
            },
        ),
    ];
    for (bytes, error) in cases {
        assert_eq!(
            MimeHeaders::new_checked(*bytes).map(|_| ()),
            Err(*error),
            "{:?}",
            String::from_utf8_lossy(bytes)
        );
    }
}

#[test]
fn emit_refuses_injection() {
    let mut buf = [0; 128];
    let bad_value = MimeRepr {
        content_type: Some("a\r\nX: y"),
        ..MimeRepr::default()
    };
    assert_eq!(
        bad_value.emit(&mut buf),
        Err(MimeError::BadField { index: 0 })
    );
    let bad_name = MimeRepr {
        others: vec![("X Y", "z")],
        ..MimeRepr::default()
    };
    assert_eq!(
        bad_name.emit(&mut buf),
        Err(MimeError::BadField { index: 0 })
    );
    assert_eq!(
        MimeRepr::beep_xml().emit(&mut buf[..10]),
        Err(MimeError::BufferTooSmall { required: 38 })
    );
}

proptest! {
    #[test]
    fn round_trip(
        content_type in proptest::option::of("[a-z]{1,8}/[a-z+.-]{1,12}"),
        encoding in proptest::option::of("[a-z0-9-]{1,10}"),
        others in proptest::collection::vec(("X-[A-Za-z0-9-]{1,10}", "[ -~]{0,20}"), 0..4),
        content in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let others: Vec<(&str, &str)> = others.iter().map(|(n, v)| (n.as_str(), v.trim())).collect();
        let repr = MimeRepr {
            content_type: content_type.as_deref(),
            content_transfer_encoding: encoding.as_deref(),
            others,
        };
        let mut buf = vec![0; repr.buffer_len()];
        prop_assert_eq!(repr.emit(&mut buf), Ok(buf.len()));
        buf.extend_from_slice(&content);
        let entity = MimeHeaders::new_checked(&buf[..]).unwrap();
        prop_assert_eq!(entity.content(), &content[..]);
        prop_assert_eq!(MimeRepr::parse(&entity), repr);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(entity) = MimeHeaders::new_checked(&bytes[..]) {
            let _ = (entity.content_type(), entity.fields().count(), entity.content());
        }
    }
}
