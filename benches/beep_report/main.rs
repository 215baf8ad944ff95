//! `cargo bench -p hark-suite --bench beep_report`: hark's BEEP facade on loopback, in one
//! run, beside a raw TCP echo of the same messages (part of `cargo xtask bench`):
//!
//! 1. echo of 64 KiB messages on one channel, MB/s, against a raw TCP echo of the same
//!    messages with the same number in flight (the ratio), for each receive window;
//! 2. 100 channels exchanging 100-byte messages, one in flight per channel: messages/s;
//! 3. both again with the session tuned to TLS (rustls, TLS 1.3).
//!
//! Each figure is measured over `--seconds` (default 1) after a short warm-up; the
//! windows used are printed with the figures.
//!
//! Options: `--seconds S`, `--depth N` (64 KiB messages in flight, default 8),
//! `--windows W,W,...` (receive windows of the echo step, default 4096,1048576).

mod beep;
mod raw_tcp;

use std::time::Duration;

const ECHO_SIZE: usize = 64 * 1024;
const SMALL_SIZE: usize = 100;
const CHANNELS: usize = 100;
/// The window of the 100-channel step (RFC 3081's initial window).
const SMALL_WINDOW: u32 = 4096;

struct Args {
    seconds: f64,
    depth: usize,
    windows: Vec<u32>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        seconds: 1.0,
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
    if args.depth == 0 || args.seconds <= 0.0 {
        return Err("--depth and --seconds must be positive".into());
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
        "BEEP on loopback ({} s per figure, {} x 64 KiB in flight)",
        args.seconds, args.depth
    );
    let raw = raw_tcp::echo(ECHO_SIZE, args.depth, time);
    println!(
        "  raw TCP echo, 64 KiB messages:                 {:>9.1} MB/s",
        raw.mb_per_s()
    );
    for &window in &args.windows {
        for tls in [false, true] {
            let run = beep::run(window, tls, 1, ECHO_SIZE, args.depth, time);
            println!(
                "  BEEP{} echo, 64 KiB, 1 channel, window {:>7}: {:>9.1} MB/s  ({:.2}x raw TCP)",
                if tls { "+TLS" } else { "    " },
                window,
                run.mb_per_s(),
                run.mb_per_s() / raw.mb_per_s()
            );
        }
    }
    for tls in [false, true] {
        let run = beep::run(SMALL_WINDOW, tls, CHANNELS, SMALL_SIZE, 1, time);
        println!(
            "  BEEP{} {CHANNELS} channels, 100-byte messages, window {SMALL_WINDOW}: {:>9.0} messages/s",
            if tls { "+TLS" } else { "    " },
            run.per_s()
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
