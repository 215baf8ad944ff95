//! How a uTP facade user learns that a connection ended: `on_fin_acked` (every byte the
//! sender wrote arrived) well before `UTP_STATE_DESTROYING`, which waits out the linger,
//! and an info-level `utp_closed` hub event for every connection's end.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hark::events::{DisconnectReason, Event, EventHub, Severity, UtpClosed};
use hark::utp::{
    Callbacks, ConnectionConfig, EndpointConfig, UtpContext, UtpErrorCode, UtpReactor, UtpState,
};

const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const WAIT: Duration = Duration::from_secs(20);

type Seen = Arc<Mutex<Vec<(String, Option<DisconnectReason>)>>>;

/// A hub at info level that records the name of every event it lets through, and the
/// reason of each `utp_closed`.
fn info_hub(seen: &Seen) -> EventHub {
    let (all, closed) = (Arc::clone(seen), Arc::clone(seen));
    EventHub::builder()
        .min_severity(Severity::Info)
        .on_all(move |event: &Event| all.lock().unwrap().push((event.name().into(), None)))
        .on_utp_closed(move |_: &Event, c: &UtpClosed| {
            closed
                .lock()
                .unwrap()
                .push(("reason".into(), Some(c.reason)));
        })
        .build()
}

/// A receiver that closes on EOF and reports each socket's destruction.
fn receiver(hub: EventHub, destroyed: Sender<()>) -> UtpReactor {
    let callbacks =
        Callbacks::new()
            .on_accept(|_, _, _| {})
            .on_state_change(move |cx, socket, state| match state {
                UtpState::Eof => cx.close(socket),
                UtpState::Destroying => {
                    let _ = destroyed.send(());
                }
                _ => {}
            });
    UtpReactor::bind_range(
        UtpContext::builder().callbacks(callbacks).hub(hub),
        LOCALHOST,
        [0],
    )
    .unwrap()
}

/// What the sender saw, in order, with the time.
#[derive(Debug)]
enum Step {
    FinAcked {
        unacknowledged: usize,
        fin_acked: bool,
    },
    Destroying,
}

/// A sender writing `len` bytes from its callbacks and closing; its steps arrive on the
/// returned channel.
fn sender(
    len: usize,
    hub: EventHub,
    server: SocketAddr,
) -> (UtpReactor, Receiver<(Instant, Step)>) {
    let (tx, rx) = mpsc::channel();
    let data = Arc::new(vec![5u8; len]);
    let offset = Arc::new(Mutex::new(0usize));
    let pump = move |cx: &mut hark::utp::ContextHandle<'_>, socket| {
        let mut offset = offset.lock().unwrap();
        while *offset < data.len() {
            match cx.write(socket, &data[*offset..]) {
                0 => return,
                n => *offset += n,
            }
        }
        cx.close(socket);
    };
    let pump_again = pump.clone();
    let (fin_tx, state_tx) = (tx.clone(), tx);
    let callbacks = Callbacks::new()
        .on_connect(move |cx, socket| pump(cx, socket))
        .on_fin_acked(move |cx, socket| {
            let info = cx.info(socket).expect("live socket");
            let step = Step::FinAcked {
                unacknowledged: info.unacknowledged_packets,
                fin_acked: info.fin_acked,
            };
            let _ = fin_tx.send((Instant::now(), step));
        })
        .on_state_change(move |cx, socket, state| match state {
            UtpState::Writable => pump_again(cx, socket),
            UtpState::Destroying => {
                let _ = state_tx.send((Instant::now(), Step::Destroying));
            }
            _ => {}
        });
    let client = UtpReactor::bind_range(
        UtpContext::builder().callbacks(callbacks).hub(hub),
        LOCALHOST,
        [0],
    )
    .unwrap();
    client.remote().connect(server).unwrap();
    (client, rx)
}

#[test]
fn the_sender_hears_on_fin_acked_a_linger_before_destroying() {
    let linger = ConnectionConfig::default().linger;
    assert_eq!(linger, Duration::from_secs(2), "the documented default");
    let (destroyed_tx, destroyed_rx) = mpsc::channel();
    let server = receiver(EventHub::default(), destroyed_tx);
    let (client, steps) = sender(3_000_000, EventHub::default(), server.local_addr());

    let (acked_at, step) = steps.recv_timeout(WAIT).expect("a first step");
    match step {
        Step::FinAcked {
            unacknowledged,
            fin_acked,
        } => {
            assert_eq!(unacknowledged, 0, "every packet is acknowledged");
            assert!(fin_acked);
        }
        Step::Destroying => panic!("DESTROYING came before on_fin_acked"),
    }
    let (destroyed_at, step) = steps.recv_timeout(WAIT).expect("a second step");
    assert!(matches!(step, Step::Destroying), "{step:?}");
    // The linger starts when both FINs are acknowledged, which is after ours was.
    assert!(
        destroyed_at - acked_at >= linger,
        "DESTROYING came {:?} after on_fin_acked, within the {linger:?} linger",
        destroyed_at - acked_at
    );
    destroyed_rx
        .recv_timeout(WAIT)
        .expect("server side destroyed");
    drop(client.stop().unwrap());
    drop(server.stop().unwrap());
}

#[test]
fn a_hub_at_info_sees_utp_connections_close_with_their_reason() {
    let (server_seen, client_seen) = (Seen::default(), Seen::default());
    let (destroyed_tx, destroyed_rx) = mpsc::channel();
    let server = receiver(info_hub(&server_seen), destroyed_tx);
    let (client, steps) = sender(100_000, info_hub(&client_seen), server.local_addr());
    while !matches!(
        steps.recv_timeout(WAIT).expect("sender steps").1,
        Step::Destroying
    ) {}
    destroyed_rx
        .recv_timeout(WAIT)
        .expect("server side destroyed");
    let client_context = client.stop().unwrap();
    let server_context = server.stop().unwrap();
    drop((client_context, server_context));

    let names = |seen: &Seen| -> Vec<String> {
        seen.lock()
            .unwrap()
            .iter()
            .map(|(n, _)| n.clone())
            .collect()
    };
    let reasons = |seen: &Seen| -> Vec<DisconnectReason> {
        seen.lock()
            .unwrap()
            .iter()
            .filter_map(|(_, r)| *r)
            .collect()
    };
    let (client_names, server_names) = (names(&client_seen), names(&server_seen));
    assert!(
        client_names.contains(&"utp_connect".to_string()),
        "{client_names:?}"
    );
    assert!(
        client_names.contains(&"utp_closed".to_string()),
        "{client_names:?}"
    );
    assert!(
        server_names.contains(&"utp_accept".to_string()),
        "{server_names:?}"
    );
    assert!(
        server_names.contains(&"utp_closed".to_string()),
        "{server_names:?}"
    );
    for debug_kind in ["utp_eof", "utp_destroying", "utp_fin_acked"] {
        assert!(
            !client_names
                .iter()
                .chain(&server_names)
                .any(|n| n == debug_kind)
        );
    }
    assert_eq!(reasons(&client_seen), [DisconnectReason::ClosedLocally]);
    assert_eq!(reasons(&server_seen), [DisconnectReason::ClosedByPeer]);
}

#[test]
fn a_refused_connection_closes_with_reset_at_info() {
    // A context without on_accept refuses every SYN with a RESET.
    let refuser = UtpReactor::bind_range(UtpContext::builder(), LOCALHOST, [0]).unwrap();
    let seen = Seen::default();
    let (error_tx, error_rx) = mpsc::channel();
    let mut config = EndpointConfig::default();
    config.connection.initial_rto = Duration::from_millis(200);
    let client = UtpReactor::bind_range(
        UtpContext::builder()
            .endpoint_config(config)
            .hub(info_hub(&seen))
            .callbacks(Callbacks::new().on_error(move |_, _, code| {
                let _ = error_tx.send(code);
            })),
        LOCALHOST,
        [0],
    )
    .unwrap();
    client.remote().connect(refuser.local_addr()).unwrap();
    assert_eq!(
        error_rx.recv_timeout(WAIT).unwrap(),
        UtpErrorCode::ConnRefused
    );
    drop(client.stop().unwrap());
    let reasons: Vec<_> = seen
        .lock()
        .unwrap()
        .iter()
        .filter_map(|(_, r)| *r)
        .collect();
    assert_eq!(reasons, [DisconnectReason::Reset]);
}
