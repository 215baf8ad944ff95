//! A whole .torrent file: the info dictionary plus trackers, web seeds and comments.

use super::fields::{expect_dict, get, integer, list, optional_text, required, text};
use super::{Error, Info};
use crate::bt::bencode::{self, Limits, Value};

/// A parsed .torrent file (BEP 3, with BEP 12 tracker tiers, BEP 19 web seeds and BEP 27
/// private torrents).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metainfo {
    /// The info dictionary, with the info hash.
    pub info: Info,
    /// The `announce` URL, if any.
    pub announce: Option<String>,
    /// The `announce-list` tiers (BEP 12), in file order, empty tiers left out.
    pub announce_list: Vec<Vec<String>>,
    /// Web seed URLs (BEP 19 `url-list`, a string or a list of strings).
    pub url_list: Vec<String>,
    /// The `comment`.
    pub comment: Option<String>,
    /// The `created by` program.
    pub created_by: Option<String>,
    /// The `creation date`, seconds since the Unix epoch.
    pub creation_date: Option<i64>,
}

impl Metainfo {
    /// Parses a .torrent file with the default bencode [`Limits`].
    ///
    /// ```
    /// use hark_wire::bt::bencode::OwnedValue;
    /// use hark_wire::bt::metainfo::Metainfo;
    ///
    /// let info = OwnedValue::dict()
    ///     .with("length", OwnedValue::Integer(20_000))
    ///     .with("name", OwnedValue::string("a.bin"))
    ///     .with("piece length", OwnedValue::Integer(16_384))
    ///     .with("pieces", OwnedValue::Bytes(vec![7; 40]));
    /// let torrent = OwnedValue::dict()
    ///     .with("announce", OwnedValue::string("http://127.0.0.1:6969/announce"))
    ///     .with("info", info)
    ///     .to_vec();
    /// let meta = Metainfo::parse(&torrent)?;
    /// assert_eq!(meta.info.name, "a.bin");
    /// assert_eq!(meta.info.piece_count(), 2);
    /// assert_eq!(meta.info.piece_len(1), Some(20_000 - 16_384));
    /// assert_eq!(meta.tracker_tiers(), [["http://127.0.0.1:6969/announce"]]);
    /// # Ok::<(), hark_wire::bt::metainfo::Error>(())
    /// ```
    pub fn parse(bytes: &[u8]) -> Result<Metainfo, Error> {
        Metainfo::parse_with(bytes, &Limits::DEFAULT)
    }

    /// [`Metainfo::parse`] with the given limits.
    pub fn parse_with(bytes: &[u8], limits: &Limits) -> Result<Metainfo, Error> {
        let root = bencode::decode_with(bytes, limits)?;
        Metainfo::from_value(&root)
    }

    /// Reads a decoded .torrent dictionary.
    pub fn from_value(root: &Value<'_>) -> Result<Metainfo, Error> {
        expect_dict(root, "torrent")?;
        let info = Info::from_value(required(root, "info")?)?;
        let announce = optional_text(root, "announce")?;
        let announce_list = match get(root, "announce-list") {
            None => Vec::new(),
            Some(tiers) => {
                let mut out = Vec::new();
                for tier in list(tiers, "announce-list")? {
                    let urls = list(tier, "announce-list")?
                        .iter()
                        .map(|url| text(url, "announce-list"))
                        .collect::<Result<Vec<_>, _>>()?;
                    if !urls.is_empty() {
                        out.push(urls);
                    }
                }
                out
            }
        };
        let url_list = match get(root, "url-list") {
            None => Vec::new(),
            Some(value) if value.as_bytes().is_some() => {
                let url = text(value, "url-list")?;
                if url.is_empty() {
                    Vec::new()
                } else {
                    vec![url]
                }
            }
            Some(value) => list(value, "url-list")?
                .iter()
                .map(|url| text(url, "url-list"))
                .collect::<Result<Vec<_>, _>>()?,
        };
        let creation_date = get(root, "creation date")
            .map(|value| integer(value, "creation date"))
            .transpose()?;
        Ok(Metainfo {
            info,
            announce,
            announce_list,
            url_list,
            comment: optional_text(root, "comment")?,
            created_by: optional_text(root, "created by")?,
            creation_date,
        })
    }

    /// The trackers by tier, as BEP 12 says to use them: `announce-list` when it has any
    /// tier, else `announce` alone as the one tier, else none.
    #[must_use]
    pub fn tracker_tiers(&self) -> Vec<Vec<String>> {
        if !self.announce_list.is_empty() {
            return self.announce_list.clone();
        }
        self.announce
            .iter()
            .filter(|url| !url.is_empty())
            .map(|url| vec![url.clone()])
            .collect()
    }
}
