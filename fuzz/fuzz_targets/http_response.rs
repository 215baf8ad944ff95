//! HTTP/1.x response parsing (status line, headers, Content-Length, chunked decoding):
//! never a panic, the body within its limit, and the same outcome however the bytes are
//! split across reads.
#![no_main]

use hark::bittorrent::http::{HttpError, Progress, ResponseParser};
use libfuzzer_sys::fuzz_target;

const MAX_BODY: usize = 4096;

/// Feeds `data` in pieces of `step` bytes; the outcome and body, and the bytes consumed.
fn run(data: &[u8], step: usize) -> (Result<Vec<u8>, HttpError>, usize) {
    let mut parser = ResponseParser::new(MAX_BODY, 2048);
    let mut fed = 0;
    for piece in data.chunks(step) {
        match parser.feed(piece) {
            Ok(Progress::NeedMore) => fed += piece.len(),
            Ok(Progress::Complete { consumed }) => {
                assert!(consumed <= piece.len());
                let (_, body) = parser.take().expect("complete response");
                assert!(body.len() <= MAX_BODY);
                return (Ok(body), fed + consumed);
            }
            Err(error) => return (Err(error), fed),
        }
    }
    match parser.finish() {
        Ok(()) => {
            let (_, body) = parser.take().expect("finished response");
            assert!(body.len() <= MAX_BODY);
            (Ok(body), fed)
        }
        Err(error) => (Err(error), fed),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&split, data)) = data.split_first() else {
        return;
    };
    let (whole, used) = run(data, data.len().max(1));
    let (pieces, used_pieces) = run(data, usize::from(split % 16) + 1);
    match (&whole, &pieces) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a, b);
            assert_eq!(used, used_pieces);
        }
        // The head limit is checked per read, so only its error may differ in kind.
        (Err(_), Err(_)) => {}
        (a, b) => {
            let head_limit = |r: &Result<Vec<u8>, HttpError>| {
                matches!(r, Err(HttpError::Malformed(hark::bittorrent::http::ParseError::HeadTooLong(_))))
            };
            assert!(head_limit(a) || head_limit(b), "{a:?} vs {b:?}");
        }
    }
});
