//! TCP on loopback: std streams between two threads, the writer sending `total` bytes in
//! 256 KiB writes, the reader reading until it has them all.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::Instant;

use socket2::{Domain, Socket, Type};

use crate::buffers::Buffers;
use crate::cpu::Stopwatch;
use crate::sample::Sample;

const CHUNK: usize = 256 * 1024;

/// A listener and a connected client, both with `buffers` set before the handshake (so
/// the window scale fits them); the OS default leaves autotuning on.
fn connected(buffers: Buffers) -> std::io::Result<(TcpStream, TcpStream)> {
    let listener = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    buffers.apply(socket2::SockRef::from(&listener))?;
    listener.bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())?;
    listener.listen(1)?;
    let listener: TcpListener = listener.into();
    let client = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    buffers.apply(socket2::SockRef::from(&client))?;
    client.connect(&listener.local_addr()?.into())?;
    let (server, _) = listener.accept()?;
    Ok((client.into(), server))
}

/// Moves `total` bytes from one end to the other.
pub fn transfer(total: u64, buffers: Buffers) -> Result<Sample, String> {
    let (mut writer, mut reader) = connected(buffers).map_err(|e| e.to_string())?;
    let clock = Stopwatch::start();
    let sending = thread::spawn(move || -> std::io::Result<()> {
        let chunk = vec![0x5a_u8; CHUNK];
        let mut left = total;
        while left > 0 {
            let n = usize::try_from(left).unwrap_or(CHUNK).min(CHUNK);
            writer.write_all(&chunk[..n])?;
            left -= n as u64;
        }
        Ok(())
    });
    let mut buf = vec![0_u8; CHUNK];
    let mut received = 0_u64;
    while received < total {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => received += n as u64,
            Err(e) => return Err(format!("reader: {e}")),
        }
    }
    let end = Instant::now();
    let cpu_seconds = clock.cpu_seconds();
    sending
        .join()
        .map_err(|_| "the writer panicked".to_string())?
        .map_err(|e| format!("writer: {e}"))?;
    Ok(Sample {
        delivered: received,
        offered: total,
        seconds: end.duration_since(clock.started()).as_secs_f64(),
        cpu_seconds,
    })
}
