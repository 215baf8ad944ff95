//! uTP with libutp's callbacks on hark's reactor:
//! `cargo run -p hark --example utp_transfer [MEGABYTES]` (4 by default).
//!
//! A receiver and two senders, each a `UtpContext` on its own reactor thread, on loopback.
//! One sender writes from its callbacks: `on_connect` writes until the send buffer is full
//! (`write` returns what it took), and every `UTP_STATE_WRITABLE` writes more. The other
//! writes from the main thread through a `UtpRemote`, whose `write` blocks while its send
//! budget is used up. The receiver closes when it sees EOF. Each sender learns from
//! `on_fin_acked` that every byte arrived: `UTP_STATE_DESTROYING` comes 2 s later (the
//! linger, `ConnectionConfig::linger`), so do not time a transfer to it.
//!
//! State shared by several callbacks lives behind an `Arc<Mutex<_>>` that each closure
//! clones: callbacks run one at a time on the reactor thread, so the lock is never
//! contended there.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use hark::utp::{Callbacks, ContextHandle, UtpContext, UtpReactor, UtpSocket, UtpState};

const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// Writes `data` from callbacks, resuming at `offset` whenever the socket is writable.
struct Pump {
    data: Vec<u8>,
    offset: usize,
}

impl Pump {
    fn write(&mut self, cx: &mut ContextHandle<'_>, socket: UtpSocket) {
        while self.offset < self.data.len() {
            match cx.write(socket, &self.data[self.offset..]) {
                0 => return, // full: UTP_STATE_WRITABLE follows
                n => self.offset += n,
            }
        }
        cx.close(socket);
    }
}

/// Callbacks that report on `acked` when the peer has acknowledged everything.
fn acked_reporter(name: &'static str, acked: mpsc::Sender<String>) -> Callbacks {
    Callbacks::new().on_fin_acked(move |cx, socket| {
        let bytes = cx.stats(socket).map_or(0, |s| s.bytes_sent);
        let _ = acked.send(format!("{name}: {bytes} bytes acknowledged"));
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let megabytes: usize = std::env::args().nth(1).map_or(Ok(4), |a| a.parse())?;
    let data: Vec<u8> = (0..megabytes << 20).map(|i| (i % 251) as u8).collect();

    // The receiver counts each socket's bytes and reports the total at EOF.
    let (received_tx, received_rx) = mpsc::channel();
    let counts = Arc::new(Mutex::new(HashMap::<UtpSocket, usize>::new()));
    let read_counts = Arc::clone(&counts);
    let receiver = Callbacks::new()
        .on_accept(|_cx, _socket, peer| println!("receiver: accepted {peer}"))
        .on_read(move |_cx, socket, bytes| {
            *read_counts.lock().unwrap().entry(socket).or_default() += bytes.len();
        })
        .on_state_change(move |cx, socket, state| {
            if state == UtpState::Eof {
                let total = counts.lock().unwrap().remove(&socket).unwrap_or(0);
                let _ = received_tx.send(total);
                cx.close(socket);
            }
        });
    let server = UtpReactor::bind_range(UtpContext::builder().callbacks(receiver), LOCALHOST, [0])?;
    let start = Instant::now();

    // Sender 1 writes from its callbacks: on_connect, then on each WRITABLE.
    let (acked_tx, acked_rx) = mpsc::channel();
    let pump = Arc::new(Mutex::new(Pump {
        data: data.clone(),
        offset: 0,
    }));
    let on_writable = Arc::clone(&pump);
    let callbacks = acked_reporter("callbacks", acked_tx.clone())
        .on_connect(move |cx, socket| pump.lock().unwrap().write(cx, socket))
        .on_state_change(move |cx, socket, state| {
            if state == UtpState::Writable {
                on_writable.lock().unwrap().write(cx, socket);
            }
        });
    let from_callbacks =
        UtpReactor::bind_range(UtpContext::builder().callbacks(callbacks), LOCALHOST, [0])?;
    from_callbacks.remote().connect(server.local_addr())?;

    // Sender 2 is written from this thread; `write` blocks while the budget is used up.
    let from_thread = UtpReactor::bind_range(
        UtpContext::builder().callbacks(acked_reporter("thread", acked_tx)),
        LOCALHOST,
        [0],
    )?;
    let remote = from_thread.remote();
    let socket = remote.connect(server.local_addr())?;
    remote.write(socket, &data)?;
    remote.close(socket)?;

    for _ in 0..2 {
        println!("{}", acked_rx.recv()?);
    }
    let elapsed = start.elapsed();
    let mut totals = [received_rx.recv()?, received_rx.recv()?];
    totals.sort_unstable();
    println!(
        "receiver: {} and {} bytes, both senders acknowledged after {:.0?} ({:.0} MB/s)",
        totals[0],
        totals[1],
        elapsed,
        (2 * data.len()) as f64 / elapsed.as_secs_f64() / 1e6
    );
    assert_eq!(totals, [data.len(); 2]);
    drop((from_callbacks, from_thread, server));
    Ok(())
}
