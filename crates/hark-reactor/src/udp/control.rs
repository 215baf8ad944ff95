//! Ancillary-data (cmsg) buffers: the UDP_SEGMENT cmsg on send, UDP_GRO on receive.

use std::ptr;

/// Bytes of ancillary data room per message; enough for one or two `int` cmsgs.
pub(crate) const CONTROL_LEN: usize = 64;

/// A control buffer aligned for `cmsghdr`.
#[derive(Clone, Copy)]
#[repr(C, align(8))]
pub(crate) struct ControlBuf(pub(crate) [u8; CONTROL_LEN]);

impl ControlBuf {
    pub(crate) const fn new() -> Self {
        ControlBuf([0; CONTROL_LEN])
    }

    pub(crate) fn as_mut_ptr(&mut self) -> *mut libc::c_void {
        self.0.as_mut_ptr().cast()
    }
}

/// Writes one `SOL_UDP`/`UDP_SEGMENT` cmsg carrying `segment_size` at the start of `buf`
/// and returns the length to put in `msg_controllen`.
pub(crate) fn write_segment_size(buf: &mut ControlBuf, segment_size: u16) -> usize {
    // SAFETY: CMSG_SPACE/CMSG_LEN are pure arithmetic on the argument.
    let (space, len) = unsafe {
        (
            libc::CMSG_SPACE(size_of::<u16>() as libc::c_uint) as usize,
            libc::CMSG_LEN(size_of::<u16>() as libc::c_uint) as usize,
        )
    };
    debug_assert!(space <= CONTROL_LEN);
    let header = libc::cmsghdr {
        cmsg_len: len as _,
        cmsg_level: libc::SOL_UDP,
        cmsg_type: libc::UDP_SEGMENT,
    };
    let base = buf.0.as_mut_ptr();
    // SAFETY: `buf` is 8-byte aligned and CONTROL_LEN (64) bytes long, which holds the
    // header (16 bytes) followed by the aligned data offset (CMSG_LEN - 2) plus 2 bytes.
    unsafe {
        ptr::write(base.cast::<libc::cmsghdr>(), header);
        let data = base.add(len - size_of::<u16>());
        ptr::write_unaligned(data.cast::<u16>(), segment_size);
    }
    space
}

/// What the kernel said about one received message in its control data.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RecvControl {
    /// The GRO segment size when the message is a coalesced train.
    pub(crate) segment_size: Option<usize>,
    /// The socket's running count of datagrams dropped for a full receive buffer
    /// (`SO_RXQ_OVFL`).
    pub(crate) drops: Option<u32>,
}

/// Reads the GRO segment size and the drop counter from the control data the kernel
/// wrote into `hdr`.
pub(crate) fn read_recv_control(hdr: &libc::msghdr) -> RecvControl {
    let mut out = RecvControl::default();
    // SAFETY: `hdr.msg_control`/`msg_controllen` describe a live ControlBuf that the kernel
    // filled during the recvmmsg call just made; the CMSG macros stay within
    // `msg_controllen` and each cmsg's data is read only when its length covers the
    // 4-byte value read.
    unsafe {
        let value_len = libc::CMSG_LEN(size_of::<u32>() as libc::c_uint) as usize;
        let mut cmsg = libc::CMSG_FIRSTHDR(hdr);
        while !cmsg.is_null() {
            let c = &*cmsg;
            if c.cmsg_len as usize >= value_len {
                let value = ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast::<u32>());
                match (c.cmsg_level, c.cmsg_type) {
                    (libc::SOL_UDP, libc::UDP_GRO) => {
                        out.segment_size = usize::try_from(value).ok().filter(|&s| s > 0);
                    }
                    (libc::SOL_SOCKET, libc::SO_RXQ_OVFL) => out.drops = Some(value),
                    _ => {}
                }
            }
            cmsg = libc::CMSG_NXTHDR(hdr, cmsg);
        }
    }
    out
}
