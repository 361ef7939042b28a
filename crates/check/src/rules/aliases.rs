//! The CNAME rules: no SRV target is an alias (LD002), Autodiscover names alias only within their own domain
//! (LD008), and an alias owns nothing else (LD013).

use lyncdns_dnsdata::rdata::RecordData;

use super::{Finding, Scope, finding};

/// LD002 srv-target-alias: an SRV target that is a CNAME (RFC 2782).
pub(super) fn srv_target_alias(s: &Scope<'_>, out: &mut Vec<Finding>) {
    for (r, _, target) in s.srv_records() {
        if s.ds.is_alias(target) {
            out.push(finding(
                "LD002",
                format!("SRV target `{target}` of `{}` is an alias (CNAME)", r.owner),
                None,
                Some(&r.origin),
            ));
        }
    }
}

/// LD008 lyncdiscover-cname-other-domain: `lyncdiscover` or `lyncdiscoverinternal` aliased into another domain,
/// except Online's `webdir.online.lync.com`.
pub(super) fn lyncdiscover_cname_other_domain(s: &Scope<'_>, out: &mut Vec<Finding>) {
    for r in &s.ds.records {
        if let RecordData::Cname { target } = &r.data {
            for d in &s.domains {
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
    }
}

/// LD013 cname-and-other-data: a name that owns a CNAME and other records (RFC 1034 §3.6.2).
pub(super) fn cname_and_other_data(s: &Scope<'_>, out: &mut Vec<Finding>) {
    for r in &s.ds.records {
        if let RecordData::Cname { .. } = &r.data
            && s.ds
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
    }
}
