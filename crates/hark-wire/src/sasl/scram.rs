//! SCRAM messages (RFC 5802 section 7, used by SCRAM-SHA-256, RFC 7677).
//!
//! The four messages of an exchange: [`ClientFirst`], [`ServerFirst`], [`ClientFinal`]
//! and [`ServerFinal`]. Parsing is canonical: a message that parses emits back to the
//! same bytes, which the signatures (computed over the text) rely on.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::text;

/// The longest SCRAM message accepted (far above any legitimate one).
pub const MAX_MESSAGE: usize = 4096;

/// A malformed SCRAM message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScramError {
    /// The message is longer than [`MAX_MESSAGE`].
    #[error("SCRAM message longer than {MAX_MESSAGE} bytes")]
    TooLong,
    /// The message is not UTF-8.
    #[error("SCRAM message is not UTF-8")]
    NotUtf8,
    /// An attribute other than the one the grammar requires here.
    #[error("expected SCRAM attribute {expected:?}, found {found:?}")]
    UnexpectedAttribute {
        /// The attribute the grammar requires.
        expected: char,
        /// What was there instead (truncated).
        found: String,
    },
    /// The message ended before a required attribute.
    #[error("SCRAM attribute {0:?} is missing")]
    MissingAttribute(char),
    /// The gs2 channel-binding flag is not `n`, `y` or `p=name`.
    #[error("bad gs2 channel-binding flag")]
    BadChannelBindingFlag,
    /// A `saslname` (user or authorization identity) is empty or badly escaped.
    #[error("bad saslname in attribute {0:?}")]
    BadSaslName(char),
    /// The nonce is empty or has a character outside `%x21-2B / %x2D-7E`.
    #[error("bad SCRAM nonce")]
    BadNonce,
    /// An attribute that must be base64 is not (canonical, padded) base64.
    #[error("bad base64 in SCRAM attribute {0:?}")]
    BadBase64(char),
    /// The iteration count is not a positive decimal number that fits in 32 bits.
    #[error("bad SCRAM iteration count")]
    BadIterationCount,
    /// The message starts with the reserved mandatory-extension attribute `m`.
    #[error("SCRAM mandatory extension not supported")]
    MandatoryExtension,
    /// An extension attribute is not `ALPHA "=" value`.
    #[error("bad SCRAM extension attribute")]
    BadExtension,
    /// The buffer given to `emit` is too small.
    #[error("buffer too small: {required} bytes required")]
    BufferTooSmall {
        /// The length the message needs.
        required: usize,
    },
}

/// An extension attribute (`ALPHA "=" value`), kept in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension {
    /// The attribute letter.
    pub name: char,
    /// Its value (no `,`, no NUL).
    pub value: String,
}

/// The gs2 channel-binding flag.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ChannelBinding {
    /// `n`: the client does not support channel binding.
    #[default]
    NotSupported,
    /// `y`: the client supports it but thinks the server does not.
    ClientOnly,
    /// `p=name`: the client requires channel binding of this type.
    Required(String),
}

/// The gs2 header that starts the client-first message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Gs2Header {
    /// The channel-binding flag.
    pub binding: ChannelBinding,
    /// The authorization identity asked for (`a=`), if any.
    pub authzid: Option<String>,
}

impl fmt::Display for Gs2Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.binding {
            ChannelBinding::NotSupported => f.write_str("n,")?,
            ChannelBinding::ClientOnly => f.write_str("y,")?,
            ChannelBinding::Required(name) => write!(f, "p={name},")?,
        }
        if let Some(a) = &self.authzid {
            f.write_str("a=")?;
            write_saslname(f, a)?;
        }
        f.write_str(",")
    }
}

/// `client-first-message`: gs2 header, user name, client nonce.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientFirst {
    /// The gs2 header.
    pub gs2: Gs2Header,
    /// The user name (`n=`, unescaped).
    pub username: String,
    /// The client nonce (`r=`).
    pub nonce: String,
    /// Extensions after the nonce.
    pub extensions: Vec<Extension>,
}

/// `server-first-message`: the combined nonce, the salt and the iteration count.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerFirst {
    /// The client nonce followed by the server's (`r=`).
    pub nonce: String,
    /// The salt (`s=`, decoded).
    pub salt: Vec<u8>,
    /// The iteration count (`i=`).
    pub iterations: u32,
    /// Extensions after the iteration count.
    pub extensions: Vec<Extension>,
}

/// `client-final-message`: channel binding, nonce and proof.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientFinal {
    /// The channel binding (`c=`, decoded: the gs2 header, then any binding data).
    pub channel_binding: Vec<u8>,
    /// The combined nonce (`r=`).
    pub nonce: String,
    /// Extensions before the proof.
    pub extensions: Vec<Extension>,
    /// The client proof (`p=`, decoded).
    pub proof: Vec<u8>,
}

/// How the server ends the exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerOutcome {
    /// `v=`: the server signature (decoded).
    Verifier(Vec<u8>),
    /// `e=`: the server's error value (`invalid-proof`, `unknown-user`, ...).
    Error(String),
}

/// `server-final-message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerFinal {
    /// The verifier or the error.
    pub outcome: ServerOutcome,
    /// Extensions after it.
    pub extensions: Vec<Extension>,
}

/// The comma-separated attributes of a message, read in order.
struct Attrs<'a> {
    parts: std::iter::Peekable<std::str::Split<'a, char>>,
}

impl<'a> Attrs<'a> {
    fn new(bytes: &'a [u8]) -> Result<Self, ScramError> {
        if bytes.len() > MAX_MESSAGE {
            return Err(ScramError::TooLong);
        }
        let s = std::str::from_utf8(bytes).map_err(|_| ScramError::NotUtf8)?;
        Ok(Attrs {
            parts: s.split(',').peekable(),
        })
    }

    /// The next raw part.
    fn raw(&mut self) -> Option<&'a str> {
        self.parts.next()
    }

    /// The value of the next attribute, which must be `name`.
    fn expect(&mut self, name: char) -> Result<&'a str, ScramError> {
        let part = self
            .parts
            .next()
            .ok_or(ScramError::MissingAttribute(name))?;
        let mut chars = part.chars();
        if chars.next() == Some(name) && chars.next() == Some('=') {
            Ok(&part[2..])
        } else {
            Err(ScramError::UnexpectedAttribute {
                expected: name,
                found: part.chars().take(16).collect(),
            })
        }
    }

    /// Refuses a leading mandatory extension.
    fn no_mandatory_extension(&mut self) -> Result<(), ScramError> {
        match self.parts.peek() {
            Some(p) if p.starts_with("m=") => Err(ScramError::MandatoryExtension),
            _ => Ok(()),
        }
    }

    /// Extensions up to the end, or up to a last part starting with `stop=`.
    fn extensions(&mut self, stop: Option<char>) -> Result<Vec<Extension>, ScramError> {
        let mut out = Vec::new();
        while let Some(part) = self.parts.peek() {
            if let Some(stop) = stop
                && part.starts_with(stop)
                && part[stop.len_utf8()..].starts_with('=')
            {
                break;
            }
            let part = self.parts.next().unwrap_or_default();
            let mut chars = part.chars();
            let name = chars.next().ok_or(ScramError::BadExtension)?;
            if !name.is_ascii_alphabetic() || chars.next() != Some('=') || part.contains('\0') {
                return Err(ScramError::BadExtension);
            }
            out.push(Extension {
                name,
                value: part[2..].to_owned(),
            });
        }
        Ok(out)
    }
}

fn saslname(value: &str, attr: char) -> Result<String, ScramError> {
    if value.is_empty() || value.contains('\0') {
        return Err(ScramError::BadSaslName(attr));
    }
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(at) = rest.find('=') {
        out.push_str(&rest[..at]);
        match rest.get(at + 1..at + 3) {
            Some("2C") => out.push(','),
            Some("3D") => out.push('='),
            _ => return Err(ScramError::BadSaslName(attr)),
        }
        rest = &rest[at + 3..];
    }
    out.push_str(rest);
    Ok(out)
}

fn write_saslname(f: &mut fmt::Formatter<'_>, name: &str) -> fmt::Result {
    for c in name.chars() {
        match c {
            ',' => f.write_str("=2C")?,
            '=' => f.write_str("=3D")?,
            c => write!(f, "{c}")?,
        }
    }
    Ok(())
}

fn nonce(value: &str) -> Result<String, ScramError> {
    if value.is_empty()
        || !value
            .bytes()
            .all(|b| (0x21..=0x7e).contains(&b) && b != b',')
    {
        return Err(ScramError::BadNonce);
    }
    Ok(value.to_owned())
}

fn base64(value: &str, attr: char) -> Result<Vec<u8>, ScramError> {
    STANDARD
        .decode(value)
        .map_err(|_| ScramError::BadBase64(attr))
}

fn write_extensions(f: &mut fmt::Formatter<'_>, ext: &[Extension]) -> fmt::Result {
    for e in ext {
        write!(f, ",{}={}", e.name, e.value)?;
    }
    Ok(())
}

fn end(attrs: &mut Attrs<'_>) -> Result<(), ScramError> {
    match attrs.raw() {
        None => Ok(()),
        Some(_) => Err(ScramError::BadExtension),
    }
}

macro_rules! text_message {
    ($t:ty) => {
        impl $t {
            /// Length of the text this message emits.
            pub fn buffer_len(&self) -> usize {
                text::len(self)
            }

            /// Writes the message to the start of `buf`; returns its length.
            pub fn emit(&self, buf: &mut [u8]) -> Result<usize, ScramError> {
                text::emit(self, buf).map_err(|required| ScramError::BufferTooSmall { required })
            }

            /// The message as a new vector.
            pub fn to_vec(&self) -> Vec<u8> {
                self.to_string().into_bytes()
            }
        }
    };
}

impl ClientFirst {
    /// Parses a client-first message.
    pub fn parse(bytes: &[u8]) -> Result<Self, ScramError> {
        let mut attrs = Attrs::new(bytes)?;
        let binding = match attrs.raw().ok_or(ScramError::BadChannelBindingFlag)? {
            "n" => ChannelBinding::NotSupported,
            "y" => ChannelBinding::ClientOnly,
            p => {
                let name = p
                    .strip_prefix("p=")
                    .ok_or(ScramError::BadChannelBindingFlag)?;
                if name.is_empty()
                    || !name
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
                {
                    return Err(ScramError::BadChannelBindingFlag);
                }
                ChannelBinding::Required(name.to_owned())
            }
        };
        let authzid = match attrs.raw().ok_or(ScramError::MissingAttribute('n'))? {
            "" => None,
            a => Some(saslname(
                a.strip_prefix("a=")
                    .ok_or(ScramError::BadChannelBindingFlag)?,
                'a',
            )?),
        };
        attrs.no_mandatory_extension()?;
        let username = saslname(attrs.expect('n')?, 'n')?;
        let nonce = nonce(attrs.expect('r')?)?;
        let extensions = attrs.extensions(None)?;
        Ok(ClientFirst {
            gs2: Gs2Header { binding, authzid },
            username,
            nonce,
            extensions,
        })
    }

    /// `client-first-message-bare`: the message without its gs2 header, as signed.
    pub fn bare(&self) -> String {
        let full = self.to_string();
        full[text::len(&self.gs2)..].to_owned()
    }
}

impl fmt::Display for ClientFirst {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}n=", self.gs2)?;
        write_saslname(f, &self.username)?;
        write!(f, ",r={}", self.nonce)?;
        write_extensions(f, &self.extensions)
    }
}

impl ServerFirst {
    /// Parses a server-first message.
    pub fn parse(bytes: &[u8]) -> Result<Self, ScramError> {
        let mut attrs = Attrs::new(bytes)?;
        attrs.no_mandatory_extension()?;
        let nonce = nonce(attrs.expect('r')?)?;
        let salt = base64(attrs.expect('s')?, 's')?;
        let i = attrs.expect('i')?;
        if i.is_empty() || i.starts_with('0') || !i.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ScramError::BadIterationCount);
        }
        let iterations = i.parse().map_err(|_| ScramError::BadIterationCount)?;
        let extensions = attrs.extensions(None)?;
        Ok(ServerFirst {
            nonce,
            salt,
            iterations,
            extensions,
        })
    }
}

impl fmt::Display for ServerFirst {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "r={},s={},i={}",
            self.nonce,
            STANDARD.encode(&self.salt),
            self.iterations
        )?;
        write_extensions(f, &self.extensions)
    }
}

impl ClientFinal {
    /// Parses a client-final message.
    pub fn parse(bytes: &[u8]) -> Result<Self, ScramError> {
        let mut attrs = Attrs::new(bytes)?;
        let channel_binding = base64(attrs.expect('c')?, 'c')?;
        let nonce = nonce(attrs.expect('r')?)?;
        let extensions = attrs.extensions(Some('p'))?;
        let proof = base64(attrs.expect('p')?, 'p')?;
        end(&mut attrs)?;
        Ok(ClientFinal {
            channel_binding,
            nonce,
            extensions,
            proof,
        })
    }

    /// `client-final-message-without-proof`, as signed.
    pub fn without_proof(&self) -> String {
        let mut s = format!(
            "c={},r={}",
            STANDARD.encode(&self.channel_binding),
            self.nonce
        );
        for e in &self.extensions {
            s.push_str(&format!(",{}={}", e.name, e.value));
        }
        s
    }
}

impl fmt::Display for ClientFinal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{},p={}",
            self.without_proof(),
            STANDARD.encode(&self.proof)
        )
    }
}

impl ServerFinal {
    /// Parses a server-final message.
    pub fn parse(bytes: &[u8]) -> Result<Self, ScramError> {
        let mut attrs = Attrs::new(bytes)?;
        let first = attrs.raw().ok_or(ScramError::MissingAttribute('v'))?;
        let outcome = if let Some(v) = first.strip_prefix("v=") {
            ServerOutcome::Verifier(base64(v, 'v')?)
        } else if let Some(e) = first.strip_prefix("e=") {
            if e.is_empty() || e.contains('\0') {
                return Err(ScramError::BadExtension);
            }
            ServerOutcome::Error(e.to_owned())
        } else {
            return Err(ScramError::UnexpectedAttribute {
                expected: 'v',
                found: first.chars().take(16).collect(),
            });
        };
        let extensions = attrs.extensions(None)?;
        Ok(ServerFinal {
            outcome,
            extensions,
        })
    }
}

impl fmt::Display for ServerFinal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.outcome {
            ServerOutcome::Verifier(v) => write!(f, "v={}", STANDARD.encode(v))?,
            ServerOutcome::Error(e) => write!(f, "e={e}")?,
        }
        write_extensions(f, &self.extensions)
    }
}

text_message!(ClientFirst);
text_message!(ServerFirst);
text_message!(ClientFinal);
text_message!(ServerFinal);

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7677 section 3's SCRAM-SHA-256 example exchange (user "user", password
    // "pencil").
    const C1: &[u8] = b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
    const S1: &[u8] =
        b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
    const C2: &[u8] = b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
    const S2: &[u8] = b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

    #[test]
    fn rfc7677_example_round_trips() {
        let c1 = ClientFirst::parse(C1).unwrap();
        assert_eq!(c1.username, "user");
        assert_eq!(c1.bare(), "n=user,r=rOprNGfwEbeRWgbNEkqO");
        assert_eq!(c1.to_vec(), C1);
        let s1 = ServerFirst::parse(S1).unwrap();
        assert_eq!(s1.iterations, 4096);
        assert_eq!(s1.salt.len(), 16);
        assert_eq!(s1.to_vec(), S1);
        let c2 = ClientFinal::parse(C2).unwrap();
        assert_eq!(c2.channel_binding, b"n,,");
        assert_eq!(c2.proof.len(), 32);
        assert_eq!(c2.to_vec(), C2);
        let s2 = ServerFinal::parse(S2).unwrap();
        assert!(matches!(&s2.outcome, ServerOutcome::Verifier(v) if v.len() == 32));
        assert_eq!(s2.to_vec(), S2);
        let mut buf = [0u8; 8];
        assert_eq!(
            s2.emit(&mut buf),
            Err(ScramError::BufferTooSmall { required: S2.len() })
        );
        assert_eq!(s2.buffer_len(), S2.len());
    }

    #[test]
    fn saslnames_are_escaped_both_ways() {
        let m = ClientFirst {
            gs2: Gs2Header {
                binding: ChannelBinding::ClientOnly,
                authzid: Some("a,b=c".into()),
            },
            username: "=,".into(),
            nonce: "x".into(),
            extensions: vec![],
        };
        let text = m.to_vec();
        assert_eq!(text, b"y,a=a=2Cb=3Dc,n==3D=2C,r=x");
        assert_eq!(ClientFirst::parse(&text).unwrap(), m);
    }

    #[test]
    fn malformed_messages_are_typed_errors() {
        use ScramError::*;
        let cases: &[(&[u8], ScramError)] = &[
            (b"", BadChannelBindingFlag),
            (b"x,,n=u,r=a", BadChannelBindingFlag),
            (b"p=,,n=u,r=a", BadChannelBindingFlag),
            (b"n,b=z,n=u,r=a", BadChannelBindingFlag),
            (b"n,,m=ext,n=u,r=a", MandatoryExtension),
            (b"n,,n=u=2D,r=a", BadSaslName('n')),
            (b"n,,n=,r=a", BadSaslName('n')),
            (b"n,,n=u", MissingAttribute('r')),
            (b"n,,n=u,r=", BadNonce),
            (b"n,,n=u,r=a,1=x", BadExtension),
            (b"n,,\xff", NotUtf8),
            (b"r=a,s=!!,i=1", BadBase64('s')),
            (b"r=a,s=,i=0", BadIterationCount),
            (b"r=a,s=,i=01", BadIterationCount),
            (b"r=a,s=,i=99999999999", BadIterationCount),
            (b"c=biws,r=a", MissingAttribute('p')),
            (b"c=biws,r=a,p=,x=y", BadExtension),
            (
                b"q=1",
                UnexpectedAttribute {
                    expected: 'v',
                    found: "q=1".into(),
                },
            ),
        ];
        for (bytes, want) in cases {
            let got = match bytes.first() {
                Some(b'r') => ServerFirst::parse(bytes).err(),
                Some(b'c') => ClientFinal::parse(bytes).err(),
                Some(b'q') => ServerFinal::parse(bytes).err(),
                _ => ClientFirst::parse(bytes).err(),
            };
            assert_eq!(
                got.as_ref(),
                Some(want),
                "{:?}",
                String::from_utf8_lossy(bytes)
            );
        }
        assert_eq!(
            ClientFirst::parse(&vec![b'n'; MAX_MESSAGE + 1]),
            Err(TooLong)
        );
    }
}
