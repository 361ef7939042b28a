//! Resource records as the server holds them: lowercase wire owner names, and RDATA either as names that may be
//! compressed (the RFC 1035 types) or as opaque octets (everything else, RFC 3597 §4).

use lyncdns_plan::{RecordData, ZonePlan};

use crate::name;

/// Record type numbers the server treats specially.
pub mod rtype {
    /// IPv4 address.
    pub const A: u16 = 1;
    /// Name server.
    pub const NS: u16 = 2;
    /// Alias.
    pub const CNAME: u16 = 5;
    /// Start of authority.
    pub const SOA: u16 = 6;
    /// Host information (RFC 8482 answers to ANY).
    pub const HINFO: u16 = 13;
    /// Pointer.
    pub const PTR: u16 = 12;
    /// Mail exchanger.
    pub const MX: u16 = 15;
    /// Text.
    pub const TXT: u16 = 16;
    /// IPv6 address.
    pub const AAAA: u16 = 28;
    /// Service location.
    pub const SRV: u16 = 33;
    /// DNAME.
    pub const DNAME: u16 = 39;
    /// EDNS pseudo-record.
    pub const OPT: u16 = 41;
    /// Transaction signature.
    pub const TSIG: u16 = 250;
    /// Incremental transfer.
    pub const IXFR: u16 = 251;
    /// Full transfer.
    pub const AXFR: u16 = 252;
    /// Any type.
    pub const ANY: u16 = 255;

    /// The mnemonic of a type, or `TYPEnnn` (RFC 3597 §5).
    pub fn name(t: u16) -> String {
        match t {
            A => "A".into(),
            NS => "NS".into(),
            CNAME => "CNAME".into(),
            SOA => "SOA".into(),
            HINFO => "HINFO".into(),
            PTR => "PTR".into(),
            MX => "MX".into(),
            TXT => "TXT".into(),
            AAAA => "AAAA".into(),
            SRV => "SRV".into(),
            OPT => "OPT".into(),
            AXFR => "AXFR".into(),
            IXFR => "IXFR".into(),
            ANY => "ANY".into(),
            other => format!("TYPE{other}"),
        }
    }
}

/// RDATA.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RData {
    /// A single compressible name: CNAME, NS, PTR.
    Name(Vec<u8>),
    /// MX: preference and exchange.
    Mx(u16, Vec<u8>),
    /// SOA.
    Soa {
        /// Primary server.
        mname: Vec<u8>,
        /// Mailbox.
        rname: Vec<u8>,
        /// The five counters: serial, refresh, retry, expire, minimum.
        numbers: [u32; 5],
    },
    /// Any other type, as wire octets (names inside are never compressed: RFC 2782 for SRV, RFC 3597 for others).
    Raw(Vec<u8>),
}

/// One resource record of class IN.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Rr {
    /// Owner, lowercase wire format.
    pub owner: Vec<u8>,
    /// Type.
    pub rtype: u16,
    /// TTL.
    pub ttl: u32,
    /// Data.
    pub rdata: RData,
}

impl Rr {
    /// The SOA MINIMUM field, for SOA records.
    pub fn soa_minimum(&self) -> Option<u32> {
        match &self.rdata {
            RData::Soa { numbers, .. } => Some(numbers[4]),
            _ => None,
        }
    }

    /// The name this record points at, for types whose targets get additional-section addresses.
    pub fn target(&self) -> Option<&[u8]> {
        match (&self.rdata, self.rtype) {
            (RData::Name(n), rtype::NS) => Some(n),
            (RData::Mx(_, n), _) => Some(n),
            (RData::Raw(raw), rtype::SRV) => raw.get(6..),
            _ => None,
        }
    }
}

/// One zone: its apex and its records (the SOA among them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zone {
    /// Apex, lowercase wire format.
    pub apex: Vec<u8>,
    /// Records, all at or below the apex.
    pub records: Vec<Rr>,
    /// Where the zone came from (`plan` or a file path), for messages.
    pub source: String,
}

fn wire(text: &str) -> Vec<u8> {
    // Planned names come from checked host names and fixed labels: always valid.
    name::from_text(text).unwrap_or_else(|e| panic!("planned name `{text}` is invalid: {e}"))
}

impl Zone {
    /// The zone as planned.
    pub fn from_plan(zone: &ZonePlan) -> Zone {
        let records = zone
            .records
            .iter()
            .map(|r| {
                let (rtype, rdata) = match &r.data {
                    RecordData::A { address } => (rtype::A, RData::Raw(address.octets().to_vec())),
                    RecordData::Aaaa { address } => {
                        (rtype::AAAA, RData::Raw(address.octets().to_vec()))
                    }
                    RecordData::Cname { target } => (rtype::CNAME, RData::Name(wire(target))),
                    RecordData::Ns { target } => (rtype::NS, RData::Name(wire(target))),
                    RecordData::Srv {
                        priority,
                        weight,
                        port,
                        target,
                    } => {
                        let mut raw = Vec::with_capacity(6 + target.len() + 2);
                        raw.extend_from_slice(&priority.to_be_bytes());
                        raw.extend_from_slice(&weight.to_be_bytes());
                        raw.extend_from_slice(&port.to_be_bytes());
                        raw.extend_from_slice(&wire(target));
                        (rtype::SRV, RData::Raw(raw))
                    }
                    RecordData::Soa {
                        mname,
                        rname,
                        serial,
                        refresh,
                        retry,
                        expire,
                        minimum,
                    } => (
                        rtype::SOA,
                        RData::Soa {
                            mname: wire(mname),
                            rname: wire(rname),
                            numbers: [*serial, *refresh, *retry, *expire, *minimum],
                        },
                    ),
                };
                Rr {
                    owner: wire(&r.owner),
                    rtype,
                    ttl: r.ttl,
                    rdata,
                }
            })
            .collect();
        Zone {
            apex: wire(&zone.origin),
            records,
            source: "plan".into(),
        }
    }
}
