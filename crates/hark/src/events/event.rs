//! The event value that listeners and the pull API receive.

use super::category::Category;
use super::kinds::{EventKind, KindId};
use super::severity::Severity;
use std::borrow::Cow;
use std::fmt;

/// Identifies one connection for the life of the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnectionId(pub u64);

impl fmt::Display for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// One event: its kind with typed attributes, a severity and an English message.
///
/// The message is written only when asked for ([`Event::message`], `Display`), so events
/// that no one reads cost no formatting.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Event {
    /// What happened, with the kind's attributes.
    pub kind: EventKind,
    /// How much it matters (the kind's default unless the producer chose otherwise).
    pub severity: Severity,
    /// The connection the event is about, if any.
    pub connection: Option<ConnectionId>,
    /// Position in the hub's stream: increases by one per event accepted by the filters,
    /// so a gap shows where events were dropped. Set by the hub when the event is emitted.
    pub sequence: u64,
    /// A message the producer chose instead of the kind's sentence.
    custom_message: Option<Box<str>>,
}

impl Event {
    /// An event with the kind's default severity and its sentence.
    #[must_use]
    pub fn new(kind: impl Into<EventKind>, connection: Option<ConnectionId>) -> Event {
        let kind = kind.into();
        Event {
            severity: kind.default_severity(),
            kind,
            connection,
            sequence: 0,
            custom_message: None,
        }
    }

    /// An event whose kind's default severity the caller already looked up.
    pub(crate) fn with_default_severity(
        kind: EventKind,
        severity: Severity,
        connection: Option<ConnectionId>,
    ) -> Event {
        Event {
            kind,
            severity,
            connection,
            sequence: 0,
            custom_message: None,
        }
    }

    /// The same event with another severity.
    #[must_use]
    pub fn with_severity(mut self, severity: Severity) -> Event {
        self.severity = severity;
        self
    }

    /// The same event with another message.
    #[must_use]
    pub fn with_message(mut self, message: impl Into<String>) -> Event {
        self.custom_message = Some(message.into().into_boxed_str());
        self
    }

    /// A sentence fit to show a user: the producer's, or else the kind's, written now.
    #[must_use]
    pub fn message(&self) -> Cow<'_, str> {
        match &self.custom_message {
            Some(message) => Cow::Borrowed(message),
            None => Cow::Owned(self.kind.describe()),
        }
    }

    /// The kind's stable name, such as `"listen_success"` (the seed's `event` key).
    #[must_use]
    pub fn name(&self) -> &'static str {
        self.kind.name()
    }

    /// The kind's identifier.
    #[must_use]
    pub fn id(&self) -> KindId {
        self.kind.id()
    }

    /// The kind's category.
    #[must_use]
    pub fn category(&self) -> Category {
        self.kind.category()
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}: {}", self.severity, self.name(), self.message())
    }
}
