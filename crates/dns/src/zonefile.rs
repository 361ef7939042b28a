//! RFC 1035 master files, read with NLnet Labs' `domain` zone-file scanner and turned into a [`Zone`].
//!
//! The file's first record must be the SOA of its apex; every record must be of class IN and lie at or below
//! the apex. `$INCLUDE` is refused (a served file must be self-contained, so a reload cannot half-read a set).

use std::path::Path;

use domain::base::ToName;
use domain::rdata::ZoneRecordData;
use domain::zonefile::inplace::{Entry, Zonefile};

use crate::name;
use crate::record::{RData, Rr, Zone, rtype};

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
    /// The scanner rejected an entry.
    #[error("{path}:{position}")]
    Syntax {
        /// The file.
        path: String,
        /// `line:column: message` from the scanner.
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
    /// A class other than IN.
    #[error("{path}: {owner} has class {class}; only IN is served")]
    Class {
        /// The file.
        path: String,
        /// The record's owner.
        owner: String,
        /// The class found.
        class: String,
    },
    /// `$INCLUDE`.
    #[error("{path}: $INCLUDE is not supported; put the records in the file itself")]
    Include {
        /// The file.
        path: String,
    },
    /// A CNAME beside other data (RFC 1034 §3.6.2).
    #[error("{path}: {owner} has a CNAME and other data")]
    CnameAndOther {
        /// The file.
        path: String,
        /// The owner.
        owner: String,
    },
}

fn wire_of(n: &impl ToName) -> Vec<u8> {
    let mut out = Vec::new();
    for label in n.iter_labels() {
        let bytes: &[u8] = label.as_ref();
        out.push(bytes.len() as u8);
        out.extend(bytes.iter().map(u8::to_ascii_lowercase));
    }
    if out.last() != Some(&0) {
        out.push(0);
    }
    out
}

/// Reads and checks the master file at `path`.
pub fn load(path: &Path) -> Result<Zone, ZoneFileError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ZoneFileError::Read {
        path: shown.clone(),
        source,
    })?;
    parse_text(&text, &shown)
}

/// Reads a master file from text (`origin` names it in errors).
pub fn parse_text(text: &str, origin: &str) -> Result<Zone, ZoneFileError> {
    let mut zonefile = Zonefile::with_capacity(text.len());
    zonefile.extend_from_slice(text.as_bytes());
    parse(zonefile, text, origin)
}

/// The line an error belongs to. The scanner reports where it stopped: after a bad last token of a line, that is
/// column 1 of the next line, so then the error belongs to the last line before it that holds a record.
fn error_line(text: &str, line: usize, column: usize) -> usize {
    if column > 1 || line <= 1 {
        return line;
    }
    let lines: Vec<&str> = text.lines().collect();
    let mut l = line - 1;
    while l > 1
        && lines
            .get(l - 1)
            .is_some_and(|t| t.trim().is_empty() || t.trim().starts_with(';'))
    {
        l -= 1;
    }
    l
}

/// The 1-based line where each record entry of a master file starts: blank, comment-only and `$` directive lines
/// are skipped, and a parenthesized entry spanning lines counts once. The scanner returns entries in this order.
pub fn entry_lines(text: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    for (i, line) in text.lines().enumerate() {
        // Strip a comment, outside quotes.
        let mut in_quotes = false;
        let mut code = String::new();
        for c in line.chars() {
            match c {
                '"' => in_quotes = !in_quotes,
                ';' if !in_quotes => break,
                _ => {}
            }
            code.push(c);
        }
        let starts_entry =
            depth == 0 && !code.trim().is_empty() && !code.trim_start().starts_with('$');
        if starts_entry {
            out.push(i + 1);
        }
        depth += code.matches('(').count() as i32 - code.matches(')').count() as i32;
        depth = depth.max(0);
    }
    out
}

/// Scans every record of a master file with the line it starts on, checking syntax only (for the linter, which
/// reports semantic problems itself instead of refusing the file).
pub fn scan(text: &str, path: &str) -> Result<Vec<(Rr, usize)>, ZoneFileError> {
    let mut zonefile = Zonefile::with_capacity(text.len());
    zonefile.extend_from_slice(text.as_bytes());
    let lines = entry_lines(text);
    let mut out = Vec::new();
    while let Some(record) = next_record(&mut zonefile, text, path)? {
        let line = lines.get(out.len()).copied().unwrap_or(0);
        out.push((to_rr(&record), line));
    }
    Ok(out)
}

/// The next record of `zonefile`; `$INCLUDE` is refused.
fn next_record(
    zonefile: &mut Zonefile,
    text: &str,
    path: &str,
) -> Result<Option<domain::zonefile::inplace::ScannedRecord>, ZoneFileError> {
    match zonefile
        .next_entry()
        .map_err(|e| syntax_error(&e.to_string(), text, path))?
    {
        None => Ok(None),
        Some(Entry::Include { .. }) => Err(ZoneFileError::Include {
            path: path.to_owned(),
        }),
        Some(Entry::Record(r)) => Ok(Some(r)),
    }
}

fn syntax_error(shown: &str, text: &str, path: &str) -> ZoneFileError {
    // The scanner says "line:column: message".
    let mut parts = shown.splitn(3, ':');
    let line = parts
        .next()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(0);
    let column = parts
        .next()
        .and_then(|c| c.trim().parse().ok())
        .unwrap_or(0);
    let message = parts.next().map(str::trim).unwrap_or(shown);
    ZoneFileError::Syntax {
        path: path.to_owned(),
        position: format!("{}: {message}", error_line(text, line, column)),
    }
}

fn to_rr(record: &domain::zonefile::inplace::ScannedRecord) -> Rr {
    let owner = wire_of(record.owner());
    let rdata = match record.data() {
        ZoneRecordData::Cname(c) => RData::Name(wire_of(c.cname())),
        ZoneRecordData::Ns(n) => RData::Name(wire_of(n.nsdname())),
        ZoneRecordData::Ptr(p) => RData::Name(wire_of(p.ptrdname())),
        ZoneRecordData::Mx(mx) => RData::Mx(mx.preference(), wire_of(mx.exchange())),
        ZoneRecordData::Soa(soa) => RData::Soa {
            mname: wire_of(soa.mname()),
            rname: wire_of(soa.rname()),
            numbers: [
                soa.serial().into_int(),
                soa.refresh().as_secs(),
                soa.retry().as_secs(),
                soa.expire().as_secs(),
                soa.minimum().as_secs(),
            ],
        },
        other => {
            let mut raw = Vec::new();
            domain::base::rdata::ComposeRecordData::compose_rdata(other, &mut raw)
                .expect("composing into a Vec cannot fail");
            RData::Raw(raw)
        }
    };
    Rr {
        owner,
        rtype: record.rtype().to_int(),
        ttl: record.ttl().as_secs(),
        rdata,
    }
}

fn parse(mut zonefile: Zonefile, text: &str, path: &str) -> Result<Zone, ZoneFileError> {
    let mut records: Vec<Rr> = Vec::new();
    let mut apex: Option<Vec<u8>> = None;
    while let Some(record) = next_record(&mut zonefile, text, path)? {
        if record.class() != domain::base::iana::Class::IN {
            let owner = name::to_text(&wire_of(record.owner()));
            return Err(ZoneFileError::Class {
                path: path.to_owned(),
                owner,
                class: record.class().to_string(),
            });
        }
        let rr = to_rr(&record);
        match &apex {
            None => {
                if rr.rtype != rtype::SOA {
                    return Err(ZoneFileError::NoSoaFirst {
                        path: path.to_owned(),
                        found: rtype::name(rr.rtype),
                        owner: name::to_text(&rr.owner),
                    });
                }
                apex = Some(rr.owner.clone());
            }
            Some(a) => {
                if rr.rtype == rtype::SOA {
                    return Err(ZoneFileError::SecondSoa {
                        path: path.to_owned(),
                        owner: name::to_text(&rr.owner),
                    });
                }
                if !name::is_within(&rr.owner, a) {
                    return Err(ZoneFileError::OutOfZone {
                        path: path.to_owned(),
                        owner: name::to_text(&rr.owner),
                        apex: name::to_text(a),
                    });
                }
            }
        }
        records.push(rr);
    }
    let apex = apex.ok_or_else(|| ZoneFileError::Empty {
        path: path.to_owned(),
    })?;
    for r in records.iter().filter(|r| r.rtype == rtype::CNAME) {
        if records
            .iter()
            .any(|o| o.owner == r.owner && o.rtype != rtype::CNAME)
        {
            return Err(ZoneFileError::CnameAndOther {
                path: path.to_owned(),
                owner: name::to_text(&r.owner),
            });
        }
    }
    Ok(Zone {
        apex,
        records,
        source: path.to_owned(),
    })
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
    fn entry_lines_skip_directives_comments_and_continuations() {
        let text = "$ORIGIN x.test.\n; comment\n@ IN SOA ns h (\n  1 2 3\n  4 5 )\n\nwww A 192.0.2.1 ; note ( not a paren\n\"q;x\" TXT \"a;b\"\n";
        assert_eq!(entry_lines(text), [3, 7, 8]);
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
        let e = parse_text("$ORIGIN example.test.\n@ 300 IN SOA ns h 1 2 3 4 5\nx 300 IN CNAME y\nx 300 IN A 192.0.2.1\n", "t.zone").unwrap_err();
        assert!(matches!(e, ZoneFileError::CnameAndOther { .. }), "{e}");
    }
}
