//! DNS Cookies (RFC 7873) with the interoperable server cookie of RFC 9018: what to answer to a query's COOKIE
//! option, as a pure function of the option, the client's address, the time and the server secret.
//!
//! A server cookie is version 1, three reserved octets, a timestamp (seconds, serial arithmetic) and SipHash-2-4
//! over client cookie | version | reserved | timestamp | client address, keyed by a 128-bit secret (RFC 9018
//! §4). Servers that share the secret (an anycast group, RFC 9018 §6) accept each other's cookies.

use std::hash::Hasher;
use std::net::IpAddr;

use lyncdns_model::CookieSecret;
use siphasher::sip::SipHasher24;

/// The EDNS option code of COOKIE (RFC 7873 §4).
pub const OPTION: u16 = 10;

/// The server cookie version of RFC 9018 §4.1.
const VERSION: u8 = 1;

/// A cookie older than this is no longer accepted (RFC 9018 §4.3: one hour).
const MAX_AGE: i32 = 3600;
/// A cookie stamped further ahead than this is not accepted (RFC 9018 §4.3: five minutes of clock skew).
const MAX_AHEAD: i32 = 300;
/// A valid cookie younger than this is echoed as it came; an older one is replaced by a fresh one (RFC 9018
/// §4.3 recommends a new cookie once half an hour has passed).
const REFRESH_AGE: i32 = 1800;

/// A random secret from the operating system, drawn once for the whole process so that cookies survive a
/// reload; `None` if the system has no randomness to give.
pub fn process_secret() -> Option<CookieSecret> {
    static SECRET: std::sync::OnceLock<Option<[u8; 16]>> = std::sync::OnceLock::new();
    SECRET
        .get_or_init(|| {
            let mut s = [0u8; 16];
            getrandom::fill(&mut s).ok().map(|()| s)
        })
        .map(CookieSecret)
}

/// How the server treats cookies: the secret, and whether a UDP query with a client cookie but no valid server
/// cookie gets BADCOOKIE instead of an answer (RFC 7873 §5.2.3, §5.2.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cookies {
    /// The server secret.
    pub secret: CookieSecret,
    /// Answer BADCOOKIE to a cookie-aware UDP client without a valid server cookie.
    pub require: bool,
}

/// What a query's COOKIE option was (RFC 7873 §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// A client cookie alone (§5.2.3).
    ClientOnly,
    /// A client cookie and a server cookie that is not ours, or too old (§5.2.4).
    Invalid,
    /// A client cookie and a valid server cookie of ours (§5.2.5).
    Valid,
}

/// Whether a COOKIE option's length is one RFC 7873 §5.2.2 allows: a client cookie of 8 octets, alone or with a
/// server cookie of 8 to 32 octets. Anything else is FORMERR.
pub fn well_formed(len: usize) -> bool {
    len == 8 || (16..=40).contains(&len)
}

/// The server cookie (16 octets) for `client` at `ip`, stamped `timestamp`, with the `reserved` octets given.
fn server_cookie(
    secret: &CookieSecret,
    client: &[u8],
    reserved: [u8; 3],
    timestamp: u32,
    ip: IpAddr,
) -> [u8; 16] {
    let mut h = SipHasher24::new_with_key(&secret.0);
    h.write(client);
    h.write(&[VERSION]);
    h.write(&reserved);
    h.write(&timestamp.to_be_bytes());
    match ip {
        IpAddr::V4(a) => h.write(&a.octets()),
        IpAddr::V6(a) => h.write(&a.octets()),
    }
    let mut c = [0u8; 16];
    c[0] = VERSION;
    c[1..4].copy_from_slice(&reserved);
    c[4..8].copy_from_slice(&timestamp.to_be_bytes());
    c[8..].copy_from_slice(&h.finish().to_le_bytes());
    c
}

/// Checks the COOKIE option data `option` (well formed, see [`well_formed`]) of a query from `ip` at `now`
/// (seconds since the epoch, modulo 2³²) and returns what it was and the COOKIE option data to send back: the
/// client cookie with our server cookie, the one received if it is valid and fresh, else a new one.
pub fn answer(secret: &CookieSecret, option: &[u8], ip: IpAddr, now: u32) -> (Check, [u8; 24]) {
    let client = &option[..8];
    let mut reply = [0u8; 24];
    reply[..8].copy_from_slice(client);
    let check = match option.get(8..) {
        Some(s) if s.len() == 16 && s[0] == VERSION => {
            let reserved = [s[1], s[2], s[3]];
            let stamp = u32::from_be_bytes([s[4], s[5], s[6], s[7]]);
            // Serial arithmetic (RFC 1982), so that the window holds across the wrap of 2³².
            let age = now.wrapping_sub(stamp) as i32;
            let ours = server_cookie(secret, client, reserved, stamp, ip);
            if !(-MAX_AHEAD..=MAX_AGE).contains(&age) || !constant_time_eq(&ours[8..], &s[8..]) {
                Check::Invalid
            } else if age <= REFRESH_AGE {
                reply[8..].copy_from_slice(s);
                return (Check::Valid, reply);
            } else {
                Check::Valid
            }
        }
        Some([]) | None => Check::ClientOnly,
        Some(_) => Check::Invalid,
    };
    reply[8..].copy_from_slice(&server_cookie(secret, client, [0; 3], now, ip));
    (check, reply)
}

/// Compares two hashes without stopping at the first difference, so the time taken says nothing about how much
/// of a forged cookie was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn secret(s: &str) -> CookieSecret {
        CookieSecret::from_hex(s).unwrap()
    }

    const SECRET: &str = "e5e973e5a6b2a43f48e7dc849e37bfcf";

    #[test]
    fn rfc9018_appendix_a1_a_client_learns_a_server_cookie() {
        let (check, reply) = answer(
            &secret(SECRET),
            &hex("2464c4abcf10c957"),
            "198.51.100.100".parse().unwrap(),
            1559731985,
        );
        assert_eq!(check, Check::ClientOnly);
        assert_eq!(
            reply.to_vec(),
            hex("2464c4abcf10c957010000005cf79f111f8130c3eee29480")
        );
    }

    #[test]
    fn rfc9018_appendix_a2_the_same_client_gets_a_renewed_cookie_after_40_minutes() {
        let (check, reply) = answer(
            &secret(SECRET),
            &hex("2464c4abcf10c957010000005cf79f111f8130c3eee29480"),
            "198.51.100.100".parse().unwrap(),
            1559734385,
        );
        assert_eq!(check, Check::Valid);
        assert_eq!(
            reply.to_vec(),
            hex("2464c4abcf10c957010000005cf7a871d4a564a1442aca77")
        );
    }

    #[test]
    fn rfc9018_appendix_a3_reserved_octets_are_hashed_and_a_cookie_past_an_hour_is_replaced() {
        let s = secret(SECRET);
        let ip: IpAddr = "203.0.113.203".parse().unwrap();
        let query = hex("fc93fc62807ddb8601abcdef5cf78f71a314227b6679ebf5");
        // Stamped 1559727985 with reserved octets abcdef: ours while within the hour, and echoed as it came.
        let (check, reply) = answer(&s, &query, ip, 1559727985 + 60);
        assert_eq!((check, reply.to_vec()), (Check::Valid, query.clone()));
        // 1 h 52 min later it is too old: a fresh cookie, with the reserved octets zero.
        let (check, reply) = answer(&s, &query, ip, 1559734700);
        assert_eq!(check, Check::Invalid);
        assert_eq!(
            reply.to_vec(),
            hex("fc93fc62807ddb86010000005cf7a9acf73a7810aca2381e")
        );
    }

    #[test]
    fn rfc9018_appendix_a4_ipv6_and_a_rolled_over_secret() {
        let ip: IpAddr = "2001:db8:220:1:59de:d0f4:8769:82b8".parse().unwrap();
        let query = hex("22681ab97d52c298010000005cf7c57926556bd0934c72f8");
        // Made with the old secret: valid under it, not under the new one, which hands out a fresh cookie.
        let old = secret("dd3bdf9344b678b185a6f5cb60fca715");
        assert_eq!(answer(&old, &query, ip, 1559741961).0, Check::Valid);
        let (check, reply) = answer(
            &secret("445536bcd2513298075a5d379663c962"),
            &query,
            ip,
            1559741961,
        );
        assert_eq!(check, Check::Invalid);
        assert_eq!(
            reply.to_vec(),
            hex("22681ab97d52c298010000005cf7c609a6bb79d16625507a")
        );
    }

    #[test]
    fn rfc9018_4_3_the_window_is_one_hour_back_and_five_minutes_ahead_across_the_wrap() {
        let s = secret(SECRET);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let client = hex("0102030405060708");
        let at = |stamp: u32, now: u32| {
            let (_, made) = answer(&s, &client, ip, stamp);
            answer(&s, &made, ip, now)
        };
        let now = 1_000_000u32;
        assert_eq!(at(now, now).0, Check::Valid);
        assert_eq!(at(now - 1800, now).0, Check::Valid);
        assert_eq!(at(now - 3600, now).0, Check::Valid);
        assert_eq!(at(now - 3601, now).0, Check::Invalid);
        assert_eq!(at(now + 300, now).0, Check::Valid);
        assert_eq!(at(now + 301, now).0, Check::Invalid);
        assert_eq!(at(u32::MAX - 1000, 2000).0, Check::Valid);
        // A fresh cookie is echoed as it came; one older than half an hour is replaced with one stamped now.
        let (_, made) = answer(&s, &client, ip, now - 60);
        assert_eq!(answer(&s, &made, ip, now).1.to_vec(), made);
        let (_, made) = answer(&s, &client, ip, now - 1801);
        let (check, again) = answer(&s, &made, ip, now);
        assert_eq!(check, Check::Valid);
        assert_eq!(again[12..16], now.to_be_bytes());
    }

    #[test]
    fn rfc7873_5_2_4_another_address_or_client_cookie_or_format_is_invalid() {
        let s = secret(SECRET);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let (_, made) = answer(&s, &hex("0102030405060708"), ip, 5000);
        assert_eq!(
            answer(&s, &made, "192.0.2.2".parse().unwrap(), 5000).0,
            Check::Invalid
        );
        let mut other_client = made;
        other_client[0] ^= 1;
        assert_eq!(answer(&s, &other_client, ip, 5000).0, Check::Invalid);
        // A server cookie of another length or version (another implementation's) gets a fresh one of ours.
        assert_eq!(answer(&s, &made[..20], ip, 5000).0, Check::Invalid);
        let mut v2 = made;
        v2[8] = 2;
        assert_eq!(answer(&s, &v2, ip, 5000).0, Check::Invalid);
    }

    #[test]
    fn rfc7873_5_2_2_lengths() {
        for len in 0..48 {
            assert_eq!(
                well_formed(len),
                len == 8 || (16..=40).contains(&len),
                "{len}"
            );
        }
    }

    #[test]
    fn the_process_secret_is_drawn_once() {
        assert!(process_secret().is_some());
        assert_eq!(process_secret(), process_secret());
    }
}
