//! The rules for records missing from a view: what the plan requires (LD010), and `lyncdiscoverinternal` beside
//! the internal sign-in SRV (LD011).

use lyncdns_dnsdata::rdata::RecordData;

use super::{Finding, Scope, finding};

/// LD010 missing-record: a record the plan's view requires (SOA and NS aside) is not among the records.
pub(super) fn missing_record(s: &Scope<'_>, out: &mut Vec<Finding>) {
    let Some(view) = s.ctx.plan_view else {
        return;
    };
    for (_, p) in view.records() {
        // With the zones given known, only what those zones would hold is asked for.
        let outside_given = s.ctx.zones.as_ref().is_some_and(|given| {
            !given
                .iter()
                .any(|z| p.owner == *z || lyncdns_lync::naming::is_below(&p.owner, z))
        });
        if matches!(p.data, RecordData::Soa { .. } | RecordData::Ns { .. })
            || p.need != lyncdns_plan::Need::Required
            || outside_given
        {
            continue;
        }
        let found =
            s.ds.records
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

/// LD011 missing-lyncdiscoverinternal: inside, a SIP domain has `_sipinternaltls._tcp` but no
/// `lyncdiscoverinternal`.
pub(super) fn missing_lyncdiscoverinternal(s: &Scope<'_>, out: &mut Vec<Finding>) {
    if !s.internal {
        return;
    }
    for d in &s.domains {
        let sign_in =
            s.ds.records
                .iter()
                .find(|r| r.owner == format!("_sipinternaltls._tcp.{d}"));
        if let Some(srv) = sign_in
            && !s
                .ds
                .records
                .iter()
                .any(|r| r.owner == format!("lyncdiscoverinternal.{d}"))
        {
            out.push(finding("LD011", format!("`lyncdiscoverinternal.{d}` is missing (the view has `_sipinternaltls._tcp.{d}`)"), None, Some(&srv.origin)));
        }
    }
}
