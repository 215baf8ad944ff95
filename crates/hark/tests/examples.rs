//! Every example of the `hark` crate builds, runs to completion and prints what it
//! promises (`cargo test` builds the examples; this runs them through `cargo run`, in the
//! profile the tests were built with).

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Longest an example may run.
const LIMIT: Duration = Duration::from_secs(120);

/// `cargo run -p hark --example NAME -- ARGS`, with the variables of this test removed.
fn example_command(name: &str, args: &[&str]) -> Command {
    let cargo = std::env::var("CARGO")
        .ok()
        .or_else(|| option_env!("CARGO").map(str::to_owned))
        .unwrap_or_else(|| "cargo".into());
    let exe = std::env::current_exe().unwrap();
    let release = exe.components().any(|c| c.as_os_str() == "release");
    let mut command = Command::new(cargo);
    // The variables cargo sets for this test (CARGO_PKG_*, CARGO_MANIFEST_DIR, ...) would
    // change the build's fingerprints and rebuild the workspace: run as from a shell.
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        let keep = matches!(&*key, "CARGO_HOME" | "CARGO_TARGET_DIR");
        if (key.starts_with("CARGO_") && !keep) || key == "OUT_DIR" {
            command.env_remove(&*key);
        }
    }
    command.args(["run", "-q", "-p", "hark", "--example", name]);
    if release {
        command.arg("--release");
    }
    command.arg("--").args(args);
    command
}

/// Runs `cargo run -p hark --example NAME -- ARGS` and returns its standard output.
fn run_example(name: &str, args: &[&str]) -> String {
    let mut child = example_command(name, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start cargo for example {name}: {e}"));
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
    let mut listener = example_command("beep_echo_listener", &["127.0.0.1:0", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("cannot start cargo for beep_echo_listener");
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
