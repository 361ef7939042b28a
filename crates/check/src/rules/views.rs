//! What external clients must not be answered: SIP names at the reverse proxy (LD006), non-public addresses
//! (LD007) and internal-only names (LD014).

use std::collections::BTreeSet;
use std::net::IpAddr;

use lyncdns_dnsdata::rdata::RecordData;

use super::{Finding, Scope, finding};

/// Reverse-proxy addresses: the deployment's, else (outside) those of names only the reverse proxy publishes.
fn reverse_proxy_addresses(s: &Scope<'_>) -> BTreeSet<IpAddr> {
    match s.ctx.deployment.and_then(|d| d.reverse_proxy.as_ref()) {
        Some(rp) => rp.addresses.iter().copied().collect(),
        None if !s.internal => s
            .domains
            .iter()
            .flat_map(|d| {
                ["lyncdiscover", "meet", "dialin"].map(|l| s.ds.addresses(&format!("{l}.{d}")))
            })
            .flatten()
            .collect(),
        None => BTreeSet::new(),
    }
}

/// LD006 sip-on-reverse-proxy: outside, the `_sip._tls` target, `sip` or `sipexternal` resolves to the reverse
/// proxy, which carries only web traffic.
pub(super) fn sip_on_reverse_proxy(s: &Scope<'_>, out: &mut Vec<Finding>) {
    if !s.external {
        return;
    }
    let rp = reverse_proxy_addresses(s);
    for r in &s.ds.records {
        if let RecordData::Srv { target, .. } = &r.data
            && s.domains
                .iter()
                .any(|d| r.owner == format!("_sip._tls.{d}"))
        {
            let hits: Vec<IpAddr> =
                s.ds.addresses(target)
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
        if let Some(address) = &r.data.address()
            && rp.contains(address)
            && s.domains
                .iter()
                .any(|d| r.owner == format!("sip.{d}") || r.owner == format!("sipexternal.{d}"))
        {
            out.push(finding("LD006", format!("`{}` resolves to {address}, the reverse proxy's address; SIP must go to the Access Edge", r.owner), None, Some(&r.origin)));
        }
    }
}

/// LD007 private-address-outside: a private, loopback, link-local or unique-local address answered outside.
pub(super) fn private_address_outside(s: &Scope<'_>, out: &mut Vec<Finding>) {
    if !s.external {
        return;
    }
    for r in &s.ds.records {
        if let Some(address) = &r.data.address()
            && let Some(kind) = lyncdns_model::addr::non_public_kind(*address)
        {
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
    }
}

/// LD014 internal-name-outside: `lyncdiscoverinternal`, `_sipinternaltls._tcp` or `sipinternal` answered
/// outside.
pub(super) fn internal_name_outside(s: &Scope<'_>, out: &mut Vec<Finding>) {
    if !s.external {
        return;
    }
    for r in &s.ds.records {
        if s.domains.iter().any(|d| {
            [
                "lyncdiscoverinternal",
                "_sipinternaltls._tcp",
                "sipinternal",
            ]
            .iter()
            .any(|l| r.owner == format!("{l}.{d}"))
        }) {
            out.push(finding(
                "LD014",
                format!("internal-only name `{}` is answered outside", r.owner),
                None,
                Some(&r.origin),
            ));
        }
    }
}
