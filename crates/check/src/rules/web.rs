//! The web services rule: Autodiscover's target is a load balancer VIP, never DNS-load-balanced servers (LD009).

use std::collections::BTreeSet;
use std::net::IpAddr;

use lyncdns_dnsdata::rdata::RecordData;

use super::{Finding, Scope, finding};

/// LD009 web-services-dns-load-balanced: the target of `lyncdiscover(internal)` resolves to several addresses,
/// all of them the pools' servers (without a deployment: several addresses inside).
pub(super) fn web_services_dns_load_balanced(s: &Scope<'_>, out: &mut Vec<Finding>) {
    let ds = s.ds;
    for d in &s.domains {
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
            let servers = s.ctx.deployment.map(|dep| {
                dep.all_pools()
                    .flat_map(|(p, _)| {
                        p.servers
                            .iter()
                            .flat_map(|server| server.addresses.clone())
                            .collect::<Vec<_>>()
                    })
                    .collect::<BTreeSet<IpAddr>>()
            });
            let on_servers = servers
                .map(|servers| addrs.len() > 1 && addrs.iter().all(|a| servers.contains(a)))
                .unwrap_or(addrs.len() > 1 && s.internal);
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
}
