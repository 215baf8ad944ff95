//! Which C ABI the bytes follow: the struct layout (Linux or FreeBSD) and the byte order.

/// The struct layout of the SCTP socket API, as defined by one family of C headers.
///
/// Type numbers, state/flag/indication values, struct sizes and padding, the `sockaddr`
/// shape and the byte order of `sre_error` all differ between the two.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layout {
    /// Linux kernel SCTP, `<linux/sctp.h>` (Debian's linux-libc-dev).
    Linux,
    /// FreeBSD kernel SCTP, `<netinet/sctp_uio.h>`; also what the userland stack usrsctp
    /// produces on every host (`<usrsctp.h>`).
    FreeBsd,
}

impl Layout {
    /// The layout of the kernel stack of the host this crate was built for: Linux on Linux,
    /// FreeBSD everywhere else (FreeBSD itself, and usrsctp, which uses FreeBSD's structs).
    pub const fn host() -> Self {
        if cfg!(target_os = "linux") {
            Layout::Linux
        } else {
            Layout::FreeBsd
        }
    }

    /// The `msg_flags` bit that marks a notification: `MSG_NOTIFICATION` is `0x8000` in
    /// `<linux/sctp.h>` and `0x2000` in FreeBSD's `<sys/socket.h>` and in `<usrsctp.h>`.
    pub const fn msg_notification(self) -> i32 {
        match self {
            Layout::Linux => 0x8000,
            Layout::FreeBsd => 0x2000,
        }
    }

    /// The lower-case name used on the command line: `linux` or `freebsd`.
    pub const fn name(self) -> &'static str {
        match self {
            Layout::Linux => "linux",
            Layout::FreeBsd => "freebsd",
        }
    }
}

impl Default for Layout {
    fn default() -> Self {
        Layout::host()
    }
}

/// Byte order of the integers inside the C structs.
///
/// The structs are host-order C structs, not network packets: a notification read on a
/// little-endian x86_64 host has little-endian integers. Fields that the headers define in
/// network order (ports, `sin6_flowinfo`, Linux's `sre_error`) are handled separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endian {
    /// Least significant byte first (x86_64, aarch64 in its usual mode).
    Little,
    /// Most significant byte first (s390x, big-endian PowerPC).
    Big,
}

impl Endian {
    /// The byte order of the host this crate was built for.
    pub const fn host() -> Self {
        if cfg!(target_endian = "big") {
            Endian::Big
        } else {
            Endian::Little
        }
    }
}

impl Default for Endian {
    fn default() -> Self {
        Endian::host()
    }
}

/// A complete description of the bytes: [`Layout`] plus [`Endian`].
///
/// Every parse and emit function takes `impl Into<Abi>`, so a bare [`Layout`] works too and
/// means "that layout in the host's byte order".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Abi {
    /// The struct layout.
    pub layout: Layout,
    /// The byte order of the struct integers.
    pub endian: Endian,
}

impl Abi {
    /// The host's layout and byte order.
    pub const fn host() -> Self {
        Abi {
            layout: Layout::host(),
            endian: Endian::host(),
        }
    }

    /// `layout` in the host's byte order.
    pub const fn new(layout: Layout) -> Self {
        Abi {
            layout,
            endian: Endian::host(),
        }
    }

    /// `layout` in an explicit byte order (for bytes captured on another machine).
    pub const fn with_endian(layout: Layout, endian: Endian) -> Self {
        Abi { layout, endian }
    }
}

impl Default for Abi {
    fn default() -> Self {
        Abi::host()
    }
}

impl From<Layout> for Abi {
    fn from(layout: Layout) -> Self {
        Abi::new(layout)
    }
}
