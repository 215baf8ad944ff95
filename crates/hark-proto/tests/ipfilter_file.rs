//! The eMule-format parser and lookup against fixture files written in that format.

use hark_proto::ipfilter::{IpFilter, ParseError, ParseErrorKind, RangeEnd};
use std::net::IpAddr;

const FIXTURE: &[u8] = include_bytes!("fixtures/ipfilter.dat");
const MALFORMED: &[u8] = include_bytes!("fixtures/ipfilter_malformed.dat");

fn addr(text: &str) -> IpAddr {
    text.parse().expect("address literal")
}

#[test]
fn fixture_parses_into_ipv4_and_ipv6_rules() {
    let filter = IpFilter::from_emule(FIXTURE).expect("fixture is valid");
    let rules = filter.rules();
    assert_eq!(rules.len(), 7);
    assert_eq!(rules[0].first, addr("10.0.0.0"));
    assert_eq!(rules[0].line, 6);
    assert_eq!(rules[1].description, "TEST-NET-1, documentation");
    assert_eq!(rules[5].first, addr("2001:db8::"));
    assert_eq!(rules[5].level, 1);
    assert_eq!(rules[6].line, 14);
}

#[test]
fn fixture_blocks_what_it_says() {
    let filter = IpFilter::from_emule(FIXTURE).expect("fixture is valid");
    let blocked = |text: &str| filter.blocking_rule(addr(text)).map(|rule| rule.line);
    assert_eq!(blocked("10.20.30.40"), Some(6));
    assert_eq!(blocked("192.0.2.77"), Some(7));
    assert_eq!(blocked("198.51.100.10"), None);
    assert_eq!(blocked("198.51.100.100"), Some(9));
    assert_eq!(blocked("127.0.0.2"), Some(10));
    assert_eq!(blocked("127.0.0.1"), None);
    assert_eq!(blocked("2001:db8::1"), Some(13));
    assert_eq!(blocked("2001:db8:1::1"), None);
    assert_eq!(blocked("fd12::1"), None);
    assert_eq!(
        filter.lookup(addr("fd12::1")).map(|rule| rule.level),
        Some(127)
    );
}

#[test]
fn malformed_line_is_reported_with_its_number() {
    let error = IpFilter::from_emule(MALFORMED).expect_err("line 4 is malformed");
    assert_eq!(
        error,
        ParseError {
            line: 4,
            kind: ParseErrorKind::InvalidAddress(RangeEnd::Last),
        }
    );
    assert_eq!(
        error.to_string(),
        "ip filter line 4: the last address is not a valid IPv4 or IPv6 address"
    );
}
