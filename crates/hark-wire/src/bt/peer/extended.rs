//! The extension protocol's handshake (BEP 10): the bencoded dictionary an `extended`
//! message with id 0 carries.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::Error;
use crate::bt::bencode::{self, Limits, OwnedValue, Value};

/// The extended id of the handshake itself.
pub const EXTENDED_HANDSHAKE_ID: u8 = 0;

/// Bounds for decoding a handshake dictionary: shallow and small.
const LIMITS: Limits = Limits {
    max_depth: 8,
    max_values: 4096,
    max_len: 64 * 1024,
    // BEP 10 peers are not all canonical; keys are still unique.
    sorted_keys: false,
};

/// The BEP 10 handshake dictionary: the keys hark reads and writes. Other keys
/// (`metadata_size`, `complete_ago`, ...) are skipped when parsing and not emitted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExtendedHandshake {
    /// `m`: extension name → the extended id the sender wants to receive it under
    /// (0 = the sender disables it).
    pub m: BTreeMap<String, u8>,
    /// `v`: the client's name and version.
    pub v: Option<String>,
    /// `reqq`: how many outstanding requests the sender queues.
    pub reqq: Option<u32>,
    /// `yourip`: the address the sender sees us at.
    pub yourip: Option<IpAddr>,
    /// `p`: the sender's TCP listen port.
    pub p: Option<u16>,
}

fn bad(field: &'static str) -> Error {
    Error::BadExtendedHandshake { field }
}

fn integer(value: &Value<'_>, field: &'static str) -> Result<i64, Error> {
    value.as_integer().ok_or(bad(field))
}

impl ExtendedHandshake {
    /// Reads the dictionary an `extended` message with id 0 carries. The value types and
    /// ranges of `m`, `v`, `reqq`, `yourip` and `p` are checked; a key's absence is fine.
    pub fn parse(payload: &[u8]) -> Result<Self, Error> {
        let dict = bencode::decode_with(payload, &LIMITS).map_err(Error::Bencode)?;
        if dict.as_dict().is_none() {
            return Err(bad("dictionary"));
        }
        let mut out = Self::default();
        if let Some(m) = dict.get(b"m") {
            for (key, value) in m.as_dict().ok_or(bad("m"))? {
                let name = key.as_bytes().unwrap_or_default();
                let name = String::from_utf8(name.to_vec()).map_err(|_| bad("m"))?;
                let id = u8::try_from(integer(value, "m")?).map_err(|_| bad("m"))?;
                out.m.insert(name, id);
            }
        }
        if let Some(v) = dict.get(b"v") {
            let text = v.as_bytes().ok_or(bad("v"))?;
            out.v = Some(String::from_utf8_lossy(text).into_owned());
        }
        if let Some(reqq) = dict.get(b"reqq") {
            out.reqq = Some(u32::try_from(integer(reqq, "reqq")?).map_err(|_| bad("reqq"))?);
        }
        if let Some(ip) = dict.get(b"yourip") {
            let bytes = ip.as_bytes().ok_or(bad("yourip"))?;
            out.yourip = Some(match bytes.len() {
                4 => IpAddr::V4(Ipv4Addr::from(
                    <[u8; 4]>::try_from(bytes).map_err(|_| bad("yourip"))?,
                )),
                16 => IpAddr::V6(Ipv6Addr::from(
                    <[u8; 16]>::try_from(bytes).map_err(|_| bad("yourip"))?,
                )),
                _ => return Err(bad("yourip")),
            });
        }
        if let Some(p) = dict.get(b"p") {
            out.p = Some(u16::try_from(integer(p, "p")?).map_err(|_| bad("p"))?);
        }
        Ok(out)
    }

    /// The dictionary as a bencode value (`m` always present, as BEP 10 requires).
    pub fn to_bencode(&self) -> OwnedValue {
        let m = self.m.iter().fold(OwnedValue::dict(), |dict, (name, id)| {
            dict.with(name, OwnedValue::Integer(i64::from(*id)))
        });
        let mut dict = OwnedValue::dict().with("m", m);
        if let Some(v) = &self.v {
            dict = dict.with("v", OwnedValue::string(v));
        }
        if let Some(reqq) = self.reqq {
            dict = dict.with("reqq", OwnedValue::Integer(i64::from(reqq)));
        }
        if let Some(ip) = self.yourip {
            let bytes = match ip {
                IpAddr::V4(v4) => v4.octets().to_vec(),
                IpAddr::V6(v6) => v6.octets().to_vec(),
            };
            dict = dict.with("yourip", OwnedValue::Bytes(bytes));
        }
        if let Some(p) = self.p {
            dict = dict.with("p", OwnedValue::Integer(i64::from(p)));
        }
        dict
    }

    /// Bytes [`ExtendedHandshake::emit`] writes (the dictionary only, without the message
    /// header).
    pub fn buffer_len(&self) -> usize {
        self.to_bencode().buffer_len()
    }

    /// Writes the bencoded dictionary into `buf`; returns its length. Wrap it in
    /// [`MessageRepr::Extended`](super::MessageRepr::Extended) with id
    /// [`EXTENDED_HANDSHAKE_ID`] to send it.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, Error> {
        self.to_bencode().emit(buf).map_err(|err| match err {
            bencode::Error::BufferTooSmall { required } => Error::BufferTooSmall { required },
            other => Error::Bencode(other),
        })
    }

    /// The bencoded dictionary in a new vector.
    pub fn to_vec(&self) -> Vec<u8> {
        self.to_bencode().to_vec()
    }
}
