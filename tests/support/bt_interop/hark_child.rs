//! hark's client downloading one torrent in a process of its own, for the BitTorrent
//! benches: the bench binary runs itself again with [`FLAG`] (so it needs no other
//! binary). The child reports its peak resident set (`VmHWM` of `/proc/self/status`, which
//! counts only its own address space: `wait4`'s `ru_maxrss` would also count the parent's
//! resident set at the spawn, which Linux folds in when the child executes), and the parent
//! reaps it with `wait4` for its CPU time.
//!
//! The child is `hark::bittorrent::Client` with its default settings, listening on
//! 127.0.0.1 at any free port, dialing the peers it is given. It prints
//! `complete BYTES SECONDS RECEIVED PEAK_RSS` (seconds from adding the torrent until every
//! piece is verified; bytes received from peers, protocol and blocks downloaded twice
//! included; peak resident bytes)
//! and exits 0 after stopping the client (which flushes the files); it exits 1 if the
//! torrent is not complete in time or a fatal event came.

use hark::bittorrent::{AddTorrent, Client, Transports};
use hark::events::Severity;
use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The first argument that makes a bench binary the downloader.
pub const FLAG: &str = "--hark-download-child";

/// What one child download measured.
#[derive(Debug, Clone, Copy)]
pub struct ChildDownload {
    /// Payload bytes.
    pub bytes: u64,
    /// From adding the torrent until every piece was verified (the child's own clock).
    pub seconds: f64,
    /// Bytes received from peers (protocol, and blocks downloaded twice, included).
    pub received: u64,
    /// Peak resident set of the child, bytes (`VmHWM`, read as it finishes).
    pub max_rss: u64,
    /// User plus system CPU time of the child, seconds.
    pub cpu_seconds: f64,
}

impl ChildDownload {
    /// Payload MB (10^6 bytes) per second.
    pub fn mb_per_s(&self) -> f64 {
        self.bytes as f64 / self.seconds / 1e6
    }
}

fn transport_arg(transports: Transports) -> &'static str {
    match transports {
        Transports::UtpOnly => "utp",
        Transports::TcpOnly => "tcp",
        _ => "both",
    }
}

/// In a bench's `main`, first thing: when this process was started as a child downloader
/// (`FLAG TORRENT OUT utp|tcp|both TIMEOUT_S PEER...`), downloads and exits.
pub fn run_if_child() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) != Some(FLAG) {
        return;
    }
    let code = match child(&args[1..]) {
        Ok(()) => 0,
        Err(error) => {
            eprintln!("hark downloader: {error}");
            1
        }
    };
    std::process::exit(code);
}

fn child(args: &[String]) -> Result<(), String> {
    let [torrent, out, transport, timeout, peers @ ..] = args else {
        return Err(format!("{FLAG} TORRENT OUT utp|tcp|both TIMEOUT_S PEER..."));
    };
    let transports = match transport.as_str() {
        "utp" => Transports::UtpOnly,
        "tcp" => Transports::TcpOnly,
        _ => Transports::UtpFirst,
    };
    let timeout = Duration::from_secs(timeout.parse().map_err(|e| format!("timeout: {e}"))?);
    let peers = peers
        .iter()
        .map(|p| p.parse::<SocketAddr>().map_err(|e| format!("{p}: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    let fatal = Arc::new(Mutex::new(None::<String>));
    let record = Arc::clone(&fatal);
    let client = Client::builder()
        .ipv4(Some(Ipv4Addr::LOCALHOST))
        .ipv6(None)
        .port_list([0])
        .transports(transports)
        .min_severity(Severity::Warning)
        .on_event(move |_, event| {
            if event.severity == Severity::Fatal
                && let Ok(mut fatal) = record.lock()
            {
                fatal.get_or_insert_with(|| format!("{}: {}", event.name(), event.message()));
            }
        })
        .build()
        .map_err(|e| e.to_string())?;
    let add =
        AddTorrent::from_file(Path::new(torrent), Path::new(out)).map_err(|e| e.to_string())?;
    let started = Instant::now();
    let id = client
        .add_torrent(add.peers(peers))
        .map_err(|e| e.to_string())?;
    let status = client
        .wait_for(id, timeout, |s| {
            s.is_finished() || fatal.lock().map(|f| f.is_some()).unwrap_or(true)
        })
        .ok_or("the torrent disappeared")?;
    let seconds = started.elapsed().as_secs_f64();
    if let Some(reason) = fatal.lock().ok().and_then(|f| f.clone()) {
        return Err(format!("fatal event: {reason}"));
    }
    if !status.is_finished() {
        return Err(format!(
            "{} of {} pieces verified after {timeout:?} ({} peers)",
            status.pieces_done, status.pieces_total, status.peers
        ));
    }
    client.shutdown();
    let status_file = std::fs::read_to_string("/proc/self/status").map_err(|e| e.to_string())?;
    let hwm_kib: u64 = status_file
        .lines()
        .find_map(|line| {
            line.strip_prefix("VmHWM:")?
                .trim()
                .strip_suffix("kB")?
                .trim()
                .parse()
                .ok()
        })
        .ok_or("no VmHWM in /proc/self/status")?;
    println!(
        "complete {} {seconds} {} {}",
        status.total_bytes,
        status.bytes_received,
        hwm_kib * 1024
    );
    Ok(())
}

/// Runs this binary as a child downloader of `torrent` into `out` from `peers` and reaps
/// it; an error holds what it printed.
pub fn download(
    torrent: &Path,
    out: &Path,
    peers: &[SocketAddr],
    transports: Transports,
    timeout: Duration,
) -> Result<ChildDownload, String> {
    let exe = std::env::current_exe().map_err(|e| format!("own executable: {e}"))?;
    let mut command = Command::new(exe);
    command
        .arg(FLAG)
        .arg(torrent)
        .arg(out)
        .arg(transport_arg(transports))
        .arg(timeout.as_secs().to_string())
        .args(peers.iter().map(ToString::to_string))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command
        .spawn()
        .map_err(|e| format!("start the downloader: {e}"))?;
    let log = Arc::new(Mutex::new(String::new()));
    let pumps: Vec<_> = [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
    ]
    .into_iter()
    .flatten()
    .map(|stream| {
        let log = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if let Ok(mut log) = log.lock() {
                    log.push_str(&line);
                    log.push('\n');
                }
            }
        })
    })
    .collect();
    let pid = libc::pid_t::try_from(child.id()).map_err(|e| e.to_string())?;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value of this plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our own unreaped child; status and usage are valid for writes.
    // The child is reaped here, never through `child`, which is not waited on again.
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    if reaped != pid {
        return Err(format!("wait4: {}", std::io::Error::last_os_error()));
    }
    for pump in pumps {
        let _ = pump.join();
    }
    let log = log.lock().map(|l| l.clone()).unwrap_or_default();
    if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        return Err(format!("hark downloader exited with {status:#x}:\n{log}"));
    }
    let (bytes, seconds, received, max_rss) = log
        .lines()
        .find_map(|line| {
            let mut words = line.strip_prefix("complete ")?.split(' ');
            Some((
                words.next()?.parse().ok()?,
                words.next()?.parse().ok()?,
                words.next()?.parse().ok()?,
                words.next()?.parse().ok()?,
            ))
        })
        .ok_or_else(|| format!("hark downloader printed no `complete` line:\n{log}"))?;
    let time = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Ok(ChildDownload {
        bytes,
        seconds,
        received,
        max_rss,
        cpu_seconds: time(usage.ru_utime) + time(usage.ru_stime),
    })
}
