//! The records the rules look at, whatever they came from: a zone file (with its line), the plan, or live DNS.

use std::net::IpAddr;

use lyncdns_dnsdata::rdata::{Record, RecordData};
use lyncdns_dnsdata::zonefile::{self, OriginFrom, ZoneFileError};
use lyncdns_model::Location;
use serde::Serialize;

/// Where a record was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Origin {
    /// File path, or `dns` for live answers.
    pub file: String,
    /// 1-based line (0 when not from a file).
    pub line: usize,
}

/// One record, lowercase owner without trailing dot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rec {
    /// Owner.
    pub owner: String,
    /// Data.
    pub data: RecordData,
    /// Where it came from.
    pub origin: Origin,
}

/// The records of one view (or one set of files) and, when known, whether its clients are inside or outside.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    /// Inside or outside, when known.
    pub location: Option<Location>,
    /// The records.
    pub records: Vec<Rec>,
}

impl Rec {
    /// A record found at `origin`.
    pub fn new(record: Record, origin: Origin) -> Rec {
        Rec {
            owner: record.owner,
            data: record.data,
            origin,
        }
    }
}

impl Dataset {
    /// Addresses of `name` (A and AAAA).
    pub fn addresses(&self, name: &str) -> Vec<IpAddr> {
        self.records
            .iter()
            .filter(|r| r.owner == name)
            .filter_map(|r| r.data.address())
            .collect()
    }

    /// Whether `name` owns a CNAME.
    pub fn is_alias(&self, name: &str) -> bool {
        self.records
            .iter()
            .any(|r| r.owner == name && matches!(r.data, RecordData::Cname { .. }))
    }
}

/// One zone file as the linter reads it: leniently, every syntax error kept (see
/// [`lyncdns_dnsdata::zonefile::scan_text`]).
#[derive(Debug)]
pub struct ZoneFile {
    /// The path, as shown in findings.
    pub path: String,
    /// The origin the file was read with, if one was found.
    pub origin: Option<String>,
    /// Where the origin came from.
    pub origin_from: Option<OriginFrom>,
    /// The records read, each with its file and line.
    pub records: Vec<Rec>,
    /// Every syntax error, in file order.
    pub syntax: Vec<ZoneFileError>,
    /// Windows WINS / WINS-R records skipped.
    pub skipped_wins: usize,
}

/// Reads the zone file at `path`, with `origin` if given (else `$ORIGIN`, an absolute SOA owner, or the file
/// name). Only an unreadable file is an error; syntax errors are in the result.
pub fn read_zone_file(
    path: &std::path::Path,
    origin: Option<&str>,
) -> Result<ZoneFile, ZoneFileError> {
    let scanned = zonefile::scan_file(path, origin)?;
    Ok(ZoneFile::new(path.display().to_string(), scanned))
}

impl ZoneFile {
    /// The file `path` as scanned.
    pub fn new(path: String, scanned: zonefile::Scanned) -> ZoneFile {
        ZoneFile {
            path,
            origin: scanned.origin,
            origin_from: scanned.origin_from,
            records: scanned
                .records
                .into_iter()
                .map(|f| {
                    Rec::new(
                        f.record,
                        Origin {
                            file: f.file,
                            line: f.line,
                        },
                    )
                })
                .collect(),
            syntax: scanned.errors,
            skipped_wins: scanned.skipped_wins,
        }
    }
}

impl ZoneFile {
    /// A zone as transferred from `server` (`axfr://127.0.0.1:53`), linted exactly as a file of it would be:
    /// the zone is the origin, and each record is located as `axfr://SERVER/ZONE: OWNER TYPE` (a transfer has no
    /// lines).
    pub fn from_transfer(server: &str, zone: &lyncdns_dnsdata::transfer::Transferred) -> ZoneFile {
        let path = format!("{server}/{}", zone.zone);
        ZoneFile {
            records: zone
                .records
                .iter()
                .map(|r| {
                    Rec::new(
                        r.clone(),
                        Origin {
                            file: format!("{path}: {} {}", r.owner, r.data.rtype()),
                            line: 0,
                        },
                    )
                })
                .collect(),
            path,
            origin: Some(zone.zone.clone()),
            origin_from: None,
            syntax: Vec::new(),
            skipped_wins: 0,
        }
    }
}
