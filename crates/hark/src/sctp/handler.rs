//! The callback trait and what a callback may do.

use super::dispatcher::SctpDispatchError;
use hark_proto::sctp::{Association, AssociationTracker};
use hark_reactor::sctp::{Received, SctpLoopEvent};
use hark_wire::sctp::{
    AdaptationIndication, AssocChange, AssocResetEvent, AuthenticationEvent, NotificationDict,
    PartialDeliveryEvent, PeerAddrChange, RemoteError, SendFailed, SendFailedEvent, SenderDryEvent,
    ShutdownEvent, SndInfo, StreamChangeEvent, StreamResetEvent,
};
use std::collections::VecDeque;

/// Something a callback asked for, run by the dispatcher after the callbacks return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SctpCommand {
    /// Send `data` with `info` (stream, ppid, context, flags, assoc id).
    Send {
        /// The message.
        data: Vec<u8>,
        /// Its `sctp_sndinfo`.
        info: SndInfo,
    },
}

/// What a callback sees: the tracked associations, and a queue for commands.
#[derive(Debug)]
pub struct SctpContext<'a> {
    pub(crate) tracker: &'a AssociationTracker,
    pub(crate) commands: &'a mut VecDeque<SctpCommand>,
    pub(crate) refused: &'a mut bool,
}

impl SctpContext<'_> {
    /// The tracked state of `assoc_id`.
    pub fn association(&self, assoc_id: u32) -> Option<&Association> {
        self.tracker.association(assoc_id)
    }

    /// Queues a message; `false` if [`MAX_COMMANDS`](super::MAX_COMMANDS) are already queued.
    ///
    /// On a loop a refusal is not final: the handler hears
    /// [`SctpLoopEvent::Throttled`] once the callback returns (unless it was throttled
    /// already) and [`SctpLoopEvent::Unthrottled`] once the queued messages went to the
    /// loop and the kernel takes more, so pausing until `Unthrottled` is always safe.
    pub fn send(&mut self, data: Vec<u8>, info: SndInfo) -> bool {
        if self.commands.len() >= super::MAX_COMMANDS {
            *self.refused = true;
            return false;
        }
        self.commands.push_back(SctpCommand::Send { data, info });
        true
    }
}

/// Notification callbacks, pysctp's kinds one by one. Every method defaults to a no-op;
/// [`on_notification`](Self::on_notification) runs first for every notification.
#[allow(unused_variables)]
pub trait SctpHandler {
    /// Every notification as pysctp's `parse_notification` dictionary.
    fn on_notification(&mut self, ctx: &mut SctpContext<'_>, dict: &NotificationDict<'_>) {}
    /// A user message (or piece of one, see [`Received::is_eor`]).
    fn on_data(&mut self, ctx: &mut SctpContext<'_>, message: &Received) {}
    /// `SCTP_ASSOC_CHANGE`.
    fn on_assoc_change(&mut self, ctx: &mut SctpContext<'_>, event: &AssocChange<'_>) {}
    /// `SCTP_PEER_ADDR_CHANGE`.
    fn on_peer_addr_change(&mut self, ctx: &mut SctpContext<'_>, event: &PeerAddrChange) {}
    /// `SCTP_REMOTE_ERROR`.
    fn on_remote_error(&mut self, ctx: &mut SctpContext<'_>, event: &RemoteError<'_>) {}
    /// `SCTP_SEND_FAILED` (the older form).
    fn on_send_failed(&mut self, ctx: &mut SctpContext<'_>, event: &SendFailed<'_>) {}
    /// `SCTP_SEND_FAILED_EVENT`: the undelivered data is in `ssfe_data`.
    fn on_send_failed_event(&mut self, ctx: &mut SctpContext<'_>, event: &SendFailedEvent<'_>) {}
    /// `SCTP_SHUTDOWN_EVENT`.
    fn on_shutdown_event(&mut self, ctx: &mut SctpContext<'_>, event: &ShutdownEvent) {}
    /// `SCTP_ADAPTATION_INDICATION`.
    fn on_adaptation_indication(
        &mut self,
        ctx: &mut SctpContext<'_>,
        event: &AdaptationIndication,
    ) {
    }
    /// `SCTP_PARTIAL_DELIVERY_EVENT`.
    fn on_partial_delivery(&mut self, ctx: &mut SctpContext<'_>, event: &PartialDeliveryEvent) {}
    /// `SCTP_AUTHENTICATION_EVENT`.
    fn on_authentication(&mut self, ctx: &mut SctpContext<'_>, event: &AuthenticationEvent) {}
    /// `SCTP_SENDER_DRY_EVENT`.
    fn on_sender_dry(&mut self, ctx: &mut SctpContext<'_>, event: &SenderDryEvent) {}
    /// `SCTP_STREAM_RESET_EVENT`.
    fn on_stream_reset(&mut self, ctx: &mut SctpContext<'_>, event: &StreamResetEvent<'_>) {}
    /// `SCTP_ASSOC_RESET_EVENT`.
    fn on_assoc_reset(&mut self, ctx: &mut SctpContext<'_>, event: &AssocResetEvent) {}
    /// `SCTP_STREAM_CHANGE_EVENT`.
    fn on_stream_change(&mut self, ctx: &mut SctpContext<'_>, event: &StreamChangeEvent) {}
    /// On a loop: backpressure (`Throttled`/`Unthrottled`), a refused or failed send, a
    /// read error, end of stream.
    ///
    /// `Throttled` and `Unthrottled` alternate and merge two causes: the kernel's send
    /// buffer filling (the loop's own queue waits) and [`SctpContext::send`] refusing a
    /// message. `Unthrottled` comes once neither holds any more.
    fn on_loop_event(&mut self, ctx: &mut SctpContext<'_>, event: &SctpLoopEvent) {}
    /// On a loop: a message that could not be dispatched (a malformed notification).
    fn on_error(&mut self, ctx: &mut SctpContext<'_>, error: &SctpDispatchError) {}
}
