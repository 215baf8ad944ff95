//! The dispatcher fed with notification bytes written by hark-wire's encoder (the Linux
//! layout the kernel uses); the socket path runs in the VM tests.

use super::*;
use hark_reactor::sctp::Received;
use hark_wire::sctp::{
    Abi, AssocChange, AssocChangeState, DictValue, Layout, Notification, NotificationDict,
    SenderDryEvent, SndInfo,
};
use std::time::Instant;

#[derive(Default)]
struct Recorder {
    sn_types: Vec<i64>,
    comm_up: Vec<u32>,
    dry: Vec<u32>,
    data: Vec<Vec<u8>>,
}

impl SctpHandler for Recorder {
    fn on_notification(&mut self, _ctx: &mut SctpContext<'_>, dict: &NotificationDict<'_>) {
        if let Some(DictValue::Int(t)) = dict.get("sn_type") {
            self.sn_types.push(*t);
        }
    }
    fn on_assoc_change(&mut self, ctx: &mut SctpContext<'_>, event: &AssocChange<'_>) {
        self.comm_up.push(event.sac_assoc_id);
        assert!(ctx.association(event.sac_assoc_id).unwrap().state.is_up());
        assert!(ctx.send(
            b"welcome".to_vec(),
            SndInfo {
                snd_assoc_id: event.sac_assoc_id,
                ..SndInfo::default()
            }
        ));
    }
    fn on_sender_dry(&mut self, _ctx: &mut SctpContext<'_>, event: &SenderDryEvent) {
        self.dry.push(event.sender_dry_assoc_id);
    }
    fn on_data(&mut self, _ctx: &mut SctpContext<'_>, message: &Received) {
        self.data.push(message.data.clone());
    }
}

fn notification(n: &Notification<'_>) -> Received {
    let abi = Abi::new(Layout::Linux);
    let mut buf = vec![0u8; n.buffer_len(Layout::Linux)];
    n.emit(&mut buf, abi).unwrap();
    Received {
        data: buf,
        from: None,
        rcvinfo: None,
        nxtinfo: None,
        flags: MSG_NOTIFICATION | MSG_EOR,
    }
}

/// Linux `MSG_EOR` (`<bits/socket.h>`) and `MSG_NOTIFICATION` (`linux/sctp.h`).
const MSG_EOR: i32 = 0x80;
const MSG_NOTIFICATION: i32 = 0x8000;

#[test]
fn callbacks_see_each_kind_and_queue_commands() {
    let mut dispatcher = SctpDispatcher::new(Recorder::default());
    let now = Instant::now();
    let up = Notification::AssocChange(AssocChange {
        sac_flags: 0,
        sac_state: AssocChangeState::CommUp,
        sac_error: 0,
        sac_outbound_streams: 4,
        sac_inbound_streams: 4,
        sac_assoc_id: 5,
        sac_info: &[],
    });
    let dry = Notification::SenderDryEvent(SenderDryEvent {
        sender_dry_flags: 0,
        sender_dry_assoc_id: 5,
    });
    dispatcher.handle_received(now, &notification(&up)).unwrap();
    dispatcher
        .handle_received(now, &notification(&dry))
        .unwrap();
    let data = Received {
        data: b"hello".to_vec(),
        from: None,
        rcvinfo: None,
        nxtinfo: None,
        flags: MSG_EOR,
    };
    dispatcher.handle_received(now, &data).unwrap();

    let rec = dispatcher.handler();
    assert_eq!(rec.sn_types, vec![0x8001, 0x8009]);
    assert_eq!((rec.comm_up.clone(), rec.dry.clone()), (vec![5], vec![5]));
    assert_eq!(rec.data, vec![b"hello".to_vec()]);
    assert!(dispatcher.tracker().association(5).unwrap().sender_dry);
    assert!(matches!(
        dispatcher.poll_event(),
        Some(hark_proto::sctp::AssocEvent::Up { assoc_id: 5, .. })
    ));
    assert_eq!(
        dispatcher.take_commands(),
        vec![SctpCommand::Send {
            data: b"welcome".to_vec(),
            info: SndInfo {
                snd_assoc_id: 5,
                ..SndInfo::default()
            }
        }]
    );
}

#[test]
fn hub_sees_sctp_events() {
    use crate::events::{EventHub, EventKind, SctpAssocUp, Severity};
    use std::sync::{Arc, Mutex};

    let hub = Arc::new(Mutex::new(
        EventHub::builder().min_severity(Severity::Debug).build(),
    ));
    let mut dispatcher = SctpDispatcher::with_hub(Recorder::default(), Arc::clone(&hub));
    let up = Notification::AssocChange(AssocChange {
        sac_flags: 0,
        sac_state: AssocChangeState::CommUp,
        sac_error: 0,
        sac_outbound_streams: 4,
        sac_inbound_streams: 3,
        sac_assoc_id: 8,
        sac_info: &[],
    });
    dispatcher
        .handle_received(Instant::now(), &notification(&up))
        .unwrap();
    let mut hub = hub.lock().unwrap();
    let first = hub.poll_event().unwrap();
    assert_eq!(first.kind.name(), "sctp_notification");
    let second = hub.poll_event().unwrap();
    assert_eq!(
        second.kind,
        EventKind::from(SctpAssocUp {
            assoc_id: 8,
            inbound_streams: 3,
            outbound_streams: 4,
            restarted: false
        })
    );
    assert_eq!(
        second.message(),
        "SCTP association 8 is up with 3 inbound and 4 outbound streams."
    );
    assert!(hub.poll_event().is_none());
}

#[test]
fn malformed_notification_is_a_typed_error() {
    let mut dispatcher = SctpDispatcher::new(Recorder::default());
    let bad = Received {
        data: vec![0x01, 0x80, 0, 0, 0x40, 0, 0, 0],
        from: None,
        rcvinfo: None,
        nxtinfo: None,
        flags: MSG_NOTIFICATION | MSG_EOR,
    };
    assert!(matches!(
        dispatcher.handle_received(Instant::now(), &bad),
        Err(SctpDispatchError::Parse(_))
    ));
    assert!(dispatcher.handler().sn_types.is_empty());
}

#[test]
fn loop_without_kernel_sctp_is_unsupported() {
    use hark_reactor::sctp::{Domain, SctpError, SocketStyle};

    let mut sctp_loop = SctpLoop::<Recorder>::new(SctpLoopConfig::default()).unwrap();
    let mut open = SctpOpen::new(Domain::Ipv4, SocketStyle::OneToMany);
    open.bind = vec!["127.0.0.1:0".parse().unwrap()];
    open.listen = Some(8);
    match sctp_loop.open(&open, SctpDispatcher::new(Recorder::default())) {
        Err(SctpError::Unsupported { operation, .. }) => assert_eq!(operation, "socket"),
        Err(other) => panic!("expected Unsupported, got {other}"),
        // A kernel with SCTP (the VM tests cover this path): the socket is on the loop.
        Ok((id, _)) => assert!(sctp_loop.socket(id).is_some()),
    }
    let mut listener = SctpOpen::new(Domain::Ipv4, SocketStyle::OneToOne);
    listener.listen = Some(8);
    let accept = |_peer| Some(SctpDispatcher::new(Recorder::default()));
    match sctp_loop.open_listener(&listener, accept) {
        Err(SctpError::Unsupported { operation, .. }) => assert_eq!(operation, "socket"),
        Err(other) => panic!("expected Unsupported, got {other}"),
        Ok(id) => assert!(sctp_loop.socket(id).is_some()),
    }
}

#[test]
fn loop_stops_from_another_thread() {
    let sctp_loop = SctpLoop::<Recorder>::with_config(hark_reactor::ReactorConfig {
        command_capacity: 2,
        ..hark_reactor::ReactorConfig::default()
    })
    .unwrap();
    let handle: SctpLoopHandle<Recorder> = sctp_loop.handle();
    let thread = std::thread::spawn(move || sctp_loop.run());
    // A message for a socket the loop does not have is ignored.
    let message = Outgoing {
        data: b"nobody".to_vec(),
        to: None,
        info: SndInfo::default(),
    };
    while let Err(SctpHandleError::Busy) = handle.send(SctpSocketId(7), message.clone()) {
        std::thread::yield_now();
    }
    while let Err(SctpHandleError::Busy) = handle.shutdown() {
        std::thread::yield_now();
    }
    thread.join().unwrap().unwrap();
    assert!(matches!(
        handle.shutdown(),
        Err(SctpHandleError::ReactorGone)
    ));
}

/// Sends until refused, then pauses until `Unthrottled` (what `SctpContext::send` says).
#[derive(Default)]
struct Flooder {
    sent: usize,
    paused: bool,
    pressure: Vec<&'static str>,
}

impl Flooder {
    fn pump(&mut self, ctx: &mut SctpContext<'_>) {
        self.paused = false;
        while self.sent < 3 * MAX_COMMANDS {
            if !ctx.send(vec![0; 4], SndInfo::default()) {
                self.paused = true;
                return;
            }
            self.sent += 1;
        }
    }
}

impl SctpHandler for Flooder {
    fn on_loop_event(&mut self, ctx: &mut SctpContext<'_>, event: &SctpLoopEvent) {
        match event {
            SctpLoopEvent::Eof => self.pump(ctx),
            SctpLoopEvent::Throttled => self.pressure.push("throttled"),
            SctpLoopEvent::Unthrottled => {
                self.pressure.push("unthrottled");
                if self.paused {
                    self.pump(ctx);
                }
            }
            _ => {}
        }
    }
}

#[test]
fn a_refused_send_is_followed_by_unthrottled_once_the_queue_went_to_the_loop() {
    use hark_reactor::sctp::SctpDriver;
    let mut dispatcher = SctpDispatcher::new(Flooder::default());
    SctpDriver::handle_loop_event(&mut dispatcher, Instant::now(), SctpLoopEvent::Eof);
    assert_eq!(dispatcher.handler().pressure, ["throttled"]);
    assert_eq!(dispatcher.handler().sent, MAX_COMMANDS);
    // The loop takes everything (the kernel never blocks): the writer still hears back.
    let mut taken = 0;
    while SctpDriver::poll_send(&mut dispatcher).is_some() {
        taken += 1;
    }
    assert_eq!(taken, 3 * MAX_COMMANDS);
    let pressure = &dispatcher.handler().pressure;
    // The third round fits exactly: no refusal, so no third throttle.
    assert_eq!(
        pressure,
        &["throttled", "unthrottled", "throttled", "unthrottled"]
    );
}

#[test]
fn loop_backpressure_and_refusals_merge_into_alternating_events() {
    use hark_reactor::sctp::SctpDriver;
    let mut dispatcher = SctpDispatcher::new(Flooder::default());
    let now = Instant::now();
    SctpDriver::handle_loop_event(&mut dispatcher, now, SctpLoopEvent::Throttled);
    SctpDriver::handle_loop_event(&mut dispatcher, now, SctpLoopEvent::Eof);
    assert_eq!(dispatcher.handler().pressure, ["throttled"]);
    for _ in 0..MAX_COMMANDS {
        assert!(SctpDriver::poll_send(&mut dispatcher).is_some());
    }
    // The queue drained but the kernel is still full: no unthrottled yet.
    assert_eq!(dispatcher.handler().pressure, ["throttled"]);
    assert!(SctpDriver::poll_send(&mut dispatcher).is_none());
    SctpDriver::handle_loop_event(&mut dispatcher, now, SctpLoopEvent::Unthrottled);
    // The writer resumed at once, and was refused again.
    assert_eq!(
        dispatcher.handler().pressure,
        ["throttled", "unthrottled", "throttled"]
    );
    assert_eq!(dispatcher.handler().sent, 2 * MAX_COMMANDS);
}
