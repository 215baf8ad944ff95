//! Where the torrent's bytes live: pieces and blocks mapped onto file ranges.
//!
//! A torrent is one stream of bytes cut into pieces; its files are consecutive ranges of that
//! stream. A block can start in one file and end in the next (or span several small files),
//! so every disk job names file slices, never piece offsets.

use hark_wire::bt::metainfo::Info;

/// One contiguous range of one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileSlice {
    /// The file's index in the torrent's file list.
    pub file: usize,
    /// The byte offset within the file.
    pub offset: u64,
    /// The number of bytes.
    pub length: u32,
}

/// The files of a torrent as ranges of its byte stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Storage {
    /// (start in the torrent, length) of each file, in order.
    files: Vec<(u64, u64)>,
    piece_length: u32,
    total: u64,
}

impl Storage {
    /// The layout of `info`'s files.
    pub fn from_info(info: &Info) -> Self {
        Self::new(
            info.files.iter().map(|f| f.length).collect::<Vec<_>>(),
            info.piece_length,
        )
    }

    /// Files of these lengths, in order, in pieces of `piece_length`.
    pub fn new(lengths: impl IntoIterator<Item = u64>, piece_length: u32) -> Self {
        let mut start = 0u64;
        let files = lengths
            .into_iter()
            .map(|len| {
                let at = start;
                start = start.saturating_add(len);
                (at, len)
            })
            .collect();
        Self {
            files,
            piece_length,
            total: start,
        }
    }

    /// The number of files.
    pub fn file_count(&self) -> usize {
        self.files.len()
    }

    /// The length of file `file` (0 past the end).
    pub fn file_len(&self, file: usize) -> u64 {
        self.files.get(file).map_or(0, |f| f.1)
    }

    /// The torrent's length.
    pub fn total_length(&self) -> u64 {
        self.total
    }

    /// The file slices holding `length` bytes at `begin` within piece `index`, in order;
    /// empty when the range is empty or reaches past the torrent's end. Empty files hold no
    /// bytes and never appear.
    pub fn map_block(&self, index: u32, begin: u32, length: u32) -> Vec<FileSlice> {
        let start = u64::from(index) * u64::from(self.piece_length) + u64::from(begin);
        self.map_range(start, u64::from(length))
    }

    /// The file slices holding `length` bytes at torrent offset `start`; empty when the range
    /// is empty or reaches past the end.
    pub fn map_range(&self, start: u64, length: u64) -> Vec<FileSlice> {
        let mut out = Vec::new();
        let Some(end) = start.checked_add(length) else {
            return out;
        };
        if length == 0 || end > self.total {
            return out;
        }
        // First file whose range ends after `start`.
        let first = self.files.partition_point(|&(at, len)| at + len <= start);
        for (file, &(at, len)) in self.files.iter().enumerate().skip(first) {
            if at >= end {
                break;
            }
            if len == 0 {
                continue;
            }
            let from = start.max(at);
            let to = end.min(at + len);
            out.push(FileSlice {
                file,
                offset: from - at,
                length: (to - from) as u32,
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slice(file: usize, offset: u64, length: u32) -> FileSlice {
        FileSlice {
            file,
            offset,
            length,
        }
    }

    #[test]
    fn a_block_inside_one_file() {
        let s = Storage::new([100_000], 32_768);
        assert_eq!(
            s.map_block(1, 16_384, 16_384),
            vec![slice(0, 49_152, 16_384)]
        );
    }

    #[test]
    fn a_block_across_a_file_boundary() {
        // Files of 20 000 and 30 000 bytes; block 16 384..32 768 of piece 0 straddles them.
        let s = Storage::new([20_000, 30_000], 32_768);
        assert_eq!(
            s.map_block(0, 16_384, 16_384),
            vec![slice(0, 16_384, 3_616), slice(1, 0, 12_768)]
        );
    }

    #[test]
    fn a_block_spanning_small_and_empty_files() {
        let s = Storage::new([10, 0, 5, 0, 100], 16);
        assert_eq!(
            s.map_block(0, 8, 8),
            vec![slice(0, 8, 2), slice(2, 0, 5), slice(4, 0, 1)]
        );
    }

    #[test]
    fn a_block_ending_exactly_on_a_boundary_touches_one_file() {
        let s = Storage::new([16, 16], 16);
        assert_eq!(s.map_block(0, 0, 16), vec![slice(0, 0, 16)]);
        assert_eq!(s.map_block(1, 0, 16), vec![slice(1, 0, 16)]);
    }

    #[test]
    fn the_short_last_piece_and_out_of_range() {
        let s = Storage::new([40_000], 16_384);
        assert_eq!(s.map_block(2, 0, 7_232), vec![slice(0, 32_768, 7_232)]);
        assert!(s.map_block(2, 0, 7_233).is_empty());
        assert!(s.map_block(3, 0, 1).is_empty());
        assert!(s.map_block(0, 0, 0).is_empty());
        assert!(s.map_range(u64::MAX, 2).is_empty());
    }

    #[test]
    fn slices_cover_the_whole_torrent_exactly() {
        let lengths = [1, 0, 16_383, 16_385, 7, 0, 40_000];
        let s = Storage::new(lengths, 16_384);
        let mut covered = vec![0u64; lengths.len()];
        let total = s.total_length();
        let mut at = 0;
        while at < total {
            let len = (total - at).min(16_384);
            for sl in s.map_range(at, len) {
                assert_eq!(sl.offset, covered[sl.file]);
                covered[sl.file] += u64::from(sl.length);
            }
            at += len;
        }
        assert_eq!(covered, lengths.to_vec());
    }
}
