//! The master-file reader (RFC 1035 §5): entries, directives, owners, TTL and class, and the RDATA of the
//! common types; every other type goes to [`super::fallback`].

use super::ZoneFileError;
use super::lexer::{At, Token, at, fast_type, ipv4, is_class, ttl_of, unescape};
use crate::types::Rtype;

/// One record as read, in buffers reused from record to record.
#[derive(Debug, Default)]
pub(super) struct Parsed {
    pub(super) owner: Vec<u8>,
    pub(super) rtype: Rtype,
    pub(super) ttl: u32,
    pub(super) rdata: Vec<u8>,
}

/// The type Windows DNS gives its WINS lookup record internally (`DNS_TYPE_WINS`); never on the wire.
pub(super) const WINS: Rtype = Rtype(0xff01);
/// The type of Windows DNS's WINS-R (reverse WINS lookup) record (`DNS_TYPE_WINSR`).
pub(super) const WINSR: Rtype = Rtype(0xff02);

/// What the reader stopped at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Entry {
    /// A record, read into the scratch buffers; the line it starts on.
    Record(usize),
    /// `$INCLUDE file [origin]` (RFC 1035 §5.1), for the caller to read or refuse.
    Include {
        /// The file as written.
        file: String,
        /// The origin given for it, if any.
        origin: Option<Vec<u8>>,
        /// The directive's line.
        line: usize,
    },
}

/// Buffers reused from entry to entry: no allocation per record.
#[derive(Debug, Default)]
pub(super) struct Scratch {
    pub(super) record: Parsed,
    pub(super) tokens: Vec<Token>,
}

/// The master-file reader (RFC 1035 §5): entries of whitespace-separated tokens, `;` comments, `"` strings with
/// `\` escapes, `( )` continuing an entry over lines, `$ORIGIN`, `$TTL` (RFC 2308 §4), a blank owner repeating the
/// previous one, TTL and class in either order. The common types (A, AAAA, NS, CNAME, PTR, MX, SRV, TXT, SOA)
/// are read here, in one pass without allocation; every other type, and RFC 3597 `\#` data, is handed to
/// NLnet Labs' `domain` scanner one entry at a time, so that the whole presentation format of every type it
/// knows is accepted.
pub(super) struct Reader<'t> {
    pub(super) text: &'t [u8],
    pub(super) path: &'t str,
    pub(super) pos: usize,
    pub(super) line: usize,
    pub(super) line_start: usize,
    pub(super) origin: Option<Vec<u8>>,
    pub(super) default_ttl: Option<u32>,
    pub(super) last_ttl: Option<u32>,
    pub(super) last_owner: Option<Vec<u8>>,
    /// Started in the middle of the text, in a guessed state (see [`parse_bytes`]).
    pub(super) speculative: bool,
    /// A record without TTL came before any `$TTL` or explicit TTL of this (speculative) reader.
    pub(super) needed_earlier_ttl: bool,
}

impl<'t> Reader<'t> {
    pub(super) fn new(text: &'t [u8], path: &'t str) -> Self {
        Reader {
            text,
            path,
            pos: 0,
            line: 1,
            line_start: 0,
            origin: None,
            default_ttl: None,
            last_ttl: None,
            last_owner: None,
            speculative: false,
            needed_earlier_ttl: false,
        }
    }

    pub(super) fn error(&self, e: At) -> ZoneFileError {
        ZoneFileError::Syntax {
            path: self.path.to_owned(),
            position: format!("{}:{}: {}", e.line, e.col, e.message),
        }
    }

    /// Reads entries up to the next record into `s.record`, or up to an `$INCLUDE`; `None` at the end.
    pub(super) fn next_record(&mut self, s: &mut Scratch) -> Result<Option<Entry>, ZoneFileError> {
        loop {
            if self.pos >= self.text.len() {
                return Ok(None);
            }
            let blank_owner = matches!(self.text[self.pos], b' ' | b'\t');
            let first_line = self.line;
            self.tokens(&mut s.tokens).map_err(|e| self.error(e))?;
            let Some(first) = s.tokens.first().copied() else {
                continue;
            };
            let word = &self.text[first.start..first.end];
            if !blank_owner && !first.quoted && word.first() == Some(&b'$') {
                if word.eq_ignore_ascii_case(b"$INCLUDE") {
                    return self.include(&s.tokens).map(Some).map_err(|e| self.error(e));
                }
                self.directive(&s.tokens).map_err(|e| self.error(e))?;
                continue;
            }
            let line = first.line.max(first_line);
            self.record(blank_owner, &s.tokens, &mut s.record)
                .map_err(|e| self.error(e))?;
            return Ok(Some(Entry::Record(line)));
        }
    }

    pub(super) fn directive(&mut self, tokens: &[Token]) -> Result<(), At> {
        let d = &tokens[0];
        let word = self.word(d);
        let arg = tokens.get(1);
        if word.eq_ignore_ascii_case(b"$ORIGIN") {
            let t = arg.ok_or_else(|| at(d, "$ORIGIN needs a name"))?;
            let mut wire = Vec::new();
            self.name(t, &mut wire)?;
            if let Some(extra) = tokens.get(2) {
                return Err(at(extra, "unexpected token after $ORIGIN's name"));
            }
            self.origin = Some(wire);
        } else if word.eq_ignore_ascii_case(b"$TTL") {
            let t = arg.ok_or_else(|| at(d, "$TTL needs a value"))?;
            let ttl = ttl_of(self.word(t)).ok_or_else(|| at(t, "invalid TTL"))?;
            if let Some(extra) = tokens.get(2) {
                return Err(at(extra, "unexpected token after $TTL's value"));
            }
            self.default_ttl = Some(ttl);
        } else {
            return Err(at(
                d,
                format!("unknown directive `{}`", String::from_utf8_lossy(word)),
            ));
        }
        Ok(())
    }

    /// `$INCLUDE <file> [<origin>]`: the file as written and its origin, made absolute here.
    fn include(&self, tokens: &[Token]) -> Result<Entry, At> {
        let d = &tokens[0];
        let file = tokens
            .get(1)
            .ok_or_else(|| at(d, "$INCLUDE needs a file name"))?;
        let origin = match tokens.get(2) {
            Some(t) => {
                let mut wire = Vec::new();
                self.name(t, &mut wire)?;
                Some(wire)
            }
            None => None,
        };
        if let Some(extra) = tokens.get(3) {
            return Err(at(extra, "unexpected token after $INCLUDE's origin"));
        }
        Ok(Entry::Include {
            file: String::from_utf8_lossy(self.word(file)).into_owned(),
            origin,
            line: d.line,
        })
    }

    /// Reads a domain name token into `out` (lowercase wire), relative names completed with `$ORIGIN`.
    pub(super) fn name(&self, t: &Token, out: &mut Vec<u8>) -> Result<(), At> {
        out.clear();
        let w = self.word(t);
        if t.quoted {
            return Err(at(t, "a domain name cannot be a quoted string"));
        }
        if w == b"@" {
            let origin = self
                .origin
                .as_ref()
                .ok_or_else(|| at(t, "`@` without $ORIGIN"))?;
            out.extend_from_slice(origin);
            return Ok(());
        }
        if w == b"." {
            out.push(0);
            return Ok(());
        }
        // Written into a buffer on the stack, then copied once (this runs for every owner of a large file).
        let mut buf = [0u8; 256];
        let mut n = 1usize; // octets written; buf[label_at] is the current label's length
        let mut label_at = 0usize;
        let mut i = 0;
        let mut absolute = false;
        while i < w.len() {
            let b = match w[i] {
                b'.' => {
                    let len = n - label_at - 1;
                    if len == 0 {
                        return Err(at(t, "empty label"));
                    }
                    buf[label_at] = len as u8;
                    i += 1;
                    if i == w.len() {
                        absolute = true;
                        break;
                    }
                    if n >= 255 {
                        return Err(at(t, "name longer than 255 octets"));
                    }
                    label_at = n;
                    n += 1;
                    continue;
                }
                b'\\' => {
                    let d = w
                        .get(i + 1..i + 4)
                        .filter(|d| d.iter().all(u8::is_ascii_digit));
                    if let Some(d) = d {
                        let v = (d[0] - b'0') as u32 * 100
                            + (d[1] - b'0') as u32 * 10
                            + (d[2] - b'0') as u32;
                        i += 4;
                        u8::try_from(v).map_err(|_| at(t, "escape \\DDD above 255"))?
                    } else {
                        let c = *w
                            .get(i + 1)
                            .ok_or_else(|| at(t, "`\\` at the end of a name"))?;
                        i += 2;
                        c
                    }
                }
                c => {
                    i += 1;
                    c
                }
            };
            if n - label_at > 63 {
                return Err(at(t, "label longer than 63 octets"));
            }
            if n >= 255 {
                return Err(at(t, "name longer than 255 octets"));
            }
            buf[n] = b.to_ascii_lowercase();
            n += 1;
        }
        if absolute {
            out.extend_from_slice(&buf[..n]);
            out.push(0);
        } else {
            let len = n - label_at - 1;
            if len == 0 {
                return Err(at(t, "empty label"));
            }
            buf[label_at] = len as u8;
            let origin = self
                .origin
                .as_ref()
                .ok_or_else(|| at(t, "relative name without $ORIGIN"))?;
            out.extend_from_slice(&buf[..n]);
            out.extend_from_slice(origin);
        }
        if out.len() > 255 {
            return Err(at(t, "name longer than 255 octets"));
        }
        Ok(())
    }

    pub(super) fn record(
        &mut self,
        blank_owner: bool,
        tokens: &[Token],
        rec: &mut Parsed,
    ) -> Result<(), At> {
        let mut i = 0;
        if blank_owner {
            let prev = self
                .last_owner
                .as_ref()
                .ok_or_else(|| at(&tokens[0], "the first record has no owner"))?;
            rec.owner.clear();
            rec.owner.extend_from_slice(prev);
        } else {
            let mut owner = std::mem::take(&mut rec.owner);
            self.name(&tokens[0], &mut owner)?;
            rec.owner = owner;
            i = 1;
            match &mut self.last_owner {
                Some(last) => {
                    last.clear();
                    last.extend_from_slice(&rec.owner);
                }
                None => self.last_owner = Some(rec.owner.clone()),
            }
        }
        // TTL and class, in either order, both optional (RFC 1035 §5.1).
        let mut ttl = None;
        let mut class_seen = false;
        let type_token = loop {
            let t = tokens.get(i).ok_or_else(|| {
                at(
                    tokens.last().unwrap_or(&tokens[0]),
                    "the record has no type",
                )
            })?;
            let w = self.word(t);
            i += 1;
            if w.len() > 2 && w[0] == b'[' && w[w.len() - 1] == b']' && !t.quoted {
                // A Windows DNS export attribute (`[AGING:3702514]` on a dynamically registered record, from
                // `dnscmd /ZoneExport`): not DNS data, skipped.
            } else if ttl.is_none() && w.first().is_some_and(u8::is_ascii_digit) {
                ttl = Some(ttl_of(w).ok_or_else(|| at(t, "invalid TTL"))?);
            } else if !class_seen && is_class(w) {
                if !w.eq_ignore_ascii_case(b"IN") {
                    let class = String::from_utf8_lossy(w).to_uppercase();
                    return Err(at(t, format!("class {class}; only IN is served")));
                }
                class_seen = true;
            } else {
                break t;
            }
        };
        rec.ttl = match ttl {
            Some(t) => {
                self.last_ttl = Some(t);
                t
            }
            // Without one: $TTL (RFC 2308 §4), else the last TTL given (RFC 1035 §5.1), else one hour (as
            // `domain`'s scanner does).
            None => {
                if self.speculative && self.default_ttl.is_none() && self.last_ttl.is_none() {
                    self.needed_earlier_ttl = true;
                }
                self.default_ttl.or(self.last_ttl).unwrap_or(3600)
            }
        };
        let data = &tokens[i..];
        let tw = self.word(type_token);
        rec.rdata.clear();
        let generic = data
            .first()
            .is_some_and(|t| !t.quoted && self.word(t) == b"\\#");
        if !generic && (tw.eq_ignore_ascii_case(b"WINS") || tw.eq_ignore_ascii_case(b"WINSR")) {
            // Windows DNS's WINS lookup records (`dnscmd /ZoneExport` writes them at the apex): a server
            // setting stored as a record, never sent on the wire. Marked, for the callers to skip or refuse.
            rec.rtype = if tw.len() == 4 { WINS } else { WINSR };
            return Ok(());
        }
        let known = if generic { None } else { fast_type(tw) };
        match known {
            Some(t) => {
                rec.rtype = t;
                self.rdata(t, type_token, data, &mut rec.rdata)
            }
            None => self.fallback(type_token, data, rec),
        }
    }

    /// The RDATA of the types read here.
    pub(super) fn rdata(
        &self,
        t: Rtype,
        type_token: &Token,
        data: &[Token],
        out: &mut Vec<u8>,
    ) -> Result<(), At> {
        let last = data.last().unwrap_or(type_token);
        let need = |n: usize| -> Result<(), At> {
            if data.len() < n {
                Err(at(last, format!("{} needs {n} fields", t)))
            } else if data.len() > n && t != Rtype::TXT {
                Err(at(&data[n], "unexpected token"))
            } else {
                Ok(())
            }
        };
        let mut name_buf = Vec::new();
        match t {
            Rtype::A => {
                need(1)?;
                let a = ipv4(self.word(&data[0]))
                    .ok_or_else(|| at(&data[0], "invalid IPv4 address"))?;
                out.extend_from_slice(&a);
            }
            Rtype::AAAA => {
                need(1)?;
                let a: std::net::Ipv6Addr = std::str::from_utf8(self.word(&data[0]))
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| at(&data[0], "invalid IPv6 address"))?;
                out.extend_from_slice(&a.octets());
            }
            Rtype::NS | Rtype::CNAME | Rtype::PTR => {
                need(1)?;
                self.name(&data[0], &mut name_buf)?;
                out.extend_from_slice(&name_buf);
            }
            Rtype::MX => {
                need(2)?;
                out.extend_from_slice(&self.u16_of(&data[0])?.to_be_bytes());
                self.name(&data[1], &mut name_buf)?;
                out.extend_from_slice(&name_buf);
            }
            Rtype::SRV => {
                need(4)?;
                for d in &data[..3] {
                    out.extend_from_slice(&self.u16_of(d)?.to_be_bytes());
                }
                self.name(&data[3], &mut name_buf)?;
                out.extend_from_slice(&name_buf);
            }
            Rtype::SOA => {
                need(7)?;
                self.name(&data[0], &mut name_buf)?;
                out.extend_from_slice(&name_buf);
                self.name(&data[1], &mut name_buf)?;
                out.extend_from_slice(&name_buf);
                let serial = std::str::from_utf8(self.word(&data[2]))
                    .ok()
                    .and_then(|s| s.parse::<u32>().ok())
                    .ok_or_else(|| at(&data[2], "invalid serial"))?;
                out.extend_from_slice(&serial.to_be_bytes());
                for d in &data[3..7] {
                    let v = ttl_of(self.word(d)).ok_or_else(|| at(d, "invalid time value"))?;
                    out.extend_from_slice(&v.to_be_bytes());
                }
            }
            Rtype::TXT => {
                if data.is_empty() {
                    return Err(at(type_token, "TXT needs at least one string"));
                }
                for d in data {
                    let len_at = out.len();
                    out.push(0);
                    unescape(self.word(d), out).map_err(|m| at(d, m))?;
                    let len = out.len() - len_at - 1;
                    if len > 255 {
                        return Err(at(d, "character string longer than 255 octets"));
                    }
                    out[len_at] = len as u8;
                }
            }
            _ => unreachable!("fast_type returns only the types handled here"),
        }
        if out.len() > 65535 {
            return Err(at(last, "record data longer than 65535 octets"));
        }
        Ok(())
    }

    pub(super) fn u16_of(&self, t: &Token) -> Result<u16, At> {
        std::str::from_utf8(self.word(t))
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| at(t, "expected a number from 0 to 65535"))
    }
}
