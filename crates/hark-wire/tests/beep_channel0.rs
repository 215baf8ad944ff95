//! Channel-0 messages and tuning payloads: the RFC's examples parsed and emitted byte for
//! byte, the XML restrictions, and round trips.

use hark_wire::beep::channel0::{
    Channel0Message, Close, ContentEncoding, ErrorReply, Greeting, MAX_PIGGYBACK, Profile, Start,
};
use hark_wire::beep::frame::FrameRepr;
use hark_wire::beep::mime::MimeHeaders;
use hark_wire::beep::tuning::{BlobStatus, SaslBlob, SaslMessage, TlsMessage};
use hark_wire::beep::xml::XmlError;
use proptest::prelude::*;

/// Takes a whole frame from an RFC example, returns the XML after the MIME header block.
fn xml_of(frame: &str) -> Vec<u8> {
    let frame = frame.replace('\n', "\r\n");
    let repr = FrameRepr::parse_bytes(frame.as_bytes()).unwrap();
    let mime = MimeHeaders::new_checked(repr.payload).unwrap();
    assert!(mime.is_beep_xml());
    mime.content().to_vec()
}

/// Parses, checks the value, emits and compares with the original bytes.
fn check(xml: &[u8], expected: Channel0Message) {
    let parsed = Channel0Message::parse(xml).unwrap();
    assert_eq!(parsed, expected);
    assert_eq!(parsed.buffer_len(), xml.len());
    assert_eq!(
        parsed.to_vec().unwrap(),
        xml,
        "{}",
        String::from_utf8_lossy(xml)
    );
}

#[test]
fn rfc3080_2_3_1_1_greetings() {
    let listener = xml_of(
        "RPY 0 0 . 0 110\nContent-Type: application/beep+xml\n\n<greeting>\n   <profile uri='http://iana.org/beep/TLS' />\n</greeting>\nEND\n",
    );
    check(
        &listener,
        Channel0Message::Greeting(Greeting {
            profiles: vec!["http://iana.org/beep/TLS".into()],
            ..Greeting::default()
        }),
    );
    let initiator =
        xml_of("RPY 0 0 . 0 52\nContent-Type: application/beep+xml\n\n<greeting />\nEND\n");
    check(&initiator, Channel0Message::Greeting(Greeting::default()));

    let featured = b"<greeting features='x-foo x-bar' localize='fr en-US'>\r\n   <profile uri='a' />\r\n   <profile uri='b' />\r\n</greeting>\r\n";
    check(
        featured,
        Channel0Message::Greeting(Greeting {
            profiles: vec!["a".into(), "b".into()],
            features: vec!["x-foo".into(), "x-bar".into()],
            localize: vec!["fr".into(), "en-US".into()],
        }),
    );
}

#[test]
fn rfc3080_2_3_1_2_start_and_error() {
    let start = xml_of(
        "MSG 0 1 . 52 120\nContent-Type: application/beep+xml\n\n<start number='1'>\n   <profile uri='http://iana.org/beep/SASL/OTP' />\n</start>\nEND\n",
    );
    check(
        &start,
        Channel0Message::Start(Start {
            number: 1,
            server_name: None,
            profiles: vec![Profile::new("http://iana.org/beep/SASL/OTP")],
        }),
    );
    let error = xml_of(
        "ERR 0 1 . 221 105\nContent-Type: application/beep+xml\n\n<error code='550'>all requested profiles are\nunsupported</error>\nEND\n",
    );
    check(
        &error,
        Channel0Message::Error(ErrorReply {
            code: 550,
            lang: None,
            text: Some("all requested profiles are\r\nunsupported".into()),
        }),
    );
}

#[test]
fn rfc3080_2_3_1_3_close_and_ok() {
    let close = xml_of(
        "MSG 0 2 . 235 71\nContent-Type: application/beep+xml\n\n<close number='1' code='200' />\nEND\n",
    );
    check(
        &close,
        Channel0Message::Close(Close {
            number: 1,
            code: 200,
            lang: None,
            text: None,
        }),
    );
    let ok = xml_of("RPY 0 2 . 392 46\nContent-Type: application/beep+xml\n\n<ok />\nEND\n");
    check(&ok, Channel0Message::Ok);
    // Releasing the session: the number attribute is absent and means channel 0.
    assert_eq!(
        Channel0Message::parse(b"<close code='200' />").unwrap(),
        Channel0Message::Close(Close {
            number: 0,
            code: 200,
            lang: None,
            text: None
        })
    );
    check(
        b"<close number='3' code='550' xml:lang='en'>still working &amp; busy</close>\r\n",
        Channel0Message::Close(Close {
            number: 3,
            code: 550,
            lang: Some("en".into()),
            text: Some("still working & busy".into()),
        }),
    );
}

#[test]
fn piggybacked_tls_start_and_reply() {
    // Shaped after RFC 3080's TLS piggyback example: `<ready />` rides in the start, the
    // `<proceed />` in the profile reply, each in a CDATA section.
    let start = b"<start number='1' serverName='example.com'>\r\n   <profile uri='http://iana.org/beep/TLS'>\r\n       <![CDATA[<ready />]]>\r\n   </profile>\r\n</start>\r\n";
    let Channel0Message::Start(parsed) = Channel0Message::parse(start).unwrap() else {
        panic!("start expected")
    };
    assert_eq!(parsed.server_name.as_deref(), Some("example.com"));
    assert_eq!(parsed.profiles[0].content.as_deref(), Some("<ready />"));
    let ready = parsed.profiles[0].decoded_content().unwrap().unwrap();
    assert_eq!(
        TlsMessage::parse(&ready).unwrap(),
        TlsMessage::Ready {
            version: "1".into()
        }
    );
    // Emitted compactly, and read back the same.
    let again = Channel0Message::Start(parsed.clone()).to_vec().unwrap();
    assert_eq!(
        again,
        b"<start number='1' serverName='example.com'>\r\n   <profile uri='http://iana.org/beep/TLS'><![CDATA[<ready />]]></profile>\r\n</start>\r\n"
    );
    assert_eq!(
        Channel0Message::parse(&again).unwrap(),
        Channel0Message::Start(parsed)
    );

    let reply = b"<profile uri='http://iana.org/beep/TLS'><![CDATA[<proceed />]]></profile>\r\n";
    let Channel0Message::Profile(profile) = Channel0Message::parse(reply).unwrap() else {
        panic!("profile expected")
    };
    let proceed = profile.decoded_content().unwrap().unwrap();
    assert_eq!(TlsMessage::parse(&proceed).unwrap(), TlsMessage::Proceed);

    let b64 = b"<profile uri='http://iana.org/beep/SASL/PLAIN' encoding='base64'>AGJvYgBzZWNyZXQ=</profile>";
    let Channel0Message::Profile(profile) = Channel0Message::parse(b64).unwrap() else {
        panic!("profile expected")
    };
    assert_eq!(profile.encoding, ContentEncoding::Base64);
    assert_eq!(
        profile.decoded_content().unwrap().unwrap(),
        b"\0bob\0secret"
    );
}

#[test]
fn restricted_xml_is_enforced() {
    let cases: &[(&[u8], XmlError)] = &[
        (b"<?xml version='1.0'?><ok />", XmlError::XmlDeclaration),
        (b"<!DOCTYPE ok><ok />", XmlError::Doctype),
        (b"<?beep now?><ok />", XmlError::ProcessingInstruction),
        (b"<ok><?pi x?></ok>", XmlError::ProcessingInstruction),
        (
            b"<error code='550'>&nbsp;</error>",
            XmlError::UnknownEntity("nbsp".into()),
        ),
        (
            b"<error code='550' xml:lang='&foo;' />",
            XmlError::UnknownEntity("foo".into()),
        ),
        (b"", XmlError::NoRoot),
        (b"  <!-- nothing -->  ", XmlError::NoRoot),
        (b"<ok /><ok />", XmlError::OutsideRoot),
        (b"text<ok />", XmlError::OutsideRoot),
        (b"<ok />trailing", XmlError::OutsideRoot),
        (
            b"<a><a><a><a><a><a><a><a><a></a></a></a></a></a></a></a></a></a>",
            XmlError::TooDeep,
        ),
        (
            b"<hello />",
            XmlError::UnexpectedElement {
                found: "hello".into(),
                expected: "greeting, start, profile, close, ok or error",
            },
        ),
        (b"<ok>yes</ok>", XmlError::UnexpectedText { element: "ok" }),
        (
            b"<greeting><feature /></greeting>",
            XmlError::UnexpectedElement {
                found: "feature".into(),
                expected: "profile",
            },
        ),
        (
            b"<greeting>hi</greeting>",
            XmlError::UnexpectedText {
                element: "greeting",
            },
        ),
        (
            b"<start><profile uri='a' /></start>",
            XmlError::MissingAttribute {
                element: "start",
                attribute: "number",
            },
        ),
        (
            b"<start number='0'><profile uri='a' /></start>",
            XmlError::BadAttribute {
                element: "start",
                attribute: "number",
                value: "0".into(),
            },
        ),
        (
            b"<start number='2147483648'><profile uri='a' /></start>",
            XmlError::BadAttribute {
                element: "start",
                attribute: "number",
                value: "2147483648".into(),
            },
        ),
        (
            b"<start number='1' />",
            XmlError::MissingAttribute {
                element: "start",
                attribute: "profile",
            },
        ),
        (
            b"<start number='1'><profile /></start>",
            XmlError::MissingAttribute {
                element: "profile",
                attribute: "uri",
            },
        ),
        (
            b"<profile uri='a' encoding='rot13'>x</profile>",
            XmlError::BadAttribute {
                element: "profile",
                attribute: "encoding",
                value: "rot13".into(),
            },
        ),
        (
            b"<profile uri='a' encoding='base64'>!!!</profile>",
            XmlError::BadBase64,
        ),
        (
            b"<close number='1' />",
            XmlError::MissingAttribute {
                element: "close",
                attribute: "code",
            },
        ),
        (
            b"<error code='55' />",
            XmlError::BadAttribute {
                element: "error",
                attribute: "code",
                value: "55".into(),
            },
        ),
        (
            b"<greeting><profile uri='a'>init</profile></greeting>",
            XmlError::UnexpectedText { element: "profile" },
        ),
    ];
    for (xml, error) in cases {
        assert_eq!(
            Channel0Message::parse(xml).as_ref(),
            Err(error),
            "{}",
            String::from_utf8_lossy(xml)
        );
    }
    for malformed in [
        &b"<ok"[..],
        b"<ok></ko>",
        b"<a b='1' b='2' />",
        b"<error code='550'>\xff</error>",
        b"<ok>",
    ] {
        assert!(
            matches!(
                Channel0Message::parse(malformed),
                Err(XmlError::Malformed { .. })
            ),
            "{}",
            String::from_utf8_lossy(malformed)
        );
    }
    // Character references are not entity references.
    assert_eq!(
        Channel0Message::parse(
            b"<error code='421'>&#60;busy&#x3e; &lt;&gt;&amp;&apos;&quot;</error>"
        )
        .unwrap(),
        Channel0Message::Error(ErrorReply {
            code: 421,
            lang: None,
            text: Some("<busy> <>&'\"".into())
        })
    );
}

#[test]
fn piggyback_is_limited_to_4k() {
    let content = "x".repeat(MAX_PIGGYBACK + 1);
    let xml = format!("<profile uri='a'>{content}</profile>");
    assert_eq!(
        Channel0Message::parse(xml.as_bytes()),
        Err(XmlError::PiggybackTooLong {
            len: MAX_PIGGYBACK + 1
        })
    );
    let at_limit = format!("<profile uri='a'>{}</profile>", &content[1..]);
    assert!(Channel0Message::parse(at_limit.as_bytes()).is_ok());
    let too_long = Channel0Message::Profile(Profile {
        content: Some(content),
        ..Profile::new("a")
    });
    assert!(matches!(too_long.to_vec(), Err(XmlError::CannotEmit(_))));
    let bad_code = Channel0Message::Error(ErrorReply {
        code: 42,
        ..ErrorReply::default()
    });
    assert!(matches!(bad_code.to_vec(), Err(XmlError::CannotEmit(_))));
    let mut small = [0u8; 4];
    assert_eq!(
        Channel0Message::Ok.emit(&mut small),
        Err(XmlError::BufferTooSmall { required: 8 })
    );
}

#[test]
fn tuning_payloads() {
    assert_eq!(
        TlsMessage::parse(b"<ready version='1' />").unwrap(),
        TlsMessage::Ready {
            version: "1".into()
        }
    );
    assert_eq!(
        TlsMessage::Ready {
            version: "1".into()
        }
        .to_vec()
        .unwrap(),
        b"<ready />\r\n"
    );
    assert_eq!(
        TlsMessage::Ready {
            version: "2".into()
        }
        .to_vec()
        .unwrap(),
        b"<ready version='2' />\r\n"
    );
    assert_eq!(
        TlsMessage::parse(b"<error code='421'>no TLS here</error>").unwrap(),
        TlsMessage::Error(ErrorReply {
            code: 421,
            lang: None,
            text: Some("no TLS here".into())
        })
    );
    assert!(TlsMessage::parse(b"<blob />").is_err());

    for (xml, status, data) in [
        (
            &b"<blob status='complete' />"[..],
            BlobStatus::Complete,
            &b""[..],
        ),
        (
            b"<blob status='abort'>Zm9v</blob>",
            BlobStatus::Abort,
            b"foo",
        ),
        (
            b"<blob status='continue'>\r\n  Zm9v\r\n  YmFy\r\n</blob>",
            BlobStatus::Continue,
            b"foobar",
        ),
        (
            b"<blob>AGJvYgBzZWNyZXQ=</blob>",
            BlobStatus::Continue,
            b"\0bob\0secret",
        ),
    ] {
        assert_eq!(
            SaslMessage::parse(xml).unwrap(),
            SaslMessage::Blob(SaslBlob {
                status,
                data: data.to_vec()
            })
        );
    }
    assert_eq!(
        SaslMessage::Blob(SaslBlob {
            status: BlobStatus::Complete,
            data: vec![]
        })
        .to_vec()
        .unwrap(),
        b"<blob status='complete' />\r\n"
    );
    assert_eq!(
        SaslMessage::parse(b"<blob>***</blob>"),
        Err(XmlError::BadBase64)
    );
    assert!(matches!(
        SaslMessage::parse(b"<blob status='maybe' />"),
        Err(XmlError::BadAttribute {
            attribute: "status",
            ..
        })
    ));
    assert_eq!(
        SaslMessage::parse(b"<error code='535'>bad password</error>").unwrap(),
        SaslMessage::Error(ErrorReply {
            code: 535,
            lang: None,
            text: Some("bad password".into())
        })
    );
}

fn text() -> impl Strategy<Value = String> {
    // Printable text with the characters XML must escape, no surrounding whitespace.
    "[a-zA-Z0-9<>&'\" .:/-]{0,40}".prop_map(|s| s.trim().to_owned())
}

fn lang() -> impl Strategy<Value = Option<String>> {
    proptest::option::of("[a-z]{2}(-[A-Z]{2})?")
}

fn profile() -> impl Strategy<Value = Profile> {
    (text(), proptest::option::of(text()), any::<bool>()).prop_map(|(uri, content, b64)| {
        let content = content.filter(|c| !c.is_empty());
        if b64 {
            let encoded = content.map(|c| {
                use base64::Engine;
                base64::engine::general_purpose::STANDARD.encode(c)
            });
            Profile {
                uri,
                encoding: ContentEncoding::Base64,
                content: encoded,
            }
        } else {
            Profile {
                uri,
                encoding: ContentEncoding::None,
                content,
            }
        }
    })
}

fn message() -> impl Strategy<Value = Channel0Message> {
    let token = "[a-zA-Z0-9-]{1,8}";
    prop_oneof![
        (
            proptest::collection::vec(text(), 0..4),
            proptest::collection::vec(token, 0..3),
            proptest::collection::vec(token, 0..3)
        )
            .prop_map(|(profiles, features, localize)| {
                Channel0Message::Greeting(Greeting {
                    profiles,
                    features,
                    localize,
                })
            }),
        (
            1..=i32::MAX as u32,
            proptest::option::of(text()),
            proptest::collection::vec(profile(), 1..4)
        )
            .prop_map(|(number, server_name, profiles)| {
                Channel0Message::Start(Start {
                    number,
                    server_name,
                    profiles,
                })
            }),
        profile().prop_map(Channel0Message::Profile),
        (
            0..=i32::MAX as u32,
            100u16..1000,
            lang(),
            proptest::option::of(text())
        )
            .prop_map(|(number, code, lang, text)| {
                let text = text.filter(|t| !t.is_empty());
                Channel0Message::Close(Close {
                    number,
                    code,
                    lang,
                    text,
                })
            }),
        Just(Channel0Message::Ok),
        (100u16..1000, lang(), proptest::option::of(text())).prop_map(|(code, lang, text)| {
            let text = text.filter(|t| !t.is_empty());
            Channel0Message::Error(ErrorReply { code, lang, text })
        }),
    ]
}

proptest! {
    #[test]
    fn channel0_round_trip(message in message()) {
        let xml = message.to_vec().unwrap();
        prop_assert_eq!(xml.len(), message.buffer_len());
        prop_assert_eq!(Channel0Message::parse(&xml).unwrap(), message);
    }

    #[test]
    fn sasl_round_trip(data in proptest::collection::vec(any::<u8>(), 0..100), status in 0..3u8) {
        let status = [BlobStatus::Continue, BlobStatus::Complete, BlobStatus::Abort][usize::from(status)];
        let message = SaslMessage::Blob(SaslBlob { status, data });
        prop_assert_eq!(SaslMessage::parse(&message.to_vec().unwrap()).unwrap(), message);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = Channel0Message::parse(&bytes);
        let _ = TlsMessage::parse(&bytes);
        let _ = SaslMessage::parse(&bytes);
    }
}

#[test]
fn attribute_line_ends_survive_a_round_trip() {
    // Written raw, a line end in an attribute would come back as a space (attribute-value
    // normalization); emit writes it as a character reference.
    let parsed = Channel0Message::parse(b"<error code='550' xml:lang='a&#10;b&#9;c' />").unwrap();
    let xml = parsed.to_vec().unwrap();
    assert_eq!(xml, b"<error code='550' xml:lang='a&#10;b&#9;c' />\r\n");
    assert_eq!(Channel0Message::parse(&xml).unwrap(), parsed);
}
