//! [`RecordData`], the one type for a record's data that the planner, the linter, the checker and the client
//! simulator share, and [`Record`], an owned record with a text owner name.
//!
//! Names are kept in presentation form without the trailing dot (`sip.example.com`), lowercase when they come
//! from the wire or a zone file. The types the Lync rules reason about have their own variants; every other
//! type is [`RecordData::Other`], its uncompressed wire data kept as it is (RFC 3597).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::Serialize;

use crate::name;
use crate::types::Rtype;

/// The data of one resource record.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "type", rename_all = "UPPERCASE")]
pub enum RecordData {
    /// Start of authority (RFC 1035 §3.3.13).
    Soa {
        /// Primary name server.
        mname: String,
        /// Responsible mailbox, as a name.
        rname: String,
        /// Serial.
        serial: u32,
        /// Refresh interval.
        refresh: u32,
        /// Retry interval.
        retry: u32,
        /// Expiry.
        expire: u32,
        /// Negative-caching TTL (RFC 2308).
        minimum: u32,
    },
    /// Name server.
    Ns {
        /// The server's name.
        target: String,
    },
    /// IPv4 address.
    A {
        /// The address.
        address: Ipv4Addr,
    },
    /// IPv6 address.
    Aaaa {
        /// The address.
        address: Ipv6Addr,
    },
    /// Alias.
    Cname {
        /// The canonical name.
        target: String,
    },
    /// Service location (RFC 2782).
    Srv {
        /// Lower is preferred.
        priority: u16,
        /// Share among equal priorities.
        weight: u16,
        /// Port.
        port: u16,
        /// Target host (never an alias, RFC 2782).
        target: String,
    },
    /// Any other type: its uncompressed wire data (RFC 3597 §4).
    #[serde(rename = "OTHER")]
    Other {
        /// The type.
        rtype: Rtype,
        /// The data as on the wire, names uncompressed.
        #[serde(serialize_with = "generic_rdata")]
        rdata: Vec<u8>,
    },
}

/// A record with a text owner name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Record {
    /// Owner, without the trailing dot.
    pub owner: String,
    /// Time to live, in seconds.
    pub ttl: u32,
    /// The data.
    #[serde(flatten)]
    pub data: RecordData,
}

/// Why wire data cannot be read as the given type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed {rtype} record data ({len} octets)")]
pub struct RdataError {
    /// The type.
    pub rtype: Rtype,
    /// The data's length.
    pub len: usize,
}

impl RecordData {
    /// The record type.
    pub fn rtype(&self) -> Rtype {
        match self {
            RecordData::Soa { .. } => Rtype::SOA,
            RecordData::Ns { .. } => Rtype::NS,
            RecordData::A { .. } => Rtype::A,
            RecordData::Aaaa { .. } => Rtype::AAAA,
            RecordData::Cname { .. } => Rtype::CNAME,
            RecordData::Srv { .. } => Rtype::SRV,
            RecordData::Other { rtype, .. } => *rtype,
        }
    }

    /// The name this record points at (NS, CNAME and SRV targets).
    pub fn target(&self) -> Option<&str> {
        match self {
            RecordData::Ns { target }
            | RecordData::Cname { target }
            | RecordData::Srv { target, .. } => Some(target),
            _ => None,
        }
    }

    /// The address of an A or AAAA record.
    pub fn address(&self) -> Option<IpAddr> {
        match self {
            RecordData::A { address } => Some(IpAddr::V4(*address)),
            RecordData::Aaaa { address } => Some(IpAddr::V6(*address)),
            _ => None,
        }
    }

    /// An A or AAAA record for `address`.
    pub fn of_address(address: IpAddr) -> RecordData {
        match address {
            IpAddr::V4(address) => RecordData::A { address },
            IpAddr::V6(address) => RecordData::Aaaa { address },
        }
    }

    /// Reads uncompressed wire data of type `rtype` (names in it lowercase or not; they are shown lowercase).
    pub fn from_wire(rtype: Rtype, rdata: &[u8]) -> Result<RecordData, RdataError> {
        let bad = || RdataError {
            rtype,
            len: rdata.len(),
        };
        // A name that fills `data` exactly.
        let whole_name = |data: &[u8]| -> Result<String, RdataError> {
            match name::split_first(data) {
                Some((n, [])) => Ok(name::to_text(&n.to_ascii_lowercase())),
                _ => Err(bad()),
            }
        };
        Ok(match rtype {
            Rtype::A => RecordData::A {
                address: <[u8; 4]>::try_from(rdata).map_err(|_| bad())?.into(),
            },
            Rtype::AAAA => RecordData::Aaaa {
                address: <[u8; 16]>::try_from(rdata).map_err(|_| bad())?.into(),
            },
            Rtype::NS => RecordData::Ns {
                target: whole_name(rdata)?,
            },
            Rtype::CNAME => RecordData::Cname {
                target: whole_name(rdata)?,
            },
            Rtype::SRV if rdata.len() > 6 => RecordData::Srv {
                priority: u16::from_be_bytes([rdata[0], rdata[1]]),
                weight: u16::from_be_bytes([rdata[2], rdata[3]]),
                port: u16::from_be_bytes([rdata[4], rdata[5]]),
                target: whole_name(&rdata[6..])?,
            },
            Rtype::SOA => {
                let (mname, rest) = name::split_first(rdata).ok_or_else(bad)?;
                let (rname, rest) = name::split_first(rest).ok_or_else(bad)?;
                let n: [u8; 20] = rest.try_into().map_err(|_| bad())?;
                let at = |i: usize| u32::from_be_bytes([n[i], n[i + 1], n[i + 2], n[i + 3]]);
                RecordData::Soa {
                    mname: name::to_text(&mname.to_ascii_lowercase()),
                    rname: name::to_text(&rname.to_ascii_lowercase()),
                    serial: at(0),
                    refresh: at(4),
                    retry: at(8),
                    expire: at(12),
                    minimum: at(16),
                }
            }
            Rtype::SRV => return Err(bad()),
            other => RecordData::Other {
                rtype: other,
                rdata: rdata.to_vec(),
            },
        })
    }

    /// The uncompressed wire form, names lowercase.
    ///
    /// # Errors
    /// A name that is not a valid domain name.
    pub fn to_wire(&self) -> Result<Vec<u8>, name::NameError> {
        let mut out = Vec::new();
        match self {
            RecordData::Soa {
                mname,
                rname,
                serial,
                refresh,
                retry,
                expire,
                minimum,
            } => {
                out.extend_from_slice(&name::from_text(mname)?);
                out.extend_from_slice(&name::from_text(rname)?);
                for n in [serial, refresh, retry, expire, minimum] {
                    out.extend_from_slice(&n.to_be_bytes());
                }
            }
            RecordData::Ns { target } | RecordData::Cname { target } => {
                out.extend_from_slice(&name::from_text(target)?);
            }
            RecordData::A { address } => out.extend_from_slice(&address.octets()),
            RecordData::Aaaa { address } => out.extend_from_slice(&address.octets()),
            RecordData::Srv {
                priority,
                weight,
                port,
                target,
            } => {
                for n in [priority, weight, port] {
                    out.extend_from_slice(&n.to_be_bytes());
                }
                out.extend_from_slice(&name::from_text(target)?);
            }
            RecordData::Other { rdata, .. } => out.extend_from_slice(rdata),
        }
        Ok(out)
    }
}

impl fmt::Display for RecordData {
    /// The data in master-file presentation, names absolute with a trailing dot; other types in the generic
    /// form `\# <length> <hex>` (RFC 3597 §5).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordData::Soa {
                mname,
                rname,
                serial,
                refresh,
                retry,
                expire,
                minimum,
            } => write!(
                f,
                "{mname}. {rname}. {serial} {refresh} {retry} {expire} {minimum}"
            ),
            RecordData::Ns { target } | RecordData::Cname { target } => write!(f, "{target}."),
            RecordData::A { address } => write!(f, "{address}"),
            RecordData::Aaaa { address } => write!(f, "{address}"),
            RecordData::Srv {
                priority,
                weight,
                port,
                target,
            } => write!(f, "{priority} {weight} {port} {target}."),
            RecordData::Other { rdata, .. } => f.write_str(&generic(rdata)),
        }
    }
}

impl fmt::Display for Record {
    /// `owner. TTL IN TYPE data`, one master-file line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}. {} IN {} {}",
            self.owner.trim_end_matches('.'),
            self.ttl,
            self.data.rtype(),
            self.data
        )
    }
}

/// RFC 3597 §5's generic presentation: `\# <length> <hex>`.
fn generic(rdata: &[u8]) -> String {
    let mut s = format!("\\# {}", rdata.len());
    if !rdata.is_empty() {
        s.push(' ');
        for b in rdata {
            s.push_str(&format!("{b:02x}"));
        }
    }
    s
}

fn generic_rdata<S: serde::Serializer>(rdata: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&generic(rdata))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_round_trip_for_every_variant() {
        let all = [
            RecordData::Soa {
                mname: "ns1.example.com".into(),
                rname: "hostmaster.example.com".into(),
                serial: 7,
                refresh: 3600,
                retry: 600,
                expire: 86400,
                minimum: 300,
            },
            RecordData::Ns {
                target: "ns1.example.com".into(),
            },
            RecordData::A {
                address: Ipv4Addr::new(192, 0, 2, 1),
            },
            RecordData::Aaaa {
                address: "2001:db8::1".parse().unwrap(),
            },
            RecordData::Cname {
                target: "pool.example.com".into(),
            },
            RecordData::Srv {
                priority: 0,
                weight: 5,
                port: 5061,
                target: "sip.example.com".into(),
            },
            RecordData::Other {
                rtype: Rtype::TXT,
                rdata: b"\x05hello".to_vec(),
            },
        ];
        for d in all {
            let wire = d.to_wire().unwrap();
            assert_eq!(RecordData::from_wire(d.rtype(), &wire), Ok(d));
        }
    }

    #[test]
    fn malformed_wire_data_is_an_error_not_a_panic() {
        assert!(RecordData::from_wire(Rtype::A, &[1, 2, 3]).is_err());
        assert!(RecordData::from_wire(Rtype::SRV, &[0, 0, 0, 0, 0]).is_err());
        assert!(RecordData::from_wire(Rtype::CNAME, &[3, b'a', b'b']).is_err());
        assert!(RecordData::from_wire(Rtype::SOA, &[0, 0, 1, 2]).is_err());
    }

    #[test]
    fn presentation() {
        let srv = RecordData::Srv {
            priority: 0,
            weight: 0,
            port: 5061,
            target: "sip.example.com".into(),
        };
        assert_eq!(srv.to_string(), "0 0 5061 sip.example.com.");
        let other = RecordData::Other {
            rtype: Rtype(65280),
            rdata: vec![0xab, 0x01],
        };
        assert_eq!(other.to_string(), "\\# 2 ab01");
        let rec = Record {
            owner: "_sip._tls.example.com".into(),
            ttl: 3600,
            data: srv,
        };
        assert_eq!(
            rec.to_string(),
            "_sip._tls.example.com. 3600 IN SRV 0 0 5061 sip.example.com."
        );
    }
}
