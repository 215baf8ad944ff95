//! Parses arbitrary bytes as every SCTP option/ancillary struct; the first byte picks the
//! layout and byte order. Whatever parses must round-trip through emit.
#![no_main]

use hark_wire::sctp::{
    Abi, Endian, EventSubscribe, InitMsg, Layout, NxtInfo, RcvInfo, SctpEvent, SndInfo,
    SndRcvInfo, SockAddr,
};
use libfuzzer_sys::fuzz_target;

macro_rules! round_trip {
    ($ty:ty, $bytes:expr, $abi:expr) => {
        if let Ok(v) = <$ty>::parse($bytes, $abi) {
            let mut out = [0u8; 128];
            let n = v.emit(&mut out, $abi).expect("a parsed struct re-emits");
            assert_eq!(<$ty>::parse(&out[..n], $abi), Ok(v));
        }
    };
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let layout = if selector & 1 == 0 { Layout::Linux } else { Layout::FreeBsd };
    let endian = if selector & 2 == 0 { Endian::Little } else { Endian::Big };
    let abi = Abi::with_endian(layout, endian);
    round_trip!(SctpEvent, bytes, abi);
    round_trip!(EventSubscribe, bytes, abi);
    round_trip!(SndInfo, bytes, abi);
    round_trip!(RcvInfo, bytes, abi);
    round_trip!(NxtInfo, bytes, abi);
    round_trip!(SndRcvInfo, bytes, abi);
    round_trip!(InitMsg, bytes, abi);
    if let Ok(a) = SockAddr::parse(bytes, abi) {
        let mut out = [0u8; 128];
        a.emit(&mut out, abi).expect("a parsed address re-emits");
        assert_eq!(SockAddr::parse(&out, abi), Ok(a));
    }
});
