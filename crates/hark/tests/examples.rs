//! Every example of the `hark` crate builds, runs to completion and prints what it
//! promises. `cargo test --workspace --all-targets` builds the examples already; this test
//! builds them again (a no-op then, and needed when it runs alone) in its own profile and
//! runs each binary.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Longest an example may run.
const LIMIT: Duration = Duration::from_secs(120);

/// Builds every example of the workspace once (with the features the whole workspace
/// selects, as `cargo test --workspace` does, so nothing is rebuilt when that ran first) and
/// returns the directory of the example binaries of this test's profile.
fn examples_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let exe = std::env::current_exe().unwrap();
        // <target>/<profile>/deps/examples-<hash>
        let profile_dir = exe.parent().and_then(Path::parent).unwrap().to_path_buf();
        let target_dir = profile_dir.parent().unwrap();
        let cargo = std::env::var("CARGO")
            .ok()
            .or_else(|| option_env!("CARGO").map(str::to_owned))
            .unwrap_or_else(|| "cargo".into());
        let mut command = Command::new(cargo);
        // The variables cargo sets for this test (CARGO_PKG_*, CARGO_MANIFEST_DIR, ...)
        // would change the build's fingerprints and rebuild the workspace: run as from a
        // shell.
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy();
            if (key.starts_with("CARGO_") && key != "CARGO_HOME") || key == "OUT_DIR" {
                command.env_remove(&*key);
            }
        }
        command
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["build", "-q", "--workspace", "--examples", "--target-dir"])
            .arg(target_dir);
        if profile_dir
            .file_name()
            .is_some_and(|name| name == "release")
        {
            command.arg("--release");
        }
        let status = command.status().expect("cannot start cargo");
        assert!(status.success(), "building the examples failed: {status}");
        profile_dir.join("examples")
    })
}

/// Runs an example of the `hark` crate with `args` and returns its standard output.
fn run_example(name: &str, args: &[&str]) -> String {
    let mut child = Command::new(examples_dir().join(name))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start example {name}: {e}"));
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        stdout.read_to_string(&mut out).map(|_| out)
    });
    let deadline = Instant::now() + LIMIT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("example {name} ran longer than {LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = reader.join().unwrap().unwrap();
    assert!(status.success(), "example {name} failed ({status}):\n{out}");
    out
}

#[test]
fn utp_transfer_delivers_every_byte_written_from_callbacks_and_from_a_thread() {
    let out = run_example("utp_transfer", &["1"]);
    assert!(
        out.contains("callbacks: 1048576 bytes acknowledged"),
        "{out}"
    );
    assert!(out.contains("thread: 1048576 bytes acknowledged"), "{out}");
    assert!(out.contains("receiver: 1048576 and 1048576 bytes"), "{out}");
}

#[test]
fn utp_sans_io_receives_the_message_in_a_plain_udp_loop() {
    let out = run_example("utp_sans_io", &[]);
    assert!(
        out.contains("accepting a connection from 127.0.0.1:"),
        "{out}"
    );
    assert!(
        out.contains("received \"hello from libutp's callback table\""),
        "{out}"
    );
    assert!(out.contains("connection closed; 34 bytes in all"), "{out}");
}

#[test]
fn event_hub_prints_info_events_and_both_ends_closing() {
    let out = run_example("event_hub", &[]);
    for needle in [
        "server: [info] utp_accept:",
        "client: [info] utp_connect:",
        "ended: the peer closed it (0 bytes sent, 10000 received)",
        "ended: we closed it (10000 bytes sent, 0 received)",
    ] {
        assert!(out.contains(needle), "{needle:?} missing from:\n{out}");
    }
    assert!(!out.contains("[debug]"), "the hub is at info level:\n{out}");
}

#[test]
fn sctp_notifications_dispatches_recorded_kernel_notifications() {
    let out = run_example("sctp_notifications", &[]);
    for needle in [
        "on_assoc_change: assoc 5 CommUp, 4 streams out; tracked state Some(Up)",
        "on_peer_addr_change: assoc 5 peer 127.0.0.3:45829 Confirmed",
        "on_shutdown_event: assoc 27",
        "on_assoc_change: assoc 27 ShutdownComp",
        "notification: {sn_type=32773, sse_flags=0, sse_assoc_id=27}",
        "tracked: assoc 27 ShutDown",
    ] {
        assert!(out.contains(needle), "{needle:?} missing from:\n{out}");
    }
}

#[test]
fn beep_client_gets_its_words_echoed_by_the_beep_echo_listener() {
    use std::io::BufRead;
    let mut listener = Command::new(examples_dir().join("beep_echo_listener"))
        .args(["127.0.0.1:0", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("cannot start beep_echo_listener");
    let mut lines = std::io::BufReader::new(listener.stdout.take().unwrap());
    let mut first = String::new();
    lines.read_line(&mut first).unwrap();
    let addr = first
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_owned();
    let out = run_example("beep_client", &[&addr, "hello", "BEEP"]);
    for needle in [
        "channel 1 started",
        "reply 0: hello",
        "reply 1: BEEP",
        "closed",
    ] {
        assert!(out.contains(needle), "{needle:?} missing from:\n{out}");
    }
    let mut rest = String::new();
    lines.read_to_string(&mut rest).unwrap();
    assert!(listener.wait().unwrap().success(), "{rest}");
    assert!(rest.contains("channel 1: echoing 5 bytes"), "{rest}");
    assert!(rest.contains("served 1 session(s)"), "{rest}");
}

#[test]
fn torrent_seed_and_download_completes_over_utp_and_tcp() {
    for transport in ["utp", "tcp"] {
        let out = run_example("torrent_seed_and_download", &[transport]);
        for needle in [
            "seeder: Listening for tcp4 on 127.0.0.1:",
            "downloader: [info] Torrent ",
            "downloaded 300001 bytes in 10 pieces (10 passed their hash check)",
            "byte-exact",
        ] {
            assert!(out.contains(needle), "{needle:?} missing from:\n{out}");
        }
    }
}
