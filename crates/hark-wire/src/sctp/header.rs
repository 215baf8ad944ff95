//! `struct sctp_tlv` / `sn_header`: the 8-byte header every notification starts with.

use super::error::ParseError;
use super::kind::NotificationType;
use super::layout::{Endian, Layout};

mod field {
    use core::ops::Range;
    pub(super) const TYPE: Range<usize> = 0..2;
    pub(super) const FLAGS: Range<usize> = 2..4;
    pub(super) const LENGTH: Range<usize> = 4..8;
}

/// Length of the notification header (`sn_type`, `sn_flags`, `sn_length`).
pub const HEADER_LEN: usize = 8;

/// A checked view of a notification's header over the complete notification bytes.
///
/// [`new_checked`](Self::new_checked) verifies once that the buffer holds the header and that
/// `sn_length` equals the buffer's length; afterwards no getter can fail or panic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotificationHeader<T: AsRef<[u8]>> {
    buffer: T,
    endian: Endian,
}

fn read_u16(bytes: &[u8], range: core::ops::Range<usize>, endian: Endian) -> u16 {
    let raw: [u8; 2] = bytes
        .get(range)
        .and_then(|b| b.try_into().ok())
        .unwrap_or_default();
    match endian {
        Endian::Little => u16::from_le_bytes(raw),
        Endian::Big => u16::from_be_bytes(raw),
    }
}

fn read_u32(bytes: &[u8], range: core::ops::Range<usize>, endian: Endian) -> u32 {
    let raw: [u8; 4] = bytes
        .get(range)
        .and_then(|b| b.try_into().ok())
        .unwrap_or_default();
    match endian {
        Endian::Little => u32::from_le_bytes(raw),
        Endian::Big => u32::from_be_bytes(raw),
    }
}

fn write(bytes: &mut [u8], range: core::ops::Range<usize>, value: &[u8]) {
    if let Some(dst) = bytes.get_mut(range) {
        if dst.len() == value.len() {
            dst.copy_from_slice(value);
        }
    }
}

impl<T: AsRef<[u8]>> NotificationHeader<T> {
    /// Wraps `buffer` after checking it holds a header whose `sn_length` equals its length.
    pub fn new_checked(buffer: T, endian: Endian) -> Result<Self, ParseError> {
        let bytes = buffer.as_ref();
        if bytes.len() < HEADER_LEN {
            return Err(ParseError::Truncated {
                what: "sn_header",
                needed: HEADER_LEN,
                got: bytes.len(),
            });
        }
        let declared = read_u32(bytes, field::LENGTH, endian);
        if usize::try_from(declared).ok() != Some(bytes.len()) {
            return Err(ParseError::LengthMismatch {
                declared,
                actual: bytes.len(),
            });
        }
        Ok(NotificationHeader { buffer, endian })
    }

    /// `sn_type`, the layout-specific type number.
    pub fn sn_type(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::TYPE, self.endian)
    }

    /// `sn_flags`.
    pub fn sn_flags(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::FLAGS, self.endian)
    }

    /// `sn_length`, the total length including this header (equal to the buffer's length).
    pub fn sn_length(&self) -> u32 {
        read_u32(self.buffer.as_ref(), field::LENGTH, self.endian)
    }

    /// The kind `sn_type` names in `layout`, if any.
    pub fn kind(&self, layout: Layout) -> Option<NotificationType> {
        NotificationType::from_raw(self.sn_type(), layout)
    }

    /// The byte order the view reads with.
    pub fn endian(&self) -> Endian {
        self.endian
    }

    /// The complete notification bytes, header included.
    pub fn as_bytes(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    /// Gives the buffer back.
    pub fn into_inner(self) -> T {
        self.buffer
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> NotificationHeader<T> {
    /// Sets `sn_type`.
    pub fn set_sn_type(&mut self, value: u16) {
        let bytes = self.encode16(value);
        write(self.buffer.as_mut(), field::TYPE, &bytes);
    }

    /// Sets `sn_flags`.
    pub fn set_sn_flags(&mut self, value: u16) {
        let bytes = self.encode16(value);
        write(self.buffer.as_mut(), field::FLAGS, &bytes);
    }

    fn encode16(&self, value: u16) -> [u8; 2] {
        match self.endian {
            Endian::Little => value.to_le_bytes(),
            Endian::Big => value.to_be_bytes(),
        }
    }
}
