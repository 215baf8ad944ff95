//! A network namespace a test makes for itself: its own loopback, up, plus one address
//! outside 127.0.0.0/8 on it, for peers that refuse to dial loopback addresses
//! (transmission 3.00 drops tracker peers in 127.0.0.0/8 as "martian"). Nothing in it can
//! reach the host's network. Deleted on drop. Needs root and iproute2's `ip` (CI runs as
//! root and `cargo xtask ci` installs iproute2).

use std::fs::File;
use std::net::Ipv4Addr;
use std::os::fd::AsRawFd;
use std::process::Command;
use std::thread;

/// A namespace named after the test and this process, removed when dropped.
#[derive(Debug)]
pub struct NetNs {
    name: String,
}

impl NetNs {
    /// Makes the namespace, brings its loopback up and gives it `address` (as a /32).
    pub fn create(tag: &str, address: Ipv4Addr) -> Result<NetNs, String> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            return Err("making a network namespace needs root (CI runs as root)".into());
        }
        let ns = NetNs {
            name: format!("hark-{tag}-{}", std::process::id()),
        };
        ip(&["netns", "add", &ns.name])?;
        ip(&["-n", &ns.name, "link", "set", "lo", "up"])?;
        ip(&[
            "-n",
            &ns.name,
            "addr",
            "add",
            &format!("{address}/32"),
            "dev",
            "lo",
        ])?;
        Ok(ns)
    }

    /// Runs `f` on a thread that entered the namespace. Sockets it opens, threads it starts
    /// and processes it spawns all live in the namespace. A panic in `f` is passed on.
    pub fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> T {
        let path = format!("/run/netns/{}", self.name);
        let result = thread::spawn(move || {
            let ns = File::open(&path).unwrap_or_else(|e| panic!("open {path}: {e}"));
            // SAFETY: `ns` is an open namespace file; setns only changes the network
            // namespace of this thread (and of what it starts afterwards).
            let rc = unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) };
            assert_eq!(rc, 0, "setns: {}", std::io::Error::last_os_error());
            f()
        })
        .join();
        match result {
            Ok(value) => value,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}

impl Drop for NetNs {
    fn drop(&mut self) {
        let _ = ip(&["netns", "del", &self.name]);
    }
}

fn ip(args: &[&str]) -> Result<(), String> {
    let status = Command::new("ip")
        .args(args)
        .status()
        .map_err(|e| format!("`ip` (iproute2) cannot run: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("ip {args:?} exited with {status}"))
    }
}
