//! The event hub: filters, the bounded queue, listeners and the pull API.

use super::category::{Category, CategoryMask};
use super::event::{ConnectionId, Event};
use super::kind::Kind;
use super::kinds::{EventKind, KindId};
use super::listeners::{HubListenerId, Listeners, category_callback, kind_callback};
use super::queue::{Emitted, EventQueue, ReservedLaneFull};
use super::registrar::Registrar;
use super::severity::Severity;
use super::tracing_bridge::tracing_listener;
use hark_proto::ipfilter::IpFilter;
use std::sync::Arc;

/// Default capacity of the main lane.
pub const DEFAULT_CAPACITY: usize = 4096;
/// Default capacity of the reserved lane for guaranteed kinds.
pub const DEFAULT_RESERVED_CAPACITY: usize = 1024;

/// Builds an [`EventHub`]: filters, queue sizes and listeners chosen at construction.
///
/// Besides the methods below, every kind has an `on_<name>` method (see the catalogue).
#[derive(Debug)]
#[must_use]
pub struct HubBuilder {
    capacity: usize,
    reserved_capacity: usize,
    min_severity: Severity,
    categories: CategoryMask,
    ip_filter: Option<Arc<IpFilter>>,
    listeners: Listeners,
    listeners_only: bool,
}

impl Default for HubBuilder {
    fn default() -> Self {
        HubBuilder {
            capacity: DEFAULT_CAPACITY,
            reserved_capacity: DEFAULT_RESERVED_CAPACITY,
            min_severity: Severity::Debug,
            categories: CategoryMask::ALL,
            ip_filter: None,
            listeners: Listeners::default(),
            listeners_only: false,
        }
    }
}

impl HubBuilder {
    /// Capacity of the main lane: droppable events beyond it are dropped and counted.
    pub fn capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity;
        self
    }

    /// Capacity of the reserved lane that guaranteed kinds use when the main lane is full.
    pub fn reserved_capacity(mut self, reserved_capacity: usize) -> Self {
        self.reserved_capacity = reserved_capacity;
        self
    }

    /// Events below this severity are discarded when emitted (default: none).
    pub fn min_severity(mut self, severity: Severity) -> Self {
        self.min_severity = severity;
        self
    }

    /// Only events of these categories are kept (default: all).
    pub fn categories(mut self, categories: impl Into<CategoryMask>) -> Self {
        self.categories = categories.into();
        self
    }

    /// Delivers events to the listeners as they are emitted and discards, as if filtered,
    /// those no listener would receive (default: off, so events wait for the pull API);
    /// see [`EventHub::set_listeners_only`].
    pub fn listeners_only(mut self, listeners_only: bool) -> Self {
        self.listeners_only = listeners_only;
        self
    }

    /// The IP filter that [`EventHub::admit`] consults.
    pub fn ip_filter(mut self, filter: Arc<IpFilter>) -> Self {
        self.ip_filter = Some(filter);
        self
    }

    /// Registers `f` for every event of kind `K`.
    pub fn on<K, R, F>(mut self, f: F) -> Self
    where
        K: Kind,
        R: Into<K::Reply>,
        F: FnMut(&Event, &K) -> R + Send + 'static,
    {
        self.listeners.add(kind_callback::<K, R, F>(f));
        self
    }

    /// Registers `f` for every event whose category is in `categories`.
    pub fn on_category<F>(mut self, categories: impl Into<CategoryMask>, f: F) -> Self
    where
        F: FnMut(&Event) + Send + 'static,
    {
        self.listeners.add(category_callback(categories.into(), f));
        self
    }

    /// Registers `f` for every event.
    pub fn on_all<F>(self, f: F) -> Self
    where
        F: FnMut(&Event) + Send + 'static,
    {
        self.on_category(CategoryMask::ALL, f)
    }

    /// Forwards every event to `tracing` (see [`tracing_listener`]).
    pub fn forward_to_tracing(self) -> Self {
        self.on_all(tracing_listener())
    }

    /// The hub.
    pub fn build(self) -> EventHub {
        EventHub {
            min_severity: self.min_severity,
            categories: self.categories,
            queue: EventQueue::new(self.capacity, self.reserved_capacity),
            listeners: self.listeners,
            ip_filter: self.ip_filter,
            next_sequence: 0,
            listeners_only: self.listeners_only,
        }
    }
}

/// One stream of events for everything hark runs, filtered, queued, and delivered to
/// listeners and to the pull API alike.
///
/// Producers call [`emit`](EventHub::emit). The application either calls
/// [`dispatch`](EventHub::dispatch) (listeners only) or pulls with
/// [`poll_event`](EventHub::poll_event) / [`poll_events`](EventHub::poll_events); both
/// take events from the same queue and run the matching listeners on each event exactly
/// once, in stream order.
///
/// Listeners cannot re-enter the hub: every method that delivers takes `&mut self`, and a
/// listener is a `'static` closure that receives only `&Event` (and its kind's attributes),
/// so it can hold no borrow of the hub. To register or remove listeners from inside one,
/// capture a [`Registrar`]: its changes are queued and applied between two events.
#[derive(Debug)]
pub struct EventHub {
    min_severity: Severity,
    categories: CategoryMask,
    queue: EventQueue,
    listeners: Listeners,
    ip_filter: Option<Arc<IpFilter>>,
    next_sequence: u64,
    listeners_only: bool,
}

impl Default for EventHub {
    fn default() -> Self {
        HubBuilder::default().build()
    }
}

impl EventHub {
    /// A hub with default settings and no listeners.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// A builder, to choose settings and listeners at construction.
    pub fn builder() -> HubBuilder {
        HubBuilder::default()
    }

    /// The current minimum severity.
    #[must_use]
    pub fn min_severity(&self) -> Severity {
        self.min_severity
    }

    /// Changes the minimum severity for events emitted from now on.
    pub fn set_min_severity(&mut self, severity: Severity) {
        self.min_severity = severity;
    }

    /// The current category mask.
    #[must_use]
    pub fn categories(&self) -> CategoryMask {
        self.categories
    }

    /// Changes the category mask for events emitted from now on.
    pub fn set_categories(&mut self, categories: impl Into<CategoryMask>) {
        self.categories = categories.into();
    }

    /// Whether an event of `category` and `severity` would pass the filters.
    #[must_use]
    pub fn accepts(&self, category: Category, severity: Severity) -> bool {
        severity >= self.min_severity && self.categories.contains(category)
    }

    /// Whether events are delivered as emitted, and discarded when no listener wants them.
    #[must_use]
    pub fn is_listeners_only(&self) -> bool {
        self.listeners_only
    }

    /// With `true`, each emitted event goes to the listeners at once (after any still
    /// queued, which keeps the order), and events that no listener would receive are
    /// discarded as if filtered: for owners that only [`dispatch`](EventHub::dispatch), such
    /// as hark's protocol contexts, so events cost no queueing and unwatched kinds cost
    /// nothing. Leave it off to pull events.
    pub fn set_listeners_only(&mut self, listeners_only: bool) {
        self.listeners_only = listeners_only;
    }

    /// Whether an event of `kind` at its default severity would be kept (filters, and a
    /// listener for it in listeners-only mode); producers use it to skip building costly
    /// attributes.
    #[must_use]
    pub fn wants(&self, kind: KindId) -> bool {
        let info = kind.info();
        self.keeps(kind, info.category, info.severity)
    }

    fn keeps(&self, kind: KindId, category: Category, severity: Severity) -> bool {
        self.accepts(category, severity)
            && (!self.listeners_only || self.listeners.interested(kind))
    }

    /// Emits an event of `kind` at its default severity. Its message is written only when
    /// someone reads it.
    ///
    /// Fails only for a guaranteed kind when both lanes are full; the event is handed back.
    pub fn emit(
        &mut self,
        kind: impl Into<EventKind>,
        connection: Option<ConnectionId>,
    ) -> Result<Emitted, ReservedLaneFull> {
        let kind = kind.into();
        let id = kind.id();
        let info = id.info();
        if !self.keeps(id, info.category, info.severity) {
            return Ok(Emitted::Filtered);
        }
        self.enqueue(Event::with_default_severity(
            kind,
            info.severity,
            connection,
        ))
    }

    /// Emits a prepared event (for a non-default severity or message).
    pub fn emit_event(&mut self, event: Event) -> Result<Emitted, ReservedLaneFull> {
        if !self.keeps(event.id(), event.category(), event.severity) {
            return Ok(Emitted::Filtered);
        }
        self.enqueue(event)
    }

    fn enqueue(&mut self, mut event: Event) -> Result<Emitted, ReservedLaneFull> {
        event.sequence = self.next_sequence;
        if self.listeners_only && self.queue.len() == 0 {
            // Nothing waits before it: delivering now keeps the stream's order.
            self.next_sequence += 1;
            self.listeners.deliver(&event);
            return Ok(Emitted::Delivered);
        }
        let result = self.queue.push(event);
        if result.is_ok() {
            self.next_sequence += 1;
        }
        result
    }

    /// Runs the matching listeners on an event now, for decisions; returns their verdict.
    pub(crate) fn decide(&mut self, event: &Event) -> super::Verdict {
        self.listeners.decide(event)
    }

    /// Delivers every queued event to the listeners, in order; returns how many.
    pub fn dispatch(&mut self) -> usize {
        let mut delivered = 0;
        while let Some(event) = self.queue.pop() {
            self.listeners.deliver(&event);
            delivered += 1;
        }
        delivered
    }

    /// Takes the next event, after running the matching listeners on it.
    pub fn poll_event(&mut self) -> Option<Event> {
        let event = self.queue.pop()?;
        self.listeners.deliver(&event);
        Some(event)
    }

    /// Moves up to `max` events into `out` (after running listeners on each); returns how
    /// many. Reusing `out` across calls drains in batches without allocating.
    pub fn poll_events(&mut self, out: &mut Vec<Event>, max: usize) -> usize {
        let mut taken = 0;
        while taken < max {
            let Some(event) = self.poll_event() else {
                break;
            };
            out.push(event);
            taken += 1;
        }
        taken
    }

    /// Events waiting (a pending `events_dropped` counts as one).
    #[must_use]
    pub fn pending(&self) -> usize {
        self.queue.len()
    }

    /// Capacity of the main lane.
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.queue.capacity()
    }

    /// Capacity of the reserved lane.
    #[must_use]
    pub fn reserved_capacity(&self) -> usize {
        self.queue.reserved_capacity()
    }

    /// Registers `f` for every event of kind `K`.
    pub fn on<K, R, F>(&mut self, f: F) -> HubListenerId
    where
        K: Kind,
        R: Into<K::Reply>,
        F: FnMut(&Event, &K) -> R + Send + 'static,
    {
        self.listeners.add(kind_callback::<K, R, F>(f))
    }

    /// Registers `f` for every event whose category is in `categories`.
    pub fn on_category<F>(&mut self, categories: impl Into<CategoryMask>, f: F) -> HubListenerId
    where
        F: FnMut(&Event) + Send + 'static,
    {
        self.listeners.add(category_callback(categories.into(), f))
    }

    /// Registers `f` for every event of the kind `kind` names (untyped: for forwarding).
    pub(crate) fn on_kind_id<F>(&mut self, kind: KindId, mut f: F) -> HubListenerId
    where
        F: FnMut(&Event) + Send + 'static,
    {
        let call = move |event: &Event| {
            f(event);
            super::kind::Response::Ignored
        };
        self.listeners
            .add((super::listeners::Selector::Kind(kind), Box::new(call)))
    }

    /// Applies the registrations and removals registrars queued (otherwise applied when
    /// the next event is delivered), so [`EventHub::wants`] answers exactly.
    pub(crate) fn apply_registrations(&mut self) {
        self.listeners.apply_pending();
    }

    /// Registers `f` for every event.
    pub fn on_all<F>(&mut self, f: F) -> HubListenerId
    where
        F: FnMut(&Event) + Send + 'static,
    {
        self.on_category(CategoryMask::ALL, f)
    }

    /// Forwards every event to `tracing` (see [`tracing_listener`]).
    pub fn forward_to_tracing(&mut self) -> HubListenerId {
        self.on_all(tracing_listener())
    }

    /// A handle that queues registrations and removals, for use inside listeners or from
    /// other threads; see [`Registrar`].
    pub fn registrar(&self) -> Registrar {
        Registrar::new(std::sync::Arc::clone(self.listeners.shared()))
    }

    /// Removes a listener; `false` if it was not registered (yet: registrations queued by
    /// a [`Registrar`] are applied when the next event is delivered).
    pub fn remove_listener(&mut self, id: HubListenerId) -> bool {
        self.listeners.remove(id)
    }

    /// Number of registered listeners.
    #[must_use]
    pub fn listener_count(&self) -> usize {
        self.listeners.len()
    }

    /// The IP filter [`admit`](EventHub::admit) consults, if any.
    #[must_use]
    pub fn ip_filter(&self) -> Option<&Arc<IpFilter>> {
        self.ip_filter.as_ref()
    }

    /// Replaces (or removes) the IP filter.
    pub fn set_ip_filter(&mut self, filter: Option<Arc<IpFilter>>) {
        self.ip_filter = filter;
    }
}
