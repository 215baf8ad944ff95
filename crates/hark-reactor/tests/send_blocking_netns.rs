//! The reactor's blocked-send path for real: loopback never runs out of send buffer, so
//! this test makes its own network namespace whose loopback has a rate-limiting qdisc
//! (`tc ... tbf`). Queued packets then stay charged to a small socket send buffer, sends
//! hit EAGAIN, and the reactor must wait for WRITABLE and still deliver every datagram.
//! Needs root with `ip` and `tc` (iproute2); says why and passes vacuously otherwise.

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::process::Command;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use hark_reactor::udp::{BatchSocket, UdpConfig};
use hark_reactor::{DatagramEndpoint, Reactor, ReactorConfig, Transmit};

const DATAGRAMS: u32 = 400;
const SIZE: usize = 1400;

/// A network namespace made for this test, deleted on drop.
struct NetNs {
    name: String,
}

impl NetNs {
    fn create() -> Result<NetNs, String> {
        let name = format!("hark-reactor-test-{}", std::process::id());
        let ns = NetNs { name };
        ns.ip(&["netns", "add", &ns.name])?;
        ns.ip(&["-n", &ns.name, "link", "set", "lo", "up"])?;
        // 20 Mbit/s with a queue far larger than the socket's send buffer: packets wait
        // in the qdisc (charged to the sender) instead of being dropped.
        let tc = Command::new("tc")
            .args(["-n", &ns.name, "qdisc", "add", "dev", "lo", "root", "tbf"])
            .args(["rate", "20mbit", "burst", "16kb", "limit", "1mb"])
            .status()
            .map_err(|e| format!("tc: {e}"))?;
        if !tc.success() {
            return Err(format!("tc exited with {tc}"));
        }
        Ok(ns)
    }

    fn ip(&self, args: &[&str]) -> Result<(), String> {
        let status = Command::new("ip")
            .args(args)
            .status()
            .map_err(|e| format!("ip: {e}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("ip {args:?} exited with {status}"))
        }
    }

    /// Runs `f` on a thread that has entered the namespace; sockets it makes live there.
    fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> T {
        let path = format!("/run/netns/{}", self.name);
        thread::spawn(move || {
            let ns = File::open(&path).unwrap();
            // SAFETY: `ns` is an open namespace file; setns only changes this thread's
            // network namespace.
            let rc = unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) };
            assert_eq!(rc, 0, "setns: {}", io::Error::last_os_error());
            f()
        })
        .join()
        .unwrap()
    }
}

impl Drop for NetNs {
    fn drop(&mut self) {
        let _ = self.ip(&["netns", "del", &self.name]);
    }
}

/// Sends `DATAGRAMS` numbered datagrams as fast as allowed and records blocking reports.
struct Blaster {
    to: SocketAddr,
    next: u32,
    blocked_reports: Vec<bool>,
}

impl DatagramEndpoint for Blaster {
    fn handle_datagram(&mut self, _: Instant, _: SocketAddr, _: &[u8]) {}

    fn handle_timeout(&mut self, _: Instant) {}

    fn poll_transmit(&mut self, _: Instant, buf: &mut [u8]) -> Option<Transmit> {
        if self.next == DATAGRAMS {
            return None;
        }
        let datagram = buf.get_mut(..SIZE)?;
        datagram.fill(self.next as u8);
        datagram[..4].copy_from_slice(&self.next.to_be_bytes());
        self.next += 1;
        Some(Transmit {
            destination: self.to,
            len: SIZE,
            dont_fragment: false,
        })
    }

    fn poll_timeout(&self) -> Option<Instant> {
        None
    }

    fn handle_send_blocked(&mut self, _: Instant, blocked: bool) {
        self.blocked_reports.push(blocked);
    }
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

#[test]
fn blocked_sends_wait_for_writable_and_deliver_everything() {
    // This test fails loudly rather than skipping: CI runs as root and `cargo xtask ci`
    // installs iproute2 (for `ip` and `tc`).
    assert!(
        is_root(),
        "this test needs root to make a network namespace (CI runs as root)"
    );
    let ns = NetNs::create().unwrap_or_else(|e| {
        panic!("cannot set up a namespace with a qdisc (is iproute2 installed? `cargo xtask ci` installs it): {e}")
    });
    let (sender, mut sink) = ns.run(|| {
        let small = UdpConfig {
            send_buffer: 16 << 10,
            ..UdpConfig::DEFAULT
        };
        let any = "127.0.0.1:0".parse().unwrap();
        (
            BatchSocket::bind(any, &small).unwrap(),
            BatchSocket::bind(any, &UdpConfig::NO_OFFLOAD).unwrap(),
        )
    });
    let to = sink.local_addr();
    let mut reactor = Reactor::new(ReactorConfig::default()).unwrap();
    let blaster = Blaster {
        to,
        next: 0,
        blocked_reports: Vec::new(),
    };
    let id = reactor.add_socket(sender, blaster).unwrap();
    let handle = reactor.handle();
    let thread = thread::spawn(move || {
        reactor.run().unwrap();
        reactor
    });

    let mut bufs = sink.recv_buffers();
    let mut seen: HashMap<u32, u32> = HashMap::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while seen.len() < DATAGRAMS as usize && Instant::now() < deadline {
        match sink.recv_batch(&mut bufs) {
            Ok(_) => {
                for (_, data) in bufs.datagrams() {
                    let seq = u32::from_be_bytes(data[..4].try_into().unwrap());
                    assert_eq!(data.len(), SIZE);
                    assert!(
                        data[4..].iter().all(|&b| b == seq as u8),
                        "contents of {seq}"
                    );
                    *seen.entry(seq).or_default() += 1;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                thread::sleep(Duration::from_millis(2))
            }
            Err(e) => panic!("{e}"),
        }
    }
    // Let the reactor report the final unblocking before stopping it.
    let (tx, rx) = mpsc::channel();
    let mut stopped = None;
    while Instant::now() < deadline {
        let tx = tx.clone();
        handle
            .with_reactor(move |r: &mut Reactor, _| {
                let _ = tx.send(r.endpoint::<Blaster>(id).map(|b| b.blocked_reports.clone()));
            })
            .unwrap();
        let reports = rx.recv_timeout(Duration::from_secs(5)).unwrap().unwrap();
        if reports.last() == Some(&false) {
            stopped = Some(reports);
            break;
        }
        thread::sleep(Duration::from_millis(10));
    }
    handle.shutdown();
    let reactor = thread.join().unwrap();
    drop(ns);

    assert_eq!(seen.len(), DATAGRAMS as usize, "every datagram arrived");
    assert!(seen.values().all(|&n| n == 1), "exactly once");
    let reports = stopped.expect("the send side ended unblocked");
    assert!(
        reports.contains(&true),
        "the send buffer filled at least once"
    );
    assert!(
        reports.windows(2).all(|w| w[0] != w[1]),
        "reports alternate: {reports:?}"
    );
    let stats = reactor.socket_stats(id).unwrap();
    assert_eq!(stats.socket.sent, u64::from(DATAGRAMS));
    assert_eq!(stats.socket.send_errors, 0);
    eprintln!("blocked/unblocked reports: {}", reports.len());
}
