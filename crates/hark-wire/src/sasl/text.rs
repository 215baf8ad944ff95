//! Emitting text messages into caller buffers without allocating.

use std::fmt;

/// Counts what a `Display` writes.
struct Counter(usize);

impl fmt::Write for Counter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0 += s.len();
        Ok(())
    }
}

/// Writes into a slice; fails when it is full.
struct SliceWriter<'a> {
    buf: &'a mut [u8],
    at: usize,
}

impl fmt::Write for SliceWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.at.checked_add(s.len()).ok_or(fmt::Error)?;
        let dst = self.buf.get_mut(self.at..end).ok_or(fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.at = end;
        Ok(())
    }
}

/// The length of `value`'s text.
pub(crate) fn len(value: &impl fmt::Display) -> usize {
    let mut c = Counter(0);
    // Counting never fails.
    let _ = fmt::write(&mut c, format_args!("{value}"));
    c.0
}

/// Writes `value`'s text to the start of `buf`; `Err(required)` when it does not fit.
pub(crate) fn emit(value: &impl fmt::Display, buf: &mut [u8]) -> Result<usize, usize> {
    let required = len(value);
    if buf.len() < required {
        return Err(required);
    }
    let mut w = SliceWriter { buf, at: 0 };
    fmt::write(&mut w, format_args!("{value}")).map_err(|_| required)?;
    Ok(w.at)
}
