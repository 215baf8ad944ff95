//! The IP filter check that listeners and connectors call before accepting or opening a
//! connection.

use super::attributes::{Direction, Protocol};
use super::event::{ConnectionId, Event};
use super::hub::EventHub;
use super::kind::Verdict;
use super::kinds::{IpFiltered, KindId};
use std::net::SocketAddr;

/// Whether a connection may proceed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Admission {
    /// Go on: no rule blocks the address, or a listener vetoed the block.
    Allow,
    /// Decline the incoming connection or abort the outgoing attempt.
    Deny,
}

impl EventHub {
    /// Consults the IP filter about a connection with `remote`.
    ///
    /// If a rule blocks the address and `ip_filter` events pass the filters, an `ip_filter`
    /// event is built, its `on_ip_filter` listeners are called right away (one returning
    /// [`Verdict::Allow`] vetoes the block), and the event, with `vetoed` set accordingly,
    /// then joins the stream for category listeners and the pull API. Calling the deciding
    /// listeners ahead of the queue cannot reorder a connection's events: a blocked
    /// connection has produced none yet. With `ip_filter` filtered out, nobody is asked and
    /// the block stands.
    pub fn admit(
        &mut self,
        remote: SocketAddr,
        protocol: Protocol,
        direction: Direction,
        connection: Option<ConnectionId>,
    ) -> Admission {
        let Some(rule) = self
            .ip_filter()
            .and_then(|filter| filter.blocking_rule(remote.ip()))
            .cloned()
        else {
            return Admission::Allow;
        };
        if !self.wants(KindId::IpFiltered) {
            return Admission::Deny;
        }
        let mut attributes = IpFiltered {
            address: remote,
            protocol,
            direction,
            rule,
            vetoed: false,
        };
        let verdict = self.decide(&Event::new(attributes.clone(), connection));
        attributes.vetoed = verdict == Verdict::Allow;
        // `ip_filter` is droppable: under load it is counted in `events_dropped`, and
        // `emit` only refuses guaranteed kinds.
        let _ = self.emit(attributes, connection);
        match verdict {
            Verdict::Allow => Admission::Allow,
            Verdict::Block => Admission::Deny,
        }
    }
}
