//! Notifications that carry variable data after their fixed part: association change,
//! remote error, the two send-failed events and stream reset. The data is borrowed from
//! the input, so parsing never allocates.

use super::body::{Body, field::FLAGS};
use super::error::{EmitError, ParseError};
use super::info::{SndInfo, SndRcvInfo};
use super::layout::{Abi, Endian, Layout};
use super::rw::{Reader, Writer};
use super::values::{AssocChangeState, AssocFeature, SendFailedFlags};

mod field {
    pub(super) mod sac {
        pub(in super::super) const STATE: usize = 8;
        pub(in super::super) const ERROR: usize = 10;
        pub(in super::super) const OUTBOUND_STREAMS: usize = 12;
        pub(in super::super) const INBOUND_STREAMS: usize = 14;
        pub(in super::super) const ASSOC_ID: usize = 16;
        pub(in super::super) const INFO: usize = 20;
    }
    pub(super) mod sre {
        pub(in super::super) const ERROR: usize = 8;
        pub(in super::super) const ASSOC_ID: usize = 12;
        pub(in super::super) const DATA: usize = 16;
    }
    pub(super) mod ssf {
        pub(in super::super) const ERROR: usize = 8;
        pub(in super::super) const INFO: usize = 12;
        // ssf_assoc_id follows the layout-sized sctp_sndrcvinfo: 44 Linux, 140 FreeBSD.
    }
    pub(super) mod ssfe {
        pub(in super::super) const ERROR: usize = 8;
        pub(in super::super) const INFO: usize = 12;
        pub(in super::super) const ASSOC_ID: usize = 28;
        pub(in super::super) const DATA: usize = 32;
    }
    pub(super) mod strreset {
        pub(in super::super) const ASSOC_ID: usize = 8;
        pub(in super::super) const LIST: usize = 12;
    }
}

fn not_in_layout(what: &'static str, layout: Layout) -> EmitError {
    EmitError::NotInLayout {
        what,
        layout: layout.name(),
    }
}

/// What `sac_info` holds, classified by `sac_state` and layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SacInfo<'a> {
    /// No `sac_info` bytes.
    None,
    /// On `SCTP_COMM_UP`/`SCTP_RESTART` (FreeBSD/usrsctp): one `SCTP_ASSOC_SUPPORTS_*` byte
    /// per feature the association supports.
    Features(&'a [u8]),
    /// On `SCTP_COMM_LOST`/`SCTP_CANT_STR_ASSOC` in the FreeBSD layout: the complete ABORT
    /// chunk, chunk header included.
    AbortChunk(&'a [u8]),
    /// On `SCTP_COMM_LOST`/`SCTP_CANT_STR_ASSOC` in the Linux layout: the ABORT chunk's
    /// error causes (Linux strips the chunk header).
    ErrorCauses(&'a [u8]),
    /// Bytes in a state that defines none.
    Other(&'a [u8]),
}

impl<'a> SacInfo<'a> {
    /// The feature list as typed values (empty unless [`SacInfo::Features`]).
    pub fn features(&self, layout: Layout) -> impl Iterator<Item = AssocFeature> + 'a {
        let bytes: &'a [u8] = match self {
            SacInfo::Features(b) => b,
            _ => &[],
        };
        bytes
            .iter()
            .map(move |&b| AssocFeature::from_raw(b, layout))
    }
}

/// `SCTP_ASSOC_CHANGE` (RFC 6458 section 6.1.1): an association came up or went down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AssocChange<'a> {
    /// `sac_flags`.
    pub sac_flags: u16,
    /// `sac_state`.
    pub sac_state: AssocChangeState,
    /// `sac_error`: an error cause code, or 0.
    pub sac_error: u16,
    /// `sac_outbound_streams`.
    pub sac_outbound_streams: u16,
    /// `sac_inbound_streams`.
    pub sac_inbound_streams: u16,
    /// `sac_assoc_id`.
    pub sac_assoc_id: u32,
    /// The raw `sac_info[]` bytes; see [`sac_info`](Self::sac_info).
    pub sac_info: &'a [u8],
}

impl<'a> AssocChange<'a> {
    /// `sac_info` classified by state and layout.
    pub fn sac_info(&self, layout: Layout) -> SacInfo<'a> {
        if self.sac_info.is_empty() {
            return SacInfo::None;
        }
        match (self.sac_state, layout) {
            (AssocChangeState::CommUp | AssocChangeState::Restart, _) => {
                SacInfo::Features(self.sac_info)
            }
            (AssocChangeState::CommLost | AssocChangeState::CantStrAssoc, Layout::FreeBsd) => {
                SacInfo::AbortChunk(self.sac_info)
            }
            (AssocChangeState::CommLost | AssocChangeState::CantStrAssoc, Layout::Linux) => {
                SacInfo::ErrorCauses(self.sac_info)
            }
            _ => SacInfo::Other(self.sac_info),
        }
    }
}

impl<'a> Body<'a> for AssocChange<'a> {
    const WHAT: &'static str = "sctp_assoc_change";

    fn min_len(_layout: Layout) -> usize {
        field::sac::INFO
    }

    fn parse_body(r: &Reader<'a>, layout: Layout) -> Result<Self, ParseError> {
        use field::sac::*;
        Ok(AssocChange {
            sac_flags: r.u16(FLAGS)?,
            sac_state: AssocChangeState::from_raw(r.u16(STATE)?, layout),
            sac_error: r.u16(ERROR)?,
            sac_outbound_streams: r.u16(OUTBOUND_STREAMS)?,
            sac_inbound_streams: r.u16(INBOUND_STREAMS)?,
            sac_assoc_id: r.u32(ASSOC_ID)?,
            sac_info: r.rest(INFO)?,
        })
    }

    fn total_len(&self, _layout: Layout) -> usize {
        field::sac::INFO.saturating_add(self.sac_info.len())
    }

    fn flags(&self, _layout: Layout) -> Result<u16, EmitError> {
        Ok(self.sac_flags)
    }

    fn emit_body(&self, w: &mut Writer<'_>, layout: Layout) -> Result<(), EmitError> {
        use field::sac::*;
        let state = self
            .sac_state
            .to_raw(layout)
            .ok_or(not_in_layout("this sac_state", layout))?;
        w.u16(STATE, state)?;
        w.u16(ERROR, self.sac_error)?;
        w.u16(OUTBOUND_STREAMS, self.sac_outbound_streams)?;
        w.u16(INBOUND_STREAMS, self.sac_inbound_streams)?;
        w.u32(ASSOC_ID, self.sac_assoc_id)?;
        w.put(INFO, self.sac_info)
    }
}

/// `SCTP_REMOTE_ERROR` (RFC 6458 section 6.1.3): the peer sent an ERROR chunk.
///
/// `sre_error` is the cause code as a number: Linux stores it in network byte order
/// (`__be16`), FreeBSD in host order (confirmed by a live usrsctp notification); hark
/// converts both, like pysctp does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RemoteError<'a> {
    /// `sre_flags`.
    pub sre_flags: u16,
    /// `sre_error`: the error cause code (host value).
    pub sre_error: u16,
    /// `sre_assoc_id`.
    pub sre_assoc_id: u32,
    /// `sre_data[]` as the stack delivers it: FreeBSD/usrsctp copy the whole ERROR chunk,
    /// chunk header included (recorded live); Linux copies the cause's value, after the
    /// 4-byte cause header (`sctp_ulpevent_make_remote_error`).
    pub sre_data: &'a [u8],
}

impl<'a> Body<'a> for RemoteError<'a> {
    const WHAT: &'static str = "sctp_remote_error";

    fn min_len(_layout: Layout) -> usize {
        field::sre::DATA
    }

    fn parse_body(r: &Reader<'a>, layout: Layout) -> Result<Self, ParseError> {
        use field::sre::*;
        Ok(RemoteError {
            sre_flags: r.u16(FLAGS)?,
            sre_error: match layout {
                Layout::Linux => r.be_u16(ERROR)?,
                Layout::FreeBsd => r.u16(ERROR)?,
            },
            sre_assoc_id: r.u32(ASSOC_ID)?,
            sre_data: r.rest(DATA)?,
        })
    }

    fn total_len(&self, _layout: Layout) -> usize {
        field::sre::DATA.saturating_add(self.sre_data.len())
    }

    fn flags(&self, _layout: Layout) -> Result<u16, EmitError> {
        Ok(self.sre_flags)
    }

    fn emit_body(&self, w: &mut Writer<'_>, layout: Layout) -> Result<(), EmitError> {
        use field::sre::*;
        match layout {
            Layout::Linux => w.be_u16(ERROR, self.sre_error)?,
            Layout::FreeBsd => w.u16(ERROR, self.sre_error)?,
        }
        w.u32(ASSOC_ID, self.sre_assoc_id)?;
        w.put(DATA, self.sre_data)
    }
}

/// The older `SCTP_SEND_FAILED` (RFC 6458 section 5.3.1.4 of the drafts; deprecated in favour
/// of [`SendFailedEvent`]): carries a `sctp_sndrcvinfo`, 32 bytes on Linux and 128 on FreeBSD.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SendFailed<'a> {
    /// `ssf_flags`.
    pub ssf_flags: SendFailedFlags,
    /// `ssf_error`.
    pub ssf_error: u32,
    /// `ssf_info`.
    pub ssf_info: SndRcvInfo,
    /// `ssf_assoc_id`.
    pub ssf_assoc_id: u32,
    /// `ssf_data[]`: the undelivered user data (or the rest of it).
    pub ssf_data: &'a [u8],
}

fn ssf_offsets(layout: Layout) -> (usize, usize) {
    let assoc = field::ssf::INFO + SndRcvInfo::buffer_len(layout);
    (assoc, assoc + 4)
}

impl<'a> Body<'a> for SendFailed<'a> {
    const WHAT: &'static str = "sctp_send_failed";

    fn min_len(layout: Layout) -> usize {
        ssf_offsets(layout).1
    }

    fn parse_body(r: &Reader<'a>, layout: Layout) -> Result<Self, ParseError> {
        let (assoc, data) = ssf_offsets(layout);
        let info = r.bytes(field::ssf::INFO, SndRcvInfo::buffer_len(layout))?;
        Ok(SendFailed {
            ssf_flags: SendFailedFlags::from_raw(r.u16(FLAGS)?, layout),
            ssf_error: r.u32(field::ssf::ERROR)?,
            ssf_info: SndRcvInfo::parse(info, Abi::with_endian(layout, r.endian()))?,
            ssf_assoc_id: r.u32(assoc)?,
            ssf_data: r.rest(data)?,
        })
    }

    fn total_len(&self, layout: Layout) -> usize {
        ssf_offsets(layout).1.saturating_add(self.ssf_data.len())
    }

    fn flags(&self, layout: Layout) -> Result<u16, EmitError> {
        self.ssf_flags
            .to_raw(layout)
            .ok_or(not_in_layout("this ssf_flags", layout))
    }

    fn emit_body(&self, w: &mut Writer<'_>, layout: Layout) -> Result<(), EmitError> {
        let (assoc, data) = ssf_offsets(layout);
        w.u32(field::ssf::ERROR, self.ssf_error)?;
        let endian = w.endian();
        self.ssf_info.emit(
            w.sub(field::ssf::INFO, SndRcvInfo::buffer_len(layout))?,
            Abi::with_endian(layout, endian),
        )?;
        w.u32(assoc, self.ssf_assoc_id)?;
        w.put(data, self.ssf_data)
    }
}

/// `SCTP_SEND_FAILED_EVENT` (RFC 6458 section 6.1.11): a message could not be delivered.
///
/// Kernels may deliver large ones in several reads; join them with
/// [`NotificationAssembler`](super::NotificationAssembler) first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SendFailedEvent<'a> {
    /// `ssfe_flags`.
    pub ssfe_flags: SendFailedFlags,
    /// `ssfe_error`.
    pub ssfe_error: u32,
    /// `ssfe_info`: the `sctp_sndinfo` the message was sent with.
    pub ssfe_info: SndInfo,
    /// `ssfe_assoc_id`.
    pub ssfe_assoc_id: u32,
    /// `ssfe_data[]`: the undelivered user data.
    pub ssfe_data: &'a [u8],
}

impl<'a> Body<'a> for SendFailedEvent<'a> {
    const WHAT: &'static str = "sctp_send_failed_event";

    fn min_len(_layout: Layout) -> usize {
        field::ssfe::DATA
    }

    fn parse_body(r: &Reader<'a>, layout: Layout) -> Result<Self, ParseError> {
        use field::ssfe::*;
        let info = r.bytes(INFO, SndInfo::buffer_len(layout))?;
        Ok(SendFailedEvent {
            ssfe_flags: SendFailedFlags::from_raw(r.u16(FLAGS)?, layout),
            ssfe_error: r.u32(ERROR)?,
            ssfe_info: SndInfo::parse(info, Abi::with_endian(layout, r.endian()))?,
            ssfe_assoc_id: r.u32(ASSOC_ID)?,
            ssfe_data: r.rest(DATA)?,
        })
    }

    fn total_len(&self, _layout: Layout) -> usize {
        field::ssfe::DATA.saturating_add(self.ssfe_data.len())
    }

    fn flags(&self, layout: Layout) -> Result<u16, EmitError> {
        self.ssfe_flags
            .to_raw(layout)
            .ok_or(not_in_layout("this ssfe_flags", layout))
    }

    fn emit_body(&self, w: &mut Writer<'_>, layout: Layout) -> Result<(), EmitError> {
        use field::ssfe::*;
        w.u32(ERROR, self.ssfe_error)?;
        let endian = w.endian();
        self.ssfe_info.emit(
            w.sub(INFO, SndInfo::buffer_len(layout))?,
            Abi::with_endian(layout, endian),
        )?;
        w.u32(ASSOC_ID, self.ssfe_assoc_id)?;
        w.put(DATA, self.ssfe_data)
    }
}

/// The `uint16_t strreset_stream_list[]` of a stream reset event, borrowed from the input.
#[derive(Debug, Clone, Copy, Eq, Hash)]
pub struct StreamList<'a> {
    bytes: &'a [u8],
    endian: Endian,
}

impl<'a> StreamList<'a> {
    /// A list over `bytes` holding `uint16_t`s in `endian`; fails if the length is odd.
    pub fn new(bytes: &'a [u8], endian: Endian) -> Result<Self, ParseError> {
        if bytes.len() % 2 != 0 {
            return Err(ParseError::OddListLength {
                what: "strreset_stream_list",
                len: bytes.len(),
            });
        }
        Ok(StreamList { bytes, endian })
    }

    /// The empty list (all streams).
    pub const fn empty() -> Self {
        StreamList {
            bytes: &[],
            endian: Endian::host(),
        }
    }

    /// Number of stream ids.
    pub fn len(&self) -> usize {
        self.bytes.len() / 2
    }

    /// True if no stream is listed.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The stream ids.
    pub fn iter(&self) -> impl Iterator<Item = u16> + 'a {
        let endian = self.endian;
        self.bytes.chunks_exact(2).map(move |pair| {
            let raw = [
                pair.first().copied().unwrap_or(0),
                pair.get(1).copied().unwrap_or(0),
            ];
            match endian {
                Endian::Little => u16::from_le_bytes(raw),
                Endian::Big => u16::from_be_bytes(raw),
            }
        })
    }

    /// Byte length of the list.
    pub fn byte_len(&self) -> usize {
        self.bytes.len()
    }
}

impl PartialEq for StreamList<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

/// `SCTP_STREAM_RESET_EVENT` (RFC 6525 section 6.1.1): streams were reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StreamResetEvent<'a> {
    /// `strreset_flags` (`SCTP_STREAM_RESET_INCOMING_SSN` 1, `..._OUTGOING_SSN` 2,
    /// `..._DENIED` 4, `..._FAILED` 8).
    pub strreset_flags: u16,
    /// `strreset_assoc_id`.
    pub strreset_assoc_id: u32,
    /// `strreset_stream_list[]` (empty means all streams).
    pub strreset_stream_list: StreamList<'a>,
}

impl<'a> Body<'a> for StreamResetEvent<'a> {
    const WHAT: &'static str = "sctp_stream_reset_event";

    fn min_len(_layout: Layout) -> usize {
        field::strreset::LIST
    }

    fn parse_body(r: &Reader<'a>, _layout: Layout) -> Result<Self, ParseError> {
        use field::strreset::*;
        Ok(StreamResetEvent {
            strreset_flags: r.u16(FLAGS)?,
            strreset_assoc_id: r.u32(ASSOC_ID)?,
            strreset_stream_list: StreamList::new(r.rest(LIST)?, r.endian())?,
        })
    }

    fn total_len(&self, _layout: Layout) -> usize {
        field::strreset::LIST.saturating_add(self.strreset_stream_list.byte_len())
    }

    fn flags(&self, _layout: Layout) -> Result<u16, EmitError> {
        Ok(self.strreset_flags)
    }

    fn emit_body(&self, w: &mut Writer<'_>, _layout: Layout) -> Result<(), EmitError> {
        use field::strreset::*;
        w.u32(ASSOC_ID, self.strreset_assoc_id)?;
        for (i, stream) in self.strreset_stream_list.iter().enumerate() {
            w.u16(LIST.saturating_add(i.saturating_mul(2)), stream)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod c_layout_tests {
    //! The offsets above against `offsetof` in the real headers (tools/sctp-vectors).
    use super::{field, ssf_offsets};
    use crate::sctp::c_layout::offset;
    use crate::sctp::layout::Layout::{self, FreeBsd, Linux};

    #[test]
    fn offsets_match_the_headers() {
        for l in [Linux, FreeBsd] {
            assert_eq!(
                field::sac::ASSOC_ID,
                offset(l, "sctp_assoc_change.sac_assoc_id")
            );
            assert_eq!(field::sac::INFO, offset(l, "sctp_assoc_change.sac_info"));
            assert_eq!(field::sre::ERROR, offset(l, "sctp_remote_error.sre_error"));
            assert_eq!(
                field::sre::ASSOC_ID,
                offset(l, "sctp_remote_error.sre_assoc_id")
            );
            assert_eq!(field::sre::DATA, offset(l, "sctp_remote_error.sre_data"));
            assert_eq!(
                field::strreset::LIST,
                offset(l, "sctp_stream_reset_event.strreset_stream_list")
            );
        }
        let ssf = |l: Layout| {
            if l == Linux {
                "sctp_send_failed"
            } else {
                "fbsd_sctp_send_failed"
            }
        };
        for l in [Linux, FreeBsd] {
            let s = ssf(l);
            assert_eq!(field::ssf::ERROR, offset(l, &format!("{s}.ssf_error")));
            assert_eq!(field::ssf::INFO, offset(l, &format!("{s}.ssf_info")));
            assert_eq!(
                ssf_offsets(l),
                (
                    offset(l, &format!("{s}.ssf_assoc_id")),
                    offset(l, &format!("{s}.ssf_data"))
                )
            );
        }
        // Linux names the RFC 6458 send-failed event's members ssf_*, usrsctp ssfe_*.
        for (l, p) in [(Linux, "ssf"), (FreeBsd, "ssfe")] {
            let s = "sctp_send_failed_event";
            assert_eq!(field::ssfe::ERROR, offset(l, &format!("{s}.{p}_error")));
            assert_eq!(field::ssfe::INFO, offset(l, &format!("{s}.ssfe_info")));
            assert_eq!(
                field::ssfe::ASSOC_ID,
                offset(l, &format!("{s}.{p}_assoc_id"))
            );
            assert_eq!(field::ssfe::DATA, offset(l, &format!("{s}.{p}_data")));
        }
    }
}
