//! Loading eMule-format filter files from disk.

use hark::ip_filter_file::{LoadIpFilterError, load_ip_filter};
use hark::ipfilter::ParseErrorKind;
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[test]
fn loads_a_filter_file() {
    let filter = load_ip_filter(fixture("loopback.ipfilter.dat")).expect("valid file");
    assert_eq!(filter.rules().len(), 3);
    assert!(filter.is_blocked("127.0.0.200".parse().expect("literal")));
    assert!(filter.is_blocked("::1".parse().expect("literal")));
}

#[test]
fn a_malformed_line_names_the_file_and_the_line() {
    let path = fixture("malformed.ipfilter.dat");
    let error = load_ip_filter(&path).expect_err("line 3 is malformed");
    match &error {
        LoadIpFilterError::Parse { path: at, source } => {
            assert_eq!(at, &path);
            assert_eq!(source.line, 3);
            assert_eq!(source.kind, ParseErrorKind::InvalidLevel);
        }
        other => panic!("expected a parse error, got {other}"),
    }
    assert!(error.to_string().ends_with(
        "ip filter line 3: the access level is not a decimal number from 0 to 4294967295"
    ));
}

#[test]
fn a_missing_file_is_an_io_error() {
    let error = load_ip_filter(fixture("absent.dat")).expect_err("no such file");
    assert!(matches!(
        error,
        LoadIpFilterError::Io { ref source, .. } if source.kind() == std::io::ErrorKind::NotFound
    ));
}
