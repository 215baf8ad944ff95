//! The `async_ucat` example end to end: a listener and a connector process over loopback,
//! a file through each one's stdin to the other's stdout, both exiting 0.

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

fn payload(tag: &str, len: usize, seed: u64) -> (PathBuf, Vec<u8>) {
    let mut x = seed | 1;
    let bytes: Vec<u8> = (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    let path = std::env::temp_dir().join(format!("hark-async-ucat-{}-{tag}", std::process::id()));
    fs::write(&path, &bytes).unwrap();
    (path, bytes)
}

/// Builds the example with the test's profile and returns its path.
fn example() -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    let mut build = Command::new(cargo);
    build.args([
        "build",
        "--quiet",
        "--example",
        "async_ucat",
        "--manifest-path",
        manifest,
    ]);
    if !cfg!(debug_assertions) {
        build.arg("--release");
    }
    assert!(build.status().unwrap().success(), "the example builds");
    // target/<profile>/deps/<this test> -> target/<profile>/examples/async_ucat
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    profile_dir.join("examples").join("async_ucat")
}

/// Collects a child's stdout on a thread.
fn stdout_of(child: &mut Child) -> thread::JoinHandle<Vec<u8>> {
    let mut out = child.stdout.take().unwrap();
    thread::spawn(move || {
        let mut all = Vec::new();
        out.read_to_end(&mut all).unwrap();
        all
    })
}

fn wait(child: &mut Child, deadline: Instant) -> std::process::ExitStatus {
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("async_ucat did not exit in time");
        }
        thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn async_ucat_moves_a_file_each_way_between_two_processes() {
    let exe = example();
    let (to_connector, at_connector) = payload("listener-in", 3 << 20, 11);
    let (to_listener, at_listener) = payload("connector-in", 5 << 20, 12);
    let port = std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut listener = Command::new(&exe)
        .args(["-l", "-p", &port.to_string()])
        .stdin(File::open(&to_connector).unwrap())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(listener.stderr.take().unwrap());
    let mut banner = String::new();
    stderr.read_line(&mut banner).unwrap();
    assert!(banner.starts_with("listening on"), "{banner}");
    // Keep draining stderr: a closed pipe would kill the listener's next message.
    let listener_err = thread::spawn(move || {
        let mut rest = String::new();
        stderr.read_to_string(&mut rest).unwrap();
        rest
    });
    let listener_out = stdout_of(&mut listener);
    let mut connector = Command::new(&exe)
        .args(["127.0.0.1", &port.to_string()])
        .stdin(File::open(&to_listener).unwrap())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let connector_out = stdout_of(&mut connector);
    let deadline = Instant::now() + Duration::from_secs(60);
    assert!(wait(&mut connector, deadline).success());
    assert!(wait(&mut listener, deadline).success());
    let messages = listener_err.join().unwrap();
    assert!(
        messages.starts_with("connection from 127.0.0.1:"),
        "{messages}"
    );
    let (got_listener, got_connector) =
        (listener_out.join().unwrap(), connector_out.join().unwrap());
    fs::remove_file(&to_connector).ok();
    fs::remove_file(&to_listener).ok();
    assert!(
        got_listener == at_listener,
        "the listener printed other bytes"
    );
    assert!(
        got_connector == at_connector,
        "the connector printed other bytes"
    );
}
