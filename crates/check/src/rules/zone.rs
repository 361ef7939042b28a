//! The rules about one zone file as a whole, as named-checkzone and kzonecheck apply them: an SOA at the origin
//! (LD016), NS records at the apex (LD017), no data outside the zone (LD018). They look at one file's records
//! with the origin the file was read with, which a dataset of many files no longer has.

use lyncdns_dnsdata::rdata::RecordData;
use lyncdns_dnsdata::zonefile::ZoneFileError;
use lyncdns_lync::naming::is_below;

use super::{Finding, finding};
use crate::record::{Origin, Rec};

/// The zone-level findings of one file read with `origin` (lowercase, no trailing dot).
pub fn zone_file(file: &str, origin: &str, records: &[Rec]) -> Vec<Finding> {
    let mut out = Vec::new();
    let at_file = Origin {
        file: file.to_owned(),
        line: 0,
    };
    let at_apex = |r: &&Rec| r.owner == origin;
    if !records
        .iter()
        .filter(at_apex)
        .any(|r| matches!(r.data, RecordData::Soa { .. }))
    {
        out.push(finding(
            "LD016",
            format!("the zone {origin} has no SOA record at its apex"),
            None,
            Some(&at_file),
        ));
    }
    if !records
        .iter()
        .filter(at_apex)
        .any(|r| matches!(r.data, RecordData::Ns { .. }))
    {
        out.push(finding(
            "LD017",
            format!("the zone {origin} has no NS records at its apex"),
            None,
            Some(&at_file),
        ));
    }
    for r in records {
        if r.owner != origin && !is_below(&r.owner, origin) {
            out.push(finding(
                "LD018",
                format!(
                    "`{} {}` is outside the zone {origin}: servers ignore it",
                    r.owner,
                    r.data.rtype()
                ),
                None,
                Some(&r.origin),
            ));
        }
    }
    out
}

/// A syntax error of a zone file as an LD015 finding, located at its file and line.
pub fn syntax_finding(e: &ZoneFileError) -> Finding {
    let (file, line, message) = match e {
        ZoneFileError::Syntax { path, position } => {
            // `position` is `line:column: message`.
            let mut parts = position.splitn(3, ':');
            let line = parts
                .next()
                .and_then(|l| l.trim().parse().ok())
                .unwrap_or(0);
            let _column = parts.next();
            let message = parts.next().map(str::trim).unwrap_or(position).to_owned();
            (path.clone(), line, message)
        }
        other => (String::new(), 0, other.to_string()),
    };
    finding(
        "LD015",
        message,
        None,
        Some(&Origin { file, line }).filter(|o| !o.file.is_empty()),
    )
}
