//! Byte vectors for every SCTP notification kind and socket struct, in both layouts.
//!
//! Provenance: `vectors/sctp_linux.txt` and `vectors/sctp_freebsd.txt` are the output of
//! `tools/sctp-vectors/{linux,freebsd}_vectors.c` (run with `make -C tools/sctp-vectors`),
//! C programs compiled on x86_64 Debian against the real headers — Debian linux-libc-dev's
//! `/usr/include/linux/sctp.h` and libusrsctp-dev 0.9.5.0's `/usr/include/usrsctp.h` (plus
//! `sctp_sndrcvinfo`/`sctp_send_failed`/BSD `sockaddr_in{,6}` transcribed from freebsd-src) —
//! that zero each struct, fill it with the values repeated below, and print its bytes, its
//! `sizeof` and the header constants. The bytes are little-endian host order.
//!
//! For FreeBSD's `sctp_pdapi_event` and `sctp_authkey_event` the C program uses FreeBSD's
//! `sctp_uio.h` rather than usrsctp.h, whose declarations disagree with the bytes the
//! usrsctp library really sends (see `sctp_usrsctp_recorded.rs`).

use hark_wire::sctp::*;
use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};

struct Dump {
    vectors: HashMap<String, Vec<u8>>,
    sizes: HashMap<String, usize>,
    consts: HashMap<String, i64>,
}

fn hex(s: &str) -> Vec<u8> {
    assert!(s.len() % 2 == 0, "odd hex");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex digit"))
        .collect()
}

fn load(text: &str) -> Dump {
    let mut d = Dump {
        vectors: HashMap::new(),
        sizes: HashMap::new(),
        consts: HashMap::new(),
    };
    for line in text.lines() {
        let parts: Vec<&str> = line.split_whitespace().collect();
        match parts.as_slice() {
            ["vector", _, name, bytes] => {
                d.vectors.insert(name.to_string(), hex(bytes));
            }
            ["sizeof", _, name, n] => {
                d.sizes.insert(name.to_string(), n.parse().unwrap());
            }
            ["const", _, name, v] => {
                d.consts.insert(name.to_string(), v.parse().unwrap());
            }
            ["offsetof", ..] => {}
            other => panic!("unexpected line {other:?}"),
        }
    }
    d
}

fn linux() -> Dump {
    load(include_str!("vectors/sctp_linux.txt"))
}

fn freebsd() -> Dump {
    load(include_str!("vectors/sctp_freebsd.txt"))
}

fn abi(layout: Layout) -> Abi {
    Abi::with_endian(layout, Endian::Little)
}

const PAYLOAD: &[u8] = b"hello";

/// The values the C programs put in each notification (see the `.c` files).
fn expected_notifications(layout: Layout) -> Vec<(&'static str, Notification<'static>)> {
    let fbsd = layout == Layout::FreeBsd;
    let mut v = vec![
        (
            "assoc_change_comm_up",
            Notification::AssocChange(AssocChange {
                sac_flags: 0,
                sac_state: AssocChangeState::CommUp,
                sac_error: 0,
                sac_outbound_streams: 10,
                sac_inbound_streams: 65535,
                sac_assoc_id: 3,
                sac_info: if fbsd { &[1, 2, 3, 4] } else { &[] },
            }),
        ),
        (
            "peer_addr_change_v4",
            Notification::PeerAddrChange(PeerAddrChange {
                spc_flags: 0,
                spc_aaddr: SockAddr::V4(SocketAddrV4::new(Ipv4Addr::new(192, 0, 2, 1), 5000)),
                spc_state: PeerAddrState::Unreachable,
                spc_error: 0,
                spc_assoc_id: 42,
            }),
        ),
        (
            "peer_addr_change_v6",
            Notification::PeerAddrChange(PeerAddrChange {
                spc_flags: 0,
                spc_aaddr: SockAddr::V6(SocketAddrV6::new(
                    "2001:db8::1".parse::<Ipv6Addr>().unwrap(),
                    5001,
                    0x12345,
                    2,
                )),
                spc_state: PeerAddrState::MadePrim,
                spc_error: 0,
                spc_assoc_id: 43,
            }),
        ),
        (
            "remote_error",
            Notification::RemoteError(RemoteError {
                sre_flags: 0,
                sre_error: 6,
                sre_assoc_id: 5,
                sre_data: &[0xde, 0xad, 0xbe, 0xef, 0x01],
            }),
        ),
        (
            "send_failed",
            Notification::SendFailed(SendFailed {
                ssf_flags: SendFailedFlags::DataSent,
                ssf_error: 0x10,
                ssf_info: SndRcvInfo {
                    sinfo_stream: 1,
                    sinfo_ssn: 2,
                    sinfo_flags: if fbsd { 0x0400 } else { 1 },
                    sinfo_ppid: 51,
                    sinfo_context: 0xabcdef01,
                    sinfo_timetolive: 3000,
                    sinfo_tsn: 0x11223344,
                    sinfo_cumtsn: 0x11223340,
                    sinfo_assoc_id: 6,
                    sinfo_keynumber: u16::from(fbsd),
                    sinfo_keynumber_valid: u16::from(fbsd),
                },
                ssf_assoc_id: 6,
                ssf_data: PAYLOAD,
            }),
        ),
        (
            "send_failed_event",
            Notification::SendFailedEvent(SendFailedEvent {
                ssfe_flags: SendFailedFlags::DataUnsent,
                ssfe_error: 0,
                ssfe_info: SndInfo {
                    snd_sid: 7,
                    snd_flags: if fbsd { 0x0400 } else { 1 },
                    snd_ppid: 53,
                    snd_context: 99,
                    snd_assoc_id: 8,
                },
                ssfe_assoc_id: 8,
                ssfe_data: PAYLOAD,
            }),
        ),
        (
            "shutdown_event",
            Notification::ShutdownEvent(ShutdownEvent {
                sse_flags: 0,
                sse_assoc_id: 9,
            }),
        ),
        (
            "adaptation_indication",
            Notification::AdaptationIndication(AdaptationIndication {
                sai_flags: 0,
                sai_adaptation_ind: 0x01020304,
                sai_assoc_id: 10,
            }),
        ),
        (
            "partial_delivery_event",
            Notification::PartialDeliveryEvent(PartialDeliveryEvent {
                pdapi_flags: 0,
                pdapi_indication: PdapiIndication::PartialDeliveryAborted,
                pdapi_stream: 4,
                pdapi_seq: 77,
                pdapi_assoc_id: 11,
            }),
        ),
        (
            "authentication_event",
            Notification::AuthenticationEvent(AuthenticationEvent {
                auth_flags: 0,
                auth_keynumber: 2,
                auth_altkeynumber: 1,
                auth_indication: AuthIndication::FreeKey,
                auth_assoc_id: 12,
            }),
        ),
        (
            "sender_dry_event",
            Notification::SenderDryEvent(SenderDryEvent {
                sender_dry_flags: 0,
                sender_dry_assoc_id: 3,
            }),
        ),
        (
            "stream_reset_event",
            Notification::StreamResetEvent(StreamResetEvent {
                strreset_flags: 2,
                strreset_assoc_id: 13,
                strreset_stream_list: StreamList::new(&[1, 0, 2, 0, 0xf4, 0x01], Endian::Little)
                    .unwrap(),
            }),
        ),
        (
            "assoc_reset_event",
            Notification::AssocResetEvent(AssocResetEvent {
                assocreset_flags: 4,
                assocreset_assoc_id: 14,
                assocreset_local_tsn: 0xa0a0a0a0,
                assocreset_remote_tsn: 0x0b0b0b0b,
            }),
        ),
        (
            "stream_change_event",
            Notification::StreamChangeEvent(StreamChangeEvent {
                strchange_flags: 0,
                strchange_assoc_id: 15,
                strchange_instrms: 20,
                strchange_outstrms: 30,
            }),
        ),
    ];
    let lost = |name, info: &'static [u8]| {
        (
            name,
            Notification::AssocChange(AssocChange {
                sac_flags: 0,
                sac_state: AssocChangeState::CommLost,
                sac_error: 0x000c,
                sac_outbound_streams: 0,
                sac_inbound_streams: 0,
                sac_assoc_id: 0xffff_fff9,
                sac_info: info,
            }),
        )
    };
    match layout {
        Layout::Linux => v.push(lost(
            "assoc_change_comm_lost_causes",
            &[0x00, 0x0c, 0x00, 0x04],
        )),
        Layout::FreeBsd => {
            v.push(lost(
                "assoc_change_comm_lost_abort",
                &[0x06, 0x00, 0x00, 0x08, 0x00, 0x0c, 0x00, 0x04],
            ));
            v.push((
                "notifications_stopped_event",
                Notification::NotificationsStoppedEvent(NotificationsStoppedEvent { sn_flags: 0 }),
            ));
        }
    }
    v
}

fn check_notifications(dump: &Dump, layout: Layout) {
    let expected = expected_notifications(layout);
    assert_eq!(
        expected.len(),
        dump.vectors
            .keys()
            .filter(|k| !k.starts_with("sctp_"))
            .count(),
        "every notification vector has an expected value"
    );
    for (name, want) in expected {
        let bytes = &dump.vectors[name];
        let got = Notification::parse(bytes, abi(layout))
            .unwrap_or_else(|e| panic!("{layout:?} {name}: {e}"));
        assert_eq!(got, want, "{layout:?} {name}: parse");
        assert_eq!(
            want.buffer_len(layout),
            bytes.len(),
            "{layout:?} {name}: buffer_len"
        );
        let mut out = vec![0xaa; bytes.len()];
        assert_eq!(want.emit(&mut out, abi(layout)), Ok(bytes.len()));
        assert_eq!(&out, bytes, "{layout:?} {name}: emit");
    }
}

#[test]
fn linux_notifications_match_the_c_structs() {
    check_notifications(&linux(), Layout::Linux);
}

#[test]
fn freebsd_notifications_match_the_c_structs() {
    check_notifications(&freebsd(), Layout::FreeBsd);
}

fn check_struct<T: PartialEq + core::fmt::Debug>(
    dump: &Dump,
    layout: Layout,
    name: &str,
    want: T,
    parse: fn(&[u8], Abi) -> Result<T, ParseError>,
    emit: fn(&T, &mut [u8], Abi) -> Result<usize, EmitError>,
) {
    let bytes = &dump.vectors[name];
    assert_eq!(
        parse(bytes, abi(layout)).as_ref(),
        Ok(&want),
        "{layout:?} {name}: parse"
    );
    let mut out = vec![0xaa; bytes.len()];
    assert_eq!(emit(&want, &mut out, abi(layout)), Ok(bytes.len()));
    assert_eq!(
        &out, bytes,
        "{layout:?} {name}: emit (padding must be zero)"
    );
    let short = &bytes[..bytes.len() - 1];
    assert!(matches!(
        parse(short, abi(layout)),
        Err(ParseError::Truncated { .. })
    ));
    let mut small = vec![0; bytes.len() - 1];
    assert_eq!(
        emit(&want, &mut small, abi(layout)),
        Err(EmitError::BufferTooSmall {
            required: bytes.len()
        })
    );
}

fn check_structs(dump: &Dump, layout: Layout) {
    let fbsd = layout == Layout::FreeBsd;
    check_struct(
        dump,
        layout,
        "sctp_event",
        SctpEvent::new(3, NotificationType::SenderDryEvent, true, layout).unwrap(),
        SctpEvent::parse,
        |v, b, a| v.emit(b, a),
    );
    let mut sub = EventSubscribe {
        sctp_data_io_event: 1,
        sctp_association_event: 1,
        sctp_shutdown_event: 1,
        sctp_sender_dry_event: 1,
        ..EventSubscribe::default()
    };
    if fbsd {
        sub.sctp_stream_reset_event = 1;
    } else {
        sub.sctp_send_failure_event_event = 1;
    }
    check_struct(
        dump,
        layout,
        "sctp_event_subscribe",
        sub,
        EventSubscribe::parse,
        |v, b, a| v.emit(b, a),
    );
    check_struct(
        dump,
        layout,
        "sctp_sndinfo",
        SndInfo {
            snd_sid: 2,
            snd_flags: if fbsd { 0x4400 } else { 9 },
            snd_ppid: 51,
            snd_context: 0xdeadbeef,
            snd_assoc_id: 4,
        },
        SndInfo::parse,
        |v, b, a| v.emit(b, a),
    );
    check_struct(
        dump,
        layout,
        "sctp_rcvinfo",
        RcvInfo {
            rcv_sid: 3,
            rcv_ssn: 9,
            rcv_flags: if fbsd { 0x0400 } else { 1 },
            rcv_ppid: 50,
            rcv_tsn: 1000,
            rcv_cumtsn: 999,
            rcv_context: 7,
            rcv_assoc_id: 5,
        },
        RcvInfo::parse,
        |v, b, a| v.emit(b, a),
    );
    check_struct(
        dump,
        layout,
        "sctp_nxtinfo",
        NxtInfo {
            nxt_sid: 4,
            nxt_flags: if fbsd { 3 } else { 1 },
            nxt_ppid: 52,
            nxt_length: 1400,
            nxt_assoc_id: 6,
        },
        NxtInfo::parse,
        |v, b, a| v.emit(b, a),
    );
    check_struct(
        dump,
        layout,
        "sctp_sndrcvinfo",
        SndRcvInfo {
            sinfo_stream: 5,
            sinfo_ssn: 6,
            sinfo_flags: if fbsd { 0x0400 } else { 1 },
            sinfo_ppid: 51,
            sinfo_context: 8,
            sinfo_timetolive: 9,
            sinfo_tsn: 10,
            sinfo_cumtsn: 11,
            sinfo_assoc_id: 12,
            sinfo_keynumber: if fbsd { 3 } else { 0 },
            sinfo_keynumber_valid: u16::from(fbsd),
        },
        SndRcvInfo::parse,
        |v, b, a| v.emit(b, a),
    );
    check_struct(
        dump,
        layout,
        "sctp_initmsg",
        InitMsg {
            sinit_num_ostreams: 10,
            sinit_max_instreams: 20,
            sinit_max_attempts: 4,
            sinit_max_init_timeo: 60000,
        },
        InitMsg::parse,
        |v, b, a| v.emit(b, a),
    );
}

#[test]
fn linux_structs_match_the_c_structs() {
    check_structs(&linux(), Layout::Linux);
}

#[test]
fn freebsd_structs_match_the_c_structs() {
    check_structs(&freebsd(), Layout::FreeBsd);
}

fn check_sizes(dump: &Dump, layout: Layout) {
    let c_name = |kind: NotificationType| match (kind, layout) {
        (NotificationType::AssocChange, _) => "sctp_assoc_change",
        (NotificationType::PeerAddrChange, _) => "sctp_paddr_change",
        (NotificationType::RemoteError, _) => "sctp_remote_error",
        (NotificationType::SendFailed, Layout::Linux) => "sctp_send_failed",
        (NotificationType::SendFailed, Layout::FreeBsd) => "fbsd_sctp_send_failed",
        (NotificationType::ShutdownEvent, _) => "sctp_shutdown_event",
        (NotificationType::AdaptationIndication, _) => "sctp_adaptation_event",
        (NotificationType::PartialDeliveryEvent, Layout::Linux) => "sctp_pdapi_event",
        (NotificationType::PartialDeliveryEvent, Layout::FreeBsd) => "fbsd_sctp_pdapi_event",
        (NotificationType::AuthenticationEvent, Layout::Linux) => "sctp_authkey_event",
        (NotificationType::AuthenticationEvent, Layout::FreeBsd) => "fbsd_sctp_authkey_event",
        (NotificationType::SenderDryEvent, _) => "sctp_sender_dry_event",
        (NotificationType::NotificationsStoppedEvent, _) => "sctp_tlv",
        (NotificationType::SendFailedEvent, _) => "sctp_send_failed_event",
        (NotificationType::StreamResetEvent, _) => "sctp_stream_reset_event",
        (NotificationType::AssocResetEvent, _) => "sctp_assoc_reset_event",
        (NotificationType::StreamChangeEvent, _) => "sctp_stream_change_event",
    };
    for kind in NotificationType::ALL {
        let Some(len) = Notification::fixed_len(kind, layout) else {
            assert_eq!(kind, NotificationType::NotificationsStoppedEvent);
            assert_eq!(layout, Layout::Linux);
            continue;
        };
        if kind == NotificationType::NotificationsStoppedEvent {
            assert_eq!(len, HEADER_LEN);
            continue;
        }
        assert_eq!(
            Some(&len),
            dump.sizes.get(c_name(kind)),
            "{layout:?} sizeof {kind}"
        );
    }
    let sndrcv = if layout == Layout::Linux {
        "sctp_sndrcvinfo"
    } else {
        "fbsd_sctp_sndrcvinfo"
    };
    assert_eq!(dump.sizes[sndrcv], SndRcvInfo::buffer_len(layout));
    assert_eq!(dump.sizes["sctp_event"], SctpEvent::buffer_len(layout));
    assert_eq!(
        dump.sizes["sctp_event_subscribe"],
        EventSubscribe::buffer_len(layout)
    );
    assert_eq!(dump.sizes["sctp_sndinfo"], SndInfo::buffer_len(layout));
    assert_eq!(dump.sizes["sctp_rcvinfo"], RcvInfo::buffer_len(layout));
    assert_eq!(dump.sizes["sctp_nxtinfo"], NxtInfo::buffer_len(layout));
    assert_eq!(dump.sizes["sctp_initmsg"], InitMsg::buffer_len(layout));
}

#[test]
fn sizes_match_sizeof() {
    check_sizes(&linux(), Layout::Linux);
    check_sizes(&freebsd(), Layout::FreeBsd);
}

fn check_constants(dump: &Dump, layout: Layout) {
    let mut checked = 0;
    for c in Constant::ALL {
        match (dump.consts.get(c.name()), c.value(layout)) {
            (Some(&header), Some(ours)) => {
                assert_eq!(header, ours, "{layout:?} {}", c.name());
                checked += 1;
            }
            (None, None) => {}
            (header, ours) => panic!("{layout:?} {}: header {header:?}, hark {ours:?}", c.name()),
        }
    }
    // Linux lacks the four SCTP_ASSOC_SUPPORTS_* and SCTP_NOTIFICATIONS_STOPPED_EVENT.
    let defined = if layout == Layout::Linux { 27 } else { 32 };
    assert_eq!(checked, defined, "{layout:?}: constants checked");
    assert_eq!(Constant::ALL.len(), 32);
    // Values hark names beyond the seed's list.
    assert_eq!(
        dump.consts.get("SCTP_ADDR_CONFIRMED").copied(),
        PeerAddrState::Confirmed.to_raw(layout).map(i64::from)
    );
    assert_eq!(
        dump.consts.get("SCTP_ADDR_POTENTIALLY_FAILED").copied(),
        PeerAddrState::PotentiallyFailed
            .to_raw(layout)
            .map(i64::from)
    );
    assert_eq!(
        dump.consts.get("SCTP_SEND_FAILED").copied(),
        NotificationType::SendFailed.to_raw(layout).map(i64::from)
    );
    for kind in [
        NotificationType::StreamResetEvent,
        NotificationType::AssocResetEvent,
        NotificationType::StreamChangeEvent,
    ] {
        assert_eq!(
            dump.consts.get(kind.name()).copied(),
            kind.to_raw(layout).map(i64::from)
        );
    }
}

#[test]
fn constants_match_the_headers() {
    check_constants(&linux(), Layout::Linux);
    check_constants(&freebsd(), Layout::FreeBsd);
    let f = freebsd();
    assert_eq!(f.consts["SCTP_ASSOC_SUPPORTS_RE_CONFIG"], 5);
    assert_eq!(AssocFeature::ReConfig.to_raw(Layout::FreeBsd), Some(5));
    assert_eq!(AssocFeature::Interleaving.to_raw(Layout::FreeBsd), Some(6));
}
