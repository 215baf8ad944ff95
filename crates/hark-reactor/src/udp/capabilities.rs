//! What the kernel offers a socket: batching, GSO/GRO and the buffer sizes it granted.

use std::io;
use std::os::fd::RawFd;

use super::sockopt;

/// The most datagrams moved by one `recvmmsg`/`sendmmsg` call.
pub const MAX_BATCH: usize = 64;

/// The most segments one UDP GSO send may carry (the kernel's `UDP_MAX_SEGMENTS` on
/// every kernel that has GSO).
pub const MAX_GSO_SEGMENTS: usize = 64;

/// What a [`BatchSocket`](super::BatchSocket) detected at creation and may later learn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// UDP generic receive offload is enabled: one receive may carry many datagrams.
    pub gro: bool,
    /// The most datagrams coalesced into one send with UDP GSO; 1 when GSO is off.
    pub gso_max_segments: usize,
    /// Datagrams per `recvmmsg`/`sendmmsg` call.
    pub batch_size: usize,
    /// The receive buffer size that was asked for, in bytes.
    pub recv_buffer_requested: usize,
    /// `SO_RCVBUF` as the kernel reports it after the request (Linux reports twice the
    /// usable size it set, capped by `net.core.rmem_max` unless forced).
    pub recv_buffer_granted: usize,
    /// Whether `SO_RCVBUFFORCE` was needed and accepted to pass `rmem_max`.
    pub recv_buffer_forced: bool,
    /// The send buffer size that was asked for, in bytes.
    pub send_buffer_requested: usize,
    /// `SO_SNDBUF` as the kernel reports it after the request.
    pub send_buffer_granted: usize,
    /// Whether `SO_SNDBUFFORCE` was needed and accepted to pass `wmem_max`.
    pub send_buffer_forced: bool,
}

/// Whether the kernel knows the `UDP_SEGMENT` option (GSO, Linux 4.18+).
pub(crate) fn detect_gso(fd: RawFd) -> bool {
    sockopt::get_int(fd, libc::SOL_UDP, libc::UDP_SEGMENT).is_ok()
}

/// Turns on UDP GRO (Linux 5.0+); `false` when the kernel refuses.
pub(crate) fn enable_gro(fd: RawFd) -> bool {
    sockopt::set_int(fd, libc::SOL_UDP, libc::UDP_GRO, 1).is_ok()
}

/// The outcome of asking for a socket buffer size.
pub(crate) struct GrantedBuffer {
    pub(crate) granted: usize,
    pub(crate) forced: bool,
}

/// Asks for a buffer of `requested` bytes with `plain` (`SO_RCVBUF`/`SO_SNDBUF`); when the
/// kernel caps it (at `rmem_max`/`wmem_max`), retries with `force` (`SO_*BUFFORCE`), which
/// only succeeds with `CAP_NET_ADMIN`. Reports what the kernel granted. A request of 0
/// leaves the OS default untouched.
pub(crate) fn request_buffer(
    fd: RawFd,
    plain: libc::c_int,
    force: libc::c_int,
    requested: usize,
) -> io::Result<GrantedBuffer> {
    if requested == 0 {
        return Ok(GrantedBuffer {
            granted: read_size(fd, plain)?,
            forced: false,
        });
    }
    let value = libc::c_int::try_from(requested).unwrap_or(libc::c_int::MAX);
    // A refused plain request is not fatal: the socket keeps its default size.
    let _ = sockopt::set_int(fd, libc::SOL_SOCKET, plain, value);
    let mut granted = read_size(fd, plain)?;
    let mut forced = false;
    // Linux reports double the request (its bookkeeping overhead) when it was honoured.
    if granted < requested.saturating_mul(2)
        && sockopt::set_int(fd, libc::SOL_SOCKET, force, value).is_ok()
    {
        let after = read_size(fd, plain)?;
        forced = after > granted;
        granted = after;
    }
    Ok(GrantedBuffer { granted, forced })
}

fn read_size(fd: RawFd, name: libc::c_int) -> io::Result<usize> {
    let size = sockopt::get_int(fd, libc::SOL_SOCKET, name)?;
    Ok(usize::try_from(size).unwrap_or(0))
}
