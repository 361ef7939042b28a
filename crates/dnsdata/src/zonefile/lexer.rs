//! The master file's tokens (RFC 1035 §5.1): whitespace-separated words, `;` comments, `"` strings with `\`
//! escapes, `( )` continuing an entry over lines; and the small scanners for the fields of the common types.

use super::reader::Reader;
use crate::types::Rtype;

/// The octets that end an unquoted token.
pub(super) static DELIMITER: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    let ends = b" \t\r\n;()\"";
    while i < ends.len() {
        t[ends[i] as usize] = true;
        i += 1;
    }
    t
};

/// A token of an entry: a span of the text, quoted or not.
#[derive(Debug, Clone, Copy)]
pub(super) struct Token {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) quoted: bool,
    pub(super) line: usize,
    pub(super) col: usize,
}

/// A syntax error at a place.
pub(super) struct At {
    pub(super) line: usize,
    pub(super) col: usize,
    pub(super) message: String,
}

pub(super) fn at(t: &Token, message: impl Into<String>) -> At {
    At {
        line: t.line,
        col: t.col,
        message: message.into(),
    }
}

impl<'t> Reader<'t> {
    /// Splits the next entry into tokens (comments and parentheses removed).
    pub(super) fn tokens(&mut self, out: &mut Vec<Token>) -> Result<(), At> {
        out.clear();
        let text = self.text;
        let mut depth = 0u32;
        let mut open_at = (0, 0);
        while self.pos < text.len() {
            let c = text[self.pos];
            match c {
                b'\n' => {
                    self.pos += 1;
                    self.line += 1;
                    self.line_start = self.pos;
                    if depth == 0 {
                        return Ok(());
                    }
                }
                b' ' | b'\t' | b'\r' => {
                    let mut pos = self.pos + 1;
                    while matches!(text.get(pos), Some(b' ' | b'\t' | b'\r')) {
                        pos += 1;
                    }
                    self.pos = pos;
                }
                b';' => {
                    while self.pos < text.len() && text[self.pos] != b'\n' {
                        self.pos += 1;
                    }
                }
                b'(' => {
                    if depth == 0 {
                        open_at = (self.line, self.pos - self.line_start + 1);
                    }
                    depth += 1;
                    self.pos += 1;
                }
                b')' => {
                    if depth == 0 {
                        return Err(At {
                            line: self.line,
                            col: self.pos - self.line_start + 1,
                            message: "`)` without `(`".into(),
                        });
                    }
                    depth -= 1;
                    self.pos += 1;
                }
                b'"' => {
                    let (line, col) = (self.line, self.pos - self.line_start + 1);
                    self.pos += 1;
                    let start = self.pos;
                    loop {
                        match text.get(self.pos) {
                            None => {
                                return Err(At {
                                    line,
                                    col,
                                    message: "unterminated quoted string".into(),
                                });
                            }
                            Some(b'"') => break,
                            Some(b'\\') => self.pos += 2,
                            Some(b'\n') => {
                                self.pos += 1;
                                self.line += 1;
                                self.line_start = self.pos;
                            }
                            Some(_) => self.pos += 1,
                        }
                    }
                    out.push(Token {
                        start,
                        end: self.pos.min(text.len()),
                        quoted: true,
                        line,
                        col,
                    });
                    self.pos += 1;
                }
                _ => {
                    let (line, col) = (self.line, self.pos - self.line_start + 1);
                    let start = self.pos;
                    // A local position and a table: this loop reads most of a large file.
                    let mut pos = start;
                    while let Some(&b) = text.get(pos) {
                        if DELIMITER[b as usize] {
                            break;
                        }
                        pos += if b == b'\\' { 2 } else { 1 };
                    }
                    self.pos = pos.min(text.len());
                    out.push(Token {
                        start,
                        end: self.pos,
                        quoted: false,
                        line,
                        col,
                    });
                }
            }
        }
        if depth > 0 {
            return Err(At {
                line: open_at.0,
                col: open_at.1,
                message: "`(` without `)`".into(),
            });
        }
        Ok(())
    }

    pub(super) fn word(&self, t: &Token) -> &'t [u8] {
        &self.text[t.start..t.end]
    }
}

/// A dotted-quad IPv4 address, as `std` reads one (four decimal octets, no leading zeros), without the UTF-8
/// check and the general parser (the A records of a large zone are most of its lines).
pub(super) fn ipv4(w: &[u8]) -> Option<[u8; 4]> {
    let mut out = [0u8; 4];
    let mut k = 0;
    let mut v = 0u32;
    let mut digits = 0;
    for &c in w {
        if c == b'.' {
            if digits == 0 || k == 3 {
                return None;
            }
            out[k] = v as u8;
            k += 1;
            v = 0;
            digits = 0;
        } else if c.is_ascii_digit() {
            if digits > 0 && v == 0 {
                return None;
            }
            v = v * 10 + (c - b'0') as u32;
            digits += 1;
            if v > 255 {
                return None;
            }
        } else {
            return None;
        }
    }
    if k != 3 || digits == 0 {
        return None;
    }
    out[3] = v as u8;
    Some(out)
}

/// The types read without `domain`.
pub(super) fn fast_type(w: &[u8]) -> Option<Rtype> {
    let t = match w.len() {
        1 if w.eq_ignore_ascii_case(b"A") => Rtype::A,
        2 if w.eq_ignore_ascii_case(b"NS") => Rtype::NS,
        2 if w.eq_ignore_ascii_case(b"MX") => Rtype::MX,
        3 if w.eq_ignore_ascii_case(b"SRV") => Rtype::SRV,
        3 if w.eq_ignore_ascii_case(b"TXT") => Rtype::TXT,
        3 if w.eq_ignore_ascii_case(b"SOA") => Rtype::SOA,
        3 if w.eq_ignore_ascii_case(b"PTR") => Rtype::PTR,
        4 if w.eq_ignore_ascii_case(b"AAAA") => Rtype::AAAA,
        5 if w.eq_ignore_ascii_case(b"CNAME") => Rtype::CNAME,
        _ => return None,
    };
    Some(t)
}

pub(super) fn is_class(w: &[u8]) -> bool {
    [b"IN" as &[u8], b"CH", b"HS", b"CS"]
        .iter()
        .any(|c| w.eq_ignore_ascii_case(c))
        || (w.len() > 5
            && w[..5].eq_ignore_ascii_case(b"CLASS")
            && w[5..].iter().all(u8::is_ascii_digit))
}

/// A TTL: seconds, or BIND's units (`1w2d3h4m5s`, any case).
pub(super) fn ttl_of(w: &[u8]) -> Option<u32> {
    if w.is_empty() {
        return None;
    }
    if w.iter().all(u8::is_ascii_digit) {
        return std::str::from_utf8(w).ok()?.parse().ok();
    }
    let mut total: u64 = 0;
    let mut n: Option<u64> = None;
    for &c in w {
        if c.is_ascii_digit() {
            n = Some(
                n.unwrap_or(0)
                    .checked_mul(10)?
                    .checked_add((c - b'0') as u64)?,
            );
            continue;
        }
        let unit = match c.to_ascii_lowercase() {
            b's' => 1,
            b'm' => 60,
            b'h' => 3600,
            b'd' => 86400,
            b'w' => 604800,
            _ => return None,
        };
        total = total.checked_add(n.take()?.checked_mul(unit)?)?;
    }
    if let Some(rest) = n {
        total = total.checked_add(rest)?;
    }
    u32::try_from(total).ok()
}

/// Appends the octets of a character string, `\X` and `\DDD` escapes resolved (RFC 1035 §5.1).
pub(super) fn unescape(w: &[u8], out: &mut Vec<u8>) -> Result<(), &'static str> {
    let mut i = 0;
    while i < w.len() {
        if w[i] == b'\\' {
            let d = w
                .get(i + 1..i + 4)
                .filter(|d| d.iter().all(u8::is_ascii_digit));
            if let Some(d) = d {
                let v =
                    (d[0] - b'0') as u32 * 100 + (d[1] - b'0') as u32 * 10 + (d[2] - b'0') as u32;
                out.push(u8::try_from(v).map_err(|_| "escape \\DDD above 255")?);
                i += 4;
            } else {
                out.push(*w.get(i + 1).ok_or("`\\` at the end of a string")?);
                i += 2;
            }
        } else {
            out.push(w[i]);
            i += 1;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_reads_as_std_does() {
        for t in [
            "192.0.2.1",
            "0.0.0.0",
            "255.255.255.255",
            "256.1.1.1",
            "01.2.3.4",
            "1.2.3",
            "1.2.3.4.5",
            "1..2.3",
            "1.2.3.",
            ".1.2.3",
            "a.b.c.d",
            "",
            "1.2.3.4 ",
            "10.0.0.00",
        ] {
            let std = t.parse::<std::net::Ipv4Addr>().ok().map(|a| a.octets());
            assert_eq!(ipv4(t.as_bytes()), std, "{t}");
        }
    }
}
