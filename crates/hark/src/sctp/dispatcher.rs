//! Parses received messages, updates the tracker, calls the handler, runs queued commands.

use super::handler::{SctpCommand, SctpContext, SctpHandler};
use crate::events::{
    ConnectionId, EventKind, SctpAssocClosed, SctpAssocUp, SctpNotification, SctpPeerAddress,
    SctpSendFailed,
};
use crate::tcp::SharedHub;
use hark_proto::sctp::{AssocEvent, AssociationTracker, MAX_EVENTS};
use hark_reactor::sctp::{Outgoing, Received, SctpDriver, SctpError, SctpLoopEvent, SctpSocket};
use hark_wire::sctp::{EmitError, Layout, Notification, ParseError};
use std::collections::VecDeque;
use std::time::Instant;
use thiserror::Error;

/// Most commands callbacks may queue between two runs.
pub const MAX_COMMANDS: usize = 1024;

/// Why dispatching failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SctpDispatchError {
    /// A notification did not parse.
    #[error("notification: {0}")]
    Parse(#[from] ParseError),
    /// A notification has no pysctp dictionary in this layout.
    #[error("notification dictionary: {0}")]
    Dict(#[from] EmitError),
    /// The socket failed.
    #[error(transparent)]
    Socket(#[from] SctpError),
}

/// Drives an [`SctpHandler`] from received messages.
#[derive(Debug)]
pub struct SctpDispatcher<H> {
    handler: H,
    tracker: AssociationTracker,
    commands: VecDeque<SctpCommand>,
    events: VecDeque<AssocEvent>,
    dropped_events: u64,
    hub: Option<SharedHub>,
    /// [`SctpContext::send`] refused a message since the command queue last drained.
    refused: bool,
    /// The loop reported `Throttled` and not yet `Unthrottled`.
    loop_throttled: bool,
    /// What the handler was last told: throttled or not.
    told_throttled: bool,
}

impl<H: SctpHandler> SctpDispatcher<H> {
    /// A dispatcher for a Linux kernel socket.
    pub fn new(handler: H) -> Self {
        SctpDispatcher {
            handler,
            tracker: AssociationTracker::new(Layout::Linux),
            commands: VecDeque::new(),
            events: VecDeque::new(),
            dropped_events: 0,
            hub: None,
            refused: false,
            loop_throttled: false,
            told_throttled: false,
        }
    }

    /// Also emits `sctp_*` events into `hub` (each with the association id as its
    /// connection id).
    pub fn with_hub(handler: H, hub: SharedHub) -> Self {
        SctpDispatcher {
            hub: Some(hub),
            ..SctpDispatcher::new(handler)
        }
    }

    fn emit(&self, kind: impl Into<EventKind>, assoc_id: Option<u32>) {
        let Some(hub) = &self.hub else {
            return;
        };
        let kind = kind.into();
        let Ok(mut hub) = hub.lock() else {
            tracing::warn!(
                event = kind.name(),
                "event hub poisoned; SCTP event not emitted"
            );
            return;
        };
        let connection = assoc_id.map(|id| ConnectionId(u64::from(id)));
        if let Err(refused) = hub.emit(kind, connection) {
            tracing::warn!(?refused, "event hub full; SCTP event not queued");
        }
    }

    fn emit_tracker_event(&self, event: &AssocEvent) {
        match event {
            AssocEvent::Up {
                assoc_id,
                inbound_streams,
                outbound_streams,
                restarted,
            } => self.emit(
                SctpAssocUp {
                    assoc_id: *assoc_id,
                    inbound_streams: *inbound_streams,
                    outbound_streams: *outbound_streams,
                    restarted: *restarted,
                },
                Some(*assoc_id),
            ),
            AssocEvent::Closed {
                assoc_id, state, ..
            } => {
                let state = match state {
                    hark_proto::sctp::AssocState::ShutDown => "SCTP_SHUTDOWN_COMP",
                    hark_proto::sctp::AssocState::CantStart => "SCTP_CANT_STR_ASSOC",
                    _ => "SCTP_COMM_LOST",
                };
                self.emit(
                    SctpAssocClosed {
                        assoc_id: *assoc_id,
                        state,
                    },
                    Some(*assoc_id),
                );
            }
            AssocEvent::PeerAddress {
                assoc_id,
                addr,
                state,
            } => self.emit(
                SctpPeerAddress {
                    assoc_id: *assoc_id,
                    address: addr.to_string(),
                    state: state
                        .name()
                        .map_or_else(|| format!("{state:?}"), str::to_owned),
                },
                Some(*assoc_id),
            ),
            AssocEvent::SendFailed { assoc_id, failed } => self.emit(
                SctpSendFailed {
                    assoc_id: *assoc_id,
                    length: failed.data.len(),
                    was_sent: failed.was_sent,
                },
                Some(*assoc_id),
            ),
            _ => {}
        }
    }

    /// The handler.
    pub fn handler(&self) -> &H {
        &self.handler
    }

    /// The association tracker the callbacks read.
    pub fn tracker(&self) -> &AssociationTracker {
        &self.tracker
    }

    /// The handler, mutably (between dispatches: callbacks never run re-entrantly).
    pub fn handler_mut(&mut self) -> &mut H {
        &mut self.handler
    }

    /// The next tracker event (the pull view of what the callbacks saw). At most
    /// [`MAX_EVENTS`] wait; beyond that the oldest are dropped and counted.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<AssocEvent> {
        self.events.pop_front()
    }

    /// Tracker events dropped because [`MAX_EVENTS`] were left unpolled.
    pub fn dropped_events(&self) -> u64 {
        self.dropped_events
    }

    /// Commands queued by callbacks and not yet run.
    pub fn take_commands(&mut self) -> Vec<SctpCommand> {
        self.commands.drain(..).collect()
    }

    /// Dispatches one received message: a notification updates the tracker, then goes to
    /// `on_notification` (as a dictionary) and to its own callback; user data goes to `on_data`.
    pub fn handle_received(
        &mut self,
        now: Instant,
        received: &Received,
    ) -> Result<(), SctpDispatchError> {
        let Some(parsed) = received.notification() else {
            let mut ctx = SctpContext {
                tracker: &self.tracker,
                commands: &mut self.commands,
                refused: &mut self.refused,
            };
            self.handler.on_data(&mut ctx, received);
            return Ok(());
        };
        let n = parsed?;
        let dict = n.to_dict(Layout::Linux)?;
        self.tracker.handle_notification(now, &n);
        let kind = n.kind();
        self.emit(
            SctpNotification {
                name: kind.name(),
                sn_type: kind.to_raw(Layout::Linux).unwrap_or_default(),
            },
            None,
        );
        while let Some(event) = self.tracker.poll_event() {
            self.emit_tracker_event(&event);
            if self.events.len() >= MAX_EVENTS {
                self.events.pop_front();
                self.dropped_events += 1;
            }
            self.events.push_back(event);
        }
        let mut ctx = SctpContext {
            tracker: &self.tracker,
            commands: &mut self.commands,
            refused: &mut self.refused,
        };
        let h = &mut self.handler;
        h.on_notification(&mut ctx, &dict);
        match &n {
            Notification::AssocChange(e) => h.on_assoc_change(&mut ctx, e),
            Notification::PeerAddrChange(e) => h.on_peer_addr_change(&mut ctx, e),
            Notification::RemoteError(e) => h.on_remote_error(&mut ctx, e),
            Notification::SendFailed(e) => h.on_send_failed(&mut ctx, e),
            Notification::SendFailedEvent(e) => h.on_send_failed_event(&mut ctx, e),
            Notification::ShutdownEvent(e) => h.on_shutdown_event(&mut ctx, e),
            Notification::AdaptationIndication(e) => h.on_adaptation_indication(&mut ctx, e),
            Notification::PartialDeliveryEvent(e) => h.on_partial_delivery(&mut ctx, e),
            Notification::AuthenticationEvent(e) => h.on_authentication(&mut ctx, e),
            Notification::SenderDryEvent(e) => h.on_sender_dry(&mut ctx, e),
            Notification::StreamResetEvent(e) => h.on_stream_reset(&mut ctx, e),
            Notification::AssocResetEvent(e) => h.on_assoc_reset(&mut ctx, e),
            Notification::StreamChangeEvent(e) => h.on_stream_change(&mut ctx, e),
            // FreeBSD only, and kinds a newer hark-wire adds: the catch-all has seen them.
            _ => {}
        }
        Ok(())
    }

    /// Reads `socket` until `WouldBlock` (reads of `read_size` bytes), dispatching each
    /// message, then runs the queued commands. Returns the number of messages dispatched.
    pub fn drive(
        &mut self,
        now: Instant,
        socket: &mut SctpSocket,
        read_size: usize,
    ) -> Result<usize, SctpDispatchError> {
        let mut count = 0;
        loop {
            match socket.recvv(read_size) {
                Ok(received) if received.is_eof() => break,
                Ok(received) => {
                    self.handle_received(now, &received)?;
                    count += 1;
                }
                Err(err) if err.is_would_block() => break,
                Err(err) => return Err(err.into()),
            }
        }
        while let Some(command) = self.commands.pop_front() {
            match command {
                SctpCommand::Send { data, info } => {
                    socket.sendv(&data, None, &info, None)?;
                }
            }
        }
        Ok(count)
    }
}

impl<H: SctpHandler> SctpDispatcher<H> {
    /// Dispatches one message on a loop; a malformed one goes to `on_error`.
    fn dispatch(&mut self, now: Instant, received: &Received) {
        if let Err(error) = SctpDispatcher::handle_received(self, now, received) {
            tracing::warn!(%error, "SCTP message not dispatched");
            let mut ctx = SctpContext {
                tracker: &self.tracker,
                commands: &mut self.commands,
                refused: &mut self.refused,
            };
            self.handler.on_error(&mut ctx, &error);
        }
    }

    /// Tells the handler `Throttled` or `Unthrottled` when the merged state (the loop's
    /// backpressure, or a refused [`SctpContext::send`]) changed, until it settles.
    fn settle_pressure(&mut self) {
        loop {
            let throttled = self.loop_throttled || self.refused;
            if throttled == self.told_throttled {
                return;
            }
            self.told_throttled = throttled;
            let event = if throttled {
                SctpLoopEvent::Throttled
            } else {
                SctpLoopEvent::Unthrottled
            };
            let mut ctx = SctpContext {
                tracker: &self.tracker,
                commands: &mut self.commands,
                refused: &mut self.refused,
            };
            self.handler.on_loop_event(&mut ctx, &event);
        }
    }
}

/// On hark-reactor's [`Reactor`](hark_reactor::Reactor): every message the reactor reads is
/// dispatched as by [`SctpDispatcher::handle_received`] (a malformed notification goes to
/// [`SctpHandler::on_error`]), loop events go to [`SctpHandler::on_loop_event`], and the
/// messages callbacks queue with [`SctpContext::send`] are what the loop sends. A refused
/// [`SctpContext::send`] throttles like a full kernel buffer does (see
/// [`SctpHandler::on_loop_event`]).
impl<H: SctpHandler> SctpDriver for SctpDispatcher<H> {
    fn handle_received(&mut self, now: Instant, received: &Received) {
        self.dispatch(now, received);
        self.settle_pressure();
    }

    fn handle_loop_event(&mut self, _now: Instant, event: SctpLoopEvent) {
        match event {
            SctpLoopEvent::Throttled => self.loop_throttled = true,
            SctpLoopEvent::Unthrottled => self.loop_throttled = false,
            event => {
                let mut ctx = SctpContext {
                    tracker: &self.tracker,
                    commands: &mut self.commands,
                    refused: &mut self.refused,
                };
                self.handler.on_loop_event(&mut ctx, &event);
            }
        }
        self.settle_pressure();
    }

    fn poll_send(&mut self) -> Option<Outgoing> {
        if self.commands.is_empty() && self.refused {
            // Everything queued before the refusal went to the loop: room again.
            self.refused = false;
            self.settle_pressure();
        }
        match self.commands.pop_front()? {
            SctpCommand::Send { data, info } => Some(Outgoing {
                data,
                to: None,
                info,
            }),
        }
    }
}
