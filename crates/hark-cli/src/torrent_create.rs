//! `hark torrent create [-t URL]... [-w URL]... [--piece-length N] [--private] -o OUT PATH`:
//! a BitTorrent v1 metainfo file for a file or a directory.
//!
//! A directory becomes a multi-file torrent named after it, its files listed with their
//! paths sorted component by component (bytewise), empty files kept. Pieces are hashed on
//! all cores. The written file is parsed back and listed as `hark torrent info` does.

use crate::piece_hasher::{StreamFile, hash_pieces};
use crate::progress::Progress;
use crate::torrent_info;
use hark_wire::bt::bencode::OwnedValue;
use hark_wire::bt::metainfo::check_component;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// Flags of `hark torrent create`.
#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    /// A tracker's announce URL; each `-t` is a tier of its own (BEP 12), and a
    /// comma-separated list given to one `-t` is one tier (as mktorrent's `-a`).
    #[arg(short = 't', long = "tracker", value_name = "URL")]
    trackers: Vec<String>,
    /// A web seed URL (BEP 19 `url-list`).
    #[arg(short = 'w', long = "web-seed", value_name = "URL")]
    web_seeds: Vec<String>,
    /// Bytes per piece, with an optional K or M suffix (KiB, MiB). By default the smallest
    /// power of two from 16 KiB to 16 MiB that keeps the torrent at 1024 pieces or fewer.
    #[arg(long, value_name = "N", value_parser = parse_size)]
    piece_length: Option<u32>,
    /// Marks the torrent private (BEP 27: peers from its trackers only).
    #[arg(long)]
    private: bool,
    /// A comment stored in the torrent.
    #[arg(short = 'c', long)]
    comment: Option<String>,
    /// Where to write the .torrent file.
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    output: PathBuf,
    /// The file or directory to share.
    path: PathBuf,
}

/// Smallest automatic piece length.
const MIN_AUTO_PIECE: u32 = 16 * 1024;
/// Largest automatic piece length.
const MAX_AUTO_PIECE: u32 = 16 * 1024 * 1024;
/// The automatic piece length aims at this many pieces or fewer.
const AUTO_PIECES: u64 = 1024;

/// Makes the torrent, writes it and returns its listing.
pub fn run(args: CreateArgs) -> Result<String, String> {
    let source = std::fs::canonicalize(&args.path)
        .map_err(|error| format!("cannot read {}: {error}", args.path.display()))?;
    let name = source
        .file_name()
        .and_then(|name| name.to_str())
        .ok_or_else(|| format!("{} has no UTF-8 file name", source.display()))?
        .to_string();
    check_component(&name).map_err(|problem| format!("the name {name:?} is refused: {problem}"))?;
    let metadata = std::fs::metadata(&source)
        .map_err(|error| format!("cannot read {}: {error}", source.display()))?;
    let files = if metadata.is_dir() {
        let mut files = Vec::new();
        walk(&source, &mut Vec::new(), &mut files)?;
        files.sort_by(|a, b| a.0.cmp(&b.0));
        files
    } else if metadata.is_file() {
        vec![(Vec::new(), source.clone(), metadata.len())]
    } else {
        return Err(format!("{} is not a file or a directory", source.display()));
    };
    let total: u64 = files.iter().map(|(_, _, length)| length).sum();
    if total == 0 {
        return Err(format!(
            "{} holds no bytes: a torrent needs at least one piece",
            source.display()
        ));
    }
    let piece_length = args
        .piece_length
        .unwrap_or_else(|| auto_piece_length(total));
    let stream: Vec<StreamFile> = files
        .iter()
        .map(|(_, path, length)| StreamFile {
            path: path.clone(),
            length: *length,
        })
        .collect();
    let progress = Progress::bar(total, std::io::stderr().is_terminal());
    let done = std::sync::atomic::AtomicU64::new(0);
    let pieces = hash_pieces(&stream, piece_length, &|bytes| {
        let now = done.fetch_add(bytes, std::sync::atomic::Ordering::Relaxed) + bytes;
        progress.set(now);
    })?;
    progress.finish();

    let mut info = OwnedValue::dict()
        .with("name", OwnedValue::string(&name))
        .with("piece length", OwnedValue::Integer(i64::from(piece_length)))
        .with("pieces", OwnedValue::Bytes(pieces.concat()));
    if metadata.is_dir() {
        let list = files
            .iter()
            .map(|(components, _, length)| {
                OwnedValue::dict().with("length", integer(*length)).with(
                    "path",
                    OwnedValue::List(components.iter().map(|c| OwnedValue::string(c)).collect()),
                )
            })
            .collect();
        info = info.with("files", OwnedValue::List(list));
    } else {
        info = info.with("length", integer(total));
    }
    if args.private {
        info = info.with("private", OwnedValue::Integer(1));
    }
    let torrent = wrap(info, &args)?;
    let bytes = torrent.to_vec();
    std::fs::write(&args.output, &bytes)
        .map_err(|error| format!("cannot write {}: {error}", args.output.display()))?;
    let listing = torrent_info::run(&args.output)?;
    Ok(format!(
        "wrote         {}\n{listing}",
        args.output.display()
    ))
}

/// The outer dictionary: trackers, web seeds, comment, creator and date around `info`.
fn wrap(info: OwnedValue, args: &CreateArgs) -> Result<OwnedValue, String> {
    let tiers: Vec<Vec<String>> = args
        .trackers
        .iter()
        .map(|tier| {
            tier.split(',')
                .map(str::trim)
                .filter(|url| !url.is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .filter(|tier| !tier.is_empty())
        .collect();
    let mut torrent = OwnedValue::dict()
        .with("info", info)
        .with(
            "created by",
            OwnedValue::string(concat!("hark ", env!("CARGO_PKG_VERSION"))),
        )
        .with("creation date", OwnedValue::Integer(unix_now()?));
    if let Some(first) = tiers.first().and_then(|tier| tier.first()) {
        torrent = torrent.with("announce", OwnedValue::string(first));
    }
    if tiers.iter().map(Vec::len).sum::<usize>() > 1 {
        let list = tiers
            .iter()
            .map(|tier| OwnedValue::List(tier.iter().map(|url| OwnedValue::string(url)).collect()))
            .collect();
        torrent = torrent.with("announce-list", OwnedValue::List(list));
    }
    if !args.web_seeds.is_empty() {
        let urls = args
            .web_seeds
            .iter()
            .map(|url| OwnedValue::string(url))
            .collect();
        torrent = torrent.with("url-list", OwnedValue::List(urls));
    }
    if let Some(comment) = &args.comment {
        torrent = torrent.with("comment", OwnedValue::string(comment));
    }
    Ok(torrent)
}

/// Lists the regular files below `dir` as (path components, path, length). Symbolic links
/// to files are followed; a link to a directory, or anything that is neither file nor
/// directory, is an error rather than something silently left out.
fn walk(
    dir: &Path,
    prefix: &mut Vec<String>,
    out: &mut Vec<(Vec<String>, PathBuf, u64)>,
) -> Result<(), String> {
    let entries = std::fs::read_dir(dir)
        .map_err(|error| format!("cannot list {}: {error}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|error| format!("cannot list {}: {error}", dir.display()))?;
        let path = entry.path();
        let component = entry
            .file_name()
            .into_string()
            .map_err(|_| format!("{} is not a UTF-8 name", path.display()))?;
        check_component(&component)
            .map_err(|problem| format!("{} is refused: {problem}", path.display()))?;
        let link = entry
            .file_type()
            .map_err(|error| format!("cannot read {}: {error}", path.display()))?
            .is_symlink();
        let metadata = std::fs::metadata(&path)
            .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
        prefix.push(component);
        if metadata.is_dir() && !link {
            walk(&path, prefix, out)?;
        } else if metadata.is_file() {
            out.push((prefix.clone(), path, metadata.len()));
        } else {
            return Err(format!(
                "{} is a link to a directory or not a regular file",
                path.display()
            ));
        }
        prefix.pop();
    }
    Ok(())
}

/// The smallest power of two in [16 KiB, 16 MiB] giving at most [`AUTO_PIECES`] pieces.
fn auto_piece_length(total: u64) -> u32 {
    let mut piece = MIN_AUTO_PIECE;
    while piece < MAX_AUTO_PIECE && total.div_ceil(u64::from(piece)) > AUTO_PIECES {
        piece *= 2;
    }
    piece
}

/// Parses `N`, `NK` or `NM` (KiB, MiB) into a piece length of at least 1 byte.
fn parse_size(text: &str) -> Result<u32, String> {
    let (digits, unit) = match text.char_indices().last() {
        Some((at, 'k' | 'K')) => (&text[..at], 1024),
        Some((at, 'm' | 'M')) => (&text[..at], 1024 * 1024),
        _ => (text, 1),
    };
    let value: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a size (N, NK or NM)"))?;
    let bytes = value
        .checked_mul(unit)
        .filter(|bytes| (1..=1 << 31).contains(bytes))
        .ok_or_else(|| format!("{text}: a piece length is 1 byte to 2 GiB"))?;
    u32::try_from(bytes).map_err(|_| format!("{text}: a piece length is 1 byte to 2 GiB"))
}

fn integer(value: u64) -> OwnedValue {
    // Files of more than 2^63 bytes do not exist.
    OwnedValue::Integer(i64::try_from(value).unwrap_or(i64::MAX))
}

fn unix_now() -> Result<i64, String> {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|_| "the clock is before 1970".to_string())?;
    Ok(i64::try_from(since.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn automatic_piece_lengths() {
        assert_eq!(auto_piece_length(1), 16 * 1024);
        assert_eq!(auto_piece_length(16 * 1024 * 1024), 16 * 1024);
        assert_eq!(auto_piece_length(16 * 1024 * 1024 + 1), 32 * 1024);
        assert_eq!(auto_piece_length(1 << 30), 1 << 20);
        assert_eq!(auto_piece_length(1 << 50), 16 * 1024 * 1024);
    }

    #[test]
    fn sizes_with_units() {
        assert_eq!(parse_size("40000"), Ok(40_000));
        assert_eq!(parse_size("48K"), Ok(48 * 1024));
        assert_eq!(parse_size("2m"), Ok(2 * 1024 * 1024));
        assert_eq!(parse_size("2048M"), Ok(1 << 31));
        assert!(parse_size("0").is_err());
        assert!(parse_size("4096M").is_err());
        assert!(parse_size("K").is_err());
        assert!(parse_size("-1").is_err());
    }
}
