//! This host's own IPv4 addresses outside 127.0.0.0/8, for peers that refuse to dial
//! loopback addresses (transmission 3.00 drops tracker peers in 127.0.0.0/8 as "martian").
//! Linux delivers datagrams sent to any local address through the `lo` device, so a test
//! that uses one still never leaves the host.

use std::net::Ipv4Addr;

/// The first local IPv4 address of this host that is not in 127.0.0.0/8, 0.0.0.0/8 or
/// 224.0.0.0/3, read from the kernel's local routing table (`/proc/net/fib_trie`).
pub fn local_non_loopback_ipv4() -> Result<Ipv4Addr, String> {
    let table = std::fs::read_to_string("/proc/net/fib_trie")
        .map_err(|err| format!("cannot read /proc/net/fib_trie: {err}"))?;
    local_addresses(&table)
        .into_iter()
        .find(|ip| !(ip.is_loopback() || ip.octets()[0] == 0 || ip.octets()[0] >= 224))
        .ok_or_else(|| {
            "this host has no IPv4 address outside 127.0.0.0/8 (only loopback is up)".to_string()
        })
}

/// The addresses `fib_trie` marks `/32 host LOCAL`: each such line follows the `|-- ADDR`
/// line of its address.
fn local_addresses(table: &str) -> Vec<Ipv4Addr> {
    let mut found = Vec::new();
    let mut last: Option<Ipv4Addr> = None;
    for line in table.lines().map(str::trim) {
        if let Some(addr) = line.strip_prefix("|-- ") {
            last = addr.parse().ok();
        } else if line == "/32 host LOCAL" {
            if let Some(ip) = last.filter(|ip| !found.contains(ip)) {
                found.push(ip);
            }
        }
    }
    found
}
