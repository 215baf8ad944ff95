//! A third-party peer run by one of the scripts in `tools/peers/`: started with piped
//! standard streams, read line by line on helper threads, and stopped (standard input
//! closed, then killed if it lingers) when dropped, also when a test fails.
//!
//! A missing interpreter or script is a test failure with instructions, never a skip.

use crate::proc_cpu::CpuTimes;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// What a peer script's first JSON line says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerInfo {
    /// The v1 info-hash of the torrent.
    pub info_hash: [u8; 20],
    /// The peer's uTP (UDP) port on 127.0.0.1.
    pub port: u16,
    /// Number of pieces in the torrent.
    pub pieces: usize,
    /// Bytes per piece (the last piece may be shorter).
    pub piece_length: usize,
}

/// A running peer script.
pub struct PeerProcess {
    name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    seen: Vec<String>,
    stderr: Arc<Mutex<String>>,
    dir: PathBuf,
    /// Whether [`PeerProcess::fail`] already printed the log.
    reported: std::cell::Cell<bool>,
    /// What the script announced on its first line.
    pub info: PeerInfo,
}

/// How long a script may take to print its first line (transmission verifies its data first).
const START: Duration = Duration::from_secs(60);

impl PeerProcess {
    /// Runs `/usr/bin/python3 tools/peers/SCRIPT ARGS --dir DIR` with a fresh `DIR` and
    /// waits for its first JSON line.
    pub fn start(script: &str, args: &[&str]) -> PeerProcess {
        PeerProcess::start_with(&[], script, args)
    }

    /// As [`PeerProcess::start`], run through `wrapper` (a command and its arguments the
    /// script's command line is appended to, such as `ip netns exec NAME`); none if empty.
    pub fn start_with(wrapper: &[&str], script: &str, args: &[&str]) -> PeerProcess {
        let name = script.trim_end_matches(".py").to_string();
        let dir = unique_dir(&name);
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tools/peers")
            .join(script);
        let mut command = match wrapper.split_first() {
            Some((program, rest)) => {
                let mut command = Command::new(program);
                command.args(rest).arg("/usr/bin/python3");
                command
            }
            None => Command::new("/usr/bin/python3"),
        };
        let mut child = command
            .arg(&path)
            .args(args)
            .arg("--dir")
            .arg(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|err| {
                panic!(
                    "cannot run /usr/bin/python3 {} ({err}); `cargo xtask ci` installs the peers",
                    path.display()
                )
            });
        let stdin = child.stdin.take();
        let (tx, lines) = mpsc::channel();
        let stdout = child.stdout.take().expect("piped stdout");
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let stderr_pipe = child.stderr.take().expect("piped stderr");
        let stderr_sink = Arc::clone(&stderr);
        thread::spawn(move || {
            for line in BufReader::new(stderr_pipe).lines() {
                let Ok(line) = line else { break };
                let mut text = stderr_sink.lock().unwrap();
                text.push_str(&line);
                text.push('\n');
            }
        });
        let mut peer = PeerProcess {
            name,
            child,
            stdin,
            lines,
            seen: Vec::new(),
            stderr,
            dir,
            reported: std::cell::Cell::new(false),
            info: PeerInfo {
                info_hash: [0; 20],
                port: 0,
                pieces: 0,
                piece_length: 0,
            },
        };
        let first = peer.wait_line(START, |line| line.contains("\"info_hash\""));
        peer.info =
            parse_info(&first).unwrap_or_else(|| peer.fail(&format!("bad first line {first:?}")));
        peer
    }

    /// The script's CPU time so far, whole and per thread; `None` once it has exited.
    pub fn cpu_times(&self) -> Option<CpuTimes> {
        CpuTimes::of(self.child.id())
    }

    /// Waits up to `timeout` for a line matching `wanted` and returns it; fails the test
    /// (with everything the peer printed) if none comes.
    pub fn wait_line(&mut self, timeout: Duration, wanted: impl Fn(&str) -> bool) -> String {
        if let Some(line) = self.seen.iter().find(|line| wanted(line)) {
            return line.clone();
        }
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if wanted(&line) {
                        return line;
                    }
                }
                Err(RecvTimeoutError::Timeout) => self.fail("timed out waiting for a line"),
                Err(RecvTimeoutError::Disconnected) => self.fail("exited"),
            }
        }
    }

    /// Every line printed so far (reads what is pending without waiting).
    pub fn lines(&mut self) -> &[String] {
        while let Ok(line) = self.lines.try_recv() {
            self.seen.push(line);
        }
        &self.seen
    }

    /// What a libtorrent peer reported going wrong: any failed hash check, and any peer
    /// error or disconnect before its `torrent_finished` (once finished, libtorrent may drop
    /// a seed, having nothing to trade).
    pub fn failures_before_finishing(&mut self) -> Vec<String> {
        let lines = self.lines();
        let finished = lines
            .iter()
            .position(|line| line.contains("\"torrent_finished\""))
            .unwrap_or(lines.len());
        lines
            .iter()
            .enumerate()
            .filter(|(at, line)| {
                line.contains("hash_failed")
                    || *at < finished
                        && (line.contains("peer_error") || line.contains("peer_disconnected"))
            })
            .map(|(_, line)| line.clone())
            .collect()
    }

    /// Writes one line to the script's standard input.
    pub fn send_line(&mut self, line: &str) {
        use std::io::Write;
        let written = match self.stdin.as_mut() {
            Some(stdin) => writeln!(stdin, "{line}").and_then(|()| stdin.flush()),
            None => Err(std::io::ErrorKind::BrokenPipe.into()),
        };
        if let Err(error) = written {
            self.fail(&format!(
                "cannot write {line:?} to its standard input: {error}"
            ));
        }
    }

    /// The directory the script works in (`--dir`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Fails the test with what the peer printed (lines not yet read included).
    pub fn fail(&self, why: &str) -> ! {
        self.reported.set(true);
        let mut stdout = self.seen.clone();
        stdout.extend(self.lines.try_iter());
        // Copied out first: a guard held while panicking would poison the lock.
        let stderr = self
            .stderr
            .lock()
            .map(|text| text.clone())
            .unwrap_or_default();
        panic!(
            "{}: {why}\nstdout:\n{}\nstderr:\n{stderr}",
            self.name,
            stdout.join("\n"),
        )
    }
}

impl Drop for PeerProcess {
    fn drop(&mut self) {
        if thread::panicking() && !self.reported.get() {
            // The test failed elsewhere: show what this peer saw.
            let mut stdout = self.seen.clone();
            stdout.extend(self.lines.try_iter());
            let stderr = self
                .stderr
                .lock()
                .map(|text| text.clone())
                .unwrap_or_default();
            eprintln!(
                "--- log of {} ---\nstdout:\n{}\nstderr:\n{stderr}",
                self.name,
                stdout.join("\n")
            );
        }
        // Closing standard input asks the script to stop (and to stop its daemon).
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            match self.child.try_wait() {
                Ok(Some(_)) | Err(_) => break,
                Ok(None) => thread::sleep(Duration::from_millis(20)),
            }
        }
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Starts libtorrent (`script`, run with `connect`) as a leecher that dials `listener` for a
/// torrent of `size` bytes; returns the process and the torrent's bytes, which the caller
/// serves as the seeder.
pub fn start_connecting_leecher(
    script: &str,
    listener: &str,
    size: &str,
) -> (PeerProcess, Vec<u8>) {
    let source_dir = unique_dir("libtorrent-source");
    let source = source_dir.join("hark-interop.bin");
    let source_arg = source.to_string_lossy().into_owned();
    let connector = PeerProcess::start(
        script,
        &[
            "connect",
            "--peer",
            listener,
            "--size",
            size,
            "--data-out",
            &source_arg,
        ],
    );
    let file = std::fs::read(&source).expect("the torrent's bytes for the hark seeder to serve");
    std::fs::remove_dir_all(&source_dir).ok();
    (connector, file)
}

/// A fresh directory under the system's temporary directory.
pub fn unique_dir(name: &str) -> PathBuf {
    static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("hark-{name}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a temporary directory");
    dir
}

/// Reads `{"info_hash": HEX, "port": N, "pieces": N, ...}`.
fn parse_info(line: &str) -> Option<PeerInfo> {
    let value: serde_json::Value = serde_json::from_str(line).ok()?;
    let hex = value.get("info_hash")?.as_str()?;
    let mut info_hash = [0u8; 20];
    if hex.len() != 40 {
        return None;
    }
    for (i, byte) in info_hash.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(PeerInfo {
        info_hash,
        port: u16::try_from(value.get("port")?.as_u64()?).ok()?,
        pieces: usize::try_from(value.get("pieces")?.as_u64()?).ok()?,
        piece_length: usize::try_from(value.get("piece_length")?.as_u64()?).ok()?,
    })
}
