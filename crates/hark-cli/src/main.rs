//! The `hark` command.
//!
//! - `hark decode utp HEX`: print a uTP datagram field by field.
//! - `hark decode sctp [--layout linux|freebsd] HEX`: print an SCTP notification with
//!   pysctp's field names.
//! - `hark decode beep [--file PATH | HEX]`: print a captured BEEP stream frame by frame.
//! - `hark ucat`: netcat over uTP with the flags of libutp's ucat.
//! - `hark demo`: a loopback transfer through libutp's callback table.

mod decode_beep;
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
    /// A captured BEEP (RFC 3080/3081) byte stream, frame by frame, with channel 0's XML
    /// decoded.
    Beep {
        /// Read the stream from this file instead of hex arguments.
        #[arg(long, conflicts_with = "hex")]
        file: Option<std::path::PathBuf>,
        /// Refuse frames whose payload is larger than this.
        #[arg(long, default_value_t = hark_wire::beep::stream::DEFAULT_MAX_PAYLOAD)]
        max_payload: u32,
        /// The stream as hex (whitespace and `:` separators allowed; may span arguments).
        #[arg(required_unless_present = "file")]
        hex: Vec<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Decode { what } => match what {
            Decode::Utp { hex } => decode_utp::run(&hex.join(" ")),
            Decode::Sctp { layout, hex } => decode_sctp::run(layout.as_deref(), &hex.join(" ")),
            Decode::Beep {
                file,
                max_payload,
                hex,
            } => match file {
                Some(path) => std::fs::read(&path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))
                    .and_then(|bytes| decode_beep::run(&bytes, max_payload)),
                None => hex::decode(&hex.join(" "))
                    .and_then(|bytes| decode_beep::run(&bytes, max_payload)),
            },
        },
        Command::Ucat(args) => ucat::run(args).map(|()| String::new()),
        Command::Demo(args) => demo::run(args).map(|()| String::new()),
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
