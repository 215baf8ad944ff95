//! `http://` URLs: split into what a request needs, and `Location` resolved against them.

use super::HttpError;

/// An `http://` URL split into host, port and request target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl {
    /// The host: a name, an IPv4 address, or an IPv6 address without brackets.
    pub host: String,
    /// The port (80 when absent).
    pub port: u16,
    /// The request target: the path and query, `/` at least; the fragment dropped.
    pub target: String,
}

impl HttpUrl {
    /// Parses `url`. Schemes other than `http` are [`HttpError::UnsupportedScheme`];
    /// anything else that is not `http://host[:port][/path][?query]` (user info, an empty
    /// host, a bad port, control characters or spaces) is [`HttpError::InvalidRequest`].
    pub fn parse(url: &str) -> Result<HttpUrl, HttpError> {
        let invalid = || HttpError::InvalidRequest(format!("bad URL `{url}`"));
        let (scheme, rest) = url.split_once("://").ok_or_else(invalid)?;
        if !scheme.eq_ignore_ascii_case("http") {
            if scheme.is_empty()
                || !scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
            {
                return Err(invalid());
            }
            return Err(HttpError::UnsupportedScheme(scheme.to_ascii_lowercase()));
        }
        if rest.bytes().any(|b| b <= b' ' || b == 0x7f) {
            return Err(invalid());
        }
        let rest = rest.split('#').next().unwrap_or_default();
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, target) = rest.split_at(end);
        if authority.contains('@') {
            return Err(invalid());
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (host, after) = v6.split_once(']').ok_or_else(invalid)?;
            host.parse::<std::net::Ipv6Addr>().map_err(|_| invalid())?;
            let port = match after {
                "" => None,
                _ => Some(after.strip_prefix(':').ok_or_else(invalid)?),
            };
            (host, port)
        } else {
            match authority.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            }
        };
        if host.is_empty() {
            return Err(invalid());
        }
        let port = match port {
            None | Some("") => 80,
            Some(port) => port
                .parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(invalid)?,
        };
        let target = if target.starts_with('/') {
            target.to_owned()
        } else {
            format!("/{target}")
        };
        Ok(HttpUrl {
            host: host.to_ascii_lowercase(),
            port,
            target,
        })
    }

    /// The `Host` header's value.
    pub fn host_header(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == 80 {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }

    /// The URL as a string.
    pub fn to_url(&self) -> String {
        format!("http://{}{}", self.host_header(), self.target)
    }

    /// Resolves a `Location` header against this URL (RFC 3986 §5.2, without dot-segment
    /// removal): absolute (`scheme://…`), network-path (`//host/…`), absolute-path (`/…`),
    /// query-only (`?…`) or relative to this URL's directory.
    pub fn join(&self, location: &str) -> String {
        let location = location.trim();
        if location.contains("://") {
            return location.to_owned();
        }
        if let Some(rest) = location.strip_prefix("//") {
            return format!("http://{rest}");
        }
        let base = format!("http://{}", self.host_header());
        if location.starts_with('/') {
            return format!("{base}{location}");
        }
        let path = self.target.split('?').next().unwrap_or("/");
        if location.starts_with('?') {
            return format!("{base}{path}{location}");
        }
        let dir = &path[..path.rfind('/').map_or(0, |i| i + 1)];
        format!("{base}{dir}{location}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split() {
        let url = HttpUrl::parse("http://Tracker.example:6969/announce?a=1#frag").expect("url");
        assert_eq!(url.host, "tracker.example");
        assert_eq!(url.port, 6969);
        assert_eq!(url.target, "/announce?a=1");
        assert_eq!(url.host_header(), "tracker.example:6969");
        let url = HttpUrl::parse("http://[::1]/x").expect("v6");
        assert_eq!((url.host.as_str(), url.port), ("::1", 80));
        assert_eq!(url.host_header(), "[::1]");
        assert_eq!(HttpUrl::parse("http://h?q").expect("query").target, "/?q");
        assert_eq!(
            HttpUrl::parse("https://h/"),
            Err(HttpError::UnsupportedScheme("https".into()))
        );
        for bad in [
            "h/x",
            "http://",
            "http://:80/",
            "http://h:0/",
            "http://h:99999/",
            "http://u@h/",
            "http://h/a b",
            "http://[::1/",
            "http://[zz]/",
            "://h",
        ] {
            assert!(
                matches!(HttpUrl::parse(bad), Err(HttpError::InvalidRequest(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn locations_resolve() {
        let base = HttpUrl::parse("http://h:8080/a/b/c?x").expect("url");
        assert_eq!(base.join("http://o/p"), "http://o/p");
        assert_eq!(base.join("//o:1/p"), "http://o:1/p");
        assert_eq!(base.join("/p?q"), "http://h:8080/p?q");
        assert_eq!(base.join("d"), "http://h:8080/a/b/d");
        assert_eq!(base.join("?y"), "http://h:8080/a/b/c?y");
    }
}
