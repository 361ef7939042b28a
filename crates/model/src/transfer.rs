//! Zone transfers of a deployment: the TSIG keys (`[[keys]]`) and, per view, which keys select it and which
//! clients may transfer its zones (checked; the file's own spelling is in the private `raw` module).
//!
//! A key selects exactly one view, as BIND's `match-clients { key …; }` does: a query or transfer signed with it
//! is answered from that view whatever the client's address, so the same key in two views is an error.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use ipnet::IpNet;
use lyncdns_dnsdata::tsig::{TsigAlgorithm, TsigKey, TsigKeyError};
use serde::{Deserialize, Serialize};

/// A TSIG key of the deployment (RFC 8945), named by views' `transfer_keys`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferKey {
    /// The key's name, lowercase, without the trailing dot; unique among the keys.
    pub name: String,
    /// Its algorithm.
    pub algorithm: TsigAlgorithm,
    /// Where its secret is.
    pub secret: KeySecret,
}

/// Where a key's secret is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySecret {
    /// Written in the deployment file (`secret = "base64"`), already checked.
    Inline(TsigKey),
    /// In a file of its own (`secret_file`), read when the key is used: relative paths are relative to the
    /// deployment file's directory.
    File(PathBuf),
}

/// Why a key's secret file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// The file cannot be read.
    #[error("TSIG key `{key}`: cannot read secret_file {path}: {source}")]
    Read {
        /// The key.
        key: String,
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file does not hold a base64 secret.
    #[error("TSIG key `{key}`: secret_file {path}: {source}")]
    Secret {
        /// The key.
        key: String,
        /// The file.
        path: PathBuf,
        /// Why.
        source: TsigKeyError,
    },
}

/// The most a secret file may hold: a key's base64 secret is tens of octets; anything larger is not one.
const SECRET_FILE_MAX: u64 = 64 * 1024;

impl TransferKey {
    /// The key with its secret; a `secret_file` is read now, relative to `base` (the deployment file's
    /// directory). The file holds the base64 secret alone (surrounding white space ignored).
    pub fn resolve(&self, base: &Path) -> Result<TsigKey, KeyFileError> {
        let path = match &self.secret {
            KeySecret::Inline(key) => return Ok(key.clone()),
            KeySecret::File(path) => base.join(path),
        };
        let read = |source| KeyFileError::Read {
            key: self.name.clone(),
            path: path.clone(),
            source,
        };
        use std::io::Read as _;
        let mut text = String::new();
        std::fs::File::open(&path)
            .and_then(|f| f.take(SECRET_FILE_MAX).read_to_string(&mut text))
            .map_err(read)?;
        TsigKey::from_base64(&self.name, self.algorithm, text.trim()).map_err(|source| {
            KeyFileError::Secret {
                key: self.name.clone(),
                path: path.clone(),
                source,
            }
        })
    }
}

/// A view's transfer settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ViewTransfer {
    /// Names of the keys that select this view (each defined in `[[keys]]`, none in another view).
    pub keys: Vec<String>,
    /// Client prefixes that may transfer this view's zones without a key (when their address selects this view);
    /// empty: only with one of `keys`.
    pub allow: Vec<IpNet>,
    /// Secondaries sent a NOTIFY (RFC 1996) when a reload changes one of this view's zones, signed with the
    /// view's first key when it has one.
    pub notify: Vec<SocketAddr>,
    /// How a reload that changes a zone sets its serial.
    pub serial_policy: SerialPolicy,
    /// The name of the view's catalog zone (RFC 9432), which lists every zone of the view so that secondaries
    /// provision them by themselves; `None`: no catalog. Only for a view someone may transfer; never equal to or
    /// below a zone or SIP domain of the deployment (a `.invalid` name is usual, RFC 9432 §6).
    pub catalog: Option<crate::Fqdn>,
}

/// How a reload that changes a zone's content sets its SOA serial (Knot's `serial-policy`), so that secondaries
/// see the change. A zone whose content did not change keeps the serial it is served with, unless the file's own
/// serial is newer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SerialPolicy {
    /// The serial written in the plan or zone file, as it is.
    Keep,
    /// One more than the serial served (or the written one, if that is newer).
    #[default]
    Increment,
    /// The time in seconds since 1970 (one more than the serial served, if that is not older).
    Unixtime,
    /// `YYYYMMDDnn` of today (UTC), `nn` counting changes of the day.
    Dateserial,
}

impl SerialPolicy {
    /// The serial of a zone whose content changed: served `old`, `written` in its source, at `now` (seconds since
    /// 1970). Serials compare in RFC 1982 arithmetic; the result is always newer than `old` except under `Keep`.
    pub fn next(self, old: u32, written: u32, now: u64) -> u32 {
        let newer = |a: u32, b: u32| a != b && a.wrapping_sub(b) < 1 << 31;
        let at_least = |candidate: u32| {
            if newer(candidate, old) {
                candidate
            } else {
                old.wrapping_add(1)
            }
        };
        match self {
            SerialPolicy::Keep => written,
            SerialPolicy::Increment => at_least(written),
            SerialPolicy::Unixtime => at_least(now as u32),
            SerialPolicy::Dateserial => {
                let (y, m, d) = civil_date(now / 86_400);
                at_least((y * 10_000 + m * 100 + d).wrapping_mul(100))
            }
        }
    }
}

/// The (year, month, day) of day `days` since 1970-01-01 (proleptic Gregorian, UTC): Howard Hinnant's
/// `civil_from_days`.
fn civil_date(days: u64) -> (u32, u32, u32) {
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y as u32, m as u32, d as u32)
}

impl ViewTransfer {
    /// Whether anyone may transfer this view's zones.
    pub fn enabled(&self) -> bool {
        !self.keys.is_empty() || !self.allow.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use crate::{EMBEDDED_EXAMPLE, LoadErrors, Problem};

    const SECRET: &str = "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0";

    /// The embedded example with `internal`'s and `external`'s extra lines and `[[keys]]` tables appended.
    fn with(internal: &str, external: &str, keys: &str) -> Result<crate::Deployment, LoadErrors> {
        let text = EMBEDDED_EXAMPLE
            .replacen(
                "name = \"internal\"\n",
                &format!("name = \"internal\"\n{internal}\n"),
                1,
            )
            .replacen(
                "name = \"external\"\n",
                &format!("name = \"external\"\n{external}\n"),
                1,
            );
        crate::load(&format!("{text}\n{keys}"), "t.toml")
    }

    #[test]
    fn serial_policies_always_move_forward_except_keep() {
        use super::SerialPolicy::*;
        // 2026-12-04 12:00 UTC.
        let now = 1_796_385_600;
        assert_eq!(Increment.next(5, 5, now), 6);
        assert_eq!(Increment.next(5, 9, now), 9);
        assert_eq!(
            Increment.next(u32::MAX, 7, now),
            7,
            "RFC 1982: 7 follows 2^32-1"
        );
        assert_eq!(
            Increment.next(u32::MAX, u32::MAX - 5, now),
            0,
            "RFC 1982: wraps"
        );
        assert_eq!(Keep.next(5, 3, now), 3);
        assert_eq!(Unixtime.next(5, 5, now), now as u32);
        assert_eq!(Unixtime.next(now as u32 + 10, 5, now), now as u32 + 11);
        assert_eq!(Dateserial.next(2026112501, 1, now), 2026120400);
        assert_eq!(Dateserial.next(2026120400, 1, now), 2026120401);
        assert_eq!(super::civil_date(0), (1970, 1, 1));
        assert_eq!(super::civil_date(19_723), (2024, 1, 1));
    }

    fn problems(e: LoadErrors) -> Vec<Problem> {
        e.0.into_iter().map(|e| e.problem).collect()
    }

    #[test]
    fn keys_select_views() {
        let keys = format!(
            "[[keys]]\nname = \"XFR-in.\"\nsecret = \"{SECRET}\"\n[[keys]]\nname = \"xfr-out\"\nalgorithm = \"hmac-sha512\"\nsecret_file = \"out.key\"\n"
        );
        let d = with(
            "transfer_keys = [\"xfr-in\"]\nallow_transfer = [\"127.0.0.0/8\"]",
            "transfer_keys = [\"xfr-out\"]\nnotify = [\"127.0.0.1:5399\"]\nserial_policy = \"unixtime\"",
            &keys,
        )
        .unwrap();
        assert_eq!(
            d.views[1].transfer.notify,
            ["127.0.0.1:5399".parse().unwrap()]
        );
        assert_eq!(
            d.views[1].transfer.serial_policy,
            super::SerialPolicy::Unixtime
        );
        assert_eq!(
            d.views[0].transfer.serial_policy,
            super::SerialPolicy::Increment
        );
        assert_eq!(d.keys.len(), 2);
        assert_eq!(d.keys[0].name, "xfr-in");
        assert_eq!(d.views[0].transfer.keys, ["xfr-in"]);
        assert_eq!(
            d.views[0].transfer.allow,
            ["127.0.0.0/8".parse::<ipnet::IpNet>().unwrap()]
        );
        assert!(matches!(d.keys[1].secret, super::KeySecret::File(_)));
        let dir = std::env::temp_dir().join(format!("lyncdns-key-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("out.key"), format!("{SECRET}\n")).unwrap();
        let key = d.keys[1].resolve(&dir).unwrap();
        assert_eq!(key.secret(), b"secretsecretsecretsecret");
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(
            d.keys[1]
                .resolve(std::path::Path::new("/nonexistent"))
                .is_err()
        );
    }

    #[test]
    fn a_key_selects_one_view_only() {
        let keys = format!("[[keys]]\nname = \"xfr\"\nsecret = \"{SECRET}\"\n");
        let err = with(
            "transfer_keys = [\"xfr\"]",
            "transfer_keys = [\"xfr\"]",
            &keys,
        )
        .unwrap_err();
        assert_eq!(
            problems(err),
            [Problem::KeyInTwoViews {
                key: "xfr".into(),
                view: "internal".into()
            }]
        );
    }

    #[test]
    fn a_catalog_is_named_per_view_and_checked_where_it_is_written() {
        let keys = format!("[[keys]]\nname = \"xfr\"\nsecret = \"{SECRET}\"\n");
        let d = with(
            "transfer_keys = [\"xfr\"]\ncatalog = \"Catalog.Internal.invalid\"",
            "",
            &keys,
        )
        .unwrap();
        assert_eq!(
            d.views[0].transfer.catalog.as_ref().map(|c| c.as_str()),
            Some("catalog.internal.invalid")
        );
        assert_eq!(d.views[1].transfer.catalog, None, "no catalog by default");

        let err = with(
            "transfer_keys = [\"xfr\"]\ncatalog = \"catalog.lyncdude.net\"",
            "catalog = \"catalog.external.invalid\"",
            &keys,
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("views[0].catalog"), "{text}");
        assert!(text.contains("views[1].catalog"), "{text}");
        assert_eq!(
            problems(err),
            [
                Problem::CatalogInZone {
                    catalog: "catalog.lyncdude.net".into(),
                    zone: "lyncdude.net".into()
                },
                Problem::CatalogWithoutTransfer {
                    view: "external".into()
                }
            ]
        );
    }

    #[test]
    fn bad_keys_are_located_and_never_echo_the_secret() {
        let keys = "[[keys]]\nname = \"a\"\nsecret = \"not base64 topsecret!\"\n\
                    [[keys]]\nname = \"b\"\nalgorithm = \"hmac-md5\"\nsecret = \"c2VjcmV0\"\n\
                    [[keys]]\nname = \"c\"\n\
                    [[keys]]\nname = \"a\"\nsecret = \"c2VjcmV0\"\n";
        let err = with(
            "transfer_keys = [\"nokey\"]",
            "allow_transfer = [\"192.0.2.1/24\"]",
            keys,
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(!text.contains("topsecret"), "{text}");
        assert!(text.contains("keys[0].secret"), "{text}");
        assert!(text.contains("keys[1].algorithm"), "{text}");
        assert!(text.contains("views[0].transfer_keys[0]"), "{text}");
        assert!(text.contains("views[1].allow_transfer[0]"), "{text}");
        let p = problems(err);
        assert!(
            p.contains(&Problem::KeySecretSource { name: "c".into() }),
            "{p:?}"
        );
        assert!(
            p.contains(&Problem::DuplicateKey { name: "a".into() }),
            "{p:?}"
        );
    }
}
