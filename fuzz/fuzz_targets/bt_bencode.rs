//! Any bytes through the bencode decoder: whatever decodes is canonical (re-encodes to the
//! same bytes, spans index the input), a prefix decode agrees with a whole decode, and a
//! stream cut short only ever asks for more.
#![no_main]

use hark_wire::bt::bencode::{self, Decoded, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(value) = bencode::decode(data) {
        assert_eq!(value.raw(), data);
        assert_eq!(value.span(), 0..data.len());
        assert_eq!(value.to_owned_value().to_vec(), data);
    }
    let limits = Limits::default();
    match bencode::decode_prefix(data, &limits) {
        Ok(Decoded::Complete { value, len }) => {
            assert_eq!(&data[value.span()], value.raw());
            assert_eq!(bencode::decode(&data[..len]).expect("the prefix decodes"), value);
        }
        Ok(Decoded::Incomplete { needed }) => assert!(needed >= 1),
        Err(_) => {}
    }
    let relaxed = Limits {
        sorted_keys: false,
        max_depth: 8,
        max_values: 64,
        ..Limits::default()
    };
    let _ = bencode::decode_with(data, &relaxed);
});
