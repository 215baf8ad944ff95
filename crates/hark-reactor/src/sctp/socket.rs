//! The SCTP socket: creation, bind/connect/listen/accept, and its mio registration.

use super::consts::{
    SCTP_RECVNXTINFO, SCTP_RECVRCVINFO, SCTP_SOCKOPT_BINDX_ADD, SCTP_SOCKOPT_CONNECTX,
    SCTP_SOCKOPT_CONNECTX3, SOL_SCTP,
};
use super::error::SctpError;
use super::sockaddr;
use hark_wire::sctp::NotificationAssembler;
use mio::unix::SourceFd;
use mio::{Interest, Registry, Token};
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

/// The two SCTP socket styles of RFC 6458.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SocketStyle {
    /// One-to-many (`SOCK_SEQPACKET`): one socket, many associations told apart by assoc id.
    OneToMany,
    /// One-to-one (`SOCK_STREAM`): one association per socket, TCP-like listen/accept.
    OneToOne,
}

/// The address family of a new socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Domain {
    /// `AF_INET`.
    Ipv4,
    /// `AF_INET6` (also accepts IPv4 peers unless `IPV6_V6ONLY`).
    Ipv6,
}

/// An SCTP association id (`sctp_assoc_t`).
pub type AssocId = u32;

/// `struct sctp_getaddrs_old` of `linux/sctp.h`, the argument of `SCTP_SOCKOPT_CONNECTX3`:
/// the assoc id (written back), the byte length of the packed addresses, and a pointer to
/// them.
#[repr(C)]
#[allow(dead_code)] // `addr_num` and `addrs` are read by the kernel only.
struct ConnectxParam {
    assoc_id: i32,
    addr_num: i32,
    addrs: *const u8,
}

/// A Linux kernel SCTP socket.
#[derive(Debug)]
pub struct SctpSocket {
    pub(crate) fd: OwnedFd,
    style: SocketStyle,
    pub(crate) assembler: NotificationAssembler,
}

impl SctpSocket {
    /// Opens a socket with `SCTP_RECVRCVINFO` and `SCTP_RECVNXTINFO` on, so that
    /// [`recvv`](Self::recvv) reports both. [`SctpError::Unsupported`] if the kernel has no SCTP.
    pub fn new(domain: Domain, style: SocketStyle) -> Result<Self, SctpError> {
        let family = match domain {
            Domain::Ipv4 => libc::AF_INET,
            Domain::Ipv6 => libc::AF_INET6,
        };
        let kind = match style {
            SocketStyle::OneToMany => libc::SOCK_SEQPACKET,
            SocketStyle::OneToOne => libc::SOCK_STREAM,
        };
        // SAFETY: socket(2) takes no pointers; a non-negative result is a new descriptor
        // that nothing else owns.
        let fd = unsafe { libc::socket(family, kind | libc::SOCK_CLOEXEC, libc::IPPROTO_SCTP) };
        if fd < 0 {
            return Err(SctpError::last_os("socket"));
        }
        // SAFETY: `fd` was just returned by socket(2) and is owned by no one else.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let socket = SctpSocket::from_owned(fd, style);
        socket.set_int(SCTP_RECVRCVINFO, 1, "SCTP_RECVRCVINFO")?;
        socket.set_int(SCTP_RECVNXTINFO, 1, "SCTP_RECVNXTINFO")?;
        Ok(socket)
    }

    fn from_owned(fd: OwnedFd, style: SocketStyle) -> Self {
        SctpSocket {
            fd,
            style,
            assembler: NotificationAssembler::default(),
        }
    }

    /// The socket style.
    pub fn style(&self) -> SocketStyle {
        self.style
    }

    /// `sctp_bindx(SCTP_BINDX_ADD_ADDR)`: binds to every address of `addrs` (one port).
    pub fn bindx(&self, addrs: &[SocketAddr]) -> Result<(), SctpError> {
        let packed = sockaddr::pack(addrs, "sctp_bindx")?;
        self.set_bytes(SCTP_SOCKOPT_BINDX_ADD, &packed, "sctp_bindx")
    }

    /// `sctp_connectx`: starts an association to a peer reachable at any of `addrs`, and
    /// returns its assoc id. A blocking socket waits for the handshake. A non-blocking one
    /// returns at once: with the id while the handshake goes on (`SCTP_COMM_UP` reports
    /// its end), or, on a kernel older than `SCTP_SOCKOPT_CONNECTX3` (Linux 2.6.30), with an
    /// error for which [`SctpError::is_in_progress`] is true (the id then comes with
    /// `SCTP_COMM_UP`).
    pub fn connectx(&self, addrs: &[SocketAddr]) -> Result<AssocId, SctpError> {
        let packed = sockaddr::pack(addrs, "sctp_connectx")?;
        match self.connectx3(&packed) {
            Err(SctpError::Unsupported {
                errno: libc::ENOPROTOOPT,
                ..
            }) => self.connectx_old(&packed),
            other => other,
        }
    }

    /// `getsockopt(SCTP_SOCKOPT_CONNECTX3)`: what libsctp's `sctp_connectx` tries first; the
    /// kernel writes the assoc id back even when the handshake is still in progress.
    fn connectx3(&self, packed: &[u8]) -> Result<AssocId, SctpError> {
        let mut param = ConnectxParam {
            assoc_id: 0,
            addr_num: i32::try_from(packed.len()).map_err(|_| SctpError::TooMany {
                what: "sctp_connectx",
                len: packed.len(),
            })?,
            addrs: packed.as_ptr(),
        };
        let mut len = socklen(std::mem::size_of::<ConnectxParam>(), "sctp_connectx")?;
        // SAFETY: `param` is a live, writable `struct sctp_getaddrs_old` of `len` bytes whose
        // `addrs` points to `packed` (`addr_num` bytes), which outlives the call; the kernel
        // reads the addresses and writes back at most `len` bytes (the assoc id) into `param`.
        let ret = unsafe {
            libc::getsockopt(
                self.fd.as_raw_fd(),
                SOL_SCTP,
                SCTP_SOCKOPT_CONNECTX3,
                (&raw mut param).cast(),
                &mut len,
            )
        };
        if ret < 0 {
            let err = std::io::Error::last_os_error();
            if err.raw_os_error() == Some(libc::EINPROGRESS) {
                return Ok(param.assoc_id.unsigned_abs());
            }
            return Err(SctpError::from_io("sctp_connectx", err));
        }
        Ok(param.assoc_id.unsigned_abs())
    }

    /// `setsockopt(SCTP_SOCKOPT_CONNECTX)`: the assoc id is the return value (none while a
    /// non-blocking handshake is in progress).
    fn connectx_old(&self, packed: &[u8]) -> Result<AssocId, SctpError> {
        let len = socklen(packed.len(), "sctp_connectx")?;
        // SAFETY: the pointer and length describe `packed`, which outlives the call; the
        // kernel only reads it. SCTP_SOCKOPT_CONNECTX returns the new assoc id.
        let ret = unsafe {
            libc::setsockopt(
                self.fd.as_raw_fd(),
                SOL_SCTP,
                SCTP_SOCKOPT_CONNECTX,
                packed.as_ptr().cast(),
                len,
            )
        };
        if ret < 0 {
            return Err(SctpError::last_os("sctp_connectx"));
        }
        Ok(ret.unsigned_abs())
    }

    /// `listen(2)`: one-to-one sockets accept associations, one-to-many ones allow them.
    pub fn listen(&self, backlog: i32) -> Result<(), SctpError> {
        // SAFETY: listen(2) takes no pointers.
        let ret = unsafe { libc::listen(self.fd.as_raw_fd(), backlog) };
        if ret < 0 {
            return Err(SctpError::last_os("listen"));
        }
        Ok(())
    }

    /// `accept(2)` on a listening one-to-one socket: the new association's socket and the
    /// peer's primary address. The new socket inherits the listener's options.
    pub fn accept(&self) -> Result<(SctpSocket, Option<SocketAddr>), SctpError> {
        let mut storage = [0u8; 128];
        let mut len = socklen(storage.len(), "accept")?;
        // SAFETY: `storage` is writable for `len` bytes and `len` is a valid in/out length;
        // the kernel writes at most that many bytes.
        let fd = unsafe {
            libc::accept4(
                self.fd.as_raw_fd(),
                storage.as_mut_ptr().cast(),
                &mut len,
                libc::SOCK_CLOEXEC,
            )
        };
        if fd < 0 {
            return Err(SctpError::last_os("accept"));
        }
        // SAFETY: `fd` is a new descriptor returned by accept4(2), owned by no one else.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let filled = storage.get(..len as usize).unwrap_or(&storage);
        let peer = sockaddr::read(filled).map(|(addr, _)| addr);
        Ok((SctpSocket::from_owned(fd, SocketStyle::OneToOne), peer))
    }

    /// The first local address (`getsockname(2)`); see
    /// [`local_addrs`](Self::local_addrs) for all of them.
    pub fn local_addr(&self) -> Result<SocketAddr, SctpError> {
        let mut storage = [0u8; 128];
        let mut len = socklen(storage.len(), "getsockname")?;
        // SAFETY: `storage` is writable for `len` bytes; the kernel writes at most `len`.
        let ret = unsafe {
            libc::getsockname(self.fd.as_raw_fd(), storage.as_mut_ptr().cast(), &mut len)
        };
        if ret < 0 {
            return Err(SctpError::last_os("getsockname"));
        }
        let filled = storage.get(..len as usize).unwrap_or(&storage);
        sockaddr::read(filled)
            .map(|(addr, _)| addr)
            .ok_or(SctpError::Io {
                operation: "getsockname",
                source: std::io::Error::new(std::io::ErrorKind::InvalidData, "not an IP address"),
            })
    }

    /// `shutdown(2)`: on a one-to-one socket, `Write` or `Both` starts SCTP's graceful
    /// shutdown (one-to-many sockets use [`SCTP_EOF`](super::SCTP_EOF) per association).
    pub fn shutdown(&self, how: std::net::Shutdown) -> Result<(), SctpError> {
        let how = match how {
            std::net::Shutdown::Read => libc::SHUT_RD,
            std::net::Shutdown::Write => libc::SHUT_WR,
            std::net::Shutdown::Both => libc::SHUT_RDWR,
        };
        // SAFETY: shutdown(2) takes no pointers.
        if unsafe { libc::shutdown(self.fd.as_raw_fd(), how) } < 0 {
            return Err(SctpError::last_os("shutdown"));
        }
        Ok(())
    }

    /// Switches `O_NONBLOCK` (needed before registering with mio).
    pub fn set_nonblocking(&self, nonblocking: bool) -> Result<(), SctpError> {
        let fd = self.fd.as_raw_fd();
        // SAFETY: fcntl(2) F_GETFL/F_SETFL take no pointers.
        let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
        if flags < 0 {
            return Err(SctpError::last_os("fcntl(F_GETFL)"));
        }
        let flags = if nonblocking {
            flags | libc::O_NONBLOCK
        } else {
            flags & !libc::O_NONBLOCK
        };
        // SAFETY: as above.
        if unsafe { libc::fcntl(fd, libc::F_SETFL, flags) } < 0 {
            return Err(SctpError::last_os("fcntl(F_SETFL)"));
        }
        Ok(())
    }

    /// `setsockopt(SOL_SCTP, name)` with an `int`.
    pub(crate) fn set_int(
        &self,
        name: libc::c_int,
        value: libc::c_int,
        operation: &'static str,
    ) -> Result<(), SctpError> {
        self.set_bytes(name, &value.to_ne_bytes(), operation)
    }

    /// `setsockopt(SOL_SCTP, name)` with raw struct bytes.
    pub(crate) fn set_bytes(
        &self,
        name: libc::c_int,
        value: &[u8],
        operation: &'static str,
    ) -> Result<(), SctpError> {
        let len = socklen(value.len(), operation)?;
        // SAFETY: the pointer and length describe `value`, which outlives the call; the
        // kernel copies the bytes and does not keep the pointer.
        let ret = unsafe {
            libc::setsockopt(
                self.fd.as_raw_fd(),
                SOL_SCTP,
                name,
                value.as_ptr().cast(),
                len,
            )
        };
        if ret < 0 {
            return Err(SctpError::last_os(operation));
        }
        Ok(())
    }

    /// `getsockopt(SOL_SCTP, name)` into `buf` (which also carries the input struct); returns
    /// the length the kernel reported.
    pub(crate) fn get_bytes(
        &self,
        name: libc::c_int,
        buf: &mut [u8],
        operation: &'static str,
    ) -> Result<usize, SctpError> {
        let mut len = socklen(buf.len(), operation)?;
        // SAFETY: `buf` is readable and writable for `len` bytes and `len` is a valid in/out
        // length; the kernel writes at most `len` bytes.
        let ret = unsafe {
            libc::getsockopt(
                self.fd.as_raw_fd(),
                SOL_SCTP,
                name,
                buf.as_mut_ptr().cast(),
                &mut len,
            )
        };
        if ret < 0 {
            return Err(SctpError::last_os(operation));
        }
        Ok(len as usize)
    }
}

pub(crate) fn socklen(len: usize, operation: &'static str) -> Result<libc::socklen_t, SctpError> {
    libc::socklen_t::try_from(len).map_err(|_| SctpError::TooMany {
        what: operation,
        len,
    })
}

impl AsRawFd for SctpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl AsFd for SctpSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl mio::event::Source for SctpSocket {
    fn register(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> std::io::Result<()> {
        SourceFd(&self.fd.as_raw_fd()).register(registry, token, interests)
    }

    fn reregister(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> std::io::Result<()> {
        SourceFd(&self.fd.as_raw_fd()).reregister(registry, token, interests)
    }

    fn deregister(&mut self, registry: &Registry) -> std::io::Result<()> {
        SourceFd(&self.fd.as_raw_fd()).deregister(registry)
    }
}
