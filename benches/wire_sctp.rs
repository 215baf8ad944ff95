//! SCTP notification parse (and emit) for every kind in both layouts, each beside a plain
//! `copy_from_slice` of the same bytes in the same run.
//!
//! The bytes are the C-header vectors of `crates/hark-wire/tests/vectors/` (little-endian),
//! plus one send-failed event carrying a 1400-byte message.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hark_wire::sctp::{
    Abi, Endian, Layout, Notification, SendFailedEvent, SendFailedFlags, SndInfo,
};
use std::hint::black_box;
use std::time::Duration;

fn vectors(text: &'static str) -> Vec<(&'static str, Vec<u8>)> {
    text.lines()
        .filter_map(|line| {
            let mut parts = line.split_whitespace();
            (parts.next() == Some("vector")).then_some(())?;
            let _layout = parts.next()?;
            let name = parts.next()?;
            let hex = parts.next()?;
            let bytes = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect();
            // Structs (sctp_event, sctp_sndinfo, ...) are not notifications.
            (!name.starts_with("sctp_")).then_some((name, bytes))
        })
        .collect()
}

fn big_send_failed(abi: Abi) -> Vec<u8> {
    let data = vec![0x5a; 1400];
    let n = Notification::SendFailedEvent(SendFailedEvent {
        ssfe_flags: SendFailedFlags::DataUnsent,
        ssfe_error: 0,
        ssfe_info: SndInfo {
            snd_sid: 1,
            snd_flags: 0,
            snd_ppid: 51,
            snd_context: 0,
            snd_assoc_id: 3,
        },
        ssfe_assoc_id: 3,
        ssfe_data: &data,
    });
    let mut out = vec![0; n.buffer_len(abi.layout)];
    n.emit(&mut out, abi).unwrap();
    out
}

fn bench(c: &mut Criterion) {
    let sets = [
        (
            Layout::Linux,
            vectors(include_str!(
                "../crates/hark-wire/tests/vectors/sctp_linux.txt"
            )),
        ),
        (
            Layout::FreeBsd,
            vectors(include_str!(
                "../crates/hark-wire/tests/vectors/sctp_freebsd.txt"
            )),
        ),
    ];
    for (layout, mut cases) in sets {
        let abi = Abi::with_endian(layout, Endian::Little);
        cases.push(("send_failed_event_1400", big_send_failed(abi)));
        for (name, bytes) in &cases {
            let mut group = c.benchmark_group(format!("sctp_{}_{name}", layout.name()));
            group.throughput(Throughput::Elements(1));
            group.bench_function("copy", |b| {
                let mut out = vec![0u8; bytes.len()];
                b.iter(|| {
                    out.copy_from_slice(black_box(&bytes[..]));
                    black_box(&out);
                })
            });
            group.bench_function("parse", |b| {
                b.iter(|| {
                    let n = Notification::parse(black_box(&bytes[..]), abi).unwrap();
                    black_box(n);
                })
            });
            let parsed = Notification::parse(&bytes[..], abi).unwrap();
            group.bench_function("emit", |b| {
                let mut out = vec![0u8; bytes.len()];
                b.iter(|| black_box(black_box(&parsed).emit(&mut out, abi).unwrap()))
            });
            group.finish();
        }
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(700));
    targets = bench
}
criterion_main!(benches);
