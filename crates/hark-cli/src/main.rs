//! The `hark` command.

mod decode_sctp;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// hark: event-driven transports toolkit.
#[derive(Parser)]
#[command(name = "hark", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decode bytes given as hex.
    Decode {
        #[command(subcommand)]
        what: Decode,
    },
}

#[derive(Subcommand)]
enum Decode {
    /// An SCTP notification (RFC 6458), printed with pysctp's field names.
    Sctp {
        /// Struct layout: linux or freebsd (default: the host's).
        #[arg(long)]
        layout: Option<String>,
        /// The notification bytes as hex (spaces and colons allowed).
        hex: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Decode {
            what: Decode::Sctp { layout, hex },
        } => decode_sctp::run(layout.as_deref(), hex),
    };
    match result {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
