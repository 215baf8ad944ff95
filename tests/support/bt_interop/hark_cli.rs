//! The `hark` binary under test as a peer: `hark torrent download` and `hark torrent seed`,
//! with `--events debug` so that its log holds every hub event as `[severity] event:
//! message`.

use super::process::LoggedProcess;
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// How hark dials peers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dial {
    /// `--utp-only`.
    Utp,
    /// `--tcp-only`.
    Tcp,
    /// uTP first, then TCP (the default).
    Both,
}

/// Options of a hark peer.
#[derive(Debug, Clone)]
pub struct HarkPeer<'a> {
    /// The `hark` binary.
    pub binary: &'a Path,
    /// The port to listen on (`--port`).
    pub port: u16,
    /// Peers to dial.
    pub peers: Vec<SocketAddr>,
    /// How to dial them.
    pub dial: Dial,
    /// `--bind IP`, if any.
    pub bind: Option<String>,
    /// Words to put before the binary (such as `ip netns exec NAME`).
    pub wrapper: Vec<String>,
    /// More flags (such as `--ip-filter FILE`).
    pub extra: Vec<String>,
}

impl<'a> HarkPeer<'a> {
    /// hark on `port`, dialing nobody, on every address.
    pub fn new(binary: &'a Path, port: u16) -> HarkPeer<'a> {
        HarkPeer {
            binary,
            port,
            peers: Vec::new(),
            dial: Dial::Both,
            bind: None,
            wrapper: Vec::new(),
            extra: Vec::new(),
        }
    }

    fn command(&self, verb: &str) -> Command {
        let mut command = match self.wrapper.split_first() {
            Some((program, rest)) => {
                let mut command = Command::new(program);
                command.args(rest).arg(self.binary);
                command
            }
            None => Command::new(self.binary),
        };
        command
            .args(["torrent", verb, "--events", "debug", "--port"])
            .arg(self.port.to_string());
        match self.dial {
            Dial::Utp => {
                command.arg("--utp-only");
            }
            Dial::Tcp => {
                command.arg("--tcp-only");
            }
            Dial::Both => {}
        }
        for peer in &self.peers {
            command.arg("--peer").arg(peer.to_string());
        }
        if let Some(bind) = &self.bind {
            command.arg("--bind").arg(bind);
        }
        command.args(&self.extra);
        command
    }

    /// `hark torrent download TORRENT -o OUT`: runs until complete (see [`wait_download`]).
    pub fn download(&self, torrent: &Path, out: &Path) -> LoggedProcess {
        let mut command = self.command("download");
        command.arg(torrent).arg("-o").arg(out);
        LoggedProcess::spawn("hark download", command)
    }

    /// `hark torrent seed TORRENT DIR`, once it says `seeding` (its data checked).
    pub fn seed(&self, torrent: &Path, dir: &Path) -> LoggedProcess {
        let mut command = self.command("seed");
        command.arg(torrent).arg(dir);
        let mut process = LoggedProcess::spawn("hark seed", command);
        process.wait_line(Duration::from_secs(20), |line| line == "seeding");
        process
    }
}

/// Waits for a download to exit and fails the test (with the log) unless it exited 0
/// after saying `complete`.
pub fn wait_download(process: &mut LoggedProcess, timeout: Duration) {
    let status = process.wait_exit(timeout);
    if !status.success() {
        process.fail(&format!("exited with {status}"));
    }
    if !process
        .log()
        .lines()
        .any(|line| line.starts_with("complete "))
    {
        process.fail("exited 0 without a `complete` line");
    }
}

/// The event names in a hark log (`[severity] event: message` lines).
pub fn event_names(log: &str) -> BTreeSet<String> {
    log.lines()
        .filter_map(event_name)
        .map(str::to_string)
        .collect()
}

/// The event name of one `[severity] event: message` line.
pub fn event_name(line: &str) -> Option<&str> {
    let rest = line.strip_prefix('[')?;
    let (severity, rest) = rest.split_once("] ")?;
    if !["debug", "info", "warning", "critical", "fatal"].contains(&severity) {
        return None;
    }
    Some(rest.split_once(':')?.0)
}
