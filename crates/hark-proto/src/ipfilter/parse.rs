//! The eMule `ipfilter.dat` text format: `first - last , level , description`.
//!
//! One rule per line. Blank lines and lines whose first non-blank character is `#` are
//! comments. IPv4 octets may carry leading zeros (`001.002.003.004`, as eMule writes them)
//! and are always decimal; IPv6 addresses use the standard text form. The description is
//! everything after the second comma (it may itself contain commas) and is optional; bytes
//! that are not UTF-8 are replaced, as old lists are often Latin-1. A UTF-8 byte order mark
//! and `\r\n` line endings are accepted.

use super::rule::Rule;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Which end of a range an address error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeEnd {
    /// The address before the `-`.
    First,
    /// The address after the `-`.
    Last,
}

impl std::fmt::Display for RangeEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RangeEnd::First => "first",
            RangeEnd::Last => "last",
        })
    }
}

/// What is wrong with a rule line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The line has no `,` separating the range from the access level.
    #[error("no ',' between the address range and the access level")]
    MissingLevel,
    /// The range has no `-` separating its two addresses.
    #[error("no '-' between the first and the last address")]
    MissingRangeSeparator,
    /// One address is not a valid IPv4 or IPv6 address.
    #[error("the {0} address is not a valid IPv4 or IPv6 address")]
    InvalidAddress(RangeEnd),
    /// One address is IPv4 and the other IPv6.
    #[error("the first and the last address are of different families")]
    MixedFamilies,
    /// The first address is above the last one.
    #[error("the first address is above the last one")]
    ReversedRange,
    /// The access level is not a decimal number that fits in 32 bits.
    #[error("the access level is not a decimal number from 0 to 4294967295")]
    InvalidLevel,
}

/// A malformed rule line, with its 1-based line number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("ip filter line {line}: {kind}")]
pub struct ParseError {
    /// 1-based line number in the input.
    pub line: usize,
    /// What is wrong with the line.
    pub kind: ParseErrorKind,
}

/// Parses a whole rule file, failing on the first malformed line.
pub fn parse_rules(input: &[u8]) -> Result<Vec<Rule>, ParseError> {
    rules(input).collect()
}

/// Iterates over the rules of a file, one `Result` per non-comment line, so a caller can
/// choose to skip malformed lines instead of failing.
#[must_use]
pub fn rules(input: &[u8]) -> Rules<'_> {
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    Rules {
        lines: input.split(is_newline as fn(&u8) -> bool),
        line: 0,
    }
}

/// Iterator over the rules of an eMule-format file; see [`rules`].
#[derive(Debug, Clone)]
pub struct Rules<'a> {
    lines: std::slice::Split<'a, u8, fn(&u8) -> bool>,
    line: usize,
}

impl Iterator for Rules<'_> {
    type Item = Result<Rule, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        for raw in self.lines.by_ref() {
            self.line += 1;
            if let Some(result) = parse_line(raw, self.line) {
                return Some(result);
            }
        }
        None
    }
}

fn is_newline(byte: &u8) -> bool {
    *byte == b'\n'
}

/// Parses one line; `None` for blank and comment lines.
pub fn parse_line(raw: &[u8], line: usize) -> Option<Result<Rule, ParseError>> {
    let text = raw.trim_ascii();
    if text.is_empty() || text.starts_with(b"#") {
        return None;
    }
    Some(parse_rule(text, line).map_err(|kind| ParseError { line, kind }))
}

fn parse_rule(text: &[u8], line: usize) -> Result<Rule, ParseErrorKind> {
    let (range, rest) = split_once(text, b',').ok_or(ParseErrorKind::MissingLevel)?;
    let (level, description) = split_once(rest, b',').unwrap_or((rest, b""));
    let (first, last) = split_once(range, b'-').ok_or(ParseErrorKind::MissingRangeSeparator)?;
    let first = parse_address(first).ok_or(ParseErrorKind::InvalidAddress(RangeEnd::First))?;
    let last = parse_address(last).ok_or(ParseErrorKind::InvalidAddress(RangeEnd::Last))?;
    match (first, last) {
        (IpAddr::V4(_), IpAddr::V6(_)) | (IpAddr::V6(_), IpAddr::V4(_)) => {
            return Err(ParseErrorKind::MixedFamilies);
        }
        _ if first > last => return Err(ParseErrorKind::ReversedRange),
        _ => {}
    }
    Ok(Rule {
        first,
        last,
        level: parse_level(level).ok_or(ParseErrorKind::InvalidLevel)?,
        description: String::from_utf8_lossy(description.trim_ascii()).into_owned(),
        line,
    })
}

fn split_once(text: &[u8], separator: u8) -> Option<(&[u8], &[u8])> {
    let at = text.iter().position(|&b| b == separator)?;
    Some((text.get(..at)?, text.get(at + 1..)?))
}

fn parse_address(text: &[u8]) -> Option<IpAddr> {
    let text = std::str::from_utf8(text.trim_ascii()).ok()?;
    if text.contains(':') {
        text.parse::<Ipv6Addr>().ok().map(IpAddr::V6)
    } else {
        parse_ipv4_decimal(text).map(IpAddr::V4)
    }
}

/// Dotted quad whose octets are 1 to 3 decimal digits, leading zeros allowed (std's parser
/// rejects them, but eMule lists are full of them).
fn parse_ipv4_decimal(text: &str) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut fields = text.split('.');
    for octet in &mut octets {
        let field = fields.next()?;
        if field.is_empty() || field.len() > 3 || !field.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *octet = field.parse().ok()?;
    }
    if fields.next().is_some() {
        return None;
    }
    Some(Ipv4Addr::from(octets))
}

fn parse_level(text: &[u8]) -> Option<u32> {
    let text = text.trim_ascii();
    if text.is_empty() || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(text).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(a: u8, b: u8, c: u8, d: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(a, b, c, d))
    }

    #[test]
    fn parses_an_emule_line_with_leading_zeros() {
        let rules = parse_rules(b"001.002.003.000 - 001.002.003.255 , 000 , Some ISP, Inc.\n")
            .expect("valid line");
        assert_eq!(
            rules,
            vec![Rule {
                first: v4(1, 2, 3, 0),
                last: v4(1, 2, 3, 255),
                level: 0,
                description: "Some ISP, Inc.".into(),
                line: 1,
            }]
        );
        assert!(rules[0].blocks());
    }

    #[test]
    fn skips_comments_blank_lines_bom_and_crlf() {
        let input =
            b"\xEF\xBB\xBF# header\r\n\r\n   # indented comment\r\n10.0.0.0-10.0.0.9,200\r\n";
        let rules = parse_rules(input).expect("valid file");
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].line, 4);
        assert_eq!(rules[0].level, 200);
        assert_eq!(rules[0].description, "");
        assert!(!rules[0].blocks());
    }

    #[test]
    fn parses_ipv6_ranges() {
        let rules = parse_rules(b"2001:db8:: - 2001:db8::ffff , 10 , doc range").expect("valid");
        assert_eq!(
            rules[0].first,
            "2001:db8::".parse::<IpAddr>().expect("literal")
        );
        assert_eq!(
            rules[0].last,
            "2001:db8::ffff".parse::<IpAddr>().expect("literal")
        );
    }

    #[test]
    fn reports_each_error_with_its_line() {
        let cases: [(&[u8], ParseErrorKind); 7] = [
            (b"1.2.3.4 - 1.2.3.5", ParseErrorKind::MissingLevel),
            (
                b"1.2.3.4 1.2.3.5 , 0",
                ParseErrorKind::MissingRangeSeparator,
            ),
            (
                b"1.2.3.256 - 1.2.3.5 , 0",
                ParseErrorKind::InvalidAddress(RangeEnd::First),
            ),
            (
                b"1.2.3.4 - 1.2.3 , 0",
                ParseErrorKind::InvalidAddress(RangeEnd::Last),
            ),
            (b"1.2.3.4 - ::1 , 0", ParseErrorKind::MixedFamilies),
            (b"1.2.3.5 - 1.2.3.4 , 0", ParseErrorKind::ReversedRange),
            (b"1.2.3.4 - 1.2.3.5 , -1", ParseErrorKind::InvalidLevel),
        ];
        for (line, kind) in cases {
            let mut input = b"# comment\n0.0.0.0 - 0.0.0.1 , 0 , ok\n".to_vec();
            input.extend_from_slice(line);
            assert_eq!(parse_rules(&input), Err(ParseError { line: 3, kind }));
        }
    }

    #[test]
    fn lenient_iteration_keeps_going_after_a_bad_line() {
        let input = b"garbage\n1.1.1.1 - 1.1.1.1 , 1 , one\n";
        let results: Vec<_> = rules(input).collect();
        assert_eq!(results.len(), 2);
        assert!(results[0].is_err());
        assert_eq!(results[1].as_ref().map(|r| r.line), Ok(2));
    }
}
