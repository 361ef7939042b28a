//! The Autodiscover access log: one line per request on the `lyncdns::access` target, with what tells one
//! client's requests from another's (Host, method, path, query, status, user agent, duration, client address).
//!
//! What a client sends is written only after [`AccessLine::new`] made it safe to keep: secrets in the query
//! (tokens, passwords, tickets, keys, codes, signatures) are replaced by `[redacted]` while `sipuri` and other
//! plain parameters stay; every field is capped in length; control characters are escaped (`\u{1b}`) so a
//! request cannot forge or garble log lines. `Authorization` and `X-MS-WebTicket` headers are never read here.

use std::fmt::Write;
use std::net::SocketAddr;
use std::time::Duration;

/// What stands in for a secret's value.
pub const REDACTED: &str = "[redacted]";
/// Longest Host, method and user agent kept, in characters.
const MAX_FIELD: usize = 256;
/// Longest path and query kept, in characters.
const MAX_TARGET: usize = 512;

/// A request, ready to be logged once its status is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessLine {
    /// The client's address and port.
    pub client: SocketAddr,
    /// `http` or `https`.
    pub scheme: &'static str,
    /// Method.
    pub method: String,
    /// `Host` (`-` without one).
    pub host: String,
    /// Path.
    pub path: String,
    /// Query without its secrets (empty without one).
    pub query: String,
    /// `User-Agent` (`-` without one).
    pub user_agent: String,
}

impl AccessLine {
    /// The line for a request: `target` is the path and query as sent.
    pub fn new(
        client: SocketAddr,
        https: bool,
        method: &str,
        host: Option<&str>,
        target: &str,
        user_agent: Option<&str>,
    ) -> AccessLine {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        AccessLine {
            client,
            scheme: if https { "https" } else { "http" },
            method: clean(method, MAX_FIELD),
            host: host.map_or_else(|| "-".to_owned(), |h| clean(h, MAX_FIELD)),
            path: clean(path, MAX_TARGET),
            query: clean(&redact_query(query), MAX_TARGET),
            user_agent: user_agent.map_or_else(|| "-".to_owned(), |u| clean(u, MAX_FIELD)),
        }
    }

    /// Writes the line with the response's status and the time the request took.
    pub fn log(&self, status: u16, duration: Duration) {
        tracing::info!(
            target: "lyncdns::access",
            client = %self.client,
            scheme = self.scheme,
            host = ?self.host,
            method = %self.method,
            path = %self.path,
            query = %self.query,
            status,
            duration_ms = duration.as_secs_f64() * 1e3,
            user_agent = ?self.user_agent,
            "autodiscover"
        );
    }
}

/// Whether a query parameter's name says it carries a secret: OAuth and WebTicket tokens, passwords, keys, codes,
/// signatures, assertions, credentials, sessions. Compared after percent-decoding, without case.
fn is_secret(name: &str) -> bool {
    const MARKS: [&str; 12] = [
        "token",
        "pass",
        "pwd",
        "secret",
        "key",
        "ticket",
        "auth",
        "code",
        "sig",
        "assertion",
        "credential",
        "session",
    ];
    let name = percent_decoded(name).to_ascii_lowercase();
    MARKS.iter().any(|m| name.contains(m))
}

/// `query` (`a=1&b=2`) with the value of every secret parameter replaced by [`REDACTED`].
pub fn redact_query(query: &str) -> String {
    let mut out = String::with_capacity(query.len());
    for (i, pair) in query.split('&').enumerate() {
        if i > 0 {
            out.push('&');
        }
        match pair.split_once('=') {
            Some((name, _)) if is_secret(name) => {
                let _ = write!(out, "{name}={REDACTED}");
            }
            _ => out.push_str(pair),
        }
    }
    out
}

/// `%XX` sequences decoded (others kept), lossily as UTF-8: only for recognising parameter names.
fn percent_decoded(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `s` with control characters escaped (`\u{1b}`) and cut at `max` characters (marked with `…`).
pub fn clean(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max + 8));
    for (n, c) in s.chars().enumerate() {
        if n == max {
            out.push('…');
            break;
        }
        if c.is_control() {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(target: &str) -> AccessLine {
        AccessLine::new(
            "192.0.2.7:50123".parse().unwrap(),
            true,
            "GET",
            Some("lyncdiscover.lyncdude.net"),
            target,
            Some("ACOMO"),
        )
    }

    #[test]
    fn sipuri_is_kept_and_secrets_are_redacted() {
        let l = line(
            "/Autodiscover/AutodiscoverService.svc/root/user?originalDomain=lyncdude.net&sipuri=sip:alice@lyncdude.net&access_token=eyJhbGciOi&Password=hunter2&x-ms-webticket=abc&client%5Fsecret=s3&dummy=1",
        );
        assert_eq!(l.path, "/Autodiscover/AutodiscoverService.svc/root/user");
        assert_eq!(
            l.query,
            "originalDomain=lyncdude.net&sipuri=sip:alice@lyncdude.net&access_token=[redacted]&Password=[redacted]&x-ms-webticket=[redacted]&client%5Fsecret=[redacted]&dummy=1"
        );
        for secret in ["eyJhbGciOi", "hunter2", "abc", "s3"] {
            assert!(!l.query.contains(&format!("={secret}")), "{secret}");
        }
        assert_eq!(
            (
                l.scheme,
                l.method.as_str(),
                l.host.as_str(),
                l.user_agent.as_str()
            ),
            ("https", "GET", "lyncdiscover.lyncdude.net", "ACOMO")
        );
    }

    #[test]
    fn no_query_no_host_no_user_agent() {
        let l = AccessLine::new("[::1]:443".parse().unwrap(), false, "POST", None, "/", None);
        assert_eq!(
            (
                l.path.as_str(),
                l.query.as_str(),
                l.host.as_str(),
                l.user_agent.as_str()
            ),
            ("/", "", "-", "-")
        );
        assert_eq!(l.scheme, "http");
    }

    #[test]
    fn control_characters_are_escaped_and_long_fields_cut() {
        assert_eq!(
            clean("a\nb\x1b[31mc\u{7f}", 64),
            "a\\u{a}b\\u{1b}[31mc\\u{7f}"
        );
        let long = "x".repeat(10_000);
        let l = AccessLine::new(
            "127.0.0.1:1".parse().unwrap(),
            false,
            "GET",
            Some(&long),
            &format!("/{long}?{long}"),
            Some(&long),
        );
        assert_eq!(l.host.chars().count(), MAX_FIELD + 1);
        assert_eq!(l.user_agent.chars().count(), MAX_FIELD + 1);
        assert_eq!(l.path.chars().count(), MAX_TARGET + 1);
        assert_eq!(l.query.chars().count(), MAX_TARGET + 1);
        assert!(l.path.ends_with('…'));
    }

    #[test]
    fn a_secret_is_redacted_before_the_query_is_cut() {
        let l = line(&format!("/x?sipuri=sip:a@b&token={}", "t".repeat(2000)));
        assert_eq!(l.query, "sipuri=sip:a@b&token=[redacted]");
    }
}
