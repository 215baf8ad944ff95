//! `hark demo`: two uTP contexts on loopback, each on its own reactor thread, move a
//! payload through libutp's callback table; prints throughput, how often each callback
//! ran, and a few events from the hub.

use std::io::ErrorKind;
use std::io::IsTerminal;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::Args;
use hark::events::{Event, EventHub, KindId};
use hark::utp::{
    Callbacks, ContextHandle, ContextOption, DEFAULT_UDP_MTU_V4, DEFAULT_UDP_MTU_V6, LogLevel,
    UDP_OVERHEAD_V4, UDP_OVERHEAD_V6, UtpContext, UtpReactor, UtpSocket, UtpState,
};

use crate::progress::Progress;

/// Options of the demo.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Bytes to transfer.
    #[arg(long, default_value_t = 100_000_000)]
    bytes: u64,
    /// How many hub events to show (the first of each kind).
    #[arg(long, default_value_t = 10)]
    events: usize,
    /// Drive the sender from this thread with its own std UDP socket (mode (b): sendto,
    /// process_udp, issue_deferred_acks, check_timeouts and the clock callbacks in use).
    #[arg(long)]
    app_socket: bool,
}

/// The callbacks of libutp's table, in the seed's order.
const NAMES: [&str; 16] = [
    "on_firewall",
    "on_accept",
    "on_connect",
    "on_error",
    "on_read",
    "on_overhead_statistics",
    "on_state_change",
    "get_read_buffer_size",
    "on_delay_sample",
    "get_udp_mtu",
    "get_udp_overhead",
    "get_milliseconds",
    "get_microseconds",
    "get_random",
    "log",
    "sendto",
];

/// How often each callback of one side ran.
#[derive(Debug, Default)]
struct Counts([AtomicU64; 16]);

impl Counts {
    fn hit(&self, name: &str) {
        if let Some(i) = NAMES.iter().position(|n| *n == name) {
            if let Some(counter) = self.0.get(i) {
                counter.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    fn get(&self, i: usize) -> u64 {
        self.0.get(i).map_or(0, |c| c.load(Ordering::Relaxed))
    }
}

/// How long the demo may take.
const DEADLINE: Duration = Duration::from_secs(600);

/// The payload: a 64 KiB block repeated, so both sides can produce and check it cheaply.
const BLOCK_LEN: usize = 65_536;

fn block() -> Bytes {
    (0..BLOCK_LEN).map(|i| (i * 131 % 251) as u8).collect()
}

/// What the sender's callbacks share: how much was written.
struct Pump {
    block: Bytes,
    total: u64,
    written: u64,
    closed: bool,
}

impl Pump {
    /// Writes until the send buffer is full or everything is written, then closes.
    fn pump(&mut self, cx: &mut ContextHandle<'_>, socket: UtpSocket) {
        while self.written < self.total {
            let at = (self.written % BLOCK_LEN as u64) as usize;
            let left = (self.total - self.written).min((BLOCK_LEN - at) as u64) as usize;
            // Handing over shared bytes saves the copy `write` makes of a slice.
            let n = cx.write_bytes(socket, &self.block.slice(at..at + left));
            if n == 0 {
                return;
            }
            self.written += n as u64;
        }
        if !self.closed {
            self.closed = true;
            cx.close(socket);
        }
    }
}

/// What the receiver's callbacks share.
struct Check {
    block: Bytes,
    received: Arc<AtomicU64>,
    offset: u64,
    mismatches: u64,
    finished: Option<Instant>,
    total: u64,
}

impl Check {
    fn verify(&mut self, data: &[u8]) {
        let mut rest = data;
        while !rest.is_empty() {
            let at = (self.offset % BLOCK_LEN as u64) as usize;
            let n = rest.len().min(BLOCK_LEN - at);
            let (head, tail) = rest.split_at(n);
            if self.block.get(at..at + n) != Some(head) {
                self.mismatches += 1;
            }
            self.offset += n as u64;
            rest = tail;
        }
        self.received.store(self.offset, Ordering::Relaxed);
        if self.offset >= self.total && self.finished.is_none() {
            self.finished = Some(Instant::now());
        }
    }
}

/// Signals from the reactor threads.
enum Done {
    Destroyed,
    Failed(&'static str, String),
}

/// The full table for one side; `pump` for the sender, `check` for the receiver.
fn table(
    side: &'static str,
    counts: &Arc<Counts>,
    pump: Option<Arc<Mutex<Pump>>>,
    check: Option<Arc<Mutex<Check>>>,
    done: Sender<Done>,
    socket: Option<UdpSocket>,
) -> Callbacks {
    let c = |name: &'static str| {
        let counts = Arc::clone(counts);
        move || counts.hit(name)
    };
    let (firewall, accept, connect, error, read, overhead, state, rbuf, delay, mtu, udp_over) = (
        c("on_firewall"),
        c("on_accept"),
        c("on_connect"),
        c("on_error"),
        c("on_read"),
        c("on_overhead_statistics"),
        c("on_state_change"),
        c("get_read_buffer_size"),
        c("on_delay_sample"),
        c("get_udp_mtu"),
        c("get_udp_overhead"),
    );
    let (millis, micros, random, log, sendto) = (
        c("get_milliseconds"),
        c("get_microseconds"),
        c("get_random"),
        c("log"),
        c("sendto"),
    );
    let origin = Instant::now();
    let mut seed: u32 = 0x9e37_79b9 ^ side.len() as u32;
    let connect_pump = pump.clone();
    let error_done = done.clone();
    Callbacks::new()
        .on_firewall(move |_cx, _addr| {
            firewall();
            false
        })
        .on_accept(move |_cx, _socket, _addr| accept())
        .on_connect(move |cx, socket| {
            connect();
            if let Some(pump) = &connect_pump {
                pump.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .pump(cx, socket);
            }
        })
        .on_error(move |_cx, _socket, code| {
            error();
            let _ = error_done.send(Done::Failed(side, code.to_string()));
        })
        .on_read(move |_cx, _socket, data| {
            read();
            if let Some(check) = &check {
                check.lock().unwrap_or_else(|e| e.into_inner()).verify(data);
            }
        })
        .on_overhead_statistics(move |_cx, _socket, _send, _len, _kind| overhead())
        .on_state_change(move |cx, socket, new_state| {
            state();
            match new_state {
                UtpState::Writable => {
                    if let Some(pump) = &pump {
                        pump.lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .pump(cx, socket);
                    }
                }
                UtpState::Eof => cx.close(socket),
                UtpState::Destroying => {
                    let _ = done.send(Done::Destroyed);
                }
                UtpState::Connect => {}
            }
        })
        .get_read_buffer_size(move |_cx, _socket| {
            rbuf();
            0
        })
        .on_delay_sample(move |_cx, _socket, _ms| delay())
        .get_udp_mtu(move |_socket, addr: SocketAddr| {
            mtu();
            if addr.is_ipv4() {
                DEFAULT_UDP_MTU_V4
            } else {
                DEFAULT_UDP_MTU_V6
            }
        })
        .get_udp_overhead(move |_socket, addr: SocketAddr| {
            udp_over();
            if addr.is_ipv4() {
                UDP_OVERHEAD_V4
            } else {
                UDP_OVERHEAD_V6
            }
        })
        .get_milliseconds(move || {
            millis();
            origin.elapsed().as_millis() as u64
        })
        .get_microseconds(move || {
            micros();
            origin.elapsed().as_micros() as u64
        })
        .get_random(move || {
            random();
            // xorshift32: the demo's own generator, to show the callback is used.
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed
        })
        .log(move |_socket, _level, _text| log())
        .sendto(move |_socket, data, addr, _flags| {
            sendto();
            if let Some(socket) = &socket {
                // A datagram the kernel cannot take is lost; uTP retransmits it.
                let _ = socket.send_to(data, addr);
            }
        })
}

/// The first event of each kind seen by either hub, up to a maximum.
#[derive(Debug, Default)]
struct Samples {
    kinds: Vec<&'static str>,
    lines: Vec<String>,
}

/// A hub that adds the first event of each kind to `samples`, up to `max` kinds. Its
/// listener removes itself once `samples` is full, so the transfer runs with nothing
/// listening.
fn sampling_hub(samples: &Arc<Mutex<Samples>>, max: usize) -> EventHub {
    let samples = Arc::clone(samples);
    let mut hub = EventHub::new();
    let registrar = hub.registrar();
    let own_id = Arc::new(OnceLock::new());
    let id_slot = Arc::clone(&own_id);
    let mut offered: Vec<KindId> = Vec::new();
    let id = hub.on_all(move |event: &Event| {
        if offered.contains(&event.id()) {
            return;
        }
        offered.push(event.id());
        let mut samples = samples.lock().unwrap_or_else(|e| e.into_inner());
        if samples.kinds.len() < max && !samples.kinds.contains(&event.name()) {
            samples.kinds.push(event.name());
            samples.lines.push(event.to_string());
        }
        if samples.kinds.len() >= max {
            if let Some(id) = id_slot.get() {
                registrar.remove_listener(*id);
            }
        }
    });
    let _ = own_id.set(id);
    hub
}

/// Runs the demo and prints its report.
pub fn run(args: DemoArgs) -> Result<(), String> {
    let localhost = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let block = block();
    let (sender_counts, receiver_counts) =
        (Arc::new(Counts::default()), Arc::new(Counts::default()));
    let received = Arc::new(AtomicU64::new(0));
    let check = Arc::new(Mutex::new(Check {
        block: block.clone(),
        received: Arc::clone(&received),
        offset: 0,
        mismatches: 0,
        finished: None,
        total: args.bytes,
    }));
    let pump = Arc::new(Mutex::new(Pump {
        block,
        total: args.bytes,
        written: 0,
        closed: false,
    }));
    let samples = Arc::new(Mutex::new(Samples::default()));
    let (done_tx, done_rx) = mpsc::channel();

    let receiver = UtpReactor::bind_range(
        UtpContext::builder()
            .hub(sampling_hub(&samples, args.events))
            .option(ContextOption::Log(LogLevel::Normal, true))
            .callbacks(table(
                "receiver",
                &receiver_counts,
                None,
                Some(Arc::clone(&check)),
                done_tx.clone(),
                None,
            )),
        localhost,
        [0],
    )
    .map_err(|e| e.to_string())?;
    let progress = Progress::bar(args.bytes, std::io::stderr().is_terminal());
    let to = receiver.local_addr();
    let sender_options = UtpContext::builder().option(ContextOption::Log(LogLevel::Normal, true));
    let (start, from, sender_stats) = if args.app_socket {
        let mut hub = sampling_hub(&samples, args.events);
        let socket = hark::listen::bind_udp(&mut hub, localhost, [0]).map_err(|e| e.to_string())?;
        let sending = socket.try_clone().map_err(|e| e.to_string())?;
        let table = table(
            "sender",
            &sender_counts,
            Some(pump),
            None,
            done_tx,
            Some(sending),
        );
        let mut context = sender_options
            .hub(hub)
            .callbacks(table)
            .build()
            .map_err(|e| e.to_string())?;
        let from = socket.local_addr().map_err(|e| e.to_string())?;
        let start = Instant::now();
        context.connect(to).map_err(|e| e.to_string())?;
        drive_app_socket(&mut context, &socket, &done_rx, &progress, &received)?;
        (start, from, context.context_stats())
    } else {
        let sender = UtpReactor::bind_range(
            sender_options
                .hub(sampling_hub(&samples, args.events))
                .callbacks(table(
                    "sender",
                    &sender_counts,
                    Some(pump),
                    None,
                    done_tx,
                    None,
                )),
            localhost,
            [0],
        )
        .map_err(|e| e.to_string())?;
        let start = Instant::now();
        sender.remote().connect(to).map_err(|e| e.to_string())?;
        wait_for_both(&done_rx, &progress, &received)?;
        let from = sender.local_addr();
        (
            start,
            from,
            sender.stop().map_err(|e| e.to_string())?.context_stats(),
        )
    };
    progress.finish();
    let receiver_context = receiver.stop().map_err(|e| e.to_string())?;

    let check = check.lock().unwrap_or_else(|e| e.into_inner());
    let finished = check.finished.unwrap_or_else(Instant::now);
    let seconds = finished.duration_since(start).as_secs_f64().max(1e-9);
    let verdict = if check.offset == args.bytes && check.mismatches == 0 {
        "content verified"
    } else {
        "CONTENT MISMATCH"
    };
    println!(
        "hark demo: {:.1} MB over uTP on loopback ({from} -> {to}) in {seconds:.2} s: {:.1} MB/s ({verdict})",
        args.bytes as f64 / 1e6,
        check.offset as f64 / 1e6 / seconds,
    );
    println!();
    println!("{:<24} {:>10} {:>10}", "callback", "sender", "receiver");
    for (i, name) in NAMES.iter().enumerate() {
        println!(
            "{name:<24} {:>10} {:>10}",
            sender_counts.get(i),
            receiver_counts.get(i)
        );
    }
    if args.app_socket {
        println!(
            "(the sender ran on this thread with its own UDP socket; the receiver on hark's reactor)"
        );
    } else {
        println!(
            "(both contexts run on hark's reactor, which sends and keeps time itself: sendto and \
             the clock callbacks serve contexts driven by the application, see --app-socket)"
        );
    }
    let (s, r) = (sender_stats, receiver_context.context_stats());
    println!();
    println!(
        "datagrams received: sender {}, receiver {}",
        s.datagrams, r.datagrams
    );
    println!();
    println!("sample events from the hubs:");
    for line in &samples.lock().unwrap_or_else(|e| e.into_inner()).lines {
        println!("  {line}");
    }
    if verdict == "content verified" {
        Ok(())
    } else {
        Err(format!(
            "received {} of {} bytes, {} mismatching pieces",
            check.offset, args.bytes, check.mismatches
        ))
    }
}

/// Waits until both sockets are destroyed, updating the progress bar.
fn wait_for_both(
    done: &Receiver<Done>,
    progress: &Progress,
    received: &AtomicU64,
) -> Result<(), String> {
    let started = Instant::now();
    let mut destroyed = 0;
    while destroyed < 2 {
        match done.recv_timeout(Duration::from_millis(100)) {
            Ok(Done::Destroyed) => destroyed += 1,
            Ok(Done::Failed(side, error)) => return Err(format!("{side}: {error}")),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => return Err("a reactor stopped".into()),
        }
        progress.set(received.load(Ordering::Relaxed));
        if started.elapsed() > DEADLINE {
            return Err("the transfer did not finish within 10 minutes".into());
        }
    }
    Ok(())
}

/// The application's own loop (mode (b)): wait for a datagram or the next timer, hand the
/// batch to `process_udp`, then `issue_deferred_acks` and `check_timeouts`.
fn drive_app_socket(
    context: &mut UtpContext,
    socket: &UdpSocket,
    done: &Receiver<Done>,
    progress: &Progress,
    received: &AtomicU64,
) -> Result<(), String> {
    let started = Instant::now();
    let mut buf = vec![0u8; 65_536];
    let mut destroyed = 0;
    let mut last_progress = Instant::now();
    while destroyed < 2 {
        let wait = context
            .next_timeout()
            .unwrap_or(Duration::from_millis(100))
            .clamp(Duration::from_micros(100), Duration::from_millis(100));
        socket
            .set_read_timeout(Some(wait))
            .map_err(|e| e.to_string())?;
        loop {
            match socket.recv_from(&mut buf) {
                Ok((n, from)) => {
                    let _ = context.process_udp(buf.get(..n).unwrap_or_default(), from);
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(format!("recv: {e}")),
            }
            // The rest of the batch: take what is already queued, without sleeping.
            socket
                .set_read_timeout(Some(Duration::from_micros(1)))
                .map_err(|e| e.to_string())?;
        }
        context.issue_deferred_acks();
        context.check_timeouts();
        while let Ok(signal) = done.try_recv() {
            match signal {
                Done::Destroyed => destroyed += 1,
                Done::Failed(side, error) => return Err(format!("{side}: {error}")),
            }
        }
        if last_progress.elapsed() > Duration::from_millis(100) {
            last_progress = Instant::now();
            progress.set(received.load(Ordering::Relaxed));
        }
        if started.elapsed() > DEADLINE {
            return Err("the transfer did not finish within 10 minutes".into());
        }
    }
    Ok(())
}
