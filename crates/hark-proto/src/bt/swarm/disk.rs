//! A torrent's files in memory: runs the engine's [`DiskJob`]s at once.

use sha1::{Digest, Sha1};

use crate::bt::torrent::{Completion, DiskError, DiskJob, FileSlice};

/// In-memory files for one torrent. A *corrupt* disk flips the first byte of every block it
/// reads for a peer (it serves bad data; its own hash checks read true bytes). A disk with
/// a *space* limit fails a write that would take it past that many bytes written with
/// [`std::io::ErrorKind::StorageFull`] (a full volume).
#[derive(Debug, Clone)]
pub struct MemoryDisk {
    files: Vec<Vec<u8>>,
    corrupt: bool,
    space: Option<u64>,
    written: u64,
}

impl MemoryDisk {
    /// Files of these lengths, empty until allocated (a leecher's).
    pub fn empty(file_count: usize) -> Self {
        Self {
            files: vec![Vec::new(); file_count],
            corrupt: false,
            space: None,
            written: 0,
        }
    }

    /// Files holding `content`, cut at `lengths` (a seeder's).
    pub fn holding(content: &[u8], lengths: &[u64]) -> Self {
        let mut files = Vec::with_capacity(lengths.len());
        let mut at = 0usize;
        for &len in lengths {
            let end = (at + len as usize).min(content.len());
            files.push(content[at..end].to_vec());
            at = end;
        }
        Self {
            files,
            corrupt: false,
            space: None,
            written: 0,
        }
    }

    /// Makes every block read for a peer corrupt.
    pub fn set_corrupt(&mut self, corrupt: bool) {
        self.corrupt = corrupt;
    }

    /// Lets writes succeed only while the bytes written stay within `space` (`None`: no
    /// limit).
    pub fn set_space(&mut self, space: Option<u64>) {
        self.space = space;
    }

    /// The files, concatenated.
    pub fn content(&self) -> Vec<u8> {
        self.files.concat()
    }

    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    fn read(&self, slices: &[FileSlice]) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        for s in slices {
            let off = usize::try_from(s.offset).ok()?;
            let file = self.files.get(s.file)?;
            out.extend_from_slice(file.get(off..off + s.length as usize)?);
        }
        Some(out)
    }

    /// Runs `job`; the completion to hand back to the torrent. A slice outside a file (a
    /// job the files cannot hold) fails the job.
    pub fn run(&mut self, job: DiskJob) -> Completion {
        let id = job.id();
        let out_of_range = |file: Option<usize>| {
            Completion::Failed(
                id,
                DiskError::from_io(
                    file,
                    &std::io::Error::from(std::io::ErrorKind::UnexpectedEof),
                ),
            )
        };
        match job {
            DiskJob::Open { .. } | DiskJob::Close { .. } => Completion::Done(id),
            DiskJob::Allocate { file, length, .. } => match self.files.get_mut(file) {
                Some(f) => {
                    f.resize(length as usize, 0);
                    Completion::Done(id)
                }
                None => out_of_range(Some(file)),
            },
            DiskJob::Write { slices, data, .. } => {
                if self
                    .space
                    .is_some_and(|space| self.written + data.len() as u64 > space)
                {
                    return Completion::Failed(
                        id,
                        DiskError::from_io(
                            slices.first().map(|s| s.file),
                            &std::io::Error::from(std::io::ErrorKind::StorageFull),
                        ),
                    );
                }
                let mut at = 0usize;
                for s in &slices {
                    let len = s.length as usize;
                    let off = s.offset as usize;
                    let Some(dst) = self
                        .files
                        .get_mut(s.file)
                        .and_then(|f| f.get_mut(off..off + len))
                    else {
                        return out_of_range(Some(s.file));
                    };
                    let Some(src) = data.get(at..at + len) else {
                        return out_of_range(Some(s.file));
                    };
                    dst.copy_from_slice(src);
                    at += len;
                }
                self.written += data.len() as u64;
                Completion::Done(id)
            }
            DiskJob::Read { slices, .. } => match self.read(&slices) {
                Some(mut data) => {
                    if self.corrupt
                        && let Some(first) = data.first_mut()
                    {
                        *first ^= 0xff;
                    }
                    Completion::Read(id, data)
                }
                None => out_of_range(slices.first().map(|s| s.file)),
            },
            DiskJob::HashPiece { slices, .. } => match self.read(&slices) {
                Some(data) => Completion::Hashed(id, Sha1::digest(data).into()),
                None => out_of_range(slices.first().map(|s| s.file)),
            },
            DiskJob::HashBlocks { blocks, .. } => {
                let mut hashes = Vec::with_capacity(blocks.len());
                for b in &blocks {
                    match self.read(b) {
                        Some(data) => hashes.push(Sha1::digest(data).into()),
                        None => return out_of_range(b.first().map(|s| s.file)),
                    }
                }
                Completion::BlockHashes(id, hashes)
            }
        }
    }
}
