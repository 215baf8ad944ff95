//! libtorrent's uTP: `tools/peers/libtorrent_bench.py` runs a seeder and a downloader in
//! one Python process (Debian's python3-libtorrent) and reports the download it timed.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use crate::buffers::Buffers;
use crate::sample::Sample;

const PYTHON: &str = "/usr/bin/python3";

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tools/peers/libtorrent_bench.py")
}

/// Whether `/usr/bin/python3` can import libtorrent; its version if so.
pub fn version() -> Option<String> {
    let out = Command::new(PYTHON)
        .args(["-c", "import libtorrent; print(libtorrent.__version__)"])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Downloads a `total`-byte torrent over uTP; what was verified by `deadline` counts.
pub fn transfer(total: u64, buffers: Buffers, deadline: Duration) -> Result<Sample, String> {
    let out = Command::new(PYTHON)
        .arg(script())
        .arg(format!("--size={total}"))
        .arg(format!("--socket-buffer={}", buffers.size().unwrap_or(0)))
        .arg(format!("--deadline={}", deadline.as_secs_f64()))
        .output()
        .map_err(|e| format!("could not start {PYTHON}: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find(|l| l.starts_with('{')).unwrap_or("");
    let field = |name: &str| number(line, name);
    match (field("done"), field("seconds"), field("cpu_seconds")) {
        (Some(done), Some(seconds), Some(cpu_seconds)) if out.status.success() => Ok(Sample {
            delivered: done as u64,
            offered: total,
            seconds,
            cpu_seconds,
        }),
        _ => Err(format!(
            "libtorrent_bench.py failed ({}): {} {}",
            out.status,
            line,
            String::from_utf8_lossy(&out.stderr).trim()
        )),
    }
}

/// The number after `"name":` in a flat JSON object.
fn number(json: &str, name: &str) -> Option<f64> {
    let key = format!("\"{name}\":");
    let rest = json.get(json.find(&key)? + key.len()..)?.trim_start();
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+')))
        .unwrap_or(rest.len());
    rest.get(..end)?.parse().ok()
}
