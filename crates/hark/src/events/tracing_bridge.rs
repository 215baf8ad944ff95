//! Forwarding events to `tracing`, at the level matching their severity.

use super::event::Event;
use super::severity::Severity;
use tracing::Level;

/// The `tracing` target of forwarded events.
pub const TRACING_TARGET: &str = "hark::events";

/// The `tracing` level for a severity: `critical` and `fatal` both map to `ERROR`, the
/// highest level `tracing` has.
#[must_use]
pub fn tracing_level(severity: Severity) -> Level {
    match severity {
        Severity::Debug => Level::DEBUG,
        Severity::Info => Level::INFO,
        Severity::Warning => Level::WARN,
        Severity::Critical | Severity::Fatal => Level::ERROR,
    }
}

/// A listener that records each event as a `tracing` event with target `hark::events`, the
/// message as its message, and the fields `event` (kind name), `severity`, `sequence` and
/// `connection` (when there is one). Register it with `on_all` or `on_category`.
pub fn tracing_listener() -> impl FnMut(&Event) + Send + 'static {
    forward
}

fn forward(event: &Event) {
    macro_rules! record {
        ($level:expr) => {
            tracing::event!(
                target: "hark::events",
                $level,
                event = event.name(),
                severity = event.severity.name(),
                sequence = event.sequence,
                connection = event.connection.map(|id| id.0),
                "{}",
                event.message()
            )
        };
    }
    match tracing_level(event.severity) {
        Level::ERROR => record!(Level::ERROR),
        Level::WARN => record!(Level::WARN),
        Level::INFO => record!(Level::INFO),
        Level::DEBUG => record!(Level::DEBUG),
        _ => record!(Level::TRACE),
    }
}
