//! Notifications with a fixed size: peer address change, shutdown, adaptation indication,
//! partial delivery, authentication, sender dry, notifications stopped, association reset
//! and stream change.

use super::body::{Body, field::FLAGS};
use super::error::{EmitError, ParseError};
use super::layout::{Abi, Layout};
use super::rw::{Reader, Writer};
use super::sockaddr::{SOCKADDR_STORAGE_LEN, SockAddr};
use super::values::{AuthIndication, PdapiIndication, PeerAddrState};

mod field {
    pub(super) mod spc {
        pub(in super::super) const AADDR: usize = 8;
        pub(in super::super) const STATE: usize = 136;
        pub(in super::super) const ERROR: usize = 140;
        pub(in super::super) const ASSOC_ID: usize = 144;
        /// `__attribute__((packed, aligned(4)))` on Linux.
        pub(in super::super) const LINUX_LEN: usize = 148;
        /// FreeBSD appends `spc_padding[4]`.
        pub(in super::super) const FREEBSD_LEN: usize = 152;
    }
    pub(super) mod sse {
        pub(in super::super) const ASSOC_ID: usize = 8;
        pub(in super::super) const LEN: usize = 12;
    }
    pub(super) mod sai {
        pub(in super::super) const ADAPTATION_IND: usize = 8;
        pub(in super::super) const ASSOC_ID: usize = 12;
        pub(in super::super) const LEN: usize = 16;
    }
    pub(super) mod pdapi {
        pub(in super::super) const INDICATION: usize = 8;
        /// Linux: `uint32_t` stream and seq after the association id, 24 bytes.
        pub(in super::super) const LINUX_ASSOC_ID: usize = 12;
        pub(in super::super) const LINUX_STREAM: usize = 16;
        pub(in super::super) const LINUX_SEQ: usize = 20;
        pub(in super::super) const LINUX_LEN: usize = 24;
        /// FreeBSD: `uint16_t` stream and seq before the association id, 20 bytes.
        pub(in super::super) const FREEBSD_STREAM: usize = 12;
        pub(in super::super) const FREEBSD_SEQ: usize = 14;
        pub(in super::super) const FREEBSD_ASSOC_ID: usize = 16;
        pub(in super::super) const FREEBSD_LEN: usize = 20;
    }
    pub(super) mod auth {
        pub(in super::super) const KEYNUMBER: usize = 8;
        pub(in super::super) const ALTKEYNUMBER: usize = 10;
        pub(in super::super) const INDICATION: usize = 12;
        pub(in super::super) const ASSOC_ID: usize = 16;
        pub(in super::super) const LEN: usize = 20;
    }
    pub(super) mod dry {
        pub(in super::super) const ASSOC_ID: usize = 8;
        pub(in super::super) const LEN: usize = 12;
    }
    pub(super) mod stopped {
        pub(in super::super) const LEN: usize = 8;
    }
    pub(super) mod assocreset {
        pub(in super::super) const ASSOC_ID: usize = 8;
        pub(in super::super) const LOCAL_TSN: usize = 12;
        pub(in super::super) const REMOTE_TSN: usize = 16;
        pub(in super::super) const LEN: usize = 20;
    }
    pub(super) mod strchange {
        pub(in super::super) const ASSOC_ID: usize = 8;
        pub(in super::super) const INSTRMS: usize = 12;
        pub(in super::super) const OUTSTRMS: usize = 14;
        pub(in super::super) const LEN: usize = 16;
    }
}

fn not_in_layout(what: &'static str, layout: Layout) -> EmitError {
    EmitError::NotInLayout {
        what,
        layout: layout.name(),
    }
}

/// `SCTP_PEER_ADDR_CHANGE` (RFC 6458 section 6.1.2): a peer address changed state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PeerAddrChange {
    /// `spc_flags`.
    pub spc_flags: u16,
    /// `spc_aaddr`: the peer address concerned.
    pub spc_aaddr: SockAddr,
    /// `spc_state`.
    pub spc_state: PeerAddrState,
    /// `spc_error`: an `SCTP_FAILED_THRESHOLD`-style detail code (raw).
    pub spc_error: u32,
    /// `spc_assoc_id`.
    pub spc_assoc_id: u32,
}

impl<'a> Body<'a> for PeerAddrChange {
    const WHAT: &'static str = "sctp_paddr_change";

    fn min_len(layout: Layout) -> usize {
        match layout {
            Layout::Linux => field::spc::LINUX_LEN,
            Layout::FreeBsd => field::spc::FREEBSD_LEN,
        }
    }

    fn parse_body(r: &Reader<'a>, layout: Layout) -> Result<Self, ParseError> {
        use field::spc::*;
        let storage = r.bytes(AADDR, SOCKADDR_STORAGE_LEN)?;
        Ok(PeerAddrChange {
            spc_flags: r.u16(FLAGS)?,
            spc_aaddr: SockAddr::parse(storage, Abi::with_endian(layout, r.endian()))?,
            spc_state: PeerAddrState::from_raw(r.u32(STATE)?, layout),
            spc_error: r.u32(ERROR)?,
            spc_assoc_id: r.u32(ASSOC_ID)?,
        })
    }

    fn flags(&self, _layout: Layout) -> Result<u16, EmitError> {
        Ok(self.spc_flags)
    }

    fn emit_body(&self, w: &mut Writer<'_>, layout: Layout) -> Result<(), EmitError> {
        use field::spc::*;
        let state = self
            .spc_state
            .to_raw(layout)
            .ok_or(not_in_layout("this spc_state", layout))?;
        let endian = w.endian();
        self.spc_aaddr.emit(
            w.sub(AADDR, SOCKADDR_STORAGE_LEN)?,
            Abi::with_endian(layout, endian),
        )?;
        w.u32(STATE, state)?;
        w.u32(ERROR, self.spc_error)?;
        w.u32(ASSOC_ID, self.spc_assoc_id)
    }
}

/// `SCTP_SHUTDOWN_EVENT` (RFC 6458 section 6.1.5): the peer sent a SHUTDOWN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ShutdownEvent {
    /// `sse_flags`.
    pub sse_flags: u16,
    /// `sse_assoc_id`.
    pub sse_assoc_id: u32,
}

impl<'a> Body<'a> for ShutdownEvent {
    const WHAT: &'static str = "sctp_shutdown_event";

    fn min_len(_layout: Layout) -> usize {
        field::sse::LEN
    }

    fn parse_body(r: &Reader<'a>, _layout: Layout) -> Result<Self, ParseError> {
        Ok(ShutdownEvent {
            sse_flags: r.u16(FLAGS)?,
            sse_assoc_id: r.u32(field::sse::ASSOC_ID)?,
        })
    }

    fn flags(&self, _layout: Layout) -> Result<u16, EmitError> {
        Ok(self.sse_flags)
    }

    fn emit_body(&self, w: &mut Writer<'_>, _layout: Layout) -> Result<(), EmitError> {
        w.u32(field::sse::ASSOC_ID, self.sse_assoc_id)
    }
}

/// `SCTP_ADAPTATION_INDICATION` (RFC 6458 section 6.1.6): the peer's adaptation layer indication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AdaptationIndication {
    /// `sai_flags`.
    pub sai_flags: u16,
    /// `sai_adaptation_ind`.
    pub sai_adaptation_ind: u32,
    /// `sai_assoc_id` (the seed's dictionary calls it `sre_assoc_id`).
    pub sai_assoc_id: u32,
}

impl<'a> Body<'a> for AdaptationIndication {
    const WHAT: &'static str = "sctp_adaptation_event";

    fn min_len(_layout: Layout) -> usize {
        field::sai::LEN
    }

    fn parse_body(r: &Reader<'a>, _layout: Layout) -> Result<Self, ParseError> {
        Ok(AdaptationIndication {
            sai_flags: r.u16(FLAGS)?,
            sai_adaptation_ind: r.u32(field::sai::ADAPTATION_IND)?,
            sai_assoc_id: r.u32(field::sai::ASSOC_ID)?,
        })
    }

    fn flags(&self, _layout: Layout) -> Result<u16, EmitError> {
        Ok(self.sai_flags)
    }

    fn emit_body(&self, w: &mut Writer<'_>, _layout: Layout) -> Result<(), EmitError> {
        w.u32(field::sai::ADAPTATION_IND, self.sai_adaptation_ind)?;
        w.u32(field::sai::ASSOC_ID, self.sai_assoc_id)
    }
}

/// `SCTP_PARTIAL_DELIVERY_EVENT` (RFC 6458 section 6.1.7).
///
/// Linux: `uint32_t` indication, association id, `uint32_t` stream and seq (24 bytes).
/// FreeBSD and the usrsctp library: `uint32_t` indication, `uint16_t` stream and seq, then
/// the association id (20 bytes) — recorded from a live usrsctp notification; usrsctp.h's
/// public declaration (24 bytes with `uint32_t` stream/seq) does not match what it sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PartialDeliveryEvent {
    /// `pdapi_flags`.
    pub pdapi_flags: u16,
    /// `pdapi_indication`.
    pub pdapi_indication: PdapiIndication,
    /// `pdapi_stream` (at most 65535 to emit in the FreeBSD layout).
    pub pdapi_stream: u32,
    /// `pdapi_seq` (at most 65535 to emit in the FreeBSD layout).
    pub pdapi_seq: u32,
    /// `pdapi_assoc_id`.
    pub pdapi_assoc_id: u32,
}

impl<'a> Body<'a> for PartialDeliveryEvent {
    const WHAT: &'static str = "sctp_pdapi_event";

    fn min_len(layout: Layout) -> usize {
        match layout {
            Layout::Linux => field::pdapi::LINUX_LEN,
            Layout::FreeBsd => field::pdapi::FREEBSD_LEN,
        }
    }

    fn parse_body(r: &Reader<'a>, layout: Layout) -> Result<Self, ParseError> {
        use field::pdapi::*;
        let (stream, seq, assoc) = match layout {
            Layout::Linux => (
                r.u32(LINUX_STREAM)?,
                r.u32(LINUX_SEQ)?,
                r.u32(LINUX_ASSOC_ID)?,
            ),
            Layout::FreeBsd => (
                u32::from(r.u16(FREEBSD_STREAM)?),
                u32::from(r.u16(FREEBSD_SEQ)?),
                r.u32(FREEBSD_ASSOC_ID)?,
            ),
        };
        Ok(PartialDeliveryEvent {
            pdapi_flags: r.u16(FLAGS)?,
            pdapi_indication: PdapiIndication::from_raw(r.u32(INDICATION)?, layout),
            pdapi_stream: stream,
            pdapi_seq: seq,
            pdapi_assoc_id: assoc,
        })
    }

    fn flags(&self, _layout: Layout) -> Result<u16, EmitError> {
        Ok(self.pdapi_flags)
    }

    fn emit_body(&self, w: &mut Writer<'_>, layout: Layout) -> Result<(), EmitError> {
        use field::pdapi::*;
        let indication = self
            .pdapi_indication
            .to_raw(layout)
            .ok_or(not_in_layout("this pdapi_indication", layout))?;
        w.u32(INDICATION, indication)?;
        match layout {
            Layout::Linux => {
                w.u32(LINUX_ASSOC_ID, self.pdapi_assoc_id)?;
                w.u32(LINUX_STREAM, self.pdapi_stream)?;
                w.u32(LINUX_SEQ, self.pdapi_seq)
            }
            Layout::FreeBsd => {
                let narrow =
                    |v: u32, what| u16::try_from(v).map_err(|_| not_in_layout(what, layout));
                w.u16(
                    FREEBSD_STREAM,
                    narrow(self.pdapi_stream, "pdapi_stream above 65535")?,
                )?;
                w.u16(
                    FREEBSD_SEQ,
                    narrow(self.pdapi_seq, "pdapi_seq above 65535")?,
                )?;
                w.u32(FREEBSD_ASSOC_ID, self.pdapi_assoc_id)
            }
        }
    }
}

/// `SCTP_AUTHENTICATION_EVENT` (RFC 6458 section 6.1.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AuthenticationEvent {
    /// `auth_flags`.
    pub auth_flags: u16,
    /// `auth_keynumber`.
    pub auth_keynumber: u16,
    /// `auth_altkeynumber` (in Linux's and FreeBSD's headers; usrsctp.h leaves it unnamed
    /// but the library writes FreeBSD's struct).
    pub auth_altkeynumber: u16,
    /// `auth_indication`.
    pub auth_indication: AuthIndication,
    /// `auth_assoc_id`.
    pub auth_assoc_id: u32,
}

impl<'a> Body<'a> for AuthenticationEvent {
    const WHAT: &'static str = "sctp_authkey_event";

    fn min_len(_layout: Layout) -> usize {
        field::auth::LEN
    }

    fn parse_body(r: &Reader<'a>, layout: Layout) -> Result<Self, ParseError> {
        use field::auth::*;
        Ok(AuthenticationEvent {
            auth_flags: r.u16(FLAGS)?,
            auth_keynumber: r.u16(KEYNUMBER)?,
            auth_altkeynumber: r.u16(ALTKEYNUMBER)?,
            auth_indication: AuthIndication::from_raw(r.u32(INDICATION)?, layout),
            auth_assoc_id: r.u32(ASSOC_ID)?,
        })
    }

    fn flags(&self, _layout: Layout) -> Result<u16, EmitError> {
        Ok(self.auth_flags)
    }

    fn emit_body(&self, w: &mut Writer<'_>, layout: Layout) -> Result<(), EmitError> {
        use field::auth::*;
        let indication = self
            .auth_indication
            .to_raw(layout)
            .ok_or(not_in_layout("this auth_indication", layout))?;
        w.u16(KEYNUMBER, self.auth_keynumber)?;
        w.u16(ALTKEYNUMBER, self.auth_altkeynumber)?;
        w.u32(INDICATION, indication)?;
        w.u32(ASSOC_ID, self.auth_assoc_id)
    }
}

/// `SCTP_SENDER_DRY_EVENT` (RFC 6458 section 6.1.9): nothing left to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SenderDryEvent {
    /// `sender_dry_flags`.
    pub sender_dry_flags: u16,
    /// `sender_dry_assoc_id`.
    pub sender_dry_assoc_id: u32,
}

impl<'a> Body<'a> for SenderDryEvent {
    const WHAT: &'static str = "sctp_sender_dry_event";

    fn min_len(_layout: Layout) -> usize {
        field::dry::LEN
    }

    fn parse_body(r: &Reader<'a>, _layout: Layout) -> Result<Self, ParseError> {
        Ok(SenderDryEvent {
            sender_dry_flags: r.u16(FLAGS)?,
            sender_dry_assoc_id: r.u32(field::dry::ASSOC_ID)?,
        })
    }

    fn flags(&self, _layout: Layout) -> Result<u16, EmitError> {
        Ok(self.sender_dry_flags)
    }

    fn emit_body(&self, w: &mut Writer<'_>, _layout: Layout) -> Result<(), EmitError> {
        w.u32(field::dry::ASSOC_ID, self.sender_dry_assoc_id)
    }
}

/// `SCTP_NOTIFICATIONS_STOPPED_EVENT` (RFC 6458 section 6.1.10, FreeBSD only): a bare header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NotificationsStoppedEvent {
    /// `sn_flags`.
    pub sn_flags: u16,
}

impl<'a> Body<'a> for NotificationsStoppedEvent {
    const WHAT: &'static str = "sctp_tlv";

    fn min_len(_layout: Layout) -> usize {
        field::stopped::LEN
    }

    fn parse_body(r: &Reader<'a>, _layout: Layout) -> Result<Self, ParseError> {
        Ok(NotificationsStoppedEvent {
            sn_flags: r.u16(FLAGS)?,
        })
    }

    fn flags(&self, _layout: Layout) -> Result<u16, EmitError> {
        Ok(self.sn_flags)
    }

    fn emit_body(&self, _w: &mut Writer<'_>, _layout: Layout) -> Result<(), EmitError> {
        Ok(())
    }
}

/// `SCTP_ASSOC_RESET_EVENT` (RFC 6525 section 6.1.2): the association's TSNs were reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AssocResetEvent {
    /// `assocreset_flags` (`SCTP_ASSOC_RESET_DENIED` 4, `SCTP_ASSOC_RESET_FAILED` 8).
    pub assocreset_flags: u16,
    /// `assocreset_assoc_id`.
    pub assocreset_assoc_id: u32,
    /// `assocreset_local_tsn`.
    pub assocreset_local_tsn: u32,
    /// `assocreset_remote_tsn`.
    pub assocreset_remote_tsn: u32,
}

impl<'a> Body<'a> for AssocResetEvent {
    const WHAT: &'static str = "sctp_assoc_reset_event";

    fn min_len(_layout: Layout) -> usize {
        field::assocreset::LEN
    }

    fn parse_body(r: &Reader<'a>, _layout: Layout) -> Result<Self, ParseError> {
        use field::assocreset::*;
        Ok(AssocResetEvent {
            assocreset_flags: r.u16(FLAGS)?,
            assocreset_assoc_id: r.u32(ASSOC_ID)?,
            assocreset_local_tsn: r.u32(LOCAL_TSN)?,
            assocreset_remote_tsn: r.u32(REMOTE_TSN)?,
        })
    }

    fn flags(&self, _layout: Layout) -> Result<u16, EmitError> {
        Ok(self.assocreset_flags)
    }

    fn emit_body(&self, w: &mut Writer<'_>, _layout: Layout) -> Result<(), EmitError> {
        use field::assocreset::*;
        w.u32(ASSOC_ID, self.assocreset_assoc_id)?;
        w.u32(LOCAL_TSN, self.assocreset_local_tsn)?;
        w.u32(REMOTE_TSN, self.assocreset_remote_tsn)
    }
}

/// `SCTP_STREAM_CHANGE_EVENT` (RFC 6525 section 6.1.3): stream counts changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StreamChangeEvent {
    /// `strchange_flags` (`SCTP_STREAM_CHANGE_DENIED` 4, `SCTP_STREAM_CHANGE_FAILED` 8).
    pub strchange_flags: u16,
    /// `strchange_assoc_id`.
    pub strchange_assoc_id: u32,
    /// `strchange_instrms`.
    pub strchange_instrms: u16,
    /// `strchange_outstrms`.
    pub strchange_outstrms: u16,
}

impl<'a> Body<'a> for StreamChangeEvent {
    const WHAT: &'static str = "sctp_stream_change_event";

    fn min_len(_layout: Layout) -> usize {
        field::strchange::LEN
    }

    fn parse_body(r: &Reader<'a>, _layout: Layout) -> Result<Self, ParseError> {
        use field::strchange::*;
        Ok(StreamChangeEvent {
            strchange_flags: r.u16(FLAGS)?,
            strchange_assoc_id: r.u32(ASSOC_ID)?,
            strchange_instrms: r.u16(INSTRMS)?,
            strchange_outstrms: r.u16(OUTSTRMS)?,
        })
    }

    fn flags(&self, _layout: Layout) -> Result<u16, EmitError> {
        Ok(self.strchange_flags)
    }

    fn emit_body(&self, w: &mut Writer<'_>, _layout: Layout) -> Result<(), EmitError> {
        use field::strchange::*;
        w.u32(ASSOC_ID, self.strchange_assoc_id)?;
        w.u16(INSTRMS, self.strchange_instrms)?;
        w.u16(OUTSTRMS, self.strchange_outstrms)
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
            assert_eq!(field::spc::AADDR, offset(l, "sctp_paddr_change.spc_aaddr"));
            assert_eq!(field::spc::STATE, offset(l, "sctp_paddr_change.spc_state"));
            assert_eq!(field::spc::ERROR, offset(l, "sctp_paddr_change.spc_error"));
            assert_eq!(
                field::spc::ASSOC_ID,
                offset(l, "sctp_paddr_change.spc_assoc_id")
            );
            assert_eq!(
                field::sai::ADAPTATION_IND,
                offset(l, "sctp_adaptation_event.sai_adaptation_ind")
            );
            assert_eq!(
                field::sai::ASSOC_ID,
                offset(l, "sctp_adaptation_event.sai_assoc_id")
            );
            assert_eq!(
                field::assocreset::LOCAL_TSN,
                offset(l, "sctp_assoc_reset_event.assocreset_local_tsn")
            );
            assert_eq!(
                field::assocreset::REMOTE_TSN,
                offset(l, "sctp_assoc_reset_event.assocreset_remote_tsn")
            );
            assert_eq!(
                field::strchange::INSTRMS,
                offset(l, "sctp_stream_change_event.strchange_instrms")
            );
            assert_eq!(
                field::strchange::OUTSTRMS,
                offset(l, "sctp_stream_change_event.strchange_outstrms")
            );
            assert_eq!(field::sse::LEN, size(l, "sctp_shutdown_event"));
            assert_eq!(field::dry::LEN, size(l, "sctp_sender_dry_event"));
        }
        assert_eq!(field::spc::LINUX_LEN, size(Linux, "sctp_paddr_change"));
        assert_eq!(field::spc::FREEBSD_LEN, size(FreeBsd, "sctp_paddr_change"));
        assert_eq!(
            field::pdapi::INDICATION,
            offset(Linux, "sctp_pdapi_event.pdapi_indication")
        );
        assert_eq!(
            field::pdapi::LINUX_ASSOC_ID,
            offset(Linux, "sctp_pdapi_event.pdapi_assoc_id")
        );
        assert_eq!(
            field::pdapi::LINUX_STREAM,
            offset(Linux, "sctp_pdapi_event.pdapi_stream")
        );
        assert_eq!(
            field::pdapi::LINUX_SEQ,
            offset(Linux, "sctp_pdapi_event.pdapi_seq")
        );
        assert_eq!(field::pdapi::LINUX_LEN, size(Linux, "sctp_pdapi_event"));
        let pd = "fbsd_sctp_pdapi_event";
        assert_eq!(
            field::pdapi::INDICATION,
            offset(FreeBsd, &format!("{pd}.pdapi_indication"))
        );
        assert_eq!(
            field::pdapi::FREEBSD_STREAM,
            offset(FreeBsd, &format!("{pd}.pdapi_stream"))
        );
        assert_eq!(
            field::pdapi::FREEBSD_SEQ,
            offset(FreeBsd, &format!("{pd}.pdapi_seq"))
        );
        assert_eq!(
            field::pdapi::FREEBSD_ASSOC_ID,
            offset(FreeBsd, &format!("{pd}.pdapi_assoc_id"))
        );
        assert_eq!(field::pdapi::FREEBSD_LEN, size(FreeBsd, pd));
        for (l, s) in [
            (Linux, "sctp_authkey_event"),
            (FreeBsd, "fbsd_sctp_authkey_event"),
        ] {
            assert_eq!(
                field::auth::KEYNUMBER,
                offset(l, &format!("{s}.auth_keynumber"))
            );
            assert_eq!(
                field::auth::ALTKEYNUMBER,
                offset(l, &format!("{s}.auth_altkeynumber"))
            );
            assert_eq!(
                field::auth::INDICATION,
                offset(l, &format!("{s}.auth_indication"))
            );
            assert_eq!(
                field::auth::ASSOC_ID,
                offset(l, &format!("{s}.auth_assoc_id"))
            );
            assert_eq!(field::auth::LEN, size(l, s));
        }
    }
}
