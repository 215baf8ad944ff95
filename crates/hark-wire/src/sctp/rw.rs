//! Field readers and writers at fixed offsets. Nothing here panics: every access is a
//! checked `get`, and a missing byte is a `Truncated` error.

use super::error::{EmitError, ParseError};
use super::layout::Endian;
use nom::Parser;

type NomError<'a> = nom::error::Error<&'a [u8]>;

/// Reads fixed-offset fields from a buffer whose length the caller has already checked.
#[derive(Clone, Copy)]
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    endian: Endian,
    what: &'static str,
}

impl<'a> Reader<'a> {
    /// A reader over `bytes`, failing with `Truncated` unless at least `needed` bytes exist.
    #[inline]
    pub(crate) fn new(
        bytes: &'a [u8],
        endian: Endian,
        what: &'static str,
        needed: usize,
    ) -> Result<Self, ParseError> {
        // nom checks that the fixed part is there; the fields are then read from `bytes`.
        nom::bytes::complete::take::<_, _, NomError<'a>>(needed)
            .parse(bytes)
            .map_err(|_| ParseError::Truncated {
                what,
                needed,
                got: bytes.len(),
            })?;
        Ok(Reader {
            bytes,
            endian,
            what,
        })
    }

    /// The byte order fields are read in.
    #[inline]
    pub(crate) fn endian(&self) -> Endian {
        self.endian
    }

    #[inline]
    fn tail(&self, offset: usize, width: usize) -> Result<&'a [u8], ParseError> {
        self.bytes
            .get(offset..)
            .filter(|rest| rest.len() >= width)
            .ok_or_else(|| self.truncated(offset, width))
    }

    #[cold]
    fn truncated(&self, offset: usize, width: usize) -> ParseError {
        ParseError::Truncated {
            what: self.what,
            needed: offset.saturating_add(width),
            got: self.bytes.len(),
        }
    }

    /// `N` bytes at `offset` (fixed-width fields are read from these with `from_*_bytes`,
    /// which compiles to one load; nom's per-byte number parsers cost several times more).
    #[inline]
    fn chunk<const N: usize>(&self, offset: usize) -> Result<[u8; N], ParseError> {
        self.tail(offset, N)?
            .first_chunk::<N>()
            .copied()
            .ok_or_else(|| self.truncated(offset, N))
    }

    #[inline]
    pub(crate) fn u8(&self, offset: usize) -> Result<u8, ParseError> {
        let [b] = self.chunk::<1>(offset)?;
        Ok(b)
    }

    #[inline]
    pub(crate) fn u16(&self, offset: usize) -> Result<u16, ParseError> {
        let raw = self.chunk::<2>(offset)?;
        Ok(match self.endian {
            Endian::Little => u16::from_le_bytes(raw),
            Endian::Big => u16::from_be_bytes(raw),
        })
    }

    /// A `uint16_t` the headers keep in network byte order.
    #[inline]
    pub(crate) fn be_u16(&self, offset: usize) -> Result<u16, ParseError> {
        Ok(u16::from_be_bytes(self.chunk::<2>(offset)?))
    }

    #[inline]
    pub(crate) fn u32(&self, offset: usize) -> Result<u32, ParseError> {
        let raw = self.chunk::<4>(offset)?;
        Ok(match self.endian {
            Endian::Little => u32::from_le_bytes(raw),
            Endian::Big => u32::from_be_bytes(raw),
        })
    }

    /// A `uint32_t` the headers keep in network byte order.
    #[inline]
    pub(crate) fn be_u32(&self, offset: usize) -> Result<u32, ParseError> {
        Ok(u32::from_be_bytes(self.chunk::<4>(offset)?))
    }

    #[inline]
    pub(crate) fn array<const N: usize>(&self, offset: usize) -> Result<[u8; N], ParseError> {
        let input = self.tail(offset, N)?;
        let (_, taken) = nom::bytes::complete::take::<_, _, NomError<'a>>(N)
            .parse(input)
            .map_err(|_| self.truncated(offset, N))?;
        taken.try_into().map_err(|_| self.truncated(offset, N))
    }

    /// Everything from `offset` to the end (empty when `offset` is the end).
    #[inline]
    pub(crate) fn rest(&self, offset: usize) -> Result<&'a [u8], ParseError> {
        self.tail(offset, 0)
    }

    #[inline]
    pub(crate) fn bytes(&self, offset: usize, len: usize) -> Result<&'a [u8], ParseError> {
        let input = self.tail(offset, len)?;
        input.get(..len).ok_or_else(|| self.truncated(offset, len))
    }
}

/// Writes fixed-offset fields into a buffer that it zeroes first, so padding is always zero.
pub(crate) struct Writer<'b> {
    buf: &'b mut [u8],
    endian: Endian,
}

impl<'b> Writer<'b> {
    /// Checks that `buf` holds `len` bytes, zeroes them, and returns a writer over them.
    #[inline]
    pub(crate) fn new(buf: &'b mut [u8], len: usize, endian: Endian) -> Result<Self, EmitError> {
        let buf = buf
            .get_mut(..len)
            .ok_or(EmitError::BufferTooSmall { required: len })?;
        buf.fill(0);
        Ok(Writer { buf, endian })
    }

    /// The byte order fields are written in.
    #[inline]
    pub(crate) fn endian(&self) -> Endian {
        self.endian
    }

    #[inline]
    pub(crate) fn put(&mut self, offset: usize, bytes: &[u8]) -> Result<(), EmitError> {
        let required = offset.saturating_add(bytes.len());
        self.buf
            .get_mut(offset..required)
            .ok_or(EmitError::BufferTooSmall { required })?
            .copy_from_slice(bytes);
        Ok(())
    }

    #[inline]
    pub(crate) fn u8(&mut self, offset: usize, v: u8) -> Result<(), EmitError> {
        self.put(offset, &[v])
    }

    #[inline]
    pub(crate) fn u16(&mut self, offset: usize, v: u16) -> Result<(), EmitError> {
        match self.endian {
            Endian::Little => self.put(offset, &v.to_le_bytes()),
            Endian::Big => self.put(offset, &v.to_be_bytes()),
        }
    }

    #[inline]
    pub(crate) fn be_u16(&mut self, offset: usize, v: u16) -> Result<(), EmitError> {
        self.put(offset, &v.to_be_bytes())
    }

    #[inline]
    pub(crate) fn u32(&mut self, offset: usize, v: u32) -> Result<(), EmitError> {
        match self.endian {
            Endian::Little => self.put(offset, &v.to_le_bytes()),
            Endian::Big => self.put(offset, &v.to_be_bytes()),
        }
    }

    #[inline]
    pub(crate) fn be_u32(&mut self, offset: usize, v: u32) -> Result<(), EmitError> {
        self.put(offset, &v.to_be_bytes())
    }

    /// A sub-writer over `offset..offset + len` (already zeroed).
    #[inline]
    pub(crate) fn sub(&mut self, offset: usize, len: usize) -> Result<&mut [u8], EmitError> {
        let required = offset.saturating_add(len);
        self.buf
            .get_mut(offset..required)
            .ok_or(EmitError::BufferTooSmall { required })
    }
}
