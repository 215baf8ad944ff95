//! Feeds arbitrary pieces to the bounded notification assembler: the first byte sets the
//! limit, then each piece is a length byte (top bit = MSG_EOR) followed by that many bytes.
//! Buffered bytes never exceed the limit, and every completed notification goes through
//! both layouts' parsers.
#![no_main]

use hark_wire::sctp::{Abi, Endian, Layout, Notification, NotificationAssembler};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&limit, mut rest)) = data.split_first() else {
        return;
    };
    let max = usize::from(limit) * 4;
    let mut asm = NotificationAssembler::new(max);
    while let Some((&control, tail)) = rest.split_first() {
        let len = usize::from(control & 0x7f).min(tail.len());
        let eor = control & 0x80 != 0;
        let (piece, next) = tail.split_at(len);
        rest = next;
        match asm.push(piece, eor) {
            Ok(Some(whole)) => {
                assert!(whole.len() <= max);
                for layout in [Layout::Linux, Layout::FreeBsd] {
                    let _ = Notification::parse(whole, Abi::with_endian(layout, Endian::Little));
                }
            }
            Ok(None) => assert!(!eor),
            Err(_) => assert_eq!(asm.pending_len(), 0),
        }
        assert!(asm.pending_len() <= max);
    }
});
