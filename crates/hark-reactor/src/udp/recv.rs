//! Preallocated receive buffers and the `recvmmsg` call, with GRO segment splitting.

use std::io;
use std::net::SocketAddr;
use std::os::fd::RawFd;
use std::ptr;

use super::capabilities::MAX_BATCH;
use super::control::{self, CONTROL_LEN, ControlBuf};
use super::sockaddr::{RAW_SOCKADDR_LEN, RawSockAddr};

/// Room for one received message: the largest UDP payload, or a GRO-coalesced train.
pub const RECV_SLOT_SIZE: usize = 1 << 16;

/// One received message: possibly several datagrams of `segment_size` bytes each.
#[derive(Clone, Copy)]
struct Message {
    source: SocketAddr,
    len: usize,
    segment_size: usize,
}

/// Buffers for one batch of received datagrams, reused for every call (no allocation in
/// steady state).
pub struct RecvBuffers {
    data: Box<[u8]>,
    names: Box<[RawSockAddr]>,
    controls: Box<[ControlBuf]>,
    messages: Vec<Message>,
    batch: usize,
    truncated: u64,
    kernel_drops: u32,
}

impl RecvBuffers {
    /// Buffers for batches of `batch` messages (clamped to `1..=MAX_BATCH`).
    pub fn new(batch: usize) -> Self {
        let batch = batch.clamp(1, MAX_BATCH);
        RecvBuffers {
            data: vec![0; batch * RECV_SLOT_SIZE].into_boxed_slice(),
            names: vec![RawSockAddr::zeroed(); batch].into_boxed_slice(),
            controls: vec![ControlBuf::new(); batch].into_boxed_slice(),
            messages: Vec::with_capacity(batch),
            batch,
            truncated: 0,
            kernel_drops: 0,
        }
    }

    /// Messages per receive call.
    pub fn batch(&self) -> usize {
        self.batch
    }

    /// How many datagrams the last receive produced (GRO trains counted per segment).
    pub fn len(&self) -> usize {
        self.messages
            .iter()
            .map(|m| m.len.div_ceil(m.segment_size.max(1)))
            .sum()
    }

    /// Whether the last receive produced no datagram.
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    /// Datagrams dropped so far because they did not fit a slot.
    pub fn truncated(&self) -> u64 {
        self.truncated
    }

    /// Datagrams the kernel dropped on this socket because its receive buffer was full
    /// (`SO_RXQ_OVFL`; a wrapping 32-bit count, 0 when the kernel does not report it).
    /// The kernel stamps the count on each datagram as it is queued, so this is the
    /// tally up to the latest datagram received, not drops after it.
    pub fn kernel_drops(&self) -> u32 {
        self.kernel_drops
    }

    /// The datagrams of the last receive, in arrival order, with their source.
    pub fn datagrams(&self) -> impl Iterator<Item = (SocketAddr, &[u8])> + '_ {
        self.messages.iter().enumerate().flat_map(move |(i, m)| {
            let start = i * RECV_SLOT_SIZE;
            let payload = self.data.get(start..start + m.len).unwrap_or(&[]);
            payload
                .chunks(m.segment_size.max(1))
                .map(move |segment| (m.source, segment))
        })
    }
}

/// Receives one batch on `fd`; `Ok(n)` with `n > 0` datagram-bearing messages, or
/// `ErrorKind::WouldBlock` when nothing is queued.
pub(crate) fn recv_batch(fd: RawFd, bufs: &mut RecvBuffers) -> io::Result<usize> {
    bufs.messages.clear();
    let n = bufs.batch;
    let mut iovecs = [libc::iovec {
        iov_base: ptr::null_mut(),
        iov_len: 0,
    }; MAX_BATCH];
    // SAFETY: `mmsghdr` is plain old data (integers and raw pointers); all-zero is valid.
    let mut hdrs: [libc::mmsghdr; MAX_BATCH] = unsafe { std::mem::zeroed() };
    let data = bufs.data.as_mut_ptr();
    for (i, iov) in iovecs.iter_mut().take(n).enumerate() {
        *iov = libc::iovec {
            iov_base: data.wrapping_add(i * RECV_SLOT_SIZE).cast(),
            iov_len: RECV_SLOT_SIZE,
        };
    }
    let iov_base = iovecs.as_mut_ptr();
    let slots = hdrs
        .iter_mut()
        .zip(bufs.names.iter_mut())
        .zip(bufs.controls.iter_mut());
    for (i, ((hdr, name), control)) in slots.take(n).enumerate() {
        let hdr = &mut hdr.msg_hdr;
        hdr.msg_name = name.as_mut_ptr();
        hdr.msg_namelen = RAW_SOCKADDR_LEN;
        hdr.msg_iov = iov_base.wrapping_add(i);
        hdr.msg_iovlen = 1;
        hdr.msg_control = control.as_mut_ptr();
        hdr.msg_controllen = CONTROL_LEN as _;
    }
    let received = loop {
        // SAFETY: `hdrs[..n]` point at `n` distinct, live slots of `bufs.data` (each
        // RECV_SLOT_SIZE long), at live address and control buffers whose sizes are in
        // the headers; all outlive the call and nothing else aliases them meanwhile.
        let rc =
            unsafe { libc::recvmmsg(fd, hdrs.as_mut_ptr(), n as libc::c_uint, 0, ptr::null_mut()) };
        if rc >= 0 {
            break rc as usize;
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    };
    for (i, hdr) in hdrs.iter().take(received).enumerate() {
        let msg = &hdr.msg_hdr;
        let control = control::read_recv_control(msg);
        if let Some(drops) = control.drops {
            bufs.kernel_drops = drops;
        }
        if msg.msg_flags & libc::MSG_TRUNC != 0 {
            bufs.truncated += 1;
            continue;
        }
        let Some(source) = bufs.names[i].decode(msg.msg_namelen) else {
            continue;
        };
        let len = hdr.msg_len as usize;
        let segment_size = control.segment_size.unwrap_or(len).max(1);
        bufs.messages.push(Message {
            source,
            len,
            segment_size,
        });
    }
    Ok(received)
}
