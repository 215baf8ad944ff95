//! Registering and removing listeners from inside a listener, or from another thread.

use super::category::CategoryMask;
use super::event::Event;
use super::kind::Kind;
use super::listeners::{
    Callback, Change, HubListenerId, Selector, Shared, category_callback, kind_callback,
};
use std::sync::Arc;

/// A cloneable, `Send + Sync` handle that queues listener registrations and removals for
/// its [`EventHub`](super::EventHub). Listeners cannot reach the hub itself while it
/// dispatches; they capture a `Registrar` instead. Changes take effect before the next
/// event is delivered (a listener added while event `n` is delivered first sees `n + 1`).
///
/// Besides the methods below, every kind has an `on_<name>` method (see the catalogue).
#[derive(Clone)]
pub struct Registrar {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Registrar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registrar").finish_non_exhaustive()
    }
}

impl Registrar {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Registrar { shared }
    }

    fn queue_add(&self, (selector, call): (Selector, Callback)) -> HubListenerId {
        let id = self.shared.allocate_id();
        self.shared.queue(Change::Add(id, selector, call));
        id
    }

    /// Queues `f` for every event of kind `K`.
    pub fn on<K, R, F>(&self, f: F) -> HubListenerId
    where
        K: Kind,
        R: Into<K::Reply>,
        F: FnMut(&Event, &K) -> R + Send + 'static,
    {
        self.queue_add(kind_callback::<K, R, F>(f))
    }

    /// Queues `f` for every event whose category is in `categories`.
    pub fn on_category<F>(&self, categories: impl Into<CategoryMask>, f: F) -> HubListenerId
    where
        F: FnMut(&Event) + Send + 'static,
    {
        self.queue_add(category_callback(categories.into(), f))
    }

    /// Queues `f` for every event.
    pub fn on_all<F>(&self, f: F) -> HubListenerId
    where
        F: FnMut(&Event) + Send + 'static,
    {
        self.on_category(CategoryMask::ALL, f)
    }

    /// Queues the removal of a listener.
    pub fn remove_listener(&self, id: HubListenerId) {
        self.shared.queue(Change::Remove(id));
    }
}
