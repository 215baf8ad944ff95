//! SCTP notifications and socket structs of the sockets API (RFC 6458), for the Linux and
//! FreeBSD layouts.
//!
//! An SCTP socket reports association events as *notifications*: messages read like data
//! but flagged `MSG_NOTIFICATION`, each a C struct starting with `sn_type`, `sn_flags` and
//! `sn_length`. The structs are host-order C structs, and the two kernel families disagree
//! on almost everything: type numbers (Linux counts from `0x8001`, FreeBSD from 1),
//! state/flag/indication numbers, struct sizes and padding, the shape of `sockaddr`, and the
//! byte order of `sre_error`. [`Layout`] names the family (default: the host's), [`Endian`]
//! the byte order (default: the host's, little-endian on x86_64), and [`Abi`] both.
//!
//! - [`Notification::parse`] turns one complete notification into a typed value, checking
//!   `sn_length` against the bytes; [`Notification::emit`] writes it back, every byte
//!   initialised. Variable data is borrowed: parsing never allocates.
//! - [`Notification::to_dict`] gives pysctp's `parse_notification` dictionary, same keys.
//! - [`NotificationAssembler`] joins a notification read in pieces until `MSG_EOR`, bounded.
//! - [`SctpEvent`], [`EventSubscribe`], [`SndInfo`], [`RcvInfo`], [`NxtInfo`],
//!   [`SndRcvInfo`] and [`InitMsg`] encode the option and ancillary-data structs.
//! - [`Constant`] lists every constant pysctp exports, with its number per layout.
//!
//! The facts come from Debian's `/usr/include/linux/sctp.h`, libusrsctp-dev's `usrsctp.h`,
//! FreeBSD's `sys/netinet/sctp_uio.h`, and notifications recorded from a live usrsctp stack:
//! `tools/sctp-vectors/` dumps the C structs and the live bytes, and the tests compare against
//! its output. Where usrsctp.h and the bytes its library sends disagree
//! (`sctp_pdapi_event`), the FreeBSD layout follows the bytes.
//!
//! Byte order: the structs are read in the [`Abi`]'s byte order (the host's by default), so
//! bytes captured on one machine decode on another by naming its [`Endian`]. Payload
//! protocol identifiers, ports, `sin6_flowinfo` and Linux's `sre_error` are network order in
//! the structs and are converted to plain numbers.
//!
//! ```
//! use hark_wire::sctp::{Layout, Notification, NotificationType, SctpEvent, DictValue};
//!
//! // An SCTP_SENDER_DRY_EVENT for association 3 as Linux delivers it on x86_64.
//! let bytes = [0x09, 0x80, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00];
//! let abi = hark_wire::sctp::Abi::with_endian(Layout::Linux, hark_wire::sctp::Endian::Little);
//! let n = Notification::parse(&bytes, abi).unwrap();
//! assert_eq!(n.kind(), NotificationType::SenderDryEvent);
//!
//! // pysctp's view: {'sn_type': 32777, 'sender_dry_flags': 0, 'sender_dry_assoc_id': 3}
//! let dict = n.to_dict(Layout::Linux).unwrap();
//! assert_eq!(dict.keys().collect::<Vec<_>>(), ["sn_type", "sender_dry_flags", "sender_dry_assoc_id"]);
//! assert_eq!(dict.get("sn_type"), Some(&DictValue::Int(32777)));
//!
//! // Back to bytes, and a subscription to the same event for setsockopt(SCTP_EVENT).
//! let mut out = [0u8; 12];
//! assert_eq!(n.emit(&mut out, abi), Ok(12));
//! assert_eq!(out, bytes);
//! let sub = SctpEvent::new(3, NotificationType::SenderDryEvent, true, Layout::Linux).unwrap();
//! let mut opt = [0xffu8; 8];
//! sub.emit(&mut opt, abi).unwrap();
//! assert_eq!(opt, [3, 0, 0, 0, 0x09, 0x80, 1, 0]);
//! ```

mod assembler;
mod body;
#[cfg(test)]
mod c_layout;
mod constants;
mod data_events;
mod dict;
mod error;
mod fixed_events;
mod header;
mod info;
mod kind;
mod layout;
mod notification;
mod rw;
mod sockaddr;
mod subscribe;
mod values;

pub use assembler::{DEFAULT_MAX_NOTIFICATION, NotificationAssembler};
pub use constants::Constant;
pub use data_events::{
    AssocChange, RemoteError, SacInfo, SendFailed, SendFailedEvent, StreamList, StreamResetEvent,
};
pub use dict::{DictValue, NotificationDict};
pub use error::{AssembleError, EmitError, ParseError};
pub use fixed_events::{
    AdaptationIndication, AssocResetEvent, AuthenticationEvent, NotificationsStoppedEvent,
    PartialDeliveryEvent, PeerAddrChange, SenderDryEvent, ShutdownEvent, StreamChangeEvent,
};
pub use header::{HEADER_LEN, NotificationHeader};
pub use info::{InitMsg, NxtInfo, RcvInfo, SndInfo, SndRcvInfo};
pub use kind::NotificationType;
pub use layout::{Abi, Endian, Layout};
pub use notification::Notification;
pub use sockaddr::{SOCKADDR_STORAGE_LEN, SockAddr};
pub use subscribe::{EventSubscribe, SctpEvent};
pub use values::{
    AssocChangeState, AssocFeature, AuthIndication, PdapiIndication, PeerAddrState, SendFailedFlags,
};
