//! `hark torrent download FILE -o DIR [...]` and `hark torrent seed FILE DIR [...]`: one
//! torrent in a `hark::bittorrent::Client`.
//!
//! The client listens on the first free port of `--port` (TCP and uTP on the same port) and
//! prints `listening PROTOCOL ADDRESS` lines first. A progress bar with rates and peers
//! goes to standard error on a terminal; otherwise one plain `progress` line a second goes
//! to standard output. `--events LEVEL` prints every hub event at or above LEVEL as
//! `[severity] event: message`. A download exits 0 only once every piece is verified (and
//! the client stopped, which flushes the files); a fatal `file_error` or a seeder whose
//! data is incomplete exits 1.

use crate::progress::Progress;
use hark::bittorrent::{AddTorrent, Client, TorrentId, TorrentState, TorrentStatus, Transports};
use hark::events::{Protocol, Severity};
use hark::ipfilter::IpFilter;
use std::io::{IsTerminal, Write};
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

/// How long a client that hit a fatal event runs on before it stops.
const FATAL_GRACE: Duration = Duration::from_millis(500);

/// Set by SIGINT or SIGTERM: stop the client cleanly (its files flushed) and exit.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_signal: libc::c_int) {
    INTERRUPTED.store(true, Ordering::Relaxed);
}

/// Routes SIGINT and SIGTERM to [`INTERRUPTED`].
fn catch_interrupts() {
    for signal in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        unsafe { libc::signal(signal, on_signal as *const () as libc::sighandler_t) };
    }
}
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Flags shared by `download` and `seed`.
#[derive(Debug, clap::Args)]
pub struct ClientArgs {
    /// Ports to listen on (TCP and uTP): `P` or `P-Q`, the first free one wins; 0 picks any.
    #[arg(long, value_name = "P[-Q]", value_parser = parse_ports, default_value = "6881-6889")]
    port: RangeInclusive<u16>,
    /// A peer to dial (uTP first, then TCP, unless `--utp-only` or `--tcp-only`).
    #[arg(long = "peer", value_name = "HOST:PORT")]
    peers: Vec<String>,
    /// Dial peers over uTP only.
    #[arg(long, conflicts_with = "tcp_only")]
    utp_only: bool,
    /// Dial peers over TCP only.
    #[arg(long)]
    tcp_only: bool,
    /// Listen (and so dial, over uTP) on this IPv4 address only, not on every address.
    #[arg(long, value_name = "IP")]
    bind: Option<IpAddr>,
    /// Refuse peers (both ways) in the ranges of this eMule-format filter
    /// (`FIRST - LAST , ACCESS , DESCRIPTION` lines; access below 128 blocks).
    #[arg(long, value_name = "FILE")]
    ip_filter: Option<PathBuf>,
    /// Print every event at or above LEVEL (debug, info, warning, critical, fatal).
    #[arg(long, value_name = "LEVEL", value_parser = parse_severity)]
    events: Option<Severity>,
}

/// `hark torrent download`.
#[derive(Debug, clap::Args)]
pub struct DownloadArgs {
    /// The .torrent file.
    file: PathBuf,
    /// The directory the torrent's files land under (as DIR/NAME).
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    output: PathBuf,
    /// Keep seeding once complete (until interrupted).
    #[arg(long)]
    seed_after: bool,
    #[command(flatten)]
    client: ClientArgs,
}

/// `hark torrent seed`.
#[derive(Debug, clap::Args)]
pub struct SeedArgs {
    /// The .torrent file.
    file: PathBuf,
    /// The directory that holds the torrent's NAME (what `download -o` was given).
    dir: PathBuf,
    #[command(flatten)]
    client: ClientArgs,
}

/// Downloads, and exits once every piece is verified (or seeds on with `--seed-after`).
pub fn download(args: DownloadArgs) -> Result<String, String> {
    std::fs::create_dir_all(&args.output)
        .map_err(|error| format!("cannot create {}: {error}", args.output.display()))?;
    let session = Session::start(&args.client, &args.file, &args.output)?;
    let status = session
        .run_until(|status| status.is_finished() && status.state != TorrentState::Checking)?;
    if !status.is_finished() {
        session.client.shutdown();
        return Err(format!(
            "interrupted with {} of {} pieces verified",
            status.pieces_done, status.pieces_total
        ));
    }
    let elapsed = session.started.elapsed();
    session.line(&format!(
        "complete {} bytes in {:.2} s ({}/s), every piece verified",
        status.total_bytes,
        elapsed.as_secs_f64(),
        human(status.total_bytes as f64 / elapsed.as_secs_f64().max(1e-3)),
    ));
    if args.seed_after {
        session.line("seeding");
        session.run_until(|_| false)?;
    }
    session.line("stopping");
    session.client.shutdown();
    Ok(String::new())
}

/// Checks the data under DIR and seeds it until interrupted; fails if it is incomplete.
pub fn seed(args: SeedArgs) -> Result<String, String> {
    let session = Session::start(&args.client, &args.file, &args.dir)?;
    let status = session.run_until(|status| status.state != TorrentState::Checking)?;
    if !status.is_finished() && !INTERRUPTED.load(Ordering::Relaxed) {
        return Err(format!(
            "{} holds {} of the {} pieces of {}: nothing to seed from",
            args.dir.display(),
            status.pieces_done,
            status.pieces_total,
            status.name
        ));
    }
    session.line("seeding");
    session.run_until(|_| false)?;
    session.client.shutdown();
    Ok(String::new())
}

/// A client with one torrent, its progress display and a fatal-error flag.
struct Session {
    client: Client,
    id: TorrentId,
    progress: Option<Progress>,
    plain: bool,
    started: Instant,
    fatal: Arc<Mutex<Option<String>>>,
}

impl Session {
    fn start(
        args: &ClientArgs,
        file: &std::path::Path,
        dir: &std::path::Path,
    ) -> Result<Session, String> {
        catch_interrupts();
        let add = AddTorrent::from_file(file, dir).map_err(|error| error.to_string())?;
        let peers = resolve(&args.peers)?;
        let total = add.metainfo().info.total_length();
        let mut builder = Client::builder()
            .ports(args.port.clone())
            .transports(if args.utp_only {
                Transports::UtpOnly
            } else if args.tcp_only {
                Transports::TcpOnly
            } else {
                Transports::UtpFirst
            })
            .min_severity(args.events.unwrap_or(Severity::Warning));
        match args.bind {
            Some(IpAddr::V4(ip)) => builder = builder.ipv4(Some(ip)).ipv6(None),
            Some(IpAddr::V6(ip)) => builder = builder.ipv4(None).ipv6(Some(ip)),
            None => {}
        }
        if let Some(path) = &args.ip_filter {
            let rules = std::fs::read(path)
                .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
            let filter = IpFilter::from_emule(&rules)
                .map_err(|error| format!("{}: {error}", path.display()))?;
            builder = builder.ip_filter(filter);
        }
        let fatal = Arc::new(Mutex::new(None));
        let print_from = args.events;
        let record = Arc::clone(&fatal);
        builder = builder.on_event(move |_client, event| {
            if let Some(level) = print_from
                && event.severity >= level
            {
                let line = format!(
                    "[{}] {}: {}\n",
                    event.severity,
                    event.name(),
                    event.message()
                );
                // A closed standard output must not stop the client.
                let _ = std::io::stdout().lock().write_all(line.as_bytes());
            }
            if event.severity == Severity::Fatal
                && let Ok(mut fatal) = record.lock()
            {
                fatal.get_or_insert_with(|| format!("{}: {}", event.name(), event.message()));
            }
        });
        let client = builder.build().map_err(|error| error.to_string())?;
        let handle = client.handle();
        for (protocol, address) in handle.listening() {
            println!("listening {} {address}", protocol_name(*protocol));
        }
        let id = handle
            .add_torrent(add.peers(peers))
            .map_err(|error| error.to_string())?;
        let terminal = std::io::stderr().is_terminal();
        Ok(Session {
            progress: terminal.then(|| Progress::bar(total, true)),
            plain: !terminal,
            client,
            id,
            started: Instant::now(),
            fatal,
        })
    }

    /// Shows progress until `done` holds for the torrent's status; a fatal event or a
    /// torrent in the error state ends it with an error.
    fn run_until(&self, done: impl Fn(&TorrentStatus) -> bool) -> Result<TorrentStatus, String> {
        let handle = self.client.handle();
        let mut last_line = Instant::now();
        loop {
            let status = handle
                .wait_for(self.id, Duration::from_millis(250), &done)
                .ok_or("the torrent disappeared from the client")?;
            self.show(&status, &mut last_line);
            if let Some(reason) = self.fatal.lock().ok().and_then(|fatal| fatal.clone()) {
                // The torrent is paused and its open files are being closed on the disk
                // workers: give those jobs a moment to finish (and report file_close).
                std::thread::sleep(FATAL_GRACE);
                return Err(format!("stopped by a fatal event: {reason}"));
            }
            if status.state == TorrentState::Error {
                return Err("the torrent stopped on an error".into());
            }
            if done(&status) || INTERRUPTED.load(Ordering::Relaxed) {
                if let Some(progress) = &self.progress {
                    progress.finish();
                }
                return Ok(status);
            }
        }
    }

    fn show(&self, status: &TorrentStatus, last_line: &mut Instant) {
        if let Some(progress) = &self.progress {
            progress.set(status.bytes_done);
            progress.message(&format!(
                "{} peers, down {}/s, up {}/s, {:?}",
                status.peers,
                human(status.download_rate as f64),
                human(status.upload_rate as f64),
                status.state
            ));
        } else if self.plain && last_line.elapsed() >= Duration::from_secs(1) {
            *last_line = Instant::now();
            self.line(&format!(
                "progress {:.1}% {}/{} bytes, {}/{} pieces, {} peers, down {}/s, up {}/s, {:?}",
                100.0 * status.bytes_done as f64 / status.total_bytes.max(1) as f64,
                status.bytes_done,
                status.total_bytes,
                status.pieces_done,
                status.pieces_total,
                status.peers,
                human(status.download_rate as f64),
                human(status.upload_rate as f64),
                status.state
            ));
        }
    }

    fn line(&self, text: &str) {
        match &self.progress {
            Some(progress) => progress.println(text),
            None => println!("{text}"),
        }
    }
}

fn protocol_name(protocol: Protocol) -> &'static str {
    match protocol {
        Protocol::Tcp4 => "tcp4",
        Protocol::Tcp6 => "tcp6",
        Protocol::Udp4 => "udp4 (uTP)",
        Protocol::Udp6 => "udp6 (uTP)",
    }
}

/// `HOST:PORT` strings to addresses (the first each name resolves to).
fn resolve(peers: &[String]) -> Result<Vec<SocketAddr>, String> {
    peers
        .iter()
        .map(|peer| {
            peer.to_socket_addrs()
                .map_err(|error| format!("peer {peer}: {error}"))?
                .next()
                .ok_or_else(|| format!("peer {peer}: no address"))
        })
        .collect()
}

/// `P` or `P-Q`.
fn parse_ports(text: &str) -> Result<RangeInclusive<u16>, String> {
    let port = |part: &str| {
        part.trim()
            .parse::<u16>()
            .map_err(|_| format!("{text:?} is not a port or a port range (P or P-Q)"))
    };
    let range = match text.split_once('-') {
        Some((first, last)) => port(first)?..=port(last)?,
        None => port(text)?..=port(text)?,
    };
    if range.is_empty() {
        return Err(format!("{text}: the range is empty"));
    }
    Ok(range)
}

fn parse_severity(text: &str) -> Result<Severity, String> {
    Severity::ALL
        .into_iter()
        .find(|severity| severity.name().eq_ignore_ascii_case(text))
        .ok_or_else(|| format!("{text:?} is not a level: debug, info, warning, critical or fatal"))
}

/// Bytes with a binary unit.
fn human(bytes: f64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < units.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", units[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_and_ranges() {
        assert_eq!(parse_ports("6881"), Ok(6881..=6881));
        assert_eq!(parse_ports("6881-6889"), Ok(6881..=6889));
        assert_eq!(parse_ports("0"), Ok(0..=0));
        assert!(parse_ports("6889-6881").is_err());
        assert!(parse_ports("x").is_err());
        assert!(parse_ports("70000").is_err());
    }

    #[test]
    fn levels() {
        assert_eq!(parse_severity("info"), Ok(Severity::Info));
        assert_eq!(parse_severity("FATAL"), Ok(Severity::Fatal));
        assert!(parse_severity("loud").is_err());
    }

    #[test]
    fn human_units() {
        assert_eq!(human(512.0), "512.0 B");
        assert_eq!(human(1536.0), "1.5 KiB");
        assert_eq!(human(3.0 * 1024.0 * 1024.0), "3.0 MiB");
    }
}
