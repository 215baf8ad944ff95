//! SASL ANONYMOUS (RFC 4505) and PLAIN (RFC 4616), client and server, with the seed's
//! common auth handler (`auth_props`) and auth notification.

use std::sync::Arc;

use hark_proto::beep::SaslServer;
pub use hark_proto::beep::{SaslClient, SaslStep};

use super::connection::Connection;

/// The SASL mechanisms hark's BEEP facade implements.
pub const MECHANISMS: [&str; 2] = ["ANONYMOUS", "PLAIN"];

/// What the common auth handler is asked to decide (the seed's `auth_props`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthProps {
    /// The mechanism (`PLAIN`, `ANONYMOUS`).
    pub mech: String,
    /// The authentication identity (PLAIN).
    pub auth_id: Option<String>,
    /// The authorization identity asked for (PLAIN), if any.
    pub authorization_id: Option<String>,
    /// The password given (PLAIN).
    pub password: Option<String>,
    /// The trace token (ANONYMOUS).
    pub anonymous_token: Option<String>,
    /// The realm (none for these mechanisms).
    pub realm: Option<String>,
    /// The `serverName` of the session, if known (the seed's `serverName`).
    pub server_name: Option<String>,
}

/// The common auth handler's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthDecision {
    /// Authenticate.
    Accept,
    /// Refuse.
    Deny,
    /// The user's password, for mechanisms that verify it themselves (the seed's
    /// `return_password`); the facade then compares it with what the client proved.
    Password(String),
}

/// The common auth handler (`sasl_auth_handler`).
pub type AuthHandler = Arc<dyn Fn(&Connection, &AuthProps) -> AuthDecision + Send + Sync>;

/// The auth notification (`sasl_status`): success, and the identity or the reason.
pub type AuthNotify = Arc<dyn Fn(&Connection, bool, &str) + Send + Sync>;

/// A client mechanism: ANONYMOUS with a trace token.
#[derive(Debug, Clone)]
pub struct Anonymous {
    token: String,
}

impl Anonymous {
    /// ANONYMOUS with `token` (an email address or an opaque string, at most 255
    /// characters, RFC 4505).
    pub fn new(token: impl Into<String>) -> Self {
        Anonymous {
            token: token.into(),
        }
    }
}

impl SaslClient for Anonymous {
    fn mechanism(&self) -> &str {
        "ANONYMOUS"
    }
    fn initial_response(&mut self) -> Option<Vec<u8>> {
        Some(self.token.as_bytes().to_vec())
    }
    fn step(&mut self, _challenge: &[u8], complete: bool) -> SaslStep {
        if complete {
            SaslStep::Complete {
                data: Vec::new(),
                identity: "anonymous".into(),
            }
        } else {
            SaslStep::Continue(self.token.as_bytes().to_vec())
        }
    }
}

/// A client mechanism: PLAIN with an authentication identity, a password and an
/// optional authorization identity.
#[derive(Clone)]
pub struct Plain {
    authzid: Option<String>,
    authcid: String,
    password: String,
}

impl std::fmt::Debug for Plain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plain")
            .field("authzid", &self.authzid)
            .field("authcid", &self.authcid)
            .finish_non_exhaustive()
    }
}

impl Plain {
    /// PLAIN as `authcid` with `password`, asking for `authzid` if given.
    pub fn new(
        authcid: impl Into<String>,
        password: impl Into<String>,
        authzid: Option<String>,
    ) -> Self {
        Plain {
            authzid,
            authcid: authcid.into(),
            password: password.into(),
        }
    }

    fn message(&self) -> Vec<u8> {
        let mut m = Vec::new();
        m.extend_from_slice(self.authzid.as_deref().unwrap_or("").as_bytes());
        m.push(0);
        m.extend_from_slice(self.authcid.as_bytes());
        m.push(0);
        m.extend_from_slice(self.password.as_bytes());
        m
    }
}

impl SaslClient for Plain {
    fn mechanism(&self) -> &str {
        "PLAIN"
    }
    fn initial_response(&mut self) -> Option<Vec<u8>> {
        Some(self.message())
    }
    fn step(&mut self, _challenge: &[u8], complete: bool) -> SaslStep {
        if complete {
            SaslStep::Complete {
                data: Vec::new(),
                identity: self.authzid.clone().unwrap_or_else(|| self.authcid.clone()),
            }
        } else {
            SaslStep::Continue(self.message())
        }
    }
}

/// Splits a PLAIN message (RFC 4616: `[authzid] NUL authcid NUL passwd`, UTF-8, no NUL
/// inside, each at most 255 octets).
pub(crate) fn parse_plain(message: &[u8]) -> Option<(Option<String>, String, String)> {
    let mut parts = message.split(|&b| b == 0);
    let (authzid, authcid, passwd) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || authcid.is_empty() || passwd.is_empty() {
        return None;
    }
    if [authzid, authcid, passwd].iter().any(|p| p.len() > 255) {
        return None;
    }
    let text = |b: &[u8]| String::from_utf8(b.to_vec()).ok();
    let authzid = (!authzid.is_empty()).then(|| text(authzid)).flatten();
    Some((authzid, text(authcid)?, text(passwd)?))
}

/// The server side of ANONYMOUS and PLAIN, deciding through the auth handler.
pub(crate) struct Server {
    mech: &'static str,
    conn: Connection,
    handler: Option<AuthHandler>,
}

impl Server {
    pub(crate) fn new(name: &str, conn: Connection, handler: Option<AuthHandler>) -> Option<Self> {
        let mech = MECHANISMS.into_iter().find(|m| *m == name)?;
        Some(Server {
            mech,
            conn,
            handler,
        })
    }

    fn decide(&self, props: &AuthProps) -> bool {
        let Some(handler) = &self.handler else {
            return false; // no handler: nobody is authenticated
        };
        match handler(&self.conn, props) {
            AuthDecision::Accept => true,
            AuthDecision::Deny => false,
            AuthDecision::Password(p) => props.password.as_deref() == Some(p.as_str()),
        }
    }
}

impl SaslServer for Server {
    fn mechanism(&self) -> &str {
        self.mech
    }

    fn step(&mut self, response: &[u8]) -> SaslStep {
        let mut props = AuthProps {
            mech: self.mech.to_owned(),
            ..AuthProps::default()
        };
        let identity = match self.mech {
            "ANONYMOUS" => {
                let Ok(token) = std::str::from_utf8(response) else {
                    return SaslStep::Failed("trace token is not UTF-8".into());
                };
                if token.chars().count() > 255 {
                    return SaslStep::Failed("trace token too long".into());
                }
                props.anonymous_token = Some(token.to_owned());
                "anonymous".to_owned()
            }
            _ => {
                let Some((authzid, authcid, passwd)) = parse_plain(response) else {
                    return SaslStep::Failed("malformed PLAIN message".into());
                };
                props.authorization_id = authzid.clone();
                props.auth_id = Some(authcid.clone());
                props.password = Some(passwd);
                authzid.unwrap_or(authcid)
            }
        };
        if self.decide(&props) {
            SaslStep::Complete {
                data: Vec::new(),
                identity,
            }
        } else {
            SaslStep::Failed("authentication failed".into())
        }
    }
}
