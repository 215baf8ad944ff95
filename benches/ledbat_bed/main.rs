//! `cargo xtask ledbat-bed`: uTP's LEDBAT judged on a real kernel's bottleneck.
//!
//! Three network namespaces (sender, router, receiver; see `bed.rs`), the router's egress
//! toward the receiver shaped by `tc qdisc tbf`. Each scenario runs its flows from the
//! sender to the receiver and prints the bottleneck's utilisation (bytes its qdisc sent over
//! the measurement window, against the rate), the median queueing delay (an RTT probe
//! through the same queue, minus the idle bed's RTT) and each flow's share of the bytes
//! delivered; each scenario runs `--runs` times and the medians are printed beside the
//! issue's goals.
//!
//! `cargo bench --bench ledbat_bed -- [--rate-mbit 10] [--queue-bytes 250000]
//! [--duration 30] [--warmup 5] [--late 10] [--runs 3] [--reference] [--only NAME]
//! [--target-ms MS] [--fixed-target] [--yield] [--no-ramp] [--no-join] [--no-drain]
//! [--trace DIR]` (root).
//! `--only` runs the scenarios whose name contains NAME; `--target-ms` overrides hark's
//! LEDBAT target (its ceiling while the target follows the round trip); `--fixed-target`
//! turns off `ledbat_rtt_target_floor`, so the target is 100 ms (or `--target-ms`) whatever
//! the round trip; `--yield` turns on `ledbat_yield_to_standing_queues`; `--no-ramp`,
//! `--no-join` and `--no-drain` turn off `ledbat_ramp_to_previous_window`,
//! `ledbat_join_slowdowns` and `ledbat_hold_until_drained`; `--trace DIR` writes each run's
//! hark senders' windows and delay estimates beside the probe's queueing delay to DIR; with
//! `--reference`, libtorrent's uTP through Debian's python3-libtorrent runs the same
//! scenarios.

mod bed;
mod flows;

use std::thread;
use std::time::{Duration, Instant};

use bed::Bed;
use flows::{Flow, HarkOptions, Kind, Probe, Trace};

struct Args {
    rate_bit: u64,
    queue_bytes: u64,
    duration: Duration,
    warmup: Duration,
    late: Duration,
    runs: usize,
    reference: bool,
    only: Option<String>,
    target_ms: Option<u64>,
    yielding: bool,
    no_ramp: bool,
    no_join: bool,
    no_drain: bool,
    fixed_target: bool,
    trace: Option<std::path::PathBuf>,
}

fn parse_args() -> Args {
    let args: Vec<String> = std::env::args().collect();
    let value = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let number = |name: &str, default: f64| -> f64 {
        value(name).map_or(default, |v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name} takes a number, not {v:?}"))
        })
    };
    Args {
        rate_bit: (number("--rate-mbit", 10.0) * 1e6) as u64,
        queue_bytes: number("--queue-bytes", 250_000.0) as u64,
        duration: Duration::from_secs_f64(number("--duration", 30.0)),
        warmup: Duration::from_secs_f64(number("--warmup", 5.0)),
        late: Duration::from_secs_f64(number("--late", 10.0)),
        runs: number("--runs", 3.0) as usize,
        reference: args.iter().any(|a| a == "--reference"),
        only: value("--only"),
        yielding: args.iter().any(|a| a == "--yield"),
        no_ramp: args.iter().any(|a| a == "--no-ramp"),
        no_join: args.iter().any(|a| a == "--no-join"),
        no_drain: args.iter().any(|a| a == "--no-drain"),
        fixed_target: args.iter().any(|a| a == "--fixed-target"),
        trace: value("--trace").map(Into::into),
        target_ms: value("--target-ms").map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("--target-ms takes a number, not {v:?}"))
        }),
    }
}

/// The alone scenario's goal; its delay range follows the target (see `alone_goal`).
const ALONE_GOAL: &str = "utilisation >= 95 %, queueing delay within 15 % of the target";

/// The alone scenario's goal with the target hark runs at on a path of `rtt`.
fn alone_goal(kind: &Kind, rtt: Duration) -> String {
    let Kind::Hark(options) = kind else {
        return ALONE_GOAL.into();
    };
    let target = options.target(rtt).as_secs_f64() * 1e3;
    format!(
        "utilisation >= 95 %, queueing delay {:.1}..{:.1} ms: target {target:.1} ms +- 15 %, idle RTT {:.2} ms",
        target * 0.85,
        target * 1.15,
        rtt.as_secs_f64() * 1e3
    )
}

/// A scenario: flows and when each starts.
struct Scenario {
    name: String,
    flows: Vec<(Kind, Duration)>,
    /// The goal line printed beside the result.
    goal: String,
}

fn scenarios(utp: Kind, late: Duration) -> Vec<Scenario> {
    let n = utp.name();
    let zero = Duration::ZERO;
    let tcp = |cc: &str| Kind::Tcp(cc.into());
    vec![
        Scenario {
            name: format!("{n} alone"),
            flows: vec![(utp.clone(), zero)],
            goal: ALONE_GOAL.into(),
        },
        Scenario {
            name: format!("{n} vs tcp-cubic"),
            flows: vec![(utp.clone(), zero), (tcp("cubic"), zero)],
            goal: "uTP <= 10 % of the link".into(),
        },
        Scenario {
            name: format!("{n} vs tcp-reno"),
            flows: vec![(utp.clone(), zero), (tcp("reno"), zero)],
            goal: "uTP <= 10 % of the link".into(),
        },
        Scenario {
            name: format!("{n} vs tcp-bbr"),
            flows: vec![(utp.clone(), zero), (tcp("bbr"), zero)],
            goal: "uTP <= 25 % of the link".into(),
        },
        Scenario {
            name: format!("two {n}"),
            flows: vec![(utp.clone(), zero), (utp.clone(), zero)],
            goal: "shares within 20 % of each other".into(),
        },
        Scenario {
            name: format!("{n} + latecomer"),
            flows: vec![(utp.clone(), zero), (utp, late)],
            goal: "shares within 20 % of each other".into(),
        },
    ]
}

/// One run's figures.
struct Outcome {
    utilisation: f64,
    queueing_ms: f64,
    /// Each flow's bytes over the window, as a fraction of the link's capacity.
    shares: Vec<f64>,
    drops: u64,
    /// The idle bed's round trip measured before the run.
    base_rtt: Duration,
}

fn median(mut xs: Vec<f64>) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    xs.sort_by(f64::total_cmp);
    let mid = xs.len() / 2;
    if xs.len() % 2 == 1 {
        xs[mid]
    } else {
        (xs[mid - 1] + xs[mid]) / 2.0
    }
}

/// The idle bed's round-trip time: the smallest probe RTT over one second.
fn base_rtt(probe: &Probe) -> Duration {
    let from = Instant::now();
    thread::sleep(Duration::from_secs(1));
    probe
        .samples_between(from, Instant::now())
        .into_iter()
        .min()
        .unwrap_or_default()
}

fn run_once(bed: &Bed, args: &Args, scenario: &Scenario, run: usize) -> Result<Outcome, String> {
    let trace = args.trace.as_ref().map(|_| Trace::new());
    let probe = Probe::start(bed)?;
    let base = base_rtt(&probe);
    let started = Instant::now();
    let last_start = scenario
        .flows
        .iter()
        .map(|(_, at)| *at)
        .max()
        .unwrap_or_default();
    let mut order: Vec<usize> = (0..scenario.flows.len()).collect();
    order.sort_by_key(|&i| scenario.flows[i].1);
    let mut running: Vec<Option<Flow>> = (0..scenario.flows.len()).map(|_| None).collect();
    for i in order {
        let (kind, at) = &scenario.flows[i];
        if let Some(wait) = (started + *at).checked_duration_since(Instant::now()) {
            thread::sleep(wait);
        }
        running[i] = Some(flows::start(bed, kind, 6000 + i as u16, trace.clone())?);
    }
    let flows: Vec<Flow> = running.into_iter().flatten().collect();
    let window_start = started + last_start + args.warmup;
    let window_end = started + last_start + args.duration;
    if let Some(wait) = window_start.checked_duration_since(Instant::now()) {
        thread::sleep(wait);
    }
    let bytes0 = bed.bottleneck_bytes()?;
    let drops0 = bed.bottleneck_drops()?;
    let delivered0: Vec<u64> = flows
        .iter()
        .map(|f| f.delivered.load(std::sync::atomic::Ordering::Relaxed))
        .collect();
    let t0 = Instant::now();
    if let Some(wait) = window_end.checked_duration_since(Instant::now()) {
        thread::sleep(wait);
    }
    let bytes1 = bed.bottleneck_bytes()?;
    let drops1 = bed.bottleneck_drops()?;
    let delivered1: Vec<u64> = flows
        .iter()
        .map(|f| f.delivered.load(std::sync::atomic::Ordering::Relaxed))
        .collect();
    let t1 = Instant::now();
    let seconds = (t1 - t0).as_secs_f64();
    let capacity = args.rate_bit as f64 / 8.0 * seconds;
    let rtts = probe.samples_between(t0, t1);
    let queueing: Vec<f64> = rtts
        .iter()
        .map(|r| r.saturating_sub(base).as_secs_f64() * 1e3)
        .collect();
    for f in flows {
        f.stop();
    }
    if let (Some(dir), Some(trace)) = (&args.trace, &trace) {
        write_trace(dir, scenario, run, trace, &probe, base)?;
    }
    drop(probe);
    // Let the queue drain before the next run.
    thread::sleep(Duration::from_secs(2));
    Ok(Outcome {
        utilisation: (bytes1 - bytes0) as f64 / capacity,
        queueing_ms: median(queueing),
        shares: delivered0
            .iter()
            .zip(&delivered1)
            .map(|(a, b)| (b - a) as f64 / capacity)
            .collect(),
        drops: drops1 - drops0,
        base_rtt: base,
    })
}

/// Writes `DIR/<scenario>-<run>.tsv`: `ms  who  ...` lines, the flows' (window bytes,
/// estimated queuing ms, RTT ms, bytes in flight) and the probe's (queueing ms), by time.
fn write_trace(
    dir: &std::path::Path,
    scenario: &Scenario,
    run: usize,
    trace: &Trace,
    probe: &Probe,
    base: Duration,
) -> Result<(), String> {
    let mut lines = trace.lines.lock().unwrap().clone();
    for (at, rtt) in probe.all_samples() {
        lines.push(format!(
            "{:.1}\tprobe\t{:.1}",
            trace.millis(at),
            rtt.saturating_sub(base).as_secs_f64() * 1e3
        ));
    }
    lines.sort_by(|a, b| {
        let t = |l: &String| l.split('\t').next().and_then(|v| v.parse::<f64>().ok());
        t(a).partial_cmp(&t(b)).unwrap_or(std::cmp::Ordering::Equal)
    });
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let name = format!("{}-{}.tsv", scenario.name.replace(' ', "_"), run + 1);
    let path = dir.join(name);
    std::fs::write(&path, lines.join("\n") + "\n").map_err(|e| format!("{}: {e}", path.display()))
}

fn main() {
    let args = parse_args();
    let bed = match Bed::create(args.rate_bit, args.queue_bytes) {
        Ok(bed) => bed,
        Err(e) => {
            eprintln!("ledbat-bed: {e}");
            std::process::exit(1);
        }
    };
    println!(
        "ledbat-bed: tbf {:.1} Mbit/s, queue {} bytes ({:.0} ms), {} s per run ({} s warm-up), {} runs per scenario, medians",
        args.rate_bit as f64 / 1e6,
        args.queue_bytes,
        args.queue_bytes as f64 * 8.0 / args.rate_bit as f64 * 1e3,
        args.duration.as_secs_f64(),
        args.warmup.as_secs_f64(),
        args.runs
    );
    println!(
        "ledbat-bed: utilisation = bytes through the bottleneck qdisc / capacity; shares = each flow's delivered payload / capacity"
    );
    let defaults = HarkOptions::default();
    let mut kinds = vec![Kind::Hark(HarkOptions {
        target_ms: args.target_ms,
        yielding: args.yielding || defaults.yielding,
        ramp: defaults.ramp && !args.no_ramp,
        join: defaults.join && !args.no_join,
        drain: defaults.drain && !args.no_drain,
        rtt_target_floor: defaults.rtt_target_floor.filter(|_| !args.fixed_target),
    })];
    if args.reference {
        kinds.push(Kind::Libtorrent);
    }
    for kind in kinds {
        for scenario in scenarios(kind, args.late) {
            if args
                .only
                .as_ref()
                .is_some_and(|o| !scenario.name.contains(o.as_str()))
            {
                continue;
            }
            let mut outcomes = Vec::new();
            for run in 0..args.runs {
                match run_once(&bed, &args, &scenario, run) {
                    Ok(o) => {
                        let shares: Vec<String> = o
                            .shares
                            .iter()
                            .map(|s| format!("{:.1} %", s * 100.0))
                            .collect();
                        eprintln!(
                            "  {} run {}: utilisation {:.1} %, queueing {:.1} ms, shares [{}], {} drops",
                            scenario.name,
                            run + 1,
                            o.utilisation * 100.0,
                            o.queueing_ms,
                            shares.join(", "),
                            o.drops
                        );
                        outcomes.push(o);
                    }
                    Err(e) => {
                        eprintln!("ledbat-bed: {}: {e}", scenario.name);
                        std::process::exit(1);
                    }
                }
            }
            let utilisation = median(outcomes.iter().map(|o| o.utilisation).collect());
            let queueing = median(outcomes.iter().map(|o| o.queueing_ms).collect());
            let shares: Vec<String> = scenario
                .flows
                .iter()
                .enumerate()
                .map(|(i, (kind, _))| {
                    let share = median(outcomes.iter().map(|o| o.shares[i]).collect());
                    format!("{} {:.1} %", kind.name(), share * 100.0)
                })
                .collect();
            let goal = if scenario.goal == ALONE_GOAL {
                let rtt = median(outcomes.iter().map(|o| o.base_rtt.as_secs_f64()).collect());
                alone_goal(&scenario.flows[0].0, Duration::from_secs_f64(rtt))
            } else {
                scenario.goal.clone()
            };
            println!(
                "{:<32} utilisation {:>5.1} %  queueing {:>6.1} ms  shares: {}   (goal: {goal})",
                scenario.name,
                utilisation * 100.0,
                queueing,
                shares.join(", "),
            );
        }
    }
}
