//! SASL for BEEP, client and server, with the seed's common auth handler
//! (`auth_props`) and auth notification.
//!
//! | mechanism | client | server decides through the auth handler with |
//! | --- | --- | --- |
//! | `ANONYMOUS` (RFC 4505) | [`Anonymous`] | `anonymous_token`: [`AuthDecision::Accept`] or `Deny` |
//! | `PLAIN` (RFC 4616) | [`Plain`] | `auth_id`, `authorization_id`, `password`: `Accept`/`Deny`, or the password or SCRAM credentials to compare with |
//! | `EXTERNAL` (RFC 4422) | [`ExternalClient`] | `authorization_id` (and `auth_id` if the transport knows one): `Accept`/`Deny` |
//! | `SCRAM-SHA-256` (RFC 5802, 7677), **recommended** | [`ScramSha256Client`] | `auth_id`, `authorization_id`: [`AuthDecision::Password`] or [`AuthDecision::Scram`] credentials |
//! | `CRAM-MD5` (RFC 2195), legacy | [`CramMd5Client`] | `auth_id`: [`AuthDecision::Password`] |
//! | `DIGEST-MD5` (RFC 2831), legacy | [`DigestMd5Client`] | `auth_id`, `realm`, `authorization_id`: [`AuthDecision::Password`] |
//!
//! CRAM-MD5 and DIGEST-MD5 are obsolete (RFC 6331): [`BeepContext::offer_sasl`]
//! ignores them; [`BeepContext::offer_legacy_sasl`] enables them. The nonces, salts and
//! challenges of the mechanisms hark creates come from the operating system ([`OsRng`]);
//! client mechanisms take any RNG.
//!
//! [`BeepContext::offer_sasl`]: super::BeepContext::offer_sasl
//! [`BeepContext::offer_legacy_sasl`]: super::BeepContext::offer_legacy_sasl
//!
//! ```
//! use std::time::Duration;
//! use hark::beep::BeepContext;
//! use hark::beep::sasl::{AuthDecision, OsRng, ScramSha256Client};
//!
//! let server = BeepContext::new()?;
//! server.offer_sasl(&["SCRAM-SHA-256"]);
//! server.on_sasl_auth((), |_conn, props, _| match props.auth_id.as_deref() {
//!     Some("bob") => AuthDecision::Password("secret".into()),
//!     _ => AuthDecision::Deny,
//! });
//! let listener = server.listen("127.0.0.1:0".parse()?)?;
//! let client = BeepContext::new()?;
//! let conn = client.connect(listener.local_addr(), Duration::from_secs(5))?;
//! let scram = ScramSha256Client::new("bob", "secret", None, &mut OsRng)?;
//! assert_eq!(conn.auth(Box::new(scram), Duration::from_secs(5))?, "bob");
//! conn.close(Duration::from_secs(5))?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::sync::Arc;

use hark_proto::beep::SaslServer;
pub use hark_proto::beep::{SaslClient, SaslStep};
pub use hark_proto::sasl::{
    AuthDecision, AuthProps, CramMd5Client, DEFAULT_ITERATIONS, DigestMd5Client, ExternalClient,
    Lookup, SaslError, ScramCredentials, ScramSha256Client,
};
use hark_proto::sasl::{CramMd5Server, DigestMd5Server, ExternalServer, ScramSha256Server};

use super::connection::Connection;

/// The SASL mechanisms hark's BEEP facade offers with `offer_sasl`.
pub const MECHANISMS: [&str; 4] = ["ANONYMOUS", "PLAIN", "EXTERNAL", "SCRAM-SHA-256"];

/// The obsolete mechanisms (RFC 6331), offered only through `offer_legacy_sasl`.
pub const LEGACY_MECHANISMS: [&str; 2] = ["CRAM-MD5", "DIGEST-MD5"];

/// The common auth handler (`sasl_auth_handler`).
pub type AuthHandler = Arc<dyn Fn(&Connection, &AuthProps) -> AuthDecision + Send + Sync>;

/// The auth notification (`sasl_status`): success, and the identity or the reason.
pub type AuthNotify = Arc<dyn Fn(&Connection, bool, &str) + Send + Sync>;

/// Randomness from the operating system (`getrandom`), for nonces, salts and
/// challenges.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsRng;

impl rand_core::TryRng for OsRng {
    type Error = std::convert::Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        if getrandom::fill(dst).is_err() {
            // No OS source (never on Linux): SipHash keyed by the OS at process start
            // over a counter, still unpredictable to a peer.
            use std::hash::BuildHasher;
            static STATE: std::sync::OnceLock<std::collections::hash_map::RandomState> =
                std::sync::OnceLock::new();
            static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
            let state = STATE.get_or_init(Default::default);
            for chunk in dst.chunks_mut(8) {
                let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let v = state.hash_one(n).to_le_bytes();
                chunk.copy_from_slice(&v[..chunk.len()]);
            }
        }
        Ok(())
    }
}

impl rand_core::TryCryptoRng for OsRng {}

/// SCRAM credentials for `password` under a fresh 16-byte salt from the operating
/// system, hashed `iterations` times: what a server stores instead of the password.
pub fn scram_credentials(password: &str, iterations: u32) -> Result<ScramCredentials, SaslError> {
    let mut salt = [0u8; 16];
    rand_core::Rng::fill_bytes(&mut OsRng, &mut salt);
    ScramCredentials::from_password(password, &salt, iterations)
}

/// Where the server mechanisms say they are (DIGEST-MD5's realm and `digest-uri`,
/// CRAM-MD5's challenge) and how hard SCRAM hashes a password the handler returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaslServerOptions {
    /// The DIGEST-MD5 realm offered.
    pub realm: String,
    /// The service in the DIGEST-MD5 `digest-uri` (`beep`).
    pub service: String,
    /// The host the `digest-uri` must name (`None`: any) and CRAM-MD5's challenge names
    /// (`localhost` when `None`).
    pub host: Option<String>,
    /// SCRAM's PBKDF2 iteration count for handlers that return a password.
    pub scram_iterations: u32,
}

impl Default for SaslServerOptions {
    fn default() -> Self {
        SaslServerOptions {
            realm: "localhost".into(),
            service: "beep".into(),
            host: None,
            scram_iterations: hark_proto::sasl::DEFAULT_ITERATIONS,
        }
    }
}

/// A client mechanism that sends a `serverName` with its SASL start; the server's auth
/// handler sees it in [`AuthProps::server_name`].
pub struct WithServerName {
    inner: Box<dyn SaslClient>,
    server_name: String,
}

impl WithServerName {
    /// `inner`, asking for `server_name`.
    pub fn new(inner: Box<dyn SaslClient>, server_name: impl Into<String>) -> Self {
        WithServerName {
            inner,
            server_name: server_name.into(),
        }
    }
}

impl SaslClient for WithServerName {
    fn mechanism(&self) -> &str {
        self.inner.mechanism()
    }
    fn initial_response(&mut self) -> Option<Vec<u8>> {
        self.inner.initial_response()
    }
    fn step(&mut self, challenge: &[u8], complete: bool) -> SaslStep {
        self.inner.step(challenge, complete)
    }
    fn security_layer(&self) -> bool {
        self.inner.security_layer()
    }
    fn server_name(&self) -> Option<&str> {
        Some(&self.server_name)
    }
}

type MakeServer = dyn FnMut(&str, Option<&str>) -> Option<Box<dyn SaslServer>> + Send;

/// A session's server mechanism factory that hears the start's `serverName`.
pub(crate) struct Factory(Box<MakeServer>);

impl Factory {
    pub(crate) fn new(
        f: impl FnMut(&str, Option<&str>) -> Option<Box<dyn SaslServer>> + Send + 'static,
    ) -> Self {
        Factory(Box::new(f))
    }
}

impl hark_proto::beep::SaslServerFactory for Factory {
    fn server(&mut self, name: &str) -> Option<Box<dyn SaslServer>> {
        (self.0)(name, None)
    }
    fn server_named(
        &mut self,
        name: &str,
        server_name: Option<&str>,
    ) -> Option<Box<dyn SaslServer>> {
        (self.0)(name, server_name)
    }
}

/// The server mechanism `name` for a listener session, asking the auth handler.
pub(crate) fn server(
    name: &str,
    server_name: Option<&str>,
    conn: Connection,
    handler: Option<AuthHandler>,
    options: &SaslServerOptions,
) -> Option<Box<dyn SaslServer>> {
    let lookup = |conn: Connection, handler: Option<AuthHandler>| -> Lookup {
        Box::new(move |props: &AuthProps| match &handler {
            Some(h) => h(&conn, props),
            None => AuthDecision::Deny, // no handler: nobody is authenticated
        })
    };
    let host = options.host.as_deref();
    let sn = server_name.map(str::to_owned);
    Some(match name {
        "EXTERNAL" => {
            Box::new(ExternalServer::new(lookup(conn, handler), None).with_server_name(sn))
        }
        "SCRAM-SHA-256" => Box::new(
            ScramSha256Server::new(lookup(conn, handler), &mut OsRng)
                .with_iterations(options.scram_iterations)
                .with_server_name(sn),
        ),
        "CRAM-MD5" => Box::new(
            CramMd5Server::new(
                lookup(conn, handler),
                host.unwrap_or("localhost"),
                &mut OsRng,
            )
            .with_server_name(sn),
        ),
        "DIGEST-MD5" => Box::new(
            DigestMd5Server::new(
                lookup(conn, handler),
                &options.realm,
                &options.service,
                host.unwrap_or(""),
                &mut OsRng,
            )
            .with_server_name(sn),
        ),
        _ => {
            let mut plain = Server::new(name, conn, handler)?;
            plain.server_name = sn;
            Box::new(plain)
        }
    })
}

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
struct Server {
    mech: &'static str,
    conn: Connection,
    handler: Option<AuthHandler>,
    server_name: Option<String>,
}

impl Server {
    fn new(name: &str, conn: Connection, handler: Option<AuthHandler>) -> Option<Self> {
        let mech = ["ANONYMOUS", "PLAIN"].into_iter().find(|m| *m == name)?;
        Some(Server {
            mech,
            conn,
            handler,
            server_name: None,
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
            AuthDecision::Scram(c) => props
                .password
                .as_deref()
                .is_some_and(|p| c.verify_password(p)),
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
            server_name: self.server_name.clone(),
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
