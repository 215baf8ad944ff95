//! `TlsNotify`: rustls between a connection and its notifier.

use super::error::TlsError;
use super::switch::{Request, TlsInfo, TlsStatus, TlsSwitch};
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
    /// `None` while a deferred wrapper is still in plaintext.
    tls: Option<Connection>,
    inner: N,
    is_client: bool,
    handshake_done: bool,
    /// The inner notifier was told `connected` / `accepted`.
    inner_up: bool,
    /// A deferred wrapper's switch (plaintext until it is started).
    switch: Option<TlsSwitch>,
    /// Writes reaching `sent` are encrypted (from the switch marker on).
    encrypting: bool,
    /// The flush marker at which a deferred wrapper starts encrypting.
    switch_marker: Option<u64>,
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
        Ok(Self::new(Some(tls.into()), true, inner))
    }

    /// The server side.
    pub fn server(config: Arc<ServerConfig>, inner: N) -> Result<Self, TlsError> {
        let tls = ServerConnection::new(config)?;
        Ok(Self::new(Some(tls.into()), false, inner))
    }

    /// A wrapper that starts in plaintext, passing bytes through both ways, until
    /// `switch` is started ([`TlsSwitch::start_client`] / [`TlsSwitch::start_server`]) from
    /// one of the inner notifier's callbacks: for protocols that negotiate TLS on a
    /// connection that is already up. The inner notifier hears `connected` / `accepted`
    /// when the TCP connection is up, and `woken` when TLS is in place and again when
    /// the handshake ended (see [`TlsSwitch::status`]).
    pub fn deferred(switch: TlsSwitch, inner: N) -> Self {
        let mut notify = Self::new(None, false, inner);
        notify.switch = Some(switch);
        notify
    }

    fn new(mut tls: Option<Connection>, is_client: bool, inner: N) -> Self {
        if let Some(tls) = tls.as_mut() {
            tls.set_buffer_limit(Some(EARLY_PLAINTEXT_LIMIT));
        }
        let encrypting = tls.is_some();
        Self {
            tls,
            inner,
            is_client,
            handshake_done: false,
            inner_up: false,
            switch: None,
            encrypting,
            switch_marker: None,
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

    /// After an inner callback: a deferred wrapper's switch may have been started; when
    /// it asked for a graceful close, send `close_notify`.
    fn after_inner(&mut self, conn: &mut TcpConn<'_>) {
        if let Some(request) = self.switch.as_ref().and_then(TlsSwitch::take_request) {
            self.start(conn, request);
        }
        if conn.close_requested() {
            self.queue_close_notify(conn);
        }
    }

    /// Puts TLS under the connection: the writes queued so far go out in plaintext, the
    /// ones after the switch marker encrypted.
    fn start(&mut self, conn: &mut TcpConn<'_>, request: Request) {
        let (made, carry) = match request {
            Request::Client {
                config,
                name,
                carry,
            } => (
                ClientConnection::new(config, name).map(Connection::from),
                carry,
            ),
            Request::Server { config, carry } => {
                (ServerConnection::new(config).map(Connection::from), carry)
            }
        };
        let mut tls = match made {
            Ok(tls) => tls,
            Err(e) => {
                self.set_status(TlsStatus::Failed(e.to_string()));
                self.inner.woken(conn);
                self.failed = true;
                conn.close();
                return;
            }
        };
        tls.set_buffer_limit(Some(EARLY_PLAINTEXT_LIMIT));
        self.is_client = matches!(tls, Connection::Client(_));
        self.tls = Some(tls);
        if self.queue_marker(conn) {
            self.switch_marker = Some(self.markers_queued);
        } else {
            // Closed meanwhile: nothing more can be sent.
            self.set_status(TlsStatus::Failed("connection closed".into()));
            self.failed = true;
            return;
        }
        self.set_status(TlsStatus::Handshaking);
        self.inner.woken(conn);
        if !carry.is_empty() {
            // A failure there is handled (reported and closed) inside.
            let _ = self.received_tls(conn, &carry);
        }
    }

    fn set_status(&self, status: TlsStatus) {
        if let Some(switch) = &self.switch {
            switch.set(status);
        }
    }

    fn info(&self) -> Option<TlsInfo> {
        let tls = self.tls.as_ref()?;
        let server_name = match tls {
            Connection::Server(s) => s.server_name().map(str::to_owned),
            Connection::Client(_) => None,
        };
        Some(TlsInfo {
            version: tls
                .protocol_version()
                .map_or_else(String::new, |v| format!("{v:?}")),
            cipher_suite: tls
                .negotiated_cipher_suite()
                .map_or_else(String::new, |c| format!("{:?}", c.suite())),
            server_name,
        })
    }

    /// Queues a marker after the writes queued so far; `close_notify` is produced when that
    /// marker reaches `sent`, so it follows the data and precedes the TCP shutdown. Once
    /// per connection, and not after a failure (rustls queued its alert then).
    fn queue_close_notify(&mut self, conn: &mut TcpConn<'_>) {
        if self.close_notified || self.failed || self.tls.is_none() {
            return;
        }
        self.close_notified = true;
        if self.queue_marker(conn) {
            self.close_marker = Some(self.markers_queued);
        }
    }

    /// Queues a `flush_sent` when rustls has records to send: that `sent` carries them.
    fn flush(&mut self, conn: &mut TcpConn<'_>) {
        if self.tls.as_ref().is_some_and(|t| t.wants_write()) {
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
        let Some(tls) = self.tls.as_mut() else {
            return out;
        };
        while tls.wants_write() {
            match tls.write_tls(&mut out) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
        out
    }

    /// Encrypts `data`; a refusal (early plaintext past the limit) fails the connection
    /// rather than dropping bytes.
    fn encrypt(&mut self, conn: &mut TcpConn<'_>, data: &[u8]) {
        let Some(tls) = self.tls.as_mut() else {
            return;
        };
        if tls.writer().write_all(data).is_err() {
            self.failed = true;
            conn.hard_close();
        }
    }

    fn fail(&mut self, conn: &mut TcpConn<'_>, reason: String) {
        if self.failed {
            return;
        }
        if self.switch.is_some() {
            // The inner notifier is up: it learns the reason, then sees the close.
            self.set_status(TlsStatus::Failed(reason));
            self.inner.woken(conn);
            if !self.handshake_done {
                self.inner.auth_failed(conn);
            }
        } else if !self.handshake_done {
            self.inner.auth_failed(conn);
        }
        self.failed = true;
        // rustls queued an alert for the peer; send it, then close.
        self.flush(conn);
        conn.close();
    }

    fn read_plaintext(&mut self) -> io::Result<()> {
        let Some(tls) = self.tls.as_mut() else {
            return Ok(());
        };
        loop {
            match tls.reader().read(&mut self.scratch) {
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
    /// delivered: they could not be resumed without new input). In a deferred
    /// wrapper's plaintext phase, stops where the inner notifier started TLS: the bytes
    /// after that belong to TLS.
    fn deliver(&mut self, conn: &mut TcpConn<'_>) -> bool {
        let plain_phase = self.tls.is_none();
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
            self.plain_start += len;
            self.after_inner(conn);
            if let Some(qty) = conn.pending_expect() {
                self.inner_expect = qty;
            }
            if self.failed || (plain_phase && self.tls.is_some()) {
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

    /// A deferred wrapper's plaintext phase: bytes go to the inner notifier as they are
    /// (reframed only when it set an `expect`).
    fn received_plain(&mut self, conn: &mut TcpConn<'_>, data: &[u8]) -> bool {
        if self.inner_expect == 0 && self.plain.is_empty() {
            self.times += 1;
            let keep_going = self.inner.received(conn, data, self.times);
            self.after_inner(conn);
            if let Some(qty) = conn.pending_expect() {
                self.inner_expect = qty;
            }
            return keep_going;
        }
        self.plain.extend_from_slice(data);
        let keep_going = self.deliver(conn);
        if self.tls.is_some() && !self.plain.is_empty() {
            // TLS started part-way: what the inner notifier had not seen is TLS's.
            let rest = std::mem::take(&mut self.plain);
            self.plain_start = 0;
            return self.received_tls(conn, &rest) && keep_going;
        }
        keep_going
    }

    /// Bytes for rustls: records in, plaintext out to the inner notifier.
    fn received_tls(&mut self, conn: &mut TcpConn<'_>, data: &[u8]) -> bool {
        let mut input = data;
        while !input.is_empty() {
            let Some(tls) = self.tls.as_mut() else {
                return false;
            };
            if let Err(e) = tls.read_tls(&mut input) {
                self.fail(conn, e.to_string());
                return false;
            }
            if let Err(e) = tls.process_new_packets() {
                self.fail(conn, e.to_string());
                return false;
            }
            if let Err(e) = self.read_plaintext() {
                self.fail(conn, e.to_string());
                return false;
            }
        }
        self.flush(conn);
        let handshaking = self.tls.as_ref().is_some_and(|t| t.is_handshaking());
        if !self.handshake_done && !handshaking {
            self.handshake_done = true;
            if self.switch.is_some() {
                let info = self.info().unwrap_or(TlsInfo {
                    version: String::new(),
                    cipher_suite: String::new(),
                    server_name: None,
                });
                self.set_status(TlsStatus::Established(info));
                self.inner.woken(conn);
            } else {
                self.inner_up = true;
                if self.is_client {
                    self.inner.connected(conn);
                } else {
                    self.inner.accepted(conn);
                }
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

    /// A deferred wrapper: the connection is up, the inner notifier hears it now.
    fn inner_connected(&mut self, conn: &mut TcpConn<'_>, accepted: bool) {
        self.inner_up = true;
        if accepted {
            self.inner.accepted(conn);
        } else {
            self.inner.connected(conn);
        }
        self.after_inner(conn);
        if let Some(qty) = conn.pending_expect() {
            self.inner_expect = qty;
        }
    }
}

impl<N: TcpNotify> TcpNotify for TlsNotify<N> {
    fn accepted(&mut self, conn: &mut TcpConn<'_>) {
        // Held back until the handshake completes, unless TLS starts later.
        if self.switch.is_some() {
            self.inner_connected(conn, true);
        }
    }

    fn proxy_via(&mut self, host: &str, service: &str) -> (String, String) {
        self.inner.proxy_via(host, service)
    }

    fn connecting(&mut self, conn: &mut TcpConn<'_>, count: usize) {
        self.inner.connecting(conn, count);
    }

    fn connected(&mut self, conn: &mut TcpConn<'_>) {
        if self.switch.is_some() {
            self.inner_connected(conn, false);
        } else {
            // Held back until the handshake completes; send the ClientHello.
            self.flush(conn);
        }
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
            if self.switch_marker == Some(self.markers_sent) {
                self.encrypting = true;
            }
            if self.close_marker == Some(self.markers_sent)
                && let Some(tls) = self.tls.as_mut()
            {
                tls.send_close_notify();
            }
        } else if !self.encrypting {
            // A deferred wrapper before its switch point: plaintext as it is.
            return self.inner.sent(conn, data);
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
        if !self.encrypting {
            return self.inner.sentv(conn, data);
        }
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
        if self.tls.is_none() {
            return self.received_plain(conn, data);
        }
        self.received_tls(conn, data)
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
        if self.inner_up || self.failed {
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

    /// The inner notifier's timers (a stream core behind TLS keeps its own), once it
    /// was told it is connected.
    fn poll_timeout(&self) -> Option<std::time::Instant> {
        if self.inner_up && !self.failed {
            self.inner.poll_timeout()
        } else {
            None
        }
    }

    fn woken(&mut self, conn: &mut TcpConn<'_>) {
        if self.inner_up && !self.failed {
            self.inner.woken(conn);
            self.after_inner(conn);
        }
    }

    fn handle_timeout(&mut self, conn: &mut TcpConn<'_>, now: std::time::Instant) {
        // Before the handshake completes the inner notifier has not been told it is
        // connected: its timers wait.
        if self.inner_up && !self.failed {
            self.inner.handle_timeout(conn, now);
            self.after_inner(conn);
        }
    }
}
