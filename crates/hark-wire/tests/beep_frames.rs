//! BEEP frames: byte vectors from RFC 3080's own examples, every poorly-formed case the RFC
//! names, stream decoding in pieces, and emit/parse round trips.

use hark_wire::beep::error::{Error, Field};
use hark_wire::beep::frame::{Frame, FrameRepr};
use hark_wire::beep::header::{DataHeader, FrameType, MAX_31, MAX_HEADER_LEN, More};
use hark_wire::beep::seq::{SeqFrame, SeqRepr};
use hark_wire::beep::stream::{Decoded, Decoder, Status};
use proptest::prelude::*;

/// Joins lines with CR LF, as the RFC's examples are sent (each `L:`/`I:` line ends in CR LF).
fn crlf(lines: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    for line in lines {
        out.extend_from_slice(line.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// RFC 3080 section 2.3.1.1: the listener's greeting offering TLS (`RPY 0 0 . 0 110`).
fn listener_greeting() -> Vec<u8> {
    crlf(&[
        "RPY 0 0 . 0 110",
        "Content-Type: application/beep+xml",
        "",
        "<greeting>",
        "   <profile uri='http://iana.org/beep/TLS' />",
        "</greeting>",
        "END",
    ])
}

/// RFC 3080 section 2.3.1.1: the initiator's empty greeting (`RPY 0 0 . 0 52`).
fn initiator_greeting() -> Vec<u8> {
    crlf(&[
        "RPY 0 0 . 0 52",
        "Content-Type: application/beep+xml",
        "",
        "<greeting />",
        "END",
    ])
}

/// RFC 3080 section 2.3.1.2: a start request for channel 1 (`MSG 0 1 . 52 120`).
fn start_otp() -> Vec<u8> {
    crlf(&[
        "MSG 0 1 . 52 120",
        "Content-Type: application/beep+xml",
        "",
        "<start number='1'>",
        "   <profile uri='http://iana.org/beep/SASL/OTP' />",
        "</start>",
        "END",
    ])
}

/// RFC 3080 section 2.3.1.2: the listener declines an unknown profile (`ERR 0 1 . 221 105`).
fn error_550() -> Vec<u8> {
    crlf(&[
        "ERR 0 1 . 221 105",
        "Content-Type: application/beep+xml",
        "",
        "<error code='550'>all requested profiles are",
        "unsupported</error>",
        "END",
    ])
}

/// The longest header line decodes completely: the decoder then waits for exactly the
/// payload and trailer.
fn assert_header_complete(bytes: &[u8], size: u32) {
    match Decoder::new(u32::MAX).decode(bytes) {
        Ok(Status::Incomplete { needed }) => assert_eq!(needed, size as usize + 5),
        other => panic!("expected a complete header, got {other:?}"),
    }
}

fn decode_one(bytes: &[u8]) -> Frame<&[u8]> {
    match Decoder::default().decode(bytes) {
        Ok(Status::Complete(Decoded::Data(frame))) => frame,
        other => panic!("expected one data frame, got {other:?}"),
    }
}

#[test]
fn rfc3080_2_3_1_1_greetings() {
    let listener = listener_greeting();
    let frame = decode_one(&listener);
    assert_eq!(frame.len(), listener.len());
    assert_eq!(
        frame.header(),
        DataHeader {
            frame_type: FrameType::Rpy,
            channel: 0,
            msgno: 0,
            more: More::Complete,
            seqno: 0,
            size: 110,
        }
    );
    assert_eq!(frame.payload().len(), 110);
    assert!(
        frame
            .payload()
            .starts_with(b"Content-Type: application/beep+xml\r\n\r\n<greeting>")
    );

    let initiator = initiator_greeting();
    let frame = decode_one(&initiator);
    assert_eq!((frame.frame_type(), frame.size()), (FrameType::Rpy, 52));
    assert_eq!(frame.header_bytes(), b"RPY 0 0 . 0 52\r\n");
}

#[test]
fn rfc3080_2_3_1_2_start_and_error() {
    // The initiator's greeting took sequence numbers 0..52, so the start begins at 52.
    let start = start_otp();
    let frame = decode_one(&start);
    assert_eq!(
        (
            frame.frame_type(),
            frame.channel(),
            frame.msgno(),
            frame.seqno(),
            frame.size()
        ),
        (FrameType::Msg, 0, 1, 52, 120)
    );
    let error = error_550();
    let frame = decode_one(&error);
    assert_eq!(
        (
            frame.frame_type(),
            frame.msgno(),
            frame.seqno(),
            frame.size()
        ),
        (FrameType::Err, 1, 221, 105)
    );
    assert!(frame.payload().ends_with(b"unsupported</error>\r\n"));
}

#[test]
fn rfc3080_2_2_1_1_empty_final_frame_and_interleaved_answers() {
    // Section 2.2.1.1: a reply whose last frame is empty; section 2.2.1.1's ANS example
    // interleaves answers 0 and 1 to message 0 on channel 1.
    let mut stream = Vec::new();
    let parts: [(&str, usize); 5] = [
        ("RPY 0 1 * 287 20", 20),
        ("RPY 0 1 . 307 0", 0),
        ("ANS 1 0 * 0 20 0", 20),
        ("ANS 1 0 * 20 20 1", 20),
        ("ANS 1 0 . 40 10 0", 10),
    ];
    for (header, size) in parts {
        stream.extend_from_slice(header.as_bytes());
        stream.extend_from_slice(b"\r\n");
        stream.extend(std::iter::repeat_n(b'x', size));
        stream.extend_from_slice(b"END\r\n");
    }
    let mut rest = &stream[..];
    let mut seen = Vec::new();
    while !rest.is_empty() {
        let frame = decode_one(rest);
        seen.push((
            frame.frame_type(),
            frame.more(),
            frame.seqno(),
            frame.size(),
        ));
        assert_eq!(
            frame.header().to_string().as_bytes(),
            &frame.header_bytes()[..frame.header_len() - 2]
        );
        rest = &rest[frame.len()..];
    }
    assert_eq!(
        seen,
        [
            (FrameType::Rpy, More::Intermediate, 287, 20),
            (FrameType::Rpy, More::Complete, 307, 0),
            (FrameType::Ans { ansno: 0 }, More::Intermediate, 0, 20),
            (FrameType::Ans { ansno: 1 }, More::Intermediate, 20, 20),
            (FrameType::Ans { ansno: 0 }, More::Complete, 40, 10),
        ]
    );
}

#[test]
fn rfc_vectors_emit_byte_exact() {
    for bytes in [
        listener_greeting(),
        initiator_greeting(),
        start_otp(),
        error_550(),
    ] {
        let repr = FrameRepr::parse_bytes(&bytes).unwrap();
        assert_eq!(repr.buffer_len(), bytes.len());
        let mut out = vec![0; repr.buffer_len()];
        assert_eq!(repr.emit(&mut out), Ok(bytes.len()));
        assert_eq!(out, bytes);
        let mut short = vec![0; bytes.len() - 1];
        assert_eq!(
            repr.emit(&mut short),
            Err(Error::BufferTooSmall {
                required: bytes.len()
            })
        );
    }
}

#[test]
fn nul_and_seq_frames() {
    let nul = b"NUL 1 0 . 50 0\r\nEND\r\n";
    let frame = decode_one(nul);
    assert_eq!((frame.frame_type(), frame.ansno()), (FrameType::Nul, None));

    let seq = b"SEQ 3 4294967295 2147483647\r\n";
    let Ok(Status::Complete(Decoded::Seq(frame))) = Decoder::default().decode(seq) else {
        panic!("SEQ frame expected");
    };
    assert_eq!(
        SeqRepr::parse(&frame),
        SeqRepr {
            channel: 3,
            ackno: u32::MAX,
            window: MAX_31
        }
    );
    assert_eq!(frame.len(), seq.len());
    let mut out = [0; 64];
    let len = SeqRepr::parse(&frame).emit(&mut out).unwrap();
    assert_eq!(&out[..len], seq);
    assert_eq!(
        SeqFrame::new_checked(&seq[..]).map(|f| f.window()),
        Ok(MAX_31)
    );
    assert_eq!(
        SeqFrame::new_checked(&seq[..10]),
        Err(Error::Truncated { len: 10 })
    );
}

/// Every poorly-formed case RFC 3080 section 2.2.1.1 and 2.2.1.3 name that a codec can see
/// (the others need session state: channel, msgno and seqno bookkeeping).
#[test]
fn poorly_formed_frames_are_typed_errors() {
    let cases: &[(&[u8], Error)] = &[
        (b"FOO 0 0 . 0 0\r\n", Error::UnknownKeyword(*b"FOO")),
        (b"msg 0 0 . 0 0\r\n", Error::UnknownKeyword(*b"msg")),
        (
            b"MSG 2147483648 0 . 0 0\r\n",
            Error::NumberOutOfRange {
                field: Field::Channel,
            },
        ),
        (
            b"MSG 0 2147483648 . 0 0\r\n",
            Error::NumberOutOfRange {
                field: Field::Msgno,
            },
        ),
        (
            b"MSG 0 0 . 4294967296 0\r\n",
            Error::NumberOutOfRange {
                field: Field::Seqno,
            },
        ),
        (
            b"MSG 0 0 . 0 2147483648\r\n",
            Error::NumberOutOfRange { field: Field::Size },
        ),
        (
            b"ANS 0 0 . 0 0 4294967296\r\n",
            Error::NumberOutOfRange {
                field: Field::Ansno,
            },
        ),
        (
            b"SEQ 0 4294967296 0\r\n",
            Error::NumberOutOfRange {
                field: Field::Ackno,
            },
        ),
        (
            b"SEQ 0 0 2147483648\r\n",
            Error::NumberOutOfRange {
                field: Field::Window,
            },
        ),
        (
            b"MSG 00000000001 0 . 0 0\r\n",
            Error::NumberOutOfRange {
                field: Field::Channel,
            },
        ),
        (
            b"MSG 0 0 + 0 0\r\n",
            Error::MalformedHeader {
                offset: 8,
                expected: "'.' or '*'",
            },
        ),
        (
            b"MSG  0 0 . 0 0\r\n",
            Error::MalformedHeader {
                offset: 4,
                expected: "a decimal number",
            },
        ),
        (
            b"MSG 0 0 . 0 -1\r\n",
            Error::MalformedHeader {
                offset: 12,
                expected: "a decimal number",
            },
        ),
        (
            b"MSG 0 0 . 0 0\n",
            Error::MalformedHeader {
                offset: 13,
                expected: "CR LF",
            },
        ),
        (
            b"MSG 0 0 . 0 0 7\r\n",
            Error::MalformedHeader {
                offset: 13,
                expected: "CR LF",
            },
        ),
        (
            b"ANS 0 0 . 0 0\r\n",
            Error::MalformedHeader {
                offset: 13,
                expected: "a space",
            },
        ),
        (
            b"MSG\t0 0 . 0 0\r\n",
            Error::MalformedHeader {
                offset: 3,
                expected: "a space",
            },
        ),
        (b"NUL 1 0 * 0 0\r\nEND\r\n", Error::IntermediateNul),
        (
            b"NUL 1 0 . 0 3\r\nabcEND\r\n",
            Error::NulWithPayload { size: 3 },
        ),
        (
            b"MSG 1 0 . 0 3\r\nabcdEND\r\n",
            Error::MissingTrailer { size: 3 },
        ),
        (
            b"MSG 1 0 . 0 3\r\nabcEN\r\n\r\n",
            Error::MissingTrailer { size: 3 },
        ),
    ];
    for (bytes, error) in cases {
        assert_eq!(
            Decoder::default().decode(bytes),
            Err(*error),
            "{:?}",
            String::from_utf8_lossy(bytes)
        );
    }
}

#[test]
fn errors_come_before_the_line_is_complete() {
    let decoder = Decoder::default();
    assert_eq!(decoder.decode(b"XYZ"), Err(Error::UnknownKeyword(*b"XYZ")));
    assert_eq!(
        decoder.decode(b"MSG 99999999999"),
        Err(Error::NumberOutOfRange {
            field: Field::Channel
        })
    );
    assert_eq!(
        decoder.decode(b"MSG 3000000000"),
        Err(Error::NumberOutOfRange {
            field: Field::Channel
        })
    );
    // The maximum payload is checked as soon as the header is in, before any payload.
    assert_eq!(
        Decoder::new(4096).decode(b"MSG 1 0 . 0 4097\r\n"),
        Err(Error::FrameTooLarge {
            size: 4097,
            max: 4096
        })
    );
    assert_eq!(
        Decoder::new(4096).decode(b"MSG 1 0 . 0 4096\r\n"),
        Ok(Status::Incomplete { needed: 4096 + 5 })
    );
    assert_eq!(Decoder::new(u32::MAX).max_payload(), MAX_31);
}

#[test]
fn every_split_point_is_incomplete_then_complete() {
    let bytes = start_otp();
    let decoder = Decoder::default();
    let header_len = b"MSG 0 1 . 52 120\r\n".len();
    for cut in 0..bytes.len() {
        match decoder.decode(&bytes[..cut]) {
            Ok(Status::Incomplete { needed }) => {
                assert!(needed >= 1);
                assert!(cut + needed <= bytes.len());
                if cut >= header_len {
                    assert_eq!(cut + needed, bytes.len(), "exact once the header is in");
                }
            }
            other => panic!("cut at {cut}: {other:?}"),
        }
    }
    assert_eq!(decode_one(&bytes).len(), bytes.len());
}

#[test]
fn single_frame_views_check_the_length() {
    let mut bytes = initiator_greeting();
    assert!(Frame::new_checked(&bytes[..]).is_ok());
    assert_eq!(
        Frame::new_checked(&bytes[..bytes.len() - 1]),
        Err(Error::Truncated {
            len: bytes.len() - 1
        })
    );
    bytes.push(b'x');
    assert_eq!(
        Frame::new_checked(&bytes[..]),
        Err(Error::SizeMismatch {
            declared: bytes.len() - 1,
            actual: bytes.len()
        })
    );
    assert!(matches!(
        Frame::new_checked(&b"SEQ 0 0 0\r\n"[..]),
        Err(Error::MalformedHeader { offset: 0, .. })
    ));
}

#[test]
fn emit_refuses_what_parsing_would_refuse() {
    let base = FrameRepr {
        frame_type: FrameType::Msg,
        channel: 1,
        msgno: 0,
        more: More::Complete,
        seqno: 0,
        payload: b"",
    };
    let mut buf = [0; 128];
    assert_eq!(
        FrameRepr {
            channel: MAX_31 + 1,
            ..base
        }
        .emit(&mut buf),
        Err(Error::EmitOutOfRange {
            field: Field::Channel,
            value: u64::from(MAX_31) + 1
        })
    );
    assert_eq!(
        FrameRepr {
            msgno: u32::MAX,
            ..base
        }
        .emit(&mut buf),
        Err(Error::EmitOutOfRange {
            field: Field::Msgno,
            value: u64::from(u32::MAX)
        })
    );
    assert_eq!(
        FrameRepr {
            frame_type: FrameType::Nul,
            more: More::Intermediate,
            ..base
        }
        .emit(&mut buf),
        Err(Error::IntermediateNul)
    );
    assert_eq!(
        FrameRepr {
            frame_type: FrameType::Nul,
            payload: b"x",
            ..base
        }
        .emit(&mut buf),
        Err(Error::NulWithPayload { size: 1 })
    );
    assert_eq!(
        SeqRepr {
            channel: 0,
            ackno: 0,
            window: MAX_31 + 1
        }
        .emit(&mut buf),
        Err(Error::EmitOutOfRange {
            field: Field::Window,
            value: u64::from(MAX_31) + 1
        })
    );
    let longest = FrameRepr {
        frame_type: FrameType::Ans { ansno: u32::MAX },
        channel: MAX_31,
        msgno: MAX_31,
        more: More::Intermediate,
        seqno: u32::MAX,
        payload: b"",
    };
    let header = DataHeader {
        size: MAX_31,
        ..longest.header().unwrap()
    };
    assert_eq!(header.buffer_len(), MAX_HEADER_LEN);
    assert_eq!(header.emit(&mut buf), Ok(MAX_HEADER_LEN));
    assert_header_complete(&buf[..MAX_HEADER_LEN], MAX_31);
}

fn frame_type() -> impl Strategy<Value = FrameType> {
    prop_oneof![
        Just(FrameType::Msg),
        Just(FrameType::Rpy),
        Just(FrameType::Err),
        any::<u32>().prop_map(|ansno| FrameType::Ans { ansno }),
        Just(FrameType::Nul),
    ]
}

proptest! {
    #[test]
    fn data_frames_round_trip(
        frame_type in frame_type(),
        channel in 0..=MAX_31,
        msgno in 0..=MAX_31,
        intermediate in any::<bool>(),
        seqno in any::<u32>(),
        payload in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let nul = frame_type == FrameType::Nul;
        let repr = FrameRepr {
            frame_type,
            channel,
            msgno,
            more: if intermediate && !nul { More::Intermediate } else { More::Complete },
            seqno,
            payload: if nul { &[] } else { &payload },
        };
        let mut buf = vec![0; repr.buffer_len()];
        prop_assert_eq!(repr.emit(&mut buf), Ok(buf.len()));
        prop_assert!(repr.header().unwrap().buffer_len() <= MAX_HEADER_LEN);
        let frame = decode_one(&buf);
        prop_assert_eq!(frame.len(), buf.len());
        prop_assert_eq!(FrameRepr::parse(&frame), repr);
    }

    #[test]
    fn seq_frames_round_trip(channel in 0..=MAX_31, ackno in any::<u32>(), window in 0..=MAX_31) {
        let repr = SeqRepr { channel, ackno, window };
        let mut buf = vec![0; repr.buffer_len()];
        prop_assert_eq!(repr.emit(&mut buf), Ok(buf.len()));
        prop_assert_eq!(SeqFrame::new_checked(&buf[..]).map(|f| SeqRepr::parse(&f)), Ok(repr));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = Decoder::new(64).decode(&bytes);
        let _ = Frame::new_checked(&bytes[..]);
        let _ = SeqFrame::new_checked(&bytes[..]);
    }
}
