//! IP filters in eMule's `ipfilter.dat` format, sans-IO: a rule-file parser and a range
//! lookup. The facade consults an [`IpFilter`] before accepting or opening a connection.
//!
//! ```
//! use hark_proto::ipfilter::IpFilter;
//! let filter = IpFilter::from_emule(b"# bogons\n010.000.000.000 - 010.255.255.255 , 000 , private\n")?;
//! assert!(filter.is_blocked("10.1.2.3".parse()?));
//! assert!(!filter.is_blocked("11.0.0.1".parse()?));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! See [`parse`] for the format and [`table`] for how overlapping rules are resolved.

pub mod parse;
mod rule;
pub mod table;

pub use parse::{ParseError, ParseErrorKind, RangeEnd, Rules, parse_line, parse_rules, rules};
pub use rule::{BLOCK_BELOW_LEVEL, Rule};
pub use table::IpFilter;
