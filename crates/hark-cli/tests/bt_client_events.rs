//! Every event kind of Net::BitTorrent's callback list fires in `hark torrent`'s runs: the
//! test collects the `[severity] event: message` lines of `--events debug` across a few
//! runs and names any kind that never showed up.
//!
//! - A download that meets the hostile peer (invalid requests, a malformed message,
//!   corrupt blocks), a peer blocked by `--ip-filter`, a tracker that answers with a
//!   warning, a tracker nobody runs and a web seed nobody serves, then completes from an
//!   honest libtorrent seeder.
//! - A seeder serving libtorrent over uTP, then stopped with SIGTERM.
//! - A download whose port is taken (listen_failure).
//! - A download into a directory where a file's path is a directory (file_error).

use hark_suite::bt_interop::hark_cli::{Dial, HarkPeer, event_names, wait_download};
use hark_suite::bt_interop::libtorrent::{self, Transport};
use hark_suite::bt_interop::{free_port, hostile, payload, torrent};
use hark_suite::peer_process::unique_dir;
use hark_suite::tracker::Tracker;
use std::collections::BTreeSet;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpListener, UdpSocket};
use std::path::Path;
use std::time::Duration;

const HARK: &str = env!("CARGO_BIN_EXE_hark");
const TRANSFER: Duration = Duration::from_secs(25);

/// The callbacks of `../shared/seeds/002_2a9f9c7403210778.txt`, in its order.
const SEED_KINDS: [&str; 27] = [
    "ip_filter",
    "listen_failure",
    "listen_success",
    "peer_id",
    "peer_handshake_complete",
    "peer_disconnect",
    "peer_data_in",
    "peer_data_out",
    "peer_packet_out",
    "peer_packet_in",
    "file_error",
    "file_open",
    "file_close",
    "file_write",
    "file_read",
    "tracker_announce",
    "tracker_failure",
    "tracker_success",
    "tracker_warning",
    "url_seed",
    "piece_hash_failed",
    "piece_hash_passed",
    "peer_ban",
    "peer_error",
    "invalid_request",
    "tracker_write",
    "tracker_read",
];

fn local(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// The hostile run: everything but listen_failure and file_error.
fn eventful_download(seen: &mut BTreeSet<String>) {
    let dir = unique_dir("events-hostile");
    let port = free_port();
    let warning = Tracker::start_with_warning(
        vec![SocketAddrV4::new(Ipv4Addr::LOCALHOST, port)],
        "hark test: a warning",
    );
    let dead = free_port();
    let made = torrent::make(
        Path::new(HARK),
        &dir,
        // Tier 1 refuses connections (tracker_failure), tier 2 answers with a warning.
        &[
            format!("http://127.0.0.1:{dead}/announce"),
            warning.announce_url(),
        ],
        &[format!("http://127.0.0.1:{dead}/")],
    );
    let filter = dir.join("ipfilter.dat");
    std::fs::write(&filter, "127.0.0.3 - 127.0.0.3 , 0 , hark test\n").expect("filter");
    let mut bad = hostile::start(&made.file, &made.seed_dir, Some(local(port)));
    let mut hark = HarkPeer::new(Path::new(HARK), port);
    hark.peers = vec![
        format!("{}:{}", hostile::ADDRESS, bad.info.port)
            .parse()
            .expect("an address"),
        "127.0.0.3:9".parse().expect("an address"),
    ];
    hark.dial = Dial::Tcp;
    hark.extra = vec!["--ip-filter".into(), filter.to_string_lossy().into_owned()];
    let save = dir.join("hark");
    let mut download = hark.download(&made.file, &save);
    if hostile::reconnect_answered(&mut bad, TRANSFER) {
        download.fail("hark answered the handshake of the banned address");
    }
    let mut honest = libtorrent::seed(
        None,
        &made.file,
        &made.seed_dir,
        Transport::Tcp,
        "127.0.0.1",
    );
    honest.send_line(&format!("connect 127.0.0.1:{port}"));
    wait_download(&mut download, TRANSFER);
    if let Err(problem) = payload::verify(&save) {
        download.fail(&problem);
    }
    seen.extend(event_names(&download.log()));
    drop((download, bad, honest, warning));
    std::fs::remove_dir_all(&dir).ok();
}

/// A run whose only port is taken over TCP and UDP: it cannot listen and exits 1.
fn port_taken(seen: &mut BTreeSet<String>) {
    let dir = unique_dir("events-listen");
    let made = torrent::make(Path::new(HARK), &dir, &[], &[]);
    let tcp = TcpListener::bind("127.0.0.1:0").expect("a TCP port");
    let port = tcp.local_addr().expect("address").port();
    let _udp = UdpSocket::bind(("127.0.0.1", port)).expect("the same UDP port");
    let mut hark = HarkPeer::new(Path::new(HARK), port);
    hark.bind = Some("127.0.0.1".into());
    let mut download = hark.download(&made.file, &dir.join("hark"));
    let status = download.wait_exit(TRANSFER);
    if status.success() {
        download.fail("exited 0 without a port to listen on");
    }
    seen.extend(event_names(&download.log()));
    drop(download);
    std::fs::remove_dir_all(&dir).ok();
}

/// A download where a file's path is taken by a directory: a fatal file_error, exit 1.
fn unwritable_file(seen: &mut BTreeSet<String>) {
    let dir = unique_dir("events-file");
    let made = torrent::make(Path::new(HARK), &dir, &[], &[]);
    let save = dir.join("hark");
    // The last file, so that the others are open when it fails (their file_close).
    std::fs::create_dir_all(save.join(payload::NAME).join("z.bin")).expect("a directory");
    let seeder = libtorrent::seed(
        None,
        &made.file,
        &made.seed_dir,
        Transport::Tcp,
        "127.0.0.1",
    );
    let mut hark = HarkPeer::new(Path::new(HARK), free_port());
    hark.peers = vec![local(seeder.info.port)];
    hark.dial = Dial::Tcp;
    let mut download = hark.download(&made.file, &save);
    let status = download.wait_exit(TRANSFER);
    if status.success() {
        download.fail("exited 0 although z.bin cannot be written");
    }
    seen.extend(event_names(&download.log()));
    drop((download, seeder));
    std::fs::remove_dir_all(&dir).ok();
}

/// hark seeds to libtorrent, then is stopped with SIGTERM (a clean shutdown).
fn seed_and_stop(seen: &mut BTreeSet<String>) {
    let dir = unique_dir("events-seed");
    let made = torrent::make(Path::new(HARK), &dir, &[], &[]);
    let port = free_port();
    let mut seeder = HarkPeer::new(Path::new(HARK), port).seed(&made.file, &made.seed_dir);
    let save = dir.join("libtorrent");
    let mut leecher = libtorrent::download(
        None,
        &made.file,
        &save,
        &[local(port)],
        Transport::Utp,
        "127.0.0.1",
    );
    libtorrent::wait_complete(&mut leecher, TRANSFER);
    drop(leecher);
    seeder.stop(Duration::from_secs(10));
    seen.extend(event_names(&seeder.log()));
    drop(seeder);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn every_event_kind_of_the_seed_fires() {
    let mut seen = BTreeSet::new();
    eventful_download(&mut seen);
    seed_and_stop(&mut seen);
    port_taken(&mut seen);
    unwritable_file(&mut seen);
    let missing: Vec<&str> = SEED_KINDS
        .into_iter()
        .filter(|kind| !seen.contains(*kind))
        .collect();
    assert!(
        missing.is_empty(),
        "event kinds of the seed that never fired: {missing:?}\n(fired: {seen:?})"
    );
}
