//! Lab authentication: Argon2id password hashes (the password is never stored or logged) and expiring bearer
//! tokens (`cwt=…`, as the OAuth token endpoint of [S14] issues them).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;

/// The source keys cited in this module's docs (`[S1]` …), as links to their entries.
#[cfg(doc)]
#[allow(unused_imports)]
use lyncdns_lync::sources::*;

/// Argon2id with small parameters (4 MiB, 1 pass): lab accounts, checked often by tests.
fn hasher() -> argon2::Argon2<'static> {
    let params = argon2::Params::new(4096, 1, 1, None).expect("valid Argon2 parameters");
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
}

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
#[error("cannot hash the password: {0}")]
pub struct HashError(String);

/// The PHC string of `password` with a fresh random salt.
pub fn hash_password(password: &str) -> Result<String, HashError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| HashError(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| HashError(e.to_string()))?;
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// True if `password` matches the PHC string `hash` (the parameters come from the string).
pub fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Checks a password for a user who may not exist: an unknown user costs one verification of a stand-in hash
/// made with the lab's parameters, so the answer's timing does not tell which user names exist.
pub fn verify_or_stand_in(password: &str, hash: Option<&str>) -> bool {
    static STAND_IN: OnceLock<Option<String>> = OnceLock::new();
    match hash {
        Some(h) => verify_password(password, h),
        None => {
            if let Some(h) = STAND_IN.get_or_init(|| hash_password("no such user").ok()) {
                let _ = verify_password(password, h);
            }
            false
        }
    }
}

/// Limits on failed password grants, per user and per client network, over a sliding window: past the limit a
/// request is refused with `429 Too Many Requests` before any password is checked, until the window has passed.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Failures one user name may have in a window.
    pub per_user: u32,
    /// Failures one client network (/24 or /56) may have in a window.
    pub per_source: u32,
    /// The window.
    pub window: Duration,
    /// Failure log lines per window, at most (the rest are counted and said in the next line).
    pub log_lines: u32,
}

impl Default for Limits {
    /// 10 failures per user and 100 per network in 5 minutes (a person mistyping stays far below; a guesser is
    /// held to 2 guesses a minute per account); 20 log lines per 5 minutes.
    fn default() -> Self {
        Limits {
            per_user: 10,
            per_source: 100,
            window: Duration::from_secs(300),
            log_lines: 20,
        }
    }
}

/// One counter: failures since `start`.
#[derive(Debug, Clone, Copy)]
struct Window {
    start: SystemTime,
    count: u32,
}

/// Failed grants per user and per client network, and the failure log's own budget. Bounded: at most
/// [`Guard::MAX_KEYS`] keys per map; when full, windows that have passed are dropped, else the new key is
/// counted under a shared overflow key (so an attacker cycling names cannot grow memory).
#[derive(Debug)]
pub struct Guard {
    limits: Limits,
    by_user: Mutex<HashMap<String, Window>>,
    by_source: Mutex<HashMap<IpAddr, Window>>,
    log: Mutex<(Window, u64)>,
}

/// Why a grant is refused before the password is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled {
    /// When to try again (the `Retry-After` header).
    pub retry_after: Duration,
}

impl Guard {
    /// Keys each map holds at most.
    pub const MAX_KEYS: usize = 65_536;

    /// A guard with these limits.
    pub fn new(limits: Limits) -> Guard {
        Guard {
            limits,
            by_user: Mutex::new(HashMap::new()),
            by_source: Mutex::new(HashMap::new()),
            log: Mutex::new((
                Window {
                    start: SystemTime::UNIX_EPOCH,
                    count: 0,
                },
                0,
            )),
        }
    }

    /// The network a client is counted in: its /24 (IPv4) or /56 (IPv6), as response rate limiting counts.
    fn network(ip: IpAddr) -> IpAddr {
        match ip {
            IpAddr::V4(a) => IpAddr::V4(std::net::Ipv4Addr::from(u32::from(a) & 0xffff_ff00)),
            IpAddr::V6(a) => IpAddr::V6(std::net::Ipv6Addr::from(
                u128::from(a) & !((1u128 << 72) - 1),
            )),
        }
    }

    /// Refused (with when to retry) if `user` or `source`'s network is over its limit at `now`.
    pub fn check(&self, user: &str, source: IpAddr, now: SystemTime) -> Result<(), Throttled> {
        let w = self.limits.window;
        let over = |win: Option<&Window>, limit: u32| {
            win.filter(|x| x.count >= limit)
                .and_then(|x| (x.start + w).duration_since(now).ok())
        };
        let by_user = self.by_user.lock().unwrap_or_else(|p| p.into_inner());
        let by_source = self.by_source.lock().unwrap_or_else(|p| p.into_inner());
        let wait = over(by_user.get(user), self.limits.per_user)
            .into_iter()
            .chain(over(
                by_source.get(&Self::network(source)),
                self.limits.per_source,
            ))
            .max();
        match wait {
            Some(d) => Err(Throttled {
                retry_after: d.max(Duration::from_secs(1)),
            }),
            None => Ok(()),
        }
    }

    /// Counts a failed grant for `user` from `source` at `now`.
    pub fn failed(&self, user: &str, source: IpAddr, now: SystemTime) {
        let w = self.limits.window;
        fn bump<K: std::hash::Hash + Eq>(
            map: &mut HashMap<K, Window>,
            key: K,
            overflow: K,
            now: SystemTime,
            w: Duration,
        ) {
            if map.len() >= Guard::MAX_KEYS && !map.contains_key(&key) {
                map.retain(|_, x| x.start + w > now);
            }
            let key = if map.len() >= Guard::MAX_KEYS && !map.contains_key(&key) {
                overflow
            } else {
                key
            };
            let e = map.entry(key).or_insert(Window {
                start: now,
                count: 0,
            });
            if e.start + w <= now {
                *e = Window {
                    start: now,
                    count: 0,
                };
            }
            e.count = e.count.saturating_add(1);
        }
        let mut by_user = self.by_user.lock().unwrap_or_else(|p| p.into_inner());
        bump(&mut by_user, user.to_owned(), String::new(), now, w);
        drop(by_user);
        let mut by_source = self.by_source.lock().unwrap_or_else(|p| p.into_inner());
        bump(
            &mut by_source,
            Self::network(source),
            IpAddr::from([0u8; 4]),
            now,
            w,
        );
    }

    /// Whether a failure may be logged at `now`; `Some(n)` with the number of lines suppressed since the last one.
    pub fn may_log(&self, now: SystemTime) -> Option<u64> {
        let mut log = self.log.lock().unwrap_or_else(|p| p.into_inner());
        let (win, suppressed) = &mut *log;
        if win.start + self.limits.window <= now {
            *win = Window {
                start: now,
                count: 0,
            };
        }
        if win.count < self.limits.log_lines {
            win.count += 1;
            Some(std::mem::take(suppressed))
        } else {
            *suppressed += 1;
            None
        }
    }
}

/// A user name as a log may show it: printable ASCII only (no line breaks, no terminal escapes), at most 64
/// characters; anything else is replaced by `?`.
pub fn loggable(name: &str) -> String {
    let mut out: String = name
        .chars()
        .take(64)
        .map(|c| if c.is_ascii_graphic() { c } else { '?' })
        .collect();
    if name.chars().count() > 64 {
        out.push('…');
    }
    out
}

/// Issued tokens: token → (user's SIP address, expiry).
pub struct Tokens {
    issued: Mutex<HashMap<String, (String, SystemTime)>>,
    lifetime: Duration,
}

impl Tokens {
    /// An empty store whose tokens live `lifetime`.
    pub fn new(lifetime: Duration) -> Self {
        Tokens {
            issued: Mutex::new(HashMap::new()),
            lifetime,
        }
    }

    /// Issues a token for `user` at `now`; returns it and its lifetime.
    pub fn issue(&self, user: &str, now: SystemTime) -> Option<(String, Duration)> {
        self.issue_prefixed("cwt=", user, now)
    }

    /// Issues a token `<prefix><random>` for `user` at `now` (the WebTicket service's assertion IDs are
    /// `SamlSecurityToken-…`, an XML name); returns it and its lifetime.
    pub fn issue_prefixed(
        &self,
        prefix: &str,
        user: &str,
        now: SystemTime,
    ) -> Option<(String, Duration)> {
        let mut raw = [0u8; 32];
        getrandom::fill(&mut raw).ok()?;
        let token = format!(
            "{prefix}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
        );
        let mut map = self.issued.lock().unwrap_or_else(|p| p.into_inner());
        // Forget expired tokens as new ones are issued, so the map stays bounded by the active ones.
        map.retain(|_, (_, expiry)| *expiry > now);
        map.insert(token.clone(), (user.to_owned(), now + self.lifetime));
        Some((token, self.lifetime))
    }

    /// The user a valid token belongs to.
    pub fn user(&self, token: &str, now: SystemTime) -> Option<String> {
        let map = self.issued.lock().unwrap_or_else(|p| p.into_inner());
        map.get(token)
            .filter(|(_, expiry)| *expiry > now)
            .map(|(u, _)| u.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let h = hash_password("Lab-Passw0rd!").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("Lab-Passw0rd!", &h));
        assert!(!verify_password("lab-passw0rd!", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn the_guard_counts_per_user_and_per_network_and_lets_go_after_the_window() {
        let g = Guard::new(Limits {
            per_user: 3,
            per_source: 5,
            window: Duration::from_secs(60),
            log_lines: 2,
        });
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let a: IpAddr = "192.0.2.7".parse().unwrap();
        let b: IpAddr = "192.0.2.99".parse().unwrap();
        for _ in 0..3 {
            assert!(g.check("alice", a, t0).is_ok());
            g.failed("alice", a, t0);
        }
        let refused = g
            .check("alice", b, t0 + Duration::from_secs(10))
            .unwrap_err();
        assert_eq!(refused.retry_after, Duration::from_secs(50));
        // Another user from the same /24 is not limited until the network's own limit.
        assert!(g.check("bob", b, t0).is_ok());
        g.failed("bob", b, t0);
        g.failed("carol", b, t0);
        assert!(g.check("dave", "192.0.2.1".parse().unwrap(), t0).is_err());
        assert!(g.check("dave", "198.51.100.1".parse().unwrap(), t0).is_ok());
        // After the window, all is forgiven.
        assert!(g.check("alice", a, t0 + Duration::from_secs(61)).is_ok());
        // The log budget: two lines, then silence, then the count of what was suppressed.
        assert_eq!(g.may_log(t0), Some(0));
        assert_eq!(g.may_log(t0), Some(0));
        assert_eq!(g.may_log(t0), None);
        assert_eq!(g.may_log(t0), None);
        assert_eq!(g.may_log(t0 + Duration::from_secs(61)), Some(2));
    }

    #[test]
    fn loggable_names_cannot_forge_lines_or_colour_a_terminal() {
        assert_eq!(loggable("alice@contoso.com"), "alice@contoso.com");
        assert_eq!(loggable("x\nINFO forged"), "x?INFO?forged");
        assert_eq!(loggable("\u{1b}[31mred"), "?[31mred");
        assert_eq!(loggable(&"a".repeat(70)).chars().count(), 65);
    }

    #[test]
    fn an_unknown_user_costs_a_verification_too() {
        let known = hash_password("pw").unwrap();
        assert!(verify_or_stand_in("pw", Some(&known)));
        assert!(!verify_or_stand_in("pw", None));
    }

    #[test]
    fn tokens_expire() {
        let t = Tokens::new(Duration::from_secs(60));
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let (tok, _) = t.issue("alice@contoso.com", now).unwrap();
        assert!(tok.starts_with("cwt="));
        assert_eq!(
            t.user(&tok, now + Duration::from_secs(59)).as_deref(),
            Some("alice@contoso.com")
        );
        assert_eq!(t.user(&tok, now + Duration::from_secs(61)), None);
        assert_eq!(t.user("cwt=forged", now), None);
    }
}
