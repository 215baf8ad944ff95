//! Building sessions in a known state and scripting the peer's side.

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Instant;

use hark_wire::beep::channel0::{Channel0Message, Close, ErrorReply, Greeting, Profile, Start};
use hark_wire::beep::header::FrameType;

use super::packets::{F, data, parse_all};
use crate::beep::{Event, Role, Session, SessionConfig};

/// The profile every test registers.
pub(super) const ECHO: &str = "http://example.org/beep/echo";

/// A fixed base instant.
pub(super) fn t0() -> Instant {
    static T0: OnceLock<Instant> = OnceLock::new();
    *T0.get_or_init(Instant::now)
}

pub(super) fn config(role: Role) -> SessionConfig {
    SessionConfig::new(role).profile(ECHO)
}

/// Everything the session writes now, as frames.
pub(super) fn out(s: &mut Session) -> Vec<F> {
    let mut bytes = Vec::new();
    let mut buf = vec![0u8; 1 << 16];
    while let Some(n) = s.poll_transmit(t0(), &mut buf) {
        bytes.extend_from_slice(&buf[..n]);
    }
    parse_all(&bytes)
}

/// Every event waiting.
pub(super) fn events(s: &mut Session) -> Vec<Event> {
    std::iter::from_fn(|| s.poll_event()).collect()
}

/// Feeds frames; returns how many bytes were consumed.
pub(super) fn feed(s: &mut Session, frames: &[F]) -> usize {
    let bytes: Vec<u8> = frames.iter().flat_map(F::bytes).collect();
    s.handle_bytes(t0(), &bytes)
}

/// A channel-0 payload for `msg`, as hark-wire writes it.
pub(super) fn mgmt(msg: &Channel0Message) -> Vec<u8> {
    let mut v = b"Content-Type: application/beep+xml\r\n\r\n".to_vec();
    v.extend_from_slice(&msg.to_vec().unwrap());
    v
}

/// Seqno bookkeeping for one direction of a scripted exchange.
#[derive(Debug, Default)]
pub(super) struct Seqs(HashMap<u32, u32>);

impl Seqs {
    /// A data frame on `channel` at the next seqno, advancing it.
    pub(super) fn frame(&mut self, kind: FrameType, channel: u32, msgno: u32, payload: &[u8]) -> F {
        let seqno = self.0.entry(channel).or_insert(0);
        let f = data(kind, channel, msgno, *seqno, payload);
        *seqno = seqno.wrapping_add(payload.len() as u32);
        f
    }

    /// The next seqno on `channel`.
    pub(super) fn next(&self, channel: u32) -> u32 {
        self.0.get(&channel).copied().unwrap_or(0)
    }

    /// Skips `n` octets on `channel`.
    pub(super) fn skip(&mut self, channel: u32, n: u32) {
        let s = self.0.entry(channel).or_insert(0);
        *s = s.wrapping_add(n);
    }
}

/// A scripted remote peer plus the mirror of what the session under test sends.
pub(super) struct Script {
    pub(super) s: Session,
    /// What the peer has sent, per channel.
    pub(super) peer: Seqs,
    /// What the session has sent, per channel (advanced by `expect`).
    pub(super) mine: Seqs,
    /// The peer's next channel-0 msgno.
    pub(super) peer_msgno0: u32,
}

impl Script {
    /// A session of `role` whose greeting went out and the peer's (empty) greeting came in.
    pub(super) fn greeted(cfg: SessionConfig) -> Self {
        let mut s = Session::new(t0(), cfg);
        let mut mine = Seqs::default();
        for f in out(&mut s) {
            mine.skip(0, f.payload().len() as u32);
        }
        let mut script = Self {
            s,
            peer: Seqs::default(),
            mine,
            peer_msgno0: 1,
        };
        let greeting = script.peer.frame(
            FrameType::Rpy,
            0,
            0,
            &mgmt(&Channel0Message::Greeting(Greeting::default())),
        );
        feed(&mut script.s, &[greeting]);
        let ev = events(&mut script.s);
        assert!(
            matches!(ev.as_slice(), [Event::GreetingReceived { .. }]),
            "{ev:?}"
        );
        script
    }

    /// The peer sends `frames`.
    pub(super) fn feed(&mut self, frames: &[F]) -> usize {
        feed(&mut self.s, frames)
    }

    /// A peer frame at the right seqno.
    pub(super) fn peer(&mut self, kind: FrameType, channel: u32, msgno: u32, payload: &[u8]) -> F {
        self.peer.frame(kind, channel, msgno, payload)
    }

    /// An expected frame from the session at the right seqno.
    pub(super) fn mine(&mut self, kind: FrameType, channel: u32, msgno: u32, payload: &[u8]) -> F {
        self.mine.frame(kind, channel, msgno, payload)
    }

    /// The peer asks to start `channel` on `uris`; returns the channel-0 msgno used.
    pub(super) fn peer_start(&mut self, channel: u32, uris: &[&str]) -> u32 {
        let msgno = self.peer_msgno0;
        self.peer_msgno0 += 1;
        let start = Channel0Message::Start(Start {
            number: channel,
            server_name: None,
            profiles: uris.iter().map(|u| Profile::new(*u)).collect(),
        });
        let f = self.peer(FrameType::Msg, 0, msgno, &mgmt(&start));
        self.feed(&[f]);
        msgno
    }

    /// The peer starts `channel` on ECHO and the session accepts: the exact RPY checked.
    pub(super) fn open(&mut self, channel: u32) {
        let msgno = self.peer_start(channel, &[ECHO]);
        let mut ev = events(&mut self.s);
        let Some(Event::ChannelStartRequested(req)) = ev.pop() else {
            panic!("{ev:?}")
        };
        assert_eq!(req.channel(), channel);
        assert!(req.accept());
        let ev = events(&mut self.s);
        assert!(
            matches!(ev.as_slice(), [Event::ChannelStarted { channel: c, .. }] if *c == channel),
            "{ev:?}"
        );
        let expected = self.rpy0(msgno, &Channel0Message::Profile(Profile::new(ECHO)));
        assert_eq!(out(&mut self.s), vec![expected]);
    }

    /// The peer asks to close `channel`; returns the channel-0 msgno used.
    pub(super) fn peer_close(&mut self, channel: u32) -> u32 {
        let msgno = self.peer_msgno0;
        self.peer_msgno0 += 1;
        let close = Channel0Message::Close(Close {
            number: channel,
            code: 200,
            lang: None,
            text: None,
        });
        let f = self.peer(FrameType::Msg, 0, msgno, &mgmt(&close));
        self.feed(&[f]);
        msgno
    }

    /// The expected `ERR` on channel 0 for `msgno`.
    pub(super) fn err0(&mut self, msgno: u32, code: u16, text: &str) -> F {
        let e = Channel0Message::Error(ErrorReply {
            code,
            lang: None,
            text: Some(text.to_owned()),
        });
        self.mine(FrameType::Err, 0, msgno, &mgmt(&e))
    }

    /// The expected `RPY` on channel 0 for `msgno` carrying `msg`.
    pub(super) fn rpy0(&mut self, msgno: u32, msg: &Channel0Message) -> F {
        self.mine(FrameType::Rpy, 0, msgno, &mgmt(msg))
    }
}
