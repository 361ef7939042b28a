//! TSIG keys (RFC 8945): the one type every crate uses for a shared secret that signs transfers, NOTIFYs and
//! queries, with the text forms admins already write.
//!
//! The signing itself is `domain`'s (`domain::tsig`, on ring's HMAC); this module only names a key, reads it from
//! the forms BIND's tools take (`dig -y [alg:]name:secret`, a `key "name" { algorithm …; secret "…"; };` clause)
//! and hands `domain` its [`Key`](domain::tsig::Key). A key's secret never appears in `Debug` or `Display`.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;

/// A TSIG algorithm this crate signs and verifies with (RFC 8945 §6: HMAC-SHA256 is mandatory to implement;
/// HMAC-SHA1 only for old peers, as RFC 8945 §6 allows).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TsigAlgorithm {
    /// `hmac-sha1` (legacy).
    HmacSha1,
    /// `hmac-sha256`, the default.
    HmacSha256,
    /// `hmac-sha384`.
    HmacSha384,
    /// `hmac-sha512`.
    HmacSha512,
}

impl TsigAlgorithm {
    /// The algorithm's name as BIND, Knot and NSD write it (`hmac-sha256`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HmacSha1 => "hmac-sha1",
            Self::HmacSha256 => "hmac-sha256",
            Self::HmacSha384 => "hmac-sha384",
            Self::HmacSha512 => "hmac-sha512",
        }
    }

    /// `domain`'s name for the algorithm.
    pub fn to_domain(self) -> domain::tsig::Algorithm {
        match self {
            Self::HmacSha1 => domain::tsig::Algorithm::Sha1,
            Self::HmacSha256 => domain::tsig::Algorithm::Sha256,
            Self::HmacSha384 => domain::tsig::Algorithm::Sha384,
            Self::HmacSha512 => domain::tsig::Algorithm::Sha512,
        }
    }

    /// The algorithm of a `domain` key.
    pub fn from_domain(algorithm: domain::tsig::Algorithm) -> Self {
        match algorithm {
            domain::tsig::Algorithm::Sha1 => Self::HmacSha1,
            domain::tsig::Algorithm::Sha256 => Self::HmacSha256,
            domain::tsig::Algorithm::Sha384 => Self::HmacSha384,
            domain::tsig::Algorithm::Sha512 => Self::HmacSha512,
        }
    }
}

impl fmt::Display for TsigAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TsigAlgorithm {
    type Err = TsigKeyError;

    /// Reads `hmac-sha256` (any case, an optional trailing dot, as the algorithm's domain name may be written).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim_end_matches('.').to_ascii_lowercase();
        Ok(match lower.as_str() {
            "hmac-sha1" => Self::HmacSha1,
            "hmac-sha256" => Self::HmacSha256,
            "hmac-sha384" => Self::HmacSha384,
            "hmac-sha512" => Self::HmacSha512,
            _ => return Err(TsigKeyError::Algorithm(s.to_owned())),
        })
    }
}

/// Why a TSIG key could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TsigKeyError {
    /// An algorithm other than hmac-sha1/256/384/512 (hmac-md5 is not offered: RFC 8945 §6 says it must not be used
    /// for new deployments, and `domain` does not implement it).
    #[error(
        "unknown TSIG algorithm `{0}` (expected hmac-sha256, hmac-sha384, hmac-sha512 or hmac-sha1)"
    )]
    Algorithm(String),
    /// The key name is not a domain name.
    #[error("TSIG key name `{0}` is not a domain name")]
    Name(String),
    /// The secret is not base64.
    #[error("the secret of TSIG key `{0}` is not base64")]
    Secret(String),
    /// The secret is empty.
    #[error("the secret of TSIG key `{0}` is empty")]
    EmptySecret(String),
    /// The text is not `[algorithm:]name:secret`.
    #[error(
        "a TSIG key is written `[algorithm:]name:base64-secret` (as `dig -y` takes it), not `{0}`"
    )]
    Form(String),
}

/// A TSIG key: name, algorithm and secret.
///
/// The name is kept in lowercase text without the trailing dot (`xfr-external.lyncdude.net`), compared
/// case-insensitively as RFC 8945 §4.2 compares key names.
#[derive(Clone, PartialEq, Eq)]
pub struct TsigKey {
    name: String,
    algorithm: TsigAlgorithm,
    secret: Vec<u8>,
}

impl TsigKey {
    /// A key from its parts; the secret is given as raw octets.
    pub fn new(
        name: &str,
        algorithm: TsigAlgorithm,
        secret: Vec<u8>,
    ) -> Result<Self, TsigKeyError> {
        let name = normalize_name(name)?;
        if secret.is_empty() {
            return Err(TsigKeyError::EmptySecret(name));
        }
        Ok(Self {
            name,
            algorithm,
            secret,
        })
    }

    /// A key whose secret is written in base64, as in BIND's `secret "…";` and `dig -y`.
    pub fn from_base64(
        name: &str,
        algorithm: TsigAlgorithm,
        secret: &str,
    ) -> Result<Self, TsigKeyError> {
        let secret = base64::engine::general_purpose::STANDARD
            .decode(secret.trim())
            .map_err(|_| TsigKeyError::Secret(name.to_owned()))?;
        Self::new(name, algorithm, secret)
    }

    /// The key's name, lowercase, without the trailing dot.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key's algorithm.
    pub fn algorithm(&self) -> TsigAlgorithm {
        self.algorithm
    }

    /// The secret's raw octets.
    pub fn secret(&self) -> &[u8] {
        &self.secret
    }

    /// The secret in base64, for writing configuration files of peers (BIND, Knot, NSD, `dig -y`).
    pub fn secret_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(&self.secret)
    }

    /// `domain`'s key, which signs and verifies messages (`domain::tsig::{ClientTransaction, ServerTransaction,
    /// ClientSequence, ServerSequence}`).
    pub fn to_domain(&self) -> Result<domain::tsig::Key, TsigKeyError> {
        let name = domain::tsig::KeyName::from_str(&self.name)
            .map_err(|_| TsigKeyError::Name(self.name.clone()))?;
        domain::tsig::Key::new(self.algorithm.to_domain(), &self.secret, name, None, None)
            .map_err(|_| TsigKeyError::Name(self.name.clone()))
    }

    /// The key as `dig -y`/`kdig -y` take it: `hmac-sha256:name:secret`. Contains the secret.
    pub fn to_dig_arg(&self) -> String {
        format!("{}:{}:{}", self.algorithm, self.name, self.secret_base64())
    }
}

/// A name in lowercase text without the trailing dot, checked to be a domain name.
fn normalize_name(name: &str) -> Result<String, TsigKeyError> {
    let trimmed = name.trim().trim_end_matches('.');
    if trimmed.is_empty() || crate::name::from_text(trimmed).is_err() {
        return Err(TsigKeyError::Name(name.to_owned()));
    }
    Ok(trimmed.to_ascii_lowercase())
}

impl FromStr for TsigKey {
    type Err = TsigKeyError;

    /// Reads `[algorithm:]name:base64-secret` (the form `dig -y` and `kdig -y` take); without an algorithm,
    /// hmac-sha256.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.trim().split(':').collect();
        let (algorithm, name, secret) = match parts.as_slice() {
            [name, secret] => (TsigAlgorithm::HmacSha256, *name, *secret),
            [algorithm, name, secret] => (algorithm.parse()?, *name, *secret),
            _ => return Err(TsigKeyError::Form(redact(s))),
        };
        Self::from_base64(name, algorithm, secret)
    }
}

/// The text with everything after its last colon replaced, so that an error never echoes a secret.
fn redact(s: &str) -> String {
    match s.rfind(':') {
        Some(at) => format!("{}:…", &s[..at]),
        None => "…".to_owned(),
    }
}

impl fmt::Debug for TsigKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TsigKey")
            .field("name", &self.name)
            .field("algorithm", &self.algorithm)
            .field("secret", &"<redacted>")
            .finish()
    }
}

impl fmt::Display for TsigKey {
    /// `name (algorithm)`; never the secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name, self.algorithm)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_dig_y_forms() {
        let key: TsigKey = "hmac-sha512:XFR.Example.:c2VjcmV0".parse().unwrap();
        assert_eq!(key.name(), "xfr.example");
        assert_eq!(key.algorithm(), TsigAlgorithm::HmacSha512);
        assert_eq!(key.secret(), b"secret");
        let key: TsigKey = "xfr.example:c2VjcmV0".parse().unwrap();
        assert_eq!(key.algorithm(), TsigAlgorithm::HmacSha256);
        assert_eq!(key.to_dig_arg(), "hmac-sha256:xfr.example:c2VjcmV0");
    }

    #[test]
    fn errors_name_the_problem_and_never_the_secret() {
        assert!(matches!(
            "hmac-md5:k:c2VjcmV0".parse::<TsigKey>(),
            Err(TsigKeyError::Algorithm(_))
        ));
        assert!(matches!(
            "k:not base64!".parse::<TsigKey>(),
            Err(TsigKeyError::Secret(_))
        ));
        assert!(matches!(
            "k:".parse::<TsigKey>(),
            Err(TsigKeyError::EmptySecret(_))
        ));
        let err = "a:b:c:topsecret"
            .parse::<TsigKey>()
            .unwrap_err()
            .to_string();
        assert!(!err.contains("topsecret"), "{err}");
        let key: TsigKey = "k:c2VjcmV0".parse().unwrap();
        assert!(!format!("{key:?} {key}").contains("c2VjcmV0"));
    }

    #[test]
    fn converts_to_a_domain_key() {
        let key: TsigKey = "hmac-sha256:xfr.example:c2VjcmV0c2VjcmV0c2VjcmV0"
            .parse()
            .unwrap();
        let domain_key = key.to_domain().unwrap();
        assert_eq!(domain_key.algorithm(), domain::tsig::Algorithm::Sha256);
        assert_eq!(domain_key.name().to_string(), "xfr.example");
    }
}
