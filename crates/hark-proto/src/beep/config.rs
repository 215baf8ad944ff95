//! Session configuration and the profile registry.

use super::window::DEFAULT_WINDOW;

/// Which end of the transport the session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The side that opened the connection: odd channel numbers.
    Initiator,
    /// The side that accepted it: even channel numbers.
    Listener,
}

/// How received data reaches the application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Whole messages: `Event::Message` and `Event::Reply`.
    Messages,
    /// Each frame as it arrives: `Event::Frame`.
    Frames,
}

/// A profile the session supports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileConfig {
    /// The profile URI.
    pub uri: String,
    /// The receive window of channels on this profile (at least 4096).
    pub window: u32,
}

/// A session's configuration. Build with [`SessionConfig::new`] and the setters.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SessionConfig {
    /// Initiator or listener.
    pub role: Role,
    /// The profile registry: offered in the greeting, accepted in starts.
    pub profiles: Vec<ProfileConfig>,
    /// Whether the TLS tuning profile is offered and accepted.
    pub tls: bool,
    /// SASL mechanisms the listener offers (their names, e.g. `PLAIN`).
    pub sasl_mechanisms: Vec<String>,
    /// Refuse the session: send an ERR greeting with this code and text, then close.
    pub refuse: Option<(u16, String)>,
    /// The greeting's `features` tokens.
    pub features: Vec<String>,
    /// The greeting's `localize` language tags.
    pub localize: Vec<String>,
    /// Whole messages or frames.
    pub delivery: Delivery,
    /// Receive window of channel 0 and of channels whose profile has none.
    pub window: u32,
    /// Largest payload of a frame we send.
    pub max_frame_payload: u32,
    /// Largest frame payload we accept (the codec's limit, checked before buffering).
    pub max_frame_in: u32,
    /// Largest message assembled in message delivery.
    pub max_message_size: usize,
    /// Per channel: queued outgoing octets beyond which `send`/`reply` refuse.
    pub send_queue_limit: usize,
    /// Per channel: MSGs we sent that may await replies.
    pub max_outstanding: usize,
    /// Per channel: received MSGs awaiting our reply before we stop opening the window.
    pub max_pending_replies: usize,
    /// Per channel: unfinished ANS being assembled at once.
    pub max_partial_answers: usize,
    /// Channels open or being started at once (channel 0 excluded).
    pub max_channels: usize,
    /// Undecided start and close requests at once; more are answered by default.
    pub max_pending_decisions: usize,
    /// Undrained events at which the session stops reading input.
    pub max_events: usize,
}

impl SessionConfig {
    /// Defaults for `role`: RFC 3081's 4096-byte windows, 64 KiB frames, 16 MiB messages.
    pub fn new(role: Role) -> Self {
        Self {
            role,
            profiles: Vec::new(),
            tls: false,
            sasl_mechanisms: Vec::new(),
            refuse: None,
            features: Vec::new(),
            localize: Vec::new(),
            delivery: Delivery::Messages,
            window: DEFAULT_WINDOW,
            max_frame_payload: 64 * 1024,
            max_frame_in: 1 << 20,
            max_message_size: 16 << 20,
            send_queue_limit: 4 << 20,
            max_outstanding: 1024,
            max_pending_replies: 1024,
            max_partial_answers: 64,
            max_channels: 1024,
            max_pending_decisions: 256,
            max_events: 4096,
        }
    }

    /// Adds `uri` to the registry with the default window.
    pub fn profile(mut self, uri: impl Into<String>) -> Self {
        let window = self.window;
        self.profiles.push(ProfileConfig {
            uri: uri.into(),
            window,
        });
        self
    }

    /// Adds `uri` to the registry with receive window `window`.
    pub fn profile_with_window(mut self, uri: impl Into<String>, window: u32) -> Self {
        self.profiles.push(ProfileConfig {
            uri: uri.into(),
            window: window.max(DEFAULT_WINDOW),
        });
        self
    }

    /// Sets the default receive window (at least 4096).
    pub fn window(mut self, window: u32) -> Self {
        self.window = window.max(DEFAULT_WINDOW);
        self
    }

    /// Sets the delivery mode.
    pub fn delivery(mut self, delivery: Delivery) -> Self {
        self.delivery = delivery;
        self
    }

    /// Sets the largest frame payload we send (at least 1).
    pub fn max_frame_payload(mut self, n: u32) -> Self {
        self.max_frame_payload = n.max(1);
        self
    }

    /// Offers and accepts TLS tuning.
    pub fn tls(mut self, on: bool) -> Self {
        self.tls = on;
        self
    }

    /// Refuses every session with an ERR greeting (`code` 421 normally).
    pub fn refuse(mut self, code: u16, text: impl Into<String>) -> Self {
        self.refuse = Some((code, text.into()));
        self
    }

    /// The registered profile with this URI.
    pub(crate) fn find_profile(&self, uri: &str) -> Option<&ProfileConfig> {
        self.profiles.iter().find(|p| p.uri == uri)
    }
}
