//! eMule-format IP filter: the parser must never panic, and the flattened table must agree
//! with the documented definition (lowest level, then earliest rule) on probe addresses.
#![no_main]

use hark_proto::ipfilter::{IpFilter, Rule, rules};
use libfuzzer_sys::fuzz_target;
use std::net::IpAddr;

fn naive(rules: &[Rule], addr: IpAddr) -> Option<&Rule> {
    rules
        .iter()
        .enumerate()
        .filter(|(_, rule)| rule.contains(addr))
        .min_by_key(|(index, rule)| (rule.level, *index))
        .map(|(_, rule)| rule)
}

fuzz_target!(|data: &[u8]| {
    let parsed: Vec<Rule> = rules(data).filter_map(Result::ok).collect();
    let filter = IpFilter::new(parsed.clone());
    let mut probes: Vec<IpAddr> = Vec::new();
    for rule in &parsed {
        probes.extend([rule.first, rule.last]);
        if let (IpAddr::V4(first), IpAddr::V4(last)) = (rule.first, rule.last) {
            let (first, last) = (u32::from(first), u32::from(last));
            probes.extend(first.checked_sub(1).map(|a| IpAddr::V4(a.into())));
            probes.extend(last.checked_add(1).map(|a| IpAddr::V4(a.into())));
        }
        if let (IpAddr::V6(first), IpAddr::V6(last)) = (rule.first, rule.last) {
            let (first, last) = (u128::from(first), u128::from(last));
            probes.extend(first.checked_sub(1).map(|a| IpAddr::V6(a.into())));
            probes.extend(last.checked_add(1).map(|a| IpAddr::V6(a.into())));
        }
    }
    for probe in probes {
        assert_eq!(filter.lookup(probe), naive(&parsed, probe), "probe {probe}");
    }
});
