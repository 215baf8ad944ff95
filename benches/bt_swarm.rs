//! A BitTorrent swarm's simulated throughput per CPU second (issue 12).
//!
//! The swarm runs in memory over `hark_proto::netsim`: one seeder and eight leechers, each
//! a `Torrent` whose peers are uTP connections, 20 ms apart, the seeder uploading at
//! 4 MB/s and the leechers at 1 MB/s, all meshed. Each iteration downloads a 4 MiB torrent
//! (16 pieces of 256 KiB) to every leecher, byte-exact. The time measured is this process's
//! CPU time (`getrusage`), so criterion's throughput is bytes delivered to the leechers per
//! CPU second; the virtual time the swarm took is printed once per case. `lossy` is the
//! same swarm with 1 % loss on every access link.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hark_proto::bt::swarm::{NodeSpec, Swarm, SwarmConfig, make_torrent};

const LEECHERS: usize = 8;
const LENGTH: u64 = 4 << 20;

/// User plus system CPU time of this process.
fn cpu_time() -> Duration {
    // SAFETY: an all-zero `rusage` is a valid value of this plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is a live, writable `rusage`; RUSAGE_SELF is always valid.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &raw mut usage) } != 0 {
        return Duration::ZERO;
    }
    let tv = |t: libc::timeval| {
        Duration::from_secs(u64::try_from(t.tv_sec).unwrap_or(0))
            + Duration::from_micros(u64::try_from(t.tv_usec).unwrap_or(0))
    };
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Runs the swarm to the end; the virtual time it took.
fn run(seed: u64, loss: f64) -> Duration {
    let (info, content) = make_torrent(seed, &[LENGTH], 256 * 1024);
    let config = SwarmConfig {
        loss,
        ..SwarmConfig::default()
    };
    let mut swarm = Swarm::new(seed, info, content, config);
    let mut nodes = vec![swarm.add_node(NodeSpec::seeder(4_000_000)).unwrap()];
    for _ in 0..LEECHERS {
        nodes.push(swarm.add_node(NodeSpec::leecher(1_000_000)).unwrap());
    }
    swarm.mesh(&nodes);
    let leechers = &nodes[1..];
    let took = swarm
        .run_until(Duration::from_secs(600), |s| {
            leechers.iter().all(|&n| s.is_finished(n))
        })
        .unwrap()
        .expect("the swarm finishes");
    assert!(leechers.iter().all(|&n| swarm.byte_exact(n)));
    took
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("bt_swarm_1_seeder_8_leechers_4MiB");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(LENGTH * LEECHERS as u64));
    for (name, loss) in [("lossless", 0.0), ("lossy", 0.01)] {
        let virtual_time = run(1, loss);
        println!("bt_swarm {name}: the swarm takes {virtual_time:?} of virtual time");
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let start = cpu_time();
                for i in 0..iters {
                    black_box(run(1 + i % 4, loss));
                }
                cpu_time() - start
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
