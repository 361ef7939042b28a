//! NTLM handshakes in progress: NTLM authenticates a connection, not a request ([MS-NLMP] [S48] 3.1), so the
//! server challenge sent on one connection is kept, keyed by that connection, until its AUTHENTICATE arrives.
//! Bounded in number ([`Handshakes::MAX`], the oldest dropped first) and in time ([`Handshakes::TTL`]); each
//! challenge is used once. The time is passed in.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

/// The source keys cited in this module's docs (`[S1]` …), as links to their entries.
#[cfg(doc)]
#[allow(unused_imports)]
use lyncdns_lync::sources::*;

/// How the client wrapped its NTLM messages, so the answer is wrapped the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wrapping {
    /// `Authorization: NTLM …`.
    Ntlm,
    /// `Authorization: Negotiate …` with a bare NTLM message.
    NegotiateRaw,
    /// `Authorization: Negotiate …` with SPNEGO tokens.
    Spnego,
}

/// One handshake waiting for its AUTHENTICATE message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pending {
    /// The server challenge sent.
    pub challenge: [u8; 8],
    /// How the client wraps its messages.
    pub wrapping: Wrapping,
    /// When the challenge was sent.
    pub sent: SystemTime,
}

/// Handshakes in progress, by connection.
#[derive(Debug, Default)]
pub struct Handshakes {
    map: Mutex<HashMap<u64, Pending>>,
}

impl Handshakes {
    /// Handshakes kept at most (twice the default connection limit of the web listeners, with room to spare).
    pub const MAX: usize = 4096;
    /// How long a challenge waits for its answer (a client answers in milliseconds).
    pub const TTL: Duration = Duration::from_secs(60);

    /// An empty table.
    pub fn new() -> Handshakes {
        Handshakes::default()
    }

    /// Keeps `p` for `connection` (replacing an earlier challenge on it); when full, expired entries go first,
    /// then the oldest.
    pub fn start(&self, connection: u64, p: Pending) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= Self::MAX && !map.contains_key(&connection) {
            map.retain(|_, x| !expired(x, p.sent));
            if map.len() >= Self::MAX
                && let Some(oldest) = map.iter().min_by_key(|(_, x)| x.sent).map(|(k, _)| *k)
            {
                map.remove(&oldest);
            }
        }
        map.insert(connection, p);
    }

    /// Takes the challenge pending on `connection`, if it is still valid at `now`.
    pub fn take(&self, connection: u64, now: SystemTime) -> Option<Pending> {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&connection).filter(|p| !expired(p, now))
    }

    /// Handshakes held now.
    pub fn len(&self) -> usize {
        self.map.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// True when none is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn expired(p: &Pending, now: SystemTime) -> bool {
    p.sent + Handshakes::TTL <= now
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(s)
    }

    fn pending(sent: u64) -> Pending {
        Pending {
            challenge: [1; 8],
            wrapping: Wrapping::Ntlm,
            sent: at(sent),
        }
    }

    #[test]
    fn a_challenge_is_used_once_on_its_connection_and_expires() {
        let h = Handshakes::new();
        h.start(1, pending(1000));
        assert_eq!(h.take(2, at(1001)), None);
        assert_eq!(h.take(1, at(1001)), Some(pending(1000)));
        assert_eq!(h.take(1, at(1001)), None);
        h.start(1, pending(1000));
        assert_eq!(h.take(1, at(1060)), None);
        assert!(h.is_empty());
    }

    #[test]
    fn the_table_is_bounded_and_drops_the_oldest() {
        let h = Handshakes::new();
        for c in 0..Handshakes::MAX as u64 {
            h.start(c, pending(if c == 0 { 1000 } else { 1001 }));
        }
        h.start(u64::MAX, pending(1010));
        assert_eq!(h.len(), Handshakes::MAX);
        assert!(h.take(u64::MAX, at(1010)).is_some());
        // Connection 0 was the oldest (sent at 1000) and was dropped.
        assert_eq!(h.take(0, at(1010)), None);
    }
}
