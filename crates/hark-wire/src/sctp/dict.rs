//! A pysctp-compatible dictionary view of a notification.
//!
//! The keys are exactly those `_sctp.sctp_event.parse_notification` returns, so code ported
//! from pysctp reads the same, quirks included: `SCTP_ADAPTATION_INDICATION` reports its
//! association id under `sre_assoc_id` (not `sai_assoc_id`), `SCTP_NOTIFICATIONS_STOPPED_EVENT`
//! has `sn_flags`, `SCTP_REMOTE_ERROR` has no data key, and `sac_info` is present only when
//! the notification carries some. Integers are the raw numbers of the chosen layout, as
//! pysctp returns them; `sre_error` is converted to host order. Kinds the seed does not list
//! (`SCTP_SEND_FAILED`, stream/association reset, stream change) use their C field names.

use super::data_events::SacInfo;
use super::data_events::StreamList;
use super::error::EmitError;
use super::info::{SndInfo, SndRcvInfo};
use super::layout::Layout;
use super::notification::Notification;
use super::sockaddr::SockAddr;

/// One value of the dictionary view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DictValue<'a> {
    /// An integer field.
    Int(i64),
    /// A `bytes` object (`ssfe_data`, `sac_info` holding an ABORT chunk or error causes).
    Bytes(&'a [u8]),
    /// A tuple of `uint8_t` (`sac_info` holding the feature list).
    Tuple(&'a [u8]),
    /// A socket address (`spc_aaddr`).
    Address(SockAddr),
    /// An `sctp_sndinfo` (`ssfe_info`).
    SndInfo(SndInfo),
    /// An `sctp_sndrcvinfo` (`ssf_info`).
    SndRcvInfo(SndRcvInfo),
    /// A list of stream ids (`strreset_stream_list`).
    Streams(StreamList<'a>),
}

impl core::fmt::Display for DictValue<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            DictValue::Int(v) => write!(f, "{v}"),
            DictValue::Bytes(b) => {
                f.write_str("b'")?;
                for byte in *b {
                    match byte {
                        b'\\' => f.write_str("\\\\")?,
                        b'\'' => f.write_str("\\'")?,
                        0x20..=0x7e => write!(f, "{}", char::from(*byte))?,
                        _ => write!(f, "\\x{byte:02x}")?,
                    }
                }
                f.write_str("'")
            }
            DictValue::Tuple(b) => {
                f.write_str("(")?;
                for (i, byte) in b.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{byte}")?;
                }
                if b.len() == 1 {
                    f.write_str(",")?;
                }
                f.write_str(")")
            }
            DictValue::Address(a) => write!(f, "{a}"),
            DictValue::SndInfo(i) => write!(
                f,
                "sctp_sndinfo(snd_sid={}, snd_flags={}, snd_ppid={}, snd_context={}, snd_assoc_id={})",
                i.snd_sid, i.snd_flags, i.snd_ppid, i.snd_context, i.snd_assoc_id
            ),
            DictValue::SndRcvInfo(i) => write!(
                f,
                "sctp_sndrcvinfo(sinfo_stream={}, sinfo_ssn={}, sinfo_flags={}, sinfo_ppid={}, \
                 sinfo_context={}, sinfo_timetolive={}, sinfo_tsn={}, sinfo_cumtsn={}, \
                 sinfo_assoc_id={})",
                i.sinfo_stream,
                i.sinfo_ssn,
                i.sinfo_flags,
                i.sinfo_ppid,
                i.sinfo_context,
                i.sinfo_timetolive,
                i.sinfo_tsn,
                i.sinfo_cumtsn,
                i.sinfo_assoc_id
            ),
            DictValue::Streams(list) => {
                f.write_str("[")?;
                for (i, s) in list.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{s}")?;
                }
                f.write_str("]")
            }
        }
    }
}

/// The ordered `key -> value` view of one notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationDict<'a> {
    entries: Vec<(&'static str, DictValue<'a>)>,
}

impl<'a> NotificationDict<'a> {
    /// The value under `key`.
    pub fn get(&self, key: &str) -> Option<&DictValue<'a>> {
        self.entries.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// The keys, in pysctp's order.
    pub fn keys(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.entries.iter().map(|(k, _)| *k)
    }

    /// The entries, in pysctp's order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &DictValue<'a>)> + '_ {
        self.entries.iter().map(|(k, v)| (*k, v))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True if there are no entries (never, for a parsed notification).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

fn assoc_id(raw: u32, layout: Layout) -> DictValue<'static> {
    match layout {
        // sctp_assoc_t is int32_t on Linux: reinterpret the same 32 bits as signed.
        Layout::Linux => DictValue::Int(i64::from(i32::from_ne_bytes(raw.to_ne_bytes()))),
        Layout::FreeBsd => DictValue::Int(i64::from(raw)),
    }
}

fn int(v: impl Into<i64>) -> DictValue<'static> {
    DictValue::Int(v.into())
}

fn raw<T: Into<i64>>(
    v: Option<T>,
    what: &'static str,
    layout: Layout,
) -> Result<DictValue<'static>, EmitError> {
    v.map(int).ok_or(EmitError::NotInLayout {
        what,
        layout: layout.name(),
    })
}

impl<'a> Notification<'a> {
    /// The pysctp `parse_notification` dictionary for this notification in `layout`.
    ///
    /// The keys are the seed's exactly, including its quirks (see the module docs):
    /// `SCTP_ADAPTATION_INDICATION`'s association id is under `sre_assoc_id`.
    ///
    /// Fails only if the notification holds a value `layout` cannot express (for example a
    /// FreeBSD-only kind viewed as Linux).
    pub fn to_dict(&self, layout: Layout) -> Result<NotificationDict<'a>, EmitError> {
        let kind = self.kind();
        let sn_type = raw(kind.to_raw(layout), kind.name(), layout)?;
        let mut e: Vec<(&'static str, DictValue<'a>)> = Vec::with_capacity(8);
        e.push(("sn_type", sn_type));
        match self {
            Notification::AssocChange(n) => {
                e.push(("sac_flags", int(n.sac_flags)));
                e.push((
                    "sac_state",
                    raw(n.sac_state.to_raw(layout), "sac_state", layout)?,
                ));
                e.push(("sac_error", int(n.sac_error)));
                e.push(("sac_outbound_streams", int(n.sac_outbound_streams)));
                e.push(("sac_inbound_streams", int(n.sac_inbound_streams)));
                e.push(("sac_assoc_id", assoc_id(n.sac_assoc_id, layout)));
                match n.sac_info(layout) {
                    SacInfo::None => {}
                    SacInfo::Features(b) => e.push(("sac_info", DictValue::Tuple(b))),
                    SacInfo::AbortChunk(b) | SacInfo::ErrorCauses(b) | SacInfo::Other(b) => {
                        e.push(("sac_info", DictValue::Bytes(b)))
                    }
                }
            }
            Notification::PeerAddrChange(n) => {
                e.push(("spc_flags", int(n.spc_flags)));
                e.push(("spc_aaddr", DictValue::Address(n.spc_aaddr)));
                e.push((
                    "spc_state",
                    raw(n.spc_state.to_raw(layout), "spc_state", layout)?,
                ));
                e.push(("spc_error", int(n.spc_error)));
                e.push(("spc_assoc_id", assoc_id(n.spc_assoc_id, layout)));
            }
            Notification::RemoteError(n) => {
                e.push(("sre_flags", int(n.sre_flags)));
                e.push(("sre_error", int(n.sre_error)));
                e.push(("sre_assoc_id", assoc_id(n.sre_assoc_id, layout)));
            }
            Notification::SendFailed(n) => {
                e.push((
                    "ssf_flags",
                    raw(n.ssf_flags.to_raw(layout), "ssf_flags", layout)?,
                ));
                e.push(("ssf_error", int(n.ssf_error)));
                e.push(("ssf_info", DictValue::SndRcvInfo(n.ssf_info)));
                e.push(("ssf_assoc_id", assoc_id(n.ssf_assoc_id, layout)));
                e.push(("ssf_data", DictValue::Bytes(n.ssf_data)));
            }
            Notification::ShutdownEvent(n) => {
                e.push(("sse_flags", int(n.sse_flags)));
                e.push(("sse_assoc_id", assoc_id(n.sse_assoc_id, layout)));
            }
            Notification::AdaptationIndication(n) => {
                e.push(("sai_flags", int(n.sai_flags)));
                e.push(("sai_adaptation_ind", int(n.sai_adaptation_ind)));
                // The seed's key, kept as is.
                e.push(("sre_assoc_id", assoc_id(n.sai_assoc_id, layout)));
            }
            Notification::PartialDeliveryEvent(n) => {
                e.push(("pdapi_flags", int(n.pdapi_flags)));
                e.push((
                    "pdapi_indication",
                    raw(
                        n.pdapi_indication.to_raw(layout),
                        "pdapi_indication",
                        layout,
                    )?,
                ));
                e.push(("pdapi_stream", int(n.pdapi_stream)));
                e.push(("pdapi_seq", int(n.pdapi_seq)));
                e.push(("pdapi_assoc_id", assoc_id(n.pdapi_assoc_id, layout)));
            }
            Notification::AuthenticationEvent(n) => {
                e.push(("auth_flags", int(n.auth_flags)));
                e.push(("auth_keynumber", int(n.auth_keynumber)));
                e.push((
                    "auth_indication",
                    raw(n.auth_indication.to_raw(layout), "auth_indication", layout)?,
                ));
                e.push(("auth_assoc_id", assoc_id(n.auth_assoc_id, layout)));
            }
            Notification::SenderDryEvent(n) => {
                e.push(("sender_dry_flags", int(n.sender_dry_flags)));
                e.push((
                    "sender_dry_assoc_id",
                    assoc_id(n.sender_dry_assoc_id, layout),
                ));
            }
            Notification::NotificationsStoppedEvent(n) => {
                e.push(("sn_flags", int(n.sn_flags)));
            }
            Notification::SendFailedEvent(n) => {
                e.push((
                    "ssfe_flags",
                    raw(n.ssfe_flags.to_raw(layout), "ssfe_flags", layout)?,
                ));
                e.push(("ssfe_error", int(n.ssfe_error)));
                e.push(("ssfe_info", DictValue::SndInfo(n.ssfe_info)));
                e.push(("ssfe_assoc_id", assoc_id(n.ssfe_assoc_id, layout)));
                e.push(("ssfe_data", DictValue::Bytes(n.ssfe_data)));
            }
            Notification::StreamResetEvent(n) => {
                e.push(("strreset_flags", int(n.strreset_flags)));
                e.push(("strreset_assoc_id", assoc_id(n.strreset_assoc_id, layout)));
                e.push((
                    "strreset_stream_list",
                    DictValue::Streams(n.strreset_stream_list),
                ));
            }
            Notification::AssocResetEvent(n) => {
                e.push(("assocreset_flags", int(n.assocreset_flags)));
                e.push((
                    "assocreset_assoc_id",
                    assoc_id(n.assocreset_assoc_id, layout),
                ));
                e.push(("assocreset_local_tsn", int(n.assocreset_local_tsn)));
                e.push(("assocreset_remote_tsn", int(n.assocreset_remote_tsn)));
            }
            Notification::StreamChangeEvent(n) => {
                e.push(("strchange_flags", int(n.strchange_flags)));
                e.push(("strchange_assoc_id", assoc_id(n.strchange_assoc_id, layout)));
                e.push(("strchange_instrms", int(n.strchange_instrms)));
                e.push(("strchange_outstrms", int(n.strchange_outstrms)));
            }
        }
        Ok(NotificationDict { entries: e })
    }
}
