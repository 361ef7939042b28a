//! Compiling zones into a [`Snapshot`]: for every view, every name and every type it has, the complete answer
//! body (answer, authority and additional sections) is encoded once, with name compression, when the data is
//! loaded. Answering a query is then a hash lookup and a copy (see [`crate::answer`]).
//!
//! How a prepared body stays valid for any query: an exact-name answer is encoded for a message whose question
//! holds that very name at offset 12, so its compression pointers are right for every query of that name (the
//! client's 0x20 case changes no length). Negative and wildcard answers, whose question name varies, are
//! encoded without compression, except that the synthesized owner is the pointer to the question (`0xC00C`).
//!
//! Memory layout, built for zones of millions of records: a view keeps its owner names in one arena (the
//! arena the zone file was read into, moved, not copied), its prepared answers in another (a 12-octet header
//! before each body), one fixed-size [`Entry`] per name, and a hash table of 4-octet entry numbers keyed by the
//! names in the arena. Compiling allocates per view, not per record: owners are numbered through that same hash
//! table and their records grouped by a counting sort.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use ipnet::IpNet;
use lyncdns_model::Rotation;
use rustc_hash::FxHasher;

use crate::names::{NameTable, hash as hash_name};
use lyncdns_dnsdata::name;
use lyncdns_dnsdata::record::{Part, Records, RrRef, Source, Zone};
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
    /// Length of the body without the additional section (which may be dropped to fit, RFC 2181 §9).
    pub cut: u32,
    /// A DNS-load-balanced RRset in the answer section whose records are reordered per answer.
    pub rotate: Option<Rotate>,
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
const SEGMENT_BITS: u32 = 30;
const SEGMENT_MASK: u32 = (1 << SEGMENT_BITS) - 1;

/// Octets before each body in the answer arena: rcode, flags (1 = AA, 2 = rotation follows), ANCOUNT, NSCOUNT,
/// ARCOUNT, body length, cut (little-endian `u16`s).
const HEADER: usize = 12;
/// The rotation's offset, record length and count, when flag 2 is set.
const ROTATE: usize = 6;

/// What a name answers: a prepared answer per type it has, and one for every other type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Entry {
    /// Offset of the name in the view's name arena.
    name: u32,
    /// Index of the zone that holds the name.
    pub zone: u32,
    /// True for a zone cut (a delegation): names below it get its referral.
    pub cut: bool,
    /// Number of types with data (at most 255, so that an entry takes 20 octets).
    ntypes: u8,
    /// The type, when there is exactly one.
    t1: Rtype,
    /// With one type, its prepared answer; with more, where its `(type, answer)` pairs start in `types`.
    types: u32,
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
}

/// One view's compiled data.
#[derive(Debug, Clone)]
pub struct ViewData {
    /// The view's name.
    pub name: String,
    /// Entry numbers, keyed by their names in `arena`.
    table: NameTable,
    /// Every name with data, every empty non-terminal and every zone apex.
    entries: Vec<Entry>,
    /// Owner names (the records' arena).
    arena: Vec<u8>,
    /// `(qtype, answer)` pairs of names with more than one type.
    types: Vec<(Rtype, u32)>,
    /// Wildcard answers, keyed by the wildcard's parent (the closest encloser that synthesizes them).
    wildcards: FxMap<Box<[u8]>, Entry>,
    /// Prepared answers, each a header and a body, in segments (one per thread that wrote them): an answer's
    /// number is its segment << 30 | its offset in it.
    answers: Vec<Vec<u8>>,
    /// The view's zones.
    pub zones: Vec<ZoneInfo>,
    /// The RFC 8482 answer to ANY (a synthesized HINFO for the question name).
    pub any: u32,
    /// Number of records served.
    pub records: usize,
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
    #[inline]
    pub fn prepared(&self, at: u32) -> Prepared<'_> {
        let a = &self.answers[(at >> SEGMENT_BITS) as usize][(at & SEGMENT_MASK) as usize..];
        let u = |i: usize| u16::from_le_bytes([a[i], a[i + 1]]);
        let (rotate, body_at) = if a[1] & 2 != 0 {
            (
                Some(Rotate {
                    offset: u(HEADER) as u32,
                    len: u(HEADER + 2),
                    count: u(HEADER + 4),
                }),
                HEADER + ROTATE,
            )
        } else {
            (None, HEADER)
        };
        Prepared {
            rcode: a[0],
            aa: a[1] & 1 != 0,
            an: u(2),
            ns: u(4),
            ar: u(6),
            body: &a[body_at..body_at + u(8) as usize],
            cut: u(10) as u32,
            rotate,
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
}

/// Why data cannot be compiled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// Two zones with the same apex in one view.
    #[error("view {view}: zone {apex} is defined twice ({first} and {second})")]
    DuplicateZone {
        /// The view.
        view: String,
        /// The apex.
        apex: String,
        /// Source of the first.
        first: Source,
        /// Source of the second.
        second: Source,
    },
    /// A zone without an SOA at its apex.
    #[error("view {view}: zone {apex} has no SOA record at its apex")]
    NoSoa {
        /// The view.
        view: String,
        /// The apex.
        apex: String,
    },
    /// A CNAME beside other data (RFC 1034 §3.6.2).
    #[error("{origin}: {owner} has a CNAME and other data (view {view})")]
    CnameAndOther {
        /// The view.
        view: String,
        /// The zone's source (a file, or `plan`).
        origin: String,
        /// The owner.
        owner: String,
    },
    /// An answer too large for any DNS message.
    #[error(
        "view {view}: the answer for {name} {rtype} is {len} octets; a DNS message holds at most 65535"
    )]
    TooLarge {
        /// The view.
        view: String,
        /// The name.
        name: String,
        /// The type.
        rtype: String,
        /// Its size.
        len: usize,
    },
    /// More types at one name than an entry holds.
    #[error("view {view}: {name} has {types} types of data; a name may have at most 255")]
    TooManyTypes {
        /// The view.
        view: String,
        /// The name.
        name: String,
        /// How many it has.
        types: usize,
    },
    /// The view's data passes the 4 GiB the compact layout addresses.
    #[error("view {view}: more than 4 GiB of names or answers")]
    Huge {
        /// The view.
        view: String,
    },
}

/// A view's input: its name, client prefixes and zones.
pub struct ViewInput {
    /// Name.
    pub name: String,
    /// Client prefixes.
    pub clients: Vec<IpNet>,
    /// Zones.
    pub zones: Vec<Zone>,
}

/// Serving options that are part of a snapshot.
#[derive(Debug, Clone)]
pub struct Options {
    /// Largest UDP response for EDNS clients.
    pub max_udp: u16,
    /// Order of load-balanced addresses.
    pub rotation: Rotation,
    /// Resolvers whose ECS option chooses the view.
    pub ecs_trusted: Vec<IpNet>,
    /// Names per compiling thread: a view with fewer than twice as many is compiled by one thread (0: 50,000).
    pub names_per_thread: usize,
}

impl Snapshot {
    /// Compiles `views` (in match order).
    pub fn build(views: Vec<ViewInput>, options: &Options) -> Result<Snapshot, BuildError> {
        let matcher = ViewMatcher::new(views.iter().map(|v| v.clients.as_slice()));
        let per_thread = match options.names_per_thread {
            0 => 50_000,
            n => n,
        };
        let views = views
            .into_iter()
            .map(|v| compile_view(v, per_thread, false))
            .collect::<Result<Vec<_>, _>>()?;
        let ecs_trusted = (!options.ecs_trusted.is_empty())
            .then(|| ViewMatcher::new([options.ecs_trusted.as_slice()]));
        Ok(Snapshot {
            views,
            matcher,
            ecs_trusted,
            max_udp: options.max_udp.max(512),
            rotation: options.rotation,
        })
    }
}

/// No owner: the record belongs to a more specific zone of the view and is not served from this one.
const DROPPED: u32 = u32::MAX;

/// A view's records, numbered by owner and grouped.
struct Index<'a> {
    zones: &'a [ZoneMeta],
    store: &'a Records,
    /// Owner names → owner numbers (names with records, then empty non-terminals).
    table: NameTable,
    /// Per owner: where its name is, and its zone.
    owners: Vec<Owner>,
    /// Record numbers grouped by owner (and, within an owner, by type in first-seen order, then file order).
    order: Vec<u32>,
    /// Per owner with records: where its group starts in `order` (one more element at the end).
    starts: Vec<u32>,
}

/// An owner name of the index: its place in the arena, its length and its zone, in 8 octets.
#[derive(Debug, Clone, Copy)]
struct Owner {
    off: u32,
    /// Zone index << 8 | name length.
    meta: u32,
}

impl Owner {
    fn new(off: u32, len: usize, zone: u32) -> Owner {
        Owner {
            off,
            meta: zone << 8 | len as u32,
        }
    }
    fn zone(self) -> u32 {
        self.meta >> 8
    }
    fn range(self) -> std::ops::Range<usize> {
        self.off as usize..self.off as usize + (self.meta & 0xff) as usize
    }
}

/// What the index needs of a zone.
struct ZoneMeta {
    apex: Vec<u8>,
    source: Source,
}

impl<'a> Index<'a> {
    fn name(&self, owner: u32) -> &'a [u8] {
        &self.store.arena()[self.owners[owner as usize].range()]
    }

    /// The owner number of `n`, if it has records or is an empty non-terminal.
    fn find(&self, n: &[u8]) -> Option<u32> {
        let arena = self.store.arena();
        let owners = &self.owners;
        self.table
            .find(hash_name(n), |i| &arena[owners[i as usize].range()] == n)
    }

    /// The records of `owner` (in `order`).
    fn group(&self, owner: u32) -> &[u32] {
        match self.starts.get(owner as usize + 1) {
            Some(&end) => &self.order[self.starts[owner as usize] as usize..end as usize],
            None => &[],
        }
    }

    /// The RRset of `n` and `t`.
    fn rrset(&self, n: &[u8], t: Rtype) -> impl Iterator<Item = RrRef<'a>> + '_ {
        self.rrset_of(self.find(n), t)
    }

    /// The RRset of the owner numbered `o` and `t`.
    fn rrset_of(&self, o: Option<u32>, t: Rtype) -> impl Iterator<Item = RrRef<'a>> + '_ {
        let group = o.map(|o| self.group(o)).unwrap_or(&[]);
        let store = self.store;
        group
            .iter()
            .map(move |&i| store.get(i as usize))
            .filter(move |r| r.rtype == t)
    }

    /// The types of `owner`, in first-seen order.
    fn types(&self, owner: u32, out: &mut Vec<Rtype>) {
        out.clear();
        for &i in self.group(owner) {
            let t = self.store.rtype(i as usize);
            if out.last() != Some(&t) {
                out.push(t);
            }
        }
    }

    /// The zone index holding `n` (longest apex), if any.
    fn zone_of(&self, n: &[u8]) -> Option<u32> {
        zone_of(self.zones, n)
    }

    fn soa(&self, zone: u32) -> RrRef<'a> {
        let apex = &self.zones[zone as usize].apex;
        // Checked before indexing: every zone has an SOA at its apex.
        self.rrset(apex, Rtype::SOA)
            .next()
            .expect("every zone has an SOA at its apex")
    }
}

fn zone_of(zones: &[ZoneMeta], n: &[u8]) -> Option<u32> {
    let mut best: Option<(usize, u32)> = None;
    for (i, z) in zones.iter().enumerate() {
        if z.apex.len() <= n.len()
            && name::is_within(n, &z.apex)
            && best.is_none_or(|(len, _)| z.apex.len() > len)
        {
            best = Some((z.apex.len(), i as u32));
        }
    }
    best.map(|(_, i)| i)
}

/// Checks the zones of a view and merges their records into one store (the largest zone's arena, moved, with
/// the others appended). Returns the store and each zone's range of record numbers in it.
fn merge(
    view: &str,
    zones: Vec<Zone>,
) -> Result<(Records, Vec<std::ops::Range<usize>>), BuildError> {
    for (i, z) in zones.iter().enumerate() {
        if let Some(first) = zones[..i].iter().find(|o| o.apex == z.apex) {
            return Err(BuildError::DuplicateZone {
                view: view.to_owned(),
                apex: name::to_text(&z.apex),
                first: first.source.clone(),
                second: z.source.clone(),
            });
        }
        if !z
            .records
            .iter()
            .any(|r| r.rtype == Rtype::SOA && r.owner == z.apex)
        {
            return Err(BuildError::NoSoa {
                view: view.to_owned(),
                apex: name::to_text(&z.apex),
            });
        }
    }
    let mut ranges = vec![0..0; zones.len()];
    let largest = (0..zones.len()).max_by_key(|&i| zones[i].records.len());
    let mut records: Vec<Option<Records>> = zones.into_iter().map(|z| Some(z.records)).collect();
    let mut store = Records::default();
    for i in largest
        .into_iter()
        .chain((0..ranges.len()).filter(|&i| Some(i) != largest))
    {
        let r = records[i].take().unwrap_or_default();
        let start = store.len();
        if store.is_empty() {
            store = r;
        } else {
            store.append(&r).map_err(|_| BuildError::Huge {
                view: view.to_owned(),
            })?;
        }
        ranges[i] = start..store.len();
    }
    Ok((store, ranges))
}

/// Compiles one view; `general_only` turns the fast path for plain RRsets off (for tests).
fn compile_view(
    input: ViewInput,
    per_thread: usize,
    general_only: bool,
) -> Result<ViewData, BuildError> {
    let ViewInput {
        name: view_name,
        zones,
        ..
    } = input;
    let metas: Vec<ZoneMeta> = zones
        .iter()
        .map(|z| ZoneMeta {
            apex: z.apex.clone(),
            source: z.source.clone(),
        })
        .collect();
    let (store, ranges) = merge(&view_name, zones)?;
    let nested = metas.iter().enumerate().any(|(i, z)| {
        metas
            .iter()
            .enumerate()
            .any(|(j, o)| i != j && name::is_within(&z.apex, &o.apex))
    });

    // Number the owners, in file order. Consecutive records of one owner share its arena offset, so only the
    // first is looked up. The names are hashed ahead and their slots prefetched, so the table's cache misses
    // overlap instead of following each other.
    let total = store.len();
    let mut table = NameTable::with_capacity(total);
    let mut owners: Vec<Owner> = Vec::with_capacity(total);
    if metas.len() >= 1 << 24 {
        return Err(BuildError::Huge { view: view_name });
    }
    let mut rec_owner: Vec<u32> = vec![DROPPED; total];
    {
        let arena = store.arena();
        // (record, zone, hash) of each record that starts a run of one owner.
        let mut firsts: Vec<(u32, u32, u64)> = Vec::with_capacity(total);
        for (zi, range) in ranges.iter().enumerate() {
            let mut prev: Option<u32> = None;
            for i in range.clone() {
                let off = store.owner_offset(i);
                if prev == Some(off) {
                    continue;
                }
                prev = Some(off);
                let owner = store.get(i).owner;
                // A record under a more specific zone of this view belongs to that zone, not this one.
                if nested && zone_of(&metas, owner) != Some(zi as u32) {
                    continue;
                }
                firsts.push((i as u32, zi as u32, hash_name(owner)));
            }
        }
        const AHEAD: usize = 16;
        for j in 0..firsts.len() {
            if let Some(&(_, _, h)) = firsts.get(j + AHEAD) {
                table.prefetch(h);
            }
            let (i, zi, h) = firsts[j];
            let off = store.owner_offset(i as usize);
            let owner = store.get(i as usize).owner;
            let (id, new) = table.find_or_insert(
                h,
                |o| &arena[owners[o as usize].range()] == owner,
                owners.len() as u32,
                |o| hash_name(&arena[owners[o as usize].range()]),
            );
            if new {
                owners.push(Owner::new(off, owner.len(), zi));
            }
            rec_owner[i as usize] = id;
        }
        // The other records of each run: the owner of the record before.
        for range in &ranges {
            for i in range.clone().skip(1) {
                if rec_owner[i] == DROPPED && store.owner_offset(i) == store.owner_offset(i - 1) {
                    rec_owner[i] = rec_owner[i - 1];
                }
            }
        }
    }
    let with_records = owners.len();

    // Group the records by owner (a counting sort, stable: file order within an owner).
    let mut starts = vec![0u32; with_records + 1];
    for &o in &rec_owner {
        if o != DROPPED {
            starts[o as usize + 1] += 1;
        }
    }
    for i in 0..with_records {
        starts[i + 1] += starts[i];
    }
    let mut fill = starts.clone();
    let mut order = vec![0u32; starts[with_records] as usize];
    for (i, &o) in rec_owner.iter().enumerate() {
        if o != DROPPED {
            order[fill[o as usize] as usize] = i as u32;
            fill[o as usize] += 1;
        }
    }
    drop(fill);
    drop(rec_owner);

    // Within an owner: RRsets together (types in first-seen order), duplicates removed, CNAME alone.
    let mut records = 0usize;
    let mut kept = 0usize;
    let mut types: Vec<Rtype> = Vec::new();
    let mut new_starts = Vec::with_capacity(with_records + 1);
    new_starts.push(0u32);
    for o in 0..with_records {
        let (s, e) = (starts[o] as usize, starts[o + 1] as usize);
        let group = &mut order[s..e];
        if group.len() > 1 {
            types.clear();
            for &i in group.iter() {
                let t = store.rtype(i as usize);
                if !types.contains(&t) {
                    types.push(t);
                }
            }
            if types.contains(&Rtype::CNAME) && types.len() > 1 {
                let ow = owners[o];
                return Err(BuildError::CnameAndOther {
                    view: view_name,
                    origin: metas[ow.zone() as usize].source.to_string(),
                    owner: name::to_text(&store.arena()[ow.range()]),
                });
            }
            if types.len() > 1 {
                group.sort_by_key(|&i| {
                    let t = store.rtype(i as usize);
                    (types.iter().position(|&x| x == t).unwrap_or(0), i)
                });
            }
            if group.len() <= 32 {
                // Quadratic, on a handful of records.
                let mut w = 0;
                for r in 0..group.len() {
                    let rec = store.get(group[r] as usize);
                    let dup = group[..w].iter().any(|&j| {
                        let o = store.get(j as usize);
                        o.rtype == rec.rtype && o.rdata == rec.rdata
                    });
                    if !dup {
                        group[w] = group[r];
                        w += 1;
                    }
                }
                order.copy_within(s..s + w, kept);
                kept += w;
            } else {
                // Many records at one name: sort by content to find duplicates, then restore the order.
                let mut by_content: Vec<u32> = group.to_vec();
                by_content.sort_by(|&a, &b| {
                    let (ra, rb) = (store.get(a as usize), store.get(b as usize));
                    (ra.rtype, ra.rdata, a).cmp(&(rb.rtype, rb.rdata, b))
                });
                by_content.dedup_by(|b, a| {
                    let (ra, rb) = (store.get(*a as usize), store.get(*b as usize));
                    ra.rtype == rb.rtype && ra.rdata == rb.rdata
                });
                let keep: std::collections::HashSet<u32> = by_content.into_iter().collect();
                let mut w = 0;
                for r in 0..group.len() {
                    if keep.contains(&group[r]) {
                        group[w] = group[r];
                        w += 1;
                    }
                }
                order.copy_within(s..s + w, kept);
                kept += w;
            }
        } else {
            order.copy_within(s..e, kept);
            kept += e - s;
        }
        new_starts.push(kept as u32);
    }
    order.truncate(kept);
    records += kept;
    let starts = new_starts;

    let mut ix = Index {
        zones: &metas,
        store: &store,
        table,
        owners,
        order,
        starts,
    };

    // Empty non-terminals between each name and its apex answer NODATA, not NXDOMAIN (RFC 4592 §2.2.2). Their
    // names are suffixes of the owner names already in the arena.
    for o in 0..with_records {
        let (off, zi) = (ix.owners[o].off, ix.owners[o].zone());
        let owner = ix.name(o as u32);
        let apex_len = metas[zi as usize].apex.len();
        let mut at = off as usize;
        let mut n = owner;
        while let Some(p) = name::parent(n) {
            at += n[0] as usize + 1;
            if p.len() <= apex_len || ix.find(p).is_some() {
                break;
            }
            let id = ix.owners.len() as u32;
            ix.owners.push(Owner::new(at as u32, p.len(), zi));
            let arena = store.arena();
            let owners = &ix.owners;
            ix.table.find_or_insert(
                hash_name(p),
                |_| false,
                id,
                |x| hash_name(&arena[owners[x as usize].range()]),
            );
            n = p;
        }
    }

    // Zone cuts: NS records below an apex delegate; every name at or below such a name gets its referral.
    let is_cut: Vec<bool> = (0..with_records)
        .map(|o| {
            let zi = ix.owners[o].zone();
            ix.name(o as u32) != metas[zi as usize].apex.as_slice()
                && ix
                    .group(o as u32)
                    .iter()
                    .any(|&i| store.rtype(i as usize) == Rtype::NS)
        })
        .collect();
    let any_cut = is_cut.contains(&true);

    let mut out = Out::new(&view_name, 0);
    out.general_only = general_only;
    out.answers.reserve(64 << 10);
    let mut zones = Vec::with_capacity(metas.len());
    for (zi, meta) in metas.iter().enumerate() {
        let soa = ix.soa(zi as u32);
        let nxdomain = out.negative(soa, 3)?;
        let nodata = out.negative(soa, 0)?;
        zones.push(ZoneInfo {
            apex: meta.apex.clone(),
            source: meta.source.clone(),
            nxdomain,
            nodata,
        });
    }
    let any = out.any_answer()?;

    // The names' answers, by several threads for large views: each writes its own segment of answers (the
    // first continues the one holding the shared answers above) and its own range of entries, in place.
    let names = ix.owners.len();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = (names / per_thread).clamp(1, cores.clamp(2, 4));
    let chunk = names.div_ceil(threads).max(1);
    let ctx = Names {
        ix: &ix,
        metas: &metas,
        zones: &zones,
        is_cut: &is_cut,
        any_cut,
        with_records,
    };
    let mut entries = vec![Entry::default(); names];
    let parts: Vec<Result<Chunk, BuildError>> = std::thread::scope(|scope| {
        let mut slices = entries.chunks_mut(chunk).enumerate();
        let first = slices.next();
        let handles: Vec<_> = slices
            .map(|(t, slice)| {
                let ctx = &ctx;
                let view = view_name.as_str();
                scope.spawn(move || {
                    let mut out = Out::new(view, t as u32);
                    out.general_only = general_only;
                    ctx.answer(out, t * chunk, slice)
                })
            })
            .collect();
        let first = match first {
            Some((_, slice)) => ctx.answer(out, 0, slice),
            None => Ok(Chunk {
                answers: out.answers,
                types: out.types,
                wildcards: Vec::new(),
            }),
        };
        std::iter::once(first)
            .chain(
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))),
            )
            .collect::<Vec<_>>()
    });
    let mut answers = Vec::with_capacity(parts.len());
    let mut types = Vec::new();
    let mut wildcards: FxMap<Box<[u8]>, Entry> = FxMap::default();
    let mut starts = Vec::with_capacity(parts.len());
    for part in parts {
        let mut part = part?;
        part.answers.shrink_to_fit();
        starts.push(types.len() as u32);
        answers.push(part.answers);
        types.append(&mut part.types);
        wildcards.extend(part.wildcards.into_iter().map(|(k, mut e)| {
            e.shift_types(starts[starts.len() - 1]);
            (k, e)
        }));
    }
    // Type lists were numbered per part.
    for (i, e) in entries.iter_mut().enumerate() {
        e.shift_types(starts[i / chunk]);
    }
    let Index { table, .. } = ix;
    types.shrink_to_fit();
    let mut arena = store.into_arena();
    arena.shrink_to_fit();
    Ok(ViewData {
        name: view_name,
        table,
        entries,
        arena,
        types,
        wildcards,
        answers,
        zones,
        any,
        records,
    })
}

/// What the threads writing the names' answers share.
struct Names<'a, 'i> {
    ix: &'a Index<'i>,
    metas: &'a [ZoneMeta],
    zones: &'a [ZoneInfo],
    is_cut: &'a [bool],
    any_cut: bool,
    with_records: usize,
}

/// The answers written by one thread, and its wildcards (its entries are written in place).
struct Chunk {
    answers: Vec<u8>,
    types: Vec<(Rtype, u32)>,
    wildcards: Vec<(Box<[u8]>, Entry)>,
}

impl Entry {
    /// Moves the start of the entry's type list (numbered in its part) by `by`.
    fn shift_types(&mut self, by: u32) {
        if self.ntypes > 1 {
            self.types += by;
        }
    }
}

impl Names<'_, '_> {
    /// The entries of the names numbered from `first` on, one per slot of `entries`, and their wildcard answers.
    fn answer(
        &self,
        mut out: Out<'_>,
        first: usize,
        entries: &mut [Entry],
    ) -> Result<Chunk, BuildError> {
        let ix = self.ix;
        let mut wildcards = Vec::new();
        let mut referrals: FxMap<u32, u32> = FxMap::default();
        for (o, slot) in (first..).zip(entries.iter_mut()) {
            let (off, zi) = (ix.owners[o].off, ix.owners[o].zone());
            let owner = ix.name(o as u32);
            // The highest cut at or above the name.
            let cut = if self.any_cut {
                let apex_len = self.metas[zi as usize].apex.len();
                let mut found = None;
                let mut n = owner;
                while n.len() > apex_len {
                    if let Some(c) = ix.find(n)
                        && (c as usize) < self.with_records
                        && self.is_cut[c as usize]
                    {
                        found = Some((c, n));
                    }
                    match name::parent(n) {
                        Some(p) => n = p,
                        None => break,
                    }
                }
                found
            } else {
                None
            };
            let entry = match cut {
                Some((c, cut_name)) => {
                    let referral = match referrals.get(&c) {
                        Some(&r) => r,
                        None => {
                            let r = out.referral(ix, cut_name)?;
                            referrals.insert(c, r);
                            r
                        }
                    };
                    Entry {
                        name: off,
                        zone: zi,
                        cut: true,
                        ntypes: 0,
                        t1: Rtype(0),
                        types: 0,
                        otherwise: referral,
                    }
                }
                None if o >= self.with_records => Entry {
                    name: off,
                    zone: zi,
                    cut: false,
                    ntypes: 0,
                    t1: Rtype(0),
                    types: 0,
                    otherwise: self.zones[zi as usize].nodata,
                },
                None => out.entry_for(ix, o as u32, off, zi, self.zones, false)?,
            };
            if cut.is_none() && o < self.with_records && owner.starts_with(b"\x01*") {
                let synth = out.entry_for(ix, o as u32, off, zi, self.zones, true)?;
                if let Some(parent) = name::parent(owner) {
                    wildcards.push((parent.into(), synth));
                }
            }
            *slot = entry;
        }
        Ok(Chunk {
            answers: out.answers,
            types: out.types,
            wildcards,
        })
    }
}

/// The answers being written.
struct Out<'v> {
    /// The answer segment written.
    segment: u32,
    answers: Vec<u8>,
    types: Vec<(Rtype, u32)>,
    enc: Enc,
    view: &'v str,
    scratch_types: Vec<Rtype>,
    scratch_prepared: Vec<(Rtype, u32)>,
    /// Names looked up for the entry being prepared: ((address, length), owner).
    finds: Vec<((usize, usize), Option<u32>)>,
    /// Every answer through the general encoder (tests compare the fast path with it).
    general_only: bool,
}

/// The sections of one answer, before they are written.
#[derive(Default)]
struct Counts {
    rcode: u8,
    aa: bool,
    an: u16,
    ns: u16,
    ar: u16,
    cut: usize,
    rotate: Option<Rotate>,
}

impl<'v> Out<'v> {
    fn new(view: &'v str, segment: u32) -> Self {
        Out {
            segment,
            answers: Vec::new(),
            types: Vec::new(),
            enc: Enc::default(),
            view,
            scratch_types: Vec::new(),
            scratch_prepared: Vec::new(),
            finds: Vec::new(),
            general_only: false,
        }
    }

    /// Appends the encoder's body with its header; returns where it starts.
    fn finish(&mut self, c: Counts, name: &[u8], qtype: Option<Rtype>) -> Result<u32, BuildError> {
        let at = write_answer(&mut self.answers, &c, &self.enc.buf)
            .ok_or_else(|| self.too_large(self.enc.buf.len(), name, qtype))?;
        Ok(self.segment << SEGMENT_BITS | at)
    }

    /// The error for a body that does not fit (a DNS message, or the segment).
    fn too_large(&self, len: usize, name: &[u8], qtype: Option<Rtype>) -> BuildError {
        if len + 12 + 259 > 65535 {
            BuildError::TooLarge {
                view: self.view.to_owned(),
                name: name::to_text(name),
                rtype: qtype.map_or_else(|| "(other)".into(), |t| t.to_string()),
                len,
            }
        } else {
            BuildError::Huge {
                view: self.view.to_owned(),
            }
        }
    }

    /// The answer of a name's only record, of a plain type: what [`Out::plain`] writes for a one-record set,
    /// written straight into the segment (most names of a large zone).
    fn single(&mut self, r: RrRef<'_>, name: &[u8]) -> Result<u32, BuildError> {
        let mut body = [0u8; 12 + 256];
        let len = 12 + r.rdata.len();
        body[..12].copy_from_slice(&record_head(r.rtype, r.ttl, r.rdata.len()));
        body[12..len].copy_from_slice(r.rdata);
        let c = Counts {
            aa: true,
            an: 1,
            cut: len,
            ..Counts::default()
        };
        let at = write_answer(&mut self.answers, &c, &body[..len])
            .ok_or_else(|| self.too_large(len, name, Some(r.rtype)))?;
        Ok(self.segment << SEGMENT_BITS | at)
    }

    /// The negative answer of a zone: its SOA in the authority section with the negative TTL (RFC 2308 §3).
    fn negative(&mut self, soa: RrRef<'_>, rcode: u8) -> Result<u32, BuildError> {
        self.enc.plain(None);
        let ttl = soa.ttl.min(soa.soa_minimum().unwrap_or(soa.ttl));
        self.enc.rr(soa.owner, soa, ttl);
        let c = Counts {
            rcode,
            aa: true,
            ns: 1,
            cut: self.enc.buf.len(),
            ..Counts::default()
        };
        self.finish(c, soa.owner, Some(Rtype::SOA))
    }

    /// RFC 8482 §4.2: one synthesized HINFO record for the question name.
    fn any_answer(&mut self) -> Result<u32, BuildError> {
        self.enc.plain(None);
        let b = &mut self.enc.buf;
        b.extend_from_slice(&[0xc0, 0x0c]);
        b.extend_from_slice(&Rtype::HINFO.to_be_bytes());
        b.extend_from_slice(&1u16.to_be_bytes());
        b.extend_from_slice(&3600u32.to_be_bytes());
        let hinfo = b"\x07RFC8482\x00";
        b.extend_from_slice(&(hinfo.len() as u16).to_be_bytes());
        b.extend_from_slice(hinfo);
        let c = Counts {
            aa: true,
            an: 1,
            cut: b.len(),
            ..Counts::default()
        };
        self.finish(c, b"\0", Some(Rtype::ANY))
    }

    /// A referral to the delegation at `cut`: its NS records in the authority section and in-zone glue
    /// (RFC 1034 §4.3.2, RFC 9471). Written without compression since the question name varies.
    fn referral(&mut self, ix: &Index<'_>, cut: &[u8]) -> Result<u32, BuildError> {
        self.enc.plain(None);
        let mut ns = 0u16;
        for r in ix.rrset(cut, Rtype::NS) {
            self.enc.rr(cut, r, r.ttl);
            ns += 1;
        }
        let cut_len = self.enc.buf.len();
        let mut ar = 0u16;
        for r in ix.rrset(cut, Rtype::NS) {
            if let Some(target) = r.target() {
                for t in [Rtype::A, Rtype::AAAA] {
                    for g in ix.rrset(target, t) {
                        self.enc.rr(target, g, g.ttl);
                        ar += 1;
                    }
                }
            }
        }
        let c = Counts {
            ns,
            ar,
            cut: cut_len,
            ..Counts::default()
        };
        self.finish(c, cut, Some(Rtype::NS))
    }

    /// The prepared answers of one owner name. `synth` prepares them for wildcard synthesis.
    fn entry_for(
        &mut self,
        ix: &Index<'_>,
        owner: u32,
        name_at: u32,
        zi: u32,
        zones: &[ZoneInfo],
        synth: bool,
    ) -> Result<Entry, BuildError> {
        // Most names: one record of a plain type.
        if let [only] = ix.group(owner)
            && !self.general_only
        {
            let r = ix.store.get(*only as usize);
            if plain_type(r.rtype) && r.rdata.len() <= 256 {
                let at = self.single(r, r.owner)?;
                return Ok(Entry {
                    name: name_at,
                    zone: zi,
                    cut: false,
                    ntypes: 1,
                    t1: r.rtype,
                    types: at,
                    otherwise: zones[zi as usize].nodata,
                });
            }
        }
        self.finds.clear();
        let mut types = std::mem::take(&mut self.scratch_types);
        ix.types(owner, &mut types);
        let mut prepared = std::mem::take(&mut self.scratch_prepared);
        prepared.clear();
        let otherwise = if types.contains(&Rtype::CNAME) {
            // The CNAME itself, the chain's answer for every type at its end, and the chain plus the end's
            // negative answer for every other type (RFC 1034 §4.3.2, RFC 6604).
            prepared.push((
                Rtype::CNAME,
                self.chase(ix, owner, Some(Rtype::CNAME), synth)?,
            ));
            let mut end_types = Vec::new();
            if let Some(e) = self.chain_end(ix, owner) {
                ix.types(e, &mut end_types);
            }
            for t in end_types.into_iter().filter(|t| *t != Rtype::CNAME) {
                prepared.push((t, self.chase(ix, owner, Some(t), synth)?));
            }
            self.chase(ix, owner, None, synth)?
        } else {
            for &t in &types {
                let answer = if self.general_only || !plain_type(t) {
                    self.chase(ix, owner, Some(t), synth)?
                } else {
                    self.plain(ix, owner, t)?
                };
                prepared.push((t, answer));
            }
            // NODATA: the zone's prepared answer, whose SOA owner is written in full, fits any question name.
            zones[zi as usize].nodata
        };
        let (ntypes, t1, at): (u8, Rtype, u32) = match prepared.as_slice() {
            [] => (0, Rtype(0), 0),
            [(t, a)] => (1, *t, *a),
            many => {
                let n = u8::try_from(many.len()).map_err(|_| BuildError::TooManyTypes {
                    view: self.view.to_owned(),
                    name: name::to_text(ix.name(owner)),
                    types: many.len(),
                })?;
                let at = self.types.len() as u32;
                self.types.extend_from_slice(many);
                (n, Rtype(0), at)
            }
        };
        self.scratch_types = types;
        self.scratch_prepared = prepared;
        Ok(Entry {
            name: name_at,
            zone: zi,
            cut: false,
            ntypes,
            t1,
            types: at,
            otherwise,
        })
    }

    /// The answer for the owner numbered `start_owner` and `qtype` (`None`: a type the name does not have),
    /// following CNAMEs inside the view's zones. With `synth`, the owner is a wildcard and is written as the
    /// question name.
    fn chase(
        &mut self,
        ix: &Index<'_>,
        start_owner: u32,
        qtype: Option<Rtype>,
        synth: bool,
    ) -> Result<u32, BuildError> {
        let start = ix.name(start_owner);
        let mut current_owner = Some(start_owner);
        if synth {
            self.enc.plain(Some(start));
        } else {
            self.enc.exact(start);
        }
        let mut c = Counts {
            aa: true,
            ..Counts::default()
        };
        let mut current = start;
        let mut links = 0;
        let mut additional_for: Vec<RrRef<'_>> = Vec::new();
        loop {
            if let Some(t) = qtype {
                let mut set = ix.rrset_of(current_owner, t).peekable();
                if let Some(first) = set.peek().copied() {
                    let first_at = self.enc.buf.len();
                    let mut lens = [0usize; 2];
                    let mut equal = true;
                    let mut n = 0usize;
                    for r in set {
                        let before = self.enc.buf.len();
                        self.enc.rr(current, r, first.ttl);
                        let len = self.enc.buf.len() - before;
                        if n == 0 {
                            lens[0] = len;
                        } else if len != lens[0] {
                            equal = false;
                        }
                        n += 1;
                        c.an += 1;
                        if r.target().is_some() {
                            additional_for.push(r);
                        }
                    }
                    let balanced = (t == Rtype::A || t == Rtype::AAAA) && n > 1;
                    if balanced && equal && c.rotate.is_none() {
                        c.rotate = Some(Rotate {
                            offset: first_at as u32,
                            len: lens[0] as u16,
                            count: n as u16,
                        });
                    }
                    break;
                }
            }
            if qtype != Some(Rtype::CNAME)
                && links < 8
                && let Some(r) = ix.rrset_of(current_owner, Rtype::CNAME).next()
            {
                self.enc.rr(current, r, r.ttl);
                c.an += 1;
                links += 1;
                if let Some(target) = r.cname() {
                    current = target;
                    current_owner = self.find(ix, current);
                    if ix.zone_of(current).is_none() {
                        // Outside this view's zones: the client resolves the rest itself.
                        break;
                    }
                    continue;
                }
                break;
            }
            // No data of this type here: NODATA or NXDOMAIN with the SOA of the zone holding the name.
            if let Some(zi) = ix.zone_of(current) {
                if current_owner.is_none() {
                    c.rcode = 3;
                }
                let soa = ix.soa(zi);
                self.enc.rr(
                    soa.owner,
                    soa,
                    soa.ttl.min(soa.soa_minimum().unwrap_or(soa.ttl)),
                );
                c.ns += 1;
            }
            break;
        }
        c.cut = self.enc.buf.len();
        // Additional section: addresses of SRV, MX and NS targets that this view serves (RFC 2782, RFC 1035
        // §3.3.9).
        let mut done: Vec<&[u8]> = Vec::new();
        for r in additional_for {
            if let Some(target) = r.target()
                && !done.contains(&target)
            {
                done.push(target);
                let o = self.find(ix, target);
                for t in [Rtype::A, Rtype::AAAA] {
                    for g in ix.rrset_of(o, t) {
                        self.enc.rr(target, g, g.ttl);
                        c.ar += 1;
                    }
                }
            }
        }
        self.finish(c, start, qtype)
    }

    /// The answer of an RRset whose data holds no name to compress and asks for no additional data (A, AAAA,
    /// TXT and most other types): each record is the pointer to the question, the fixed fields and the data as
    /// stored, so it is written directly, without the general encoder. Octet for octet what [`Out::chase`]
    /// writes (checked by a unit test); most names of a large zone take this path.
    fn plain(&mut self, ix: &Index<'_>, owner: u32, t: Rtype) -> Result<u32, BuildError> {
        let buf = &mut self.enc.buf;
        buf.clear();
        let mut c = Counts {
            aa: true,
            ..Counts::default()
        };
        let mut ttl = None;
        let mut len0 = 0usize;
        let mut equal = true;
        for r in ix.rrset_of(Some(owner), t) {
            let ttl = *ttl.get_or_insert(r.ttl);
            let before = buf.len();
            buf.extend_from_slice(&record_head(t, ttl, r.rdata.len()));
            buf.extend_from_slice(r.rdata);
            let len = buf.len() - before;
            if c.an == 0 {
                len0 = len;
            } else if len != len0 {
                equal = false;
            }
            c.an += 1;
        }
        if (t == Rtype::A || t == Rtype::AAAA) && c.an > 1 && equal {
            c.rotate = Some(Rotate {
                offset: 0,
                len: len0 as u16,
                count: c.an,
            });
        }
        c.cut = buf.len();
        let name = ix.name(owner);
        self.finish(c, name, Some(t))
    }

    /// The owner number of `n`, remembered for the entry being prepared (its CNAME chain and additional-data
    /// targets are looked up once per answer otherwise). Names are slices of the arena: same place, same name.
    fn find(&mut self, ix: &Index<'_>, n: &[u8]) -> Option<u32> {
        let key = (n.as_ptr() as usize, n.len());
        if let Some(&(_, found)) = self.finds.iter().find(|(k, _)| *k == key) {
            return found;
        }
        let found = ix.find(n);
        if self.finds.len() < 16 {
            self.finds.push((key, found));
        }
        found
    }

    /// The owner where the CNAME chain from `start` ends (at most 8 links), if it exists.
    fn chain_end(&mut self, ix: &Index<'_>, start: u32) -> Option<u32> {
        let mut o = Some(start);
        for _ in 0..8 {
            match ix.rrset_of(o, Rtype::CNAME).next().and_then(|r| r.cname()) {
                Some(t) => o = self.find(ix, t),
                None => break,
            }
        }
        o
    }
}

/// Appends an answer (header and body) to a segment; its offset, or `None` if the body does not fit a DNS message
/// or the segment.
fn write_answer(answers: &mut Vec<u8>, c: &Counts, body: &[u8]) -> Option<u32> {
    let at = answers.len();
    if body.len() + 12 + 259 > 65535 || at + HEADER + ROTATE + body.len() > SEGMENT_MASK as usize {
        return None;
    }
    let mut head = [0u8; HEADER + ROTATE];
    head[0] = c.rcode;
    head[1] = c.aa as u8 | (c.rotate.is_some() as u8) << 1;
    let r = c.rotate.unwrap_or(Rotate {
        offset: 0,
        len: 0,
        count: 0,
    });
    let fields = [
        c.an,
        c.ns,
        c.ar,
        body.len() as u16,
        c.cut as u16,
        r.offset as u16,
        r.len,
        r.count,
    ];
    for (k, v) in fields.iter().enumerate() {
        head[2 + 2 * k..4 + 2 * k].copy_from_slice(&v.to_le_bytes());
    }
    let head_len = if c.rotate.is_some() {
        HEADER + ROTATE
    } else {
        HEADER
    };
    answers.reserve(head_len + body.len());
    answers.extend_from_slice(&head[..head_len]);
    answers.extend_from_slice(body);
    Some(at as u32)
}

/// The fixed part of a record owned by the question name: the pointer to it (`0xC00C`), type, class IN, TTL and
/// RDATA length.
fn record_head(t: Rtype, ttl: u32, rdlen: usize) -> [u8; 12] {
    let ty = t.to_be_bytes();
    let l = ttl.to_be_bytes();
    let d = (rdlen as u16).to_be_bytes();
    [
        0xc0, 0x0c, ty[0], ty[1], 0, 1, l[0], l[1], l[2], l[3], d[0], d[1],
    ]
}

/// Types whose RDATA holds no compressible name and whose answers carry no additional data.
fn plain_type(t: Rtype) -> bool {
    !matches!(
        t,
        Rtype::CNAME | Rtype::NS | Rtype::PTR | Rtype::MX | Rtype::SOA | Rtype::SRV
    )
}

/// Encoder of one prepared body, reused from body to body (no allocation once its buffers have grown).
#[derive(Default)]
struct Enc {
    buf: Vec<u8>,
    /// Offset of the body in the message.
    base: usize,
    /// Names already written (or in the question): their octets in `names` and their message offsets.
    table: Vec<(usize, usize, u16)>,
    names: Vec<u8>,
    compress: bool,
    /// A name written as a pointer to the question name (wildcard owners).
    placeholder: Vec<u8>,
    has_placeholder: bool,
}

impl Enc {
    fn reset(&mut self) {
        self.buf.clear();
        self.table.clear();
        self.names.clear();
        self.placeholder.clear();
        self.has_placeholder = false;
    }

    /// For answers to the exact name `qname`: compress against the question and earlier names.
    fn exact(&mut self, qname: &[u8]) {
        self.reset();
        let at = self.names.len();
        self.names.extend_from_slice(qname);
        let mut i = 0usize;
        while qname.len() - i > 1 {
            self.table.push((at + i, qname.len() - i, (12 + i) as u16));
            i += qname[i] as usize + 1;
        }
        self.base = 12 + qname.len() + 4;
        self.compress = true;
    }

    /// For answers whose question name varies: no compression; `placeholder` becomes a pointer to the question.
    fn plain(&mut self, placeholder: Option<&[u8]>) {
        self.reset();
        self.base = 0;
        self.compress = false;
        if let Some(p) = placeholder {
            self.placeholder.extend_from_slice(p);
            self.has_placeholder = true;
        }
    }

    fn known(&self, n: &[u8]) -> Option<u16> {
        self.table
            .iter()
            .find(|(at, len, _)| *len == n.len() && &self.names[*at..*at + *len] == n)
            .map(|(_, _, off)| *off)
    }

    fn name(&mut self, n: &[u8], may_compress: bool) {
        if self.has_placeholder && self.placeholder.as_slice() == n {
            self.buf.extend_from_slice(&[0xc0, 0x0c]);
            return;
        }
        if !(self.compress && may_compress) {
            self.buf.extend_from_slice(n);
            return;
        }
        // Write labels until a suffix already in the message; remember the new suffixes (the name is copied
        // once, its suffixes are ranges of the copy).
        let mut i = 0usize;
        let first_new = self.table.len();
        let at = self.names.len();
        loop {
            let rest = &n[i..];
            if rest.len() <= 1 {
                self.buf.push(0);
                break;
            }
            if let Some(off) = self.known(rest) {
                self.buf.extend_from_slice(&(0xc000 | off).to_be_bytes());
                break;
            }
            let pos = self.base + self.buf.len();
            if pos < 0x3fff {
                self.table.push((at + i, rest.len(), pos as u16));
            }
            let len = rest[0] as usize;
            self.buf.extend_from_slice(&rest[..=len]);
            i += len + 1;
        }
        if self.table.len() > first_new {
            self.names.extend_from_slice(n);
        }
    }

    fn rr(&mut self, owner: &[u8], r: RrRef<'_>, ttl: u32) {
        self.name(owner, true);
        let t = r.rtype.to_be_bytes();
        let l = ttl.to_be_bytes();
        self.buf
            .extend_from_slice(&[t[0], t[1], 0, 1, l[0], l[1], l[2], l[3], 0, 0]);
        let len_at = self.buf.len() - 2;
        for part in r.parts() {
            match part {
                // Compression inside RDATA only for the RFC 1035 types (RFC 3597 §4).
                Part::Name(n) => self.name(n, true),
                Part::Octets(o) => self.buf.extend_from_slice(o),
            }
        }
        let rdlen = (self.buf.len() - len_at - 2) as u16;
        self.buf[len_at..len_at + 2].copy_from_slice(&rdlen.to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast path for plain RRsets writes exactly what the general encoder writes, for exact names and for
    /// wildcard synthesis, single records and load-balanced sets, several types at one name.
    #[test]
    fn plain_answers_equal_the_general_encoders() {
        let text = "$ORIGIN example.test.\n$TTL 300\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nns A 192.0.2.53\n\
            a A 192.0.2.1\nb A 192.0.2.1\nb A 192.0.2.2\nb A 192.0.2.3\nb 60 AAAA 2001:db8::1\nb TXT \"x\" \"yz\"\n\
            t TXT \"one\"\nt TXT \"three\"\n*.w A 192.0.2.9\n*.w CAA 0 issue \"ca.test\"\nc CNAME b\n_s._tcp SRV 0 0 1 b\n\
            u TXT \"solo\"\nv 7 AAAA 2001:db8::5\n*.x A 192.0.2.7\n";
        let zone = lyncdns_dnsdata::zonefile::parse_text(text, "t.zone").unwrap();
        let view = |general_only| {
            compile_view(
                ViewInput {
                    name: "v".into(),
                    clients: vec![],
                    zones: vec![zone.clone()],
                },
                usize::MAX,
                general_only,
            )
            .unwrap()
        };
        let (fast, general) = (view(false), view(true));
        assert_eq!(fast.entries, general.entries);
        assert_eq!(fast.answers, general.answers);
        assert_eq!(fast.types, general.types);
        let w = |v: &ViewData| {
            let mut k: Vec<(Vec<u8>, Entry)> =
                v.wildcards.iter().map(|(k, e)| (k.to_vec(), *e)).collect();
            k.sort_by(|a, b| a.0.cmp(&b.0));
            k
        };
        assert_eq!(w(&fast), w(&general));
    }
}
