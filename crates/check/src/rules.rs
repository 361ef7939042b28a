//! The rule catalogue: every Lync DNS mistake DNS data can show (`lync-discovery.md` §4 and the RFCs), each with
//! a stable code, a severity, an explanation with its source key, and a fix. [`lint`] applies them to a
//! [`Dataset`].

use std::collections::BTreeSet;
use std::net::IpAddr;

use lyncdns_model::{Deployment, Location};
use serde::Serialize;

use crate::record::{Dataset, Origin};
use lyncdns_dnsdata::rdata::RecordData;
use lyncdns_lync::naming::{LYNCDISCOVER, LYNCDISCOVERINTERNAL, srv_target_allowed};
use lyncdns_lync::services::{SIP_TLS, SIPFEDERATIONTLS, SIPINTERNALTLS, owner_fix, parse_owner};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Some client fails.
    Error,
    /// Likely wrong, or fails for some clients or situations.
    Warning,
}

impl Severity {
    /// `error` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One rule of the catalogue.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Rule {
    /// Stable code (`LD001`).
    pub code: &'static str,
    /// Short name.
    pub name: &'static str,
    /// Severity.
    pub severity: Severity,
    /// One paragraph: what is wrong and what clients do, with source keys.
    pub explanation: &'static str,
    /// How to fix it.
    pub fix: &'static str,
}

/// Every rule.
pub const RULES: &[Rule] = &[
    Rule {
        code: "LD001",
        name: "srv-owner-typo",
        severity: Severity::Error,
        explanation: "An SRV record's owner is not `_service._protocol.domain`: a misplaced underscore or dot (`_sipfederationtls_.tcp`, `_sipfederationtls_tcp`), a missing `._tcp` (`_sipinternal.<domain>`, an error Microsoft's own dns.md carried), or a missing leading underscore. Clients ask for the exact name, so the record is never found: federation, push notifications or automatic sign-in fail (lync-discovery.md §4 #1; [S35], [S8], [S1], [S28]).",
        fix: "Rename the record to the spelling shown, e.g. `_sipfederationtls._tcp.<domain>`. Some DNS hosts add the underscore or the domain themselves: check what they publish with `dig SRV`.",
    },
    Rule {
        code: "LD002",
        name: "srv-target-alias",
        severity: Severity::Error,
        explanation: "An SRV target is a CNAME. RFC 2782 requires the target to be a name with address records; clients and resolvers may not follow the alias, and Lync's strict DNS naming checks the target name itself (RFC 2782; [S2]).",
        fix: "Point the SRV record at the host name that owns the A/AAAA records, or replace the CNAME with address records.",
    },
    Rule {
        code: "LD003",
        name: "srv-target-no-address",
        severity: Severity::Error,
        explanation: "An SRV target inside the zones checked has no A or AAAA record, so the client finds the service but cannot reach it and moves on to the next method ([S3], [S19]).",
        fix: "Add the target's A/AAAA records (in this view), or point the SRV record at a host that has them.",
    },
    Rule {
        code: "LD004",
        name: "srv-target-outside-domain",
        severity: Severity::Error,
        explanation: "A SIP SRV record points at a host outside the SRV's own SIP domain (e.g. `_sipinternaltls._tcp.anotherdomain.com → sip.lyncdude.net`). With strict DNS naming, the default, automatic configuration fails; Lync 2010/2013 desktop clients show \"cannot verify that the server is trusted\", and Lync Phone Edition (CU7+) refuses to sign in (lync-discovery.md §1.5, §4 #3; [S2], [S3], [S23], [S24]).",
        fix: "Point the SRV record at a host directly in the SIP domain (e.g. `sip.<domain>` with the pool's addresses, and that name on the certificate), or create a matching/pin-point zone.",
    },
    Rule {
        code: "LD005",
        name: "srv-wrong-port",
        severity: Severity::Error,
        explanation: "A Lync SRV record carries the wrong port: `_sipinternaltls._tcp` and `_sipfederationtls._tcp` use 5061, `_sip._tls` uses 443 (the Access Edge), `_xmpp-server._tcp` 5269, `_sipinternal._tcp` 5060. Clients connect to the port the record says ([S1], [S7], [S8]).",
        fix: "Set the port shown.",
    },
    Rule {
        code: "LD006",
        name: "sip-on-reverse-proxy",
        severity: Severity::Error,
        explanation: "External `sip`, `sipexternal` or the `_sip._tls` target resolves to the reverse proxy's address. The reverse proxy carries only web traffic (HTTP/S); SIP from remote users and federation go to the Access Edge. A published blog table made this mistake (lync-discovery.md §4 #2; [S35] against [S1], [S7], [S8], [S42]).",
        fix: "Point `sip.<domain>`, `sipexternal.<domain>` and the `_sip._tls` target at the Access Edge's public address.",
    },
    Rule {
        code: "LD007",
        name: "private-address-outside",
        severity: Severity::Error,
        explanation: "A record served to external clients holds a private, loopback, link-local or unique-local address: outside clients cannot reach it, and it discloses the internal network (split-brain DNS exists to prevent this; RFC 1918, RFC 4193, [S1]).",
        fix: "Publish the public (NAT) address outside, and keep internal addresses in the internal view only.",
    },
    Rule {
        code: "LD008",
        name: "lyncdiscover-cname-other-domain",
        severity: Severity::Warning,
        explanation: "`lyncdiscover` or `lyncdiscoverinternal` is a CNAME into another DNS domain (e.g. → `director.contoso.net`). Mobile clients then fail over HTTPS, because the certificate does not match; the first request must be HTTP (lync-discovery.md §4 #6; [S5]). Online domains' `lyncdiscover → webdir.online.lync.com` is the documented exception ([S28]).",
        fix: "Use an A record for the reverse proxy (outside) or the web services VIP (inside), or a CNAME to a name in the same domain.",
    },
    Rule {
        code: "LD009",
        name: "web-services-dns-load-balanced",
        severity: Severity::Error,
        explanation: "The web services (the target of `lyncdiscover(internal)`, or the pool's web FQDN) resolve to several server addresses: DNS load balancing cannot be used for client-to-server web traffic, which needs a hardware load balancer VIP ([S1], [S2]; lync-discovery.md §1.6).",
        fix: "Give the web services FQDN one address: the load balancer's VIP.",
    },
    Rule {
        code: "LD010",
        name: "missing-record",
        severity: Severity::Error,
        explanation: "A record that the deployment's plan requires for an enabled feature is missing from this view. The plan names the feature and the source key of each record (lync-discovery.md §1; [S1], [S7]); `lyncdns plan` shows them.",
        fix: "Add the record shown, in this view; `lyncdns plan --format zone` writes complete zone files.",
    },
    Rule {
        code: "LD011",
        name: "missing-lyncdiscoverinternal",
        severity: Severity::Warning,
        explanation: "The internal zone of a SIP domain has no `lyncdiscoverinternal` record. Internal Lync 2013+ clients then try `lyncdiscover`, which may lead them to the external service or fail; internal clients get the wrong Autodiscover response (lync-discovery.md §4 #7; [S5]).",
        fix: "Add `lyncdiscoverinternal.<domain>` pointing at the internal web services of the Director, else the Front End pool.",
    },
    Rule {
        code: "LD012",
        name: "wildcard",
        severity: Severity::Warning,
        explanation: "A wildcard record makes every name resolve, so a missing or misspelt Lync name still \"exists\" and points at the wildcard's target (often a web server), hiding mistakes from clients' fail-over and from checks (lync-discovery.md §4 #12; [S33], [S41]).",
        fix: "Remove the wildcard, or make sure every Lync name has its own record; `lyncdns check --domain` detects wildcard zones.",
    },
    Rule {
        code: "LD014",
        name: "internal-name-outside",
        severity: Severity::Warning,
        explanation: "An internal-only Lync name (`lyncdiscoverinternal`, `_sipinternaltls._tcp`, `sipinternal`) is answered to external clients. The internal Autodiscover URL should not be reachable from outside; outside clients that find it waste time on it or reach a service they cannot use ([S9]; lync-discovery.md §1.4).",
        fix: "Publish internal-only names in the internal view only (split-brain DNS).",
    },
    Rule {
        code: "LD013",
        name: "cname-and-other-data",
        severity: Severity::Error,
        explanation: "A name owns a CNAME and other records. RFC 1034 §3.6.2 forbids it; servers answer inconsistently.",
        fix: "Keep either the CNAME or the other records.",
    },
];

/// The rule with `code` (case-insensitive).
pub fn rule(code: &str) -> Option<&'static Rule> {
    RULES
        .iter()
        .find(|r| r.code.eq_ignore_ascii_case(code) || r.name == code)
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Rule code.
    pub code: &'static str,
    /// Severity.
    pub severity: Severity,
    /// What was found, naming the record.
    pub message: String,
    /// How to fix it.
    pub help: String,
    /// Where, when known.
    pub origin: Option<Origin>,
}

/// What the rules may know beyond the records.
#[derive(Default)]
pub struct Context<'a> {
    /// The deployment, when given.
    pub deployment: Option<&'a Deployment>,
    /// The planned view these records should match (for LD010).
    pub plan_view: Option<&'a lyncdns_plan::ViewPlan>,
}

fn finding(
    code: &'static str,
    message: String,
    help: Option<String>,
    origin: Option<&Origin>,
) -> Finding {
    let rule = rule(code).expect("known code");
    Finding {
        code,
        severity: rule.severity,
        message,
        help: help.unwrap_or_else(|| rule.fix.to_owned()),
        origin: origin.cloned(),
    }
}

/// The SIP domains: the deployment's, else those the records name.
fn sip_domains(ds: &Dataset, ctx: &Context<'_>) -> BTreeSet<String> {
    if let Some(d) = ctx.deployment {
        return d
            .sip_domains()
            .iter()
            .chain(d.online_domains().iter())
            .map(|x| x.to_string())
            .collect();
    }
    let mut out = BTreeSet::new();
    for r in &ds.records {
        let srv = parse_owner(&r.owner)
            .filter(|(s, _)| [SIPINTERNALTLS, SIP_TLS, SIPFEDERATIONTLS].contains(s))
            .map(|(_, d)| d);
        let autodiscover = [LYNCDISCOVER, LYNCDISCOVERINTERNAL]
            .iter()
            .find_map(|l| r.owner.strip_prefix(l)?.strip_prefix('.'));
        if let Some(d) = srv.or(autodiscover) {
            out.insert(d.to_owned());
        }
    }
    out
}

/// Applies every rule to `ds`.
pub fn lint(ds: &Dataset, ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let domains = sip_domains(ds, ctx);
    let external = ds.location == Some(Location::External);
    let internal = ds.location == Some(Location::Internal);
    let strict = ctx
        .deployment
        .map(|d| d.options.strict_dns_naming)
        .unwrap_or(true);

    // Reverse-proxy addresses: the deployment's, else (outside) those of names only the reverse proxy publishes.
    let rp: BTreeSet<IpAddr> = match ctx.deployment.and_then(|d| d.reverse_proxy.as_ref()) {
        Some(rp) => rp.addresses.iter().copied().collect(),
        None if !internal => domains
            .iter()
            .flat_map(|d| {
                ["lyncdiscover", "meet", "dialin"].map(|l| ds.addresses(&format!("{l}.{d}")))
            })
            .flatten()
            .collect(),
        None => BTreeSet::new(),
    };

    for r in &ds.records {
        if let RecordData::Srv { port, target, .. } = &r.data {
            if let Some(fixed) = owner_fix(&r.owner) {
                out.push(finding(
                    "LD001",
                    format!(
                        "SRV owner `{}` is misspelt; clients ask for `{fixed}`",
                        r.owner
                    ),
                    Some(format!("rename it to `{fixed}`")),
                    Some(&r.origin),
                ));
            }
            if let Some((service, domain)) = parse_owner(&r.owner) {
                let want = service.port;
                if *port != want {
                    out.push(finding(
                        "LD005",
                        format!(
                            "`{}` has port {port}; {} uses {want}",
                            r.owner,
                            service.label()
                        ),
                        Some(format!("set the port to {want}")),
                        Some(&r.origin),
                    ));
                }
                let online = target.ends_with(".online.lync.com");
                let inside = srv_target_allowed(target, domain, strict);
                if service.sip && !online && !inside {
                    let help =
                        format!("point it at a host directly in {domain}, e.g. `sip.{domain}`");
                    out.push(finding(
                        "LD004",
                        format!("`{}` points at `{target}`, outside {domain}", r.owner),
                        Some(help),
                        Some(&r.origin),
                    ));
                }
            }
            if ds.is_alias(target) {
                out.push(finding(
                    "LD002",
                    format!("SRV target `{target}` of `{}` is an alias (CNAME)", r.owner),
                    None,
                    Some(&r.origin),
                ));
            } else if zone_holds(ds, target) && ds.addresses(target).is_empty() {
                out.push(finding(
                    "LD003",
                    format!(
                        "SRV target `{target}` of `{}` has no A or AAAA record here",
                        r.owner
                    ),
                    None,
                    Some(&r.origin),
                ));
            }
            if external && domains.iter().any(|d| r.owner == format!("_sip._tls.{d}")) {
                let hits: Vec<IpAddr> = ds
                    .addresses(target)
                    .into_iter()
                    .filter(|a| rp.contains(a))
                    .collect();
                if let Some(a) = hits.first() {
                    out.push(finding(
                        "LD006",
                        format!(
                            "`{}` targets `{target}`, which resolves to {a}, the reverse proxy",
                            r.owner
                        ),
                        None,
                        Some(&r.origin),
                    ));
                }
            }
        }
        if let Some(address) = &r.data.address() {
            if external && let Some(kind) = lyncdns_model::addr::non_public_kind(*address) {
                out.push(finding(
                    "LD007",
                    format!(
                        "`{}` has the {kind} address {address} in an external view",
                        r.owner
                    ),
                    None,
                    Some(&r.origin),
                ));
            }
            if external
                && rp.contains(address)
                && domains
                    .iter()
                    .any(|d| r.owner == format!("sip.{d}") || r.owner == format!("sipexternal.{d}"))
            {
                out.push(finding("LD006", format!("`{}` resolves to {address}, the reverse proxy's address; SIP must go to the Access Edge", r.owner), None, Some(&r.origin)));
            }
        }
        if let RecordData::Cname { target } = &r.data {
            if ds
                .records
                .iter()
                .any(|o| o.owner == r.owner && !matches!(o.data, RecordData::Cname { .. }))
            {
                out.push(finding(
                    "LD013",
                    format!("`{}` has a CNAME and other records", r.owner),
                    None,
                    Some(&r.origin),
                ));
            }
            for d in &domains {
                let is_ld = r.owner == format!("lyncdiscover.{d}")
                    || r.owner == format!("lyncdiscoverinternal.{d}");
                let same = target == d || target.ends_with(&format!(".{d}"));
                if is_ld && !same && target != "webdir.online.lync.com" {
                    out.push(finding(
                        "LD008",
                        format!("`{}` is a CNAME into another domain: `{target}`", r.owner),
                        None,
                        Some(&r.origin),
                    ));
                }
            }
        }
        if external
            && domains.iter().any(|d| {
                [
                    "lyncdiscoverinternal",
                    "_sipinternaltls._tcp",
                    "sipinternal",
                ]
                .iter()
                .any(|l| r.owner == format!("{l}.{d}"))
            })
        {
            out.push(finding(
                "LD014",
                format!("internal-only name `{}` is answered outside", r.owner),
                None,
                Some(&r.origin),
            ));
        }
        if r.owner.starts_with("*.")
            && !internal
            && domains
                .iter()
                .any(|d| r.owner == format!("*.{d}") || r.owner.ends_with(&format!(".{d}")))
        {
            out.push(finding(
                "LD012",
                format!(
                    "wildcard `{}`: every missing Lync name resolves to it",
                    r.owner
                ),
                None,
                Some(&r.origin),
            ));
        }
    }

    // Web services on a DNS-load-balanced name.
    for d in &domains {
        for l in ["lyncdiscover", "lyncdiscoverinternal"] {
            let name = format!("{l}.{d}");
            let target = ds
                .records
                .iter()
                .find_map(|r| {
                    if r.owner == name {
                        if let RecordData::Cname { target } = &r.data {
                            Some(target.clone())
                        } else {
                            None
                        }
                    } else {
                        None
                    }
                })
                .unwrap_or(name.clone());
            let addrs = ds.addresses(&target);
            let servers = ctx.deployment.map(|dep| {
                dep.all_pools()
                    .flat_map(|(p, _)| {
                        p.servers
                            .iter()
                            .flat_map(|s| s.addresses.clone())
                            .collect::<Vec<_>>()
                    })
                    .collect::<BTreeSet<IpAddr>>()
            });
            let on_servers = servers
                .map(|s| addrs.len() > 1 && addrs.iter().all(|a| s.contains(a)))
                .unwrap_or(addrs.len() > 1 && internal);
            if on_servers {
                let origin = ds
                    .records
                    .iter()
                    .find(|r| r.owner == target)
                    .map(|r| r.origin.clone());
                out.push(finding(
                    "LD009",
                    format!(
                        "`{target}` (web services for `{name}`) resolves to {} addresses",
                        addrs.len()
                    ),
                    None,
                    origin.as_ref(),
                ));
            }
        }
    }

    // Missing lyncdiscoverinternal inside.
    if internal {
        for d in &domains {
            let sign_in = ds
                .records
                .iter()
                .find(|r| r.owner == format!("_sipinternaltls._tcp.{d}"));
            if let Some(srv) = sign_in
                && !ds
                    .records
                    .iter()
                    .any(|r| r.owner == format!("lyncdiscoverinternal.{d}"))
            {
                out.push(finding("LD011", format!("`lyncdiscoverinternal.{d}` is missing (the view has `_sipinternaltls._tcp.{d}`)"), None, Some(&srv.origin)));
            }
        }
    }

    // Missing planned records.
    if let Some(view) = ctx.plan_view {
        for (_, p) in view.records() {
            if matches!(p.data, RecordData::Soa { .. } | RecordData::Ns { .. })
                || p.need != lyncdns_plan::Need::Required
            {
                continue;
            }
            let found = ds
                .records
                .iter()
                .any(|r| r.owner == p.owner && r.data == p.data);
            if !found {
                out.push(finding(
                    "LD010",
                    format!(
                        "view {}: missing `{} {} {}` ({}: {})",
                        view.name,
                        p.owner,
                        p.data.rtype(),
                        p.data,
                        p.feature,
                        p.why
                    ),
                    Some(format!(
                        "add `{} {} {} {}`",
                        p.owner,
                        p.ttl,
                        p.data.rtype(),
                        p.data
                    )),
                    None,
                ));
            }
        }
    }
    out.sort_by(|a, b| {
        (a.origin.as_ref().map(|o| (o.file.clone(), o.line)), a.code)
            .cmp(&(b.origin.as_ref().map(|o| (o.file.clone(), o.line)), b.code))
    });
    out.dedup();
    out
}

/// Whether the dataset holds a zone (an SOA) at or above `name`.
fn zone_holds(ds: &Dataset, name: &str) -> bool {
    ds.records.iter().any(|r| {
        matches!(&r.data, RecordData::Soa { .. })
            && (name == r.owner || name.ends_with(&format!(".{}", r.owner)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_has_a_unique_code_a_source_and_a_fix() {
        let mut codes = BTreeSet::new();
        for r in RULES {
            assert!(codes.insert(r.code), "{} twice", r.code);
            assert!(
                r.explanation.contains('[') || r.explanation.contains("RFC"),
                "{} cites no source",
                r.code
            );
            assert!(!r.fix.is_empty());
        }
    }
}
