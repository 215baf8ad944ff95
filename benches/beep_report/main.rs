//! `cargo bench -p hark-suite --bench beep_report`: hark's BEEP facade on loopback, in one
//! run, beside a raw TCP echo of the same messages (part of `cargo xtask bench`):
//!
//! 1. echo of 64 KiB messages on one channel, MB/s, against a raw TCP echo of the same
//!    messages with the same number in flight (the ratio), for each receive window;
//! 2. 100 channels exchanging 100-byte messages, one in flight per channel: messages/s;
//! 3. both again with the session tuned to TLS (rustls, TLS 1.3).
//!
//! Each measurement runs `--seconds` (default 0.5) after a warm-up of a fifth of that;
//! the steps run in `--rounds` (default 3) interleaved rounds, and each figure is the
//! median of its rounds, with the lowest and highest. The windows used are printed with
//! the figures.
//!
//! Options: `--seconds S`, `--rounds N`, `--depth N` (64 KiB messages in flight,
//! default 8), `--windows W,W,...` (receive windows of the echo step, default
//! 4096,1048576).

mod beep;
mod raw_tcp;

use std::time::Duration;

use hark_suite::report::Spread;

const ECHO_SIZE: usize = 64 * 1024;
const SMALL_SIZE: usize = 100;
const CHANNELS: usize = 100;
/// The window of the 100-channel step (RFC 3081's initial window).
const SMALL_WINDOW: u32 = 4096;

struct Args {
    seconds: f64,
    rounds: usize,
    depth: usize,
    windows: Vec<u32>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        seconds: 0.5,
        rounds: 3,
        depth: 8,
        windows: vec![4096, 1 << 20],
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--seconds" => {
                args.seconds = value("--seconds")?
                    .parse()
                    .map_err(|e| format!("--seconds: {e}"))?
            }
            "--rounds" => {
                args.rounds = value("--rounds")?
                    .parse()
                    .map_err(|e| format!("--rounds: {e}"))?
            }
            "--depth" => {
                args.depth = value("--depth")?
                    .parse()
                    .map_err(|e| format!("--depth: {e}"))?
            }
            "--windows" => {
                args.windows = value("--windows")?
                    .split(',')
                    .map(|w| w.parse().map_err(|e| format!("--windows: {e}")))
                    .collect::<Result<_, _>>()?
            }
            // cargo bench passes `--bench`.
            "--bench" => {}
            other => return Err(format!("unknown option {other}")),
        }
    }
    if args.depth == 0 || args.rounds == 0 || args.seconds <= 0.0 {
        return Err("--depth, --rounds and --seconds must be positive".into());
    }
    Ok(args)
}

fn main() {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("beep_report: {e}");
            std::process::exit(2);
        }
    };
    let time = Duration::from_secs_f64(args.seconds);
    println!(
        "BEEP on loopback: medians of {} interleaved rounds of {} s [lowest-highest], {} x 64 KiB in flight",
        args.rounds, args.seconds, args.depth
    );
    let echo_steps: Vec<(u32, bool)> = args
        .windows
        .iter()
        .flat_map(|&w| [(w, false), (w, true)])
        .collect();
    let mut raw = Vec::new();
    let mut echo = vec![Vec::new(); echo_steps.len()];
    let mut small = [Vec::new(), Vec::new()];
    for _ in 0..args.rounds {
        raw.push(raw_tcp::echo(ECHO_SIZE, args.depth, time).mb_per_s());
        for (i, &(window, tls)) in echo_steps.iter().enumerate() {
            let run = beep::run(window, tls, 1, ECHO_SIZE, args.depth, time);
            echo[i].push(run.mb_per_s());
        }
        for (i, tls) in [false, true].into_iter().enumerate() {
            let run = beep::run(SMALL_WINDOW, tls, CHANNELS, SMALL_SIZE, 1, time);
            small[i].push(run.per_s());
        }
    }
    let raw_median = Spread::of(&raw).median;
    println!(
        "  raw TCP echo, 64 KiB messages:                  {:>9}  MB/s",
        Spread::of(&raw)
    );
    for (i, &(window, tls)) in echo_steps.iter().enumerate() {
        let spread = Spread::of(&echo[i]);
        println!(
            "  BEEP{} echo, 64 KiB, 1 channel, window {window:>7}: {spread:>9}  MB/s, {:.2}x raw TCP",
            if tls { "+TLS" } else { "    " },
            spread.median / raw_median
        );
    }
    for (i, tls) in [false, true].into_iter().enumerate() {
        println!(
            "  BEEP{} {CHANNELS} channels, 100-byte messages, window {SMALL_WINDOW}: {:>9}  messages/s",
            if tls { "+TLS" } else { "    " },
            Spread::of(&small[i])
        );
    }
}

/// What one measurement counted.
#[derive(Debug, Clone, Copy)]
pub struct Figure {
    /// Messages echoed.
    pub messages: u64,
    /// Bytes per message.
    pub size: usize,
    /// Over this long.
    pub elapsed: Duration,
}

impl Figure {
    /// Echoed payload per second, in MB (10^6 bytes), one direction.
    pub fn mb_per_s(&self) -> f64 {
        self.messages as f64 * self.size as f64 / self.elapsed.as_secs_f64() / 1e6
    }

    /// Messages echoed per second.
    pub fn per_s(&self) -> f64 {
        self.messages as f64 / self.elapsed.as_secs_f64()
    }
}
