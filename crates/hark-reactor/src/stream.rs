//! The stream-core contract: a sans-IO protocol over a byte stream (a BEEP session, a
//! BitTorrent peer session, ...) plugged into a TCP connection of the [`Reactor`], with
//! or without TLS between the socket and the core.
//!
//! A [`StreamCore`] is driven like every hark core: input goes in through `handle_*`
//! with the time the reactor read, output comes out through `poll_*`, and the core never
//! touches a socket, a clock or a thread:
//!
//! | direction | method | when the reactor calls it |
//! | --- | --- | --- |
//! | in | [`handle_connected`](StreamCore::handle_connected) | the connection is established (connected or accepted) |
//! | in | [`handle_bytes`](StreamCore::handle_bytes) | bytes arrived, in order, in pieces of any size |
//! | in | [`handle_timeout`](StreamCore::handle_timeout) | [`poll_timeout`](StreamCore::poll_timeout)'s deadline passed (late, never early) |
//! | in | [`handle_closed`](StreamCore::handle_closed) | the connection closed (the last call) |
//! | out | [`poll_transmit`](StreamCore::poll_transmit) | after every input, while the connection has room and is not throttled |
//! | out | [`poll_event`](StreamCore::poll_event) | after every input, until `None`; each event goes to the [`StreamHandler`] |
//! | out | [`poll_timeout`](StreamCore::poll_timeout) | after every input; the reactor keeps it in its one timer structure |
//! | out | [`wants_close`](StreamCore::wants_close) | after every input; `true` closes gracefully once the output drained |
//!
//! [`StreamNotify`] is the adapter: it implements [`TcpNotify`], so it goes wherever a
//! notifier goes — [`ReactorHandle::connect`](crate::ReactorHandle::connect),
//! a listener's `connected`, or inside a wrapping notifier such as hark's TLS notifier
//! (`hark::tcp::tls::TlsNotify::server(config, StreamNotify::new(core, handler))`), which
//! puts rustls between the socket and the core. A protocol that negotiates TLS in band
//! (BEEP's TLS profile, STARTTLS) uses `TlsNotify::deferred(switch, ..)`: plaintext until
//! the core's handler starts the switch at the protocol's switch point, then TLS, on the
//! same connection and the same rustls engine.
//!
//! Backpressure: the adapter pulls `poll_transmit` only while the connection is not
//! throttled, and never more than its room under
//! [`TcpConfig::send_limit`](crate::tcp::TcpConfig::send_limit); a core whose peer reads
//! slowly therefore keeps its bytes in its own bounded buffers, and is asked again at
//! `unthrottled`. Events are handed to the [`StreamHandler`] with `&mut` access to the
//! core, so it can answer the core's decisions (accept a channel, pick a piece) at once;
//! the adapter drains the core's output again afterwards.
//!
//! A core that answers each line with its length, on a reactor thread:
//!
//! ```
//! use hark_reactor::stream::{StreamCore, StreamNotify};
//! use hark_reactor::tcp::{TcpConn, TcpNotify};
//! use hark_reactor::{Reactor, ReactorConfig};
//! use std::io::{BufRead, BufReader, Write};
//! use std::time::Instant;
//!
//! /// Answers every `\n`-terminated line with its length; reports each line as an event.
//! #[derive(Default)]
//! struct LineLengths {
//!     partial: usize,
//!     out: Vec<u8>,
//!     lines: std::collections::VecDeque<usize>,
//! }
//!
//! impl StreamCore for LineLengths {
//!     type Event = usize;
//!     fn handle_bytes(&mut self, _now: Instant, data: &[u8]) {
//!         for &byte in data {
//!             if byte == b'\n' {
//!                 self.out.extend_from_slice(format!("{}\n", self.partial).as_bytes());
//!                 self.lines.push_back(self.partial);
//!                 self.partial = 0;
//!             } else {
//!                 self.partial += 1;
//!             }
//!         }
//!     }
//!     fn poll_transmit(&mut self, _now: Instant, buf: &mut [u8]) -> usize {
//!         let n = buf.len().min(self.out.len());
//!         buf[..n].copy_from_slice(&self.out[..n]);
//!         self.out.drain(..n);
//!         n
//!     }
//!     fn poll_event(&mut self) -> Option<usize> {
//!         self.lines.pop_front()
//!     }
//! }
//!
//! let reactor = Reactor::spawn(ReactorConfig::default())?;
//! let (lines_tx, lines) = std::sync::mpsc::channel();
//! let listener = reactor.handle().listen(
//!     "127.0.0.1:0".parse().unwrap(),
//!     move |_peer| {
//!         let lines_tx = lines_tx.clone();
//!         let handler = move |_conn: &mut TcpConn<'_>, _core: &mut LineLengths, len| {
//!             let _ = lines_tx.send(len);
//!         };
//!         Some(Box::new(StreamNotify::new(LineLengths::default(), handler)) as Box<dyn TcpNotify>)
//!     },
//!     None,
//! )?;
//!
//! let mut client = std::net::TcpStream::connect(listener.local_addr())?;
//! client.write_all(b"hello\nsans-IO\n")?;
//! let mut answers = BufReader::new(client);
//! let mut line = String::new();
//! answers.read_line(&mut line)?;
//! assert_eq!(line, "5\n");
//! assert_eq!(lines.recv()?, 5);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`Reactor`]: crate::Reactor

use crate::tcp::{TcpConn, TcpNotify};
use std::time::Instant;

/// The largest piece one [`StreamCore::poll_transmit`] call may fill.
pub const TRANSMIT_CHUNK: usize = 64 * 1024;

/// A sans-IO protocol over a byte stream. See the [module documentation](self) for when
/// each method is called. Only `handle_bytes`, `poll_transmit` and `poll_event` have no
/// default.
pub trait StreamCore: Send {
    /// What the core reports to its [`StreamHandler`].
    type Event;

    /// The connection is established (connected, or accepted by a listener).
    fn handle_connected(&mut self, now: Instant) {
        let _ = now;
    }

    /// Bytes arrived from the peer, in order; any split is possible.
    fn handle_bytes(&mut self, now: Instant, data: &[u8]);

    /// Fills the start of `buf` with the next bytes to send; returns how many (0 when
    /// there is nothing to send now). `buf` is at most [`TRANSMIT_CHUNK`] bytes and never
    /// larger than the connection's room.
    fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> usize;

    /// The next event for the handler.
    fn poll_event(&mut self) -> Option<Self::Event>;

    /// When [`handle_timeout`](Self::handle_timeout) should next be called; `None` for no
    /// timer (the default).
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }

    /// The deadline from [`poll_timeout`](Self::poll_timeout) passed (or a spurious call,
    /// which must do nothing).
    fn handle_timeout(&mut self, now: Instant) {
        let _ = now;
    }

    /// Whether the core is done: the connection then closes gracefully, after its pending
    /// output. Defaults to never.
    fn wants_close(&self) -> bool {
        false
    }

    /// The connection closed (either side, or a failure); no call follows.
    fn handle_closed(&mut self, now: Instant) {
        let _ = now;
    }
}

/// Receives a [`StreamCore`]'s events on the reactor thread, with the connection (to
/// close it, mute it, ...) and the core (to answer its decisions). A closure
/// `FnMut(&mut TcpConn, &mut C, C::Event)` is a handler.
pub trait StreamHandler<C: StreamCore>: Send {
    /// One event of the core.
    fn on_event(&mut self, conn: &mut TcpConn<'_>, core: &mut C, event: C::Event);

    /// The connection closed; the core has seen [`StreamCore::handle_closed`].
    fn on_closed(&mut self, core: &mut C) {
        let _ = core;
    }
}

impl<C, F> StreamHandler<C> for F
where
    C: StreamCore,
    F: FnMut(&mut TcpConn<'_>, &mut C, C::Event) + Send,
{
    fn on_event(&mut self, conn: &mut TcpConn<'_>, core: &mut C, event: C::Event) {
        self(conn, core, event)
    }
}

/// Drives a [`StreamCore`] as a TCP connection's notifier (see the
/// [module documentation](self)).
pub struct StreamNotify<C, H> {
    core: C,
    handler: H,
    throttled: bool,
    closing: bool,
    buf: Vec<u8>,
}

impl<C: StreamCore, H: StreamHandler<C>> StreamNotify<C, H> {
    /// A notifier that feeds `core` and hands its events to `handler`.
    pub fn new(core: C, handler: H) -> Self {
        StreamNotify {
            core,
            handler,
            throttled: false,
            closing: false,
            buf: Vec::new(),
        }
    }

    /// The core.
    pub fn core(&self) -> &C {
        &self.core
    }

    /// Moves the core's output into the connection while it has room, and its events to
    /// the handler, until neither has anything more.
    fn drive(&mut self, conn: &mut TcpConn<'_>, now: Instant) {
        loop {
            let mut progressed = false;
            while !self.throttled && !self.closing {
                let room = conn.room().min(TRANSMIT_CHUNK);
                if room == 0 {
                    // The core may have more: come back at `unthrottled`.
                    conn.wait_for_room();
                    break;
                }
                self.buf.resize(room, 0);
                let n = self.core.poll_transmit(now, &mut self.buf).min(room);
                if n == 0 {
                    break;
                }
                if conn.write(&self.buf[..n]).is_err() {
                    // Closed meanwhile: what the core wrote cannot be sent any more.
                    break;
                }
                progressed = true;
            }
            while let Some(event) = self.core.poll_event() {
                self.handler.on_event(conn, &mut self.core, event);
                progressed = true;
            }
            if !progressed {
                break;
            }
        }
        if self.core.wants_close() && !self.closing {
            self.closing = true;
            conn.close();
        }
    }
}

impl<C, H> std::fmt::Debug for StreamNotify<C, H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamNotify")
            .field("throttled", &self.throttled)
            .field("closing", &self.closing)
            .finish_non_exhaustive()
    }
}

impl<C: StreamCore, H: StreamHandler<C>> TcpNotify for StreamNotify<C, H> {
    fn accepted(&mut self, conn: &mut TcpConn<'_>) {
        let now = Instant::now();
        self.core.handle_connected(now);
        self.drive(conn, now);
    }

    fn connected(&mut self, conn: &mut TcpConn<'_>) {
        let now = Instant::now();
        self.core.handle_connected(now);
        self.drive(conn, now);
    }

    fn received(&mut self, conn: &mut TcpConn<'_>, data: &[u8], _times: usize) -> bool {
        let now = Instant::now();
        self.core.handle_bytes(now, data);
        self.drive(conn, now);
        true
    }

    fn closed(&mut self, _conn: &mut TcpConn<'_>) {
        self.core.handle_closed(Instant::now());
        self.handler.on_closed(&mut self.core);
    }

    fn connect_failed(&mut self, _conn: &mut TcpConn<'_>) {
        self.core.handle_closed(Instant::now());
        self.handler.on_closed(&mut self.core);
    }

    fn woken(&mut self, conn: &mut TcpConn<'_>) {
        self.drive(conn, Instant::now());
    }

    fn throttled(&mut self, _conn: &mut TcpConn<'_>) {
        self.throttled = true;
    }

    fn unthrottled(&mut self, conn: &mut TcpConn<'_>) {
        self.throttled = false;
        self.drive(conn, Instant::now());
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.core.poll_timeout()
    }

    fn handle_timeout(&mut self, conn: &mut TcpConn<'_>, now: Instant) {
        self.core.handle_timeout(now);
        self.drive(conn, now);
    }
}
