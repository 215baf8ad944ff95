//! FreeBSD-layout notifications from a real SCTP stack, generated on every test run.
//!
//! Builds `tools/sctp-vectors/usrsctp_live.c` with the system C compiler against Debian's
//! libusrsctp (`libusrsctp-dev`; `cargo xtask ci` installs it with `gcc`), runs it on a free
//! loopback UDP port, and checks that hark-wire parses every notification it printed (the
//! facts of `crates/hark-wire/tests/usrsctp/mod.rs`, shared with the recorded-vector test),
//! then feeds each socket's notifications to hark-proto's association tracker.
//!
//! A missing compiler or library fails the test with the command that fixes it: it never
//! skips.

#[path = "../crates/hark-wire/tests/usrsctp/mod.rs"]
mod usrsctp;

use hark_proto::sctp::{AssocEvent, AssocState, AssociationTracker, CloseReason};
use hark_wire::sctp::{AuthIndication, Layout, PeerAddrState};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use usrsctp::Delivered;

/// How long the program may run (it sleeps about 5 s in total).
const PATIENCE: Duration = Duration::from_secs(120);

const FIX: &str = "install a C compiler and Debian's libusrsctp-dev \
                   (`apt-get install gcc libusrsctp-dev`, or run `cargo xtask ci`)";

fn source() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/sctp-vectors/usrsctp_live.c")
}

/// Compiles the program into this test's scratch directory.
fn build() -> PathBuf {
    // One file per test process: concurrent runs must not overwrite each other's program.
    let out =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("usrsctp_live-{}", std::process::id()));
    let cc = std::env::var_os("CC").unwrap_or_else(|| "cc".into());
    let output = Command::new(&cc)
        .args(["-Wall", "-Wextra", "-O1", "-o"])
        .arg(&out)
        .arg(source())
        .args(["-lusrsctp", "-lpthread"])
        .output()
        .unwrap_or_else(|err| panic!("cannot run the C compiler {cc:?}: {err}; {FIX}"));
    assert!(
        output.status.success(),
        "{cc:?} could not build {} ({}):\n{}\n{FIX}",
        source().display(),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    out
}

/// A UDP port free on every address right now (usrsctp binds its encapsulation socket to
/// the wildcard address).
fn free_udp_port() -> u16 {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").expect("bind a UDP socket");
    socket.local_addr().expect("its address").port()
}

/// Runs the program, deletes it, and returns what it printed on stdout.
fn run(program: &Path) -> String {
    let port = free_udp_port();
    let mut child = Command::new(program)
        .arg(port.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("{}: {err}", program.display()));
    let stdout = child.stdout.take().expect("piped stdout");
    let stderr = child.stderr.take().expect("piped stderr");
    let read_all = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            pipe.read_to_string(&mut text).map(|_| text)
        })
    };
    let (stdout, stderr) = (read_all(Box::new(stdout)), read_all(Box::new(stderr)));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the program") {
            break status;
        }
        if started.elapsed() > PATIENCE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("usrsctp_live did not finish within {PATIENCE:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let _ = std::fs::remove_file(program);
    let stdout = stdout.join().expect("stdout reader").expect("stdout");
    let stderr = stderr.join().expect("stderr reader").expect("stderr");
    assert!(
        status.success(),
        "usrsctp_live (UDP port {port}) failed with {status}:\n{stderr}"
    );
    eprintln!(
        "usrsctp_live ran for {:?} on UDP port {port}",
        started.elapsed()
    );
    stdout
}

/// One run of the program per test binary, shared by the tests below.
fn delivered() -> &'static [Delivered] {
    static RUN: OnceLock<Vec<Delivered>> = OnceLock::new();
    RUN.get_or_init(|| usrsctp::assemble(&run(&build())))
}

#[test]
fn every_live_notification_parses_and_re_emits() {
    usrsctp::every_notification_parses_and_re_emits(delivered());
}

#[test]
fn every_kind_is_seen_live() {
    let kinds = usrsctp::every_kind_is_seen(delivered());
    println!("HARK-USRSCTP-KINDS {kinds:?}");
}

#[test]
fn assoc_ids_are_consistent_per_socket() {
    usrsctp::assoc_ids_are_consistent_per_socket(delivered());
}

#[test]
fn association_up_carries_the_feature_list() {
    usrsctp::association_up_carries_the_feature_list(delivered());
}

#[test]
fn peer_abort_carries_the_abort_chunk() {
    usrsctp::peer_abort_carries_the_abort_chunk(delivered());
}

#[test]
fn large_send_failures_arrive_in_pieces() {
    usrsctp::large_send_failures_arrive_in_pieces(delivered());
}

#[test]
fn injected_error_chunk_is_a_remote_error() {
    usrsctp::injected_error_chunk_is_a_remote_error(delivered());
}

#[test]
fn the_other_kinds_carry_the_values_set() {
    usrsctp::the_other_kinds_carry_the_values_set(delivered());
}

/// Each socket's notifications through hark-proto's tracker, in the order read.
fn trackers() -> BTreeMap<&'static str, (AssociationTracker, Vec<AssocEvent>)> {
    let mut out: BTreeMap<&'static str, (AssociationTracker, Vec<AssocEvent>)> = BTreeMap::new();
    let now = Instant::now();
    for d in delivered() {
        let (tracker, events) = out
            .entry(d.socket.as_str())
            .or_insert_with(|| (AssociationTracker::new(Layout::FreeBsd), Vec::new()));
        tracker.handle_notification(now, &d.parse());
        while let Some(event) = tracker.poll_event() {
            events.push(event);
        }
    }
    out
}

#[test]
fn the_tracker_follows_each_association() {
    let trackers = trackers();
    let only = |socket: &str| {
        let (tracker, events) = &trackers[socket];
        let all: Vec<_> = tracker.associations().collect();
        assert_eq!(all.len(), 1, "{socket}: {all:?}");
        assert_eq!(tracker.dropped_events(), 0);
        (all[0], events)
    };
    for socket in [
        "client", "server", "client2", "server2", "client3", "server3",
    ] {
        let (assoc, events) = only(socket);
        assert!(
            assoc.inbound_streams >= 10 && assoc.outbound_streams >= 10,
            "{socket}: {assoc:?}"
        );
        assert_eq!(assoc.adaptation_indication, Some(0x0102_0304), "{socket}");
        assert!(
            matches!(
                events.first(),
                Some(AssocEvent::Up {
                    restarted: false,
                    ..
                })
            ),
            "{socket}: {events:?}"
        );
        assert!(
            assoc
                .peer_addresses
                .iter()
                .all(|p| p.state == PeerAddrState::Confirmed),
            "{socket}"
        );
    }

    // Association 1: streams added at the client, then the client's ABORT.
    let (client, client_events) = only("client");
    assert_eq!((client.inbound_streams, client.outbound_streams), (10, 16));
    assert_eq!(client.state, AssocState::Lost);
    let failed: Vec<_> = client_events
        .iter()
        .filter_map(|e| match e {
            AssocEvent::SendFailed { failed, .. } => Some(failed),
            _ => None,
        })
        .collect();
    assert_eq!(client.send_failures as usize, failed.len());
    let handed_back: usize = failed.iter().map(|f| f.data.len()).sum();
    assert!(handed_back > 20_000, "{handed_back} bytes handed back");
    assert!(failed.iter().all(|f| f.info.snd_ppid == 53));

    let (server, _) = only("server");
    assert_eq!(server.state, AssocState::Lost);
    assert_eq!(server.partial_delivery_aborts, 1);
    assert!(matches!(
        &server.close_reason,
        Some(CloseReason::Lost { error: 12, .. })
    ));

    // Association 2: data acknowledged, key 0 freed, graceful shutdown.
    let (client2, client2_events) = only("client2");
    assert!(client2.sender_dry);
    assert!(client2_events.iter().any(|e| matches!(
        e,
        AssocEvent::Auth {
            key: 0,
            indication: AuthIndication::FreeKey,
            ..
        }
    )));
    assert_eq!(client2.state, AssocState::ShutDown);
    let (server2, server2_events) = only("server2");
    assert_eq!(server2.state, AssocState::ShutDown);
    assert!(
        server2_events
            .iter()
            .any(|e| matches!(e, AssocEvent::ShuttingDown { .. }))
    );

    // Association 3: still up, with the peer's ERROR chunk reported.
    let (client3, client3_events) = only("client3");
    assert!(client3.state.is_up());
    assert!(client3_events.iter().any(|e| matches!(
        e,
        AssocEvent::RemoteError { error: 6, data, .. } if data.len() == 12
    )));
}
