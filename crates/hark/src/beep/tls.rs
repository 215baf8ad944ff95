//! TLS tuning (RFC 3080 section 3.1, profile `http://iana.org/beep/TLS`) with rustls:
//! certificates and keys from files or memory, client trust, and the handlers of the
//! seed (`tls_accept_handler`, `tls_cert_handler`, `tls_key_handler`, `tls_notify`).
//!
//! The listener side offers TLS once the context has a certificate handler
//! ([`BeepContext::on_tls_certificate`](super::BeepContext::on_tls_certificate), or
//! [`BeepContext::tls_credentials`](super::BeepContext::tls_credentials)); a peer's
//! `<ready/>` start is first put to the accept handler with the `serverName` it sent,
//! then the certificate and key handlers give what to present. The initiator side
//! calls [`Connection::start_tls`](super::Connection::start_tls). After `<proceed/>` both
//! sides put rustls under the session (the same [`TlsNotify`](crate::tcp::tls::TlsNotify)
//! that wraps TCP notifiers, started in band through its
//! [`TlsSwitch`](crate::tcp::tls::TlsSwitch)), every channel is gone, and both greet again
//! over TLS. The outcome goes to the `tls_notify` handler; a handshake failure closes
//! the session, and the waiting call returns [`BeepError::Tls`](super::BeepError::Tls).
//!
//! ```
//! use std::time::Duration;
//! use hark::beep::tls::{ClientTrust, TlsSource, client_config};
//! use hark::beep::{BeepContext, Profile};
//!
//! let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])?;
//! let cert = certified.cert.pem().into_bytes();
//! let key = certified.signing_key.serialize_pem().into_bytes();
//!
//! let server = BeepContext::new()?;
//! server.register(Profile::new("http://example.org/beep/echo"));
//! server.tls_credentials(TlsSource::Pem(cert.clone()), TlsSource::Pem(key));
//! server.on_tls_accept((), |_conn, server_name, _| server_name == Some("localhost"));
//! let listener = server.listen("127.0.0.1:0".parse()?)?;
//!
//! let client = BeepContext::new()?;
//! let conn = client.connect(listener.local_addr(), Duration::from_secs(5))?;
//! let config = client_config(&ClientTrust::Roots(TlsSource::Pem(cert)))?;
//! let info = conn.start_tls(config, "localhost", Duration::from_secs(5))?;
//! assert!(info.version.starts_with("TLSv1_"));
//! assert_eq!(conn.peer_profiles(), ["http://example.org/beep/echo"]);
//! conn.close(Duration::from_secs(5))?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::path::PathBuf;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, ServerConfig, SignatureScheme};

use super::connection::Connection;
pub use crate::tcp::tls::TlsInfo;

/// Where a certificate chain or a private key comes from (the seed's handlers return a
/// path; the in-memory variants serve keys that never touch the disk).
#[derive(Clone, PartialEq, Eq)]
pub enum TlsSource {
    /// A PEM file.
    File(PathBuf),
    /// PEM text in memory.
    Pem(Vec<u8>),
    /// One DER object in memory (a certificate, or a PKCS#8, PKCS#1 or SEC1 key).
    Der(Vec<u8>),
}

impl std::fmt::Debug for TlsSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TlsSource::File(p) => f.debug_tuple("File").field(p).finish(),
            // Keys are secret: only the size shows.
            TlsSource::Pem(b) => write!(f, "Pem({} bytes)", b.len()),
            TlsSource::Der(b) => write!(f, "Der({} bytes)", b.len()),
        }
    }
}

impl TlsSource {
    /// The certificates it holds, in order.
    pub fn certificates(&self) -> Result<Vec<CertificateDer<'static>>, String> {
        let certs: Result<Vec<_>, _> = match self {
            TlsSource::File(path) => CertificateDer::pem_file_iter(path)
                .map_err(|e| format!("{}: {e}", path.display()))?
                .collect(),
            TlsSource::Pem(pem) => CertificateDer::pem_slice_iter(pem).collect(),
            TlsSource::Der(der) => Ok(vec![CertificateDer::from(der.clone())]),
        };
        let certs = certs.map_err(|e| format!("certificate: {e}"))?;
        if certs.is_empty() {
            return Err("no certificate found".into());
        }
        Ok(certs)
    }

    /// The private key it holds.
    pub fn private_key(&self) -> Result<PrivateKeyDer<'static>, String> {
        match self {
            TlsSource::File(path) => PrivateKeyDer::from_pem_file(path)
                .map_err(|e| format!("{}: private key: {e}", path.display())),
            TlsSource::Pem(pem) => {
                PrivateKeyDer::from_pem_slice(pem).map_err(|e| format!("private key: {e}"))
            }
            TlsSource::Der(der) => {
                PrivateKeyDer::try_from(der.clone()).map_err(|e| format!("private key: {e}"))
            }
        }
    }
}

/// Decides a peer's TLS request (`tls_accept_handler`): the connection and the
/// `serverName` it sent; `true` accepts.
pub type TlsAcceptHandler = Arc<dyn Fn(&Connection, Option<&str>) -> bool + Send + Sync>;
/// Gives the certificate chain (`tls_cert_handler`) or the key (`tls_key_handler`) for
/// a `serverName`; `None` refuses TLS.
pub type TlsSourceHandler =
    Arc<dyn Fn(&Connection, Option<&str>) -> Option<TlsSource> + Send + Sync>;
/// TLS status notification (`tls_notify`): success, and a message.
pub type TlsNotifyHandler = Arc<dyn Fn(&Connection, bool, &str) + Send + Sync>;

/// The crypto provider hark's BEEP TLS uses (rustls with ring).
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A server configuration presenting `cert` (a chain, leaf first) with `key`.
pub fn server_config(cert: &TlsSource, key: &TlsSource) -> Result<Arc<ServerConfig>, String> {
    let certs = cert.certificates()?;
    let key = key.private_key()?;
    let config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| format!("certificate and key: {e}"))?;
    Ok(Arc::new(config))
}

/// What a TLS client trusts.
#[derive(Debug, Clone)]
pub enum ClientTrust {
    /// These CA (or self-signed) certificates.
    Roots(TlsSource),
    /// Anything: the server's certificate is not verified (signatures still are). For
    /// tests and self-signed listeners only.
    Insecure,
}

/// A client configuration trusting `trust`.
pub fn client_config(trust: &ClientTrust) -> Result<Arc<ClientConfig>, String> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    let config = match trust {
        ClientTrust::Roots(source) => {
            let mut roots = RootCertStore::empty();
            for cert in source.certificates()? {
                roots
                    .add(cert)
                    .map_err(|e| format!("trusted certificate: {e}"))?;
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        }
        ClientTrust::Insecure => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider())))
            .with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// The TLS name for `server_name` (a DNS name or an IP address).
pub fn server_name(name: &str) -> Result<ServerName<'static>, String> {
    ServerName::try_from(name.to_owned()).map_err(|e| format!("server name {name:?}: {e}"))
}

/// Accepts any certificate, still checking the handshake signatures.
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
