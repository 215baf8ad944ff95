//! The baseline the issue compares uTP with: plain UDP, one 1400-byte datagram per
//! `send_to` and per `recv_from` syscall, between two threads on loopback.
//!
//! The sender keeps at most `WINDOW` datagrams beyond the highest sequence number the
//! receiver has acknowledged (one ack datagram per `ACK_EVERY` received), so it cannot
//! simply overrun the receiver; what the kernel still drops is lost (no retransmission)
//! and only what arrived counts.

use std::io::ErrorKind;
use std::net::UdpSocket;
use std::thread;
use std::time::{Duration, Instant};

use crate::buffers::Buffers;
use crate::cpu::Stopwatch;
use crate::sample::Sample;

/// Payload bytes per datagram, as for uTP on a typical path.
pub const DATAGRAM: usize = 1400;
/// Datagrams in flight at most (1.4 MB of payload).
pub const WINDOW: u64 = 1024;
/// The receiver acknowledges once per this many datagrams.
pub const ACK_EVERY: u64 = 32;
/// How long either side waits for the other before assuming loss.
const QUIET: Duration = Duration::from_millis(20);
/// The sequence number of the end marker.
const END: u64 = u64::MAX;

fn pair(buffers: Buffers) -> std::io::Result<(UdpSocket, UdpSocket)> {
    let a = UdpSocket::bind("127.0.0.1:0")?;
    let b = UdpSocket::bind("127.0.0.1:0")?;
    buffers.apply(socket2::SockRef::from(&a))?;
    buffers.apply(socket2::SockRef::from(&b))?;
    a.connect(b.local_addr()?)?;
    b.connect(a.local_addr()?)?;
    a.set_read_timeout(Some(QUIET))?;
    b.set_read_timeout(Some(QUIET))?;
    Ok((a, b))
}

fn seq_of(datagram: &[u8]) -> Option<u64> {
    Some(u64::from_le_bytes(datagram.get(..8)?.try_into().ok()?))
}

fn timed_out(error: &std::io::Error) -> bool {
    matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

/// Sends `total` bytes as 1400-byte datagrams; reports what arrived.
pub fn transfer(total: u64, buffers: Buffers) -> Result<Sample, String> {
    let (tx, rx) = pair(buffers).map_err(|e| e.to_string())?;
    let count = total.div_ceil(DATAGRAM as u64);
    let clock = Stopwatch::start();
    let receiver = thread::spawn(move || receive(&rx, count));
    send(&tx, count).map_err(|e| format!("sender: {e}"))?;
    let (datagrams, last) = receiver
        .join()
        .map_err(|_| "the receiver panicked".to_string())?
        .map_err(|e| format!("receiver: {e}"))?;
    let cpu_seconds = clock.cpu_seconds();
    let delivered = (datagrams * DATAGRAM as u64).min(total);
    Ok(Sample {
        delivered,
        offered: total,
        seconds: last
            .unwrap_or_else(Instant::now)
            .duration_since(clock.started())
            .as_secs_f64(),
        cpu_seconds,
    })
}

fn send(socket: &UdpSocket, count: u64) -> std::io::Result<()> {
    let mut datagram = [0x5a_u8; DATAGRAM];
    let mut ack = [0_u8; 64];
    let mut acked = 0_u64;
    let mut next = 0_u64;
    while next < count {
        if next - acked >= WINDOW {
            match socket.recv(&mut ack) {
                Ok(n) => acked = acked.max(seq_of(&ack[..n]).map_or(0, |s| s + 1)),
                // Nothing came back: what is in flight was lost; carry on.
                Err(e) if timed_out(&e) => acked = next,
                Err(e) => return Err(e),
            }
            continue;
        }
        datagram[..8].copy_from_slice(&next.to_le_bytes());
        match socket.send(&datagram) {
            Ok(_) => next += 1,
            // A full send buffer (ENOBUFS) is a loss the kernel tells about: retry.
            Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => thread::yield_now(),
            Err(e) => return Err(e),
        }
    }
    datagram[..8].copy_from_slice(&END.to_le_bytes());
    for _ in 0..8 {
        // Refused once the receiver has seen the last datagram and closed: that is fine.
        let _ = socket.send(&datagram[..8]);
        thread::sleep(Duration::from_millis(1));
    }
    Ok(())
}

/// Counts data datagrams until the last sequence number or an end marker arrives, or the
/// line stays quiet; returns the count and when the last one came.
fn receive(socket: &UdpSocket, count: u64) -> std::io::Result<(u64, Option<Instant>)> {
    let mut buf = [0_u8; 2048];
    let mut received = 0_u64;
    let mut last = None;
    let mut quiet_since: Option<Instant> = None;
    loop {
        match socket.recv(&mut buf) {
            Ok(n) => {
                let Some(seq) = seq_of(&buf[..n]) else {
                    continue;
                };
                if seq == END {
                    break;
                }
                received += 1;
                last = Some(Instant::now());
                quiet_since = None;
                if received % ACK_EVERY == 0 || seq + 1 == count {
                    socket.send(&seq.to_le_bytes())?;
                }
                if seq + 1 == count {
                    break;
                }
            }
            Err(e) if timed_out(&e) => {
                let since = *quiet_since.get_or_insert_with(Instant::now);
                if since.elapsed() > Duration::from_secs(1) {
                    break;
                }
            }
            Err(e) => return Err(e),
        }
    }
    Ok((received, last))
}
