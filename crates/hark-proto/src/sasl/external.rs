//! EXTERNAL (RFC 4422 appendix A): the identity was established outside SASL (a TLS
//! client certificate, the socket's peer); the client only names the authorization
//! identity it wants.

use super::{AuthDecision, AuthProps, Lookup};
use crate::beep::{SaslClient, SaslServer, SaslStep};

const NAME: &str = "EXTERNAL";

/// The client side of EXTERNAL.
#[derive(Debug, Clone)]
pub struct ExternalClient {
    authzid: Option<String>,
}

impl ExternalClient {
    /// EXTERNAL, asking to act as `authzid` (or as whoever the external identity is).
    pub fn new(authzid: Option<String>) -> Self {
        ExternalClient { authzid }
    }
}

impl SaslClient for ExternalClient {
    fn mechanism(&self) -> &str {
        NAME
    }

    fn initial_response(&mut self) -> Option<Vec<u8>> {
        Some(self.authzid.clone().unwrap_or_default().into_bytes())
    }

    fn step(&mut self, challenge: &[u8], complete: bool) -> SaslStep {
        match (complete, challenge.is_empty()) {
            (true, _) => SaslStep::Complete {
                data: Vec::new(),
                identity: self.authzid.clone().unwrap_or_default(),
            },
            // An empty challenge: the server did not take the initial response.
            (false, true) => SaslStep::Continue(self.initial_response().unwrap_or_default()),
            (false, false) => SaslStep::Failed("EXTERNAL has no challenges".into()),
        }
    }
}

/// The server side of EXTERNAL. The lookup hears `mech`, `auth_id` (the external
/// identity, if the transport knows one) and `authorization_id`, and answers
/// [`AuthDecision::Accept`] or [`AuthDecision::Deny`].
pub struct ExternalServer {
    lookup: Lookup,
    external_id: Option<String>,
    server_name: Option<String>,
}

impl ExternalServer {
    /// A server that knows the client as `external_id`, if anything.
    pub fn new(lookup: Lookup, external_id: Option<String>) -> Self {
        ExternalServer {
            lookup,
            external_id,
            server_name: None,
        }
    }

    /// The `serverName` the lookup hears.
    pub fn with_server_name(mut self, name: Option<String>) -> Self {
        self.server_name = name;
        self
    }
}

impl SaslServer for ExternalServer {
    fn mechanism(&self) -> &str {
        NAME
    }

    fn step(&mut self, response: &[u8]) -> SaslStep {
        let Ok(authzid) = std::str::from_utf8(response) else {
            return SaslStep::Failed("authorization identity is not UTF-8".into());
        };
        if authzid.len() > 1024 || authzid.contains('\0') {
            return SaslStep::Failed("bad authorization identity".into());
        }
        let authzid = (!authzid.is_empty()).then(|| authzid.to_owned());
        let props = AuthProps {
            mech: NAME.into(),
            auth_id: self.external_id.clone(),
            authorization_id: authzid.clone(),
            server_name: self.server_name.clone(),
            ..AuthProps::default()
        };
        match (self.lookup)(&props) {
            AuthDecision::Accept => SaslStep::Complete {
                data: Vec::new(),
                identity: authzid
                    .or_else(|| self.external_id.clone())
                    .unwrap_or_default(),
            },
            _ => SaslStep::Failed("authentication failed".into()),
        }
    }
}
