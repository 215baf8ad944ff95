//! The flows the bed runs: a bulk sender in the sender namespace, a counting receiver in
//! the receiver namespace, over Linux TCP (congestion control chosen per socket), hark's
//! uTP (the `hark::utp` facade on its reactor) or libtorrent's uTP (python3-libtorrent);
//! and the RTT probe, a UDP echo through the same queue.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{IpAddr, SocketAddr, SocketAddrV4, TcpListener, TcpStream, UdpSocket};
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use hark::utp::{
    Callbacks, ContextHandle, ContextOption, UtpContext, UtpReactor, UtpSocket, UtpState,
};

use hark_proto::utp::ledbat::RTT_TARGET_FACTOR;
use hark_proto::utp::{ConnectionConfig, EndpointConfig};

use crate::bed::{Bed, RECEIVER, SENDER, spawn_in};

/// What a flow is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// Linux TCP with this congestion control (`TCP_CONGESTION`).
    Tcp(String),
    /// hark's uTP with these LEDBAT options.
    Hark(HarkOptions),
    /// libtorrent's uTP (a seeder and a downloader, uTP only).
    Libtorrent,
}

impl Kind {
    pub fn name(&self) -> String {
        match self {
            Kind::Tcp(cc) => format!("tcp-{cc}"),
            Kind::Hark(options) => {
                let target = options
                    .target_ms
                    .map(|ms| format!("-{ms}ms"))
                    .unwrap_or_default();
                let mut name = format!("hark-utp{target}");
                for (on, flag) in [
                    (options.yielding, "-yield"),
                    (!options.ramp, "-no-ramp"),
                    (!options.join, "-no-join"),
                    (!options.drain, "-no-drain"),
                    (options.rtt_target_floor.is_none(), "-fixed-target"),
                ] {
                    if on {
                        name.push_str(flag);
                    }
                }
                name
            }
            Kind::Libtorrent => "libtorrent-utp".into(),
        }
    }
}

/// Lines of a run's trace (`--trace DIR`): each hark sender's window, queuing-delay
/// estimate and RTT every 50 ms, beside the probe's RTTs, in milliseconds since `epoch`.
pub struct Trace {
    pub epoch: Instant,
    pub lines: Mutex<Vec<String>>,
}

impl Trace {
    pub fn new() -> Arc<Trace> {
        Arc::new(Trace {
            epoch: Instant::now(),
            lines: Mutex::new(Vec::new()),
        })
    }

    pub fn push(&self, line: String) {
        self.lines.lock().unwrap().push(line);
    }

    pub fn millis(&self, at: Instant) -> f64 {
        at.saturating_duration_since(self.epoch).as_secs_f64() * 1e3
    }
}

/// hark's LEDBAT settings on the bed (the command line's `--target-ms`, `--yield`,
/// `--no-ramp`, `--no-join`, `--no-drain`, `--fixed-target`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HarkOptions {
    /// Overrides the LEDBAT target delay.
    pub target_ms: Option<u64>,
    /// `ledbat_yield_to_standing_queues`.
    pub yielding: bool,
    /// `ledbat_ramp_to_previous_window`.
    pub ramp: bool,
    /// `ledbat_join_slowdowns`.
    pub join: bool,
    /// `ledbat_hold_until_drained`.
    pub drain: bool,
    /// `ledbat_rtt_target_floor` (`None` with `--fixed-target`).
    pub rtt_target_floor: Option<Duration>,
}

impl Default for HarkOptions {
    /// `ConnectionConfig`'s defaults.
    fn default() -> Self {
        let config = ConnectionConfig::default();
        Self {
            target_ms: None,
            yielding: config.ledbat_yield_to_standing_queues,
            ramp: config.ledbat_ramp_to_previous_window,
            join: config.ledbat_join_slowdowns,
            drain: config.ledbat_hold_until_drained,
            rtt_target_floor: config.ledbat_rtt_target_floor,
        }
    }
}

impl HarkOptions {
    /// The LEDBAT target these options run with on a path whose round trip is `rtt`:
    /// `--target-ms` or the default `target_delay`, lowered to
    /// `RTT_TARGET_FACTOR` round trips (not below the floor) unless `--fixed-target`.
    pub fn target(&self, rtt: Duration) -> Duration {
        let ceiling = self.target_ms.map_or(
            ConnectionConfig::default().target_delay,
            Duration::from_millis,
        );
        match self.rtt_target_floor {
            Some(floor) => (rtt * RTT_TARGET_FACTOR).max(floor).min(ceiling),
            None => ceiling,
        }
    }

    fn connection_config(&self) -> ConnectionConfig {
        ConnectionConfig {
            ledbat_yield_to_standing_queues: self.yielding,
            ledbat_ramp_to_previous_window: self.ramp,
            ledbat_join_slowdowns: self.join,
            ledbat_hold_until_drained: self.drain,
            ledbat_rtt_target_floor: self.rtt_target_floor,
            ..ConnectionConfig::default()
        }
    }
}

/// A running flow: bytes delivered so far, and how to stop it.
pub struct Flow {
    pub delivered: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
    reactors: Vec<UtpReactor>,
    children: Vec<Child>,
}

impl Flow {
    /// Stops the flow and waits for its threads and processes.
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.reactors.clear();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// Starts a flow of `kind` on `port` (distinct per concurrent flow); hark flows write their
/// sender's state to `trace` if given.
pub fn start(bed: &Bed, kind: &Kind, port: u16, trace: Option<Arc<Trace>>) -> Result<Flow, String> {
    let delivered = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut flow = Flow {
        delivered: delivered.clone(),
        stop: stop.clone(),
        threads: Vec::new(),
        reactors: Vec::new(),
        children: Vec::new(),
    };
    match kind {
        Kind::Tcp(cc) => start_tcp(bed, cc, port, &mut flow)?,
        Kind::Hark(options) => start_hark(bed, port, options.clone(), trace, &mut flow)?,
        Kind::Libtorrent => start_libtorrent(bed, port, &mut flow)?,
    }
    Ok(flow)
}

fn start_tcp(bed: &Bed, cc: &str, port: u16, flow: &mut Flow) -> Result<(), String> {
    let (ready_tx, ready_rx) = mpsc::channel();
    let (delivered, stop) = (flow.delivered.clone(), flow.stop.clone());
    flow.threads.push(spawn_in(&bed.receiver, move || {
        let listener = match TcpListener::bind(SocketAddrV4::new(RECEIVER, port)) {
            Ok(l) => l,
            Err(e) => {
                let _ = ready_tx.send(Err(format!("tcp listen: {e}")));
                return;
            }
        };
        let _ = ready_tx.send(Ok(()));
        let Ok((mut stream, _)) = listener.accept() else {
            return;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_millis(100)));
        let mut buf = vec![0u8; 1 << 16];
        while !stop.load(Ordering::Relaxed) {
            match stream.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    delivered.fetch_add(n as u64, Ordering::Relaxed);
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(_) => break,
            }
        }
    }));
    ready_rx
        .recv()
        .map_err(|_| "tcp receiver thread died".to_string())??;
    let (cc, stop) = (cc.to_string(), flow.stop.clone());
    let (ready_tx, ready_rx) = mpsc::channel();
    flow.threads.push(spawn_in(&bed.sender, move || {
        let mut stream = match TcpStream::connect(SocketAddrV4::new(RECEIVER, port)) {
            Ok(s) => s,
            Err(e) => {
                let _ = ready_tx.send(Err(format!("tcp connect: {e}")));
                return;
            }
        };
        if let Err(e) = set_congestion(&stream, &cc) {
            let _ = ready_tx.send(Err(e));
            return;
        }
        let _ = ready_tx.send(Ok(()));
        let _ = stream.set_write_timeout(Some(Duration::from_millis(100)));
        let buf = vec![0x5au8; 1 << 16];
        while !stop.load(Ordering::Relaxed) {
            match stream.write(&buf) {
                Ok(_) => {}
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(_) => break,
            }
        }
    }));
    ready_rx
        .recv()
        .map_err(|_| "tcp sender thread died".to_string())?
}

/// Chooses the socket's congestion control (`TCP_CONGESTION`) and checks it took.
fn set_congestion(stream: &TcpStream, cc: &str) -> Result<(), String> {
    let fd = stream.as_raw_fd();
    // SAFETY: `fd` is an open TCP socket; the option value is `cc`'s bytes with their length.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_CONGESTION,
            cc.as_ptr().cast(),
            cc.len() as libc::socklen_t,
        )
    };
    if rc != 0 {
        return Err(format!(
            "TCP_CONGESTION {cc}: {} (is tcp_{cc} available? /proc/sys/net/ipv4/tcp_available_congestion_control)",
            std::io::Error::last_os_error()
        ));
    }
    let mut name = [0u8; 16];
    let mut len = name.len() as libc::socklen_t;
    // SAFETY: `name` is writable for `len` bytes; getsockopt writes at most that.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_CONGESTION,
            name.as_mut_ptr().cast(),
            &mut len,
        )
    };
    let got = String::from_utf8_lossy(&name[..len as usize]);
    let got = got.trim_end_matches('\0');
    if rc != 0 || got != cc {
        return Err(format!("TCP_CONGESTION reads back {got:?}, not {cc:?}"));
    }
    Ok(())
}

fn start_hark(
    bed: &Bed,
    port: u16,
    options: HarkOptions,
    trace: Option<Arc<Trace>>,
    flow: &mut Flow,
) -> Result<(), String> {
    let delivered = flow.delivered.clone();
    let receiver = spawn_in(&bed.receiver, move || {
        let callbacks = Callbacks::new()
            .on_accept(|_, _, _| {})
            .on_read(move |_, _, data| {
                delivered.fetch_add(data.len() as u64, Ordering::Relaxed);
            });
        UtpReactor::bind_range(
            UtpContext::builder().callbacks(callbacks),
            IpAddr::V4(RECEIVER),
            [port],
        )
        .map_err(|e| format!("hark receiver: {e}"))
    })
    .join()
    .map_err(|_| "hark receiver thread panicked".to_string())??;
    let to = receiver.local_addr();
    flow.reactors.push(receiver);
    let stop = flow.stop.clone();
    let sender = spawn_in(&bed.sender, move || {
        let source = vec![0xa5u8; 1 << 16];
        let pump = move |cx: &mut ContextHandle<'_>, socket: UtpSocket| {
            while !stop.load(Ordering::Relaxed) && cx.write(socket, &source) == source.len() {}
        };
        let pump = Arc::new(Mutex::new(pump));
        let (on_connect, on_state) = (pump.clone(), pump);
        let mut last_line: Option<Instant> = None;
        let callbacks = Callbacks::new()
            .on_delay_sample(move |cx, s, _| {
                let Some(trace) = &trace else { return };
                let now = Instant::now();
                if last_line.is_some_and(|t| now - t < Duration::from_millis(50)) {
                    return;
                }
                last_line = Some(now);
                if let Some(info) = cx.info(s) {
                    trace.push(format!(
                        "{:.1}\tflow{port}\t{}\t{:.1}\t{:.1}\t{}",
                        trace.millis(now),
                        info.congestion_window,
                        info.queuing_delay.as_secs_f64() * 1e3,
                        info.rtt.unwrap_or_default().as_secs_f64() * 1e3,
                        info.bytes_in_flight
                    ));
                }
            })
            .on_connect(move |cx, s| (on_connect.lock().unwrap())(cx, s))
            .on_state_change(move |cx, s, state| {
                if state == UtpState::Writable {
                    (on_state.lock().unwrap())(cx, s);
                }
            });
        let config = EndpointConfig {
            connection: options.connection_config(),
            ..EndpointConfig::default()
        };
        let mut builder = UtpContext::builder()
            .callbacks(callbacks)
            .endpoint_config(config);
        if let Some(ms) = options.target_ms {
            builder = builder.option(ContextOption::TargetDelay(Duration::from_millis(ms)));
        }
        UtpReactor::bind_range(builder, IpAddr::V4(SENDER), [0])
            .map_err(|e| format!("hark sender: {e}"))
    })
    .join()
    .map_err(|_| "hark sender thread panicked".to_string())??;
    sender
        .remote()
        .connect(to)
        .map_err(|e| format!("hark connect: {e}"))?;
    flow.reactors.push(sender);
    Ok(())
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tools/peers/libtorrent_bed.py")
}

/// libtorrent's uTP: a seeder process in the sender namespace, a downloader in the
/// receiver namespace; the downloader prints its progress, one line per 100 ms.
fn start_libtorrent(bed: &Bed, port: u16, flow: &mut Flow) -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!("hark-bed-lt-{}-{port}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let torrent = dir.join("bed.torrent");
    let spawn = |ns: &str, args: &[String]| -> Result<Child, String> {
        Command::new("ip")
            .args(["netns", "exec", ns, "/usr/bin/python3"])
            .arg(script())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("python3 libtorrent_bed.py: {e}"))
    };
    let mut seeder = spawn(
        &bed.sender,
        &[
            "seed".into(),
            "--dir".into(),
            dir.display().to_string(),
            "--listen".into(),
            format!("{SENDER}:{port}"),
            "--torrent".into(),
            torrent.display().to_string(),
        ],
    )?;
    // The seeder prints "ready" once its file is hashed and the torrent written.
    let mut lines = BufReader::new(seeder.stdout.take().expect("piped"));
    let mut line = String::new();
    lines
        .read_line(&mut line)
        .map_err(|e| format!("libtorrent seeder: {e}"))?;
    if line.trim() != "ready" {
        let _ = seeder.kill();
        return Err(format!("libtorrent seeder said {line:?}"));
    }
    flow.children.push(seeder);
    let mut leecher = spawn(
        &bed.receiver,
        &[
            "leech".into(),
            "--dir".into(),
            dir.display().to_string(),
            "--torrent".into(),
            torrent.display().to_string(),
            "--peer".into(),
            format!("{SENDER}:{port}"),
        ],
    )?;
    let out = leecher.stdout.take().expect("piped");
    flow.children.push(leecher);
    let delivered = flow.delivered.clone();
    flow.threads.push(std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if let Ok(bytes) = line.trim().parse::<u64>() {
                delivered.store(bytes, Ordering::Relaxed);
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }));
    Ok(())
}

/// The RTT probe: a 32-byte UDP datagram from the sender every 10 ms, echoed by the
/// receiver; its round trip crosses the bottleneck's queue once.
pub struct Probe {
    stop: Arc<AtomicBool>,
    samples: Arc<Mutex<Vec<(Instant, Duration)>>>,
    threads: Vec<JoinHandle<()>>,
}

pub const PROBE_PORT: u16 = 7777;

impl Probe {
    pub fn start(bed: &Bed) -> Result<Probe, String> {
        let stop = Arc::new(AtomicBool::new(false));
        let samples = Arc::new(Mutex::new(Vec::new()));
        let (ready_tx, ready_rx) = mpsc::channel();
        let echo_stop = stop.clone();
        let echo = spawn_in(&bed.receiver, move || {
            let socket = match UdpSocket::bind(SocketAddrV4::new(RECEIVER, PROBE_PORT)) {
                Ok(s) => s,
                Err(e) => {
                    let _ = ready_tx.send(Err(format!("probe echo: {e}")));
                    return;
                }
            };
            let _ = socket.set_read_timeout(Some(Duration::from_millis(100)));
            let _ = ready_tx.send(Ok(()));
            let mut buf = [0u8; 64];
            while !echo_stop.load(Ordering::Relaxed) {
                if let Ok((n, from)) = socket.recv_from(&mut buf) {
                    let _ = socket.send_to(&buf[..n], from);
                }
            }
        });
        ready_rx
            .recv()
            .map_err(|_| "probe echo thread died".to_string())??;
        let (client_stop, client_samples) = (stop.clone(), samples.clone());
        let client = spawn_in(&bed.sender, move || {
            let socket = UdpSocket::bind(SocketAddrV4::new(SENDER, 0)).expect("probe socket");
            let _ = socket.set_read_timeout(Some(Duration::from_millis(5)));
            let to = SocketAddr::V4(SocketAddrV4::new(RECEIVER, PROBE_PORT));
            let epoch = Instant::now();
            let mut next = Instant::now();
            let mut buf = [0u8; 32];
            while !client_stop.load(Ordering::Relaxed) {
                let now = Instant::now();
                if now >= next {
                    let stamp = now.duration_since(epoch).as_nanos() as u64;
                    let mut packet = [0u8; 32];
                    packet[..8].copy_from_slice(&stamp.to_be_bytes());
                    let _ = socket.send_to(&packet, to);
                    next += Duration::from_millis(10);
                }
                if let Ok(n) = socket.recv(&mut buf) {
                    if n >= 8 {
                        let sent = u64::from_be_bytes(buf[..8].try_into().unwrap());
                        let sent_at = epoch + Duration::from_nanos(sent);
                        let at = Instant::now();
                        client_samples
                            .lock()
                            .unwrap()
                            .push((at, at.duration_since(sent_at)));
                    }
                }
            }
        });
        Ok(Probe {
            stop,
            samples,
            threads: vec![echo, client],
        })
    }

    /// Every round trip so far, with when it ended.
    pub fn all_samples(&self) -> Vec<(Instant, Duration)> {
        self.samples.lock().unwrap().clone()
    }

    /// Round trips that ended within `from..to`.
    pub fn samples_between(&self, from: Instant, to: Instant) -> Vec<Duration> {
        self.samples
            .lock()
            .unwrap()
            .iter()
            .filter(|(at, _)| *at >= from && *at < to)
            .map(|(_, rtt)| *rtt)
            .collect()
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}
