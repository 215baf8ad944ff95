//! The `hark` command.
//!
//! - `hark decode utp HEX`: print a uTP datagram field by field.
//! - `hark decode sctp [--layout linux|freebsd] HEX`: print an SCTP notification with
//!   pysctp's field names.
//! - `hark decode bt [--file PATH] [HEX...]`: list a BitTorrent peer-wire stream, one
//!   message a line.
//! - `hark decode beep [--file PATH | HEX]`: print a captured BEEP stream frame by frame.
//! - `hark ucat`: netcat over uTP with the flags of libutp's ucat.
//! - `hark demo`: a loopback transfer through libutp's callback table.
//! - `hark torrent info FILE`: a .torrent's name, files, pieces, info hash and trackers.
//! - `hark torrent create [-t URL]... [-w URL]... [--piece-length N] [--private] -o OUT PATH`:
//!   a v1 .torrent for a file or a directory (see `torrent_create.rs`).
//! - `hark torrent download FILE -o DIR [...]` and `hark torrent seed FILE DIR [...]`: hark's
//!   BitTorrent client on one torrent (see `torrent_client.rs`).
//! - `hark beep listen|send`: a BEEP listener and sender (see `beep.rs`).

mod beep;
mod decode_beep;
mod decode_bt;
mod decode_sctp;
mod decode_utp;
mod demo;
mod hex;
mod piece_hasher;
mod progress;
mod torrent_client;
mod torrent_create;
mod torrent_info;
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
        what: Box<beep::BeepCommand>,
    },
    /// BitTorrent metainfo files.
    Torrent {
        #[command(subcommand)]
        what: Torrent,
    },
}

#[derive(Subcommand)]
enum Torrent {
    /// Name, files with their sizes in bytes, piece length and count, info hash, trackers
    /// by tier, web seeds and the private flag of a .torrent file.
    Info {
        /// The .torrent file.
        file: std::path::PathBuf,
    },
    /// Make a v1 .torrent for a file or a directory (multi-file, paths sorted, empty files
    /// kept), hashing pieces on all cores; prints what `info` prints for it.
    Create(torrent_create::CreateArgs),
    /// Download a torrent into DIR/NAME with hark's BitTorrent client (uTP first, then
    /// TCP); exits 0 once every piece is verified.
    Download(torrent_client::DownloadArgs),
    /// Seed a torrent whose data is under DIR (DIR/NAME), after checking it, until
    /// interrupted.
    Seed(torrent_client::SeedArgs),
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
    /// A BitTorrent peer-wire byte stream (BEP 3/5/6/10), one message a line; it may start
    /// with the handshake.
    Bt {
        /// Read the raw bytes from this file instead of hex arguments.
        #[arg(long, conflicts_with = "hex")]
        file: Option<String>,
        /// The largest length prefix accepted (default 1 MiB).
        #[arg(long)]
        max_len: Option<u32>,
        /// The stream as hex (whitespace and `:` separators allowed; may span arguments).
        #[arg(required_unless_present = "file")]
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
            Decode::Bt { file, max_len, hex } => {
                decode_bt::run(file.as_deref(), &hex.join(" "), max_len)
            }
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
        Command::Torrent { what } => match what {
            Torrent::Info { file } => torrent_info::run(&file),
            Torrent::Create(args) => torrent_create::run(args),
            Torrent::Download(args) => torrent_client::download(args),
            Torrent::Seed(args) => torrent_client::seed(args),
        },
        Command::Beep { what } => beep::run(*what).map(|()| String::new()),
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
