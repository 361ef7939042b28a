//! The wildcard rule: a wildcard in a SIP domain hides every missing Lync name (LD012).

use super::{Finding, Scope, finding};

/// LD012 wildcard: a wildcard record in or below a SIP domain, in a view that is not known to be internal.
pub(super) fn wildcard(s: &Scope<'_>, out: &mut Vec<Finding>) {
    for r in &s.ds.records {
        if r.owner.starts_with("*.")
            && !s.internal
            && s.domains
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
}
