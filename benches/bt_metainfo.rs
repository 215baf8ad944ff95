//! Bencode decoding and metainfo parsing rates on a large synthetic torrent (4,000 files in
//! 200 directories, 4,031 pieces of 256 KiB: a 344 KB .torrent), beside a plain copy of the
//! same bytes, plus the SHA-1 of the info dictionary alone (what the info hash costs), and
//! the parse of a small real torrent (transmission-create's fixture).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hark_wire::bt::bencode::{self, OwnedValue};
use hark_wire::bt::metainfo::{InfoHash, Metainfo};
use std::hint::black_box;

fn large_torrent() -> Vec<u8> {
    let piece_length: i64 = 1 << 18;
    let files: Vec<OwnedValue> = (0..4000)
        .map(|i| {
            OwnedValue::dict()
                .with("length", OwnedValue::Integer(piece_length + i))
                .with(
                    "path",
                    OwnedValue::List(vec![
                        OwnedValue::string(&format!("directory {:03}", i / 20)),
                        OwnedValue::string(&format!("file number {i:05}.dat")),
                    ]),
                )
        })
        .collect();
    let total: i64 = (0..4000).map(|i| piece_length + i).sum();
    let pieces = (total + piece_length - 1) / piece_length;
    let info = OwnedValue::dict()
        .with("files", OwnedValue::List(files))
        .with("name", OwnedValue::string("large"))
        .with("piece length", OwnedValue::Integer(piece_length))
        .with(
            "pieces",
            OwnedValue::Bytes(vec![0xa5; 20 * pieces as usize]),
        );
    OwnedValue::dict()
        .with(
            "announce",
            OwnedValue::string("http://127.0.0.1:6969/announce"),
        )
        .with("info", info)
        .to_vec()
}

fn bench(c: &mut Criterion) {
    let bytes = large_torrent();
    let meta = Metainfo::parse(&bytes).expect("the synthetic torrent parses");
    let mut group = c.benchmark_group("bt_metainfo_large");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("copy", |b| {
        let mut out = vec![0u8; bytes.len()];
        b.iter(|| out.copy_from_slice(black_box(&bytes)))
    });
    group.bench_function("bencode_decode", |b| {
        b.iter(|| black_box(bencode::decode(black_box(&bytes)).expect("decodes")))
    });
    group.bench_function("metainfo_parse", |b| {
        b.iter(|| black_box(Metainfo::parse(black_box(&bytes)).expect("parses")))
    });
    group.bench_function("sha1_info", |b| {
        b.iter(|| black_box(InfoHash::of(black_box(&meta.info.raw))))
    });
    group.finish();

    let small = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/crates/hark-wire/tests/vectors/bt/transmission.torrent"
    ))
    .expect("fixture");
    let mut group = c.benchmark_group("bt_metainfo_small");
    group.throughput(Throughput::Elements(1));
    group.bench_function("metainfo_parse", |b| {
        b.iter(|| black_box(Metainfo::parse(black_box(&small)).expect("parses")))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
