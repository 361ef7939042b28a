//! The records the rules look at, whatever they came from: a zone file (with its line), the plan, or live DNS.

use std::net::IpAddr;

use lyncdns_dnsserver::name;
use lyncdns_dnsserver::record::{RData, Rr, rtype};
use lyncdns_model::Location;
use serde::Serialize;

/// Record data the rules understand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type")]
pub enum Data {
    /// A or AAAA.
    Address {
        /// The address.
        address: IpAddr,
    },
    /// CNAME.
    Cname {
        /// Target.
        target: String,
    },
    /// SRV.
    Srv {
        /// Priority.
        priority: u16,
        /// Weight.
        weight: u16,
        /// Port.
        port: u16,
        /// Target.
        target: String,
    },
    /// Anything else (type mnemonic).
    Other {
        /// The type.
        rtype: String,
    },
}

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
    pub data: Data,
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
    /// Converts a wire record.
    pub fn from_rr(rr: &Rr, origin: Origin) -> Rec {
        let data = match (&rr.rdata, rr.rtype) {
            (RData::Raw(raw), rtype::A) if raw.len() == 4 => Data::Address {
                address: IpAddr::from([raw[0], raw[1], raw[2], raw[3]]),
            },
            (RData::Raw(raw), rtype::AAAA) if raw.len() == 16 => {
                let mut b = [0u8; 16];
                b.copy_from_slice(raw);
                Data::Address {
                    address: IpAddr::from(b),
                }
            }
            (RData::Name(n), rtype::CNAME) => Data::Cname {
                target: name::to_text(n),
            },
            (RData::Raw(raw), rtype::SRV) if raw.len() > 6 => Data::Srv {
                priority: u16::from_be_bytes([raw[0], raw[1]]),
                weight: u16::from_be_bytes([raw[2], raw[3]]),
                port: u16::from_be_bytes([raw[4], raw[5]]),
                target: name::to_text(&raw[6..]),
            },
            (_, t) => Data::Other {
                rtype: rtype::name(t),
            },
        };
        Rec {
            owner: name::to_text(&rr.owner),
            data,
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
            .filter_map(|r| {
                if let Data::Address { address } = r.data {
                    Some(address)
                } else {
                    None
                }
            })
            .collect()
    }

    /// Whether `name` owns a CNAME.
    pub fn is_alias(&self, name: &str) -> bool {
        self.records
            .iter()
            .any(|r| r.owner == name && matches!(r.data, Data::Cname { .. }))
    }
}

/// Reads zone files (syntax only; the rules report the rest).
pub fn from_files(
    paths: &[std::path::PathBuf],
) -> Result<Vec<Rec>, lyncdns_dnsserver::zonefile::ZoneFileError> {
    let mut out = Vec::new();
    for path in paths {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| {
            lyncdns_dnsserver::zonefile::ZoneFileError::Read {
                path: shown.clone(),
                source,
            }
        })?;
        for (rr, line) in lyncdns_dnsserver::zonefile::scan(&text, &shown)? {
            out.push(Rec::from_rr(
                &rr,
                Origin {
                    file: shown.clone(),
                    line,
                },
            ));
        }
    }
    Ok(out)
}
