//! Any bytes as a BEEP stream: split into frames with a fuzzed maximum payload. Each frame
//! found must be complete only once all of it is there (every shorter prefix is
//! Incomplete), and its repr must emit to bytes that decode to the same repr. The bytes
//! are also read as one frame, and as a payload's MIME header block.
#![no_main]

use hark_wire::beep::frame::{Frame, FrameRepr};
use hark_wire::beep::mime::{MimeHeaders, MimeRepr};
use hark_wire::beep::seq::{SeqFrame, SeqRepr};
use hark_wire::beep::stream::{Decoded, Decoder, Status};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&limit, stream)) = data.split_first() else {
        return;
    };
    let decoder = Decoder::new(u32::from(limit) * 16);
    let mut rest = stream;
    let mut out = Vec::new();
    loop {
        match decoder.decode(rest) {
            Ok(Status::Complete(decoded)) => {
                let len = decoded.len();
                assert!(len > 0 && len <= rest.len());
                for cut in [0, len / 2, len - 1] {
                    assert!(
                        matches!(decoder.decode(&rest[..cut]), Ok(Status::Incomplete { needed }) if needed >= 1 && cut + needed <= len),
                        "a prefix of a whole frame must be incomplete"
                    );
                }
                match decoded {
                    Decoded::Data(frame) => {
                        assert_eq!(frame.payload().len(), frame.size() as usize);
                        let repr = FrameRepr::parse(&frame);
                        out.resize(repr.buffer_len(), 0);
                        let written = repr.emit(&mut out).expect("a parsed frame emits");
                        assert_eq!(written, out.len());
                        assert_eq!(FrameRepr::parse_bytes(&out), Ok(repr));
                        let _ = MimeHeaders::new_checked(frame.payload());
                    }
                    Decoded::Seq(seq) => {
                        let repr = SeqRepr::parse(&seq);
                        out.resize(repr.buffer_len(), 0);
                        repr.emit(&mut out).expect("a parsed SEQ emits");
                        let again = SeqFrame::new_checked(&out[..]).expect("emitted SEQ parses");
                        assert_eq!(SeqRepr::parse(&again), repr);
                    }
                }
                rest = &rest[len..];
            }
            Ok(Status::Incomplete { needed }) => {
                assert!(needed >= 1);
                break;
            }
            Err(_) => break,
        }
    }
    let _ = Frame::new_checked(stream);
    let _ = SeqFrame::new_checked(stream);
    if let Ok(mime) = MimeHeaders::new_checked(stream) {
        let _ = (mime.content_type(), mime.content_transfer_encoding(), mime.content());
        let repr = MimeRepr::parse(&mime);
        out.resize(repr.buffer_len(), 0);
        // Folded values keep their CR LF, which emit refuses; everything else re-parses.
        if repr.emit(&mut out).is_ok() {
            let again = MimeHeaders::new_checked(&out[..]).expect("emitted MIME parses");
            assert_eq!(MimeRepr::parse(&again), repr);
        }
    }
});
