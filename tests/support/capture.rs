//! A live loopback capture with Debian's dumpcap (the capture engine behind tshark).
//!
//! Readiness and completeness come from marker datagrams, not sleeps: the capture counts
//! as running once a start marker sent to a probe port shows up in the file, and as
//! complete once an end marker sent after the traffic shows up (loopback keeps order).

use std::io::{BufRead, BufReader};
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::peer_process::unique_dir;

/// How long dumpcap may take to start capturing or to flush a marker.
const WAIT: Duration = Duration::from_secs(30);

/// Marker payloads; no uTP datagram of the tests contains them.
const START_MARKER: &[u8] = b"hark-capture-start-marker";
const END_MARKER: &[u8] = b"hark-capture-end-marker";

/// A running dumpcap on `lo`, stopped (and its directory removed) when dropped.
pub struct LoopbackCapture {
    child: Child,
    dir: PathBuf,
    file: PathBuf,
    probe: UdpSocket,
    stderr: Arc<Mutex<String>>,
    /// Bytes of the file already searched for markers.
    scanned: usize,
}

impl LoopbackCapture {
    /// Starts capturing UDP datagrams to or from `port` on 127.0.0.1 and waits until the
    /// capture runs.
    pub fn start(port: u16) -> LoopbackCapture {
        Self::start_with(&format!("udp port {port}"))
    }

    /// Starts capturing TCP segments to or from `port` on 127.0.0.1 and waits until the
    /// capture runs.
    pub fn start_tcp(port: u16) -> LoopbackCapture {
        Self::start_with(&format!("tcp port {port}"))
    }

    /// Starts capturing what the BPF expression `filter` selects (plus the markers).
    fn start_with(filter: &str) -> LoopbackCapture {
        let dir = unique_dir("capture");
        let file = dir.join("capture.pcapng");
        let probe = UdpSocket::bind("127.0.0.1:0").expect("bind a probe socket");
        let probe_port = probe.local_addr().expect("probe address").port();
        let mut child = Command::new("dumpcap")
            .args(["-i", "lo", "-q", "-B", "64", "-f"])
            .arg(format!("{filter} or udp port {probe_port}"))
            .arg("-w")
            .arg(&file)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|err| {
                panic!(
                    "dumpcap could not run ({err}); install it with `cargo xtask ci` or `apt-get install tshark`"
                )
            });
        let stderr = Arc::new(Mutex::new(String::new()));
        if let Some(pipe) = child.stderr.take() {
            let sink = Arc::clone(&stderr);
            thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    let mut text = sink.lock().unwrap_or_else(|e| e.into_inner());
                    text.push_str(&line);
                    text.push('\n');
                }
            });
        }
        let mut capture = LoopbackCapture {
            child,
            stderr,
            dir,
            file,
            probe,
            scanned: 0,
        };
        capture.mark(START_MARKER);
        capture
    }

    /// Sends `marker` to the probe port until it appears in the capture file.
    fn mark(&mut self, marker: &[u8]) {
        let deadline = Instant::now() + WAIT;
        let to = self.probe.local_addr().expect("probe address");
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "dumpcap exited early ({status}); capturing needs root or CAP_NET_RAW \
                     (`dpkg-reconfigure wireshark-common`): {}",
                    self.stderr()
                );
            }
            self.probe.send_to(marker, to).expect("send a marker");
            // dumpcap flushes its file about twice a second.
            let wait_until = Instant::now() + Duration::from_millis(250);
            while Instant::now() < wait_until {
                let bytes = std::fs::read(&self.file).unwrap_or_default();
                // Only the part not searched yet (plus an overlap) can hold a new marker.
                let from = self.scanned.saturating_sub(marker.len());
                let found = contains(bytes.get(from..).unwrap_or_default(), marker);
                self.scanned = bytes.len();
                if found {
                    return;
                }
                thread::sleep(Duration::from_millis(25));
            }
        }
        panic!(
            "dumpcap did not record {} within {WAIT:?}: {}",
            String::from_utf8_lossy(marker),
            self.stderr()
        );
    }

    /// What dumpcap printed so far.
    fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Waits until everything sent so far is in the file, stops dumpcap and returns the
    /// file's path (valid while `self` lives).
    pub fn finish(&mut self) -> &Path {
        self.mark(END_MARKER);
        let pid = self.child.id().to_string();
        let status = Command::new("kill").args(["-INT", &pid]).status();
        assert!(
            status.is_ok_and(|s| s.success()),
            "could not interrupt dumpcap"
        );
        let deadline = Instant::now() + WAIT;
        loop {
            match self.child.try_wait() {
                Ok(Some(_)) => return &self.file,
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
                _ => panic!("dumpcap did not stop within {WAIT:?}: {}", self.stderr()),
            }
        }
    }
}

impl Drop for LoopbackCapture {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
