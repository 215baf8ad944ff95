//! Any bytes as each SCRAM message: parsing never panics, and whatever parses emits
//! back to the very same bytes (the signatures are computed over the text).
#![no_main]

use hark_wire::sasl::scram::{ClientFinal, ClientFirst, ServerFinal, ServerFirst};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = ClientFirst::parse(data) {
        assert_eq!(m.to_vec(), data);
        assert_eq!(m.buffer_len(), data.len());
        assert!(data.ends_with(m.bare().as_bytes()));
    }
    if let Ok(m) = ServerFirst::parse(data) {
        assert_eq!(m.to_vec(), data);
    }
    if let Ok(m) = ClientFinal::parse(data) {
        assert_eq!(m.to_vec(), data);
        assert!(data.starts_with(m.without_proof().as_bytes()));
    }
    if let Ok(m) = ServerFinal::parse(data) {
        assert_eq!(m.to_vec(), data);
    }
});
