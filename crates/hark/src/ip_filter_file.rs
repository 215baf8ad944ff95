//! Loading an eMule-format IP filter file from disk (the parser itself is sans-IO, in
//! `hark-proto`).

use hark_proto::ipfilter::{IpFilter, ParseError};
use std::io;
use std::path::{Path, PathBuf};

/// Why an IP filter file could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadIpFilterError {
    /// The file could not be read.
    #[error("cannot read IP filter file {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The read error.
        source: io::Error,
    },
    /// A line of the file is malformed.
    #[error("in {}: {source}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The malformed line and what is wrong with it.
        source: ParseError,
    },
}

/// Reads and parses an eMule-format (`ipfilter.dat`) file.
pub fn load_ip_filter(path: impl AsRef<Path>) -> Result<IpFilter, LoadIpFilterError> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|source| LoadIpFilterError::Io {
        path: path.to_owned(),
        source,
    })?;
    IpFilter::from_emule(&bytes).map_err(|source| LoadIpFilterError::Parse {
        path: path.to_owned(),
        source,
    })
}
