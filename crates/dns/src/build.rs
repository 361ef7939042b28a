//! Compiling zones into a [`Snapshot`]: for every view, every name and every type it has, the complete answer
//! body (answer, authority and additional sections) is encoded once, with name compression, when the data is
//! loaded. Answering a query is then a hash lookup and a copy (see [`crate::answer`]).
//!
//! How a prepared body stays valid for any query: an exact-name answer is encoded for a message whose question
//! holds that very name at offset 12, so its compression pointers are right for every query of that name (the
//! client's 0x20 case changes no length). Negative and wildcard answers, whose question name varies, are
//! encoded without compression, except that the synthesized owner is the pointer to the question (`0xC00C`).

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use ipnet::IpNet;
use lyncdns_model::Rotation;
use rustc_hash::FxHasher;

use crate::name;
use crate::record::{RData, Rr, Zone, rtype};
use crate::view::ViewMatcher;

/// Hash map with the fast, non-cryptographic hasher used on the answer path. Keys come from our own zone data,
/// and lookups of attacker-chosen names cost one hash each, so hash flooding cannot build long chains.
pub type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// A response body prepared when the data was loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
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
    pub body: Box<[u8]>,
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

/// What a name answers: a prepared body per type, and one for every other type.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Index of the zone that holds the name.
    pub zone: u32,
    /// `(qtype, prepared index)` for each type with data (for a CNAME owner: the types at the chain's end).
    pub types: Box<[(u16, u32)]>,
    /// The prepared answer for any other type (NODATA, a CNAME chain, or a referral).
    pub otherwise: u32,
    /// True for a zone cut (a delegation): names below it get its referral.
    pub cut: bool,
}

impl Entry {
    /// The prepared answer for `qtype`.
    #[inline]
    pub fn for_type(&self, qtype: u16) -> u32 {
        for &(t, idx) in self.types.iter() {
            if t == qtype {
                return idx;
            }
        }
        self.otherwise
    }
}

/// A zone's negative answers.
#[derive(Debug, Clone)]
pub struct ZoneInfo {
    /// Apex, lowercase wire.
    pub apex: Vec<u8>,
    /// Where it came from.
    pub source: String,
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
    /// Every name with data, every empty non-terminal and every zone apex.
    pub names: FxMap<Box<[u8]>, Entry>,
    /// Wildcard answers, keyed by the wildcard's parent (the closest encloser that synthesizes them).
    pub wildcards: FxMap<Box<[u8]>, Entry>,
    /// All prepared answers of the view.
    pub prepared: Vec<Prepared>,
    /// The view's zones.
    pub zones: Vec<ZoneInfo>,
    /// The RFC 8482 answer to ANY (a synthesized HINFO for the question name).
    pub any: u32,
    /// Number of records served.
    pub records: usize,
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
        first: String,
        /// Source of the second.
        second: String,
    },
    /// A zone without an SOA at its apex.
    #[error("view {view}: zone {apex} has no SOA record at its apex")]
    NoSoa {
        /// The view.
        view: String,
        /// The apex.
        apex: String,
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
}

impl Snapshot {
    /// Compiles `views` (in match order).
    pub fn build(views: Vec<ViewInput>, options: &Options) -> Result<Snapshot, BuildError> {
        let matcher = ViewMatcher::new(views.iter().map(|v| v.clients.as_slice()));
        let views = views
            .into_iter()
            .map(compile_view)
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

/// A view's records, indexed.
struct Index<'a> {
    view: &'a str,
    /// `(owner, type)` → records, in file order.
    rrsets: FxMap<(&'a [u8], u16), Vec<&'a Rr>>,
    /// owner → (zone index, types in first-seen order).
    owners: FxMap<&'a [u8], (u32, Vec<u16>)>,
    zones: &'a [Zone],
}

impl<'a> Index<'a> {
    /// The zone index holding `n` (longest apex), if any.
    fn zone_of(&self, n: &[u8]) -> Option<u32> {
        let mut best: Option<(usize, u32)> = None;
        for (i, z) in self.zones.iter().enumerate() {
            if name::is_within(n, &z.apex) && best.is_none_or(|(len, _)| z.apex.len() > len) {
                best = Some((z.apex.len(), i as u32));
            }
        }
        best.map(|(_, i)| i)
    }

    fn exists(&self, n: &[u8]) -> bool {
        self.owners.contains_key(n)
            || self
                .owners
                .keys()
                .any(|o| o.len() > n.len() && name::is_within(o, n))
    }
}

fn compile_view(input: ViewInput) -> Result<ViewData, BuildError> {
    let ViewInput {
        name: view_name,
        zones,
        ..
    } = input;
    for (i, z) in zones.iter().enumerate() {
        if let Some(first) = zones[..i].iter().find(|o| o.apex == z.apex) {
            return Err(BuildError::DuplicateZone {
                view: view_name,
                apex: name::to_text(&z.apex),
                first: first.source.clone(),
                second: z.source.clone(),
            });
        }
        if !z
            .records
            .iter()
            .any(|r| r.rtype == rtype::SOA && r.owner == z.apex)
        {
            return Err(BuildError::NoSoa {
                view: view_name,
                apex: name::to_text(&z.apex),
            });
        }
    }
    // Sized once: rehashing a million-entry map several times costs more than the lookups.
    let total: usize = zones.iter().map(|z| z.records.len()).sum();
    let mut ix = Index {
        view: &view_name,
        rrsets: FxMap::with_capacity_and_hasher(total, Default::default()),
        owners: FxMap::with_capacity_and_hasher(total, Default::default()),
        zones: &zones,
    };
    let mut records = 0;
    for (zi, z) in zones.iter().enumerate() {
        for r in &z.records {
            // A record under a more specific zone of this view belongs to that zone, not this one.
            if ix.zone_of(&r.owner) != Some(zi as u32) {
                continue;
            }
            let set = ix.rrsets.entry((r.owner.as_slice(), r.rtype)).or_default();
            if set.contains(&r) {
                continue;
            }
            set.push(r);
            records += 1;
            let (_, types) = ix
                .owners
                .entry(r.owner.as_slice())
                .or_insert((zi as u32, Vec::new()));
            if !types.contains(&r.rtype) {
                types.push(r.rtype);
            }
        }
    }

    let mut out = ViewData {
        name: view_name.clone(),
        names: FxMap::with_capacity_and_hasher(total, Default::default()),
        wildcards: FxMap::default(),
        prepared: Vec::with_capacity(total + 2 * zones.len() + 1),
        zones: Vec::new(),
        any: 0,
        records,
    };
    for z in zones.iter() {
        let soa = ix.rrsets[&(z.apex.as_slice(), rtype::SOA)][0];
        let nxdomain = push(&mut out, negative(soa, 3));
        let nodata = push(&mut out, negative(soa, 0));
        out.zones.push(ZoneInfo {
            apex: z.apex.clone(),
            source: z.source.clone(),
            nxdomain,
            nodata,
        });
    }
    out.any = push(&mut out, any_answer());

    // Zone cuts: NS records below an apex delegate; every name at or below such a name gets its referral.
    let cuts: Vec<&[u8]> = ix
        .owners
        .iter()
        .filter(|(o, (zi, types))| {
            types.contains(&rtype::NS) && **o != zones[*zi as usize].apex.as_slice()
        })
        .map(|(o, _)| *o)
        .collect();

    let mut owners: Vec<(&[u8], u32)> = ix.owners.iter().map(|(o, (zi, _))| (*o, *zi)).collect();
    owners.sort();
    for (owner, zi) in owners {
        let cut = cuts.iter().find(|c| name::is_within(owner, c)).copied();
        let wildcard = owner.starts_with(b"\x01*");
        let entry = match cut {
            Some(c) => {
                let referral = push(&mut out, referral(&ix, c));
                Entry {
                    zone: zi,
                    types: Box::new([]),
                    otherwise: referral,
                    cut: true,
                }
            }
            None => entry_for(&ix, &mut out, owner, zi, false)?,
        };
        if wildcard && cut.is_none() {
            let synth = entry_for(&ix, &mut out, owner, zi, true)?;
            if let Some(parent) = name::parent(owner) {
                out.wildcards.insert(parent.into(), synth);
            }
        }
        out.names.insert(owner.into(), entry);
        // Empty non-terminals between the name and its apex answer NODATA, not NXDOMAIN (RFC 4592 §2.2.2).
        let apex = zones[zi as usize].apex.as_slice();
        let mut up = name::parent(owner);
        while let Some(p) = up {
            if p.len() < apex.len() || out.names.contains_key(p) || ix.owners.contains_key(p) {
                break;
            }
            let nodata = out.zones[zi as usize].nodata;
            out.names.insert(
                p.into(),
                Entry {
                    zone: zi,
                    types: Box::new([]),
                    otherwise: nodata,
                    cut: false,
                },
            );
            up = name::parent(p);
        }
    }
    Ok(out)
}

fn push(out: &mut ViewData, p: Prepared) -> u32 {
    out.prepared.push(p);
    (out.prepared.len() - 1) as u32
}

/// The prepared answers of one owner name. `synth` prepares them for wildcard synthesis.
fn entry_for(
    ix: &Index<'_>,
    out: &mut ViewData,
    owner: &[u8],
    zi: u32,
    synth: bool,
) -> Result<Entry, BuildError> {
    let types = &ix.owners[owner].1;
    let mut prepared: Vec<(u16, u32)> = Vec::new();
    let otherwise = if types.contains(&rtype::CNAME) {
        // The CNAME itself, the chain's answer for every type at its end, and the chain plus the end's negative
        // answer for every other type (RFC 1034 §4.3.2, RFC 6604).
        let p = chase(ix, owner, Some(rtype::CNAME), synth)?;
        prepared.push((rtype::CNAME, push(out, p)));
        let end = chain_end(ix, owner);
        let end_types: Vec<u16> = ix
            .owners
            .get(end)
            .map(|(_, t)| t.clone())
            .unwrap_or_default();
        for t in end_types.into_iter().filter(|t| *t != rtype::CNAME) {
            let p = chase(ix, owner, Some(t), synth)?;
            prepared.push((t, push(out, p)));
        }
        let p = chase(ix, owner, None, synth)?;
        push(out, p)
    } else {
        for &t in types {
            let p = chase(ix, owner, Some(t), synth)?;
            prepared.push((t, push(out, p)));
        }
        // NODATA: the zone's prepared answer, whose SOA owner is written in full, fits any question name.
        out.zones[zi as usize].nodata
    };
    Ok(Entry {
        zone: zi,
        types: prepared.into_boxed_slice(),
        otherwise,
        cut: false,
    })
}

/// Where a CNAME chain starting at `start` ends (at most 8 links).
fn chain_end<'a>(ix: &Index<'a>, start: &'a [u8]) -> &'a [u8] {
    let mut n = start;
    for _ in 0..8 {
        match ix.rrsets.get(&(n, rtype::CNAME)).and_then(|s| s.first()) {
            Some(Rr {
                rdata: RData::Name(t),
                ..
            }) => n = t.as_slice(),
            _ => break,
        }
    }
    n
}

/// Encoder of one prepared body.
struct Enc<'q> {
    buf: Vec<u8>,
    /// Offset of the body in the message.
    base: usize,
    /// Names already written (or in the question) and their message offsets.
    table: Vec<(std::borrow::Cow<'q, [u8]>, u16)>,
    compress: bool,
    /// A name written as a pointer to the question name (wildcard owners).
    placeholder: Option<&'q [u8]>,
}

impl<'q> Enc<'q> {
    /// For answers to the exact name `qname`: compress against the question and earlier names.
    fn exact(qname: &'q [u8]) -> Self {
        let mut table = Vec::new();
        let mut rest = qname;
        let mut off = 12usize;
        while rest.len() > 1 {
            table.push((std::borrow::Cow::Borrowed(rest), off as u16));
            off += rest[0] as usize + 1;
            rest = &rest[rest[0] as usize + 1..];
        }
        Enc {
            buf: Vec::new(),
            base: 12 + qname.len() + 4,
            table,
            compress: true,
            placeholder: None,
        }
    }

    /// For answers whose question name varies: no compression; `placeholder` becomes a pointer to the question.
    fn plain(placeholder: Option<&'q [u8]>) -> Self {
        Enc {
            buf: Vec::new(),
            base: 0,
            table: Vec::new(),
            compress: false,
            placeholder,
        }
    }

    fn name(&mut self, n: &[u8], may_compress: bool) {
        if self.placeholder == Some(n) {
            self.buf.extend_from_slice(&[0xc0, 0x0c]);
            return;
        }
        if !(self.compress && may_compress) {
            self.buf.extend_from_slice(n);
            return;
        }
        let mut rest = n;
        loop {
            if rest.len() <= 1 {
                self.buf.push(0);
                return;
            }
            if let Some((_, off)) = self.table.iter().find(|(known, _)| known.as_ref() == rest) {
                self.buf.extend_from_slice(&(0xc000 | off).to_be_bytes());
                return;
            }
            let pos = self.base + self.buf.len();
            if pos < 0x3fff {
                self.table
                    .push((std::borrow::Cow::Owned(rest.to_vec()), pos as u16));
            }
            let len = rest[0] as usize;
            self.buf.extend_from_slice(&rest[..=len]);
            rest = &rest[len + 1..];
        }
    }

    fn rr(&mut self, owner: &[u8], r: &Rr, ttl: u32) {
        self.name(owner, true);
        self.buf.extend_from_slice(&r.rtype.to_be_bytes());
        self.buf.extend_from_slice(&1u16.to_be_bytes());
        self.buf.extend_from_slice(&ttl.to_be_bytes());
        let len_at = self.buf.len();
        self.buf.extend_from_slice(&[0, 0]);
        match &r.rdata {
            // Compression inside RDATA only for the RFC 1035 types (RFC 3597 §4).
            RData::Name(n) => self.name(n, true),
            RData::Mx(pref, n) => {
                self.buf.extend_from_slice(&pref.to_be_bytes());
                self.name(n, true);
            }
            RData::Soa {
                mname,
                rname,
                numbers,
            } => {
                self.name(mname, true);
                self.name(rname, true);
                for n in numbers {
                    self.buf.extend_from_slice(&n.to_be_bytes());
                }
            }
            RData::Raw(raw) => self.buf.extend_from_slice(raw),
        }
        let rdlen = (self.buf.len() - len_at - 2) as u16;
        self.buf[len_at..len_at + 2].copy_from_slice(&rdlen.to_be_bytes());
    }
}

/// The negative answer of a zone: its SOA in the authority section with the negative TTL (RFC 2308 §3).
fn negative(soa: &Rr, rcode: u8) -> Prepared {
    let mut e = Enc::plain(None);
    let ttl = soa.ttl.min(soa.soa_minimum().unwrap_or(soa.ttl));
    e.rr(&soa.owner, soa, ttl);
    let len = e.buf.len() as u32;
    Prepared {
        rcode,
        aa: true,
        an: 0,
        ns: 1,
        ar: 0,
        body: e.buf.into(),
        cut: len,
        rotate: None,
    }
}

/// RFC 8482 §4.2: one synthesized HINFO record for the question name.
fn any_answer() -> Prepared {
    let mut e = Enc::plain(None);
    e.buf.extend_from_slice(&[0xc0, 0x0c]);
    e.buf.extend_from_slice(&rtype::HINFO.to_be_bytes());
    e.buf.extend_from_slice(&1u16.to_be_bytes());
    e.buf.extend_from_slice(&3600u32.to_be_bytes());
    let hinfo = b"\x07RFC8482\x00";
    e.buf.extend_from_slice(&(hinfo.len() as u16).to_be_bytes());
    e.buf.extend_from_slice(hinfo);
    let len = e.buf.len() as u32;
    Prepared {
        rcode: 0,
        aa: true,
        an: 1,
        ns: 0,
        ar: 0,
        body: e.buf.into(),
        cut: len,
        rotate: None,
    }
}

/// A referral to the delegation at `cut`: its NS records in the authority section and in-zone glue
/// (RFC 1034 §4.3.2, RFC 9471). Written without compression since the question name varies.
fn referral(ix: &Index<'_>, cut: &[u8]) -> Prepared {
    let mut e = Enc::plain(None);
    let ns = ix
        .rrsets
        .get(&(cut, rtype::NS))
        .cloned()
        .unwrap_or_default();
    for r in &ns {
        e.rr(cut, r, r.ttl);
    }
    let cut_len = e.buf.len() as u32;
    let mut ar = 0u16;
    for r in &ns {
        if let Some(target) = r.target() {
            for t in [rtype::A, rtype::AAAA] {
                for g in ix.rrsets.get(&(target, t)).into_iter().flatten() {
                    e.rr(target, g, g.ttl);
                    ar += 1;
                }
            }
        }
    }
    Prepared {
        rcode: 0,
        aa: false,
        an: 0,
        ns: ns.len() as u16,
        ar,
        body: e.buf.into(),
        cut: cut_len,
        rotate: None,
    }
}

/// The answer for `start` and `qtype` (`None`: a type the name does not have), following CNAMEs inside the
/// view's zones. With `synth`, `start` is a wildcard owner and is written as the question name.
fn chase(
    ix: &Index<'_>,
    start: &[u8],
    qtype: Option<u16>,
    synth: bool,
) -> Result<Prepared, BuildError> {
    let mut e = if synth {
        Enc::plain(Some(start))
    } else {
        Enc::exact(start)
    };
    let mut an = 0u16;
    let mut ns = 0u16;
    let mut ar = 0u16;
    let mut rotate = None;
    let mut rcode = 0u8;
    let mut current = start;
    let mut additional_for: Vec<&Rr> = Vec::new();
    let mut links = 0;
    loop {
        if let Some(t) = qtype
            && let Some(set) = ix.rrsets.get(&(current, t))
        {
            let first = e.buf.len();
            let mut lens = Vec::with_capacity(set.len());
            for r in set {
                let before = e.buf.len();
                e.rr(current, r, set[0].ttl);
                lens.push(e.buf.len() - before);
                an += 1;
            }
            let balanced = (t == rtype::A || t == rtype::AAAA) && set.len() > 1;
            if balanced && lens.iter().all(|l| *l == lens[0]) && rotate.is_none() {
                rotate = Some(Rotate {
                    offset: first as u32,
                    len: lens[0] as u16,
                    count: set.len() as u16,
                });
            }
            additional_for.extend(set.iter().copied());
            break;
        }
        if qtype != Some(rtype::CNAME)
            && let Some(set) = ix.rrsets.get(&(current, rtype::CNAME))
            && links < 8
        {
            let r = set[0];
            e.rr(current, r, r.ttl);
            an += 1;
            links += 1;
            if let RData::Name(target) = &r.rdata {
                current = target.as_slice();
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
            if !ix.exists(current) {
                rcode = 3;
            }
            let apex = ix.zones[zi as usize].apex.as_slice();
            let soa = ix.rrsets[&(apex, rtype::SOA)][0];
            e.rr(apex, soa, soa.ttl.min(soa.soa_minimum().unwrap_or(soa.ttl)));
            ns += 1;
        }
        break;
    }
    let cut = e.buf.len() as u32;
    // Additional section: addresses of SRV, MX and NS targets that this view serves (RFC 2782, RFC 1035 §3.3.9).
    let mut done: Vec<&[u8]> = Vec::new();
    for r in additional_for {
        if let Some(target) = r.target()
            && !done.contains(&target)
        {
            done.push(target);
            for t in [rtype::A, rtype::AAAA] {
                for g in ix.rrsets.get(&(target, t)).into_iter().flatten() {
                    e.rr(target, g, g.ttl);
                    ar += 1;
                }
            }
        }
    }
    if e.buf.len() + 12 + 259 > 65535 {
        return Err(BuildError::TooLarge {
            view: ix.view.to_owned(),
            name: name::to_text(start),
            rtype: qtype.map(rtype::name).unwrap_or_else(|| "(other)".into()),
            len: e.buf.len(),
        });
    }
    Ok(Prepared {
        rcode,
        aa: true,
        an,
        ns,
        ar,
        body: e.buf.into(),
        cut,
        rotate,
    })
}
