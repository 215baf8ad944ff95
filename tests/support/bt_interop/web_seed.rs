//! A BEP 19 web seed: Python's `http.server` serving a directory on 127.0.0.1 (its request
//! log is its standard error, kept in the log).

use super::free_port;
use super::process::LoggedProcess;
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// A running HTTP server.
pub struct WebSeed {
    /// The process and its log.
    pub process: LoggedProcess,
    port: u16,
}

impl WebSeed {
    /// Serves `dir` (which holds the torrent's name: a multi-file torrent's files are at
    /// `URL/NAME/PATH`).
    pub fn start(dir: &Path) -> WebSeed {
        let port = free_port();
        let mut command = Command::new("/usr/bin/python3");
        command
            .args([
                "-u",
                "-m",
                "http.server",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--directory",
            ])
            .arg(dir);
        let process = LoggedProcess::spawn("http.server", command);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                process.fail("not listening after 10 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        WebSeed { process, port }
    }

    /// The URL to put in the torrent (`url-list`), ending in `/`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }
}
