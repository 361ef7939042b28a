//! Every reader error of a file at once. serde stops at the first error of a document, so when the whole file
//! does not read, each top-level section and each item of an array of tables (`[[views]]`, `[[pools]]`, …) is
//! read again on its own, from the one parse of the file (whose spans are the file's), and each one's first
//! error is kept. A TOML syntax error stops the parse itself, so it is always reported alone.

use std::ops::Range;

use serde::Deserialize as _;
use serde::de::{DeserializeOwned, IntoDeserializer};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::deployment::{Product, Serve};
use crate::raw;

/// The top-level keys, in the order of [`raw::Deployment`]'s fields, as serde names them in its messages.
const FIELDS: &[&str] = &[
    "version",
    "name",
    "product",
    "sip",
    "dns",
    "views",
    "pools",
    "director",
    "edge",
    "reverse_proxy",
    "simple_urls",
    "office_web_apps",
    "other_servers",
    "features",
    "hybrid",
    "options",
    "users",
    "serve",
    "keys",
];

/// The keys without a default.
const REQUIRED: &[&str] = &["version", "sip", "views", "pools"];

/// One reader error: the reader's message and where in the file it points.
#[derive(Debug)]
pub(crate) struct Error {
    /// The message.
    pub message: String,
    /// The bytes it points at (`0..0`: the file as a whole).
    pub span: Option<Range<usize>>,
}

impl From<toml::de::Error> for Error {
    fn from(e: toml::de::Error) -> Error {
        Error {
            message: e.message().to_owned(),
            span: e.span(),
        }
    }
}

/// Reads `text` as a deployment; on failure, every section's first error (file order), or the syntax error.
pub(crate) fn read(text: &str) -> Result<raw::Deployment, Vec<Error>> {
    let root = DeTable::parse(text).map_err(|e| vec![Error::from(e)])?;
    let whole = raw::Deployment::deserialize(toml::de::Deserializer::from(root.clone()));
    let first = match whole {
        Ok(d) => return Ok(d),
        Err(e) => Error::from(e),
    };
    let mut errors = Vec::new();
    let table = root.get_ref();
    for (key, value) in table.iter() {
        section(key.get_ref(), key.span(), value, &mut errors);
    }
    for required in REQUIRED {
        if !table.keys().any(|k| k.get_ref() == *required) {
            errors.push(Error {
                message: format!("missing field `{required}`"),
                span: Some(0..0),
            });
        }
    }
    if errors.is_empty() {
        // A problem only the whole document shows: never lose it.
        errors.push(first);
    }
    errors.sort_by_key(|e| e.span.as_ref().map(|s| s.start).unwrap_or(0));
    Err(errors)
}

/// Reads one top-level section as its field's type, pushing its first error.
fn section(
    key: &str,
    key_span: Range<usize>,
    value: &Spanned<DeValue<'_>>,
    errors: &mut Vec<Error>,
) {
    match key {
        "version" => one::<u32>(value, errors),
        "name" => one::<String>(value, errors),
        "product" => one::<Product>(value, errors),
        "sip" => one::<raw::Sip>(value, errors),
        "dns" => one::<raw::Dns>(value, errors),
        "views" => each::<raw::View>(value, errors),
        "pools" => each::<raw::Pool>(value, errors),
        "director" => one::<raw::Pool>(value, errors),
        "edge" => one::<raw::Edge>(value, errors),
        "reverse_proxy" => one::<raw::ReverseProxy>(value, errors),
        "simple_urls" => one::<raw::SimpleUrls>(value, errors),
        "office_web_apps" => one::<raw::OfficeWebApps>(value, errors),
        "other_servers" => each::<raw::OtherServer>(value, errors),
        "features" => one::<raw::Features>(value, errors),
        "hybrid" => one::<raw::Hybrid>(value, errors),
        "options" => one::<raw::Options>(value, errors),
        "users" => each::<raw::User>(value, errors),
        "serve" => one::<Serve>(value, errors),
        "keys" => each::<raw::Key>(value, errors),
        other => {
            let expected: Vec<String> = FIELDS.iter().map(|f| format!("`{f}`")).collect();
            errors.push(Error {
                message: format!(
                    "unknown field `{other}`, expected one of {}",
                    expected.join(", ")
                ),
                span: Some(key_span),
            });
        }
    }
}

/// Reads `value` as a `T`.
fn one<T: DeserializeOwned>(value: &Spanned<DeValue<'_>>, errors: &mut Vec<Error>) {
    if let Err(e) = T::deserialize(value.clone().into_deserializer()) {
        errors.push(e.into());
    }
}

/// Reads each item of the array `value` as a `T` (a value that is no array, as a `Vec<T>`).
fn each<T: DeserializeOwned>(value: &Spanned<DeValue<'_>>, errors: &mut Vec<Error>) {
    match value.get_ref() {
        DeValue::Array(items) => {
            for item in items.iter() {
                one::<T>(item, errors);
            }
        }
        _ => one::<Vec<T>>(value, errors),
    }
}

#[cfg(test)]
mod tests {
    use super::FIELDS;

    /// The section list is kept by hand beside `raw::Deployment`: serde's own list of its fields must be the same,
    /// so a new top-level table cannot be forgotten here (it would be reported as unknown).
    #[test]
    fn fields_are_raw_deployments_fields() {
        let err = toml::from_str::<crate::raw::Deployment>("lyncdns_bogus_key = 1\n")
            .err()
            .map(|e| e.message().to_owned())
            .unwrap_or_default();
        let expected = err
            .split("expected one of ")
            .nth(1)
            .unwrap_or_else(|| panic!("serde names no fields: {err}"));
        let serde_fields: Vec<&str> = expected
            .split(", ")
            .map(|f| f.trim().trim_matches('`'))
            .collect();
        assert_eq!(serde_fields, FIELDS);
    }
}
