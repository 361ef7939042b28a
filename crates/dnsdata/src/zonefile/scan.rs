//! The linter's read of a master file: lenient where a served file is strict, because it must read what admins
//! actually have and report everything wrong in one run.
//!
//! - The origin comes from the caller (`lint --origin`), else the file's own `$ORIGIN`, else an absolute SOA owner
//!   on the first record, else the file name (`lyncdude.net.dns` as Windows DNS names its files, `db.lyncdude.net`
//!   and `lyncdude.net.zone` as BIND admins do): BIND takes the origin from `named.conf` and Windows' exports carry
//!   none, so most real files have no `$ORIGIN`.
//! - `$INCLUDE file [origin]` is read, relative to the including file (RFC 1035 §5.1), to a depth of 8.
//! - Windows DNS export syntax is accepted: `[AGING:n]` attributes are skipped, WINS and WINS-R records (a Windows
//!   server setting, never DNS data) are skipped and counted.
//! - A syntax error does not stop the read: every one is reported, and reading goes on with the next entry.
//!
//! Nothing here checks zone-level semantics (SOA first, in-zone data, CNAME and other data): the linter's rules
//! report those with the records' lines.

use std::path::{Path, PathBuf};

use super::ZoneFileError;
use super::reader::{Entry, Reader, Scratch, WINS, WINSR};
use crate::name;
use crate::rdata::{Record, RecordData};
use crate::record::{Records, RrRef};

/// How deep `$INCLUDE` may nest (a file including itself is an error, not a hang).
const MAX_INCLUDE_DEPTH: usize = 8;

/// The largest file read (a zone of ten million records is ~400 MB): an `$INCLUDE` of `/dev/zero` or of a huge
/// file is an error, not an endless read.
const MAX_FILE: u64 = 1 << 30;

/// Reads a zone file that is a regular file of at most [`MAX_FILE`] octets.
fn read_bounded(path: &Path) -> std::io::Result<String> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    if meta.len() > MAX_FILE {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!(
                "{} octets, more than the {MAX_FILE} a zone file may have",
                meta.len()
            ),
        ));
    }
    std::fs::read_to_string(path)
}

/// Where the origin of a scanned file came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OriginFrom {
    /// Given by the caller.
    Given,
    /// The file's first entry is an `$ORIGIN`, or every name in it is absolute.
    File,
    /// The owner of the first record, an absolute SOA owner.
    SoaOwner,
    /// Guessed from the file name.
    FileName,
    /// None could be found: relative names are errors.
    Unknown,
}

/// One record found, with the file and line it was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The record.
    pub record: Record,
    /// The file it was read from (an `$INCLUDE`d file names itself).
    pub file: String,
    /// The line it starts on, from 1.
    pub line: usize,
}

/// Everything read from a file.
#[derive(Debug, Default)]
pub struct Scanned {
    /// The records, in file order.
    pub records: Vec<Found>,
    /// Every syntax error, in file order.
    pub errors: Vec<ZoneFileError>,
    /// The origin used at the start of the file (text form), if any.
    pub origin: Option<String>,
    /// Where it came from.
    pub origin_from: Option<OriginFrom>,
    /// Windows WINS / WINS-R records skipped.
    pub skipped_wins: usize,
}

/// Scans `text` (named `path` in messages; `$INCLUDE` is read relative to `path`'s folder).
pub fn scan_text(text: &str, path: &str, origin: Option<&str>) -> Scanned {
    let mut out = Scanned::default();
    let (start, from) = match origin {
        Some(o) => match name::from_text(o) {
            Ok(w) => (Some(w), OriginFrom::Given),
            Err(e) => {
                out.errors.push(ZoneFileError::Syntax {
                    path: path.to_owned(),
                    position: format!("0:0: the origin given, `{o}`, is not a domain name: {e}"),
                });
                return out;
            }
        },
        None => guess_origin(text, path),
    };
    out.origin = start.as_deref().map(name::to_text);
    out.origin_from = Some(from);
    if from == OriginFrom::File {
        // The file sets its own origin: report the one in effect at its first record.
        out.origin = first_record(text, path, None)
            .1
            .as_deref()
            .map(name::to_text);
    }
    read_into(text, path, start, 0, &mut out);
    out
}

/// Reads and scans the file at `path` (see [`scan_text`]).
pub fn scan_file(path: &Path, origin: Option<&str>) -> Result<Scanned, ZoneFileError> {
    let shown = path.display().to_string();
    let text = read_bounded(path).map_err(|source| ZoneFileError::Read {
        path: shown.clone(),
        source,
    })?;
    Ok(scan_text(&text, &shown, origin))
}

/// Scans every record of a master file with the line it starts on, stopping at the first syntax error (the
/// strict form of [`scan_text`], with no origin but the file's own).
///
/// Data that our reader or `domain` accepted but that is not valid for its type (a truncated SRV read as
/// RFC 3597 `\#` data, say) is kept as [`RecordData::Other`], so the linter still sees the record.
pub fn scan(text: &str, path: &str) -> Result<Vec<(Record, usize)>, ZoneFileError> {
    let (records, lines) = scan_wire(text, path)?;
    Ok(records
        .iter()
        .zip(lines)
        .map(|(r, line)| (to_record(r), line))
        .collect())
}

/// [`scan`] in wire form: every record as read, and the line each starts on.
pub fn scan_wire(text: &str, path: &str) -> Result<(Records, Vec<usize>), ZoneFileError> {
    let mut reader = Reader::new(text.as_bytes(), path);
    let mut scratch = Scratch::default();
    let mut records = Records::default();
    let mut lines = Vec::new();
    while let Some(entry) = reader.next_record(&mut scratch)? {
        let Entry::Record(line) = entry else {
            return Err(ZoneFileError::Syntax {
                path: path.to_owned(),
                position: "0:0: $INCLUDE needs the lenient scan (scan_text)".into(),
            });
        };
        let r = &scratch.record;
        records
            .push(&r.owner, r.rtype, r.ttl, &r.rdata)
            .map_err(|e| ZoneFileError::Syntax {
                path: path.to_owned(),
                position: format!("{line}:1: {e}"),
            })?;
        lines.push(line);
    }
    Ok((records, lines))
}

/// The record in the shared form; data not valid for its type is kept as [`RecordData::Other`].
fn to_record(r: RrRef<'_>) -> Record {
    let data = r.data().unwrap_or_else(|_| RecordData::Other {
        rtype: r.rtype,
        rdata: r.rdata.to_vec(),
    });
    Record {
        owner: name::to_text(r.owner),
        ttl: r.ttl,
        data,
    }
}

/// The origin a file needs, when none is given: none if its first record reads without one (an `$ORIGIN`
/// first, or absolute names), else an absolute SOA owner, else one guessed from the file name.
fn guess_origin(text: &str, path: &str) -> (Option<Vec<u8>>, OriginFrom) {
    if first_record(text, path, None).0 {
        return (None, OriginFrom::File);
    }
    // Read the first record again with a stand-in origin: an SOA whose owner does not end in it was written
    // absolute, and its owner is the zone.
    let stand_in = name::from_text("origin.invalid").unwrap_or_default();
    if let (true, Some(o), r) = first_record(text, path, Some(stand_in.clone()))
        && o == stand_in
        && r.rtype == crate::types::Rtype::SOA
        && !r.owner.ends_with(&stand_in)
    {
        return (Some(r.owner), OriginFrom::SoaOwner);
    }
    match origin_from_file_name(path) {
        Some(o) => (Some(o), OriginFrom::FileName),
        None => (None, OriginFrom::Unknown),
    }
}

/// Reads the first record of `text` starting from `origin`: whether it read, the origin then in effect, and the
/// record.
fn first_record(
    text: &str,
    path: &str,
    origin: Option<Vec<u8>>,
) -> (bool, Option<Vec<u8>>, super::reader::Parsed) {
    let mut reader = Reader::new(text.as_bytes(), path);
    reader.origin = origin;
    let mut scratch = Scratch::default();
    let ok = matches!(reader.next_record(&mut scratch), Ok(Some(Entry::Record(_))));
    (ok, reader.origin, scratch.record)
}

/// The zone a file's name suggests: `lyncdude.net.dns` (Windows DNS), `db.lyncdude.net`, `lyncdude.net.zone`,
/// `lyncdude.net.db` or `lyncdude.net` (BIND habits).
fn origin_from_file_name(path: &str) -> Option<Vec<u8>> {
    let base = Path::new(path).file_name()?.to_str()?;
    let stem = [".dns", ".zone", ".db", ".txt"]
        .iter()
        .find_map(|s| base.strip_suffix(s))
        .or_else(|| base.strip_prefix("db."))
        .unwrap_or(base);
    let labels: Vec<&str> = stem.split('.').collect();
    let hostname_like = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    hostname_like.then(|| name::from_text(stem).ok()).flatten()
}

/// Reads `text` into `out`, following `$INCLUDE`s; syntax errors are collected and reading goes on.
fn read_into(text: &str, path: &str, origin: Option<Vec<u8>>, depth: usize, out: &mut Scanned) {
    let mut reader = Reader::new(text.as_bytes(), path);
    reader.origin = origin;
    let mut scratch = Scratch::default();
    loop {
        let before = reader.pos;
        match reader.next_record(&mut scratch) {
            Ok(None) => return,
            Ok(Some(Entry::Record(line))) => {
                let r = &scratch.record;
                if r.rtype == WINS || r.rtype == WINSR {
                    out.skipped_wins += 1;
                    continue;
                }
                let rr = RrRef {
                    owner: &r.owner,
                    rtype: r.rtype,
                    ttl: r.ttl,
                    rdata: &r.rdata,
                };
                out.records.push(Found {
                    record: to_record(rr),
                    file: path.to_owned(),
                    line,
                });
            }
            Ok(Some(Entry::Include { file, origin, line })) => {
                let included: PathBuf = Path::new(path)
                    .parent()
                    .unwrap_or(Path::new("."))
                    .join(&file);
                let shown = included.display().to_string();
                let syntax = |message: String| ZoneFileError::Syntax {
                    path: path.to_owned(),
                    position: format!("{line}:1: {message}"),
                };
                if depth >= MAX_INCLUDE_DEPTH {
                    out.errors.push(syntax(format!(
                        "$INCLUDE {file}: nested more than {MAX_INCLUDE_DEPTH} deep (does a file include itself?)"
                    )));
                    continue;
                }
                match read_bounded(&included) {
                    Ok(inner) => {
                        // The included file starts with the origin given, else the including file's current one;
                        // the including file's own state is unchanged afterwards (RFC 1035 §5.1).
                        let inner_origin = origin.or_else(|| reader.origin.clone());
                        read_into(&inner, &shown, inner_origin, depth + 1, out);
                    }
                    Err(e) => out
                        .errors
                        .push(syntax(format!("$INCLUDE {file}: cannot read {shown}: {e}"))),
                }
            }
            Err(e) => {
                out.errors.push(e);
                // An error that consumed nothing would repeat forever: stop at it.
                if reader.pos == before {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Rtype;

    /// A Windows DNS export (`dnscmd /ZoneExport`): no `$ORIGIN`, the SOA over several lines with comments,
    /// `[AGING:n]` on dynamic records, a WINS record.
    const WINDOWS: &str = ";\n;  Database file lyncdude.net.dns for lyncdude.net zone.\n;      Zone version:  42\n;\n\n@                       IN  SOA dc1.lyncdude.net.  hostmaster.lyncdude.net. (\n                        \t\t42           ; serial number\n                        \t\t900          ; refresh\n                        \t\t600          ; retry\n                        \t\t86400        ; expire\n                        \t\t3600       ) ; default TTL\n\n@                       NS\tdc1.lyncdude.net.\n@                       WINS\tL1 C4 ( 10.0.0.9 )\n\ndc1                     A\t10.0.0.5\n_sipinternaltls._tcp    [AGING:3702514] 600 SRV\t0 0 5061\tpool01.lyncdude.net.\npool01                  [AGING:3702514] 600 A\t10.0.0.10\n";

    #[test]
    fn a_windows_export_reads_with_its_origin_from_the_file_name() {
        let s = scan_text(WINDOWS, "exports/lyncdude.net.dns", None);
        assert!(s.errors.is_empty(), "{:?}", s.errors);
        assert_eq!(s.origin.as_deref(), Some("lyncdude.net"));
        assert_eq!(s.origin_from, Some(OriginFrom::FileName));
        assert_eq!(s.skipped_wins, 1);
        let srv = s
            .records
            .iter()
            .find(|f| f.record.data.rtype() == Rtype::SRV)
            .unwrap();
        assert_eq!(srv.record.owner, "_sipinternaltls._tcp.lyncdude.net");
        assert_eq!(srv.record.ttl, 600);
        assert_eq!(srv.line, 17);
        assert_eq!(s.records.len(), 5);
    }

    #[test]
    fn the_origin_given_wins_and_file_names_are_understood() {
        let s = scan_text(WINDOWS, "x", Some("contoso.com"));
        assert_eq!(s.origin_from, Some(OriginFrom::Given));
        assert_eq!(s.records[0].record.owner, "contoso.com");
        for (file, zone) in [
            ("db.lyncdude.net", Some("lyncdude.net")),
            ("lyncdude.net.zone", Some("lyncdude.net")),
            ("/etc/bind/lyncdude.net", Some("lyncdude.net")),
            ("zonefile", None),
        ] {
            assert_eq!(
                origin_from_file_name(file)
                    .map(|w| name::to_text(&w))
                    .as_deref(),
                zone,
                "{file}"
            );
        }
    }

    #[test]
    fn an_absolute_soa_owner_is_the_origin() {
        let s = scan_text(
            "contoso.com. 3600 IN SOA ns h 1 2 3 4 5\n@ NS ns\nsip A 192.0.2.1\n",
            "t.txt",
            None,
        );
        assert!(s.errors.is_empty(), "{:?}", s.errors);
        assert_eq!(s.origin_from, Some(OriginFrom::SoaOwner));
        assert_eq!(s.records[2].record.owner, "sip.contoso.com");
    }

    #[test]
    fn every_syntax_error_is_reported_and_reading_goes_on() {
        let s = scan_text(
            "$ORIGIN example.test.\n@ SOA ns h 1 2 3 4 5\na A 300.1.1.1\nb A 192.0.2.2\nc SRV 0 0 x t\nd A 192.0.2.4\n",
            "t.zone",
            None,
        );
        let shown: Vec<String> = s.errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(shown.len(), 2, "{shown:?}");
        assert!(shown[0].starts_with("t.zone:3:"), "{shown:?}");
        assert!(shown[1].starts_with("t.zone:5:"), "{shown:?}");
        let owners: Vec<&str> = s.records.iter().map(|f| f.record.owner.as_str()).collect();
        assert_eq!(owners, ["example.test", "b.example.test", "d.example.test"]);
    }

    #[test]
    fn include_reads_relative_to_the_file_and_stops_at_a_loop() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        std::fs::write(dir.join("part.zone"), "sip A 192.0.2.7\n").unwrap();
        std::fs::write(dir.join("self.zone"), "$INCLUDE self.zone\n").unwrap();
        let main = dir.join("main.zone");
        let text = "$ORIGIN example.test.\n@ SOA ns h 1 2 3 4 5\n$INCLUDE part.zone\n$INCLUDE part.zone sub\n$INCLUDE self.zone\n$INCLUDE missing.zone\n$INCLUDE /dev/zero\n";
        let s = scan_text(text, &main.display().to_string(), None);
        let owners: Vec<&str> = s.records.iter().map(|f| f.record.owner.as_str()).collect();
        assert_eq!(
            owners,
            ["example.test", "sip.example.test", "sip.sub.example.test"]
        );
        assert!(s.records[1].file.ends_with("part.zone"));
        assert_eq!(s.records[1].line, 1);
        let shown: Vec<String> = s.errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(shown.len(), 3, "{shown:?}");
        assert!(shown[0].contains("nested more than 8"), "{shown:?}");
        assert!(shown[1].contains("missing.zone"), "{shown:?}");
        // Found by fuzzing's review: a device is refused, not read forever.
        assert!(
            shown[2].contains("/dev/zero") && shown[2].contains("not a regular file"),
            "{shown:?}"
        );
    }

    #[test]
    fn a_served_file_refuses_include_and_wins() {
        let inc = super::super::parse_text(
            "$ORIGIN example.test.\n@ SOA ns h 1 2 3 4 5\n$INCLUDE x.zone\n",
            "t.zone",
        );
        assert!(
            inc.unwrap_err()
                .to_string()
                .contains("$INCLUDE is not supported")
        );
        let wins = super::super::parse_text(
            "$ORIGIN example.test.\n@ SOA ns h 1 2 3 4 5\n@ WINS L1 C4 ( 10.0.0.9 )\n",
            "t.zone",
        );
        assert!(wins.unwrap_err().to_string().contains("WINS"));
    }
}
