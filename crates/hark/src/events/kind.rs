//! What every event kind provides: its identity, its catalogue entry, its message.

use super::category::Category;
use super::kinds::{EventKind, KindId};
use super::severity::Severity;

/// An event kind's typed attributes. Implemented by `define_kinds!` for each kind, and
/// sealed: new kinds are added to that list, not implemented elsewhere.
pub trait Kind: sealed::Sealed + Describe + Clone + Into<EventKind> + Send + 'static {
    /// The kind's identifier.
    const ID: KindId;
    /// What a per-kind listener returns: `()` unless the kind lets listeners decide.
    type Reply: Reply;
    /// The attributes if `kind` is of this kind.
    fn from_kind(kind: &EventKind) -> Option<&Self>;
}

pub(crate) mod sealed {
    /// Only `define_kinds!` implements [`Kind`](super::Kind).
    pub trait Sealed {}
}

/// The English sentence of an event, written by hand for each kind.
pub trait Describe {
    /// A sentence fit to show a user, such as "Listening for tcp4 on 127.0.0.1:6881.".
    fn describe(&self) -> String;
}

/// A per-kind listener's return type.
pub trait Reply: Into<Response> {
    /// Whether listeners of this kind decide something (and are called at decision time).
    const DECIDES: bool;
}

impl Reply for () {
    const DECIDES: bool = false;
}

impl Reply for Verdict {
    const DECIDES: bool = true;
}

/// A listener's answer, type-erased for storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Response {
    /// The return value carries no decision.
    Ignored,
    /// A verdict on a connection blocked by the IP filter.
    Verdict(Verdict),
}

impl From<()> for Response {
    fn from((): ()) -> Self {
        Response::Ignored
    }
}

impl From<Verdict> for Response {
    fn from(verdict: Verdict) -> Self {
        Response::Verdict(verdict)
    }
}

/// What an `ip_filter` listener says about a blocked connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Verdict {
    /// Keep the filter's decision: the connection is declined or aborted.
    #[default]
    Block,
    /// Veto the filter: let this connection through.
    Allow,
}

impl From<()> for Verdict {
    fn from((): ()) -> Self {
        Verdict::Block
    }
}

/// Whether an event may be dropped when the queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Dropped (and counted in `events_dropped`) when the queue is full.
    Droppable,
    /// Promised by the API: takes the reserved lane when the queue is full, never dropped.
    Guaranteed,
}

/// One row of the event catalogue.
#[derive(Debug)]
pub struct KindInfo {
    /// Stable name, such as `"listen_success"`.
    pub name: &'static str,
    /// Name of the Rust attribute struct.
    pub type_name: &'static str,
    /// What the kind means (the struct's doc comment).
    pub summary: &'static str,
    /// The kind's category.
    pub category: Category,
    /// The kind's default severity.
    pub severity: Severity,
    /// Whether the kind may be dropped under load.
    pub delivery: Delivery,
    /// Whether per-kind listeners decide (their return value is used).
    pub decides: bool,
    /// The `on_<name>` registration method.
    pub register_with: &'static str,
    /// The typed attributes.
    pub attributes: &'static [AttributeInfo],
}

/// One attribute of an event kind.
#[derive(Debug)]
pub struct AttributeInfo {
    /// Field name.
    pub name: &'static str,
    /// Rust type, as written in the source.
    pub ty: &'static str,
    /// What the attribute holds (the field's doc comment).
    pub doc: &'static str,
}
