//! `cargo xtask lab`: uTP's LEDBAT on a simulated 10 Mbit/s bottleneck with a 200 ms
//! drop-tail buffer (20 ms one-way delay), in virtual time, so every figure is exact for its
//! seed and independent of the machine. Arguments: `[SEED] [plusplus|draft-gain|rfc6817|yield|ramp|join|drain]`,
//! the rules of the congestion controller (LEDBAT++ by default; `target=MS` sets the LEDBAT target; `yield` is LEDBAT++ with
//! `ledbat_yield_to_standing_queues`, `ramp` with `ledbat_ramp_to_previous_window`,
//! `join` with `ledbat_join_slowdowns`, `drain` with `ledbat_hold_until_drained`; several comma-separated, such as `join,ramp`).
//!
//! Prints one flow's utilisation and median queueing delay, two flows' shares, and uTP's share
//! against a Reno-like flow, each beside its goal, and exits non-zero if a goal is missed.
//! Two more goals follow: two flows where the second starts 10 s after the first (the
//! latecomer case), and two flows over a bottleneck with 1 ms of jitter for a few seeds.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use hark_proto::netsim::reno::{RenoConfig, RenoReceiver, RenoSender};
use hark_proto::netsim::{JitterOrder, LinkConfig, LinkId, Outcome, Sim};
use hark_proto::utp::bulk::BulkNode;
use hark_proto::utp::ledbat::RTT_TARGET_FACTOR;
use hark_proto::utp::{ConnectionConfig, Endpoint, EndpointConfig, LedbatVariant};

const RATE_BPS: u64 = 10_000_000;
const WARM_UP: Duration = Duration::from_secs(20);
const MEASURE: Duration = Duration::from_secs(60);
/// How much later the latecomer starts.
const LATECOMER_DELAY: Duration = Duration::from_secs(10);
/// Seeds of the jittered two-flow runs (after the lab's own seed).
const JITTER_SEEDS: u64 = 4;
const FAIR_GAP: f64 = 0.20;

fn bottleneck() -> LinkConfig {
    LinkConfig::new()
        .delay(Duration::from_millis(20))
        .rate_bps(RATE_BPS)
        .queue_time(Duration::from_millis(200))
}

/// The path's round trip without a queue: the bottleneck's and the return path's delays.
const PATH_RTT: Duration = Duration::from_millis(40);

/// The LEDBAT target `connection` runs at on this path (it follows the round trip with
/// `ledbat_rtt_target_floor`; see `Ledbat::base_target`).
fn path_target(connection: &ConnectionConfig) -> Duration {
    match connection.ledbat_rtt_target_floor {
        Some(floor) => (PATH_RTT * RTT_TARGET_FACTOR)
            .max(floor)
            .min(connection.target_delay),
        None => connection.target_delay,
    }
}

fn return_path() -> LinkConfig {
    LinkConfig::new().delay(Duration::from_millis(20))
}

fn endpoint_config(connection: &ConnectionConfig) -> EndpointConfig {
    EndpointConfig {
        connection: connection.clone(),
        ..EndpointConfig::default()
    }
}

/// Adds flow `index`: a uTP sender at 10.0.<index>.1 sending without end to 10.0.<index>.2,
/// its data through `link`. Returns (sender, receiver).
fn add_utp_flow(
    sim: &mut Sim,
    link: LinkId,
    index: u8,
    start: Instant,
    connection: &ConnectionConfig,
) -> (SocketAddr, SocketAddr) {
    let a = SocketAddr::from(([10, 0, index, 1], 5000));
    let b = SocketAddr::from(([10, 0, index, 2], 6000));
    let back = sim.add_link(return_path()).expect("link");
    sim.route(a, b, &[link]).expect("route");
    sim.route(b, a, &[back]).expect("route");
    let base = sim.base();
    let stream = u64::from(index) * 2;
    let mut sender = Endpoint::new(
        endpoint_config(connection),
        base,
        Box::new(sim.rng_stream(stream)),
    );
    let receiver = Endpoint::new(
        endpoint_config(connection),
        base,
        Box::new(sim.rng_stream(stream + 1)),
    );
    let conn = sender.connect(start, b).expect("connect");
    sim.add_node(
        a,
        BulkNode::initiator(sender, conn, usize::MAX / 2, index, !index),
    )
    .expect("node");
    sim.add_node(b, BulkNode::acceptor(receiver, 0, !index, index))
        .expect("node");
    (a, b)
}

fn add_reno_flow(sim: &mut Sim, link: LinkId) -> (SocketAddr, SocketAddr) {
    let from = SocketAddr::from(([10, 0, 200, 1], 1000));
    let to = SocketAddr::from(([10, 0, 200, 2], 2000));
    let back = sim.add_link(return_path()).expect("link");
    sim.route(from, to, &[link]).expect("route");
    sim.route(to, from, &[back]).expect("route");
    let base = sim.base();
    sim.add_node(from, RenoSender::new(to, RenoConfig::default(), base))
        .expect("reno");
    sim.add_node(to, RenoReceiver::new()).expect("reno");
    (from, to)
}

/// Warms up, resets the counters, and measures.
fn run(sim: &mut Sim) {
    for span in [WARM_UP, MEASURE] {
        let outcome = sim.run_for(span).expect("simulation");
        assert_eq!(outcome, Outcome::Done, "the simulation stopped early");
        if span == WARM_UP {
            sim.reset_stats();
        }
    }
}

fn bytes(sim: &Sim, flow: (SocketAddr, SocketAddr)) -> f64 {
    sim.flow_stats(flow.0, flow.1)
        .map_or(0.0, |s| s.bytes_delivered as f64)
}

/// Two uTP flows over `link`, the second started `delay` after the first; returns their
/// delivered bytes during the measured span and the link's utilisation.
fn two_flows(
    seed: u64,
    link_config: LinkConfig,
    delay: Duration,
    connection: &ConnectionConfig,
) -> (f64, f64, f64) {
    let mut sim = Sim::new(seed, Instant::now());
    let link = sim.add_link(link_config).expect("link");
    let start = sim.base();
    let first = add_utp_flow(&mut sim, link, 1, start, connection);
    if !delay.is_zero() {
        let outcome = sim.run_for(delay).expect("simulation");
        assert_eq!(outcome, Outcome::Done, "the simulation stopped early");
    }
    let now = sim.now();
    let second = add_utp_flow(&mut sim, link, 2, now, connection);
    run(&mut sim);
    (
        bytes(&sim, first),
        bytes(&sim, second),
        sim.link_utilisation(link).unwrap_or(0.0),
    )
}

/// The shares of two flows as text, and their gap relative to the larger.
fn shares(a: f64, b: f64) -> (String, f64) {
    let total = (a + b).max(1.0);
    let gap = (a - b).abs() / a.max(b).max(1.0);
    (
        format!("{:.1} % / {:.1} %", a / total * 100.0, b / total * 100.0),
        gap,
    )
}

/// One line of the report; returns whether the goal holds.
fn report(what: &str, value: String, goal: &str, ok: bool) -> bool {
    println!(
        "{what:<44} {value:>18}   goal {goal:<22} {}",
        if ok { "ok" } else { "MISSED" }
    );
    ok
}

fn main() -> ExitCode {
    let seed = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let rules = std::env::args().nth(2).unwrap_or_else(|| "plusplus".into());
    let mut connection = ConnectionConfig::default();
    for rule in rules.split(',') {
        match rule {
            "plusplus" => connection.ledbat_variant = LedbatVariant::PlusPlus,
            "draft-gain" => {
                connection.ledbat_variant = LedbatVariant::PlusPlus;
                connection.ledbat_draft_gain = true;
            }
            "rfc6817" => connection.ledbat_variant = LedbatVariant::Rfc6817,
            "yield" => connection.ledbat_yield_to_standing_queues = true,
            "ramp" => connection.ledbat_ramp_to_previous_window = true,
            "join" => connection.ledbat_join_slowdowns = true,
            "drain" => connection.ledbat_hold_until_drained = true,
            other if other.starts_with("target=") => {
                let Ok(ms) = other["target=".len()..].parse() else {
                    eprintln!("{other:?}: target=MS takes milliseconds");
                    return ExitCode::FAILURE;
                };
                connection.target_delay = Duration::from_millis(ms);
            }
            other => {
                eprintln!(
                    "unknown rules {other:?}: plusplus, draft-gain, rfc6817, yield, ramp, join, drain \
                     or target=MS (comma-separated)"
                );
                return ExitCode::FAILURE;
            }
        }
    }
    println!(
        "uTP lab (seed {seed}): {} Mbit/s bottleneck, 200 ms drop-tail buffer, 20 ms one-way delay, \
         {} s warm-up, {} s measured, LEDBAT target {} ms, rules {rules}",
        RATE_BPS / 1_000_000,
        WARM_UP.as_secs(),
        MEASURE.as_secs(),
        path_target(&connection).as_millis()
    );
    let mut all_ok = true;

    // One flow alone.
    let mut sim = Sim::new(seed, Instant::now());
    let link = sim.add_link(bottleneck()).expect("link");
    let start = sim.base();
    add_utp_flow(&mut sim, link, 1, start, &connection);
    run(&mut sim);
    let utilisation = sim.link_utilisation(link).unwrap_or(0.0);
    let stats = sim.link_stats(link).expect("stats");
    let median = stats.queue_delay.median().unwrap_or_default();
    let low = path_target(&connection).mul_f64(0.85);
    let high = path_target(&connection).mul_f64(1.15);
    all_ok &= report(
        "one uTP flow: utilisation",
        format!("{:.1} %", utilisation * 100.0),
        ">= 95 %",
        utilisation >= 0.95,
    );
    all_ok &= report(
        "one uTP flow: median queueing delay",
        format!("{:.1} ms", median.as_secs_f64() * 1e3),
        &format!(
            "{:.0}..{:.0} ms",
            low.as_secs_f64() * 1e3,
            high.as_secs_f64() * 1e3
        ),
        (low..=high).contains(&median),
    );
    println!(
        "{:<44} {:>18}",
        "one uTP flow: queueing delay p95 / max",
        format!(
            "{:.1} / {:.1} ms",
            stats
                .queue_delay
                .percentile(0.95)
                .unwrap_or_default()
                .as_secs_f64()
                * 1e3,
            stats.queue_delay.max().unwrap_or_default().as_secs_f64() * 1e3
        )
    );

    // Two flows started together.
    let (a, b, utilisation) = two_flows(seed, bottleneck(), Duration::ZERO, &connection);
    let (text, gap) = shares(a, b);
    all_ok &= report(
        "two uTP flows: shares",
        text,
        "within 20 % of each other",
        gap <= FAIR_GAP,
    );
    println!(
        "{:<44} {:>18}",
        "two uTP flows: utilisation",
        format!("{:.1} %", utilisation * 100.0)
    );

    // uTP against a Reno-like flow.
    let mut sim = Sim::new(seed, Instant::now());
    let link = sim.add_link(bottleneck()).expect("link");
    let start = sim.base();
    let utp = add_utp_flow(&mut sim, link, 1, start, &connection);
    let reno = add_reno_flow(&mut sim, link);
    run(&mut sim);
    let (u, r) = (bytes(&sim, utp), bytes(&sim, reno));
    let share = u / (u + r).max(1.0);
    all_ok &= report(
        "uTP against Reno: uTP's share",
        format!("{:.1} %", share * 100.0),
        "<= 20 %",
        share <= 0.20,
    );
    println!(
        "{:<44} {:>18}",
        "uTP against Reno: utilisation",
        format!("{:.1} %", sim.link_utilisation(link).unwrap_or(0.0) * 100.0)
    );

    // The latecomer, and seed-to-seed variation with a little jitter.
    let (a, b, utilisation) = two_flows(seed, bottleneck(), LATECOMER_DELAY, &connection);
    let (text, gap) = shares(a, b);
    all_ok &= report(
        "latecomer (2nd flow 10 s later): shares",
        text,
        "within 20 % of each other",
        gap <= FAIR_GAP,
    );
    println!(
        "{:<44} {:>18}",
        "latecomer: utilisation",
        format!("{:.1} %", utilisation * 100.0)
    );
    let jittered = || bottleneck().jitter(Duration::from_millis(1), JitterOrder::KeepOrder);
    let mut worst: f64 = 0.0;
    for jitter_seed in seed..seed + JITTER_SEEDS {
        let (a, b, _) = two_flows(jitter_seed, jittered(), Duration::ZERO, &connection);
        let (text, gap) = shares(a, b);
        worst = worst.max(gap);
        println!(
            "{:<44} {:>18}",
            format!("two flows, 1 ms jitter, seed {jitter_seed}: shares"),
            text
        );
    }
    all_ok &= report(
        "two flows, 1 ms jitter: largest gap",
        format!("{:.1} %", worst * 100.0),
        "<= 20 %",
        worst <= FAIR_GAP,
    );

    if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
