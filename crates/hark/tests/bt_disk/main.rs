//! hark::bittorrent::disk on real files: a multi-file round trip, a full disk in a tmpfs
//! (jobs, and a real `Torrent` that pauses and later resumes), a permission refused, a
//! file removed under an open torrent, fast resume and re-check.

mod backpressure;
mod errors;
mod resume;
mod roundtrip;
mod support;
mod torrent_disk_full;
