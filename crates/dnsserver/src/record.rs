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

/// One record in a [`Records`] store: where its owner and RDATA lie in the store's arena.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Item {
    owner: u32,
    rdata: u32,
    ttl: u32,
    rtype: u16,
    rdlen: u16,
}

/// Records held compactly: owner names and RDATA in one arena of octets, and 16 octets of fixed fields per
/// record, so that a zone of a million records costs tens of megabytes, not hundreds, and no allocation per
/// record. RDATA is in uncompressed wire format with lowercase names; the names inside the RDATA of CNAME, NS,
/// PTR, MX and SOA are found by type when answers are encoded (see [`RrRef::names`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Records {
    arena: Vec<u8>,
    items: Vec<Item>,
    /// The length of each record's owner name (so that reading a record never walks its labels).
    owner_lens: Vec<u8>,
}

/// Why a record cannot be stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The arena would pass 4 GiB.
    #[error("the zone is too large: its names and data pass 4 GiB")]
    TooLarge,
    /// RDATA longer than 65535 octets.
    #[error("record data longer than 65535 octets")]
    LongRdata,
}

impl Records {
    /// An empty store with room for about `records` records of `arena` octets.
    pub fn with_capacity(records: usize, arena: usize) -> Records {
        Records {
            arena: Vec::with_capacity(arena),
            items: Vec::with_capacity(records),
            owner_lens: Vec::with_capacity(records),
        }
    }

    /// Adds a record. `owner` is a lowercase wire name; an owner equal to the previous record's is stored once.
    pub fn push(
        &mut self,
        owner: &[u8],
        rtype: u16,
        ttl: u32,
        rdata: &[u8],
    ) -> Result<(), StoreError> {
        let rdlen = u16::try_from(rdata.len()).map_err(|_| StoreError::LongRdata)?;
        if self.arena.len() + owner.len() + rdata.len() > u32::MAX as usize {
            return Err(StoreError::TooLarge);
        }
        let last_len = self.owner_lens.last().copied().unwrap_or(0) as usize;
        let owner_at = match self.items.last() {
            Some(last)
                if last_len == owner.len()
                    && &self.arena[last.owner as usize..last.owner as usize + last_len]
                        == owner =>
            {
                last.owner
            }
            _ => {
                let at = self.arena.len() as u32;
                self.arena.extend_from_slice(owner);
                at
            }
        };
        let rdata_at = self.arena.len() as u32;
        self.arena.extend_from_slice(rdata);
        self.items.push(Item {
            owner: owner_at,
            rdata: rdata_at,
            ttl,
            rtype,
            rdlen,
        });
        // Wire names are at most 255 octets.
        self.owner_lens.push(owner.len() as u8);
        Ok(())
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when there are no records.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The `i`th record, in the order added.
    pub fn get(&self, i: usize) -> RrRef<'_> {
        let it = self.items[i];
        let o = it.owner as usize;
        RrRef {
            owner: &self.arena[o..o + self.owner_lens[i] as usize],
            rtype: it.rtype,
            ttl: it.ttl,
            rdata: &self.arena[it.rdata as usize..it.rdata as usize + it.rdlen as usize],
        }
    }

    /// Every record, in the order added.
    pub fn iter(&self) -> impl Iterator<Item = RrRef<'_>> + '_ {
        (0..self.items.len()).map(|i| self.get(i))
    }

    /// The arena offset of the `i`th record's owner name (equal offsets: equal owners; the converse does not hold).
    pub fn owner_offset(&self, i: usize) -> u32 {
        self.items[i].owner
    }

    /// The arena.
    pub fn arena(&self) -> &[u8] {
        &self.arena
    }

    /// The type of the `i`th record.
    pub fn rtype(&self, i: usize) -> u16 {
        self.items[i].rtype
    }

    /// Appends the records of `other`, moving its arena behind this one's.
    pub fn append(&mut self, other: &Records) -> Result<(), StoreError> {
        let base = self.arena.len();
        if base + other.arena.len() > u32::MAX as usize {
            return Err(StoreError::TooLarge);
        }
        self.arena.extend_from_slice(&other.arena);
        self.items.extend(other.items.iter().map(|it| Item {
            owner: it.owner + base as u32,
            rdata: it.rdata + base as u32,
            ..*it
        }));
        self.owner_lens.extend_from_slice(&other.owner_lens);
        Ok(())
    }

    /// Splits the store into its arena (kept, e.g. as the name arena of a snapshot) and drops the fixed fields.
    pub fn into_arena(self) -> Vec<u8> {
        self.arena
    }
}

/// The well-formed wire name that starts at `at` in `arena` (the arena holds only names we wrote).
pub(crate) fn name_in(arena: &[u8], at: usize) -> &[u8] {
    let mut end = at;
    while let Some(&len) = arena.get(end) {
        end += 1 + len as usize;
        if len == 0 {
            break;
        }
    }
    &arena[at..end.min(arena.len())]
}

/// A record borrowed from a [`Records`] store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RrRef<'a> {
    /// Owner, lowercase wire format.
    pub owner: &'a [u8],
    /// Type.
    pub rtype: u16,
    /// TTL.
    pub ttl: u32,
    /// RDATA, uncompressed wire format.
    pub rdata: &'a [u8],
}

/// A part of some RDATA: a name that may be compressed, or octets copied as they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part<'a> {
    /// A name that may be compressed (RFC 1035 types only, RFC 3597 §4).
    Name(&'a [u8]),
    /// Octets.
    Octets(&'a [u8]),
}

impl<'a> RrRef<'a> {
    /// The RDATA cut into compressible names and other octets.
    pub fn parts(&self) -> impl Iterator<Item = Part<'a>> {
        let r = self.rdata;
        let (a, b, c): (Part<'a>, Option<Part<'a>>, Option<Part<'a>>) = match self.rtype {
            rtype::CNAME | rtype::NS | rtype::PTR => (Part::Name(r), None, None),
            rtype::MX if r.len() > 2 => (Part::Octets(&r[..2]), Some(Part::Name(&r[2..])), None),
            rtype::SOA => {
                let m = name_in(r, 0);
                let rn = name_in(r, m.len());
                let rest = &r[m.len() + rn.len()..];
                (
                    Part::Name(m),
                    Some(Part::Name(rn)),
                    Some(Part::Octets(rest)),
                )
            }
            _ => (Part::Octets(r), None, None),
        };
        std::iter::once(a).chain(b).chain(c)
    }

    /// The SOA MINIMUM field, for SOA records.
    pub fn soa_minimum(&self) -> Option<u32> {
        if self.rtype != rtype::SOA || self.rdata.len() < 4 {
            return None;
        }
        let tail = &self.rdata[self.rdata.len() - 4..];
        Some(u32::from_be_bytes([tail[0], tail[1], tail[2], tail[3]]))
    }

    /// The name this record points at, for types whose targets get additional-section addresses.
    pub fn target(&self) -> Option<&'a [u8]> {
        match self.rtype {
            rtype::NS => Some(self.rdata),
            rtype::MX => self.rdata.get(2..),
            rtype::SRV => self.rdata.get(6..),
            _ => None,
        }
    }

    /// The target of a CNAME.
    pub fn cname(&self) -> Option<&'a [u8]> {
        (self.rtype == rtype::CNAME).then_some(self.rdata)
    }

    /// The record as an owned [`Rr`].
    pub fn to_rr(&self) -> Rr {
        let rdata = match self.rtype {
            rtype::CNAME | rtype::NS | rtype::PTR => RData::Name(self.rdata.to_vec()),
            rtype::MX if self.rdata.len() > 2 => RData::Mx(
                u16::from_be_bytes([self.rdata[0], self.rdata[1]]),
                self.rdata[2..].to_vec(),
            ),
            rtype::SOA => {
                let m = name_in(self.rdata, 0);
                let rn = name_in(self.rdata, m.len());
                let rest = &self.rdata[m.len() + rn.len()..];
                let mut numbers = [0u32; 5];
                for (n, chunk) in numbers.iter_mut().zip(rest.chunks_exact(4)) {
                    *n = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
                }
                RData::Soa {
                    mname: m.to_vec(),
                    rname: rn.to_vec(),
                    numbers,
                }
            }
            _ => RData::Raw(self.rdata.to_vec()),
        };
        Rr {
            owner: self.owner.to_vec(),
            rtype: self.rtype,
            ttl: self.ttl,
            rdata,
        }
    }
}

impl RData {
    /// The uncompressed wire form.
    pub fn to_wire(&self) -> Vec<u8> {
        match self {
            RData::Name(n) => n.clone(),
            RData::Mx(pref, n) => {
                let mut v = pref.to_be_bytes().to_vec();
                v.extend_from_slice(n);
                v
            }
            RData::Soa {
                mname,
                rname,
                numbers,
            } => {
                let mut v = mname.clone();
                v.extend_from_slice(rname);
                for n in numbers {
                    v.extend_from_slice(&n.to_be_bytes());
                }
                v
            }
            RData::Raw(raw) => raw.clone(),
        }
    }
}

/// One zone: its apex and its records (the SOA among them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zone {
    /// Apex, lowercase wire format.
    pub apex: Vec<u8>,
    /// Records, all at or below the apex.
    pub records: Records,
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
        let mut records = Records::default();
        for r in &zone.records {
            let rr = {
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
            };
            // A plan is a few hundred records at most: far below the store's limits.
            records
                .push(&rr.owner, rr.rtype, rr.ttl, &rr.rdata.to_wire())
                .expect("a planned zone fits the record store");
        }
        Zone {
            apex: wire(&zone.origin),
            records,
            source: "plan".into(),
        }
    }
}
