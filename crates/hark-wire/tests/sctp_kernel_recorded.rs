//! Real notifications written by the Linux kernel's SCTP, recorded once.
//!
//! Provenance: `vectors/sctp_linux_kernel.txt` holds the `HARK-VECTOR` lines that
//! `tests/sctp_kernel.rs` prints (with `cargo xtask sctp-vm -- --nocapture`) for every
//! notification it reads inside Debian's kernel 6.1 under qemu: associations up and down,
//! graceful shutdown, aborts, sender dry, adaptation layer, AUTH keys, stream and association
//! resets, added streams, a send failure handing 16 KB back, multi-homing and ASCONF, a
//! partial delivery aborted by the peer, and an ERROR chunk injected with a raw socket.

use hark_wire::sctp::*;
use std::collections::BTreeSet;

const ABI: Abi = Abi::with_endian(Layout::Linux, Endian::Little);

/// One recorded notification: the socket that read it, the kind the VM test named, bytes.
struct Recorded {
    socket: String,
    kind: String,
    bytes: Vec<u8>,
}

fn recorded() -> Vec<Recorded> {
    include_str!("vectors/sctp_linux_kernel.txt")
        .lines()
        .filter(|line| !line.starts_with('#'))
        .map(|line| {
            let [_, _, socket, kind, hex] = line.split_whitespace().collect::<Vec<_>>()[..] else {
                panic!("bad line {line:?}");
            };
            let bytes = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect();
            Recorded {
                socket: socket.to_owned(),
                kind: kind.to_owned(),
                bytes,
            }
        })
        .collect()
}

fn parsed(all: &[Recorded]) -> Vec<(&str, Notification<'_>)> {
    all.iter()
        .map(|r| {
            let n = Notification::parse(&r.bytes, ABI)
                .unwrap_or_else(|e| panic!("{} {}: {e}", r.socket, r.kind));
            (r.socket.as_str(), n)
        })
        .collect()
}

#[test]
fn every_kernel_notification_parses_and_re_emits() {
    let all = recorded();
    assert!(all.len() >= 50, "{} notifications", all.len());
    for (r, (_, n)) in all.iter().zip(parsed(&all)) {
        assert_eq!(n.kind().name(), r.kind);
        let mut out = vec![0; n.buffer_len(Layout::Linux)];
        assert_eq!(n.emit(&mut out, ABI).unwrap(), r.bytes.len());
        assert_eq!(out, r.bytes, "{} {}", r.socket, r.kind);
        let dict = n.to_dict(Layout::Linux).unwrap();
        assert_eq!(
            dict.get("sn_type"),
            Some(&DictValue::Int(i64::from(
                n.kind().to_raw(Layout::Linux).unwrap()
            )))
        );
        assert_ne!(n.assoc_id(), Some(0), "{} {}", r.socket, r.kind);
    }
}

#[test]
fn every_linux_kind_was_seen_on_the_kernel() {
    let all = recorded();
    let seen: BTreeSet<&str> = parsed(&all).iter().map(|(_, n)| n.kind().name()).collect();
    let linux: BTreeSet<&str> = NotificationType::ALL
        .iter()
        .filter(|k| k.to_raw(Layout::Linux).is_some())
        // Replaced by SCTP_SEND_FAILED_EVENT once that is subscribed.
        .filter(|k| **k != NotificationType::SendFailed)
        .map(|k| k.name())
        .collect();
    assert_eq!(seen, linux);
}

#[test]
fn abort_and_shutdown_states() {
    let all = recorded();
    let changes: Vec<AssocChange<'_>> = parsed(&all)
        .into_iter()
        .filter_map(|(_, n)| match n {
            Notification::AssocChange(a) => Some(a),
            _ => None,
        })
        .collect();
    let states: BTreeSet<&str> = changes.iter().filter_map(|a| a.sac_state.name()).collect();
    assert_eq!(
        states,
        BTreeSet::from(["SCTP_COMM_UP", "SCTP_COMM_LOST", "SCTP_SHUTDOWN_COMP"])
    );
    for up in changes
        .iter()
        .filter(|a| a.sac_state == AssocChangeState::CommUp)
    {
        assert_eq!((up.sac_inbound_streams, up.sac_outbound_streams), (4, 4));
        // Linux 6.1 appends no feature list.
        assert_eq!(up.sac_info(Layout::Linux), SacInfo::None);
    }
    // SCTP_ABORT with "bye now": Linux hands the ABORT's causes up, chunk header stripped:
    // User-Initiated Abort (12), length 11.
    assert!(
        changes
            .iter()
            .any(|a| a.sac_state == AssocChangeState::CommLost
                && a.sac_info(Layout::Linux)
                    == SacInfo::ErrorCauses(&[
                        0x00, 0x0c, 0x00, 0x0b, b'b', b'y', b'e', b' ', b'n', b'o', b'w'
                    ]))
    );
}

#[test]
fn injected_error_chunk_and_aborted_partial_delivery() {
    let all = recorded();
    let all = parsed(&all);
    let remote: Vec<_> = all
        .iter()
        .filter_map(|(_, n)| match n {
            Notification::RemoteError(e) => Some(e),
            _ => None,
        })
        .collect();
    assert_eq!(remote.len(), 1);
    // Cause 13 (Protocol Violation); Linux gives the cause's value after its header.
    assert_eq!(remote[0].sre_error, 13);
    assert_eq!(remote[0].sre_data, b"hark");

    let pd: Vec<_> = all
        .iter()
        .filter_map(|(who, n)| match n {
            Notification::PartialDeliveryEvent(p) => Some((*who, p)),
            _ => None,
        })
        .collect();
    assert_eq!(pd.len(), 1);
    assert_eq!(pd[0].0, "server");
    assert_eq!(
        pd[0].1.pdapi_indication,
        PdapiIndication::PartialDeliveryAborted
    );
}

#[test]
fn resets_and_failures_carry_their_values() {
    let all = recorded();
    let all = parsed(&all);
    let resets: Vec<(u32, u32)> = all
        .iter()
        .filter_map(|(_, n)| match n {
            Notification::AssocResetEvent(r) => {
                Some((r.assocreset_local_tsn, r.assocreset_remote_tsn))
            }
            _ => None,
        })
        .collect();
    // Both ends: what one sends from next, the other expects next.
    assert_eq!(resets.len(), 2);
    assert_eq!(resets[0], (resets[1].1, resets[1].0));

    for (who, n) in &all {
        if let Notification::StreamResetEvent(r) = n {
            assert_eq!(
                r.strreset_stream_list.iter().collect::<Vec<_>>(),
                [1, 2],
                "{who}"
            );
        }
    }

    let failed: Vec<_> = all
        .iter()
        .filter_map(|(_, n)| match n {
            Notification::SendFailedEvent(e) => Some(e),
            _ => None,
        })
        .collect();
    assert_eq!(failed.len(), 1);
    let e = failed[0];
    assert_eq!((e.ssfe_info.snd_sid, e.ssfe_info.snd_ppid), (3, 99));
    assert_eq!(e.ssfe_data.len(), 16 * 1024);
    assert!(e.ssfe_data.iter().all(|&b| b == 0x5a));

    let adaptation = all.iter().find_map(|(_, n)| match n {
        Notification::AdaptationIndication(a) => Some(a.sai_adaptation_ind),
        _ => None,
    });
    assert_eq!(adaptation, Some(0xA1B2_C3D4));
}
