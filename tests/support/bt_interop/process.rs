//! A third-party program run by a test, with everything it prints kept: standard output and
//! standard error are read on helper threads into one log, which is printed when the test
//! fails (on [`LoggedProcess::fail`], and when the process is dropped during a panic). The
//! process is stopped (SIGTERM, then SIGKILL) when dropped.
//!
//! A program that cannot be started fails the test with instructions, never skips it.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// A running program and its log.
pub struct LoggedProcess {
    name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    log: Arc<Mutex<String>>,
    /// Removed when the process is dropped.
    dirs: Vec<PathBuf>,
}

impl LoggedProcess {
    /// Starts `command` with piped standard streams. `name` prefixes its log.
    pub fn spawn(name: &str, mut command: Command) -> LoggedProcess {
        let program = format!("{command:?}");
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| {
                panic!(
                    "{name}: cannot run {program} ({error}); `cargo xtask ci` installs the peers"
                )
            });
        let log = Arc::new(Mutex::new(format!("$ {program}\n")));
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        pump(stdout, Arc::clone(&log), "");
        pump(stderr, Arc::clone(&log), "! ");
        LoggedProcess {
            name: name.to_string(),
            stdin: child.stdin.take(),
            child,
            log,
            dirs: Vec::new(),
        }
    }

    /// Removes `dir` when this process is dropped.
    pub fn own_dir(&mut self, dir: PathBuf) {
        self.dirs.push(dir);
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Everything printed so far (standard error lines start with `! `).
    pub fn log(&self) -> String {
        self.log.lock().map(|log| log.clone()).unwrap_or_default()
    }

    /// Waits up to `timeout` for a log line matching `wanted`, returning it; fails the test
    /// (with the log) if none comes or the process exits first.
    pub fn wait_line(&mut self, timeout: Duration, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(line) = self.log().lines().find(|line| wanted(line)) {
                return line.to_string();
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                // Let the pumps drain what the process printed last.
                thread::sleep(Duration::from_millis(100));
                if let Some(line) = self.log().lines().find(|line| wanted(line)) {
                    return line.to_string();
                }
                self.fail(&format!("exited with {status} before the awaited line"));
            }
            if Instant::now() > deadline {
                self.fail(&format!("no awaited line within {timeout:?}"));
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits up to `timeout` for the process to exit.
    pub fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => {
                    thread::sleep(Duration::from_millis(50));
                    return status;
                }
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
                Ok(None) => self.fail(&format!("still running after {timeout:?}")),
                Err(error) => self.fail(&format!("cannot wait: {error}")),
            }
        }
    }

    /// Whether it is still running.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Closes its standard input (scripts take that as "stop").
    pub fn close_stdin(&mut self) {
        drop(self.stdin.take());
    }

    /// Fails the test with the log.
    pub fn fail(&self, why: &str) -> ! {
        panic!("{}: {why}\n{}", self.name, indent(&self.log()))
    }

    /// Stops the process: SIGTERM, then SIGKILL after `grace`.
    pub fn stop(&mut self, grace: Duration) {
        self.close_stdin();
        if !self.running() {
            return;
        }
        // The child's pid is ours to signal until we reap it.
        let pid = libc::pid_t::try_from(self.child.id()).unwrap_or(0);
        if pid > 0 {
            // SAFETY: kill has no memory preconditions; the pid is our unreaped child.
            unsafe { libc::kill(pid, libc::SIGTERM) };
        }
        let deadline = Instant::now() + grace;
        while self.running() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(20));
        }
        if self.running() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

impl Drop for LoggedProcess {
    fn drop(&mut self) {
        self.stop(Duration::from_secs(5));
        if thread::panicking() {
            eprintln!("--- log of {} ---\n{}", self.name, indent(&self.log()));
        }
        for dir in &self.dirs {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn indent(text: &str) -> String {
    text.lines().map(|line| format!("  {line}\n")).collect()
}

fn pump(stream: impl Read + Send + 'static, log: Arc<Mutex<String>>, prefix: &'static str) {
    thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if let Ok(mut log) = log.lock() {
                log.push_str(prefix);
                log.push_str(&line);
                log.push('\n');
            }
        }
    });
}
