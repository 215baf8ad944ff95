//! SCTP socket options: `SCTP_INITMSG`, `SCTP_EVENT`, adaptation layer, stream reconfiguration,
//! PR-SCTP and address lists. Structs hark-wire knows are emitted by hark-wire into zeroed
//! buffers; the small remaining ones are written here field by field.

use super::consts::{
    SCTP_ADAPTATION_LAYER, SCTP_ADD_STREAMS, SCTP_ENABLE_STREAM_RESET, SCTP_EVENT,
    SCTP_GET_LOCAL_ADDRS, SCTP_GET_PEER_ADDRS, SCTP_INITMSG, SCTP_NODELAY,
    SCTP_PARTIAL_DELIVERY_POINT, SCTP_PR_SUPPORTED, SCTP_RESET_ASSOC, SCTP_RESET_STREAMS,
};
use super::error::SctpError;
use super::sockaddr;
use super::socket::{AssocId, SctpSocket};
use hark_wire::sctp::{Abi, InitMsg, Layout, NotificationType, SctpEvent};
use std::net::SocketAddr;

/// `SCTP_FUTURE_ASSOC`: an option for associations created later.
pub const SCTP_FUTURE_ASSOC: AssocId = 0;
/// `SCTP_CURRENT_ASSOC`: an option for every existing association.
pub const SCTP_CURRENT_ASSOC: AssocId = 1;
/// `SCTP_ALL_ASSOC`: both of the above.
pub const SCTP_ALL_ASSOC: AssocId = 2;

/// `SCTP_ENABLE_RESET_STREAM_REQ` for [`SctpSocket::enable_stream_reset`].
pub const SCTP_ENABLE_RESET_STREAM_REQ: u32 = 0x01;
/// `SCTP_ENABLE_RESET_ASSOC_REQ`.
pub const SCTP_ENABLE_RESET_ASSOC_REQ: u32 = 0x02;
/// `SCTP_ENABLE_CHANGE_ASSOC_REQ`.
pub const SCTP_ENABLE_CHANGE_ASSOC_REQ: u32 = 0x04;
/// `SCTP_STREAM_RESET_INCOMING` for [`SctpSocket::reset_streams`].
pub const SCTP_STREAM_RESET_INCOMING: u16 = 0x01;
/// `SCTP_STREAM_RESET_OUTGOING`.
pub const SCTP_STREAM_RESET_OUTGOING: u16 = 0x02;

/// Largest address list read back by [`SctpSocket::peer_addrs`].
const MAX_ADDRS: usize = 64;

fn assoc_value(assoc_id: AssocId, value: u32) -> [u8; 8] {
    let mut buf = [0u8; 8];
    buf[..4].copy_from_slice(&assoc_id.to_ne_bytes());
    buf[4..].copy_from_slice(&value.to_ne_bytes());
    buf
}

impl SctpSocket {
    /// `SCTP_INITMSG`: streams and INIT retries for associations this socket starts.
    pub fn set_initmsg(&self, initmsg: &InitMsg) -> Result<(), SctpError> {
        let mut buf = [0u8; 8];
        let len = initmsg
            .emit(&mut buf, Abi::new(Layout::Linux))
            .map_err(|source| SctpError::Encode {
                what: "sctp_initmsg",
                source,
            })?;
        self.set_bytes(SCTP_INITMSG, buf.get(..len).unwrap_or(&buf), "SCTP_INITMSG")
    }

    /// `SCTP_EVENT`: turns one notification kind on or off for `assoc_id` (use
    /// [`SCTP_FUTURE_ASSOC`] before associations exist). The struct comes zeroed from
    /// hark-wire's encoder.
    pub fn subscribe(
        &self,
        assoc_id: AssocId,
        kind: NotificationType,
        on: bool,
    ) -> Result<(), SctpError> {
        let event = SctpEvent::new(assoc_id, kind, on, Layout::Linux).map_err(|source| {
            SctpError::Encode {
                what: "sctp_event",
                source,
            }
        })?;
        let mut buf = [0u8; 8];
        let len = event
            .emit(&mut buf, Abi::new(Layout::Linux))
            .map_err(|source| SctpError::Encode {
                what: "sctp_event",
                source,
            })?;
        self.set_bytes(SCTP_EVENT, buf.get(..len).unwrap_or(&buf), "SCTP_EVENT")
    }

    /// Subscribes to every kind in `kinds` for `assoc_id`.
    pub fn subscribe_all(
        &self,
        assoc_id: AssocId,
        kinds: &[NotificationType],
    ) -> Result<(), SctpError> {
        kinds
            .iter()
            .try_for_each(|kind| self.subscribe(assoc_id, *kind, true))
    }

    /// `SCTP_ADAPTATION_LAYER`: the adaptation indication sent in INIT/INIT-ACK, which the
    /// peer sees as `SCTP_ADAPTATION_INDICATION`.
    pub fn set_adaptation_layer(&self, indication: u32) -> Result<(), SctpError> {
        self.set_bytes(
            SCTP_ADAPTATION_LAYER,
            &indication.to_ne_bytes(),
            "SCTP_ADAPTATION_LAYER",
        )
    }

    /// `SCTP_PARTIAL_DELIVERY_POINT`: once this many bytes of a message have arrived, the
    /// kernel starts handing it up in pieces (partial delivery); an abort in the middle is
    /// then reported as `SCTP_PARTIAL_DELIVERY_ABORTED`.
    pub fn set_partial_delivery_point(&self, bytes: u32) -> Result<(), SctpError> {
        self.set_bytes(
            SCTP_PARTIAL_DELIVERY_POINT,
            &bytes.to_ne_bytes(),
            "SCTP_PARTIAL_DELIVERY_POINT",
        )
    }

    /// `SCTP_NODELAY`: disables Nagle-like bundling delays.
    pub fn set_nodelay(&self, on: bool) -> Result<(), SctpError> {
        self.set_int(SCTP_NODELAY, i32::from(on), "SCTP_NODELAY")
    }

    /// `SCTP_PR_SUPPORTED`: offer PR-SCTP (partial reliability) on `assoc_id`.
    pub fn set_pr_supported(&self, assoc_id: AssocId, on: bool) -> Result<(), SctpError> {
        let buf = assoc_value(assoc_id, u32::from(on));
        self.set_bytes(SCTP_PR_SUPPORTED, &buf, "SCTP_PR_SUPPORTED")
    }

    /// `SCTP_ENABLE_STREAM_RESET`: which reconfiguration requests (`SCTP_ENABLE_*`) this end
    /// accepts on `assoc_id`.
    pub fn enable_stream_reset(&self, assoc_id: AssocId, flags: u32) -> Result<(), SctpError> {
        let buf = assoc_value(assoc_id, flags);
        self.set_bytes(SCTP_ENABLE_STREAM_RESET, &buf, "SCTP_ENABLE_STREAM_RESET")
    }

    /// `SCTP_RESET_STREAMS`: resets `streams` (all of them if empty) in the `flags`
    /// directions (`SCTP_STREAM_RESET_INCOMING`/`_OUTGOING`).
    pub fn reset_streams(
        &self,
        assoc_id: AssocId,
        flags: u16,
        streams: &[u16],
    ) -> Result<(), SctpError> {
        let count = u16::try_from(streams.len()).map_err(|_| SctpError::TooMany {
            what: "srs_stream_list",
            len: streams.len(),
        })?;
        let mut buf = Vec::with_capacity(8 + 2 * streams.len());
        buf.extend_from_slice(&assoc_id.to_ne_bytes());
        buf.extend_from_slice(&flags.to_ne_bytes());
        buf.extend_from_slice(&count.to_ne_bytes());
        for stream in streams {
            buf.extend_from_slice(&stream.to_ne_bytes());
        }
        self.set_bytes(SCTP_RESET_STREAMS, &buf, "SCTP_RESET_STREAMS")
    }

    /// `SCTP_RESET_ASSOC`: resets the TSNs of `assoc_id` (the peer must allow it with
    /// [`SCTP_ENABLE_RESET_ASSOC_REQ`]); both ends report `SCTP_ASSOC_RESET_EVENT`.
    pub fn reset_assoc(&self, assoc_id: AssocId) -> Result<(), SctpError> {
        self.set_bytes(
            SCTP_RESET_ASSOC,
            &assoc_id.to_ne_bytes(),
            "SCTP_RESET_ASSOC",
        )
    }

    /// `SCTP_ADD_STREAMS`: asks for `inbound` more incoming and `outbound` more outgoing
    /// streams on `assoc_id`.
    pub fn add_streams(
        &self,
        assoc_id: AssocId,
        inbound: u16,
        outbound: u16,
    ) -> Result<(), SctpError> {
        let mut buf = [0u8; 8];
        buf[..4].copy_from_slice(&assoc_id.to_ne_bytes());
        buf[4..6].copy_from_slice(&inbound.to_ne_bytes());
        buf[6..].copy_from_slice(&outbound.to_ne_bytes());
        self.set_bytes(SCTP_ADD_STREAMS, &buf, "SCTP_ADD_STREAMS")
    }

    /// `sctp_getpaddrs`: the peer's addresses on `assoc_id` (0 on a one-to-one socket).
    pub fn peer_addrs(&self, assoc_id: AssocId) -> Result<Vec<SocketAddr>, SctpError> {
        self.addrs(SCTP_GET_PEER_ADDRS, assoc_id, "SCTP_GET_PEER_ADDRS")
    }

    /// `sctp_getladdrs`: the local addresses of `assoc_id` (0: the socket's bound ones).
    pub fn local_addrs(&self, assoc_id: AssocId) -> Result<Vec<SocketAddr>, SctpError> {
        self.addrs(SCTP_GET_LOCAL_ADDRS, assoc_id, "SCTP_GET_LOCAL_ADDRS")
    }

    fn addrs(
        &self,
        name: libc::c_int,
        assoc_id: AssocId,
        operation: &'static str,
    ) -> Result<Vec<SocketAddr>, SctpError> {
        // struct sctp_getaddrs { sctp_assoc_t assoc_id; __u32 addr_num; __u8 addrs[]; }
        let mut buf = vec![0u8; 8 + MAX_ADDRS * sockaddr::SOCKADDR_IN6_LEN];
        buf[..4].copy_from_slice(&assoc_id.to_ne_bytes());
        let len = self.get_bytes(name, &mut buf, operation)?;
        // Linux reports in optlen only the bytes of the addresses, not the 8-byte header
        // (a known quirk kept for compatibility; see the XXX in sctp_getsockopt_*_addrs).
        let filled = buf.get(..len.saturating_add(8)).unwrap_or(&buf);
        let count = filled
            .get(4..8)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_ne_bytes)
            .unwrap_or(0);
        Ok(sockaddr::read_list(
            filled.get(8..).unwrap_or(&[]),
            count as usize,
        ))
    }
}
