//! Every named constant the pysctp seed exports, with its number in each layout.

use super::kind::NotificationType;
use super::layout::Layout;
use super::values::{
    AssocChangeState, AssocFeature, AuthIndication, PdapiIndication, PeerAddrState, SendFailedFlags,
};

macro_rules! constants {
    ($( $(#[$m:meta])* $variant:ident => $cname:literal, $value:expr; )*) => {
        /// A named constant of pysctp's `_sctp.sctp_event` module (`SCTP_COMM_UP`,
        /// `SCTP_ADDR_MADE_PRIM`, `MSG_NOTIFICATION`, ...).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Constant {
            $( $(#[$m])* $variant, )*
        }

        impl Constant {
            /// Every constant, in the seed's order.
            pub const ALL: &'static [Constant] = &[$(Constant::$variant,)*];

            /// The C / Python name.
            pub const fn name(self) -> &'static str {
                match self {
                    $( Constant::$variant => $cname, )*
                }
            }

            /// The number in `layout`, or `None` where the layout's header does not define it
            /// (`SCTP_ASSOC_SUPPORTS_*` and `SCTP_NOTIFICATIONS_STOPPED_EVENT` on Linux).
            pub fn value(self, layout: Layout) -> Option<i64> {
                let value: fn(Layout) -> Option<i64> = match self {
                    $( Constant::$variant => $value, )*
                };
                value(layout)
            }

            /// The constant called `name`, if the seed exports one.
            pub fn from_name(name: &str) -> Option<Self> {
                Constant::ALL.iter().copied().find(|c| c.name() == name)
            }
        }
    };
}

fn kind(kind: NotificationType, layout: Layout) -> Option<i64> {
    kind.to_raw(layout).map(i64::from)
}

constants! {
    /// `MSG_NOTIFICATION`, the `msg_flags` bit of a notification.
    MsgNotification => "MSG_NOTIFICATION", |l| Some(i64::from(l.msg_notification()));
    /// `SCTP_EVENT`, the socket option taking a `struct sctp_event` (127 Linux, 30 FreeBSD).
    SctpEvent => "SCTP_EVENT", |l| Some(match l { Layout::Linux => 127, Layout::FreeBsd => 0x1e });
    /// `SCTP_ASSOC_CHANGE`.
    SctpAssocChange => "SCTP_ASSOC_CHANGE", |l| kind(NotificationType::AssocChange, l);
    /// `SCTP_COMM_UP`.
    SctpCommUp => "SCTP_COMM_UP", |l| AssocChangeState::CommUp.to_raw(l).map(i64::from);
    /// `SCTP_COMM_LOST`.
    SctpCommLost => "SCTP_COMM_LOST", |l| AssocChangeState::CommLost.to_raw(l).map(i64::from);
    /// `SCTP_RESTART`.
    SctpRestart => "SCTP_RESTART", |l| AssocChangeState::Restart.to_raw(l).map(i64::from);
    /// `SCTP_SHUTDOWN_COMP`.
    SctpShutdownComp => "SCTP_SHUTDOWN_COMP", |l| AssocChangeState::ShutdownComp.to_raw(l).map(i64::from);
    /// `SCTP_CANT_STR_ASSOC`.
    SctpCantStrAssoc => "SCTP_CANT_STR_ASSOC", |l| AssocChangeState::CantStrAssoc.to_raw(l).map(i64::from);
    /// `SCTP_ASSOC_SUPPORTS_PR` (FreeBSD only).
    SctpAssocSupportsPr => "SCTP_ASSOC_SUPPORTS_PR", |l| AssocFeature::Pr.to_raw(l).map(i64::from);
    /// `SCTP_ASSOC_SUPPORTS_AUTH` (FreeBSD only).
    SctpAssocSupportsAuth => "SCTP_ASSOC_SUPPORTS_AUTH", |l| AssocFeature::Auth.to_raw(l).map(i64::from);
    /// `SCTP_ASSOC_SUPPORTS_ASCONF` (FreeBSD only).
    SctpAssocSupportsAsconf => "SCTP_ASSOC_SUPPORTS_ASCONF", |l| AssocFeature::Asconf.to_raw(l).map(i64::from);
    /// `SCTP_ASSOC_SUPPORTS_MULTIBUF` (FreeBSD only).
    SctpAssocSupportsMultibuf => "SCTP_ASSOC_SUPPORTS_MULTIBUF", |l| AssocFeature::Multibuf.to_raw(l).map(i64::from);
    /// `SCTP_PEER_ADDR_CHANGE`.
    SctpPeerAddrChange => "SCTP_PEER_ADDR_CHANGE", |l| kind(NotificationType::PeerAddrChange, l);
    /// `SCTP_ADDR_AVAILABLE`.
    SctpAddrAvailable => "SCTP_ADDR_AVAILABLE", |l| PeerAddrState::Available.to_raw(l).map(i64::from);
    /// `SCTP_ADDR_UNREACHABLE`.
    SctpAddrUnreachable => "SCTP_ADDR_UNREACHABLE", |l| PeerAddrState::Unreachable.to_raw(l).map(i64::from);
    /// `SCTP_ADDR_REMOVED`.
    SctpAddrRemoved => "SCTP_ADDR_REMOVED", |l| PeerAddrState::Removed.to_raw(l).map(i64::from);
    /// `SCTP_ADDR_ADDED`.
    SctpAddrAdded => "SCTP_ADDR_ADDED", |l| PeerAddrState::Added.to_raw(l).map(i64::from);
    /// `SCTP_ADDR_MADE_PRIM`.
    SctpAddrMadePrim => "SCTP_ADDR_MADE_PRIM", |l| PeerAddrState::MadePrim.to_raw(l).map(i64::from);
    /// `SCTP_REMOTE_ERROR`.
    SctpRemoteError => "SCTP_REMOTE_ERROR", |l| kind(NotificationType::RemoteError, l);
    /// `SCTP_SHUTDOWN_EVENT`.
    SctpShutdownEvent => "SCTP_SHUTDOWN_EVENT", |l| kind(NotificationType::ShutdownEvent, l);
    /// `SCTP_ADAPTATION_INDICATION`.
    SctpAdaptationIndication => "SCTP_ADAPTATION_INDICATION", |l| kind(NotificationType::AdaptationIndication, l);
    /// `SCTP_PARTIAL_DELIVERY_EVENT`.
    SctpPartialDeliveryEvent => "SCTP_PARTIAL_DELIVERY_EVENT", |l| kind(NotificationType::PartialDeliveryEvent, l);
    /// `SCTP_PARTIAL_DELIVERY_ABORTED`.
    SctpPartialDeliveryAborted => "SCTP_PARTIAL_DELIVERY_ABORTED", |l| PdapiIndication::PartialDeliveryAborted.to_raw(l).map(i64::from);
    /// `SCTP_AUTHENTICATION_EVENT`.
    SctpAuthenticationEvent => "SCTP_AUTHENTICATION_EVENT", |l| kind(NotificationType::AuthenticationEvent, l);
    /// `SCTP_AUTH_NEW_KEY`.
    SctpAuthNewKey => "SCTP_AUTH_NEW_KEY", |l| AuthIndication::NewKey.to_raw(l).map(i64::from);
    /// `SCTP_AUTH_NO_AUTH`.
    SctpAuthNoAuth => "SCTP_AUTH_NO_AUTH", |l| AuthIndication::NoAuth.to_raw(l).map(i64::from);
    /// `SCTP_AUTH_FREE_KEY`.
    SctpAuthFreeKey => "SCTP_AUTH_FREE_KEY", |l| AuthIndication::FreeKey.to_raw(l).map(i64::from);
    /// `SCTP_SENDER_DRY_EVENT`.
    SctpSenderDryEvent => "SCTP_SENDER_DRY_EVENT", |l| kind(NotificationType::SenderDryEvent, l);
    /// `SCTP_NOTIFICATIONS_STOPPED_EVENT` (FreeBSD only).
    SctpNotificationsStoppedEvent => "SCTP_NOTIFICATIONS_STOPPED_EVENT", |l| kind(NotificationType::NotificationsStoppedEvent, l);
    /// `SCTP_SEND_FAILED_EVENT`.
    SctpSendFailedEvent => "SCTP_SEND_FAILED_EVENT", |l| kind(NotificationType::SendFailedEvent, l);
    /// `SCTP_DATA_UNSENT`.
    SctpDataUnsent => "SCTP_DATA_UNSENT", |l| SendFailedFlags::DataUnsent.to_raw(l).map(i64::from);
    /// `SCTP_DATA_SENT`.
    SctpDataSent => "SCTP_DATA_SENT", |l| SendFailedFlags::DataSent.to_raw(l).map(i64::from);
}
