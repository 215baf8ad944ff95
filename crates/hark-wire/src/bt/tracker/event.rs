//! The `event` of an announce.

use std::fmt;

/// Why a client announces (BEP 3 `event`; BEP 15 numbers them 0 to 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AnnounceEvent {
    /// A regular announce at the tracker's interval (no `event` parameter).
    #[default]
    None,
    /// The first announce of a download.
    Started,
    /// The download finished (sent once, not when starting as a seed).
    Completed,
    /// The client stops.
    Stopped,
}

impl AnnounceEvent {
    /// The HTTP `event` value: `started`, `completed`, `stopped`, or `None` for a regular
    /// announce (the parameter is left out).
    #[must_use]
    pub const fn http_name(self) -> Option<&'static str> {
        match self {
            AnnounceEvent::None => None,
            AnnounceEvent::Started => Some("started"),
            AnnounceEvent::Completed => Some("completed"),
            AnnounceEvent::Stopped => Some("stopped"),
        }
    }

    /// The BEP 15 code: none 0, completed 1, started 2, stopped 3.
    #[must_use]
    pub const fn udp_code(self) -> u32 {
        match self {
            AnnounceEvent::None => 0,
            AnnounceEvent::Completed => 1,
            AnnounceEvent::Started => 2,
            AnnounceEvent::Stopped => 3,
        }
    }

    /// The event of a BEP 15 code, if it is one.
    #[must_use]
    pub const fn from_udp_code(code: u32) -> Option<AnnounceEvent> {
        match code {
            0 => Some(AnnounceEvent::None),
            1 => Some(AnnounceEvent::Completed),
            2 => Some(AnnounceEvent::Started),
            3 => Some(AnnounceEvent::Stopped),
            _ => None,
        }
    }
}

impl fmt::Display for AnnounceEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.http_name().unwrap_or("regular"))
    }
}
