//! RFC 1035 master files, read into a [`Zone`] by our own one-pass reader (the common types) and NLnet Labs'
//! `domain` scanner (every other type, one entry at a time).
//!
//! The file's first record must be the SOA of its apex; every record must be of class IN and lie at or below
//! the apex. `$INCLUDE` is refused (a served file must be self-contained, so a reload cannot half-read a set).

use std::path::Path;

use domain::base::ToName;
use domain::rdata::ZoneRecordData;
use domain::zonefile::inplace::{Entry, Zonefile};

use crate::name;
use crate::record::{Records, Rr, RrRef, Zone, rtype};

/// Why a master file cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum ZoneFileError {
    /// The file cannot be read.
    #[error("{path}: cannot read: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// An entry is not valid master-file syntax.
    #[error("{path}:{position}")]
    Syntax {
        /// The file.
        path: String,
        /// `line:column: message`.
        position: String,
    },
    /// The file holds no records.
    #[error("{path}: no records; a zone file starts with the SOA record of its apex")]
    Empty {
        /// The file.
        path: String,
    },
    /// The first record is not an SOA.
    #[error("{path}: the first record is {found} at {owner}, not the zone's SOA")]
    NoSoaFirst {
        /// The file.
        path: String,
        /// Type of the first record.
        found: String,
        /// Its owner.
        owner: String,
    },
    /// A second SOA.
    #[error("{path}: a second SOA record at {owner}; a zone has exactly one, at its apex")]
    SecondSoa {
        /// The file.
        path: String,
        /// Its owner.
        owner: String,
    },
    /// A record outside the zone.
    #[error("{path}: {owner} is outside the zone {apex}")]
    OutOfZone {
        /// The file.
        path: String,
        /// The record's owner.
        owner: String,
        /// The apex.
        apex: String,
    },
}

/// Reads and checks the master file at `path`.
pub fn load(path: &Path) -> Result<Zone, ZoneFileError> {
    let shown = path.display().to_string();
    let text = std::fs::read(path).map_err(|source| ZoneFileError::Read {
        path: shown.clone(),
        source,
    })?;
    parse_bytes(&text, &shown)
}

/// Reads a master file from text (`origin` names it in errors).
pub fn parse_text(text: &str, origin: &str) -> Result<Zone, ZoneFileError> {
    parse_bytes(text.as_bytes(), origin)
}

/// Files at least this large are read by two threads (see [`parse_bytes`]).
const PARALLEL_MIN: usize = 4 << 20;

/// Reads a master file: the first record must be the SOA of the apex, every other record of class IN at or
/// below it.
///
/// A large file is read by two threads: this one from the start, another from a line near the middle that
/// starts a record with an explicit owner, with the `$ORIGIN` and `$TTL` found by searching backwards from it.
/// That start is a guess, checked when both are done: the first reader must have ended exactly there, in the
/// state the second assumed (same origin and default TTL; the second never needing the TTL of a record before
/// it). If the guess was wrong, the first reader simply goes on to the end; the result is always that of one
/// sequential read.
pub fn parse_bytes(text: &[u8], path: &str) -> Result<Zone, ZoneFileError> {
    parse_split(
        text,
        path,
        (text.len() >= PARALLEL_MIN).then_some(text.len() / 2),
    )
}

/// [`parse_bytes`], with the second reader starting at the first record line after `split_from`, if any.
fn parse_split(text: &[u8], path: &str, split_from: Option<usize>) -> Result<Zone, ZoneFileError> {
    let mut records = Records::with_capacity(text.len() / 24, text.len());
    let mut reader = Reader::new(text, path);
    let mut scratch = Scratch::default();
    // The first record, the SOA, gives the apex.
    let mut apex: Option<Vec<u8>> = None;
    read_records(
        &mut reader,
        &mut scratch,
        &mut records,
        &mut apex,
        Some(1),
        usize::MAX,
    )?;
    let Some(apex) = apex else {
        return Err(ZoneFileError::Empty {
            path: path.to_owned(),
        });
    };
    let split = split_from.and_then(|from| split_point(text, from.max(reader.pos)));
    let second = split.and_then(|at| speculate(text, path, at));
    let mut known_apex = Some(apex.clone());
    let mut finished = false;
    if let Some(mut b) = second {
        let (start, origin_guess, ttl_guess) = (b.pos, b.origin.clone(), b.default_ttl);
        let (mine, (theirs, needed_earlier_ttl)) = std::thread::scope(|scope| {
            let mut apex_b = Some(apex.clone());
            let handle = scope.spawn(move || {
                let rest = text.len() - b.pos;
                let mut recs = Records::with_capacity(rest / 24, rest);
                let mut scratch = Scratch::default();
                let result = read_records(
                    &mut b,
                    &mut scratch,
                    &mut recs,
                    &mut apex_b,
                    None,
                    usize::MAX,
                );
                (result.map(|()| recs), b.needed_earlier_ttl)
            });
            let mine = read_records(
                &mut reader,
                &mut scratch,
                &mut records,
                &mut known_apex,
                None,
                start,
            );
            // A panic in the other reader is a bug of ours; it is raised here, on the caller's thread.
            let theirs = handle
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p));
            (mine, theirs)
        });
        mine?;
        let guessed_right = reader.pos == start
            && reader.origin == origin_guess
            && reader.default_ttl == ttl_guess
            && !needed_earlier_ttl;
        if guessed_right {
            records
                .append(&theirs?)
                .map_err(|e| ZoneFileError::Syntax {
                    path: path.to_owned(),
                    position: format!("{}:1: {e}", reader.line),
                })?;
            finished = true;
        } else {
            tracing::debug!(
                file = path,
                "parallel read: the guessed start did not hold; reading on"
            );
        }
    }
    if !finished {
        read_records(
            &mut reader,
            &mut scratch,
            &mut records,
            &mut known_apex,
            None,
            usize::MAX,
        )?;
    }
    Ok(Zone {
        apex,
        records,
        source: path.to_owned(),
    })
}

/// Reads records into `records` until the end, or `limit` records, or until the reader stands at or past `stop`
/// between entries. `apex` is `None` until the SOA, the first record, has been read.
fn read_records(
    reader: &mut Reader<'_>,
    scratch: &mut Scratch,
    records: &mut Records,
    apex: &mut Option<Vec<u8>>,
    limit: Option<usize>,
    stop: usize,
) -> Result<(), ZoneFileError> {
    let path = reader.path;
    let mut n = 0;
    while reader.pos < stop && limit.is_none_or(|l| n < l) {
        let Some(line) = reader.next_record(scratch)? else {
            break;
        };
        n += 1;
        let rec = &scratch.record;
        match apex {
            None => {
                if rec.rtype != rtype::SOA {
                    return Err(ZoneFileError::NoSoaFirst {
                        path: path.to_owned(),
                        found: rtype::name(rec.rtype),
                        owner: name::to_text(&rec.owner),
                    });
                }
                *apex = Some(rec.owner.clone());
            }
            Some(a) => {
                if rec.rtype == rtype::SOA {
                    return Err(ZoneFileError::SecondSoa {
                        path: path.to_owned(),
                        owner: name::to_text(&rec.owner),
                    });
                }
                if !name::is_within(&rec.owner, a) {
                    return Err(ZoneFileError::OutOfZone {
                        path: path.to_owned(),
                        owner: name::to_text(&rec.owner),
                        apex: name::to_text(a),
                    });
                }
            }
        }
        records
            .push(&rec.owner, rec.rtype, rec.ttl, &rec.rdata)
            .map_err(|e| ZoneFileError::Syntax {
                path: path.to_owned(),
                position: format!("{line}:1: {e}"),
            })?;
    }
    Ok(())
}

/// A line start at or after `from` that looks like the start of a record with an explicit owner.
fn split_point(text: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    for _ in 0..1000 {
        let nl = memchr::memchr(b'\n', text.get(at..)?)? + at;
        let start = nl + 1;
        match text.get(start) {
            Some(c)
                if !matches!(
                    c,
                    b' ' | b'\t' | b'\r' | b'\n' | b';' | b'$' | b'(' | b')' | b'"'
                ) =>
            {
                return Some(start);
            }
            Some(_) => at = start,
            None => return None,
        }
    }
    None
}

/// A reader for the text from `at`, in the state the last `$ORIGIN` and `$TTL` before it would leave, if they
/// can be read on their own (an absolute origin).
fn speculate<'t>(text: &'t [u8], path: &'t str, at: usize) -> Option<Reader<'t>> {
    let before = &text[..at];
    let directive = |word: &[u8]| -> Option<Option<Vec<Token>>> {
        // The last line of `before` that starts with `word`.
        let mut finder_end = before.len();
        loop {
            let hit = memchr::memmem::rfind(&before[..finder_end], word)?;
            if hit == 0 || before[hit - 1] == b'\n' {
                let end = memchr::memchr(b'\n', &text[hit..]).map_or(text.len(), |e| hit + e);
                let mut r = Reader::new(&text[..end], path);
                r.pos = hit;
                let mut tokens = Vec::new();
                r.tokens(&mut tokens).ok()?;
                return Some(Some(tokens));
            }
            finder_end = hit;
        }
    };
    let mut b = Reader::new(text, path);
    if let Some(Some(tokens)) = directive(b"$ORIGIN") {
        let t = tokens.get(1)?;
        if !b.word(t).ends_with(b".") {
            return None;
        }
        let mut o = Vec::new();
        b.name(t, &mut o).ok()?;
        b.origin = Some(o);
    }
    if let Some(Some(tokens)) = directive(b"$TTL") {
        b.default_ttl = Some(ttl_of(b.word(tokens.get(1)?))?);
    }
    b.pos = at;
    b.line_start = at;
    b.line = 1 + memchr::memchr_iter(b'\n', before).count();
    b.speculative = true;
    Some(b)
}

/// Scans every record of a master file with the line it starts on, checking syntax only (for the linter, which
/// reports semantic problems itself instead of refusing the file).
pub fn scan(text: &str, path: &str) -> Result<Vec<(Rr, usize)>, ZoneFileError> {
    let mut reader = Reader::new(text.as_bytes(), path);
    let mut scratch = Scratch::default();
    let mut out = Vec::new();
    while let Some(line) = reader.next_record(&mut scratch)? {
        let r = &scratch.record;
        let rr = RrRef {
            owner: &r.owner,
            rtype: r.rtype,
            ttl: r.ttl,
            rdata: &r.rdata,
        }
        .to_rr();
        out.push((rr, line));
    }
    Ok(out)
}

/// One record as read, in buffers reused from record to record.
#[derive(Debug, Default)]
struct Parsed {
    owner: Vec<u8>,
    rtype: u16,
    ttl: u32,
    rdata: Vec<u8>,
}

/// Buffers reused from entry to entry: no allocation per record.
#[derive(Debug, Default)]
struct Scratch {
    record: Parsed,
    tokens: Vec<Token>,
}

/// The octets that end an unquoted token.
static DELIMITER: [bool; 256] = {
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
struct Token {
    start: usize,
    end: usize,
    quoted: bool,
    line: usize,
    col: usize,
}

/// The master-file reader (RFC 1035 §5): entries of whitespace-separated tokens, `;` comments, `"` strings with
/// `\` escapes, `( )` continuing an entry over lines, `$ORIGIN`, `$TTL` (RFC 2308 §4), a blank owner repeating the
/// previous one, TTL and class in either order. The common types (A, AAAA, NS, CNAME, PTR, MX, SRV, TXT, SOA)
/// are read here, in one pass without allocation; every other type, and RFC 3597 `\#` data, is handed to
/// NLnet Labs' `domain` scanner one entry at a time, so that the whole presentation format of every type it
/// knows is accepted.
struct Reader<'t> {
    text: &'t [u8],
    path: &'t str,
    pos: usize,
    line: usize,
    line_start: usize,
    origin: Option<Vec<u8>>,
    default_ttl: Option<u32>,
    last_ttl: Option<u32>,
    last_owner: Option<Vec<u8>>,
    /// Started in the middle of the text, in a guessed state (see [`parse_bytes`]).
    speculative: bool,
    /// A record without TTL came before any `$TTL` or explicit TTL of this (speculative) reader.
    needed_earlier_ttl: bool,
}

/// A syntax error at a place.
struct At {
    line: usize,
    col: usize,
    message: String,
}

fn at(t: &Token, message: impl Into<String>) -> At {
    At {
        line: t.line,
        col: t.col,
        message: message.into(),
    }
}

impl<'t> Reader<'t> {
    fn new(text: &'t [u8], path: &'t str) -> Self {
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

    fn error(&self, e: At) -> ZoneFileError {
        ZoneFileError::Syntax {
            path: self.path.to_owned(),
            position: format!("{}:{}: {}", e.line, e.col, e.message),
        }
    }

    /// Reads entries up to the next record into `s.record`; returns the line it starts on, or `None` at the end.
    fn next_record(&mut self, s: &mut Scratch) -> Result<Option<usize>, ZoneFileError> {
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
                self.directive(&s.tokens).map_err(|e| self.error(e))?;
                continue;
            }
            let line = first.line.max(first_line);
            self.record(blank_owner, &s.tokens, &mut s.record)
                .map_err(|e| self.error(e))?;
            return Ok(Some(line));
        }
    }

    /// Splits the next entry into tokens (comments and parentheses removed).
    fn tokens(&mut self, out: &mut Vec<Token>) -> Result<(), At> {
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

    fn word(&self, t: &Token) -> &'t [u8] {
        &self.text[t.start..t.end]
    }

    fn directive(&mut self, tokens: &[Token]) -> Result<(), At> {
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
        } else if word.eq_ignore_ascii_case(b"$INCLUDE") {
            return Err(at(
                d,
                "$INCLUDE is not supported; put the records in the file itself",
            ));
        } else {
            return Err(at(
                d,
                format!("unknown directive `{}`", String::from_utf8_lossy(word)),
            ));
        }
        Ok(())
    }

    /// Reads a domain name token into `out` (lowercase wire), relative names completed with `$ORIGIN`.
    fn name(&self, t: &Token, out: &mut Vec<u8>) -> Result<(), At> {
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

    fn record(&mut self, blank_owner: bool, tokens: &[Token], rec: &mut Parsed) -> Result<(), At> {
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
            if ttl.is_none() && w.first().is_some_and(u8::is_ascii_digit) {
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
    fn rdata(
        &self,
        t: u16,
        type_token: &Token,
        data: &[Token],
        out: &mut Vec<u8>,
    ) -> Result<(), At> {
        let last = data.last().unwrap_or(type_token);
        let need = |n: usize| -> Result<(), At> {
            if data.len() < n {
                Err(at(last, format!("{} needs {n} fields", rtype::name(t))))
            } else if data.len() > n && t != rtype::TXT {
                Err(at(&data[n], "unexpected token"))
            } else {
                Ok(())
            }
        };
        let mut name_buf = Vec::new();
        match t {
            rtype::A => {
                need(1)?;
                let a = ipv4(self.word(&data[0]))
                    .ok_or_else(|| at(&data[0], "invalid IPv4 address"))?;
                out.extend_from_slice(&a);
            }
            rtype::AAAA => {
                need(1)?;
                let a: std::net::Ipv6Addr = std::str::from_utf8(self.word(&data[0]))
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| at(&data[0], "invalid IPv6 address"))?;
                out.extend_from_slice(&a.octets());
            }
            rtype::NS | rtype::CNAME | rtype::PTR => {
                need(1)?;
                self.name(&data[0], &mut name_buf)?;
                out.extend_from_slice(&name_buf);
            }
            rtype::MX => {
                need(2)?;
                out.extend_from_slice(&self.u16_of(&data[0])?.to_be_bytes());
                self.name(&data[1], &mut name_buf)?;
                out.extend_from_slice(&name_buf);
            }
            rtype::SRV => {
                need(4)?;
                for d in &data[..3] {
                    out.extend_from_slice(&self.u16_of(d)?.to_be_bytes());
                }
                self.name(&data[3], &mut name_buf)?;
                out.extend_from_slice(&name_buf);
            }
            rtype::SOA => {
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
            rtype::TXT => {
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

    fn u16_of(&self, t: &Token) -> Result<u16, At> {
        std::str::from_utf8(self.word(t))
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| at(t, "expected a number from 0 to 65535"))
    }

    /// Any other type: the entry, made absolute, read by `domain`'s scanner.
    fn fallback(&self, type_token: &Token, data: &[Token], rec: &mut Parsed) -> Result<(), At> {
        let mut entry = String::new();
        if let Some(o) = &self.origin {
            entry.push_str(&format!(
                "$ORIGIN {}.\n",
                name::to_text(o).trim_end_matches('.')
            ));
        }
        entry.push_str(&format!("{}. {} IN ", text_name(&rec.owner), rec.ttl));
        entry.push_str(&String::from_utf8_lossy(self.word(type_token)));
        for d in data {
            entry.push(' ');
            if d.quoted {
                entry.push('"');
            }
            entry.push_str(&String::from_utf8_lossy(self.word(d)));
            if d.quoted {
                entry.push('"');
            }
        }
        entry.push('\n');
        let mut zf = Zonefile::with_capacity(entry.len());
        zf.extend_from_slice(entry.as_bytes());
        // `domain` 0.12.3 can panic on some malformed character strings (an index past its buffer, found by our
        // property tests): a bad file must give an error, never take the server down.
        let scanned = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| zf.next_entry()))
            .map_err(|_| at(type_token, "the record data cannot be read"))?;
        let scanned = match scanned {
            Ok(Some(Entry::Record(r))) => r,
            Ok(_) => return Err(at(type_token, "not a record")),
            Err(e) => {
                // The scanner's own position is in the rebuilt entry; the message is what matters.
                let shown = e.to_string();
                let message = shown
                    .splitn(3, ':')
                    .nth(2)
                    .map(str::trim)
                    .unwrap_or(&shown)
                    .to_owned();
                let t = data.first().unwrap_or(type_token);
                return Err(at(t, message));
            }
        };
        rec.rtype = scanned.rtype().to_int();
        match scanned.data() {
            ZoneRecordData::Cname(c) => wire_into(c.cname(), &mut rec.rdata),
            ZoneRecordData::Ns(n) => wire_into(n.nsdname(), &mut rec.rdata),
            ZoneRecordData::Ptr(p) => wire_into(p.ptrdname(), &mut rec.rdata),
            ZoneRecordData::Mx(mx) => {
                rec.rdata.extend_from_slice(&mx.preference().to_be_bytes());
                wire_into(mx.exchange(), &mut rec.rdata);
            }
            ZoneRecordData::Srv(srv) => {
                for n in [srv.priority(), srv.weight(), srv.port()] {
                    rec.rdata.extend_from_slice(&n.to_be_bytes());
                }
                wire_into(srv.target(), &mut rec.rdata);
            }
            ZoneRecordData::Soa(soa) => {
                wire_into(soa.mname(), &mut rec.rdata);
                wire_into(soa.rname(), &mut rec.rdata);
                for n in [
                    soa.serial().into_int(),
                    soa.refresh().as_secs(),
                    soa.retry().as_secs(),
                    soa.expire().as_secs(),
                    soa.minimum().as_secs(),
                ] {
                    rec.rdata.extend_from_slice(&n.to_be_bytes());
                }
            }
            other => domain::base::rdata::ComposeRecordData::compose_rdata(other, &mut rec.rdata)
                .map_err(|_| at(type_token, "record data too long"))?,
        }
        if rec.rdata.len() > 65535 {
            return Err(at(type_token, "record data longer than 65535 octets"));
        }
        Ok(())
    }
}

/// An absolute name in presentation form with every octet that is not a letter, digit, `-`, `_` or `*` escaped.
fn text_name(wire: &[u8]) -> String {
    let t = name::to_text(wire);
    if t == "." { String::new() } else { t }
}

/// Appends the lowercase wire form of `n`.
fn wire_into(n: &impl ToName, out: &mut Vec<u8>) {
    for label in n.iter_labels() {
        let bytes: &[u8] = label.as_ref();
        out.push(bytes.len() as u8);
        out.extend(bytes.iter().map(u8::to_ascii_lowercase));
    }
}

/// A dotted-quad IPv4 address, as `std` reads one (four decimal octets, no leading zeros), without the UTF-8
/// check and the general parser (the A records of a large zone are most of its lines).
fn ipv4(w: &[u8]) -> Option<[u8; 4]> {
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
fn fast_type(w: &[u8]) -> Option<u16> {
    let t = match w.len() {
        1 if w.eq_ignore_ascii_case(b"A") => rtype::A,
        2 if w.eq_ignore_ascii_case(b"NS") => rtype::NS,
        2 if w.eq_ignore_ascii_case(b"MX") => rtype::MX,
        3 if w.eq_ignore_ascii_case(b"SRV") => rtype::SRV,
        3 if w.eq_ignore_ascii_case(b"TXT") => rtype::TXT,
        3 if w.eq_ignore_ascii_case(b"SOA") => rtype::SOA,
        3 if w.eq_ignore_ascii_case(b"PTR") => rtype::PTR,
        4 if w.eq_ignore_ascii_case(b"AAAA") => rtype::AAAA,
        5 if w.eq_ignore_ascii_case(b"CNAME") => rtype::CNAME,
        _ => return None,
    };
    Some(t)
}

fn is_class(w: &[u8]) -> bool {
    [b"IN" as &[u8], b"CH", b"HS", b"CS"]
        .iter()
        .any(|c| w.eq_ignore_ascii_case(c))
        || (w.len() > 5
            && w[..5].eq_ignore_ascii_case(b"CLASS")
            && w[5..].iter().all(u8::is_ascii_digit))
}

/// A TTL: seconds, or BIND's units (`1w2d3h4m5s`, any case).
fn ttl_of(w: &[u8]) -> Option<u32> {
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
fn unescape(w: &[u8], out: &mut Vec<u8>) -> Result<(), &'static str> {
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
    fn reads_a_zone() {
        let z = parse_text(
            "$ORIGIN example.test.\n$TTL 300\n@ IN SOA ns h 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n_sip._tls SRV 0 0 443 sip\nsip A 192.0.2.2\nwww CNAME sip\n*.w TXT \"hi\"\n",
            "t.zone",
        )
        .unwrap();
        assert_eq!(z.apex, name::from_text("example.test").unwrap());
        assert_eq!(z.records.len(), 7);
        let srv = z.records.iter().find(|r| r.rtype == rtype::SRV).unwrap();
        assert_eq!(
            srv.target(),
            Some(&name::from_text("sip.example.test").unwrap()[..])
        );
    }

    #[test]
    fn a_free_standing_at_sign_is_the_origin_in_rdata_too() {
        let z = parse_text(
            "$ORIGIN example.test.\n@ 60 IN SOA @ h 1 2 3 4 5\n@ 60 MX 10 @\n",
            "t.zone",
        )
        .unwrap();
        let mx = z.records.get(1);
        assert_eq!(
            &mx.rdata[2..],
            &name::from_text("example.test").unwrap()[..]
        );
    }

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

    /// Every place the second reader could start gives the records (or the error) of one sequential read.
    #[test]
    fn a_split_read_equals_a_sequential_one_wherever_it_starts() {
        let texts = [
            // Plain, with $TTL.
            "$ORIGIN example.test.\n$TTL 60\n@ IN SOA ns h 1 2 3 4 5\nns A 192.0.2.1\na A 192.0.2.2\nb 30 A 192.0.2.3\n  AAAA ::1\nc CNAME a\n".to_owned(),
            // No $TTL: records without TTL take the last one given.
            "$ORIGIN example.test.\n@ 100 IN SOA ns h 1 2 3 4 5\na A 192.0.2.2\nb 7 A 192.0.2.3\nc A 192.0.2.4\nd A 192.0.2.5\n".to_owned(),
            // A relative $ORIGIN and a $TTL change in the middle.
            "$ORIGIN example.test.\n@ 100 IN SOA ns h 1 2 3 4 5\na A 192.0.2.2\n$ORIGIN sub\nb A 192.0.2.3\n$TTL 5\nc A 192.0.2.4\n$ORIGIN example.test.\nd A 192.0.2.5\n".to_owned(),
            // Entries over several lines, with parentheses, quotes and comments that look like record lines.
            "$ORIGIN example.test.\n@ 100 IN SOA ns h (\n1 2\n3 4 5 )\nt TXT ( \"x\"\ny.z A 1.2.3.4\n\"w\" )\nq TXT \"a\nb A 1.1.1.1\"\nr A 192.0.2.9 ; (\ns A 192.0.2.10\n".to_owned(),
            // An error after the middle: the same error, at the same line.
            "$ORIGIN example.test.\n@ 100 IN SOA ns h 1 2 3 4 5\na A 192.0.2.2\nb A 192.0.2.3\nc A 300.0.2.4\nd A 192.0.2.5\n".to_owned(),
        ];
        for text in &texts {
            let sequential = parse_split(text.as_bytes(), "t.zone", None);
            for from in 0..text.len() {
                let split = parse_split(text.as_bytes(), "t.zone", Some(from));
                match (&sequential, &split) {
                    (Ok(a), Ok(b)) => assert_eq!(a, b, "split from {from}:\n{text}"),
                    (Err(a), Err(b)) => {
                        assert_eq!(a.to_string(), b.to_string(), "split from {from}")
                    }
                    _ => panic!("split from {from}: {sequential:?} vs {split:?}\n{text}"),
                }
            }
        }
    }

    #[test]
    fn scan_gives_the_line_each_record_starts_on() {
        let text = "$ORIGIN x.test.\n; comment\n@ IN SOA ns h (\n  1 2 3\n  4 5 )\n\nwww A 192.0.2.1 ; note ( not a paren\nq TXT \"a;b\" (\n \"c\" )\n  A 192.0.2.2\n";
        let lines: Vec<usize> = scan(text, "t")
            .unwrap()
            .into_iter()
            .map(|(_, l)| l)
            .collect();
        assert_eq!(lines, [3, 7, 8, 10]);
    }

    #[test]
    fn errors_name_the_file_and_place() {
        let e = parse_text(
            "$ORIGIN example.test.\n@ 300 IN SOA ns h 1 2 3 4 5\nx 300 IN A 300.1.1.1\n",
            "t.zone",
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("t.zone:3:"), "{e}");
        let e = parse_text("$ORIGIN example.test.\nx 300 IN A 192.0.2.1\n", "t.zone").unwrap_err();
        assert!(matches!(e, ZoneFileError::NoSoaFirst { .. }), "{e}");
        let e = parse_text(
            "$ORIGIN example.test.\n@ 300 IN SOA ns h 1 2 3 4 5\nx.other. 300 IN A 192.0.2.1\n",
            "t.zone",
        )
        .unwrap_err();
        assert!(matches!(e, ZoneFileError::OutOfZone { .. }), "{e}");
    }
}
