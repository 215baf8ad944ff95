//! The `hark` command.
//!
//! - `hark decode utp HEX`: print a uTP packet field by field.

mod decode_utp;
mod hex;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "hark", version, about = "hark: event-driven transports")]
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
        /// The datagram as hex (whitespace and `:` separators allowed).
        hex: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Decode { what } => match what {
            Decode::Utp { hex } => decode_utp::run(&hex),
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
