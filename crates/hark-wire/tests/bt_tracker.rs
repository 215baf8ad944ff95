//! Tracker codecs: replies captured from Debian's opentracker over loopback (by
//! `bt_tracker_opentracker.rs`, which regenerates them live), request URLs, and every
//! refusal of malformed input.

use hark_wire::bt::bencode;
use hark_wire::bt::metainfo::InfoHash;
use hark_wire::bt::tracker::http::{
    self, AnnounceReply, AnnounceRequest, NamedPeer, Peer, ScrapeReply, scrape_url,
};
use hark_wire::bt::tracker::udp::{
    self, Family, MAX_SCRAPE, Request, RequestRepr, Response, ResponseRepr, UdpAnnounce,
};
use hark_wire::bt::tracker::{AnnounceEvent, ScrapeStats};
use proptest::prelude::*;
use std::net::SocketAddr;
use std::path::Path;

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors/bt")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn addr(text: &str) -> SocketAddr {
    text.parse().expect("address")
}

const SERVED: &str = "08b6b0c5e480c9a9aa6a95f416d2371d507c446a";

#[test]
fn opentracker_http_replies_parse() {
    // opentracker's reply to the second of two announces (a seeder on 6881, then a
    // leecher on 6882); opentracker lists the asking peer too.
    let body = fixture("opentracker-http-announce.bin");
    let AnnounceReply::Success(reply) = AnnounceReply::parse(&body).expect("parse") else {
        panic!("failure");
    };
    assert!((900..=3600).contains(&reply.interval));
    assert_eq!(reply.min_interval, Some(reply.interval / 2));
    assert_eq!((reply.complete, reply.incomplete), (Some(1), Some(1)));
    let peers: Vec<Peer> = reply.peers.clone();
    assert_eq!(
        peers,
        [
            Peer {
                addr: addr("127.0.0.1:6882"),
                peer_id: None
            },
            Peer {
                addr: addr("127.0.0.1:6881"),
                peer_id: None
            }
        ]
    );
    assert_eq!(reply.warning_message, None);

    let body = fixture("opentracker-http-failure.bin");
    assert_eq!(
        AnnounceReply::parse(&body).expect("parse"),
        AnnounceReply::Failure {
            reason: "Requested download is not authorized for use with this tracker.".into()
        }
    );

    let body = fixture("opentracker-http-scrape.bin");
    assert_eq!(
        ScrapeReply::parse(&body).expect("parse"),
        ScrapeReply::Success(vec![(
            SERVED.parse().expect("hex"),
            ScrapeStats {
                complete: 1,
                downloaded: 0,
                incomplete: 1
            }
        )])
    );
}

fn reparse(bytes: &[u8]) -> ResponseRepr {
    let view = Response::new_checked(bytes, Family::V4).expect("check");
    let repr = ResponseRepr::parse(&view);
    let mut out = vec![0u8; repr.buffer_len()];
    assert_eq!(repr.emit(&mut out), Ok(bytes.len()));
    assert_eq!(out, bytes);
    repr
}

#[test]
fn opentracker_udp_replies_parse_and_emit_back() {
    let connect = fixture("opentracker-udp-connect.bin");
    assert!(matches!(
        reparse(&connect),
        ResponseRepr::Connect {
            transaction_id: 0x1111_2222,
            ..
        }
    ));
    match reparse(&fixture("opentracker-udp-announce.bin")) {
        ResponseRepr::Announce {
            transaction_id: 2,
            leechers: 1,
            seeders: 1,
            peers,
            interval,
        } => {
            assert!((900..=3600).contains(&interval));
            assert_eq!(peers, [addr("127.0.0.1:6882"), addr("127.0.0.1:6881")]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        reparse(&fixture("opentracker-udp-scrape.bin")),
        ResponseRepr::Scrape {
            transaction_id: 3,
            stats: vec![
                ScrapeStats {
                    complete: 1,
                    downloaded: 0,
                    incomplete: 1
                },
                ScrapeStats::default()
            ]
        }
    );
    // opentracker's refusal of a torrent off its whitelist: a bare announce header.
    assert_eq!(
        Response::new_checked(&fixture("opentracker-udp-refused.bin")[..], Family::V4),
        Err(udp::Error::Truncated { len: 8, needed: 20 })
    );
}

#[test]
fn announce_urls_carry_every_parameter() {
    let mut peer_id = *b"-HK0001-\x00\x01\x02 ~._-Zz09";
    peer_id[19] = 0xff;
    let request = AnnounceRequest {
        uploaded: 1,
        downloaded: 2,
        event: AnnounceEvent::Completed,
        numwant: Some(0),
        key: Some(0x00ab_cdef),
        tracker_id: Some(b"t id".to_vec()),
        ipv4: Some("192.0.2.1".parse().expect("ip")),
        ipv6: Some("2001:db8::1".parse().expect("ip")),
        ..AnnounceRequest::new(InfoHash([0x12; 20]), peer_id, 51413, 3)
    };
    let url = request
        .to_url("https://t.example/announce?passkey=abc")
        .expect("url");
    assert_eq!(
        url,
        "https://t.example/announce?passkey=abc\
         &info_hash=%12%12%12%12%12%12%12%12%12%12%12%12%12%12%12%12%12%12%12%12\
         &peer_id=-HK0001-%00%01%02%20~._-Zz0%FF&port=51413&uploaded=1&downloaded=2&left=3\
         &compact=1&event=completed&numwant=0&key=00ABCDEF&trackerid=t%20id\
         &ipv4=192.0.2.1&ipv6=2001%3Adb8%3A%3A1"
    );
    let len = request
        .buffer_len("https://t.example/announce?passkey=abc")
        .expect("len");
    assert_eq!(len, url.len());
    let mut small = vec![0u8; len - 1];
    assert_eq!(
        request.emit("https://t.example/announce?passkey=abc", &mut small),
        Err(http::Error::BufferTooSmall { required: len })
    );
    assert_eq!(
        request.to_url("udp://t.example:80"),
        Err(http::Error::NotHttp("udp://t.example:80".into()))
    );
    let stopped = AnnounceRequest {
        event: AnnounceEvent::Stopped,
        ..request.clone()
    };
    assert!(
        stopped
            .to_url("http://a/announce")
            .expect("url")
            .contains("&event=stopped")
    );
    let regular = AnnounceRequest {
        event: AnnounceEvent::None,
        ..request
    };
    assert!(
        !regular
            .to_url("http://a/announce")
            .expect("url")
            .contains("event=")
    );
}

#[test]
fn scrape_urls_follow_the_announce_convention() {
    let a = InfoHash([0xaa; 20]);
    let b = InfoHash([0x62; 20]);
    assert_eq!(
        scrape_url("http://t/announce", &[a, b]).expect("scrape"),
        format!(
            "http://t/scrape?info_hash={}&info_hash={}",
            "%AA".repeat(20),
            "b".repeat(20)
        )
    );
    assert_eq!(
        scrape_url("http://t/x/announce.php", &[]).expect("scrape"),
        "http://t/x/scrape.php"
    );
    for refused in [
        "http://t/a",
        "http://t/announce/x",
        "http://announce",
        "http://t/x%20announce",
    ] {
        assert!(
            matches!(scrape_url(refused, &[a]), Err(http::Error::NoScrape(_))),
            "{refused}"
        );
    }
}

#[test]
fn dictionary_peers_ipv6_peers_and_warnings_parse() {
    // Handwritten after BEP 3 (dictionary peers, `ip` an address or a DNS name), BEP 7
    // (`peers6`) and BEP 23; keys deliberately unsorted, as some trackers send them.
    let body = b"d8:intervali60e15:warning message7:go slow10:tracker id3:abc5:peersld2:ip9:127.0.0.27:peer id20:-XX0001-aaaaaaaaaaaa4:porti6881eed2:ip7:a.b.cde4:porti80eed2:ip3:::14:porti1eee6:peers618:\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01\x1a\xe1e";
    let AnnounceReply::Success(reply) = AnnounceReply::parse(body).expect("parse") else {
        panic!("failure");
    };
    assert_eq!(reply.interval, 60);
    assert_eq!(reply.warning_message.as_deref(), Some("go slow"));
    assert_eq!(reply.tracker_id.as_deref(), Some(&b"abc"[..]));
    assert_eq!(
        reply.peers,
        [
            Peer {
                addr: addr("127.0.0.2:6881"),
                peer_id: Some(*b"-XX0001-aaaaaaaaaaaa")
            },
            Peer {
                addr: addr("[::1]:1"),
                peer_id: None
            },
            Peer {
                addr: addr("[2001:db8::1]:6881"),
                peer_id: None
            },
        ]
    );
    assert_eq!(
        reply.named_peers,
        [NamedPeer {
            host: "a.b.cde".into(),
            port: 80,
            peer_id: None
        }]
    );
}

#[test]
fn malformed_http_replies_are_typed_errors() {
    let cases: [(&[u8], http::Error); 9] = [
        (
            b"le",
            http::Error::WrongType {
                key: "reply",
                offset: 0,
                expected: "a dictionary",
            },
        ),
        (b"de", http::Error::Missing { key: "interval" }),
        (
            b"d8:intervali-1ee",
            http::Error::OutOfRange {
                key: "interval",
                offset: 11,
                value: -1,
            },
        ),
        (
            b"d8:interval1:xe",
            http::Error::WrongType {
                key: "interval",
                offset: 11,
                expected: "an integer",
            },
        ),
        (
            b"d8:intervali1e5:peers5:12345e",
            http::Error::InvalidCompactPeers {
                key: "peers",
                offset: 21,
                len: 5,
                entry: 6,
            },
        ),
        (
            b"d8:intervali1e6:peers66:123456e",
            http::Error::InvalidCompactPeers {
                key: "peers6",
                offset: 22,
                len: 6,
                entry: 18,
            },
        ),
        (
            b"d8:intervali1e5:peersld2:ip1:x4:porti70000eeee",
            http::Error::OutOfRange {
                key: "port",
                offset: 36,
                value: 70000,
            },
        ),
        (
            b"d8:intervali1e5:peersli1eee",
            http::Error::WrongType {
                key: "peers",
                offset: 22,
                expected: "a dictionary",
            },
        ),
        (
            b"d5:filesd3:abcdeee",
            http::Error::InvalidInfoHash { offset: 9 },
        ),
    ];
    for (body, error) in cases {
        let result = if body.starts_with(b"d5:files") {
            ScrapeReply::parse(body).map(|_| ())
        } else {
            AnnounceReply::parse(body).map(|_| ())
        };
        assert_eq!(result, Err(error), "{}", body.escape_ascii());
    }
    assert_eq!(
        AnnounceReply::parse(b"d8:interval"),
        Err(http::Error::Bencode(bencode::Error::Truncated {
            needed: 3
        }))
    );
}

fn announce() -> UdpAnnounce {
    UdpAnnounce {
        connection_id: 0x0102_0304_0506_0708,
        transaction_id: 0x0a0b_0c0d,
        info_hash: InfoHash([0x11; 20]),
        peer_id: [0x22; 20],
        downloaded: 1,
        left: 2,
        uploaded: 3,
        event: AnnounceEvent::Started,
        ip: None,
        key: 0xdead_beef,
        num_want: None,
        port: 6881,
    }
}

#[test]
fn udp_announce_request_has_the_bep_15_layout() {
    let mut buf = [0u8; 128];
    let len = RequestRepr::Announce(announce())
        .emit(&mut buf)
        .expect("emit");
    assert_eq!(len, 98);
    // BEP 15: connection id, action 1, transaction id, info hash, peer id, downloaded,
    // left, uploaded, event (started = 2), ip 0, key, num_want -1, port.
    let mut expected = vec![1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 1, 0x0a, 0x0b, 0x0c, 0x0d];
    expected.extend([0x11; 20]);
    expected.extend([0x22; 20]);
    expected.extend([
        0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3,
    ]);
    expected.extend([
        0, 0, 0, 2, 0, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef, 0xff, 0xff, 0xff, 0xff,
    ]);
    expected.extend([0x1a, 0xe1]);
    assert_eq!(&buf[..len], &expected[..]);
    let view = Request::new_checked(&expected[..]).expect("check");
    let fields = view.announce().expect("announce");
    assert_eq!(
        (fields.num_want(), fields.port(), fields.options()),
        (-1, 6881, &[][..])
    );
    assert_eq!(RequestRepr::parse(&view), RequestRepr::Announce(announce()));
    // BEP 41 options after the fixed part are kept apart, not misread.
    let mut with_options = expected.clone();
    with_options.extend([2, 3, b'/', b'a', b'n', 0]);
    let view = Request::new_checked(&with_options[..]).expect("check");
    assert_eq!(
        view.announce().expect("announce").options(),
        [2, 3, b'/', b'a', b'n', 0]
    );
    assert_eq!(RequestRepr::parse(&view), RequestRepr::Announce(announce()));
}

#[test]
fn malformed_udp_packets_are_typed_errors() {
    let mut announce_bytes = [0u8; 98];
    RequestRepr::Announce(announce())
        .emit(&mut announce_bytes)
        .expect("emit");
    assert_eq!(
        Request::new_checked(&announce_bytes[..97]),
        Err(udp::Error::Truncated {
            len: 97,
            needed: 98
        })
    );
    let mut bad_event = announce_bytes;
    bad_event[83] = 4;
    assert_eq!(
        Request::new_checked(&bad_event[..]),
        Err(udp::Error::BadEvent(4))
    );
    let mut connect = [0u8; 16];
    RequestRepr::Connect { transaction_id: 1 }
        .emit(&mut connect)
        .expect("emit");
    let mut bad_magic = connect;
    bad_magic[7] ^= 1;
    assert_eq!(
        Request::new_checked(&bad_magic[..]),
        Err(udp::Error::BadProtocolId(0x0417_2710_1981))
    );
    let mut unknown = connect;
    unknown[11] = 9;
    assert_eq!(
        Request::new_checked(&unknown[..]),
        Err(udp::Error::UnknownAction(9))
    );
    assert_eq!(
        Request::new_checked(&connect[..15]),
        Err(udp::Error::Truncated {
            len: 15,
            needed: 16
        })
    );
    let scrape = |n: usize| RequestRepr::Scrape {
        connection_id: 1,
        transaction_id: 2,
        info_hashes: vec![InfoHash([3; 20]); n],
    };
    let mut buf = [0u8; 2000];
    assert_eq!(scrape(0).emit(&mut buf), Err(udp::Error::ScrapeCount(0)));
    assert_eq!(
        scrape(MAX_SCRAPE + 1).emit(&mut buf),
        Err(udp::Error::ScrapeCount(75))
    );
    let len = scrape(MAX_SCRAPE).emit(&mut buf).expect("74 fit");
    assert_eq!(len, 16 + 20 * 74);
    assert_eq!(
        Request::new_checked(&buf[..len - 1]),
        Err(udp::Error::RaggedEntries {
            action: 2,
            len: 20 * 74 - 1,
            entry: 20
        })
    );
    let mixed = ResponseRepr::Announce {
        transaction_id: 1,
        interval: 2,
        leechers: 3,
        seeders: 4,
        peers: vec![addr("127.0.0.1:1"), addr("[::1]:2")],
    };
    assert_eq!(mixed.emit(&mut buf), Err(udp::Error::MixedFamilies));
    let big = RequestRepr::Announce(UdpAnnounce {
        num_want: Some(u32::MAX),
        ..announce()
    });
    assert_eq!(
        big.emit(&mut buf),
        Err(udp::Error::NumWantTooLarge(u32::MAX))
    );
    assert_eq!(
        RequestRepr::Connect { transaction_id: 1 }.emit(&mut buf[..15]),
        Err(udp::Error::BufferTooSmall { required: 16 })
    );
    // An IPv4 announce reply read as IPv6 does not divide into 18-byte entries.
    let v4 = fixture("opentracker-udp-announce.bin");
    assert_eq!(
        Response::new_checked(&v4[..], Family::V6),
        Err(udp::Error::RaggedEntries {
            action: 1,
            len: 12,
            entry: 18
        })
    );
    assert_eq!(
        Response::new_checked(&[0, 0, 0, 7, 0, 0, 0, 0][..], Family::V4),
        Err(udp::Error::UnknownAction(7))
    );
}

#[test]
fn ipv6_announce_replies_round_trip() {
    let reply = ResponseRepr::Announce {
        transaction_id: 5,
        interval: 1800,
        leechers: 0,
        seeders: 2,
        peers: vec![addr("[2001:db8::1]:6881"), addr("[::1]:51413")],
    };
    let mut buf = [0u8; 64];
    let len = reply.emit(&mut buf).expect("emit");
    assert_eq!(len, 20 + 2 * 18);
    let view = Response::new_checked(&buf[..len], Family::V6).expect("check");
    assert_eq!(ResponseRepr::parse(&view), reply);
}

fn response_repr() -> impl Strategy<Value = (ResponseRepr, Family)> {
    let v4 = proptest::collection::vec((any::<[u8; 4]>(), any::<u16>()), 0..8).prop_map(|peers| {
        peers
            .into_iter()
            .map(|(ip, port)| SocketAddr::from((ip, port)))
            .collect::<Vec<_>>()
    });
    prop_oneof![
        (any::<u32>(), any::<u64>()).prop_map(|(transaction_id, connection_id)| (
            ResponseRepr::Connect {
                transaction_id,
                connection_id
            },
            Family::V4
        )),
        (any::<u32>(), any::<u32>(), any::<u32>(), any::<u32>(), v4).prop_map(
            |(transaction_id, interval, leechers, seeders, peers)| (
                ResponseRepr::Announce {
                    transaction_id,
                    interval,
                    leechers,
                    seeders,
                    peers
                },
                Family::V4
            )
        ),
        (
            any::<u32>(),
            proptest::collection::vec(any::<(u32, u32, u32)>(), 0..8)
        )
            .prop_map(|(transaction_id, stats)| (
                ResponseRepr::Scrape {
                    transaction_id,
                    stats: stats
                        .into_iter()
                        .map(|(complete, downloaded, incomplete)| ScrapeStats {
                            complete,
                            downloaded,
                            incomplete
                        })
                        .collect()
                },
                Family::V4
            )),
        (any::<u32>(), "[ -~]{0,40}").prop_map(|(transaction_id, message)| (
            ResponseRepr::Error {
                transaction_id,
                message
            },
            Family::V6
        )),
    ]
}

proptest! {
    #[test]
    fn udp_responses_round_trip((repr, family) in response_repr()) {
        let mut buf = vec![0u8; repr.buffer_len()];
        prop_assert_eq!(repr.emit(&mut buf), Ok(buf.len()));
        let view = Response::new_checked(&buf[..], family).unwrap();
        prop_assert_eq!(ResponseRepr::parse(&view), repr);
    }

    #[test]
    fn arbitrary_datagrams_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(view) = Request::new_checked(&bytes[..]) {
            let repr = RequestRepr::parse(&view);
            let mut out = vec![0u8; repr.buffer_len()];
            repr.emit(&mut out).unwrap();
        }
        for family in [Family::V4, Family::V6] {
            if let Ok(view) = Response::new_checked(&bytes[..], family) {
                let _ = ResponseRepr::parse(&view);
            }
        }
        let _ = AnnounceReply::parse(&bytes);
        let _ = ScrapeReply::parse(&bytes);
    }
}
