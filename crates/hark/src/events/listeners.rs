//! Registered listeners: per kind, per category set, or for every event.

use super::category::CategoryMask;
use super::event::Event;
use super::kind::KindInfo;
use super::kind::{Kind, Response, Verdict};
use super::kinds::KindId;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// Identifies a registered listener, to remove it later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HubListenerId(u64);

#[derive(Debug, Clone, Copy)]
pub(crate) enum Selector {
    Kind(KindId),
    Categories(CategoryMask),
}

pub(crate) type Callback = Box<dyn FnMut(&Event) -> Response + Send>;

struct Listener {
    id: HubListenerId,
    selector: Selector,
    call: Callback,
}

/// A registration or removal made through a [`Registrar`](super::Registrar), applied by
/// the hub between two events.
pub(crate) enum Change {
    Add(HubListenerId, Selector, Callback),
    Remove(HubListenerId),
}

/// What the hub's listeners share with its registrars.
#[derive(Default)]
pub(crate) struct Shared {
    next_id: AtomicU64,
    /// Set when `pending` may hold changes, so the hub checks one atomic per event.
    dirty: AtomicBool,
    pending: Mutex<Vec<Change>>,
}

impl Shared {
    pub(crate) fn allocate_id(&self) -> HubListenerId {
        HubListenerId(self.next_id.fetch_add(1, Ordering::Relaxed))
    }

    pub(crate) fn queue(&self, change: Change) {
        self.pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(change);
        self.dirty.store(true, Ordering::Release);
    }
}

/// Wraps a per-kind closure into a type-erased callback.
pub(crate) fn kind_callback<K, R, F>(mut f: F) -> (Selector, Callback)
where
    K: Kind,
    R: Into<K::Reply>,
    F: FnMut(&Event, &K) -> R + Send + 'static,
{
    let call = move |event: &Event| match K::from_kind(&event.kind) {
        Some(attributes) => f(event, attributes).into().into(),
        None => Response::Ignored,
    };
    (Selector::Kind(K::ID), Box::new(call))
}

/// Wraps a closure for a set of categories into a type-erased callback.
pub(crate) fn category_callback<F>(mask: CategoryMask, mut f: F) -> (Selector, Callback)
where
    F: FnMut(&Event) + Send + 'static,
{
    let call = move |event: &Event| {
        f(event);
        Response::Ignored
    };
    (Selector::Categories(mask), Box::new(call))
}

/// Listeners in registration order; each event reaches them in that order.
pub(crate) struct Listeners {
    list: Vec<Listener>,
    shared: Arc<Shared>,
    /// Per kind (by [`KindId::index`]): whether stream delivery reaches any listener.
    interest: Vec<bool>,
}

impl std::fmt::Debug for Listeners {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listeners")
            .field("count", &self.list.len())
            .finish()
    }
}

impl Default for Listeners {
    fn default() -> Self {
        Listeners {
            list: Vec::new(),
            shared: Arc::default(),
            interest: vec![false; KindId::ALL.len()],
        }
    }
}

impl Listeners {
    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    pub(crate) fn add(&mut self, (selector, call): (Selector, Callback)) -> HubListenerId {
        let id = self.shared.allocate_id();
        self.list.push(Listener { id, selector, call });
        self.update_interest();
        id
    }

    pub(crate) fn remove(&mut self, id: HubListenerId) -> bool {
        let before = self.list.len();
        self.list.retain(|listener| listener.id != id);
        self.update_interest();
        self.list.len() != before
    }

    /// Whether stream delivery of a `kind` event would reach a listener. Conservatively
    /// true while a registrar's changes wait to be applied.
    pub(crate) fn interested(&self, kind: KindId) -> bool {
        self.interest.get(kind.index()).copied().unwrap_or(true)
            || self.shared.dirty.load(Ordering::Relaxed)
    }

    fn update_interest(&mut self) {
        for (kind, interested) in KindId::ALL.iter().zip(self.interest.iter_mut()) {
            *interested = self.list.iter().any(|listener| {
                // A deciding kind's own listeners are called at decision time: the
                // event must still be built for them.
                delivers(listener.selector, *kind)
                    || matches!(listener.selector, Selector::Kind(wanted) if wanted == *kind)
            });
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.list.len()
    }

    /// Applies registrations and removals queued by registrars, in the order made.
    pub(crate) fn apply_pending(&mut self) {
        // A plain load first: the read-modify-write only happens when something is queued.
        if !self.shared.dirty.load(Ordering::Acquire)
            || !self.shared.dirty.swap(false, Ordering::Acquire)
        {
            return;
        }
        let changes = std::mem::take(
            &mut *self
                .shared
                .pending
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        for change in changes {
            match change {
                Change::Add(id, selector, call) => {
                    self.list.push(Listener { id, selector, call });
                }
                Change::Remove(id) => {
                    self.list.retain(|listener| listener.id != id);
                }
            }
        }
        self.update_interest();
    }

    /// Stream delivery: every matching listener, except per-kind listeners of deciding
    /// kinds, which were already called by [`Listeners::decide`].
    pub(crate) fn deliver(&mut self, event: &Event) {
        self.apply_pending();
        let id = event.id();
        let info = id.info();
        for listener in &mut self.list {
            if delivers_with(listener.selector, id, info) {
                // Stream listeners' return values carry no decision.
                let _ = (listener.call)(event);
            }
        }
    }

    /// Decision-time call of the per-kind listeners of `event`'s kind. Every one of them is
    /// called; one `Verdict::Allow` vetoes the block.
    pub(crate) fn decide(&mut self, event: &Event) -> Verdict {
        self.apply_pending();
        let id = event.id();
        let mut verdict = Verdict::Block;
        for listener in &mut self.list {
            if matches!(listener.selector, Selector::Kind(kind) if kind == id)
                && (listener.call)(event) == Response::Verdict(Verdict::Allow)
            {
                verdict = Verdict::Allow;
            }
        }
        verdict
    }
}

/// Whether stream delivery of a `kind` event reaches a listener with `selector`: per-kind
/// listeners of deciding kinds are called at decision time instead.
fn delivers(selector: Selector, kind: KindId) -> bool {
    delivers_with(selector, kind, kind.info())
}

/// [`delivers`] with the kind's catalogue entry already looked up.
fn delivers_with(selector: Selector, kind: KindId, info: &KindInfo) -> bool {
    match selector {
        Selector::Kind(wanted) => wanted == kind && !info.decides,
        Selector::Categories(mask) => mask.contains(info.category),
    }
}
