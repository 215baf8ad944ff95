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

    /// Adds one more address (as a /32) to the namespace's loopback, for a second peer that
    /// must not share the first one's IP.
    pub fn add_address(&self, address: Ipv4Addr) -> Result<(), String> {
        ip(&[
            "-n",
            &self.name,
            "addr",
            "add",
            &format!("{address}/32"),
            "dev",
            "lo",
        ])
    }

    /// The namespace's name (as `ip netns` knows it).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The words that run a program inside the namespace: `ip netns exec NAME`.
    pub fn exec_prefix(&self) -> [&str; 4] {
        ["ip", "netns", "exec", &self.name]
    }

    /// A command that runs `program` inside the namespace.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &self.name]).arg(program);
        command
    }

    /// Makes `make` inside the namespace and keeps the value so that it is also dropped
    /// inside it (for values whose drop opens sockets, such as [`crate::tracker::Tracker`],
    /// which wakes its accept loop by connecting to itself).
    pub fn keep<T: Send + 'static>(&self, make: impl FnOnce() -> T + Send + 'static) -> Inside<T> {
        Inside {
            value: Some(self.run(make)),
            path: format!("/run/netns/{}", self.name),
        }
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

/// A value made inside a namespace and dropped inside it (see [`NetNs::keep`]).
pub struct Inside<T: Send + 'static> {
    value: Option<T>,
    path: String,
}

impl<T: Send + 'static> std::ops::Deref for Inside<T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.value.as_ref().expect("present until dropped")
    }
}

impl<T: Send + 'static> Drop for Inside<T> {
    fn drop(&mut self) {
        let value = self.value.take();
        let path = self.path.clone();
        let _ = thread::spawn(move || {
            if let Ok(ns) = File::open(&path) {
                // SAFETY: as in `NetNs::run`: only this thread's namespace changes.
                unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) };
            }
            drop(value);
        })
        .join();
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
