//! The sans-IO uTP endpoint in a plain `std::net::UdpSocket` loop:
//! `cargo run -p hark --example utp_sans_io`.
//!
//! `hark_proto::utp::Endpoint` does no I/O, reads no clock and draws no randomness of its
//! own: this program is its whole driver. It accepts connections (a SYN comes back from
//! `handle_datagram` as `DatagramOutcome::Incoming`, a decision the loop makes), reads
//! what arrives, and answers each peer's EOF by closing. The peer is a libutp-style
//! `UtpContext` on hark's reactor thread, which sends one message and closes.
//!
//! The loop, after libutp's: receive a batch (waiting at most until `poll_timeout`), call
//! `handle_datagram` for each datagram, then `issue_deferred_acks` and `handle_timeout`,
//! then send everything `poll_transmit` gives and handle everything `poll_event` gives.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::io::ErrorKind;
use std::net::UdpSocket;
use std::time::{Duration, Instant};

use hark::utp::{Callbacks, UtpContext, UtpReactor};
use hark_proto::utp::{DatagramOutcome, Endpoint, EndpointConfig, Event};

const MESSAGE: &[u8] = b"hello from libutp's callback table";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let socket = UdpSocket::bind("127.0.0.1:0")?;
    // Time and randomness are inputs: an epoch and a seed from the operating system.
    let seed = RandomState::new().hash_one(0u8);
    let mut endpoint = Endpoint::with_seed(EndpointConfig::default(), Instant::now(), seed);

    // The peer: connect, write the message from on_connect, close.
    let callbacks = Callbacks::new().on_connect(|cx, utp| {
        cx.write(utp, MESSAGE);
        cx.close(utp);
    });
    let peer = UtpReactor::bind_range(
        UtpContext::builder().callbacks(callbacks),
        "127.0.0.1".parse()?,
        [0],
    )?;
    peer.remote().connect(socket.local_addr()?)?;

    let (mut buf, mut received) = (vec![0u8; 65_536], Vec::new());
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut done = false;
    while !done {
        assert!(Instant::now() < deadline, "the peer never finished");
        // Receive a batch: wait for the first datagram at most until the next timer.
        let wait = endpoint
            .poll_timeout()
            .map_or(Duration::from_millis(100), |at| {
                at.saturating_duration_since(Instant::now())
            })
            .clamp(Duration::from_millis(1), Duration::from_millis(100));
        socket.set_nonblocking(false)?;
        socket.set_read_timeout(Some(wait))?;
        loop {
            match socket.recv_from(&mut buf) {
                Ok((len, from)) => {
                    let now = Instant::now();
                    match endpoint.handle_datagram(now, from, &buf[..len]) {
                        DatagramOutcome::Incoming(incoming) => {
                            println!("accepting a connection from {}", incoming.remote());
                            endpoint.accept(now, incoming)?;
                        }
                        DatagramOutcome::Malformed(error) => println!("not uTP: {error}"),
                        _ => {}
                    }
                    socket.set_nonblocking(true)?;
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    break;
                }
                Err(e) => return Err(e.into()),
            }
        }
        let now = Instant::now();
        endpoint.issue_deferred_acks(now);
        endpoint.handle_timeout(now);
        while let Some(transmit) = endpoint.poll_transmit(now, &mut buf) {
            socket.send_to(&buf[..transmit.len], transmit.destination)?;
        }
        while let Some((conn, event)) = endpoint.poll_event() {
            match event {
                Event::Readable | Event::Eof => loop {
                    let n = endpoint.read(conn, &mut buf)?;
                    if n == 0 {
                        break;
                    }
                    received.extend_from_slice(&buf[..n]);
                },
                Event::Destroying => done = true,
                _ => {}
            }
            if event == Event::Eof {
                println!("received {:?}", String::from_utf8_lossy(&received));
                endpoint.close(conn)?;
            }
        }
        // Closing queued a FIN: send it now rather than at the next turn.
        while let Some(transmit) = endpoint.poll_transmit(now, &mut buf) {
            socket.send_to(&buf[..transmit.len], transmit.destination)?;
        }
    }
    println!("connection closed; {} bytes in all", received.len());
    assert_eq!(received, MESSAGE);
    drop(peer);
    Ok(())
}
