//! Zone transfers of a deployment: the TSIG keys (`[[keys]]`) and, per view, which keys select it and which
//! clients may transfer its zones (checked; the file's own spelling is in the private `raw` module).
//!
//! A key selects exactly one view, as BIND's `match-clients { key …; }` does: a query or transfer signed with it
//! is answered from that view whatever the client's address, so the same key in two views is an error.

use std::path::{Path, PathBuf};

use ipnet::IpNet;
use lyncdns_dnsdata::tsig::{TsigAlgorithm, TsigKey, TsigKeyError};

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
            "transfer_keys = [\"xfr-out\"]",
            &keys,
        )
        .unwrap();
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
