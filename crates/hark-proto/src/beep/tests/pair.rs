//! Two sessions over an in-memory byte pipe with a virtual clock: random chunking of the
//! stream, delay and rate, all from the netsim's seeded RNG. And the bulk test: 64
//! channels, random-size messages both ways, ANS/NUL replies, every byte and reply checked.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::setup::{ECHO, t0};
use crate::beep::{Event, Reply, Role, SendError, Session, SessionConfig};
use crate::netsim::SimRng;

/// One direction of the byte stream.
struct Pipe {
    rng: SimRng,
    delay: Duration,
    /// Octets per second.
    rate: u64,
    max_chunk: u64,
    busy_until: Instant,
    queue: VecDeque<(Instant, Vec<u8>)>,
}

impl Pipe {
    fn push(&mut self, now: Instant, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let n = (1 + self.rng.below(self.max_chunk) as usize).min(bytes.len());
            let start = self.busy_until.max(now);
            self.busy_until = start + Duration::from_nanos(n as u64 * 1_000_000_000 / self.rate);
            self.queue
                .push_back((self.busy_until + self.delay, bytes[..n].to_vec()));
            bytes = &bytes[n..];
        }
    }

    fn next_arrival(&self) -> Option<Instant> {
        self.queue.front().map(|(t, _)| *t)
    }
}

/// One end: the session and what it has not consumed yet.
pub(super) struct End {
    pub(super) s: Session,
    inbox: Vec<u8>,
}

/// Two sessions and the pipes between them.
pub(super) struct Pair {
    pub(super) ends: [End; 2],
    pipes: [Pipe; 2],
    pub(super) now: Instant,
    buf: Vec<u8>,
}

/// The shape of the simulated link.
#[derive(Debug, Clone, Copy)]
pub(super) struct Link {
    pub(super) delay: Duration,
    pub(super) rate: u64,
    pub(super) max_chunk: u64,
}

impl Pair {
    pub(super) fn new(
        seed: u64,
        initiator: SessionConfig,
        listener: SessionConfig,
        link: Link,
    ) -> Self {
        let now = t0();
        let pipe = |stream| Pipe {
            rng: SimRng::for_stream(seed, stream),
            delay: link.delay,
            rate: link.rate,
            max_chunk: link.max_chunk,
            busy_until: now,
            queue: VecDeque::new(),
        };
        Self {
            ends: [
                End {
                    s: Session::new(now, initiator),
                    inbox: Vec::new(),
                },
                End {
                    s: Session::new(now, listener),
                    inbox: Vec::new(),
                },
            ],
            pipes: [pipe(100), pipe(101)],
            now,
            buf: vec![0; 256 * 1024],
        }
    }

    /// Moves everything both sessions want to write into the pipes.
    pub(super) fn flush(&mut self) {
        for i in 0..2 {
            while let Some(n) = self.ends[i].s.poll_transmit(self.now, &mut self.buf) {
                self.pipes[i].push(self.now, &self.buf[..n]);
            }
        }
    }

    /// Delivers what has arrived, letting `app` handle each event; then jumps the clock to
    /// the next arrival. Returns false when nothing is left in flight.
    pub(super) fn step(&mut self, app: &mut impl FnMut(usize, &mut Session, Event)) -> bool {
        self.flush();
        for i in 0..2 {
            let j = 1 - i;
            while let Some((t, _)) = self.pipes[i].queue.front() {
                if *t > self.now {
                    break;
                }
                let (_, chunk) = self.pipes[i].queue.pop_front().expect("front exists");
                self.ends[j].inbox.extend_from_slice(&chunk);
                self.deliver(j, app);
            }
        }
        self.flush();
        let next = self.pipes.iter().filter_map(Pipe::next_arrival).min();
        match next {
            Some(t) => {
                self.now = self.now.max(t);
                true
            }
            None => false,
        }
    }

    /// Feeds the inbox of end `j`, draining events between attempts (backpressure).
    fn deliver(&mut self, j: usize, app: &mut impl FnMut(usize, &mut Session, Event)) {
        loop {
            let end = &mut self.ends[j];
            let n = end.s.handle_bytes(self.now, &end.inbox);
            end.inbox.drain(..n);
            let mut any = false;
            while let Some(ev) = self.ends[j].s.poll_event() {
                any = true;
                app(j, &mut self.ends[j].s, ev);
            }
            if self.ends[j].inbox.is_empty() || (n == 0 && !any) {
                break;
            }
        }
    }
}

/// FNV-1a, to answer a message with a digest of it.
fn digest(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The `idx`-th message end `from` sends on `channel`: deterministic bytes.
fn body(seed: u64, from: usize, channel: u32, idx: usize, len: usize) -> Bytes {
    let mut rng = SimRng::for_stream(
        seed,
        (from as u64) << 48 | u64::from(channel) << 16 | idx as u64,
    );
    let mut v = vec![0u8; len];
    for chunk in v.chunks_mut(8) {
        let x = rng.next_u64().to_le_bytes();
        chunk.copy_from_slice(&x[..chunk.len()]);
    }
    Bytes::from(v)
}

/// How the receiver answers message `idx`: RPY, k ANS then NUL, or a bare NUL.
fn reply_plan(idx: usize) -> usize {
    idx % 4
}

/// What one end of the bulk test knows and checks.
#[derive(Default)]
struct Book {
    /// Per channel: sizes still to send, the next one's body once made.
    plan: BTreeMap<u32, (VecDeque<usize>, Option<Bytes>)>,
    /// Per channel: index of the next message to send.
    next_send: HashMap<u32, usize>,
    /// Per channel: index of the next message expected from the peer.
    next_recv: HashMap<u32, usize>,
    /// Our MSGs awaiting replies: (channel, msgno) -> (idx, digest, answers seen).
    waiting: HashMap<(u32, u32), (usize, u64, u32)>,
    /// Received MSGs we owe replies to: (channel, msgno, idx, digest).
    owed: Vec<(u32, u32, usize, u64)>,
    sent: usize,
    received: usize,
    replies_matched: usize,
    bytes_received: usize,
}

struct Bulk {
    seed: u64,
    books: [Book; 2],
    rng: SimRng,
    channels: usize,
    per_channel: usize,
    max_size: usize,
}

impl Bulk {
    fn new(seed: u64, channels: usize, per_channel: usize) -> Self {
        Self {
            seed,
            books: [Book::default(), Book::default()],
            rng: SimRng::for_stream(seed, 7),
            channels,
            per_channel,
            max_size: 1 << 20,
        }
    }

    fn plan_channel(&mut self, end: usize, channel: u32) {
        let mut sizes = VecDeque::new();
        for i in 0..self.per_channel {
            // Log-uniform from 1 octet to 1 MiB; the initiator's first message on
            // channel 1 is a whole MiB.
            let bits = (self.max_size as f64).log2();
            let size = if end == 0 && channel == 1 && i == 0 {
                self.max_size
            } else {
                (bits * core::f64::consts::LN_2 * self.rng.unit()).exp() as usize
            };
            sizes.push_back(size.clamp(1, self.max_size));
        }
        self.books[end].plan.insert(channel, (sizes, None));
    }

    fn send_some(&mut self, end: usize, s: &mut Session) {
        let seed = self.seed;
        let book = &mut self.books[end];
        for (&channel, (sizes, made)) in book.plan.iter_mut() {
            while let Some(&len) = sizes.front() {
                let idx = *book.next_send.get(&channel).unwrap_or(&0);
                let payload = made
                    .take()
                    .unwrap_or_else(|| body(seed, end, channel, idx, len));
                match s.send(channel, payload.clone()) {
                    Ok(msgno) => {
                        let d = digest(&payload);
                        sizes.pop_front();
                        book.next_send.insert(channel, idx + 1);
                        book.waiting.insert((channel, msgno), (idx, d, 0));
                        book.sent += 1;
                    }
                    Err(SendError::QueueFull | SendError::TooManyOutstanding) => {
                        *made = Some(payload);
                        break;
                    }
                    Err(e) => panic!("seed {seed}: send on {channel}: {e}"),
                }
            }
        }
    }

    fn answer_some(&mut self, end: usize, s: &mut Session, all: bool) {
        let book = &mut self.books[end];
        while !book.owed.is_empty() {
            if !all && !self.rng.chance(0.5) {
                break;
            }
            // Answer in a random order: the session must still reply in msgno order.
            let i = self.rng.below(book.owed.len() as u64) as usize;
            let (channel, msgno, idx, d) = book.owed.swap_remove(i);
            match reply_plan(idx) {
                0 => s.reply(channel, msgno, d.to_le_bytes().to_vec()).unwrap(),
                1 | 2 => {
                    for k in 0..reply_plan(idx) as u32 {
                        let mut p = d.to_le_bytes().to_vec();
                        p.extend_from_slice(&k.to_le_bytes());
                        assert_eq!(s.answer(channel, msgno, p), Ok(k));
                    }
                    s.finish_answers(channel, msgno).unwrap();
                }
                _ => s.finish_answers(channel, msgno).unwrap(),
            }
        }
    }

    fn on_event(&mut self, end: usize, s: &mut Session, ev: Event) {
        let seed = self.seed;
        match ev {
            Event::GreetingReceived { .. } => {
                if end == 0 {
                    for _ in 0..self.channels {
                        s.start_channel(&[ECHO]).unwrap();
                    }
                }
            }
            Event::ChannelStartRequested(req) => {
                assert!(req.accept());
            }
            Event::ChannelStarted { channel, .. } => {
                self.plan_channel(end, channel);
                self.send_some(end, s);
            }
            Event::Message {
                channel,
                msgno,
                payload,
            } => {
                let book = &mut self.books[end];
                let idx = book.next_recv.entry(channel).or_insert(0);
                let expected = body(seed, 1 - end, channel, *idx, payload.len());
                assert!(
                    payload == expected,
                    "seed {seed}: message {idx} on channel {channel} differs"
                );
                book.owed.push((channel, msgno, *idx, digest(&payload)));
                *idx += 1;
                book.received += 1;
                book.bytes_received += payload.len();
            }
            Event::Reply {
                channel,
                msgno,
                reply,
            } => {
                let book = &mut self.books[end];
                let entry = book
                    .waiting
                    .get_mut(&(channel, msgno))
                    .unwrap_or_else(|| panic!("seed {seed}: unmatched reply {channel}/{msgno}"));
                let (idx, d, seen) = *entry;
                let done = match (reply_plan(idx), reply) {
                    (0, Reply::Rpy(p)) => {
                        assert_eq!(p.as_ref(), d.to_le_bytes(), "seed {seed}");
                        true
                    }
                    (1 | 2, Reply::Ans { payload, .. }) => {
                        let mut want = d.to_le_bytes().to_vec();
                        want.extend_from_slice(&seen.to_le_bytes());
                        assert_eq!(payload.as_ref(), want, "seed {seed}: ANS in order");
                        entry.2 += 1;
                        false
                    }
                    (k, Reply::Nul) => {
                        assert!(k != 0, "seed {seed}: NUL for an RPY");
                        assert_eq!(seen as usize, if k == 3 { 0 } else { k }, "seed {seed}");
                        true
                    }
                    (k, r) => panic!("seed {seed}: plan {k} got {r:?}"),
                };
                if done {
                    book.waiting.remove(&(channel, msgno));
                    book.replies_matched += 1;
                    self.send_some(end, s);
                }
            }
            Event::Unthrottled { .. } => self.send_some(end, s),
            Event::Throttled { .. } => {}
            other => panic!("seed {seed}: unexpected {other:?}"),
        }
    }

    fn done(&self) -> bool {
        let total = self.channels * self.per_channel;
        self.books
            .iter()
            .all(|b| b.sent == total && b.received == total && b.replies_matched == total)
    }
}

fn link_for(seed: u64, tiny: bool) -> Link {
    let mut rng = SimRng::for_stream(seed, 3);
    Link {
        delay: Duration::from_micros(rng.below(5_000)),
        rate: [20_000_000, 100_000_000, 1_000_000_000][rng.below(3) as usize],
        max_chunk: if tiny {
            7
        } else {
            [61, 1500, 16_384, 65_536][rng.below(4) as usize]
        },
    }
}

/// Runs the bulk test for `seed`; returns the octets delivered. `max_size` caps the
/// random message sizes (1 MiB in the real runs).
fn bulk(seed: u64, window: u32, channels: usize, per_channel: usize, max_size: usize) -> usize {
    let cfg = |role| {
        let mut c = SessionConfig::new(role).profile_with_window(ECHO, window);
        c.max_frame_payload = 16 * 1024;
        c.send_queue_limit = 2 << 20;
        c.max_outstanding = 4;
        c
    };
    let link = link_for(seed, max_size < 1 << 20);
    let mut pair = Pair::new(seed, cfg(Role::Initiator), cfg(Role::Listener), link);
    let mut bulk = Bulk::new(seed, channels, per_channel);
    bulk.max_size = max_size;
    let mut steps = 0u64;
    loop {
        let moving = pair.step(&mut |end, s, ev| bulk.on_event(end, s, ev));
        // The application answers owed MSGs at random moments (all of them once idle).
        for end in 0..2 {
            let s = &mut pair.ends[end].s;
            bulk.answer_some(end, s, !moving);
            bulk.send_some(end, s);
            while let Some(ev) = s.poll_event() {
                bulk.on_event(end, s, ev);
            }
        }
        pair.flush();
        steps += 1;
        assert!(steps < 50_000_000, "seed {seed}: no end");
        if steps % 100_000 == 0 {
            eprintln!(
                "seed {seed} step {steps} t={:?} sent {}/{} recv {}/{} matched {}/{}",
                pair.now - t0(),
                bulk.books[0].sent,
                bulk.books[1].sent,
                bulk.books[0].received,
                bulk.books[1].received,
                bulk.books[0].replies_matched,
                bulk.books[1].replies_matched
            );
        }
        if !moving && pair.pipes.iter().all(|p| p.queue.is_empty()) {
            if bulk.done() {
                break;
            }
            panic!(
                "seed {seed} ({link:?}): stuck: sent {}/{}, received {}/{}, matched {}/{}",
                bulk.books[0].sent,
                bulk.books[1].sent,
                bulk.books[0].received,
                bulk.books[1].received,
                bulk.books[0].replies_matched,
                bulk.books[1].replies_matched
            );
        }
    }
    for end in &pair.ends {
        assert!(!end.s.is_closed(), "seed {seed}");
    }
    eprintln!(
        "seed {seed}: {link:?}, window {window}: {steps} steps, {:?} virtual",
        pair.now - t0()
    );
    bulk.books.iter().map(|b| b.bytes_received).sum()
}

/// A slice of the seeds in the normal run (ones whose links cut the stream in pieces of
/// up to 16 KiB); all 50 in the ignored test below.
#[test]
fn sixty_four_channels_both_ways_default_window() {
    for seed in [1, 2] {
        let bytes = bulk(seed, 4096, 64, 1, 1 << 20);
        assert!(bytes > 1 << 20, "seed {seed}: {bytes} octets");
    }
}

#[test]
fn sixty_four_channels_both_ways_one_mib_windows() {
    let bytes = bulk(1, 1 << 20, 64, 1, 1 << 20);
    assert!(bytes > 1 << 20);
}

/// Headers and trailers cut anywhere: pieces of 1 to 7 octets, smaller messages.
#[test]
fn a_stream_cut_into_pieces_of_a_few_octets() {
    for seed in [5, 6] {
        bulk(seed, 4096, 8, 2, 20_000);
    }
}

/// All 50 seeds: `cargo test -p hark-proto --release --lib beep -- --ignored`.
#[test]
#[ignore = "long: run with --release --ignored"]
fn sixty_four_channels_both_ways_fifty_seeds() {
    for seed in 0..50 {
        bulk(seed, 4096, 64, 2, 1 << 20);
    }
}
