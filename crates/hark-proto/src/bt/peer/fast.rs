//! The canonical allowed-fast set of BEP 6.
//!
//! The pieces a peer may request from us while we choke it are derived from its address and
//! the info hash, so that every peer of a torrent offers a given peer the same pieces
//! ("if two peers offer k pieces fast it will be the same k"), and a host with several
//! addresses in one /24 gets one set only:
//!
//! 1. `x` = the address masked to its first three octets (`ip & 0xFFFFFF00`, four bytes,
//!    big-endian), followed by the 20-byte info hash;
//! 2. repeatedly `x = SHA1(x)`; each of the digest's five big-endian 32-bit words, modulo
//!    the piece count, is added to the set unless already there, until it has `k` pieces.
//!
//! BEP 6 has no provision for IPv6. An IPv4-mapped IPv6 address is taken as its IPv4
//! address; any other IPv6 address is masked to its /48 (the unit one site is usually
//! given) and its 16 bytes take the place of the four. Only the host that computes a set
//! depends on this choice: the receiver just honours the pieces it is sent.

use std::net::IpAddr;

use sha1::{Digest, Sha1};

/// The BEP 6 allowed-fast set of `k` pieces (fewer if the torrent has fewer) for the peer
/// at `ip`, in the order the algorithm finds them. Empty for a torrent of no pieces.
///
/// ```
/// use std::net::{IpAddr, Ipv4Addr};
/// use hark_proto::bt::peer::allowed_fast_set;
///
/// // BEP 6's published example.
/// let ip = IpAddr::V4(Ipv4Addr::new(80, 4, 4, 200));
/// let set = allowed_fast_set(ip, &[0xaa; 20], 1313, 7);
/// assert_eq!(set, [1059, 431, 808, 1217, 287, 376, 1188]);
/// ```
pub fn allowed_fast_set(ip: IpAddr, info_hash: &[u8; 20], piece_count: u32, k: usize) -> Vec<u32> {
    let k = k.min(piece_count as usize);
    let mut out = Vec::with_capacity(k);
    if k == 0 {
        return out;
    }
    let mut x: Vec<u8> = match ip.to_canonical() {
        IpAddr::V4(v4) => (u32::from(v4) & 0xFFFF_FF00).to_be_bytes().to_vec(),
        IpAddr::V6(v6) => {
            let mut octets = v6.octets();
            octets[6..].fill(0);
            octets.to_vec()
        }
    };
    x.extend_from_slice(info_hash);
    // Each round adds at least one new piece while fewer than `piece_count` are in, except
    // when all five words hit pieces already chosen; SHA-1's output makes that rare, and
    // the loop ends because `k <= piece_count`.
    while out.len() < k {
        let digest: [u8; 20] = Sha1::digest(&x).into();
        for word in digest.chunks_exact(4) {
            if out.len() == k {
                break;
            }
            let y = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
            let index = y % piece_count;
            if !out.contains(&index) {
                out.push(index);
            }
        }
        x = digest.to_vec();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    const EXAMPLE_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(80, 4, 4, 200));

    /// BEP 6's "Example results": 7 and 9 pieces of a 1313-piece torrent with info hash
    /// aa…aa, for the node at 80.4.4.200.
    #[test]
    fn bep6_published_vectors() {
        assert_eq!(
            allowed_fast_set(EXAMPLE_IP, &[0xaa; 20], 1313, 7),
            [1059, 431, 808, 1217, 287, 376, 1188]
        );
        assert_eq!(
            allowed_fast_set(EXAMPLE_IP, &[0xaa; 20], 1313, 9),
            [1059, 431, 808, 1217, 287, 376, 1188, 353, 508]
        );
    }

    #[test]
    fn one_set_per_slash_24_and_k_plus_one_extends_k() {
        let other_host = IpAddr::V4(Ipv4Addr::new(80, 4, 4, 1));
        let other_net = IpAddr::V4(Ipv4Addr::new(80, 4, 5, 200));
        let hash = [0x5c; 20];
        let set = allowed_fast_set(EXAMPLE_IP, &hash, 500, 10);
        assert_eq!(allowed_fast_set(other_host, &hash, 500, 10), set);
        assert_ne!(allowed_fast_set(other_net, &hash, 500, 10), set);
        assert_eq!(allowed_fast_set(EXAMPLE_IP, &hash, 500, 11)[..10], set);
        let mapped = IpAddr::V6(Ipv4Addr::new(80, 4, 4, 200).to_ipv6_mapped());
        assert_eq!(allowed_fast_set(mapped, &hash, 500, 10), set);
    }

    #[test]
    fn small_torrents_and_ipv6() {
        let hash = [1; 20];
        // k beyond the piece count: every piece once, and the loop ends.
        let mut all = allowed_fast_set(EXAMPLE_IP, &hash, 3, 10);
        all.sort();
        assert_eq!(all, [0, 1, 2]);
        assert!(allowed_fast_set(EXAMPLE_IP, &hash, 0, 10).is_empty());
        assert!(allowed_fast_set(EXAMPLE_IP, &hash, 10, 0).is_empty());
        let a = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 3, 4, 5, 6));
        let same_48 = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 1, 9, 9, 9, 9, 9));
        let other_48 = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 2, 2, 3, 4, 5, 6));
        let set = allowed_fast_set(a, &hash, 1000, 10);
        assert_eq!(set.len(), 10);
        assert_eq!(allowed_fast_set(same_48, &hash, 1000, 10), set);
        assert_ne!(allowed_fast_set(other_48, &hash, 1000, 10), set);
    }
}
