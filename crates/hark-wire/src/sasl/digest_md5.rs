//! DIGEST-MD5 directives (RFC 2831 section 2.1; obsolete per RFC 6331, kept for
//! interoperability).
//!
//! Three messages: the server's [`Challenge`], the client's [`Response`] and the server's
//! [`ResponseAuth`] (`rspauth`). Each is a `#rule` list of `name=value` directives,
//! values being tokens or quoted strings; unknown directives are ignored, duplicated
//! ones refused.

use std::fmt;

use super::text;

/// The longest DIGEST-MD5 message accepted (RFC 2831 caps responses at 4096 bytes).
pub const MAX_MESSAGE: usize = 4096;

/// A malformed DIGEST-MD5 message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DigestError {
    /// The message is longer than [`MAX_MESSAGE`].
    #[error("DIGEST-MD5 message longer than {MAX_MESSAGE} bytes")]
    TooLong,
    /// The message is not UTF-8.
    #[error("DIGEST-MD5 message is not UTF-8")]
    NotUtf8,
    /// The directive list does not follow the grammar at this byte offset.
    #[error("DIGEST-MD5 syntax error at byte {position}")]
    Syntax {
        /// Where the parser stopped.
        position: usize,
    },
    /// A directive that may appear only once appears twice.
    #[error("DIGEST-MD5 directive {0:?} appears twice")]
    Duplicate(String),
    /// A required directive is missing.
    #[error("DIGEST-MD5 directive {0:?} is missing")]
    Missing(&'static str),
    /// A directive's value is not what the RFC allows.
    #[error("bad value of DIGEST-MD5 directive {0:?}")]
    BadValue(&'static str),
    /// The buffer given to `emit` is too small.
    #[error("buffer too small: {required} bytes required")]
    BufferTooSmall {
        /// The length the message needs.
        required: usize,
    },
}

/// The server's digest-challenge.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Challenge {
    /// The realms offered (`realm`, any number).
    pub realms: Vec<String>,
    /// The server nonce.
    pub nonce: String,
    /// The qop options offered (`auth`, `auth-int`, `auth-conf`); empty means `auth`.
    pub qop: Vec<String>,
    /// `stale=true`: the previous nonce expired.
    pub stale: bool,
    /// The largest buffer the server accepts under a security layer.
    pub maxbuf: Option<u32>,
    /// `charset=utf-8`: names and passwords are UTF-8.
    pub utf8: bool,
    /// The ciphers offered for `auth-conf`.
    pub ciphers: Vec<String>,
}

/// The client's digest-response.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Response {
    /// The user name.
    pub username: String,
    /// The realm chosen, if any.
    pub realm: Option<String>,
    /// The server nonce, echoed.
    pub nonce: String,
    /// The client nonce.
    pub cnonce: String,
    /// The nonce count (`nc`, eight hex digits).
    pub nc: u32,
    /// The qop chosen (`None` means `auth`).
    pub qop: Option<String>,
    /// The `digest-uri` (`serv-type/host[/serv-name]`).
    pub digest_uri: String,
    /// The response value (32 hex digits, decoded).
    pub response: [u8; 16],
    /// The largest buffer the client accepts.
    pub maxbuf: Option<u32>,
    /// `charset=utf-8`.
    pub utf8: bool,
    /// The cipher chosen for `auth-conf`.
    pub cipher: Option<String>,
    /// The authorization identity asked for.
    pub authzid: Option<String>,
}

/// The server's `response-auth` (`rspauth`), proving it knew the password too.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResponseAuth {
    /// The value (32 hex digits, decoded).
    pub rspauth: [u8; 16],
}

/// Splits a directive list into `(lower-case name, unquoted value)` pairs.
pub fn directives(bytes: &[u8]) -> Result<Vec<(String, String)>, DigestError> {
    if bytes.len() > MAX_MESSAGE {
        return Err(DigestError::TooLong);
    }
    let s = std::str::from_utf8(bytes).map_err(|_| DigestError::NotUtf8)?;
    let b = s.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    let lws = |i: &mut usize| {
        while *i < b.len() && matches!(b[*i], b' ' | b'\t' | b'\r' | b'\n') {
            *i += 1;
        }
    };
    let token = |i: &mut usize| -> Result<String, DigestError> {
        let start = *i;
        while *i < b.len() && is_token_char(b[*i]) {
            *i += 1;
        }
        if *i == start {
            return Err(DigestError::Syntax { position: start });
        }
        Ok(s[start..*i].to_owned())
    };
    loop {
        // Null elements and separators.
        while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\r' | b'\n' | b',') {
            i += 1;
        }
        if i == b.len() {
            return Ok(out);
        }
        let name = token(&mut i)?.to_ascii_lowercase();
        lws(&mut i);
        if b.get(i) != Some(&b'=') {
            return Err(DigestError::Syntax { position: i });
        }
        i += 1;
        lws(&mut i);
        let value = if b.get(i) == Some(&b'"') {
            i += 1;
            let mut v = String::new();
            loop {
                let rest = s.get(i..).ok_or(DigestError::Syntax { position: i })?;
                let mut chars = rest.chars();
                match chars.next() {
                    None => return Err(DigestError::Syntax { position: i }),
                    Some('"') => {
                        i += 1;
                        break;
                    }
                    Some('\\') => {
                        let c = chars.next().ok_or(DigestError::Syntax { position: i })?;
                        v.push(c);
                        i += 1 + c.len_utf8();
                    }
                    Some(c) => {
                        v.push(c);
                        i += c.len_utf8();
                    }
                }
            }
            v
        } else {
            token(&mut i)?
        };
        lws(&mut i);
        if i < b.len() && b[i] != b',' {
            return Err(DigestError::Syntax { position: i });
        }
        out.push((name, value));
    }
}

fn is_token_char(c: u8) -> bool {
    c > 32 && c < 127 && !b"()<>@,;:\\\"/[]?={}".contains(&c)
}

/// Directives by name, refusing duplicates of the single-valued ones.
struct Directives(Vec<(String, String)>);

impl Directives {
    fn parse(bytes: &[u8], multi: &[&str]) -> Result<Self, DigestError> {
        let list = directives(bytes)?;
        for (n, (name, _)) in list.iter().enumerate() {
            if !multi.contains(&name.as_str()) && list[..n].iter().any(|(x, _)| x == name) {
                return Err(DigestError::Duplicate(name.clone()));
            }
        }
        Ok(Directives(list))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn required(&self, name: &'static str) -> Result<String, DigestError> {
        self.get(name)
            .map(str::to_owned)
            .ok_or(DigestError::Missing(name))
    }

    fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    fn utf8(&self) -> Result<bool, DigestError> {
        match self.get("charset") {
            None => Ok(false),
            Some(v) if v.eq_ignore_ascii_case("utf-8") => Ok(true),
            Some(_) => Err(DigestError::BadValue("charset")),
        }
    }

    fn maxbuf(&self) -> Result<Option<u32>, DigestError> {
        self.get("maxbuf")
            .map(|v| decimal(v).ok_or(DigestError::BadValue("maxbuf")))
            .transpose()
    }
}

fn decimal(v: &str) -> Option<u32> {
    if v.is_empty() || v.len() > 10 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse().ok()
}

fn hex16(v: &str, name: &'static str) -> Result<[u8; 16], DigestError> {
    let b = v.as_bytes();
    if b.len() != 32 {
        return Err(DigestError::BadValue(name));
    }
    let mut out = [0u8; 16];
    for (o, pair) in out.iter_mut().zip(b.chunks(2)) {
        let hi = (pair[0] as char).to_digit(16);
        let lo = (pair[1] as char).to_digit(16);
        match (hi, lo) {
            (Some(h), Some(l)) => *o = (h * 16 + l) as u8,
            _ => return Err(DigestError::BadValue(name)),
        }
    }
    Ok(out)
}

/// Splits a quoted comma list (`qop="auth,auth-int"`) into its tokens.
fn token_list(v: &str, name: &'static str) -> Result<Vec<String>, DigestError> {
    let items: Vec<String> = v
        .split(',')
        .map(|t| t.trim_matches([' ', '\t']))
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect();
    if items.iter().any(|t| !t.bytes().all(is_token_char)) {
        return Err(DigestError::BadValue(name));
    }
    Ok(items)
}

struct Quoted<'a>(&'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        for c in self.0.chars() {
            if c == '"' || c == '\\' {
                f.write_str("\\")?;
            }
            write!(f, "{c}")?;
        }
        f.write_str("\"")
    }
}

struct Hex<'a>(&'a [u8]);

impl fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// A token value as the grammar wants it (`qop`, `cipher`): non-empty token characters.
fn checked_token(v: String, name: &'static str) -> Result<String, DigestError> {
    if v.is_empty() || !v.bytes().all(is_token_char) {
        return Err(DigestError::BadValue(name));
    }
    Ok(v)
}

impl Challenge {
    /// Parses a digest-challenge.
    pub fn parse(bytes: &[u8]) -> Result<Self, DigestError> {
        let d = Directives::parse(bytes, &["realm"])?;
        match d.get("algorithm") {
            Some(a) if a.eq_ignore_ascii_case("md5-sess") => {}
            Some(_) => return Err(DigestError::BadValue("algorithm")),
            None => return Err(DigestError::Missing("algorithm")),
        }
        let stale = match d.get("stale") {
            None => false,
            Some(v) if v.eq_ignore_ascii_case("true") => true,
            Some(_) => return Err(DigestError::BadValue("stale")),
        };
        Ok(Challenge {
            realms: d.all("realm"),
            nonce: d.required("nonce")?,
            qop: d
                .get("qop")
                .map(|v| token_list(v, "qop"))
                .transpose()?
                .unwrap_or_default(),
            stale,
            maxbuf: d.maxbuf()?,
            utf8: d.utf8()?,
            ciphers: d
                .get("cipher")
                .map(|v| token_list(v, "cipher"))
                .transpose()?
                .unwrap_or_default(),
        })
    }
}

impl fmt::Display for Challenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for r in &self.realms {
            write!(f, "realm={},", Quoted(r))?;
        }
        write!(f, "nonce={}", Quoted(&self.nonce))?;
        if !self.qop.is_empty() {
            write!(f, ",qop={}", Quoted(&self.qop.join(",")))?;
        }
        if self.stale {
            f.write_str(",stale=true")?;
        }
        if let Some(m) = self.maxbuf {
            write!(f, ",maxbuf={m}")?;
        }
        if self.utf8 {
            f.write_str(",charset=utf-8")?;
        }
        f.write_str(",algorithm=md5-sess")?;
        if !self.ciphers.is_empty() {
            write!(f, ",cipher={}", Quoted(&self.ciphers.join(",")))?;
        }
        Ok(())
    }
}

impl Response {
    /// Parses a digest-response.
    pub fn parse(bytes: &[u8]) -> Result<Self, DigestError> {
        let d = Directives::parse(bytes, &[])?;
        let nc = d.required("nc")?;
        if nc.len() != 8 || !nc.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(DigestError::BadValue("nc"));
        }
        Ok(Response {
            username: d.required("username")?,
            realm: d.get("realm").map(str::to_owned),
            nonce: d.required("nonce")?,
            cnonce: d.required("cnonce")?,
            nc: u32::from_str_radix(&nc, 16).map_err(|_| DigestError::BadValue("nc"))?,
            qop: d
                .get("qop")
                .map(|q| checked_token(q.to_owned(), "qop"))
                .transpose()?,
            digest_uri: d.required("digest-uri")?,
            response: hex16(&d.required("response")?, "response")?,
            maxbuf: d.maxbuf()?,
            utf8: d.utf8()?,
            cipher: d
                .get("cipher")
                .map(|c| checked_token(c.to_owned(), "cipher"))
                .transpose()?,
            authzid: d.get("authzid").map(str::to_owned),
        })
    }
}

impl fmt::Display for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "username={}", Quoted(&self.username))?;
        if let Some(r) = &self.realm {
            write!(f, ",realm={}", Quoted(r))?;
        }
        write!(
            f,
            ",nonce={},cnonce={},nc={:08x}",
            Quoted(&self.nonce),
            Quoted(&self.cnonce),
            self.nc
        )?;
        if let Some(q) = &self.qop {
            write!(f, ",qop={q}")?;
        }
        write!(
            f,
            ",digest-uri={},response={}",
            Quoted(&self.digest_uri),
            Hex(&self.response)
        )?;
        if let Some(m) = self.maxbuf {
            write!(f, ",maxbuf={m}")?;
        }
        if self.utf8 {
            f.write_str(",charset=utf-8")?;
        }
        if let Some(c) = &self.cipher {
            write!(f, ",cipher={c}")?;
        }
        if let Some(a) = &self.authzid {
            write!(f, ",authzid={}", Quoted(a))?;
        }
        Ok(())
    }
}

impl ResponseAuth {
    /// Parses `rspauth=...`.
    pub fn parse(bytes: &[u8]) -> Result<Self, DigestError> {
        let d = Directives::parse(bytes, &[])?;
        Ok(ResponseAuth {
            rspauth: hex16(&d.required("rspauth")?, "rspauth")?,
        })
    }
}

impl fmt::Display for ResponseAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rspauth={}", Hex(&self.rspauth))
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
            pub fn emit(&self, buf: &mut [u8]) -> Result<usize, DigestError> {
                text::emit(self, buf).map_err(|required| DigestError::BufferTooSmall { required })
            }

            /// The message as a new vector.
            pub fn to_vec(&self) -> Vec<u8> {
                self.to_string().into_bytes()
            }
        }
    };
}

text_message!(Challenge);
text_message!(Response);
text_message!(ResponseAuth);

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 2831 section 4's IMAP example (chris / secret at elwood.innosoft.com).
    const CHALLENGE: &[u8] = b"realm=\"elwood.innosoft.com\",nonce=\"OA6MG9tEQGm2hh\",qop=\"auth\",algorithm=md5-sess,charset=utf-8";
    const RESPONSE: &[u8] = b"charset=utf-8,username=\"chris\",realm=\"elwood.innosoft.com\",nonce=\"OA6MG9tEQGm2hh\",nc=00000001,cnonce=\"OA6MHXh6VqTrRk\",digest-uri=\"imap/elwood.innosoft.com\",response=d388dad90d4bbd760a152321f2143af7,qop=auth";

    #[test]
    fn rfc2831_example_parses_and_round_trips() {
        let c = Challenge::parse(CHALLENGE).unwrap();
        assert_eq!(c.realms, ["elwood.innosoft.com"]);
        assert_eq!(c.nonce, "OA6MG9tEQGm2hh");
        assert_eq!(c.qop, ["auth"]);
        assert!(c.utf8);
        assert_eq!(Challenge::parse(&c.to_vec()).unwrap(), c);
        let r = Response::parse(RESPONSE).unwrap();
        assert_eq!(r.username, "chris");
        assert_eq!(r.nc, 1);
        assert_eq!(r.digest_uri, "imap/elwood.innosoft.com");
        assert_eq!(r.response[..2], [0xd3, 0x88]);
        assert_eq!(Response::parse(&r.to_vec()).unwrap(), r);
        let a = ResponseAuth::parse(b"rspauth=ea40f60335c427b5527b84dbabcdfffd").unwrap();
        assert_eq!(a.to_vec(), b"rspauth=ea40f60335c427b5527b84dbabcdfffd");
    }

    #[test]
    fn lws_null_elements_and_escapes() {
        let d = directives(b" , a = \"x\\\"y\" ,, b=tok ,").unwrap();
        assert_eq!(d, [("a".into(), "x\"y".into()), ("b".into(), "tok".into())]);
        // gsasl's separators (", ").
        let c = Challenge::parse(
            b"realm=\"example.org\", nonce=\"dG8=\", qop=\"auth\", charset=utf-8, algorithm=md5-sess",
        )
        .unwrap();
        assert_eq!(c.nonce, "dG8=");
    }

    #[test]
    fn malformed_messages_are_typed_errors() {
        use DigestError::*;
        let cases: &[(&[u8], DigestError)] = &[
            (b"nonce=\"x", Syntax { position: 8 }),
            (b"nonce", Syntax { position: 5 }),
            (b"=x", Syntax { position: 0 }),
            (b"a=b c=d", Syntax { position: 4 }),
            (
                b"nonce=a,nonce=b,algorithm=md5-sess",
                Duplicate("nonce".into()),
            ),
            (b"nonce=a", Missing("algorithm")),
            (b"nonce=a,algorithm=md5", BadValue("algorithm")),
            (
                b"nonce=a,algorithm=md5-sess,charset=latin1",
                BadValue("charset"),
            ),
            (b"nonce=a,algorithm=md5-sess,maxbuf=-1", BadValue("maxbuf")),
            (b"nonce=a,algorithm=md5-sess,qop=\"a b\"", BadValue("qop")),
            (b"\xc3", NotUtf8),
        ];
        for (bytes, want) in cases {
            assert_eq!(
                Challenge::parse(bytes).as_ref().err(),
                Some(want),
                "{:?}",
                String::from_utf8_lossy(bytes)
            );
        }
        assert_eq!(
            Response::parse(b"username=u,nonce=n,cnonce=c,nc=1,digest-uri=x,response=0"),
            Err(BadValue("nc"))
        );
        assert_eq!(
            Response::parse(b"username=u,nonce=n,cnonce=c,nc=00000001,digest-uri=x,response=0"),
            Err(BadValue("response"))
        );
        assert_eq!(Response::parse(b""), Err(Missing("nc")));
        assert_eq!(Challenge::parse(&[b' '; MAX_MESSAGE + 1]), Err(TooLong));
    }
}
