//! Lab authentication: Argon2id password hashes (the password is never stored or logged) and expiring bearer
//! tokens (`cwt=…`, as the OAuth token endpoint of [S14] issues them).

use std::collections::HashMap;
use std::sync::Mutex;
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
        let mut raw = [0u8; 32];
        getrandom::fill(&mut raw).ok()?;
        let token = format!(
            "cwt={}",
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
