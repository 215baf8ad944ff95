//! Any bytes as a peer-wire stream (with and without a handshake first, under a maximum
//! length the input picks), fed whole and in slices the input picks: the decoder never
//! panics, a whole-stream decode and a sliced one agree, every message re-emits to its own
//! bytes, the checked views accept exactly what the decoder accepted, and an extended
//! handshake that parses re-emits to the same fields.
#![no_main]

use hark_wire::bt::peer::{
    Decoded, Decoder, ExtendedHandshake, Frame, Handshake, Message, MessageRepr,
};
use libfuzzer_sys::fuzz_target;

/// Decodes all of `bytes`; returns the frames' byte spans and where decoding stopped.
fn decode_all(decoder: &mut Decoder, bytes: &[u8]) -> (Vec<(usize, usize)>, usize, bool) {
    let mut spans = Vec::new();
    let mut at = 0;
    loop {
        match decoder.decode(&bytes[at..]) {
            Ok(Decoded::Complete { value, consumed }) => {
                assert!(consumed > 0);
                let whole = &bytes[at..at + consumed];
                match value {
                    Frame::Handshake(hs) => {
                        assert_eq!(hs.to_bytes()[..], whole[..]);
                        assert!(Handshake::new_checked(whole).is_ok());
                    }
                    Frame::Message(msg) => {
                        let mut out = vec![0; msg.buffer_len()];
                        assert_eq!(msg.emit(&mut out), Ok(consumed));
                        assert_eq!(out, whole);
                        let view = Message::new_checked(whole).expect("decoded => checked");
                        assert_eq!(MessageRepr::parse(&view), msg);
                        // An extended handshake that parses re-emits to the same fields.
                        if let MessageRepr::Extended { id: 0, payload } = msg
                            && let Ok(hs) = ExtendedHandshake::parse(payload)
                        {
                            assert_eq!(ExtendedHandshake::parse(&hs.to_vec()), Ok(hs));
                        }
                    }
                }
                spans.push((at, consumed));
                at += consumed;
            }
            Ok(Decoded::Incomplete { needed }) => {
                assert!(needed > 0);
                return (spans, at, false);
            }
            Err(_) => return (spans, at, true),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&control, bytes)) = data.split_first() else {
        return;
    };
    let max = u32::from(control & 0x7f) * 64;
    let fresh = || {
        if control & 0x80 != 0 {
            Decoder::new(max)
        } else {
            Decoder::after_handshake(max)
        }
    };
    let (spans, stopped, failed) = decode_all(&mut fresh(), bytes);

    // The same stream arriving in slices of a size the input picks.
    let step = usize::from(control % 13) + 1;
    let mut decoder = fresh();
    let mut buffer = Vec::new();
    let mut base = 0;
    let mut sliced = Vec::new();
    let mut sliced_failed = false;
    'outer: for chunk in bytes.chunks(step) {
        buffer.extend_from_slice(chunk);
        loop {
            match decoder.decode(&buffer) {
                Ok(Decoded::Complete { consumed, .. }) => {
                    sliced.push((base, consumed));
                    base += consumed;
                    buffer.drain(..consumed);
                }
                Ok(Decoded::Incomplete { .. }) => break,
                Err(_) => {
                    sliced_failed = true;
                    break 'outer;
                }
            }
        }
    }
    assert_eq!(sliced, spans);
    assert_eq!(sliced_failed, failed);
    if !failed {
        assert_eq!(base, stopped);
    }
});
