//! `cargo xtask bench`'s tokio report (issue 18): one stream's throughput and CPU time
//! per MB on loopback for hark-tokio's `UtpStream`, librqbit-utp 0.7's `UtpStream` and
//! tokio's `TcpStream`, side by side in one process on one tokio runtime.
//!
//! Each round runs every case once (starting at a different case each round, so machine
//! noise hits all alike): a fresh socket pair, a connected stream, then `--megabytes` MB
//! written in 64 KiB chunks and read to the last byte on the other side. The clock runs
//! from the first write to the last byte read; CPU is the whole process's user + system
//! time over the same span (sender, receiver and drivers alike), per MB moved. Figures are
//! medians over the rounds; the ratios are medians of the per-round ratios.
//!
//! Run with `cargo bench -p hark-tokio --bench tokio_utp [-- --rounds N --megabytes N
//! --only LABEL]` (`--only` runs the cases whose label contains LABEL, one round each shown).

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

const CHUNK: usize = 64 * 1024;

/// One measured transfer.
#[derive(Debug, Clone, Copy)]
struct Sample {
    mb_per_s: f64,
    cpu_ms_per_mb: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Case {
    HarkTokio,
    LibrqbitUtp,
    TokioTcp,
}

impl Case {
    const ALL: [Case; 3] = [Case::HarkTokio, Case::LibrqbitUtp, Case::TokioTcp];

    fn label(self) -> &'static str {
        match self {
            Case::HarkTokio => "hark-tokio UtpStream",
            Case::LibrqbitUtp => "librqbit-utp 0.7 UtpStream",
            Case::TokioTcp => "tokio TcpStream",
        }
    }
}

fn process_cpu() -> Duration {
    // SAFETY: an all-zero `rusage` is a valid value of this plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is a live, writable `rusage`; RUSAGE_SELF is always valid.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &raw mut usage) } != 0 {
        return Duration::ZERO;
    }
    let tv = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

type Pair = (
    Box<dyn AsyncWrite + Unpin + Send>,
    Box<dyn AsyncRead + Unpin + Send>,
    Box<dyn std::any::Any + Send>,
);

/// A connected (writer, reader) pair of `case`, plus whatever must live as long.
async fn pair(case: Case) -> Pair {
    match case {
        Case::HarkTokio => {
            let server = hark_tokio::UtpSocket::bind(loopback()).await.unwrap();
            let client = hark_tokio::UtpSocket::bind(loopback()).await.unwrap();
            let addr = server.local_addr();
            let accept = tokio::spawn(async move { server.accept().await.unwrap().0 });
            let writer = client.connect(addr).await.unwrap();
            let reader = accept.await.unwrap();
            (Box::new(writer), Box::new(reader), Box::new(client))
        }
        Case::LibrqbitUtp => {
            let server = librqbit_utp::UtpSocketUdp::new_udp(loopback())
                .await
                .unwrap();
            let client = librqbit_utp::UtpSocketUdp::new_udp(loopback())
                .await
                .unwrap();
            let addr = server.bind_addr();
            let s = server.clone();
            let accept = tokio::spawn(async move { s.accept().await.unwrap() });
            let writer = client.connect(addr).await.unwrap();
            let reader = accept.await.unwrap();
            (
                Box::new(writer),
                Box::new(reader),
                Box::new((server, client)),
            )
        }
        Case::TokioTcp => {
            let listener = tokio::net::TcpListener::bind(loopback()).await.unwrap();
            let addr = listener.local_addr().unwrap();
            let accept = tokio::spawn(async move { listener.accept().await.unwrap().0 });
            let writer = tokio::net::TcpStream::connect(addr).await.unwrap();
            let reader = accept.await.unwrap();
            (Box::new(writer), Box::new(reader), Box::new(()))
        }
    }
}

async fn transfer(case: Case, bytes: u64) -> Sample {
    let (mut writer, mut reader, keep) = pair(case).await;
    let chunk = vec![0x5au8; CHUNK];
    let wall = Instant::now();
    let cpu = process_cpu();
    let write = tokio::spawn(async move {
        let mut left = bytes;
        while left > 0 {
            let n = left.min(CHUNK as u64) as usize;
            writer.write_all(&chunk[..n]).await.unwrap();
            left -= n as u64;
        }
        writer
    });
    let mut buf = vec![0u8; CHUNK];
    let mut got = 0u64;
    while got < bytes {
        let n = reader.read(&mut buf).await.unwrap();
        assert!(n > 0, "{}: the stream ended early", case.label());
        got += n as u64;
    }
    let seconds = wall.elapsed().as_secs_f64();
    let cpu = process_cpu().saturating_sub(cpu).as_secs_f64();
    let writer = write.await.unwrap();
    drop((writer, reader, keep));
    let mb = bytes as f64 / 1e6;
    Sample {
        mb_per_s: mb / seconds,
        cpu_ms_per_mb: cpu * 1e3 / mb,
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

fn main() {
    let (mut rounds, mut megabytes) = (7usize, 200u64);
    let mut only: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--only" {
            only = args.next();
            continue;
        }
        let mut value = || {
            args.next()
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(1)
                .max(1)
        };
        match arg.as_str() {
            "--rounds" => rounds = value() as usize,
            "--megabytes" => megabytes = value(),
            // `cargo bench` passes `--bench`; other harness flags mean nothing here.
            _ => {}
        }
    }
    let bytes = megabytes * 1_000_000;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    eprintln!(
        "tokio_utp: {rounds} interleaved rounds of {megabytes} MB over one stream on loopback"
    );
    let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); Case::ALL.len()];
    for round in 0..rounds {
        for k in 0..Case::ALL.len() {
            let i = (round + k) % Case::ALL.len();
            let case = Case::ALL[i];
            if only.as_deref().is_some_and(|o| !case.label().contains(o)) {
                continue;
            }
            let run: Pin<Box<dyn Future<Output = Sample>>> = Box::pin(transfer(case, bytes));
            let sample = runtime.block_on(run);
            samples[i].push(sample);
        }
    }
    println!();
    println!(
        "== tokio streams: one stream, {megabytes} MB, loopback, median of {rounds} interleaved rounds =="
    );
    println!("{:<28} {:>10} {:>14}", "case", "MB/s", "CPU ms per MB");
    if samples.iter().any(Vec::is_empty) {
        for (i, case) in Case::ALL.iter().enumerate() {
            if let Some(s) = samples[i].first() {
                println!(
                    "{:<28} {:>10.0} {:>14.3}",
                    case.label(),
                    s.mb_per_s,
                    s.cpu_ms_per_mb
                );
            }
        }
        return;
    }
    for (i, case) in Case::ALL.iter().enumerate() {
        let rate = median(samples[i].iter().map(|s| s.mb_per_s).collect());
        let cpu = median(samples[i].iter().map(|s| s.cpu_ms_per_mb).collect());
        println!("{:<28} {rate:>10.0} {cpu:>14.3}", case.label());
    }
    let ratio = |a: usize, b: usize, f: fn(&Sample) -> f64| {
        median(
            samples[a]
                .iter()
                .zip(&samples[b])
                .map(|(x, y)| f(x) / f(y))
                .collect(),
        )
    };
    let vs_rqbit = ratio(0, 1, |s| s.mb_per_s);
    let vs_tcp = ratio(0, 2, |s| s.mb_per_s);
    let cpu_vs_rqbit = ratio(0, 1, |s| s.cpu_ms_per_mb);
    let cpu_vs_tcp = ratio(0, 2, |s| s.cpu_ms_per_mb);
    println!();
    println!(
        "hark-tokio / librqbit-utp throughput: {vs_rqbit:.2}x (goal >= 2x: {})",
        if vs_rqbit >= 2.0 { "met" } else { "not met" }
    );
    println!("hark-tokio / tokio TCP throughput:    {vs_tcp:.2}x");
    println!("hark-tokio / librqbit-utp CPU per MB: {cpu_vs_rqbit:.2}x");
    println!("hark-tokio / tokio TCP CPU per MB:    {cpu_vs_tcp:.2}x");
}
