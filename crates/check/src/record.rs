//! The records the rules look at, whatever they came from: a zone file (with its line), the plan, or live DNS.

use std::net::IpAddr;

use lyncdns_dnsdata::rdata::{Record, RecordData};
use lyncdns_dnsdata::zonefile::{self, ZoneFileError};
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

/// Reads zone files (syntax only; the rules report the rest).
pub fn from_files(paths: &[std::path::PathBuf]) -> Result<Vec<Rec>, ZoneFileError> {
    let mut out = Vec::new();
    for path in paths {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ZoneFileError::Read {
            path: shown.clone(),
            source,
        })?;
        for (record, line) in zonefile::scan(&text, &shown)? {
            out.push(Rec::new(
                record,
                Origin {
                    file: shown.clone(),
                    line,
                },
            ));
        }
    }
    Ok(out)
}
