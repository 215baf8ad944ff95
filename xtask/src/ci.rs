//! `cargo xtask ci`: the whole test suite, as CI runs it.

use crate::{fuzz, util};

/// Debian packages the test suite needs (interop peers, checkers).
const DEBIAN_PACKAGES: &[&str] = &["tshark", "python3-libtorrent"];

/// Runs fmt, clippy, every test, and a bounded fuzz smoke run.
pub fn run(fuzz_seconds: u64) -> Result<(), String> {
    util::ensure_debian_packages(DEBIAN_PACKAGES)?;

    let mut fmt = util::cargo();
    fmt.args(["fmt", "--all", "--", "--check"]);
    util::run(fmt)?;

    let mut clippy = util::cargo();
    clippy.args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]);
    util::run(clippy)?;

    let mut test = util::cargo();
    test.args(["test", "--workspace", "--all-targets"]);
    util::run(test)?;

    let mut doc = util::cargo();
    doc.args(["test", "--workspace", "--doc"]);
    util::run(doc)?;

    if fuzz_seconds > 0 {
        fuzz::run(fuzz_seconds, &[])?;
    }
    Ok(())
}
