//! Tuning payloads: the TLS profile's `ready` / `proceed` (RFC 3080 section 3.1) and the
//! SASL profiles' `blob` (RFC 3080 section 4), plus the `error` both may answer with.
//!
//! ```
//! use hark_wire::beep::tuning::{BlobStatus, SaslBlob, SaslMessage, TlsMessage};
//!
//! assert_eq!(TlsMessage::parse(b"<ready />").unwrap(), TlsMessage::Ready { version: "1".into() });
//! assert_eq!(TlsMessage::Proceed.to_vec().unwrap(), b"<proceed />\r\n");
//!
//! let blob = SaslBlob { status: BlobStatus::Continue, data: b"bob".to_vec() };
//! let xml = SaslMessage::Blob(blob.clone()).to_vec().unwrap();
//! assert_eq!(xml, b"<blob>Ym9i</blob>\r\n");
//! assert_eq!(SaslMessage::parse(&xml).unwrap(), SaslMessage::Blob(blob));
//! ```

use std::io;

use base64::Engine;

use super::channel0::{ErrorReply, decode_base64, error_from, write_error};
use super::xml::{XmlError, XmlOut, emit_with, measure, parse_document};

/// A message on a channel running the TLS profile (`http://iana.org/beep/TLS`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsMessage {
    /// `<ready />`: the initiator asks to start TLS. `version` defaults to `1`.
    Ready {
        /// The `version` attribute.
        version: String,
    },
    /// `<proceed />`: the listener agrees; both sides now start the TLS handshake.
    Proceed,
    /// `<error code='...'>`: the listener refuses.
    Error(ErrorReply),
}

impl TlsMessage {
    /// Parses a TLS profile message.
    pub fn parse(xml: &[u8]) -> Result<Self, XmlError> {
        let root = parse_document(xml)?;
        match root.name.as_str() {
            "ready" => {
                root.empty("ready")?;
                Ok(Self::Ready {
                    version: root.attr("version").unwrap_or("1").to_owned(),
                })
            }
            "proceed" => {
                root.empty("proceed")?;
                Ok(Self::Proceed)
            }
            "error" => Ok(Self::Error(error_from(&root)?)),
            other => Err(XmlError::UnexpectedElement {
                found: other.to_owned(),
                expected: "ready, proceed or error",
            }),
        }
    }

    fn write(&self, out: &mut XmlOut<&mut dyn io::Write>) -> io::Result<()> {
        match self {
            // The default version is left implicit, as in the RFC's examples.
            Self::Ready { version } if version == "1" => out.empty("ready", &[])?,
            Self::Ready { version } => out.empty("ready", &[("version", version)])?,
            Self::Proceed => out.empty("proceed", &[])?,
            Self::Error(error) => write_error(out, error)?,
        }
        out.raw(b"\r\n")
    }

    /// Length of the XML this message emits.
    pub fn buffer_len(&self) -> usize {
        measure(&|out: &mut XmlOut<&mut dyn io::Write>| self.write(out))
    }

    /// Writes the XML (followed by CR LF) to the start of `buf`; returns its length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, XmlError> {
        if let Self::Error(error) = self {
            check_code(error.code)?;
        }
        emit_with(buf, |out| self.write(out))
    }

    /// The XML as a new vector.
    pub fn to_vec(&self) -> Result<Vec<u8>, XmlError> {
        to_vec(self.buffer_len(), |buf| self.emit(buf))
    }
}

/// The `status` attribute of a SASL `blob`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum BlobStatus {
    /// The exchange goes on (the default).
    #[default]
    Continue,
    /// The exchange succeeded.
    Complete,
    /// The sender gives up.
    Abort,
}

impl BlobStatus {
    /// The attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Continue => "continue",
            Self::Complete => "complete",
            Self::Abort => "abort",
        }
    }
}

/// A SASL `blob`: a status and the mechanism's bytes (base64 on the wire).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SaslBlob {
    /// The status.
    pub status: BlobStatus,
    /// The mechanism data, decoded.
    pub data: Vec<u8>,
}

/// A message on a channel running a SASL profile (`http://iana.org/beep/SASL/...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaslMessage {
    /// A `blob`.
    Blob(SaslBlob),
    /// An `error`: the authentication failed.
    Error(ErrorReply),
}

impl SaslMessage {
    /// Parses a SASL profile message.
    pub fn parse(xml: &[u8]) -> Result<Self, XmlError> {
        let root = parse_document(xml)?;
        match root.name.as_str() {
            "blob" => {
                let status = match root.attr("status") {
                    None | Some("continue") => BlobStatus::Continue,
                    Some("complete") => BlobStatus::Complete,
                    Some("abort") => BlobStatus::Abort,
                    Some(other) => {
                        return Err(XmlError::BadAttribute {
                            element: "blob",
                            attribute: "status",
                            value: other.to_owned(),
                        });
                    }
                };
                root.no_child_elements()?;
                let data = decode_base64(&root.text())?;
                Ok(Self::Blob(SaslBlob { status, data }))
            }
            "error" => Ok(Self::Error(error_from(&root)?)),
            other => Err(XmlError::UnexpectedElement {
                found: other.to_owned(),
                expected: "blob or error",
            }),
        }
    }

    fn write(&self, out: &mut XmlOut<&mut dyn io::Write>) -> io::Result<()> {
        match self {
            Self::Blob(blob) => {
                let attrs: &[(&str, &str)] = match blob.status {
                    BlobStatus::Continue => &[],
                    status => &[("status", status.as_str())],
                };
                if blob.data.is_empty() {
                    out.empty("blob", attrs)?;
                } else {
                    let text = base64::engine::general_purpose::STANDARD.encode(&blob.data);
                    out.start("blob", attrs)?;
                    out.text(&text)?;
                    out.end("blob")?;
                }
            }
            Self::Error(error) => write_error(out, error)?,
        }
        out.raw(b"\r\n")
    }

    /// Length of the XML this message emits.
    pub fn buffer_len(&self) -> usize {
        measure(&|out: &mut XmlOut<&mut dyn io::Write>| self.write(out))
    }

    /// Writes the XML (followed by CR LF) to the start of `buf`; returns its length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, XmlError> {
        if let Self::Error(error) = self {
            check_code(error.code)?;
        }
        emit_with(buf, |out| self.write(out))
    }

    /// The XML as a new vector.
    pub fn to_vec(&self) -> Result<Vec<u8>, XmlError> {
        to_vec(self.buffer_len(), |buf| self.emit(buf))
    }
}

fn check_code(code: u16) -> Result<(), XmlError> {
    if (100..=999).contains(&code) {
        Ok(())
    } else {
        Err(XmlError::CannotEmit("a reply code must have three digits"))
    }
}

fn to_vec(
    len: usize,
    emit: impl FnOnce(&mut [u8]) -> Result<usize, XmlError>,
) -> Result<Vec<u8>, XmlError> {
    let mut buf = vec![0; len];
    let written = emit(&mut buf)?;
    buf.truncate(written);
    Ok(buf)
}
