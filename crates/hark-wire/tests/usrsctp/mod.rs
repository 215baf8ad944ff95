//! What `tools/sctp-vectors/usrsctp_live.c` prints, joined into whole notifications, and the
//! facts about them that hold for any run of it: shared by the recorded-vector test
//! (`sctp_usrsctp_recorded.rs`) and the root package's live test, which builds and runs the
//! program against Debian's libusrsctp each time.
//!
//! The program runs three associations of usrsctp between sockets of one process over
//! loopback UDP encapsulation and prints each notification read with `MSG_NOTIFICATION`,
//! one `usrsctp_recvv` of at most 1024 bytes per line (`live freebsd SOCKET SEQ EOR HEX`).
//! usrsctp writes FreeBSD's structs; its socket addresses have the host's (Linux) shape.

#![allow(dead_code)] // Each including test uses a different part.

use hark_wire::sctp::*;
use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

/// The byte order and struct layout usrsctp writes on x86_64.
pub const ABI: Abi = Abi::with_endian(Layout::FreeBsd, Endian::Little);

/// Every kind the program provokes (usrsctp refuses to subscribe to
/// `SCTP_NOTIFICATIONS_STOPPED_EVENT`, and sends the event form of send failures).
pub const KINDS: &[NotificationType] = &[
    NotificationType::AssocChange,
    NotificationType::PeerAddrChange,
    NotificationType::RemoteError,
    NotificationType::ShutdownEvent,
    NotificationType::AdaptationIndication,
    NotificationType::PartialDeliveryEvent,
    NotificationType::AuthenticationEvent,
    NotificationType::SenderDryEvent,
    NotificationType::SendFailedEvent,
    NotificationType::StreamResetEvent,
    NotificationType::AssocResetEvent,
    NotificationType::StreamChangeEvent,
];

/// One complete notification: which socket read it, its bytes, and in how many reads.
pub struct Delivered {
    /// `client`, `server`, `client2`, ... (the program's names).
    pub socket: String,
    /// The whole notification.
    pub bytes: Vec<u8>,
    /// How many reads it took.
    pub reads: usize,
}

impl Delivered {
    /// The notification, parsed (panics with the socket and bytes if it does not parse).
    pub fn parse(&self) -> Notification<'_> {
        Notification::parse(&self.bytes, ABI).unwrap_or_else(|e| {
            panic!(
                "{}: {e}: {:02x?}",
                self.socket,
                &self.bytes[..self.bytes.len().min(32)]
            )
        })
    }
}

fn hex(s: &str) -> Vec<u8> {
    assert!(s.len() % 2 == 0, "odd hex length");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// Joins the program's reads with the assembler, per socket, as an application would.
pub fn assemble(output: &str) -> Vec<Delivered> {
    let mut out = Vec::new();
    let mut assemblers: BTreeMap<String, (NotificationAssembler, usize)> = BTreeMap::new();
    for line in output.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        let ["live", "freebsd", socket, _seq, eor, bytes] = f.as_slice() else {
            panic!("bad line {line:?}");
        };
        let piece = hex(bytes);
        let (asm, reads) = assemblers
            .entry(socket.to_string())
            .or_insert_with(|| (NotificationAssembler::new(64 * 1024), 0));
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
    for (socket, (asm, _)) in &assemblers {
        assert_eq!(
            asm.pending_len(),
            0,
            "{socket}: a notification without MSG_EOR"
        );
    }
    out
}

/// Every notification parses, re-emits to the same bytes, and has a pysctp dictionary whose
/// `sn_type` is its kind's FreeBSD number.
pub fn every_notification_parses_and_re_emits(all: &[Delivered]) {
    assert!(all.len() >= 25, "{} notifications", all.len());
    for d in all {
        let n = d.parse();
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
        let dict = n.to_dict(Layout::FreeBsd).unwrap();
        assert_eq!(
            dict.get("sn_type"),
            Some(&DictValue::Int(i64::from(
                n.kind().to_raw(Layout::FreeBsd).unwrap()
            )))
        );
    }
}

/// Each of [`KINDS`] arrived at least once, and nothing else did.
pub fn every_kind_is_seen(all: &[Delivered]) -> BTreeSet<&'static str> {
    let seen: BTreeSet<&'static str> = all.iter().map(|d| d.parse().kind().name()).collect();
    let expected: BTreeSet<&'static str> = KINDS.iter().map(|k| k.name()).collect();
    assert_eq!(seen, expected);
    seen
}

/// usrsctp's one-to-one sockets: every notification on a socket names the same, non-zero
/// association.
pub fn assoc_ids_are_consistent_per_socket(all: &[Delivered]) {
    let mut ids: BTreeMap<&str, BTreeSet<u32>> = BTreeMap::new();
    for d in all {
        let id = d
            .parse()
            .assoc_id()
            .expect("every kind seen names an association");
        ids.entry(&d.socket).or_default().insert(id);
    }
    assert_eq!(ids.len(), 6, "three associations, two ends each: {ids:?}");
    for (socket, set) in ids {
        assert_eq!(set.len(), 1, "{socket}: {set:?}");
        assert!(!set.contains(&0), "{socket}: assoc id 0");
    }
}

fn find(all: &[Delivered], kind: NotificationType) -> Vec<(&str, Notification<'_>)> {
    all.iter()
        .map(|d| (d.socket.as_str(), d.parse()))
        .filter(|(_, n)| n.kind() == kind)
        .collect()
}

fn assoc_changes<'a>(
    all: &'a [Delivered],
    state: AssocChangeState,
) -> Vec<(&'a str, AssocChange<'a>)> {
    find(all, NotificationType::AssocChange)
        .into_iter()
        .filter_map(|(who, n)| match n {
            Notification::AssocChange(a) if a.sac_state == state => Some((who, a)),
            _ => None,
        })
        .collect()
}

/// Six `SCTP_COMM_UP`s (three associations, both ends), each with 10/10 streams and the
/// feature list usrsctp negotiates.
pub fn association_up_carries_the_feature_list(all: &[Delivered]) {
    let ups = assoc_changes(all, AssocChangeState::CommUp);
    let mut sockets: Vec<&str> = ups.iter().map(|(who, _)| *who).collect();
    sockets.sort_unstable();
    assert_eq!(
        sockets,
        [
            "client", "client2", "client3", "server", "server2", "server3"
        ]
    );
    for (_, up) in ups {
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

/// The client's `SCTP_ABORT` with "bye": `SCTP_COMM_LOST` on both ends, the server's
/// carrying the ABORT chunk with the user's cause.
pub fn peer_abort_carries_the_abort_chunk(all: &[Delivered]) {
    let lost = assoc_changes(all, AssocChangeState::CommLost);
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

/// The 40000-byte message cut short by the abort comes back in `SCTP_SEND_FAILED_EVENT`s
/// with its PPID, stream and bytes; the large ones took several 1024-byte reads.
pub fn large_send_failures_arrive_in_pieces(all: &[Delivered]) {
    let failed: Vec<_> = all
        .iter()
        .filter_map(|d| match d.parse() {
            Notification::SendFailedEvent(e) => Some((d.socket.as_str(), d.reads, e)),
            _ => None,
        })
        .collect();
    assert!(!failed.is_empty());
    assert!(
        failed.iter().any(|(_, reads, _)| *reads > 2),
        "a multi-read notification"
    );
    let mut unsent = 0;
    for (who, _, e) in &failed {
        assert_eq!(*who, "client", "only the sender gets its data back");
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

/// The ERROR chunk injected into association 3 reaches client3 as `SCTP_REMOTE_ERROR`:
/// cause 6 (Unrecognized Chunk Type), `sre_data` the whole chunk as FreeBSD copies it.
pub fn injected_error_chunk_is_a_remote_error(all: &[Delivered]) {
    let errors = find(all, NotificationType::RemoteError);
    assert_eq!(errors.len(), 1);
    let (who, Notification::RemoteError(e)) = errors[0] else {
        panic!("{errors:?}")
    };
    assert_eq!(who, "client3");
    assert_eq!(e.sre_error, 6);
    assert_eq!(
        e.sre_data,
        [
            0x09, 0x00, 0x00, 0x0c, 0x00, 0x06, 0x00, 0x08, 0xc1, 0x00, 0x00, 0x04
        ]
    );
}

/// Adaptation, peer address, stream reset/change, association reset, partial delivery,
/// authentication, sender dry and shutdown, each with the values the program set.
pub fn the_other_kinds_carry_the_values_set(all: &[Delivered]) {
    let one = |kind| {
        find(all, kind)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no {kind}"))
            .1
    };
    let adaptations = find(all, NotificationType::AdaptationIndication);
    assert_eq!(adaptations.len(), 6, "every end of every association");
    for (_, n) in adaptations {
        let Notification::AdaptationIndication(a) = n else {
            panic!()
        };
        assert_eq!(a.sai_adaptation_ind, 0x0102_0304);
    }

    for (_, n) in find(all, NotificationType::PeerAddrChange) {
        let Notification::PeerAddrChange(p) = n else {
            panic!()
        };
        assert_eq!(p.spc_state, PeerAddrState::Confirmed);
        let SockAddr::V4(addr) = p.spc_aaddr else {
            panic!("{:?}", p.spc_aaddr)
        };
        assert_eq!(*addr.ip(), Ipv4Addr::LOCALHOST);
    }

    let resets = find(all, NotificationType::StreamResetEvent);
    for end in ["client", "server"] {
        assert!(
            resets.iter().any(|(who, n)| *who == end
                && matches!(n, Notification::StreamResetEvent(r)
                    if r.strreset_stream_list.iter().collect::<Vec<_>>() == [1, 2])),
            "{end}: streams 1 and 2 reset"
        );
    }

    for (who, n) in find(all, NotificationType::StreamChangeEvent) {
        let Notification::StreamChangeEvent(c) = n else {
            panic!()
        };
        // The client asked for six more outgoing streams: 10 in, 16 out at the client.
        let expected = if who == "client" { (10, 16) } else { (16, 10) };
        assert_eq!(
            (c.strchange_instrms, c.strchange_outstrms),
            expected,
            "{who}"
        );
    }

    let assoc_resets = find(all, NotificationType::AssocResetEvent);
    assert_eq!(assoc_resets.len(), 2, "both ends");
    let tsns: Vec<(u32, u32)> = assoc_resets
        .iter()
        .map(|(_, n)| match n {
            Notification::AssocResetEvent(r) => (r.assocreset_local_tsn, r.assocreset_remote_tsn),
            _ => panic!(),
        })
        .collect();
    assert_ne!(tsns[0].0, tsns[0].1);
    // What one end now sends from, the other expects (usrsctp reports the two ends one
    // TSN apart).
    assert!(tsns[0].0.abs_diff(tsns[1].1) <= 1, "{tsns:x?}");
    assert!(tsns[0].1.abs_diff(tsns[1].0) <= 1, "{tsns:x?}");

    // 20 bytes with uint16_t stream and seq: FreeBSD's struct, not usrsctp.h's.
    let pd = all
        .iter()
        .find(|d| d.parse().kind() == NotificationType::PartialDeliveryEvent)
        .unwrap();
    assert_eq!(pd.socket, "server", "the reader of the cut message");
    assert_eq!(pd.bytes.len(), 20);
    let Notification::PartialDeliveryEvent(p) = pd.parse() else {
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

    assert!(
        find(all, NotificationType::SenderDryEvent)
            .iter()
            .any(|(who, _)| *who == "client2"),
        "the ping was acknowledged"
    );
    let shutdowns = find(all, NotificationType::ShutdownEvent);
    assert!(shutdowns.iter().any(|(who, _)| *who == "server2"));
    let comps = assoc_changes(all, AssocChangeState::ShutdownComp);
    let mut ends: Vec<&str> = comps.iter().map(|(who, _)| *who).collect();
    ends.sort_unstable();
    assert_eq!(ends, ["client2", "server2"]);
}
