//! hark's BEEP facade: an echo listener and a client whose frame handler answers each
//! reply with the next MSG, so `depth` messages stay in flight per channel, all on the
//! reactor threads.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hark::beep::tls::{ClientTrust, TlsSource, client_config};
use hark::beep::{BeepContext, ChannelHandlers, Frame, FrameType, Profile, ReplyKind};

use crate::Figure;

const PROFILE: &str = "http://example.org/beep/bench-echo";
const T: Duration = Duration::from_secs(30);

#[derive(Default)]
struct Counts {
    stop: AtomicBool,
    sent: AtomicU64,
    done: AtomicU64,
    idle: (Mutex<()>, Condvar),
}

/// Echoes `size`-byte messages on `channels` channels, `depth` in flight on each, for
/// about `time` (after a warm-up of a fifth of it), with receive windows of `window`.
pub fn run(
    window: u32,
    tls: bool,
    channels: usize,
    size: usize,
    depth: usize,
    time: Duration,
) -> Figure {
    let server = BeepContext::new().expect("server reactor");
    server.register(Profile::new(PROFILE).window(window).on_frame(
        (),
        |conn, channel, frame: &Frame, _| {
            if frame.kind() == FrameType::Msg {
                let _ = conn.reply(
                    channel,
                    frame.msgno(),
                    ReplyKind::Rpy,
                    frame.payload().clone(),
                );
            }
        },
    ));
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("certificate");
    let cert = certified.cert.pem().into_bytes();
    if tls {
        server.tls_credentials(
            TlsSource::Pem(cert.clone()),
            TlsSource::Pem(certified.signing_key.serialize_pem().into_bytes()),
        );
    }
    let listener = server
        .listen("127.0.0.1:0".parse().expect("address"))
        .expect("listen");
    let client = BeepContext::new().expect("client reactor");
    client.register(Profile::new(PROFILE).window(window));
    let conn = client.connect(listener.local_addr(), T).expect("connect");
    if tls {
        let config = client_config(&ClientTrust::Roots(TlsSource::Pem(cert))).expect("config");
        conn.start_tls(config, "localhost", T).expect("TLS");
    }

    let mut payload = vec![0x5au8; size];
    payload[..2].copy_from_slice(b"\r\n");
    let payload = Bytes::from(payload);
    let counts = Arc::new(Counts::default());
    let mut numbers = Vec::new();
    for _ in 0..channels {
        let handlers = ChannelHandlers::new().on_frame(
            (counts.clone(), payload.clone()),
            |conn, channel, frame, (counts, payload)| {
                if frame.kind() != FrameType::Rpy {
                    return;
                }
                counts.done.fetch_add(1, Ordering::Relaxed);
                if !counts.stop.load(Ordering::Relaxed)
                    && conn.send(channel, payload.clone()).is_ok()
                {
                    counts.sent.fetch_add(1, Ordering::Relaxed);
                } else if counts.done.load(Ordering::Relaxed) == counts.sent.load(Ordering::Relaxed)
                {
                    counts.idle.1.notify_all();
                }
            },
        );
        numbers.push(conn.open_channel(PROFILE, handlers, T).expect("channel"));
    }
    for &channel in &numbers {
        for _ in 0..depth {
            conn.send(channel, payload.clone()).expect("send");
            counts.sent.fetch_add(1, Ordering::Relaxed);
        }
    }
    std::thread::sleep(time / 5);
    let (t0, base) = (Instant::now(), counts.done.load(Ordering::Relaxed));
    std::thread::sleep(time);
    let figure = Figure {
        messages: counts.done.load(Ordering::Relaxed) - base,
        size,
        elapsed: t0.elapsed(),
    };
    counts.stop.store(true, Ordering::Relaxed);
    // Let what is in flight come back before closing.
    let deadline = Instant::now() + T;
    let mut guard = counts.idle.0.lock().expect("idle lock");
    while counts.done.load(Ordering::Relaxed) < counts.sent.load(Ordering::Relaxed) {
        assert!(Instant::now() < deadline, "replies missing");
        guard = counts
            .idle
            .1
            .wait_timeout(guard, Duration::from_millis(50))
            .expect("idle wait")
            .0;
    }
    drop(guard);
    conn.close(T).expect("close");
    figure
}
