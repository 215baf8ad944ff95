//! UtpStreams on loopback: bulk copy, half-close, many streams on one socket, failure to
//! connect, and what dropping a stream sends.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hark_proto::icmp::Unreachable;
use hark_tokio::{ConnectionError, UtpError, UtpOptions, UtpSocket};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// Deterministic bytes that differ at every offset modulo a large period.
fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// A server and a client socket on loopback, both with `options`.
async fn socket_pair(options: UtpOptions) -> (UtpSocket, UtpSocket) {
    let server = UtpSocket::bind_with(loopback(), options.clone())
        .await
        .unwrap();
    let client = UtpSocket::bind_with(loopback(), options).await.unwrap();
    (server, client)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokio_io_copy_moves_100_mib_byte_exact() {
    const LEN: usize = 100 << 20;
    let data = pattern(LEN, 0x5eed_0001);
    let server = UtpSocket::bind(loopback()).await.unwrap();
    let client = UtpSocket::bind(loopback()).await.unwrap();
    let addr = server.local_addr();
    let receiver = tokio::spawn(async move {
        let (mut stream, peer) = server.accept().await.unwrap();
        let mut sink = Vec::with_capacity(LEN);
        let copied = tokio::io::copy(&mut stream, &mut sink).await.unwrap();
        (copied, sink, peer)
    });
    let mut stream = client.connect(addr).await.unwrap();
    assert_eq!(stream.peer_addr(), addr);
    let local = stream.local_addr();
    let copied = tokio::io::copy(&mut &data[..], &mut stream).await.unwrap();
    assert_eq!(copied, LEN as u64);
    stream.shutdown().await.unwrap();
    let (received, sink, peer) = tokio::time::timeout(Duration::from_secs(120), receiver)
        .await
        .expect("the transfer finishes")
        .unwrap();
    assert_eq!(peer, local);
    assert_eq!(received, LEN as u64);
    assert!(sink == data, "received bytes differ from the sent ones");
    let stats = stream.stats();
    assert!(stats.bytes_sent >= LEN as u64, "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_close_lets_the_other_direction_go_on() {
    let server = UtpSocket::bind(loopback()).await.unwrap();
    let client = UtpSocket::bind(loopback()).await.unwrap();
    let addr = server.local_addr();
    let answer = pattern(300_000, 7);
    let expected = answer.clone();
    let served = tokio::spawn(async move {
        let (mut stream, _) = server.accept().await.unwrap();
        let mut request = Vec::new();
        // Ends at the client's FIN, while the server's direction is still open.
        stream.read_to_end(&mut request).await.unwrap();
        stream.write_all(&answer).await.unwrap();
        stream.shutdown().await.unwrap();
        request
    });
    let mut stream = client.connect(addr).await.unwrap();
    stream.write_all(b"GET after half-close").await.unwrap();
    stream.shutdown().await.unwrap();
    assert!(
        stream.write_all(b"more").await.is_err(),
        "writing after shutdown fails"
    );
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).await.unwrap();
    assert!(reply == expected, "the reply after our FIN differs");
    assert_eq!(served.await.unwrap(), b"GET after half-close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_streams_share_one_socket() {
    const STREAMS: usize = 1000;
    const LEN: usize = 4096;
    let options = UtpOptions {
        backlog: STREAMS,
        max_half_open: STREAMS,
        ..UtpOptions::default()
    };
    let (server, client) = socket_pair(options).await;
    let addr = server.local_addr();
    let echo = tokio::spawn(async move {
        for _ in 0..STREAMS {
            let (mut stream, _) = server.accept().await.unwrap();
            tokio::spawn(async move {
                let (mut reader, mut writer) = stream.split();
                tokio::io::copy(&mut reader, &mut writer).await.unwrap();
                writer.shutdown().await.unwrap();
            });
        }
        server
    });
    let mut tasks = Vec::new();
    for i in 0..STREAMS {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let data = pattern(LEN, i as u64 + 1);
            let stream = client.connect(addr).await.unwrap();
            let (mut reader, mut writer) = stream.into_split();
            let sent = data.clone();
            let write = tokio::spawn(async move {
                writer.write_all(&sent).await.unwrap();
                writer.shutdown().await.unwrap();
            });
            let mut back = Vec::new();
            reader.read_to_end(&mut back).await.unwrap();
            write.await.unwrap();
            assert!(back == data, "stream {i} echoed other bytes");
        }));
    }
    let all = async {
        for task in tasks {
            task.await.unwrap();
        }
    };
    tokio::time::timeout(Duration::from_secs(120), all)
        .await
        .expect("all streams finish");
    let server = echo.await.unwrap();
    assert!(server.stats().driver.refused == 0, "{:?}", server.stats());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connecting_to_a_closed_port_fails_fast_from_the_icmp_error() {
    let closed = std::net::UdpSocket::bind(loopback()).unwrap();
    let target = closed.local_addr().unwrap();
    drop(closed);
    // Default options: without the ICMP report the SYN would be retried for 15 s.
    let client = UtpSocket::bind(loopback()).await.unwrap();
    let started = Instant::now();
    let result = tokio::time::timeout(Duration::from_secs(30), client.connect(target))
        .await
        .expect("connect gives up");
    let error = result.expect_err("nobody listens there");
    assert!(
        matches!(
            error,
            UtpError::Connection(ConnectionError::Unreachable(Unreachable::Port))
        ),
        "{error:?}"
    );
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "before the first SYN retry: {:?}",
        started.elapsed()
    );
    assert_eq!(client.stats().driver.icmp_errors, 1);
    let io: std::io::Error = error.into();
    assert_eq!(io.kind(), std::io::ErrorKind::ConnectionRefused);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_peer_times_out_with_a_typed_error() {
    // A bound socket that never answers: no ICMP, so the SYN retries run out.
    let silent = std::net::UdpSocket::bind(loopback()).unwrap();
    let options = UtpOptions {
        initial_rto: Duration::from_millis(100),
        syn_retries: 2,
        ..UtpOptions::default()
    };
    let client = UtpSocket::bind_with(loopback(), options).await.unwrap();
    let started = Instant::now();
    let error = tokio::time::timeout(
        Duration::from_secs(30),
        client.connect(silent.local_addr().unwrap()),
    )
    .await
    .expect("connect gives up")
    .expect_err("nobody answers");
    assert!(
        matches!(error, UtpError::Connection(ConnectionError::TimedOut)),
        "{error:?}"
    );
    // 100 ms, then 200 ms and 400 ms of backoff.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        std::io::Error::from(error).kind(),
        std::io::ErrorKind::TimedOut
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_connection_is_reported_as_refused() {
    // A socket whose every handle is gone refuses SYNs with a RESET.
    let options = UtpOptions {
        backlog: 1,
        ..UtpOptions::default()
    };
    let server = UtpSocket::bind_with(loopback(), options).await.unwrap();
    let client = UtpSocket::bind(loopback()).await.unwrap();
    let addr = server.local_addr();
    // Fill the one-place accept queue, then the next SYN is refused.
    let _first = client.connect(addr).await.unwrap();
    let error = client.connect(addr).await.expect_err("the backlog is full");
    assert!(
        matches!(error, UtpError::Connection(ConnectionError::Refused)),
        "{error:?}"
    );
    assert_eq!(server.stats().driver.refused, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_a_stream_sends_fin_after_the_queued_data() {
    let server = UtpSocket::bind(loopback()).await.unwrap();
    let client = UtpSocket::bind(loopback()).await.unwrap();
    let addr = server.local_addr();
    let data = pattern(2 << 20, 99);
    let mut stream = client.connect(addr).await.unwrap();
    let (mut accepted, _) = server.accept().await.unwrap();
    // Queue as much as the send buffer takes, then drop without shutdown.
    let queued = {
        let mut n = 0;
        while n < data.len() {
            match tokio::time::timeout(Duration::from_millis(200), stream.write(&data[n..])).await {
                Ok(written) => n += written.unwrap(),
                Err(_) => break,
            }
        }
        n
    };
    assert!(queued > 0);
    drop(stream);
    let mut received = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), accepted.read_to_end(&mut received))
        .await
        .expect("the FIN arrives")
        .expect("a FIN, not a RESET");
    assert_eq!(received.len(), queued);
    assert!(received == data[..queued], "the queued data arrives intact");
    // The accepting side closes too; both connections finish and are forgotten.
    drop(accepted);
    let deadline = Instant::now() + Duration::from_secs(20);
    while client.stats().connections + server.stats().connections > 0 {
        assert!(Instant::now() < deadline, "connections linger forever");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_accept_loses_no_connection() {
    let server = UtpSocket::bind(loopback()).await.unwrap();
    let client = UtpSocket::bind(loopback()).await.unwrap();
    // An accept that is cancelled before anyone connects.
    assert!(
        tokio::time::timeout(Duration::from_millis(50), server.accept())
            .await
            .is_err()
    );
    let mut stream = client.connect(server.local_addr()).await.unwrap();
    stream.write_all(b"still there").await.unwrap();
    stream.shutdown().await.unwrap();
    let (mut accepted, _) = server.accept().await.unwrap();
    let mut got = Vec::new();
    accepted.read_to_end(&mut got).await.unwrap();
    assert_eq!(got, b"still there");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_does_not_read_makes_poll_write_pend() {
    const BUFFER: usize = 256 * 1024;
    let options = UtpOptions {
        send_buffer: BUFFER,
        recv_buffer: BUFFER,
        ..UtpOptions::default()
    };
    let (server, client) = socket_pair(options).await;
    let mut stream = client.connect(server.local_addr()).await.unwrap();
    let (_idle, _) = server.accept().await.unwrap();
    let chunk = vec![7u8; 64 * 1024];
    let mut written = 0;
    let blocked = loop {
        match tokio::time::timeout(Duration::from_millis(500), stream.write(&chunk)).await {
            Ok(n) => written += n.unwrap(),
            Err(_) => break true,
        }
        if written > 16 * BUFFER {
            break false;
        }
    };
    assert!(blocked, "writes never pended ({written} bytes accepted)");
    // What the peer's window and our send buffer hold, no more.
    assert!(
        written <= 2 * BUFFER + 64 * 1024,
        "{written} bytes accepted"
    );
    assert!(written >= BUFFER, "only {written} bytes accepted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_made_from_a_tokio_udp_socket_carries_streams() {
    let udp = tokio::net::UdpSocket::bind(loopback()).await.unwrap();
    let addr = udp.local_addr().unwrap();
    let server = UtpSocket::from_tokio(udp, UtpOptions::default()).unwrap();
    assert_eq!(server.local_addr(), addr);
    let client = UtpSocket::bind(loopback()).await.unwrap();
    let mut stream = client.connect(addr).await.unwrap();
    stream.write_all(b"through a tokio socket").await.unwrap();
    stream.shutdown().await.unwrap();
    let (mut accepted, from) = server.accept().await.unwrap();
    assert_eq!(from, client.local_addr());
    let mut got = Vec::new();
    accepted.read_to_end(&mut got).await.unwrap();
    assert_eq!(got, b"through a tokio socket");
    assert_eq!(accepted.stats().bytes_received, got.len() as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_connect_leaves_nothing_behind() {
    let silent = std::net::UdpSocket::bind(loopback()).unwrap();
    let options = UtpOptions {
        initial_rto: Duration::from_millis(100),
        syn_retries: 2,
        ..UtpOptions::default()
    };
    let client = UtpSocket::bind_with(loopback(), options).await.unwrap();
    let cancelled = tokio::time::timeout(
        Duration::from_millis(50),
        client.connect(silent.local_addr().unwrap()),
    )
    .await;
    assert!(cancelled.is_err(), "the connect was still waiting");
    // The dropped half-open stream was closed; the core forgets it once its SYN gives up.
    let deadline = Instant::now() + Duration::from_secs(10);
    while client.stats().connections > 0 {
        assert!(
            Instant::now() < deadline,
            "the cancelled connection lingers"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn options_reach_the_core_integrity_and_mtu_included() {
    let options = UtpOptions {
        require_integrity: true,
        udp_mtu_v4: 1200,
        target_delay: Duration::from_millis(50),
        ..UtpOptions::default()
    };
    let (server, client) = socket_pair(options).await;
    let mut stream = client.connect(server.local_addr()).await.unwrap();
    let data = pattern(500_000, 5);
    stream.write_all(&data).await.unwrap();
    stream.shutdown().await.unwrap();
    let (mut accepted, _) = server.accept().await.unwrap();
    let mut got = Vec::new();
    accepted.read_to_end(&mut got).await.unwrap();
    assert!(got == data);
    let info = stream.info().expect("the connection lingers");
    assert!(info.integrity, "both sides checksum: {info:?}");
    assert!(info.max_payload < 1200, "{info:?}");
    // A peer that does not checksum is refused.
    let plain = UtpSocket::bind(loopback()).await.unwrap();
    let error = plain
        .connect(server.local_addr())
        .await
        .expect_err("refused");
    assert!(
        matches!(error, UtpError::Connection(ConnectionError::Refused)),
        "{error:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_sent_to_a_dropped_stream_is_discarded_so_the_peer_finishes() {
    const BUFFER: usize = 128 * 1024;
    let options = UtpOptions {
        recv_buffer: BUFFER,
        ..UtpOptions::default()
    };
    let server = UtpSocket::bind(loopback()).await.unwrap();
    let client = UtpSocket::bind_with(loopback(), options).await.unwrap();
    let stream = client.connect(server.local_addr()).await.unwrap();
    let (mut accepted, _) = server.accept().await.unwrap();
    drop(stream);
    // Far more than the dropped side's receive window: it only gets through if the
    // dropped side keeps reading (and discarding).
    let data = vec![3u8; 16 * BUFFER];
    tokio::time::timeout(Duration::from_secs(30), async {
        accepted.write_all(&data).await.unwrap();
        accepted.shutdown().await.unwrap();
    })
    .await
    .expect("the peer of a dropped stream can finish sending");
    let mut rest = Vec::new();
    accepted.read_to_end(&mut rest).await.unwrap();
    assert!(rest.is_empty(), "the dropped side sent nothing but its FIN");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_run_over_ipv6_and_a_closed_v6_port_fails_fast() {
    let v6: SocketAddr = "[::1]:0".parse().unwrap();
    let server = UtpSocket::bind(v6).await.unwrap();
    let client = UtpSocket::bind(v6).await.unwrap();
    let data = pattern(3 << 20, 66);
    let mut stream = client.connect(server.local_addr()).await.unwrap();
    let sent = data.clone();
    let writer = tokio::spawn(async move {
        stream.write_all(&sent).await.unwrap();
        stream.shutdown().await.unwrap();
        stream
    });
    let (mut accepted, from) = server.accept().await.unwrap();
    assert_eq!(from, client.local_addr());
    let mut got = Vec::new();
    accepted.read_to_end(&mut got).await.unwrap();
    assert!(got == data);
    drop(writer.await.unwrap());

    let closed = std::net::UdpSocket::bind(v6).unwrap();
    let target = closed.local_addr().unwrap();
    drop(closed);
    let started = Instant::now();
    let error = client.connect(target).await.expect_err("closed port");
    assert!(
        matches!(
            error,
            UtpError::Connection(ConnectionError::Unreachable(Unreachable::Port))
        ),
        "{error:?}"
    );
    assert!(started.elapsed() < Duration::from_millis(900));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nine_thousand_byte_datagrams_go_out_whole() {
    // Longer than the driver's smallest send slot (2048 bytes): the slots must grow to the
    // configured MTU (such packets once never left, and the stream stalled).
    const LEN: usize = 2 << 20;
    let options = UtpOptions {
        udp_mtu_v4: 9000,
        ..UtpOptions::default()
    };
    let (server, client) = socket_pair(options).await;
    let addr = server.local_addr();
    let data = pattern(LEN, 0x9000);
    let receiver = tokio::spawn(async move {
        let (mut stream, _) = server.accept().await.unwrap();
        let mut sink = Vec::with_capacity(LEN);
        stream.read_to_end(&mut sink).await.unwrap();
        sink
    });
    let mut stream = client.connect(addr).await.unwrap();
    tokio::time::timeout(Duration::from_secs(60), async {
        stream.write_all(&data).await.unwrap();
        stream.shutdown().await.unwrap();
    })
    .await
    .expect("the data is sent");
    let sink = tokio::time::timeout(Duration::from_secs(60), receiver)
        .await
        .expect("the transfer finishes")
        .unwrap();
    assert!(sink == data, "received bytes differ from the sent ones");
    let stats = stream.stats();
    assert!(
        stats.packets_sent < (LEN / 2048) as u64,
        "{} packets for {LEN} bytes: not 9000-byte packets",
        stats.packets_sent
    );
}
