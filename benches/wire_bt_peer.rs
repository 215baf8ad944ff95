//! Peer-wire message parse and emit rates: the recorded libtorrent streams (a realistic mix:
//! handshake, extended handshake, control messages and 16 KiB pieces), a stream of
//! `request`s (the hot path of a leecher) and one `piece` header, each beside a plain copy
//! of the same bytes in the same run.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hark_wire::bt::peer::{
    BlockRequest, DEFAULT_MAX_MESSAGE_LEN, Decoded, Decoder, MessageRepr, decode_message,
    piece_header,
};
use std::hint::black_box;

const SEEDER: &[u8] = include_bytes!("../crates/hark-wire/tests/vectors/bt_libtorrent_seeder.bin");
const LEECHER: &[u8] =
    include_bytes!("../crates/hark-wire/tests/vectors/bt_libtorrent_leecher.bin");

/// Decodes every frame of `stream`; returns how many there were.
fn decode_stream(stream: &[u8]) -> usize {
    let mut decoder = Decoder::new(DEFAULT_MAX_MESSAGE_LEN);
    let mut at = 0;
    let mut count = 0;
    while let Ok(Decoded::Complete { value, consumed }) = decoder.decode(&stream[at..]) {
        black_box(value);
        at += consumed;
        count += 1;
    }
    count
}

/// 1000 `request` messages back to back, as a pipelining leecher sends them.
fn requests() -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 17];
    for i in 0..1000u32 {
        let repr = MessageRepr::Request(BlockRequest {
            index: i / 16,
            begin: (i % 16) * 16384,
            length: 16384,
        });
        let len = repr.emit(&mut buf).unwrap();
        out.extend_from_slice(&buf[..len]);
    }
    out
}

fn bench(c: &mut Criterion) {
    for (name, stream) in [
        ("libtorrent_seeder", SEEDER),
        ("libtorrent_leecher", LEECHER),
    ] {
        let frames = decode_stream(stream);
        let mut group = c.benchmark_group(format!("bt_peer_{name}"));
        group.throughput(Throughput::Elements(frames as u64));
        group.bench_function("parse_stream", |b| {
            b.iter(|| black_box(decode_stream(black_box(stream))))
        });
        group.bench_function("copy_stream", |b| {
            let mut out = vec![0u8; stream.len()];
            b.iter(|| {
                out.copy_from_slice(black_box(stream));
                black_box(&out);
            })
        });
        group.finish();
    }

    let stream = requests();
    let mut group = c.benchmark_group("bt_peer_requests");
    group.throughput(Throughput::Elements(1000));
    group.bench_function("parse", |b| {
        b.iter(|| {
            let mut at = 0;
            let mut sum = 0u32;
            while let Ok(Decoded::Complete { value, consumed }) =
                decode_message(black_box(&stream[at..]), DEFAULT_MAX_MESSAGE_LEN)
            {
                if let MessageRepr::Request(r) = value {
                    sum = sum.wrapping_add(r.begin);
                }
                at += consumed;
            }
            black_box(sum)
        })
    });
    group.bench_function("emit", |b| {
        let mut out = vec![0u8; stream.len()];
        b.iter(|| {
            let mut at = 0;
            for i in 0..1000u32 {
                let repr = MessageRepr::Request(BlockRequest {
                    index: black_box(i / 16),
                    begin: (i % 16) * 16384,
                    length: 16384,
                });
                at += repr.emit(&mut out[at..]).unwrap();
            }
            black_box(&out);
        })
    });
    group.bench_function("copy", |b| {
        let mut out = vec![0u8; stream.len()];
        b.iter(|| {
            out.copy_from_slice(black_box(&stream));
            black_box(&out);
        })
    });
    group.finish();

    let mut group = c.benchmark_group("bt_peer_piece");
    group.throughput(Throughput::Elements(1));
    group.bench_function("emit_header", |b| {
        b.iter(|| black_box(piece_header(black_box(7), black_box(16384), 16384).unwrap()))
    });
    let block = vec![0x5au8; 16384];
    group.bench_function("emit_whole_16k", |b| {
        let repr = MessageRepr::Piece {
            index: 7,
            begin: 16384,
            data: &block,
        };
        let mut out = vec![0u8; repr.buffer_len()];
        b.iter(|| black_box(black_box(&repr).emit(&mut out).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
