//! A uTP endpoint plus a small bulk-transfer application, as a [`netsim::Node`]: what the
//! transfer-matrix tests, `cargo xtask lab` and the benches drive through the simulator.
//!
//! Each side writes `to_send` bytes of its own deterministic stream ([`stream_byte`]),
//! checks every byte it reads against the peer's stream, and closes when done: the
//! initiator once everything is queued, the acceptor once it has also seen EOF.

use core::net::SocketAddr;
use std::time::Instant;

use crate::netsim::{self, Node};
use crate::utp::{ConnectionError, ConnectionHandle, DatagramOutcome, Endpoint, Event};

/// Period of the stream pattern, a prime so that no packet size lines up with it.
const PERIOD: usize = 65_521;

/// The byte at `offset` of the stream salted with `salt`: a prime-period pattern that also
/// changes every period, so a misplaced or stale packet cannot go unnoticed.
pub fn stream_byte(salt: u8, offset: usize) -> u8 {
    let i = offset % PERIOD;
    ((i as u32).wrapping_mul(2_654_435_761) >> 13) as u8 ^ (offset / PERIOD) as u8 ^ salt
}

/// One side of a bulk transfer: a uTP [`Endpoint`] with one connection.
pub struct BulkNode {
    endpoint: Endpoint,
    initiator: bool,
    conn: Option<ConnectionHandle>,
    salt: u8,
    peer_salt: u8,
    to_send: usize,
    sent: usize,
    received: usize,
    first_wrong_byte: Option<usize>,
    eof: bool,
    closed: bool,
    destroyed: bool,
    error: Option<ConnectionError>,
    chunk: Vec<u8>,
    chunk_pos: usize,
    chunk_len: usize,
    read_buf: Vec<u8>,
}

impl BulkNode {
    /// The connecting side: `conn` is the connection `endpoint.connect` returned.
    pub fn initiator(
        endpoint: Endpoint,
        conn: ConnectionHandle,
        to_send: usize,
        salt: u8,
        peer_salt: u8,
    ) -> Self {
        let mut node = Self::new(endpoint, true, to_send, salt, peer_salt);
        node.conn = Some(conn);
        node
    }

    /// The accepting side: it accepts the first SYN and refuses any other.
    pub fn acceptor(endpoint: Endpoint, to_send: usize, salt: u8, peer_salt: u8) -> Self {
        Self::new(endpoint, false, to_send, salt, peer_salt)
    }

    fn new(endpoint: Endpoint, initiator: bool, to_send: usize, salt: u8, peer_salt: u8) -> Self {
        Self {
            endpoint,
            initiator,
            conn: None,
            salt,
            peer_salt,
            to_send,
            sent: 0,
            received: 0,
            first_wrong_byte: None,
            eof: false,
            closed: false,
            destroyed: false,
            error: None,
            chunk: vec![0; 256 * 1024],
            chunk_pos: 0,
            chunk_len: 0,
            read_buf: vec![0; 256 * 1024],
        }
    }

    /// The endpoint, for stats and connection info.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The transfer's connection, once there is one.
    pub fn connection(&self) -> Option<ConnectionHandle> {
        self.conn
    }

    /// Bytes accepted by `write` so far.
    pub fn sent(&self) -> usize {
        self.sent
    }

    /// Bytes read so far.
    pub fn received(&self) -> usize {
        self.received
    }

    /// Offset of the first byte read that differs from the peer's stream.
    pub fn first_wrong_byte(&self) -> Option<usize> {
        self.first_wrong_byte
    }

    /// Whether the peer's FIN has arrived.
    pub fn eof(&self) -> bool {
        self.eof
    }

    /// Whether this side has called `close`.
    pub fn closed(&self) -> bool {
        self.closed
    }

    /// Whether the connection reported `Destroying`.
    pub fn destroyed(&self) -> bool {
        self.destroyed
    }

    /// The error the connection ended with, if any.
    pub fn error(&self) -> Option<ConnectionError> {
        self.error
    }

    /// Whether this side is done: destroyed or failed.
    pub fn finished(&self) -> bool {
        self.destroyed || self.error.is_some()
    }

    /// Drains events, reads and checks what arrived, writes more, closes when done.
    fn run_app(&mut self) {
        while let Some((_, event)) = self.endpoint.poll_event() {
            match event {
                Event::Eof => self.eof = true,
                Event::Error(e) => self.error = Some(e),
                Event::Destroying => self.destroyed = true,
                _ => {}
            }
        }
        let Some(conn) = self.conn else { return };
        if self.destroyed {
            return;
        }
        while let Ok(n @ 1..) = self.endpoint.read(conn, &mut self.read_buf) {
            if self.first_wrong_byte.is_none() {
                let wrong = self.read_buf[..n]
                    .iter()
                    .enumerate()
                    .find(|&(i, &byte)| byte != stream_byte(self.peer_salt, self.received + i));
                self.first_wrong_byte = wrong.map(|(i, _)| self.received + i);
            }
            self.received += n;
        }
        // `chunk[chunk_pos..chunk_len]` holds the next bytes of the stream, generated once.
        while self.sent < self.to_send {
            if self.chunk_pos == self.chunk_len {
                let len = (self.to_send - self.sent).min(self.chunk.len());
                for (i, byte) in self.chunk[..len].iter_mut().enumerate() {
                    *byte = stream_byte(self.salt, self.sent + i);
                }
                self.chunk_pos = 0;
                self.chunk_len = len;
            }
            match self
                .endpoint
                .write(conn, &self.chunk[self.chunk_pos..self.chunk_len])
            {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    self.sent += n;
                    self.chunk_pos += n;
                }
            }
        }
        if self.sent == self.to_send
            && (self.initiator || self.eof)
            && !self.closed
            && self.endpoint.close(conn).is_ok()
        {
            self.closed = true;
        }
    }
}

impl Node for BulkNode {
    fn handle_datagram(&mut self, now: Instant, from: SocketAddr, data: &[u8]) {
        if let DatagramOutcome::Incoming(incoming) = self.endpoint.handle_datagram(now, from, data)
        {
            if self.initiator || self.conn.is_some() {
                self.endpoint.refuse(incoming);
            } else {
                self.conn = self.endpoint.accept(now, incoming).ok();
            }
        }
        // The simulator hands over one datagram at a time: each is a batch of one.
        self.endpoint.issue_deferred_acks(now);
        self.run_app();
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.endpoint.handle_timeout(now);
        self.run_app();
    }

    fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<netsim::Transmit> {
        let transmit = self.endpoint.poll_transmit(now, buf)?;
        Some(netsim::Transmit {
            destination: transmit.destination,
            len: transmit.len,
        })
    }

    fn poll_timeout(&mut self) -> Option<Instant> {
        self.endpoint.poll_timeout()
    }
}
