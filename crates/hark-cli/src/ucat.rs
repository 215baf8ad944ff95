//! `hark ucat`: netcat over uTP, with the flags of libutp's `ucat`.
//!
//! stdin goes to the peer, the peer's data to stdout. The sending direction closes at
//! stdin's EOF (a FIN), the receiving one at the peer's; once both FINs are acknowledged
//! the connection is destroyed and the process exits 0 (like netcat, a listener whose
//! stdin is a terminal waits for Ctrl-D). Reads are held against the receive window until stdout has taken
//! them (libutp's get_read_buffer_size / utp_read_drained), so a slow stdout slows the
//! peer instead of filling memory.

use std::io::{IsTerminal, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread;
use std::time::Duration;

use clap::Args;
use hark::utp::{
    Callbacks, ContextOption, EndpointConfig, LogLevel, UtpContext, UtpErrorCode, UtpReactor,
    UtpRemote, UtpSocket, UtpState,
};

use crate::progress::Progress;

/// Flags of libutp's ucat.
#[derive(Debug, Args)]
pub struct UcatArgs {
    /// Listen for one incoming connection instead of connecting.
    #[arg(short = 'l')]
    listen: bool,
    /// Local port (required with -l).
    #[arg(short = 'p', value_name = "PORT")]
    port: Option<u16>,
    /// Local (source) IP address to bind.
    #[arg(short = 's', value_name = "SRCIP")]
    source: Option<IpAddr>,
    /// Buffer size: bytes read from stdin per write.
    #[arg(short = 'B', value_name = "SIZE", default_value_t = 64 * 1024)]
    buffer: usize,
    /// Debug output on stderr; repeat for more (-d: UTP_LOG_NORMAL, -dd: also MTU and DEBUG).
    #[arg(short = 'd', action = clap::ArgAction::Count)]
    debug: u8,
    /// Don't resolve host names: the destination must be a numeric IP address.
    #[arg(short = 'n')]
    numeric: bool,
    /// Destination host (connect mode).
    #[arg(value_name = "DESTINATION")]
    host: Option<String>,
    /// Destination port (connect mode).
    #[arg(value_name = "PORT")]
    dest_port: Option<u16>,
}

/// What the reactor thread tells the main thread.
enum Signal {
    Accepted(UtpSocket),
    Connected,
    Failed(UtpErrorCode),
    Destroyed,
}

/// Runs ucat; returns the exit message on failure.
pub fn run(args: UcatArgs) -> Result<(), String> {
    let destination = destination(&args)?;
    let bind_ip = args.source.unwrap_or(match destination {
        Some(SocketAddr::V6(_)) => IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
        _ => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
    });
    let port = match (args.listen, args.port) {
        (true, None) => return Err("-l needs -p PORT".into()),
        (_, port) => port.unwrap_or(0),
    };
    let chunk = args.buffer.clamp(1, 16 << 20);

    let progress = Progress::new(std::io::stderr().is_terminal());
    let (signal_tx, signal_rx) = mpsc::channel();
    let (out_tx, out_rx) = mpsc::channel::<Vec<u8>>();
    let held = Arc::new(AtomicUsize::new(0));
    let received = Arc::new(AtomicU64::new(0));
    let callbacks = callbacks(
        args.listen,
        signal_tx,
        out_tx,
        Arc::clone(&held),
        Arc::clone(&received),
        args.debug > 0,
    );

    let mut config = EndpointConfig::default();
    // Exit soon after both FINs are acknowledged.
    config.connection.linger = Duration::from_millis(300);
    let mut builder = UtpContext::builder()
        .endpoint_config(config)
        .callbacks(callbacks);
    if args.debug >= 1 {
        builder = builder.option(ContextOption::Log(LogLevel::Normal, true));
    }
    if args.debug >= 2 {
        builder = builder
            .option(ContextOption::Log(LogLevel::Mtu, true))
            .option(ContextOption::Log(LogLevel::Debug, true));
    }
    let reactor = UtpReactor::bind_range(builder, bind_ip, [port]).map_err(|e| e.to_string())?;
    let remote = reactor.remote();
    if args.debug > 0 {
        eprintln!("ucat: bound {}", reactor.local_addr());
    }

    let socket = match destination {
        Some(to) => {
            let socket = remote.connect(to).map_err(|e| e.to_string())?;
            match signal_rx.recv() {
                Ok(Signal::Connected) => socket,
                Ok(Signal::Failed(code)) => return Err(format!("connect to {to}: {code}")),
                _ => return Err("the reactor stopped".into()),
            }
        }
        None => match signal_rx.recv() {
            Ok(Signal::Accepted(socket)) => socket,
            Ok(Signal::Failed(code)) => return Err(code.to_string()),
            _ => return Err("the reactor stopped".into()),
        },
    };

    let stdout_thread = spawn_stdout(out_rx, remote.clone(), socket, held, progress.clone());
    spawn_stdin(remote.clone(), socket, chunk, progress.clone());

    let outcome = loop {
        match signal_rx.recv() {
            Ok(Signal::Destroyed) => break Ok(()),
            Ok(Signal::Failed(code)) => break Err(format!("connection failed: {code}")),
            Ok(_) => {}
            Err(_) => break Err("the reactor stopped".into()),
        }
    };
    // The reactor thread owned the last sender of stdout data: once it is stopped, the
    // stdout thread finishes what is queued and ends.
    drop(reactor);
    let _ = stdout_thread.join();
    progress.finish();
    outcome
}

/// The destination in connect mode (resolved unless -n), `None` in listen mode.
fn destination(args: &UcatArgs) -> Result<Option<SocketAddr>, String> {
    if args.listen {
        if args.host.is_some() {
            return Err("-l takes no destination".into());
        }
        return Ok(None);
    }
    let (Some(host), Some(port)) = (&args.host, args.dest_port) else {
        return Err(
            "usage: hark ucat [options] DESTINATION PORT | hark ucat [options] -l -p PORT".into(),
        );
    };
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(Some(SocketAddr::new(ip, port)));
    }
    if args.numeric {
        return Err(format!("{host}: not a numeric address (-n)"));
    }
    (host.as_str(), port)
        .to_socket_addrs()
        .map_err(|e| format!("{host}: {e}"))?
        .next()
        .map(Some)
        .ok_or_else(|| format!("{host}: no address"))
}

/// The callback table: signals to the main thread, reads to the stdout thread.
fn callbacks(
    listen: bool,
    signal: Sender<Signal>,
    out: Sender<Vec<u8>>,
    held: Arc<AtomicUsize>,
    received: Arc<AtomicU64>,
    debug: bool,
) -> Callbacks {
    let taken = Arc::new(AtomicBool::new(false));
    let (accept_signal, connect_signal, error_signal) =
        (signal.clone(), signal.clone(), signal.clone());
    let read_held = Arc::clone(&held);
    Callbacks::new()
        // One connection per ucat, as libutp's: later SYNs are dropped.
        .on_firewall(move |_cx, _addr| !listen || taken.swap(true, Ordering::SeqCst))
        .on_accept(move |_cx, socket, _addr| {
            let _ = accept_signal.send(Signal::Accepted(socket));
        })
        .on_connect(move |_cx, _socket| {
            let _ = connect_signal.send(Signal::Connected);
        })
        .on_error(move |_cx, _socket, code| {
            let _ = error_signal.send(Signal::Failed(code));
        })
        .on_read(move |_cx, _socket, data| {
            read_held.fetch_add(data.len(), Ordering::SeqCst);
            received.fetch_add(data.len() as u64, Ordering::Relaxed);
            let _ = out.send(data.to_vec());
        })
        .get_read_buffer_size(move |_cx, _socket| held.load(Ordering::SeqCst))
        .on_state_change(move |_cx, _socket, state| {
            // Each direction ends at its own EOF (ours at stdin's); the connection is
            // destroyed once both FINs are acknowledged.
            if state == UtpState::Destroying {
                let _ = signal.send(Signal::Destroyed);
            }
        })
        .log(move |socket, level, text| {
            if debug {
                match socket {
                    Some(socket) => eprintln!("ucat: [{level}] {socket}: {text}"),
                    None => eprintln!("ucat: [{level}] {text}"),
                }
            }
        })
}

/// Copies stdin to the connection, then closes our direction.
fn spawn_stdin(remote: UtpRemote, socket: UtpSocket, chunk: usize, progress: Progress) {
    thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut buf = vec![0u8; chunk];
        loop {
            match stdin.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    let Some(data) = buf.get(..n) else { break };
                    if remote.write(socket, data).is_err() {
                        return;
                    }
                    progress.sent(n as u64);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    eprintln!("ucat: stdin: {e}");
                    break;
                }
            }
        }
        let _ = remote.close(socket);
    });
}

/// Writes received data to stdout, then releases it from the receive window.
fn spawn_stdout(
    out: Receiver<Vec<u8>>,
    remote: UtpRemote,
    socket: UtpSocket,
    held: Arc<AtomicUsize>,
    progress: Progress,
) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let mut stdout = std::io::stdout().lock();
        let mut broken = false;
        while let Ok(first) = out.recv() {
            let mut batch = vec![first];
            batch.extend(out.try_iter());
            let mut bytes = 0;
            for data in &batch {
                bytes += data.len();
                if !broken && stdout.write_all(data).is_err() {
                    broken = true;
                }
            }
            if !broken && stdout.flush().is_err() {
                broken = true;
            }
            progress.received(bytes as u64);
            held.fetch_sub(bytes, Ordering::SeqCst);
            let _ = remote.read_drained(socket);
        }
    })
}
