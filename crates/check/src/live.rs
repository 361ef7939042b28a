//! Checking live DNS: every planned record of each view asked of that view's server (ok, missing, wrong data,
//! extra, or an internal address answered to the outside), the rule catalogue applied to what was found; and,
//! without a deployment, probing a domain's Lync names (wildcard-aware) to infer what it runs and what is missing,
//! and listing the TLS endpoints they lead to (probed by [`crate::tls`]).

use std::collections::BTreeMap;
use std::net::IpAddr;

use lyncdns_dnsdata::rdata::{Record, RecordData};
use lyncdns_dnsdata::resolve::{Lookup, Resolver};
use lyncdns_dnsdata::types::Rtype;
use lyncdns_lync::naming::{
    LYNCDISCOVER, LYNCDISCOVERINTERNAL, SIP, SIPEXTERNAL, SIPINTERNAL as SIPINTERNAL_HOST,
};
use lyncdns_lync::services::{self, SIP_TLS, SIPFEDERATIONTLS, SIPINTERNALTLS, XMPP_SERVER};
use lyncdns_model::{Deployment, Location};
use lyncdns_plan::Plan;
use serde::Serialize;

use crate::record::{Dataset, Origin, Rec};
use crate::rules::{self, Finding};
use crate::tls::{self, TlsCheck};

/// The source keys cited in this module's docs (`[S1]` …), as links to their entries.
#[cfg(doc)]
#[allow(unused_imports)]
use lyncdns_lync::sources::*;

/// How one planned record looks live.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Status {
    /// Present as planned.
    Ok,
    /// Not answered (with the response code).
    Missing {
        /// NXDOMAIN, NOERROR (no data), TIMEOUT, …
        rcode: String,
    },
    /// Answered with other data.
    Wrong {
        /// What was found instead.
        found: Vec<String>,
    },
    /// An address the plan does not have for this name.
    Extra {
        /// The extra data.
        found: String,
    },
    /// The server gave no conclusive answer (refused, failed, not authoritative, unreachable): nothing can be
    /// said about the record.
    Unanswered {
        /// Why.
        why: String,
    },
    /// An internal record answered to external clients.
    WrongView {
        /// What the outside got.
        found: Vec<String>,
    },
}

/// One checked record.
#[derive(Debug, Clone, Serialize)]
pub struct Checked {
    /// The view.
    pub view: String,
    /// The feature that needs it.
    pub feature: String,
    /// Owner.
    pub owner: String,
    /// Type.
    pub rtype: String,
    /// What the plan says.
    pub expected: String,
    /// The result.
    #[serde(flatten)]
    pub status: Status,
}

/// The whole check.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Every record checked.
    pub records: Vec<Checked>,
    /// Rule findings on the live data.
    pub findings: Vec<Finding>,
}

impl Report {
    /// True when every question got a conclusive answer.
    pub fn checked(&self) -> bool {
        !self
            .records
            .iter()
            .any(|c| matches!(c.status, Status::Unanswered { .. }))
    }

    /// True when everything is as planned and no rule fired.
    pub fn clean(&self) -> bool {
        self.records.iter().all(|c| c.status == Status::Ok) && self.findings.is_empty()
    }
}

/// Live data as the report shows it: an address, `CNAME target`, `priority weight port target`.
fn data_text(d: &RecordData) -> String {
    match d {
        RecordData::Cname { target } => format!("CNAME {target}"),
        other => other.to_string().trim_end_matches('.').to_owned(),
    }
}

/// Checks each view of `plan` against the resolver given for its location.
pub fn check_deployment(
    d: &Deployment,
    plan: &Plan,
    internal: &mut dyn Resolver,
    external: &mut dyn Resolver,
) -> Report {
    let mut records = Vec::new();
    let mut findings = Vec::new();
    for view in &plan.views {
        let resolver: &mut dyn Resolver = if view.location == Location::Internal {
            &mut *internal
        } else {
            &mut *external
        };
        // Planned data grouped by (owner, type), in plan order.
        let mut groups: BTreeMap<(String, Rtype), Vec<&lyncdns_plan::PlannedRecord>> =
            BTreeMap::new();
        for (_, r) in view.records() {
            if matches!(r.data, RecordData::Soa { .. } | RecordData::Ns { .. }) {
                continue;
            }
            groups
                .entry((r.owner.clone(), r.data.rtype()))
                .or_default()
                .push(r);
        }
        let mut live = Dataset {
            location: Some(view.location),
            records: Vec::new(),
        };
        for ((owner, rtype), planned) in groups {
            let l: Lookup = resolver.lookup(&owner, rtype);
            let own: Vec<&RecordData> = l
                .answers()
                .iter()
                .filter(|a| a.owner == owner)
                .map(|a| &a.data)
                .collect();
            for a in l.answers() {
                live.records.push(Rec::new(
                    a.clone(),
                    Origin {
                        file: format!("dns {}", resolver.describe()),
                        line: 0,
                    },
                ));
            }
            for p in &planned {
                let found = own.contains(&&p.data);
                let status = if found {
                    Status::Ok
                } else if let Err(why) = l.conclusive() {
                    Status::Unanswered { why }
                } else if own.is_empty() {
                    Status::Missing { rcode: l.status() }
                } else {
                    Status::Wrong {
                        found: own.iter().map(|x| data_text(x)).collect(),
                    }
                };
                records.push(Checked {
                    view: view.name.clone(),
                    feature: p.feature.to_string(),
                    owner: owner.clone(),
                    rtype: rtype.to_string(),
                    expected: p.data.to_string(),
                    status,
                });
            }
            for x in &own {
                if !planned.iter().any(|p| p.data == **x)
                    && planned.iter().any(|p| p.data.rtype() == rtype)
                    && own.len() > planned.len()
                {
                    records.push(Checked {
                        view: view.name.clone(),
                        feature: planned[0].feature.to_string(),
                        owner: owner.clone(),
                        rtype: rtype.to_string(),
                        expected: "(not planned)".into(),
                        status: Status::Extra {
                            found: data_text(x),
                        },
                    });
                }
            }
        }
        findings.extend(rules::lint(
            &live,
            &rules::Context {
                deployment: Some(d),
                plan_view: None,
                zones: None,
            },
        ));
    }
    // Internal addresses must never reach the outside.
    if plan.views.iter().any(|v| v.location == Location::External) {
        for view in plan
            .views
            .iter()
            .filter(|v| v.location == Location::Internal)
        {
            for (_, r) in view.records() {
                let Some(ip) = r
                    .data
                    .address()
                    .filter(|ip| lyncdns_model::addr::non_public_kind(*ip).is_some())
                else {
                    continue;
                };
                let l = external.lookup(&r.owner, r.data.rtype());
                let leaked: Vec<String> = l
                    .addresses()
                    .iter()
                    .filter(|a| **a == ip)
                    .map(|a| a.to_string())
                    .collect();
                if !leaked.is_empty() {
                    records.push(Checked {
                        view: view.name.clone(),
                        feature: r.feature.to_string(),
                        owner: r.owner.clone(),
                        rtype: r.data.rtype().to_string(),
                        expected: format!("{ip} inside only"),
                        status: Status::WrongView { found: leaked },
                    });
                }
            }
        }
    }
    Report { records, findings }
}

/// What probing a domain found.
#[derive(Debug, Clone, Serialize)]
pub struct DomainReport {
    /// The domain.
    pub domain: String,
    /// Whether the answers were read as the internal or the external view.
    pub location: Location,
    /// A wildcard answers every name (its addresses), so matching answers do not count.
    pub wildcard: Vec<IpAddr>,
    /// name (with type) → what was found (empty: nothing).
    pub found: BTreeMap<String, Vec<String>>,
    /// `on-premises`, `online`, `hybrid`, `partial`, or `none`.
    pub kind: String,
    /// Features that look deployed.
    pub features: Vec<String>,
    /// Records missing for those features, and names pointed at that do not resolve.
    pub missing: Vec<String>,
    /// Rule findings on what was found.
    pub findings: Vec<Finding>,
    /// Questions that got no conclusive answer (refused, server failure, not authoritative, no answer): what
    /// was found is incomplete, so the domain is never reported clean.
    pub unanswered: Vec<String>,
    /// Why the probe could not run at all, if it could not.
    pub error: Option<String>,
    /// The TLS endpoints the answers lead to, and what probing each gave (`not-probed` until
    /// [`crate::tls::probe_all`] is run on them).
    pub tls: Vec<TlsCheck>,
}

impl DomainReport {
    /// True when the domain could be checked completely.
    pub fn checked(&self) -> bool {
        self.error.is_none() && self.unanswered.is_empty() && self.tls.iter().all(TlsCheck::checked)
    }

    /// True when it was checked completely and nothing is missing or wrong.
    pub fn clean(&self) -> bool {
        self.checked()
            && self.missing.is_empty()
            && self.findings.is_empty()
            && self.tls.iter().all(TlsCheck::clean)
    }
}

/// The labels a Lync deployment uses below its SIP domain ([S1], [S2], [S3], [S9]), per type: every SRV service,
/// the Autodiscover and A-record names, the Edge, web and simple-URL names admins usually choose, and the
/// misspelt SRV owners real zones carry (`_sipfederationtls_.tcp`, [S35]), which clients never ask for.
fn probes() -> Vec<(String, Rtype)> {
    let srv = services::ALL.iter().map(|s| (s.label(), Rtype::SRV));
    let misspelt = [SIP_TLS, SIPFEDERATIONTLS, SIPINTERNALTLS]
        .into_iter()
        .flat_map(|s| {
            let proto = s.proto.trim_start_matches('_');
            [
                format!("{}_.{proto}", s.service),
                format!("{}_{proto}", s.service),
            ]
        })
        .map(|l| (l, Rtype::SRV));
    let hosts = [
        LYNCDISCOVER,
        LYNCDISCOVERINTERNAL,
        SIP,
        SIPINTERNAL_HOST,
        SIPEXTERNAL,
        "meet",
        "dialin",
        "admin",
        "scheduler",
        "webconf",
        "av",
        "lyncweb",
        "lyncwebext",
    ]
    .into_iter()
    .map(|l| (l.to_owned(), Rtype::A));
    srv.chain(misspelt).chain(hosts).collect()
}

/// Probes `domain`'s Lync names through `resolver`, detecting a wildcard first, reading the answers as the
/// `location` view. Every SRV target and every CNAME chain is followed to its addresses (out-of-zone ones too,
/// through the resolver), so a name that points nowhere is reported, not counted as present.
pub fn check_domain(
    domain: &str,
    resolver: &mut dyn Resolver,
    location: Location,
    nonce: u64,
) -> DomainReport {
    let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    let mut report = DomainReport {
        domain: domain.clone(),
        location,
        wildcard: Vec::new(),
        found: BTreeMap::new(),
        kind: "none".into(),
        features: Vec::new(),
        missing: Vec::new(),
        findings: Vec::new(),
        unanswered: Vec::new(),
        error: None,
        tls: Vec::new(),
    };
    // A random label: if it resolves, the zone has a wildcard (docs/lync.md §4 #12; lyncsmash's method). A
    // server that does not answer it conclusively cannot be used to check anything.
    let probe = resolver.lookup(&format!("lyncdns-{nonce:x}.{domain}"), Rtype::A);
    if let Err(why) = probe.conclusive() {
        report.error = Some(why);
        return report;
    }
    report.wildcard = probe.addresses();
    let mut live = Dataset {
        location: Some(location),
        records: Vec::new(),
    };
    let origin = Origin {
        file: format!("dns {}", resolver.describe()),
        line: 0,
    };
    for (label, t) in probes() {
        let name = format!("{label}.{domain}");
        let l = resolver.lookup(&name, t);
        if let Err(why) = l.conclusive() {
            report.unanswered.push(format!("{name} {t}: {why}"));
            continue;
        }
        let mut data: Vec<String> = Vec::new();
        for a in l.answers() {
            // An address equal to the wildcard's is the wildcard answering, not a record.
            if let Some(address) = a.data.address()
                && report.wildcard.contains(&address)
                && a.owner == name
            {
                continue;
            }
            data.push(data_text(&a.data));
            live.records.push(Rec::new(a.clone(), origin.clone()));
        }
        if !data.is_empty() {
            follow(
                &name,
                l.answers(),
                resolver,
                &mut live,
                &mut report,
                &origin,
            );
        }
        report.found.insert(format!("{name} {t}"), data);
    }
    let has = |label: &str| {
        report
            .found
            .iter()
            .any(|(k, v)| k.starts_with(&format!("{label}.{domain} ")) && !v.is_empty())
    };
    let points_online = report
        .found
        .values()
        .flatten()
        .any(|v| v.contains("online.lync.com"));
    let on_prem = has(&SIP_TLS.label())
        && !report
            .found
            .values()
            .flatten()
            .filter(|v| v.contains(' ') && v.split(' ').count() == 4)
            .all(|v| v.contains("online.lync.com"));
    report.kind = match (on_prem, points_online) {
        (true, true) => "hybrid",
        (true, false) => "on-premises",
        (false, true) => "online",
        (false, false) if has(LYNCDISCOVER) || has(SIP) => "partial",
        _ => "none",
    }
    .into();
    let mut want: Vec<(&str, Vec<String>)> = Vec::new();
    if report.kind != "none" {
        want.push(("external sign-in", vec![SIP_TLS.label(), SIP.into()]));
        want.push(("autodiscover / mobility", vec![LYNCDISCOVER.into()]));
    }
    if has(&SIPFEDERATIONTLS.label()) || report.kind != "none" {
        want.push(("federation", vec![SIPFEDERATIONTLS.label()]));
    }
    if has(&XMPP_SERVER.label()) {
        want.push(("xmpp", vec![XMPP_SERVER.label()]));
    }
    for (feature, labels) in want {
        report.features.push(feature.into());
        for l in labels {
            if !has(&l) {
                report.missing.push(format!("{l}.{domain} ({feature})"));
            }
        }
    }
    report
        .findings
        .extend(rules::lint(&live, &rules::Context::default()));
    report.tls = tls::endpoints(&domain, location, &live.records)
        .into_iter()
        .map(|endpoint| TlsCheck {
            endpoint,
            outcome: tls::Outcome::NotProbed,
        })
        .collect();
    report
}

/// Follows what `name`'s answer points at: the end of a CNAME chain the answer does not complete, and every SRV
/// target, each asked for its addresses. Targets with no address are reported missing; what is found joins
/// the data the rules see.
fn follow(
    name: &str,
    answers: &[Record],
    resolver: &mut dyn Resolver,
    live: &mut Dataset,
    report: &mut DomainReport,
    origin: &Origin,
) {
    let has_address = |owner: &str| {
        answers
            .iter()
            .any(|a| a.owner == owner && a.data.address().is_some())
    };
    let mut targets: Vec<(String, String)> = Vec::new();
    // The last CNAME's target, when the answer stops there (an out-of-zone alias asked of its zone's server).
    if let Some(RecordData::Cname { target }) = answers
        .iter()
        .rev()
        .find(|a| matches!(a.data, RecordData::Cname { .. }))
        .map(|a| &a.data)
        && !has_address(target)
        && !answers.iter().any(|a| a.owner == *target)
    {
        targets.push((target.clone(), format!("{name} is an alias of {target}")));
    }
    for a in answers {
        if let RecordData::Srv { target, port, .. } = &a.data
            && target != "."
            && !has_address(target)
        {
            targets.push((
                target.clone(),
                format!("{} SRV target {target}:{port}", a.owner),
            ));
        }
    }
    for (target, why) in targets {
        let mut addresses = Vec::new();
        let mut unanswered = Vec::new();
        for t in [Rtype::A, Rtype::AAAA] {
            let l = resolver.lookup(&target, t);
            match l.conclusive() {
                Ok(()) => {
                    for a in l.answers() {
                        addresses.extend(a.data.address());
                        live.records.push(Rec::new(a.clone(), origin.clone()));
                    }
                }
                Err(e) => unanswered.push(format!("{target} {t}: {e}")),
            }
        }
        if !addresses.is_empty() {
            continue;
        }
        if unanswered.len() == 2 {
            report.unanswered.extend(unanswered);
        } else {
            report.missing.push(format!(
                "{target}: no address ({why}; clients cannot connect)"
            ));
        }
    }
}
