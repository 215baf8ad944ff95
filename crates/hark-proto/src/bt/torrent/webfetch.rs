//! Web seeds inside the torrent: which piece each fetches, and its bytes fed into the same
//! write and hash path as blocks from peers.

use std::time::Instant;

use super::engine::{State, Torrent};
use super::engine::{handle as handle_of, key};
use super::event::{Event, PeerHandle};
use super::{RangeRequest, WebSeed, WebSeedError};
use crate::bt::peer::BLOCK_LEN;
use crate::bt::peer::PieceSet;
use hark_wire::bt::peer::BlockRequest;

/// A piece for the driver to fetch from a web seed: perform each range request in order
/// and answer with [`Torrent::handle_web_seed`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebRequest {
    /// The seed (the index [`Torrent::add_web_seed`] returned).
    pub seed: usize,
    /// The piece.
    pub index: u32,
    /// The HTTP range requests; their bodies, concatenated, are the piece.
    pub ranges: Vec<RangeRequest>,
}

impl Torrent {
    /// Adds a web seed (an `url-list` entry); returns its index.
    pub fn add_web_seed(&mut self, url: impl Into<String>) -> usize {
        let handle = PeerHandle(self.next_peer);
        self.next_peer += 1;
        self.web_seeds.push((WebSeed::new(url), handle, None));
        self.web_seeds.len() - 1
    }

    /// The next piece a ready, idle web seed should fetch: the rarest piece nobody has
    /// started. `None` when every seed is busy or resting, or nothing is left to start.
    pub fn poll_web_request(&mut self, now: Instant) -> Option<WebRequest> {
        if self.state != State::Running || self.is_finished() || !self.disk_has_room() {
            return None;
        }
        let seed = self
            .web_seeds
            .iter()
            .position(|(s, _, busy)| busy.is_none() && s.is_ready(now))?;
        let all = PieceSet::full(self.shape.piece_count());
        let index = self.picker.pick_piece(&all)?;
        let len = self.shape.piece_len(index)?;
        let handle = self.web_seeds[seed].1;
        let mut blocks = Vec::new();
        self.picker.request_piece(key(handle), index, &mut blocks);
        self.web_seeds[seed].2 = Some(index);
        let ranges = self.web_seeds[seed]
            .0
            .plan(&self.storage, &self.file_names, index, 0, len);
        Some(WebRequest {
            seed,
            index,
            ranges,
        })
    }

    /// The outcome of a [`WebRequest`]: the piece's bytes (written and hash-checked like
    /// a peer's blocks), or why the seed failed (`url_seed`; the seed backs off and the
    /// piece is free again).
    pub fn handle_web_seed(
        &mut self,
        now: Instant,
        seed: usize,
        result: Result<Vec<u8>, WebSeedError>,
    ) {
        let Some((web, handle, busy)) = self.web_seeds.get_mut(seed) else {
            return;
        };
        let handle = *handle;
        let Some(index) = busy.take() else {
            return;
        };
        let expected = self.shape.piece_len(index).unwrap_or(0) as usize;
        let data = match result {
            Ok(data) if data.len() == expected => {
                web.succeeded();
                data
            }
            Ok(data) => {
                let error = WebSeedError::Length {
                    got: data.len() as u64,
                    expected: expected as u64,
                };
                self.web_seed_failed(now, seed, index, handle, error);
                return;
            }
            Err(error) => {
                self.web_seed_failed(now, seed, index, handle, error);
                return;
            }
        };
        // The blocks still asked of this seed (a peer may have sent some in end game).
        let from = key(handle);
        for block in 0..expected.div_ceil(BLOCK_LEN as usize) {
            let begin = (block * BLOCK_LEN as usize) as u32;
            let request = BlockRequest {
                index,
                begin,
                length: (expected as u32 - begin).min(BLOCK_LEN),
            };
            if self.picker.is_held(index) || !self.picker.is_requested_from(from, request) {
                continue;
            }
            let received = self.picker.block_received(from, request);
            for other in received.cancel {
                if let Some(slot) = self.peers.get_mut(&handle_of(other)) {
                    slot.session.cancel(now, request);
                }
            }
            let bytes = data[begin as usize..(begin + request.length) as usize].to_vec();
            self.write_block(from, request, bytes);
        }
    }

    fn web_seed_failed(
        &mut self,
        now: Instant,
        seed: usize,
        index: u32,
        handle: PeerHandle,
        error: WebSeedError,
    ) {
        let url = self.web_seeds[seed].0.url().to_string();
        self.web_seeds[seed].0.failed(now);
        let status_code = match error {
            WebSeedError::Status(code) => code,
            _ => 0,
        };
        self.events.push_back(Event::UrlSeed {
            url,
            status_code,
            error: error.to_string(),
        });
        let from = key(handle);
        let len = self.shape.piece_len(index).unwrap_or(0);
        for begin in (0..len).step_by(BLOCK_LEN as usize) {
            let request = BlockRequest {
                index,
                begin,
                length: (len - begin).min(BLOCK_LEN),
            };
            self.picker.abort_request(from, request);
        }
        self.fill_requests(now);
    }
}
