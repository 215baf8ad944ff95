//! Errors of the TLS wrapper.

/// Why a TLS notifier could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// rustls refused the configuration.
    #[error("TLS setup failed: {0}")]
    Rustls(#[from] rustls::Error),
    /// The switch was started already (TLS starts once per connection).
    #[error("TLS was started on this connection already")]
    AlreadyStarted,
}
