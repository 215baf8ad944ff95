//! `cargo xtask ci`: the whole test suite, as CI runs it.

use crate::{fuzz, sctp_vm, util};

/// Debian packages the test suite needs (interop peers, checkers). `gcc`, `libc6-dev` and
/// `libusrsctp-dev` build the usrsctp program whose notifications `tests/sctp_usrsctp_live.rs`
/// parses on every run (it fails, never skips, without them).
const DEBIAN_PACKAGES: &[&str] = &[
    "tshark",
    "python3-libtorrent",
    "transmission-daemon",
    "transmission-cli",
    "gcc",
    "libc6-dev",
    "libusrsctp-dev",
    "mktorrent",
    "opentracker",
    "gsasl",
    "aria2",
    "rtorrent",
];

/// Runs fmt, clippy, every test, the kernel-SCTP tests in a VM, and a bounded fuzz smoke run.
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
    // `--all-targets` leaves out bench targets with `bench = false`: the transfer report,
    // the TCP notifier report, the uTP memory report, the LEDBAT bed, the BEEP report, the
    // three BitTorrent reports, hark-tokio's report and hark's hash check.
    let mut clippy_report = util::cargo();
    clippy_report.args([
        "clippy",
        "-p",
        "hark-suite",
        "--bench",
        "transfer_report",
        "--bench",
        "tcp_ratio",
        "--bench",
        "utp_memory",
        "--bench",
        "ledbat_bed",
        "--bench",
        "beep_report",
        "--bench",
        "bt_hark_to_hark",
        "--bench",
        "bt_libtorrent_ratio",
        "--bench",
        "bt_rss",
        "--",
        "-D",
        "warnings",
    ]);
    util::run(clippy_report)?;
    for (package, bench) in [("hark-tokio", "tokio_utp"), ("hark", "hash_check")] {
        let mut clippy_crate_report = util::cargo();
        clippy_crate_report.args([
            "clippy", "-p", package, "--bench", bench, "--", "-D", "warnings",
        ]);
        util::run(clippy_crate_report)?;
    }

    let mut test = util::cargo();
    test.args(["test", "--workspace", "--all-targets"]);
    util::run(test)?;

    let mut doc = util::cargo();
    doc.args(["test", "--workspace", "--doc"]);
    util::run(doc)?;

    // The API documentation builds with every intra-doc link resolving.
    let mut rustdoc = util::cargo();
    rustdoc
        .args(["doc", "--workspace", "--no-deps"])
        .env("RUSTDOCFLAGS", "-D rustdoc::broken_intra_doc_links");
    util::run(rustdoc)?;

    // Kernel SCTP exists only inside the VM: Debian's kernel under qemu (TCG).
    sctp_vm::run(900, &[])?;

    if fuzz_seconds > 0 {
        fuzz::run(fuzz_seconds, &[])?;
    }
    Ok(())
}
