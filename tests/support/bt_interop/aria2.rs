//! aria2 (Debian's aria2, TCP only) seeding or downloading a given .torrent. aria2 takes no
//! peer address on its command line: a downloader finds its peers through a tracker given
//! with `--bt-tracker` (the torrent's own trackers are left out).

use super::process::LoggedProcess;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// Options every aria2 run shares: no DHT, LPD, PEX or crypto requirement, a status line
/// every second, verbose log on standard output.
fn base(save: &Path, port: u16) -> Command {
    let mut command = Command::new("aria2c");
    command
        .arg(format!("--dir={}", save.display()))
        .arg(format!("--listen-port={port}"))
        .args([
            "--enable-dht=false",
            "--enable-dht6=false",
            "--bt-enable-lpd=false",
            "--enable-peer-exchange=false",
            "--bt-require-crypto=false",
            "--follow-torrent=false",
            "--file-allocation=none",
            "--summary-interval=1",
            "--console-log-level=notice",
            "--log=-",
            "--log-level=info",
            "--no-conf=true",
            "--auto-save-interval=0",
            "--bt-save-metadata=false",
            "--rpc-save-upload-metadata=false",
        ]);
    command
}

/// aria2 seeding the data under `save` on TCP `port` after checking it in full (`-V`).
/// Ready once its log shows the check passed and seeding began.
pub fn seed(torrent: &Path, save: &Path, port: u16) -> LoggedProcess {
    let mut command = base(save, port);
    command
        .args([
            "--check-integrity=true",
            "--seed-ratio=0.0",
            "--bt-seed-unverified=false",
        ])
        .arg(torrent);
    let mut process = LoggedProcess::spawn("aria2c seed", command);
    process.wait_line(Duration::from_secs(20), |line| line.contains("SEED("));
    process
}

/// aria2 downloading into `save` from the peers `tracker` (an announce URL) names, then
/// exiting (0 when every piece passed its hash check).
pub fn download(torrent: &Path, save: &Path, port: u16, tracker: &str) -> LoggedProcess {
    let mut command = base(save, port);
    command
        .args(["--seed-time=0", "--bt-exclude-tracker=*"])
        .arg(format!("--bt-tracker={tracker}"))
        .arg(torrent);
    LoggedProcess::spawn("aria2c download", command)
}

/// Waits for a downloader to exit and fails the test (with its log) unless it succeeded.
pub fn wait_complete(process: &mut LoggedProcess, timeout: Duration) {
    let status = process.wait_exit(timeout);
    if !status.success() {
        process.fail(&format!("exited with {status}"));
    }
}
