//! Registered listeners: per kind, per category set, or for every event.

use super::category::CategoryMask;
use super::event::Event;
use super::kind::{Kind, Response, Verdict};
use super::kinds::KindId;

/// Identifies a registered listener, to remove it later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ListenerId(u64);

#[derive(Debug, Clone, Copy)]
enum Selector {
    Kind(KindId),
    Categories(CategoryMask),
}

type Callback = Box<dyn FnMut(&Event) -> Response + Send>;

struct Listener {
    id: ListenerId,
    selector: Selector,
    call: Callback,
}

/// Listeners in registration order; each event reaches them in that order.
#[derive(Default)]
pub(crate) struct Listeners {
    list: Vec<Listener>,
    next_id: u64,
}

impl std::fmt::Debug for Listeners {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listeners")
            .field("count", &self.list.len())
            .finish()
    }
}

impl Listeners {
    fn add(&mut self, selector: Selector, call: Callback) -> ListenerId {
        let id = ListenerId(self.next_id);
        self.next_id += 1;
        self.list.push(Listener { id, selector, call });
        id
    }

    pub(crate) fn add_kind<K, R, F>(&mut self, mut f: F) -> ListenerId
    where
        K: Kind,
        R: Into<K::Reply>,
        F: FnMut(&Event, &K) -> R + Send + 'static,
    {
        let call = move |event: &Event| match K::from_kind(&event.kind) {
            Some(attributes) => f(event, attributes).into().into(),
            None => Response::Ignored,
        };
        self.add(Selector::Kind(K::ID), Box::new(call))
    }

    pub(crate) fn add_categories<F>(&mut self, mask: CategoryMask, mut f: F) -> ListenerId
    where
        F: FnMut(&Event) + Send + 'static,
    {
        let call = move |event: &Event| {
            f(event);
            Response::Ignored
        };
        self.add(Selector::Categories(mask), Box::new(call))
    }

    pub(crate) fn remove(&mut self, id: ListenerId) -> bool {
        let before = self.list.len();
        self.list.retain(|listener| listener.id != id);
        self.list.len() != before
    }

    pub(crate) fn len(&self) -> usize {
        self.list.len()
    }

    /// Stream delivery: every matching listener, except per-kind listeners of deciding
    /// kinds, which were already called by [`Listeners::decide`].
    pub(crate) fn deliver(&mut self, event: &Event) {
        let id = event.id();
        let info = id.info();
        for listener in &mut self.list {
            let matches = match listener.selector {
                Selector::Kind(kind) => kind == id && !info.decides,
                Selector::Categories(mask) => mask.contains(info.category),
            };
            if matches {
                // Stream listeners' return values carry no decision.
                let _ = (listener.call)(event);
            }
        }
    }

    /// Decision-time call of the per-kind listeners of `event`'s kind. Every one of them is
    /// called; one `Verdict::Allow` vetoes the block.
    pub(crate) fn decide(&mut self, event: &Event) -> Verdict {
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
