//! SCTP-AUTH (RFC 4895) keys: `SCTP_AUTH_CHUNK`, `SCTP_AUTH_KEY`, `SCTP_AUTH_ACTIVE_KEY`,
//! `SCTP_AUTH_DEACTIVATE_KEY`, `SCTP_AUTH_DELETE_KEY`. Key changes show up as
//! `SCTP_AUTHENTICATION_EVENT` notifications.

use super::consts::{
    SCTP_AUTH_ACTIVE_KEY, SCTP_AUTH_CHUNK, SCTP_AUTH_DEACTIVATE_KEY, SCTP_AUTH_DELETE_KEY,
    SCTP_AUTH_KEY,
};
use super::error::SctpError;
use super::socket::{AssocId, SctpSocket};

/// The SCTP DATA chunk type, for [`SctpSocket::auth_chunk`].
pub const CHUNK_DATA: u8 = 0;

/// `struct sctp_authkeyid { sctp_assoc_t; __u16; }`: 8 bytes with padding.
fn key_id(assoc_id: AssocId, keynumber: u16) -> [u8; 8] {
    let mut buf = [0u8; 8];
    buf[..4].copy_from_slice(&assoc_id.to_ne_bytes());
    buf[4..6].copy_from_slice(&keynumber.to_ne_bytes());
    buf
}

impl SctpSocket {
    /// `SCTP_AUTH_CHUNK`: require authentication of chunks of `chunk_type` (before the
    /// association starts).
    pub fn auth_chunk(&self, chunk_type: u8) -> Result<(), SctpError> {
        self.set_bytes(SCTP_AUTH_CHUNK, &[chunk_type], "SCTP_AUTH_CHUNK")
    }

    /// `SCTP_AUTH_KEY`: sets shared key `keynumber` on `assoc_id`.
    pub fn set_auth_key(
        &self,
        assoc_id: AssocId,
        keynumber: u16,
        key: &[u8],
    ) -> Result<(), SctpError> {
        let len = u16::try_from(key.len()).map_err(|_| SctpError::TooMany {
            what: "sca_key",
            len: key.len(),
        })?;
        let mut buf = Vec::with_capacity(8 + key.len());
        buf.extend_from_slice(&assoc_id.to_ne_bytes());
        buf.extend_from_slice(&keynumber.to_ne_bytes());
        buf.extend_from_slice(&len.to_ne_bytes());
        buf.extend_from_slice(key);
        self.set_bytes(SCTP_AUTH_KEY, &buf, "SCTP_AUTH_KEY")
    }

    /// `SCTP_AUTH_ACTIVE_KEY`: sends with key `keynumber` from now on.
    pub fn set_active_key(&self, assoc_id: AssocId, keynumber: u16) -> Result<(), SctpError> {
        let buf = key_id(assoc_id, keynumber);
        self.set_bytes(SCTP_AUTH_ACTIVE_KEY, &buf, "SCTP_AUTH_ACTIVE_KEY")
    }

    /// `SCTP_AUTH_DEACTIVATE_KEY`: stops using key `keynumber`; once no packet needs it the
    /// kernel reports `SCTP_AUTH_FREE_KEY`.
    pub fn deactivate_key(&self, assoc_id: AssocId, keynumber: u16) -> Result<(), SctpError> {
        let buf = key_id(assoc_id, keynumber);
        self.set_bytes(SCTP_AUTH_DEACTIVATE_KEY, &buf, "SCTP_AUTH_DEACTIVATE_KEY")
    }

    /// `SCTP_AUTH_DELETE_KEY`: removes key `keynumber`.
    pub fn delete_key(&self, assoc_id: AssocId, keynumber: u16) -> Result<(), SctpError> {
        let buf = key_id(assoc_id, keynumber);
        self.set_bytes(SCTP_AUTH_DELETE_KEY, &buf, "SCTP_AUTH_DELETE_KEY")
    }
}
