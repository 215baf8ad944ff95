//! The uTP transport's own events (the `utp_*` kinds) for the client's callbacks, when
//! [`ClientBuilder::utp_events`](super::ClientBuilder::utp_events) asks for them.
//!
//! Each uTP context reports to an event hub of its own. For every `utp_*` kind that a
//! client callback wants, a forwarder on each context's hub re-emits the event into the
//! client's hub; a kind no callback wants has no forwarder, so the context does not even
//! build it (`utp_packets`, `utp_packet_header` and `utp_log` cost something per packet).
//! The engine brings the forwarders in line with the client's callbacks at every settle.

use std::sync::{Arc, Mutex};

use super::shared::{Wiring, lock};
use crate::events::{EventHub, HubListenerId, KindId};

/// The forwarders on the uTP contexts' hubs.
pub(crate) struct UtpForwarders {
    /// The `utp_*` kinds (at most 32).
    kinds: Vec<KindId>,
    /// Bit `i`: `kinds[i]` is forwarded now.
    forwarded: u32,
    /// Per family, per kind: the forwarder's id on that context's hub.
    ids: [Vec<Option<HubListenerId>>; 2],
}

impl UtpForwarders {
    pub fn new() -> Self {
        let kinds: Vec<KindId> = KindId::ALL
            .iter()
            .copied()
            .filter(|kind| kind.info().name.starts_with("utp_"))
            .take(32)
            .collect();
        let none = vec![None; kinds.len()];
        UtpForwarders {
            kinds,
            forwarded: 0,
            ids: [none.clone(), none],
        }
    }

    /// Adds the forwarders of the kinds the client's callbacks now want and removes the
    /// others.
    pub fn sync(&mut self, wiring: &Wiring) {
        let wanted = {
            let mut hub = lock(&wiring.hub);
            hub.apply_registrations();
            self.kinds
                .iter()
                .enumerate()
                .filter(|(_, kind)| hub.wants(**kind))
                .fold(0u32, |bits, (i, _)| bits | 1 << i)
        };
        if wanted == self.forwarded {
            return;
        }
        for (family, context) in wiring.utp.iter().enumerate() {
            let Some(context) = context else { continue };
            let mut context = lock(context);
            let hub = context.hub_mut();
            for (i, kind) in self.kinds.iter().enumerate() {
                let slot = &mut self.ids[family][i];
                match (wanted & 1 << i != 0, slot.take()) {
                    (true, None) => *slot = Some(forward(hub, *kind, Arc::clone(&wiring.hub))),
                    (false, Some(id)) => {
                        hub.remove_listener(id);
                    }
                    (_, kept) => *slot = kept,
                }
            }
        }
        self.forwarded = wanted;
    }
}

/// Re-emits every `kind` event of a context's hub into the client's hub.
fn forward(hub: &mut EventHub, kind: KindId, client: Arc<Mutex<EventHub>>) -> HubListenerId {
    hub.on_kind_id(kind, move |event| {
        if let Err(refused) = lock(&client).emit_event(event.clone()) {
            tracing::warn!(?refused, "event hub refused a uTP event");
        }
    })
}
