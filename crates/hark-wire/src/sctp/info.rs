//! Ancillary-data and option structs: `sctp_sndinfo`, `sctp_rcvinfo`, `sctp_nxtinfo`,
//! `sctp_sndrcvinfo` and `sctp_initmsg`.
//!
//! Payload protocol identifiers (`*_ppid`) are passed through by the stacks unconverted, so
//! senders store them with `htonl()`; hark reads and writes them in network byte order and
//! shows the number that travels in the DATA chunk (51 for WebRTC string, ...). Every other
//! integer is in the [`Abi`]'s byte order. `emit` zeroes the whole struct first.

use super::error::{EmitError, ParseError};
use super::layout::{Abi, Layout};
use super::rw::{Reader, Writer};

mod field {
    pub(super) mod sndinfo {
        pub(in super::super) const SID: usize = 0;
        pub(in super::super) const FLAGS: usize = 2;
        pub(in super::super) const PPID: usize = 4;
        pub(in super::super) const CONTEXT: usize = 8;
        pub(in super::super) const ASSOC_ID: usize = 12;
        pub(in super::super) const LEN: usize = 16;
    }
    pub(super) mod rcvinfo {
        pub(in super::super) const SID: usize = 0;
        pub(in super::super) const SSN: usize = 2;
        pub(in super::super) const FLAGS: usize = 4;
        pub(in super::super) const PPID: usize = 8;
        pub(in super::super) const TSN: usize = 12;
        pub(in super::super) const CUMTSN: usize = 16;
        pub(in super::super) const CONTEXT: usize = 20;
        pub(in super::super) const ASSOC_ID: usize = 24;
        pub(in super::super) const LEN: usize = 28;
    }
    pub(super) mod nxtinfo {
        pub(in super::super) const SID: usize = 0;
        pub(in super::super) const FLAGS: usize = 2;
        pub(in super::super) const PPID: usize = 4;
        pub(in super::super) const LENGTH: usize = 8;
        pub(in super::super) const ASSOC_ID: usize = 12;
        pub(in super::super) const LEN: usize = 16;
    }
    pub(super) mod sndrcvinfo {
        pub(in super::super) const STREAM: usize = 0;
        pub(in super::super) const SSN: usize = 2;
        pub(in super::super) const FLAGS: usize = 4;
        pub(in super::super) const PPID: usize = 8;
        pub(in super::super) const CONTEXT: usize = 12;
        pub(in super::super) const TIMETOLIVE: usize = 16;
        pub(in super::super) const TSN: usize = 20;
        pub(in super::super) const CUMTSN: usize = 24;
        pub(in super::super) const ASSOC_ID: usize = 28;
        /// FreeBSD only; Linux ends at 32.
        pub(in super::super) const KEYNUMBER: usize = 32;
        pub(in super::super) const KEYNUMBER_VALID: usize = 34;
        pub(in super::super) const LINUX_LEN: usize = 32;
        /// 36 bytes of fields plus `__reserve_pad[92]`.
        pub(in super::super) const FREEBSD_LEN: usize = 128;
    }
    pub(super) mod initmsg {
        pub(in super::super) const NUM_OSTREAMS: usize = 0;
        pub(in super::super) const MAX_INSTREAMS: usize = 2;
        pub(in super::super) const MAX_ATTEMPTS: usize = 4;
        pub(in super::super) const MAX_INIT_TIMEO: usize = 6;
        pub(in super::super) const LEN: usize = 8;
    }
}

/// `struct sctp_sndinfo` (RFC 6458 section 5.3.4), also `ssfe_info` of `SCTP_SEND_FAILED_EVENT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SndInfo {
    /// `snd_sid`: stream number.
    pub snd_sid: u16,
    /// `snd_flags`: `SCTP_UNORDERED` etc. (numbers differ per layout, kept raw).
    pub snd_flags: u16,
    /// `snd_ppid`: payload protocol identifier, as on the wire.
    pub snd_ppid: u32,
    /// `snd_context`.
    pub snd_context: u32,
    /// `snd_assoc_id` (`sctp_assoc_t`: `int32_t` on Linux, `uint32_t` on FreeBSD; kept raw).
    pub snd_assoc_id: u32,
}

impl SndInfo {
    /// `sizeof(struct sctp_sndinfo)`: 16 in both layouts.
    pub const fn buffer_len(_layout: Layout) -> usize {
        field::sndinfo::LEN
    }

    /// Reads the struct from the first 16 bytes of `bytes`.
    pub fn parse(bytes: &[u8], abi: impl Into<Abi>) -> Result<Self, ParseError> {
        use field::sndinfo::*;
        let abi = abi.into();
        let r = Reader::new(bytes, abi.endian, "sctp_sndinfo", LEN)?;
        Ok(SndInfo {
            snd_sid: r.u16(SID)?,
            snd_flags: r.u16(FLAGS)?,
            snd_ppid: r.be_u32(PPID)?,
            snd_context: r.u32(CONTEXT)?,
            snd_assoc_id: r.u32(ASSOC_ID)?,
        })
    }

    /// Writes the struct (16 bytes, padding zeroed) and returns its length.
    pub fn emit(&self, buf: &mut [u8], abi: impl Into<Abi>) -> Result<usize, EmitError> {
        use field::sndinfo::*;
        let abi = abi.into();
        let mut w = Writer::new(buf, LEN, abi.endian)?;
        w.u16(SID, self.snd_sid)?;
        w.u16(FLAGS, self.snd_flags)?;
        w.be_u32(PPID, self.snd_ppid)?;
        w.u32(CONTEXT, self.snd_context)?;
        w.u32(ASSOC_ID, self.snd_assoc_id)?;
        Ok(LEN)
    }
}

/// `struct sctp_rcvinfo` (RFC 6458 section 5.3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RcvInfo {
    /// `rcv_sid`.
    pub rcv_sid: u16,
    /// `rcv_ssn`.
    pub rcv_ssn: u16,
    /// `rcv_flags`.
    pub rcv_flags: u16,
    /// `rcv_ppid`, as on the wire.
    pub rcv_ppid: u32,
    /// `rcv_tsn`.
    pub rcv_tsn: u32,
    /// `rcv_cumtsn`.
    pub rcv_cumtsn: u32,
    /// `rcv_context`.
    pub rcv_context: u32,
    /// `rcv_assoc_id`.
    pub rcv_assoc_id: u32,
}

impl RcvInfo {
    /// `sizeof(struct sctp_rcvinfo)`: 28 in both layouts (2 bytes of padding after `rcv_flags`).
    pub const fn buffer_len(_layout: Layout) -> usize {
        field::rcvinfo::LEN
    }

    /// Reads the struct from the first 28 bytes of `bytes`.
    pub fn parse(bytes: &[u8], abi: impl Into<Abi>) -> Result<Self, ParseError> {
        use field::rcvinfo::*;
        let abi = abi.into();
        let r = Reader::new(bytes, abi.endian, "sctp_rcvinfo", LEN)?;
        Ok(RcvInfo {
            rcv_sid: r.u16(SID)?,
            rcv_ssn: r.u16(SSN)?,
            rcv_flags: r.u16(FLAGS)?,
            rcv_ppid: r.be_u32(PPID)?,
            rcv_tsn: r.u32(TSN)?,
            rcv_cumtsn: r.u32(CUMTSN)?,
            rcv_context: r.u32(CONTEXT)?,
            rcv_assoc_id: r.u32(ASSOC_ID)?,
        })
    }

    /// Writes the struct (28 bytes, padding zeroed) and returns its length.
    pub fn emit(&self, buf: &mut [u8], abi: impl Into<Abi>) -> Result<usize, EmitError> {
        use field::rcvinfo::*;
        let abi = abi.into();
        let mut w = Writer::new(buf, LEN, abi.endian)?;
        w.u16(SID, self.rcv_sid)?;
        w.u16(SSN, self.rcv_ssn)?;
        w.u16(FLAGS, self.rcv_flags)?;
        w.be_u32(PPID, self.rcv_ppid)?;
        w.u32(TSN, self.rcv_tsn)?;
        w.u32(CUMTSN, self.rcv_cumtsn)?;
        w.u32(CONTEXT, self.rcv_context)?;
        w.u32(ASSOC_ID, self.rcv_assoc_id)?;
        Ok(LEN)
    }
}

/// `struct sctp_nxtinfo` (RFC 6458 section 5.3.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct NxtInfo {
    /// `nxt_sid`.
    pub nxt_sid: u16,
    /// `nxt_flags`.
    pub nxt_flags: u16,
    /// `nxt_ppid`, as on the wire.
    pub nxt_ppid: u32,
    /// `nxt_length`.
    pub nxt_length: u32,
    /// `nxt_assoc_id`.
    pub nxt_assoc_id: u32,
}

impl NxtInfo {
    /// `sizeof(struct sctp_nxtinfo)`: 16 in both layouts.
    pub const fn buffer_len(_layout: Layout) -> usize {
        field::nxtinfo::LEN
    }

    /// Reads the struct from the first 16 bytes of `bytes`.
    pub fn parse(bytes: &[u8], abi: impl Into<Abi>) -> Result<Self, ParseError> {
        use field::nxtinfo::*;
        let abi = abi.into();
        let r = Reader::new(bytes, abi.endian, "sctp_nxtinfo", LEN)?;
        Ok(NxtInfo {
            nxt_sid: r.u16(SID)?,
            nxt_flags: r.u16(FLAGS)?,
            nxt_ppid: r.be_u32(PPID)?,
            nxt_length: r.u32(LENGTH)?,
            nxt_assoc_id: r.u32(ASSOC_ID)?,
        })
    }

    /// Writes the struct (16 bytes) and returns its length.
    pub fn emit(&self, buf: &mut [u8], abi: impl Into<Abi>) -> Result<usize, EmitError> {
        use field::nxtinfo::*;
        let abi = abi.into();
        let mut w = Writer::new(buf, LEN, abi.endian)?;
        w.u16(SID, self.nxt_sid)?;
        w.u16(FLAGS, self.nxt_flags)?;
        w.be_u32(PPID, self.nxt_ppid)?;
        w.u32(LENGTH, self.nxt_length)?;
        w.u32(ASSOC_ID, self.nxt_assoc_id)?;
        Ok(LEN)
    }
}

/// `struct sctp_sndrcvinfo` (the deprecated RFC 6458 section 5.3.2 struct), also `ssf_info` of
/// the older `SCTP_SEND_FAILED`.
///
/// Linux's is 32 bytes. FreeBSD's is 128: it adds `sinfo_keynumber`,
/// `sinfo_keynumber_valid` and 92 reserved bytes, which hark always writes as zeros.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SndRcvInfo {
    /// `sinfo_stream`.
    pub sinfo_stream: u16,
    /// `sinfo_ssn`.
    pub sinfo_ssn: u16,
    /// `sinfo_flags`.
    pub sinfo_flags: u16,
    /// `sinfo_ppid`, as on the wire.
    pub sinfo_ppid: u32,
    /// `sinfo_context`.
    pub sinfo_context: u32,
    /// `sinfo_timetolive`.
    pub sinfo_timetolive: u32,
    /// `sinfo_tsn`.
    pub sinfo_tsn: u32,
    /// `sinfo_cumtsn`.
    pub sinfo_cumtsn: u32,
    /// `sinfo_assoc_id`.
    pub sinfo_assoc_id: u32,
    /// `sinfo_keynumber` (FreeBSD only: must be 0 to emit in the Linux layout).
    pub sinfo_keynumber: u16,
    /// `sinfo_keynumber_valid` (FreeBSD only: must be 0 to emit in the Linux layout).
    pub sinfo_keynumber_valid: u16,
}

impl SndRcvInfo {
    /// `sizeof(struct sctp_sndrcvinfo)`: 32 on Linux, 128 on FreeBSD.
    pub const fn buffer_len(layout: Layout) -> usize {
        match layout {
            Layout::Linux => field::sndrcvinfo::LINUX_LEN,
            Layout::FreeBsd => field::sndrcvinfo::FREEBSD_LEN,
        }
    }

    /// Reads the struct from the first [`buffer_len`](Self::buffer_len) bytes of `bytes`.
    pub fn parse(bytes: &[u8], abi: impl Into<Abi>) -> Result<Self, ParseError> {
        use field::sndrcvinfo::*;
        let abi = abi.into();
        let len = Self::buffer_len(abi.layout);
        let r = Reader::new(bytes, abi.endian, "sctp_sndrcvinfo", len)?;
        let (keynumber, valid) = match abi.layout {
            Layout::Linux => (0, 0),
            Layout::FreeBsd => (r.u16(KEYNUMBER)?, r.u16(KEYNUMBER_VALID)?),
        };
        Ok(SndRcvInfo {
            sinfo_stream: r.u16(STREAM)?,
            sinfo_ssn: r.u16(SSN)?,
            sinfo_flags: r.u16(FLAGS)?,
            sinfo_ppid: r.be_u32(PPID)?,
            sinfo_context: r.u32(CONTEXT)?,
            sinfo_timetolive: r.u32(TIMETOLIVE)?,
            sinfo_tsn: r.u32(TSN)?,
            sinfo_cumtsn: r.u32(CUMTSN)?,
            sinfo_assoc_id: r.u32(ASSOC_ID)?,
            sinfo_keynumber: keynumber,
            sinfo_keynumber_valid: valid,
        })
    }

    /// Writes the struct (reserved bytes zeroed) and returns its length.
    pub fn emit(&self, buf: &mut [u8], abi: impl Into<Abi>) -> Result<usize, EmitError> {
        use field::sndrcvinfo::*;
        let abi = abi.into();
        let len = Self::buffer_len(abi.layout);
        if abi.layout == Layout::Linux
            && (self.sinfo_keynumber != 0 || self.sinfo_keynumber_valid != 0)
        {
            return Err(EmitError::NotInLayout {
                what: "sinfo_keynumber",
                layout: abi.layout.name(),
            });
        }
        let mut w = Writer::new(buf, len, abi.endian)?;
        w.u16(STREAM, self.sinfo_stream)?;
        w.u16(SSN, self.sinfo_ssn)?;
        w.u16(FLAGS, self.sinfo_flags)?;
        w.be_u32(PPID, self.sinfo_ppid)?;
        w.u32(CONTEXT, self.sinfo_context)?;
        w.u32(TIMETOLIVE, self.sinfo_timetolive)?;
        w.u32(TSN, self.sinfo_tsn)?;
        w.u32(CUMTSN, self.sinfo_cumtsn)?;
        w.u32(ASSOC_ID, self.sinfo_assoc_id)?;
        if abi.layout == Layout::FreeBsd {
            w.u16(KEYNUMBER, self.sinfo_keynumber)?;
            w.u16(KEYNUMBER_VALID, self.sinfo_keynumber_valid)?;
        }
        Ok(len)
    }
}

/// `struct sctp_initmsg` (`SCTP_INITMSG` option and `SCTP_INIT` ancillary data).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct InitMsg {
    /// `sinit_num_ostreams`.
    pub sinit_num_ostreams: u16,
    /// `sinit_max_instreams`.
    pub sinit_max_instreams: u16,
    /// `sinit_max_attempts`.
    pub sinit_max_attempts: u16,
    /// `sinit_max_init_timeo` in milliseconds.
    pub sinit_max_init_timeo: u16,
}

impl InitMsg {
    /// `sizeof(struct sctp_initmsg)`: 8 in both layouts.
    pub const fn buffer_len(_layout: Layout) -> usize {
        field::initmsg::LEN
    }

    /// Reads the struct from the first 8 bytes of `bytes`.
    pub fn parse(bytes: &[u8], abi: impl Into<Abi>) -> Result<Self, ParseError> {
        use field::initmsg::*;
        let abi = abi.into();
        let r = Reader::new(bytes, abi.endian, "sctp_initmsg", LEN)?;
        Ok(InitMsg {
            sinit_num_ostreams: r.u16(NUM_OSTREAMS)?,
            sinit_max_instreams: r.u16(MAX_INSTREAMS)?,
            sinit_max_attempts: r.u16(MAX_ATTEMPTS)?,
            sinit_max_init_timeo: r.u16(MAX_INIT_TIMEO)?,
        })
    }

    /// Writes the struct (8 bytes) and returns its length.
    pub fn emit(&self, buf: &mut [u8], abi: impl Into<Abi>) -> Result<usize, EmitError> {
        use field::initmsg::*;
        let abi = abi.into();
        let mut w = Writer::new(buf, LEN, abi.endian)?;
        w.u16(NUM_OSTREAMS, self.sinit_num_ostreams)?;
        w.u16(MAX_INSTREAMS, self.sinit_max_instreams)?;
        w.u16(MAX_ATTEMPTS, self.sinit_max_attempts)?;
        w.u16(MAX_INIT_TIMEO, self.sinit_max_init_timeo)?;
        Ok(LEN)
    }
}

#[cfg(test)]
mod c_layout_tests {
    //! The offsets above against `offsetof` in the real headers (tools/sctp-vectors).
    use super::field;
    use crate::sctp::c_layout::offset;
    use crate::sctp::layout::Layout::{FreeBsd, Linux};

    #[test]
    fn offsets_match_the_headers() {
        for l in [Linux, FreeBsd] {
            assert_eq!(field::rcvinfo::PPID, offset(l, "sctp_rcvinfo.rcv_ppid"));
            assert_eq!(
                field::rcvinfo::CONTEXT,
                offset(l, "sctp_rcvinfo.rcv_context")
            );
            assert_eq!(
                field::rcvinfo::ASSOC_ID,
                offset(l, "sctp_rcvinfo.rcv_assoc_id")
            );
        }
        assert_eq!(
            field::sndrcvinfo::PPID,
            offset(Linux, "sctp_sndrcvinfo.sinfo_ppid")
        );
        assert_eq!(
            field::sndrcvinfo::ASSOC_ID,
            offset(Linux, "sctp_sndrcvinfo.sinfo_assoc_id")
        );
        let f = "fbsd_sctp_sndrcvinfo";
        assert_eq!(
            field::sndrcvinfo::PPID,
            offset(FreeBsd, &format!("{f}.sinfo_ppid"))
        );
        assert_eq!(
            field::sndrcvinfo::ASSOC_ID,
            offset(FreeBsd, &format!("{f}.sinfo_assoc_id"))
        );
        assert_eq!(
            field::sndrcvinfo::KEYNUMBER,
            offset(FreeBsd, &format!("{f}.sinfo_keynumber"))
        );
        assert_eq!(
            field::sndrcvinfo::KEYNUMBER_VALID + 2,
            offset(FreeBsd, &format!("{f}.__reserve_pad"))
        );
    }
}
