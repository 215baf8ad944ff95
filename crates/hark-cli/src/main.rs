//! The `hark` command.
//!
//! - `hark decode utp HEX`: print a uTP datagram field by field.
//! - `hark decode sctp [--layout linux|freebsd] HEX`: print an SCTP notification with
//!   pysctp's field names.
//! - `hark ucat`: netcat over uTP with the flags of libutp's ucat.
//! - `hark demo`: a loopback transfer through libutp's callback table.
//! - `hark beep listen|send`: a BEEP listener and sender (see `beep.rs`).

mod beep;
mod decode_sctp;
mod decode_utp;
mod demo;
mod hex;
mod progress;
mod ucat;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// hark: event-driven transports.
#[derive(Parser)]
#[command(name = "hark", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decode a packet or notification given as hex, field by field.
    Decode {
        #[command(subcommand)]
        what: Decode,
    },
    /// netcat over uTP: `hark ucat [-d] [-n] [-s SRCIP] [-p PORT] [-B SIZE] HOST PORT`,
    /// or `hark ucat -l -p PORT` to listen (flags of libutp's ucat).
    Ucat(ucat::UcatArgs),
    /// Two uTP endpoints on loopback move 100 MB through libutp's callback table; prints
    /// throughput, the count of each callback and sample events.
    Demo(demo::DemoArgs),
    /// BEEP: `hark beep listen [-l ADDR] -p PORT --profile URI[=echo|silent|deny]...` or
    /// `hark beep send HOST PORT --profile URI [--count N] [--size BYTES] [FILE|-]`.
    Beep {
        #[command(subcommand)]
        what: beep::BeepCommand,
    },
}

#[derive(Subcommand)]
enum Decode {
    /// A uTP (BEP 29) datagram.
    Utp {
        /// The datagram as hex (whitespace and `:` separators allowed; may span arguments).
        #[arg(required = true)]
        hex: Vec<String>,
    },
    /// An SCTP notification (RFC 6458), printed with pysctp's field names.
    Sctp {
        /// Struct layout: linux or freebsd (default: the host's).
        #[arg(long)]
        layout: Option<String>,
        /// The notification bytes as hex (whitespace and `:` separators allowed; may span
        /// arguments).
        #[arg(required = true)]
        hex: Vec<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Decode { what } => match what {
            Decode::Utp { hex } => decode_utp::run(&hex.join(" ")),
            Decode::Sctp { layout, hex } => decode_sctp::run(layout.as_deref(), &hex.join(" ")),
        },
        Command::Ucat(args) => ucat::run(args).map(|()| String::new()),
        Command::Demo(args) => demo::run(args).map(|()| String::new()),
        Command::Beep { what } => beep::run(what).map(|()| String::new()),
    };
    match result {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("hark: {message}");
            ExitCode::FAILURE
        }
    }
}
