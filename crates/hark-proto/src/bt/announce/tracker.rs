//! One tracker of a tier: its URL, kind, failure count, and what it told us to keep.

use std::time::Instant;

/// How a tracker is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Kind {
    Http,
    Udp { host_port: String },
}

#[derive(Debug, Clone)]
pub(super) struct Tracker {
    pub url: String,
    pub kind: Kind,
    /// Failures in a row.
    pub times_in_row: u32,
    /// The `tracker id` from its last reply, sent back.
    pub tracker_id: Option<Vec<u8>>,
    /// A UDP connection id and when it was received.
    pub connection: Option<(u64, Instant)>,
    /// It took an announce since `started` (so `stopped` goes to it).
    pub announced: bool,
}

impl Tracker {
    /// A tracker for `url`, if hark can reach its scheme (`http`, `https`, `udp`).
    pub fn new(url: &str) -> Option<Tracker> {
        let lower = url.to_ascii_lowercase();
        let kind = if lower.starts_with("http://") || lower.starts_with("https://") {
            Kind::Http
        } else if lower.starts_with("udp://") {
            // The authority ends at the first `/` (BEP 41 puts a path after it). ASCII
            // lower-casing keeps byte offsets, so the prefix length applies to `url`.
            let authority = &url["udp://".len()..];
            let end = authority.find('/').unwrap_or(authority.len());
            let host_port = &authority[..end];
            let has_port = host_port
                .rsplit_once(':')
                .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
            if !has_port {
                return None;
            }
            Kind::Udp {
                host_port: host_port.to_owned(),
            }
        } else {
            return None;
        };
        Some(Tracker {
            url: url.to_owned(),
            kind,
            times_in_row: 0,
            tracker_id: None,
            connection: None,
            announced: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_and_udp_authorities() {
        assert_eq!(
            Tracker::new("http://t/announce").map(|t| t.kind),
            Some(Kind::Http)
        );
        assert_eq!(
            Tracker::new("HTTPS://t/announce").map(|t| t.kind),
            Some(Kind::Http)
        );
        assert_eq!(
            Tracker::new("udp://tracker.example:6969/announce").map(|t| t.kind),
            Some(Kind::Udp {
                host_port: "tracker.example:6969".into()
            })
        );
        assert_eq!(
            Tracker::new("udp://[::1]:80").map(|t| t.kind),
            Some(Kind::Udp {
                host_port: "[::1]:80".into()
            })
        );
        for refused in [
            "udp://host",
            "udp://:80",
            "udp://h:99999",
            "wss://t",
            "dht://x",
            "",
        ] {
            assert!(Tracker::new(refused).is_none(), "{refused}");
        }
    }
}
