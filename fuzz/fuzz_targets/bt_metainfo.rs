//! Any bytes as a .torrent: a parsed torrent's info hash is the SHA-1 of its info bytes,
//! its pieces cover its files exactly, and every path component is safe.
#![no_main]

use hark_wire::bt::metainfo::{Info, InfoHash, Metainfo, check_component};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(meta) = Metainfo::parse(data) else {
        return;
    };
    let info = &meta.info;
    assert_eq!(info.info_hash, InfoHash::of(&info.raw));
    assert_eq!(Info::parse(&info.raw).as_ref(), Ok(info));
    let pieces = info.total_length().div_ceil(u64::from(info.piece_length));
    assert_eq!(pieces, info.piece_count() as u64);
    let piece_sum: u64 = (0..info.piece_count())
        .map(|index| u64::from(info.piece_len(index).expect("in range")))
        .sum();
    assert_eq!(piece_sum, info.total_length());
    assert!(check_component(&info.name).is_ok());
    for file in &info.files {
        for component in &file.path {
            assert!(check_component(component).is_ok());
        }
    }
    let _ = meta.tracker_tiers();
});
