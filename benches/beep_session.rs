//! Throughput of two in-memory BEEP sessions (`hark_proto::beep`) wired back to back: the
//! initiator sends 64 KiB MSGs spread over 1 or 64 channels, the listener answers each with
//! an empty RPY. No clock, no sockets: what the sessions themselves cost, with RFC 3081's
//! 4096-octet default window (a SEQ every 2 KiB per channel) and with 1 MiB windows.

use std::hint::black_box;
use std::time::Instant;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use hark_proto::beep::{Event, Role, Session, SessionConfig};

const PROFILE: &str = "http://example.org/beep/bench";
const MESSAGE: usize = 64 * 1024;
const PER_ROUND: usize = 4 << 20;

struct Duo {
    a: Session,
    b: Session,
    channels: Vec<u32>,
    buf: Vec<u8>,
    now: Instant,
}

impl Duo {
    fn new(channels: usize, window: u32) -> Self {
        let now = Instant::now();
        let cfg = |role| {
            let mut c = SessionConfig::new(role).profile_with_window(PROFILE, window);
            c.send_queue_limit = 8 << 20;
            c.max_outstanding = 4096;
            c
        };
        let mut duo = Self {
            a: Session::new(now, cfg(Role::Initiator)),
            b: Session::new(now, cfg(Role::Listener)),
            channels: Vec::new(),
            buf: vec![0; 256 * 1024],
            now,
        };
        duo.pump(&mut 0);
        for _ in 0..channels {
            duo.a.start_channel(&[PROFILE]).unwrap();
        }
        duo.pump(&mut 0);
        assert_eq!(duo.channels.len(), channels);
        duo
    }

    /// Moves bytes both ways until neither side has anything to say; counts replies.
    fn pump(&mut self, replies: &mut usize) {
        loop {
            let mut moved = false;
            while let Some(n) = self.a.poll_transmit(self.now, &mut self.buf) {
                moved = true;
                let mut at = 0;
                while at < n {
                    at += self.b.handle_bytes(self.now, &self.buf[at..n]);
                    while let Some(ev) = self.b.poll_event() {
                        match ev {
                            Event::ChannelStartRequested(req) => {
                                req.accept();
                            }
                            Event::Message {
                                channel,
                                msgno,
                                payload,
                            } => {
                                black_box(&payload);
                                self.b.reply(channel, msgno, &b"\r\n"[..]).unwrap();
                            }
                            _ => {}
                        }
                    }
                }
            }
            while let Some(n) = self.b.poll_transmit(self.now, &mut self.buf) {
                moved = true;
                let mut at = 0;
                while at < n {
                    at += self.a.handle_bytes(self.now, &self.buf[at..n]);
                    while let Some(ev) = self.a.poll_event() {
                        match ev {
                            Event::ChannelStarted { channel, .. } => self.channels.push(channel),
                            Event::Reply { .. } => *replies += 1,
                            _ => {}
                        }
                    }
                }
            }
            if !moved {
                return;
            }
        }
    }

    /// Sends PER_ROUND octets as 64 KiB MSGs round the channels; waits for every reply.
    fn round(&mut self, payload: &bytes::Bytes) {
        let count = PER_ROUND / MESSAGE;
        for i in 0..count {
            let ch = self.channels[i % self.channels.len()];
            self.a.send(ch, payload.clone()).unwrap();
        }
        let mut replies = 0;
        self.pump(&mut replies);
        assert_eq!(replies, count);
    }
}

fn bench(c: &mut Criterion) {
    let payload = bytes::Bytes::from(vec![0x5a; MESSAGE]);
    let mut group = c.benchmark_group("beep_session");
    group.throughput(Throughput::Bytes(PER_ROUND as u64));
    group.sample_size(10);
    for (label, window) in [("window_4k", 4096), ("window_1m", 1 << 20)] {
        for channels in [1, 64] {
            let mut duo = Duo::new(channels, window);
            group.bench_with_input(BenchmarkId::new(label, channels), &channels, |b, _| {
                b.iter(|| duo.round(&payload));
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
