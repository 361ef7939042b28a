//! Domain names in lowercase wire format (length-prefixed labels ending with the root's zero byte): the form
//! every lookup key and every prepared answer uses.

use std::fmt;

/// Why a text name is not a valid domain name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// A label is empty (`a..b`).
    #[error("empty label in `{0}`")]
    EmptyLabel(String),
    /// A label is longer than 63 octets (RFC 1035 §2.3.4).
    #[error("label longer than 63 octets in `{0}`")]
    LongLabel(String),
    /// The name is longer than 255 octets in wire format (RFC 1035 §2.3.4).
    #[error("name longer than 255 octets: `{0}`")]
    LongName(String),
}

/// Converts `name` (absolute, trailing dot optional; `.` or empty is the root) to lowercase wire format.
pub fn from_text(name: &str) -> Result<Vec<u8>, NameError> {
    let trimmed = name.strip_suffix('.').unwrap_or(name);
    let mut wire = Vec::with_capacity(trimmed.len() + 2);
    if !trimmed.is_empty() {
        for label in trimmed.split('.') {
            if label.is_empty() {
                return Err(NameError::EmptyLabel(name.to_owned()));
            }
            if label.len() > 63 {
                return Err(NameError::LongLabel(name.to_owned()));
            }
            wire.push(label.len() as u8);
            wire.extend(label.bytes().map(|b| b.to_ascii_lowercase()));
        }
    }
    wire.push(0);
    if wire.len() > 255 {
        return Err(NameError::LongName(name.to_owned()));
    }
    Ok(wire)
}

/// The presentation form of a wire name (no trailing dot; `.` for the root). Non-printable octets are escaped
/// as `\DDD` (RFC 1035 §5.1).
pub fn to_text(wire: &[u8]) -> String {
    // The text is as long as the wire form less one, unless octets need escaping: one allocation, not one per
    // growth (measured: a third of an AXFR reader's instructions went to regrowing here).
    let mut out = String::with_capacity(wire.len());
    for label in labels(wire) {
        if !out.is_empty() {
            out.push('.');
        }
        for &b in label {
            if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'*' {
                out.push(b as char);
            } else {
                out.push_str(&format!("\\{b:03}"));
            }
        }
    }
    if out.is_empty() { ".".to_owned() } else { out }
}

/// The labels of a well-formed wire name, root excluded.
pub fn labels(wire: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = wire;
    std::iter::from_fn(move || {
        let (&len, tail) = rest.split_first()?;
        if len == 0 || tail.len() < len as usize {
            return None;
        }
        let (label, next) = tail.split_at(len as usize);
        rest = next;
        Some(label)
    })
}

/// Splits a well-formed uncompressed wire name off the front of `data`: the name (root label included) and
/// what follows it, or `None` when `data` does not start with one (a label runs past the end, a compression
/// pointer, or a name longer than 255 octets).
pub fn split_first(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut at = 0;
    loop {
        let len = *data.get(at)? as usize;
        if len > 63 {
            return None;
        }
        at += 1 + len;
        if at > 255 || at > data.len() {
            return None;
        }
        if len == 0 {
            return Some(data.split_at(at));
        }
    }
}

/// The name without its first label, or `None` for the root.
pub fn parent(wire: &[u8]) -> Option<&[u8]> {
    let len = *wire.first()? as usize;
    if len == 0 { None } else { wire.get(1 + len..) }
}

/// True if `name` equals `zone` or lies below it (both lowercase wire names).
pub fn is_within(name: &[u8], zone: &[u8]) -> bool {
    let mut n = name;
    loop {
        if n == zone {
            return true;
        }
        match parent(n) {
            Some(p) => n = p,
            None => return false,
        }
    }
}

/// The wire name `*.<name>`.
pub fn wildcard_of(name: &[u8]) -> Vec<u8> {
    let mut w = vec![1, b'*'];
    w.extend_from_slice(name);
    w
}

/// A wire name shown in its presentation form.
pub struct Display<'a>(pub &'a [u8]);

impl fmt::Display for Display<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&to_text(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_case() {
        let w = from_text("Pool01.Contoso.COM.").unwrap();
        assert_eq!(w, b"\x06pool01\x07contoso\x03com\x00");
        assert_eq!(to_text(&w), "pool01.contoso.com");
        assert_eq!(from_text(".").unwrap(), vec![0]);
        assert_eq!(to_text(&[0]), ".");
        assert_eq!(to_text(b"\x01a\x03b c\x00"), "a.b\\032c");
    }

    #[test]
    fn limits() {
        assert!(matches!(from_text("a..b"), Err(NameError::EmptyLabel(_))));
        assert!(matches!(
            from_text(&"a".repeat(64)),
            Err(NameError::LongLabel(_))
        ));
        let long = vec!["abcdefghi"; 26].join(".");
        assert!(matches!(from_text(&long), Err(NameError::LongName(_))));
    }

    #[test]
    fn parents_and_within() {
        let w = from_text("_sip._tls.contoso.com").unwrap();
        let zone = from_text("contoso.com").unwrap();
        assert!(is_within(&w, &zone));
        assert!(!is_within(&zone, &w));
        assert_eq!(parent(&w).map(to_text).as_deref(), Some("_tls.contoso.com"));
        assert_eq!(wildcard_of(&zone), from_text("*.contoso.com").unwrap());
    }

    #[test]
    fn split_first_takes_one_whole_name() {
        let mut data = from_text("a.example").unwrap();
        data.extend_from_slice(&[9, 9]);
        let (n, rest) = split_first(&data).unwrap();
        assert_eq!(to_text(n), "a.example");
        assert_eq!(rest, &[9, 9]);
        assert_eq!(split_first(&[3, b'a', b'b']), None);
        assert_eq!(split_first(&[0xc0, 12]), None);
        assert_eq!(split_first(&[]), None);
    }
}
