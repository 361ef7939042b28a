//! RFC 1035 master files, read into a [`Zone`] by our own one-pass reader (the common types) and NLnet Labs'
//! `domain` scanner (every other type, one entry at a time).
//!
//! The file's first record must be the SOA of its apex; every record must be of class IN and lie at or below
//! the apex. `$INCLUDE` is refused (a served file must be self-contained, so a reload cannot half-read a set).
//!
//! The reader is hand-written because it is a measured fast path (a million-record zone is read in about a
//! third of a second; `docs/benchmarks.md`); it is property-tested against `domain`'s scanner, the reference.
//! By job:
//! - `lexer`: tokens and the field scanners;
//! - `reader`: entries, directives and the RDATA of the common types;
//! - `fallback`: every other type, through `domain`'s scanner;
//! - `split`: two threads for a large file;
//! - `scan`: the linter's lenient read (origin from an option or the file name, `$INCLUDE`, Windows export
//!   syntax, every error reported).

mod fallback;
mod lexer;
mod reader;
mod scan;
mod split;

pub use scan::{Found, OriginFrom, Scanned, scan, scan_file, scan_text, scan_wire};

use std::path::Path;

use crate::name;
use crate::record::{Records, Source, Zone};
use crate::types::Rtype;
use reader::{Entry, Reader, Scratch};

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
    split::parse(&text, &shown, Source::File(path.to_owned()))
}

/// Reads a master file from text (`origin` names it in errors).
pub fn parse_text(text: &str, origin: &str) -> Result<Zone, ZoneFileError> {
    split::parse(text.as_bytes(), origin, Source::Text(origin.to_owned()))
}

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
    split::parse(text, path, Source::Text(path.to_owned()))
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
        let line = match reader.next_record(scratch)? {
            None => break,
            Some(Entry::Record(line)) => line,
            Some(Entry::Include { line, .. }) => {
                return Err(ZoneFileError::Syntax {
                    path: path.to_owned(),
                    position: format!(
                        "{line}:1: $INCLUDE is not supported in a served zone file (a reload must not half-read a set of files); put the records in the file itself"
                    ),
                });
            }
        };
        n += 1;
        let rec = &scratch.record;
        if rec.rtype == reader::WINS || rec.rtype == reader::WINSR {
            return Err(ZoneFileError::Syntax {
                path: path.to_owned(),
                position: format!(
                    "{line}:1: a Windows WINS record is a Windows DNS server setting, not DNS data; remove it"
                ),
            });
        }
        match apex {
            None => {
                if rec.rtype != Rtype::SOA {
                    return Err(ZoneFileError::NoSoaFirst {
                        path: path.to_owned(),
                        found: rec.rtype.to_string(),
                        owner: name::to_text(&rec.owner),
                    });
                }
                *apex = Some(rec.owner.clone());
            }
            Some(a) => {
                if rec.rtype == Rtype::SOA {
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
        let srv = z.records.iter().find(|r| r.rtype == Rtype::SRV).unwrap();
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
