//! One packet in, the exact packets out.

use std::time::Duration;

use super::harness::{Harness, Pkt, TEMPLATE, WND};
use crate::utp::packet::{CHECKSUM_OFFER, MalformedPacket, PacketType};
use crate::utp::{
    ConnectionError, ConnectionHandle, ConnectionState, DatagramOutcome, EndpointConfig, Event,
    MIN_RECV_BUFFER, WriteError,
};

const RECV_ID: u16 = 100;
const SYN_SEQ: u16 = 200;
const PEER_SEQ: u16 = 5000;
const MSS: usize = 1382;

fn config() -> EndpointConfig {
    EndpointConfig::default()
}

/// An initiator that completed its handshake with a peer whose SYN-ACK carried PEER_SEQ.
fn initiator_with(
    config: EndpointConfig,
    syn_seq: u16,
    peer_seq: u16,
    wnd: u32,
) -> (Harness, ConnectionHandle) {
    let our_wnd = config.connection.recv_buffer.max(MIN_RECV_BUFFER) as u32;
    let bits = config
        .connection
        .integrity_offered()
        .then_some(CHECKSUM_OFFER);
    let mut h = Harness::new(config, &[u32::from(RECV_ID), u32::from(syn_seq)]);
    let c = h.ep.connect(h.now, super::harness::remote()).unwrap();
    assert_eq!(
        h.sent(),
        vec![Pkt {
            ty: PacketType::Syn,
            conn_id: RECV_ID,
            seq: syn_seq,
            ack: 0,
            wnd: our_wnd,
            bits,
            ..TEMPLATE
        }]
    );
    let out = h.deliver(&Pkt {
        ty: PacketType::State,
        conn_id: RECV_ID,
        seq: peer_seq,
        ack: syn_seq,
        wnd,
        ..TEMPLATE
    });
    assert_eq!(out, DatagramOutcome::Connection(c));
    h.events();
    (h, c)
}

fn initiator() -> (Harness, ConnectionHandle) {
    let (mut h, c) = initiator_with(config(), SYN_SEQ, PEER_SEQ, WND);
    h.sent();
    (h, c)
}

const SYN_ID: u16 = 300;
const PEER_SYN_SEQ: u16 = 40;
const OUR_SEQ: u16 = 7000;

/// An acceptor that got the initiator's first DATA packet ("hi", seq PEER_SYN_SEQ + 1).
fn acceptor() -> (Harness, ConnectionHandle) {
    let mut h = Harness::new(config(), &[u32::from(OUR_SEQ)]);
    let DatagramOutcome::Incoming(incoming) = h.deliver(&Pkt {
        ty: PacketType::Syn,
        conn_id: SYN_ID,
        seq: PEER_SYN_SEQ,
        ..TEMPLATE
    }) else {
        panic!("SYN did not produce an Incoming");
    };
    let c = h.ep.accept(h.now, incoming).unwrap();
    h.sent();
    h.recv(&Pkt {
        conn_id: SYN_ID + 1,
        seq: PEER_SYN_SEQ + 1,
        ack: OUR_SEQ - 1,
        payload: b"hi".to_vec(),
        ..TEMPLATE
    });
    h.ep.issue_deferred_acks(h.now);
    h.sent();
    h.events();
    let mut buf = [0u8; 8];
    assert_eq!(h.ep.read(c, &mut buf), Ok(2));
    (h, c)
}

#[test]
fn initiator_handshake_ids_and_first_data() {
    let mut h = Harness::new(config(), &[u32::from(RECV_ID), u32::from(SYN_SEQ)]);
    let c = h.ep.connect(h.now, super::harness::remote()).unwrap();
    // The SYN carries our receive id and consumes SYN_SEQ; by default it offers no
    // integrity extension, so it is exactly what libutp sends.
    assert_eq!(
        h.sent(),
        vec![Pkt {
            ty: PacketType::Syn,
            conn_id: RECV_ID,
            seq: SYN_SEQ,
            ack: 0,
            ..TEMPLATE
        }]
    );
    assert_eq!(h.ep.state(c), Some(ConnectionState::SynSent));
    h.now += Duration::from_millis(30);
    let ts = h.ts();
    h.recv(&Pkt {
        ty: PacketType::State,
        conn_id: RECV_ID,
        ts,
        seq: PEER_SEQ,
        ack: SYN_SEQ,
        ..TEMPLATE
    });
    assert_eq!(
        h.events(),
        vec![
            (c, Event::StateChanged(ConnectionState::SynSent)),
            (c, Event::StateChanged(ConnectionState::Connected)),
            (c, Event::Connected)
        ]
    );
    // The SYN-ACK's seq_nr is not consumed: we acknowledge PEER_SEQ - 1. Replies go to
    // RECV_ID + 1.
    assert_eq!(
        h.sent(),
        vec![Pkt {
            ty: PacketType::State,
            conn_id: RECV_ID + 1,
            ts,
            seq: SYN_SEQ + 1,
            ack: PEER_SEQ - 1,
            ..TEMPLATE
        }]
    );
    assert_eq!(
        h.ep.connection_info(c).unwrap().rtt,
        Some(Duration::from_millis(30))
    );
    assert_eq!(h.ep.write(c, b"hello"), Ok(5));
    assert_eq!(
        h.sent(),
        vec![Pkt {
            conn_id: RECV_ID + 1,
            ts,
            seq: SYN_SEQ + 1,
            ack: PEER_SEQ - 1,
            payload: b"hello".to_vec(),
            ..TEMPLATE
        }]
    );
}

#[test]
fn acceptor_handshake_reuses_syn_ack_seq_for_first_data() {
    let mut h = Harness::new(config(), &[u32::from(OUR_SEQ)]);
    let out = h.deliver(&Pkt {
        ty: PacketType::Syn,
        conn_id: SYN_ID,
        seq: PEER_SYN_SEQ,
        ..TEMPLATE
    });
    let DatagramOutcome::Incoming(incoming) = out else {
        panic!("expected Incoming, got {out:?}")
    };
    assert_eq!(incoming.remote(), super::harness::remote());
    assert_eq!(incoming.connection_id(), SYN_ID);
    assert!(
        h.sent().is_empty(),
        "nothing is sent before the application decides"
    );
    let c = h.ep.accept(h.now, incoming).unwrap();
    // SYN-ACK: an ST_STATE on the SYN's id, acknowledging the SYN.
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
    assert_eq!(h.ep.state(c), Some(ConnectionState::SynReceived));
    // Data written now waits for the initiator's first packet (libutp cannot write first).
    assert_eq!(h.ep.write(c, b"later"), Ok(5));
    assert!(h.sent().is_empty());
    // A retransmitted SYN gets the SYN-ACK again.
    h.recv(&Pkt {
        ty: PacketType::Syn,
        conn_id: SYN_ID,
        seq: PEER_SYN_SEQ,
        ..TEMPLATE
    });
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
    h.events();
    h.recv(&Pkt {
        conn_id: SYN_ID + 1,
        seq: PEER_SYN_SEQ + 1,
        ack: OUR_SEQ - 1,
        payload: b"hi".to_vec(),
        ..TEMPLATE
    });
    assert_eq!(
        h.events(),
        vec![
            (c, Event::StateChanged(ConnectionState::Connected)),
            (c, Event::Connected),
            (c, Event::Readable)
        ]
    );
    // Our first DATA has the SYN-ACK's sequence number and carries the ACK.
    assert_eq!(
        h.sent(),
        vec![Pkt {
            conn_id: SYN_ID,
            seq: OUR_SEQ,
            ack: PEER_SYN_SEQ + 1,
            wnd: WND - 2,
            payload: b"later".to_vec(),
            ..TEMPLATE
        }]
    );
}

#[test]
fn fin_consumes_a_sequence_number() {
    let (mut h, c) = initiator();
    h.ep.write(c, b"abc").unwrap();
    h.ep.close(c).unwrap();
    assert_eq!(h.ep.write(c, b"x"), Err(WriteError::Closed));
    let base = Pkt {
        conn_id: RECV_ID + 1,
        ack: PEER_SEQ - 1,
        ..TEMPLATE
    };
    assert_eq!(
        h.sent(),
        vec![
            Pkt {
                seq: SYN_SEQ + 1,
                payload: b"abc".to_vec(),
                ..base.clone()
            },
            Pkt {
                ty: PacketType::Fin,
                seq: SYN_SEQ + 2,
                ..base.clone()
            },
        ]
    );
    // The peer acknowledges our FIN and sends its own, which takes PEER_SEQ.
    h.recv(&Pkt {
        ty: PacketType::State,
        conn_id: RECV_ID,
        seq: PEER_SEQ,
        ack: SYN_SEQ + 2,
        ..TEMPLATE
    });
    h.recv(&Pkt {
        ty: PacketType::Fin,
        conn_id: RECV_ID,
        seq: PEER_SEQ,
        ack: SYN_SEQ + 2,
        ..TEMPLATE
    });
    assert_eq!(
        h.events(),
        vec![
            (c, Event::StateChanged(ConnectionState::Closing)),
            (c, Event::FinAcked),
            (c, Event::Eof)
        ]
    );
    assert_eq!(
        h.sent(),
        vec![Pkt {
            ty: PacketType::State,
            seq: SYN_SEQ + 3,
            ack: PEER_SEQ,
            ..base.clone()
        }]
    );
    // Data after the FIN's sequence number is outside the stream.
    h.recv(&Pkt {
        conn_id: RECV_ID,
        seq: PEER_SEQ + 1,
        ack: SYN_SEQ + 2,
        payload: b"late".to_vec(),
        ..TEMPLATE
    });
    assert_eq!(h.ep.connection_stats(c).unwrap().dropped, 1);
    h.sent();
    // After the linger period the connection is destroyed without error.
    while h.step_timer().is_some() {}
    assert_eq!(
        h.events(),
        vec![
            (c, Event::StateChanged(ConnectionState::Destroying)),
            (c, Event::Destroying)
        ]
    );
    assert_eq!(h.ep.connection_count(), 0);
}

#[test]
fn reset_for_unknown_connection_and_not_for_a_reset() {
    let mut h = Harness::new(config(), &[0xabcd]);
    let out = h.deliver(&Pkt {
        conn_id: 77,
        seq: 9,
        ack: 3,
        ..TEMPLATE
    });
    assert_eq!(out, DatagramOutcome::UnknownConnection);
    let ts = h.ts();
    assert_eq!(
        h.sent(),
        vec![Pkt {
            ty: PacketType::Reset,
            conn_id: 77,
            ts,
            ts_diff: 0,
            wnd: 0,
            seq: 0xabcd,
            ack: 9,
            ..TEMPLATE
        }]
    );
    assert_eq!(
        h.deliver(&Pkt {
            ty: PacketType::Reset,
            conn_id: 77,
            ..TEMPLATE
        }),
        DatagramOutcome::UnknownConnection
    );
    assert!(h.sent().is_empty());
}

#[test]
fn each_transmit_names_its_connection_and_a_stray_reset_none() {
    let mut h = Harness::new(config(), &[u32::from(RECV_ID), u32::from(SYN_SEQ), 0xabcd]);
    let c = h.ep.connect(h.now, super::harness::remote()).unwrap();
    let sent = h.sent_by();
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0].0.ty, sent[0].1), (PacketType::Syn, Some(c)));
    let outcome = h.deliver(&Pkt {
        conn_id: 77,
        ..TEMPLATE
    });
    assert_eq!(outcome, DatagramOutcome::UnknownConnection);
    let sent = h.sent_by();
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0].0.ty, sent[0].1), (PacketType::Reset, None));
}

#[test]
fn reset_refuses_syn_and_resets_connection() {
    let mut h = Harness::new(config(), &[u32::from(RECV_ID), u32::from(SYN_SEQ)]);
    let c = h.ep.connect(h.now, super::harness::remote()).unwrap();
    h.sent();
    h.events();
    // libutp answers a refused SYN with a RESET on the SYN's id.
    h.recv(&Pkt {
        ty: PacketType::Reset,
        conn_id: RECV_ID,
        ack: SYN_SEQ,
        ..TEMPLATE
    });
    let events = h.events();
    assert_eq!(events[0], (c, Event::Error(ConnectionError::Refused)));
    assert_eq!(events.last(), Some(&(c, Event::Destroying)));

    let (mut h, c) = initiator();
    // A RESET carrying our send id is ours too.
    h.recv(&Pkt {
        ty: PacketType::Reset,
        conn_id: RECV_ID + 1,
        ..TEMPLATE
    });
    assert_eq!(h.events()[0], (c, Event::Error(ConnectionError::Reset)));
}

#[test]
fn sack_sent_while_holding_out_of_order_data() {
    let (mut h, c) = acceptor();
    let base = Pkt {
        conn_id: SYN_ID + 1,
        ack: OUR_SEQ - 1,
        payload: b"x".to_vec(),
        ..TEMPLATE
    };
    h.recv(&Pkt {
        seq: PEER_SYN_SEQ + 3,
        ..base.clone()
    });
    // Held out of order: an immediate ACK of PEER_SYN_SEQ + 1 with bit 0 (= ack + 2) set.
    assert_eq!(
        h.sent(),
        vec![Pkt {
            ty: PacketType::State,
            conn_id: SYN_ID,
            seq: OUR_SEQ,
            ack: PEER_SYN_SEQ + 1,
            wnd: WND - 1,
            sack: Some(vec![1, 0, 0, 0]),
            payload: vec![],
            ..TEMPLATE
        }]
    );
    h.recv(&Pkt {
        seq: PEER_SYN_SEQ + 2,
        ..base.clone()
    });
    assert!(
        h.sent().is_empty(),
        "in-order data is acknowledged on the deferred flush"
    );
    h.ep.issue_deferred_acks(h.now);
    assert_eq!(
        h.sent(),
        vec![Pkt {
            ty: PacketType::State,
            conn_id: SYN_ID,
            seq: OUR_SEQ,
            ack: PEER_SYN_SEQ + 3,
            wnd: WND - 2,
            ..TEMPLATE
        }]
    );
    let mut buf = [0u8; 4];
    assert_eq!(h.ep.read(c, &mut buf), Ok(2));
}

fn four_packets_in_flight() -> (Harness, ConnectionHandle, Vec<Pkt>) {
    let (mut h, c) = initiator();
    let data: Vec<u8> = (0..4 * MSS).map(|i| i as u8).collect();
    assert_eq!(h.ep.write(c, &data), Ok(data.len()));
    let sent = h.sent();
    assert_eq!(sent.len(), 4, "initial window is four packets");
    assert_eq!(
        sent.iter().map(|p| p.seq).collect::<Vec<_>>(),
        vec![201, 202, 203, 204]
    );
    (h, c, sent)
}

#[test]
fn fast_resend_after_three_sacked_above_a_hole() {
    let (mut h, c, sent) = four_packets_in_flight();
    let ack = Pkt {
        ty: PacketType::State,
        conn_id: RECV_ID,
        seq: PEER_SEQ,
        ack: SYN_SEQ,
        ..TEMPLATE
    };
    // Two SACKed above the hole: not yet.
    h.recv(&Pkt {
        sack: Some(vec![0b11, 0, 0, 0]),
        ..ack.clone()
    });
    assert!(h.sent().is_empty());
    // Three SACKed (202, 203, 204; bit 0 = ack + 2): resend 201 at once, only 201.
    h.recv(&Pkt {
        sack: Some(vec![0b111, 0, 0, 0]),
        ..ack.clone()
    });
    assert_eq!(h.sent(), vec![sent[0].clone()]);
    let stats = h.ep.connection_stats(c).unwrap();
    assert_eq!((stats.retransmits, stats.fast_retransmits), (1, 1));
    // The same SACK again does not resend again.
    h.recv(&Pkt {
        sack: Some(vec![0b111, 0, 0, 0]),
        ..ack.clone()
    });
    assert!(h.sent().is_empty());
    // An 8-byte SACK (any multiple of 4) is understood too.
    h.recv(&Pkt {
        ack: SYN_SEQ + 4,
        sack: Some(vec![0; 8]),
        ..ack
    });
    assert_eq!(h.ep.connection_info(c).unwrap().bytes_in_flight, 0);
}

/// libtorrent 2.0 sends selective ACKs of any byte length (1, 6 and 13 bytes seen from
/// its uTP on loopback), not only the multiples of 4 BEP 29 asks for; libutp reads them, and
/// so must we, or a DATA packet carrying one is dropped and never acknowledged.
#[test]
fn sack_of_any_byte_length_as_libtorrent_sends_is_understood() {
    let (mut h, c, sent) = four_packets_in_flight();
    let ack = Pkt {
        ty: PacketType::State,
        conn_id: RECV_ID,
        seq: PEER_SEQ,
        ack: SYN_SEQ,
        ..TEMPLATE
    };
    // A 1-byte SACK of 202, 203 and 204: resend 201 at once.
    h.recv(&Pkt {
        sack: Some(vec![0b111]),
        ..ack.clone()
    });
    assert_eq!(h.sent(), vec![sent[0].clone()]);
    // DATA with a 6-byte SACK acknowledges everything and its payload is delivered.
    h.recv(&Pkt {
        ty: PacketType::Data,
        ack: SYN_SEQ + 4,
        sack: Some(vec![0; 6]),
        payload: b"request".to_vec(),
        ..ack
    });
    assert_eq!(h.ep.connection_info(c).unwrap().bytes_in_flight, 0);
    let mut buf = [0u8; 16];
    assert_eq!(h.ep.read(c, &mut buf), Ok(7));
    assert_eq!(&buf[..7], b"request");
}

#[test]
fn fast_resend_after_three_duplicate_acks() {
    let (mut h, _c, sent) = four_packets_in_flight();
    let dup = Pkt {
        ty: PacketType::State,
        conn_id: RECV_ID,
        seq: PEER_SEQ,
        ack: SYN_SEQ,
        ..TEMPLATE
    };
    h.recv(&dup);
    h.recv(&dup);
    assert!(h.sent().is_empty());
    h.recv(&dup);
    assert_eq!(h.sent(), vec![sent[0].clone()]);
}

#[test]
fn deferred_ack_flush_and_timer_fallback() {
    let (mut h, _c) = acceptor();
    let data = Pkt {
        conn_id: SYN_ID + 1,
        seq: PEER_SYN_SEQ + 2,
        ack: OUR_SEQ - 1,
        payload: b"y".to_vec(),
        ..TEMPLATE
    };
    h.recv(&data);
    assert!(h.sent().is_empty());
    // Nobody flushes: the delayed-ACK timer (10 ms) sends it.
    assert_eq!(h.step_timer(), Some(Duration::from_millis(10)));
    let ts = h.ts();
    assert_eq!(
        h.sent(),
        vec![Pkt {
            ty: PacketType::State,
            conn_id: SYN_ID,
            ts,
            seq: OUR_SEQ,
            ack: PEER_SYN_SEQ + 2,
            wnd: WND - 1,
            ..TEMPLATE
        }]
    );
    // Eight unacknowledged packets are acknowledged at once.
    for i in 0..8 {
        let ts = h.ts();
        h.recv(&Pkt {
            seq: PEER_SYN_SEQ + 3 + i,
            ts,
            ..data.clone()
        });
        assert_eq!(h.sent().len(), usize::from(i == 7));
    }
}

#[test]
fn zero_window_probe() {
    let (mut h, c) = initiator_with(config(), SYN_SEQ, PEER_SEQ, 0);
    h.sent();
    assert_eq!(h.ep.write(c, b"z"), Ok(1));
    assert!(h.sent().is_empty(), "the peer's window is closed");
    assert_eq!(h.step_timer(), Some(Duration::from_secs(1)));
    let ts = h.ts();
    assert_eq!(
        h.sent(),
        vec![Pkt {
            conn_id: RECV_ID + 1,
            ts,
            seq: SYN_SEQ + 1,
            ack: PEER_SEQ - 1,
            payload: b"z".to_vec(),
            ..TEMPLATE
        }]
    );
    // The window opens: the probe is acknowledged and sending goes on.
    h.recv(&Pkt {
        ty: PacketType::State,
        conn_id: RECV_ID,
        seq: PEER_SEQ,
        ack: SYN_SEQ + 1,
        ..TEMPLATE
    });
    h.ep.write(c, b"more").unwrap();
    assert_eq!(h.sent().len(), 1);
}

#[test]
fn rto_backoff_collapses_window_then_times_out() {
    let (mut h, c, sent) = four_packets_in_flight();
    // The handshake measured a ~0 RTT: RTO is the 200 ms minimum, doubling each time.
    let mut expected = Duration::from_millis(200);
    for round in 1..=6 {
        assert_eq!(h.step_timer(), Some(expected), "round {round}");
        let ts = h.ts();
        // Back to one packet: only the oldest is resent.
        assert_eq!(
            h.sent(),
            vec![Pkt {
                ts,
                ..sent[0].clone()
            }],
            "round {round}"
        );
        expected *= 2;
    }
    assert_eq!(h.ep.connection_stats(c).unwrap().timeouts, 6);
    assert_eq!(h.step_timer(), Some(expected));
    let events = h.events();
    assert_eq!(events[0], (c, Event::Error(ConnectionError::TimedOut)));
    assert_eq!(events.last(), Some(&(c, Event::Destroying)));
    assert_eq!(h.ep.connection_count(), 0);
}

#[test]
fn window_reopens_after_rto_as_acks_arrive() {
    let (mut h, c, sent) = four_packets_in_flight();
    h.step_timer();
    assert_eq!(h.sent().len(), 1);
    h.recv(&Pkt {
        ty: PacketType::State,
        conn_id: RECV_ID,
        seq: PEER_SEQ,
        ack: SYN_SEQ + 1,
        ..TEMPLATE
    });
    // Slow start from one packet: the acknowledged packet lets two more go.
    let resent = h.sent();
    assert_eq!(
        resent.iter().map(|p| p.seq).collect::<Vec<_>>(),
        vec![202, 203]
    );
    assert_eq!(resent[0].payload, sent[1].payload);
    assert_eq!(h.ep.connection_stats(c).unwrap().retransmits, 3);
}

#[test]
fn syn_retries_then_timeout() {
    let mut h = Harness::new(config(), &[u32::from(RECV_ID), u32::from(SYN_SEQ)]);
    let c = h.ep.connect(h.now, super::harness::remote()).unwrap();
    assert_eq!(h.sent().len(), 1);
    for expected in [1, 2, 4] {
        assert_eq!(h.step_timer(), Some(Duration::from_secs(expected)));
        let ts = h.ts();
        assert_eq!(
            h.sent(),
            vec![Pkt {
                ty: PacketType::Syn,
                conn_id: RECV_ID,
                ts,
                seq: SYN_SEQ,
                ..TEMPLATE
            }]
        );
    }
    assert_eq!(h.step_timer(), Some(Duration::from_secs(8)));
    assert!(h.sent().is_empty());
    assert!(
        h.events()
            .contains(&(c, Event::Error(ConnectionError::TimedOut)))
    );
}

#[test]
fn sequence_numbers_wrap_at_65535() {
    let (mut h, c) = initiator_with(config(), 65533, 65535, WND);
    h.sent();
    let data = vec![7u8; 3 * MSS];
    h.ep.write(c, &data).unwrap();
    assert_eq!(
        h.sent().iter().map(|p| (p.seq, p.ack)).collect::<Vec<_>>(),
        vec![(65534, 65534), (65535, 65534), (0, 65534)]
    );
    let peer = Pkt {
        conn_id: RECV_ID,
        seq: 65535,
        ack: 0,
        payload: b"a".to_vec(),
        ..TEMPLATE
    };
    h.recv(&peer);
    h.recv(&Pkt {
        seq: 1,
        payload: b"c".to_vec(),
        ..peer.clone()
    });
    h.recv(&Pkt {
        seq: 0,
        payload: b"b".to_vec(),
        ..peer.clone()
    });
    assert_eq!(
        h.ep.connection_info(c).unwrap().bytes_in_flight,
        0,
        "ack 0 covers 65534..=0"
    );
    let mut buf = [0u8; 8];
    assert_eq!(h.ep.read(c, &mut buf), Ok(3));
    assert_eq!(&buf[..3], b"abc");
    h.ep.issue_deferred_acks(h.now);
    let acks = h.sent();
    assert_eq!(
        acks.last().map(|p| (p.ty, p.ack)),
        Some((PacketType::State, 1))
    );
}

#[test]
fn packets_acking_unsent_data_are_dropped_like_libutp() {
    let (mut h, c) = initiator();
    h.recv(&Pkt {
        conn_id: RECV_ID,
        seq: PEER_SEQ,
        ack: SYN_SEQ + 50,
        payload: b"evil".to_vec(),
        ..TEMPLATE
    });
    assert_eq!(h.ep.connection_stats(c).unwrap().dropped, 1);
    assert_eq!(h.ep.connection_info(c).unwrap().readable, 0);
    assert!(h.sent().is_empty());
}

#[test]
fn half_open_bound_refuses_syn_flood() {
    let mut h = Harness::new(
        EndpointConfig {
            max_half_open: 1,
            ..config()
        },
        &[1, 2, 3],
    );
    let DatagramOutcome::Incoming(first) = h.deliver(&Pkt {
        ty: PacketType::Syn,
        conn_id: 10,
        seq: 1,
        ..TEMPLATE
    }) else {
        panic!("first SYN");
    };
    h.ep.accept(h.now, first).unwrap();
    h.sent();
    assert_eq!(h.ep.half_open_count(), 1);
    let out = h.deliver(&Pkt {
        ty: PacketType::Syn,
        conn_id: 20,
        seq: 5,
        ..TEMPLATE
    });
    assert_eq!(out, DatagramOutcome::SynRefused);
    let sent = h.sent();
    assert_eq!(
        (sent[0].ty, sent[0].conn_id, sent[0].ack),
        (PacketType::Reset, 20, 5)
    );
    // The half-open connection expires once the initiator's SYN retries are over.
    while h.step_timer().is_some() {}
    assert_eq!(h.ep.half_open_count(), 0);
}

#[test]
fn malformed_datagrams_are_typed_not_fatal() {
    let mut h = Harness::new(config(), &[]);
    assert_eq!(
        h.recv_raw(&[1, 2, 3]),
        DatagramOutcome::Malformed(MalformedPacket::Truncated { len: 3 })
    );
    let mut bad = Pkt { ..TEMPLATE }.encode();
    bad[0] = 0x71;
    assert_eq!(
        h.recv_raw(&bad),
        DatagramOutcome::Malformed(MalformedPacket::UnknownType(7))
    );
    assert_eq!(h.ep.stats().malformed, 2);
    assert!(h.sent().is_empty());
}

#[test]
fn keepalive_then_idle_timeout() {
    let (mut h, c) = initiator();
    // Nothing to send for 29 s: a keepalive, which is a duplicate of the previous ACK.
    assert_eq!(h.step_timer(), Some(Duration::from_secs(29)));
    let ts = h.ts();
    assert_eq!(
        h.sent(),
        vec![Pkt {
            ty: PacketType::State,
            conn_id: RECV_ID + 1,
            ts,
            seq: SYN_SEQ + 1,
            ack: PEER_SEQ - 2,
            ..TEMPLATE
        }]
    );
    // The peer stays silent: after 120 s without a packet the connection times out.
    let mut keepalives = 1;
    while h.ep.connection_count() > 0 {
        h.step_timer().expect("a timer is armed");
        keepalives += h.sent().len();
        h.events().into_iter().for_each(|(_, e)| {
            if let Event::Error(error) = e {
                assert_eq!(error, ConnectionError::TimedOut);
            }
        });
    }
    assert_eq!(keepalives, 4, "keepalives at 29, 58, 87 and 116 s");
    assert_eq!(h.now - h.t0, Duration::from_secs(120));
    let _ = c;
}

#[test]
fn receive_window_shrinks_with_unread_data_and_reopens_on_read() {
    let (mut h, c) = initiator_with(receive_buffer(MIN_RECV_BUFFER), SYN_SEQ, PEER_SEQ, WND);
    h.sent();
    let data = Pkt {
        conn_id: RECV_ID,
        ack: SYN_SEQ,
        payload: vec![1; 30_000],
        ..TEMPLATE
    };
    h.recv(&Pkt {
        seq: PEER_SEQ,
        ..data.clone()
    });
    h.recv(&Pkt {
        seq: PEER_SEQ + 1,
        ..data.clone()
    });
    // No room for a third packet: dropped, and the ACK advertises what is left.
    h.recv(&Pkt {
        seq: PEER_SEQ + 2,
        ..data.clone()
    });
    let acks = h.sent();
    assert_eq!(
        acks.last().map(|p| (p.ack, p.wnd)),
        Some((PEER_SEQ + 1, (MIN_RECV_BUFFER - 60_000) as u32))
    );
    // Reading frees the buffer: a window update goes out at once.
    let mut buf = vec![0u8; MIN_RECV_BUFFER];
    assert_eq!(h.ep.read(c, &mut buf), Ok(60_000));
    assert_eq!(
        h.sent().iter().map(|p| (p.ty, p.wnd)).collect::<Vec<_>>(),
        vec![(PacketType::State, MIN_RECV_BUFFER as u32)]
    );
}

#[test]
fn a_receive_buffer_smaller_than_a_packet_is_raised_so_the_longest_packet_fits() {
    // One byte of buffer could never take a packet the peer cut, and the connection would
    // stall: MIN_RECV_BUFFER is used instead.
    let (mut h, c) = initiator_with(receive_buffer(1), SYN_SEQ, PEER_SEQ, WND);
    h.sent();
    h.recv(&Pkt {
        conn_id: RECV_ID,
        seq: PEER_SEQ,
        ack: SYN_SEQ,
        payload: vec![9; 65_487],
        ..TEMPLATE
    });
    // Taken, not dropped: the whole packet reads back.
    let mut buf = vec![0u8; MIN_RECV_BUFFER];
    assert_eq!(h.ep.read(c, &mut buf), Ok(65_487));
}

fn receive_buffer(bytes: usize) -> EndpointConfig {
    EndpointConfig {
        connection: crate::utp::ConnectionConfig {
            recv_buffer: bytes,
            ..Default::default()
        },
        ..EndpointConfig::default()
    }
}

#[test]
fn rto_resends_sacked_packets_too_because_sack_is_advisory() {
    let (mut h, _c, sent) = four_packets_in_flight();
    let ack = Pkt {
        ty: PacketType::State,
        conn_id: RECV_ID,
        seq: PEER_SEQ,
        ack: SYN_SEQ,
        ..TEMPLATE
    };
    h.recv(&Pkt {
        sack: Some(vec![0b111, 0, 0, 0]),
        ..ack.clone()
    });
    assert_eq!(h.sent(), vec![sent[0].clone()]);
    // Nothing more arrives: the RTO resends the oldest packet, window back to one packet.
    h.step_timer();
    let ts = h.ts();
    assert_eq!(
        h.sent(),
        vec![Pkt {
            ts,
            ..sent[0].clone()
        }]
    );
    // The receiver acknowledges 201 only: it reneged on 202..=204, which go out again.
    h.recv(&Pkt {
        ack: SYN_SEQ + 1,
        ..ack
    });
    assert_eq!(
        h.sent().iter().map(|p| p.seq).collect::<Vec<_>>(),
        vec![202, 203]
    );
}

#[test]
fn overhead_statistics_when_enabled() {
    let config = EndpointConfig {
        connection: crate::utp::ConnectionConfig {
            report_overhead: true,
            ..Default::default()
        },
        ..EndpointConfig::default()
    };
    let mut h = Harness::new(config, &[u32::from(RECV_ID), u32::from(SYN_SEQ)]);
    let c = h.ep.connect(h.now, super::harness::remote()).unwrap();
    h.sent();
    let overhead: Vec<_> = std::iter::from_fn(|| h.ep.poll_event())
        .filter(|(_, e)| matches!(e, Event::Overhead { .. }))
        .collect();
    // A 20-byte SYN plus 28 bytes of IPv4 and UDP headers.
    use crate::utp::OverheadKind;
    assert_eq!(
        overhead,
        vec![(
            c,
            Event::Overhead {
                sent: true,
                bytes: 48,
                kind: OverheadKind::Connect
            }
        )]
    );
}

#[test]
fn zero_copy_read() {
    let (mut h, c) = initiator();
    h.recv(&Pkt {
        conn_id: RECV_ID,
        seq: PEER_SEQ,
        ack: SYN_SEQ,
        payload: b"hello".to_vec(),
        ..TEMPLATE
    });
    let (a, b) = h.ep.readable_slices(c).unwrap();
    assert_eq!((a, b), (&b"hello"[..], &b""[..]));
    assert_eq!(h.ep.consume(c, 2), Ok(2));
    let mut buf = [0u8; 8];
    assert_eq!(h.ep.read(c, &mut buf), Ok(3));
    assert_eq!(&buf[..3], b"llo");
}

#[test]
fn cumulative_ack_going_back_is_a_protocol_error() {
    let (mut h, c, _sent) = four_packets_in_flight();
    let ack = Pkt {
        ty: PacketType::State,
        conn_id: RECV_ID,
        seq: PEER_SEQ,
        ..TEMPLATE
    };
    h.recv(&Pkt {
        ts: 5000,
        ack: SYN_SEQ + 4,
        ..ack.clone()
    });
    // An older packet arriving late is fine...
    h.recv(&Pkt {
        ts: 4000,
        ack: SYN_SEQ + 1,
        ..ack.clone()
    });
    // ...and so is a keepalive (the previous ACK minus one)...
    h.recv(&Pkt {
        ts: 6000,
        ack: SYN_SEQ + 3,
        ..ack.clone()
    });
    assert_eq!(h.ep.connection_error(c), None);
    // ...but a newer packet acknowledging less contradicts what freed our data.
    h.recv(&Pkt {
        ts: 7000,
        ack: SYN_SEQ + 1,
        ..ack
    });
    assert_eq!(h.events()[0], (c, Event::Error(ConnectionError::Protocol)));
}

fn probing() -> EndpointConfig {
    EndpointConfig {
        connection: crate::utp::ConnectionConfig {
            mtu_probing: true,
            ..Default::default()
        },
        ..EndpointConfig::default()
    }
}

/// (payload length, don't-fragment) of each datagram.
fn sizes(sent: &[(Pkt, bool)]) -> Vec<(usize, bool)> {
    sent.iter().map(|(p, df)| (p.payload.len(), *df)).collect()
}

#[test]
fn path_mtu_probe_delivered_raises_the_packet_size() {
    let (mut h, c) = initiator_with(probing(), SYN_SEQ, PEER_SEQ, WND);
    h.sent();
    h.ep.write(c, &[9; 4000]).unwrap();
    // Binary search between 1402 and 1472: the first packet is a 1437-byte probe.
    assert_eq!(
        sizes(&h.sent_with_df()),
        vec![(1417, true), (1382, false), (1201, false)]
    );
    h.recv(&Pkt {
        ty: PacketType::State,
        conn_id: RECV_ID,
        seq: PEER_SEQ,
        ack: SYN_SEQ + 3,
        ..TEMPLATE
    });
    assert_eq!(h.ep.connection_info(c).unwrap().max_payload, 1417);
    h.ep.write(c, &[9; 6000]).unwrap();
    // The next probe is 1455 bytes; ordinary packets now carry 1417.
    let sent = h.sent_with_df();
    assert_eq!(
        sizes(&sent)[..3],
        [(1435, true), (1417, false), (1417, false)]
    );
}

#[test]
fn path_mtu_probe_lost_is_resent_fragmentable_and_lowers_the_ceiling() {
    let (mut h, c) = initiator_with(probing(), SYN_SEQ, PEER_SEQ, WND);
    h.sent();
    h.ep.write(c, &[9; 1417]).unwrap();
    assert_eq!(sizes(&h.sent_with_df()), vec![(1417, true)]);
    // Lost: the RTO resends the same bytes without don't-fragment.
    h.step_timer();
    assert_eq!(sizes(&h.sent_with_df()), vec![(1417, false)]);
    h.recv(&Pkt {
        ty: PacketType::State,
        conn_id: RECV_ID,
        seq: PEER_SEQ,
        ack: SYN_SEQ + 1,
        ..TEMPLATE
    });
    assert_eq!(h.ep.connection_info(c).unwrap().max_payload, 1382);
    // Ceiling now 1436: the next probe is 1419 bytes.
    h.ep.write(c, &[9; 1399]).unwrap();
    assert_eq!(sizes(&h.sent_with_df()), vec![(1399, true)]);
}
