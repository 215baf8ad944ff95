//! BEEP frame parse and emit, each beside a plain copy of the same frame's bytes in the same
//! run (`cargo xtask bench --criterion` prints the ratios).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hark_wire::beep::frame::FrameRepr;
use hark_wire::beep::header::{FrameType, More};
use hark_wire::beep::stream::{Decoded, Decoder, Status};
use std::hint::black_box;

/// An ANS frame as a session under RFC 3081's default window sends it: the payload is
/// Vortex's empty MIME block and then data.
fn frame(payload_len: usize) -> Vec<u8> {
    let mut payload = b"\r\n".to_vec();
    payload.resize(payload_len, 0x5a);
    let repr = FrameRepr {
        frame_type: FrameType::Ans { ansno: 17 },
        channel: 5,
        msgno: 123_456,
        more: More::Intermediate,
        seqno: 3_000_000_000,
        payload: &payload,
    };
    let mut buf = vec![0; repr.buffer_len()];
    repr.emit(&mut buf).unwrap();
    buf
}

fn bench(c: &mut Criterion) {
    for (name, payload_len) in [("beep_frame_64", 64), ("beep_frame_4k", 4096)] {
        let bytes = frame(payload_len);
        let decoder = Decoder::default();
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function("copy_frame", |b| {
            let mut out = vec![0u8; bytes.len()];
            b.iter(|| {
                out.copy_from_slice(black_box(&bytes[..]));
                black_box(&out);
            })
        });
        group.bench_function("parse", |b| {
            b.iter(|| {
                let Ok(Status::Complete(Decoded::Data(frame))) = decoder.decode(black_box(&bytes))
                else {
                    unreachable!("the frame is whole and well-formed")
                };
                let repr = FrameRepr::parse(&frame);
                black_box((repr.seqno, repr.payload.len()));
            })
        });
        let repr = FrameRepr::parse_bytes(&bytes).unwrap();
        group.bench_function("emit", |b| {
            let mut out = vec![0u8; bytes.len()];
            b.iter(|| black_box(black_box(&repr).emit(&mut out).unwrap()))
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
