mod fast;
mod queued_writes;

impl crate::bt::torrent::Torrent {
    /// Pieces, partial pieces and peers, for a failing test's output.
    pub(crate) fn debug_state(&self) -> String {
        let partials: Vec<String> = self
            .picker
            .in_progress()
            .map(|i| {
                format!(
                    "{i}: held={} single={:?} senders={:?}",
                    self.picker.is_held(i),
                    self.picker.single_source(i),
                    self.picker.senders(i)
                )
            })
            .collect();
        let peers: Vec<String> = self
            .peers
            .iter()
            .map(|(h, s)| {
                format!(
                    "{}@{}: choking_us={} interested={} out={} pend={}",
                    h.0,
                    s.addr,
                    s.session.peer_choking(),
                    s.session.am_interested(),
                    s.session.outstanding_requests().count(),
                    s.session.pending_requests().count()
                )
            })
            .collect();
        format!(
            "have {}/{} jobs {} partials {partials:?} peers {peers:?}",
            self.have().len(),
            self.have().capacity(),
            self.jobs.len()
        )
    }
}
