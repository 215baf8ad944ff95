//! Property tests: every notification and struct emitted in either layout and byte order
//! parses back to the same value, and no input makes a parser panic.

use hark_wire::sctp::*;
use proptest::prelude::*;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};

fn layout() -> impl Strategy<Value = Layout> {
    prop_oneof![Just(Layout::Linux), Just(Layout::FreeBsd)]
}

fn endian() -> impl Strategy<Value = Endian> {
    prop_oneof![Just(Endian::Little), Just(Endian::Big)]
}

/// Raw material from which one notification of any kind is built.
#[derive(Debug, Clone)]
struct Seed {
    kind: usize,
    a: u16,
    b: u16,
    c: u32,
    d: u32,
    e: u32,
    f: u16,
    data: Vec<u8>,
    addr: u8,
    ip4: [u8; 4],
    ip6: [u8; 16],
}

fn seed() -> impl Strategy<Value = Seed> {
    (
        0..NotificationType::ALL.len(),
        any::<(u16, u16, u32, u32, u32, u16)>(),
        proptest::collection::vec(any::<u8>(), 0..96),
        0u8..3,
        any::<[u8; 4]>(),
        any::<[u8; 16]>(),
    )
        .prop_map(|(kind, (a, b, c, d, e, f), data, addr, ip4, ip6)| Seed {
            kind,
            a,
            b,
            c,
            d,
            e,
            f,
            data,
            addr,
            ip4,
            ip6,
        })
}

fn build(s: &Seed, layout: Layout, endian: Endian) -> Option<Notification<'_>> {
    let kind = NotificationType::ALL[s.kind];
    kind.to_raw(layout)?;
    let addr = match s.addr {
        0 => SockAddr::V4(SocketAddrV4::new(Ipv4Addr::from(s.ip4), s.a)),
        1 => SockAddr::V6(SocketAddrV6::new(Ipv6Addr::from(s.ip6), s.a, s.c, s.d)),
        // A family that is neither shape's AF_INET nor AF_INET6.
        _ => SockAddr::Other { family: 123 },
    };
    let even = &s.data[..s.data.len() & !1];
    Some(match kind {
        NotificationType::AssocChange => Notification::AssocChange(AssocChange {
            sac_flags: s.a,
            sac_state: AssocChangeState::from_raw(s.b, layout),
            sac_error: s.f,
            sac_outbound_streams: s.a ^ s.f,
            sac_inbound_streams: s.b ^ s.f,
            sac_assoc_id: s.c,
            sac_info: &s.data,
        }),
        NotificationType::PeerAddrChange => Notification::PeerAddrChange(PeerAddrChange {
            spc_flags: s.b,
            spc_aaddr: addr,
            spc_state: PeerAddrState::from_raw(s.e, layout),
            spc_error: s.d,
            spc_assoc_id: s.c,
        }),
        NotificationType::RemoteError => Notification::RemoteError(RemoteError {
            sre_flags: s.a,
            sre_error: s.b,
            sre_assoc_id: s.c,
            sre_data: &s.data,
        }),
        NotificationType::SendFailed => Notification::SendFailed(SendFailed {
            ssf_flags: SendFailedFlags::from_raw(s.a, layout),
            ssf_error: s.c,
            ssf_info: SndRcvInfo {
                sinfo_stream: s.b,
                sinfo_ssn: s.f,
                sinfo_flags: s.a,
                sinfo_ppid: s.d,
                sinfo_context: s.e,
                sinfo_timetolive: s.c ^ s.d,
                sinfo_tsn: s.d ^ s.e,
                sinfo_cumtsn: s.c ^ s.e,
                sinfo_assoc_id: s.c,
                sinfo_keynumber: if layout == Layout::FreeBsd { s.b } else { 0 },
                sinfo_keynumber_valid: if layout == Layout::FreeBsd { s.f } else { 0 },
            },
            ssf_assoc_id: s.d,
            ssf_data: &s.data,
        }),
        NotificationType::ShutdownEvent => Notification::ShutdownEvent(ShutdownEvent {
            sse_flags: s.a,
            sse_assoc_id: s.c,
        }),
        NotificationType::AdaptationIndication => {
            Notification::AdaptationIndication(AdaptationIndication {
                sai_flags: s.a,
                sai_adaptation_ind: s.d,
                sai_assoc_id: s.c,
            })
        }
        NotificationType::PartialDeliveryEvent => {
            Notification::PartialDeliveryEvent(PartialDeliveryEvent {
                pdapi_flags: s.a,
                pdapi_indication: PdapiIndication::from_raw(s.e, layout),
                pdapi_stream: if layout == Layout::FreeBsd {
                    s.d & 0xffff
                } else {
                    s.d
                },
                pdapi_seq: if layout == Layout::FreeBsd {
                    u32::from(s.f)
                } else {
                    s.c ^ 0x5555
                },
                pdapi_assoc_id: s.c,
            })
        }
        NotificationType::AuthenticationEvent => {
            Notification::AuthenticationEvent(AuthenticationEvent {
                auth_flags: s.a,
                auth_keynumber: s.b,
                auth_altkeynumber: s.f,
                auth_indication: AuthIndication::from_raw(s.e, layout),
                auth_assoc_id: s.c,
            })
        }
        NotificationType::SenderDryEvent => Notification::SenderDryEvent(SenderDryEvent {
            sender_dry_flags: s.a,
            sender_dry_assoc_id: s.c,
        }),
        NotificationType::NotificationsStoppedEvent => {
            Notification::NotificationsStoppedEvent(NotificationsStoppedEvent { sn_flags: s.a })
        }
        NotificationType::SendFailedEvent => Notification::SendFailedEvent(SendFailedEvent {
            ssfe_flags: SendFailedFlags::from_raw(s.b, layout),
            ssfe_error: s.c,
            ssfe_info: SndInfo {
                snd_sid: s.a,
                snd_flags: s.f,
                snd_ppid: s.d,
                snd_context: s.e,
                snd_assoc_id: s.c,
            },
            ssfe_assoc_id: s.c,
            ssfe_data: &s.data,
        }),
        NotificationType::StreamResetEvent => Notification::StreamResetEvent(StreamResetEvent {
            strreset_flags: s.a,
            strreset_assoc_id: s.c,
            strreset_stream_list: StreamList::new(even, endian).ok()?,
        }),
        NotificationType::AssocResetEvent => Notification::AssocResetEvent(AssocResetEvent {
            assocreset_flags: s.a,
            assocreset_assoc_id: s.c,
            assocreset_local_tsn: s.d,
            assocreset_remote_tsn: s.e,
        }),
        NotificationType::StreamChangeEvent => Notification::StreamChangeEvent(StreamChangeEvent {
            strchange_flags: s.a,
            strchange_assoc_id: s.c,
            strchange_instrms: s.b,
            strchange_outstrms: s.f,
        }),
    })
}

proptest! {
    #[test]
    fn notification_emit_then_parse(s in seed(), layout in layout(), endian in endian()) {
        let abi = Abi::with_endian(layout, endian);
        let Some(n) = build(&s, layout, endian) else { return Ok(()); };
        let len = n.buffer_len(layout);
        let mut buf = vec![0xa5; len + 7];
        prop_assert_eq!(n.emit(&mut buf, abi), Ok(len));
        let parsed = Notification::parse(&buf[..len], abi).unwrap();
        prop_assert_eq!(parsed, n);
        // A second emit of the parsed value gives the same bytes.
        let mut again = vec![0x5a; len];
        prop_assert_eq!(parsed.emit(&mut again, abi), Ok(len));
        prop_assert_eq!(&again[..], &buf[..len]);
        // Too small a buffer is a typed error, not a panic.
        prop_assert_eq!(
            n.emit(&mut buf[..len - 1], abi),
            Err(EmitError::BufferTooSmall { required: len })
        );
        // The dictionary view always starts with sn_type.
        let dict = n.to_dict(layout).unwrap();
        prop_assert_eq!(dict.keys().next(), Some("sn_type"));
    }

    #[test]
    fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256),
                          layout in layout(), endian in endian()) {
        let _ = Notification::parse(&bytes, Abi::with_endian(layout, endian));
    }

    #[test]
    fn parse_with_a_plausible_header_never_panics(
        kind in 0..NotificationType::ALL.len(),
        body in proptest::collection::vec(any::<u8>(), 0..200),
        layout in layout(), endian in endian())
    {
        let abi = Abi::with_endian(layout, endian);
        let Some(sn_type) = NotificationType::ALL[kind].to_raw(layout) else { return Ok(()); };
        let len = 8 + body.len();
        let mut bytes = Vec::with_capacity(len);
        match endian {
            Endian::Little => {
                bytes.extend_from_slice(&sn_type.to_le_bytes());
                bytes.extend_from_slice(&[0, 0]);
                bytes.extend_from_slice(&(len as u32).to_le_bytes());
            }
            Endian::Big => {
                bytes.extend_from_slice(&sn_type.to_be_bytes());
                bytes.extend_from_slice(&[0, 0]);
                bytes.extend_from_slice(&(len as u32).to_be_bytes());
            }
        }
        bytes.extend_from_slice(&body);
        if let Ok(n) = Notification::parse(&bytes, abi) {
            prop_assert_eq!(n.kind(), NotificationType::ALL[kind]);
            // Whatever parsed re-emits and parses to the same value.
            let mut out = vec![0; n.buffer_len(layout)];
            let written = n.emit(&mut out, abi).unwrap();
            prop_assert_eq!(Notification::parse(&out[..written], abi).unwrap(), n);
        }
    }

    #[test]
    fn structs_emit_then_parse(layout in layout(), endian in endian(),
                               a in any::<u16>(), b in any::<u16>(), c in any::<u32>(),
                               d in any::<u32>(), e in any::<u32>(), on in any::<u8>(),
                               flags in any::<[u8; 14]>()) {
        let abi = Abi::with_endian(layout, endian);
        let mut buf = [0xeeu8; 128];

        let ev = SctpEvent { se_assoc_id: c, se_type: a, se_on: on };
        let n = ev.emit(&mut buf, abi).unwrap();
        prop_assert_eq!(SctpEvent::parse(&buf[..n], abi).unwrap(), ev);
        prop_assert_eq!(buf[7], 0, "sctp_event padding");

        let mut sub = EventSubscribe::default();
        let [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13] = flags;
        sub.sctp_data_io_event = f0; sub.sctp_association_event = f1;
        sub.sctp_address_event = f2; sub.sctp_send_failure_event = f3;
        sub.sctp_peer_error_event = f4; sub.sctp_shutdown_event = f5;
        sub.sctp_partial_delivery_event = f6; sub.sctp_adaptation_layer_event = f7;
        sub.sctp_authentication_event = f8; sub.sctp_sender_dry_event = f9;
        sub.sctp_stream_reset_event = f10;
        if layout == Layout::Linux {
            sub.sctp_assoc_reset_event = f11; sub.sctp_stream_change_event = f12;
            sub.sctp_send_failure_event_event = f13;
        }
        let n = sub.emit(&mut buf, abi).unwrap();
        prop_assert_eq!(n, EventSubscribe::buffer_len(layout));
        prop_assert_eq!(EventSubscribe::parse(&buf[..n], abi).unwrap(), sub);

        let snd = SndInfo { snd_sid: a, snd_flags: b, snd_ppid: c, snd_context: d, snd_assoc_id: e };
        let n = snd.emit(&mut buf, abi).unwrap();
        prop_assert_eq!(SndInfo::parse(&buf[..n], abi).unwrap(), snd);

        let rcv = RcvInfo { rcv_sid: a, rcv_ssn: b, rcv_flags: a ^ b, rcv_ppid: c,
                            rcv_tsn: d, rcv_cumtsn: e, rcv_context: c ^ d, rcv_assoc_id: e ^ c };
        let n = rcv.emit(&mut buf, abi).unwrap();
        prop_assert_eq!(RcvInfo::parse(&buf[..n], abi).unwrap(), rcv);
        prop_assert_eq!(&buf[6..8], &[0, 0], "sctp_rcvinfo padding");

        let nxt = NxtInfo { nxt_sid: a, nxt_flags: b, nxt_ppid: c, nxt_length: d, nxt_assoc_id: e };
        let n = nxt.emit(&mut buf, abi).unwrap();
        prop_assert_eq!(NxtInfo::parse(&buf[..n], abi).unwrap(), nxt);

        let fbsd = layout == Layout::FreeBsd;
        let sri = SndRcvInfo { sinfo_stream: a, sinfo_ssn: b, sinfo_flags: a ^ b, sinfo_ppid: c,
                               sinfo_context: d, sinfo_timetolive: e, sinfo_tsn: c ^ d,
                               sinfo_cumtsn: d ^ e, sinfo_assoc_id: c ^ e,
                               sinfo_keynumber: if fbsd { a } else { 0 },
                               sinfo_keynumber_valid: if fbsd { b } else { 0 } };
        let n = sri.emit(&mut buf, abi).unwrap();
        prop_assert_eq!(n, SndRcvInfo::buffer_len(layout));
        prop_assert_eq!(SndRcvInfo::parse(&buf[..n], abi).unwrap(), sri);
        if fbsd {
            prop_assert!(buf[36..128].iter().all(|&b| b == 0), "__reserve_pad zeroed");
        }

        let init = InitMsg { sinit_num_ostreams: a, sinit_max_instreams: b,
                             sinit_max_attempts: a ^ b, sinit_max_init_timeo: b.wrapping_add(a) };
        let n = init.emit(&mut buf, abi).unwrap();
        prop_assert_eq!(InitMsg::parse(&buf[..n], abi).unwrap(), init);
    }

    #[test]
    fn struct_parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..160),
                                  layout in layout(), endian in endian()) {
        let abi = Abi::with_endian(layout, endian);
        let _ = SctpEvent::parse(&bytes, abi);
        let _ = EventSubscribe::parse(&bytes, abi);
        let _ = SndInfo::parse(&bytes, abi);
        let _ = RcvInfo::parse(&bytes, abi);
        let _ = NxtInfo::parse(&bytes, abi);
        let _ = SndRcvInfo::parse(&bytes, abi);
        let _ = InitMsg::parse(&bytes, abi);
        let _ = SockAddr::parse(&bytes, abi);
    }

    #[test]
    fn assembler_joins_any_split(data in proptest::collection::vec(any::<u8>(), 1..400),
                                 cuts in proptest::collection::vec(any::<usize>(), 0..6),
                                 max in 1usize..500) {
        let mut points: Vec<usize> = cuts.iter().map(|c| c % data.len()).collect();
        points.push(0);
        points.push(data.len());
        points.sort_unstable();
        points.dedup();
        let mut asm = NotificationAssembler::new(max);
        let mut result = None;
        for (i, w) in points.windows(2).enumerate() {
            let eor = i + 2 == points.len();
            match asm.push(&data[w[0]..w[1]], eor) {
                Ok(Some(done)) => { prop_assert!(eor); result = Some(done.to_vec()); }
                Ok(None) => prop_assert!(!eor),
                Err(AssembleError::TooLarge { max: m, got }) => {
                    prop_assert_eq!(m, max);
                    prop_assert!(got > max && data.len() > max);
                    prop_assert_eq!(asm.pending_len(), 0);
                    return Ok(());
                }
                Err(other) => return Err(TestCaseError::fail(format!("{other}"))),
            }
            prop_assert!(asm.pending_len() <= max);
        }
        prop_assert!(data.len() <= max);
        prop_assert_eq!(result, Some(data));
    }
}
