//! The torrent engine's events as hub events: one Net::BitTorrent kind per variant.

use std::path::{Path, PathBuf};

use super::attributes::FileOperation;
use super::kinds::{
    EventKind, FileClose, FileError, FileOpen, FileRead, FileWrite, InvalidRequest, PeerBan,
    PeerError, PeerIdReceived, PieceHashFailed, PieceHashPassed, TorrentFinished, TorrentPaused,
    UrlSeed,
};
use hark_proto::bt::peer::PeerError as SessionError;
use hark_proto::bt::torrent::{DiskOperation, Event};
use hark_wire::bt::metainfo::InfoHash;

/// The hub event for an event of `torrent`'s [`Torrent`](hark_proto::bt::torrent::Torrent),
/// whose files are `paths` (by index): `FileOpen` is `file_open`, `FileError` `file_error`
/// (fatal), `PieceHashFailed` `piece_hash_failed` (with `index` and `peers`), `PeerBan`
/// `peer_ban`, `PeerClosed` with the peer's fault `peer_error`, `UrlSeed` `url_seed`,
/// `Paused` `torrent_paused`, `Finished` `torrent_finished`, and so on. A session we closed
/// ourselves is not an error: `None`.
///
/// ```
/// use hark::events::{EventKind, torrent_event_kind};
/// use hark_proto::bt::torrent::Event;
/// use hark_wire::bt::metainfo::InfoHash;
/// use std::path::PathBuf;
///
/// let bad = "10.0.0.9:6881".parse().unwrap();
/// let event = Event::PieceHashFailed { index: 7, peers: vec![bad] };
/// let kind = torrent_event_kind(InfoHash([1; 20]), &[PathBuf::from("a.bin")], event).unwrap();
/// assert_eq!(kind.name(), "piece_hash_failed");
/// assert!(matches!(kind, EventKind::PieceHashFailed(f) if f.index == 7 && f.peers == [bad]));
/// ```
#[must_use]
pub fn torrent_event_kind(torrent: InfoHash, paths: &[PathBuf], event: Event) -> Option<EventKind> {
    let path = |file: usize| {
        paths
            .get(file)
            .cloned()
            .unwrap_or_else(|| Path::new("").to_path_buf())
    };
    Some(match event {
        Event::PeerId { addr, peer_id, .. } => PeerIdReceived {
            peer: addr,
            peer_id,
        }
        .into(),
        Event::PeerClosed {
            addr,
            peer_id,
            error,
            ..
        } => {
            if error == SessionError::Closed {
                return None;
            }
            PeerError {
                peer_id,
                ip: addr.ip(),
                port: addr.port(),
                reason: error.to_string(),
            }
            .into()
        }
        Event::InvalidRequest { addr, request, .. } => InvalidRequest {
            torrent,
            ip: addr.ip(),
            port: addr.port(),
            index: request.index,
            begin: request.begin,
            length: request.length,
        }
        .into(),
        Event::FileOpen { file } => FileOpen {
            torrent,
            file: path(file),
            writable: true,
        }
        .into(),
        Event::FileClose { file } => FileClose {
            torrent,
            file: path(file),
        }
        .into(),
        Event::FileWrite {
            file,
            offset,
            length,
        } => FileWrite {
            torrent,
            file: path(file),
            offset,
            length: length as usize,
        }
        .into(),
        Event::FileRead {
            file,
            offset,
            length,
        } => FileRead {
            torrent,
            file: path(file),
            offset,
            length: length as usize,
        }
        .into(),
        Event::FileError { error, operation } => FileError {
            torrent,
            file: error.file.map(path).unwrap_or_default(),
            operation: match operation {
                DiskOperation::Open => FileOperation::Open,
                DiskOperation::Write => FileOperation::Write,
                DiskOperation::Allocate => FileOperation::Allocate,
                DiskOperation::Close => FileOperation::Close,
                _ => FileOperation::Read,
            },
            error: error.kind,
        }
        .into(),
        Event::PieceHashPassed { index, peers } => PieceHashPassed {
            torrent,
            index,
            peers,
        }
        .into(),
        Event::PieceHashFailed { index, peers } => PieceHashFailed {
            torrent,
            index,
            peers,
        }
        .into(),
        Event::PeerBan { addr } => PeerBan {
            torrent,
            ip: addr.ip(),
        }
        .into(),
        Event::UrlSeed {
            url,
            status_code,
            error,
        } => UrlSeed {
            torrent,
            url,
            status_code,
            reason: error,
        }
        .into(),
        Event::Paused => TorrentPaused { torrent }.into(),
        Event::Finished => TorrentFinished { torrent }.into(),
        _ => return None,
    })
}
