//! An owned value, and encoding.

use super::Error;
use std::collections::BTreeMap;

/// An owned bencode value, for building and encoding. Dictionary keys live in a
/// `BTreeMap`, so they are unique and encoded in the sorted order BEP 3 requires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnedValue {
    /// An integer.
    Integer(i64),
    /// A byte string.
    Bytes(Vec<u8>),
    /// A list.
    List(Vec<OwnedValue>),
    /// A dictionary.
    Dict(BTreeMap<Vec<u8>, OwnedValue>),
}

impl OwnedValue {
    /// A byte string holding `text`.
    #[must_use]
    pub fn string(text: &str) -> OwnedValue {
        OwnedValue::Bytes(text.as_bytes().to_vec())
    }

    /// An empty dictionary.
    #[must_use]
    pub fn dict() -> OwnedValue {
        OwnedValue::Dict(BTreeMap::new())
    }

    /// Stores `value` under `key` if this is a dictionary (and returns `self`, for
    /// chaining); other values are returned unchanged.
    #[must_use]
    pub fn with(mut self, key: &str, value: OwnedValue) -> OwnedValue {
        if let OwnedValue::Dict(entries) = &mut self {
            entries.insert(key.as_bytes().to_vec(), value);
        }
        self
    }

    /// How many bytes [`OwnedValue::emit`] writes.
    #[must_use]
    pub fn buffer_len(&self) -> usize {
        match self {
            OwnedValue::Integer(value) => 2 + integer_len(*value),
            OwnedValue::Bytes(bytes) => string_len(bytes.len()),
            OwnedValue::List(items) => 2 + items.iter().map(OwnedValue::buffer_len).sum::<usize>(),
            OwnedValue::Dict(entries) => {
                2 + entries
                    .iter()
                    .map(|(key, value)| string_len(key.len()) + value.buffer_len())
                    .sum::<usize>()
            }
        }
    }

    /// Encodes into `buf`, returning the bytes written. Never allocates; a buffer shorter
    /// than [`OwnedValue::buffer_len`] is [`Error::BufferTooSmall`].
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, Error> {
        let required = self.buffer_len();
        if buf.len() < required {
            return Err(Error::BufferTooSmall { required });
        }
        let mut writer = Writer { buf, pos: 0 };
        writer.value(self);
        Ok(writer.pos)
    }

    /// Encodes into a new vector.
    #[must_use]
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = vec![0; self.buffer_len()];
        let mut writer = Writer {
            buf: &mut out,
            pos: 0,
        };
        writer.value(self);
        out
    }
}

/// Decimal digits of `value`, with its sign.
fn integer_len(value: i64) -> usize {
    let sign = usize::from(value < 0);
    let mut magnitude = value.unsigned_abs();
    let mut digits = 1;
    while magnitude >= 10 {
        magnitude /= 10;
        digits += 1;
    }
    sign + digits
}

/// Encoded length of a string of `len` bytes: length, colon, bytes.
fn string_len(len: usize) -> usize {
    // A usize always fits an i64's digit count plus one.
    integer_len(i64::try_from(len).unwrap_or(i64::MAX)) + 1 + len
}

/// Writes into a buffer already checked to be long enough.
struct Writer<'b> {
    buf: &'b mut [u8],
    pos: usize,
}

impl Writer<'_> {
    fn byte(&mut self, byte: u8) {
        self.buf[self.pos] = byte;
        self.pos += 1;
    }

    fn bytes(&mut self, bytes: &[u8]) {
        self.buf[self.pos..self.pos + bytes.len()].copy_from_slice(bytes);
        self.pos += bytes.len();
    }

    fn decimal(&mut self, value: u64) {
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        let mut rest = value;
        loop {
            at -= 1;
            digits[at] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        self.bytes(&digits[at..]);
    }

    fn string(&mut self, bytes: &[u8]) {
        self.decimal(bytes.len() as u64);
        self.byte(b':');
        self.bytes(bytes);
    }

    fn value(&mut self, value: &OwnedValue) {
        match value {
            OwnedValue::Integer(integer) => {
                self.byte(b'i');
                if *integer < 0 {
                    self.byte(b'-');
                }
                self.decimal(integer.unsigned_abs());
                self.byte(b'e');
            }
            OwnedValue::Bytes(bytes) => self.string(bytes),
            OwnedValue::List(items) => {
                self.byte(b'l');
                for item in items {
                    self.value(item);
                }
                self.byte(b'e');
            }
            OwnedValue::Dict(entries) => {
                self.byte(b'd');
                for (key, item) in entries {
                    self.string(key);
                    self.value(item);
                }
                self.byte(b'e');
            }
        }
    }
}
