//! Host names as Lync topologies allow them.
//!
//! Topology Builder accepts only `A–Z a–z 0–9 -` in FQDNs, no underscores, no Unicode, and no single-label
//! domains (`docs/lync.md` §1.6, [S3], [S39]). We check that once, when the deployment is read, so that every
//! other part of lyncdns can take an [`Fqdn`] as valid.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The source keys cited in this module's docs (`[S1]` …), as links to their entries.
#[cfg(doc)]
#[allow(unused_imports)]
use lyncdns_lync::sources::*;

/// A fully qualified host name, stored lowercase without the trailing dot.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fqdn(String);

/// Why a string is not a valid host name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FqdnError {
    /// The name is empty.
    #[error("the name is empty")]
    Empty,
    /// The name is longer than 253 characters (RFC 1035 §2.3.4).
    #[error("the name is {0} characters long; at most 253 are allowed (RFC 1035 §2.3.4)")]
    TooLong(usize),
    /// A label is empty (two dots in a row, or a leading dot).
    #[error("the name has an empty label")]
    EmptyLabel,
    /// A label is longer than 63 characters.
    #[error("label `{0}` is longer than 63 characters")]
    LabelTooLong(String),
    /// A character outside `A–Z a–z 0–9 -`.
    #[error(
        "`{ch}` in label `{label}` is not allowed: host names use only A-Z, a-z, 0-9 and '-' ([S3], [S39])"
    )]
    BadCharacter {
        /// The label holding it.
        label: String,
        /// The offending character.
        ch: char,
    },
    /// A label starts or ends with a hyphen.
    #[error("label `{0}` starts or ends with '-'")]
    HyphenEdge(String),
    /// A single-label name such as `contoso`.
    #[error(
        "single-label names are not supported by Lync / Skype for Business ([S39]); use e.g. `contoso.com`"
    )]
    SingleLabel,
    /// The top label is all digits, so the name could be read as an address.
    #[error(
        "the last label `{0}` is all digits; a host name's top-level label must contain a letter"
    )]
    NumericTld(String),
}

impl Fqdn {
    /// Checks and normalizes `name` (case folded, one trailing dot allowed).
    pub fn new(name: &str) -> Result<Self, FqdnError> {
        let trimmed = name.strip_suffix('.').unwrap_or(name);
        if trimmed.is_empty() {
            return Err(FqdnError::Empty);
        }
        if trimmed.len() > 253 {
            return Err(FqdnError::TooLong(trimmed.len()));
        }
        let mut labels = 0;
        let mut last = "";
        for label in trimmed.split('.') {
            if label.is_empty() {
                return Err(FqdnError::EmptyLabel);
            }
            if label.len() > 63 {
                return Err(FqdnError::LabelTooLong(label.to_owned()));
            }
            if let Some(ch) = label
                .chars()
                .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
            {
                return Err(FqdnError::BadCharacter {
                    label: label.to_owned(),
                    ch,
                });
            }
            if label.starts_with('-') || label.ends_with('-') {
                return Err(FqdnError::HyphenEdge(label.to_owned()));
            }
            labels += 1;
            last = label;
        }
        if labels < 2 {
            return Err(FqdnError::SingleLabel);
        }
        if last.bytes().all(|b| b.is_ascii_digit()) {
            return Err(FqdnError::NumericTld(last.to_owned()));
        }
        Ok(Fqdn(trimmed.to_ascii_lowercase()))
    }

    /// The name as text, lowercase, without trailing dot.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first label (`pool01` of `pool01.contoso.com`).
    pub fn first_label(&self) -> &str {
        self.0.split('.').next().unwrap_or(&self.0)
    }

    /// The name with its first label removed, if that leaves at least one label.
    pub fn parent(&self) -> Option<&str> {
        self.0.split_once('.').map(|(_, rest)| rest)
    }

    /// True if this name equals `zone` or lies below it.
    pub fn is_within(&self, zone: &str) -> bool {
        is_within(&self.0, zone)
    }

    /// `label.self`, e.g. `sip.contoso.com` from `contoso.com`; `label` must be a valid host label.
    pub fn prefixed(&self, label: &str) -> Fqdn {
        debug_assert!(Fqdn::new(&format!("{label}.{}", self.0)).is_ok());
        Fqdn(format!("{}.{}", label.to_ascii_lowercase(), self.0))
    }
}

/// True if `name` equals `zone` or lies below it (both lowercase, no trailing dot).
pub fn is_within(name: &str, zone: &str) -> bool {
    name == zone
        || (name.len() > zone.len()
            && name.ends_with(zone)
            && name.as_bytes()[name.len() - zone.len() - 1] == b'.')
}

impl fmt::Display for Fqdn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Fqdn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fqdn({})", self.0)
    }
}

impl std::str::FromStr for Fqdn {
    type Err = FqdnError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Fqdn::new(s)
    }
}

impl<'de> Deserialize<'de> for Fqdn {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Fqdn::new(&text).map_err(|e| {
            serde::de::Error::custom(format!("`{text}` is not a valid host name: {e}"))
        })
    }
}

impl Serialize for Fqdn {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_case_and_trailing_dot() {
        assert_eq!(
            Fqdn::new("Pool01.Contoso.COM.").unwrap().as_str(),
            "pool01.contoso.com"
        );
    }

    #[test]
    fn rejects_what_topology_builder_rejects() {
        assert_eq!(Fqdn::new("contoso"), Err(FqdnError::SingleLabel));
        assert!(matches!(
            Fqdn::new("_sip._tls.contoso.com"),
            Err(FqdnError::BadCharacter { ch: '_', .. })
        ));
        assert!(matches!(
            Fqdn::new("pööl.contoso.com"),
            Err(FqdnError::BadCharacter { .. })
        ));
        assert_eq!(Fqdn::new("a..b"), Err(FqdnError::EmptyLabel));
        assert!(matches!(Fqdn::new("-a.com"), Err(FqdnError::HyphenEdge(_))));
        assert!(matches!(
            Fqdn::new("10.0.0.1"),
            Err(FqdnError::NumericTld(_))
        ));
        assert!(matches!(
            Fqdn::new(&format!("{}.com", "a".repeat(64))),
            Err(FqdnError::LabelTooLong(_))
        ));
    }

    #[test]
    fn within_is_label_aligned() {
        let n = Fqdn::new("pool01.contoso.com").unwrap();
        assert!(n.is_within("contoso.com"));
        assert!(n.is_within("pool01.contoso.com"));
        assert!(!n.is_within("toso.com"));
        assert_eq!(n.parent(), Some("contoso.com"));
        assert_eq!(n.first_label(), "pool01");
    }
}
