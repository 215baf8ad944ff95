//! `hark::bittorrent::Client` finding peers through a real tracker (Debian's `opentracker`,
//! over HTTP and over UDP on the client's shared UDP socket) and completing from a web seed
//! (Python's `http.server`), on loopback. A missing opentracker or python3 fails the test
//! (`cargo xtask ci` installs them).

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hark::bittorrent::{AddTorrent, Transports};
use hark_suite::bt_client::{info_hash_hex, loopback_client};
use hark_suite::bt_interop::free_port;
use hark_suite::bt_interop::opentracker::OpenTracker;
use hark_suite::peer_process::unique_dir;
use hark_suite::torrent_fixture::Fixture;

const TIMEOUT: Duration = Duration::from_secs(60);

/// A child process killed (and its directory removed) on drop.
struct Daemon {
    child: Child,
    dir: PathBuf,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn hark() -> hark::bittorrent::ClientBuilder {
    loopback_client(Transports::UtpFirst)
}

/// A hark seeder and a hark downloader that know of each other only through opentracker.
fn peers_from_opentracker(scheme: &str) {
    let fixture = Fixture::scaled(4);
    let seed_dir = unique_dir("tracker-seed");
    let leech_dir = unique_dir("tracker-leech");
    // opentracker only answers for whitelisted torrents: the info hash (which does not
    // cover the announce URL) first, then the torrent again with the tracker's URL.
    let bare = fixture.write(&seed_dir);
    let tracker = OpenTracker::start(&[&info_hash_hex(&bare)]);
    let url = match scheme {
        "udp" => tracker.udp_url(),
        _ => tracker.http_url(),
    };
    let torrent = fixture.write_with(&seed_dir, &[&url], &[]);
    assert_eq!(info_hash_hex(&torrent), info_hash_hex(&bare));

    let seeder = hark().build().unwrap();
    let seeding = seeder
        .add_torrent(AddTorrent::from_bytes(&torrent, &seed_dir).unwrap())
        .unwrap();
    seeder
        .wait_for(seeding, TIMEOUT, |s| s.is_finished())
        .unwrap();

    let events = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&events);
    let leecher = hark()
        .on_event(move |_, event| {
            if event.name().starts_with("tracker_") {
                log.lock().unwrap().push(event.to_string());
            }
        })
        .build()
        .unwrap();
    let id = leecher
        .add_torrent(AddTorrent::from_bytes(&torrent, &leech_dir).unwrap())
        .unwrap();
    let status = leecher.wait_for(id, TIMEOUT, |s| s.is_finished()).unwrap();
    let seen = events.lock().unwrap().clone();
    assert!(
        status.is_finished(),
        "{status:?}; tracker events: {seen:#?}"
    );
    fixture.assert_same(&seed_dir, &leech_dir);
    assert!(
        seen.iter().any(|e| e.contains("tracker_announce")),
        "{seen:#?}"
    );
    assert!(
        seen.iter().any(|e| e.contains("tracker_success")),
        "{seen:#?}"
    );
    drop((seeder, leecher));
    let _ = std::fs::remove_dir_all(seed_dir);
    let _ = std::fs::remove_dir_all(leech_dir);
}

#[test]
fn peers_found_through_opentracker_over_http() {
    peers_from_opentracker("http");
}

#[test]
fn peers_found_through_opentracker_over_udp() {
    peers_from_opentracker("udp");
}

/// Python's http.server serving `dir` on a free port.
fn http_server(dir: &Path) -> (Daemon, u16) {
    let port = free_port();
    let child = Command::new("/usr/bin/python3")
        .args([
            "-m",
            "http.server",
            "--bind",
            "127.0.0.1",
            &port.to_string(),
        ])
        .arg("--directory")
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run python3's http.server ({e})"));
    wait_for_port(port);
    let keep = unique_dir("client-http-server");
    (Daemon { child, dir: keep }, port)
}

/// The torrent completes from a web seed alone; a seed that answers 404 is `url_seed`.
#[test]
fn web_seed_alone_completes_and_a_missing_seed_is_url_seed() {
    let fixture = Fixture::scaled(4);
    let seed_dir = unique_dir("webseed-files");
    let leech_dir = unique_dir("webseed-leech");
    // Written once to get the data, then again with the seed's URL.
    fixture.write(&seed_dir);
    let (_server, port) = http_server(&seed_dir);
    let good = format!("http://127.0.0.1:{port}/");
    let missing = format!("http://127.0.0.1:{port}/missing/");
    let torrent = fixture.write_with(&seed_dir, &[], &[&good]);

    let client = hark().build().unwrap();
    let id = client
        .add_torrent(AddTorrent::from_bytes(&torrent, &leech_dir).unwrap())
        .unwrap();
    let status = client.wait_for(id, TIMEOUT, |s| s.is_finished()).unwrap();
    assert!(status.is_finished(), "{status:?}");
    fixture.assert_same(&seed_dir, &leech_dir);
    drop(client);

    let failures = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&failures);
    let client = hark()
        .on_url_seed(move |_, _, attrs| {
            log.lock()
                .unwrap()
                .push((attrs.url.clone(), attrs.status_code))
        })
        .build()
        .unwrap();
    let torrent = fixture.write_with(&seed_dir, &[], &[&missing]);
    let other_dir = unique_dir("webseed-404");
    client
        .add_torrent(AddTorrent::from_bytes(&torrent, &other_dir).unwrap())
        .unwrap();
    let deadline = Instant::now() + TIMEOUT;
    while failures.lock().unwrap().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let seen = failures.lock().unwrap().clone();
    assert!(
        seen.iter()
            .any(|(url, code)| url.starts_with(&missing) && *code == 404),
        "{seen:?}"
    );
    drop(client);
    let _ = std::fs::remove_dir_all(seed_dir);
    let _ = std::fs::remove_dir_all(leech_dir);
    let _ = std::fs::remove_dir_all(other_dir);
}
