//! [`Notification`]: every RFC 6458 notification kind, parsed from and emitted to bytes.

use super::body::Body;
use super::data_events::{AssocChange, RemoteError, SendFailed, SendFailedEvent, StreamResetEvent};
use super::error::{EmitError, ParseError};
use super::fixed_events::{
    AdaptationIndication, AssocResetEvent, AuthenticationEvent, NotificationsStoppedEvent,
    PartialDeliveryEvent, PeerAddrChange, SenderDryEvent, ShutdownEvent, StreamChangeEvent,
};
use super::header::{HEADER_LEN, NotificationHeader};
use super::kind::NotificationType;
use super::layout::{Abi, Layout};
use super::rw::{Reader, Writer};

mod field {
    pub(super) const TYPE: usize = 0;
    pub(super) const FLAGS: usize = 2;
    pub(super) const LENGTH: usize = 4;
}

/// One SCTP notification, as read from a socket with `MSG_NOTIFICATION` set.
///
/// Variable data (`sac_info`, `sre_data`, `ssf_data`, `ssfe_data`, the stream list) is
/// borrowed from the parsed bytes: parsing never allocates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Notification<'a> {
    /// `SCTP_ASSOC_CHANGE`.
    AssocChange(AssocChange<'a>),
    /// `SCTP_PEER_ADDR_CHANGE`.
    PeerAddrChange(PeerAddrChange),
    /// `SCTP_REMOTE_ERROR`.
    RemoteError(RemoteError<'a>),
    /// `SCTP_SEND_FAILED` (older form).
    SendFailed(SendFailed<'a>),
    /// `SCTP_SHUTDOWN_EVENT`.
    ShutdownEvent(ShutdownEvent),
    /// `SCTP_ADAPTATION_INDICATION`.
    AdaptationIndication(AdaptationIndication),
    /// `SCTP_PARTIAL_DELIVERY_EVENT`.
    PartialDeliveryEvent(PartialDeliveryEvent),
    /// `SCTP_AUTHENTICATION_EVENT`.
    AuthenticationEvent(AuthenticationEvent),
    /// `SCTP_SENDER_DRY_EVENT`.
    SenderDryEvent(SenderDryEvent),
    /// `SCTP_NOTIFICATIONS_STOPPED_EVENT` (FreeBSD only).
    NotificationsStoppedEvent(NotificationsStoppedEvent),
    /// `SCTP_SEND_FAILED_EVENT`.
    SendFailedEvent(SendFailedEvent<'a>),
    /// `SCTP_STREAM_RESET_EVENT`.
    StreamResetEvent(StreamResetEvent<'a>),
    /// `SCTP_ASSOC_RESET_EVENT`.
    AssocResetEvent(AssocResetEvent),
    /// `SCTP_STREAM_CHANGE_EVENT`.
    StreamChangeEvent(StreamChangeEvent),
}

fn parse_kind<'a, B: Body<'a>>(
    bytes: &'a [u8],
    abi: Abi,
    wrap: fn(B) -> Notification<'a>,
) -> Result<Notification<'a>, ParseError> {
    let r = Reader::new(bytes, abi.endian, B::WHAT, B::min_len(abi.layout))?;
    B::parse_body(&r, abi.layout).map(wrap)
}

fn emit_kind<'a, B: Body<'a>>(
    body: &B,
    kind: NotificationType,
    buf: &mut [u8],
    abi: Abi,
) -> Result<usize, EmitError> {
    let sn_type = kind.to_raw(abi.layout).ok_or(EmitError::NotInLayout {
        what: kind.name(),
        layout: abi.layout.name(),
    })?;
    let len = body.total_len(abi.layout);
    let sn_length = u32::try_from(len).map_err(|_| EmitError::TooLong { len })?;
    let flags = body.flags(abi.layout)?;
    let mut w = Writer::new(buf, len, abi.endian)?;
    w.u16(field::TYPE, sn_type)?;
    w.u16(field::FLAGS, flags)?;
    w.u32(field::LENGTH, sn_length)?;
    body.emit_body(&mut w, abi.layout)?;
    Ok(len)
}

macro_rules! dispatch {
    ($self:expr, $body:ident => $e:expr) => {
        match $self {
            Notification::AssocChange($body) => $e,
            Notification::PeerAddrChange($body) => $e,
            Notification::RemoteError($body) => $e,
            Notification::SendFailed($body) => $e,
            Notification::ShutdownEvent($body) => $e,
            Notification::AdaptationIndication($body) => $e,
            Notification::PartialDeliveryEvent($body) => $e,
            Notification::AuthenticationEvent($body) => $e,
            Notification::SenderDryEvent($body) => $e,
            Notification::NotificationsStoppedEvent($body) => $e,
            Notification::SendFailedEvent($body) => $e,
            Notification::StreamResetEvent($body) => $e,
            Notification::AssocResetEvent($body) => $e,
            Notification::StreamChangeEvent($body) => $e,
        }
    };
}

impl<'a> Notification<'a> {
    /// Parses one complete notification.
    ///
    /// `bytes` must be exactly the notification: `sn_length` is checked against
    /// `bytes.len()`. A notification read in pieces (no `MSG_EOR` yet) must be joined first
    /// with [`NotificationAssembler`](super::NotificationAssembler).
    pub fn parse(bytes: &'a [u8], abi: impl Into<Abi>) -> Result<Self, ParseError> {
        let abi = abi.into();
        let header = NotificationHeader::new_checked(bytes, abi.endian)?;
        Self::parse_header(&header, abi.layout)
    }

    /// Parses the notification behind an already checked header.
    pub fn parse_header(
        header: &NotificationHeader<&'a [u8]>,
        layout: Layout,
    ) -> Result<Self, ParseError> {
        let bytes: &'a [u8] = header.into_inner();
        let abi = Abi::with_endian(layout, header.endian());
        let kind = header.kind(layout).ok_or(ParseError::UnknownType {
            sn_type: header.sn_type(),
            layout: layout.name(),
        })?;
        match kind {
            NotificationType::AssocChange => parse_kind(bytes, abi, Notification::AssocChange),
            NotificationType::PeerAddrChange => {
                parse_kind(bytes, abi, Notification::PeerAddrChange)
            }
            NotificationType::RemoteError => parse_kind(bytes, abi, Notification::RemoteError),
            NotificationType::SendFailed => parse_kind(bytes, abi, Notification::SendFailed),
            NotificationType::ShutdownEvent => parse_kind(bytes, abi, Notification::ShutdownEvent),
            NotificationType::AdaptationIndication => {
                parse_kind(bytes, abi, Notification::AdaptationIndication)
            }
            NotificationType::PartialDeliveryEvent => {
                parse_kind(bytes, abi, Notification::PartialDeliveryEvent)
            }
            NotificationType::AuthenticationEvent => {
                parse_kind(bytes, abi, Notification::AuthenticationEvent)
            }
            NotificationType::SenderDryEvent => {
                parse_kind(bytes, abi, Notification::SenderDryEvent)
            }
            NotificationType::NotificationsStoppedEvent => {
                parse_kind(bytes, abi, Notification::NotificationsStoppedEvent)
            }
            NotificationType::SendFailedEvent => {
                parse_kind(bytes, abi, Notification::SendFailedEvent)
            }
            NotificationType::StreamResetEvent => {
                parse_kind(bytes, abi, Notification::StreamResetEvent)
            }
            NotificationType::AssocResetEvent => {
                parse_kind(bytes, abi, Notification::AssocResetEvent)
            }
            NotificationType::StreamChangeEvent => {
                parse_kind(bytes, abi, Notification::StreamChangeEvent)
            }
        }
    }

    /// The notification's kind.
    pub fn kind(&self) -> NotificationType {
        match self {
            Notification::AssocChange(_) => NotificationType::AssocChange,
            Notification::PeerAddrChange(_) => NotificationType::PeerAddrChange,
            Notification::RemoteError(_) => NotificationType::RemoteError,
            Notification::SendFailed(_) => NotificationType::SendFailed,
            Notification::ShutdownEvent(_) => NotificationType::ShutdownEvent,
            Notification::AdaptationIndication(_) => NotificationType::AdaptationIndication,
            Notification::PartialDeliveryEvent(_) => NotificationType::PartialDeliveryEvent,
            Notification::AuthenticationEvent(_) => NotificationType::AuthenticationEvent,
            Notification::SenderDryEvent(_) => NotificationType::SenderDryEvent,
            Notification::NotificationsStoppedEvent(_) => {
                NotificationType::NotificationsStoppedEvent
            }
            Notification::SendFailedEvent(_) => NotificationType::SendFailedEvent,
            Notification::StreamResetEvent(_) => NotificationType::StreamResetEvent,
            Notification::AssocResetEvent(_) => NotificationType::AssocResetEvent,
            Notification::StreamChangeEvent(_) => NotificationType::StreamChangeEvent,
        }
    }

    /// The association the notification is about (`sac_assoc_id`, `spc_assoc_id`, ...);
    /// `None` for `SCTP_NOTIFICATIONS_STOPPED_EVENT`, which names none.
    pub fn assoc_id(&self) -> Option<u32> {
        Some(match self {
            Notification::AssocChange(e) => e.sac_assoc_id,
            Notification::PeerAddrChange(e) => e.spc_assoc_id,
            Notification::RemoteError(e) => e.sre_assoc_id,
            Notification::SendFailed(e) => e.ssf_assoc_id,
            Notification::ShutdownEvent(e) => e.sse_assoc_id,
            Notification::AdaptationIndication(e) => e.sai_assoc_id,
            Notification::PartialDeliveryEvent(e) => e.pdapi_assoc_id,
            Notification::AuthenticationEvent(e) => e.auth_assoc_id,
            Notification::SenderDryEvent(e) => e.sender_dry_assoc_id,
            Notification::NotificationsStoppedEvent(_) => return None,
            Notification::SendFailedEvent(e) => e.ssfe_assoc_id,
            Notification::StreamResetEvent(e) => e.strreset_assoc_id,
            Notification::AssocResetEvent(e) => e.assocreset_assoc_id,
            Notification::StreamChangeEvent(e) => e.strchange_assoc_id,
        })
    }

    /// `sn_flags`, as it would be written in `layout` (the send-failed flags differ).
    pub fn sn_flags(&self, layout: Layout) -> Result<u16, EmitError> {
        dispatch!(self, body => body.flags(layout))
    }

    /// The number of bytes [`emit`](Self::emit) writes in `layout` (also `sn_length`).
    pub fn buffer_len(&self, layout: Layout) -> usize {
        dispatch!(self, body => body.total_len(layout))
    }

    /// Writes the notification into `buf` and returns its length. Every byte up to the
    /// length is written, padding and reserved fields as zero; nothing is allocated.
    pub fn emit(&self, buf: &mut [u8], abi: impl Into<Abi>) -> Result<usize, EmitError> {
        let abi = abi.into();
        let kind = self.kind();
        dispatch!(self, body => emit_kind(body, kind, buf, abi))
    }

    /// The fixed size (`sizeof` the C struct, header included) of `kind` in `layout`, or
    /// `None` where the layout lacks the kind.
    pub fn fixed_len(kind: NotificationType, layout: Layout) -> Option<usize> {
        kind.to_raw(layout)?;
        Some(match kind {
            NotificationType::AssocChange => AssocChange::min_len(layout),
            NotificationType::PeerAddrChange => PeerAddrChange::min_len(layout),
            NotificationType::RemoteError => RemoteError::min_len(layout),
            NotificationType::SendFailed => SendFailed::min_len(layout),
            NotificationType::ShutdownEvent => ShutdownEvent::min_len(layout),
            NotificationType::AdaptationIndication => AdaptationIndication::min_len(layout),
            NotificationType::PartialDeliveryEvent => PartialDeliveryEvent::min_len(layout),
            NotificationType::AuthenticationEvent => AuthenticationEvent::min_len(layout),
            NotificationType::SenderDryEvent => SenderDryEvent::min_len(layout),
            NotificationType::NotificationsStoppedEvent => {
                NotificationsStoppedEvent::min_len(layout)
            }
            NotificationType::SendFailedEvent => SendFailedEvent::min_len(layout),
            NotificationType::StreamResetEvent => StreamResetEvent::min_len(layout),
            NotificationType::AssocResetEvent => AssocResetEvent::min_len(layout),
            NotificationType::StreamChangeEvent => StreamChangeEvent::min_len(layout),
        })
    }
}

const _: () = assert!(HEADER_LEN == field::LENGTH + 4);
