//! A view's records, indexed for compiling: the zones checked (no apex twice, an SOA at each apex) and merged
//! into one record store; the owners numbered through a [`NameTable`] and their records grouped by a counting sort
//! (RRsets together, duplicates removed, a CNAME alone); the empty non-terminals; the zone cuts. Every later
//! lookup (owners, cuts, CNAME targets, additional data) is a probe of that table, never a scan, and the index
//! allocates per view, not per record.

use std::ops::Range;

use crate::names::{NameTable, hash as hash_name};
use lyncdns_dnsdata::name;
use lyncdns_dnsdata::record::{Records, RrRef, Source, Zone};
use lyncdns_dnsdata::types::Rtype;

use super::BuildError;

/// Checks the zones of a view and merges their records into one store (the largest zone's arena, moved, with
/// the others appended). Returns the store and each zone's range of record numbers in it.
pub(super) fn merge(
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

/// No owner: the record belongs to a more specific zone of the view and is not served from this one.
const DROPPED: u32 = u32::MAX;

/// A view's records, numbered by owner and grouped.
pub(super) struct Index<'a> {
    /// The view's zones.
    zones: &'a [ZoneMeta],
    /// The view's records, merged.
    pub(super) store: &'a Records,
    /// Owner names → owner numbers (names with records, then empty non-terminals).
    pub(super) table: NameTable,
    /// Per owner: where its name is, and its zone.
    pub(super) owners: Vec<Owner>,
    /// Record numbers grouped by owner (and, within an owner, by type in first-seen order, then file order).
    order: Vec<u32>,
    /// Per owner with records: where its group starts in `order` (one more element at the end).
    starts: Vec<u32>,
}

/// An owner name of the index: its place in the arena, its length and its zone, in 8 octets.
#[derive(Debug, Clone, Copy)]
pub(super) struct Owner {
    /// Offset of the name in the arena.
    pub(super) off: u32,
    /// Zone index << 8 | name length.
    meta: u32,
}

impl Owner {
    /// The owner at `off` in the arena, `len` octets long, in the zone numbered `zone`.
    fn new(off: u32, len: usize, zone: u32) -> Owner {
        Owner {
            off,
            meta: zone << 8 | len as u32,
        }
    }
    /// The index of the owner's zone.
    pub(super) fn zone(self) -> u32 {
        self.meta >> 8
    }
    /// Where the owner's name lies in the arena.
    fn range(self) -> std::ops::Range<usize> {
        self.off as usize..self.off as usize + (self.meta & 0xff) as usize
    }
}

/// What the index needs of a zone.
pub(super) struct ZoneMeta {
    /// Apex, lowercase wire.
    pub(super) apex: Vec<u8>,
    /// Where it came from.
    pub(super) source: Source,
}

impl<'a> Index<'a> {
    /// Numbers the owners of `store` (zone `i` of `metas` holding the records `ranges[i]`) and groups their
    /// records. `view` names the view in errors.
    pub(super) fn new(
        view: &str,
        metas: &'a [ZoneMeta],
        store: &'a Records,
        ranges: &[Range<usize>],
    ) -> Result<Index<'a>, BuildError> {
        let (table, owners, rec_owner) = number_owners(view, metas, store, ranges)?;
        let (order, starts) = group_by_owner(view, metas, store, &owners, rec_owner)?;
        Ok(Index {
            zones: metas,
            store,
            table,
            owners,
            order,
            starts,
        })
    }

    /// Number of owners with records (numbered first, before the empty non-terminals).
    pub(super) fn with_records(&self) -> usize {
        self.starts.len() - 1
    }

    /// Number of records served (duplicates removed, records of more specific zones left to them).
    pub(super) fn records(&self) -> usize {
        self.order.len()
    }

    /// Adds the empty non-terminals as owners without records.
    pub(super) fn add_empty_non_terminals(&mut self) {
        // Empty non-terminals between each name and its apex answer NODATA, not NXDOMAIN (RFC 4592 §2.2.2). Their
        // names are suffixes of the owner names already in the arena.
        let store = self.store;
        for o in 0..self.with_records() {
            let (off, zi) = (self.owners[o].off, self.owners[o].zone());
            let owner = self.name(o as u32);
            let apex_len = self.zones[zi as usize].apex.len();
            let mut at = off as usize;
            let mut n = owner;
            while let Some(p) = name::parent(n) {
                at += n[0] as usize + 1;
                if p.len() <= apex_len || self.find(p).is_some() {
                    break;
                }
                let id = self.owners.len() as u32;
                self.owners.push(Owner::new(at as u32, p.len(), zi));
                let arena = store.arena();
                let owners = &self.owners;
                self.table.find_or_insert(
                    hash_name(p),
                    |_| false,
                    id,
                    |x| hash_name(&arena[owners[x as usize].range()]),
                );
                n = p;
            }
        }
    }

    /// Per owner with records: whether it is a zone cut.
    pub(super) fn cuts(&self) -> Vec<bool> {
        // Zone cuts: NS records below an apex delegate; every name at or below such a name gets its referral.
        (0..self.with_records())
            .map(|o| self.is_cut(o as u32))
            .collect()
    }

    /// The name of `owner`.
    pub(super) fn name(&self, owner: u32) -> &'a [u8] {
        &self.store.arena()[self.owners[owner as usize].range()]
    }

    /// The owner number of `n`, if it has records or is an empty non-terminal.
    pub(super) fn find(&self, n: &[u8]) -> Option<u32> {
        let arena = self.store.arena();
        let owners = &self.owners;
        self.table
            .find(hash_name(n), |i| &arena[owners[i as usize].range()] == n)
    }

    /// The records of `owner` (in `order`).
    pub(super) fn group(&self, owner: u32) -> &[u32] {
        match self.starts.get(owner as usize + 1) {
            Some(&end) => &self.order[self.starts[owner as usize] as usize..end as usize],
            None => &[],
        }
    }

    /// The RRset of `n` and `t`.
    pub(super) fn rrset(&self, n: &[u8], t: Rtype) -> impl Iterator<Item = RrRef<'a>> + '_ {
        self.rrset_of(self.find(n), t)
    }

    /// The RRset of the owner numbered `o` and `t`.
    pub(super) fn rrset_of(
        &self,
        o: Option<u32>,
        t: Rtype,
    ) -> impl Iterator<Item = RrRef<'a>> + '_ {
        let group = o.map(|o| self.group(o)).unwrap_or(&[]);
        let store = self.store;
        group
            .iter()
            .map(move |&i| store.get(i as usize))
            .filter(move |r| r.rtype == t)
    }

    /// The types of `owner`, in first-seen order.
    pub(super) fn types(&self, owner: u32, out: &mut Vec<Rtype>) {
        out.clear();
        for &i in self.group(owner) {
            let t = self.store.rtype(i as usize);
            if out.last() != Some(&t) {
                out.push(t);
            }
        }
    }

    /// Whether `owner` is a zone cut: NS records at a name other than its zone's apex.
    fn is_cut(&self, owner: u32) -> bool {
        let zi = self.owners[owner as usize].zone();
        self.name(owner) != self.zones[zi as usize].apex.as_slice()
            && self
                .group(owner)
                .iter()
                .any(|&i| self.store.rtype(i as usize) == Rtype::NS)
    }

    /// Where the name `n` (a CNAME target) leads in this view, as RFC 1034 §4.3.2 step 3 finds it: outside
    /// the view's zones; at or below a zone cut (step 3b: a referral, even if `n` owns occluded glue, which is
    /// not authoritative data, RFC 2181 §5.4.1); its own owner or empty non-terminal; the wildcard of its closest
    /// encloser (step 3c, RFC 4592 §3.3.1); or nothing (NXDOMAIN).
    pub(super) fn resolve<'n>(&self, n: &'n [u8]) -> Target<'n> {
        let Some(zi) = self.zone_of(n) else {
            return Target::Outside;
        };
        let apex_len = self.zones[zi as usize].apex.len();
        let mut cut = None;
        let mut m = n;
        while m.len() > apex_len {
            if let Some(o) = self.find(m)
                && self.is_cut(o)
            {
                cut = Some(m);
            }
            match name::parent(m) {
                Some(p) => m = p,
                None => break,
            }
        }
        if let Some(c) = cut {
            return Target::Cut(c);
        }
        if let Some(o) = self.find(n) {
            return Target::Owner(Some(o));
        }
        let mut m = n;
        while let Some(p) = name::parent(m) {
            if p.len() < apex_len {
                break;
            }
            if self.find(p).is_some() {
                let mut w = Vec::with_capacity(p.len() + 2);
                w.extend_from_slice(b"\x01*");
                w.extend_from_slice(p);
                return Target::Owner(self.find(&w));
            }
            m = p;
        }
        Target::Owner(None)
    }

    /// The zone index holding `n` (longest apex), if any.
    pub(super) fn zone_of(&self, n: &[u8]) -> Option<u32> {
        zone_of(self.zones, n)
    }

    /// The SOA record of the zone numbered `zone`.
    pub(super) fn soa(&self, zone: u32) -> RrRef<'a> {
        let apex = &self.zones[zone as usize].apex;
        // Checked before indexing: every zone has an SOA at its apex.
        self.rrset(apex, Rtype::SOA)
            .next()
            .expect("every zone has an SOA at its apex")
    }
}

/// Where a name leads in a view (see [`Index::resolve`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Target<'n> {
    /// Outside the view's zones.
    Outside,
    /// At or below the zone cut named here.
    Cut(&'n [u8]),
    /// The owner answering for the name (its own, or the covering wildcard), or none.
    Owner(Option<u32>),
}

/// The index of the zone of `zones` holding `n` (longest apex), if any.
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

/// Numbers the owners of `store` in file order, skipping records that belong to a more specific zone of the view.
/// Returns the table (name → owner number), the owners, and each record's owner (or [`DROPPED`]).
fn number_owners(
    view: &str,
    metas: &[ZoneMeta],
    store: &Records,
    ranges: &[Range<usize>],
) -> Result<(NameTable, Vec<Owner>, Vec<u32>), BuildError> {
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
        return Err(BuildError::Huge {
            view: view.to_owned(),
        });
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
                if nested && zone_of(metas, owner) != Some(zi as u32) {
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
        for range in ranges {
            for i in range.clone().skip(1) {
                if rec_owner[i] == DROPPED && store.owner_offset(i) == store.owner_offset(i - 1) {
                    rec_owner[i] = rec_owner[i - 1];
                }
            }
        }
    }
    Ok((table, owners, rec_owner))
}

/// Groups the record numbers by owner (`rec_owner`: each record's owner, or [`DROPPED`]): within an owner, RRsets
/// together with their types in first-seen order, then file order, duplicates removed; a CNAME must stand alone
/// (RFC 1034 §3.6.2). Returns the record numbers grouped, and where each owner's group starts (one more at the end).
fn group_by_owner(
    view: &str,
    metas: &[ZoneMeta],
    store: &Records,
    owners: &[Owner],
    rec_owner: Vec<u32>,
) -> Result<(Vec<u32>, Vec<u32>), BuildError> {
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
                    view: view.to_owned(),
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
    Ok((order, new_starts))
}
