//! Events per second through the event hub: emitted, queued and delivered to a no-op
//! listener, or drained through the pull API in batches.
//!
//! Run with `cargo bench --bench event_hub`. Each iteration emits `BATCH` `peer_data_in`
//! events and drains them all (messages are written only when read, so none here); the last two
//! measure emitting alone into a full queue (dropped) and past the filters (discarded).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hark::events::{CategoryMask, ConnectionId, Event, EventHub, PeerDataIn, PeerDataOut};
use std::hint::black_box;
use std::net::SocketAddr;

const BATCH: usize = 1024;

fn peer() -> SocketAddr {
    SocketAddr::from(([192, 0, 2, 1], 6881))
}

fn emit_batch(hub: &mut EventHub) {
    for length in 0..BATCH {
        let event = PeerDataIn {
            peer: peer(),
            length,
        };
        let _ = black_box(hub.emit(event, Some(ConnectionId(1))));
    }
}

fn event_hub(c: &mut Criterion) {
    let mut group = c.benchmark_group("event_hub");
    group.throughput(Throughput::Elements(BATCH as u64));

    let mut hub = EventHub::builder().capacity(BATCH).build();
    hub.on_all(|event: &Event| {
        black_box(event);
    });
    group.bench_function("dispatch_to_noop_on_all", |b| {
        b.iter(|| {
            emit_batch(&mut hub);
            black_box(hub.dispatch())
        });
    });

    // As hark's protocol contexts run it: each event goes to the listeners when emitted.
    let mut hub = EventHub::builder().listeners_only(true).build();
    hub.on_all(|event: &Event| {
        black_box(event);
    });
    group.bench_function("deliver_at_once_to_noop_on_all", |b| {
        b.iter(|| emit_batch(&mut hub));
    });

    let mut hub = EventHub::builder().capacity(BATCH).build();
    hub.on_peer_data_in(|_: &Event, attrs: &PeerDataIn| {
        black_box(attrs.length);
    });
    // A listener for another kind, skipped on every event.
    hub.on_peer_data_out(|_: &Event, attrs: &PeerDataOut| {
        black_box(attrs.length);
    });
    group.bench_function("dispatch_to_noop_per_kind", |b| {
        b.iter(|| {
            emit_batch(&mut hub);
            black_box(hub.dispatch())
        });
    });

    let mut hub = EventHub::builder().capacity(BATCH).build();
    let mut batch = Vec::with_capacity(256);
    group.bench_function("pull_api_batches_of_256", |b| {
        b.iter(|| {
            emit_batch(&mut hub);
            while hub.poll_events(&mut batch, 256) > 0 {
                black_box(&batch);
                batch.clear();
            }
        });
    });

    // Overload: the queue is full, every event is dropped and counted.
    let mut hub = EventHub::builder().capacity(0).build();
    group.bench_function("emit_into_full_queue", |b| {
        b.iter(|| emit_batch(&mut hub));
    });

    let mut hub = EventHub::builder().categories(CategoryMask::NONE).build();
    group.bench_function("emit_filtered_out", |b| {
        b.iter(|| emit_batch(&mut hub));
    });
    group.finish();
}

criterion_group!(benches, event_hub);
criterion_main!(benches);
