//! The typed error of every kernel-SCTP operation.

use hark_wire::sctp::{AssembleError, EmitError, ParseError};
use std::io;
use thiserror::Error;

/// Why an SCTP socket operation failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SctpError {
    /// The kernel has no SCTP (`socket()` gave `EPROTONOSUPPORT`, `ESOCKTNOSUPPORT` or
    /// `EAFNOSUPPORT`), or does not know this SCTP option (`ENOPROTOOPT`).
    #[error("kernel SCTP is not available for {operation} (errno {errno})")]
    Unsupported {
        /// The call or option that was refused, e.g. `"socket"` or `"SCTP_ADD_STREAMS"`.
        operation: &'static str,
        /// The raw errno the kernel returned.
        errno: i32,
    },
    /// The system call failed for another reason.
    #[error("{operation}: {source}")]
    Io {
        /// The call or option that failed.
        operation: &'static str,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// An option struct could not be encoded by hark-wire.
    #[error("encoding {what}: {source}")]
    Encode {
        /// The struct being encoded.
        what: &'static str,
        /// The encoder's error.
        #[source]
        source: EmitError,
    },
    /// A struct the kernel returned could not be decoded.
    #[error("decoding {what}: {source}")]
    Decode {
        /// The struct being decoded.
        what: &'static str,
        /// The decoder's error.
        #[source]
        source: ParseError,
    },
    /// A notification grew beyond the assembler's limit and was dropped.
    #[error("notification reassembly: {0}")]
    Assemble(#[from] AssembleError),
    /// The call needs at least one address.
    #[error("{operation} needs at least one address")]
    NoAddresses {
        /// The call.
        operation: &'static str,
    },
    /// A list is longer than the kernel struct can count.
    #[error("{what} has {len} entries, more than the kernel struct can hold")]
    TooMany {
        /// The list.
        what: &'static str,
        /// Its length.
        len: usize,
    },
}

impl SctpError {
    /// The error of a failed syscall `operation`, from `errno`.
    pub(crate) fn last_os(operation: &'static str) -> Self {
        Self::from_io(operation, io::Error::last_os_error())
    }

    /// Classifies an OS error: missing SCTP support becomes [`SctpError::Unsupported`].
    pub(crate) fn from_io(operation: &'static str, source: io::Error) -> Self {
        match source.raw_os_error() {
            Some(
                errno @ (libc::EPROTONOSUPPORT
                | libc::ESOCKTNOSUPPORT
                | libc::EAFNOSUPPORT
                | libc::ENOPROTOOPT),
            ) => SctpError::Unsupported { operation, errno },
            _ => SctpError::Io { operation, source },
        }
    }

    /// True if a non-blocking socket had nothing to do (`EAGAIN`/`EWOULDBLOCK`).
    pub fn is_would_block(&self) -> bool {
        matches!(self, SctpError::Io { source, .. } if source.kind() == io::ErrorKind::WouldBlock)
    }

    /// True if a non-blocking connect is still in progress (`EINPROGRESS`).
    pub fn is_in_progress(&self) -> bool {
        matches!(self, SctpError::Io { source, .. } if source.raw_os_error() == Some(libc::EINPROGRESS))
    }
}

impl From<SctpError> for io::Error {
    fn from(err: SctpError) -> Self {
        match err {
            SctpError::Io { source, .. } => source,
            SctpError::Unsupported { .. } => io::Error::new(io::ErrorKind::Unsupported, err),
            other => io::Error::new(io::ErrorKind::InvalidData, other),
        }
    }
}
