//! SASL mechanisms (RFC 4422) as sans-IO state machines: blob in, blob out.
//!
//! Each mechanism implements [`crate::beep::SaslClient`] or [`crate::beep::SaslServer`]
//! (the BEEP session carries their blobs) and knows nothing of the transport.
//! Randomness (SCRAM and DIGEST-MD5 nonces, CRAM-MD5 challenges, salts) comes from an
//! RNG the caller passes in. A server mechanism asks a [`Lookup`] (the PyVortex common
//! auth handler) about the user: [`AuthProps`] in, an [`AuthDecision`] out.
//!
//! | mechanism | client | server | note |
//! | --- | --- | --- | --- |
//! | `EXTERNAL` (RFC 4422 appendix A) | [`ExternalClient`] | [`ExternalServer`] | the identity comes from outside (TLS, the socket) |
//! | `SCRAM-SHA-256` (RFC 5802, RFC 7677) | [`ScramSha256Client`] | [`ScramSha256Server`] | the one to use: salted, mutual |
//! | `CRAM-MD5` (RFC 2195) | [`CramMd5Client`] | [`CramMd5Server`] | obsolete (RFC 6331) |
//! | `DIGEST-MD5` (RFC 2831) | [`DigestMd5Client`] | [`DigestMd5Server`] | obsolete (RFC 6331) |
//!
//! ```
//! use hark_proto::beep::{SaslClient, SaslServer, SaslStep};
//! use hark_proto::sasl::{AuthDecision, ScramSha256Client, ScramSha256Server};
//! use rand_core::SeedableRng;
//!
//! let mut rng = rand_pcg::Pcg64::seed_from_u64(7);
//! let mut client = ScramSha256Client::new("user", "pencil", None, &mut rng)?;
//! let lookup = Box::new(|props: &hark_proto::sasl::AuthProps| {
//!     match props.auth_id.as_deref() {
//!         Some("user") => AuthDecision::Password("pencil".into()),
//!         _ => AuthDecision::Deny,
//!     }
//! });
//! let mut server = ScramSha256Server::new(lookup, &mut rng);
//! let first = client.initial_response().unwrap();
//! let SaslStep::Continue(challenge) = server.step(&first) else { panic!() };
//! let SaslStep::Continue(proof) = client.step(&challenge, false) else { panic!() };
//! let SaslStep::Complete { data, identity } = server.step(&proof) else { panic!() };
//! assert_eq!(identity, "user");
//! // The client checks the server's signature: mutual authentication.
//! assert!(matches!(client.step(&data, true), SaslStep::Complete { .. }));
//! # Ok::<(), hark_proto::sasl::SaslError>(())
//! ```

mod cram_md5;
mod crypto;
mod digest_md5;
mod external;
mod scram;

pub use cram_md5::{CramMd5Client, CramMd5Server};
pub use digest_md5::{DigestMd5Client, DigestMd5Server};
pub use external::{ExternalClient, ExternalServer};
pub use scram::{
    DEFAULT_ITERATIONS, MAX_ITERATIONS, ScramCredentials, ScramSha256Client, ScramSha256Server,
};

/// What the common auth handler is asked to decide (PyVortex's `auth_props`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthProps {
    /// The mechanism (`PLAIN`, `SCRAM-SHA-256`, ...).
    pub mech: String,
    /// The authentication identity (the user name).
    pub auth_id: Option<String>,
    /// The authorization identity asked for, if any.
    pub authorization_id: Option<String>,
    /// The password given (PLAIN only: other mechanisms never see it).
    pub password: Option<String>,
    /// The trace token (ANONYMOUS).
    pub anonymous_token: Option<String>,
    /// The realm (DIGEST-MD5).
    pub realm: Option<String>,
    /// The `serverName` of the session, if known.
    pub server_name: Option<String>,
}

/// The common auth handler's answer.
#[derive(Clone, PartialEq, Eq)]
pub enum AuthDecision {
    /// Authenticate (PLAIN, ANONYMOUS, EXTERNAL: the handler checked what it was given).
    Accept,
    /// Refuse.
    Deny,
    /// The user's password (PyVortex's `return_password`): the mechanism verifies the
    /// client's proof with it. Needed by CRAM-MD5 and DIGEST-MD5; SCRAM and PLAIN
    /// accept it too.
    Password(String),
    /// SCRAM's stored credentials (salt, iteration count, stored and server keys), so
    /// the server need not know the password. SCRAM and PLAIN accept them.
    Scram(ScramCredentials),
}

impl std::fmt::Debug for AuthDecision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Accept => f.write_str("Accept"),
            Self::Deny => f.write_str("Deny"),
            Self::Password(_) => f.write_str("Password(..)"),
            Self::Scram(c) => f.debug_tuple("Scram").field(c).finish(),
        }
    }
}

/// The question a server mechanism asks about a user: the common auth handler.
pub type Lookup = Box<dyn FnMut(&AuthProps) -> AuthDecision + Send>;

/// A mechanism could not be set up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SaslError {
    /// A user name or password has characters SASLprep (RFC 4013) prohibits.
    #[error("{0} is not allowed by SASLprep")]
    Saslprep(&'static str),
}
