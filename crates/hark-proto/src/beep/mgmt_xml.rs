//! Channel-0 payloads: hark-wire's MIME header block and channel-0 XML, put together.

use bytes::Bytes;
use hark_wire::beep::channel0::Channel0Message;
use hark_wire::beep::mime::{MimeHeaders, MimeRepr};
use hark_wire::beep::tuning::TlsMessage;

/// The payload (`Content-Type: application/beep+xml`, then the XML) of `msg`.
pub(crate) fn encode(msg: &Channel0Message) -> Bytes {
    let mime = MimeRepr::beep_xml();
    let mut v = vec![0u8; mime.buffer_len() + msg.buffer_len()];
    let n = mime.emit(&mut v).expect("sized by buffer_len");
    // Only values the session built itself reach here; hark-wire refuses none of them.
    let m = msg.emit(&mut v[n..]).unwrap_or(0);
    v.truncate(n + m);
    Bytes::from(v)
}

/// A payload carrying `xml` under the beep+xml MIME header (SASL blobs).
pub(crate) fn encode_payload(xml: &[u8]) -> Bytes {
    let mime = MimeRepr::beep_xml();
    let mut v = vec![0u8; mime.buffer_len()];
    mime.emit(&mut v).expect("sized by buffer_len");
    v.extend_from_slice(xml);
    Bytes::from(v)
}

/// The content after a payload's MIME header block.
pub(crate) fn decode_content(payload: &[u8]) -> Result<Vec<u8>, String> {
    let headers = MimeHeaders::new_checked(payload).map_err(|e| e.to_string())?;
    Ok(headers.content().to_vec())
}

/// Reads a channel-0 payload; the error is the diagnostic.
pub(crate) fn decode(payload: &[u8]) -> Result<Channel0Message, String> {
    let headers = MimeHeaders::new_checked(payload).map_err(|e| e.to_string())?;
    if !headers.is_beep_xml() {
        return Err(format!(
            "channel-0 content type {:?}, not application/beep+xml",
            headers.content_type()
        ));
    }
    Channel0Message::parse(headers.content()).map_err(|e| e.to_string())
}

/// Whether piggybacked content is TLS's `<ready/>`.
pub(crate) fn is_ready(content: &str) -> bool {
    matches!(
        TlsMessage::parse(content.as_bytes()),
        Ok(TlsMessage::Ready { .. })
    )
}

/// Whether piggybacked content is TLS's `<proceed/>`.
pub(crate) fn is_proceed(content: &str) -> bool {
    matches!(
        TlsMessage::parse(content.as_bytes()),
        Ok(TlsMessage::Proceed)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use hark_wire::beep::channel0::{ErrorReply, Profile};

    #[test]
    fn channel_0_payloads_round_trip() {
        for msg in [
            Channel0Message::Ok,
            Channel0Message::Profile(Profile::new("http://iana.org/beep/TLS")),
            Channel0Message::Error(ErrorReply {
                code: 554,
                lang: None,
                text: Some("no".into()),
            }),
        ] {
            let bytes = encode(&msg);
            assert!(bytes.starts_with(b"Content-Type: application/beep+xml\r\n\r\n"));
            assert_eq!(decode(&bytes), Ok(msg));
        }
        assert!(
            decode(b"\r\n<ok />").is_err(),
            "default type is octet-stream"
        );
        assert!(is_ready("<ready />") && is_proceed("<proceed/>") && !is_ready("<proceed />"));
    }
}
