//! Frames as owned values, to write tests as "this frame in, these frames out".

use hark_wire::beep::frame::FrameRepr;
use hark_wire::beep::header::{FrameType, More};
use hark_wire::beep::seq::SeqRepr;
use hark_wire::beep::stream::{Decoded, Decoder, Status};

/// One frame, data or SEQ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum F {
    Data {
        kind: FrameType,
        channel: u32,
        msgno: u32,
        more: bool,
        seqno: u32,
        payload: Vec<u8>,
    },
    Seq {
        channel: u32,
        ackno: u32,
        window: u32,
    },
}

/// A template data frame: complete, channel 1, msgno 0, seqno 0, empty; override fields
/// with struct update syntax through the helpers below.
pub(super) fn data(kind: FrameType, channel: u32, msgno: u32, seqno: u32, payload: &[u8]) -> F {
    F::Data {
        kind,
        channel,
        msgno,
        more: false,
        seqno,
        payload: payload.to_vec(),
    }
}

/// The same frame with `*`.
pub(super) fn more(f: F) -> F {
    match f {
        F::Data {
            kind,
            channel,
            msgno,
            seqno,
            payload,
            ..
        } => F::Data {
            kind,
            channel,
            msgno,
            more: true,
            seqno,
            payload,
        },
        seq => seq,
    }
}

pub(super) fn seq(channel: u32, ackno: u32, window: u32) -> F {
    F::Seq {
        channel,
        ackno,
        window,
    }
}

impl F {
    pub(super) fn bytes(&self) -> Vec<u8> {
        let mut buf = vec![0; self.len_hint()];
        let n = match self {
            F::Data {
                kind,
                channel,
                msgno,
                more,
                seqno,
                payload,
            } => FrameRepr {
                frame_type: *kind,
                channel: *channel,
                msgno: *msgno,
                more: if *more {
                    More::Intermediate
                } else {
                    More::Complete
                },
                seqno: *seqno,
                payload,
            }
            .emit(&mut buf)
            .unwrap(),
            F::Seq {
                channel,
                ackno,
                window,
            } => SeqRepr {
                channel: *channel,
                ackno: *ackno,
                window: *window,
            }
            .emit(&mut buf)
            .unwrap(),
        };
        buf.truncate(n);
        buf
    }

    fn len_hint(&self) -> usize {
        match self {
            F::Data { payload, .. } => payload.len() + 128,
            F::Seq { .. } => 64,
        }
    }

    pub(super) fn payload(&self) -> &[u8] {
        match self {
            F::Data { payload, .. } => payload,
            F::Seq { .. } => &[],
        }
    }
}

/// Splits a byte stream into frames; panics on anything else (the session must only ever
/// write well-formed frames).
pub(super) fn parse_all(mut bytes: &[u8]) -> Vec<F> {
    let decoder = Decoder::new(i32::MAX as u32);
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let Status::Complete(decoded) = decoder.decode(bytes).expect("well-formed output") else {
            panic!(
                "output ends inside a frame: {:?}",
                String::from_utf8_lossy(bytes)
            );
        };
        let len = decoded.len();
        out.push(match decoded {
            Decoded::Data(f) => {
                let r = FrameRepr::parse(&f);
                F::Data {
                    kind: r.frame_type,
                    channel: r.channel,
                    msgno: r.msgno,
                    more: r.more == More::Intermediate,
                    seqno: r.seqno,
                    payload: r.payload.to_vec(),
                }
            }
            Decoded::Seq(s) => {
                let r = SeqRepr::parse(&s);
                F::Seq {
                    channel: r.channel,
                    ackno: r.ackno,
                    window: r.window,
                }
            }
        });
        bytes = &bytes[len..];
    }
    out
}
