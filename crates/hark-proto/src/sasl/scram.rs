//! SCRAM-SHA-256 (RFC 5802, RFC 7677), without channel binding (gs2 flag `n`).

use hark_wire::sasl::scram::{
    ChannelBinding, ClientFinal, ClientFirst, Gs2Header, ServerFinal, ServerFirst, ServerOutcome,
};

use super::crypto::{ct_eq, hi, hmac_sha256, nonce, saslprep, sha256};
use super::{AuthDecision, AuthProps, Lookup, SaslError};
use crate::beep::{SaslClient, SaslServer, SaslStep};

/// The mechanism's name.
const NAME: &str = "SCRAM-SHA-256";

/// The iteration count a server uses when the auth handler gives a password (RFC 7677
/// asks for at least 4096); also the least a client accepts.
pub const DEFAULT_ITERATIONS: u32 = 4096;

/// The most iterations a client spends on a server's demand (a hostile server could
/// otherwise make it hash for minutes).
pub const MAX_ITERATIONS: u32 = 1_000_000;

/// Random bytes in each nonce (base64-encoded on the wire).
const NONCE_BYTES: usize = 24;

/// What a SCRAM server stores instead of the password (RFC 5802 section 3).
#[derive(Clone, PartialEq, Eq)]
pub struct ScramCredentials {
    /// The salt.
    pub salt: Vec<u8>,
    /// The PBKDF2 iteration count.
    pub iterations: u32,
    /// `H(HMAC(SaltedPassword, "Client Key"))`.
    pub stored_key: [u8; 32],
    /// `HMAC(SaltedPassword, "Server Key")`.
    pub server_key: [u8; 32],
}

impl std::fmt::Debug for ScramCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScramCredentials")
            .field("salt", &self.salt)
            .field("iterations", &self.iterations)
            .finish_non_exhaustive()
    }
}

impl ScramCredentials {
    /// Derives the credentials from a password (SASLprep'd first), a salt and an
    /// iteration count.
    pub fn from_password(password: &str, salt: &[u8], iterations: u32) -> Result<Self, SaslError> {
        let password = saslprep(password, "the password")?;
        Ok(Self::from_salted_password(
            &hi(password.as_bytes(), salt, iterations),
            salt,
            iterations,
        ))
    }

    /// The credentials from `SaltedPassword` (what `gsasl --mkpasswd --verbose` prints).
    pub fn from_salted_password(salted: &[u8; 32], salt: &[u8], iterations: u32) -> Self {
        ScramCredentials {
            salt: salt.to_vec(),
            iterations,
            stored_key: sha256(&hmac_sha256(salted, b"Client Key")),
            server_key: hmac_sha256(salted, b"Server Key"),
        }
    }

    /// Whether `password` is the one these credentials were derived from (PLAIN
    /// against stored SCRAM credentials).
    pub fn verify_password(&self, password: &str) -> bool {
        Self::from_password(password, &self.salt, self.iterations)
            .is_ok_and(|c| ct_eq(&c.stored_key, &self.stored_key))
    }
}

#[derive(Debug)]
enum ClientState {
    Start,
    SentFirst,
    SentFinal { server_signature: [u8; 32] },
    Verified,
    Done,
}

/// The client side of SCRAM-SHA-256.
pub struct ScramSha256Client {
    username: String,
    password: String,
    gs2: Gs2Header,
    nonce: String,
    state: ClientState,
}

impl std::fmt::Debug for ScramSha256Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScramSha256Client")
            .field("username", &self.username)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl ScramSha256Client {
    /// Authenticates as `username` with `password`, asking for `authzid` if given; the
    /// client nonce is drawn from `rng` now. Names and password go through SASLprep.
    pub fn new<R: rand_core::Rng + ?Sized>(
        username: &str,
        password: &str,
        authzid: Option<String>,
        rng: &mut R,
    ) -> Result<Self, SaslError> {
        Ok(ScramSha256Client {
            username: saslprep(username, "the user name")?,
            password: saslprep(password, "the password")?,
            gs2: Gs2Header {
                binding: ChannelBinding::NotSupported,
                authzid: authzid
                    .map(|a| saslprep(&a, "the authorization identity"))
                    .transpose()?,
            },
            nonce: nonce(rng, NONCE_BYTES),
            state: ClientState::Start,
        })
    }

    fn first(&self) -> ClientFirst {
        ClientFirst {
            gs2: self.gs2.clone(),
            username: self.username.clone(),
            nonce: self.nonce.clone(),
            extensions: Vec::new(),
        }
    }

    fn on_server_first(&mut self, text: &[u8]) -> SaslStep {
        let first = match ServerFirst::parse(text) {
            Ok(f) => f,
            Err(e) => return SaslStep::Failed(format!("bad server-first message: {e}")),
        };
        if !first.nonce.starts_with(&self.nonce) || first.nonce.len() == self.nonce.len() {
            return SaslStep::Failed("the server's nonce does not extend ours".into());
        }
        if !(DEFAULT_ITERATIONS..=MAX_ITERATIONS).contains(&first.iterations) {
            return SaslStep::Failed(format!(
                "iteration count {} outside {DEFAULT_ITERATIONS}..={MAX_ITERATIONS}",
                first.iterations
            ));
        }
        let salted = hi(self.password.as_bytes(), &first.salt, first.iterations);
        let client_key = hmac_sha256(&salted, b"Client Key");
        let stored_key = sha256(&client_key);
        let mut fin = ClientFinal {
            channel_binding: self.gs2.to_string().into_bytes(),
            nonce: first.nonce.clone(),
            extensions: Vec::new(),
            proof: Vec::new(),
        };
        let auth_message = format!("{},{},{}", self.first().bare(), first, fin.without_proof());
        let signature = hmac_sha256(&stored_key, auth_message.as_bytes());
        fin.proof = client_key
            .iter()
            .zip(signature)
            .map(|(k, s)| k ^ s)
            .collect();
        let server_key = hmac_sha256(&salted, b"Server Key");
        self.state = ClientState::SentFinal {
            server_signature: hmac_sha256(&server_key, auth_message.as_bytes()),
        };
        SaslStep::Continue(fin.to_vec())
    }

    fn identity(&self) -> String {
        self.gs2
            .authzid
            .clone()
            .unwrap_or_else(|| self.username.clone())
    }
}

impl SaslClient for ScramSha256Client {
    fn mechanism(&self) -> &str {
        NAME
    }

    fn initial_response(&mut self) -> Option<Vec<u8>> {
        self.state = ClientState::SentFirst;
        Some(self.first().to_vec())
    }

    fn step(&mut self, challenge: &[u8], complete: bool) -> SaslStep {
        match std::mem::replace(&mut self.state, ClientState::Done) {
            // The server asked for our first message with an empty challenge.
            ClientState::Start if challenge.is_empty() && !complete => {
                self.state = ClientState::SentFirst;
                SaslStep::Continue(self.first().to_vec())
            }
            ClientState::SentFirst if !complete => self.on_server_first(challenge),
            ClientState::SentFinal { server_signature } => {
                match ServerFinal::parse(challenge) {
                    Ok(ServerFinal {
                        outcome: ServerOutcome::Verifier(v),
                        ..
                    }) if ct_eq(&v, &server_signature) => {
                        if complete {
                            SaslStep::Complete {
                                data: Vec::new(),
                                identity: self.identity(),
                            }
                        } else {
                            // A server that wants an empty response before it completes.
                            self.state = ClientState::Verified;
                            SaslStep::Continue(Vec::new())
                        }
                    }
                    Ok(ServerFinal {
                        outcome: ServerOutcome::Error(e),
                        ..
                    }) => SaslStep::Failed(format!("the server said {e}")),
                    Ok(_) => SaslStep::Failed("the server's signature is wrong".into()),
                    Err(e) => SaslStep::Failed(format!("bad server-final message: {e}")),
                }
            }
            ClientState::Verified if complete => SaslStep::Complete {
                data: Vec::new(),
                identity: self.identity(),
            },
            ClientState::Start | ClientState::SentFirst => {
                SaslStep::Failed("the server completed before proving it knows the password".into())
            }
            _ => SaslStep::Failed("unexpected SCRAM step".into()),
        }
    }
}

enum ServerState {
    Start,
    SentFirst {
        client_first_bare: String,
        server_first: String,
        gs2: String,
        credentials: Option<ScramCredentials>,
        identity: String,
    },
    Done,
}

/// The server side of SCRAM-SHA-256. The lookup hears `mech`, `auth_id` (the user name)
/// and `authorization_id`, and answers with [`AuthDecision::Scram`] credentials or
/// [`AuthDecision::Password`]; returning credentials also grants the authorization
/// identity. Anything else fails the exchange, after a server-first message with a
/// made-up salt, so that a client cannot tell unknown users from wrong passwords.
pub struct ScramSha256Server {
    lookup: Lookup,
    nonce: String,
    salt: [u8; 16],
    iterations: u32,
    server_name: Option<String>,
    state: ServerState,
}

impl ScramSha256Server {
    /// A server mechanism asking `lookup`; its nonce (and the salt it uses when the
    /// lookup gives a bare password) are drawn from `rng` now.
    pub fn new<R: rand_core::Rng + ?Sized>(lookup: Lookup, rng: &mut R) -> Self {
        let mut salt = [0u8; 16];
        rng.fill_bytes(&mut salt);
        ScramSha256Server {
            lookup,
            nonce: nonce(rng, NONCE_BYTES),
            salt,
            iterations: DEFAULT_ITERATIONS,
            server_name: None,
            state: ServerState::Start,
        }
    }

    /// Uses `iterations` (at least [`DEFAULT_ITERATIONS`]) when the lookup gives a
    /// password.
    pub fn with_iterations(mut self, iterations: u32) -> Self {
        self.iterations = iterations.clamp(DEFAULT_ITERATIONS, MAX_ITERATIONS);
        self
    }

    /// The `serverName` the lookup hears.
    pub fn with_server_name(mut self, name: Option<String>) -> Self {
        self.server_name = name;
        self
    }

    fn on_client_first(&mut self, text: &[u8]) -> SaslStep {
        let first = match ClientFirst::parse(text) {
            Ok(f) => f,
            Err(e) => return SaslStep::Failed(format!("bad client-first message: {e}")),
        };
        if let ChannelBinding::Required(name) = &first.gs2.binding {
            return SaslStep::Failed(format!("channel binding {name} is not supported"));
        }
        let props = AuthProps {
            mech: NAME.into(),
            auth_id: Some(first.username.clone()),
            authorization_id: first.gs2.authzid.clone(),
            server_name: self.server_name.clone(),
            ..AuthProps::default()
        };
        let credentials = match (self.lookup)(&props) {
            AuthDecision::Scram(c) => Some(c),
            AuthDecision::Password(p) => {
                ScramCredentials::from_password(&p, &self.salt, self.iterations).ok()
            }
            AuthDecision::Accept | AuthDecision::Deny => None,
        };
        let server_first = ServerFirst {
            nonce: format!("{}{}", first.nonce, self.nonce),
            salt: credentials
                .as_ref()
                .map_or(self.salt.to_vec(), |c| c.salt.clone()),
            iterations: credentials
                .as_ref()
                .map_or(self.iterations, |c| c.iterations),
            extensions: Vec::new(),
        };
        let text = server_first.to_string();
        self.state = ServerState::SentFirst {
            client_first_bare: first.bare(),
            server_first: text.clone(),
            gs2: first.gs2.to_string(),
            credentials,
            identity: first.gs2.authzid.clone().unwrap_or(first.username),
        };
        SaslStep::Continue(text.into_bytes())
    }
}

impl SaslServer for ScramSha256Server {
    fn mechanism(&self) -> &str {
        NAME
    }

    fn step(&mut self, response: &[u8]) -> SaslStep {
        match std::mem::replace(&mut self.state, ServerState::Done) {
            ServerState::Start => self.on_client_first(response),
            ServerState::SentFirst {
                client_first_bare,
                server_first,
                gs2,
                credentials,
                identity,
            } => {
                let fin = match ClientFinal::parse(response) {
                    Ok(f) => f,
                    Err(e) => return SaslStep::Failed(format!("bad client-final message: {e}")),
                };
                if fin.channel_binding != gs2.as_bytes() {
                    return SaslStep::Failed("channel binding data does not match".into());
                }
                if !server_first.starts_with(&format!("r={},", fin.nonce)) {
                    return SaslStep::Failed("nonce mismatch".into());
                }
                let Some(c) = credentials else {
                    return SaslStep::Failed("authentication failed".into());
                };
                let auth_message =
                    format!("{client_first_bare},{server_first},{}", fin.without_proof());
                let signature = hmac_sha256(&c.stored_key, auth_message.as_bytes());
                if fin.proof.len() != signature.len() {
                    return SaslStep::Failed("authentication failed".into());
                }
                let client_key: Vec<u8> = fin
                    .proof
                    .iter()
                    .zip(signature)
                    .map(|(p, s)| p ^ s)
                    .collect();
                if !ct_eq(&sha256(&client_key), &c.stored_key) {
                    return SaslStep::Failed("authentication failed".into());
                }
                let verifier = hmac_sha256(&c.server_key, auth_message.as_bytes());
                SaslStep::Complete {
                    data: ServerFinal {
                        outcome: ServerOutcome::Verifier(verifier.to_vec()),
                        extensions: Vec::new(),
                    }
                    .to_vec(),
                    identity,
                }
            }
            ServerState::Done => SaslStep::Failed("the exchange is over".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;

    /// Feeds the client the nonce bytes of RFC 7677's example.
    struct Fixed(Vec<u8>);
    impl rand_core::TryRng for Fixed {
        type Error = std::convert::Infallible;
        fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
            Ok(0)
        }
        fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
            Ok(0)
        }
        fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
            let n = dst.len().min(self.0.len());
            dst[..n].copy_from_slice(&self.0[..n]);
            self.0.drain(..n);
            Ok(())
        }
    }

    #[test]
    fn rfc7677_client_proof_and_server_signature() {
        // RFC 7677 section 3: the client nonce "rOprNGfwEbeRWgbNEkqO" is base64 of 15
        // bytes; make the client draw exactly those.
        let bytes = STANDARD.decode("rOprNGfwEbeRWgbNEkqO").unwrap();
        let mut client = ScramSha256Client::new("user", "pencil", None, &mut Fixed(bytes)).unwrap();
        client.nonce = "rOprNGfwEbeRWgbNEkqO".into();
        assert_eq!(
            client.initial_response().unwrap(),
            b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
        );
        let step = client.step(b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", false);
        assert_eq!(step, SaslStep::Continue(b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=".to_vec()));
        assert!(matches!(
            client.step(b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=", true),
            SaslStep::Complete { .. }
        ));
    }

    #[test]
    fn the_client_refuses_a_forged_server_signature_and_weak_parameters() {
        let mut rng = Fixed(vec![1; 64]);
        let mut client = ScramSha256Client::new("user", "pencil", None, &mut rng).unwrap();
        let first = client.initial_response().unwrap();
        let nonce = String::from_utf8(first[first.len() - 32..].to_vec()).unwrap();
        let sf = format!("r={nonce}xyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");
        assert!(matches!(
            client.step(sf.as_bytes(), false),
            SaslStep::Continue(_)
        ));
        assert!(matches!(
            client.step(b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=", true),
            SaslStep::Failed(_)
        ));
        let mut weak = ScramSha256Client::new("user", "pencil", None, &mut rng).unwrap();
        let first = weak.initial_response().unwrap();
        let nonce = String::from_utf8(first[first.len() - 32..].to_vec()).unwrap();
        let sf = format!("r={nonce}xyz,s=AAAA,i=1");
        assert!(matches!(
            weak.step(sf.as_bytes(), false),
            SaslStep::Failed(_)
        ));
        let mut replay = ScramSha256Client::new("user", "pencil", None, &mut rng).unwrap();
        replay.initial_response();
        assert!(matches!(
            replay.step(b"r=someoneelse,s=AAAA,i=4096", false),
            SaslStep::Failed(_)
        ));
    }

    #[test]
    fn stored_credentials_match_rfc7677() {
        let salt = STANDARD.decode("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
        let c = ScramCredentials::from_password("pencil", &salt, 4096).unwrap();
        assert!(c.verify_password("pencil"));
        assert!(!c.verify_password("pencil2"));
        let lookup: Lookup = Box::new(move |_| AuthDecision::Scram(c.clone()));
        let mut server = ScramSha256Server::new(lookup, &mut Fixed(vec![7; 64]));
        server.nonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0".into();
        assert_eq!(
            server.step(b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO"),
            SaslStep::Continue(b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096".to_vec())
        );
        assert_eq!(
            server.step(b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="),
            SaslStep::Complete {
                data: b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=".to_vec(),
                identity: "user".into()
            }
        );
    }

    #[test]
    fn unknown_users_and_wrong_proofs_fail_after_a_full_exchange() {
        let mut rng = Fixed(vec![3; 256]);
        for (user, pass) in [("nobody", "pencil"), ("user", "wrong")] {
            let lookup: Lookup = Box::new(|p: &AuthProps| match p.auth_id.as_deref() {
                Some("user") => AuthDecision::Password("pencil".into()),
                _ => AuthDecision::Deny,
            });
            let mut server = ScramSha256Server::new(lookup, &mut rng);
            let mut client = ScramSha256Client::new(user, pass, None, &mut rng).unwrap();
            let SaslStep::Continue(sf) = server.step(&client.initial_response().unwrap()) else {
                panic!("server-first")
            };
            let SaslStep::Continue(cf) = client.step(&sf, false) else {
                panic!("client-final")
            };
            assert!(matches!(server.step(&cf), SaslStep::Failed(_)), "{user}");
        }
        let lookup: Lookup = Box::new(|_| AuthDecision::Password("x".into()));
        let mut server = ScramSha256Server::new(lookup, &mut rng);
        assert!(matches!(
            server.step(b"p=tls-unique,,n=u,r=a"),
            SaslStep::Failed(_)
        ));
    }
}
