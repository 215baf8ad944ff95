//! The tracker driver on a real reactor against Debian's `opentracker` on loopback: HTTP
//! and UDP (BEP 15) announces, the UDP ones from a socket shared with a uTP context; a
//! tracker that is down fails with `times_in_row` counting up, then succeeds once it is
//! started. A missing opentracker fails the test (`cargo xtask ci` installs it); it serves
//! only the info hashes of its whitelist, which is written inside the directory it chroots
//! to.

use hark::bittorrent::http::HttpConfig;
use hark::bittorrent::tracker::TrackerDriver;
use hark::events::tracker_event_kind;
use hark::utp::{Callbacks, UtpContext, UtpReactor};
use hark_proto::bt::announce::{Announcer, AnnouncerConfig, Stats, TorrentParams, TrackerEvent};
use hark_proto::netsim::SimRng;
use hark_reactor::{CoreId, Reactor, ReactorConfig, ReactorHandle, ReactorThread};
use hark_wire::bt::metainfo::InfoHash;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, sync_channel};
use std::time::{Duration, Instant};

const SERVED: [&str; 2] = [
    "08b6b0c5e480c9a9aa6a95f416d2371d507c446a",
    "1f2e3d4c5b6a79880716253443526170f0e1d2c3",
];

struct Tracker {
    child: Child,
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
    // A port free for TCP and for UDP.
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("port")
            .port();
        if UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

fn http_get(url: &str) -> Option<(u16, Vec<u8>)> {
    let rest = url.strip_prefix("http://")?;
    let (host, target) = rest.split_at(rest.find('/')?);
    let mut stream = TcpStream::connect(host).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET {target} HTTP/1.0\r\nHost: {host}\r\n\r\n").ok()?;
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).ok()?;
    let split = reply.windows(4).position(|w| w == b"\r\n\r\n")?;
    let status = String::from_utf8_lossy(&reply[..split])
        .split(' ')
        .nth(1)?
        .parse()
        .ok()?;
    Some((status, reply[split + 4..].to_vec()))
}

/// Starts opentracker on `port` (TCP and UDP) and waits until it serves the whitelist.
fn start_tracker(port: u16, tag: &str) -> Tracker {
    let root = std::env::temp_dir().join(format!("hark-bt-tracker-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).expect("chroot dir");
    std::fs::write(
        root.join("whitelist.txt"),
        format!("{}\n{}\n", SERVED[0], SERVED[1]),
    )
    .expect("whitelist");
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
    let tracker = Tracker { child, root };
    // A probe peer announced as `started` (answered only once the whitelist is loaded),
    // then removed with `stopped`.
    let hash: String = SERVED[0]
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
        if let Some((200, body)) = http_get(&probe("started")) {
            if !body.starts_with(b"d14:failure reason") {
                break;
            }
        }
        assert!(Instant::now() < deadline, "opentracker did not come up");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(http_get(&probe("stopped")).map(|r| r.0), Some(200));
    tracker
}

/// A reactor with a uTP context on a UDP socket and the tracker driver's core beside it;
/// the driver on this thread, its wake hook signalling `woken`.
struct Rig {
    driver: TrackerDriver,
    woken: Receiver<()>,
    utp: UtpReactor,
    /// Bytes the uTP context on the shared socket read.
    utp_read: Arc<AtomicUsize>,
    core: CoreId,
    handle: ReactorHandle,
    _reactor: ReactorThread,
}

impl Rig {
    fn new() -> Rig {
        let reactor = Reactor::spawn(ReactorConfig::default()).expect("reactor");
        let handle = reactor.handle().clone();
        let utp_read = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&utp_read);
        let callbacks = Callbacks::new()
            .on_accept(|_cx, _socket, _addr| {})
            .on_read(move |_cx, _socket, data| {
                counter.fetch_add(data.len(), Ordering::SeqCst);
            });
        let utp = UtpReactor::bind_on(
            &handle,
            UtpContext::builder().callbacks(callbacks),
            "127.0.0.1:0".parse().expect("addr"),
        )
        .expect("uTP socket");
        let mut driver = TrackerDriver::new(handle.clone(), HttpConfig::default());
        let (tx, woken) = sync_channel(64);
        driver.set_wake(move || {
            let _ = tx.try_send(());
        });
        let core = driver.udp_core(utp.local_addr());
        let socket = utp.socket_id();
        let (id_tx, id_rx) = sync_channel(1);
        handle
            .with_reactor(move |reactor, _| {
                let _ = id_tx.send(reactor.add_core(socket, core));
            })
            .expect("command");
        let core = id_rx
            .recv_timeout(Duration::from_secs(5))
            .expect("added")
            .expect("socket on the reactor");
        Rig {
            driver,
            woken,
            utp,
            utp_read,
            core,
            handle,
            _reactor: reactor,
        }
    }

    /// Drives until `done` holds for the events so far (10 s at most).
    fn drive_until(
        &mut self,
        log: &mut Vec<(InfoHash, TrackerEvent)>,
        done: impl Fn(&[(InfoHash, TrackerEvent)]) -> bool,
    ) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            self.driver.drive(Instant::now());
            log.extend(std::iter::from_fn(|| self.driver.poll_event()));
            if done(log) {
                return;
            }
            let now = Instant::now();
            assert!(now < deadline, "stuck; events so far: {log:#?}");
            let wait = self
                .driver
                .poll_timeout()
                .map_or(Duration::from_millis(200), |at| {
                    at.saturating_duration_since(now)
                })
                .min(Duration::from_millis(200));
            let _ = self.woken.recv_timeout(wait);
        }
    }
}

fn announcer(
    tag: u8,
    hash: &str,
    port: u16,
    tiers: &[Vec<String>],
    config: AnnouncerConfig,
) -> (InfoHash, Announcer) {
    let mut peer_id = *b"-HK0001-000000000000";
    peer_id[19] = tag;
    let info_hash = hash.parse::<InfoHash>().expect("hex");
    let params = TorrentParams {
        info_hash,
        peer_id,
        port,
    };
    let announcer = Announcer::new(config, params, tiers, Box::new(SimRng::new(u64::from(tag))))
        .expect("trackers");
    (info_hash, announcer)
}

fn successes(
    log: &[(InfoHash, TrackerEvent)],
    torrent: InfoHash,
) -> Vec<(String, Vec<SocketAddr>)> {
    log.iter()
        .filter(|(t, _)| *t == torrent)
        .filter_map(|(_, e)| match e {
            TrackerEvent::Success { url, peers, .. } => Some((url.clone(), peers.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn http_and_udp_announces_find_the_peer_another_announcer_registered() {
    let port = free_port();
    let _tracker = start_tracker(port, "both");
    let mut rig = Rig::new();
    let http = format!("http://127.0.0.1:{port}/announce");
    // By name: looked up off the reactor thread, the IPv4 address used for the IPv4 socket.
    let udp = format!("udp://localhost:{port}/announce");

    // A seeder announces over HTTP.
    let (seed_hash, seeder) = announcer(
        b's',
        SERVED[0],
        6881,
        &[vec![http.clone()]],
        AnnouncerConfig::default(),
    );
    rig.driver.add(seed_hash, seeder);
    rig.driver
        .announcer_mut(seed_hash)
        .expect("added")
        .start(Instant::now(), Stats::default());
    let mut log = Vec::new();
    rig.drive_until(&mut log, |log| !successes(log, seed_hash).is_empty());
    assert_eq!(successes(&log, seed_hash)[0].0, http);
    let kinds: Vec<&str> = log
        .iter()
        .map(|(t, e)| tracker_event_kind(*t, e.clone()).name())
        .collect();
    assert_eq!(
        kinds,
        [
            "tracker_announce",
            "tracker_write",
            "tracker_read",
            "tracker_success"
        ]
    );

    // A leecher of the same torrent announces over UDP (the seeder's announcer is taken
    // off first: a driver holds one announcer per torrent).
    let seeder = rig.driver.remove(seed_hash).expect("driven");
    assert!(!seeder.is_stopped());
    let (hash, leecher) = announcer(
        b'l',
        SERVED[0],
        6882,
        &[vec![udp.clone()]],
        AnnouncerConfig::default(),
    );
    // Meanwhile uTP peers connect to the shared socket and send a byte each.
    let hello = Callbacks::new().on_connect(|cx, socket| {
        cx.write(socket, b"x");
    });
    let utp_peers = UtpReactor::bind(
        UtpContext::builder().callbacks(hello),
        "127.0.0.1:0".parse().expect("addr"),
    )
    .expect("uTP peers");
    for _ in 0..5 {
        utp_peers
            .remote()
            .connect(rig.utp.local_addr())
            .expect("connect");
    }
    rig.driver.add(hash, leecher);
    rig.driver.announcer_mut(hash).expect("added").start(
        Instant::now(),
        Stats {
            left: 1000,
            ..Stats::default()
        },
    );
    let mut log = Vec::new();
    rig.drive_until(&mut log, |log| !successes(log, hash).is_empty());
    let (url, peers) = successes(&log, hash).remove(0);
    assert_eq!(url, udp);
    let seeder_addr: SocketAddr = "127.0.0.1:6881".parse().expect("addr");
    assert!(peers.contains(&seeder_addr), "{peers:?}");
    // connect (16 bytes out, 16 in), announce (98 out), its reply.
    let sizes: Vec<(bool, usize)> = log
        .iter()
        .filter_map(|(_, e)| match e {
            TrackerEvent::Write { length, .. } => Some((true, *length)),
            TrackerEvent::Read { length, .. } => Some((false, *length)),
            _ => None,
        })
        .collect();
    assert_eq!(sizes[..3], [(true, 16), (false, 16), (true, 98)]);

    // uTP kept its datagrams: every peer's byte arrived.
    let deadline = Instant::now() + Duration::from_secs(10);
    while rig.utp_read.load(Ordering::SeqCst) < 5 {
        if Instant::now() >= deadline {
            let (tx, rx) = sync_channel(1);
            let socket = rig.utp.socket_id();
            rig.handle
                .with_reactor(move |reactor, _| {
                    let _ = tx.send(format!("{:?}", reactor.socket_stats(socket)));
                })
                .expect("command");
            panic!(
                "uTP read {} bytes; socket {}",
                rig.utp_read.load(Ordering::SeqCst),
                rx.recv().expect("stats")
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    drop(utp_peers);

    // The core claimed only the tracker's replies: a datagram with a tracker reply's
    // shape but no outstanding transaction stays unclaimed, and uTP's socket is intact.
    let stranger = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let mut fake = vec![0u8; 16];
    fake[4..8].copy_from_slice(&0xdead_beefu32.to_be_bytes());
    let (stats_tx, stats_rx) = sync_channel(1);
    let socket = rig.utp.socket_id();
    let before = {
        let tx = stats_tx.clone();
        rig.handle
            .with_reactor(move |reactor, _| {
                let _ = tx.send(reactor.socket_stats(socket).map(|s| s.unclaimed));
            })
            .expect("command");
        stats_rx
            .recv_timeout(Duration::from_secs(5))
            .expect("stats")
            .expect("socket")
    };
    stranger.send_to(&fake, rig.utp.local_addr()).expect("send");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let tx = stats_tx.clone();
        rig.handle
            .with_reactor(move |reactor, _| {
                let _ = tx.send(reactor.socket_stats(socket).map(|s| s.unclaimed));
            })
            .expect("command");
        let now = stats_rx
            .recv_timeout(Duration::from_secs(5))
            .expect("stats")
            .expect("socket");
        if now == before + 1 {
            break;
        }
        assert!(Instant::now() < deadline, "the stray datagram was claimed");
        std::thread::sleep(Duration::from_millis(10));
    }
    let core = rig.core;
    let (out_tx, out_rx) = sync_channel(1);
    rig.handle
        .with_core::<hark::bittorrent::tracker::UdpTrackerCore>(core, move |core, _| {
            let _ = out_tx.send(core.outstanding());
        })
        .expect("command");
    assert_eq!(
        out_rx
            .recv_timeout(Duration::from_secs(5))
            .expect("outstanding"),
        0
    );
}

#[test]
fn a_tracker_that_is_down_fails_counting_up_then_succeeds_when_it_comes_back() {
    let port = free_port();
    let mut rig = Rig::new();
    let config = AnnouncerConfig {
        retry_base: Duration::from_millis(150),
        max_retry: Duration::from_millis(300),
        udp_timeout: Duration::from_millis(200),
        udp_max_retries: 0,
        ..AnnouncerConfig::default()
    };
    let http = format!("http://127.0.0.1:{port}/announce");
    let udp = format!("udp://127.0.0.1:{port}");
    let (http_hash, over_http) =
        announcer(b'h', SERVED[0], 7001, &[vec![http.clone()]], config.clone());
    let (udp_hash, over_udp) = announcer(b'u', SERVED[1], 7002, &[vec![udp.clone()]], config);
    for (hash, announcer) in [(http_hash, over_http), (udp_hash, over_udp)] {
        rig.driver.add(hash, announcer);
        rig.driver.announcer_mut(hash).expect("added").start(
            Instant::now(),
            Stats {
                left: 1,
                ..Stats::default()
            },
        );
    }
    let failures = |log: &[(InfoHash, TrackerEvent)], torrent: InfoHash| -> Vec<u32> {
        log.iter()
            .filter(|(t, _)| *t == torrent)
            .filter_map(|(_, e)| match e {
                TrackerEvent::Failure {
                    times_in_row,
                    status_code: 0,
                    ..
                } => Some(*times_in_row),
                _ => None,
            })
            .collect()
    };
    let mut log = Vec::new();
    rig.drive_until(&mut log, |log| {
        failures(log, http_hash).len() >= 3 && failures(log, udp_hash).len() >= 3
    });
    assert_eq!(failures(&log, http_hash)[..3], [1, 2, 3]);
    assert_eq!(failures(&log, udp_hash)[..3], [1, 2, 3]);
    let down = log.len();

    let _tracker = start_tracker(port, "comeback");
    rig.drive_until(&mut log, |log| {
        !successes(&log[down..], http_hash).is_empty()
            && !successes(&log[down..], udp_hash).is_empty()
    });
    assert_eq!(successes(&log[down..], http_hash)[0].0, http);
    assert_eq!(successes(&log[down..], udp_hash)[0].0, udp);
}
