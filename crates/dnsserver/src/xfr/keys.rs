//! The TSIG keys of a snapshot, each bound to the one view it selects, as `domain`'s [`KeyStore`], so that
//! verifying a request also tells which view answers it.

use std::fmt;
use std::sync::Arc;

use domain::base::ToName;
use domain::tsig::{Algorithm, Key, KeyStore};
use lyncdns_dnsdata::tsig::{TsigKey, TsigKeyError};

/// A key and the view it selects.
#[derive(Clone)]
pub struct ViewKey {
    key: Arc<Key>,
    /// The view's index in the snapshot.
    pub view: usize,
}

impl AsRef<Key> for ViewKey {
    fn as_ref(&self) -> &Key {
        &self.key
    }
}

impl fmt::Debug for ViewKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ViewKey({} → view {})", self.key.name(), self.view)
    }
}

/// Every key of a snapshot. A handful at most, so a list searched in order.
#[derive(Clone, Debug, Default)]
pub struct KeyRing {
    keys: Vec<ViewKey>,
}

impl KeyRing {
    /// Adds `key`, selecting `view`.
    pub fn add(&mut self, key: &TsigKey, view: usize) -> Result<(), TsigKeyError> {
        self.keys.push(ViewKey {
            key: Arc::new(key.to_domain()?),
            view,
        });
        Ok(())
    }

    /// Whether there is no key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The key named `name` (lowercase, no trailing dot), for signing.
    pub fn key(&self, name: &str) -> Option<Arc<Key>> {
        self.find(name).map(|k| k.key.clone())
    }

    /// The key named `name`, compared without case or a trailing dot (RFC 8945 §4.2).
    fn find(&self, name: &str) -> Option<&ViewKey> {
        let name = name.trim_end_matches('.');
        self.keys
            .iter()
            .find(|k| k.key.name().to_string().eq_ignore_ascii_case(name))
    }

    /// The names of the keys that select `view` (for the status page; never their secrets).
    pub fn names_of(&self, view: usize) -> Vec<String> {
        self.keys
            .iter()
            .filter(|k| k.view == view)
            .map(|k| k.key.name().to_string())
            .collect()
    }

    /// The view a key name selects, if a key of that name exists.
    pub fn view_of(&self, name: &str) -> Option<usize> {
        self.find(name).map(|k| k.view)
    }
}

impl KeyStore for KeyRing {
    type Key = ViewKey;

    fn get_key<N: ToName>(&self, name: &N, algorithm: Algorithm) -> Option<ViewKey> {
        // Key names compare case-insensitively (RFC 8945 §4.2); the algorithm must match too.
        self.keys
            .iter()
            .find(|k| k.key.algorithm() == algorithm && k.key.name().name_eq(name))
            .cloned()
    }
}
