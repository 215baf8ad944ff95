//! Building announce and scrape URLs.

use super::Error;
use super::percent;
use crate::bt::metainfo::InfoHash;
use crate::bt::tracker::AnnounceEvent;
use std::net::{Ipv4Addr, Ipv6Addr};

/// An HTTP announce (BEP 3, compact per BEP 23, own addresses per BEP 7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnounceRequest {
    /// The torrent.
    pub info_hash: InfoHash,
    /// Our peer id.
    pub peer_id: [u8; 20],
    /// The port we accept peers on.
    pub port: u16,
    /// Bytes uploaded since `started`.
    pub uploaded: u64,
    /// Bytes downloaded since `started`.
    pub downloaded: u64,
    /// Bytes still missing.
    pub left: u64,
    /// Why we announce.
    pub event: AnnounceEvent,
    /// How many peers we want (`numwant`), or the tracker's default.
    pub numwant: Option<u32>,
    /// Our `key`: a random number that identifies us across address changes.
    pub key: Option<u32>,
    /// The `tracker id` an earlier reply gave, sent back as `trackerid`.
    pub tracker_id: Option<Vec<u8>>,
    /// Our IPv4 address, for a tracker reached over IPv6 (BEP 7 `ipv4`).
    pub ipv4: Option<Ipv4Addr>,
    /// Our IPv6 address, for a tracker reached over IPv4 (BEP 7 `ipv6`).
    pub ipv6: Option<Ipv6Addr>,
}

impl AnnounceRequest {
    /// A request with the counters at zero, `compact=1` and no optional parameter.
    #[must_use]
    pub fn new(info_hash: InfoHash, peer_id: [u8; 20], port: u16, left: u64) -> Self {
        AnnounceRequest {
            info_hash,
            peer_id,
            port,
            uploaded: 0,
            downloaded: 0,
            left,
            event: AnnounceEvent::None,
            numwant: None,
            key: None,
            tracker_id: None,
            ipv4: None,
            ipv6: None,
        }
    }

    /// The announce URL with the query appended (after `&` when `announce_url` already
    /// has a query).
    ///
    /// ```
    /// use hark_wire::bt::metainfo::InfoHash;
    /// use hark_wire::bt::tracker::AnnounceEvent;
    /// use hark_wire::bt::tracker::http::AnnounceRequest;
    ///
    /// let request = AnnounceRequest {
    ///     event: AnnounceEvent::Started,
    ///     numwant: Some(50),
    ///     ..AnnounceRequest::new(InfoHash([0xab; 20]), *b"-HK0001-abcdefghijkl", 6881, 1000)
    /// };
    /// let url = request.to_url("http://127.0.0.1:6969/announce")?;
    /// assert_eq!(
    ///     url,
    ///     "http://127.0.0.1:6969/announce?info_hash=%AB%AB%AB%AB%AB%AB%AB%AB%AB%AB%AB%AB%AB%AB%AB%AB%AB%AB%AB%AB\
    ///      &peer_id=-HK0001-abcdefghijkl&port=6881&uploaded=0&downloaded=0&left=1000&compact=1\
    ///      &event=started&numwant=50"
    /// );
    /// # Ok::<(), hark_wire::bt::tracker::http::Error>(())
    /// ```
    pub fn to_url(&self, announce_url: &str) -> Result<String, Error> {
        let mut out = vec![0; self.buffer_len(announce_url)?];
        self.emit(announce_url, &mut out)?;
        // Every byte written is ASCII or comes from `announce_url`, which is UTF-8.
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    /// Bytes [`AnnounceRequest::emit`] writes for `announce_url`.
    pub fn buffer_len(&self, announce_url: &str) -> Result<usize, Error> {
        check_http(announce_url)?;
        let mut len = 0;
        self.write(announce_url, &mut |part| len += part.len());
        Ok(len)
    }

    /// Writes the full URL into `buf` without allocating; returns its length.
    pub fn emit(&self, announce_url: &str, buf: &mut [u8]) -> Result<usize, Error> {
        let required = self.buffer_len(announce_url)?;
        if buf.len() < required {
            return Err(Error::BufferTooSmall { required });
        }
        let mut at = 0;
        self.write(announce_url, &mut |part| {
            buf[at..at + part.len()].copy_from_slice(part);
            at += part.len();
        });
        Ok(at)
    }

    fn write(&self, announce_url: &str, out: &mut impl FnMut(&[u8])) {
        out(announce_url.as_bytes());
        out(separator(announce_url));
        out(b"info_hash=");
        percent::encode(self.info_hash.as_bytes(), out);
        out(b"&peer_id=");
        percent::encode(&self.peer_id, out);
        number(out, b"&port=", u64::from(self.port));
        number(out, b"&uploaded=", self.uploaded);
        number(out, b"&downloaded=", self.downloaded);
        number(out, b"&left=", self.left);
        out(b"&compact=1");
        if let Some(event) = self.event.http_name() {
            out(b"&event=");
            out(event.as_bytes());
        }
        if let Some(numwant) = self.numwant {
            number(out, b"&numwant=", u64::from(numwant));
        }
        if let Some(key) = self.key {
            // Hex, as most clients send it: the tracker compares it as text.
            out(b"&key=");
            let mut hex = [0u8; 8];
            for (i, digit) in hex.iter_mut().enumerate() {
                *digit = b"0123456789ABCDEF"[((key >> (28 - 4 * i)) & 0xf) as usize];
            }
            out(&hex);
        }
        if let Some(tracker_id) = &self.tracker_id {
            out(b"&trackerid=");
            percent::encode(tracker_id, out);
        }
        if let Some(ipv4) = self.ipv4 {
            out(b"&ipv4=");
            out(ipv4.to_string().as_bytes());
        }
        if let Some(ipv6) = self.ipv6 {
            // Colons are reserved in a query value: encoded.
            out(b"&ipv6=");
            percent::encode(ipv6.to_string().as_bytes(), out);
        }
    }
}

fn check_http(url: &str) -> Result<(), Error> {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        Ok(())
    } else {
        Err(Error::NotHttp(url.to_owned()))
    }
}

fn separator(url: &str) -> &'static [u8] {
    if url.contains('?') { b"&" } else { b"?" }
}

fn number(out: &mut impl FnMut(&[u8]), name: &[u8], value: u64) {
    out(name);
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = value;
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    out(&digits[at..]);
}

/// The scrape URL of an announce URL by the trackers' convention (BEP 48): the last path
/// segment's leading `announce` becomes `scrape`; one `info_hash` parameter per torrent.
///
/// ```
/// use hark_wire::bt::metainfo::InfoHash;
/// use hark_wire::bt::tracker::http::{Error, scrape_url};
///
/// let hash = InfoHash([0x41; 20]);
/// assert_eq!(
///     scrape_url("http://t.example/x/announce.php?k=1", &[hash])?,
///     "http://t.example/x/scrape.php?k=1&info_hash=AAAAAAAAAAAAAAAAAAAA"
/// );
/// assert!(matches!(scrape_url("http://t.example/a", &[hash]), Err(Error::NoScrape(_))));
/// # Ok::<(), Error>(())
/// ```
pub fn scrape_url(announce_url: &str, info_hashes: &[InfoHash]) -> Result<String, Error> {
    check_http(announce_url)?;
    let (base, query) = match announce_url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (announce_url, None),
    };
    let slash = base.rfind('/').unwrap_or(0);
    // The slash must be past `http(s)://host`.
    let scheme_end = base.find("://").map_or(0, |at| at + 3);
    if slash < scheme_end {
        return Err(Error::NoScrape(announce_url.to_owned()));
    }
    let last = &base[slash + 1..];
    let Some(rest) = last.strip_prefix("announce") else {
        return Err(Error::NoScrape(announce_url.to_owned()));
    };
    let mut url = format!("{}/scrape{rest}", &base[..slash]);
    let mut first = true;
    if let Some(query) = query {
        url.push('?');
        url.push_str(query);
        first = false;
    }
    for hash in info_hashes {
        url.push_str(if first { "?" } else { "&" });
        first = false;
        url.push_str("info_hash=");
        percent::encode(hash.as_bytes(), &mut |part| {
            url.push_str(std::str::from_utf8(part).unwrap_or_default());
        });
    }
    Ok(url)
}
