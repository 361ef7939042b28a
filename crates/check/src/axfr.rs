//! Comparing what a server really serves with the plan, zone by zone and record by record: every zone the plan has
//! for a view is transferred (AXFR, through the [`ZoneTransfer`] the caller hands in) and its records set against
//! the planned ones. The planner's records are the reference; SOA and NS at the apex are reported apart, as
//! information (serials, name servers and contacts are the operator's choice); the rule catalogue is applied to
//! what was served.

use std::collections::{BTreeMap, BTreeSet};

use lyncdns_dnsdata::rdata::RecordData;
use lyncdns_dnsdata::transfer::{Failure, ZoneTransfer};
use lyncdns_dnsdata::types::Rtype;
use lyncdns_model::Deployment;
use lyncdns_plan::{ViewPlan, ZonePlan};
use serde::Serialize;

use crate::record::{Dataset, Rec, ZoneFile};
use crate::rules::{self, Finding};

/// How one record of a zone compares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Status {
    /// Served as planned.
    Ok,
    /// Planned, not served.
    Missing,
    /// Served, not planned.
    Extra {
        /// The served data.
        found: String,
    },
    /// The owner has records of this type, but with other data than planned.
    Different {
        /// What is served instead (the planned data that is served is not listed).
        found: Vec<String>,
    },
}

/// One record (or, for [`Status::Different`], one owner and type) compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Compared {
    /// Owner, lowercase, without the trailing dot.
    pub owner: String,
    /// Type.
    pub rtype: Rtype,
    /// The planned data (empty for [`Status::Extra`]); for [`Status::Different`], every planned datum not served.
    pub expected: Vec<String>,
    /// The feature that needs it, when planned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feature: Option<String>,
    /// SOA or NS at the apex: reported, not counted as a problem.
    pub informational: bool,
    /// The result.
    #[serde(flatten)]
    pub status: Status,
}

impl Compared {
    /// A difference that counts (not [`Status::Ok`], not informational).
    pub fn is_problem(&self) -> bool {
        self.status != Status::Ok && !self.informational
    }
}

/// One zone of the view: transferred and compared, or why it could not be.
#[derive(Debug, Clone, Serialize)]
pub struct ZoneReport {
    /// The zone.
    pub zone: String,
    /// The served SOA serial, when transferred.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serial: Option<u32>,
    /// Records served (the closing SOA not counted).
    pub served: usize,
    /// Whether the transfer was TSIG-verified.
    pub signed: bool,
    /// Why the zone could not be transferred.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
    /// Every record compared, in owner and type order.
    pub records: Vec<Compared>,
}

/// A view's zones as served, against the plan.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The view.
    pub view: String,
    /// Where the zones came from (`axfr://127.0.0.1:53`).
    pub server: String,
    /// Each zone.
    pub zones: Vec<ZoneReport>,
    /// Rule findings on the served records.
    pub findings: Vec<Finding>,
}

impl Report {
    /// True when every zone was transferred.
    pub fn checked(&self) -> bool {
        self.zones.iter().all(|z| z.failure.is_none())
    }

    /// True when every zone is served as planned (informational SOA/NS differences aside) and no rule fired.
    pub fn clean(&self) -> bool {
        self.checked()
            && self.findings.is_empty()
            && self
                .zones
                .iter()
                .flat_map(|z| &z.records)
                .all(|c| !c.is_problem())
    }
}

/// Transfers every zone of `view` from `source` and compares it with the plan.
pub fn check_view(d: &Deployment, view: &ViewPlan, source: &mut dyn ZoneTransfer) -> Report {
    let server = source.describe();
    let mut zones = Vec::new();
    let mut served: Vec<Rec> = Vec::new();
    let mut names = Vec::new();
    for zone in &view.zones {
        match source.axfr(&zone.origin) {
            Ok(t) => {
                let file = ZoneFile::from_transfer(&server, &t);
                zones.push(ZoneReport {
                    zone: zone.origin.clone(),
                    serial: Some(t.serial),
                    served: t.records.len(),
                    signed: t.signed,
                    failure: None,
                    records: compare(zone, &t.records),
                });
                served.extend(file.records);
                names.push(zone.origin.clone());
            }
            Err(failure) => zones.push(ZoneReport {
                zone: zone.origin.clone(),
                serial: None,
                served: 0,
                signed: false,
                failure: Some(failure),
                records: Vec::new(),
            }),
        }
    }
    // The catalogue on what is served; the plan's missing records are the comparison's, not LD010's.
    let findings = rules::lint(
        &Dataset {
            location: Some(view.location),
            records: served,
        },
        &rules::Context {
            deployment: Some(d),
            plan_view: None,
            zones: (!names.is_empty()).then_some(names),
        },
    );
    Report {
        view: view.name.clone(),
        server,
        zones,
        findings,
    }
}

/// The pure comparison of one zone's planned records with those served, grouped by owner and type: data in both
/// is ok; planned data not served is missing, served data not planned is extra, and both at once for one owner and
/// type is one `different` row.
pub fn compare(zone: &ZonePlan, served: &[lyncdns_dnsdata::rdata::Record]) -> Vec<Compared> {
    type Key = (String, Rtype);
    let mut planned: BTreeMap<Key, Vec<(&RecordData, String)>> = BTreeMap::new();
    for r in &zone.records {
        planned
            .entry((r.owner.clone(), r.data.rtype()))
            .or_default()
            .push((&r.data, r.feature.to_string()));
    }
    // An RRset is a set: a datum served twice counts once (groups are small, so a scan is fine).
    let mut live: BTreeMap<Key, Vec<&RecordData>> = BTreeMap::new();
    for r in served {
        let set = live.entry((r.owner.clone(), r.data.rtype())).or_default();
        if !set.contains(&&r.data) {
            set.push(&r.data);
        }
    }
    let keys: BTreeSet<&Key> = planned.keys().chain(live.keys()).collect();
    let mut out = Vec::new();
    for key in keys {
        let (owner, rtype) = key;
        let informational = *owner == zone.origin && matches!(*rtype, Rtype::SOA | Rtype::NS);
        let plan = planned.get(key).map(Vec::as_slice).unwrap_or_default();
        let got = live.get(key).map(Vec::as_slice).unwrap_or_default();
        let feature = plan.first().map(|(_, f)| f.clone());
        let row = |expected: Vec<String>, status: Status, feature: Option<String>| Compared {
            owner: owner.clone(),
            rtype: *rtype,
            expected,
            feature,
            informational,
            status,
        };
        let not_served: Vec<&(&RecordData, String)> =
            plan.iter().filter(|(d, _)| !got.contains(d)).collect();
        let not_planned: Vec<&RecordData> = got
            .iter()
            .filter(|d| !plan.iter().any(|(p, _)| p == *d))
            .copied()
            .collect();
        for (d, f) in plan.iter().filter(|(d, _)| got.contains(d)) {
            out.push(row(vec![d.to_string()], Status::Ok, Some(f.clone())));
        }
        match (not_served.is_empty(), not_planned.is_empty()) {
            (true, true) => {}
            (false, true) => {
                for (d, f) in not_served {
                    out.push(row(vec![d.to_string()], Status::Missing, Some(f.clone())));
                }
            }
            (true, false) => {
                for d in not_planned {
                    out.push(row(
                        Vec::new(),
                        Status::Extra {
                            found: d.to_string(),
                        },
                        None,
                    ));
                }
            }
            (false, false) => out.push(row(
                not_served.iter().map(|(d, _)| d.to_string()).collect(),
                Status::Different {
                    found: not_planned.iter().map(|d| d.to_string()).collect(),
                },
                feature,
            )),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use lyncdns_dnsdata::rdata::Record;

    fn plan() -> ZonePlan {
        let d = lyncdns_model::embedded();
        let p = lyncdns_plan::plan(&d);
        p.view("external")
            .unwrap()
            .zones
            .iter()
            .find(|z| z.origin == "lyncdude.net")
            .unwrap()
            .clone()
    }

    fn served(zone: &ZonePlan) -> Vec<Record> {
        zone.records
            .iter()
            .map(|r| Record {
                owner: r.owner.clone(),
                ttl: r.ttl,
                data: r.data.clone(),
            })
            .collect()
    }

    #[test]
    fn a_zone_served_as_planned_is_all_ok() {
        let zone = plan();
        let rows = compare(&zone, &served(&zone));
        assert_eq!(rows.len(), zone.records.len());
        assert!(rows.iter().all(|c| c.status == Status::Ok));
    }

    #[test]
    fn missing_extra_and_different_are_told_apart_and_soa_ns_are_informational() {
        let zone = plan();
        let mut live = served(&zone);
        let gone = live
            .iter()
            .position(|r| r.owner == "_sip._tls.lyncdude.net")
            .unwrap();
        live.remove(gone);
        let sip = live
            .iter_mut()
            .find(|r| r.owner == "access.lyncdude.net" && r.data.rtype() == Rtype::A)
            .unwrap();
        sip.data = RecordData::A {
            address: "198.51.100.99".parse().unwrap(),
        };
        live.push(Record {
            owner: "extra.lyncdude.net".into(),
            ttl: 60,
            data: RecordData::A {
                address: "198.51.100.1".parse().unwrap(),
            },
        });
        let soa = live
            .iter_mut()
            .find(|r| r.data.rtype() == Rtype::SOA)
            .unwrap();
        if let RecordData::Soa { serial, .. } = &mut soa.data {
            *serial += 1;
        }
        let rows = compare(&zone, &live);
        let problems: Vec<(&str, Rtype, &Status)> = rows
            .iter()
            .filter(|c| c.is_problem())
            .map(|c| (c.owner.as_str(), c.rtype, &c.status))
            .collect();
        assert_eq!(
            problems,
            [
                ("_sip._tls.lyncdude.net", Rtype::SRV, &Status::Missing),
                (
                    "access.lyncdude.net",
                    Rtype::A,
                    &Status::Different {
                        found: vec!["198.51.100.99".into()]
                    }
                ),
                (
                    "extra.lyncdude.net",
                    Rtype::A,
                    &Status::Extra {
                        found: "198.51.100.1".into()
                    }
                ),
            ]
        );
        let soa = rows
            .iter()
            .find(|c| c.rtype == Rtype::SOA && c.status != Status::Ok)
            .unwrap();
        assert!(soa.informational && matches!(soa.status, Status::Different { .. }));
    }

    #[test]
    fn every_failure_serializes_to_json() {
        use lyncdns_dnsdata::transfer::{Limit, Malformed, Stage, TsigError};
        let failures = [
            Failure::Refused {
                rcode: lyncdns_dnsdata::types::Rcode::NOTAUTH,
                tsig: Some(TsigError::BadSig),
            },
            Failure::Unverified {
                tsig: TsigError::Other(99),
            },
            Failure::Malformed(Malformed::SerialChanged { first: 1, last: 2 }),
            Failure::Malformed(Malformed::Incomplete),
            Failure::TooLarge(Limit::Bytes(10)),
            Failure::Timeout {
                stage: Stage::Waiting,
            },
            Failure::Unreachable {
                detail: "refused".into(),
            },
            Failure::Invalid {
                detail: "bad".into(),
            },
        ];
        for f in failures {
            let json = serde_json::to_value(&f).unwrap_or_else(|e| panic!("{f:?}: {e}"));
            assert!(json["failure"].is_string(), "{json}");
        }
        let json = serde_json::to_value(Failure::Refused {
            rcode: lyncdns_dnsdata::types::Rcode::NOTAUTH,
            tsig: Some(TsigError::BadSig),
        })
        .unwrap();
        assert_eq!(
            json,
            serde_json::json!({"failure": "refused", "rcode": "NOTAUTH", "tsig": "BADSIG"})
        );
    }
}
