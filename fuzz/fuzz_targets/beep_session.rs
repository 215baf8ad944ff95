//! Feeds a BEEP session arbitrary bytes (after a valid greeting and channel start when the
//! first byte says so, to reach channel traffic), cut into arbitrary pieces, while an
//! application answers every decision and message. Checks: no panic, `handle_bytes` never
//! claims more than it was given, and everything the session writes is a well-formed frame
//! stream.
#![no_main]

use std::time::Instant;

use hark_proto::beep::{Event, Role, Session, SessionConfig};
use hark_wire::beep::stream::{Decoder, Status};
use libfuzzer_sys::fuzz_target;

const ECHO: &str = "http://example.org/echo";

/// A peer greeting and a start of channel 1 on ECHO, as a hark initiator would send them.
fn prelude() -> Vec<u8> {
    let now = Instant::now();
    let mut peer = Session::new(now, SessionConfig::new(Role::Initiator).profile(ECHO));
    let _ = peer.start_channel(&[ECHO]);
    let mut out = Vec::new();
    let mut buf = vec![0u8; 4096];
    while let Some(n) = peer.poll_transmit(now, &mut buf) {
        out.extend_from_slice(&buf[..n]);
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let now = Instant::now();
    let role = if mode & 2 == 0 { Role::Listener } else { Role::Initiator };
    let mut cfg = SessionConfig::new(role).profile(ECHO).tls(mode & 4 != 0);
    cfg.max_events = 64;
    cfg.max_frame_in = 1 << 16;
    let mut s = Session::new(now, cfg);
    let mut input = if mode & 1 == 1 && role == Role::Listener {
        prelude()
    } else {
        Vec::new()
    };
    input.extend_from_slice(rest);

    let mut written = Vec::new();
    let mut buf = vec![0u8; 2048];
    let mut pos = 0;
    let mut cut = rest.iter().copied().cycle();
    let mut turn = 0u32;
    let mut stalled = 0;
    while pos < input.len() && stalled < 4 {
        let len = 1 + usize::from(cut.next().unwrap_or(0)) * 4;
        let end = (pos + len).min(input.len());
        let n = s.handle_bytes(now, &input[pos..end]);
        assert!(n <= end - pos);
        stalled = if n == 0 { stalled + 1 } else { 0 };
        pos += n;
        while let Some(ev) = s.poll_event() {
            turn += 1;
            match ev {
                Event::ChannelStartRequested(req) => {
                    if turn % 3 == 0 {
                        req.deny(421, "no");
                    } else {
                        req.accept();
                    }
                }
                Event::ChannelCloseRequested(req) => drop(req),
                Event::Message { channel, msgno, .. } => match turn % 3 {
                    0 => {
                        let _ = s.reply(channel, msgno, &b"r"[..]);
                    }
                    1 => {
                        let _ = s.answer(channel, msgno, &b"a"[..]);
                        let _ = s.finish_answers(channel, msgno);
                    }
                    _ => {
                        let _ = s.reply_error(channel, msgno, &b"e"[..]);
                    }
                },
                Event::ChannelStarted { channel, .. } => {
                    let _ = s.send(channel, vec![7u8; 5000]);
                }
                Event::TlsSwitch { .. } => s.reset_after_tls(now),
                _ => {}
            }
        }
        while let Some(n) = s.poll_transmit(now, &mut buf) {
            written.extend_from_slice(&buf[..n]);
        }
    }
    // The output is a stream of well-formed frames.
    let decoder = Decoder::new(i32::MAX as u32);
    let mut at = 0;
    while at < written.len() {
        match decoder.decode(&written[at..]).expect("the session wrote a poorly-formed frame") {
            Status::Complete(frame) => at += frame.len(),
            Status::Incomplete { .. } => panic!("the session wrote a partial frame"),
        }
    }
});
