//! View selection by client address: first match in the deployment's view order, in O(address bits) whatever
//! the number of views and prefixes.
//!
//! One binary trie per address family. Each node that ends a configured prefix remembers the lowest view index
//! that lists it; a lookup walks the address's bits from the root and keeps the lowest index seen. That is
//! exactly "the first view, in order, with a prefix that contains the address" — BIND's `match-clients`
//! semantics — without scanning the prefix lists. The same matcher chooses `AccessLocation` for Autodiscover.

use std::net::IpAddr;

use ipnet::IpNet;

const NONE: u32 = u32::MAX;

/// A binary trie over address bits.
#[derive(Debug, Clone, Default)]
struct Trie {
    /// `[child for bit 0, child for bit 1, lowest view index ending here]`; node 0 is the root.
    nodes: Vec<[u32; 3]>,
}

impl Trie {
    fn new() -> Self {
        Trie {
            nodes: vec![[0, 0, NONE]],
        }
    }

    fn insert(&mut self, bits: u128, len: u8, width: u8, view: u32) {
        let mut node = 0usize;
        for i in 0..len {
            let bit = ((bits >> (width - 1 - i)) & 1) as usize;
            let next = self.nodes[node][bit];
            node = if next == 0 {
                self.nodes.push([0, 0, NONE]);
                let id = self.nodes.len() - 1;
                self.nodes[node][bit] = id as u32;
                id
            } else {
                next as usize
            };
        }
        let best = &mut self.nodes[node][2];
        *best = (*best).min(view);
    }

    fn lookup(&self, bits: u128, width: u8) -> u32 {
        let mut node = 0usize;
        let mut best = self.nodes[0][2];
        for i in 0..width {
            let bit = ((bits >> (width - 1 - i)) & 1) as usize;
            let next = self.nodes[node][bit];
            if next == 0 {
                break;
            }
            node = next as usize;
            best = best.min(self.nodes[node][2]);
        }
        best
    }
}

/// Chooses a view (by its index in the deployment's order) for a client address.
#[derive(Debug, Clone)]
pub struct ViewMatcher {
    v4: Trie,
    v6: Trie,
}

impl ViewMatcher {
    /// A matcher for views given in order, each with its client prefixes.
    pub fn new<'a>(views: impl IntoIterator<Item = &'a [IpNet]>) -> Self {
        let mut m = ViewMatcher {
            v4: Trie::new(),
            v6: Trie::new(),
        };
        for (i, prefixes) in views.into_iter().enumerate() {
            for p in prefixes {
                match p {
                    IpNet::V4(n) => {
                        m.v4.insert(u32::from(n.network()) as u128, n.prefix_len(), 32, i as u32)
                    }
                    IpNet::V6(n) => {
                        m.v6.insert(u128::from(n.network()), n.prefix_len(), 128, i as u32)
                    }
                }
            }
        }
        m
    }

    /// The index of the first view whose prefixes hold `addr`, or `None`. An IPv4-mapped IPv6 address
    /// (`::ffff:192.0.2.1`, as dual-stack sockets report IPv4 clients) is matched as the IPv4 address.
    pub fn select(&self, addr: IpAddr) -> Option<usize> {
        let found = match addr {
            IpAddr::V4(a) => self.v4.lookup(u32::from(a) as u128, 32),
            IpAddr::V6(a) => match a.to_ipv4_mapped() {
                Some(v4) => self.v4.lookup(u32::from(v4) as u128, 32),
                None => self.v6.lookup(u128::from(a), 128),
            },
        };
        (found != NONE).then_some(found as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn first_match_in_order_wins() {
        let views = [
            nets(&["10.0.0.0/8", "::1/128"]),
            nets(&["10.1.0.0/16"]),
            nets(&["0.0.0.0/0", "::/0"]),
        ];
        let m = ViewMatcher::new(views.iter().map(|v| v.as_slice()));
        assert_eq!(
            m.select("10.1.2.3".parse().unwrap()),
            Some(0),
            "the /8 of view 0 beats the more specific /16 of view 1"
        );
        assert_eq!(m.select("192.0.2.1".parse().unwrap()), Some(2));
        assert_eq!(m.select("::1".parse().unwrap()), Some(0));
        assert_eq!(m.select("::2".parse().unwrap()), Some(2));
        assert_eq!(m.select("::ffff:10.9.9.9".parse().unwrap()), Some(0));
    }

    #[test]
    fn no_match_is_none() {
        let views = [nets(&["127.0.0.1/32"])];
        let m = ViewMatcher::new(views.iter().map(|v| v.as_slice()));
        assert_eq!(m.select("127.0.0.1".parse().unwrap()), Some(0));
        assert_eq!(m.select("127.0.0.2".parse().unwrap()), None);
        assert_eq!(m.select("::1".parse().unwrap()), None);
    }

    /// The trie agrees with a plain first-match scan on random prefixes and addresses.
    #[test]
    fn agrees_with_a_scan() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let views: Vec<Vec<IpNet>> = (0..20)
            .map(|_| {
                (0..10)
                    .map(|_| {
                        let addr = std::net::Ipv4Addr::from((next() as u32) & 0x0f0f_ffff);
                        IpNet::V4(
                            ipnet::Ipv4Net::new(addr, (next() % 25) as u8)
                                .unwrap()
                                .trunc(),
                        )
                    })
                    .collect()
            })
            .collect();
        let m = ViewMatcher::new(views.iter().map(|v| v.as_slice()));
        for _ in 0..5000 {
            let a = IpAddr::V4(std::net::Ipv4Addr::from((next() as u32) & 0x0f0f_ffff));
            let scan = views.iter().position(|v| v.iter().any(|n| n.contains(&a)));
            assert_eq!(m.select(a), scan, "{a}");
        }
    }
}
