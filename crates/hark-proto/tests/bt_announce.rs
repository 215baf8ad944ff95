//! The tracker announcer, packet by packet and second by second on a virtual clock:
//! HTTP and UDP (BEP 15) exchanges, failover across tiers (BEP 12), backoff with
//! times_in_row, intervals, events.

use hark_proto::bt::announce::{
    Announcer, AnnouncerConfig, EVENT_CAPACITY, RequestId, Stats, TorrentParams, TrackerEvent,
    TrackerRequest,
};
use hark_proto::netsim::SimRng;
use hark_wire::bt::bencode::OwnedValue;
use hark_wire::bt::metainfo::InfoHash;
use hark_wire::bt::tracker::AnnounceEvent;
use hark_wire::bt::tracker::udp::{Family, Request, RequestRepr, ResponseRepr, UdpAnnounce};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const SEED: u64 = 12;

fn torrent() -> TorrentParams {
    TorrentParams {
        info_hash: InfoHash([0xab; 20]),
        peer_id: *b"-HK0001-123456789012",
        port: 6881,
    }
}

fn stats() -> Stats {
    Stats {
        uploaded: 0,
        downloaded: 0,
        left: 1000,
    }
}

fn tiers(urls: &[&[&str]]) -> Vec<Vec<String>> {
    urls.iter()
        .map(|tier| tier.iter().map(|u| (*u).to_owned()).collect())
        .collect()
}

fn announcer(config: AnnouncerConfig, urls: &[&[&str]]) -> Announcer {
    Announcer::new(config, torrent(), &tiers(urls), Box::new(SimRng::new(SEED))).expect("trackers")
}

fn events(announcer: &mut Announcer) -> Vec<TrackerEvent> {
    std::iter::from_fn(|| announcer.poll_event()).collect()
}

fn http(announcer: &mut Announcer) -> (RequestId, String) {
    match announcer.poll_request() {
        Some(TrackerRequest::Http { id, url }) => (id, url),
        other => panic!("expected an HTTP request, got {other:?}"),
    }
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn peers_body(interval: i64, min_interval: Option<i64>, warning: Option<&str>) -> Vec<u8> {
    let mut reply = OwnedValue::dict()
        .with("interval", OwnedValue::Integer(interval))
        .with("complete", OwnedValue::Integer(3))
        .with("incomplete", OwnedValue::Integer(4))
        .with("peers", OwnedValue::Bytes(vec![127, 0, 0, 2, 0x1a, 0xe1]));
    if let Some(min) = min_interval {
        reply = reply.with("min interval", OwnedValue::Integer(min));
    }
    if let Some(text) = warning {
        reply = reply.with("warning message", OwnedValue::string(text));
    }
    reply.to_vec()
}

fn addr(text: &str) -> SocketAddr {
    text.parse().expect("addr")
}

#[test]
fn http_started_then_regular_then_completed() {
    let url = "http://127.0.0.1:6969/announce";
    let mut a = announcer(AnnouncerConfig::default(), &[&[url]]);
    let t0 = Instant::now();
    assert_eq!(a.poll_timeout(), None);
    a.start(t0, stats());
    let (id, full) = http(&mut a);
    assert!(full.starts_with("http://127.0.0.1:6969/announce?info_hash=%AB"));
    assert!(full.contains(
        "&port=6881&uploaded=0&downloaded=0&left=1000&compact=1&event=started&numwant=50&key="
    ));
    assert_eq!(a.poll_timeout(), Some(t0 + secs(30)));
    a.handle_http_response(
        t0 + secs(1),
        id,
        200,
        &peers_body(1800, Some(900), Some("be nice")),
    );
    let body_len = peers_body(1800, Some(900), Some("be nice")).len();
    assert_eq!(
        events(&mut a),
        [
            TrackerEvent::Announce {
                url: url.into(),
                event: AnnounceEvent::Started
            },
            TrackerEvent::Write {
                url: url.into(),
                length: full.len()
            },
            TrackerEvent::Read {
                url: url.into(),
                length: body_len
            },
            TrackerEvent::Success {
                url: url.into(),
                peers: vec![addr("127.0.0.2:6881")],
                interval: secs(1800),
                seeders: Some(3),
                leechers: Some(4),
            },
            TrackerEvent::Warning {
                url: url.into(),
                message: "be nice".into()
            },
        ]
    );
    // Nothing until the interval; a spurious timeout does nothing.
    assert_eq!(a.poll_timeout(), Some(t0 + secs(1801)));
    a.handle_timeout(t0 + secs(1000));
    assert!(a.poll_request().is_none());
    // announce_now must wait for `min interval` (900 s after the last announce at t0).
    a.announce_now(t0 + secs(10));
    assert!(a.poll_request().is_none());
    assert_eq!(a.poll_timeout(), Some(t0 + secs(900)));
    a.handle_timeout(t0 + secs(900));
    let (id, full) = http(&mut a);
    assert!(
        !full.contains("event="),
        "a regular announce has no event: {full}"
    );
    a.handle_http_response(t0 + secs(901), id, 200, &peers_body(1800, None, None));
    events(&mut a);
    a.complete(
        t0 + secs(1000),
        Stats {
            left: 0,
            downloaded: 1000,
            uploaded: 5,
        },
    );
    let (_, full) = http(&mut a);
    assert!(full.contains("&uploaded=5&downloaded=1000&left=0&compact=1&event=completed"));
}

#[test]
fn failover_walks_the_tiers_then_backs_off_and_promotes_the_tracker_that_answers() {
    let config = AnnouncerConfig::default();
    let mut a = announcer(
        config,
        &[
            &["http://a/announce", "http://b/announce"],
            &["http://c/announce", "ftp://skipped"],
        ],
    );
    // BEP 12: each tier is shuffled once with the given generator; the test follows
    // whatever order seed 12 gives.
    let order = a.tiers();
    assert_eq!(order[1], ["http://c/announce"]);
    let (first, second) = (order[0][0].clone(), order[0][1].clone());
    let t0 = Instant::now();
    a.start(t0, stats());

    // Round 1: the first times out, the second answers 404, the third refuses.
    let (_, url) = http(&mut a);
    assert!(url.starts_with(&first));
    a.handle_timeout(t0 + secs(30));
    let (id, url) = http(&mut a);
    assert!(url.starts_with(&second), "failover is immediate");
    a.handle_http_response(t0 + secs(31), id, 404, b"not found");
    let (id, url) = http(&mut a);
    assert!(url.starts_with("http://c/announce"));
    a.handle_http_response(t0 + secs(32), id, 200, b"d14:failure reason6:bannede");
    let failures: Vec<(String, u32, u16, String)> = events(&mut a)
        .into_iter()
        .filter_map(|e| match e {
            TrackerEvent::Failure {
                url,
                times_in_row,
                status_code,
                reason,
            } => Some((url, times_in_row, status_code, reason)),
            _ => None,
        })
        .collect();
    assert_eq!(
        failures,
        [
            (first.clone(), 1, 0, "timed out".into()),
            (second.clone(), 1, 404, "HTTP status 404".into()),
            ("http://c/announce".into(), 1, 200, "banned".into()),
        ]
    );
    // Every tracker failed: wait retry_base (60 s), then 120 s after the next round.
    assert!(a.poll_request().is_none());
    assert_eq!(a.poll_timeout(), Some(t0 + secs(32 + 60)));
    let t1 = t0 + secs(92);
    a.handle_timeout(t1);
    let (id, _) = http(&mut a);
    a.handle_request_failed(t1, id, "connection refused");
    let (id, _) = http(&mut a);
    a.handle_request_failed(t1, id, "connection refused");
    let (id, _) = http(&mut a);
    a.handle_request_failed(t1, id, "connection refused");
    let times: Vec<u32> = events(&mut a)
        .into_iter()
        .filter_map(|e| match e {
            TrackerEvent::Failure {
                times_in_row,
                status_code: 0,
                ..
            } => Some(times_in_row),
            _ => None,
        })
        .collect();
    assert_eq!(times, [2, 2, 2]);
    assert_eq!(a.poll_timeout(), Some(t1 + secs(120)));

    // Round 3: the second tracker of tier 1 answers and moves to the front.
    let t2 = t1 + secs(120);
    a.handle_timeout(t2);
    let (id, url) = http(&mut a);
    assert!(url.starts_with(&first));
    assert!(
        url.contains("event=started"),
        "started is repeated until taken"
    );
    a.handle_request_failed(t2, id, "reset");
    let (id, _) = http(&mut a);
    a.handle_http_response(t2, id, 200, &peers_body(600, None, None));
    assert!(
        events(&mut a)
            .iter()
            .any(|e| matches!(e, TrackerEvent::Success { .. }))
    );
    assert_eq!(a.tiers()[0], [second.clone(), first.clone()]);
    assert_eq!(a.poll_timeout(), Some(t2 + secs(600)));
    // Next time the promoted tracker is asked first, with no event.
    a.handle_timeout(t2 + secs(600));
    let (_, url) = http(&mut a);
    assert!(url.starts_with(&second) && !url.contains("event="));
}

#[test]
fn a_tracker_that_fails_twice_then_answers() {
    let url = "http://127.0.0.1:6969/announce";
    let mut a = announcer(AnnouncerConfig::default(), &[&[url]]);
    let t0 = Instant::now();
    a.start(t0, stats());
    let mut log = Vec::new();
    let mut now = t0;
    for _ in 0..2 {
        let (_, _) = http(&mut a);
        now = a.poll_timeout().expect("timeout armed");
        a.handle_timeout(now);
        log.extend(events(&mut a));
        now = a.poll_timeout().expect("retry armed");
        a.handle_timeout(now);
    }
    let (id, _) = http(&mut a);
    a.handle_http_response(now + secs(2), id, 200, &peers_body(1800, None, None));
    log.extend(events(&mut a));
    let summary: Vec<String> = log
        .iter()
        .filter_map(|e| match e {
            TrackerEvent::Failure {
                times_in_row,
                status_code,
                ..
            } => Some(format!("failure {times_in_row} {status_code}")),
            TrackerEvent::Success { .. } => Some("success".into()),
            _ => None,
        })
        .collect();
    assert_eq!(summary, ["failure 1 0", "failure 2 0", "success"]);
    // Timing: 30 s timeout, 60 s wait, 30 s timeout, 120 s wait.
    assert_eq!(now, t0 + secs(30 + 60 + 30 + 120));
}

fn udp(announcer: &mut Announcer) -> (String, RequestRepr) {
    match announcer.poll_request() {
        Some(TrackerRequest::Udp {
            host_port, payload, ..
        }) => {
            let view = Request::new_checked(&payload[..]).expect("a valid BEP 15 request");
            (host_port, RequestRepr::parse(&view))
        }
        other => panic!("expected a UDP request, got {other:?}"),
    }
}

fn reply(repr: &ResponseRepr) -> Vec<u8> {
    let mut buf = vec![0u8; repr.buffer_len()];
    repr.emit(&mut buf).expect("emit");
    buf
}

#[test]
fn udp_connects_announces_and_reuses_the_connection_id_for_a_minute() {
    let url = "udp://127.0.0.1:6969/announce";
    let mut a = announcer(AnnouncerConfig::default(), &[&[url]]);
    let t0 = Instant::now();
    a.start(t0, stats());
    let (host_port, request) = udp(&mut a);
    assert_eq!(host_port, "127.0.0.1:6969");
    let RequestRepr::Connect { transaction_id } = request else {
        panic!("{request:?}")
    };
    assert_eq!(a.poll_timeout(), Some(t0 + secs(15)));
    // A reply with another transaction id is ignored.
    let stray = ResponseRepr::Connect {
        transaction_id: transaction_id ^ 1,
        connection_id: 9,
    };
    a.handle_datagram(t0, Family::V4, &reply(&stray));
    assert!(a.poll_request().is_none());
    let connected = ResponseRepr::Connect {
        transaction_id,
        connection_id: 0x0102_0304_0506_0708,
    };
    a.handle_datagram(t0 + secs(1), Family::V4, &reply(&connected));
    let (_, request) = udp(&mut a);
    let RequestRepr::Announce(announce) = request else {
        panic!("{request:?}")
    };
    assert_eq!(
        announce,
        UdpAnnounce {
            connection_id: 0x0102_0304_0506_0708,
            transaction_id: announce.transaction_id,
            info_hash: torrent().info_hash,
            peer_id: torrent().peer_id,
            downloaded: 0,
            left: 1000,
            uploaded: 0,
            event: AnnounceEvent::Started,
            ip: None,
            key: a.key(),
            num_want: Some(50),
            port: 6881,
        }
    );
    let answer = ResponseRepr::Announce {
        transaction_id: announce.transaction_id,
        interval: 40,
        leechers: 1,
        seeders: 2,
        peers: vec![addr("127.0.0.3:51413")],
    };
    a.handle_datagram(t0 + secs(2), Family::V4, &reply(&answer));
    let log = events(&mut a);
    assert_eq!(
        log.iter()
            .filter(|e| matches!(e, TrackerEvent::Write { length: 16, .. }))
            .count(),
        1
    );
    assert!(log.contains(&TrackerEvent::Success {
        url: url.into(),
        peers: vec![addr("127.0.0.3:51413")],
        interval: secs(40),
        seeders: Some(2),
        leechers: Some(1),
    }));
    // 40 s later the connection id (received at t0 + 1 s) is still valid: no connect.
    a.handle_timeout(t0 + secs(42));
    let (_, request) = udp(&mut a);
    let RequestRepr::Announce(again) = request else {
        panic!("{request:?}")
    };
    assert_eq!(again.event, AnnounceEvent::None);
    let answer = ResponseRepr::Announce {
        transaction_id: again.transaction_id,
        interval: 40,
        leechers: 1,
        seeders: 2,
        peers: vec![],
    };
    a.handle_datagram(t0 + secs(43), Family::V4, &reply(&answer));
    // At t0 + 83 s it is older than a minute: connect first.
    a.handle_timeout(t0 + secs(83));
    let (_, request) = udp(&mut a);
    assert!(
        matches!(request, RequestRepr::Connect { .. }),
        "{request:?}"
    );
}

#[test]
fn udp_retransmits_at_15_times_2_to_the_n_then_fails_over() {
    let config = AnnouncerConfig {
        udp_max_retries: 3,
        ..AnnouncerConfig::default()
    };
    let mut a = announcer(config, &[&["udp://127.0.0.1:1"], &["http://b/announce"]]);
    let t0 = Instant::now();
    a.start(t0, stats());
    let mut sent_at = vec![0u64];
    let (_, first) = udp(&mut a);
    let mut tids = vec![first];
    let mut now = t0;
    while let Some(deadline) = a.poll_timeout() {
        now = deadline;
        a.handle_timeout(now);
        match a.poll_request() {
            Some(TrackerRequest::Udp { payload, .. }) => {
                sent_at.push(now.duration_since(t0).as_secs());
                tids.push(RequestRepr::parse(
                    &Request::new_checked(&payload[..]).expect("valid"),
                ));
            }
            Some(TrackerRequest::Http { url, .. }) => {
                assert!(url.starts_with("http://b/announce"));
                break;
            }
            None => panic!("nothing sent at {now:?}"),
        }
    }
    // Sent at 0, then after 15, 30 and 60 s; failed after another 120 s.
    assert_eq!(sent_at, [0, 15, 45, 105]);
    assert_eq!(now.duration_since(t0).as_secs(), 225);
    assert!(
        tids.iter()
            .all(|r| matches!(r, RequestRepr::Connect { .. }))
    );
    let failure = events(&mut a)
        .into_iter()
        .find(|e| matches!(e, TrackerEvent::Failure { .. }));
    assert_eq!(
        failure,
        Some(TrackerEvent::Failure {
            url: "udp://127.0.0.1:1".into(),
            times_in_row: 1,
            status_code: 0,
            reason: "timed out".into()
        })
    );
}

#[test]
fn udp_error_and_malformed_replies_are_failures() {
    let mut a = announcer(
        AnnouncerConfig::default(),
        &[&["udp://127.0.0.1:1", "udp://127.0.0.1:2"]],
    );
    let t0 = Instant::now();
    a.start(t0, stats());
    let (_, request) = udp(&mut a);
    let RequestRepr::Connect { transaction_id } = request else {
        panic!()
    };
    let error = ResponseRepr::Error {
        transaction_id,
        message: "go away".into(),
    };
    a.handle_datagram(t0, Family::V4, &reply(&error));
    let (_, request) = udp(&mut a);
    let RequestRepr::Connect { transaction_id } = request else {
        panic!()
    };
    // opentracker's refusal: a bare announce header with our transaction id.
    let mut bare = vec![0, 0, 0, 1];
    bare.extend(transaction_id.to_be_bytes());
    a.handle_datagram(t0, Family::V4, &bare);
    let reasons: Vec<String> = events(&mut a)
        .into_iter()
        .filter_map(|e| match e {
            TrackerEvent::Failure { reason, .. } => Some(reason),
            _ => None,
        })
        .collect();
    assert_eq!(reasons.len(), 2);
    assert_eq!(reasons[0], "go away");
    assert!(reasons[1].starts_with("invalid reply"), "{}", reasons[1]);
    assert_eq!(a.poll_timeout(), Some(t0 + secs(60)));
}

#[test]
fn stop_announces_stopped_once_and_goes_quiet() {
    let url = "http://127.0.0.1:6969/announce";
    let mut never = announcer(AnnouncerConfig::default(), &[&[url]]);
    let t0 = Instant::now();
    never.start(t0, stats());
    let (id, _) = http(&mut never);
    never.handle_request_failed(t0, id, "refused");
    // No tracker took an announce: stop without a request.
    never.stop(t0, stats());
    assert!(never.is_stopped() && never.poll_request().is_none() && never.poll_timeout().is_none());

    // `started` is in flight: the tracker may have taken it, so it hears `stopped`.
    let mut early = announcer(AnnouncerConfig::default(), &[&[url]]);
    early.start(t0, stats());
    let (started, _) = http(&mut early);
    early.stop(t0, stats());
    let (stop_id, full) = http(&mut early);
    assert!(full.contains("event=stopped"), "{full}");
    early.handle_http_response(t0, started, 200, &peers_body(1800, None, None));
    assert!(!early.is_stopped(), "the reply to started is ignored");
    early.handle_http_response(t0, stop_id, 200, &peers_body(1800, None, None));
    assert!(early.is_stopped());

    let mut a = announcer(AnnouncerConfig::default(), &[&[url]]);
    a.start(t0, stats());
    let (id, _) = http(&mut a);
    a.handle_http_response(t0, id, 200, &peers_body(1800, None, None));
    a.stop(t0 + secs(5), stats());
    let (stop_id, full) = http(&mut a);
    assert!(full.contains("event=stopped"));
    // The reply to the old request is ignored.
    a.handle_http_response(t0 + secs(6), id, 200, &peers_body(1, None, None));
    assert!(!a.is_stopped());
    a.handle_request_failed(t0 + secs(6), stop_id, "refused");
    assert!(a.is_stopped(), "stopped is not retried");
    assert_eq!(a.poll_timeout(), None);
    assert!(a.poll_request().is_none());
}

#[test]
fn the_event_queue_is_bounded() {
    let mut a = announcer(AnnouncerConfig::default(), &[&["http://a/announce"]]);
    let t0 = Instant::now();
    a.start(t0, stats());
    let mut now = t0;
    for _ in 0..100 {
        now = a.poll_timeout().expect("armed");
        a.handle_timeout(now);
    }
    assert!(a.dropped_events() > 0);
    assert_eq!(events(&mut a).len(), EVENT_CAPACITY);
    assert!(now > t0);
}

#[test]
fn only_reachable_schemes_count() {
    let refused = Announcer::new(
        AnnouncerConfig::default(),
        torrent(),
        &tiers(&[&["wss://t", "udp://no-port"], &[]]),
        Box::new(SimRng::new(SEED)),
    );
    assert!(refused.is_err());
}

#[test]
fn tiers_are_shuffled_by_the_generator_and_only_by_it() {
    let urls: &[&[&str]] = &[&["http://a/a", "http://b/a", "http://c/a"], &["http://d/a"]];
    let order = |seed| {
        Announcer::new(
            AnnouncerConfig::default(),
            torrent(),
            &tiers(urls),
            Box::new(SimRng::new(seed)),
        )
        .expect("trackers")
        .tiers()
    };
    let mut seen = std::collections::BTreeSet::new();
    for seed in 0..64 {
        let tiers = order(seed);
        assert_eq!(
            tiers,
            order(seed),
            "seed {seed}: the same seed, the same order"
        );
        assert_eq!(tiers[1], ["http://d/a"]);
        let mut sorted = tiers[0].clone();
        sorted.sort();
        assert_eq!(sorted, ["http://a/a", "http://b/a", "http://c/a"]);
        seen.insert(tiers[0].clone());
    }
    assert_eq!(
        seen.len(),
        6,
        "all six orders of three trackers occur over 64 seeds"
    );
}

#[test]
fn stopped_goes_to_every_tracker_that_took_an_announce_and_only_to_them() {
    let mut a = announcer(
        AnnouncerConfig::default(),
        &[
            &["http://a/announce"],
            &["http://b/announce"],
            &["http://c/announce"],
        ],
    );
    let t0 = Instant::now();
    a.start(t0, stats());
    // `started` goes to a, which takes it.
    let (id, url) = http(&mut a);
    assert!(url.starts_with("http://a/") && url.contains("event=started"));
    a.handle_http_response(t0, id, 200, &peers_body(60, None, None));
    // The next regular announce: a fails, b takes it. c is never asked.
    a.handle_timeout(t0 + secs(60));
    let (id, _) = http(&mut a);
    a.handle_request_failed(t0 + secs(60), id, "refused");
    let (id, url) = http(&mut a);
    assert!(url.starts_with("http://b/"));
    a.handle_http_response(t0 + secs(60), id, 200, &peers_body(60, None, None));
    let _ = events(&mut a);

    a.stop(t0 + secs(70), stats());
    // a first (tier order); its failure moves on to b at once, without a retry.
    let (id, url) = http(&mut a);
    assert!(
        url.starts_with("http://a/") && url.contains("event=stopped"),
        "{url}"
    );
    a.handle_request_failed(t0 + secs(70), id, "refused");
    assert!(!a.is_stopped());
    let (id, url) = http(&mut a);
    assert!(
        url.starts_with("http://b/") && url.contains("event=stopped"),
        "{url}"
    );
    a.stop(t0 + secs(70), stats());
    assert!(a.poll_request().is_none(), "a second stop changes nothing");
    a.handle_http_response(t0 + secs(71), id, 200, &peers_body(60, None, None));
    assert!(
        a.is_stopped(),
        "c never took an announce, so it hears no stopped"
    );
    assert!(a.poll_request().is_none());
    assert_eq!(a.poll_timeout(), None);
    let announced: Vec<(String, AnnounceEvent)> = events(&mut a)
        .into_iter()
        .filter_map(|e| match e {
            TrackerEvent::Announce { url, event } => Some((url, event)),
            _ => None,
        })
        .collect();
    assert_eq!(
        announced,
        [
            ("http://a/announce".to_owned(), AnnounceEvent::Stopped),
            ("http://b/announce".to_owned(), AnnounceEvent::Stopped),
        ]
    );
}

#[test]
fn stopped_over_udp_reuses_the_connection_id_and_ends_after_the_reply() {
    let mut a = announcer(AnnouncerConfig::default(), &[&["udp://127.0.0.1:6969"]]);
    let t0 = Instant::now();
    a.start(t0, stats());
    let (_, connect) = udp(&mut a);
    let RequestRepr::Connect { transaction_id } = connect else {
        panic!("{connect:?}")
    };
    let connection_id = 0x1122_3344_5566_7788;
    a.handle_datagram(
        t0,
        Family::V4,
        &reply(&ResponseRepr::Connect {
            transaction_id,
            connection_id,
        }),
    );
    let (_, announce) = udp(&mut a);
    let RequestRepr::Announce(UdpAnnounce {
        transaction_id,
        event,
        ..
    }) = announce
    else {
        panic!("{announce:?}")
    };
    assert_eq!(event, AnnounceEvent::Started);
    let answer = |transaction_id| ResponseRepr::Announce {
        transaction_id,
        interval: 1800,
        leechers: 1,
        seeders: 0,
        peers: Vec::new(),
    };
    a.handle_datagram(t0, Family::V4, &reply(&answer(transaction_id)));
    a.stop(t0 + secs(10), stats());
    let (_, stopped) = udp(&mut a);
    let RequestRepr::Announce(UdpAnnounce {
        transaction_id,
        event,
        connection_id: used,
        ..
    }) = stopped
    else {
        panic!("{stopped:?}")
    };
    assert_eq!((event, used), (AnnounceEvent::Stopped, connection_id));
    assert!(!a.is_stopped());
    a.handle_datagram(t0 + secs(10), Family::V4, &reply(&answer(transaction_id)));
    assert!(a.is_stopped());
    assert_eq!(a.poll_timeout(), None);
}
