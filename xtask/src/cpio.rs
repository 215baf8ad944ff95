//! A writer for the `newc` cpio format the Linux kernel unpacks as an initramfs.

/// Builds an uncompressed newc archive in memory.
#[derive(Default)]
pub struct Cpio {
    bytes: Vec<u8>,
    inode: u32,
}

const DIR: u32 = 0o040_755;
const FILE_EXEC: u32 = 0o100_755;
const FILE: u32 = 0o100_644;
const SYMLINK: u32 = 0o120_777;

impl Cpio {
    /// A directory entry.
    pub fn dir(&mut self, path: &str) {
        self.entry(path, DIR, &[]);
    }

    /// A regular file; `executable` sets mode 0755, else 0644.
    pub fn file(&mut self, path: &str, data: &[u8], executable: bool) {
        self.entry(path, if executable { FILE_EXEC } else { FILE }, data);
    }

    /// A symbolic link at `path` pointing to `target`.
    pub fn symlink(&mut self, path: &str, target: &str) {
        self.entry(path, SYMLINK, target.as_bytes());
    }

    /// Appends the trailer and returns the archive.
    pub fn finish(mut self) -> Vec<u8> {
        self.entry("TRAILER!!!", 0, &[]);
        self.bytes
    }

    fn entry(&mut self, path: &str, mode: u32, data: &[u8]) {
        self.inode += 1;
        let name_len = path.len() + 1;
        let fields = [
            self.inode,
            mode,
            0, // uid
            0, // gid
            1, // nlink
            0, // mtime
            data.len() as u32,
            0, // dev major
            0, // dev minor
            0, // rdev major
            0, // rdev minor
            name_len as u32,
            0, // checksum
        ];
        self.bytes.extend_from_slice(b"070701");
        for field in fields {
            self.bytes
                .extend_from_slice(format!("{field:08x}").as_bytes());
        }
        self.bytes.extend_from_slice(path.as_bytes());
        self.bytes.push(0);
        self.pad();
        self.bytes.extend_from_slice(data);
        self.pad();
    }

    fn pad(&mut self) {
        while self.bytes.len() % 4 != 0 {
            self.bytes.push(0);
        }
    }
}
