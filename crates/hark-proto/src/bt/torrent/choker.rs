//! The choker: tit-for-tat by rate, one optimistic unchoke, seeding by upload rate.
//!
//! Every `choke_interval` the interested peers are ranked: while downloading by the rate
//! they send to us, once seeding by the rate we send to them (so the upload goes to peers
//! that can take it). The best `upload_slots` are unchoked, plus one optimistic unchoke,
//! chosen at random (from the torrent's RNG) among the other interested peers and moved on
//! every `optimistic_interval` to another of them when there is one (or at the next round,
//! when its peer earned a regular slot or left), so that new peers get a chance to prove
//! their rate. The rates are the sessions' rolling-window meters.

use std::time::Instant;

use super::engine::Torrent;
use super::event::PeerHandle;

impl Torrent {
    pub(super) fn run_choker(&mut self, now: Instant) {
        self.next_choke = now + self.config.choke_interval;
        let seeding = self.is_finished();
        let mut ranked: Vec<(u64, PeerHandle)> = self
            .peers
            .iter()
            .filter(|(_, s)| s.session.peer_interested() && !s.session.is_closed())
            .map(|(h, s)| {
                let rate = if seeding {
                    s.session.upload_rate(now)
                } else {
                    s.session.download_rate(now)
                };
                (rate, *h)
            })
            .collect();
        // Highest rate first; ties by handle so the order is deterministic.
        ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut unchoke: Vec<PeerHandle> = ranked
            .iter()
            .take(self.config.upload_slots)
            .map(|(_, h)| *h)
            .collect();
        let rest: Vec<PeerHandle> = ranked
            .iter()
            .skip(self.config.upload_slots)
            .map(|(_, h)| *h)
            .collect();
        let keep = self.optimistic.filter(|o| rest.contains(o));
        if now >= self.next_optimistic || keep.is_none() {
            self.next_optimistic = now + self.config.optimistic_interval;
            // Moving on: the current peer is drawn again only when it is the only one.
            let candidates: Vec<PeerHandle> = match keep {
                Some(current) if rest.len() > 1 => {
                    rest.iter().copied().filter(|p| *p != current).collect()
                }
                _ => rest,
            };
            self.optimistic = if candidates.is_empty() {
                None
            } else {
                let pick = (u64::from(self.rng.next_u32()) * candidates.len() as u64) >> 32;
                Some(candidates[pick as usize])
            };
        }
        if let Some(o) = self.optimistic {
            unchoke.push(o);
        }
        let handles: Vec<PeerHandle> = self.peers.keys().copied().collect();
        for peer in handles {
            let Some(slot) = self.peers.get_mut(&peer) else {
                continue;
            };
            let want = unchoke.contains(&peer);
            if want && slot.session.am_choking() {
                slot.session.unchoke(now);
            } else if !want && !slot.session.am_choking() {
                slot.session.choke(now);
            }
            self.drain_peer(now, peer);
        }
    }

    /// The peer unchoked optimistically, if any.
    pub fn optimistic_unchoke(&self) -> Option<PeerHandle> {
        self.optimistic
    }
}
