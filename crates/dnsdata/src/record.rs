//! Resource records as the server holds them: lowercase wire owner names, and RDATA either as names that may be
//! compressed (the RFC 1035 types) or as opaque octets (everything else, RFC 3597 §4).

use std::fmt;
use std::path::PathBuf;

use crate::name;
use crate::rdata::{RdataError, RecordData};
use crate::types::Rtype;

/// One record in a [`Records`] store: where its owner and RDATA lie in the store's arena.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Item {
    owner: u32,
    rdata: u32,
    ttl: u32,
    rtype: Rtype,
    rdlen: u16,
}

/// Records held compactly: owner names and RDATA in one arena of octets, and 16 octets of fixed fields per
/// record, so that a zone of a million records costs tens of megabytes, not hundreds, and no allocation per
/// record. RDATA is in uncompressed wire format with lowercase names; the names inside the RDATA of CNAME, NS,
/// PTR, MX and SOA are found by type when answers are encoded (see [`RrRef::parts`]).
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
        rtype: Rtype,
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
    pub fn rtype(&self, i: usize) -> Rtype {
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
    pub rtype: Rtype,
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
            Rtype::CNAME | Rtype::NS | Rtype::PTR => (Part::Name(r), None, None),
            Rtype::MX if r.len() > 2 => (Part::Octets(&r[..2]), Some(Part::Name(&r[2..])), None),
            Rtype::SOA => {
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
        if self.rtype != Rtype::SOA || self.rdata.len() < 4 {
            return None;
        }
        let tail = &self.rdata[self.rdata.len() - 4..];
        Some(u32::from_be_bytes([tail[0], tail[1], tail[2], tail[3]]))
    }

    /// The name this record points at, for types whose targets get additional-section addresses.
    pub fn target(&self) -> Option<&'a [u8]> {
        match self.rtype {
            Rtype::NS => Some(self.rdata),
            Rtype::MX => self.rdata.get(2..),
            Rtype::SRV => self.rdata.get(6..),
            _ => None,
        }
    }

    /// The target of a CNAME.
    pub fn cname(&self) -> Option<&'a [u8]> {
        (self.rtype == Rtype::CNAME).then_some(self.rdata)
    }
}

impl RrRef<'_> {
    /// The record's data as the shared [`RecordData`] (for tools; the server works on the wire form).
    pub fn data(&self) -> Result<RecordData, RdataError> {
        RecordData::from_wire(self.rtype, self.rdata)
    }
}

/// Where a zone's records came from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Planned from the deployment description.
    Plan,
    /// Read from a master file.
    File(PathBuf),
    /// Read from text that has a name but is not a file (tests, standard input).
    Text(String),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Plan => f.write_str("plan"),
            Source::File(p) => write!(f, "{}", p.display()),
            Source::Text(name) => f.write_str(name),
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
    /// Where the zone came from.
    pub source: Source,
}

/// Why records cannot be made into a [`Zone`].
#[derive(Debug, thiserror::Error)]
pub enum ZoneError {
    /// A name is not a valid domain name.
    #[error("zone {apex}: {source}")]
    Name {
        /// The zone's apex as given.
        apex: String,
        /// What is wrong with the name.
        source: name::NameError,
    },
    /// The records do not fit the store.
    #[error("zone {apex}: {source}")]
    Store {
        /// The zone's apex as given.
        apex: String,
        /// Why.
        source: StoreError,
    },
}

impl Zone {
    /// A zone of the given records (owner, TTL, data), in the order given.
    pub fn from_records<'a>(
        apex: &str,
        source: Source,
        records: impl IntoIterator<Item = (&'a str, u32, &'a RecordData)>,
    ) -> Result<Zone, ZoneError> {
        let name_err = |source| ZoneError::Name {
            apex: apex.to_owned(),
            source,
        };
        let mut store = Records::default();
        for (owner, ttl, data) in records {
            let owner = name::from_text(owner).map_err(name_err)?;
            let rdata = data.to_wire().map_err(name_err)?;
            store
                .push(&owner, data.rtype(), ttl, &rdata)
                .map_err(|source| ZoneError::Store {
                    apex: apex.to_owned(),
                    source,
                })?;
        }
        Ok(Zone {
            apex: name::from_text(apex).map_err(name_err)?,
            records: store,
            source,
        })
    }
}
