//! The decoder: an explicit stack instead of recursion, so no input can exhaust the call
//! stack, and every limit is checked before memory is committed.

use super::{Error, Kind, Value};

/// Bounds on what the decoder accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Deepest nesting of lists and dictionaries (the top-level container is depth 1).
    pub max_depth: usize,
    /// Most values (integers, strings, lists, dictionaries, keys included) in one input.
    pub max_values: usize,
    /// Longest input, and so longest string, accepted.
    pub max_len: usize,
    /// Whether dictionary keys must be sorted (BEP 3). Duplicate keys are refused either way.
    pub sorted_keys: bool,
}

impl Limits {
    /// The defaults: depth 100, 3,000,000 values, 16 MiB, sorted keys required.
    pub const DEFAULT: Limits = Limits {
        max_depth: 100,
        max_values: 3_000_000,
        max_len: 16 << 20,
        sorted_keys: true,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// The outcome of [`decode_prefix`]: a value, or how much more input it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded<'a> {
    /// A whole value was decoded from the first `len` bytes.
    Complete {
        /// The value.
        value: Value<'a>,
        /// How many bytes it took.
        len: usize,
    },
    /// The input ends inside a value: at least `needed` more bytes are required.
    Incomplete {
        /// A lower bound of the bytes missing.
        needed: usize,
    },
}

/// Decodes the one value `input` holds, with the default [`Limits`]. Bytes after it are
/// [`Error::TrailingData`]; an input cut short is [`Error::Truncated`].
///
/// ```
/// use hark_wire::bt::bencode::{self, Error};
///
/// let value = bencode::decode(b"d3:cow3:moo4:spaml1:a1:bee")?;
/// assert_eq!(value.get(b"cow").and_then(|v| v.as_str()), Some("moo"));
/// let spam = value.get(b"spam").unwrap();
/// assert_eq!(spam.raw(), b"l1:a1:be");
/// assert_eq!(spam.span(), 17..25);
/// assert_eq!(bencode::decode(b"i03e"), Err(Error::LeadingZero { offset: 1 }));
/// assert_eq!(bencode::decode(b"5:ab"), Err(Error::Truncated { needed: 3 }));
/// # Ok::<(), Error>(())
/// ```
pub fn decode(input: &[u8]) -> Result<Value<'_>, Error> {
    decode_with(input, &Limits::DEFAULT)
}

/// [`decode`] with the given limits.
pub fn decode_with<'a>(input: &'a [u8], limits: &Limits) -> Result<Value<'a>, Error> {
    if input.len() > limits.max_len {
        return Err(Error::InputTooLarge {
            len: input.len(),
            max: limits.max_len,
        });
    }
    match decode_prefix(input, limits)? {
        Decoded::Complete { value, len } if len == input.len() => Ok(value),
        Decoded::Complete { len, .. } => Err(Error::TrailingData { offset: len }),
        Decoded::Incomplete { needed } => Err(Error::Truncated { needed }),
    }
}

/// Decodes the value at the start of `input`, which may hold more bytes after it (a
/// stream): reports [`Decoded::Incomplete`] when the input ends inside the value. A value
/// longer than [`Limits::max_len`] is [`Error::InputTooLarge`], however much follows it.
pub fn decode_prefix<'a>(input: &'a [u8], limits: &Limits) -> Result<Decoded<'a>, Error> {
    let window = &input[..input.len().min(limits.max_len)];
    let mut parser = Parser {
        input: window,
        pos: 0,
        values: 0,
        limits,
        stack: Vec::new(),
    };
    match parser.run() {
        Ok(value) => Ok(Decoded::Complete {
            len: parser.pos,
            value,
        }),
        Err(Stop::Incomplete(_)) if input.len() > window.len() => Err(Error::InputTooLarge {
            len: input.len(),
            max: limits.max_len,
        }),
        Err(Stop::Incomplete(local)) => Ok(Decoded::Incomplete {
            // Every open container still needs its `e`.
            needed: local + parser.stack.len(),
        }),
        Err(Stop::Error(error)) => Err(error),
    }
}

/// Why the parser stopped without a value.
enum Stop {
    /// The input ended; at least this many more bytes are needed for the innermost item
    /// (open containers are counted by the caller).
    Incomplete(usize),
    Error(Error),
}

impl From<Error> for Stop {
    fn from(error: Error) -> Self {
        Stop::Error(error)
    }
}

/// A list or dictionary being filled.
enum Frame<'a> {
    List {
        start: usize,
        items: Vec<Value<'a>>,
    },
    Dict {
        start: usize,
        entries: Vec<(Value<'a>, Value<'a>)>,
        key: Option<Value<'a>>,
    },
}

struct Parser<'a, 'l> {
    input: &'a [u8],
    pos: usize,
    values: usize,
    limits: &'l Limits,
    stack: Vec<Frame<'a>>,
}

impl<'a> Parser<'a, '_> {
    fn run(&mut self) -> Result<Value<'a>, Stop> {
        loop {
            let Some(&byte) = self.input.get(self.pos) else {
                return Err(Stop::Incomplete(self.pending_value_len()));
            };
            let complete = if byte == b'e' && !self.stack.is_empty() {
                self.close()?
            } else if matches!(self.stack.last(), Some(Frame::Dict { key: None, .. })) {
                let key = self.key(byte)?;
                if let Some(Frame::Dict { key: slot, .. }) = self.stack.last_mut() {
                    *slot = Some(key);
                }
                continue;
            } else {
                match byte {
                    b'i' => self.integer()?,
                    b'0'..=b'9' => self.string()?,
                    b'l' | b'd' => {
                        self.open(byte)?;
                        continue;
                    }
                    _ => {
                        return Err(Error::UnexpectedByte {
                            offset: self.pos,
                            byte,
                        }
                        .into());
                    }
                }
            };
            match self.stack.last_mut() {
                None => return Ok(complete),
                Some(Frame::List { items, .. }) => items.push(complete),
                Some(Frame::Dict { entries, key, .. }) => {
                    if let Some(key) = key.take() {
                        entries.push((key, complete));
                    }
                }
            }
        }
    }

    /// Bytes the smallest value still expected at this point would need: a dictionary
    /// waiting for a value, or the top level, needs at least two (`0:`); elsewhere only
    /// the closing `e`s (counted by the caller) are certain.
    fn pending_value_len(&self) -> usize {
        match self.stack.last() {
            None | Some(Frame::Dict { key: Some(_), .. }) => 2,
            _ => 0,
        }
    }

    fn count_value(&mut self, offset: usize) -> Result<(), Error> {
        if self.values >= self.limits.max_values {
            return Err(Error::TooManyValues {
                offset,
                max: self.limits.max_values,
            });
        }
        self.values += 1;
        Ok(())
    }

    fn value(&self, start: usize, kind: Kind<'a>) -> Value<'a> {
        Value {
            raw: &self.input[start..self.pos],
            offset: start,
            kind,
        }
    }

    fn open(&mut self, byte: u8) -> Result<(), Error> {
        let start = self.pos;
        if self.stack.len() >= self.limits.max_depth {
            return Err(Error::TooDeep {
                offset: start,
                max: self.limits.max_depth,
            });
        }
        self.count_value(start)?;
        self.pos += 1;
        self.stack.push(if byte == b'l' {
            Frame::List {
                start,
                items: Vec::new(),
            }
        } else {
            Frame::Dict {
                start,
                entries: Vec::new(),
                key: None,
            }
        });
        Ok(())
    }

    fn close(&mut self) -> Result<Value<'a>, Error> {
        let end = self.pos;
        let frame = self.stack.pop();
        self.pos += 1;
        Ok(match frame {
            Some(Frame::List { start, items }) => self.value(start, Kind::List(items)),
            Some(Frame::Dict { key: Some(_), .. }) => {
                return Err(Error::MissingValue { offset: end });
            }
            Some(Frame::Dict { start, entries, .. }) => {
                if !self.limits.sorted_keys {
                    reject_duplicates(&entries)?;
                }
                self.value(start, Kind::Dict(entries))
            }
            None => {
                return Err(Error::UnexpectedByte {
                    offset: end,
                    byte: b'e',
                });
            }
        })
    }

    /// A dictionary key: a string that sorts after the previous key.
    fn key(&mut self, byte: u8) -> Result<Value<'a>, Stop> {
        let offset = self.pos;
        if !byte.is_ascii_digit() {
            return Err(Error::NonStringKey { offset }.into());
        }
        let key = self.string()?;
        if let Some(Frame::Dict { entries, .. }) = self.stack.last() {
            if let Some((previous, _)) = entries.last() {
                let (previous, current) = (previous.as_bytes(), key.as_bytes());
                if previous == current {
                    return Err(Error::DuplicateKey { offset }.into());
                }
                if self.limits.sorted_keys && previous > current {
                    return Err(Error::UnsortedKey { offset }.into());
                }
            }
        }
        Ok(key)
    }

    /// `i<digits>e` with the canonical rules: no leading zero, no `-0`, fits an `i64`.
    fn integer(&mut self) -> Result<Value<'a>, Stop> {
        let start = self.pos;
        self.count_value(start)?;
        let mut at = start + 1;
        let negative = self.input.get(at) == Some(&b'-');
        if negative {
            at += 1;
        }
        let digits_start = at;
        // Accumulated towards the sign, so that i64::MIN fits.
        let mut value: i64 = 0;
        loop {
            let Some(&byte) = self.input.get(at) else {
                return Err(Stop::Incomplete(1));
            };
            match byte {
                b'e' if at > digits_start => break,
                b'0'..=b'9' => {
                    if at > digits_start && self.input[digits_start] == b'0' {
                        return Err(Error::LeadingZero {
                            offset: digits_start,
                        }
                        .into());
                    }
                    let digit = i64::from(byte - b'0');
                    value = value
                        .checked_mul(10)
                        .and_then(|v| {
                            if negative {
                                v.checked_sub(digit)
                            } else {
                                v.checked_add(digit)
                            }
                        })
                        .ok_or(Error::IntegerOverflow { offset: start })?;
                }
                _ => return Err(Error::InvalidInteger { offset: at }.into()),
            }
            at += 1;
        }
        if negative && value == 0 {
            return Err(Error::NegativeZero { offset: start }.into());
        }
        self.pos = at + 1;
        Ok(self.value(start, Kind::Integer(value)))
    }

    /// `<length>:<bytes>` with no leading zero in the length.
    fn string(&mut self) -> Result<Value<'a>, Stop> {
        let start = self.pos;
        self.count_value(start)?;
        let mut at = start;
        let mut len: u64 = 0;
        loop {
            let Some(&byte) = self.input.get(at) else {
                return Err(Stop::Incomplete(1));
            };
            match byte {
                b':' if at > start => break,
                b'0'..=b'9' => {
                    if at > start && self.input[start] == b'0' {
                        return Err(Error::LeadingZero { offset: start }.into());
                    }
                    len = len
                        .saturating_mul(10)
                        .saturating_add(u64::from(byte - b'0'));
                }
                _ => return Err(Error::InvalidLength { offset: at }.into()),
            }
            at += 1;
        }
        let max = self.limits.max_len;
        let len_usize = match usize::try_from(len) {
            Ok(len) if len <= max => len,
            _ => {
                return Err(Error::StringTooLong {
                    offset: start,
                    len,
                    max,
                }
                .into());
            }
        };
        let body = at + 1;
        let available = self.input.len() - body;
        if available < len_usize {
            return Err(Stop::Incomplete(len_usize - available));
        }
        self.pos = body + len_usize;
        let bytes = &self.input[body..self.pos];
        Ok(self.value(start, Kind::Bytes(bytes)))
    }
}

/// Unsorted dictionaries (allowed by [`Limits::sorted_keys`]) are checked for duplicate
/// keys when they close, in O(n log n).
fn reject_duplicates(entries: &[(Value<'_>, Value<'_>)]) -> Result<(), Error> {
    let mut keys: Vec<(&[u8], usize)> = entries
        .iter()
        .map(|(key, _)| (key.as_bytes().unwrap_or_default(), key.offset()))
        .collect();
    keys.sort_unstable();
    match keys.windows(2).find(|pair| pair[0].0 == pair[1].0) {
        Some(pair) => Err(Error::DuplicateKey {
            offset: pair[1].1.max(pair[0].1),
        }),
        None => Ok(()),
    }
}
