//! Any bytes as an HTTP tracker's announce or scrape reply; the same bytes as the peer id
//! and tracker id of an announce URL, whose length must match `buffer_len`.
#![no_main]

use hark_wire::bt::metainfo::InfoHash;
use hark_wire::bt::tracker::http::{AnnounceReply, AnnounceRequest, ScrapeReply};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(AnnounceReply::Success(reply)) = AnnounceReply::parse(data) {
        let _ = (reply.interval, reply.peers.len(), reply.named_peers.len());
    }
    let _ = ScrapeReply::parse(data);

    let mut peer_id = [0u8; 20];
    for (slot, byte) in peer_id.iter_mut().zip(data) {
        *slot = *byte;
    }
    let request = AnnounceRequest {
        tracker_id: Some(data.to_vec()),
        key: data.first().map(|&b| u32::from(b) * 0x0101_0101),
        ..AnnounceRequest::new(InfoHash(peer_id), peer_id, 6881, data.len() as u64)
    };
    let url = request.to_url("http://127.0.0.1/announce").expect("http URL");
    assert_eq!(Ok(url.len()), request.buffer_len("http://127.0.0.1/announce"));
    assert!(url.is_ascii());
});
