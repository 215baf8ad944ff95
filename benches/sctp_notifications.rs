//! SCTP notifications per second over a realistic mix of every kind, three ways: parsed by
//! hark-wire, parsed and fed to hark-proto's `AssociationTracker` (events drained), and
//! through the facade's `SctpDispatcher` (tracker, pysctp dictionary, one callback per kind;
//! with and without the event hub).
//!
//! The mixes (each iteration handles one whole mix; criterion's `elem/s` is notifications
//! per second):
//! - `linux`: every notification vector of `crates/hark-wire/tests/vectors/sctp_linux.txt`
//!   (the kernel's `linux/sctp.h` layout, one of each kind and state), every notification
//!   Linux 6.1 wrote in `sctp_linux_kernel.txt` (the VM tests), plus the lifecycle of a busy
//!   association: COMM_UP, peer address confirmations, sender dry after each burst, a few
//!   1400-byte send failures, shutdown, SHUTDOWN_COMP.
//! - `freebsd`: every vector of `sctp_freebsd.txt` plus every notification libusrsctp wrote
//!   in `sctp_usrsctp_live.txt` (three real associations, send failures up to 34 KB).
//!
//! Run with `cargo bench --bench sctp_notifications` (or `cargo xtask bench`).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hark::events::{EventHub, Severity};
use hark::sctp::{SctpContext, SctpDispatcher, SctpHandler};
use hark_proto::sctp::AssociationTracker;
use hark_reactor::sctp::Received;
use hark_wire::sctp::{
    Abi, AssocChange, AssocChangeState, Endian, Layout, Notification, NotificationAssembler,
    NotificationDict, PeerAddrChange, PeerAddrState, SendFailedEvent, SendFailedFlags,
    SenderDryEvent, ShutdownEvent, SndInfo, SockAddr,
};
use std::hint::black_box;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Linux `MSG_EOR` (`<bits/socket.h>`) and `MSG_NOTIFICATION` (`linux/sctp.h`).
const MSG_EOR: i32 = 0x80;
const MSG_NOTIFICATION: i32 = 0x8000;

fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
        .collect()
}

/// The notification vectors of a C-header dump (structs such as `sctp_event` left out).
fn header_vectors(text: &str) -> Vec<Vec<u8>> {
    text.lines()
        .filter_map(|line| {
            let [kind, _layout, name, hex] = line.split_whitespace().collect::<Vec<_>>()[..] else {
                return None;
            };
            (kind == "vector" && !name.starts_with("sctp_")).then(|| unhex(hex))
        })
        .collect()
}

/// The Linux kernel recording (`kernel linux SOCKET KIND HEX` lines).
fn kernel_recording(text: &str) -> Vec<Vec<u8>> {
    text.lines()
        .filter_map(|line| {
            let [kind, _, _, _, hex] = line.split_whitespace().collect::<Vec<_>>()[..] else {
                return None;
            };
            (kind == "kernel").then(|| unhex(hex))
        })
        .collect()
}

/// The usrsctp recording, its reads joined per socket.
fn usrsctp_recording(text: &str) -> Vec<Vec<u8>> {
    let mut assemblers: Vec<(String, NotificationAssembler)> = Vec::new();
    let mut out = Vec::new();
    for line in text.lines() {
        let [_, _, socket, _, eor, hex] = line.split_whitespace().collect::<Vec<_>>()[..] else {
            continue;
        };
        let i = match assemblers.iter().position(|(s, _)| s == socket) {
            Some(i) => i,
            None => {
                assemblers.push((socket.to_owned(), NotificationAssembler::new(64 * 1024)));
                assemblers.len() - 1
            }
        };
        if let Some(whole) = assemblers[i].1.push(&unhex(hex), eor == "1").expect("fits") {
            out.push(whole.to_vec());
        }
    }
    out
}

fn emit(n: &Notification<'_>, abi: Abi) -> Vec<u8> {
    let mut out = vec![0; n.buffer_len(abi.layout)];
    n.emit(&mut out, abi).expect("emit");
    out
}

/// One busy association's life as a kernel reports it (Linux layout).
fn lifecycle(abi: Abi, assoc_id: u32) -> Vec<Vec<u8>> {
    let up = Notification::AssocChange(AssocChange {
        sac_flags: 0,
        sac_state: AssocChangeState::CommUp,
        sac_error: 0,
        sac_outbound_streams: 10,
        sac_inbound_streams: 10,
        sac_assoc_id: assoc_id,
        sac_info: &[],
    });
    let peer = |last: u8, state| {
        Notification::PeerAddrChange(PeerAddrChange {
            spc_flags: 0,
            spc_aaddr: SockAddr::V4(std::net::SocketAddrV4::new([10, 0, 0, last].into(), 5000)),
            spc_state: state,
            spc_error: 0,
            spc_assoc_id: assoc_id,
        })
    };
    let dry = Notification::SenderDryEvent(SenderDryEvent {
        sender_dry_flags: 0,
        sender_dry_assoc_id: assoc_id,
    });
    let data = vec![0x5a; 1400];
    let failed = Notification::SendFailedEvent(SendFailedEvent {
        ssfe_flags: SendFailedFlags::DataUnsent,
        ssfe_error: 0,
        ssfe_info: SndInfo {
            snd_sid: 1,
            snd_flags: 0,
            snd_ppid: 51,
            snd_context: 7,
            snd_assoc_id: assoc_id,
        },
        ssfe_assoc_id: assoc_id,
        ssfe_data: &data,
    });
    let shutdown = Notification::ShutdownEvent(ShutdownEvent {
        sse_flags: 0,
        sse_assoc_id: assoc_id,
    });
    let comp = Notification::AssocChange(AssocChange {
        sac_state: AssocChangeState::ShutdownComp,
        ..match up {
            Notification::AssocChange(a) => a,
            _ => unreachable!(),
        }
    });
    let mut life = vec![
        emit(&up, abi),
        emit(&peer(1, PeerAddrState::Confirmed), abi),
        emit(&peer(2, PeerAddrState::Confirmed), abi),
    ];
    for _ in 0..8 {
        life.push(emit(&dry, abi));
    }
    life.push(emit(&peer(2, PeerAddrState::Unreachable), abi));
    for _ in 0..3 {
        life.push(emit(&failed, abi));
    }
    life.push(emit(&peer(2, PeerAddrState::Available), abi));
    life.push(emit(&dry, abi));
    life.push(emit(&shutdown, abi));
    life.push(emit(&comp, abi));
    life
}

fn linux_mix() -> Vec<Vec<u8>> {
    let abi = Abi::with_endian(Layout::Linux, Endian::Little);
    let mut mix = header_vectors(include_str!(
        "../crates/hark-wire/tests/vectors/sctp_linux.txt"
    ));
    mix.extend(kernel_recording(include_str!(
        "../crates/hark-wire/tests/vectors/sctp_linux_kernel.txt"
    )));
    for assoc_id in 100..104 {
        mix.extend(lifecycle(abi, assoc_id));
    }
    mix
}

fn freebsd_mix() -> Vec<Vec<u8>> {
    let mut mix = header_vectors(include_str!(
        "../crates/hark-wire/tests/vectors/sctp_freebsd.txt"
    ));
    mix.extend(usrsctp_recording(include_str!(
        "../crates/hark-wire/tests/vectors/sctp_usrsctp_live.txt"
    )));
    mix
}

/// Counts callbacks, as a small application would.
#[derive(Default)]
struct Counter {
    notifications: u64,
    dry: u64,
    failed_bytes: usize,
}

impl SctpHandler for Counter {
    fn on_notification(&mut self, _ctx: &mut SctpContext<'_>, dict: &NotificationDict<'_>) {
        self.notifications += 1;
        black_box(dict);
    }
    fn on_sender_dry(&mut self, _ctx: &mut SctpContext<'_>, _event: &SenderDryEvent) {
        self.dry += 1;
    }
    fn on_send_failed_event(&mut self, _ctx: &mut SctpContext<'_>, event: &SendFailedEvent<'_>) {
        self.failed_bytes += event.ssfe_data.len();
    }
}

fn bench(c: &mut Criterion) {
    let mixes = [
        ("linux", Layout::Linux, linux_mix()),
        ("freebsd", Layout::FreeBsd, freebsd_mix()),
    ];
    let mut group = c.benchmark_group("sctp_notifications");
    for (name, layout, mix) in &mixes {
        let abi = Abi::with_endian(*layout, Endian::Little);
        for bytes in mix {
            Notification::parse(bytes, abi).expect("every notification of the mix parses");
        }
        group.throughput(Throughput::Elements(mix.len() as u64));
        group.bench_function(format!("parse_{name}"), |b| {
            b.iter(|| {
                for bytes in mix {
                    black_box(Notification::parse(black_box(bytes), abi).expect("parses"));
                }
            })
        });
        let mut tracker = AssociationTracker::new(*layout);
        group.bench_function(format!("tracker_{name}"), |b| {
            b.iter(|| {
                let now = Instant::now();
                for bytes in mix {
                    let n = Notification::parse(black_box(bytes), abi).expect("parses");
                    tracker.handle_notification(now, &n);
                    while let Some(event) = tracker.poll_event() {
                        black_box(event);
                    }
                }
            })
        });
    }

    // The dispatcher reads what a Linux kernel socket gives.
    let (_, _, linux) = &mixes[0];
    let received: Vec<Received> = linux
        .iter()
        .map(|bytes| Received {
            data: bytes.clone(),
            from: None,
            rcvinfo: None,
            nxtinfo: None,
            flags: MSG_NOTIFICATION | MSG_EOR,
        })
        .collect();
    group.throughput(Throughput::Elements(received.len() as u64));
    let mut dispatcher = SctpDispatcher::new(Counter::default());
    group.bench_function("dispatcher_linux", |b| {
        b.iter(|| {
            let now = Instant::now();
            for r in &received {
                dispatcher
                    .handle_received(now, black_box(r))
                    .expect("dispatches");
            }
            while let Some(event) = dispatcher.poll_event() {
                black_box(event);
            }
        })
    });
    let hub = Arc::new(Mutex::new(
        EventHub::builder().min_severity(Severity::Debug).build(),
    ));
    let mut dispatcher = SctpDispatcher::with_hub(Counter::default(), Arc::clone(&hub));
    group.bench_function("dispatcher_linux_with_hub", |b| {
        b.iter(|| {
            let now = Instant::now();
            for r in &received {
                dispatcher
                    .handle_received(now, black_box(r))
                    .expect("dispatches");
            }
            while let Some(event) = dispatcher.poll_event() {
                black_box(event);
            }
            let mut hub = hub.lock().expect("hub");
            while let Some(event) = hub.poll_event() {
                black_box(event);
            }
        })
    });
    group.finish();
    let counted = dispatcher.handler();
    assert!(counted.notifications > 0 && counted.dry > 0 && counted.failed_bytes > 0);
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
