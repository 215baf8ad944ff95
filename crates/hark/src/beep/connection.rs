//! The connection handle: queues commands for the session on the reactor thread, and
//! the synchronous helpers built on it.

use std::net::SocketAddr;
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::thread::ThreadId;
use std::time::Duration;

use bytes::Bytes;
use crossbeam_channel::{Receiver, Sender, TrySendError};
use hark_proto::beep::{CloseError, ReplyError, SendError, StartError};
use hark_reactor::tcp::TcpConnectionHandle;

use super::frame::Frame;
use super::handlers::{ChannelHandlers, OnChannel};
use super::hub;
use crate::tcp::SharedHub;

/// Commands queued per connection at most (a full queue refuses with [`BeepError::Busy`]).
pub const COMMAND_CAPACITY: usize = 1024;

/// What went wrong with a BEEP operation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BeepError {
    /// The connection's command queue is full: retry later.
    #[error("command queue full")]
    Busy,
    /// The connection (or the channel) is closed.
    #[error("connection closed")]
    Closed,
    /// No answer within the time given.
    #[error("timed out")]
    Timeout,
    /// A waiting helper was called on the reactor thread (from a handler): it would
    /// block the loop that must answer it.
    #[error("a waiting call cannot run on the reactor thread")]
    OnReactorThread,
    /// The session refused to send.
    #[error("send: {0}")]
    Send(#[from] SendError),
    /// The session refused the reply.
    #[error("reply: {0}")]
    Reply(#[from] ReplyError),
    /// The session refused to start a channel.
    #[error("start: {0}")]
    Start(#[from] StartError),
    /// The session refused to close.
    #[error("close: {0}")]
    Close(#[from] CloseError),
    /// The peer refused (a start or a close) with this code.
    #[error("refused by the peer: {code} {text}")]
    Refused {
        /// The reply code.
        code: u16,
        /// Diagnostic text.
        text: String,
    },
    /// SASL authentication failed.
    #[error("authentication failed: {0}")]
    AuthFailed(String),
    /// The connection could not be established or greeted.
    #[error("connect: {0}")]
    Connect(String),
    /// TLS tuning failed: the handshake (the session then closes), or the setup.
    #[error("TLS: {0}")]
    Tls(String),
    /// A channel pool is at its maximum.
    #[error("channel pool full ({0} channels)")]
    PoolFull(usize),
}

/// The kind of a reply sent with [`Connection::reply`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyKind {
    /// RPY: a positive reply.
    Rpy,
    /// ERR: a negative reply.
    Err,
    /// ANS: one answer of a one-to-many reply (any number, then a NUL).
    Ans,
    /// NUL: the end of a one-to-many reply (its payload is ignored).
    Nul,
}

/// The answer to a MSG sent with [`Connection::send_and_wait`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// A positive reply.
    Rpy(Frame),
    /// A negative reply.
    Err(Frame),
    /// A one-to-many reply: every ANS, in order, once the NUL arrived.
    Ans(Vec<Frame>),
}

pub(crate) type Waiter<T> = Sender<Result<T, BeepError>>;

pub(crate) enum Command {
    Send {
        channel: u32,
        payload: Bytes,
        waiter: Option<Waiter<Answer>>,
    },
    Reply {
        channel: u32,
        msgno: u32,
        kind: ReplyKind,
        payload: Bytes,
    },
    Open {
        profile: String,
        handlers: ChannelHandlers,
        on_channel: Option<OnChannel>,
        waiter: Option<Waiter<u32>>,
    },
    Close {
        channel: u32,
        waiter: Option<Waiter<()>>,
    },
    SetHandlers {
        channel: u32,
        handlers: ChannelHandlers,
    },
    CloseSession,
    Sasl {
        mechanism: Box<dyn hark_proto::beep::SaslClient>,
        waiter: Option<Waiter<String>>,
    },
    StartTls {
        config: Arc<rustls::ClientConfig>,
        server_name: String,
        waiter: Option<Waiter<super::tls::TlsInfo>>,
    },
}

#[derive(Debug, Default)]
pub(crate) struct ConnState {
    pub(crate) ready: bool,
    pub(crate) closed: bool,
    pub(crate) broken: bool,
    pub(crate) refused: Option<(u16, String)>,
    pub(crate) peer_profiles: Vec<String>,
    pub(crate) tls: Option<super::tls::TlsInfo>,
    /// Channels we started that are open.
    pub(crate) open: std::collections::HashSet<u32>,
}

pub(crate) struct ConnInner {
    pub(crate) cmds: Sender<Command>,
    pub(crate) tcp: OnceLock<TcpConnectionHandle>,
    pub(crate) reactor: OnceLock<ThreadId>,
    pub(crate) state: Mutex<ConnState>,
    pub(crate) cond: Condvar,
    pub(crate) hub: Option<SharedHub>,
    pub(crate) peer: Mutex<Option<SocketAddr>>,
    pub(crate) next_pool: std::sync::atomic::AtomicU32,
    /// The reactor thread is inside this connection's handlers: commands queued there
    /// are applied before the session is left, so they need no wake-up.
    pub(crate) dispatching: std::sync::atomic::AtomicBool,
}

/// A BEEP connection (Vortex's `VortexConnection`): a cheap, cloneable handle that queues
/// commands for the session, which runs on the reactor thread. Handlers get one too;
/// the waiting helpers refuse to run there ([`BeepError::OnReactorThread`]).
#[derive(Clone)]
pub struct Connection {
    pub(crate) inner: Arc<ConnInner>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("peer", &self.peer_addr())
            .field(
                "state",
                &self.inner.state.lock().map(|s| (s.ready, s.closed)).ok(),
            )
            .finish()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Connection {
    pub(crate) fn new(hub: Option<SharedHub>) -> (Connection, Receiver<Command>) {
        let (tx, rx) = crossbeam_channel::bounded(COMMAND_CAPACITY);
        let inner = ConnInner {
            cmds: tx,
            tcp: OnceLock::new(),
            reactor: OnceLock::new(),
            state: Mutex::new(ConnState::default()),
            cond: Condvar::new(),
            hub,
            peer: Mutex::new(None),
            next_pool: std::sync::atomic::AtomicU32::new(1),
            dispatching: std::sync::atomic::AtomicBool::new(false),
        };
        (
            Connection {
                inner: Arc::new(inner),
            },
            rx,
        )
    }

    /// The peer's address, once connected.
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        *lock(&self.inner.peer)
    }

    /// Whether greetings were exchanged and the session is not closed.
    pub fn is_ok(&self) -> bool {
        let s = lock(&self.inner.state);
        s.ready && !s.closed
    }

    /// Whether the connection closed (orderly or broken).
    pub fn is_closed(&self) -> bool {
        lock(&self.inner.state).closed
    }

    /// The profiles the peer offered in its greeting.
    pub fn peer_profiles(&self) -> Vec<String> {
        lock(&self.inner.state).peer_profiles.clone()
    }

    pub(crate) fn update(&self, f: impl FnOnce(&mut ConnState)) {
        f(&mut lock(&self.inner.state));
        self.inner.cond.notify_all();
    }

    /// Waits until the greetings are exchanged (or the connection failed).
    pub(crate) fn wait_ready(&self, timeout: Duration) -> Result<(), BeepError> {
        let guard = lock(&self.inner.state);
        let (guard, result) = self
            .inner
            .cond
            .wait_timeout_while(guard, timeout, |s| !s.ready && !s.closed)
            .unwrap_or_else(|e| e.into_inner());
        if let Some((code, text)) = &guard.refused {
            return Err(BeepError::Refused {
                code: *code,
                text: text.clone(),
            });
        }
        if guard.closed {
            return Err(BeepError::Connect(
                "connection closed before the greeting".into(),
            ));
        }
        if result.timed_out() && !guard.ready {
            return Err(BeepError::Timeout);
        }
        Ok(())
    }

    /// Waits until the connection closed; `false` on timeout.
    pub fn wait_closed(&self, timeout: Duration) -> bool {
        let guard = lock(&self.inner.state);
        let (guard, _) = self
            .inner
            .cond
            .wait_timeout_while(guard, timeout, |s| !s.closed)
            .unwrap_or_else(|e| e.into_inner());
        guard.closed
    }

    pub(crate) fn wake(&self) {
        if self
            .inner
            .dispatching
            .load(std::sync::atomic::Ordering::Relaxed)
            && self.inner.reactor.get() == Some(&std::thread::current().id())
        {
            // A handler of this very connection: the core drains its commands before
            // it returns to the reactor.
            return;
        }
        if let Some(tcp) = self.inner.tcp.get() {
            // A full reactor channel: the commands still run at the session's next input.
            let _ = tcp.wake();
        }
    }

    fn push(&self, cmd: Command) -> Result<(), BeepError> {
        if self.is_closed() {
            return Err(BeepError::Closed);
        }
        match self.inner.cmds.try_send(cmd) {
            Ok(()) => {
                self.wake();
                Ok(())
            }
            Err(TrySendError::Full(_)) => Err(BeepError::Busy),
            Err(TrySendError::Disconnected(_)) => Err(BeepError::Closed),
        }
    }

    fn not_on_reactor(&self) -> Result<(), BeepError> {
        if self.inner.reactor.get() == Some(&std::thread::current().id()) {
            return Err(BeepError::OnReactorThread);
        }
        Ok(())
    }

    fn wait<T>(
        &self,
        rx: Receiver<Result<T, BeepError>>,
        timeout: Duration,
    ) -> Result<T, BeepError> {
        match rx.recv_timeout(timeout) {
            Ok(result) => result,
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => Err(BeepError::Timeout),
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => Err(BeepError::Closed),
        }
    }

    /// Sends a MSG on `channel`; its reply goes to the frame handler.
    pub fn send(&self, channel: u32, payload: impl Into<Bytes>) -> Result<(), BeepError> {
        self.push(Command::Send {
            channel,
            payload: payload.into(),
            waiter: None,
        })
    }

    /// Sends a MSG on `channel` and waits for its reply (Vortex's
    /// `vortex_channel_send_msg_and_wait`); the reply does not reach the frame handler.
    pub fn send_and_wait(
        &self,
        channel: u32,
        payload: impl Into<Bytes>,
        timeout: Duration,
    ) -> Result<Answer, BeepError> {
        self.not_on_reactor()?;
        let (tx, rx) = crossbeam_channel::bounded(1);
        self.push(Command::Send {
            channel,
            payload: payload.into(),
            waiter: Some(tx),
        })?;
        self.wait(rx, timeout)
    }

    /// Answers MSG `msgno` on `channel`, from a handler or any thread. Replies go out in
    /// the order the MSGs arrived, whatever order they are given in.
    pub fn reply(
        &self,
        channel: u32,
        msgno: u32,
        kind: ReplyKind,
        payload: impl Into<Bytes>,
    ) -> Result<(), BeepError> {
        self.push(Command::Reply {
            channel,
            msgno,
            kind,
            payload: payload.into(),
        })
    }

    /// Starts a channel on `profile` without waiting; `on_channel` gets its number, or
    /// -1 if the start failed (Vortex's `on_channel`).
    pub fn open_channel_async(
        &self,
        profile: impl Into<String>,
        handlers: ChannelHandlers,
        on_channel: OnChannel,
    ) -> Result<(), BeepError> {
        self.push(Command::Open {
            profile: profile.into(),
            handlers,
            on_channel: Some(on_channel),
            waiter: None,
        })
    }

    /// Starts a channel on `profile` and waits for it; returns its number.
    pub fn open_channel(
        &self,
        profile: impl Into<String>,
        handlers: ChannelHandlers,
        timeout: Duration,
    ) -> Result<u32, BeepError> {
        self.not_on_reactor()?;
        let (tx, rx) = crossbeam_channel::bounded(1);
        self.push(Command::Open {
            profile: profile.into(),
            handlers,
            on_channel: None,
            waiter: Some(tx),
        })?;
        self.wait(rx, timeout)
    }

    /// Asks to close `channel` without waiting.
    pub fn close_channel_async(&self, channel: u32) -> Result<(), BeepError> {
        self.push(Command::Close {
            channel,
            waiter: None,
        })
    }

    /// Closes `channel` and waits until the peer agreed ([`BeepError::Refused`] if not).
    pub fn close_channel(&self, channel: u32, timeout: Duration) -> Result<(), BeepError> {
        self.not_on_reactor()?;
        let (tx, rx) = crossbeam_channel::bounded(1);
        self.push(Command::Close {
            channel,
            waiter: Some(tx),
        })?;
        self.wait(rx, timeout)
    }

    /// Sets the channel-level handlers of `channel` (they win over the profile's and the
    /// context's).
    pub fn set_channel_handlers(&self, channel: u32, handlers: ChannelHandlers) {
        // Refused only when closed or full; handlers then have nothing to handle or the
        // caller sees later frames go to the profile's handler.
        let _ = self.push(Command::SetHandlers { channel, handlers });
    }

    /// Authenticates with SASL `mechanism` ([`super::sasl::Plain`],
    /// [`super::sasl::Anonymous`], or one of your own) and waits for the outcome; returns
    /// the identity. The context's `on_sasl_status` handler hears it too.
    pub fn auth(
        &self,
        mechanism: Box<dyn hark_proto::beep::SaslClient>,
        timeout: Duration,
    ) -> Result<String, BeepError> {
        self.not_on_reactor()?;
        let (tx, rx) = crossbeam_channel::bounded(1);
        self.push(Command::Sasl {
            mechanism,
            waiter: Some(tx),
        })?;
        self.wait(rx, timeout)
    }

    /// Starts SASL authentication without waiting; the outcome goes to the context's
    /// `on_sasl_status` handler.
    pub fn auth_async(
        &self,
        mechanism: Box<dyn hark_proto::beep::SaslClient>,
    ) -> Result<(), BeepError> {
        self.push(Command::Sasl {
            mechanism,
            waiter: None,
        })
    }

    /// Tunes the session with TLS (RFC 3080 3.1) as the TLS client, verifying the
    /// listener as `server_name` (also sent as the start's `serverName`), and waits until
    /// both sides greeted again over TLS (Vortex's `vortex_tls_start_negotiation_sync`).
    /// Every channel is gone afterwards. A refusal is [`BeepError::Refused`] and the
    /// session goes on in plaintext; a handshake failure is [`BeepError::Tls`] and the
    /// session closes. The context's `tls_notify` handler hears the outcome too.
    pub fn start_tls(
        &self,
        config: Arc<rustls::ClientConfig>,
        server_name: &str,
        timeout: Duration,
    ) -> Result<super::tls::TlsInfo, BeepError> {
        self.not_on_reactor()?;
        super::tls::server_name(server_name).map_err(BeepError::Tls)?;
        let (tx, rx) = crossbeam_channel::bounded(1);
        self.push(Command::StartTls {
            config,
            server_name: server_name.to_owned(),
            waiter: Some(tx),
        })?;
        self.wait(rx, timeout)
    }

    /// Starts TLS tuning without waiting; the outcome goes to the `tls_notify` handler.
    pub fn start_tls_async(
        &self,
        config: Arc<rustls::ClientConfig>,
        server_name: &str,
    ) -> Result<(), BeepError> {
        super::tls::server_name(server_name).map_err(BeepError::Tls)?;
        self.push(Command::StartTls {
            config,
            server_name: server_name.to_owned(),
            waiter: None,
        })
    }

    /// Whether `channel`, started by us, is open (Vortex's `vortex_channel_is_opened`).
    pub fn is_channel_open(&self, channel: u32) -> bool {
        lock(&self.inner.state).open.contains(&channel)
    }

    /// What TLS negotiated, once the session runs over it.
    pub fn tls_info(&self) -> Option<super::tls::TlsInfo> {
        lock(&self.inner.state).tls.clone()
    }

    /// Releases the session (closes channel 0) and waits until the transport closed.
    pub fn close(&self, timeout: Duration) -> Result<(), BeepError> {
        if self.is_closed() {
            return Ok(());
        }
        self.push(Command::CloseSession)?;
        if self.not_on_reactor().is_err() {
            return Ok(());
        }
        if self.wait_closed(timeout) {
            Ok(())
        } else {
            Err(BeepError::Timeout)
        }
    }

    pub(crate) fn note_start_denied(&self, channel: u32, profile: &str, code: u16) {
        hub::start_denied(self, channel, profile, code);
    }

    pub(crate) fn note_close_denied(&self, channel: u32, code: u16) {
        hub::close_denied(self, channel, code);
    }
}
