//! The compiled data a query is answered from: a [`Snapshot`] of [`ViewData`], one per view, each with its name
//! table, fixed-size [`Entry`]s, owner-name arena and answer segments; and the read side [`crate::answer`] uses
//! (`lookup`, `wildcard`, `for_type`, `prepared`). Written only by the compiler (the parent module).

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use lyncdns_model::Rotation;
use rustc_hash::FxHasher;

use crate::names::{NameTable, hash as hash_name};
use lyncdns_dnsdata::record::Source;
use lyncdns_dnsdata::types::Rtype;
use lyncdns_dnsdata::view::ViewMatcher;

/// Hash map with the fast, non-cryptographic hasher used on the answer path. Keys come from our own zone data,
/// and lookups of attacker-chosen names cost one hash each, so hash flooding cannot build long chains.
pub type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// A response body prepared when the data was loaded, as read from a view's answer arena.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prepared<'a> {
    /// Header RCODE (0 NOERROR, 3 NXDOMAIN).
    pub rcode: u8,
    /// Authoritative answer (false for referrals).
    pub aa: bool,
    /// ANCOUNT.
    pub an: u16,
    /// NSCOUNT.
    pub ns: u16,
    /// ARCOUNT (without OPT).
    pub ar: u16,
    /// The sections, encoded for a message whose question section ends where the body starts.
    pub body: &'a [u8],
    /// Length of the body without the additional records that may be dropped to fit (RFC 2181 §9): all of them,
    /// except a referral's in-domain glue, which may not be (RFC 9471 §3.1).
    pub cut: u32,
    /// ARCOUNT of the body cut at `cut` (the referral's in-domain glue records).
    pub cut_ar: u16,
    /// A DNS-load-balanced RRset in the answer section whose records are reordered per answer.
    pub rotate: Option<Rotate>,
    /// Positions in the body (little-endian `u16`s) of compression pointers relative to the body's start, which
    /// the answer path moves by the body's offset in the message (referrals, whose question varies); usually
    /// empty.
    pub relocate: &'a [u8],
}

/// Where the records of a load-balanced RRset lie in a prepared body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rotate {
    /// Offset of the first record in the body.
    pub offset: u32,
    /// Length of each record (all equal).
    pub len: u16,
    /// Number of records.
    pub count: u16,
}

/// An answer's number: its segment in the top bits, its offset in the segment below.
pub(super) const SEGMENT_BITS: u32 = 30;
pub(super) const SEGMENT_MASK: u32 = (1 << SEGMENT_BITS) - 1;

/// Octets before each body in the answer arena: rcode, flags (1 = AA, 2 = rotation follows, 4 = the cut's
/// ARCOUNT follows, 8 = relocations follow), ANCOUNT, NSCOUNT, ARCOUNT, body length, cut (little-endian `u16`s);
/// then the cut's ARCOUNT, the rotation, and the relocations (a count, then positions), each if flagged.
pub(super) const HEADER: usize = 12;
/// The ARCOUNT of the cut body, when flag 4 is set (before the rotation).
pub(super) const CUT_AR: usize = 2;
/// The rotation's offset, record length and count, when flag 2 is set.
pub(super) const ROTATE: usize = 6;

/// What a name answers: a prepared answer per type it has, and one for every other type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Entry {
    /// Offset of the name in the view's name arena.
    pub(super) name: u32,
    /// Index of the zone that holds the name.
    pub zone: u32,
    /// True for a zone cut (a delegation): names below it get its referral.
    pub cut: bool,
    /// Number of types with data (at most 255, so that an entry takes 20 octets).
    pub(super) ntypes: u8,
    /// The type, when there is exactly one.
    pub(super) t1: Rtype,
    /// With one type, its prepared answer; with more, where its `(type, answer)` pairs start in `types`.
    pub(super) types: u32,
    /// The prepared answer for any other type (NODATA, a CNAME chain, or a referral).
    pub otherwise: u32,
}

/// A zone's negative answers.
#[derive(Debug, Clone)]
pub struct ZoneInfo {
    /// Apex, lowercase wire.
    pub apex: Vec<u8>,
    /// Where it came from.
    pub source: Source,
    /// Prepared NXDOMAIN (SOA in authority, RFC 2308).
    pub nxdomain: u32,
    /// Prepared NODATA.
    pub nodata: u32,
    /// The SOA serial (RFC 1035 §3.3.13), for the status page.
    pub serial: Option<u32>,
    /// Records in the zone as loaded (before duplicates are merged), for the status page.
    pub records: usize,
}

/// One view's compiled data.
#[derive(Debug, Clone)]
pub struct ViewData {
    /// The view's name.
    pub name: String,
    /// Entry numbers, keyed by their names in `arena`.
    pub(super) table: NameTable,
    /// Every name with data, every empty non-terminal and every zone apex.
    pub(super) entries: Vec<Entry>,
    /// Owner names (the records' arena).
    pub(super) arena: Vec<u8>,
    /// `(qtype, answer)` pairs of names with more than one type.
    pub(super) types: Vec<(Rtype, u32)>,
    /// Wildcard answers, keyed by the wildcard's parent (the closest encloser that synthesizes them).
    pub(super) wildcards: FxMap<Box<[u8]>, Entry>,
    /// Prepared answers, each a header and a body, in segments (one per thread that wrote them): an answer's
    /// number is its segment << 30 | its offset in it.
    pub(super) answers: Vec<Vec<u8>>,
    /// The view's zones.
    pub zones: Vec<ZoneInfo>,
    /// The RFC 8482 answer to ANY (a synthesized HINFO for the question name).
    pub any: u32,
    /// Number of records served.
    pub records: usize,
    /// The view's client prefixes, as configured (the matcher holds them as a trie), for the status page.
    pub clients: Vec<ipnet::IpNet>,
}

impl ViewData {
    /// The entry of `name` (lowercase wire), if the name exists in the view.
    #[inline]
    pub fn lookup(&self, name: &[u8]) -> Option<&Entry> {
        let arena = &self.arena;
        let entries = &self.entries;
        self.table
            .find(hash_name(name), |i| {
                // Wire names are prefix-free: equal octets over the key's length mean equal names.
                let at = entries[i as usize].name as usize;
                arena.get(at..at + name.len()) == Some(name)
            })
            .map(|i| &entries[i as usize])
    }

    /// The wildcard answers synthesized below `parent`, if it has a wildcard child.
    #[inline]
    pub fn wildcard(&self, parent: &[u8]) -> Option<&Entry> {
        if self.wildcards.is_empty() {
            return None;
        }
        self.wildcards.get(parent)
    }

    /// The prepared answer of `entry` for `qtype`.
    #[inline]
    pub fn for_type(&self, entry: &Entry, qtype: Rtype) -> u32 {
        match entry.ntypes {
            0 => entry.otherwise,
            1 if entry.t1 == qtype => entry.types,
            1 => entry.otherwise,
            n => {
                let start = entry.types as usize;
                for &(t, idx) in &self.types[start..start + n as usize] {
                    if t == qtype {
                        return idx;
                    }
                }
                entry.otherwise
            }
        }
    }

    /// The prepared answer at `at` (a number from this view's entries or zones).
    #[inline(always)]
    pub fn prepared(&self, at: u32) -> Prepared<'_> {
        let a = &self.answers[(at >> SEGMENT_BITS) as usize][(at & SEGMENT_MASK) as usize..];
        let u = |i: usize| u16::from_le_bytes([a[i], a[i + 1]]);
        if a[1] & 0b1110 == 0 {
            // Most answers: nothing between the header and the body.
            return Prepared {
                rcode: a[0],
                aa: a[1] & 1 != 0,
                an: u(2),
                ns: u(4),
                ar: u(6),
                body: &a[HEADER..HEADER + u(8) as usize],
                cut: u(10) as u32,
                cut_ar: 0,
                rotate: None,
                relocate: &[],
            };
        }
        let (cut_ar, extra) = if a[1] & 4 != 0 {
            (u(HEADER), HEADER + CUT_AR)
        } else {
            (0, HEADER)
        };
        let (rotate, body_at) = if a[1] & 2 != 0 {
            (
                Some(Rotate {
                    offset: u(extra) as u32,
                    len: u(extra + 2),
                    count: u(extra + 4),
                }),
                extra + ROTATE,
            )
        } else {
            (None, extra)
        };
        let (relocate, body_at) = if a[1] & 8 != 0 {
            let n = u(body_at) as usize;
            (&a[body_at + 2..body_at + 2 + 2 * n], body_at + 2 + 2 * n)
        } else {
            (&[][..], body_at)
        };
        Prepared {
            rcode: a[0],
            aa: a[1] & 1 != 0,
            an: u(2),
            ns: u(4),
            ar: u(6),
            body: &a[body_at..body_at + u(8) as usize],
            cut: u(10) as u32,
            cut_ar,
            rotate,
            relocate,
        }
    }

    /// Number of names (with data, empty non-terminals and apexes).
    pub fn names(&self) -> usize {
        self.entries.len()
    }

    /// Octets held by the view's data structures (names, answers, entries, table).
    pub fn heap_size(&self) -> usize {
        self.arena.capacity()
            + self.answers.iter().map(Vec::capacity).sum::<usize>()
            + self.entries.capacity() * std::mem::size_of::<Entry>()
            + self.types.capacity() * 8
            + self.table.heap_size()
    }
}

/// Everything the server answers from; immutable, swapped whole on reload.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// Views in match order.
    pub views: Vec<ViewData>,
    /// Client address → view index.
    pub matcher: ViewMatcher,
    /// Resolvers whose EDNS Client Subnet option chooses the view (index 0 = trusted), if any.
    pub ecs_trusted: Option<ViewMatcher>,
    /// Largest UDP response for EDNS clients.
    pub max_udp: u16,
    /// Order of load-balanced addresses.
    pub rotation: Rotation,
    /// NSID and the CHAOS identity answers, each off unless configured.
    pub identity: super::Identity,
    /// Response rate limiting of UDP answers by view index (None, or no entry: off); set by the loader, read by
    /// the UDP workers after an answer is built, so limits change with the data on reload.
    pub rrl: Vec<Option<crate::rrl::Limits>>,
    /// DNS Cookies (RFC 7873), if on.
    pub cookies: Option<crate::cookie::Cookies>,
    /// Whether TCP clients that ask are told the idle timeout (RFC 7828).
    pub tcp_keepalive: bool,
    /// TSIG keys and what each view lets secondaries transfer (empty unless the deployment configures them).
    pub xfr: crate::xfr::Transfers,
}

impl Entry {
    /// Whether the name owns no data: an empty non-terminal (RFC 4592 §2.2.2) or a zone cut below its DS answer.
    #[inline]
    pub fn owns_nothing(&self) -> bool {
        self.ntypes == 0
    }

    /// Moves the start of the entry's type list (numbered in its part) by `by`.
    pub(super) fn shift_types(&mut self, by: u32) {
        if self.ntypes > 1 {
            self.types += by;
        }
    }
}
