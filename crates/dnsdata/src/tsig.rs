//! TSIG keys (RFC 8945): the one type every crate uses for a shared secret that signs transfers, NOTIFYs and
//! queries, with the text forms admins already write.
//!
//! The signing itself is `domain`'s (`domain::tsig`, on ring's HMAC); this module only names a key, reads it from
//! the forms BIND's tools take (`dig -y [alg:]name:secret`; a key file of `key "name" { algorithm …; secret "…"; };`
//! clauses, [`read_key_file`])
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

/// Why a BIND key file cannot be read: the file, the 1-based line, and what was wrong there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {problem}")]
pub struct KeyFileError {
    /// The file, as given.
    pub file: String,
    /// The line (the last line for a clause that does not end).
    pub line: usize,
    /// What was wrong.
    pub problem: KeyFileProblem,
}

/// What was wrong in a key file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyFileProblem {
    /// Something other than the expected token.
    #[error("expected {expected}, found `{found}`")]
    Expected {
        /// What the grammar wants here.
        expected: &'static str,
        /// What is there (never a secret: the secret's field is read as a whole).
        found: String,
    },
    /// The file ended inside a clause.
    #[error("the file ends inside a `key` clause (a missing `}};`?)")]
    Unterminated,
    /// A field other than `algorithm` and `secret`.
    #[error("unknown field `{0}` in a key clause (expected `algorithm` or `secret`)")]
    Field(String),
    /// A field missing from a clause.
    #[error("key `{name}` has no `{field}`")]
    Missing {
        /// The key's name.
        name: String,
        /// `algorithm` or `secret`.
        field: &'static str,
    },
    /// No `key` clause in the file.
    #[error("no `key \"name\" {{ algorithm …; secret \"…\"; }};` clause")]
    NoKey,
    /// A field's value is not a valid key part.
    #[error(transparent)]
    Key(#[from] TsigKeyError),
}

/// Reads every `key "name" { algorithm hmac-sha256; secret "…"; };` clause of a BIND key file (as
/// `tsig-keygen` writes it and `named.conf` includes it; `#`, `//` and `/* */` comments allowed). `file` names the
/// file in errors.
pub fn read_key_file(text: &str, file: &str) -> Result<Vec<TsigKey>, KeyFileError> {
    let tokens = conf_tokens(text);
    let at = |line: usize, problem: KeyFileProblem| KeyFileError {
        file: file.to_owned(),
        line,
        problem,
    };
    let last_line = text.lines().count().max(1);
    let mut it = tokens.into_iter().peekable();
    let mut keys = Vec::new();
    let expect = |it: &mut std::iter::Peekable<std::vec::IntoIter<(usize, String)>>,
                  expected: &'static str,
                  check: &dyn Fn(&str) -> bool|
     -> Result<(usize, String), KeyFileError> {
        match it.next() {
            Some((line, t)) if check(&t) => Ok((line, t)),
            Some((line, t)) => Err(at(line, KeyFileProblem::Expected { expected, found: t })),
            None => Err(at(last_line, KeyFileProblem::Unterminated)),
        }
    };
    while it.peek().is_some() {
        let (line, _) = expect(&mut it, "`key`", &|t| t.eq_ignore_ascii_case("key"))?;
        let (_, name) = expect(&mut it, "a key name", &|t| t != "{" && t != ";")?;
        let name = name.trim_matches('"').to_owned();
        expect(&mut it, "`{`", &|t| t == "{")?;
        let (mut algorithm, mut secret) = (None, None);
        loop {
            let (fline, field) = expect(&mut it, "`algorithm`, `secret` or `}`", &|_| true)?;
            if field == "}" {
                break;
            }
            let (vline, value) = expect(&mut it, "a value", &|t| t != ";" && t != "}")?;
            let value = value.trim_matches('"').to_owned();
            match field.to_ascii_lowercase().as_str() {
                "algorithm" => {
                    algorithm = Some(
                        value
                            .parse::<TsigAlgorithm>()
                            .map_err(|e| at(vline, e.into()))?,
                    )
                }
                "secret" => secret = Some((vline, value)),
                _ => return Err(at(fline, KeyFileProblem::Field(field))),
            }
            expect(&mut it, "`;`", &|t| t == ";")?;
        }
        expect(&mut it, "`;` after `}`", &|t| t == ";")?;
        let missing = |field| {
            at(
                line,
                KeyFileProblem::Missing {
                    name: name.clone(),
                    field,
                },
            )
        };
        let algorithm = algorithm.ok_or_else(|| missing("algorithm"))?;
        let (sline, secret) = secret.ok_or_else(|| missing("secret"))?;
        keys.push(
            TsigKey::from_base64(&name, algorithm, &secret).map_err(|e| at(sline, e.into()))?,
        );
    }
    if keys.is_empty() {
        return Err(at(1, KeyFileProblem::NoKey));
    }
    Ok(keys)
}

/// named.conf tokens with their lines: quoted strings (quotes kept), `{`, `}`, `;`, and words; comments dropped.
fn conf_tokens(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut line = 1;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => line += 1,
            c if c.is_whitespace() => {}
            '#' => {
                while chars.peek().is_some_and(|&c| c != '\n') {
                    chars.next();
                }
            }
            '/' if chars.peek() == Some(&'/') => {
                while chars.peek().is_some_and(|&c| c != '\n') {
                    chars.next();
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut prev = ' ';
                for c in chars.by_ref() {
                    if c == '\n' {
                        line += 1;
                    }
                    if prev == '*' && c == '/' {
                        break;
                    }
                    prev = c;
                }
            }
            '{' | '}' | ';' => out.push((line, c.to_string())),
            '"' => {
                let start = line;
                let mut s = String::from('"');
                for c in chars.by_ref() {
                    if c == '\n' {
                        line += 1;
                    }
                    s.push(c);
                    if c == '"' {
                        break;
                    }
                }
                out.push((start, s));
            }
            c => {
                let mut s = String::from(c);
                while let Some(&n) = chars.peek() {
                    if n.is_whitespace() || matches!(n, '{' | '}' | ';' | '"') {
                        break;
                    }
                    s.push(n);
                    chars.next();
                }
                out.push((line, s));
            }
        }
    }
    out
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

    #[test]
    fn reads_a_bind_key_file() {
        let text = "# tsig-keygen -a hmac-sha256 xfr.example\nkey \"xfr.example\" {\n\talgorithm hmac-sha256;\n\tsecret \"c2VjcmV0\"; // the secret\n};\n/* another */ key other. { algorithm HMAC-SHA512; secret \"c2VjcmV0\"; };\n";
        let keys = read_key_file(text, "k.key").unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0].name(), "xfr.example");
        assert_eq!(keys[0].secret(), b"secret");
        assert_eq!(keys[1].algorithm(), TsigAlgorithm::HmacSha512);
    }

    #[test]
    fn key_file_errors_are_located() {
        let err = read_key_file(
            "key \"k\" {\n algorithm hmac-md5;\n secret \"c2VjcmV0\";\n};\n",
            "k.key",
        )
        .unwrap_err();
        assert_eq!(err.line, 2);
        assert!(
            err.to_string()
                .starts_with("k.key:2: unknown TSIG algorithm"),
            "{err}"
        );
        let err = read_key_file(
            "key \"k\" {\n algorithm hmac-sha256;\n secret \"c2VjcmV0\"\n};\n",
            "k.key",
        )
        .unwrap_err();
        assert_eq!(
            (err.line, err.to_string().contains("expected `;`")),
            (4, true),
            "{err}"
        );
        let err = read_key_file("key \"k\" { secret \"c2VjcmV0\"; };", "k.key").unwrap_err();
        assert!(matches!(
            err.problem,
            KeyFileProblem::Missing {
                field: "algorithm",
                ..
            }
        ));
        let err = read_key_file("key \"k\" { algorithm hmac-sha256;", "k.key").unwrap_err();
        assert_eq!(err.problem, KeyFileProblem::Unterminated);
        let err = read_key_file("# nothing\n", "k.key").unwrap_err();
        assert_eq!(err.problem, KeyFileProblem::NoKey);
        let err = read_key_file(
            "key k { algorithm hmac-sha256; secret \"topsecret!!\"; };",
            "k.key",
        )
        .unwrap_err();
        assert!(!err.to_string().contains("topsecret"), "{err}");
    }
}
