//! Notification type numbers (`sn_type`), which differ between the layouts.

use super::layout::Layout;

/// The kind of a notification, independent of its layout's type number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotificationType {
    /// `SCTP_ASSOC_CHANGE`.
    AssocChange,
    /// `SCTP_PEER_ADDR_CHANGE`.
    PeerAddrChange,
    /// `SCTP_REMOTE_ERROR`.
    RemoteError,
    /// `SCTP_SEND_FAILED` (the older event carrying a `sctp_sndrcvinfo`).
    SendFailed,
    /// `SCTP_SHUTDOWN_EVENT`.
    ShutdownEvent,
    /// `SCTP_ADAPTATION_INDICATION`.
    AdaptationIndication,
    /// `SCTP_PARTIAL_DELIVERY_EVENT`.
    PartialDeliveryEvent,
    /// `SCTP_AUTHENTICATION_EVENT`.
    AuthenticationEvent,
    /// `SCTP_SENDER_DRY_EVENT`.
    SenderDryEvent,
    /// `SCTP_NOTIFICATIONS_STOPPED_EVENT` (FreeBSD only).
    NotificationsStoppedEvent,
    /// `SCTP_SEND_FAILED_EVENT` (RFC 6458, carrying a `sctp_sndinfo`).
    SendFailedEvent,
    /// `SCTP_STREAM_RESET_EVENT`.
    StreamResetEvent,
    /// `SCTP_ASSOC_RESET_EVENT`.
    AssocResetEvent,
    /// `SCTP_STREAM_CHANGE_EVENT`.
    StreamChangeEvent,
}

impl NotificationType {
    /// Every kind, in the order of RFC 6458 section 6.1.
    pub const ALL: [NotificationType; 14] = [
        NotificationType::AssocChange,
        NotificationType::PeerAddrChange,
        NotificationType::RemoteError,
        NotificationType::SendFailed,
        NotificationType::ShutdownEvent,
        NotificationType::AdaptationIndication,
        NotificationType::PartialDeliveryEvent,
        NotificationType::AuthenticationEvent,
        NotificationType::SenderDryEvent,
        NotificationType::NotificationsStoppedEvent,
        NotificationType::SendFailedEvent,
        NotificationType::StreamResetEvent,
        NotificationType::AssocResetEvent,
        NotificationType::StreamChangeEvent,
    ];

    /// The C name, e.g. `SCTP_ASSOC_CHANGE`.
    pub const fn name(self) -> &'static str {
        match self {
            NotificationType::AssocChange => "SCTP_ASSOC_CHANGE",
            NotificationType::PeerAddrChange => "SCTP_PEER_ADDR_CHANGE",
            NotificationType::RemoteError => "SCTP_REMOTE_ERROR",
            NotificationType::SendFailed => "SCTP_SEND_FAILED",
            NotificationType::ShutdownEvent => "SCTP_SHUTDOWN_EVENT",
            NotificationType::AdaptationIndication => "SCTP_ADAPTATION_INDICATION",
            NotificationType::PartialDeliveryEvent => "SCTP_PARTIAL_DELIVERY_EVENT",
            NotificationType::AuthenticationEvent => "SCTP_AUTHENTICATION_EVENT",
            NotificationType::SenderDryEvent => "SCTP_SENDER_DRY_EVENT",
            NotificationType::NotificationsStoppedEvent => "SCTP_NOTIFICATIONS_STOPPED_EVENT",
            NotificationType::SendFailedEvent => "SCTP_SEND_FAILED_EVENT",
            NotificationType::StreamResetEvent => "SCTP_STREAM_RESET_EVENT",
            NotificationType::AssocResetEvent => "SCTP_ASSOC_RESET_EVENT",
            NotificationType::StreamChangeEvent => "SCTP_STREAM_CHANGE_EVENT",
        }
    }

    /// The `sn_type` number in `layout`, or `None` where the layout lacks the kind
    /// (Linux has no `SCTP_NOTIFICATIONS_STOPPED_EVENT`).
    ///
    /// Linux numbers from `enum sctp_sn_type` (base `1 << 15`); FreeBSD numbers from the
    /// `#define`s of `usrsctp.h` / `sctp_uio.h`.
    pub const fn to_raw(self, layout: Layout) -> Option<u16> {
        match layout {
            Layout::Linux => match self {
                NotificationType::AssocChange => Some(0x8001),
                NotificationType::PeerAddrChange => Some(0x8002),
                NotificationType::SendFailed => Some(0x8003),
                NotificationType::RemoteError => Some(0x8004),
                NotificationType::ShutdownEvent => Some(0x8005),
                NotificationType::PartialDeliveryEvent => Some(0x8006),
                NotificationType::AdaptationIndication => Some(0x8007),
                NotificationType::AuthenticationEvent => Some(0x8008),
                NotificationType::SenderDryEvent => Some(0x8009),
                NotificationType::StreamResetEvent => Some(0x800a),
                NotificationType::AssocResetEvent => Some(0x800b),
                NotificationType::StreamChangeEvent => Some(0x800c),
                NotificationType::SendFailedEvent => Some(0x800d),
                NotificationType::NotificationsStoppedEvent => None,
            },
            Layout::FreeBsd => Some(match self {
                NotificationType::AssocChange => 0x0001,
                NotificationType::PeerAddrChange => 0x0002,
                NotificationType::RemoteError => 0x0003,
                NotificationType::SendFailed => 0x0004,
                NotificationType::ShutdownEvent => 0x0005,
                NotificationType::AdaptationIndication => 0x0006,
                NotificationType::PartialDeliveryEvent => 0x0007,
                NotificationType::AuthenticationEvent => 0x0008,
                NotificationType::StreamResetEvent => 0x0009,
                NotificationType::SenderDryEvent => 0x000a,
                NotificationType::NotificationsStoppedEvent => 0x000b,
                NotificationType::AssocResetEvent => 0x000c,
                NotificationType::StreamChangeEvent => 0x000d,
                NotificationType::SendFailedEvent => 0x000e,
            }),
        }
    }

    /// The kind whose `sn_type` in `layout` is `raw`.
    pub fn from_raw(raw: u16, layout: Layout) -> Option<Self> {
        use NotificationType::*;
        match layout {
            Layout::Linux => match raw {
                0x8001 => Some(AssocChange),
                0x8002 => Some(PeerAddrChange),
                0x8003 => Some(SendFailed),
                0x8004 => Some(RemoteError),
                0x8005 => Some(ShutdownEvent),
                0x8006 => Some(PartialDeliveryEvent),
                0x8007 => Some(AdaptationIndication),
                0x8008 => Some(AuthenticationEvent),
                0x8009 => Some(SenderDryEvent),
                0x800a => Some(StreamResetEvent),
                0x800b => Some(AssocResetEvent),
                0x800c => Some(StreamChangeEvent),
                0x800d => Some(SendFailedEvent),
                _ => None,
            },
            Layout::FreeBsd => match raw {
                0x0001 => Some(AssocChange),
                0x0002 => Some(PeerAddrChange),
                0x0003 => Some(RemoteError),
                0x0004 => Some(SendFailed),
                0x0005 => Some(ShutdownEvent),
                0x0006 => Some(AdaptationIndication),
                0x0007 => Some(PartialDeliveryEvent),
                0x0008 => Some(AuthenticationEvent),
                0x0009 => Some(StreamResetEvent),
                0x000a => Some(SenderDryEvent),
                0x000b => Some(NotificationsStoppedEvent),
                0x000c => Some(AssocResetEvent),
                0x000d => Some(StreamChangeEvent),
                0x000e => Some(SendFailedEvent),
                _ => None,
            },
        }
    }
}

impl core::fmt::Display for NotificationType {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_raw_inverts_to_raw() {
        for layout in [Layout::Linux, Layout::FreeBsd] {
            for kind in NotificationType::ALL {
                if let Some(raw) = kind.to_raw(layout) {
                    assert_eq!(NotificationType::from_raw(raw, layout), Some(kind));
                }
            }
            let known = (0..=u16::MAX)
                .filter(|&raw| NotificationType::from_raw(raw, layout).is_some())
                .count();
            let expected = NotificationType::ALL
                .iter()
                .filter(|k| k.to_raw(layout).is_some())
                .count();
            assert_eq!(known, expected);
        }
    }
}
