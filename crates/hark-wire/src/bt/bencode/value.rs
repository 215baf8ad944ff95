//! A decoded value that remembers the exact bytes it came from.

use std::ops::Range;

/// A decoded bencode value, borrowing the input, with the byte span it was decoded from.
///
/// [`Value::raw`] is exactly the bytes of this value in the input (for a dictionary, from
/// its `d` to its `e`), so the SHA-1 of a torrent's info dictionary is computed over
/// `info.raw()`, never over a re-encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value<'a> {
    pub(super) raw: &'a [u8],
    pub(super) offset: usize,
    pub(super) kind: Kind<'a>,
}

/// What a [`Value`] holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind<'a> {
    /// An integer (`i42e`).
    Integer(i64),
    /// A byte string (`4:spam`), borrowed from the input.
    Bytes(&'a [u8]),
    /// A list (`l...e`).
    List(Vec<Value<'a>>),
    /// A dictionary (`d...e`): its entries in input order, each key a [`Kind::Bytes`]
    /// value with its own span.
    Dict(Vec<(Value<'a>, Value<'a>)>),
}

impl<'a> Value<'a> {
    /// The exact input bytes of this value.
    #[must_use]
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// Where this value starts in the input.
    #[must_use]
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The byte range of this value in the input.
    #[must_use]
    pub fn span(&self) -> Range<usize> {
        self.offset..self.offset + self.raw.len()
    }

    /// What the value holds.
    #[must_use]
    pub fn kind(&self) -> &Kind<'a> {
        &self.kind
    }

    /// The integer, if this is one.
    #[must_use]
    pub fn as_integer(&self) -> Option<i64> {
        match self.kind {
            Kind::Integer(value) => Some(value),
            _ => None,
        }
    }

    /// The byte string, if this is one.
    #[must_use]
    pub fn as_bytes(&self) -> Option<&'a [u8]> {
        match self.kind {
            Kind::Bytes(bytes) => Some(bytes),
            _ => None,
        }
    }

    /// The byte string as UTF-8, if this is a string and valid UTF-8.
    #[must_use]
    pub fn as_str(&self) -> Option<&'a str> {
        self.as_bytes()
            .and_then(|bytes| std::str::from_utf8(bytes).ok())
    }

    /// The items, if this is a list.
    #[must_use]
    pub fn as_list(&self) -> Option<&[Value<'a>]> {
        match &self.kind {
            Kind::List(items) => Some(items),
            _ => None,
        }
    }

    /// The entries (key, value) in input order, if this is a dictionary.
    #[must_use]
    pub fn as_dict(&self) -> Option<&[(Value<'a>, Value<'a>)]> {
        match &self.kind {
            Kind::Dict(entries) => Some(entries),
            _ => None,
        }
    }

    /// The value stored under `key`, if this is a dictionary holding it.
    #[must_use]
    pub fn get(&self, key: &[u8]) -> Option<&Value<'a>> {
        self.as_dict()?
            .iter()
            .find(|(candidate, _)| candidate.as_bytes() == Some(key))
            .map(|(_, value)| value)
    }

    /// A short name of the value's type: `"integer"`, `"string"`, `"list"` or
    /// `"dictionary"`.
    #[must_use]
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            Kind::Integer(_) => "integer",
            Kind::Bytes(_) => "string",
            Kind::List(_) => "list",
            Kind::Dict(_) => "dictionary",
        }
    }

    /// An owned copy, for re-encoding or keeping past the input's lifetime.
    #[must_use]
    pub fn to_owned_value(&self) -> super::OwnedValue {
        use super::OwnedValue;
        match &self.kind {
            Kind::Integer(value) => OwnedValue::Integer(*value),
            Kind::Bytes(bytes) => OwnedValue::Bytes(bytes.to_vec()),
            Kind::List(items) => {
                OwnedValue::List(items.iter().map(Value::to_owned_value).collect())
            }
            Kind::Dict(entries) => OwnedValue::Dict(
                entries
                    .iter()
                    .map(|(key, value)| {
                        (
                            key.as_bytes().unwrap_or_default().to_vec(),
                            value.to_owned_value(),
                        )
                    })
                    .collect(),
            ),
        }
    }
}
