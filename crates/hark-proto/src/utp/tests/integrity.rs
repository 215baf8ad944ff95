//! hark's integrity extension, one packet in and the exact packets out: the negotiation,
//! its absence with a libutp-like peer, damaged packets, and require mode.

use super::harness::{Harness, Pkt, TEMPLATE, remote};
use crate::utp::packet::{CHECKSUM_OFFER, PacketType};
use crate::utp::{
    AcceptError, ConnectionError, ConnectionHandle, ConnectionState, DatagramOutcome,
    EndpointConfig, Event,
};

const RECV_ID: u16 = 100;
const SYN_SEQ: u16 = 200;
const PEER_SEQ: u16 = 5000;
const SYN_ID: u16 = 300;
const PEER_SYN_SEQ: u16 = 40;
const OUR_SEQ: u16 = 7000;
/// Payload per packet at the default IPv4 MTU: 1402 - 20 bytes of header.
const MSS: usize = 1382;
/// The checksum extension's share of a packet: a two-byte link header and the CRC.
const CHECKSUM_BYTES: usize = 6;

fn config(require: bool) -> EndpointConfig {
    let mut config = EndpointConfig::default();
    config.connection.offer_integrity = true;
    config.connection.require_integrity = require;
    config
}

/// The initiator's SYN: it offers the extension in its extension bits, unchecked.
fn expected_syn() -> Pkt {
    Pkt {
        ty: PacketType::Syn,
        conn_id: RECV_ID,
        seq: SYN_SEQ,
        bits: Some(CHECKSUM_OFFER),
        ..TEMPLATE
    }
}

/// A hark peer's SYN-ACK accepting the offer: the flag echoed, and checksummed.
fn hark_syn_ack() -> Pkt {
    Pkt {
        ty: PacketType::State,
        conn_id: RECV_ID,
        seq: PEER_SEQ,
        ack: SYN_SEQ,
        bits: Some(CHECKSUM_OFFER),
        checksum: true,
        ..TEMPLATE
    }
}

/// A connecting endpoint whose SYN is out.
fn connecting(require: bool) -> (Harness, ConnectionHandle) {
    let mut h = Harness::new(config(require), &[u32::from(RECV_ID), u32::from(SYN_SEQ)]);
    let c = h.ep.connect(h.now, remote()).unwrap();
    assert_eq!(h.sent(), vec![expected_syn()]);
    h.events();
    (h, c)
}

/// An initiator that negotiated the extension with a hark peer.
fn checked_initiator() -> (Harness, ConnectionHandle) {
    let (mut h, c) = connecting(false);
    assert_eq!(h.deliver(&hark_syn_ack()), DatagramOutcome::Connection(c));
    h.sent();
    h.events();
    (h, c)
}

/// An acceptor that answered an offering SYN, and the SYN-ACK it sent.
fn checked_acceptor(require: bool) -> (Harness, ConnectionHandle, Vec<Pkt>) {
    let mut h = Harness::new(config(require), &[u32::from(OUR_SEQ)]);
    let DatagramOutcome::Incoming(incoming) = h.deliver(&Pkt {
        ty: PacketType::Syn,
        conn_id: SYN_ID,
        seq: PEER_SYN_SEQ,
        bits: Some(CHECKSUM_OFFER),
        ..TEMPLATE
    }) else {
        panic!("SYN did not produce an Incoming");
    };
    assert!(incoming.offers_integrity());
    let c = h.ep.accept(h.now, incoming).unwrap();
    let syn_ack = h.sent();
    h.events();
    (h, c, syn_ack)
}

/// The initiator's first DATA to a checked acceptor.
fn first_data(checksum: bool) -> Pkt {
    Pkt {
        conn_id: SYN_ID + 1,
        seq: PEER_SYN_SEQ + 1,
        ack: OUR_SEQ - 1,
        checksum,
        payload: b"hi".to_vec(),
        ..TEMPLATE
    }
}

#[test]
fn initiator_negotiates_with_a_hark_peer_and_checksums_from_then_on() {
    let (mut h, c) = connecting(false);
    assert_eq!(h.deliver(&hark_syn_ack()), DatagramOutcome::Connection(c));
    assert_eq!(
        h.events(),
        vec![
            (c, Event::StateChanged(ConnectionState::Connected)),
            (c, Event::Connected)
        ]
    );
    let info = h.ep.connection_info(c).unwrap();
    assert!(info.integrity);
    // Room is kept for the checksum: a full packet still fits the MTU.
    assert_eq!(info.max_payload, MSS - CHECKSUM_BYTES);
    // The ACK that lets the acceptor complete is checksummed, and so is every DATA.
    assert_eq!(
        h.sent(),
        vec![Pkt {
            ty: PacketType::State,
            conn_id: RECV_ID + 1,
            seq: SYN_SEQ + 1,
            ack: PEER_SEQ - 1,
            checksum: true,
            ..TEMPLATE
        }]
    );
    assert_eq!(h.ep.write(c, b"hello"), Ok(5));
    assert_eq!(
        h.sent(),
        vec![Pkt {
            conn_id: RECV_ID + 1,
            seq: SYN_SEQ + 1,
            ack: PEER_SEQ - 1,
            checksum: true,
            payload: b"hello".to_vec(),
            ..TEMPLATE
        }]
    );
}

#[test]
fn acceptor_accepts_the_offer_and_drops_unchecked_packets() {
    let (mut h, c, syn_ack) = checked_acceptor(false);
    // The SYN-ACK echoes the flag and is itself checksummed.
    assert_eq!(
        syn_ack,
        vec![Pkt {
            ty: PacketType::State,
            conn_id: SYN_ID,
            seq: OUR_SEQ,
            ack: PEER_SYN_SEQ,
            bits: Some(CHECKSUM_OFFER),
            checksum: true,
            ..TEMPLATE
        }]
    );
    assert!(h.ep.connection_info(c).unwrap().integrity);
    // A DATA without a checksum cannot come from this peer: dropped, counted, unanswered.
    assert_eq!(
        h.deliver(&first_data(false)),
        DatagramOutcome::Connection(c)
    );
    h.ep.issue_deferred_acks(h.now);
    assert_eq!(h.sent(), vec![]);
    assert_eq!(h.ep.state(c), Some(ConnectionState::SynReceived));
    assert_eq!(h.ep.connection_stats(c).unwrap().checksum_missing, 1);
    // The same DATA checksummed completes the handshake; the ACK is checksummed.
    h.recv(&first_data(true));
    h.ep.issue_deferred_acks(h.now);
    assert_eq!(h.ep.state(c), Some(ConnectionState::Connected));
    assert_eq!(
        h.sent(),
        vec![Pkt {
            ty: PacketType::State,
            conn_id: SYN_ID,
            seq: OUR_SEQ,
            ack: PEER_SYN_SEQ + 1,
            wnd: super::harness::WND - 2,
            checksum: true,
            ..TEMPLATE
        }]
    );
}

#[test]
fn retried_syn_gets_the_checksummed_syn_ack_again() {
    let (mut h, _, syn_ack) = checked_acceptor(false);
    // The initiator has not seen our SYN-ACK, so its retry cannot carry a checksum.
    h.recv(&Pkt {
        ty: PacketType::Syn,
        conn_id: SYN_ID,
        seq: PEER_SYN_SEQ,
        bits: Some(CHECKSUM_OFFER),
        ..TEMPLATE
    });
    assert_eq!(h.sent(), syn_ack);
}

#[test]
fn libutp_like_peer_never_receives_a_checksum() {
    // As initiator: the SYN-ACK has no flag (libutp's bits are zeros), so nothing is
    // checksummed and packets use the whole MTU again.
    let (mut h, c) = connecting(false);
    h.recv(&Pkt {
        ty: PacketType::State,
        conn_id: RECV_ID,
        seq: PEER_SEQ,
        ack: SYN_SEQ,
        bits: Some([0; 8]),
        ..TEMPLATE
    });
    let info = h.ep.connection_info(c).unwrap();
    assert!(!info.integrity);
    assert_eq!(info.max_payload, MSS);
    assert_eq!(h.ep.write(c, &[7; 2 * MSS]), Ok(2 * MSS));
    let sent = h.sent();
    assert_eq!(
        sent.len(),
        2,
        "two full packets, the first carrying the ACK"
    );
    assert!(sent.iter().all(|p| !p.checksum && p.bits.is_none()));
    assert!(sent.iter().all(|p| p.payload.len() == MSS));

    // As acceptor: a SYN without the flag gets a plain SYN-ACK, and so on.
    let mut h = Harness::new(config(false), &[u32::from(OUR_SEQ)]);
    let DatagramOutcome::Incoming(incoming) = h.deliver(&Pkt {
        ty: PacketType::Syn,
        conn_id: SYN_ID,
        seq: PEER_SYN_SEQ,
        ..TEMPLATE
    }) else {
        panic!("SYN did not produce an Incoming");
    };
    assert!(!incoming.offers_integrity());
    let c = h.ep.accept(h.now, incoming).unwrap();
    assert_eq!(
        h.sent(),
        vec![Pkt {
            ty: PacketType::State,
            conn_id: SYN_ID,
            seq: OUR_SEQ,
            ack: PEER_SYN_SEQ,
            ..TEMPLATE
        }]
    );
    h.recv(&first_data(false));
    h.ep.issue_deferred_acks(h.now);
    assert_eq!(h.ep.state(c), Some(ConnectionState::Connected));
    let ack = h.sent();
    assert_eq!(ack.len(), 1);
    assert!(!ack[0].checksum);
}

#[test]
fn damaged_packet_is_dropped_and_counted_as_loss() {
    let (mut h, c) = checked_initiator();
    let data = Pkt {
        conn_id: RECV_ID,
        seq: PEER_SEQ,
        ack: SYN_SEQ,
        checksum: true,
        payload: b"abc".to_vec(),
        ..TEMPLATE
    };
    // One flipped bit of seq_nr: without the checksum this would be in-window data at the
    // wrong place.
    let mut damaged = data.encode();
    damaged[17] ^= 0x02;
    assert_eq!(h.recv_raw(&damaged), DatagramOutcome::ChecksumMismatch);
    assert_eq!(h.ep.stats().checksum_failures, 1);
    h.ep.issue_deferred_acks(h.now);
    assert_eq!(h.sent(), vec![]);
    assert_eq!(h.ep.connection_info(c).unwrap().readable, 0);
    // A flipped connection id cannot reset anything either: no RESET goes out.
    let mut damaged = data.encode();
    damaged[3] ^= 0x01;
    assert_eq!(h.recv_raw(&damaged), DatagramOutcome::ChecksumMismatch);
    assert_eq!(h.sent(), vec![]);
    // The intact packet is delivered.
    h.recv(&data);
    let mut buf = [0u8; 8];
    assert_eq!(h.ep.read(c, &mut buf), Ok(3));
    assert_eq!(&buf[..3], b"abc");
}

#[test]
fn resets_must_be_checksummed_too() {
    let (mut h, c) = checked_initiator();
    let reset = Pkt {
        ty: PacketType::Reset,
        conn_id: RECV_ID,
        seq: PEER_SEQ,
        ..TEMPLATE
    };
    h.recv(&reset);
    assert_eq!(h.ep.state(c), Some(ConnectionState::Connected));
    assert_eq!(h.ep.connection_stats(c).unwrap().checksum_missing, 1);
    h.recv(&Pkt {
        checksum: true,
        ..reset
    });
    assert!(
        h.events()
            .contains(&(c, Event::Error(ConnectionError::Reset)))
    );
}

#[test]
fn checksummed_packet_for_an_unknown_connection_gets_a_checksummed_reset() {
    let mut h = Harness::new(config(false), &[]);
    let stray = Pkt {
        conn_id: 999,
        seq: 12,
        checksum: true,
        ..TEMPLATE
    };
    assert_eq!(h.deliver(&stray), DatagramOutcome::UnknownConnection);
    let sent = h.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].ty, sent[0].conn_id, sent[0].ack, sent[0].checksum),
        (PacketType::Reset, 999, 12, true)
    );
}

#[test]
fn require_mode_refuses_a_syn_without_the_offer() {
    let mut h = Harness::new(config(true), &[u32::from(OUR_SEQ)]);
    let DatagramOutcome::Incoming(incoming) = h.deliver(&Pkt {
        ty: PacketType::Syn,
        conn_id: SYN_ID,
        seq: PEER_SYN_SEQ,
        bits: Some([0; 8]),
        ..TEMPLATE
    }) else {
        panic!("SYN did not produce an Incoming");
    };
    assert_eq!(
        h.ep.accept(h.now, incoming),
        Err(AcceptError::IntegrityRequired)
    );
    assert_eq!(h.ep.connection_count(), 0);
    let sent = h.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].ty, sent[0].conn_id, sent[0].ack, sent[0].checksum),
        (PacketType::Reset, SYN_ID, PEER_SYN_SEQ, false)
    );
    // An offering SYN is accepted as usual.
    let (h, c, _) = checked_acceptor(true);
    assert!(h.ep.connection_info(c).unwrap().integrity);
}

#[test]
fn require_mode_resets_a_peer_that_did_not_accept() {
    let (mut h, c) = connecting(true);
    h.recv(&Pkt {
        ty: PacketType::State,
        conn_id: RECV_ID,
        seq: PEER_SEQ,
        ack: SYN_SEQ,
        bits: Some([0; 8]),
        ..TEMPLATE
    });
    let sent = h.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].ty, sent[0].conn_id, sent[0].checksum),
        (PacketType::Reset, RECV_ID + 1, false)
    );
    let events = h.events();
    assert!(events.contains(&(c, Event::Error(ConnectionError::IntegrityRequired))));
    assert!(!events.contains(&(c, Event::Connected)));
}

#[test]
fn syn_ack_echoing_the_flag_without_a_checksum_was_damaged() {
    // A peer that accepts always checksums, so this SYN-ACK lost its checksum on the way
    // (a flipped extension type): it is dropped and the SYN retry will fetch another.
    let (mut h, c) = connecting(true);
    h.recv(&Pkt {
        checksum: false,
        ..hark_syn_ack()
    });
    assert_eq!(h.sent(), vec![]);
    assert_eq!(h.ep.state(c), Some(ConnectionState::SynSent));
    assert_eq!(h.ep.connection_stats(c).unwrap().checksum_missing, 1);
    assert!(h.step_timer().is_some());
    let ts = h.ts();
    assert_eq!(
        h.sent(),
        vec![Pkt {
            ts,
            ..expected_syn()
        }]
    );
    h.recv(&hark_syn_ack());
    assert_eq!(h.ep.state(c), Some(ConnectionState::Connected));
}

#[test]
fn intact_syn_ack_for_a_damaged_syn_ends_in_a_typed_error() {
    // The peer received our SYN with a flipped seq_nr bit: its checksummed answer
    // acknowledges a SYN we never sent. Going on would misplace data; both sides stop.
    let (mut h, c) = connecting(true);
    h.recv(&Pkt {
        ack: SYN_SEQ ^ 0x0100,
        ..hark_syn_ack()
    });
    let sent = h.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].ty, sent[0].conn_id, sent[0].checksum),
        (PacketType::Reset, RECV_ID + 1, true)
    );
    assert!(
        h.events()
            .contains(&(c, Event::Error(ConnectionError::CorruptHandshake)))
    );
}

#[test]
fn offer_switched_off_sends_no_extension_bits() {
    let mut config = config(false);
    config.connection.offer_integrity = false;
    let mut h = Harness::new(config, &[u32::from(RECV_ID), u32::from(SYN_SEQ)]);
    let c = h.ep.connect(h.now, remote()).unwrap();
    assert_eq!(
        h.sent(),
        vec![Pkt {
            bits: None,
            ..expected_syn()
        }]
    );
    // Even a checksumming answer leaves the connection unchecked (we never offered).
    h.recv(&hark_syn_ack());
    assert!(!h.ep.connection_info(c).unwrap().integrity);
}

#[test]
fn require_mode_sends_no_reset_to_unchecked_strays() {
    // No unchecked connection can exist, so an unchecked packet for no connection is noise
    // (a SYN whose type bits were flipped, say): answering it would refuse a good SYN.
    let mut h = Harness::new(config(true), &[]);
    let stray = Pkt {
        conn_id: SYN_ID,
        seq: PEER_SYN_SEQ,
        bits: Some(CHECKSUM_OFFER),
        ..TEMPLATE
    };
    assert_eq!(h.deliver(&stray), DatagramOutcome::UnknownConnection);
    assert_eq!(h.sent(), vec![]);
    // A checksummed one still gets its (checksummed) RESET.
    h.recv(&Pkt {
        checksum: true,
        ..stray
    });
    assert_eq!(h.sent().len(), 1);
    assert_eq!(h.ep.stats().unknown_connection, 2);
}
