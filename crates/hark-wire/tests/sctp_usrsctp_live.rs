//! Real notifications written by a real SCTP stack.
//!
//! Provenance: `vectors/sctp_usrsctp_live.txt` is the output of
//! `tools/sctp-vectors/usrsctp_live.c` (`make -C tools/sctp-vectors live`), which runs two
//! associations of Debian's libusrsctp 0.9.5.0 between sockets of one process over
//! loopback UDP encapsulation on x86_64 (plus a third that receives a hand-made ERROR
//! chunk) and prints each notification read with
//! `MSG_NOTIFICATION`, one `usrsctp_recvv` per line, with its `MSG_EOR` bit. usrsctp writes
//! FreeBSD's structs; its socket addresses have the host's (Linux) shape.

use hark_wire::sctp::*;
use std::net::{Ipv4Addr, SocketAddr};

const ABI: Abi = Abi::with_endian(Layout::FreeBsd, Endian::Little);

/// One complete notification: which socket read it, its bytes, and in how many reads.
struct Delivered {
    socket: String,
    bytes: Vec<u8>,
    reads: usize,
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// Joins the recorded reads with the assembler, per socket, as an application would.
fn delivered() -> Vec<Delivered> {
    let mut out = Vec::new();
    let mut assemblers: Vec<(String, NotificationAssembler, usize)> = Vec::new();
    for line in include_str!("vectors/sctp_usrsctp_live.txt").lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        let ["live", "freebsd", socket, _seq, eor, bytes] = f.as_slice() else {
            panic!("bad line {line}");
        };
        let piece = hex(bytes);
        let i = match assemblers.iter().position(|(s, _, _)| s == socket) {
            Some(i) => i,
            None => {
                assemblers.push((socket.to_string(), NotificationAssembler::new(64 * 1024), 0));
                assemblers.len() - 1
            }
        };
        let (_, asm, reads) = &mut assemblers[i];
        *reads += 1;
        if let Some(whole) = asm.push(&piece, *eor == "1").unwrap() {
            out.push(Delivered {
                socket: socket.to_string(),
                bytes: whole.to_vec(),
                reads: *reads,
            });
            *reads = 0;
        }
    }
    assert!(assemblers.iter().all(|(_, a, _)| a.pending_len() == 0));
    out
}

#[test]
fn every_real_notification_parses_and_re_emits() {
    let all = delivered();
    assert!(all.len() >= 25, "{} notifications", all.len());
    for d in &all {
        let n = Notification::parse(&d.bytes, ABI)
            .unwrap_or_else(|e| panic!("{}: {e}: {:02x?}", d.socket, &d.bytes[..16]));
        let mut out = vec![0; n.buffer_len(Layout::FreeBsd)];
        n.emit(&mut out, ABI).unwrap();
        if let Notification::PeerAddrChange(_) = n {
            // usrsctp on Linux writes a Linux-shaped sockaddr; hark re-emits FreeBSD's
            // (sin_len, one-byte family), so compare values, then the rest of the bytes.
            // spc_aaddr starts at offset 8.
            assert_eq!(&d.bytes[8..10], &[0x02, 0x00]);
            assert_eq!(&out[8..10], &[0x10, 0x02]);
            assert_eq!(Notification::parse(&out, ABI).unwrap(), n);
            assert_eq!(&out[..8], &d.bytes[..8]);
            assert_eq!(&out[10..], &d.bytes[10..]);
        } else {
            assert_eq!(out, d.bytes, "{}: {:?}", d.socket, n.kind());
        }
        n.to_dict(Layout::FreeBsd).unwrap();
    }
}

fn find<'a>(all: &'a [Delivered], kind: NotificationType) -> Vec<(&'a str, Notification<'a>)> {
    all.iter()
        .map(|d| {
            (
                d.socket.as_str(),
                Notification::parse(&d.bytes, ABI).unwrap(),
            )
        })
        .filter(|(_, n)| n.kind() == kind)
        .collect()
}

#[test]
fn association_up_carries_the_feature_list() {
    let all = delivered();
    let ups: Vec<_> = find(&all, NotificationType::AssocChange)
        .into_iter()
        .filter_map(|(_, n)| match n {
            Notification::AssocChange(a) if a.sac_state == AssocChangeState::CommUp => Some(a),
            _ => None,
        })
        .collect();
    assert_eq!(ups.len(), 6, "three associations, seen from both ends");
    for up in ups {
        assert_eq!((up.sac_outbound_streams, up.sac_inbound_streams), (10, 10));
        assert_eq!(
            up.sac_info(Layout::FreeBsd)
                .features(Layout::FreeBsd)
                .collect::<Vec<_>>(),
            [
                AssocFeature::Pr,
                AssocFeature::Auth,
                AssocFeature::Asconf,
                AssocFeature::Multibuf,
                AssocFeature::ReConfig
            ]
        );
    }
}

#[test]
fn peer_abort_carries_the_abort_chunk() {
    let all = delivered();
    let lost: Vec<_> = find(&all, NotificationType::AssocChange)
        .into_iter()
        .filter_map(|(who, n)| match n {
            Notification::AssocChange(a) if a.sac_state == AssocChangeState::CommLost => {
                Some((who, a))
            }
            _ => None,
        })
        .collect();
    let (_, server) = lost.iter().find(|(who, _)| *who == "server").unwrap();
    // ABORT chunk: type 6, length 11, one User-Initiated Abort cause (12) holding "bye".
    assert_eq!(
        server.sac_info(Layout::FreeBsd),
        SacInfo::AbortChunk(&[
            0x06, 0x00, 0x00, 0x0b, 0x00, 0x0c, 0x00, 0x07, b'b', b'y', b'e'
        ])
    );
    assert_eq!(server.sac_error, 12);
    // The aborting side learns of it without sac_info.
    let (_, client) = lost.iter().find(|(who, _)| *who == "client").unwrap();
    assert_eq!(client.sac_info(Layout::FreeBsd), SacInfo::None);
}

#[test]
fn large_send_failures_arrive_in_pieces() {
    let all = delivered();
    let failed: Vec<_> = all
        .iter()
        .filter_map(|d| match Notification::parse(&d.bytes, ABI).unwrap() {
            Notification::SendFailedEvent(e) => Some((d.reads, e)),
            _ => None,
        })
        .collect();
    assert!(!failed.is_empty());
    assert!(
        failed.iter().any(|(reads, _)| *reads > 2),
        "a multi-read notification"
    );
    let mut unsent = 0;
    for (_, e) in &failed {
        assert_eq!(e.ssfe_info.snd_ppid, 53, "PPID as the sender set it");
        assert_eq!(e.ssfe_info.snd_sid, 1);
        assert!(matches!(
            e.ssfe_flags,
            SendFailedFlags::DataSent | SendFailedFlags::DataUnsent
        ));
        if e.ssfe_flags == SendFailedFlags::DataUnsent {
            unsent += e.ssfe_data.len();
        }
        // The message bytes were 0, 1, 2, ... modulo 256: consecutive in every piece.
        assert!(e.ssfe_data.windows(2).all(|w| w[1] == w[0].wrapping_add(1)));
    }
    assert!(unsent > 20_000, "{unsent} unsent bytes");
}

#[test]
fn the_other_kinds_seen_live() {
    let all = delivered();
    let one = |kind| {
        find(&all, kind)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no {kind}"))
            .1
    };
    let Notification::AdaptationIndication(a) = one(NotificationType::AdaptationIndication) else {
        panic!()
    };
    assert_eq!(a.sai_adaptation_ind, 0x0102_0304);

    let Notification::PeerAddrChange(p) = one(NotificationType::PeerAddrChange) else {
        panic!()
    };
    assert_eq!(p.spc_state, PeerAddrState::Confirmed);
    let SockAddr::V4(addr) = p.spc_aaddr else {
        panic!("{:?}", p.spc_aaddr)
    };
    assert_eq!(*addr.ip(), Ipv4Addr::LOCALHOST);
    let _: SocketAddr = addr.into();

    let resets = find(&all, NotificationType::StreamResetEvent);
    assert!(resets.iter().any(|(_, n)| matches!(n,
        Notification::StreamResetEvent(r) if r.strreset_stream_list.iter().collect::<Vec<_>>() == [1, 2])));

    let Notification::StreamChangeEvent(c) = one(NotificationType::StreamChangeEvent) else {
        panic!()
    };
    assert_eq!((c.strchange_instrms, c.strchange_outstrms), (10, 16));

    let Notification::AssocResetEvent(r) = one(NotificationType::AssocResetEvent) else {
        panic!()
    };
    assert_ne!(r.assocreset_local_tsn, r.assocreset_remote_tsn);

    // 20 bytes with uint16_t stream and seq: FreeBSD's struct, not usrsctp.h's.
    let pd = all
        .iter()
        .find(|d| {
            Notification::parse(&d.bytes, ABI).unwrap().kind()
                == NotificationType::PartialDeliveryEvent
        })
        .unwrap();
    assert_eq!(pd.bytes.len(), 20);
    let Notification::PartialDeliveryEvent(p) = Notification::parse(&pd.bytes, ABI).unwrap() else {
        panic!()
    };
    assert_eq!(p.pdapi_indication, PdapiIndication::PartialDeliveryAborted);
    assert_eq!(p.pdapi_stream, 1);

    let Notification::AuthenticationEvent(k) = one(NotificationType::AuthenticationEvent) else {
        panic!()
    };
    assert_eq!(
        (k.auth_keynumber, k.auth_indication),
        (0, AuthIndication::FreeKey)
    );

    assert!(matches!(
        one(NotificationType::SenderDryEvent),
        Notification::SenderDryEvent(_)
    ));
    assert!(matches!(
        one(NotificationType::ShutdownEvent),
        Notification::ShutdownEvent(_)
    ));
    let comps = find(&all, NotificationType::AssocChange)
        .into_iter()
        .filter(|(_, n)| {
            matches!(n,
            Notification::AssocChange(a) if a.sac_state == AssocChangeState::ShutdownComp)
        })
        .count();
    assert_eq!(comps, 2);
}
