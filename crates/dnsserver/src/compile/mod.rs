//! Compiling zones into a [`Snapshot`]: for every view, every name and every type it has, the complete answer
//! body (answer, authority and additional sections) is encoded once, with name compression, when the data is
//! loaded. Answering a query is then a hash lookup and a copy (see [`crate::answer`]).
//!
//! One job per file:
//!
//! - `mod.rs` (here): [`Snapshot::build`], its input ([`ViewInput`], [`Options`]) and errors ([`BuildError`]); the
//!   steps that compile one view, and the split of its names among threads.
//! - `group.rs`: a view's zones checked and merged into one record store; its owners numbered and their records
//!   grouped (RRsets together, duplicates removed, a CNAME alone); empty non-terminals; zone cuts.
//! - `encode.rs`: the prepared answers: the general encoder with name compression, the fast path for plain
//!   RRsets, and the negative, referral, ANY and CNAME-chain bodies, written into answer segments.
//! - `snapshot.rs`: the compiled data ([`Snapshot`], [`ViewData`], [`Entry`], [`Prepared`]) and the lookups
//!   [`crate::answer`] makes in it.
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

mod encode;
mod group;
mod snapshot;

use ipnet::IpNet;
use lyncdns_model::Rotation;

use lyncdns_dnsdata::name;
use lyncdns_dnsdata::record::{Source, Zone};
use lyncdns_dnsdata::types::Rtype;
use lyncdns_dnsdata::view::ViewMatcher;

use encode::Out;
use group::{Index, ZoneMeta, merge};
pub use snapshot::{Entry, FxMap, Prepared, Rotate, Snapshot, ViewData, ZoneInfo};

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
    /// The identity answered in answers and diagnostics that are off unless configured.
    pub identity: Identity,
    /// DNS Cookies (RFC 7873), if on.
    pub cookies: Option<crate::cookie::Cookies>,
    /// Whether TCP clients that ask are told the idle timeout (RFC 7828).
    pub tcp_keepalive: bool,
}

/// What the server says about itself, each off (`None`) unless configured; strings are cut at
/// [`Identity::MAX`] octets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    /// NSID sent to clients that ask (RFC 5001).
    pub nsid: Option<Vec<u8>>,
    /// TXT answered to `version.bind` and `version.server` in class CHAOS.
    pub version: Option<Vec<u8>>,
    /// TXT answered to `hostname.bind` and `id.server` in class CHAOS (RFC 4892).
    pub hostname: Option<Vec<u8>>,
}

impl Identity {
    /// The longest string kept: every response with it still fits 512 octets.
    pub const MAX: usize = 128;

    /// The identity with each string cut at [`Identity::MAX`] octets.
    pub fn new(nsid: Option<&str>, version: Option<&str>, hostname: Option<&str>) -> Identity {
        let cut = |s: Option<&str>| s.map(|s| s.as_bytes()[..s.len().min(Self::MAX)].to_vec());
        Identity {
            nsid: cut(nsid),
            version: cut(version),
            hostname: cut(hostname),
        }
    }
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
            identity: options.identity.clone(),
            rrl: Vec::new(),
            cookies: options.cookies.clone(),
            tcp_keepalive: options.tcp_keepalive,
            xfr: Default::default(),
        })
    }
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
        clients,
    } = input;
    let counts: Vec<(Option<u32>, usize)> = zones
        .iter()
        .map(|z| (soa_serial(z), z.records.len()))
        .collect();
    let metas: Vec<ZoneMeta> = zones
        .iter()
        .map(|z| ZoneMeta {
            apex: z.apex.clone(),
            source: z.source.clone(),
        })
        .collect();
    let (store, ranges) = merge(&view_name, zones)?;
    // Owners numbered and their records grouped, then the empty non-terminals and the zone cuts (`group.rs`).
    let mut ix = Index::new(&view_name, &metas, &store, &ranges)?;
    let with_records = ix.with_records();
    let records = ix.records();
    ix.add_empty_non_terminals();
    let is_cut = ix.cuts();
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
            serial: counts[zi].0,
            records: counts[zi].1,
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
        clients,
    })
}

/// The serial of a zone's SOA at its apex: the first of the five 32-bit fields that end its RDATA (RFC 1035
/// §3.3.13).
fn soa_serial(zone: &Zone) -> Option<u32> {
    let soa = zone
        .records
        .iter()
        .find(|r| r.rtype == Rtype::SOA && r.owner == zone.apex.as_slice())?;
    let at = soa.rdata.len().checked_sub(20)?;
    let serial = soa.rdata.get(at..at + 4)?;
    Some(u32::from_be_bytes([
        serial[0], serial[1], serial[2], serial[3],
    ]))
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
                    // At the cut itself, DS is answered from the parent side (RFC 4035 §3.1.4.1).
                    let (ntypes, t1, types) = if c as usize == o {
                        (1, Rtype::DS, out.ds_at_cut(ix, c)?)
                    } else {
                        (0, Rtype(0), 0)
                    };
                    Entry {
                        name: off,
                        zone: zi,
                        cut: true,
                        ntypes,
                        t1,
                        types,
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
