//! One uTP connection through hark's libutp facade: two reactors on loopback, the sender
//! writing from its callbacks as the connection becomes writable, the receiver counting.

use std::net::{IpAddr, Ipv4Addr};

use bytes::Bytes;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hark::events::{CategoryMask, Event, EventHub, Severity};
use hark::utp::{
    Callbacks, ContextHandle, ContextOption, LogLevel, UdpConfig, UtpContext, UtpContextBuilder,
    UtpReactor, UtpSocket, UtpState,
};

use crate::buffers::Buffers;
use crate::cpu::Stopwatch;
use crate::sample::Sample;

/// What the contexts' event hubs do during the transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hub {
    /// The builder's default hub: every event accepted and queued, no listener.
    Default,
    /// A hub that accepts no category: events are filtered where they are emitted.
    Nothing,
    /// Every event at debug severity and up, every libutp log level on, and a no-op
    /// listener on everything.
    AllDebug,
}

static BLOCK: [u8; 65_536] = [0x5a; 65_536];

/// Writes until the core's send buffer is full, then closes once everything is written.
struct Pump {
    total: u64,
    written: u64,
    closed: bool,
}

impl Pump {
    fn pump(&mut self, cx: &mut ContextHandle<'_>, socket: UtpSocket) {
        while self.written < self.total {
            let left = usize::try_from(self.total - self.written).unwrap_or(usize::MAX);
            let block = Bytes::from_static(&BLOCK);
            let n = cx.write_bytes(socket, &block.slice(..left.min(BLOCK.len())));
            if n == 0 {
                return;
            }
            self.written += n as u64;
        }
        if !self.closed {
            self.closed = true;
            cx.close(socket);
        }
    }
}

fn builder(hub: Hub) -> UtpContextBuilder {
    let builder = UtpContext::builder();
    match hub {
        Hub::Default => builder,
        Hub::Nothing => builder.hub(EventHub::builder().categories(CategoryMask::NONE).build()),
        Hub::AllDebug => builder
            .hub(
                EventHub::builder()
                    .min_severity(Severity::Debug)
                    .on_all(|event: &Event| {
                        std::hint::black_box(event);
                    })
                    .build(),
            )
            .option(ContextOption::Log(LogLevel::Normal, true))
            .option(ContextOption::Log(LogLevel::Mtu, true))
            .option(ContextOption::Log(LogLevel::Debug, true)),
    }
}

fn udp_config(buffers: Buffers) -> UdpConfig {
    match buffers.size() {
        None => UdpConfig::OS_BUFFERS,
        Some(bytes) => UdpConfig {
            recv_buffer: bytes,
            send_buffer: bytes,
            ..UdpConfig::DEFAULT
        },
    }
}

/// Moves `total` bytes over one connection; gives up after `deadline` and reports what
/// arrived by then.
pub fn transfer(
    total: u64,
    buffers: Buffers,
    hub: Hub,
    deadline: Duration,
) -> Result<Sample, String> {
    let localhost = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let udp = udp_config(buffers);
    let received = Arc::new(AtomicU64::new(0));
    let (done_tx, done_rx) = mpsc::channel::<Result<Instant, String>>();

    let counter = Arc::clone(&received);
    let finished = done_tx.clone();
    let failed = done_tx.clone();
    let receiver_table = Callbacks::new()
        .on_firewall(|_cx, _from| false)
        .on_accept(|_cx, _socket, _from| {})
        .on_read(move |_cx, _socket, data| {
            let now = counter.fetch_add(data.len() as u64, Ordering::Relaxed) + data.len() as u64;
            if now >= total && now - (data.len() as u64) < total {
                let _ = finished.send(Ok(Instant::now()));
            }
        })
        .on_state_change(|cx, socket, state| {
            if state == UtpState::Eof {
                cx.close(socket);
            }
        })
        .on_error(move |_cx, _socket, code| {
            let _ = failed.send(Err(format!("receiver: {code}")));
        });
    let receiver = UtpReactor::bind_range_with_udp(
        builder(hub).callbacks(receiver_table),
        localhost,
        [0],
        &udp,
    )
    .map_err(|e| e.to_string())?;

    let pump = Arc::new(Mutex::new(Pump {
        total,
        written: 0,
        closed: false,
    }));
    let on_connect_pump = Arc::clone(&pump);
    let sender_table = Callbacks::new()
        .on_connect(move |cx, socket| {
            on_connect_pump
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .pump(cx, socket);
        })
        .on_state_change(move |cx, socket, state| {
            if state == UtpState::Writable {
                pump.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .pump(cx, socket);
            }
        })
        .on_error(move |_cx, _socket, code| {
            let _ = done_tx.send(Err(format!("sender: {code}")));
        });
    let sender =
        UtpReactor::bind_range_with_udp(builder(hub).callbacks(sender_table), localhost, [0], &udp)
            .map_err(|e| e.to_string())?;

    let clock = Stopwatch::start();
    sender
        .remote()
        .connect(receiver.local_addr())
        .map_err(|e| e.to_string())?;
    let outcome = done_rx.recv_timeout(deadline);
    let cpu_seconds = clock.cpu_seconds();
    let end = match outcome {
        Ok(Ok(at)) => at,
        Ok(Err(error)) => return Err(error),
        Err(_) => Instant::now(),
    };
    let delivered = received.load(Ordering::Relaxed).min(total);
    sender.stop().map_err(|e| e.to_string())?;
    receiver.stop().map_err(|e| e.to_string())?;
    Ok(Sample {
        delivered,
        offered: total,
        seconds: end.duration_since(clock.started()).as_secs_f64(),
        cpu_seconds,
    })
}
