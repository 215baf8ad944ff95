//! The read buffer, and `expect(qty)` framing of the bytes received into it.

use super::error::ExpectError;
use std::ops::Range;

/// A fixed-size read buffer that hands received bytes out whole or in `expect`-sized frames.
///
/// The reactor reads into [`RecvBuffer::spare_mut`] and reports the count with
/// [`RecvBuffer::handle_read`]; then it takes frames with [`RecvBuffer::next_frame`],
/// delivers [`RecvBuffer::frame`] and releases it with [`RecvBuffer::consume`]. With
/// `expect` at zero a frame is everything buffered; otherwise exactly `expect` bytes, and
/// a partial frame waits for more input. The size is fixed at construction, so a peer can
/// never make the buffer grow.
#[derive(Debug)]
pub struct RecvBuffer {
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    expect: usize,
}

impl RecvBuffer {
    /// An empty buffer of `size` bytes (at least one), expecting nothing in particular.
    pub fn new(size: usize) -> Self {
        Self {
            buf: vec![0; size.max(1)].into_boxed_slice(),
            start: 0,
            end: 0,
            expect: 0,
        }
    }

    /// The read buffer size: the largest frame `expect` accepts.
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// The current frame size; zero means "whatever arrived".
    pub fn expect(&self) -> usize {
        self.expect
    }

    /// Sets the frame size for the bytes not yet delivered.
    pub fn set_expect(&mut self, qty: usize) -> Result<(), ExpectError> {
        if qty > self.capacity() {
            return Err(ExpectError::TooLarge {
                qty,
                read_buffer_size: self.capacity(),
            });
        }
        self.expect = qty;
        Ok(())
    }

    /// Bytes received and not yet delivered.
    pub fn buffered(&self) -> usize {
        self.end - self.start
    }

    /// The free space to read into, moving buffered bytes to the front first when that
    /// is needed to make room. Empty when the buffer is full: do not read then.
    pub fn spare_mut(&mut self) -> &mut [u8] {
        let room = self.buf.len() - self.end;
        let missing = self.expect.saturating_sub(self.buffered());
        if self.start > 0 && (room == 0 || room < missing) {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        self.buf.get_mut(self.end..).unwrap_or_default()
    }

    /// `n` bytes were read into the front of [`RecvBuffer::spare_mut`].
    pub fn handle_read(&mut self, n: usize) {
        self.end = (self.end + n).min(self.buf.len());
    }

    /// The next complete frame, if one is buffered.
    #[must_use]
    pub fn next_frame(&self) -> Option<Range<usize>> {
        let available = self.buffered();
        let len = match self.expect {
            0 if available > 0 => available,
            0 => return None,
            qty if available >= qty => qty,
            _ => return None,
        };
        Some(self.start..self.start + len)
    }

    /// The bytes of a frame returned by [`RecvBuffer::next_frame`].
    pub fn frame(&self, range: Range<usize>) -> &[u8] {
        self.buf.get(range).unwrap_or_default()
    }

    /// Releases the first `len` buffered bytes after they were delivered.
    pub fn consume(&mut self, len: usize) {
        self.start = (self.start + len).min(self.end);
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(buffer: &mut RecvBuffer, bytes: &[u8]) {
        let spare = buffer.spare_mut();
        spare[..bytes.len()].copy_from_slice(bytes);
        buffer.handle_read(bytes.len());
    }

    fn frames(buffer: &mut RecvBuffer) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        while let Some(range) = buffer.next_frame() {
            let len = range.len();
            out.push(buffer.frame(range).to_vec());
            buffer.consume(len);
        }
        out
    }

    #[test]
    fn without_expect_everything_buffered_is_one_frame() {
        let mut buffer = RecvBuffer::new(16);
        feed(&mut buffer, b"hello");
        feed(&mut buffer, b" you");
        assert_eq!(frames(&mut buffer), [b"hello you".to_vec()]);
        assert_eq!(buffer.next_frame(), None);
    }

    #[test]
    fn expect_cuts_exact_frames_and_keeps_the_partial_one() {
        let mut buffer = RecvBuffer::new(16);
        buffer.set_expect(4).unwrap();
        feed(&mut buffer, b"abcdefghij");
        assert_eq!(frames(&mut buffer), [b"abcd".to_vec(), b"efgh".to_vec()]);
        assert_eq!(buffer.buffered(), 2);
        feed(&mut buffer, b"kl");
        assert_eq!(frames(&mut buffer), [b"ijkl".to_vec()]);
    }

    #[test]
    fn changing_expect_between_frames_reframes_the_rest() {
        // A length prefix of 2 bytes, then a body of that length.
        let mut buffer = RecvBuffer::new(16);
        buffer.set_expect(2).unwrap();
        feed(&mut buffer, &[0, 3, b'x', b'y', b'z', 0, 1, b'!']);
        let mut bodies = Vec::new();
        let mut want_header = true;
        while let Some(range) = buffer.next_frame() {
            let len = range.len();
            let frame = buffer.frame(range).to_vec();
            buffer.consume(len);
            if want_header {
                buffer
                    .set_expect(usize::from(u16::from_be_bytes([frame[0], frame[1]])))
                    .unwrap();
            } else {
                bodies.push(frame);
                buffer.set_expect(2).unwrap();
            }
            want_header = !want_header;
        }
        assert_eq!(bodies, [b"xyz".to_vec(), b"!".to_vec()]);
    }

    #[test]
    fn expect_above_the_buffer_size_is_an_error() {
        let mut buffer = RecvBuffer::new(8);
        assert_eq!(
            buffer.set_expect(9),
            Err(ExpectError::TooLarge {
                qty: 9,
                read_buffer_size: 8
            })
        );
        assert_eq!(buffer.expect(), 0);
        buffer.set_expect(8).unwrap();
    }

    #[test]
    fn a_frame_straddling_the_end_is_compacted_to_fit() {
        let mut buffer = RecvBuffer::new(8);
        buffer.set_expect(6).unwrap();
        feed(&mut buffer, b"abcdefgh");
        assert_eq!(frames(&mut buffer), [b"abcdef".to_vec()]);
        // Two bytes left at the end of the buffer; the next frame needs room for four more.
        assert!(buffer.spare_mut().len() >= 4);
        feed(&mut buffer, b"ijkl");
        assert_eq!(frames(&mut buffer), [b"ghijkl".to_vec()]);
    }

    #[test]
    fn a_full_buffer_offers_no_spare_room() {
        let mut buffer = RecvBuffer::new(4);
        feed(&mut buffer, b"abcd");
        assert!(buffer.spare_mut().is_empty());
    }
}
