//! SASL mechanisms as the session drives them (RFC 3080 section 4, RFC 4422).
//!
//! The session carries the blobs (`<blob status='...'>base64</blob>`, piggybacked on the
//! start and its reply, then in MSG/RPY on the SASL channel) and enforces the rules: one
//! tuning exchange at a time, no second authentication after a success, and a SASL
//! security layer excludes TLS (and the reverse). The mechanism itself is a trait the
//! facade implements: blob in, blob out, outcome.

/// What a mechanism says after a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaslStep {
    /// Send this blob and wait for the peer's next one.
    Continue(Vec<u8>),
    /// Authentication succeeded. A server sends `data` with `status='complete'`.
    Complete {
        /// The last blob (may be empty).
        data: Vec<u8>,
        /// The authenticated identity.
        identity: String,
    },
    /// Authentication failed.
    Failed(String),
}

/// The client side of one mechanism.
pub trait SaslClient: Send {
    /// The mechanism name, e.g. `PLAIN` (the profile is `http://iana.org/beep/SASL/PLAIN`).
    fn mechanism(&self) -> &str;
    /// The initial response piggybacked on the start, if the mechanism has one.
    fn initial_response(&mut self) -> Option<Vec<u8>>;
    /// The server's blob; `complete` when the server said `status='complete'` (the client
    /// may still verify it, as SCRAM does, and answer `Failed`).
    fn step(&mut self, challenge: &[u8], complete: bool) -> SaslStep;
    /// Whether success installs a security layer (which excludes TLS).
    fn security_layer(&self) -> bool {
        false
    }
    /// The `serverName` to send with the SASL start (RFC 3080 2.3.1.2), if any.
    fn server_name(&self) -> Option<&str> {
        None
    }
}

/// The server side of one mechanism.
pub trait SaslServer: Send {
    /// The mechanism name.
    fn mechanism(&self) -> &str;
    /// The client's blob (the initial response first, possibly empty).
    fn step(&mut self, response: &[u8]) -> SaslStep;
    /// A server-first mechanism's challenge (CRAM-MD5, DIGEST-MD5), sent with the
    /// start's reply when the client piggybacked no initial response. `None` (the
    /// default): the reply carries no blob and the client speaks first.
    fn initial_challenge(&mut self) -> Option<Vec<u8>> {
        None
    }
    /// Whether success installs a security layer (which excludes TLS).
    fn security_layer(&self) -> bool {
        false
    }
}

/// Creates server mechanisms by name for incoming SASL starts.
pub trait SaslServerFactory: Send {
    /// A fresh mechanism called `name`, or `None` if it is not offered.
    fn server(&mut self, name: &str) -> Option<Box<dyn SaslServer>>;
    /// The same, told the `serverName` the client's start carried. By default the name
    /// is ignored and `server` decides.
    fn server_named(
        &mut self,
        name: &str,
        server_name: Option<&str>,
    ) -> Option<Box<dyn SaslServer>> {
        let _ = server_name;
        self.server(name)
    }
}

impl<F> SaslServerFactory for F
where
    F: FnMut(&str) -> Option<Box<dyn SaslServer>> + Send,
{
    fn server(&mut self, name: &str) -> Option<Box<dyn SaslServer>> {
        self(name)
    }
}
