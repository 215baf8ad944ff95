//! The tracker driven by notification sequences like the ones a kernel delivers.

use super::*;
use hark_wire::sctp::{
    AdaptationIndication, AssocChange, AssocChangeState, AssocFeature, AuthIndication,
    AuthenticationEvent, Layout, Notification, PartialDeliveryEvent, PdapiIndication,
    PeerAddrChange, PeerAddrState, SendFailedEvent, SendFailedFlags, SenderDryEvent, ShutdownEvent,
    SndInfo, SockAddr, StreamChangeEvent,
};
use std::time::{Duration, Instant};

fn sac(state: AssocChangeState, assoc_id: u32, info: &[u8]) -> Notification<'_> {
    Notification::AssocChange(AssocChange {
        sac_flags: 0,
        sac_state: state,
        sac_error: 0,
        sac_outbound_streams: 10,
        sac_inbound_streams: 5,
        sac_assoc_id: assoc_id,
        sac_info: info,
    })
}

fn paddr(assoc_id: u32, addr: &str, state: PeerAddrState) -> Notification<'static> {
    Notification::PeerAddrChange(PeerAddrChange {
        spc_flags: 0,
        spc_aaddr: SockAddr::V4(addr.parse().unwrap()),
        spc_state: state,
        spc_error: 0,
        spc_assoc_id: assoc_id,
    })
}

fn drain(tracker: &mut AssociationTracker) -> Vec<AssocEvent> {
    std::iter::from_fn(|| tracker.poll_event()).collect()
}

#[test]
fn up_then_graceful_shutdown() {
    let t0 = Instant::now();
    let mut tracker = AssociationTracker::new(Layout::Linux);
    tracker.handle_notification(t0, &sac(AssocChangeState::CommUp, 7, &[]));
    let t1 = t0 + Duration::from_millis(5);
    tracker.handle_notification(
        t1,
        &Notification::ShutdownEvent(ShutdownEvent {
            sse_flags: 0,
            sse_assoc_id: 7,
        }),
    );
    assert_eq!(
        tracker.association(7).unwrap().state,
        AssocState::ShuttingDown
    );
    assert_eq!(tracker.association(7).unwrap().since, t1);
    tracker.handle_notification(t1, &sac(AssocChangeState::ShutdownComp, 7, &[]));
    let assoc = tracker.association(7).unwrap();
    assert_eq!(assoc.state, AssocState::ShutDown);
    assert!(assoc.state.is_closed());
    assert_eq!((assoc.inbound_streams, assoc.outbound_streams), (5, 10));
    assert_eq!(
        drain(&mut tracker),
        vec![
            AssocEvent::Up {
                assoc_id: 7,
                inbound_streams: 5,
                outbound_streams: 10,
                restarted: false
            },
            AssocEvent::ShuttingDown { assoc_id: 7 },
            AssocEvent::Closed {
                assoc_id: 7,
                reason: CloseReason::ShutdownComplete,
                state: AssocState::ShutDown
            },
        ]
    );
}

#[test]
fn comm_lost_keeps_the_abort_causes_and_restart_revives() {
    let now = Instant::now();
    let mut tracker = AssociationTracker::new(Layout::Linux);
    tracker.handle_notification(now, &sac(AssocChangeState::CommUp, 1, &[]));
    let causes = [0, 12, 0, 8, b'b', b'y', b'e', 0];
    tracker.handle_notification(now, &sac(AssocChangeState::CommLost, 1, &causes));
    let assoc = tracker.association(1).unwrap();
    assert_eq!(assoc.state, AssocState::Lost);
    assert_eq!(
        assoc.close_reason,
        Some(CloseReason::Lost {
            error: 0,
            info: causes.to_vec()
        })
    );
    tracker.handle_notification(now, &sac(AssocChangeState::Restart, 1, &[]));
    let assoc = tracker.association(1).unwrap();
    assert_eq!(assoc.state, AssocState::Restarted);
    assert!(assoc.state.is_up() && assoc.close_reason.is_none());
    tracker.handle_notification(now, &sac(AssocChangeState::CantStrAssoc, 2, &[]));
    assert_eq!(tracker.association(2).unwrap().state, AssocState::CantStart);
}

#[test]
fn freebsd_comm_up_lists_features() {
    let mut tracker = AssociationTracker::new(Layout::FreeBsd);
    tracker.handle_notification(
        Instant::now(),
        &sac(AssocChangeState::CommUp, 4, &[1, 2, 5, 0x77]),
    );
    assert_eq!(
        tracker.association(4).unwrap().features,
        vec![
            AssocFeature::Pr,
            AssocFeature::Auth,
            AssocFeature::ReConfig,
            AssocFeature::Unknown(0x77)
        ]
    );
}

#[test]
fn peer_addresses_follow_their_states() {
    let now = Instant::now();
    let mut tracker = AssociationTracker::new(Layout::Linux);
    // Linux confirms addresses before COMM_UP reaches the socket: the entry starts Pending.
    tracker.handle_notification(now, &paddr(3, "127.0.0.1:9", PeerAddrState::Confirmed));
    assert_eq!(tracker.association(3).unwrap().state, AssocState::Pending);
    tracker.handle_notification(now, &paddr(3, "127.0.0.2:9", PeerAddrState::Added));
    tracker.handle_notification(now, &paddr(3, "127.0.0.1:9", PeerAddrState::Unreachable));
    let first = SockAddr::V4("127.0.0.1:9".parse().unwrap());
    let second = SockAddr::V4("127.0.0.2:9".parse().unwrap());
    let assoc = tracker.association(3).unwrap();
    assert_eq!(assoc.peer_state(&first), Some(PeerAddrState::Unreachable));
    assert_eq!(assoc.peer_state(&second), Some(PeerAddrState::Added));
    tracker.handle_notification(now, &paddr(3, "127.0.0.2:9", PeerAddrState::Removed));
    let assoc = tracker.association(3).unwrap();
    assert_eq!(assoc.peer_addresses.len(), 1);
    assert_eq!(assoc.peer_state(&second), None);
    assert_eq!(drain(&mut tracker).len(), 4);
}

#[test]
fn peer_address_list_is_bounded() {
    let now = Instant::now();
    let mut tracker = AssociationTracker::new(Layout::Linux);
    for port in 0..(MAX_PEER_ADDRESSES as u16 + 10) {
        tracker.handle_notification(
            now,
            &paddr(1, &format!("10.0.0.1:{port}"), PeerAddrState::Added),
        );
    }
    assert_eq!(
        tracker.association(1).unwrap().peer_addresses.len(),
        MAX_PEER_ADDRESSES
    );
}

#[test]
fn send_failure_hands_the_data_back_and_clears_dry() {
    let now = Instant::now();
    let mut tracker = AssociationTracker::new(Layout::Linux);
    tracker.handle_notification(
        now,
        &Notification::SenderDryEvent(SenderDryEvent {
            sender_dry_flags: 0,
            sender_dry_assoc_id: 9,
        }),
    );
    assert!(tracker.association(9).unwrap().sender_dry);
    let info = SndInfo {
        snd_sid: 2,
        snd_flags: 0,
        snd_ppid: 51,
        snd_context: 77,
        snd_assoc_id: 9,
    };
    tracker.handle_notification(
        now,
        &Notification::SendFailedEvent(SendFailedEvent {
            ssfe_flags: SendFailedFlags::DataUnsent,
            ssfe_error: 0,
            ssfe_info: info,
            ssfe_assoc_id: 9,
            ssfe_data: b"undelivered",
        }),
    );
    let assoc = tracker.association(9).unwrap();
    assert!(!assoc.sender_dry);
    assert_eq!(assoc.send_failures, 1);
    let events = drain(&mut tracker);
    assert_eq!(
        events.last(),
        Some(&AssocEvent::SendFailed {
            assoc_id: 9,
            failed: FailedSend {
                info,
                error: 0,
                was_sent: false,
                data: b"undelivered".to_vec()
            }
        })
    );
}

#[test]
fn adaptation_partial_delivery_auth_and_stream_change() {
    let now = Instant::now();
    let mut tracker = AssociationTracker::new(Layout::Linux);
    tracker.handle_notification(now, &sac(AssocChangeState::CommUp, 5, &[]));
    let events = [
        Notification::AdaptationIndication(AdaptationIndication {
            sai_flags: 0,
            sai_adaptation_ind: 0x0102_0304,
            sai_assoc_id: 5,
        }),
        Notification::PartialDeliveryEvent(PartialDeliveryEvent {
            pdapi_flags: 0,
            pdapi_indication: PdapiIndication::PartialDeliveryAborted,
            pdapi_stream: 3,
            pdapi_seq: 8,
            pdapi_assoc_id: 5,
        }),
        Notification::AuthenticationEvent(AuthenticationEvent {
            auth_flags: 0,
            auth_keynumber: 1,
            auth_altkeynumber: 0,
            auth_indication: AuthIndication::NewKey,
            auth_assoc_id: 5,
        }),
        Notification::StreamChangeEvent(StreamChangeEvent {
            strchange_flags: 0,
            strchange_assoc_id: 5,
            strchange_instrms: 0,
            strchange_outstrms: 2,
        }),
        // A refused request changes nothing.
        Notification::StreamChangeEvent(StreamChangeEvent {
            strchange_flags: 0x0004,
            strchange_assoc_id: 5,
            strchange_instrms: 0,
            strchange_outstrms: 9,
        }),
    ];
    for n in &events {
        tracker.handle_notification(now, n);
    }
    let assoc = tracker.association(5).unwrap();
    assert_eq!(assoc.adaptation_indication, Some(0x0102_0304));
    assert_eq!(assoc.partial_delivery_aborts, 1);
    assert_eq!(assoc.active_key, Some(1));
    // Linux reports the streams added: COMM_UP's 5 in / 10 out plus 2 out.
    assert_eq!((assoc.inbound_streams, assoc.outbound_streams), (5, 12));
    tracker.handle_notification(
        now,
        &Notification::AuthenticationEvent(AuthenticationEvent {
            auth_flags: 0,
            auth_keynumber: 1,
            auth_altkeynumber: 0,
            auth_indication: AuthIndication::FreeKey,
            auth_assoc_id: 5,
        }),
    );
    assert_eq!(tracker.association(5).unwrap().active_key, None);
    assert_eq!(drain(&mut tracker).len(), 7);

    let mut freebsd = AssociationTracker::new(Layout::FreeBsd);
    freebsd.handle_notification(
        now,
        &Notification::StreamChangeEvent(StreamChangeEvent {
            strchange_flags: 0,
            strchange_assoc_id: 5,
            strchange_instrms: 12,
            strchange_outstrms: 14,
        }),
    );
    let assoc = freebsd.association(5).unwrap();
    assert_eq!((assoc.inbound_streams, assoc.outbound_streams), (12, 14));
}

#[test]
fn parsed_kernel_bytes_drive_the_tracker() {
    // SCTP_SENDER_DRY_EVENT for association 3 as Linux delivers it on x86_64.
    let bytes = [
        0x09, 0x80, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00,
    ];
    let abi = hark_wire::sctp::Abi::with_endian(Layout::Linux, hark_wire::sctp::Endian::Little);
    let n = Notification::parse(&bytes, abi).unwrap();
    let mut tracker = AssociationTracker::new(Layout::Linux);
    tracker.handle_notification(Instant::now(), &n);
    assert_eq!(
        tracker.poll_event(),
        Some(AssocEvent::SenderDry { assoc_id: 3 })
    );
    assert_eq!(tracker.poll_event(), None);
}

#[test]
fn undrained_events_are_bounded_and_counted() {
    let now = Instant::now();
    let mut tracker = AssociationTracker::new(Layout::Linux);
    for _ in 0..MAX_EVENTS + 3 {
        tracker.handle_notification(
            now,
            &Notification::SenderDryEvent(SenderDryEvent {
                sender_dry_flags: 0,
                sender_dry_assoc_id: 1,
            }),
        );
    }
    assert_eq!(tracker.dropped_events(), 3);
    assert_eq!(drain(&mut tracker).len(), MAX_EVENTS);
}

#[test]
fn association_table_evicts_closed_first_then_refuses() {
    let now = Instant::now();
    let mut tracker = AssociationTracker::new(Layout::Linux);
    for id in 0..MAX_ASSOCIATIONS as u32 {
        tracker.handle_notification(now, &sac(AssocChangeState::CommUp, id, &[]));
    }
    drain(&mut tracker);
    tracker.handle_notification(now, &sac(AssocChangeState::CommUp, 99_999, &[]));
    assert_eq!(
        tracker.poll_event(),
        Some(AssocEvent::Untracked { assoc_id: 99_999 })
    );
    assert!(tracker.association(99_999).is_none());
    tracker.handle_notification(now, &sac(AssocChangeState::ShutdownComp, 17, &[]));
    tracker.handle_notification(now, &sac(AssocChangeState::CommUp, 99_999, &[]));
    assert!(tracker.association(17).is_none());
    assert!(tracker.association(99_999).is_some());
    assert_eq!(tracker.associations().count(), MAX_ASSOCIATIONS);
}
