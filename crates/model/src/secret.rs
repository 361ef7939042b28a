//! `CookieSecret`: the DNS server cookie secret of `[serve] cookie_secret`, 128 bits written as 32 hexadecimal
//! digits (RFC 9018 §4.4), checked while the file is read and never printed.

use std::fmt;

use serde::{Deserialize, Deserializer};

/// The 128-bit secret that keys server cookies (RFC 9018 §4.4); shared by the servers of an anycast group so
/// that they accept each other's cookies (RFC 9018 §6). Its `Debug` form hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct CookieSecret(pub [u8; 16]);

/// Why a written cookie secret is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "a cookie secret is 32 hexadecimal digits (128 bits, RFC 9018 §4.4), e.g. from `openssl rand -hex 16`; got {got} characters{}",
    if *.not_hex { ", not all hexadecimal" } else { "" }
)]
pub struct CookieSecretError {
    /// The length of what was written, in characters.
    pub got: usize,
    /// Whether a character is not a hexadecimal digit.
    pub not_hex: bool,
}

impl CookieSecret {
    /// A secret from 32 hexadecimal digits.
    pub fn from_hex(text: &str) -> Result<CookieSecret, CookieSecretError> {
        let digits: Option<Vec<u8>> = text
            .chars()
            .map(|c| c.to_digit(16).map(|d| d as u8))
            .collect();
        let err = |not_hex| CookieSecretError {
            got: text.chars().count(),
            not_hex,
        };
        let digits = digits.ok_or(err(true))?;
        if digits.len() != 32 {
            return Err(err(false));
        }
        let mut out = [0u8; 16];
        for (o, pair) in out.iter_mut().zip(digits.chunks(2)) {
            *o = pair[0] << 4 | pair[1];
        }
        Ok(CookieSecret(out))
    }
}

impl fmt::Debug for CookieSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CookieSecret(…)")
    }
}

impl<'de> Deserialize<'de> for CookieSecret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        CookieSecret::from_hex(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_32_hex_digits_and_never_prints_them() {
        let s = CookieSecret::from_hex("e5e973e5a6b2a43f48e7dc849e37bfcf").unwrap();
        assert_eq!(s.0[..3], [0xe5, 0xe9, 0x73]);
        assert_eq!(s.0[15], 0xcf);
        assert_eq!(format!("{s:?}"), "CookieSecret(…)");
        assert_eq!(
            CookieSecret::from_hex("E5E973E5A6B2A43F48E7DC849E37BFCF"),
            Ok(s)
        );
    }

    #[test]
    fn says_what_is_wrong() {
        let e = CookieSecret::from_hex("e5e9").unwrap_err();
        assert_eq!(
            e,
            CookieSecretError {
                got: 4,
                not_hex: false
            }
        );
        assert!(e.to_string().contains("got 4 characters"), "{e}");
        let e = CookieSecret::from_hex("x5e973e5a6b2a43f48e7dc849e37bfcf").unwrap_err();
        assert!(
            e.not_hex && e.to_string().contains("not all hexadecimal"),
            "{e}"
        );
    }
}
