//! libutp's callback table on real loopback sockets: both ways to run, the callbacks'
//! order, the firewall, refused and timed-out connections, and hub events.

use std::io::ErrorKind;
use std::net::{Ipv4Addr, UdpSocket};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hark::events::{Event, EventHub};
use hark::utp::{
    Callbacks, ContextHandle, ContextOption, EndpointConfig, LogLevel, UdpConfig, UtpContext,
    UtpErrorCode, UtpReactor, UtpSocket, UtpState,
};

const LOCALHOST: std::net::IpAddr = std::net::IpAddr::V4(Ipv4Addr::LOCALHOST);
const WAIT: Duration = Duration::from_secs(20);

/// Short timers so failures and lingering end quickly.
fn quick_config() -> EndpointConfig {
    let mut config = EndpointConfig::default();
    config.connection.initial_rto = Duration::from_millis(100);
    config.connection.min_rto = Duration::from_millis(50);
    config.connection.syn_retries = 2;
    config.connection.max_consecutive_timeouts = 3;
    config.connection.linger = Duration::from_millis(100);
    config
}

/// Content that shows shifted or reordered bytes.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

type Log = Arc<Mutex<Vec<String>>>;

fn push(log: &Log, entry: impl Into<String>) {
    log.lock().unwrap().push(entry.into());
}

/// Records every hub event name.
fn recording_hub(names: &Log) -> EventHub {
    let names = Arc::clone(names);
    EventHub::builder()
        .on_all(move |event: &Event| names.lock().unwrap().push(event.name().to_string()))
        .build()
}

/// A receiver that collects what it reads, closes on EOF and reports the bytes when its
/// socket is destroyed.
fn receiving_callbacks(log: &Log, done: Sender<Vec<u8>>) -> Callbacks {
    let received = Arc::new(Mutex::new(Vec::new()));
    let (on_read_log, on_state_log, on_accept_log) =
        (Arc::clone(log), Arc::clone(log), Arc::clone(log));
    let read_into = Arc::clone(&received);
    Callbacks::new()
        .on_accept(move |_cx, _socket, _addr| push(&on_accept_log, "accept"))
        .on_read(move |_cx, _socket, data| {
            let mut log = on_read_log.lock().unwrap();
            if log.last().map(String::as_str) != Some("read") {
                log.push("read".into());
            }
            read_into.lock().unwrap().extend_from_slice(data);
        })
        .on_state_change(move |cx, socket, state| {
            push(&on_state_log, format!("{state:?}").to_lowercase());
            match state {
                UtpState::Eof => cx.close(socket),
                UtpState::Destroying => {
                    assert!(
                        cx.peer_addr(socket).is_some(),
                        "the peer is known while destroying"
                    );
                    let _ = done.send(std::mem::take(&mut *received.lock().unwrap()));
                }
                _ => {}
            }
        })
}

/// Writes `data` from callbacks (on_connect, then WRITABLE), closes when all is written,
/// and signals when its socket is destroyed. Writes alternate between `write` (copied
/// slices) and `write_bytes` (shared bytes), in pieces of various sizes.
struct Sending {
    data: bytes::Bytes,
    offset: usize,
    writes: usize,
}

impl Sending {
    fn pump(&mut self, cx: &mut ContextHandle<'_>, socket: UtpSocket) {
        while self.offset < self.data.len() {
            self.writes += 1;
            let end = self
                .data
                .len()
                .min(self.offset + 1 + self.writes * 7919 % 40_000);
            let n = if self.writes % 2 == 0 {
                cx.write(socket, &self.data[self.offset..end])
            } else {
                cx.write_bytes(socket, &self.data.slice(self.offset..end))
            };
            if n == 0 {
                return;
            }
            self.offset += n;
        }
        cx.close(socket);
    }
}

fn sending_callbacks(data: Vec<u8>, log: &Log, done: Sender<()>) -> Callbacks {
    let sending = Arc::new(Mutex::new(Sending {
        data: data.into(),
        offset: 0,
        writes: 0,
    }));
    let on_connect = Arc::clone(&sending);
    let (connect_log, state_log) = (Arc::clone(log), Arc::clone(log));
    Callbacks::new()
        .on_connect(move |cx, socket| {
            push(&connect_log, "connect");
            on_connect.lock().unwrap().pump(cx, socket);
        })
        .on_state_change(move |cx, socket, state| {
            let mut log = state_log.lock().unwrap();
            let entry = format!("state:{state:?}").to_lowercase();
            if log.last() != Some(&entry) {
                log.push(entry);
            }
            drop(log);
            match state {
                UtpState::Writable => sending.lock().unwrap().pump(cx, socket),
                UtpState::Destroying => {
                    let _ = done.send(());
                }
                _ => {}
            }
        })
}

/// A server reactor that reads what its peers send and reports the bytes when each
/// socket is destroyed.
fn receiving_server(done: Sender<Vec<u8>>) -> UtpReactor {
    UtpReactor::bind_range(
        UtpContext::builder()
            .endpoint_config(quick_config())
            .callbacks(receiving_callbacks(&Log::default(), done)),
        LOCALHOST,
        [0],
    )
    .unwrap()
}

/// A reactor on `ip` whose only callback reports each socket's error code.
fn erring_client(ip: std::net::IpAddr) -> (UtpReactor, Receiver<UtpErrorCode>) {
    let (error_tx, error_rx) = mpsc::channel();
    let client = UtpReactor::bind_range(
        UtpContext::builder()
            .endpoint_config(quick_config())
            .callbacks(Callbacks::new().on_error(move |_cx, _socket, code| {
                let _ = error_tx.send(code);
            })),
        ip,
        [0],
    )
    .unwrap();
    (client, error_rx)
}

/// A reactor that connects to `server` and sends `data` from its callbacks; the receiver
/// hears when its socket is destroyed.
fn sender_to(server: std::net::SocketAddr, data: Vec<u8>) -> (UtpReactor, Receiver<()>) {
    let (sent_tx, sent_rx) = mpsc::channel();
    let client = UtpReactor::bind_range(
        UtpContext::builder()
            .endpoint_config(quick_config())
            .callbacks(sending_callbacks(data, &Log::default(), sent_tx)),
        LOCALHOST,
        [0],
    )
    .unwrap();
    client.remote().connect(server).unwrap();
    (client, sent_rx)
}

/// Joins consecutive duplicates, so the order of kinds of callbacks shows.
fn squash(log: &Log) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for entry in log.lock().unwrap().iter() {
        if out.last() != Some(entry) {
            out.push(entry.clone());
        }
    }
    out
}

#[test]
fn reactor_mode_transfers_bytes_exactly_with_libutps_callback_order() {
    let data = pattern(600_000);
    let (server_log, client_log, server_hub_log) = (Log::default(), Log::default(), Log::default());
    let (received_tx, received_rx) = mpsc::channel();
    let server = UtpReactor::bind_range(
        UtpContext::builder()
            .endpoint_config(quick_config())
            .hub(recording_hub(&server_hub_log))
            .callbacks(receiving_callbacks(&server_log, received_tx)),
        LOCALHOST,
        [0],
    )
    .unwrap();
    let (sent_tx, sent_rx) = mpsc::channel();
    let client = UtpReactor::bind_range(
        UtpContext::builder()
            .endpoint_config(quick_config())
            // Smaller than the data: the sender must wait for WRITABLE.
            .option(ContextOption::SendBuffer(64 * 1024))
            .callbacks(sending_callbacks(data.clone(), &client_log, sent_tx)),
        LOCALHOST,
        [0],
    )
    .unwrap();
    let socket = client.remote().connect(server.local_addr()).unwrap();
    assert!(socket.connection_id().0 > 0);

    let received = received_rx
        .recv_timeout(WAIT)
        .expect("server socket destroyed");
    sent_rx.recv_timeout(WAIT).expect("client socket destroyed");
    assert_eq!(received.len(), data.len());
    assert!(received == data, "received bytes differ from the sent ones");

    assert_eq!(
        squash(&server_log),
        ["accept", "read", "eof", "destroying"],
        "server callbacks"
    );
    let client_seq = squash(&client_log);
    assert!(
        client_seq.iter().any(|s| s == "state:writable"),
        "the sender waited for WRITABLE: {client_seq:?}"
    );
    assert_eq!(client_seq.first().map(String::as_str), Some("connect"));
    assert_eq!(
        client_seq.last().map(String::as_str),
        Some("state:destroying")
    );
    assert!(
        !client_seq.iter().any(|s| s == "state:connect"),
        "CONNECT is not reported as a state change while on_connect is set: {client_seq:?}"
    );

    let server_context = server.stop().unwrap();
    assert_eq!(server_context.socket_count(), 0);
    let hub = squash(&server_hub_log);
    for kind in [
        "listen_success",
        "utp_accept",
        "peer_data_in",
        "utp_packets",
        "utp_eof",
        "utp_destroying",
    ] {
        assert!(hub.iter().any(|k| k == kind), "{kind} missing from {hub:?}");
    }
    let client_context = client.stop().unwrap();
    assert_eq!(client_context.socket_count(), 0);
}

#[test]
fn on_state_change_reports_connect_when_on_connect_is_unset() {
    let (server_log, client_log) = (Log::default(), Log::default());
    let (received_tx, received_rx) = mpsc::channel();
    let server = UtpReactor::bind_range(
        UtpContext::builder()
            .endpoint_config(quick_config())
            .callbacks(receiving_callbacks(&server_log, received_tx)),
        LOCALHOST,
        [0],
    )
    .unwrap();
    let (connected_tx, connected_rx) = mpsc::channel();
    let state_log = Arc::clone(&client_log);
    let client = UtpReactor::bind_range(
        UtpContext::builder()
            .endpoint_config(quick_config())
            .callbacks(Callbacks::new().on_state_change(move |cx, socket, state| {
                push(&state_log, format!("{state:?}").to_lowercase());
                if state == UtpState::Connect {
                    assert_eq!(cx.write(socket, b"hello"), 5);
                    cx.close(socket);
                    let _ = connected_tx.send(cx.peer_addr(socket));
                }
            })),
        LOCALHOST,
        [0],
    )
    .unwrap();
    client.remote().connect(server.local_addr()).unwrap();
    let peer = connected_rx.recv_timeout(WAIT).unwrap();
    assert_eq!(peer, Some(server.local_addr()));
    assert_eq!(received_rx.recv_timeout(WAIT).unwrap(), b"hello");
    assert_eq!(
        squash(&client_log).first().map(String::as_str),
        Some("connect")
    );
}

#[test]
fn firewall_blocks_incoming_connections() {
    let (asked_tx, asked_rx) = mpsc::channel();
    let (accepted_tx, accepted_rx) = mpsc::channel::<()>();
    let hub_log = Log::default();
    let server = UtpReactor::bind_range(
        UtpContext::builder()
            .endpoint_config(quick_config())
            .hub(recording_hub(&hub_log))
            .callbacks(
                Callbacks::new()
                    .on_firewall(move |_cx, addr| {
                        let _ = asked_tx.send(addr);
                        true
                    })
                    .on_accept(move |_cx, _socket, _addr| {
                        let _ = accepted_tx.send(());
                    }),
            ),
        LOCALHOST,
        [0],
    )
    .unwrap();
    let (client, error_rx) = erring_client(LOCALHOST);
    client.remote().connect(server.local_addr()).unwrap();
    let asked = asked_rx.recv_timeout(WAIT).unwrap();
    assert_eq!(asked, client.local_addr());
    // A blocked SYN is dropped, as libutp does: the initiator times out.
    assert_eq!(error_rx.recv_timeout(WAIT).unwrap(), UtpErrorCode::TimedOut);
    assert!(
        accepted_rx.try_recv().is_err(),
        "on_accept ran for a blocked peer"
    );
    drop(server);
    assert!(hub_log.lock().unwrap().iter().any(|k| k == "utp_firewall"));
}

#[test]
fn a_context_without_on_accept_refuses_with_connrefused() {
    let refuser = UtpReactor::bind_range(
        UtpContext::builder().endpoint_config(quick_config()),
        LOCALHOST,
        [0],
    )
    .unwrap();
    let (error_tx, error_rx) = mpsc::channel();
    let hub_log = Log::default();
    let log = Log::default();
    let state_log = Arc::clone(&log);
    let client = UtpReactor::bind_range(
        UtpContext::builder()
            .endpoint_config(quick_config())
            .hub(recording_hub(&hub_log))
            .callbacks(
                Callbacks::new()
                    .on_error(move |_cx, _socket, code| {
                        let _ = error_tx.send(code);
                    })
                    .on_state_change(move |_cx, _socket, state| {
                        push(&state_log, format!("{state:?}"))
                    }),
            ),
        LOCALHOST,
        [0],
    )
    .unwrap();
    let started = Instant::now();
    client.remote().connect(refuser.local_addr()).unwrap();
    assert_eq!(
        error_rx.recv_timeout(WAIT).unwrap(),
        UtpErrorCode::ConnRefused
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "a RESET answers at once"
    );
    let client_context = client.stop().unwrap();
    assert_eq!(client_context.socket_count(), 0);
    assert_eq!(squash(&log), ["Destroying"]);
    let hub = squash(&hub_log);
    assert!(hub.iter().any(|k| k == "utp_error") && hub.iter().any(|k| k == "utp_destroying"));
}

#[test]
fn a_silent_peer_times_out() {
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let (client, error_rx) = erring_client(LOCALHOST);
    client
        .remote()
        .connect(silent.local_addr().unwrap())
        .unwrap();
    assert_eq!(error_rx.recv_timeout(WAIT).unwrap(), UtpErrorCode::TimedOut);
}

/// The application's own loop around a std socket: receive a batch, hand each datagram
/// to `process_udp`, issue deferred ACKs, check timeouts.
fn drive_until<T>(
    context: &mut UtpContext,
    socket: &UdpSocket,
    done: &Receiver<T>,
    non_utp: &mut u32,
) -> T {
    let deadline = Instant::now() + WAIT;
    let mut buf = vec![0u8; 65_536];
    loop {
        if let Ok(value) = done.try_recv() {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "mode (b) transfer did not finish"
        );
        let wait = context
            .next_timeout()
            .unwrap_or(Duration::from_millis(50))
            .clamp(Duration::from_millis(1), Duration::from_millis(50));
        socket.set_nonblocking(false).unwrap();
        socket.set_read_timeout(Some(wait)).unwrap();
        let mut first = true;
        loop {
            match socket.recv_from(&mut buf) {
                Ok((n, from)) => {
                    if !context.process_udp(&buf[..n], from) {
                        *non_utp += 1;
                    }
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => break,
                Err(e) => panic!("recv: {e}"),
            }
            if first {
                socket.set_nonblocking(true).unwrap();
                first = false;
            }
        }
        context.issue_deferred_acks();
        context.check_timeouts();
    }
}

#[test]
fn application_owned_socket_mode_b_talks_to_a_reactor_context() {
    let data = pattern(300_000);
    let (server_log, client_log) = (Log::default(), Log::default());
    let (received_tx, received_rx) = mpsc::channel();
    let server = UtpReactor::bind_range(
        UtpContext::builder()
            .endpoint_config(quick_config())
            .callbacks(receiving_callbacks(&server_log, received_tx)),
        LOCALHOST,
        [0],
    )
    .unwrap();

    let (sent_tx, sent_rx) = mpsc::channel();
    let logged = Log::default();
    let log_sink = Arc::clone(&logged);
    // The application's clock, handed to the context in microseconds.
    let origin = Instant::now();
    let mut builder = UtpContext::builder()
        .endpoint_config(quick_config())
        .option(ContextOption::SendBuffer(32 * 1024))
        .option(ContextOption::Log(LogLevel::Normal, true))
        .option(ContextOption::Log(LogLevel::Mtu, true));
    let socket = {
        let mut probe = UtpContext::builder()
            .callbacks(Callbacks::new().sendto(|_, _, _, _| {}))
            .build()
            .unwrap();
        probe.bind_udp(LOCALHOST, [0]).unwrap()
    };
    let sender = socket.try_clone().unwrap();
    // The sockets sendto named, each once.
    let senders = Arc::new(Mutex::new(Vec::new()));
    let senders_seen = Arc::clone(&senders);
    let callbacks = sending_callbacks(data.clone(), &client_log, sent_tx)
        .sendto(move |from, datagram, addr, _flags| {
            let mut seen = senders_seen.lock().unwrap();
            if !seen.contains(&from) {
                seen.push(from);
            }
            drop(seen);
            // A full socket buffer on loopback drops the datagram; uTP retransmits.
            let _ = sender.send_to(datagram, addr);
        })
        .get_microseconds(move || origin.elapsed().as_micros() as u64)
        .log(move |_socket, level, text| push(&log_sink, format!("{level}: {text}")));
    builder = builder.callbacks(callbacks);
    let mut context = builder.build().unwrap();

    let mut non_utp = 0;
    assert!(!context.process_udp(b"not a utp packet at all", server.local_addr()));
    let client = context.connect(server.local_addr()).unwrap();
    drive_until(&mut context, &socket, &sent_rx, &mut non_utp);
    let received = received_rx.recv_timeout(WAIT).unwrap();
    assert!(received == data, "received bytes differ from the sent ones");
    assert_eq!(
        senders.lock().unwrap().first(),
        Some(&Some(client)),
        "the SYN named its socket"
    );
    // A DATA packet for no connection (id 77) is answered by a RESET that names no socket.
    let stray = [1, 0, 0, 77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 0, 3];
    assert!(context.process_udp(&stray, server.local_addr()));
    let senders = senders.lock().unwrap();
    assert!(senders.contains(&None), "a RESET's sendto got {senders:?}");
    assert!(
        senders.iter().all(|s| s.is_none() || *s == Some(client)),
        "only the one connection sent: {senders:?}"
    );
    assert_eq!(non_utp, 0);
    assert_eq!(context.context_stats().malformed, 1);
    assert_eq!(squash(&server_log), ["accept", "read", "eof", "destroying"]);
    let logged = logged.lock().unwrap();
    assert!(
        logged
            .iter()
            .any(|l| l.starts_with("UTP_LOG_NORMAL: connecting to"))
    );
    assert!(
        logged
            .iter()
            .any(|l| l.starts_with("UTP_LOG_MTU: udp mtu 1402"))
    );
}

#[test]
fn mode_b_needs_sendto() {
    assert!(UtpContext::builder().build().is_err());
}

#[test]
fn held_read_bytes_stay_until_read_drained() {
    // The receiver claims to hold everything it was given: its window closes, and the
    // data is delivered once, in order, across read_drained calls.
    let data = pattern(200_000);
    let (received_tx, received_rx) = mpsc::channel::<Vec<u8>>();
    let received = Arc::new(Mutex::new(Vec::new()));
    let holding = Arc::new(Mutex::new(0usize));
    let (on_read_into, on_read_hold, size_hold) = (
        Arc::clone(&received),
        Arc::clone(&holding),
        Arc::clone(&holding),
    );
    let server = UtpReactor::bind_range(
        UtpContext::builder()
            .endpoint_config(quick_config())
            .option(ContextOption::ReceiveBuffer(64 * 1024))
            .callbacks(
                Callbacks::new()
                    .on_accept(|_, _, _| {})
                    .on_read(move |cx, socket, bytes| {
                        on_read_into.lock().unwrap().extend_from_slice(bytes);
                        let mut held = on_read_hold.lock().unwrap();
                        *held += bytes.len();
                        // Processes everything once 32 KiB are held.
                        if *held >= 32 * 1024 {
                            *held = 0;
                            cx.read_drained(socket);
                        }
                    })
                    .get_read_buffer_size(move |_, _| *size_hold.lock().unwrap())
                    .on_state_change(move |cx, socket, state| match state {
                        UtpState::Eof => {
                            *holding.lock().unwrap() = 0;
                            cx.read_drained(socket);
                            cx.close(socket);
                        }
                        UtpState::Destroying => {
                            let _ = received_tx.send(received.lock().unwrap().clone());
                        }
                        _ => {}
                    }),
            ),
        LOCALHOST,
        [0],
    )
    .unwrap();
    let (_client, sent_rx) = sender_to(server.local_addr(), data.clone());
    let got = received_rx.recv_timeout(WAIT).unwrap();
    sent_rx.recv_timeout(WAIT).unwrap();
    assert!(got == data, "held bytes were delivered twice or lost");
}

#[test]
fn remote_writes_from_another_thread_are_bounded_and_ordered() {
    let data = pattern(2_000_000);
    let (received_tx, received_rx) = mpsc::channel();
    let server = receiving_server(received_tx);
    let client = UtpReactor::bind_range(
        UtpContext::builder()
            .endpoint_config(quick_config())
            .option(ContextOption::SendBuffer(64 * 1024)),
        LOCALHOST,
        [0],
    )
    .unwrap();
    let remote = client.remote();
    let socket = remote.connect(server.local_addr()).unwrap();
    // Written before the connection is even established, in uneven pieces.
    for piece in data.chunks(70_001) {
        remote.write(socket, piece).unwrap();
    }
    remote.close(socket).unwrap();
    let got = received_rx.recv_timeout(WAIT).unwrap();
    assert!(got == data, "remote writes arrived changed");
    let stats = remote
        .with_context(|context| context.context_stats())
        .unwrap();
    assert!(stats.datagrams > 0);
}

#[test]
fn reactors_with_os_default_buffers_and_no_offload_transfer_exactly() {
    // The OS default socket buffers (about 208 KiB on Linux) overflow at loopback speed:
    // uTP must recover every drop. No GSO/GRO and batches of 4 take the plain paths.
    let udp = UdpConfig {
        gso: false,
        gro: false,
        batch_size: 4,
        ..UdpConfig::OS_BUFFERS
    };
    let data = pattern(8_000_000);
    let log = Log::default();
    let (received_tx, received_rx) = mpsc::channel();
    let (sent_tx, _sent_rx) = mpsc::channel();
    let server = UtpReactor::bind_range_with_udp(
        UtpContext::builder()
            .endpoint_config(quick_config())
            .callbacks(receiving_callbacks(&log, received_tx)),
        LOCALHOST,
        [0],
        &udp,
    )
    .unwrap();
    let client = UtpReactor::bind_range_with_udp(
        UtpContext::builder()
            .endpoint_config(quick_config())
            .callbacks(sending_callbacks(data.clone(), &log, sent_tx)),
        LOCALHOST,
        [0],
        &UdpConfig::OS_BUFFERS,
    )
    .unwrap();
    client.remote().connect(server.local_addr()).unwrap();
    let got = received_rx.recv_timeout(WAIT).unwrap();
    assert_eq!(got.len(), data.len());
    assert!(got == data, "bytes arrived changed");
}

#[test]
fn mode_b_runs_on_the_applications_clock() {
    // A virtual clock: no real time passes, yet the SYN retries run out and the context
    // reports UTP_ETIMEDOUT, because get_microseconds is the context's clock.
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let clock = Arc::new(Mutex::new(0u64));
    let sent = Arc::new(Mutex::new(0u32));
    let (error_tx, error_rx) = mpsc::channel();
    let (clock_read, sent_count) = (Arc::clone(&clock), Arc::clone(&sent));
    let mut seed = 1u32;
    let mut context = UtpContext::builder()
        .endpoint_config(quick_config())
        .callbacks(
            Callbacks::new()
                .get_microseconds(move || *clock_read.lock().unwrap())
                .get_random(move || {
                    seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    seed
                })
                .sendto(move |_socket, _data, _addr, _flags| *sent_count.lock().unwrap() += 1)
                .on_error(move |_cx, _socket, code| {
                    let _ = error_tx.send(code);
                }),
        )
        .build()
        .unwrap();
    let started = Instant::now();
    context.connect(silent.local_addr().unwrap()).unwrap();
    assert_eq!(*sent.lock().unwrap(), 1, "the SYN left through sendto");
    let mut failed = None;
    for _ in 0..1000 {
        if let Ok(code) = error_rx.try_recv() {
            failed = Some(code);
            break;
        }
        let step = context.next_timeout().unwrap_or(Duration::from_millis(10));
        *clock.lock().unwrap() += step.as_micros() as u64 + 1;
        context.check_timeouts();
    }
    assert_eq!(failed, Some(UtpErrorCode::TimedOut));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "no real waiting"
    );
    assert!(*sent.lock().unwrap() >= 3, "SYN retries were sent");
    assert_eq!(context.socket_count(), 0, "the failed socket was destroyed");
    assert!(*clock.lock().unwrap() >= 300_000, "virtual time passed");
}

#[test]
fn the_hubs_ip_filter_refuses_incoming_and_blocks_outgoing() {
    let filter = Arc::new(
        hark::ipfilter::IpFilter::from_emule(
            b"127.000.000.002 - 127.000.000.002 , 000 , test peer\n",
        )
        .unwrap(),
    );
    let blocked_ip = std::net::IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
    let server_hub_log = Log::default();
    let names = Arc::clone(&server_hub_log);
    let server_hub = EventHub::builder()
        .ip_filter(Arc::clone(&filter))
        .on_all(move |event: &Event| names.lock().unwrap().push(event.name().to_string()))
        .build();
    let (accepted_tx, accepted_rx) = mpsc::channel::<()>();
    let server = UtpReactor::bind_range(
        UtpContext::builder()
            .endpoint_config(quick_config())
            .hub(server_hub)
            .callbacks(Callbacks::new().on_accept(move |_, _, _| {
                let _ = accepted_tx.send(());
            })),
        LOCALHOST,
        [0],
    )
    .unwrap();
    // A client on 127.0.0.2, which the server's filter blocks: refused with a RESET.
    let (client, error_rx) = erring_client(blocked_ip);
    client.remote().connect(server.local_addr()).unwrap();
    assert_eq!(
        error_rx.recv_timeout(WAIT).unwrap(),
        UtpErrorCode::ConnRefused
    );
    assert!(accepted_rx.try_recv().is_err());
    drop(server);
    assert!(
        server_hub_log
            .lock()
            .unwrap()
            .iter()
            .any(|k| k == "ip_filter")
    );

    // Outgoing: a context whose hub blocks 127.0.0.2 does not connect there.
    let outgoing = UtpReactor::bind_range(
        UtpContext::builder().hub(EventHub::builder().ip_filter(filter).build()),
        LOCALHOST,
        [0],
    )
    .unwrap();
    let refused = outgoing.remote().connect(client.local_addr());
    assert!(
        matches!(
            refused,
            Err(hark::utp::ReactorUtpError::Utp(
                hark::utp::UtpError::Blocked
            ))
        ),
        "{refused:?}"
    );
}

#[test]
fn a_wild_application_clock_does_not_panic() {
    // Popped from the end: a first reading, a step, a jump of ages, back to 0, the maximum.
    let readings = Arc::new(Mutex::new(vec![u64::MAX, 0, u64::MAX / 2, 5, 1]));
    let clock = Arc::clone(&readings);
    let mut context = UtpContext::builder()
        .callbacks(
            Callbacks::new()
                .sendto(|_, _, _, _| {})
                .get_microseconds(move || clock.lock().unwrap().pop().unwrap_or(7)),
        )
        .build()
        .unwrap();
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    context.connect(silent.local_addr().unwrap()).unwrap();
    for _ in 0..6 {
        context.check_timeouts();
        assert!(!context.process_udp(b"junk", silent.local_addr().unwrap()));
    }
    assert!(readings.lock().unwrap().is_empty());
}

#[test]
fn a_restarted_peer_resets_the_connection_with_connreset() {
    let accept = || Callbacks::new().on_accept(|_, _, _| {});
    let server = UtpReactor::bind_range(
        UtpContext::builder()
            .endpoint_config(quick_config())
            .callbacks(accept()),
        LOCALHOST,
        [0],
    )
    .unwrap();
    let port = server.local_addr().port();
    let (connected_tx, connected_rx) = mpsc::channel();
    let (error_tx, error_rx) = mpsc::channel();
    let client = UtpReactor::bind_range(
        UtpContext::builder()
            .endpoint_config(quick_config())
            .callbacks(
                Callbacks::new()
                    .on_connect(move |cx, socket| {
                        // The first packet completes the accepting side's handshake.
                        cx.write(socket, b"hello");
                        let _ = connected_tx.send(socket);
                    })
                    .on_error(move |_, _, code| {
                        let _ = error_tx.send(code);
                    }),
            ),
        LOCALHOST,
        [0],
    )
    .unwrap();
    let remote = client.remote();
    remote.connect(server.local_addr()).unwrap();
    let socket = connected_rx.recv_timeout(WAIT).unwrap();
    // The peer's process restarts on the same port and knows nothing of the connection.
    drop(server);
    let _restarted = UtpReactor::bind_range(
        UtpContext::builder()
            .endpoint_config(quick_config())
            .callbacks(accept()),
        LOCALHOST,
        [port],
    )
    .unwrap();
    remote.write(socket, b"are you there?").unwrap();
    assert_eq!(
        error_rx.recv_timeout(WAIT).unwrap(),
        UtpErrorCode::ConnReset
    );
}

#[test]
fn the_hubs_overhead_events_sum_the_per_packet_callbacks() {
    type Sums = Arc<Mutex<std::collections::BTreeMap<(bool, String), (u64, u64)>>>;
    let (callback_sums, hub_sums) = (Sums::default(), Sums::default());
    let from_callback = Arc::clone(&callback_sums);
    let from_hub = Arc::clone(&hub_sums);
    // Headers of the data packets the server received, from `utp_packets` events.
    let data_headers = Arc::new(Mutex::new(Vec::new()));
    let headers_seen = Arc::clone(&data_headers);
    let hub = EventHub::builder()
        .on_utp_overhead(move |_: &Event, o: &hark::events::UtpOverhead| {
            let mut sums = from_hub.lock().unwrap();
            let entry = sums.entry((o.sent, o.overhead.to_string())).or_default();
            entry.0 += o.length;
            entry.1 += u64::from(o.packets);
        })
        .on_utp_packets(move |_: &Event, p: &hark::events::UtpPackets| {
            assert!(!p.headers.is_empty() && p.headers.len() <= 1024);
            if !p.sent {
                headers_seen.lock().unwrap().extend(
                    p.headers
                        .iter()
                        .filter(|h| h.packet_type == hark::utp::PacketType::Data)
                        .map(|h| (h.seq_nr, h.payload_len())),
                );
            }
        })
        .build();
    let (received_tx, received_rx) = mpsc::channel();
    let server = UtpReactor::bind_range(
        UtpContext::builder()
            .endpoint_config(quick_config())
            .hub(hub)
            .callbacks(
                receiving_callbacks(&Log::default(), received_tx).on_overhead_statistics(
                    move |_cx, _socket, sent, length, kind| {
                        let mut sums = from_callback.lock().unwrap();
                        let entry = sums
                            .entry((sent, kind.libutp_name().to_string()))
                            .or_default();
                        entry.0 += u64::from(length);
                        entry.1 += 1;
                    },
                ),
            ),
        LOCALHOST,
        [0],
    )
    .unwrap();
    let data = pattern(300_000);
    let (client, sent_rx) = sender_to(server.local_addr(), data.clone());
    assert!(
        received_rx
            .recv_timeout(WAIT)
            .expect("server socket destroyed")
            == data
    );
    sent_rx.recv_timeout(WAIT).expect("client socket destroyed");
    server.stop().unwrap();
    client.stop().unwrap();

    let (callbacks, events) = (callback_sums.lock().unwrap(), hub_sums.lock().unwrap());
    let data_packets = callbacks
        .get(&(false, "HEADER_OVERHEAD".to_string()))
        .map_or(0, |&(_, packets)| packets);
    assert!(data_packets >= 200, "{callbacks:?}");
    assert_eq!(*callbacks, *events, "hub sums differ from the callbacks'");
    // One header per data packet received, the payloads adding up to the bytes sent.
    let headers = data_headers.lock().unwrap();
    assert_eq!(headers.len() as u64, data_packets);
    assert!(headers.iter().map(|&(_, len)| len).sum::<usize>() >= data.len());
    // Connect, data headers and ACKs at least: the sums cover more than one kind.
    assert!(events.len() >= 3, "{events:?}");
}

/// Sends `data` from a client reactor whose packets are as long as `client_mtu` allows
/// (its configuration's `udp_mtu_v4`) or as its get_udp_mtu callback answers; returns the
/// bytes the server read and the datagrams it received.
fn transfer_with_mtu(data: &[u8], client_mtu: u16, answer: Option<u16>) -> (Vec<u8>, u64) {
    let (received_tx, received_rx) = mpsc::channel();
    let server = receiving_server(received_tx);
    let mut config = quick_config();
    config.connection.udp_mtu_v4 = client_mtu;
    let mut callbacks = sending_callbacks(data.to_vec(), &Log::default(), mpsc::channel().0);
    if let Some(answer) = answer {
        callbacks = callbacks.get_udp_mtu(move |_, _| answer);
    }
    let client = UtpReactor::bind_range(
        UtpContext::builder()
            .endpoint_config(config)
            .callbacks(callbacks),
        LOCALHOST,
        [0],
    )
    .unwrap();
    client.remote().connect(server.local_addr()).unwrap();
    let received = received_rx
        .recv_timeout(WAIT)
        .expect("the server's socket was destroyed");
    let datagrams = server.stop().unwrap().context_stats().datagrams;
    drop(client);
    (received, datagrams)
}

#[test]
fn datagrams_longer_than_the_reactors_default_slots_are_sent_whole() {
    let data = pattern(600_000);
    // The reactor's send slots are 2048 bytes unless a core asks for more: a context
    // configured for 9000-byte datagrams must get them (it once stalled instead).
    let (received, datagrams) = transfer_with_mtu(&data, 9000, None);
    assert!(received == data, "received bytes differ from the sent ones");
    assert!(
        datagrams < (data.len() / 2048) as u64,
        "{datagrams} datagrams for {} bytes: not 9000-byte packets",
        data.len()
    );
    // A get_udp_mtu answer beyond what the configuration allows is capped at 2048 bytes.
    let (received, datagrams) = transfer_with_mtu(&data, 1402, Some(60_000));
    assert!(received == data, "received bytes differ from the sent ones");
    let at_2048 = data.len().div_ceil(2048 - 20) as u64;
    assert!(
        (at_2048..at_2048 + 20).contains(&datagrams),
        "{datagrams} datagrams for {} bytes: not capped 2048-byte packets",
        data.len()
    );
}
