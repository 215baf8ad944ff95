//! Typed access to the keys of a decoded dictionary, with errors that name the key and the
//! offset.

use super::Error;
use crate::bt::bencode::Value;

/// The value under `key`, if present.
pub(super) fn get<'v, 'a>(dict: &'v Value<'a>, key: &'static str) -> Option<&'v Value<'a>> {
    dict.get(key.as_bytes())
}

/// `value` must be a dictionary.
pub(super) fn expect_dict(value: &Value<'_>, key: &'static str) -> Result<(), Error> {
    match value.as_dict() {
        Some(_) => Ok(()),
        None => Err(wrong(value, key, "a dictionary")),
    }
}

/// The value under `key`, which must be present.
pub(super) fn required<'v, 'a>(
    dict: &'v Value<'a>,
    key: &'static str,
) -> Result<&'v Value<'a>, Error> {
    get(dict, key).ok_or(Error::Missing {
        key,
        offset: dict.offset(),
    })
}

pub(super) fn wrong(value: &Value<'_>, key: &'static str, expected: &'static str) -> Error {
    Error::WrongType {
        key,
        offset: value.offset(),
        expected,
    }
}

pub(super) fn integer(value: &Value<'_>, key: &'static str) -> Result<i64, Error> {
    value
        .as_integer()
        .ok_or_else(|| wrong(value, key, "an integer"))
}

pub(super) fn bytes<'a>(value: &Value<'a>, key: &'static str) -> Result<&'a [u8], Error> {
    value
        .as_bytes()
        .ok_or_else(|| wrong(value, key, "a string"))
}

pub(super) fn text(value: &Value<'_>, key: &'static str) -> Result<String, Error> {
    let raw = bytes(value, key)?;
    std::str::from_utf8(raw)
        .map(str::to_owned)
        .map_err(|_| Error::NotUtf8 {
            key,
            offset: value.offset(),
        })
}

pub(super) fn list<'v, 'a>(
    value: &'v Value<'a>,
    key: &'static str,
) -> Result<&'v [Value<'a>], Error> {
    value.as_list().ok_or_else(|| wrong(value, key, "a list"))
}

/// An optional UTF-8 string under `key`.
pub(super) fn optional_text(dict: &Value<'_>, key: &'static str) -> Result<Option<String>, Error> {
    get(dict, key).map(|value| text(value, key)).transpose()
}
