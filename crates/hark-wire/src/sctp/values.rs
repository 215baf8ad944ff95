//! Typed values of the state, indication and flag fields, per layout.
//!
//! Each enum keeps unknown numbers in an `Unknown` variant, so parse never fails on a value
//! a newer kernel adds and `emit(parse(bytes)) == bytes` holds.

use super::layout::Layout;

macro_rules! layout_enum {
    (
        $(#[$meta:meta])*
        $name:ident($raw:ty) {
            $( $(#[$vmeta:meta])* $variant:ident = $cname:literal, linux: $lin:expr, freebsd: $fbsd:expr; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A number the layout's header does not name.
            Unknown($raw),
        }

        impl $name {
            /// The number in `layout`, or `None` if the layout has no such constant.
            pub const fn to_raw(self, layout: Layout) -> Option<$raw> {
                match self {
                    $( $name::$variant => match layout {
                        Layout::Linux => $lin,
                        Layout::FreeBsd => $fbsd,
                    }, )*
                    $name::Unknown(raw) => Some(raw),
                }
            }

            /// The value `raw` stands for in `layout`.
            pub fn from_raw(raw: $raw, layout: Layout) -> Self {
                $( if $name::$variant.to_raw(layout) == Some(raw) {
                    return $name::$variant;
                } )*
                $name::Unknown(raw)
            }

            /// The C name (`"SCTP_COMM_UP"`), or `None` for `Unknown`.
            pub const fn name(self) -> Option<&'static str> {
                match self {
                    $( $name::$variant => Some($cname), )*
                    $name::Unknown(_) => None,
                }
            }
        }
    };
}

layout_enum! {
    /// `sac_state` of `SCTP_ASSOC_CHANGE` (Linux counts from 0, FreeBSD from 1).
    AssocChangeState(u16) {
        /// `SCTP_COMM_UP`: the association is up.
        CommUp = "SCTP_COMM_UP", linux: Some(0), freebsd: Some(1);
        /// `SCTP_COMM_LOST`: the association failed.
        CommLost = "SCTP_COMM_LOST", linux: Some(1), freebsd: Some(2);
        /// `SCTP_RESTART`: the peer restarted.
        Restart = "SCTP_RESTART", linux: Some(2), freebsd: Some(3);
        /// `SCTP_SHUTDOWN_COMP`: graceful shutdown completed.
        ShutdownComp = "SCTP_SHUTDOWN_COMP", linux: Some(3), freebsd: Some(4);
        /// `SCTP_CANT_STR_ASSOC`: the association could not be started.
        CantStrAssoc = "SCTP_CANT_STR_ASSOC", linux: Some(4), freebsd: Some(5);
    }
}

layout_enum! {
    /// `spc_state` of `SCTP_PEER_ADDR_CHANGE`.
    PeerAddrState(u32) {
        /// `SCTP_ADDR_AVAILABLE`.
        Available = "SCTP_ADDR_AVAILABLE", linux: Some(0), freebsd: Some(1);
        /// `SCTP_ADDR_UNREACHABLE`.
        Unreachable = "SCTP_ADDR_UNREACHABLE", linux: Some(1), freebsd: Some(2);
        /// `SCTP_ADDR_REMOVED`.
        Removed = "SCTP_ADDR_REMOVED", linux: Some(2), freebsd: Some(3);
        /// `SCTP_ADDR_ADDED`.
        Added = "SCTP_ADDR_ADDED", linux: Some(3), freebsd: Some(4);
        /// `SCTP_ADDR_MADE_PRIM`.
        MadePrim = "SCTP_ADDR_MADE_PRIM", linux: Some(4), freebsd: Some(5);
        /// `SCTP_ADDR_CONFIRMED`.
        Confirmed = "SCTP_ADDR_CONFIRMED", linux: Some(5), freebsd: Some(6);
        /// `SCTP_ADDR_POTENTIALLY_FAILED` (Linux only).
        PotentiallyFailed = "SCTP_ADDR_POTENTIALLY_FAILED", linux: Some(6), freebsd: None;
    }
}

layout_enum! {
    /// `pdapi_indication` of `SCTP_PARTIAL_DELIVERY_EVENT`.
    PdapiIndication(u32) {
        /// `SCTP_PARTIAL_DELIVERY_ABORTED`.
        PartialDeliveryAborted = "SCTP_PARTIAL_DELIVERY_ABORTED", linux: Some(0), freebsd: Some(1);
    }
}

layout_enum! {
    /// `auth_indication` of `SCTP_AUTHENTICATION_EVENT` (the two layouts order them differently).
    AuthIndication(u32) {
        /// `SCTP_AUTH_NEW_KEY`.
        NewKey = "SCTP_AUTH_NEW_KEY", linux: Some(0), freebsd: Some(1);
        /// `SCTP_AUTH_NO_AUTH`.
        NoAuth = "SCTP_AUTH_NO_AUTH", linux: Some(2), freebsd: Some(2);
        /// `SCTP_AUTH_FREE_KEY`.
        FreeKey = "SCTP_AUTH_FREE_KEY", linux: Some(1), freebsd: Some(3);
    }
}

layout_enum! {
    /// `ssfe_flags` / `ssf_flags` of the send-failed events.
    SendFailedFlags(u16) {
        /// `SCTP_DATA_UNSENT`: the message never went on the wire.
        DataUnsent = "SCTP_DATA_UNSENT", linux: Some(0), freebsd: Some(1);
        /// `SCTP_DATA_SENT`: the message was on the wire when it failed.
        DataSent = "SCTP_DATA_SENT", linux: Some(1), freebsd: Some(2);
    }
}

layout_enum! {
    /// One byte of the `sac_info` feature list on `SCTP_COMM_UP`/`SCTP_RESTART` (FreeBSD and
    /// usrsctp only; Linux defines none of these).
    AssocFeature(u8) {
        /// `SCTP_ASSOC_SUPPORTS_PR`.
        Pr = "SCTP_ASSOC_SUPPORTS_PR", linux: None, freebsd: Some(0x01);
        /// `SCTP_ASSOC_SUPPORTS_AUTH`.
        Auth = "SCTP_ASSOC_SUPPORTS_AUTH", linux: None, freebsd: Some(0x02);
        /// `SCTP_ASSOC_SUPPORTS_ASCONF`.
        Asconf = "SCTP_ASSOC_SUPPORTS_ASCONF", linux: None, freebsd: Some(0x03);
        /// `SCTP_ASSOC_SUPPORTS_MULTIBUF`.
        Multibuf = "SCTP_ASSOC_SUPPORTS_MULTIBUF", linux: None, freebsd: Some(0x04);
        /// `SCTP_ASSOC_SUPPORTS_RE_CONFIG`.
        ReConfig = "SCTP_ASSOC_SUPPORTS_RE_CONFIG", linux: None, freebsd: Some(0x05);
        /// `SCTP_ASSOC_SUPPORTS_INTERLEAVING`.
        Interleaving = "SCTP_ASSOC_SUPPORTS_INTERLEAVING", linux: None, freebsd: Some(0x06);
    }
}
