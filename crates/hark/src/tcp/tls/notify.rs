//! `TlsNotify`: rustls between a connection and its notifier.

use super::error::TlsError;
use hark_reactor::tcp::{TcpConn, TcpNotify};
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, Connection, ServerConfig, ServerConnection};
use std::borrow::Cow;
use std::io::{self, Read, Write};
use std::sync::Arc;

/// Plaintext rustls may hold before the handshake completes (writes made early).
const EARLY_PLAINTEXT_LIMIT: usize = 4 * 1024 * 1024;

/// A notifier that runs TLS over the connection and passes plaintext to `inner`.
///
/// Build it with [`TlsNotify::client`] or [`TlsNotify::server`] and give it to the
/// connection (or return it from the listener's `connected`) in place of `inner`.
pub struct TlsNotify<N> {
    tls: Connection,
    inner: N,
    is_client: bool,
    handshake_done: bool,
    failed: bool,
    close_notified: bool,
    /// Flush markers (`flush_sent`) queued and seen in `sent`, and the one at which
    /// `close_notify` goes out.
    markers_queued: u64,
    markers_sent: u64,
    close_marker: Option<u64>,
    inner_expect: usize,
    plain: Vec<u8>,
    plain_start: usize,
    times: usize,
    scratch: Box<[u8]>,
}

impl<N> std::fmt::Debug for TlsNotify<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsNotify")
            .field("is_client", &self.is_client)
            .field("handshake_done", &self.handshake_done)
            .finish_non_exhaustive()
    }
}

impl<N: TcpNotify> TlsNotify<N> {
    /// The client side, verifying the server as `server_name`.
    pub fn client(
        config: Arc<ClientConfig>,
        server_name: ServerName<'static>,
        inner: N,
    ) -> Result<Self, TlsError> {
        let tls = ClientConnection::new(config, server_name)?;
        Ok(Self::new(tls.into(), true, inner))
    }

    /// The server side.
    pub fn server(config: Arc<ServerConfig>, inner: N) -> Result<Self, TlsError> {
        let tls = ServerConnection::new(config)?;
        Ok(Self::new(tls.into(), false, inner))
    }

    fn new(mut tls: Connection, is_client: bool, inner: N) -> Self {
        tls.set_buffer_limit(Some(EARLY_PLAINTEXT_LIMIT));
        Self {
            tls,
            inner,
            is_client,
            handshake_done: false,
            failed: false,
            close_notified: false,
            markers_queued: 0,
            markers_sent: 0,
            close_marker: None,
            inner_expect: 0,
            plain: Vec::new(),
            plain_start: 0,
            times: 0,
            scratch: vec![0; 16 * 1024].into_boxed_slice(),
        }
    }

    /// The wrapped notifier.
    pub fn inner(&self) -> &N {
        &self.inner
    }

    /// Whether the handshake has completed.
    pub fn is_handshake_done(&self) -> bool {
        self.handshake_done
    }

    /// After an inner callback: when it asked for a graceful close, send `close_notify`.
    fn after_inner(&mut self, conn: &mut TcpConn<'_>) {
        if conn.close_requested() {
            self.queue_close_notify(conn);
        }
    }

    /// Queues a marker after the writes queued so far; `close_notify` is produced when that
    /// marker reaches `sent`, so it follows the data and precedes the TCP shutdown. Once
    /// per connection, and not after a failure (rustls queued its alert then).
    fn queue_close_notify(&mut self, conn: &mut TcpConn<'_>) {
        if self.close_notified || self.failed {
            return;
        }
        self.close_notified = true;
        if self.queue_marker(conn) {
            self.close_marker = Some(self.markers_queued);
        }
    }

    /// Queues a `flush_sent` when rustls has records to send: that `sent` carries them.
    fn flush(&mut self, conn: &mut TcpConn<'_>) {
        if self.tls.wants_write() {
            self.queue_marker(conn);
        }
    }

    fn queue_marker(&mut self, conn: &mut TcpConn<'_>) -> bool {
        let queued = conn.flush_sent().is_ok();
        if queued {
            self.markers_queued += 1;
        }
        queued
    }

    /// Everything rustls has to send.
    fn take_records(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        while self.tls.wants_write() {
            match self.tls.write_tls(&mut out) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
        out
    }

    /// Encrypts `data`; a refusal (early plaintext past the limit) fails the connection
    /// rather than dropping bytes.
    fn encrypt(&mut self, conn: &mut TcpConn<'_>, data: &[u8]) {
        if self.tls.writer().write_all(data).is_err() {
            self.failed = true;
            conn.hard_close();
        }
    }

    fn fail(&mut self, conn: &mut TcpConn<'_>) {
        if self.failed {
            return;
        }
        self.failed = true;
        if !self.handshake_done {
            self.inner.auth_failed(conn);
        }
        // rustls queued an alert for the peer; send it, then close.
        self.flush(conn);
        conn.close();
    }

    fn read_plaintext(&mut self) -> io::Result<()> {
        loop {
            match self.tls.reader().read(&mut self.scratch) {
                Ok(0) => return Ok(()),
                Ok(n) => self
                    .plain
                    .extend_from_slice(self.scratch.get(..n).unwrap_or_default()),
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(err) => return Err(err),
            }
        }
    }

    /// Delivers complete plaintext frames to the inner notifier at its own `expect`.
    /// Returns false if it asked to yield (the remaining complete frames are still
    /// delivered: they could not be resumed without new input).
    fn deliver(&mut self, conn: &mut TcpConn<'_>) -> bool {
        let mut keep_going = true;
        loop {
            let available = self.plain.len() - self.plain_start;
            let len = match self.inner_expect {
                0 if available > 0 => available,
                0 => break,
                qty if available >= qty => qty,
                _ => break,
            };
            let start = self.plain_start;
            let frame = self.plain.get(start..start + len).unwrap_or_default();
            self.times += 1;
            keep_going &= self.inner.received(conn, frame, self.times);
            self.after_inner(conn);
            self.plain_start += len;
            if let Some(qty) = conn.pending_expect() {
                self.inner_expect = qty;
            }
            if self.failed {
                break;
            }
        }
        if self.plain_start >= self.plain.len() {
            self.plain.clear();
            self.plain_start = 0;
        } else if self.plain_start > 0 {
            self.plain.drain(..self.plain_start);
            self.plain_start = 0;
        }
        keep_going
    }
}

impl<N: TcpNotify> TcpNotify for TlsNotify<N> {
    fn accepted(&mut self, _conn: &mut TcpConn<'_>) {
        // Held back until the handshake completes.
    }

    fn proxy_via(&mut self, host: &str, service: &str) -> (String, String) {
        self.inner.proxy_via(host, service)
    }

    fn connecting(&mut self, conn: &mut TcpConn<'_>, count: usize) {
        self.inner.connecting(conn, count);
    }

    fn connected(&mut self, conn: &mut TcpConn<'_>) {
        // Held back until the handshake completes; send the ClientHello.
        self.flush(conn);
    }

    fn connect_failed(&mut self, conn: &mut TcpConn<'_>) {
        self.inner.connect_failed(conn);
    }

    fn auth_failed(&mut self, conn: &mut TcpConn<'_>) {
        self.inner.auth_failed(conn);
    }

    fn sent<'d>(&mut self, conn: &mut TcpConn<'_>, data: Cow<'d, [u8]>) -> Cow<'d, [u8]> {
        if data.is_empty() {
            self.markers_sent += 1;
            if self.close_marker == Some(self.markers_sent) {
                self.tls.send_close_notify();
            }
        } else {
            let data = self.inner.sent(conn, data);
            self.encrypt(conn, &data);
        }
        Cow::Owned(self.take_records())
    }

    fn sentv<'d>(
        &mut self,
        conn: &mut TcpConn<'_>,
        data: Vec<Cow<'d, [u8]>>,
    ) -> Vec<Cow<'d, [u8]>> {
        for chunk in self.inner.sentv(conn, data) {
            self.encrypt(conn, &chunk);
        }
        vec![Cow::Owned(self.take_records())]
    }

    fn received(&mut self, conn: &mut TcpConn<'_>, data: &[u8], times: usize) -> bool {
        if times == 1 {
            self.times = 0;
        }
        if self.failed {
            return false;
        }
        let mut input = data;
        while !input.is_empty() {
            if self.tls.read_tls(&mut input).is_err() {
                self.fail(conn);
                return false;
            }
            if self.tls.process_new_packets().is_err() || self.read_plaintext().is_err() {
                self.fail(conn);
                return false;
            }
        }
        self.flush(conn);
        if !self.handshake_done && !self.tls.is_handshaking() {
            self.handshake_done = true;
            if self.is_client {
                self.inner.connected(conn);
            } else {
                self.inner.accepted(conn);
            }
            self.after_inner(conn);
            if let Some(qty) = conn.pending_expect() {
                self.inner_expect = qty;
            }
        }
        if !self.handshake_done {
            return true;
        }
        self.deliver(conn)
    }

    fn expect(&mut self, conn: &mut TcpConn<'_>, qty: usize) -> usize {
        // The wrapper reads whatever arrives and frames the plaintext itself.
        self.inner_expect = self.inner.expect(conn, qty);
        0
    }

    fn closing(&mut self, conn: &mut TcpConn<'_>) {
        // A close from a handle: the inner notifier may queue last writes, then
        // `close_notify` follows them.
        self.inner.closing(conn);
        self.queue_close_notify(conn);
    }

    fn closed(&mut self, conn: &mut TcpConn<'_>) {
        if self.handshake_done || self.failed {
            self.inner.closed(conn);
        }
    }

    fn throttled(&mut self, conn: &mut TcpConn<'_>) {
        self.inner.throttled(conn);
        self.after_inner(conn);
    }

    fn unthrottled(&mut self, conn: &mut TcpConn<'_>) {
        self.inner.unthrottled(conn);
        self.after_inner(conn);
    }

    /// The inner notifier's timers (a stream core behind TLS keeps its own), once the
    /// handshake completed and the inner notifier was told it is connected.
    fn poll_timeout(&self) -> Option<std::time::Instant> {
        if self.handshake_done && !self.failed {
            self.inner.poll_timeout()
        } else {
            None
        }
    }

    fn woken(&mut self, conn: &mut TcpConn<'_>) {
        if self.handshake_done && !self.failed {
            self.inner.woken(conn);
            self.after_inner(conn);
        }
    }

    fn handle_timeout(&mut self, conn: &mut TcpConn<'_>, now: std::time::Instant) {
        // Before the handshake completes the inner notifier has not been told it is
        // connected: its timers wait.
        if self.handshake_done && !self.failed {
            self.inner.handle_timeout(conn, now);
            self.after_inner(conn);
        }
    }
}
