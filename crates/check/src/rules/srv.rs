//! The SRV rules: owners spelt as clients ask for them (LD001), targets with addresses (LD003) inside the SIP
//! domain (LD004), and the ports clients connect to (LD005).

use lyncdns_dnsdata::rdata::RecordData;
use lyncdns_lync::naming::srv_target_allowed;
use lyncdns_lync::services::{owner_fix, parse_owner};

use super::{Finding, Scope, finding};
use crate::record::Dataset;

/// LD001 srv-owner-typo: an SRV owner that is not `_service._protocol.domain`.
pub(super) fn srv_owner_typo(s: &Scope<'_>, out: &mut Vec<Finding>) {
    for (r, _, _) in s.srv_records() {
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
    }
}

/// LD003 srv-target-no-address: an SRV target inside the zones checked, not an alias (that is LD002), with no A
/// or AAAA record.
pub(super) fn srv_target_no_address(s: &Scope<'_>, out: &mut Vec<Finding>) {
    for (r, _, target) in s.srv_records() {
        if !s.ds.is_alias(target) && zone_holds(s.ds, target) && s.ds.addresses(target).is_empty() {
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
    }
}

/// LD004 srv-target-outside-domain: a SIP SRV target outside the SRV's own SIP domain (strict DNS naming);
/// Microsoft's Online targets are the documented exception.
pub(super) fn srv_target_outside_domain(s: &Scope<'_>, out: &mut Vec<Finding>) {
    for (r, _, target) in s.srv_records() {
        if let Some((service, domain)) = parse_owner(&r.owner) {
            let online = target.ends_with(".online.lync.com");
            let inside = srv_target_allowed(target, domain, s.strict);
            if service.sip && !online && !inside {
                let help = format!("point it at a host directly in {domain}, e.g. `sip.{domain}`");
                out.push(finding(
                    "LD004",
                    format!("`{}` points at `{target}`, outside {domain}", r.owner),
                    Some(help),
                    Some(&r.origin),
                ));
            }
        }
    }
}

/// LD005 srv-wrong-port: a Lync SRV record whose port is not its service's.
pub(super) fn srv_wrong_port(s: &Scope<'_>, out: &mut Vec<Finding>) {
    for (r, port, _) in s.srv_records() {
        if let Some((service, _)) = parse_owner(&r.owner) {
            let want = service.port;
            if port != want {
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
        }
    }
}

/// Whether the dataset holds a zone (an SOA) at or above `name`.
fn zone_holds(ds: &Dataset, name: &str) -> bool {
    ds.records.iter().any(|r| {
        matches!(&r.data, RecordData::Soa { .. })
            && (name == r.owner || name.ends_with(&format!(".{}", r.owner)))
    })
}
