//! Errors of the bencode decoder and encoder.

/// Why bencoded bytes could not be decoded, or a value could not be encoded.
///
/// Every decoding error names the byte offset (from the start of the input) where the
/// problem was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A byte that cannot start a value (`i`, `l`, `d` or a digit), or an `e` with no
    /// list or dictionary open.
    #[error("unexpected byte {byte:#04x} at offset {offset}")]
    UnexpectedByte {
        /// Where the byte is.
        offset: usize,
        /// The byte.
        byte: u8,
    },
    /// An integer with no digits or with a byte other than a digit before its `e`.
    #[error("malformed integer at offset {offset}")]
    InvalidInteger {
        /// Where the offending byte is.
        offset: usize,
    },
    /// An integer or string length with a leading zero (`i03e`, `01:a`): not canonical.
    #[error("leading zero at offset {offset}")]
    LeadingZero {
        /// Where the zero is.
        offset: usize,
    },
    /// The integer `i-0e`, which BEP 3 forbids.
    #[error("negative zero at offset {offset}")]
    NegativeZero {
        /// Where the integer starts.
        offset: usize,
    },
    /// An integer outside the range of `i64`.
    #[error("integer at offset {offset} does not fit in 64 bits")]
    IntegerOverflow {
        /// Where the integer starts.
        offset: usize,
    },
    /// A string length with a byte other than a digit before its `:`.
    #[error("malformed string length at offset {offset}")]
    InvalidLength {
        /// Where the offending byte is.
        offset: usize,
    },
    /// A string longer than the input limit allows (refused before reading it).
    #[error("string of {len} bytes at offset {offset} exceeds the limit of {max}")]
    StringTooLong {
        /// Where the string's length starts.
        offset: usize,
        /// The length it announces (saturated at `u64::MAX`).
        len: u64,
        /// The limit.
        max: usize,
    },
    /// A dictionary key that is not a byte string.
    #[error("dictionary key at offset {offset} is not a string")]
    NonStringKey {
        /// Where the key starts.
        offset: usize,
    },
    /// A dictionary key that sorts before the previous one: not canonical.
    #[error("dictionary key at offset {offset} is out of order")]
    UnsortedKey {
        /// Where the key starts.
        offset: usize,
    },
    /// A dictionary key equal to the previous one.
    #[error("duplicate dictionary key at offset {offset}")]
    DuplicateKey {
        /// Where the second key starts.
        offset: usize,
    },
    /// A dictionary that ends right after a key, with no value for it.
    #[error("dictionary key without a value: `e` at offset {offset}")]
    MissingValue {
        /// Where the `e` is.
        offset: usize,
    },
    /// Lists and dictionaries nested deeper than the limit.
    #[error("nesting deeper than {max} at offset {offset}")]
    TooDeep {
        /// Where the container that goes too deep starts.
        offset: usize,
        /// The limit.
        max: usize,
    },
    /// More values than the limit.
    #[error("more than {max} values (at offset {offset})")]
    TooManyValues {
        /// Where the value over the limit starts.
        offset: usize,
        /// The limit.
        max: usize,
    },
    /// The input is longer than the limit allows.
    #[error("input of {len} bytes exceeds the limit of {max}")]
    InputTooLarge {
        /// The input's length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Bytes after the end of the one value the input should hold.
    #[error("trailing data at offset {offset}")]
    TrailingData {
        /// Where the first extra byte is.
        offset: usize,
    },
    /// The input ends before its value does (from [`decode`](super::decode), which wants a
    /// whole value; [`decode_prefix`](super::decode_prefix) reports this as
    /// [`Decoded::Incomplete`](super::Decoded::Incomplete) instead).
    #[error("input cut short: at least {needed} more bytes needed")]
    Truncated {
        /// A lower bound of the bytes missing.
        needed: usize,
    },
    /// The output buffer is too small.
    #[error("buffer too small: {required} bytes required")]
    BufferTooSmall {
        /// How many bytes the encoding needs.
        required: usize,
    },
}
