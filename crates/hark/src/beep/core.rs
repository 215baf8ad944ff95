//! The session as a stream core on the reactor, and the dispatch of its events to the
//! handlers.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use crossbeam_channel::Receiver;
use hark_proto::beep::{
    ChannelCloseReason, Event, FrameType, Reply, SaslStatus, Session, SessionCloseReason,
    TLS_PROFILE,
};
use hark_reactor::stream::{StreamCore, StreamHandler};
use hark_reactor::tcp::TcpConn;

use super::connection::{Answer, BeepError, Command, Connection, ReplyKind, Waiter};
use super::context::CtxInner;
use super::frame::Frame;
use super::handlers::{ChannelHandlers, CloseRequest, OnChannel, StartRequest};
use super::hub;
use super::tls::TlsInfo;
use crate::tcp::tls::TlsSwitch;

mod tls_tuning;
use tls_tuning::{TlsClient, TlsPhase};

/// Input held for the session beyond which the session is aborted.
const LEFTOVER_LIMIT: usize = 4 << 20;

/// Bytes staged between the session and a connection with little room.
const STAGE: usize = 64 * 1024;

/// What the core reports to its driver: the session's events, and TLS outcomes.
pub(crate) enum CoreEvent {
    Session(Event),
    /// TLS tuning ended: what it negotiated, or why it failed.
    Tls(Result<TlsInfo, String>),
}

enum Opening {
    Async(OnChannel),
    Wait(Waiter<u32>),
}

/// A BEEP session driven by the reactor's stream-core contract.
pub(crate) struct BeepCore {
    session: Session,
    cmds: Receiver<Command>,
    conn: Connection,
    ctx: Arc<CtxInner>,
    /// Input the session did not take yet (it stops reading while events wait).
    leftover: Vec<u8>,
    stage: Vec<u8>,
    staged: std::ops::Range<usize>,
    channels: HashMap<u32, ChannelHandlers>,
    waiters: HashMap<(u32, u32), (Waiter<Answer>, Vec<Frame>)>,
    opening: HashMap<u32, (Opening, ChannelHandlers)>,
    closing: HashMap<u32, Waiter<()>>,
    /// Events of this core, after the session's have been drained into handlers.
    pending: VecDeque<CoreEvent>,
    sasl: Option<Waiter<String>>,
    finished: bool,
    switch: TlsSwitch,
    tls_phase: TlsPhase,
    tls_client: Option<TlsClient>,
    /// The configuration chosen for a TLS start we accepted (listener side).
    tls_server: Option<Arc<rustls::ServerConfig>>,
    /// The initiator's waiter, after the switch: answered once greeted over TLS.
    tls_waiter: Option<Waiter<TlsInfo>>,
    tls_failure: Option<String>,
}

impl BeepCore {
    pub(crate) fn new(
        session: Session,
        cmds: Receiver<Command>,
        conn: Connection,
        ctx: Arc<CtxInner>,
        switch: TlsSwitch,
    ) -> Self {
        BeepCore {
            session,
            cmds,
            conn,
            ctx,
            leftover: Vec::new(),
            stage: vec![0; STAGE],
            staged: 0..0,
            channels: HashMap::new(),
            waiters: HashMap::new(),
            opening: HashMap::new(),
            closing: HashMap::new(),
            pending: VecDeque::new(),
            sasl: None,
            finished: false,
            switch,
            tls_phase: TlsPhase::Plain,
            tls_client: None,
            tls_server: None,
            tls_waiter: None,
            tls_failure: None,
        }
    }

    fn feed(&mut self, now: Instant) {
        if self.leftover.is_empty() {
            return;
        }
        let n = self.session.handle_bytes(now, &self.leftover);
        self.leftover.drain(..n);
    }

    fn apply_commands(&mut self) {
        while let Ok(cmd) = self.cmds.try_recv() {
            self.apply(cmd);
        }
    }

    fn apply(&mut self, cmd: Command) {
        match cmd {
            Command::Send {
                channel,
                payload,
                waiter,
            } => match self.session.send(channel, payload) {
                Ok(msgno) => {
                    if let Some(w) = waiter {
                        self.waiters.insert((channel, msgno), (w, Vec::new()));
                    }
                }
                Err(e) => {
                    if let Some(w) = waiter {
                        let _ = w.send(Err(e.into()));
                    }
                }
            },
            Command::Reply {
                channel,
                msgno,
                kind,
                payload,
            } => {
                let result = match kind {
                    ReplyKind::Rpy => self.session.reply(channel, msgno, payload),
                    ReplyKind::Err => self.session.reply_error(channel, msgno, payload),
                    ReplyKind::Ans => self.session.answer(channel, msgno, payload).map(|_| ()),
                    ReplyKind::Nul => self.session.finish_answers(channel, msgno),
                };
                if let Err(e) = result {
                    tracing::debug!(channel, msgno, error = %e, "BEEP reply refused");
                }
            }
            Command::Open {
                profile,
                handlers,
                on_channel,
                waiter,
            } => {
                let opening = match (on_channel, waiter) {
                    (Some(f), _) => Opening::Async(f),
                    (None, Some(w)) => Opening::Wait(w),
                    (None, None) => return,
                };
                match self.session.start_channel(&[profile.as_str()]) {
                    Ok(channel) => {
                        self.opening.insert(channel, (opening, handlers));
                    }
                    Err(e) => self.opened(opening, Err(e.into())),
                }
            }
            Command::Close { channel, waiter } => match self.session.close_channel(channel, 200) {
                Ok(()) => {
                    if let Some(w) = waiter {
                        self.closing.insert(channel, w);
                    }
                }
                Err(e) => {
                    if let Some(w) = waiter {
                        let _ = w.send(Err(e.into()));
                    }
                }
            },
            Command::SetHandlers { channel, handlers } => {
                self.channels.insert(channel, handlers);
            }
            Command::Sasl { mechanism, waiter } => match self.session.start_sasl(mechanism) {
                Ok(_) => self.sasl = waiter,
                Err(e) => {
                    if let Some(w) = waiter {
                        let _ = w.send(Err(e.into()));
                    }
                }
            },
            Command::StartTls {
                config,
                server_name,
                waiter,
            } => {
                if self.tls_client.is_some() || self.tls_phase != TlsPhase::Plain {
                    if let Some(w) = waiter {
                        let _ = w.send(Err(BeepError::Tls("TLS was started already".into())));
                    }
                    return;
                }
                match self.session.start_tls(Some(server_name.clone())) {
                    Ok(channel) => {
                        self.tls_client = Some(TlsClient {
                            channel,
                            config,
                            server_name,
                            waiter,
                        });
                    }
                    Err(e) => {
                        if let Some(w) = waiter {
                            let _ = w.send(Err(e.into()));
                        }
                    }
                }
            }
            Command::CloseSession => {
                if let Err(e) = self.session.close_session() {
                    tracing::debug!(error = %e, "BEEP session close refused");
                }
            }
        }
    }

    fn opened(&mut self, opening: Opening, result: Result<u32, BeepError>) {
        let number = match &result {
            Ok(n) => i32::try_from(*n).unwrap_or(-1),
            Err(_) => -1,
        };
        match opening {
            Opening::Async(f) => {
                hub::on_channel(&self.conn, number);
                f(number, &self.conn);
            }
            Opening::Wait(w) => {
                let _ = w.send(result);
            }
        }
    }

    fn profile_of(&self, channel: u32) -> Option<super::handlers::Profile> {
        let uri = self.session.channel_profile(channel)?;
        self.ctx.profile(uri)
    }

    /// Calls the handlers for one session event.
    fn dispatch(&mut self, event: Event) {
        match event {
            Event::GreetingReceived { profiles, .. } => {
                self.conn.update(|s| {
                    s.ready = true;
                    s.peer_profiles = profiles;
                });
                self.answer_tls_waiter();
            }
            Event::ChannelStartRequested(request)
                if request
                    .profiles()
                    .first()
                    .is_some_and(|p| p.uri == TLS_PROFILE) =>
            {
                self.tls_requested(request);
            }
            Event::TlsSwitch { role } => {
                self.tls_phase = TlsPhase::SwitchPoint(role);
            }
            Event::ChannelStartRequested(request) => {
                let channel = request.channel();
                let profile = request
                    .profiles()
                    .first()
                    .map(|p| p.uri.clone())
                    .unwrap_or_default();
                hub::start_received(&self.conn, channel, &profile);
                let handler = self
                    .ctx
                    .profile(&profile)
                    .and_then(|p| p.start.clone())
                    .or_else(|| self.ctx.handlers().start);
                let req = StartRequest {
                    inner: Some(request),
                    channel,
                    profile,
                    conn: self.conn.clone(),
                };
                match handler {
                    Some(h) => h(req, &self.conn),
                    None => req.accept(),
                }
            }
            Event::ChannelStarted { channel, .. } => {
                self.conn.update(|s| {
                    s.open.insert(channel);
                });
                if let Some((opening, handlers)) = self.opening.remove(&channel) {
                    self.channels.insert(channel, handlers);
                    self.opened(opening, Ok(channel));
                }
            }
            Event::ChannelRefused {
                channel,
                code,
                text,
            } if self
                .tls_client
                .as_ref()
                .is_some_and(|t| t.channel == channel) =>
            {
                let reason = format!("refused by the peer: {code} {text}");
                self.tls_outcome(Err(reason));
                if let Some(w) = self.tls_client.take().and_then(|t| t.waiter) {
                    let _ = w.send(Err(BeepError::Refused { code, text }));
                }
                self.tls_phase = TlsPhase::Plain;
            }
            Event::ChannelRefused {
                channel,
                code,
                text,
            } => {
                if let Some((opening, _)) = self.opening.remove(&channel) {
                    self.opened(opening, Err(BeepError::Refused { code, text }));
                }
            }
            Event::ChannelCloseRequested(request) => {
                let channel = request.channel();
                hub::close_received(&self.conn, channel);
                let handler = self
                    .channels
                    .get(&channel)
                    .and_then(|h| h.close.clone())
                    .or_else(|| self.profile_of(channel).and_then(|p| p.close.clone()))
                    .or_else(|| self.ctx.handlers().close);
                let req = CloseRequest {
                    inner: Some(request),
                    channel,
                    conn: self.conn.clone(),
                };
                match handler {
                    Some(h) if channel != 0 => h(req, &self.conn),
                    _ => req.accept(),
                }
            }
            Event::ChannelClosed { channel, reason } => {
                self.conn.update(|s| {
                    s.open.remove(&channel);
                });
                if let Some(w) = self.closing.remove(&channel) {
                    let _ = w.send(Ok(()));
                }
                if let Some((opening, _)) = self.opening.remove(&channel) {
                    self.opened(opening, Err(BeepError::Closed));
                }
                self.waiters.retain(|(c, _), (w, _)| {
                    if *c == channel {
                        let _ = w.send(Err(BeepError::Closed));
                    }
                    *c != channel
                });
                self.channels.remove(&channel);
                hub::channel_closed(
                    &self.conn,
                    channel,
                    reason != ChannelCloseReason::ClosedByUs,
                );
            }
            Event::CloseRefused {
                channel,
                code,
                text,
            } => {
                if let Some(w) = self.closing.remove(&channel) {
                    let _ = w.send(Err(BeepError::Refused { code, text }));
                }
            }
            Event::Message {
                channel,
                msgno,
                payload,
            } => {
                let frame = Frame::new(FrameType::Msg, msgno, payload);
                self.frame(channel, frame);
            }
            Event::Reply {
                channel,
                msgno,
                reply,
            } => {
                let key = (channel, msgno);
                if let Some((_, answers)) = self.waiters.get_mut(&key) {
                    let done = match reply {
                        Reply::Rpy(p) => Some(Answer::Rpy(Frame::new(FrameType::Rpy, msgno, p))),
                        Reply::Err(p) => Some(Answer::Err(Frame::new(FrameType::Err, msgno, p))),
                        Reply::Ans { ansno, payload } => {
                            answers.push(Frame::new(FrameType::Ans { ansno }, msgno, payload));
                            None
                        }
                        Reply::Nul => Some(Answer::Ans(std::mem::take(answers))),
                    };
                    if let Some(answer) = done
                        && let Some((w, _)) = self.waiters.remove(&key)
                    {
                        let _ = w.send(Ok(answer));
                    }
                    return;
                }
                let frame = match reply {
                    Reply::Rpy(p) => Frame::new(FrameType::Rpy, msgno, p),
                    Reply::Err(p) => Frame::new(FrameType::Err, msgno, p),
                    Reply::Ans { ansno, payload } => {
                        Frame::new(FrameType::Ans { ansno }, msgno, payload)
                    }
                    Reply::Nul => Frame::new(FrameType::Nul, msgno, bytes::Bytes::new()),
                };
                self.frame(channel, frame);
            }
            Event::Sasl {
                mechanism, status, ..
            } => {
                let (ok, text) = match status {
                    SaslStatus::Complete { identity } => (true, identity),
                    SaslStatus::Failed { reason } => (false, reason),
                };
                hub::auth(&self.conn, &mechanism, ok, &text);
                if let Some(h) = self.ctx.handlers().auth_notify {
                    h(&self.conn, ok, &text);
                }
                if let Some(w) = self.sasl.take() {
                    let _ = w.send(if ok {
                        Ok(text)
                    } else {
                        Err(BeepError::AuthFailed(text))
                    });
                }
            }
            Event::SessionClosed { reason } => self.session_closed(Some(reason)),
            _ => {}
        }
    }

    fn frame(&mut self, channel: u32, frame: Frame) {
        hub::frame_received(&self.conn, channel, &frame);
        let handler = self
            .channels
            .get(&channel)
            .and_then(|h| h.frame.clone())
            .or_else(|| self.profile_of(channel).and_then(|p| p.frame.clone()))
            .or_else(|| self.ctx.handlers().frame);
        if let Some(h) = handler {
            h(&self.conn, channel, &frame);
        }
    }

    /// The session ended (`reason`) or the transport closed under it (`None`): fail
    /// every waiter, and report a broken connection once.
    fn session_closed(&mut self, reason: Option<SessionCloseReason>) {
        if self.finished {
            return;
        }
        self.finished = true;
        let broken = !matches!(
            reason,
            Some(
                SessionCloseReason::Released
                    | SessionCloseReason::Refused { .. }
                    | SessionCloseReason::RefusedLocally
            )
        );
        let refused = match &reason {
            Some(SessionCloseReason::Refused { code, text }) => Some((*code, text.clone())),
            _ => None,
        };
        for (_, (w, _)) in self.waiters.drain() {
            let _ = w.send(Err(BeepError::Closed));
        }
        if let Some(w) = self.sasl.take() {
            let _ = w.send(Err(BeepError::Closed));
        }
        let tls_error = || match &self.tls_failure {
            Some(reason) => BeepError::Tls(reason.clone()),
            None => BeepError::Closed,
        };
        if let Some(w) = self.tls_client.take().and_then(|t| t.waiter) {
            let _ = w.send(Err(tls_error()));
        }
        if let Some(w) = self.tls_waiter.take() {
            let _ = w.send(Err(tls_error()));
        }
        for (_, w) in self.closing.drain() {
            let _ = w.send(Err(BeepError::Closed));
        }
        let opening: Vec<_> = self.opening.drain().map(|(_, (o, _))| o).collect();
        for o in opening {
            self.opened(o, Err(BeepError::Closed));
        }
        self.channels.clear();
        // Commands that can no longer run.
        while self.cmds.try_recv().is_ok() {}
        if broken {
            let why = match (&self.tls_failure, reason) {
                (Some(tls), _) => format!("TLS handshake failed: {tls}"),
                (None, Some(r)) => format!("{r:?}"),
                (None, None) => "transport closed".to_owned(),
            };
            hub::connection_broken(&self.conn, &why);
            if let Some(h) = self.ctx.handlers().closed {
                h(&self.conn);
            }
        }
        self.conn.update(|s| {
            s.open.clear();
            s.closed = true;
            s.broken = broken;
            s.refused = refused;
        });
    }
}

impl StreamCore for BeepCore {
    type Event = CoreEvent;

    fn handle_connected(&mut self, _now: Instant) {
        self.conn
            .inner
            .reactor
            .get_or_init(|| std::thread::current().id());
    }

    fn handle_bytes(&mut self, now: Instant, data: &[u8]) {
        if self.leftover.is_empty() {
            let n = self.session.handle_bytes(now, data);
            self.leftover.extend_from_slice(&data[n..]);
        } else {
            self.leftover.extend_from_slice(data);
            self.feed(now);
        }
        if self.leftover.len() > LEFTOVER_LIMIT {
            // The session takes no more input (it ended, or its events are not being
            // drained) while the peer keeps sending: end it rather than buffer forever.
            tracing::warn!(
                held = self.leftover.len(),
                "BEEP peer input not consumed; aborting"
            );
            self.leftover = Vec::new();
            self.session.abort();
        }
    }

    fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> usize {
        self.apply_commands();
        self.tls_step(now);
        if self.staged.is_empty()
            && let Some(n) = self.session.poll_transmit(now, &mut self.stage)
        {
            self.staged = 0..n;
        }
        let n = self.staged.len().min(buf.len());
        buf[..n].copy_from_slice(&self.stage[self.staged.start..self.staged.start + n]);
        self.staged.start += n;
        n
    }

    fn poll_event(&mut self) -> Option<CoreEvent> {
        self.apply_commands();
        self.tls_step(Instant::now());
        if let Some(ev) = self.pending.pop_front() {
            return Some(ev);
        }
        let event = match self.session.poll_event() {
            Some(ev) => Some(ev),
            None if !self.leftover.is_empty() => {
                self.feed(Instant::now());
                self.session.poll_event()
            }
            None => None,
        };
        event.map(CoreEvent::Session)
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.session.poll_timeout()
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.session.handle_timeout(now);
    }

    fn wants_close(&self) -> bool {
        self.session.wants_close() && self.staged.is_empty()
    }

    fn handle_closed(&mut self, now: Instant) {
        // A handshake failure is reported before the close it causes.
        self.tls_step(now);
        self.session.handle_eof(now);
        while let Some(ev) = self.session.poll_event() {
            self.pending.push_back(CoreEvent::Session(ev));
        }
    }
}

/// Hands the core's events to its own dispatch.
pub(crate) struct Driver;

impl StreamHandler<BeepCore> for Driver {
    fn on_event(&mut self, conn: &mut TcpConn<'_>, core: &mut BeepCore, event: CoreEvent) {
        if core.conn.inner.tcp.get().is_none() {
            let _ = core.conn.inner.tcp.set(conn.handle());
        }
        core.conn
            .inner
            .reactor
            .get_or_init(|| std::thread::current().id());
        // The stream adapter polls the core again after this event, which applies the
        // commands the handlers queue now (see `Connection::wake`).
        core.conn
            .inner
            .dispatching
            .store(true, std::sync::atomic::Ordering::Relaxed);
        match event {
            CoreEvent::Session(event) => core.dispatch(event),
            CoreEvent::Tls(outcome) => core.tls_done(outcome),
        }
        core.conn
            .inner
            .dispatching
            .store(false, std::sync::atomic::Ordering::Relaxed);
    }

    fn on_closed(&mut self, core: &mut BeepCore) {
        while let Some(ev) = core.pending.pop_front() {
            match ev {
                CoreEvent::Session(ev) => core.dispatch(ev),
                CoreEvent::Tls(outcome) => core.tls_done(outcome),
            }
        }
        core.session_closed(None);
    }
}
