//! Behaviour tests: the length check, typed errors, the pysctp dictionary keys, `sac_info`
//! classification and the bounded assembler. Bytes come from `vectors/` (see
//! `sctp_vectors.rs` for their provenance).

use hark_wire::sctp::*;

fn vector(file: &str, name: &str) -> Vec<u8> {
    let line = file
        .lines()
        .find(|l| l.starts_with("vector ") && l.split_whitespace().nth(2) == Some(name))
        .unwrap_or_else(|| panic!("no vector {name}"));
    let hex = line.split_whitespace().nth(3).unwrap();
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

/// Leaked so parsed notifications can borrow them for the whole test.
fn linux(name: &str) -> &'static [u8] {
    vector(include_str!("vectors/sctp_linux.txt"), name).leak()
}

fn freebsd(name: &str) -> &'static [u8] {
    vector(include_str!("vectors/sctp_freebsd.txt"), name).leak()
}

const LINUX: Abi = Abi::with_endian(Layout::Linux, Endian::Little);
const FREEBSD: Abi = Abi::with_endian(Layout::FreeBsd, Endian::Little);

#[test]
fn length_field_is_checked_against_the_bytes() {
    let bytes = linux("sender_dry_event");
    // One byte short of what sn_length says.
    assert_eq!(
        Notification::parse(&bytes[..11], LINUX),
        Err(ParseError::LengthMismatch {
            declared: 12,
            actual: 11
        })
    );
    // Trailing garbage.
    let mut long = bytes.to_vec();
    long.push(0);
    assert_eq!(
        Notification::parse(&long, LINUX),
        Err(ParseError::LengthMismatch {
            declared: 12,
            actual: 13
        })
    );
    // Shorter than the header.
    assert!(matches!(
        Notification::parse(&bytes[..5], LINUX),
        Err(ParseError::Truncated {
            needed: 8,
            got: 5,
            ..
        })
    ));
}

#[test]
fn a_consistent_length_shorter_than_the_struct_is_truncated() {
    // An SCTP_PEER_ADDR_CHANGE header claiming (and having) only 12 bytes.
    let mut bytes = linux("peer_addr_change_v4").to_vec();
    bytes.truncate(12);
    bytes[4..8].copy_from_slice(&12u32.to_le_bytes());
    assert_eq!(
        Notification::parse(&bytes, LINUX),
        Err(ParseError::Truncated {
            what: "sctp_paddr_change",
            needed: 148,
            got: 12
        })
    );
}

#[test]
fn type_numbers_belong_to_one_layout() {
    // Linux's SCTP_SENDER_DRY_EVENT (0x8009) means nothing to FreeBSD.
    assert_eq!(
        Notification::parse(linux("sender_dry_event"), FREEBSD),
        Err(ParseError::UnknownType {
            sn_type: 0x8009,
            layout: "freebsd"
        })
    );
    // FreeBSD's SCTP_NOTIFICATIONS_STOPPED_EVENT has no Linux number.
    let stopped = Notification::parse(freebsd("notifications_stopped_event"), FREEBSD).unwrap();
    let mut buf = [0u8; 8];
    assert_eq!(
        stopped.emit(&mut buf, LINUX),
        Err(EmitError::NotInLayout {
            what: "SCTP_NOTIFICATIONS_STOPPED_EVENT",
            layout: "linux"
        })
    );
    assert!(stopped.to_dict(Layout::Linux).is_err());
}

#[test]
fn odd_stream_list_is_an_error() {
    let mut bytes = linux("stream_reset_event").to_vec();
    bytes.push(7);
    let len = bytes.len() as u32;
    bytes[4..8].copy_from_slice(&len.to_le_bytes());
    assert_eq!(
        Notification::parse(&bytes, LINUX),
        Err(ParseError::OddListLength {
            what: "strreset_stream_list",
            len: 7
        })
    );
}

#[test]
fn the_same_event_converts_between_layouts() {
    // Parsed from Linux bytes, emitted as FreeBSD: type, state and flag numbers change.
    // The FreeBSD struct is also 4 bytes shorter (uint16_t stream and seq).
    let n = Notification::parse(linux("partial_delivery_event"), LINUX).unwrap();
    let mut out = [0u8; 24];
    assert_eq!(n.emit(&mut out, FREEBSD), Ok(20));
    assert_eq!(&out[..20], freebsd("partial_delivery_event"));
    let wide = Notification::PartialDeliveryEvent(PartialDeliveryEvent {
        pdapi_stream: 70_000,
        ..match n {
            Notification::PartialDeliveryEvent(p) => p,
            _ => unreachable!(),
        }
    });
    assert!(matches!(
        wide.emit(&mut out, FREEBSD),
        Err(EmitError::NotInLayout { .. })
    ));

    let n = Notification::parse(freebsd("send_failed_event"), FREEBSD).unwrap();
    let mut out = [0u8; 37];
    n.emit(&mut out, LINUX).unwrap();
    // Only snd_flags differs: SCTP_UNORDERED is 0x0400 on FreeBSD, 1 on Linux, and hark
    // keeps it raw.
    let mut want = linux("send_failed_event").to_vec();
    want[14..16].copy_from_slice(&0x0400u16.to_le_bytes());
    assert_eq!(out.to_vec(), want);
}

#[test]
fn remote_error_code_byte_order_differs() {
    // Linux keeps sre_error as __be16, FreeBSD as host order: both mean cause 6.
    let l = linux("remote_error");
    let f = freebsd("remote_error");
    assert_eq!(&l[8..10], &[0x00, 0x06]);
    assert_eq!(&f[8..10], &[0x06, 0x00]);
    for (bytes, abi) in [(l, LINUX), (f, FREEBSD)] {
        let Notification::RemoteError(e) = Notification::parse(bytes, abi).unwrap() else {
            panic!("not a remote error");
        };
        assert_eq!(e.sre_error, 6);
        assert_eq!(e.sre_data, [0xde, 0xad, 0xbe, 0xef, 0x01]);
    }
}

fn keys(n: &Notification<'_>, layout: Layout) -> Vec<&'static str> {
    n.to_dict(layout).unwrap().keys().collect()
}

#[test]
fn dictionary_keys_are_the_seeds() {
    let cases: &[(&str, &[&str])] = &[
        (
            "assoc_change_comm_up",
            &[
                "sn_type",
                "sac_flags",
                "sac_state",
                "sac_error",
                "sac_outbound_streams",
                "sac_inbound_streams",
                "sac_assoc_id",
                "sac_info",
            ],
        ),
        (
            "peer_addr_change_v4",
            &[
                "sn_type",
                "spc_flags",
                "spc_aaddr",
                "spc_state",
                "spc_error",
                "spc_assoc_id",
            ],
        ),
        (
            "remote_error",
            &["sn_type", "sre_flags", "sre_error", "sre_assoc_id"],
        ),
        ("shutdown_event", &["sn_type", "sse_flags", "sse_assoc_id"]),
        (
            "adaptation_indication",
            &["sn_type", "sai_flags", "sai_adaptation_ind", "sre_assoc_id"],
        ),
        (
            "partial_delivery_event",
            &[
                "sn_type",
                "pdapi_flags",
                "pdapi_indication",
                "pdapi_stream",
                "pdapi_seq",
                "pdapi_assoc_id",
            ],
        ),
        (
            "authentication_event",
            &[
                "sn_type",
                "auth_flags",
                "auth_keynumber",
                "auth_indication",
                "auth_assoc_id",
            ],
        ),
        (
            "sender_dry_event",
            &["sn_type", "sender_dry_flags", "sender_dry_assoc_id"],
        ),
        ("notifications_stopped_event", &["sn_type", "sn_flags"]),
        (
            "send_failed_event",
            &[
                "sn_type",
                "ssfe_flags",
                "ssfe_error",
                "ssfe_info",
                "ssfe_assoc_id",
                "ssfe_data",
            ],
        ),
    ];
    for (name, want) in cases {
        let n = Notification::parse(freebsd(name), FREEBSD).unwrap();
        assert_eq!(keys(&n, Layout::FreeBsd), *want, "{name}");
    }
}

#[test]
fn dictionary_matches_the_seed_example() {
    // {'sn_type': 32777, 'sender_dry_flags': 0, 'sender_dry_assoc_id': 3}
    let n = Notification::parse(linux("sender_dry_event"), LINUX).unwrap();
    let d = n.to_dict(Layout::Linux).unwrap();
    assert_eq!(d.get("sn_type"), Some(&DictValue::Int(32777)));
    assert_eq!(d.get("sender_dry_flags"), Some(&DictValue::Int(0)));
    assert_eq!(d.get("sender_dry_assoc_id"), Some(&DictValue::Int(3)));
    assert_eq!(d.len(), 3);
}

#[test]
fn sac_info_is_classified_like_pysctp() {
    let up = Notification::parse(freebsd("assoc_change_comm_up"), FREEBSD).unwrap();
    let Notification::AssocChange(ac) = up else {
        panic!()
    };
    assert_eq!(
        ac.sac_info(Layout::FreeBsd),
        SacInfo::Features(&[1, 2, 3, 4])
    );
    assert_eq!(
        ac.sac_info(Layout::FreeBsd)
            .features(Layout::FreeBsd)
            .collect::<Vec<_>>(),
        [
            AssocFeature::Pr,
            AssocFeature::Auth,
            AssocFeature::Asconf,
            AssocFeature::Multibuf
        ]
    );
    let d = up.to_dict(Layout::FreeBsd).unwrap();
    assert_eq!(d.get("sac_info"), Some(&DictValue::Tuple(&[1, 2, 3, 4])));
    assert_eq!(d.get("sac_info").unwrap().to_string(), "(1, 2, 3, 4)");

    let lost = Notification::parse(freebsd("assoc_change_comm_lost_abort"), FREEBSD).unwrap();
    let Notification::AssocChange(ac) = lost else {
        panic!()
    };
    assert!(matches!(
        ac.sac_info(Layout::FreeBsd),
        SacInfo::AbortChunk([0x06, ..])
    ));
    assert!(matches!(
        lost.to_dict(Layout::FreeBsd).unwrap().get("sac_info"),
        Some(DictValue::Bytes(_))
    ));

    let lost = Notification::parse(linux("assoc_change_comm_lost_causes"), LINUX).unwrap();
    let Notification::AssocChange(ac) = lost else {
        panic!()
    };
    assert_eq!(
        ac.sac_info(Layout::Linux),
        SacInfo::ErrorCauses(&[0, 0x0c, 0, 4])
    );
    assert_eq!(
        lost.to_dict(Layout::Linux).unwrap().get("sac_assoc_id"),
        Some(&DictValue::Int(-7))
    );

    // Linux COMM_UP carries no sac_info, and the key is absent.
    let up = Notification::parse(linux("assoc_change_comm_up"), LINUX).unwrap();
    assert!(up.to_dict(Layout::Linux).unwrap().get("sac_info").is_none());
}

#[test]
fn assembler_joins_pieces_until_eor() {
    let whole = freebsd("send_failed_event");
    let mut asm = NotificationAssembler::new(64);
    assert_eq!(asm.push(&whole[..10], false), Ok(None));
    assert_eq!(asm.push(&whole[10..30], false), Ok(None));
    assert_eq!(asm.pending_len(), 30);
    let done = asm.push(&whole[30..], true).unwrap().unwrap().to_vec();
    assert_eq!(done, whole);
    assert!(Notification::parse(&done, FREEBSD).is_ok());
    // The next notification starts fresh, and a whole one passes straight through.
    let dry = freebsd("sender_dry_event");
    assert_eq!(asm.push(dry, true), Ok(Some(dry)));
    assert_eq!(asm.pending_len(), 0);
}

#[test]
fn assembler_is_bounded() {
    let mut asm = NotificationAssembler::new(16);
    assert_eq!(asm.push(&[0; 10], false), Ok(None));
    assert_eq!(
        asm.push(&[0; 10], false),
        Err(AssembleError::TooLarge { max: 16, got: 20 })
    );
    // The oversized notification was dropped; the assembler keeps working.
    assert_eq!(asm.pending_len(), 0);
    assert_eq!(asm.push(&[1; 16], true), Ok(Some(&[1u8; 16][..])));
    assert_eq!(
        asm.push(&[0; 17], true),
        Err(AssembleError::TooLarge { max: 16, got: 17 })
    );
}

#[test]
fn subscriptions_reject_what_the_layout_lacks() {
    assert_eq!(
        SctpEvent::new(
            0,
            NotificationType::NotificationsStoppedEvent,
            true,
            Layout::Linux
        ),
        Err(EmitError::NotInLayout {
            what: "SCTP_NOTIFICATIONS_STOPPED_EVENT",
            layout: "linux"
        })
    );
    let sub = EventSubscribe {
        sctp_send_failure_event_event: 1,
        ..Default::default()
    };
    let mut buf = [0u8; 14];
    assert!(matches!(
        sub.emit(&mut buf, FREEBSD),
        Err(EmitError::NotInLayout { .. })
    ));
    assert_eq!(sub.emit(&mut buf, LINUX), Ok(14));
    assert_eq!(buf, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
}

#[test]
fn header_view_reads_and_writes() {
    let mut bytes = freebsd("shutdown_event").to_vec();
    let mut h = NotificationHeader::new_checked(&mut bytes[..], Endian::Little).unwrap();
    assert_eq!((h.sn_type(), h.sn_flags(), h.sn_length()), (5, 0, 12));
    assert_eq!(
        h.kind(Layout::FreeBsd),
        Some(NotificationType::ShutdownEvent)
    );
    h.set_sn_flags(0x0102);
    h.set_sn_type(0x000a);
    assert_eq!(
        h.kind(Layout::FreeBsd),
        Some(NotificationType::SenderDryEvent)
    );
    let Notification::SenderDryEvent(d) = Notification::parse(&bytes, FREEBSD).unwrap() else {
        panic!()
    };
    assert_eq!(d.sender_dry_flags, 0x0102);
}

#[test]
fn constants_are_named() {
    assert_eq!(
        Constant::from_name("SCTP_COMM_UP")
            .unwrap()
            .value(Layout::Linux),
        Some(0)
    );
    assert_eq!(
        Constant::from_name("SCTP_COMM_UP")
            .unwrap()
            .value(Layout::FreeBsd),
        Some(1)
    );
    assert_eq!(Constant::SctpAssocSupportsPr.value(Layout::Linux), None);
    assert_eq!(Constant::MsgNotification.value(Layout::Linux), Some(0x8000));
    assert_eq!(
        Constant::MsgNotification.value(Layout::FreeBsd),
        Some(0x2000)
    );
    assert!(
        Constant::ALL
            .iter()
            .all(|c| Constant::from_name(c.name()) == Some(*c))
    );
}
