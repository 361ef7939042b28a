//! Address classes: which addresses must never be published to the outside.

use std::net::IpAddr;

/// The class of a non-public address (`private (RFC 1918)`, `loopback`, …), or `None` for a public one.
///
/// Documentation ranges (RFC 5737, RFC 3849) count as public: the examples use them for public addresses.
pub fn non_public_kind(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            if v4.is_private() {
                Some("private (RFC 1918)")
            } else if v4.is_loopback() {
                Some("loopback")
            } else if v4.is_link_local() {
                Some("link-local")
            } else if o[0] == 100 && (o[1] & 0xc0) == 64 {
                Some("shared (RFC 6598)")
            } else if v4.is_unspecified() || v4.is_broadcast() || v4.is_multicast() {
                Some("unusable")
            } else {
                None
            }
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            if v6.is_loopback() {
                Some("loopback")
            } else if (s[0] & 0xfe00) == 0xfc00 {
                Some("unique local (RFC 4193)")
            } else if (s[0] & 0xffc0) == 0xfe80 {
                Some("link-local")
            } else if v6.is_unspecified() || v6.is_multicast() {
                Some("unusable")
            } else if let Some(v4) = v6.to_ipv4_mapped() {
                non_public_kind(IpAddr::V4(v4))
            } else {
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        for (a, want) in [
            ("10.1.2.3", true),
            ("172.31.0.1", true),
            ("192.168.1.1", true),
            ("127.0.0.1", true),
            ("100.64.0.1", true),
            ("fd00::1", true),
            ("fe80::1", true),
            ("::1", true),
            ("203.0.113.10", false),
            ("8.8.8.8", false),
            ("2001:db8::1", false),
        ] {
            assert_eq!(non_public_kind(a.parse().unwrap()).is_some(), want, "{a}");
        }
    }
}
