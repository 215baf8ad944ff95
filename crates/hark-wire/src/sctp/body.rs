//! The internal contract between [`Notification`](super::Notification) and each event struct.

use super::error::{EmitError, ParseError};
use super::layout::Layout;
use super::rw::{Reader, Writer};

/// Offsets shared by every notification.
pub(crate) mod field {
    pub(crate) const FLAGS: usize = 2;
}

/// One notification kind's body: everything after `sn_type` and `sn_length`.
pub(crate) trait Body<'a>: Sized {
    /// The C struct name, for errors.
    const WHAT: &'static str;

    /// `sizeof` the fixed part in `layout`.
    fn min_len(layout: Layout) -> usize;

    /// Reads the body from a reader already checked to hold `min_len` bytes and exactly the
    /// notification.
    fn parse_body(r: &Reader<'a>, layout: Layout) -> Result<Self, ParseError>;

    /// The total length the notification will have when emitted.
    fn total_len(&self, layout: Layout) -> usize {
        Self::min_len(layout)
    }

    /// `sn_flags` as written in `layout`.
    fn flags(&self, layout: Layout) -> Result<u16, EmitError>;

    /// Writes every field but the header into a zeroed buffer of `total_len` bytes.
    fn emit_body(&self, w: &mut Writer<'_>, layout: Layout) -> Result<(), EmitError>;
}
