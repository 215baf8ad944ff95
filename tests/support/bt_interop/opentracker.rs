//! Debian's `opentracker` on 127.0.0.1, over HTTP and UDP on one port. It serves only the
//! info hashes of its whitelist, which it reads inside the directory it chroots to: the
//! launcher writes the whitelist there and waits until a probe announce for a whitelisted
//! hash is answered.

use super::free_port;
use super::process::LoggedProcess;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

/// A running opentracker.
pub struct OpenTracker {
    /// The process and its log.
    pub process: LoggedProcess,
    port: u16,
}

impl OpenTracker {
    /// Starts opentracker serving the hex `info_hashes`.
    pub fn start(info_hashes: &[&str]) -> OpenTracker {
        let root = crate::peer_process::unique_dir("opentracker");
        let whitelist: String = info_hashes.iter().map(|hash| format!("{hash}\n")).collect();
        std::fs::write(root.join("whitelist.txt"), whitelist).expect("whitelist");
        let port = free_port();
        let mut command = Command::new("opentracker");
        command
            .args([
                "-i",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-P",
                &port.to_string(),
            ])
            .arg("-d")
            .arg(&root)
            .args(["-w", "/whitelist.txt"]);
        let mut process = LoggedProcess::spawn("opentracker", command);
        process.own_dir(root);
        let tracker = OpenTracker { process, port };
        tracker.wait_ready(info_hashes.first().copied().unwrap_or_default());
        tracker
    }

    /// The HTTP announce URL.
    pub fn http_url(&self) -> String {
        format!("http://127.0.0.1:{}/announce", self.port)
    }

    /// The UDP (BEP 15) announce URL.
    pub fn udp_url(&self) -> String {
        format!("udp://127.0.0.1:{}", self.port)
    }

    /// A `started` probe for `hash` answered with peers rather than a failure means the
    /// tracker listens and loaded its whitelist; a `stopped` one then removes the probe.
    fn wait_ready(&self, hash: &str) {
        let escaped: String = hash
            .as_bytes()
            .chunks(2)
            .map(|pair| format!("%{}", String::from_utf8_lossy(pair)))
            .collect();
        let probe = |event: &str| {
            format!(
                "/announce?info_hash={escaped}&peer_id=-HK0001-probeprobepr&port=1&uploaded=0\
                 &downloaded=0&left=1&compact=1&event={event}"
            )
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(body) = self.get(&probe("started"))
                && !body.starts_with(b"d14:failure reason")
            {
                break;
            }
            if Instant::now() > deadline {
                self.process
                    .fail("no answer to a whitelisted announce within 10 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        if let Err(error) = self.get(&probe("stopped")) {
            self.process
                .fail(&format!("the stopped probe failed: {error}"));
        }
    }

    /// The swarm of the hex `info_hash` as the tracker's scrape tells it: (`complete`,
    /// `incomplete`), that is seeders and leechers; (0, 0) for a torrent nobody is in.
    pub fn swarm(&self, info_hash: &str) -> (i64, i64) {
        let escaped: String = info_hash
            .as_bytes()
            .chunks(2)
            .map(|pair| format!("%{}", String::from_utf8_lossy(pair)))
            .collect();
        let body = self
            .get(&format!("/scrape?info_hash={escaped}"))
            .unwrap_or_else(|error| self.process.fail(&format!("scrape failed: {error}")));
        let value = hark_wire::bt::bencode::decode(&body).unwrap_or_else(|error| {
            self.process.fail(&format!(
                "scrape reply {:?} is not bencode: {error}",
                String::from_utf8_lossy(&body)
            ))
        });
        let Some(entry) = value
            .get(b"files")
            .and_then(|files| files.as_dict())
            .and_then(|files| files.first())
        else {
            return (0, 0);
        };
        let count = |key: &[u8]| entry.1.get(key).and_then(|v| v.as_integer()).unwrap_or(0);
        (count(b"complete"), count(b"incomplete"))
    }

    /// The body of a 200 answer to `GET target`.
    fn get(&self, target: &str) -> Result<Vec<u8>, String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).map_err(|e| e.to_string())?;
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .map_err(|e| e.to_string())?;
        write!(stream, "GET {target} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            .map_err(|e| e.to_string())?;
        let mut reply = Vec::new();
        stream.read_to_end(&mut reply).map_err(|e| e.to_string())?;
        let split = reply
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .ok_or("no end of the header")?;
        if !reply.starts_with(b"HTTP/1.0 200") && !reply.starts_with(b"HTTP/1.1 200") {
            return Err(String::from_utf8_lossy(&reply[..split]).into_owned());
        }
        Ok(reply[split + 4..].to_vec())
    }
}
