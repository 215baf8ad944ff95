//! uTP header parse and emit, each beside a plain copy of the same bytes in the same run.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hark_wire::utp::{Packet, PacketRepr, PacketType, SelectiveAck};
use std::hint::black_box;

/// A full-size DATA datagram (1382 payload bytes), optionally with a 4-byte SACK.
fn data_packet(with_sack: bool) -> Vec<u8> {
    let payload = vec![0x5a; 1382];
    let mask = [0b1011_0001, 0, 0, 0];
    let repr = PacketRepr {
        timestamp_micros: 123_456,
        timestamp_difference_micros: 20_000,
        wnd_size: 1 << 20,
        seq_nr: 1000,
        ack_nr: 77,
        selective_ack: with_sack.then(|| SelectiveAck::new_checked(&mask[..]).unwrap()),
        payload: &payload,
        ..PacketRepr::new(PacketType::Data, 0x1234)
    };
    let mut buf = vec![0; repr.buffer_len()];
    repr.emit(&mut buf).unwrap();
    buf
}

fn bench(c: &mut Criterion) {
    for (name, with_sack) in [("data", false), ("data_sack", true)] {
        let bytes = data_packet(with_sack);
        let header_len = Packet::new_checked(&bytes[..]).unwrap().header_len();
        let mut group = c.benchmark_group(format!("utp_{name}"));
        group.throughput(Throughput::Elements(1));
        group.bench_function("copy_header", |b| {
            let mut out = [0u8; 64];
            b.iter(|| {
                out[..header_len].copy_from_slice(&black_box(&bytes)[..header_len]);
                black_box(&out);
            })
        });
        group.bench_function("parse", |b| {
            b.iter(|| {
                let packet = Packet::new_checked(black_box(&bytes[..])).unwrap();
                let repr = PacketRepr::parse(&packet).unwrap();
                black_box(repr.seq_nr);
                black_box(repr.selective_ack.map(|s| s.count_acked()));
            })
        });
        group.bench_function("copy_datagram", |b| {
            let mut out = vec![0u8; bytes.len()];
            b.iter(|| {
                out.copy_from_slice(black_box(&bytes[..]));
                black_box(&out);
            })
        });
        let packet = Packet::new_checked(&bytes[..]).unwrap();
        let repr = PacketRepr::parse(&packet).unwrap();
        group.bench_function("emit_datagram", |b| {
            let mut out = vec![0u8; bytes.len()];
            b.iter(|| black_box(black_box(&repr).emit(&mut out).unwrap()))
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
