//! How much an event matters, from `debug` to `fatal`.

use std::fmt;

/// Severity of an event, ordered from least to most severe.
///
/// `Fatal` means normal operation of the thing the event is about is impossible (no port
/// could be opened, a disk is full); it never aborts the program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Detail for debugging hark or a misbehaving peer.
    Debug,
    /// Normal operation worth an event.
    Info,
    /// Something failed and will likely be retried; no user action needed.
    Warning,
    /// Needs the user's attention.
    Critical,
    /// Makes normal operation impossible; the program keeps running.
    Fatal,
}

impl Severity {
    /// Every severity, least severe first.
    pub const ALL: [Severity; 5] = [
        Severity::Debug,
        Severity::Info,
        Severity::Warning,
        Severity::Critical,
        Severity::Fatal,
    ];

    /// The stable lowercase name (`"debug"`, ..., `"fatal"`).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Severity::Debug => "debug",
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
            Severity::Fatal => "fatal",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
