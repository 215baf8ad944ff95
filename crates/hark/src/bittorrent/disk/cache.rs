//! The write cache: blocks wait in memory, bounded in bytes across a pool, and go to disk
//! in file order, each block as it came (no copy to join neighbours: the sink splits long
//! writes anyway, see `DiskConfig::write_chunk_bytes`).

use std::collections::BTreeMap;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Where a flush failed: the file, and the error.
pub(super) type FlushError = (usize, io::Error);

/// One torrent's cached blocks, keyed by (file, offset). Entries never overlap.
#[derive(Default)]
pub(super) struct WriteCache {
    entries: BTreeMap<(usize, u64), Vec<u8>>,
    bytes: usize,
    longest: u64,
}

/// The pool-wide budget the caches share.
pub(super) struct CacheBudget {
    capacity: usize,
    used: AtomicUsize,
}

impl CacheBudget {
    pub(super) fn new(capacity: usize) -> Self {
        CacheBudget {
            capacity,
            used: AtomicUsize::new(0),
        }
    }

    /// Takes `len` bytes of the budget, or `false` if they do not fit.
    fn take(&self, len: usize) -> bool {
        self.used
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |used| {
                used.checked_add(len).filter(|&n| n <= self.capacity)
            })
            .is_ok()
    }

    fn give(&self, len: usize) {
        self.used.fetch_sub(len, Ordering::SeqCst);
    }

    /// Bytes cached now, over every torrent.
    pub(super) fn used(&self) -> usize {
        self.used.load(Ordering::SeqCst)
    }
}

/// Writes `data` at `offset` of a file, through whatever opens it.
pub(super) trait Sink {
    fn write_at(&mut self, file: usize, offset: u64, data: &[u8]) -> io::Result<()>;
}

impl WriteCache {
    /// Bytes cached for this torrent.
    pub(super) fn bytes(&self) -> usize {
        self.bytes
    }

    /// Caches `data` at `offset` of `file` if the budget allows (else flushes this
    /// torrent's cache and tries again, else writes it through). An overlapping older
    /// entry that is not the same range goes to disk first, so the newest bytes win.
    pub(super) fn write(
        &mut self,
        budget: &CacheBudget,
        sink: &mut dyn Sink,
        file: usize,
        offset: u64,
        data: impl Into<Vec<u8>>,
    ) -> Result<(), FlushError> {
        // Owned: a block that arrives as its own buffer is kept without a copy.
        let data: Vec<u8> = data.into();
        let end = offset + data.len() as u64;
        let overlapping = self.overlapping(file, offset, end);
        if overlapping
            .iter()
            .any(|&(at, len)| at != offset || len != data.len())
        {
            self.flush_range(budget, sink, file, offset, end)?;
        } else if let Some(old) = self.entries.remove(&(file, offset)) {
            self.bytes -= old.len();
            budget.give(old.len());
        }
        if !budget.take(data.len()) {
            self.flush_all(budget, sink)?;
            if !budget.take(data.len()) {
                return sink
                    .write_at(file, offset, &data)
                    .map_err(|error| (file, error));
            }
        }
        self.bytes += data.len();
        self.longest = self.longest.max(data.len() as u64);
        self.entries.insert((file, offset), data);
        Ok(())
    }

    /// Caches `data` at `offset` of `file` without any I/O: only when it overlaps no entry
    /// and fits the budget; otherwise `data` comes back (for [`WriteCache::write`] on a
    /// worker).
    pub(super) fn try_insert(
        &mut self,
        budget: &CacheBudget,
        file: usize,
        offset: u64,
        data: Vec<u8>,
    ) -> Result<(), Vec<u8>> {
        let end = offset + data.len() as u64;
        if data.is_empty()
            || !self.overlapping(file, offset, end).is_empty()
            || !budget.take(data.len())
        {
            return Err(data);
        }
        self.bytes += data.len();
        self.longest = self.longest.max(data.len() as u64);
        self.entries.insert((file, offset), data);
        Ok(())
    }

    /// Whether cached entries cover `start..end` of `file` exactly, end to end.
    pub(super) fn covers(&self, file: usize, start: u64, end: u64) -> bool {
        let mut at = start;
        for ((_, offset), data) in self.entries.range((file, start)..(file, end)) {
            if *offset != at {
                return false;
            }
            at += data.len() as u64;
        }
        // Entries never overlap: one starting at `start`, each next where the previous
        // ended, and the last ending at `end` is an exact cover.
        at == end
    }

    /// Feeds the cached bytes of `start..end` of `file` to `f`, in order (call only when
    /// [`WriteCache::covers`] said so).
    pub(super) fn for_each_in(&self, file: usize, start: u64, end: u64, mut f: impl FnMut(&[u8])) {
        for (_, data) in self.entries.range((file, start)..(file, end)) {
            f(data);
        }
    }

    /// (offset, length) of the entries of `file` overlapping `start..end`.
    fn overlapping(&self, file: usize, start: u64, end: u64) -> Vec<(u64, usize)> {
        let from = start.saturating_sub(self.longest);
        self.entries
            .range((file, from)..(file, end))
            .filter(|((_, at), data)| at + data.len() as u64 > start)
            .map(|((_, at), data)| (*at, data.len()))
            .collect()
    }

    /// Writes the entries of `file` overlapping `start..end` to disk and forgets them.
    pub(super) fn flush_range(
        &mut self,
        budget: &CacheBudget,
        sink: &mut dyn Sink,
        file: usize,
        start: u64,
        end: u64,
    ) -> Result<(), FlushError> {
        let keys: Vec<(usize, u64)> = self
            .overlapping(file, start, end)
            .into_iter()
            .map(|(at, _)| (file, at))
            .collect();
        self.flush_keys(budget, sink, keys)
    }

    /// Writes every entry of `file` to disk.
    pub(super) fn flush_file(
        &mut self,
        budget: &CacheBudget,
        sink: &mut dyn Sink,
        file: usize,
    ) -> Result<(), FlushError> {
        let keys = self
            .entries
            .range((file, 0)..=(file, u64::MAX))
            .map(|(k, _)| *k)
            .collect();
        self.flush_keys(budget, sink, keys)
    }

    /// Writes everything to disk.
    pub(super) fn flush_all(
        &mut self,
        budget: &CacheBudget,
        sink: &mut dyn Sink,
    ) -> Result<(), FlushError> {
        let keys = self.entries.keys().copied().collect();
        self.flush_keys(budget, sink, keys)
    }

    /// Forgets everything unwritten (the torrent is gone).
    pub(super) fn discard(&mut self, budget: &CacheBudget) {
        budget.give(self.bytes);
        self.bytes = 0;
        self.entries.clear();
    }

    /// Writes the entries `keys` (sorted), each in one call to the sink. Every entry is
    /// forgotten, written or not: after a failure the torrent stops, and what it had not
    /// verified it fetches again.
    fn flush_keys(
        &mut self,
        budget: &CacheBudget,
        sink: &mut dyn Sink,
        keys: Vec<(usize, u64)>,
    ) -> Result<(), FlushError> {
        let mut first_error = None;
        for key in keys {
            let Some(data) = self.entries.remove(&key) else {
                continue;
            };
            self.bytes -= data.len();
            budget.give(data.len());
            if first_error.is_none()
                && let Err(error) = sink.write_at(key.0, key.1, &data)
            {
                first_error = Some((key.0, error));
            }
        }
        match first_error {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records writes in memory.
    #[derive(Default)]
    struct Recorder {
        writes: Vec<(usize, u64, Vec<u8>)>,
        fail_file: Option<usize>,
    }

    impl Sink for Recorder {
        fn write_at(&mut self, file: usize, offset: u64, data: &[u8]) -> io::Result<()> {
            if self.fail_file == Some(file) {
                return Err(io::Error::from_raw_os_error(libc::ENOSPC));
            }
            self.writes.push((file, offset, data.to_vec()));
            Ok(())
        }
    }

    #[test]
    fn an_insert_without_io_takes_only_what_fits_and_overlaps_nothing() {
        let budget = CacheBudget::new(6);
        let mut cache = WriteCache::default();
        assert_eq!(cache.try_insert(&budget, 0, 0, b"abcd".to_vec()), Ok(()));
        assert_eq!(
            cache.try_insert(&budget, 0, 2, b"xy".to_vec()),
            Err(b"xy".to_vec()),
            "overlaps 0..4"
        );
        assert_eq!(
            cache.try_insert(&budget, 0, 4, b"efg".to_vec()),
            Err(b"efg".to_vec()),
            "over the budget"
        );
        assert_eq!(cache.try_insert(&budget, 0, 4, b"ef".to_vec()), Ok(()));
        assert_eq!((cache.bytes(), budget.used()), (6, 6));
        let mut sink = Recorder::default();
        cache.flush_all(&budget, &mut sink).unwrap();
        assert_eq!(
            sink.writes,
            [(0, 0, b"abcd".to_vec()), (0, 4, b"ef".to_vec())]
        );
    }

    #[test]
    fn only_an_exact_run_of_entries_covers_a_range() {
        let budget = CacheBudget::new(1 << 20);
        let mut cache = WriteCache::default();
        let mut sink = Recorder::default();
        cache.write(&budget, &mut sink, 0, 2, b"cd").unwrap();
        cache.write(&budget, &mut sink, 0, 0, b"ab").unwrap();
        cache.write(&budget, &mut sink, 0, 6, b"gh").unwrap();
        assert!(cache.covers(0, 0, 4));
        assert!(cache.covers(0, 2, 4));
        assert!(!cache.covers(0, 0, 3), "an entry runs past the end");
        assert!(!cache.covers(0, 1, 4), "an entry starts before the start");
        assert!(!cache.covers(0, 0, 8), "a gap at 4..6");
        assert!(!cache.covers(1, 0, 2), "another file");
        let mut seen = Vec::new();
        cache.for_each_in(0, 0, 4, |data| seen.extend_from_slice(data));
        assert_eq!(seen, b"abcd");
    }

    #[test]
    fn a_flush_writes_every_block_in_file_order() {
        let budget = CacheBudget::new(1 << 20);
        let mut cache = WriteCache::default();
        let mut sink = Recorder::default();
        cache.write(&budget, &mut sink, 0, 4, b"cd").unwrap();
        cache.write(&budget, &mut sink, 0, 0, b"ab").unwrap();
        cache.write(&budget, &mut sink, 0, 2, b"xx").unwrap();
        cache.write(&budget, &mut sink, 1, 0, b"zz").unwrap();
        cache.write(&budget, &mut sink, 0, 9, b"q").unwrap();
        assert!(sink.writes.is_empty());
        assert_eq!((cache.bytes(), budget.used()), (9, 9));
        cache.flush_all(&budget, &mut sink).unwrap();
        assert_eq!(
            sink.writes,
            vec![
                (0, 0, b"ab".to_vec()),
                (0, 2, b"xx".to_vec()),
                (0, 4, b"cd".to_vec()),
                (0, 9, b"q".to_vec()),
                (1, 0, b"zz".to_vec())
            ]
        );
        assert_eq!((cache.bytes(), budget.used()), (0, 0));
    }

    #[test]
    fn the_same_range_again_replaces_and_a_partial_overlap_flushes_first() {
        let budget = CacheBudget::new(1 << 20);
        let mut cache = WriteCache::default();
        let mut sink = Recorder::default();
        cache.write(&budget, &mut sink, 0, 0, b"old!").unwrap();
        cache.write(&budget, &mut sink, 0, 0, b"new!").unwrap();
        assert!(sink.writes.is_empty());
        cache.write(&budget, &mut sink, 0, 2, b"XY").unwrap();
        assert_eq!(sink.writes, vec![(0, 0, b"new!".to_vec())]);
        cache.flush_range(&budget, &mut sink, 0, 3, 4).unwrap();
        assert_eq!(sink.writes[1], (0, 2, b"XY".to_vec()));
        assert_eq!(budget.used(), 0);
    }

    #[test]
    fn a_full_budget_flushes_then_writes_through() {
        let budget = CacheBudget::new(4);
        let mut cache = WriteCache::default();
        let mut sink = Recorder::default();
        cache.write(&budget, &mut sink, 0, 0, b"abc").unwrap();
        cache.write(&budget, &mut sink, 0, 3, b"de").unwrap();
        assert_eq!(sink.writes, vec![(0, 0, b"abc".to_vec())]);
        cache.write(&budget, &mut sink, 0, 5, b"too long").unwrap();
        assert_eq!(sink.writes.last().unwrap(), &(0, 5, b"too long".to_vec()));
        assert!(budget.used() <= 4);
    }

    #[test]
    fn a_failed_flush_names_the_file_and_forgets_the_blocks() {
        let budget = CacheBudget::new(100);
        let mut cache = WriteCache::default();
        let mut sink = Recorder {
            fail_file: Some(1),
            ..Recorder::default()
        };
        cache.write(&budget, &mut sink, 0, 0, b"ok").unwrap();
        cache.write(&budget, &mut sink, 1, 0, b"no").unwrap();
        let (file, error) = cache.flush_all(&budget, &mut sink).unwrap_err();
        assert_eq!(file, 1);
        assert_eq!(error.raw_os_error(), Some(libc::ENOSPC));
        assert_eq!(sink.writes, vec![(0, 0, b"ok".to_vec())]);
        assert_eq!((cache.bytes(), budget.used()), (0, 0));
    }
}
