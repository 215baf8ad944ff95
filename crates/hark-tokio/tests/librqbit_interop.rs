//! hark-tokio against librqbit-utp 0.7, an independent uTP implementation on tokio (a
//! crates.io dev-dependency): each side connecting to the other, full duplex, byte-exact,
//! and librqbit-utp's FIN read as the end of hark-tokio's stream.

use std::net::SocketAddr;
use std::time::Duration;

use hark_tokio::UtpSocket;
use librqbit_utp::UtpSocketUdp;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

const LEN: usize = 8 << 20;
const LIMIT: Duration = Duration::from_secs(120);

fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 11) as u8
        })
        .collect()
}

/// Writes `out` while reading `len` bytes, then shuts down and waits for the peer's FIN
/// (librqbit-utp closes its whole stream on a FIN, so neither side shuts down before it
/// has read everything); returns what was read and whether the FIN came.
async fn exchange<R, W>(mut reader: R, mut writer: W, out: Vec<u8>, len: usize) -> (Vec<u8>, bool)
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut got = vec![0; len];
    let (wrote, read) = tokio::join!(writer.write_all(&out), reader.read_exact(&mut got));
    wrote.unwrap();
    read.unwrap();
    // Both shutdowns complete once the peer has taken the FIN (hark-tokio's when the FIN
    // is acknowledged).
    tokio::time::timeout(Duration::from_secs(10), writer.shutdown())
        .await
        .expect("shutdown completes")
        .expect("shutdown succeeds");
    let mut rest = [0u8; 16];
    let eof = matches!(
        tokio::time::timeout(Duration::from_secs(10), reader.read(&mut rest)).await,
        Ok(Ok(0))
    );
    (got, eof)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn librqbit_utp_connects_to_hark_tokio_byte_exact_both_ways() {
    let hark = UtpSocket::bind(loopback()).await.unwrap();
    let rqbit = UtpSocketUdp::new_udp(loopback()).await.unwrap();
    let addr = hark.local_addr();
    let (to_hark, to_rqbit) = (pattern(LEN, 1), pattern(LEN, 2));
    let (a, b) = (to_hark.clone(), to_rqbit.clone());
    let rqbit_side = tokio::spawn(async move {
        let stream = rqbit.connect(addr).await.unwrap();
        let (reader, writer) = stream.split();
        exchange(reader, writer, a, LEN).await
    });
    let (stream, _) = tokio::time::timeout(LIMIT, hark.accept())
        .await
        .unwrap()
        .unwrap();
    let (reader, writer) = stream.into_split();
    let hark_side = exchange(reader, writer, b, LEN);
    let ((at_hark, hark_eof), rqbit_result) =
        tokio::time::timeout(LIMIT, async { tokio::join!(hark_side, rqbit_side) })
            .await
            .expect("the exchange finishes");
    let (at_rqbit, _) = rqbit_result.unwrap();
    assert!(at_hark == to_hark, "hark-tokio received other bytes");
    assert!(at_rqbit == to_rqbit, "librqbit-utp received other bytes");
    assert!(hark_eof, "librqbit-utp's FIN ends hark-tokio's stream");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hark_tokio_connects_to_librqbit_utp_byte_exact_both_ways() {
    let rqbit = UtpSocketUdp::new_udp(loopback()).await.unwrap();
    let hark = UtpSocket::bind(loopback()).await.unwrap();
    let addr = rqbit.bind_addr();
    let (to_hark, to_rqbit) = (pattern(LEN, 3), pattern(LEN, 4));
    let (a, b) = (to_hark.clone(), to_rqbit.clone());
    let rqbit_side = tokio::spawn(async move {
        let stream = rqbit.accept().await.unwrap();
        let (reader, writer) = stream.split();
        exchange(reader, writer, a, LEN).await
    });
    let stream = tokio::time::timeout(LIMIT, hark.connect(addr))
        .await
        .unwrap()
        .unwrap();
    let (reader, writer) = stream.into_split();
    let hark_side = exchange(reader, writer, b, LEN);
    let ((at_hark, hark_eof), rqbit_result) =
        tokio::time::timeout(LIMIT, async { tokio::join!(hark_side, rqbit_side) })
            .await
            .expect("the exchange finishes");
    let (at_rqbit, _) = rqbit_result.unwrap();
    assert!(at_hark == to_hark, "hark-tokio received other bytes");
    assert!(at_rqbit == to_rqbit, "librqbit-utp received other bytes");
    assert!(hark_eof, "librqbit-utp's FIN ends hark-tokio's stream");
}
