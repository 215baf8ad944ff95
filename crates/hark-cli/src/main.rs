//! The `hark` command.
//!
//! - `hark decode utp HEX`: print a uTP datagram field by field.
//! - `hark decode sctp [--layout linux|freebsd] HEX`: print an SCTP notification with
//!   pysctp's field names.

mod decode_sctp;
mod decode_utp;
mod hex;

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
    let result = match &cli.command {
        Command::Decode { what } => match what {
            Decode::Utp { hex } => decode_utp::run(&hex.join(" ")),
            Decode::Sctp { layout, hex } => decode_sctp::run(layout.as_deref(), &hex.join(" ")),
        },
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
