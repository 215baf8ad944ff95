//! Any bytes as each DIGEST-MD5 message: parsing never panics, and whatever parses
//! emits to text that parses to the same value.
#![no_main]

use hark_wire::sasl::digest_md5::{Challenge, Response, ResponseAuth, directives};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = directives(data);
    if let Ok(m) = Challenge::parse(data) {
        let text = m.to_vec();
        assert_eq!(text.len(), m.buffer_len());
        assert_eq!(Challenge::parse(&text), Ok(m));
    }
    if let Ok(m) = Response::parse(data) {
        assert_eq!(Response::parse(&m.to_vec()), Ok(m));
    }
    if let Ok(m) = ResponseAuth::parse(data) {
        assert_eq!(ResponseAuth::parse(&m.to_vec()), Ok(m));
    }
});
