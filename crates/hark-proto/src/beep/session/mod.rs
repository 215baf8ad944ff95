//! The BEEP session: one sans-IO state machine per transport connection.

mod input;
mod mgmt;
mod output;
mod sasl;

pub use output::MIN_TRANSMIT_BUFFER;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hark_wire::beep::channel0::{Channel0Message, ErrorReply, Start};
use hark_wire::beep::header::FrameType;
use hark_wire::beep::stream::Decoder;

use super::channel::{Answering, Channel, Closing, OutMessage, ReplyRx};
use super::config::{Role, SessionConfig};
use super::decision::{AnswerQueue, OfferedProfile};
use super::error::{
    ChannelCloseReason, CloseError, ProtocolError, ReplyError, SendError, SessionCloseReason,
    StartError, WindowError,
};
use super::event::{Event, ThrottleCause, TlsRole, TransportAction};
use super::sasl::{SaslClient, SaslServer, SaslServerFactory};
use super::window::MAX_WINDOW;

pub(crate) use mgmt::{MgmtRequest, PendingClose, PendingStart};

/// The TLS tuning profile (RFC 3080 section 3.1).
pub const TLS_PROFILE: &str = "http://iana.org/beep/TLS";

/// The prefix of the SASL tuning profiles (RFC 3080 section 3.2).
pub const SASL_PROFILE_PREFIX: &str = "http://iana.org/beep/SASL/";

/// How long a session waits for the peer's greeting by default.
pub const DEFAULT_GREETING_TIMEOUT: Duration = Duration::from_secs(60);

/// Where the session is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Greetings exchanged or in flight; channels work.
    Active,
    /// `close_session` was called: channels close, then channel 0.
    Releasing,
    /// TLS `proceed` went out or came in: nothing more is read or written until
    /// `reset_after_tls`.
    Switching(TlsRole),
    /// Ended; `transport` says what to do with the connection.
    Closed,
}

/// Which tuning exchange is in progress (one at a time).
enum Tuning {
    None,
    /// We sent a TLS start with `<ready/>` on this channel.
    TlsRequested {
        channel: u32,
    },
    /// We accepted a TLS start: the `<proceed/>` reply to channel-0 MSG `msgno` is queued.
    TlsAccepted {
        msgno: u32,
    },
    /// A SASL exchange as client.
    SaslClient {
        channel: u32,
        mechanism: Box<dyn SaslClient>,
    },
    /// A SASL exchange as server.
    SaslServer {
        channel: u32,
        mechanism: Box<dyn SaslServer>,
    },
}

impl core::fmt::Debug for Tuning {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::None => f.write_str("None"),
            Self::TlsRequested { channel } => write!(f, "TlsRequested({channel})"),
            Self::TlsAccepted { msgno } => write!(f, "TlsAccepted({msgno})"),
            Self::SaslClient { channel, mechanism } => {
                write!(f, "SaslClient({channel}, {})", mechanism.mechanism())
            }
            Self::SaslServer { channel, mechanism } => {
                write!(f, "SaslServer({channel}, {})", mechanism.mechanism())
            }
        }
    }
}

/// An event and the octets of received data it holds in its channel's window.
#[derive(Debug)]
struct Queued {
    event: Event,
    channel: u32,
    held: u64,
}

/// A BEEP session over one byte stream (RFC 3080 with the TCP mapping of RFC 3081).
///
/// # Order of calls
///
/// After constructing, and after any `handle_*` call or user operation: drain
/// [`poll_transmit`](Self::poll_transmit) into the transport, then
/// [`poll_event`](Self::poll_event), then read [`poll_timeout`](Self::poll_timeout) and
/// [`transport_action`](Self::transport_action). Decisions answered from elsewhere take
/// effect at the next `handle_*` or `poll_*` call.
///
/// Received data stays counted against its channel's window until its event has been
/// taken with `poll_event`: an application that stops draining events stops the peer
/// (through RFC 3081 flow control) rather than growing memory.
pub struct Session {
    config: SessionConfig,
    decoder: Decoder,
    /// A frame that arrived in pieces; never holds bytes beyond the frame.
    rx_buf: Vec<u8>,
    pub(crate) channels: BTreeMap<u32, Channel>,
    /// Our start requests in flight, by channel number.
    starting: BTreeMap<u32, u32>,
    /// Our channel-0 MSGs in flight, by msgno.
    requests: HashMap<u32, MgmtRequest>,
    pending_starts: HashMap<u64, PendingStart>,
    pending_closes: HashMap<u64, PendingClose>,
    answers: AnswerQueue,
    next_decision: u64,
    next_channel: u32,
    /// The channel served first by the next round of `poll_transmit`.
    rr_cursor: u32,
    events: VecDeque<Queued>,
    state: State,
    greeting_received: bool,
    greeting_deadline: Option<Instant>,
    transport: TransportAction,
    tuning: Tuning,
    /// Channel-0 output stops after this many more frames (TLS proceed / ready).
    hold_output: bool,
    tls_active: bool,
    /// The channel-0 msgno whose `<ok/>` releases the session once sent.
    release_ok: Option<u32>,
    /// Our `<close number='0'/>` is out.
    release_sent: bool,
    sasl_identity: Option<String>,
    sasl_layer: bool,
    sasl_factory: Option<Box<dyn SaslServerFactory>>,
    peer_profiles: Vec<String>,
}

impl core::fmt::Debug for Session {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Session")
            .field("role", &self.config.role)
            .field("state", &self.state)
            .field("channels", &self.channels.keys().collect::<Vec<_>>())
            .field("events", &self.events.len())
            .finish_non_exhaustive()
    }
}

impl Session {
    /// A new session at `now`; its greeting (or its refusal) is queued at once, without
    /// waiting for the peer's (as Vortex does).
    pub fn new(now: Instant, config: SessionConfig) -> Self {
        let decoder = Decoder::new(config.max_frame_in);
        let next_channel = match config.role {
            Role::Initiator => 1,
            Role::Listener => 2,
        };
        let mut session = Self {
            decoder,
            rx_buf: Vec::new(),
            channels: BTreeMap::new(),
            starting: BTreeMap::new(),
            requests: HashMap::new(),
            pending_starts: HashMap::new(),
            pending_closes: HashMap::new(),
            answers: AnswerQueue::default(),
            next_decision: 0,
            next_channel,
            rr_cursor: 0,
            events: VecDeque::new(),
            state: State::Active,
            greeting_received: false,
            greeting_deadline: Some(now + DEFAULT_GREETING_TIMEOUT),
            transport: TransportAction::Keep,
            tuning: Tuning::None,
            hold_output: false,
            tls_active: false,
            release_ok: None,
            release_sent: false,
            sasl_identity: None,
            sasl_layer: false,
            sasl_factory: None,
            peer_profiles: Vec::new(),
            config,
        };
        session.begin();
        session
    }

    /// Channel 0 and our greeting: at construction and after a TLS reset.
    fn begin(&mut self) {
        let mut zero = Channel::new(String::new(), self.config.window);
        // The peer's greeting is an RPY to msgno 0 that we never sent (RFC 3080 2.3.1.1).
        zero.outstanding.insert(0, ReplyRx::default());
        zero.next_msgno = 1;
        self.channels.insert(0, zero);
        let greeting = match &self.config.refuse {
            Some((code, text)) => OutMessage::new(
                FrameType::Err,
                0,
                mgmt::encode(&Channel0Message::Error(ErrorReply {
                    code: *code,
                    lang: None,
                    text: Some(text.clone()),
                })),
            ),
            None => OutMessage::new(FrameType::Rpy, 0, mgmt::encode(&self.greeting())),
        };
        let zero = self.channels.get_mut(&0).expect("just inserted");
        zero.queued += greeting.payload.len();
        zero.current = Some(greeting);
        zero.current_is_reply = false;
    }

    /// The configuration.
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// Whether our role is initiator or listener.
    pub fn role(&self) -> Role {
        self.config.role
    }

    /// The profiles the peer's greeting offered (empty before it arrived).
    pub fn peer_profiles(&self) -> &[String] {
        &self.peer_profiles
    }

    /// Whether the peer's greeting has arrived.
    pub fn is_ready(&self) -> bool {
        self.greeting_received && matches!(self.state, State::Active)
    }

    /// Whether the session has ended.
    pub fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed)
    }

    /// The identity a SASL exchange authenticated, if any.
    pub fn authenticated_as(&self) -> Option<&str> {
        self.sasl_identity.as_deref()
    }

    /// Whether TLS was negotiated on this session.
    pub fn is_tls(&self) -> bool {
        self.tls_active
    }

    /// The numbers of the open channels (0 included).
    pub fn channels(&self) -> impl Iterator<Item = u32> + '_ {
        self.channels.keys().copied()
    }

    /// The profile of an open channel.
    pub fn channel_profile(&self, channel: u32) -> Option<&str> {
        self.channels.get(&channel).map(|c| c.profile.as_str())
    }

    /// Octets queued for sending on `channel` and not yet written.
    pub fn queued(&self, channel: u32) -> usize {
        self.channels.get(&channel).map_or(0, |c| c.queued)
    }

    /// What the driver does with the transport.
    pub fn transport_action(&self) -> TransportAction {
        self.transport
    }

    /// Whether the driver should close the transport once `poll_transmit` is drained (the
    /// reactor's stream-core name for `transport_action() == CloseAfterFlush`).
    pub fn wants_close(&self) -> bool {
        self.transport == TransportAction::CloseAfterFlush
    }

    /// Next wakeup: the greeting deadline while the peer's greeting is missing.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.is_closed() {
            None
        } else {
            self.greeting_deadline
        }
    }

    /// Timers due at `now`; a spurious call does nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        if let Some(deadline) = self.greeting_deadline
            && now >= deadline
            && !self.greeting_received
            && !self.is_closed()
        {
            self.greeting_deadline = None;
            self.terminate(SessionCloseReason::ProtocolViolation(
                ProtocolError::NoGreeting,
            ));
        }
    }

    /// Sets how long to wait for the peer's greeting from `now` (`None`: forever).
    pub fn set_greeting_timeout(&mut self, now: Instant, timeout: Option<Duration>) {
        if !self.greeting_received {
            self.greeting_deadline = timeout.map(|t| now + t);
        }
    }

    /// The peer closed the transport.
    pub fn handle_eof(&mut self, _now: Instant) {
        if !self.is_closed() {
            self.end(SessionCloseReason::TransportClosed);
        }
        self.transport = TransportAction::CloseAfterFlush;
    }

    /// Takes the next event. Received data is released from its window here.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.drain_answers();
        let queued = self.events.pop_front()?;
        if queued.held > 0
            && let Some(c) = self.channels.get_mut(&queued.channel)
        {
            c.rx.release(queued.held);
        }
        Some(queued.event)
    }

    fn push_event(&mut self, event: Event) {
        self.events.push_back(Queued {
            event,
            channel: 0,
            held: 0,
        });
    }

    fn push_data_event(&mut self, channel: u32, held: u64, event: Event) {
        self.events.push_back(Queued {
            event,
            channel,
            held,
        });
    }

    /// Asks the peer to start a channel with one of `profiles` (in order of preference);
    /// `Event::ChannelStarted` or `Event::ChannelRefused` follows. Returns the channel
    /// number chosen (odd for an initiator, even for a listener).
    pub fn start_channel(&mut self, profiles: &[&str]) -> Result<u32, StartError> {
        if profiles.is_empty()
            || profiles
                .iter()
                .any(|p| *p == TLS_PROFILE || p.starts_with(SASL_PROFILE_PREFIX))
        {
            return Err(StartError::BadProfiles);
        }
        let offered = profiles
            .iter()
            .map(|uri| OfferedProfile::new(*uri))
            .collect();
        self.request_start(offered, None)
    }

    /// Like [`start_channel`](Self::start_channel) with piggybacked content (at most 4096
    /// octets, no surrounding whitespace) and a `serverName`.
    pub fn start_channel_with(
        &mut self,
        profiles: Vec<OfferedProfile>,
        server_name: Option<String>,
    ) -> Result<u32, StartError> {
        let bad = |p: &OfferedProfile| {
            p.uri == TLS_PROFILE
                || p.uri.starts_with(SASL_PROFILE_PREFIX)
                || p.content.as_ref().is_some_and(|c| {
                    c.trim() != c || c.len() > hark_wire::beep::channel0::MAX_PIGGYBACK
                })
        };
        if profiles.is_empty() || profiles.iter().any(bad) {
            return Err(StartError::BadProfiles);
        }
        self.request_start(profiles, server_name)
    }

    fn usable_for_requests(&self) -> Result<(), StartError> {
        match self.state {
            State::Active => {}
            _ => return Err(StartError::SessionClosed),
        }
        if !matches!(self.tuning, Tuning::None) || self.hold_output {
            return Err(StartError::TuningInProgress);
        }
        Ok(())
    }

    fn request_start(
        &mut self,
        profiles: Vec<OfferedProfile>,
        server_name: Option<String>,
    ) -> Result<u32, StartError> {
        self.usable_for_requests()?;
        if self.channels.len() - 1 + self.starting.len() >= self.config.max_channels {
            return Err(StartError::TooManyChannels);
        }
        let channel = self.alloc_channel().ok_or(StartError::TooManyChannels)?;
        let msg = Channel0Message::Start(Start {
            number: channel,
            server_name,
            profiles: profiles.clone(),
        });
        let msgno = self.send_mgmt(msg, MgmtRequest::Start { channel, profiles });
        self.starting.insert(channel, msgno);
        Ok(channel)
    }

    fn alloc_channel(&mut self) -> Option<u32> {
        for _ in 0..(1u32 << 30) {
            let n = self.next_channel;
            let next = n.wrapping_add(2);
            self.next_channel = if next > MAX_WINDOW {
                match self.config.role {
                    Role::Initiator => 1,
                    Role::Listener => 2,
                }
            } else {
                next
            };
            if !self.channels.contains_key(&n) && !self.starting.contains_key(&n) {
                return Some(n);
            }
        }
        None
    }

    /// Queues a channel-0 MSG and records what it asks; returns its msgno.
    fn send_mgmt(&mut self, msg: Channel0Message, request: MgmtRequest) -> u32 {
        let payload = mgmt::encode(&msg);
        let zero = self.channels.get_mut(&0).expect("channel 0 always exists");
        let msgno = zero
            .alloc_msgno()
            .expect("channel-0 requests are bounded by max_channels");
        zero.outstanding.insert(msgno, ReplyRx::default());
        zero.queued += payload.len();
        zero.msgs
            .push_back(OutMessage::new(FrameType::Msg, msgno, payload));
        self.requests.insert(msgno, request);
        msgno
    }

    /// Sends a MSG on `channel`; returns its msgno, by which `Event::Reply` matches it.
    pub fn send(&mut self, channel: u32, payload: impl Into<Bytes>) -> Result<u32, SendError> {
        let payload = payload.into();
        if !matches!(self.state, State::Active | State::Releasing) || self.hold_output {
            return Err(SendError::SessionClosed);
        }
        if channel == 0 {
            return Err(SendError::ManagementChannel);
        }
        if payload.len() > MAX_WINDOW as usize {
            return Err(SendError::TooLarge);
        }
        let limit = self.config.send_queue_limit;
        let max_out = self.config.max_outstanding;
        let c = self
            .channels
            .get_mut(&channel)
            .ok_or(SendError::UnknownChannel)?;
        if c.closing != Closing::No {
            return Err(SendError::Closing);
        }
        if c.outstanding.len() >= max_out {
            return Err(SendError::TooManyOutstanding);
        }
        if c.queued >= limit {
            if !c.throttled_queue {
                c.throttled_queue = true;
                self.push_event(Event::Throttled {
                    channel,
                    cause: ThrottleCause::QueueFull,
                });
            }
            return Err(SendError::QueueFull);
        }
        let msgno = c.alloc_msgno().ok_or(SendError::TooManyOutstanding)?;
        c.outstanding.insert(msgno, ReplyRx::default());
        c.queued += payload.len();
        c.msgs
            .push_back(OutMessage::new(FrameType::Msg, msgno, payload));
        Ok(msgno)
    }

    /// Answers MSG `msgno` on `channel` with an RPY.
    pub fn reply(
        &mut self,
        channel: u32,
        msgno: u32,
        payload: impl Into<Bytes>,
    ) -> Result<(), ReplyError> {
        self.queue_reply(channel, msgno, FrameType::Rpy, payload.into())
    }

    /// Answers MSG `msgno` on `channel` with an ERR.
    pub fn reply_error(
        &mut self,
        channel: u32,
        msgno: u32,
        payload: impl Into<Bytes>,
    ) -> Result<(), ReplyError> {
        self.queue_reply(channel, msgno, FrameType::Err, payload.into())
    }

    /// Adds one ANS to a one-to-many reply of MSG `msgno`; returns its ansno. Finish with
    /// [`finish_answers`](Self::finish_answers).
    pub fn answer(
        &mut self,
        channel: u32,
        msgno: u32,
        payload: impl Into<Bytes>,
    ) -> Result<u32, ReplyError> {
        let c = self.reply_channel(channel)?;
        let slot = c
            .awaiting
            .iter_mut()
            .find(|s| s.msgno == msgno)
            .ok_or(ReplyError::UnknownMessage)?;
        let ansno = match slot.answering {
            Answering::Final => return Err(ReplyError::AlreadyAnswered),
            Answering::No => 0,
            Answering::Answers { next_ansno } => next_ansno,
        };
        let payload = payload.into();
        self.queue_part(channel, msgno, FrameType::Ans { ansno }, payload)?;
        Ok(ansno)
    }

    /// Ends the one-to-many reply of MSG `msgno` with a NUL (zero answers is allowed).
    pub fn finish_answers(&mut self, channel: u32, msgno: u32) -> Result<(), ReplyError> {
        self.queue_reply(channel, msgno, FrameType::Nul, Bytes::new())
    }

    fn reply_channel(&mut self, channel: u32) -> Result<&mut Channel, ReplyError> {
        if matches!(self.state, State::Closed | State::Switching(_)) {
            return Err(ReplyError::SessionClosed);
        }
        if channel == 0 {
            return Err(ReplyError::UnknownChannel);
        }
        self.channels
            .get_mut(&channel)
            .ok_or(ReplyError::UnknownChannel)
    }

    fn queue_reply(
        &mut self,
        channel: u32,
        msgno: u32,
        kind: FrameType,
        payload: Bytes,
    ) -> Result<(), ReplyError> {
        let c = self.reply_channel(channel)?;
        let slot = c
            .awaiting
            .iter()
            .find(|s| s.msgno == msgno)
            .ok_or(ReplyError::UnknownMessage)?;
        match (slot.answering, kind) {
            (Answering::Final, _) => return Err(ReplyError::AlreadyAnswered),
            (Answering::Answers { .. }, FrameType::Rpy | FrameType::Err) => {
                return Err(ReplyError::AnswersInProgress);
            }
            _ => {}
        }
        self.queue_part(channel, msgno, kind, payload)
    }

    fn queue_part(
        &mut self,
        channel: u32,
        msgno: u32,
        kind: FrameType,
        payload: Bytes,
    ) -> Result<(), ReplyError> {
        if payload.len() > MAX_WINDOW as usize {
            return Err(ReplyError::TooLarge);
        }
        let limit = self.config.send_queue_limit;
        let c = self
            .channels
            .get_mut(&channel)
            .ok_or(ReplyError::UnknownChannel)?;
        if c.queued >= limit && !matches!(kind, FrameType::Nul) {
            if !c.throttled_queue {
                c.throttled_queue = true;
                self.push_event(Event::Throttled {
                    channel,
                    cause: ThrottleCause::QueueFull,
                });
            }
            return Err(ReplyError::QueueFull);
        }
        let slot = c
            .awaiting
            .iter_mut()
            .find(|s| s.msgno == msgno)
            .ok_or(ReplyError::UnknownMessage)?;
        slot.answering = match kind {
            FrameType::Ans { ansno } => Answering::Answers {
                next_ansno: ansno.wrapping_add(1),
            },
            _ => Answering::Final,
        };
        c.queued += payload.len();
        slot.parts.push_back(OutMessage::new(kind, msgno, payload));
        Ok(())
    }

    /// Grows the receive window of `channel` (RFC 3081: windows never shrink); a SEQ
    /// announcing it goes out with the next `poll_transmit`.
    pub fn set_window(&mut self, channel: u32, window: u32) -> Result<(), WindowError> {
        let c = self
            .channels
            .get_mut(&channel)
            .ok_or(WindowError::UnknownChannel)?;
        if c.rx.grow(window) {
            Ok(())
        } else {
            Err(WindowError::WouldShrink)
        }
    }

    /// The receive window of `channel`.
    pub fn window(&self, channel: u32) -> Option<u32> {
        self.channels.get(&channel).map(|c| c.rx.size())
    }

    /// Asks the peer to close `channel` with reply code `code` (200 normally). The request
    /// goes out once every MSG we sent on it is answered; `Event::ChannelClosed` or
    /// `Event::CloseRefused` follows. No new MSG may be sent on it meanwhile.
    pub fn close_channel(&mut self, channel: u32, code: u16) -> Result<(), CloseError> {
        if !matches!(self.state, State::Active | State::Releasing) {
            return Err(CloseError::SessionClosed);
        }
        if channel == 0 {
            return self.close_session().map_err(|_| CloseError::AlreadyClosing);
        }
        let c = self
            .channels
            .get_mut(&channel)
            .ok_or(CloseError::UnknownChannel)?;
        if c.closing != Closing::No {
            return Err(CloseError::AlreadyClosing);
        }
        c.closing = Closing::Wanted { code, sent: false };
        self.progress();
        Ok(())
    }

    /// Releases the session (RFC 3080 2.4): closes every channel, then channel 0.
    /// `Event::SessionClosed { reason: Released }` follows, and
    /// [`transport_action`](Self::transport_action) says who closes the transport.
    pub fn close_session(&mut self) -> Result<(), CloseError> {
        match self.state {
            State::Active => {}
            State::Releasing => return Err(CloseError::AlreadyClosing),
            _ => return Err(CloseError::SessionClosed),
        }
        self.state = State::Releasing;
        let numbers: Vec<u32> = self.channels.keys().copied().filter(|n| *n != 0).collect();
        for n in numbers {
            if let Some(c) = self.channels.get_mut(&n)
                && c.closing == Closing::No
            {
                c.closing = Closing::Wanted {
                    code: 200,
                    sent: false,
                };
            }
        }
        self.progress();
        Ok(())
    }

    /// Ends the session at once, without a release (the driver then closes the transport).
    pub fn abort(&mut self) {
        if !self.is_closed() {
            self.terminate(SessionCloseReason::Aborted);
        }
    }

    /// Ends the session: every channel is gone, nothing more is sent.
    fn terminate(&mut self, reason: SessionCloseReason) {
        self.end(reason);
        self.transport = TransportAction::CloseAfterFlush;
        for c in self.channels.values_mut() {
            c.current = None;
            c.msgs.clear();
            c.awaiting.clear();
        }
        self.channels.clear();
    }

    /// Marks the session closed and reports every remaining channel gone.
    fn end(&mut self, reason: SessionCloseReason) {
        if self.is_closed() {
            return;
        }
        self.state = State::Closed;
        let numbers: Vec<u32> = self.channels.keys().copied().filter(|n| *n != 0).collect();
        for n in numbers {
            self.push_event(Event::ChannelClosed {
                channel: n,
                reason: ChannelCloseReason::SessionEnded,
            });
        }
        self.pending_starts.clear();
        self.pending_closes.clear();
        self.push_event(Event::SessionClosed { reason });
    }

    /// After the driver has put TLS under the session (following `Event::TlsSwitch`):
    /// every channel is gone and both sides greet again (RFC 3080 3.1).
    pub fn reset_after_tls(&mut self, now: Instant) {
        if !matches!(self.state, State::Switching(_)) {
            return;
        }
        let numbers: Vec<u32> = self.channels.keys().copied().filter(|n| *n != 0).collect();
        for n in numbers {
            self.push_event(Event::ChannelClosed {
                channel: n,
                reason: ChannelCloseReason::SessionEnded,
            });
        }
        self.channels.clear();
        self.starting.clear();
        self.requests.clear();
        self.pending_starts.clear();
        self.pending_closes.clear();
        self.rx_buf.clear();
        self.tuning = Tuning::None;
        self.hold_output = false;
        self.release_ok = None;
        self.release_sent = false;
        self.tls_active = true;
        self.greeting_received = false;
        self.greeting_deadline = Some(now + DEFAULT_GREETING_TIMEOUT);
        self.peer_profiles.clear();
        self.state = State::Active;
        self.next_channel = match self.config.role {
            Role::Initiator => 1,
            Role::Listener => 2,
        };
        self.begin();
    }

    /// Test hook: as if `rx` and `tx` octets had already crossed `channel`.
    #[cfg(test)]
    pub(crate) fn test_set_seqnos(&mut self, channel: u32, rx: u32, tx: u32) {
        let c = self.channels.get_mut(&channel).expect("open channel");
        c.rx.set_next(rx);
        c.tx.set_next(tx);
    }

    /// Whether input is processed now (not switching, not over the event bound).
    fn reading(&self) -> bool {
        !matches!(self.state, State::Switching(_)) && self.events.len() < self.config.max_events
    }
}
