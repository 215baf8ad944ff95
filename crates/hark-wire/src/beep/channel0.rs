//! Channel-0 (channel management) messages of RFC 3080 section 2.3 as typed values.
//!
//! [`Channel0Message::parse`] reads the XML content of a channel-0 payload (after its MIME
//! header block) under the restrictions of [`xml`](super::xml); [`Channel0Message::emit`]
//! writes it in the RFC's own layout, so the RFC's examples come out byte for byte.
//!
//! ```
//! use hark_wire::beep::channel0::{Channel0Message, Greeting};
//!
//! // RFC 3080 section 2.3.1.1: the listener's greeting.
//! let xml = b"<greeting>\r\n   <profile uri='http://iana.org/beep/TLS' />\r\n</greeting>\r\n";
//! let message = Channel0Message::parse(xml).unwrap();
//! let Channel0Message::Greeting(greeting) = &message else { panic!() };
//! assert_eq!(greeting.profiles, ["http://iana.org/beep/TLS"]);
//!
//! let mut buf = [0u8; 128];
//! let len = message.emit(&mut buf).unwrap();
//! assert_eq!(&buf[..len], xml);
//! assert_eq!(len, message.buffer_len());
//!
//! assert!(Channel0Message::parse(b"<?xml version='1.0'?><ok />").is_err());
//! ```

use std::io;

use base64::Engine;

use super::xml::{Element, XmlError, XmlOut, emit_with, measure, parse_document};

/// Piggybacked profile content is at most this many octets (RFC 3080 section 2.3.1.2).
pub const MAX_PIGGYBACK: usize = 4096;

/// The largest channel number.
const MAX_CHANNEL: u32 = i32::MAX as u32;

/// The `greeting` element: the profiles a peer offers, features and languages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Greeting {
    /// The profile URIs offered, in order.
    pub profiles: Vec<String>,
    /// Optional feature tokens (the `features` attribute, split on whitespace).
    pub features: Vec<String>,
    /// Preferred languages (the `localize` attribute, split on whitespace; absent means
    /// `i-default`).
    pub localize: Vec<String>,
}

/// How piggybacked profile content is encoded (the `encoding` attribute).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum ContentEncoding {
    /// The content is text as is (the default, `none`).
    #[default]
    None,
    /// The content is base64.
    Base64,
}

/// A `profile` element with optional piggybacked content: one choice in a `start`, or
/// the profile chosen in the positive reply to it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    /// The profile URI.
    pub uri: String,
    /// How `content` is encoded.
    pub encoding: ContentEncoding,
    /// The piggybacked initialization content (at most [`MAX_PIGGYBACK`] octets), if any.
    pub content: Option<String>,
}

impl Profile {
    /// A profile with no piggyback.
    pub fn new(uri: impl Into<String>) -> Self {
        Self {
            uri: uri.into(),
            ..Self::default()
        }
    }

    /// The piggybacked content as bytes, base64-decoded when so encoded (whitespace in the
    /// base64 text is ignored).
    pub fn decoded_content(&self) -> Result<Option<Vec<u8>>, XmlError> {
        let Some(content) = &self.content else {
            return Ok(None);
        };
        match self.encoding {
            ContentEncoding::None => Ok(Some(content.as_bytes().to_vec())),
            ContentEncoding::Base64 => decode_base64(content).map(Some),
        }
    }
}

/// Decodes base64 text, ignoring ASCII whitespace.
pub(crate) fn decode_base64(text: &str) -> Result<Vec<u8>, XmlError> {
    let compact: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|_| XmlError::BadBase64)
}

/// The `start` element: a request to open channel `number` with one of `profiles`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Start {
    /// The channel to create (1..=2^31-1).
    pub number: u32,
    /// The server name the initiator asks for, if any.
    pub server_name: Option<String>,
    /// The acceptable profiles in order of preference (at least one).
    pub profiles: Vec<Profile>,
}

/// The `close` element: a request to close channel `number` (0 releases the session).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Close {
    /// The channel to close; 0 when the attribute is absent.
    pub number: u32,
    /// A three-digit reply code.
    pub code: u16,
    /// The language of the diagnostic, if given.
    pub lang: Option<String>,
    /// A diagnostic for humans, if any.
    pub text: Option<String>,
}

/// The `error` element: a negative reply with a reply code and diagnostic.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorReply {
    /// A three-digit reply code (e.g. 550, 421, 554).
    pub code: u16,
    /// The language of the diagnostic, if given.
    pub lang: Option<String>,
    /// A diagnostic for humans, if any.
    pub text: Option<String>,
}

/// A channel-0 message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Channel0Message {
    /// `greeting` (in the RPY to message 0).
    Greeting(Greeting),
    /// `start` (in a MSG).
    Start(Start),
    /// `profile` (in the RPY accepting a start).
    Profile(Profile),
    /// `close` (in a MSG).
    Close(Close),
    /// `ok` (in the RPY accepting a close).
    Ok,
    /// `error` (in an ERR, or refusing a session in the greeting's place).
    Error(ErrorReply),
}

fn parse_number(
    element: &'static str,
    attribute: &'static str,
    value: &str,
    min: u32,
) -> Result<u32, XmlError> {
    let bad = || XmlError::BadAttribute {
        element,
        attribute,
        value: value.to_owned(),
    };
    if value.is_empty() || value.len() > 10 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let number: u64 = value.parse().map_err(|_| bad())?;
    if number < u64::from(min) || number > u64::from(MAX_CHANNEL) {
        return Err(bad());
    }
    Ok(number as u32)
}

pub(crate) fn parse_code(element: &'static str, value: Option<&str>) -> Result<u16, XmlError> {
    let value = value.ok_or(XmlError::MissingAttribute {
        element,
        attribute: "code",
    })?;
    if value.len() != 3 || !value.bytes().all(|b| b.is_ascii_digit()) || value.starts_with('0') {
        return Err(XmlError::BadAttribute {
            element,
            attribute: "code",
            value: value.to_owned(),
        });
    }
    Ok(value.parse().unwrap_or(0))
}

fn tokens(value: Option<&str>) -> Vec<String> {
    value
        .map(|v| v.split_ascii_whitespace().map(str::to_owned).collect())
        .unwrap_or_default()
}

fn text_of(element: &Element) -> Result<Option<String>, XmlError> {
    element.no_child_elements()?;
    let text = element.text();
    Ok((!text.is_empty()).then_some(text))
}

fn profile_from(element: &Element) -> Result<Profile, XmlError> {
    let uri = element.attr("uri").ok_or(XmlError::MissingAttribute {
        element: "profile",
        attribute: "uri",
    })?;
    let encoding = match element.attr("encoding") {
        None | Some("none") => ContentEncoding::None,
        Some("base64") => ContentEncoding::Base64,
        Some(other) => {
            return Err(XmlError::BadAttribute {
                element: "profile",
                attribute: "encoding",
                value: other.to_owned(),
            });
        }
    };
    element.no_child_elements()?;
    let text = element.text();
    // Whitespace around piggybacked content is layout, not content.
    let content = text.trim();
    if content.len() > MAX_PIGGYBACK {
        return Err(XmlError::PiggybackTooLong { len: content.len() });
    }
    let profile = Profile {
        uri: uri.to_owned(),
        encoding,
        content: (!content.is_empty()).then(|| content.to_owned()),
    };
    if encoding == ContentEncoding::Base64 {
        profile.decoded_content()?;
    }
    Ok(profile)
}

pub(crate) fn error_from(element: &Element) -> Result<ErrorReply, XmlError> {
    Ok(ErrorReply {
        code: parse_code("error", element.attr("code"))?,
        lang: element.attr("xml:lang").map(str::to_owned),
        text: text_of(element)?,
    })
}

impl Channel0Message {
    /// Parses the XML content of a channel-0 payload (without its MIME headers).
    pub fn parse(xml: &[u8]) -> Result<Self, XmlError> {
        let root = parse_document(xml)?;
        Ok(match root.name.as_str() {
            "greeting" => {
                root.only_children("greeting", "profile")?;
                let mut profiles = Vec::new();
                for profile in root.elements() {
                    // A greeting's profile elements carry no initialization content.
                    profile.empty("profile")?;
                    profiles.push(profile_from(profile)?.uri);
                }
                Self::Greeting(Greeting {
                    profiles,
                    features: tokens(root.attr("features")),
                    localize: tokens(root.attr("localize")),
                })
            }
            "start" => {
                root.only_children("start", "profile")?;
                let number = root.attr("number").ok_or(XmlError::MissingAttribute {
                    element: "start",
                    attribute: "number",
                })?;
                let number = parse_number("start", "number", number, 1)?;
                let profiles = root
                    .elements()
                    .map(profile_from)
                    .collect::<Result<Vec<_>, _>>()?;
                if profiles.is_empty() {
                    return Err(XmlError::MissingAttribute {
                        element: "start",
                        attribute: "profile",
                    });
                }
                Self::Start(Start {
                    number,
                    server_name: root.attr("serverName").map(str::to_owned),
                    profiles,
                })
            }
            "profile" => Self::Profile(profile_from(&root)?),
            "close" => Self::Close(Close {
                number: match root.attr("number") {
                    Some(number) => parse_number("close", "number", number, 0)?,
                    None => 0,
                },
                code: parse_code("close", root.attr("code"))?,
                lang: root.attr("xml:lang").map(str::to_owned),
                text: text_of(&root)?,
            }),
            "ok" => {
                root.empty("ok")?;
                Self::Ok
            }
            "error" => Self::Error(error_from(&root)?),
            other => {
                return Err(XmlError::UnexpectedElement {
                    found: other.to_owned(),
                    expected: "greeting, start, profile, close, ok or error",
                });
            }
        })
    }

    /// Checks what emit would refuse.
    fn check(&self) -> Result<(), XmlError> {
        let check_profile = |profile: &Profile| match &profile.content {
            Some(content) if content.len() > MAX_PIGGYBACK => {
                Err(XmlError::CannotEmit("piggybacked content over 4096 octets"))
            }
            Some(content) if content.trim() != content => Err(XmlError::CannotEmit(
                "piggybacked content with surrounding whitespace",
            )),
            _ => Ok(()),
        };
        let check_code = |code: u16| {
            if (100..=999).contains(&code) {
                Ok(())
            } else {
                Err(XmlError::CannotEmit("a reply code must have three digits"))
            }
        };
        match self {
            Self::Greeting(_) | Self::Ok => Ok(()),
            Self::Start(start) => {
                if start.number == 0 || start.number > MAX_CHANNEL {
                    return Err(XmlError::CannotEmit("start number must be 1..=2^31-1"));
                }
                if start.profiles.is_empty() {
                    return Err(XmlError::CannotEmit("a start needs at least one profile"));
                }
                start.profiles.iter().try_for_each(check_profile)
            }
            Self::Profile(profile) => check_profile(profile),
            Self::Close(close) => {
                if close.number > MAX_CHANNEL {
                    return Err(XmlError::CannotEmit("close number must be 0..=2^31-1"));
                }
                check_code(close.code)
            }
            Self::Error(error) => check_code(error.code),
        }
    }

    fn write(&self, out: &mut XmlOut<&mut dyn io::Write>) -> io::Result<()> {
        match self {
            Self::Greeting(greeting) => {
                let features = greeting.features.join(" ");
                let localize = greeting.localize.join(" ");
                let mut attrs = Vec::new();
                if !features.is_empty() {
                    attrs.push(("features", features.as_str()));
                }
                if !localize.is_empty() {
                    attrs.push(("localize", localize.as_str()));
                }
                if greeting.profiles.is_empty() {
                    out.empty("greeting", &attrs)?;
                } else {
                    out.start("greeting", &attrs)?;
                    out.raw(b"\r\n")?;
                    for uri in &greeting.profiles {
                        out.raw(b"   ")?;
                        out.empty("profile", &[("uri", uri)])?;
                        out.raw(b"\r\n")?;
                    }
                    out.end("greeting")?;
                }
            }
            Self::Start(start) => {
                let number = start.number.to_string();
                let mut attrs = vec![("number", number.as_str())];
                if let Some(name) = &start.server_name {
                    attrs.push(("serverName", name));
                }
                out.start("start", &attrs)?;
                out.raw(b"\r\n")?;
                for profile in &start.profiles {
                    out.raw(b"   ")?;
                    write_profile(out, profile)?;
                    out.raw(b"\r\n")?;
                }
                out.end("start")?;
            }
            Self::Profile(profile) => write_profile(out, profile)?,
            Self::Close(close) => {
                let number = close.number.to_string();
                let code = close.code.to_string();
                let mut attrs = vec![("number", number.as_str()), ("code", code.as_str())];
                if let Some(lang) = &close.lang {
                    attrs.push(("xml:lang", lang));
                }
                write_text_element(out, "close", &attrs, close.text.as_deref())?;
            }
            Self::Ok => out.empty("ok", &[])?,
            Self::Error(error) => write_error(out, error)?,
        }
        out.raw(b"\r\n")
    }

    /// Length of the XML this message emits.
    pub fn buffer_len(&self) -> usize {
        measure(&|out: &mut XmlOut<&mut dyn io::Write>| self.write(out))
    }

    /// Writes the XML (followed by CR LF, as in the RFC's examples) to the start of `buf`;
    /// returns its length. The MIME header block goes before it (see
    /// [`MimeRepr::beep_xml`](super::mime::MimeRepr::beep_xml)).
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, XmlError> {
        self.check()?;
        emit_with(buf, |out| self.write(out))
    }

    /// The XML as a new vector.
    pub fn to_vec(&self) -> Result<Vec<u8>, XmlError> {
        let mut buf = vec![0; self.buffer_len()];
        let len = self.emit(&mut buf)?;
        buf.truncate(len);
        Ok(buf)
    }
}

fn write_profile(out: &mut XmlOut<&mut dyn io::Write>, profile: &Profile) -> io::Result<()> {
    let mut attrs = vec![("uri", profile.uri.as_str())];
    if profile.encoding == ContentEncoding::Base64 {
        attrs.push(("encoding", "base64"));
    }
    match &profile.content {
        None => out.empty("profile", &attrs),
        Some(content) => {
            out.start("profile", &attrs)?;
            out.cdata_or_text(content)?;
            out.end("profile")
        }
    }
}

fn write_text_element(
    out: &mut XmlOut<&mut dyn io::Write>,
    name: &str,
    attrs: &[(&str, &str)],
    text: Option<&str>,
) -> io::Result<()> {
    match text {
        None => out.empty(name, attrs),
        Some(text) => {
            out.start(name, attrs)?;
            out.text(text)?;
            out.end(name)
        }
    }
}

pub(crate) fn write_error(
    out: &mut XmlOut<&mut dyn io::Write>,
    error: &ErrorReply,
) -> io::Result<()> {
    let code = error.code.to_string();
    let mut attrs = vec![("code", code.as_str())];
    if let Some(lang) = &error.lang {
        attrs.push(("xml:lang", lang));
    }
    write_text_element(out, "error", &attrs, error.text.as_deref())
}
