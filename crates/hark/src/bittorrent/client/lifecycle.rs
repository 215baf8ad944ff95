//! The ends of a torrent's run on the engine: `stopped` announces when a torrent is paused,
//! removed, or the client shuts down; resume files written once a stopped torrent's disk
//! jobs have drained; and the client's bounded shutdown.
//!
//! A stopped torrent's announcer stays with the tracker driver until it has told every
//! tracker that took an announce (`Announcer::is_stopped`) or until the client's
//! `stop_timeout` has passed, whichever comes first; its replies connect nobody.
//! Shutdown ([`Engine::begin_shutdown`]) closes every peer, stops every announcer and
//! writes every resume file, then says so on the channel it was given; the client waits
//! for that at most `stop_timeout` before it stops the reactor regardless.

use std::sync::mpsc::SyncSender;
use std::time::Instant;

use super::engine::Engine;
use super::types::TorrentId;

impl Engine {
    /// Stops announcing torrent `id` (paused or removed): `stopped` goes to every tracker
    /// that took an announce, within the stop timeout.
    pub(super) fn stop_announcing(&mut self, now: Instant, id: TorrentId) {
        let stats = self.stats(id);
        let Some(entry) = self.torrents.get(&id) else {
            return;
        };
        let hash = entry.metainfo.info.info_hash;
        let Some(announcer) = self.tracker.announcer_mut(hash) else {
            return;
        };
        announcer.stop(now, stats);
        if announcer.is_stopped() {
            self.tracker.remove(hash);
            self.stopping.remove(&hash);
            return;
        }
        self.stopping.insert(hash, now + self.settings.stop_timeout);
        self.drive_http(now);
    }

    /// Drops the announcers that have said `stopped` everywhere, or ran out of time.
    pub(super) fn sweep_stopping(&mut self, now: Instant) {
        let tracker = &mut self.tracker;
        self.stopping.retain(|hash, deadline| {
            let done = tracker.announcer(*hash).is_none_or(|a| a.is_stopped());
            if done || *deadline <= now {
                if !done {
                    tracing::debug!(torrent = %hash, "stopped announce abandoned");
                }
                tracker.remove(*hash);
                return false;
            }
            true
        });
    }

    /// When [`Engine::sweep_stopping`] must run at the latest.
    pub(super) fn stopping_deadline(&self) -> Option<Instant> {
        self.stopping.values().min().copied()
    }

    /// Writes the resume files asked for ([`Entry::resume_due`](super::engine::Entry))
    /// of torrents whose disk jobs have drained, then tells a waiting shutdown when
    /// everything is done.
    pub(super) fn save_due_resumes(&mut self) {
        for (id, entry) in &mut self.torrents {
            if entry.resume_due && entry.torrent.disk_jobs_in_flight() == 0 {
                let have = entry.torrent.have().clone();
                entry.resume_due = !self.disk.save_resume(*id, &entry.metainfo.info, have);
            }
        }
        let idle = self.stopping.is_empty()
            && !self.disk.saves_pending()
            && self.torrents.values().all(|e| !e.resume_due);
        if idle && let Some(done) = self.closing.take() {
            let _ = done.try_send(());
        }
    }

    /// Begins the client's shutdown: every torrent stops talking to peers, says `stopped`
    /// to its trackers and has its resume file written; `done` hears once all of it is
    /// finished (the caller waits for it with a deadline).
    pub fn begin_shutdown(&mut self, now: Instant, done: SyncSender<()>) {
        self.closing = Some(done);
        let ids: Vec<TorrentId> = self.torrents.keys().copied().collect();
        for id in ids {
            let Some(entry) = self.torrents.get_mut(&id) else {
                continue;
            };
            // Not running: no reconnects, no retries, no incoming peers.
            entry.user_paused = true;
            entry.resume_due = true;
            self.stop_announcing(now, id);
            self.drop_links_of(now, id);
        }
        self.status_forced = true;
    }
}
