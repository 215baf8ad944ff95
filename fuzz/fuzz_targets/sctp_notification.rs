//! Parses arbitrary bytes as an SCTP notification in both layouts (Linux, FreeBSD) and both
//! byte orders; whatever parses must re-emit to bytes that parse to the same value, and the
//! dictionary view must not fail for it.
#![no_main]

use hark_wire::sctp::{Abi, Endian, Layout, Notification};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for (layout, endian) in [
        (Layout::Linux, Endian::Little),
        (Layout::Linux, Endian::Big),
        (Layout::FreeBsd, Endian::Little),
        (Layout::FreeBsd, Endian::Big),
    ] {
        let abi = Abi::with_endian(layout, endian);
        let Ok(n) = Notification::parse(data, abi) else {
            continue;
        };
        let mut out = vec![0u8; n.buffer_len(abi.layout)];
        let written = n.emit(&mut out, abi).expect("a parsed notification re-emits");
        assert_eq!(written, out.len());
        let again = Notification::parse(&out, abi).expect("emitted bytes parse");
        assert_eq!(again, n);
        n.to_dict(abi.layout).expect("a parsed notification has a dictionary");
    }
});
