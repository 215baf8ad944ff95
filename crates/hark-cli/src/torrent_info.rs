//! `hark torrent info FILE`.

use hark_wire::bt::metainfo::{MetaVersion, Metainfo};
use std::fmt::Write;
use std::path::Path;

/// Reads a .torrent file and lists its name, files, pieces, info hash, trackers, web
/// seeds and private flag.
pub fn run(file: &Path) -> Result<String, String> {
    let bytes =
        std::fs::read(file).map_err(|error| format!("cannot read {}: {error}", file.display()))?;
    let meta = Metainfo::parse(&bytes).map_err(|error| format!("{}: {error}", file.display()))?;
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = render(&mut out, &meta);
    Ok(out)
}

fn render(out: &mut String, meta: &Metainfo) -> std::fmt::Result {
    let info = &meta.info;
    writeln!(out, "name          {}", info.name)?;
    writeln!(out, "info hash     {}", info.info_hash)?;
    let version = match info.meta_version {
        MetaVersion::V1 => "v1",
        MetaVersion::Hybrid => "hybrid (v1 part read)",
    };
    writeln!(out, "version       {version}")?;
    writeln!(
        out,
        "private       {}",
        if info.private { "yes" } else { "no" }
    )?;
    writeln!(out, "piece length  {}", info.piece_length)?;
    writeln!(out, "pieces        {}", info.piece_count())?;
    writeln!(out, "total size    {} bytes", info.total_length())?;
    if let Some(comment) = &meta.comment {
        writeln!(out, "comment       {comment}")?;
    }
    if let Some(created_by) = &meta.created_by {
        writeln!(out, "created by    {created_by}")?;
    }
    writeln!(out, "files         {}", info.files.len())?;
    let width = info
        .files
        .iter()
        .map(|file| file.length.to_string().len())
        .max()
        .unwrap_or(1);
    for file in &info.files {
        let padding = if file.padding { "  (padding)" } else { "" };
        writeln!(
            out,
            "  {:>width$}  {}{padding}",
            file.length,
            info.file_path(file).display()
        )?;
    }
    let tiers = meta.tracker_tiers();
    writeln!(
        out,
        "trackers      {}",
        tiers.iter().map(Vec::len).sum::<usize>()
    )?;
    for (index, tier) in tiers.iter().enumerate() {
        for url in tier {
            writeln!(out, "  tier {}  {url}", index + 1)?;
        }
    }
    writeln!(out, "web seeds     {}", meta.url_list.len())?;
    for url in &meta.url_list {
        writeln!(out, "  {url}")?;
    }
    Ok(())
}
