//! The announcer driven against a real tracker: Debian's `opentracker` on loopback, over
//! HTTP and UDP, with a dead UDP tracker in the first tier to fail over from. The test is
//! the driver: it sends what the announcer asks for on real sockets and feeds back the
//! replies, refusals and timeouts. A missing opentracker fails the test (`cargo xtask ci`
//! installs it); its whitelist is written inside the directory it chroots to.

use hark_proto::bt::announce::{
    Announcer, AnnouncerConfig, RequestId, Stats, TorrentParams, TrackerEvent, TrackerRequest,
};
use hark_proto::netsim::SimRng;
use hark_wire::bt::metainfo::InfoHash;
use hark_wire::bt::tracker::AnnounceEvent;
use hark_wire::bt::tracker::udp::Family;
use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SERVED: &str = "08b6b0c5e480c9a9aa6a95f416d2371d507c446a";

struct Tracker {
    child: Child,
    port: u16,
    root: PathBuf,
}

impl Drop for Tracker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn free_port() -> u16 {
    // A port free for TCP and for UDP: opentracker binds both and exits if UDP is taken.
    loop {
        let tcp = TcpListener::bind("127.0.0.1:0").expect("bind a free TCP port");
        let port = tcp.local_addr().expect("local address").port();
        if UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

fn http_get(url: &str) -> Result<(u16, Vec<u8>), String> {
    let rest = url.strip_prefix("http://").ok_or("not http")?;
    let (host, target) = rest.split_at(rest.find('/').ok_or("no path")?);
    let mut stream = TcpStream::connect(host).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    write!(stream, "GET {target} HTTP/1.0\r\nHost: {host}\r\n\r\n").map_err(|e| e.to_string())?;
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).map_err(|e| e.to_string())?;
    let split = reply
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no header end")?;
    let head = String::from_utf8_lossy(&reply[..split]).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or("no status")?;
    Ok((status, reply[split + 4..].to_vec()))
}

fn start_tracker() -> Tracker {
    let root = std::env::temp_dir().join(format!("hark-announce-ot-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).expect("chroot dir");
    std::fs::write(root.join("whitelist.txt"), format!("{SERVED}\n")).expect("whitelist");
    let port = free_port();
    let child = Command::new("opentracker")
        .args([
            "-i",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-P",
            &port.to_string(),
        ])
        .arg("-d")
        .arg(&root)
        .args(["-w", "/whitelist.txt"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run opentracker ({e}): `cargo xtask ci` installs it"));
    let tracker = Tracker { child, port, root };
    // Wait until it listens and has loaded its whitelist. A `stopped` announce is no
    // probe (opentracker answers it before the whitelist is loaded): announce a probe
    // peer as `started`, then remove it with `stopped`.
    let hash: String = SERVED
        .as_bytes()
        .chunks(2)
        .map(|pair| format!("%{}", std::str::from_utf8(pair).expect("hex")))
        .collect();
    let probe = |event: &str| {
        format!(
            "http://127.0.0.1:{port}/announce?info_hash={hash}&peer_id=-HK0001-probeprobepr\
             &port=1&uploaded=0&downloaded=0&left=1&compact=1&event={event}"
        )
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok((200, body)) = http_get(&probe("started")) {
            if !body.starts_with(b"d14:failure reason") {
                break;
            }
        }
        assert!(Instant::now() < deadline, "opentracker did not come up");
        std::thread::sleep(Duration::from_millis(20));
    }
    let (status, _) = http_get(&probe("stopped")).expect("probe stopped");
    assert_eq!(status, 200);
    tracker
}

/// Performs the announcer's I/O until `done` says so, collecting its events.
fn drive(
    announcer: &mut Announcer,
    log: &mut Vec<TrackerEvent>,
    done: impl Fn(&Announcer, &[TrackerEvent]) -> bool,
) {
    let mut sockets: HashMap<String, (UdpSocket, RequestId)> = HashMap::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        while let Some(request) = announcer.poll_request() {
            match request {
                TrackerRequest::Http { id, url } => match http_get(&url) {
                    Ok((status, body)) => {
                        announcer.handle_http_response(Instant::now(), id, status, &body);
                    }
                    Err(reason) => announcer.handle_request_failed(Instant::now(), id, &reason),
                },
                TrackerRequest::Udp {
                    id,
                    host_port,
                    payload,
                } => {
                    let entry = sockets.entry(host_port.clone()).or_insert_with(|| {
                        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
                        socket.connect(&host_port).expect("connect");
                        (socket, id)
                    });
                    entry.1 = id;
                    if let Err(error) = entry.0.send(&payload) {
                        announcer.handle_request_failed(Instant::now(), id, &error.to_string());
                    }
                }
            }
        }
        log.extend(std::iter::from_fn(|| announcer.poll_event()));
        if done(announcer, log) {
            return;
        }
        assert!(Instant::now() < deadline, "stuck; events so far: {log:#?}");
        // Wait for a datagram on any socket until the announcer's next deadline.
        let wake = announcer
            .poll_timeout()
            .unwrap_or(Instant::now() + Duration::from_millis(50));
        let mut fed = false;
        for (socket, id) in sockets.values() {
            socket.set_nonblocking(true).expect("nonblocking");
            let mut buf = [0u8; 2048];
            match socket.recv(&mut buf) {
                Ok(len) => {
                    announcer.handle_datagram(Instant::now(), Family::V4, &buf[..len]);
                    fed = true;
                }
                Err(error) if error.kind() == ErrorKind::WouldBlock => {}
                // ICMP port unreachable from a dead tracker.
                Err(error) => {
                    announcer.handle_request_failed(Instant::now(), *id, &error.to_string());
                    fed = true;
                }
            }
        }
        if !fed {
            if Instant::now() >= wake {
                announcer.handle_timeout(Instant::now());
            } else {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }
}

fn params(tag: u8, port: u16) -> TorrentParams {
    let mut peer_id = *b"-HK0001-000000000000";
    peer_id[19] = tag;
    TorrentParams {
        info_hash: SERVED.parse::<InfoHash>().expect("hex"),
        peer_id,
        port,
    }
}

#[test]
fn the_announcer_fails_over_to_opentracker_and_finds_the_seeder() {
    let tracker = start_tracker();
    let config = AnnouncerConfig {
        udp_timeout: Duration::from_millis(300),
        udp_max_retries: 1,
        ..AnnouncerConfig::default()
    };

    // A seeder announces over HTTP.
    let http_url = format!("http://127.0.0.1:{}/announce", tracker.port);
    let mut seeder = Announcer::new(
        config.clone(),
        params(b's', 6881),
        &[vec![http_url.clone()]],
        Box::new(SimRng::new(1)),
    )
    .expect("trackers");
    seeder.start(Instant::now(), Stats::default());
    let mut log = Vec::new();
    drive(&mut seeder, &mut log, |_, log| {
        log.iter()
            .any(|e| matches!(e, TrackerEvent::Success { .. }))
    });
    assert!(
        log.iter()
            .any(|e| matches!(e, TrackerEvent::Write { url, .. } if *url == http_url))
    );

    // A leecher's first tier is a UDP tracker nobody runs; its second is opentracker.
    let dead = format!("udp://127.0.0.1:{}", free_port());
    let live = format!("udp://127.0.0.1:{}/announce", tracker.port);
    let mut leecher = Announcer::new(
        config,
        params(b'l', 6882),
        &[vec![dead.clone()], vec![live.clone()]],
        Box::new(SimRng::new(2)),
    )
    .expect("trackers");
    leecher.start(
        Instant::now(),
        Stats {
            left: 100_005,
            ..Stats::default()
        },
    );
    let mut log = Vec::new();
    drive(&mut leecher, &mut log, |_, log| {
        log.iter()
            .any(|e| matches!(e, TrackerEvent::Success { .. }))
    });
    let failure = log
        .iter()
        .find_map(|e| match e {
            TrackerEvent::Failure {
                url,
                times_in_row,
                status_code,
                ..
            } => Some((url.clone(), *times_in_row, *status_code)),
            _ => None,
        })
        .expect("the dead tracker failed");
    assert_eq!(failure, (dead.clone(), 1, 0));
    let success = log
        .iter()
        .find_map(|e| match e {
            TrackerEvent::Success {
                url,
                peers,
                seeders,
                leechers,
                ..
            } => Some((url.clone(), peers.clone(), *seeders, *leechers)),
            _ => None,
        })
        .expect("success");
    assert_eq!(success.0, live);
    let seeder_addr: SocketAddr = "127.0.0.1:6881".parse().expect("addr");
    assert!(success.1.contains(&seeder_addr), "{:?}", success.1);
    assert_eq!((success.2, success.3), (Some(1), Some(1)));
    // The exchange with opentracker: connect (16 bytes out, 16 in), announce (98 out).
    let sizes: Vec<(bool, usize)> = log
        .iter()
        .filter_map(|e| match e {
            TrackerEvent::Write { url, length } if *url == live => Some((true, *length)),
            TrackerEvent::Read { url, length } if *url == live => Some((false, *length)),
            _ => None,
        })
        .collect();
    assert_eq!(sizes[..3], [(true, 16), (false, 16), (true, 98)]);
    assert!(log.contains(&TrackerEvent::Announce {
        url: live.clone(),
        event: AnnounceEvent::Started
    }));

    // Completed, then stopped, both over UDP with the connection id already held.
    leecher.complete(
        Instant::now(),
        Stats {
            left: 0,
            downloaded: 100_005,
            uploaded: 0,
        },
    );
    let mut log = Vec::new();
    drive(&mut leecher, &mut log, |_, log| {
        log.iter()
            .any(|e| matches!(e, TrackerEvent::Success { .. }))
    });
    assert!(
        log.contains(&TrackerEvent::Announce {
            url: dead.clone(),
            event: AnnounceEvent::Completed
        }) || log.contains(&TrackerEvent::Announce {
            url: live.clone(),
            event: AnnounceEvent::Completed
        })
    );
    leecher.stop(
        Instant::now(),
        Stats {
            left: 0,
            downloaded: 100_005,
            uploaded: 0,
        },
    );
    let mut log = Vec::new();
    drive(&mut leecher, &mut log, |a, _| a.is_stopped());
    assert!(
        log.iter()
            .any(|e| matches!(e, TrackerEvent::Success { url, .. } if *url == live))
    );
}
