//! The bed: three network namespaces this process makes for itself, a sender, a router and
//! a receiver, joined by two veth pairs. The router forwards between them and shapes its
//! egress toward the receiver with `tc qdisc tbf` (the bottleneck and its queue). Only
//! 10.77.0.0/16 addresses inside these namespaces are used; nothing can reach the host's
//! network. Everything is deleted on drop. Needs root and iproute2.

use std::fs::File;
use std::net::Ipv4Addr;
use std::os::fd::AsRawFd;
use std::process::Command;
use std::thread::{self, JoinHandle};

/// The sender's address (its side of the first veth pair).
pub const SENDER: Ipv4Addr = Ipv4Addr::new(10, 77, 1, 1);
/// The receiver's address (its side of the second veth pair).
pub const RECEIVER: Ipv4Addr = Ipv4Addr::new(10, 77, 2, 2);

/// The three namespaces and the bottleneck between them.
pub struct Bed {
    pub sender: String,
    pub router: String,
    pub receiver: String,
    /// The router's interface toward the receiver: where the queue builds.
    pub bottleneck: &'static str,
}

fn run(program: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("`{program}` cannot run: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "{program} {args:?}: {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

fn ip(args: &[&str]) -> Result<String, String> {
    run("ip", args)
}

impl Bed {
    /// Builds the namespaces, links, routes and forwarding; the bottleneck shapes at
    /// `rate_bit` bits per second with a queue of `queue_bytes`.
    pub fn create(rate_bit: u64, queue_bytes: u64) -> Result<Bed, String> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            return Err("the LEDBAT bed makes network namespaces: it needs root".into());
        }
        let pid = std::process::id();
        let bed = Bed {
            sender: format!("hark-bed-s-{pid}"),
            router: format!("hark-bed-r-{pid}"),
            receiver: format!("hark-bed-d-{pid}"),
            bottleneck: "r-d",
        };
        for ns in [&bed.sender, &bed.router, &bed.receiver] {
            ip(&["netns", "add", ns])?;
            ip(&["-n", ns, "link", "set", "lo", "up"])?;
        }
        // sender s-r <-> r-s router r-d <-> d-r receiver
        for (a_ns, a, b_ns, b) in [
            (&bed.sender, "s-r", &bed.router, "r-s"),
            (&bed.router, "r-d", &bed.receiver, "d-r"),
        ] {
            ip(&[
                "-n", a_ns, "link", "add", a, "type", "veth", "peer", "name", b, "netns", b_ns,
            ])?;
        }
        for (ns, dev, addr) in [
            (&bed.sender, "s-r", "10.77.1.1/24"),
            (&bed.router, "r-s", "10.77.1.2/24"),
            (&bed.router, "r-d", "10.77.2.1/24"),
            (&bed.receiver, "d-r", "10.77.2.2/24"),
        ] {
            ip(&["-n", ns, "addr", "add", addr, "dev", dev])?;
            ip(&["-n", ns, "link", "set", dev, "up"])?;
        }
        ip(&[
            "-n",
            &bed.sender,
            "route",
            "add",
            "10.77.2.0/24",
            "via",
            "10.77.1.2",
        ])?;
        ip(&[
            "-n",
            &bed.receiver,
            "route",
            "add",
            "10.77.1.0/24",
            "via",
            "10.77.2.1",
        ])?;
        run(
            "ip",
            &[
                "netns",
                "exec",
                &bed.router,
                "sysctl",
                "-q",
                "-w",
                "net.ipv4.ip_forward=1",
            ],
        )?;
        let rate = format!("{rate_bit}bit");
        let limit = queue_bytes.to_string();
        run(
            "tc",
            &[
                "-n",
                &bed.router,
                "qdisc",
                "replace",
                "dev",
                bed.bottleneck,
                "root",
                "tbf",
                "rate",
                &rate,
                "burst",
                "5000",
                "limit",
                &limit,
            ],
        )?;
        Ok(bed)
    }

    /// Bytes the bottleneck's qdisc has sent so far.
    pub fn bottleneck_bytes(&self) -> Result<u64, String> {
        let out = run(
            "tc",
            &[
                "-n",
                &self.router,
                "-s",
                "qdisc",
                "show",
                "dev",
                self.bottleneck,
            ],
        )?;
        // " Sent 123456 bytes 789 pkt (dropped ..."
        out.split_whitespace()
            .skip_while(|w| *w != "Sent")
            .nth(1)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("no byte count in `tc -s qdisc show`: {out}"))
    }

    /// Packets the bottleneck's qdisc has dropped so far.
    pub fn bottleneck_drops(&self) -> Result<u64, String> {
        let out = run(
            "tc",
            &[
                "-n",
                &self.router,
                "-s",
                "qdisc",
                "show",
                "dev",
                self.bottleneck,
            ],
        )?;
        out.split_whitespace()
            .skip_while(|w| *w != "(dropped")
            .nth(1)
            .and_then(|v| v.trim_end_matches(',').parse().ok())
            .ok_or_else(|| format!("no drop count in `tc -s qdisc show`: {out}"))
    }
}

impl Drop for Bed {
    fn drop(&mut self) {
        for ns in [&self.sender, &self.router, &self.receiver] {
            let _ = ip(&["netns", "del", ns]);
        }
    }
}

/// Runs `f` on a new thread inside namespace `ns`; sockets, threads and processes it
/// makes live there.
pub fn spawn_in<T: Send + 'static>(
    ns: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> JoinHandle<T> {
    let path = format!("/run/netns/{ns}");
    thread::spawn(move || {
        enter(&path);
        f()
    })
}

/// Moves the calling thread into the namespace at `path`.
fn enter(path: &str) {
    let ns = File::open(path).unwrap_or_else(|e| panic!("open {path}: {e}"));
    // SAFETY: `ns` is an open namespace file; setns changes only this thread's network
    // namespace (and that of what it starts afterwards).
    let rc = unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) };
    assert_eq!(rc, 0, "setns {path}: {}", std::io::Error::last_os_error());
}
