//! Building `sendmmsg` batches from the send queue, coalescing runs for UDP GSO.

use std::io;
use std::os::fd::RawFd;
use std::ptr;

use super::capabilities::MAX_BATCH;
use super::control::{self, ControlBuf};
use super::send_queue::SendQueue;
use super::sockaddr::RawSockAddr;

/// The most iovecs (datagrams) one `sendmmsg` call carries.
const MAX_IOV: usize = 512;

/// The largest UDP payload one GSO send may carry (IPv6 bound, which is also below IPv4's).
const MAX_GSO_BYTES: usize = 65_487;

/// What one `sendmmsg` call did.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sent {
    /// Datagrams handed to the kernel (and removed from the queue).
    pub(crate) datagrams: usize,
}

/// A failed first message: the error and how many datagrams that message carried.
#[derive(Debug)]
pub(crate) struct SendFailure {
    pub(crate) error: io::Error,
    pub(crate) first_segments: usize,
}

/// Sends one batch of up to `batch` messages from the front of `queue`, all with the same
/// don't-fragment flag as the oldest datagram. Consecutive datagrams to one destination
/// whose sizes equal the first (the last may be shorter) become one GSO message of at
/// most `gso_segments` datagrams. Sent datagrams leave the queue; the rest stay.
pub(crate) fn send_once(
    fd: RawFd,
    ipv6_socket: bool,
    queue: &mut SendQueue,
    batch: usize,
    gso_segments: usize,
) -> Result<Sent, SendFailure> {
    let mut iovecs = [libc::iovec {
        iov_base: ptr::null_mut(),
        iov_len: 0,
    }; MAX_IOV];
    let mut names = [RawSockAddr::zeroed(); MAX_BATCH];
    let mut name_lens = [0 as libc::socklen_t; MAX_BATCH];
    let mut controls = [ControlBuf::new(); MAX_BATCH];
    let mut control_lens = [0usize; MAX_BATCH];
    let mut counts = [0usize; MAX_BATCH];
    let batch = batch.clamp(1, MAX_BATCH);
    let Some((first, _)) = queue.get(0) else {
        return Ok(Sent { datagrams: 0 });
    };
    let dont_fragment = first.dont_fragment;
    let arena = queue.arena_ptr();

    let mut messages = 0;
    let mut next = 0;
    let mut iov_used = 0;
    while messages < batch && iov_used < MAX_IOV {
        let Some((lead, lead_at)) = queue.get(next) else {
            break;
        };
        if lead.dont_fragment != dont_fragment {
            break;
        }
        iovecs[iov_used] = libc::iovec {
            iov_base: arena.wrapping_add(lead_at).cast(),
            iov_len: lead.len,
        };
        let mut count = 1;
        let mut total = lead.len;
        let mut last_len = lead.len;
        let segment = u16::try_from(lead.len).ok().filter(|&s| s > 0);
        while let Some(segment) = segment {
            if count >= gso_segments
                || iov_used + count >= MAX_IOV
                || last_len != usize::from(segment)
            {
                break;
            }
            let Some((more, more_at)) = queue.get(next + count) else {
                break;
            };
            if more.destination != lead.destination
                || more.dont_fragment != dont_fragment
                || more.len == 0
                || more.len > usize::from(segment)
                || total + more.len > MAX_GSO_BYTES
            {
                break;
            }
            iovecs[iov_used + count] = libc::iovec {
                iov_base: arena.wrapping_add(more_at).cast(),
                iov_len: more.len,
            };
            total += more.len;
            last_len = more.len;
            count += 1;
        }
        let (name, len) = RawSockAddr::encode(lead.destination, ipv6_socket);
        names[messages] = name;
        name_lens[messages] = len;
        if count > 1 {
            // `segment` is Some whenever count > 1.
            let size = segment.unwrap_or(0);
            control_lens[messages] = control::write_segment_size(&mut controls[messages], size);
        }
        counts[messages] = count;
        messages += 1;
        next += count;
        iov_used += count;
    }

    // SAFETY: `mmsghdr` is plain old data (integers and raw pointers); all-zero is valid.
    let mut hdrs: [libc::mmsghdr; MAX_BATCH] = unsafe { std::mem::zeroed() };
    let iov_base = iovecs.as_mut_ptr();
    let mut iov_at = 0;
    for m in 0..messages {
        let hdr = &mut hdrs[m].msg_hdr;
        hdr.msg_name = names[m].as_mut_ptr();
        hdr.msg_namelen = name_lens[m];
        hdr.msg_iov = iov_base.wrapping_add(iov_at);
        hdr.msg_iovlen = counts[m] as _;
        if control_lens[m] > 0 {
            hdr.msg_control = controls[m].as_mut_ptr();
            hdr.msg_controllen = control_lens[m] as _;
        }
        iov_at += counts[m];
    }

    let sent = loop {
        // SAFETY: `hdrs[..messages]` point at live local address, iovec and control
        // arrays with their true lengths, and every iovec at a queued slot of `queue`
        // (within its arena, `len` <= slot size); the kernel only reads them, and the
        // queue is not touched until the call returns.
        let rc = unsafe { libc::sendmmsg(fd, hdrs.as_mut_ptr(), messages as libc::c_uint, 0) };
        if rc >= 0 {
            break rc as usize;
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(SendFailure {
                error,
                first_segments: counts[0],
            });
        }
    };
    let datagrams = counts.iter().take(sent).sum();
    queue.pop_front(datagrams);
    Ok(Sent { datagrams })
}
