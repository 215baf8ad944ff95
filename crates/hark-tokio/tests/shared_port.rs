//! Other datagram users on a uTP socket's port (a DHT here), and the event stream.

use std::net::SocketAddr;
use std::time::Duration;

use hark_tokio::{Event, UtpSocket};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_stream_free::next;

fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// `StreamExt::next` without another dependency.
mod tokio_stream_free {
    use futures_core::Stream;
    use std::future::poll_fn;
    use std::pin::Pin;

    pub async fn next<S: Stream + Unpin>(stream: &mut S) -> Option<S::Item> {
        poll_fn(|cx| Pin::new(&mut *stream).poll_next(cx)).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_gets_its_datagrams_while_utp_streams_run_on_the_same_port() {
    let server = UtpSocket::bind(loopback()).await.unwrap();
    let client = UtpSocket::bind(loopback()).await.unwrap();
    let addr = server.local_addr();
    // A DHT's KRPC messages are bencoded dictionaries: they start with 'd'.
    let mut dht = server.claim(|_, data| data.first() == Some(&b'd'), 16);
    let node = tokio::net::UdpSocket::bind(loopback()).await.unwrap();

    let data = vec![0xa5u8; 1 << 20];
    let sent = data.clone();
    let transfer = tokio::spawn(async move {
        let mut stream = client.connect(addr).await.unwrap();
        stream.write_all(&sent).await.unwrap();
        stream.shutdown().await.unwrap();
        client
    });
    let (mut accepted, _) = server.accept().await.unwrap();

    let ping = b"d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe";
    node.send_to(ping, addr).await.unwrap();
    let (got, from) = tokio::time::timeout(Duration::from_secs(5), dht.recv_from())
        .await
        .expect("the claim receives the ping")
        .unwrap();
    assert_eq!(&got[..], ping);
    assert_eq!(from, node.local_addr().unwrap());
    // The reply leaves from the uTP socket's port.
    let pong = b"d1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re";
    server.send_to(pong, from).await.unwrap();
    let mut buf = [0u8; 128];
    let (len, replier) = node.recv_from(&mut buf).await.unwrap();
    assert_eq!((&buf[..len], replier), (&pong[..], addr));

    let mut received = Vec::new();
    accepted.read_to_end(&mut received).await.unwrap();
    assert!(received == data);
    transfer.await.unwrap();
    let stats = server.stats().driver;
    assert_eq!(stats.claimed, 1, "{stats:?}");
    assert_eq!(dht.dropped(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_claim_drops_and_counts_instead_of_buffering() {
    let socket = UtpSocket::bind(loopback()).await.unwrap();
    let mut claim = socket.claim(|_, data| data.first() == Some(&b'x'), 2);
    let sender = tokio::net::UdpSocket::bind(loopback()).await.unwrap();
    for i in 0..5u8 {
        sender
            .send_to(&[b'x', i], socket.local_addr())
            .await
            .unwrap();
    }
    // Not uTP and not claimed: counted, then ignored.
    sender.send_to(b"zz", socket.local_addr()).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while socket.stats().driver.datagrams_received < 6 {
        assert!(tokio::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(&claim.recv_from().await.unwrap().0[..], &[b'x', 0]);
    assert_eq!(&claim.recv_from().await.unwrap().0[..], &[b'x', 1]);
    assert_eq!(claim.dropped(), 3);
    let stats = socket.stats().driver;
    assert_eq!(
        (stats.claimed, stats.claim_overflows, stats.unclaimed),
        (2, 3, 1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_stream_reports_connection_events() {
    let server = UtpSocket::bind(loopback()).await.unwrap();
    let client = UtpSocket::bind(loopback()).await.unwrap();
    let mut events = client.events(64);
    let mut stream = client.connect(server.local_addr()).await.unwrap();
    let first = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let e = next(&mut events)
                .await
                .expect("events until the socket goes");
            if e.event == Event::Connected {
                return e;
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(first.connection, stream.id());
    stream.write_all(b"bye").await.unwrap();
    drop(stream);
    let (mut accepted, _) = server.accept().await.unwrap();
    let mut got = Vec::new();
    accepted.read_to_end(&mut got).await.unwrap();
    assert_eq!(got, b"bye");
    drop(client);
    // The stream ends once the socket is gone.
    let rest = tokio::time::timeout(Duration::from_secs(10), async {
        while next(&mut events).await.is_some() {}
    })
    .await;
    assert!(rest.is_ok(), "the event stream ends");
}
