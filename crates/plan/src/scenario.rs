//! Documented misconfigurations (`docs/lync.md` §4), applied to a correct plan so that `lyncdns lab` can
//! show how each client reacts. Each scenario changes only DNS data, the way the mistake is made in practice.

use crate::{Plan, ZonePlan};
use lyncdns_dnsdata::rdata::RecordData;

/// A way to break a deployment's DNS.
#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    /// Its name on the command line.
    pub name: &'static str,
    /// What it does and what the sources say happens.
    pub description: &'static str,
    apply: fn(&mut Plan, &Context) -> Result<(), String>,
}

/// Facts a scenario needs about the deployment.
pub struct Context {
    /// The reverse proxy's public addresses.
    pub reverse_proxy: Vec<std::net::IpAddr>,
    /// The registrar's FQDN (the Director or sign-in pool).
    pub registrar: String,
    /// On-premises SIP domains, primary first.
    pub domains: Vec<String>,
}

impl Scenario {
    /// Applies the scenario to `plan`.
    pub fn apply(&self, plan: &mut Plan, ctx: &Context) -> Result<(), String> {
        (self.apply)(plan, ctx)
    }
}

fn retain(plan: &mut Plan, location: lyncdns_model::Location, keep: impl Fn(&str) -> bool) {
    for v in plan.views.iter_mut().filter(|v| v.location == location) {
        v.zones.retain(|z| keep(&z.origin));
        for z in &mut v.zones {
            z.records.retain(|r| keep(&r.owner));
        }
    }
}

fn rename(z: &mut ZonePlan, from: &str, to: &str) {
    let fix = |n: &mut String| {
        if n.starts_with(from) {
            *n = format!("{to}{}", &n[from.len()..]);
        }
    };
    fix(&mut z.origin);
    for r in &mut z.records {
        fix(&mut r.owner);
    }
}

/// Every scenario, in the order `--list-scenarios` shows them.
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "missing-lyncdiscoverinternal",
        description: "No lyncdiscoverinternal record inside (§4 #7): internal clients fall through to lyncdiscover or SRV, or fail [S5].",
        apply: |plan, _| {
            retain(plan, lyncdns_model::Location::Internal, |n| {
                !n.starts_with("lyncdiscoverinternal.")
            });
            Ok(())
        },
    },
    Scenario {
        name: "missing-lyncdiscover",
        description: "No external lyncdiscover record: outside, the Store and mobile apps cannot sign in; desktop clients fall back to SRV [S3], [S5].",
        apply: |plan, _| {
            retain(plan, lyncdns_model::Location::External, |n| {
                !n.starts_with("lyncdiscover.")
            });
            Ok(())
        },
    },
    Scenario {
        name: "no-autodiscover",
        description: "Neither lyncdiscoverinternal nor lyncdiscover exists: only clients with an SRV fallback sign in [S3].",
        apply: |plan, _| {
            retain(plan, lyncdns_model::Location::Internal, |n| {
                !n.starts_with("lyncdiscoverinternal.")
            });
            retain(plan, lyncdns_model::Location::External, |n| {
                !n.starts_with("lyncdiscover.")
            });
            Ok(())
        },
    },
    Scenario {
        name: "srv-typo",
        description: "SRV owners misspelt as in the seed article (`_sipinternaltls_.tcp`, `_sip_.tls`, `_sipfederationtls_.tcp`, §4 #1): the records exist but no client asks for them [S35].",
        apply: |plan, _| {
            for v in &mut plan.views {
                for z in &mut v.zones {
                    for (from, to) in [
                        ("_sipinternaltls._tcp.", "_sipinternaltls_.tcp."),
                        ("_sip._tls.", "_sip_.tls."),
                        ("_sipfederationtls._tcp.", "_sipfederationtls_.tcp."),
                    ] {
                        rename(z, from, to);
                    }
                }
            }
            Ok(())
        },
    },
    Scenario {
        name: "sip-to-reverse-proxy",
        description: "External sip/sipexternal point at the reverse proxy and _sip._tls at sip:5061, as in the seed article's table (§4 #2): the reverse proxy carries only web traffic [S35], [S1], [S7].",
        apply: |plan, ctx| {
            let rp = ctx
                .reverse_proxy
                .first()
                .copied()
                .ok_or("this deployment has no reverse proxy")?;
            for v in plan
                .views
                .iter_mut()
                .filter(|v| v.location == lyncdns_model::Location::External)
            {
                for z in &mut v.zones {
                    for r in &mut z.records {
                        let is_sip = ctx.domains.iter().any(|d| {
                            r.owner == format!("sip.{d}") || r.owner == format!("sipexternal.{d}")
                        });
                        if is_sip
                            && matches!(r.data, RecordData::A { .. } | RecordData::Aaaa { .. })
                            && let std::net::IpAddr::V4(address) = rp
                        {
                            r.data = RecordData::A { address };
                        }
                        if let Some(d) = ctx
                            .domains
                            .iter()
                            .find(|d| r.owner == format!("_sip._tls.{d}"))
                            .filter(|_| matches!(r.data, RecordData::Srv { .. }))
                        {
                            r.data = RecordData::Srv {
                                priority: 0,
                                weight: 0,
                                port: 5061,
                                target: format!("sip.{d}"),
                            };
                        }
                    }
                    z.records
                        .dedup_by(|a, b| a.owner == b.owner && a.data == b.data);
                }
            }
            Ok(())
        },
    },
    Scenario {
        name: "no-hairpin",
        description: "The external web services FQDN is not published inside (§4 #9): the UCWA URL Autodiscover hands out names it even on the LAN, so the Store and mobile apps inside cannot reach UCWA; desktops are unaffected [S3], [S9].",
        apply: |plan, ctx| {
            if ctx.reverse_proxy.is_empty() {
                return Err("this deployment has no reverse proxy".into());
            }
            // Inside, only the hair-pin copies point at the reverse proxy's public addresses.
            for v in plan
                .views
                .iter_mut()
                .filter(|v| v.location == lyncdns_model::Location::Internal)
            {
                for z in &mut v.zones {
                    z.records.retain(|r| match r.data {
                        RecordData::A { address } => {
                            !ctx.reverse_proxy.contains(&std::net::IpAddr::V4(address))
                        }
                        RecordData::Aaaa { address } => {
                            !ctx.reverse_proxy.contains(&std::net::IpAddr::V6(address))
                        }
                        _ => true,
                    });
                }
            }
            Ok(())
        },
    },
    Scenario {
        name: "cross-domain-srv",
        description: "The additional SIP domain's _sipinternaltls._tcp points at the registrar in the primary domain, as the seed article does (§4 #3): desktop clients show a trust prompt, phones refuse [S2], [S23], [S24].",
        apply: |plan, ctx| {
            let extra: Vec<&String> = ctx.domains.iter().skip(1).collect();
            if extra.is_empty() {
                return Err("this deployment has no additional SIP domain".into());
            }
            for v in plan
                .views
                .iter_mut()
                .filter(|v| v.location == lyncdns_model::Location::Internal)
            {
                for z in &mut v.zones {
                    for r in &mut z.records {
                        if extra
                            .iter()
                            .any(|d| r.owner == format!("_sipinternaltls._tcp.{d}"))
                            && matches!(r.data, RecordData::Srv { .. })
                        {
                            r.data = RecordData::Srv {
                                priority: 0,
                                weight: 0,
                                port: 5061,
                                target: ctx.registrar.clone(),
                            };
                        }
                    }
                }
            }
            Ok(())
        },
    },
];

/// The scenario called `name`.
pub fn find(name: &str) -> Option<&'static Scenario> {
    SCENARIOS.iter().find(|s| s.name == name)
}
