//! The baseline: a plain TCP echo of the same messages with the same number in flight,
//! std sockets and one thread per direction.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::Figure;

/// Echoes `size`-byte messages, `depth` in flight, for about `time`.
pub fn echo(size: usize, depth: usize, time: Duration) -> Figure {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    let server = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().expect("accept");
        let _ = s.set_nodelay(true);
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            match s.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    if s.write_all(&buf[..n]).is_err() {
                        return;
                    }
                }
            }
        }
    });
    let stream = TcpStream::connect(addr).expect("connect");
    let _ = stream.set_nodelay(true);
    let mut reader = stream.try_clone().expect("clone");
    let mut writer = stream;
    let (tokens_tx, tokens) = std::sync::mpsc::sync_channel::<()>(depth);
    for _ in 0..depth {
        tokens_tx.send(()).expect("tokens");
    }
    let stop = Arc::new(AtomicBool::new(false));
    let stop_w = stop.clone();
    let message = vec![0x5au8; size];
    let writer = std::thread::spawn(move || {
        let mut written = 0u64;
        while tokens.recv().is_ok() && !stop_w.load(Ordering::Relaxed) {
            writer.write_all(&message).expect("write");
            written += 1;
        }
        (written, writer)
    });
    // The reader: each whole echoed message frees a slot for the writer.
    let start = Instant::now();
    let warm_up = time / 5;
    let mut buf = vec![0u8; size];
    let mut echoed = 0u64;
    let mut measured_from: Option<(Instant, u64)> = None;
    loop {
        reader.read_exact(&mut buf).expect("read");
        echoed += 1;
        if measured_from.is_none() && start.elapsed() >= warm_up {
            measured_from = Some((Instant::now(), echoed));
        }
        if let Some((t0, _)) = measured_from
            && t0.elapsed() >= time
        {
            break;
        }
        let _ = tokens_tx.send(());
    }
    let (t0, base) = measured_from.expect("measured");
    let figure = Figure {
        messages: echoed - base,
        size,
        elapsed: t0.elapsed(),
    };
    stop.store(true, Ordering::Relaxed);
    drop(tokens_tx);
    let (written, writer) = writer.join().expect("writer");
    for _ in echoed..written {
        reader.read_exact(&mut buf).expect("drain");
    }
    let _ = writer.shutdown(std::net::Shutdown::Both);
    let _ = server.join();
    figure
}
