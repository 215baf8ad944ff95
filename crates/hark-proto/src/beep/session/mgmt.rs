//! Channel 0: greetings, start and close (RFC 3080 section 2.3), TLS tuning (3.1).

use bytes::Bytes;
use hark_wire::beep::header::FrameType;

use super::super::channel::{Channel, Closing, OutMessage};
use super::super::config::Role;
use super::super::decision::{
    Answer, ChannelCloseRequest, ChannelStartRequest, CloseVerdict, OfferedProfile, StartVerdict,
};
use super::super::error::{ChannelCloseReason, ProtocolError, SessionCloseReason};
use super::super::event::{Event, ThrottleCause, TlsRole, TransportAction};
use super::input::Broken;
use super::{SASL_PROFILE_PREFIX, Session, State, TLS_PROFILE, Tuning};
use hark_wire::beep::channel0::{
    Channel0Message as Mgmt, Close, ErrorReply, Greeting, MAX_PIGGYBACK, Start,
};

pub(crate) use super::super::mgmt_xml::{decode, decode_content, encode, encode_payload};
use super::super::mgmt_xml::{is_proceed, is_ready};

/// What one of our channel-0 MSGs asked.
#[derive(Debug, Clone)]
pub(crate) enum MgmtRequest {
    /// Start `channel` with one of `profiles`.
    Start {
        channel: u32,
        profiles: Vec<OfferedProfile>,
    },
    /// Close `channel` (0: release the session).
    Close { channel: u32 },
}

/// A start request from the peer awaiting the application's decision.
#[derive(Debug)]
pub(crate) struct PendingStart {
    pub(crate) channel: u32,
    pub(crate) msgno: u32,
    pub(crate) profiles: Vec<OfferedProfile>,
}

/// A close request from the peer awaiting the application's decision.
#[derive(Debug)]
pub(crate) struct PendingClose {
    pub(crate) channel: u32,
    pub(crate) msgno: u32,
}

/// The `<ready/>` a TLS start carries and the `<proceed/>` its reply carries.
pub(crate) const TLS_READY: &str = "<ready />";
pub(crate) const TLS_PROCEED: &str = "<proceed />";

impl Session {
    /// Our greeting: the registry's profiles, TLS while it is possible.
    pub(super) fn greeting(&self) -> Mgmt {
        let mut profiles: Vec<String> =
            self.config.profiles.iter().map(|p| p.uri.clone()).collect();
        if self.config.tls && !self.tls_active && !self.sasl_layer {
            profiles.push(TLS_PROFILE.to_owned());
        }
        if self.sasl_factory.is_some() && self.sasl_identity.is_none() {
            for m in &self.config.sasl_mechanisms {
                profiles.push(format!("{SASL_PROFILE_PREFIX}{m}"));
            }
        }
        Mgmt::Greeting(Greeting {
            profiles,
            features: self.config.features.clone(),
            localize: self.config.localize.clone(),
        })
    }

    /// Queues a reply to the peer's channel-0 MSG `msgno`; it goes out in msgno order.
    pub(super) fn reply0(&mut self, msgno: u32, kind: FrameType, msg: &Mgmt) {
        let payload = encode(msg);
        let Some(zero) = self.channels.get_mut(&0) else {
            return;
        };
        if let Some(slot) = zero.awaiting.iter_mut().find(|s| s.msgno == msgno) {
            zero.queued += payload.len();
            slot.parts.push_back(OutMessage::new(kind, msgno, payload));
            slot.answering = super::super::channel::Answering::Final;
        }
    }

    pub(super) fn reply0_error(&mut self, msgno: u32, code: u16, text: &str) {
        // Reply codes have three digits; anything else from the application becomes 550.
        let code = if (100..=999).contains(&code) {
            code
        } else {
            550
        };
        self.reply0(
            msgno,
            FrameType::Err,
            &Mgmt::Error(ErrorReply {
                code,
                lang: None,
                text: Some(text.to_owned()),
            }),
        );
    }

    /// Whether `channel` is a number the peer may choose.
    fn peer_parity(&self, channel: u32) -> bool {
        let odd = channel % 2 == 1;
        match self.config.role {
            Role::Initiator => !odd,
            Role::Listener => odd,
        }
    }

    /// A complete MSG on channel 0.
    pub(super) fn on_mgmt_request(&mut self, msgno: u32, payload: &Bytes) {
        let msg = match decode(payload) {
            Ok(msg) => msg,
            Err(_) => {
                self.reply0_error(msgno, 500, "syntax error in channel-0 message");
                return;
            }
        };
        match msg {
            Mgmt::Start(Start {
                number,
                server_name,
                profiles,
            }) => self.on_start(msgno, number, server_name, profiles),
            Mgmt::Close(Close {
                number, code, text, ..
            }) => self.on_close(msgno, number, code, text),
            _ => self.reply0_error(msgno, 501, "expected start or close"),
        }
    }

    fn on_start(
        &mut self,
        msgno: u32,
        number: u32,
        server_name: Option<String>,
        profiles: Vec<OfferedProfile>,
    ) {
        if number == 0 || !self.peer_parity(number) {
            return self.reply0_error(msgno, 501, "channel number of the wrong parity");
        }
        if self.channels.contains_key(&number)
            || self.starting.contains_key(&number)
            || self.pending_starts.values().any(|p| p.channel == number)
        {
            return self.reply0_error(msgno, 550, "channel number in use");
        }
        if self.state != State::Active {
            return self.reply0_error(msgno, 550, "session is closing");
        }
        if let Some(p) = profiles.iter().find(|p| self.serves_sasl(&p.uri)) {
            let p = p.clone();
            return self.on_sasl_start(msgno, number, p, server_name);
        }
        let tls_possible = self.config.tls
            && !self.tls_active
            && !self.sasl_layer
            && matches!(self.tuning, Tuning::None);
        let supported: Vec<OfferedProfile> = profiles
            .into_iter()
            .filter(|p| {
                if p.uri == TLS_PROFILE {
                    tls_possible && p.content.as_deref().is_some_and(is_ready)
                } else {
                    !p.uri.starts_with(SASL_PROFILE_PREFIX)
                        && self.config.find_profile(&p.uri).is_some()
                }
            })
            .collect();
        if supported.is_empty() {
            return self.reply0_error(msgno, 554, "no requested profile is supported");
        }
        if self.channels.len() - 1 + self.starting.len() + self.pending_starts.len()
            >= self.config.max_channels
        {
            return self.reply0_error(msgno, 421, "too many channels");
        }
        if self.pending_starts.len() + self.pending_closes.len()
            >= self.config.max_pending_decisions
        {
            return self.reply0_error(msgno, 421, "too many undecided requests");
        }
        let id = self.next_decision;
        self.next_decision += 1;
        self.pending_starts.insert(
            id,
            PendingStart {
                channel: number,
                msgno,
                profiles: supported.clone(),
            },
        );
        self.push_event(Event::ChannelStartRequested(ChannelStartRequest {
            id,
            channel: number,
            profiles: supported,
            server_name,
            queue: Some(self.answers.clone()),
        }));
    }

    fn on_close(&mut self, msgno: u32, number: u32, code: u16, text: Option<String>) {
        if number != 0 && !self.channels.contains_key(&number) {
            return self.reply0_error(msgno, 550, "no such channel");
        }
        if self.pending_starts.len() + self.pending_closes.len()
            >= self.config.max_pending_decisions
        {
            // Vortex's default for a close is to accept it.
            return self.accept_close(number, msgno);
        }
        let id = self.next_decision;
        self.next_decision += 1;
        self.pending_closes.insert(
            id,
            PendingClose {
                channel: number,
                msgno,
            },
        );
        self.push_event(Event::ChannelCloseRequested(ChannelCloseRequest {
            id,
            channel: number,
            code,
            text,
            queue: Some(self.answers.clone()),
        }));
    }

    /// Applies the decisions answered since the last call.
    pub(super) fn drain_answers(&mut self) {
        while let Some(answer) = self.answers.pop() {
            match answer {
                Answer::Start { id, verdict } => {
                    if let Some(p) = self.pending_starts.remove(&id) {
                        self.decide_start(p, verdict);
                    }
                }
                Answer::Close { id, verdict } => {
                    if let Some(p) = self.pending_closes.remove(&id) {
                        match verdict {
                            CloseVerdict::Accept => self.accept_close(p.channel, p.msgno),
                            CloseVerdict::Deny { code, text } => {
                                self.reply0_error(p.msgno, code, &text)
                            }
                        }
                    }
                }
            }
        }
    }

    fn decide_start(&mut self, p: PendingStart, verdict: StartVerdict) {
        let (index, piggyback, window) = match verdict {
            StartVerdict::Deny { code, text } => return self.reply0_error(p.msgno, code, &text),
            StartVerdict::Accept {
                profile,
                piggyback,
                window,
            } => (profile, piggyback, window),
        };
        let Some(offered) = p.profiles.get(index) else {
            return self.reply0_error(p.msgno, 421, "profile index out of range");
        };
        if self.state != State::Active {
            return self.reply0_error(p.msgno, 550, "session is closing");
        }
        let uri = offered.uri.clone();
        if uri == TLS_PROFILE {
            if !matches!(self.tuning, Tuning::None) || self.tls_active || self.sasl_layer {
                return self.reply0_error(p.msgno, 550, "TLS not possible now");
            }
            self.tuning = Tuning::TlsAccepted { msgno: p.msgno };
            return self.reply0(
                p.msgno,
                FrameType::Rpy,
                &Mgmt::Profile(OfferedProfile {
                    uri,
                    content: Some(TLS_PROCEED.to_owned()),
                    ..OfferedProfile::default()
                }),
            );
        }
        let piggyback = piggyback
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty());
        if piggyback.as_ref().is_some_and(|c| c.len() > MAX_PIGGYBACK) {
            return self.reply0_error(p.msgno, 421, "piggybacked content over 4096 octets");
        }
        let window = window
            .or_else(|| self.config.find_profile(&uri).map(|c| c.window))
            .unwrap_or(self.config.window);
        let mut channel = Channel::new(uri.clone(), window);
        channel.opening = Some(p.msgno);
        self.channels.insert(p.channel, channel);
        self.reply0(
            p.msgno,
            FrameType::Rpy,
            &Mgmt::Profile(OfferedProfile {
                uri: uri.clone(),
                content: piggyback,
                ..OfferedProfile::default()
            }),
        );
        self.push_event(Event::ChannelStarted {
            channel: p.channel,
            profile: uri,
            piggyback: None,
        });
    }

    /// The peer may close `channel`: `<ok/>` goes out once every MSG on it is answered.
    fn accept_close(&mut self, channel: u32, msgno: u32) {
        if channel == 0 && self.channels.len() > 1 {
            return self.reply0_error(msgno, 550, "channels are still open");
        }
        match self.channels.get_mut(&channel) {
            Some(c) => c.ok_pending = Some(msgno),
            None => self.reply0_error(msgno, 550, "no such channel"),
        }
        self.progress();
    }

    /// Moves every channel's close along; called after each input and output.
    pub(super) fn progress(&mut self) {
        if !matches!(self.state, State::Active | State::Releasing) {
            return;
        }
        let limit = self.config.send_queue_limit;
        let mut oks = Vec::new();
        let mut closes = Vec::new();
        let mut unthrottled = Vec::new();
        for (&n, c) in self.channels.iter_mut() {
            if n != 0
                && let Some(msgno) = c.ok_pending
                && c.all_answered()
                && c.current.is_none()
            {
                oks.push((n, msgno));
                continue;
            }
            match c.closing {
                Closing::Wanted { code, sent: false } if c.quiet_outbound() && c.all_answered() => {
                    c.closing = Closing::Wanted { code, sent: true };
                    closes.push((n, code));
                }
                Closing::Aborted { sent: false } => {
                    c.closing = Closing::Aborted { sent: true };
                    closes.push((n, 550));
                }
                _ => {}
            }
            if c.throttled_queue && c.queued < limit / 2 {
                c.throttled_queue = false;
                unthrottled.push(n);
            }
        }
        for (n, msgno) in oks {
            self.channels.remove(&n);
            self.reply0(msgno, FrameType::Rpy, &Mgmt::Ok);
            self.push_event(Event::ChannelClosed {
                channel: n,
                reason: ChannelCloseReason::ClosedByPeer,
            });
        }
        for (n, code) in closes {
            self.send_mgmt(
                Mgmt::Close(Close {
                    number: n,
                    code,
                    ..Close::default()
                }),
                MgmtRequest::Close { channel: n },
            );
        }
        for channel in unthrottled {
            self.push_event(Event::Unthrottled {
                channel,
                cause: ThrottleCause::QueueFull,
            });
        }
        // Session release: channel 0 closes once it is the only one left.
        if let Some(zero) = self.channels.get(&0) {
            if let Some(msgno) = zero.ok_pending
                && self.channels.len() == 1
                && zero.awaiting.len() == 1
                && zero.awaiting.front().is_some_and(|s| s.msgno == msgno)
                && zero.current.is_none()
            {
                if let Some(z) = self.channels.get_mut(&0) {
                    z.ok_pending = None;
                }
                self.release_ok = Some(msgno);
                self.reply0(msgno, FrameType::Rpy, &Mgmt::Ok);
            }
        }
        if self.state == State::Releasing
            && !self.release_sent
            && self.channels.len() == 1
            && self.starting.is_empty()
        {
            self.release_sent = true;
            self.send_mgmt(
                Mgmt::Close(Close {
                    number: 0,
                    code: 200,
                    ..Close::default()
                }),
                MgmtRequest::Close { channel: 0 },
            );
        }
    }

    /// A complete reply on channel 0.
    pub(super) fn on_mgmt_reply(
        &mut self,
        msgno: u32,
        kind: FrameType,
        payload: &Bytes,
    ) -> Result<(), Broken> {
        let msg = decode(payload).map_err(|e| Broken::Session(ProtocolError::Management(e)))?;
        if !self.greeting_received {
            // msgno 0 before the greeting: the greeting itself (checked by on_data).
            return self.on_greeting(kind, msg);
        }
        let Some(request) = self.requests.remove(&msgno) else {
            return Err(Broken::Session(ProtocolError::MismatchedManagementReply));
        };
        match (request, kind, msg) {
            (
                MgmtRequest::Start { channel, profiles },
                FrameType::Rpy,
                Mgmt::Profile(OfferedProfile { uri, content, .. }),
            ) => {
                self.starting.remove(&channel);
                if !profiles.iter().any(|p| p.uri == uri) {
                    return Err(Broken::Session(ProtocolError::MismatchedManagementReply));
                }
                if uri.starts_with(SASL_PROFILE_PREFIX) {
                    self.on_sasl_started(channel, uri, content);
                    return Ok(());
                }
                if uri == TLS_PROFILE {
                    if !content.as_deref().is_some_and(is_proceed) {
                        self.tuning = Tuning::None;
                        self.hold_output = false;
                        self.push_event(Event::ChannelRefused {
                            channel,
                            code: 500,
                            text: "TLS start answered without <proceed/>".into(),
                        });
                        return Ok(());
                    }
                    self.state = State::Switching(TlsRole::Client);
                    self.push_event(Event::TlsSwitch {
                        role: TlsRole::Client,
                    });
                    return Ok(());
                }
                let window = self
                    .config
                    .find_profile(&uri)
                    .map_or(self.config.window, |p| p.window);
                self.channels
                    .insert(channel, Channel::new(uri.clone(), window));
                self.push_event(Event::ChannelStarted {
                    channel,
                    profile: uri,
                    piggyback: content,
                });
            }
            (MgmtRequest::Start { channel, .. }, FrameType::Err, Mgmt::Error(e)) => {
                let (code, text) = (e.code, e.text.unwrap_or_default());
                self.starting.remove(&channel);
                if matches!(self.tuning, Tuning::TlsRequested { channel: c } if c == channel) {
                    self.tuning = Tuning::None;
                    self.hold_output = false;
                }
                if matches!(&self.tuning, Tuning::SaslClient { channel: c, .. } if *c == channel) {
                    self.on_server_blob(channel, b"", false);
                }
                self.push_event(Event::ChannelRefused {
                    channel,
                    code,
                    text,
                });
            }
            (MgmtRequest::Close { channel: 0 }, FrameType::Rpy, Mgmt::Ok) => {
                self.released();
            }
            (MgmtRequest::Close { channel }, FrameType::Rpy, Mgmt::Ok) => {
                if let Some(c) = self.channels.remove(&channel)
                    && !c.aborted()
                {
                    self.push_event(Event::ChannelClosed {
                        channel,
                        reason: ChannelCloseReason::ClosedByUs,
                    });
                }
            }
            (MgmtRequest::Close { channel }, FrameType::Err, Mgmt::Error(e)) => {
                let (code, text) = (e.code, e.text.unwrap_or_default());
                if channel == 0 {
                    self.release_sent = false;
                    if self.state == State::Releasing {
                        self.state = State::Active;
                    }
                } else if let Some(c) = self.channels.get_mut(&channel) {
                    if c.aborted() {
                        // We dropped it already; the peer keeps its side: forget it.
                        self.channels.remove(&channel);
                        return Ok(());
                    }
                    c.closing = Closing::No;
                }
                self.push_event(Event::CloseRefused {
                    channel,
                    code,
                    text,
                });
            }
            _ => return Err(Broken::Session(ProtocolError::MismatchedManagementReply)),
        }
        Ok(())
    }

    fn on_greeting(&mut self, kind: FrameType, msg: Mgmt) -> Result<(), Broken> {
        match (kind, msg) {
            (
                FrameType::Rpy,
                Mgmt::Greeting(Greeting {
                    profiles,
                    features,
                    localize,
                }),
            ) => {
                self.greeting_received = true;
                self.greeting_deadline = None;
                self.peer_profiles = profiles.clone();
                self.push_event(Event::GreetingReceived {
                    profiles,
                    features,
                    localize,
                });
                Ok(())
            }
            (FrameType::Err, Mgmt::Error(e)) => {
                self.greeting_deadline = None;
                self.end(SessionCloseReason::Refused {
                    code: e.code,
                    text: e.text.unwrap_or_default(),
                });
                self.transport = TransportAction::CloseAfterFlush;
                Ok(())
            }
            _ => Err(Broken::Session(ProtocolError::NoGreeting)),
        }
    }

    /// Channel 0 is closed: the session is released (RFC 3080 2.4). The listener closes
    /// the transport first.
    fn released(&mut self) {
        self.end(SessionCloseReason::Released);
        self.transport = match self.config.role {
            Role::Listener => TransportAction::CloseAfterFlush,
            Role::Initiator => TransportAction::AwaitPeerClose,
        };
    }

    /// A channel-0 message finished going out.
    pub(super) fn on_mgmt_sent(&mut self, kind: FrameType, msgno: u32) {
        if msgno == 0
            && kind == FrameType::Err
            && self.config.refuse.is_some()
            && !self.greeting_received
        {
            self.end(SessionCloseReason::RefusedLocally);
            self.transport = TransportAction::CloseAfterFlush;
            return;
        }
        match self.tuning {
            Tuning::TlsAccepted { msgno: m } if m == msgno && kind == FrameType::Rpy => {
                self.state = State::Switching(TlsRole::Server);
                self.push_event(Event::TlsSwitch {
                    role: TlsRole::Server,
                });
                return;
            }
            Tuning::TlsRequested { channel }
                if kind == FrameType::Msg && self.starting.get(&channel) == Some(&msgno) =>
            {
                // Nothing more goes out until the reply: the next bytes may be TLS.
                self.hold_output = true;
            }
            _ => {}
        }
        if kind == FrameType::Rpy {
            for c in self.channels.values_mut() {
                if c.opening == Some(msgno) {
                    c.opening = None;
                }
            }
        }
        if self.release_ok == Some(msgno) && kind == FrameType::Rpy {
            self.release_ok = None;
            self.released();
        }
    }

    /// Asks to tune the session with TLS (RFC 3080 3.1): a start with `<ready/>`. On
    /// `<proceed/>`, `Event::TlsSwitch { role: Client }` marks the switch point.
    pub fn start_tls(&mut self, server_name: Option<String>) -> Result<u32, super::StartError> {
        self.usable_for_requests()?;
        if self.tls_active || self.sasl_layer {
            return Err(super::StartError::TlsNotAllowed);
        }
        let channel = self
            .alloc_channel()
            .ok_or(super::StartError::TooManyChannels)?;
        let profiles = vec![OfferedProfile {
            uri: TLS_PROFILE.to_owned(),
            content: Some(TLS_READY.to_owned()),
            ..OfferedProfile::default()
        }];
        let msgno = self.send_mgmt(
            Mgmt::Start(Start {
                number: channel,
                server_name,
                profiles: profiles.clone(),
            }),
            MgmtRequest::Start { channel, profiles },
        );
        self.starting.insert(channel, msgno);
        self.tuning = Tuning::TlsRequested { channel };
        Ok(channel)
    }
}
