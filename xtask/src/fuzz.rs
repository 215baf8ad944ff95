//! `cargo xtask fuzz`: every cargo-fuzz target under `fuzz/`, each for a bounded time.

use crate::util;
use std::process::Command;

/// Runs each of `targets` (every target when empty) for `seconds` seconds.
pub fn run(seconds: u64, targets: &[String]) -> Result<(), String> {
    ensure_cargo_fuzz()?;
    let targets = if targets.is_empty() {
        list_targets()?
    } else {
        targets.to_vec()
    };
    if targets.is_empty() {
        return Err("fuzz/ lists no fuzz targets".into());
    }
    for target in &targets {
        let mut cmd = util::cargo();
        cmd.current_dir(util::workspace_root().join("fuzz"))
            // cargo-fuzz needs nightly flags; this stable toolchain allows them this way.
            .env("RUSTC_BOOTSTRAP", "1")
            .args(["fuzz", "run", target, "--"])
            .arg(format!("-max_total_time={seconds}"))
            .arg("-rss_limit_mb=2048");
        util::run(cmd)?;
    }
    eprintln!(
        "xtask: {} fuzz targets ran {seconds} s each without a crash",
        targets.len()
    );
    Ok(())
}

fn ensure_cargo_fuzz() -> Result<(), String> {
    let installed = util::cargo()
        .args(["fuzz", "--version"])
        .output()
        .map(|out| out.status.success())
        .unwrap_or(false);
    if installed {
        return Ok(());
    }
    let mut install = util::cargo();
    install.args(["install", "--locked", "cargo-fuzz"]);
    util::run(install)
}

fn list_targets() -> Result<Vec<String>, String> {
    let out = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .current_dir(util::workspace_root().join("fuzz"))
        .env("RUSTC_BOOTSTRAP", "1")
        .args(["fuzz", "list"])
        .output()
        .map_err(|err| format!("cargo fuzz list: {err}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo fuzz list failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(String::from)
        .collect())
}
