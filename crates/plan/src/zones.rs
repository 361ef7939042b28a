//! Placing wanted records into the zones a view serves: the longest configured zone that holds the owner, else a
//! pin-point zone for a SIP-domain name ([S2], [S3]); then SOA, NS and name-server glue for every zone.
//!
//! Invariant: a view's zones are built only from the records wanted for that view's location and that view's
//! own name servers, so an external view can never hold an internal record.

use std::collections::BTreeMap;
use std::net::IpAddr;

use lyncdns_model::fqdn::is_within;
use lyncdns_model::{Deployment, View};

use crate::rules::{Placement, Want, Wanted};
use crate::{Feature, Need, PlannedRecord, ViewPlan, ZoneKind, ZonePlan};
use lyncdns_dnsdata::rdata::RecordData;

/// The source keys cited in this module's docs (`[S1]` …), as links to their entries.
#[cfg(doc)]
#[allow(unused_imports)]
use lyncdns_lync::sources::*;

/// SOA timers (RFC 1912 §2.2 ranges): refresh 1 h, retry 15 min, expire 2 weeks.
const REFRESH: u32 = 3600;
const RETRY: u32 = 900;
const EXPIRE: u32 = 1_209_600;

/// The zones and records of one view.
pub fn place(d: &Deployment, view: &View, wanted: &Wanted) -> ViewPlan {
    let mut zones: BTreeMap<String, (ZoneKind, Vec<PlannedRecord>)> = d
        .zones(view.location)
        .into_iter()
        .map(|z| (z.as_str().to_owned(), (ZoneKind::Domain, Vec::new())))
        .collect();
    let configured: Vec<String> = zones.keys().cloned().collect();

    let glue = view.nameservers.iter().flat_map(|ns| {
        ns.addresses.iter().map(|ip| Want {
            owner: ns.fqdn.to_string(),
            data: match ip {
                IpAddr::V4(address) => RecordData::A { address: *address },
                IpAddr::V6(address) => RecordData::Aaaa { address: *address },
            },
            ttl: d.dns.ttl.default,
            feature: Feature::Zone,
            need: Need::Required,
            sources: vec!["RFC1034"],
            why: "address of a name server named in this view's NS records".into(),
            placement: Placement::IfZoned,
        })
    });
    for want in wanted
        .for_location(view.location)
        .iter()
        .cloned()
        .chain(glue)
    {
        let home = configured
            .iter()
            .filter(|z| is_within(&want.owner, z))
            .max_by_key(|z| z.len())
            .cloned();
        let origin = match (home, want.placement) {
            (Some(zone), _) => zone,
            (None, Placement::SipDomain) => want.owner.clone(),
            // Host names were checked to lie in a zone when the deployment was loaded; others are resolved
            // elsewhere by this view's clients.
            (None, Placement::Host | Placement::IfZoned) => continue,
        };
        let (_, records) = zones
            .entry(origin)
            .or_insert_with(|| (ZoneKind::PinPoint, Vec::new()));
        add(records, want);
    }

    let zones = zones
        .into_iter()
        .map(|(origin, (kind, mut records))| {
            let mut head = apex(d, view, &origin, kind);
            records.sort_by(|a, b| {
                (a.owner != origin, &a.owner, rank(&a.data)).cmp(&(
                    b.owner != origin,
                    &b.owner,
                    rank(&b.data),
                ))
            });
            head.append(&mut records);
            ZonePlan {
                origin,
                kind,
                records: head,
            }
        })
        .collect();
    ViewPlan {
        name: view.name.clone(),
        location: view.location,
        clients: view.clients.clone(),
        zones,
        catalog: view.transfer.catalog.as_ref().map(|c| c.to_string()),
    }
}

/// Adds `want` to `records`, merging it into an identical record another feature already wants.
fn add(records: &mut Vec<PlannedRecord>, want: Want) {
    if let Some(same) = records
        .iter_mut()
        .find(|r| r.owner == want.owner && r.data == want.data)
    {
        if same.feature != want.feature && !same.also_for.contains(&want.feature) {
            same.also_for.push(want.feature);
        }
        same.need = same.need.min(want.need);
        for s in want.sources {
            if !same.sources.contains(&s) {
                same.sources.push(s);
            }
        }
        return;
    }
    records.push(PlannedRecord {
        owner: want.owner,
        ttl: want.ttl,
        data: want.data,
        feature: want.feature,
        also_for: Vec::new(),
        need: want.need,
        sources: want.sources,
        why: want.why,
    });
}

/// SOA and NS records at the apex of `origin`.
fn apex(d: &Deployment, view: &View, origin: &str, kind: ZoneKind) -> Vec<PlannedRecord> {
    let ttl = d.dns.ttl.soa;
    let mname = view
        .nameservers
        .first()
        .map(|ns| ns.fqdn.to_string())
        .unwrap_or_default();
    let rname = match (&view.hostmaster, kind) {
        (Some(h), _) => h.to_string(),
        (None, ZoneKind::Domain) => format!("hostmaster.{origin}"),
        (None, ZoneKind::PinPoint) => format!("hostmaster.{}", d.sip.primary_domain),
    };
    let what = match kind {
        ZoneKind::Domain => "zone",
        ZoneKind::PinPoint => "pin-point zone (no internal zone holds this SIP-domain name)",
    };
    let soa = RecordData::Soa {
        mname,
        rname,
        serial: d.dns.serial,
        refresh: REFRESH,
        retry: RETRY,
        expire: EXPIRE,
        minimum: d.dns.ttl.negative,
    };
    let mut out = vec![record(
        origin,
        ttl,
        soa,
        format!("start of authority of this {what}"),
        kind,
    )];
    for ns in &view.nameservers {
        let data = RecordData::Ns {
            target: ns.fqdn.to_string(),
        };
        out.push(record(
            origin,
            ttl,
            data,
            format!("name server of this {what}"),
            kind,
        ));
    }
    out
}

/// Sort rank of a record within one owner: SOA, NS, A, AAAA, CNAME, SRV, then anything else.
fn rank(data: &RecordData) -> u8 {
    match data {
        RecordData::Soa { .. } => 0,
        RecordData::Ns { .. } => 1,
        RecordData::A { .. } => 2,
        RecordData::Aaaa { .. } => 3,
        RecordData::Cname { .. } => 4,
        RecordData::Srv { .. } => 5,
        RecordData::Other { .. } => 6,
    }
}

fn record(origin: &str, ttl: u32, data: RecordData, why: String, kind: ZoneKind) -> PlannedRecord {
    let sources = match kind {
        ZoneKind::Domain => vec!["RFC1035"],
        ZoneKind::PinPoint => vec!["RFC1035", "S2", "S3"],
    };
    PlannedRecord {
        owner: origin.to_owned(),
        ttl,
        data,
        feature: Feature::Zone,
        also_for: Vec::new(),
        need: Need::Required,
        sources,
        why,
    }
}
