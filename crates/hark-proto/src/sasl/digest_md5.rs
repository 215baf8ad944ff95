//! DIGEST-MD5 (RFC 2831; obsolete per RFC 6331: offer it only to old peers), with
//! `qop=auth` (authentication only; no security layer).

use hark_wire::sasl::digest_md5::{Challenge, Response, ResponseAuth};

use super::crypto::{ct_eq, hex, md5, nonce};
use super::{AuthDecision, AuthProps, Lookup};
use crate::beep::{SaslClient, SaslServer, SaslStep};

const NAME: &str = "DIGEST-MD5";

/// A string as hashed: ISO 8859-1 when every character fits, else UTF-8 (RFC 2831
/// 2.1.2.1).
fn latin1(s: &str) -> Vec<u8> {
    if s.chars().all(|c| u32::from(c) <= 0xff) {
        s.chars().map(|c| c as u8).collect()
    } else {
        s.as_bytes().to_vec()
    }
}

/// What both sides compute over one exchange.
struct Digest<'a> {
    username: &'a str,
    realm: &'a str,
    password: &'a str,
    nonce: &'a str,
    cnonce: &'a str,
    authzid: Option<&'a str>,
    digest_uri: &'a str,
}

impl Digest<'_> {
    /// The response value (`a2_prefix` `AUTHENTICATE:`) or `rspauth` (`:`), decoded.
    fn value(&self, a2_prefix: &str) -> [u8; 16] {
        let mut secret = latin1(self.username);
        secret.push(b':');
        secret.extend(latin1(self.realm));
        secret.push(b':');
        secret.extend(latin1(self.password));
        let mut a1 = md5(&secret).to_vec();
        a1.extend_from_slice(format!(":{}:{}", self.nonce, self.cnonce).as_bytes());
        if let Some(a) = self.authzid {
            a1.push(b':');
            a1.extend_from_slice(a.as_bytes());
        }
        let ha1 = hex(&md5(&a1));
        let ha2 = hex(&md5(format!("{a2_prefix}{}", self.digest_uri).as_bytes()));
        md5(format!("{ha1}:{}:00000001:{}:auth:{ha2}", self.nonce, self.cnonce).as_bytes())
    }
}

enum ClientState {
    Start,
    Sent { rspauth: [u8; 16] },
    Verified,
    Done,
}

/// The client side of DIGEST-MD5.
pub struct DigestMd5Client {
    username: String,
    password: String,
    authzid: Option<String>,
    digest_uri: String,
    cnonce: String,
    state: ClientState,
}

impl std::fmt::Debug for DigestMd5Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DigestMd5Client")
            .field("username", &self.username)
            .field("digest_uri", &self.digest_uri)
            .finish_non_exhaustive()
    }
}

impl DigestMd5Client {
    /// DIGEST-MD5 as `username` with `password` (asking for `authzid` if given) to
    /// `service` on `host` (the `digest-uri` is `service/host`); the client nonce is
    /// drawn from `rng` now.
    pub fn new<R: rand_core::Rng + ?Sized>(
        username: impl Into<String>,
        password: impl Into<String>,
        authzid: Option<String>,
        service: &str,
        host: &str,
        rng: &mut R,
    ) -> Self {
        DigestMd5Client {
            username: username.into(),
            password: password.into(),
            authzid,
            digest_uri: format!("{service}/{host}"),
            cnonce: nonce(rng, 16),
            state: ClientState::Start,
        }
    }

    fn identity(&self) -> String {
        self.authzid
            .clone()
            .unwrap_or_else(|| self.username.clone())
    }

    fn respond(&mut self, challenge: &[u8]) -> SaslStep {
        let challenge = match Challenge::parse(challenge) {
            Ok(c) => c,
            Err(e) => return SaslStep::Failed(format!("bad DIGEST-MD5 challenge: {e}")),
        };
        if !challenge.qop.is_empty() && !challenge.qop.iter().any(|q| q == "auth") {
            return SaslStep::Failed("the server does not offer qop=auth".into());
        }
        let realm = challenge.realms.first().cloned();
        let digest = Digest {
            username: &self.username,
            realm: realm.as_deref().unwrap_or(""),
            password: &self.password,
            nonce: &challenge.nonce,
            cnonce: &self.cnonce,
            authzid: self.authzid.as_deref(),
            digest_uri: &self.digest_uri,
        };
        let response = Response {
            username: self.username.clone(),
            realm: realm.clone(),
            nonce: challenge.nonce.clone(),
            cnonce: self.cnonce.clone(),
            nc: 1,
            qop: Some("auth".into()),
            digest_uri: self.digest_uri.clone(),
            response: digest.value("AUTHENTICATE:"),
            maxbuf: None,
            utf8: challenge.utf8,
            cipher: None,
            authzid: self.authzid.clone(),
        };
        self.state = ClientState::Sent {
            rspauth: digest.value(":"),
        };
        SaslStep::Continue(response.to_vec())
    }
}

impl SaslClient for DigestMd5Client {
    fn mechanism(&self) -> &str {
        NAME
    }

    fn initial_response(&mut self) -> Option<Vec<u8>> {
        None
    }

    fn step(&mut self, challenge: &[u8], complete: bool) -> SaslStep {
        match std::mem::replace(&mut self.state, ClientState::Done) {
            ClientState::Start if !complete && !challenge.is_empty() => self.respond(challenge),
            ClientState::Sent { rspauth } => match ResponseAuth::parse(challenge) {
                Ok(a) if ct_eq(&a.rspauth, &rspauth) => {
                    if complete {
                        SaslStep::Complete {
                            data: Vec::new(),
                            identity: self.identity(),
                        }
                    } else {
                        self.state = ClientState::Verified;
                        SaslStep::Continue(Vec::new())
                    }
                }
                Ok(_) => SaslStep::Failed("the server's rspauth is wrong".into()),
                Err(e) => SaslStep::Failed(format!("bad DIGEST-MD5 rspauth: {e}")),
            },
            ClientState::Verified if complete => SaslStep::Complete {
                data: Vec::new(),
                identity: self.identity(),
            },
            _ => SaslStep::Failed("unexpected DIGEST-MD5 step".into()),
        }
    }
}

/// The server side of DIGEST-MD5. The lookup hears `mech`, `auth_id`, `realm` and
/// `authorization_id` and must return the user's [`AuthDecision::Password`]
/// (returning it also grants the authorization identity); anything else fails.
pub struct DigestMd5Server {
    lookup: Lookup,
    challenge: Challenge,
    service: String,
    host: String,
    server_name: Option<String>,
    sent: bool,
    done: bool,
}

impl DigestMd5Server {
    /// A server in `realm` for `service` on `host` (the `digest-uri` it accepts is
    /// `service/host`; any host when `host` is empty); its nonce is drawn from `rng`
    /// now.
    pub fn new<R: rand_core::Rng + ?Sized>(
        lookup: Lookup,
        realm: &str,
        service: &str,
        host: &str,
        rng: &mut R,
    ) -> Self {
        DigestMd5Server {
            lookup,
            challenge: Challenge {
                realms: vec![realm.to_owned()],
                nonce: nonce(rng, 16),
                qop: vec!["auth".into()],
                utf8: true,
                ..Challenge::default()
            },
            service: service.to_owned(),
            host: host.to_owned(),
            server_name: None,
            sent: false,
            done: false,
        }
    }

    /// The `serverName` the lookup hears.
    pub fn with_server_name(mut self, name: Option<String>) -> Self {
        self.server_name = name;
        self
    }

    fn check(&mut self, response: &[u8]) -> SaslStep {
        let failed = |why: &str| SaslStep::Failed(why.to_owned());
        let r = match Response::parse(response) {
            Ok(r) => r,
            Err(e) => return SaslStep::Failed(format!("bad DIGEST-MD5 response: {e}")),
        };
        if r.nonce != self.challenge.nonce || r.nc != 1 {
            return failed("stale or replayed nonce");
        }
        if r.qop.as_deref().is_some_and(|q| q != "auth") {
            return failed("only qop=auth is offered");
        }
        let mut uri = r.digest_uri.splitn(3, '/');
        if uri.next() != Some(self.service.as_str())
            || !uri
                .next()
                .is_some_and(|h| self.host.is_empty() || h.eq_ignore_ascii_case(&self.host))
        {
            return failed("digest-uri names another service or host");
        }
        let realm = r.realm.clone().unwrap_or_default();
        if !realm.is_empty() && !self.challenge.realms.contains(&realm) {
            return failed("unknown realm");
        }
        let props = AuthProps {
            mech: NAME.into(),
            auth_id: Some(r.username.clone()),
            authorization_id: r.authzid.clone(),
            realm: r.realm.clone(),
            server_name: self.server_name.clone(),
            ..AuthProps::default()
        };
        let AuthDecision::Password(password) = (self.lookup)(&props) else {
            return failed("authentication failed");
        };
        let digest = Digest {
            username: &r.username,
            realm: &realm,
            password: &password,
            nonce: &r.nonce,
            cnonce: &r.cnonce,
            authzid: r.authzid.as_deref(),
            digest_uri: &r.digest_uri,
        };
        if !ct_eq(&digest.value("AUTHENTICATE:"), &r.response) {
            return failed("authentication failed");
        }
        SaslStep::Complete {
            data: ResponseAuth {
                rspauth: digest.value(":"),
            }
            .to_vec(),
            identity: r.authzid.unwrap_or(r.username),
        }
    }
}

impl SaslServer for DigestMd5Server {
    fn mechanism(&self) -> &str {
        NAME
    }

    fn initial_challenge(&mut self) -> Option<Vec<u8>> {
        self.sent = true;
        Some(self.challenge.to_vec())
    }

    fn step(&mut self, response: &[u8]) -> SaslStep {
        if self.done {
            return SaslStep::Failed("the exchange is over".into());
        }
        if !self.sent {
            self.sent = true;
            return match response.is_empty() {
                true => SaslStep::Continue(self.challenge.to_vec()),
                false => SaslStep::Failed("DIGEST-MD5 has no initial response".into()),
            };
        }
        self.done = true;
        self.check(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc2831_example_response_value() {
        // RFC 2831 section 4 (IMAP, chris / secret): the response and rspauth printed
        // there.
        let d = Digest {
            username: "chris",
            realm: "elwood.innosoft.com",
            password: "secret",
            nonce: "OA6MG9tEQGm2hh",
            cnonce: "OA6MHXh6VqTrRk",
            authzid: None,
            digest_uri: "imap/elwood.innosoft.com",
        };
        assert_eq!(
            hex(&d.value("AUTHENTICATE:")),
            "d388dad90d4bbd760a152321f2143af7"
        );
        assert_eq!(hex(&d.value(":")), "ea40f60335c427b5527b84dbabcdfffd");
    }

    #[test]
    fn client_and_server_agree_and_refuse_a_wrong_password() {
        let mut rng = rand_pcg::Pcg32::new(5, 5);
        for (pass, ok) in [("secret", true), ("wrong", false)] {
            let lookup: Lookup = Box::new(|p: &AuthProps| match p.auth_id.as_deref() {
                Some("bob") => AuthDecision::Password("secret".into()),
                _ => AuthDecision::Deny,
            });
            let mut s = DigestMd5Server::new(lookup, "example.org", "beep", "localhost", &mut rng);
            let mut c = DigestMd5Client::new("bob", pass, None, "beep", "localhost", &mut rng);
            assert_eq!(c.initial_response(), None);
            let ch = s.initial_challenge().unwrap();
            let SaslStep::Continue(r) = c.step(&ch, false) else {
                panic!()
            };
            match s.step(&r) {
                SaslStep::Complete { data, identity } => {
                    assert!(ok);
                    assert_eq!(identity, "bob");
                    assert!(matches!(c.step(&data, true), SaslStep::Complete { .. }));
                }
                SaslStep::Failed(_) => assert!(!ok),
                SaslStep::Continue(_) => panic!("continue"),
            }
        }
        let lookup: Lookup = Box::new(|_| AuthDecision::Password("secret".into()));
        let mut s = DigestMd5Server::new(lookup, "example.org", "beep", "localhost", &mut rng);
        let mut c = DigestMd5Client::new("bob", "secret", None, "imap", "localhost", &mut rng);
        let SaslStep::Continue(r) = c.step(&s.initial_challenge().unwrap(), false) else {
            panic!()
        };
        assert!(matches!(s.step(&r), SaslStep::Failed(_)), "another service");
    }
}
