//! The test torrent, made by the `hark` binary under test (`hark torrent create`).

use super::payload::{self, PIECE_LENGTH};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A payload on disk and its .torrent.
#[derive(Debug, Clone)]
pub struct TestTorrent {
    /// The .torrent file.
    pub file: PathBuf,
    /// The directory that holds [`payload::NAME`] (what a seeder's save path is).
    pub seed_dir: PathBuf,
    /// The v1 info hash, hex, as `hark torrent create` printed it.
    pub info_hash: String,
}

/// Writes the payload under `dir/seed` and makes `dir/NAME.torrent` for it with `hark`
/// (the binary's path), announcing to `trackers` (each its own tier) and naming
/// `web_seeds`.
pub fn make(hark: &Path, dir: &Path, trackers: &[String], web_seeds: &[String]) -> TestTorrent {
    let seed_dir = dir.join("seed");
    let top = payload::write(&seed_dir);
    let file = dir.join(format!("{}.torrent", payload::NAME));
    let mut command = Command::new(hark);
    command
        .args(["torrent", "create", "--piece-length"])
        .arg(PIECE_LENGTH.to_string())
        .arg("-o")
        .arg(&file);
    for url in trackers {
        command.arg("-t").arg(url);
    }
    for url in web_seeds {
        command.arg("-w").arg(url);
    }
    let output = command.arg(&top).output().expect("run hark torrent create");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "hark torrent create: {}\n{text}{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let info_hash = text
        .lines()
        .find_map(|line| line.strip_prefix("info hash"))
        .map(|hash| hash.trim().to_string())
        .unwrap_or_else(|| panic!("no info hash in hark's output:\n{text}"));
    TestTorrent {
        file,
        seed_dir,
        info_hash,
    }
}
