//! A frame as handlers see it: type, msgno, ansno, payload and MIME headers.

use bytes::Bytes;
use hark_wire::beep::mime::MimeHeaders;

pub use hark_wire::beep::header::FrameType;

/// A received message or reply, as the frame-received handler gets it (Vortex's
/// `VortexFrame`): whole messages, in order per channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    kind: FrameType,
    msgno: u32,
    payload: Bytes,
    header_len: usize,
    headers: Vec<(String, String)>,
}

impl Frame {
    /// A frame of `kind` for `msgno` carrying `payload` (MIME headers and body). A payload
    /// whose header block is malformed is kept whole as the body, with no headers.
    pub fn new(kind: FrameType, msgno: u32, payload: Bytes) -> Self {
        let (header_len, headers) = match MimeHeaders::new_checked(&payload[..]) {
            Ok(view) => (
                view.header_len(),
                view.fields()
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect(),
            ),
            Err(_) => (0, Vec::new()),
        };
        Frame {
            kind,
            msgno,
            payload,
            header_len,
            headers,
        }
    }

    /// The keyword: MSG, RPY, ERR, ANS or NUL.
    pub fn kind(&self) -> FrameType {
        self.kind
    }

    /// The message number.
    pub fn msgno(&self) -> u32 {
        self.msgno
    }

    /// The answer number of an ANS.
    pub fn ansno(&self) -> Option<u32> {
        match self.kind {
            FrameType::Ans { ansno } => Some(ansno),
            _ => None,
        }
    }

    /// The whole payload: MIME headers, then the body.
    pub fn payload(&self) -> &Bytes {
        &self.payload
    }

    /// The MIME header fields, in order (name, value).
    pub fn mime_headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The body: the payload after its MIME headers.
    pub fn body(&self) -> &[u8] {
        &self.payload[self.header_len..]
    }
}
