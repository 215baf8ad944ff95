//! CRAM-MD5 (RFC 2195; obsolete per RFC 6331: offer it only to old peers).

use super::crypto::{ct_eq, hex, hmac_md5};
use super::{AuthDecision, AuthProps, Lookup};
use crate::beep::{SaslClient, SaslServer, SaslStep};

const NAME: &str = "CRAM-MD5";

/// The client side of CRAM-MD5: answers the server's challenge with
/// `user SP hex(HMAC-MD5(password, challenge))`.
pub struct CramMd5Client {
    username: String,
    password: String,
    answered: bool,
}

impl std::fmt::Debug for CramMd5Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CramMd5Client")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl CramMd5Client {
    /// CRAM-MD5 as `username` with `password`.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        CramMd5Client {
            username: username.into(),
            password: password.into(),
            answered: false,
        }
    }
}

impl SaslClient for CramMd5Client {
    fn mechanism(&self) -> &str {
        NAME
    }

    fn initial_response(&mut self) -> Option<Vec<u8>> {
        None
    }

    fn step(&mut self, challenge: &[u8], complete: bool) -> SaslStep {
        match (self.answered, complete) {
            (false, false) if !challenge.is_empty() => {
                self.answered = true;
                let digest = hex(&hmac_md5(self.password.as_bytes(), challenge));
                SaslStep::Continue(format!("{} {digest}", self.username).into_bytes())
            }
            (true, true) => SaslStep::Complete {
                data: Vec::new(),
                identity: self.username.clone(),
            },
            (false, _) => SaslStep::Failed("the server sent no challenge".into()),
            (true, false) => SaslStep::Failed("unexpected second challenge".into()),
        }
    }
}

/// The server side of CRAM-MD5. The lookup hears `mech` and `auth_id` and must return
/// the user's [`AuthDecision::Password`]; anything else fails.
pub struct CramMd5Server {
    lookup: Lookup,
    challenge: String,
    server_name: Option<String>,
    sent: bool,
    done: bool,
}

impl CramMd5Server {
    /// A server whose challenge (`<random.random@host>`) is drawn from `rng` now.
    pub fn new<R: rand_core::Rng + ?Sized>(lookup: Lookup, host: &str, rng: &mut R) -> Self {
        let (a, b) = (rng.next_u64(), rng.next_u32());
        CramMd5Server {
            lookup,
            challenge: format!("<{a}.{b}@{host}>"),
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
}

/// Splits `user SP 32-lower-hex` (the user name may hold spaces: the digest is after
/// the last one).
fn parse_response(response: &[u8]) -> Option<(String, &[u8])> {
    let at = response.iter().rposition(|b| *b == b' ')?;
    let (user, digest) = (&response[..at], &response[at + 1..]);
    if user.is_empty()
        || digest.len() != 32
        || !digest
            .iter()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
    {
        return None;
    }
    Some((String::from_utf8(user.to_vec()).ok()?, digest))
}

impl SaslServer for CramMd5Server {
    fn mechanism(&self) -> &str {
        NAME
    }

    fn initial_challenge(&mut self) -> Option<Vec<u8>> {
        self.sent = true;
        Some(self.challenge.clone().into_bytes())
    }

    fn step(&mut self, response: &[u8]) -> SaslStep {
        if self.done {
            return SaslStep::Failed("the exchange is over".into());
        }
        if !self.sent {
            // The client's (empty) initial response: now the challenge.
            self.sent = true;
            return match response.is_empty() {
                true => SaslStep::Continue(self.challenge.clone().into_bytes()),
                false => SaslStep::Failed("CRAM-MD5 has no initial response".into()),
            };
        }
        self.done = true;
        let Some((user, digest)) = parse_response(response) else {
            return SaslStep::Failed("malformed CRAM-MD5 response".into());
        };
        let props = AuthProps {
            mech: NAME.into(),
            auth_id: Some(user.clone()),
            server_name: self.server_name.clone(),
            ..AuthProps::default()
        };
        match (self.lookup)(&props) {
            AuthDecision::Password(p) => {
                let want = hex(&hmac_md5(p.as_bytes(), self.challenge.as_bytes()));
                if ct_eq(want.as_bytes(), digest) {
                    SaslStep::Complete {
                        data: Vec::new(),
                        identity: user,
                    }
                } else {
                    SaslStep::Failed("authentication failed".into())
                }
            }
            _ => SaslStep::Failed("authentication failed".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc2195_example() {
        // RFC 2195 section 2: tim / tanstaaftanstaaf.
        let mut c = CramMd5Client::new("tim", "tanstaaftanstaaf");
        assert_eq!(c.initial_response(), None);
        assert_eq!(
            c.step(b"<1896.697170952@postoffice.reston.mci.net>", false),
            SaslStep::Continue(b"tim b913a602c7eda7a495b4e6e7334d3890".to_vec())
        );
        assert!(matches!(c.step(b"", true), SaslStep::Complete { .. }));
    }

    #[test]
    fn server_checks_the_digest_with_the_returned_password() {
        let mut rng = rand_pcg::Pcg32::new(1, 1);
        for (pass, ok) in [("secret", true), ("wrong", false)] {
            let lookup: Lookup = Box::new(|p: &AuthProps| match p.auth_id.as_deref() {
                Some("bob") => AuthDecision::Password("secret".into()),
                _ => AuthDecision::Deny,
            });
            let mut s = CramMd5Server::new(lookup, "example.org", &mut rng);
            let ch = s.initial_challenge().unwrap();
            let mut c = CramMd5Client::new("bob", pass);
            let SaslStep::Continue(r) = c.step(&ch, false) else {
                panic!()
            };
            assert_eq!(matches!(s.step(&r), SaslStep::Complete { .. }), ok);
        }
        let mut s = CramMd5Server::new(Box::new(|_| AuthDecision::Accept), "h", &mut rng);
        s.initial_challenge();
        assert!(matches!(s.step(b"bob 0123"), SaslStep::Failed(_)));
    }
}
