//! Event subscription: `struct sctp_event` (the `SCTP_EVENT` option, RFC 6458 section 6.2.2)
//! and the older `struct sctp_event_subscribe` (`SCTP_EVENTS`).
//!
//! `emit` writes every byte, padding included, as zero: a subscription struct with stack
//! garbage in its padding or unset members subscribes to random events.

use super::error::{EmitError, ParseError};
use super::kind::NotificationType;
use super::layout::{Abi, Layout};
use super::rw::{Reader, Writer};

mod field {
    pub(super) const SE_ASSOC_ID: usize = 0;
    pub(super) const SE_TYPE: usize = 4;
    pub(super) const SE_ON: usize = 6;
    /// `se_on` is followed by one byte of padding.
    pub(super) const SCTP_EVENT_LEN: usize = 8;
    pub(super) const SUBSCRIBE_LINUX_LEN: usize = 14;
    pub(super) const SUBSCRIBE_FREEBSD_LEN: usize = 11;
}

/// `struct sctp_event`: turn one notification kind on or off for one association.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SctpEvent {
    /// `se_assoc_id` (or `SCTP_FUTURE_ASSOC` 0, `SCTP_CURRENT_ASSOC` 1, `SCTP_ALL_ASSOC` 2).
    pub se_assoc_id: u32,
    /// `se_type`: the layout's `sn_type` number of the kind.
    pub se_type: u16,
    /// `se_on`: nonzero subscribes.
    pub se_on: u8,
}

impl SctpEvent {
    /// A subscription to `kind` in `layout`, or `NotInLayout` if the layout lacks the kind.
    pub fn new(
        assoc_id: u32,
        kind: NotificationType,
        on: bool,
        layout: Layout,
    ) -> Result<Self, EmitError> {
        let se_type = kind.to_raw(layout).ok_or(EmitError::NotInLayout {
            what: kind.name(),
            layout: layout.name(),
        })?;
        Ok(SctpEvent {
            se_assoc_id: assoc_id,
            se_type,
            se_on: u8::from(on),
        })
    }

    /// `sizeof(struct sctp_event)`: 8 in both layouts.
    pub const fn buffer_len(_layout: Layout) -> usize {
        field::SCTP_EVENT_LEN
    }

    /// The kind `se_type` names in `layout`.
    pub fn kind(&self, layout: Layout) -> Option<NotificationType> {
        NotificationType::from_raw(self.se_type, layout)
    }

    /// Reads the struct from the first 8 bytes of `bytes`.
    pub fn parse(bytes: &[u8], abi: impl Into<Abi>) -> Result<Self, ParseError> {
        let abi = abi.into();
        let r = Reader::new(bytes, abi.endian, "sctp_event", field::SCTP_EVENT_LEN)?;
        Ok(SctpEvent {
            se_assoc_id: r.u32(field::SE_ASSOC_ID)?,
            se_type: r.u16(field::SE_TYPE)?,
            se_on: r.u8(field::SE_ON)?,
        })
    }

    /// Writes all 8 bytes (the padding byte zeroed) and returns the length.
    pub fn emit(&self, buf: &mut [u8], abi: impl Into<Abi>) -> Result<usize, EmitError> {
        let abi = abi.into();
        let mut w = Writer::new(buf, field::SCTP_EVENT_LEN, abi.endian)?;
        w.u32(field::SE_ASSOC_ID, self.se_assoc_id)?;
        w.u16(field::SE_TYPE, self.se_type)?;
        w.u8(field::SE_ON, self.se_on)?;
        Ok(field::SCTP_EVENT_LEN)
    }
}

/// `struct sctp_event_subscribe`: one byte per event class.
///
/// Linux has 14 members, FreeBSD (and usrsctp) the first 11; the last three
/// (`sctp_assoc_reset_event`, `sctp_stream_change_event`, `sctp_send_failure_event_event`)
/// must be 0 to emit in the FreeBSD layout and read as 0 from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct EventSubscribe {
    /// `sctp_data_io_event`.
    pub sctp_data_io_event: u8,
    /// `sctp_association_event`.
    pub sctp_association_event: u8,
    /// `sctp_address_event`.
    pub sctp_address_event: u8,
    /// `sctp_send_failure_event`.
    pub sctp_send_failure_event: u8,
    /// `sctp_peer_error_event`.
    pub sctp_peer_error_event: u8,
    /// `sctp_shutdown_event`.
    pub sctp_shutdown_event: u8,
    /// `sctp_partial_delivery_event`.
    pub sctp_partial_delivery_event: u8,
    /// `sctp_adaptation_layer_event`.
    pub sctp_adaptation_layer_event: u8,
    /// `sctp_authentication_event`.
    pub sctp_authentication_event: u8,
    /// `sctp_sender_dry_event`.
    pub sctp_sender_dry_event: u8,
    /// `sctp_stream_reset_event`.
    pub sctp_stream_reset_event: u8,
    /// `sctp_assoc_reset_event` (Linux only).
    pub sctp_assoc_reset_event: u8,
    /// `sctp_stream_change_event` (Linux only).
    pub sctp_stream_change_event: u8,
    /// `sctp_send_failure_event_event` (Linux only).
    pub sctp_send_failure_event_event: u8,
}

impl EventSubscribe {
    /// `sizeof(struct sctp_event_subscribe)`: 14 on Linux, 11 on FreeBSD.
    pub const fn buffer_len(layout: Layout) -> usize {
        match layout {
            Layout::Linux => field::SUBSCRIBE_LINUX_LEN,
            Layout::FreeBsd => field::SUBSCRIBE_FREEBSD_LEN,
        }
    }

    fn as_array(&self) -> [u8; 14] {
        [
            self.sctp_data_io_event,
            self.sctp_association_event,
            self.sctp_address_event,
            self.sctp_send_failure_event,
            self.sctp_peer_error_event,
            self.sctp_shutdown_event,
            self.sctp_partial_delivery_event,
            self.sctp_adaptation_layer_event,
            self.sctp_authentication_event,
            self.sctp_sender_dry_event,
            self.sctp_stream_reset_event,
            self.sctp_assoc_reset_event,
            self.sctp_stream_change_event,
            self.sctp_send_failure_event_event,
        ]
    }

    fn from_array(a: [u8; 14]) -> Self {
        let [d, asn, addr, sf, pe, sh, pd, ad, au, dry, sr, ar, sc, sfe] = a;
        EventSubscribe {
            sctp_data_io_event: d,
            sctp_association_event: asn,
            sctp_address_event: addr,
            sctp_send_failure_event: sf,
            sctp_peer_error_event: pe,
            sctp_shutdown_event: sh,
            sctp_partial_delivery_event: pd,
            sctp_adaptation_layer_event: ad,
            sctp_authentication_event: au,
            sctp_sender_dry_event: dry,
            sctp_stream_reset_event: sr,
            sctp_assoc_reset_event: ar,
            sctp_stream_change_event: sc,
            sctp_send_failure_event_event: sfe,
        }
    }

    /// Reads the struct from the first [`buffer_len`](Self::buffer_len) bytes of `bytes`.
    pub fn parse(bytes: &[u8], abi: impl Into<Abi>) -> Result<Self, ParseError> {
        let abi = abi.into();
        let len = Self::buffer_len(abi.layout);
        let r = Reader::new(bytes, abi.endian, "sctp_event_subscribe", len)?;
        let mut all = [0u8; 14];
        let present = r.bytes(0, len)?;
        for (dst, src) in all.iter_mut().zip(present) {
            *dst = *src;
        }
        Ok(Self::from_array(all))
    }

    /// Writes every byte of the struct and returns its length.
    pub fn emit(&self, buf: &mut [u8], abi: impl Into<Abi>) -> Result<usize, EmitError> {
        let abi = abi.into();
        let len = Self::buffer_len(abi.layout);
        let all = self.as_array();
        let (kept, dropped) = all.split_at(len.min(all.len()));
        if dropped.iter().any(|&b| b != 0) {
            return Err(EmitError::NotInLayout {
                what: "sctp_assoc_reset_event/sctp_stream_change_event/sctp_send_failure_event_event",
                layout: abi.layout.name(),
            });
        }
        let mut w = Writer::new(buf, len, abi.endian)?;
        w.put(0, kept)?;
        Ok(len)
    }
}

#[cfg(test)]
mod c_layout_tests {
    //! The offsets above against `offsetof` in the real headers (tools/sctp-vectors).
    use super::field;
    use crate::sctp::c_layout::{offset, size};
    use crate::sctp::layout::Layout::{FreeBsd, Linux};

    #[test]
    fn offsets_match_the_headers() {
        for l in [Linux, FreeBsd] {
            assert_eq!(field::SE_TYPE, offset(l, "sctp_event.se_type"));
            assert_eq!(field::SE_ON, offset(l, "sctp_event.se_on"));
            assert_eq!(field::SCTP_EVENT_LEN, size(l, "sctp_event"));
        }
        assert_eq!(
            field::SUBSCRIBE_LINUX_LEN,
            size(Linux, "sctp_event_subscribe")
        );
        assert_eq!(
            field::SUBSCRIBE_FREEBSD_LEN,
            size(FreeBsd, "sctp_event_subscribe")
        );
    }
}
