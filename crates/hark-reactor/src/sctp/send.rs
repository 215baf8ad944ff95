//! `sendv`: `sendmsg(2)` with an `SCTP_SNDINFO` (and optionally `SCTP_PRINFO`) control message.

use super::cmsg;
use super::consts::{SCTP_PRINFO_CMSG, SCTP_SNDINFO_CMSG, SOL_SCTP};
use super::error::SctpError;
use super::sockaddr;
use super::socket::{SctpSocket, socklen};
use hark_wire::sctp::{Abi, Layout, SndInfo};
use std::net::SocketAddr;
use std::os::fd::AsRawFd;

/// `snd_flags` bit `SCTP_UNORDERED`: deliver without ordering.
pub const SCTP_UNORDERED: u16 = 1 << 0;
/// `snd_flags` bit `SCTP_ADDR_OVER`: send to the given address, not the primary.
pub const SCTP_ADDR_OVER: u16 = 1 << 1;
/// `snd_flags` bit `SCTP_ABORT`: abort the association (the data is the user abort reason).
pub const SCTP_ABORT: u16 = 1 << 2;
/// `snd_flags` bit `SCTP_SACK_IMMEDIATELY`.
pub const SCTP_SACK_IMMEDIATELY: u16 = 1 << 3;
/// `snd_flags` bit `SCTP_SENDALL`: send to every association of a one-to-many socket.
pub const SCTP_SENDALL: u16 = 1 << 6;
/// `snd_flags` bit `SCTP_EOF` (`= MSG_FIN`): start a graceful shutdown.
pub const SCTP_EOF: u16 = libc::MSG_FIN as u16;

/// `pr_policy` `SCTP_PR_SCTP_NONE`: fully reliable.
pub const SCTP_PR_SCTP_NONE: u16 = 0x0000;
/// `pr_policy` `SCTP_PR_SCTP_TTL`: abandon after `pr_value` milliseconds.
pub const SCTP_PR_SCTP_TTL: u16 = 0x0010;
/// `pr_policy` `SCTP_PR_SCTP_RTX`: abandon after `pr_value` retransmissions.
pub const SCTP_PR_SCTP_RTX: u16 = 0x0020;
/// `pr_policy` `SCTP_PR_SCTP_PRIO`: abandon by priority.
pub const SCTP_PR_SCTP_PRIO: u16 = 0x0030;

/// `struct sctp_prinfo`: a partial-reliability policy for one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PrInfo {
    /// `pr_policy` (`SCTP_PR_SCTP_*`).
    pub pr_policy: u16,
    /// `pr_value`: milliseconds, retransmissions or priority, per policy.
    pub pr_value: u32,
}

impl PrInfo {
    /// `struct sctp_prinfo { __u16 pr_policy; __u32 pr_value; }`: 8 bytes with padding.
    fn to_bytes(self) -> [u8; 8] {
        let mut buf = [0u8; 8];
        buf[..2].copy_from_slice(&self.pr_policy.to_ne_bytes());
        buf[4..].copy_from_slice(&self.pr_value.to_ne_bytes());
        buf
    }
}

impl SctpSocket {
    /// `sctp_sendv` with an `SCTP_SNDINFO`: sends `data` as one message on
    /// `info.snd_sid` with `info.snd_ppid`, `snd_context`, `snd_flags` (e.g. [`SCTP_EOF`],
    /// [`SCTP_ABORT`]) to `info.snd_assoc_id` or, on a one-to-many socket, to `to`
    /// (which also sets up an association implicitly). `pr` adds an `SCTP_PRINFO`.
    /// Returns the bytes accepted.
    pub fn sendv(
        &self,
        data: &[u8],
        to: Option<SocketAddr>,
        info: &SndInfo,
        pr: Option<PrInfo>,
    ) -> Result<usize, SctpError> {
        let mut sndinfo = [0u8; 16];
        info.emit(&mut sndinfo, Abi::new(Layout::Linux))
            .map_err(|source| SctpError::Encode {
                what: "sctp_sndinfo",
                source,
            })?;
        let mut control = Vec::with_capacity(cmsg::space(16) + cmsg::space(8));
        cmsg::push(&mut control, SOL_SCTP, SCTP_SNDINFO_CMSG, &sndinfo);
        if let Some(pr) = pr {
            cmsg::push(&mut control, SOL_SCTP, SCTP_PRINFO_CMSG, &pr.to_bytes());
        }
        let mut name = Vec::new();
        if let Some(addr) = &to {
            sockaddr::push(&mut name, addr)?;
        }
        let name_len = socklen(name.len(), "sendmsg")?;
        let mut iov = libc::iovec {
            iov_base: data.as_ptr().cast_mut().cast(),
            iov_len: data.len(),
        };
        // SAFETY: msghdr is plain old data (pointers, lengths, flags); all-zero is valid.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        if !name.is_empty() {
            msg.msg_name = name.as_mut_ptr().cast();
            msg.msg_namelen = name_len;
        }
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = control.len();
        // SAFETY: every pointer in `msg` (name, one iovec over `data`, control) refers to a
        // live buffer of the stated length for the whole call; sendmsg(2) only reads them.
        let sent = unsafe { libc::sendmsg(self.fd.as_raw_fd(), &msg, libc::MSG_NOSIGNAL) };
        if sent < 0 {
            return Err(SctpError::last_os("sendmsg"));
        }
        Ok(sent.unsigned_abs())
    }
}
