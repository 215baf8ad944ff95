//! The MIME entity headers at the start of a BEEP message payload (RFC 3080 section 2.2.1.2).
//!
//! A payload is a MIME entity: header fields, an empty line, then the content. Absent
//! headers take BEEP's defaults, `Content-Type: application/octet-stream` and
//! `Content-Transfer-Encoding: binary`. Vortex prefixes every payload with such a block;
//! an empty block is just CR LF.
//!
//! [`MimeHeaders`] is a checked view over a payload (no allocation: getters scan the
//! validated block); [`MimeRepr`] the owned representation with [`MimeRepr::emit`].
//!
//! ```
//! use hark_wire::beep::mime::{MimeHeaders, MimeRepr};
//!
//! // RFC 3080 section 2.3.1.1: the initiator's greeting payload.
//! let payload = b"Content-Type: application/beep+xml\r\n\r\n<greeting />\r\n";
//! let entity = MimeHeaders::new_checked(&payload[..]).unwrap();
//! assert_eq!(entity.content_type(), "application/beep+xml");
//! assert_eq!(entity.content_transfer_encoding(), "binary"); // the default
//! assert_eq!(entity.content(), b"<greeting />\r\n");
//!
//! // Vortex's empty header block.
//! let bare = MimeHeaders::new_checked(&b"\r\nhello"[..]).unwrap();
//! assert_eq!(bare.content_type(), "application/octet-stream");
//! assert_eq!(bare.content(), b"hello");
//!
//! let repr = MimeRepr::beep_xml();
//! let mut buf = [0u8; 64];
//! let len = repr.emit(&mut buf).unwrap();
//! assert_eq!(&buf[..len], b"Content-Type: application/beep+xml\r\n\r\n");
//! assert_eq!(MimeRepr::default().buffer_len(), 2);
//! ```

/// BEEP's default `Content-Type`.
pub const DEFAULT_CONTENT_TYPE: &str = "application/octet-stream";
/// BEEP's default `Content-Transfer-Encoding`.
pub const DEFAULT_TRANSFER_ENCODING: &str = "binary";
/// The media type of channel-0 messages and tuning payloads.
pub const BEEP_XML: &str = "application/beep+xml";

const CONTENT_TYPE: &str = "Content-Type";
const TRANSFER_ENCODING: &str = "Content-Transfer-Encoding";

/// Why a payload's MIME header block is malformed, or cannot be emitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MimeError {
    /// The header block is not ended by an empty line (CR LF CR LF, or a leading CR LF).
    #[error("MIME header block not terminated by an empty line")]
    Unterminated,
    /// A line is not `name: value` (or a continuation starting with a space or tab).
    #[error("malformed MIME header line at payload offset {offset}")]
    MalformedField {
        /// Offset of the line in the payload.
        offset: usize,
    },
    /// A field value is not UTF-8, or a line ends in a bare CR or LF.
    #[error("MIME header line at payload offset {offset} is not UTF-8 text ending in CR LF")]
    BadText {
        /// Offset of the line in the payload.
        offset: usize,
    },
    /// `Content-Type` or `Content-Transfer-Encoding` appears twice.
    #[error("MIME header {name} appears twice")]
    Duplicate {
        /// Which header.
        name: &'static str,
    },
    /// A name or value handed to emit contains CR, LF or (in a name) ':' or space.
    #[error("MIME header field {index} cannot be emitted: bad characters in its name or value")]
    BadField {
        /// Index of the field in emit order (content type, transfer encoding, others).
        index: usize,
    },
    /// The output buffer is too small.
    #[error("buffer too small: {required} bytes required")]
    BufferTooSmall {
        /// How many bytes the header block needs.
        required: usize,
    },
}

/// A validated view over a payload: its MIME header block and content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MimeHeaders<T: AsRef<[u8]>> {
    buffer: T,
    /// Length of the header fields, without the empty line that ends them.
    fields_len: usize,
}

impl<T: AsRef<[u8]>> MimeHeaders<T> {
    /// Validates the header block at the start of `buffer` (a whole message payload, or at
    /// least its beginning up to the empty line).
    pub fn new_checked(buffer: T) -> Result<Self, MimeError> {
        let bytes = buffer.as_ref();
        let mut pos = 0;
        let mut seen_type = false;
        let mut seen_encoding = false;
        loop {
            let rest = &bytes[pos..];
            let Some(line_len) = rest.windows(2).position(|w| w == b"\r\n") else {
                return Err(MimeError::Unterminated);
            };
            if line_len == 0 {
                break;
            }
            let line = &rest[..line_len];
            if line.contains(&b'\r') || line.contains(&b'\n') {
                return Err(MimeError::BadText { offset: pos });
            }
            let text =
                core::str::from_utf8(line).map_err(|_| MimeError::BadText { offset: pos })?;
            if text.starts_with([' ', '\t']) {
                if pos == 0 {
                    return Err(MimeError::MalformedField { offset: pos });
                }
            } else {
                let (name, _) =
                    split_field(text).ok_or(MimeError::MalformedField { offset: pos })?;
                for (wanted, seen) in [
                    (CONTENT_TYPE, &mut seen_type),
                    (TRANSFER_ENCODING, &mut seen_encoding),
                ] {
                    if name.eq_ignore_ascii_case(wanted) {
                        if *seen {
                            return Err(MimeError::Duplicate { name: wanted });
                        }
                        *seen = true;
                    }
                }
            }
            pos += line_len + 2;
        }
        Ok(Self {
            buffer,
            fields_len: pos,
        })
    }

    /// The header fields in order, as `(name, value)`; a folded value keeps its CR LF and
    /// leading whitespace. Values are trimmed of surrounding whitespace.
    pub fn fields(&self) -> Fields<'_> {
        Fields::over(&self.buffer.as_ref()[..self.fields_len])
    }

    /// The value of the first field named `name` (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields()
            .find(|(field, _)| field.eq_ignore_ascii_case(name))
            .map(|(_, value)| value)
    }

    /// `Content-Type`, or BEEP's default `application/octet-stream`.
    pub fn content_type(&self) -> &str {
        self.get(CONTENT_TYPE).unwrap_or(DEFAULT_CONTENT_TYPE)
    }

    /// `Content-Transfer-Encoding`, or BEEP's default `binary`.
    pub fn content_transfer_encoding(&self) -> &str {
        self.get(TRANSFER_ENCODING)
            .unwrap_or(DEFAULT_TRANSFER_ENCODING)
    }

    /// Whether the content type's media type (before any `;` parameter) is
    /// `application/beep+xml`.
    pub fn is_beep_xml(&self) -> bool {
        let media = self.content_type().split(';').next().unwrap_or("");
        media.trim().eq_ignore_ascii_case(BEEP_XML)
    }

    /// Length of the whole header block, the terminating empty line included.
    pub fn header_len(&self) -> usize {
        self.fields_len + 2
    }

    /// The content after the header block.
    pub fn content(&self) -> &[u8] {
        &self.buffer.as_ref()[self.header_len()..]
    }

    /// The underlying buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }
}

impl<'a> MimeHeaders<&'a [u8]> {
    /// [`MimeHeaders::fields`], borrowing the underlying buffer rather than the view.
    pub fn fields_ref(&self) -> Fields<'a> {
        let bytes: &'a [u8] = self.buffer;
        Fields::over(&bytes[..self.fields_len])
    }
}

/// Splits `name: value`; the name must be non-empty printable ASCII without ':' or space.
fn split_field(line: &str) -> Option<(&str, &str)> {
    let (name, value) = line.split_once(':')?;
    let valid = !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic() && b != b':');
    valid.then(|| (name, value.trim()))
}

/// Iterator over the fields of a [`MimeHeaders`].
#[derive(Debug, Clone)]
pub struct Fields<'a> {
    rest: &'a str,
}

impl<'a> Fields<'a> {
    fn over(block: &'a [u8]) -> Self {
        // Validated as UTF-8 line by line, and every line ends on a character boundary.
        Self {
            rest: core::str::from_utf8(block).unwrap_or(""),
        }
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        // A field runs until a CR LF not followed by a space or tab.
        let mut end = 0;
        let bytes = self.rest.as_bytes();
        let field_end = loop {
            match self.rest[end..].find("\r\n") {
                Some(at) => {
                    let crlf = end + at;
                    if matches!(bytes.get(crlf + 2), Some(b' ' | b'\t')) {
                        end = crlf + 2;
                    } else {
                        break crlf;
                    }
                }
                None => break self.rest.len(),
            }
        };
        let field = &self.rest[..field_end];
        self.rest = self.rest.get(field_end + 2..).unwrap_or("");
        split_field(field)
    }
}

/// A payload's MIME header block as values. `None` leaves a header out (its BEEP default
/// applies); the empty repr emits just CR LF.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MimeRepr<'a> {
    /// `Content-Type`, if sent.
    pub content_type: Option<&'a str>,
    /// `Content-Transfer-Encoding`, if sent.
    pub content_transfer_encoding: Option<&'a str>,
    /// Every other field, in order, as `(name, value)`.
    pub others: Vec<(&'a str, &'a str)>,
}

impl<'a> MimeRepr<'a> {
    /// `Content-Type: application/beep+xml` and nothing else: channel 0's header block.
    pub fn beep_xml() -> Self {
        Self {
            content_type: Some(BEEP_XML),
            ..Self::default()
        }
    }

    /// Reads a validated header block; the repr borrows its bytes.
    pub fn parse(headers: &MimeHeaders<&'a [u8]>) -> Self {
        let mut repr = Self::default();
        for (name, value) in headers.fields_ref() {
            if name.eq_ignore_ascii_case(CONTENT_TYPE) {
                repr.content_type = Some(value);
            } else if name.eq_ignore_ascii_case(TRANSFER_ENCODING) {
                repr.content_transfer_encoding = Some(value);
            } else {
                repr.others.push((name, value));
            }
        }
        repr
    }

    fn each_field(&self) -> impl Iterator<Item = (&'a str, &'a str)> + '_ {
        let known = [
            self.content_type.map(|v| (CONTENT_TYPE, v)),
            self.content_transfer_encoding
                .map(|v| (TRANSFER_ENCODING, v)),
        ];
        known
            .into_iter()
            .flatten()
            .chain(self.others.iter().copied())
    }

    /// Length of the header block, the empty line included.
    pub fn buffer_len(&self) -> usize {
        self.each_field()
            .map(|(name, value)| name.len() + 2 + value.len() + 2)
            .sum::<usize>()
            + 2
    }

    /// Writes the header block to the start of `buf`; returns its length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, MimeError> {
        for (index, (name, value)) in self.each_field().enumerate() {
            let name_ok =
                !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic() && b != b':');
            let value_ok = !value.bytes().any(|b| b == b'\r' || b == b'\n');
            if !name_ok || !value_ok {
                return Err(MimeError::BadField { index });
            }
        }
        let required = self.buffer_len();
        if buf.len() < required {
            return Err(MimeError::BufferTooSmall { required });
        }
        let mut pos = 0;
        let mut put = |bytes: &[u8]| {
            buf[pos..pos + bytes.len()].copy_from_slice(bytes);
            pos += bytes.len();
        };
        for (name, value) in self.each_field() {
            put(name.as_bytes());
            put(b": ");
            put(value.as_bytes());
            put(b"\r\n");
        }
        put(b"\r\n");
        Ok(required)
    }
}
