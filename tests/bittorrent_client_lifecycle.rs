//! The ends of a torrent's run in `hark::bittorrent::Client`, on loopback:
//!
//! - `stopped` reaches Debian's opentracker (over HTTP and over UDP) when a torrent is
//!   paused, removed, or the client is dropped, and `started` again on resume: the
//!   tracker's own scrape counts show the seeder leave and come back.
//! - Dropping a client whose tracker (HTTP or UDP) stopped answering takes the stop
//!   timeout, not longer.
//! - A partial download dropped and restarted (and a torrent removed with its data kept
//!   and added again) starts from the resume file written then, hashing nothing.
//!
//! A missing opentracker fails the test (`cargo xtask ci` installs it).

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hark::bittorrent::{AddTorrent, Client, RemoveData, TorrentState, TorrentStatus, Transports};
use hark::events::Protocol;
use hark_suite::bt_client::{info_hash_hex, loopback_client};
use hark_suite::bt_interop::opentracker::OpenTracker;
use hark_suite::peer_process::unique_dir;
use hark_suite::torrent_fixture::Fixture;
use hark_wire::bt::tracker::AnnounceEvent;

const TIMEOUT: Duration = Duration::from_secs(30);

fn hark() -> hark::bittorrent::ClientBuilder {
    loopback_client(Transports::UtpFirst)
}

/// Waits until opentracker counts `expected` (seeders, leechers) for `hash`.
fn wait_swarm(tracker: &OpenTracker, hash: &str, expected: (i64, i64), what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let seen = tracker.swarm(hash);
        if seen == expected {
            return;
        }
        if Instant::now() > deadline {
            tracker.process.fail(&format!(
                "{what}: the tracker counts {seen:?} (seeders, leechers), not {expected:?}"
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A hark seeder announces to opentracker; pausing, removing and dropping it each make
/// the tracker forget it (`stopped`), resuming and adding again bring it back (`started`).
fn stopped_reaches_opentracker(scheme: &str) {
    let fixture = Fixture::scaled(1);
    let dir = unique_dir("lifecycle-seed");
    let hash = info_hash_hex(&fixture.write(&dir));
    let tracker = OpenTracker::start(&[&hash]);
    let url = match scheme {
        "udp" => tracker.udp_url(),
        _ => tracker.http_url(),
    };
    let torrent = fixture.write_with(&dir, &[&url], &[]);
    wait_swarm(&tracker, &hash, (0, 0), "before the client");

    let announces = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&announces);
    let client = hark()
        .on_tracker_announce(move |_, _, attrs| log.lock().unwrap().push(attrs.event))
        .build()
        .unwrap();
    let add = || AddTorrent::from_bytes(&torrent, &dir).unwrap();
    let id = client.add_torrent(add()).unwrap();
    assert!(
        client
            .wait_for(id, TIMEOUT, |s| s.is_finished())
            .is_some_and(|s| s.is_finished())
    );
    wait_swarm(&tracker, &hash, (1, 0), "seeding");

    client.pause(id).unwrap();
    wait_swarm(&tracker, &hash, (0, 0), "paused");
    client.resume(id).unwrap();
    wait_swarm(&tracker, &hash, (1, 0), "resumed");

    client.remove(id, RemoveData::Keep).unwrap();
    wait_swarm(&tracker, &hash, (0, 0), "removed");
    let id = client.add_torrent(add()).unwrap();
    assert!(
        client
            .wait_for(id, TIMEOUT, |s| s.is_finished())
            .is_some_and(|s| s.is_finished())
    );
    wait_swarm(&tracker, &hash, (1, 0), "added again");

    let started = Instant::now();
    drop(client);
    let took = started.elapsed();
    // The drop waited for the tracker's answer: it knows at once.
    assert_eq!(tracker.swarm(&hash), (0, 0), "after the drop");
    assert!(took < Duration::from_secs(2), "the drop took {took:?}");

    use AnnounceEvent::{Started, Stopped};
    let seen: Vec<AnnounceEvent> = announces.lock().unwrap().clone();
    let expected = [Started, Stopped, Started, Stopped, Started, Stopped];
    let lifecycle: Vec<AnnounceEvent> = seen
        .iter()
        .copied()
        .filter(|e| matches!(e, Started | Stopped))
        .collect();
    assert_eq!(lifecycle, expected, "every announce: {seen:?}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn stopped_reaches_opentracker_over_http_on_pause_remove_and_drop() {
    stopped_reaches_opentracker("http");
}

#[test]
fn stopped_reaches_opentracker_over_udp_on_pause_remove_and_drop() {
    stopped_reaches_opentracker("udp");
}

/// An HTTP tracker that answers the first announce and then never again, keeping the
/// connections open; it records every request line.
fn tracker_that_goes_silent() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/announce", listener.local_addr().unwrap());
    let requests = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&requests);
    std::thread::spawn(move || {
        let mut held: Vec<TcpStream> = Vec::new();
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut line = String::new();
            if BufReader::new(&stream).read_line(&mut line).is_err() {
                continue;
            }
            let first = {
                let mut log = log.lock().unwrap();
                log.push(line.trim_end().to_owned());
                log.len() == 1
            };
            if first {
                let body = b"d8:intervali1800e5:peers0:e";
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(body);
            } else {
                held.push(stream);
            }
        }
    });
    (url, requests)
}

/// A UDP tracker (BEP 15) that answers every connect but only the first announce; it
/// records each announce's event.
fn udp_tracker_that_goes_silent() -> (String, Arc<Mutex<Vec<String>>>) {
    use hark_wire::bt::tracker::udp::{Request, RequestRepr, ResponseRepr};
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let url = format!("udp://{}", socket.local_addr().unwrap());
    let events = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&events);
    std::thread::spawn(move || {
        let mut buf = [0u8; 2048];
        loop {
            let Ok((len, from)) = socket.recv_from(&mut buf) else {
                return;
            };
            let Ok(request) = Request::new_checked(&buf[..len]) else {
                continue;
            };
            let reply = match RequestRepr::parse(&request) {
                RequestRepr::Connect { transaction_id } => ResponseRepr::Connect {
                    transaction_id,
                    connection_id: 0x4841_524b,
                },
                RequestRepr::Announce(announce) => {
                    let mut log = log.lock().unwrap();
                    log.push(format!("event={:?}", announce.event).to_lowercase());
                    if log.len() > 1 {
                        continue;
                    }
                    ResponseRepr::Announce {
                        transaction_id: announce.transaction_id,
                        interval: 1800,
                        leechers: 1,
                        seeders: 0,
                        peers: Vec::new(),
                    }
                }
                _ => continue,
            };
            let mut out = vec![0u8; reply.buffer_len()];
            if reply.emit(&mut out).is_ok() {
                let _ = socket.send_to(&out, from);
            }
        }
    });
    (url, events)
}

/// A client whose tracker took `started` and then went silent is dropped: the drop sends
/// `stopped`, waits the stop timeout (1 s here) for the answer, and no longer.
fn drop_waits_for_a_silent_tracker_no_longer_than_the_stop_timeout(udp: bool) {
    let fixture = Fixture::scaled(1);
    let dir = unique_dir("lifecycle-silent");
    let (url, requests) = if udp {
        udp_tracker_that_goes_silent()
    } else {
        tracker_that_goes_silent()
    };
    let torrent = fixture.write_with(&dir, &[&url], &[]);
    let successes = Arc::new(Mutex::new(0));
    let count = Arc::clone(&successes);
    let client = hark()
        .stop_timeout(Duration::from_secs(1))
        .on_tracker_success(move |_, _, _| *count.lock().unwrap() += 1)
        .build()
        .unwrap();
    client
        .add_torrent(AddTorrent::from_bytes(&torrent, &dir).unwrap())
        .unwrap();
    let deadline = Instant::now() + TIMEOUT;
    while *successes.lock().unwrap() == 0 {
        assert!(Instant::now() < deadline, "no tracker_success");
        std::thread::sleep(Duration::from_millis(10));
    }

    let started = Instant::now();
    drop(client);
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_millis(2500),
        "the drop took {took:?}, the stop timeout is 1 s"
    );
    let seen = requests.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "{seen:#?}");
    assert!(seen[0].contains("event=started"), "{seen:#?}");
    assert!(seen[1].contains("event=stopped"), "{seen:#?}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn dropping_the_client_waits_for_a_silent_http_tracker_no_longer_than_the_stop_timeout() {
    drop_waits_for_a_silent_tracker_no_longer_than_the_stop_timeout(false);
}

#[test]
fn dropping_the_client_waits_for_a_silent_udp_tracker_no_longer_than_the_stop_timeout() {
    drop_waits_for_a_silent_tracker_no_longer_than_the_stop_timeout(true);
}

/// The first status of a torrent just added (`None` if it never showed up).
fn first_status(client: &Client, id: hark::bittorrent::TorrentId) -> TorrentStatus {
    client
        .wait_for(id, TIMEOUT, |_| true)
        .expect("the torrent shows up in the status")
}

/// Flips a byte of `path` at `offset`, keeping its length and modification time, so only
/// a hash of the data can tell.
fn corrupt_keeping_mtime(path: &Path, offset: u64) {
    use std::os::unix::fs::FileExt;
    let modified = std::fs::metadata(path).unwrap().modified().unwrap();
    let file = std::fs::OpenOptions::new()
        .write(true)
        .read(true)
        .open(path)
        .unwrap();
    let mut byte = [0u8; 1];
    file.read_exact_at(&mut byte, offset).unwrap();
    file.write_all_at(&[!byte[0]], offset).unwrap();
    file.set_times(std::fs::FileTimes::new().set_modified(modified))
        .unwrap();
    drop(file);
    assert_eq!(
        std::fs::metadata(path).unwrap().modified().unwrap(),
        modified
    );
}

/// A download stopped part way (its only seeder has part of the data) is dropped; a client
/// restarted on the same directories starts from the resume file written at shutdown,
/// with every piece verified before, and hashes nothing: a verified piece corrupted on
/// disk behind its back (same length and modification time) still counts, which only a
/// re-check would catch (as the last client, without the resume file, shows). Removing
/// the torrent with its data kept writes the resume file too.
#[test]
fn resume_file_written_at_shutdown_and_removal_spares_the_recheck() {
    let fixture = Fixture::scaled(8);
    let seed_dir = unique_dir("lifecycle-partial-seed");
    let leech_dir = unique_dir("lifecycle-partial-leech");
    let resume_dir = unique_dir("lifecycle-partial-resume");
    let torrent = fixture.write(&seed_dir);
    // The seeder misses the second half of `sub/b.bin`: it has only the pieces before.
    let b = fixture.path(&seed_dir, 2);
    let len = fixture.lengths[2];
    let mut data = std::fs::read(&b).unwrap();
    data[len / 2..].fill(0);
    std::fs::write(&b, &data).unwrap();

    let seeder = hark().build().unwrap();
    let seeding = seeder
        .add_torrent(AddTorrent::from_bytes(&torrent, &seed_dir).unwrap())
        .unwrap();
    let partial = seeder
        .wait_for(seeding, TIMEOUT, |s| s.state != TorrentState::Checking)
        .unwrap();
    let have = partial.pieces_done;
    assert!(have > 1 && have < partial.pieces_total, "{partial:?}");
    let peer = seeder.local_addr(Protocol::Udp4).unwrap();

    let leecher = hark().resume_dir(&resume_dir).build().unwrap();
    let id = leecher
        .add_torrent(
            AddTorrent::from_bytes(&torrent, &leech_dir)
                .unwrap()
                .peers([peer]),
        )
        .unwrap();
    let got = leecher
        .wait_for(id, TIMEOUT, |s| s.pieces_done == have)
        .unwrap();
    assert_eq!(got.pieces_done, have, "{got:?}");
    drop(leecher);
    drop(seeder);

    // Piece 0 (the start of `a.bin`) was verified: corrupt it where only a hash can see.
    corrupt_keeping_mtime(&fixture.path(&leech_dir, 0), 100);
    let restarted = hark().resume_dir(&resume_dir).build().unwrap();
    let add = || AddTorrent::from_bytes(&torrent, &leech_dir).unwrap();
    let id = restarted.add_torrent(add()).unwrap();
    let first = first_status(&restarted, id);
    assert_ne!(first.state, TorrentState::Checking, "{first:?}");
    assert_eq!(
        first.pieces_done, have,
        "every verified piece kept: {first:?}"
    );

    // Removal with the data kept writes the resume file again; adding it back re-checks
    // nothing either.
    let resume_file = resume_dir.join(format!("{}.resume", first.info_hash));
    let before = std::fs::metadata(&resume_file).unwrap().modified().unwrap();
    std::thread::sleep(Duration::from_millis(20));
    restarted.remove(id, RemoveData::Keep).unwrap();
    let deadline = Instant::now() + TIMEOUT;
    while std::fs::metadata(&resume_file).unwrap().modified().unwrap() == before {
        assert!(
            Instant::now() < deadline,
            "no resume file written on removal"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let id = restarted.add_torrent(add()).unwrap();
    let again = first_status(&restarted, id);
    assert_ne!(again.state, TorrentState::Checking, "{again:?}");
    assert_eq!(again.pieces_done, have, "{again:?}");
    drop(restarted);

    // Without the resume file the data is hashed, and the corrupted piece is found out.
    let checker = hark().build().unwrap();
    let id = checker.add_torrent(add()).unwrap();
    let checked = checker
        .wait_for(id, TIMEOUT, |s| s.state != TorrentState::Checking)
        .unwrap();
    assert_eq!(checked.pieces_done, have - 1, "{checked:?}");
    drop(checker);
    for dir in [seed_dir, leech_dir, resume_dir] {
        let _ = std::fs::remove_dir_all(dir);
    }
}
