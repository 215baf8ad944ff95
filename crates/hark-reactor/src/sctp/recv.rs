//! `recvv`: `recvmsg(2)` with `SCTP_RCVINFO`/`SCTP_NXTINFO`, reassembling notifications.

use super::cmsg;
use super::consts::{MSG_NOTIFICATION, SCTP_NXTINFO_CMSG, SCTP_RCVINFO_CMSG, SOL_SCTP};
use super::error::SctpError;
use super::sockaddr;
use super::socket::SctpSocket;
use hark_wire::sctp::{Abi, Layout, Notification, NxtInfo, ParseError, RcvInfo};
use std::net::SocketAddr;
use std::os::fd::AsRawFd;

/// One message (or piece of one) as `sctp_recvv` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The user data, or the complete notification when [`is_notification`](Self::is_notification).
    pub data: Vec<u8>,
    /// The address the data came from, if the kernel gave one.
    pub from: Option<SocketAddr>,
    /// `SCTP_RCVINFO` of user data (stream, ssn, ppid, tsn, assoc id, ...).
    pub rcvinfo: Option<RcvInfo>,
    /// `SCTP_NXTINFO`: what the next message waiting on the socket is.
    pub nxtinfo: Option<NxtInfo>,
    /// The `msg_flags` of the (last) read: `MSG_NOTIFICATION`, `MSG_EOR`, ...
    pub flags: i32,
}

impl Received {
    /// True if this is a notification (`MSG_NOTIFICATION`), not user data.
    pub fn is_notification(&self) -> bool {
        self.flags & MSG_NOTIFICATION != 0
    }

    /// True if the message is complete (`MSG_EOR`); user data larger than the read size
    /// arrives in pieces, the last one with `MSG_EOR`.
    pub fn is_eor(&self) -> bool {
        self.flags & libc::MSG_EOR != 0
    }

    /// True at end of stream: a one-to-one socket whose association has shut down reads
    /// zero bytes (SCTP has no empty user messages, so this cannot be data).
    pub fn is_eof(&self) -> bool {
        !self.is_notification() && self.data.is_empty()
    }

    /// The notification, parsed in the Linux layout, or `None` for user data.
    pub fn notification(&self) -> Option<Result<Notification<'_>, ParseError>> {
        self.is_notification()
            .then(|| Notification::parse(&self.data, Abi::new(Layout::Linux)))
    }
}

/// What one recvmsg(2) gave.
struct Read {
    len: usize,
    from: Option<SocketAddr>,
    rcvinfo: Option<RcvInfo>,
    nxtinfo: Option<NxtInfo>,
    flags: i32,
}

impl SctpSocket {
    /// `sctp_recvv`: reads up to `max_len` bytes of the next message. A notification that
    /// does not fit is read in `max_len` pieces until `MSG_EOR` and returned whole (bounded by
    /// [`DEFAULT_MAX_NOTIFICATION`](hark_wire::sctp::DEFAULT_MAX_NOTIFICATION)); on a
    /// non-blocking socket the pieces read so far are kept for the next call. User data
    /// larger than `max_len` is returned piece by piece, the last with `MSG_EOR`.
    pub fn recvv(&mut self, max_len: usize) -> Result<Received, SctpError> {
        let mut buf = vec![0u8; max_len.max(1)];
        loop {
            let read = self.recvmsg(&mut buf)?;
            let piece = buf.get(..read.len).unwrap_or(&buf);
            if read.flags & MSG_NOTIFICATION == 0 {
                return Ok(Received {
                    data: piece.to_vec(),
                    from: read.from,
                    rcvinfo: read.rcvinfo,
                    nxtinfo: read.nxtinfo,
                    flags: read.flags,
                });
            }
            let eor = read.flags & libc::MSG_EOR != 0;
            if let Some(whole) = self.assembler.push(piece, eor)? {
                return Ok(Received {
                    data: whole.to_vec(),
                    from: read.from,
                    rcvinfo: None,
                    nxtinfo: read.nxtinfo,
                    flags: read.flags,
                });
            }
            if read.len == 0 {
                // A zero-length piece without MSG_EOR would loop forever; report it as is.
                return Err(SctpError::Io {
                    operation: "recvmsg",
                    source: std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "empty notification piece without MSG_EOR",
                    ),
                });
            }
        }
    }

    fn recvmsg(&self, buf: &mut [u8]) -> Result<Read, SctpError> {
        let mut name = [0u8; 128];
        let mut control = [0u8; 2 * cmsg::space(32)];
        let mut iov = libc::iovec {
            iov_base: buf.as_mut_ptr().cast(),
            iov_len: buf.len(),
        };
        // SAFETY: msghdr is plain old data (pointers, lengths, flags); all-zero is valid.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_name = name.as_mut_ptr().cast();
        msg.msg_namelen = name.len() as libc::socklen_t;
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = control.len();
        // SAFETY: every pointer in `msg` refers to a live, writable buffer of the stated
        // length (name, one iovec over `buf`, control) for the whole call; the kernel writes
        // at most those lengths and reports what it wrote in `msg`.
        let got = unsafe { libc::recvmsg(self.fd.as_raw_fd(), &mut msg, 0) };
        if got < 0 {
            return Err(SctpError::last_os("recvmsg"));
        }
        let name_len = (msg.msg_namelen as usize).min(name.len());
        let from = sockaddr::read(name.get(..name_len).unwrap_or(&[])).map(|(addr, _)| addr);
        let control_len = msg.msg_controllen.min(control.len());
        let (mut rcvinfo, mut nxtinfo) = (None, None);
        for (level, kind, data) in cmsg::iter(control.get(..control_len).unwrap_or(&[])) {
            let decode = |what| move |source| SctpError::Decode { what, source };
            match (level, kind) {
                (SOL_SCTP, SCTP_RCVINFO_CMSG) => {
                    rcvinfo = Some(
                        RcvInfo::parse(data, Abi::new(Layout::Linux))
                            .map_err(decode("sctp_rcvinfo"))?,
                    );
                }
                (SOL_SCTP, SCTP_NXTINFO_CMSG) => {
                    nxtinfo = Some(
                        NxtInfo::parse(data, Abi::new(Layout::Linux))
                            .map_err(decode("sctp_nxtinfo"))?,
                    );
                }
                _ => {}
            }
        }
        Ok(Read {
            len: got.unsigned_abs(),
            from,
            rcvinfo,
            nxtinfo,
            flags: msg.msg_flags,
        })
    }
}
