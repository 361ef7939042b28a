//! Zones across reloads: the serial a changed zone gets (its view's [`SerialPolicy`]), and the bounded journal of
//! differences that IXFR (RFC 1995) sends instead of the whole zone.
//!
//! A reload compares each transferable zone with the one served before it, record by record (owner, type, TTL,
//! data; the SOA apart). Unchanged content keeps the serial served (or the file's, if that is newer); changed
//! content gets the policy's serial, written into the new zone's SOA before it is compiled, so queries, AXFR and
//! IXFR all see it, and one [`Diff`] (the records removed, the records added, both SOAs) is added to the zone's
//! [`Journal`]. A journal keeps at most [`MAX_DIFFS`] differences and [`MAX_JOURNAL_OCTETS`] of record data per
//! zone, dropping the oldest first; a secondary older than what is left gets the whole zone.
//!
//! The journal lives in memory only: after a restart zones are served with the serial their source gives, so a
//! policy that does not come from the clock (`increment`, `keep`) may then go backwards for secondaries that
//! followed reloads; `unixtime` and `dateserial` do not.

use std::collections::HashSet;
use std::sync::Arc;

use lyncdns_dnsdata::record::{Records, RrRef, Zone};
use lyncdns_dnsdata::types::Rtype;
use lyncdns_model::transfer::SerialPolicy;

/// Differences kept per zone.
pub const MAX_DIFFS: usize = 64;

/// Record data kept per zone's journal (owners and RDATA of the removed and added records), in octets.
pub const MAX_JOURNAL_OCTETS: usize = 16 << 20;

/// The difference between two versions of a zone.
#[derive(Debug)]
pub struct Diff {
    /// The serial before.
    pub from: u32,
    /// The serial after.
    pub to: u32,
    /// The SOA RDATA before.
    pub old_soa: Vec<u8>,
    /// The SOA RDATA after.
    pub new_soa: Vec<u8>,
    /// Records no longer in the zone.
    pub removed: Records,
    /// Records new in the zone.
    pub added: Records,
}

impl Diff {
    fn octets(&self) -> usize {
        self.removed.arena().len()
            + self.added.arena().len()
            + 16 * (self.removed.len() + self.added.len())
    }
}

/// A zone's differences, oldest first, each following the one before.
#[derive(Debug, Clone, Default)]
pub struct Journal {
    diffs: Vec<Arc<Diff>>,
}

impl Journal {
    /// Adds `diff`, then drops the oldest differences past [`MAX_DIFFS`] or [`MAX_JOURNAL_OCTETS`].
    pub fn push(&mut self, diff: Diff) {
        self.diffs.push(Arc::new(diff));
        while self.diffs.len() > MAX_DIFFS
            || (self.diffs.len() > 1
                && self.diffs.iter().map(|d| d.octets()).sum::<usize>() > MAX_JOURNAL_OCTETS)
        {
            self.diffs.remove(0);
        }
        if self
            .diffs
            .last()
            .is_some_and(|d| d.octets() > MAX_JOURNAL_OCTETS)
        {
            self.diffs.clear();
        }
    }

    /// The differences leading from `serial` to the newest version, if the journal reaches back to it.
    pub fn since(&self, serial: u32) -> Option<&[Arc<Diff>]> {
        let start = self.diffs.iter().position(|d| d.from == serial)?;
        let chain = &self.diffs[start..];
        chain
            .windows(2)
            .all(|w| w[0].to == w[1].from)
            .then_some(chain)
    }

    /// The number of differences kept.
    pub fn len(&self) -> usize {
        self.diffs.len()
    }

    /// Whether no difference is kept.
    pub fn is_empty(&self) -> bool {
        self.diffs.is_empty()
    }
}

/// A zone as it will be served after a reload.
#[derive(Debug)]
pub struct Followed {
    /// The zone, its SOA serial set.
    pub zone: Zone,
    /// Its journal.
    pub journal: Journal,
    /// Whether its serial changed (secondaries are to be notified).
    pub changed: bool,
}

/// The index of `zone`'s apex SOA and its serial.
pub fn soa_of(zone: &Zone) -> Option<(usize, u32)> {
    let i = (0..zone.records.len())
        .find(|&i| zone.records.rtype(i) == Rtype::SOA && zone.records.get(i).owner == zone.apex)?;
    Some((i, serial_in(zone.records.get(i).rdata)?))
}

/// The serial in SOA RDATA (the fifth field from the end: serial, refresh, retry, expire, minimum).
fn serial_in(rdata: &[u8]) -> Option<u32> {
    let at = rdata.len().checked_sub(20)?;
    Some(u32::from_be_bytes(rdata.get(at..at + 4)?.try_into().ok()?))
}

/// SOA RDATA with its serial replaced.
fn with_serial_in(rdata: &[u8], serial: u32) -> Vec<u8> {
    let mut out = rdata.to_vec();
    if let Some(at) = out.len().checked_sub(20) {
        out[at..at + 4].copy_from_slice(&serial.to_be_bytes());
    }
    out
}

/// `new`, the zone served after a reload, following `previous` (the zone and journal served before, if any) under
/// `policy` at `now` (seconds since 1970).
pub fn follow(
    previous: Option<(&Zone, &Journal)>,
    new: Zone,
    policy: SerialPolicy,
    now: u64,
) -> Followed {
    let unchanged = |zone| Followed {
        zone,
        journal: previous.map(|(_, j)| j.clone()).unwrap_or_default(),
        changed: false,
    };
    let (Some((old, journal)), Some((new_soa_at, written))) = (previous, soa_of(&new)) else {
        return unchanged(new);
    };
    let Some((old_soa_at, served)) = soa_of(old) else {
        return unchanged(new);
    };
    let old_soa = old.records.get(old_soa_at).rdata;
    let new_soa = new.records.get(new_soa_at).rdata;
    let (removed, added) = difference(old, &new);
    let same_soa = with_serial_in(old_soa, 0) == with_serial_in(new_soa, 0);
    let newer = |a: u32, b: u32| a != b && a.wrapping_sub(b) < 1 << 31;
    let serial = if removed.is_empty() && added.is_empty() && same_soa {
        if !newer(written, served) {
            return unchanged(set_serial(new, new_soa_at, served));
        }
        written
    } else {
        policy.next(served, written, now)
    };
    if serial == served {
        tracing::warn!(zone = %lyncdns_dnsdata::name::Display(&new.apex), serial, "the zone changed but its serial did not (serial_policy = \"keep\"): secondaries will not follow");
        return unchanged(new);
    }
    let new_soa = with_serial_in(new_soa, serial);
    let mut journal = journal.clone();
    journal.push(Diff {
        from: served,
        to: serial,
        old_soa: old_soa.to_vec(),
        new_soa,
        removed,
        added,
    });
    Followed {
        zone: set_serial(new, new_soa_at, serial),
        journal,
        changed: true,
    }
}

/// The records of `old` not in `new` and of `new` not in `old`, the apex SOA apart.
fn difference(old: &Zone, new: &Zone) -> (Records, Records) {
    let key = |r: RrRef<'_>| (r.owner.to_vec(), r.rtype, r.ttl, r.rdata.to_vec());
    let (old_rrs, new_rrs) = (not_soa(old), not_soa(new));
    let old_set: HashSet<_> = old_rrs.iter().map(|r| key(*r)).collect();
    let new_set: HashSet<_> = new_rrs.iter().map(|r| key(*r)).collect();
    let collect = |rrs: &[RrRef<'_>], other: &HashSet<_>| {
        let mut out = Records::default();
        for r in rrs.iter().filter(|r| !other.contains(&key(**r))) {
            // Records came out of a store, so they fit one.
            let _ = out.push(r.owner, r.rtype, r.ttl, r.rdata);
        }
        out
    };
    (collect(&old_rrs, &new_set), collect(&new_rrs, &old_set))
}

/// The records of `z` but its apex SOA.
fn not_soa(z: &Zone) -> Vec<RrRef<'_>> {
    z.records
        .iter()
        .filter(|r| !(r.rtype == Rtype::SOA && r.owner == z.apex.as_slice()))
        .collect()
}

/// `zone` with the serial of its SOA (record `at`) set.
fn set_serial(zone: Zone, at: usize, serial: u32) -> Zone {
    if soa_of(&zone).is_some_and(|(_, s)| s == serial) {
        return zone;
    }
    let mut records = Records::with_capacity(zone.records.len(), zone.records.arena().len());
    for (i, r) in zone.records.iter().enumerate() {
        let rdata = if i == at {
            with_serial_in(r.rdata, serial)
        } else {
            r.rdata.to_vec()
        };
        // Same records as a valid store, one RDATA rewritten in place: they fit.
        let _ = records.push(r.owner, r.rtype, r.ttl, &rdata);
    }
    Zone { records, ..zone }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lyncdns_dnsdata::zonefile::parse_text;

    fn zone(serial: u32, extra: &str) -> Zone {
        parse_text(
            &format!("$ORIGIN example.\n$TTL 300\n@ SOA ns hostmaster {serial} 3600 600 86400 300\n@ NS ns\nns A 192.0.2.1\n{extra}"),
            "example.",
        )
        .unwrap()
    }

    #[test]
    fn a_changed_zone_gets_a_newer_serial_and_one_diff() {
        let old = zone(10, "www A 192.0.2.2\n");
        let new = zone(10, "www A 192.0.2.3\n");
        let f = follow(
            Some((&old, &Journal::default())),
            new,
            SerialPolicy::Increment,
            0,
        );
        assert!(f.changed);
        assert_eq!(soa_of(&f.zone).unwrap().1, 11);
        let diffs = f.journal.since(10).unwrap();
        assert_eq!((diffs[0].from, diffs[0].to), (10, 11));
        assert_eq!(diffs[0].removed.len(), 1);
        assert_eq!(diffs[0].added.len(), 1);
        assert_eq!(diffs[0].added.get(0).rdata, [192, 0, 2, 3]);
        // Reloaded again without a change: the served serial stays, the journal too.
        let again = follow(
            Some((&f.zone, &f.journal)),
            zone(10, "www A 192.0.2.3\n"),
            SerialPolicy::Increment,
            0,
        );
        assert!(!again.changed);
        assert_eq!(soa_of(&again.zone).unwrap().1, 11);
        assert_eq!(again.journal.len(), 1);
        assert!(
            again.journal.since(9).is_none(),
            "older than the journal: the whole zone"
        );
    }

    #[test]
    fn the_journal_is_bounded() {
        let mut j = Journal::default();
        for i in 0..(MAX_DIFFS as u32 + 10) {
            j.push(Diff {
                from: i,
                to: i + 1,
                old_soa: vec![],
                new_soa: vec![],
                removed: Records::default(),
                added: Records::default(),
            });
        }
        assert_eq!(j.len(), MAX_DIFFS);
        assert!(j.since(5).is_none());
        assert_eq!(j.since(20).unwrap().len(), MAX_DIFFS + 10 - 20);
    }
}
