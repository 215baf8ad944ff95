//! Any datagram as a BEP 15 request and as a reply (both families): checked views never
//! panic, and parse -> emit -> parse is stable (replies re-emit the bytes they consumed).
#![no_main]

use hark_wire::bt::tracker::udp::{Family, Request, RequestRepr, Response, ResponseRepr};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(view) = Request::new_checked(data) {
        let repr = RequestRepr::parse(&view);
        let mut buf = vec![0u8; repr.buffer_len()];
        let len = repr.emit(&mut buf).expect("a parsed request emits");
        let again = Request::new_checked(&buf[..len]).expect("emitted bytes check");
        assert_eq!(RequestRepr::parse(&again), repr);
    }
    for family in [Family::V4, Family::V6] {
        let Ok(view) = Response::new_checked(data, family) else {
            continue;
        };
        let repr = ResponseRepr::parse(&view);
        let mut buf = vec![0u8; repr.buffer_len()];
        let len = repr.emit(&mut buf).expect("a parsed reply emits");
        let lossless = !matches!(view.error_message(), Some(m) if std::str::from_utf8(m).is_err());
        if lossless {
            // Bytes past a connect reply's 16 are ignored; everything else is consumed.
            assert_eq!(&buf[..len], &data[..len]);
        }
        let again = Response::new_checked(&buf[..len], family).expect("emitted bytes check");
        assert_eq!(ResponseRepr::parse(&again), repr);
    }
});
