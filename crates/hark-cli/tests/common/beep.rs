//! `hark beep listen` as a child process on loopback and `hark beep send` against it, for
//! the BEEP CLI tests.

// Each test crate includes this module and uses a part of it.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{Receiver, channel};

/// The `hark` binary under test.
pub const HARK: &str = env!("CARGO_BIN_EXE_hark");
/// The echo profile every listener offers.
pub const ECHO: &str = "http://example.org/beep/echo";

/// A `hark beep listen` on 127.0.0.1 at a free port, killed when dropped (then its
/// directory, if it owns one, removed).
pub struct Listener {
    child: Child,
    /// The port it listens on.
    pub port: u16,
    /// Its session log: every standard error line after the first.
    pub log: Receiver<String>,
    dir: Option<PathBuf>,
}

impl Listener {
    /// Runs `hark beep listen -l 127.0.0.1 -p 0 ARGS` and reads its port from the first
    /// line it prints; the rest of its log is drained so it never blocks on a full pipe.
    pub fn start<S: AsRef<OsStr>>(args: &[S]) -> Listener {
        let mut child = Command::new(HARK)
            .args(["beep", "listen", "-l", "127.0.0.1", "-p", "0"])
            .args(args)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        stderr.read_line(&mut line).unwrap();
        let port: u16 = line
            .trim()
            .rsplit_once(':')
            .and_then(|(_, port)| port.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
        let (tx, log) = channel();
        std::thread::spawn(move || {
            for line in stderr.lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Listener {
            child,
            port,
            log,
            dir: None,
        }
    }

    /// Removes `dir` after the listener is killed.
    pub fn own_dir(&mut self, dir: PathBuf) {
        self.dir = Some(dir);
    }

    /// The directory given to [`Listener::own_dir`].
    pub fn dir(&self) -> &Path {
        self.dir.as_ref().expect("the listener owns no directory")
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Runs `hark beep send 127.0.0.1 PORT --profile PROFILE EXTRA` with `stdin` written to
/// its standard input; its output once it exits.
pub fn send(port: u16, profile: &str, extra: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(HARK)
        .args(["beep", "send", "127.0.0.1", &port.to_string()])
        .args(["--profile", profile])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || input.write_all(&data));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    out
}

/// `len` pseudo-random bytes (xorshift64 from `seed`, the low byte of each state).
pub fn pseudo_random(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}
