//! `hark ucat` end to end: two processes over loopback, data both ways, clean exits.

use std::collections::hash_map::DefaultHasher;
use std::fs::{self, File};
use std::hash::Hasher;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

const HARK: &str = env!("CARGO_BIN_EXE_hark");

fn checksum(bytes: &[u8]) -> u64 {
    let mut hasher = DefaultHasher::new();
    hasher.write(bytes);
    hasher.finish()
}

/// A file of `len` bytes from a seeded xorshift, named after this test and `tag`.
fn payload_file(tag: &str, len: usize, seed: u64) -> (PathBuf, Vec<u8>) {
    let mut x = seed | 1;
    let bytes: Vec<u8> = (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    let path = std::env::temp_dir().join(format!("hark-ucat-{}-{tag}", std::process::id()));
    fs::write(&path, &bytes).unwrap();
    (path, bytes)
}

/// Waits for a child with a deadline, killing it if it overruns.
fn wait(child: &mut Child, deadline: Instant) -> ExitStatus {
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("ucat did not exit in time");
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// Collects a child's stdout on a thread.
fn collect(mut out: impl Read + Send + 'static) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = out.read_to_end(&mut bytes);
        let _ = tx.send(bytes);
    });
    rx
}

#[test]
fn two_ucats_exchange_files_both_ways_and_exit_cleanly() {
    let (to_listener, sent_up) = payload_file("up", 3_000_000, 7);
    let (to_sender, sent_down) = payload_file("down", 500_000, 11);

    // The listener asks for any free port (-p 0) and says which one with -d.
    let mut listener = Command::new(HARK)
        .args(["ucat", "-d", "-l", "-p", "0", "-s", "127.0.0.1"])
        .stdin(File::open(&to_sender).unwrap())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let listener_out = collect(listener.stdout.take().unwrap());
    let mut stderr = BufReader::new(listener.stderr.take().unwrap());
    let port = loop {
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "listener gave no port"
        );
        if let Some(addr) = line.trim().strip_prefix("ucat: bound ") {
            break addr.rsplit(':').next().unwrap().parse::<u16>().unwrap();
        }
    };
    // Keep draining the listener's debug output so it never blocks on stderr.
    thread::spawn(move || for _ in stderr.lines() {});

    let mut sender = Command::new(HARK)
        .args(["ucat", "-n", "-B", "4096", "127.0.0.1", &port.to_string()])
        .stdin(File::open(&to_listener).unwrap())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let sender_out = collect(sender.stdout.take().unwrap());

    let deadline = Instant::now() + Duration::from_secs(60);
    let sender_status = wait(&mut sender, deadline);
    let listener_status = wait(&mut listener, deadline);
    assert!(sender_status.success(), "sender: {sender_status}");
    assert!(listener_status.success(), "listener: {listener_status}");

    let got_up = listener_out.recv_timeout(Duration::from_secs(5)).unwrap();
    let got_down = sender_out.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(got_up.len(), sent_up.len());
    assert_eq!(checksum(&got_up), checksum(&sent_up));
    assert_eq!(got_down.len(), sent_down.len());
    assert_eq!(checksum(&got_down), checksum(&sent_down));
    let _ = fs::remove_file(to_listener);
    let _ = fs::remove_file(to_sender);
}

#[test]
fn ucat_rejects_bad_arguments() {
    let status = Command::new(HARK)
        .args(["ucat", "-n", "localhost", "9"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(!status.success(), "-n must refuse a host name");
    let status = Command::new(HARK)
        .args(["ucat", "-l"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(!status.success(), "-l needs -p");
}
