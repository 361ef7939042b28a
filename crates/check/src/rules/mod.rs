//! The rule catalogue: every Lync DNS mistake DNS data can show (`docs/lync.md` §4 and the RFCs), each with
//! a stable code, a severity, an explanation with its source key, and a fix. [`lint`] applies them to a
//! [`Dataset`].
//!
//! The catalogue itself ([`RULES`]) lives in `catalogue.rs`; the rules, one function each, are grouped by what
//! they look at: `srv.rs` (LD001, LD003, LD004, LD005: SRV owners, ports and targets), `aliases.rs` (LD002,
//! LD008, LD013: CNAMEs), `views.rs` (LD006, LD007, LD014: what external clients must not be answered),
//! `web.rs` (LD009), `wildcard.rs` (LD012) and `missing.rs` (LD010, LD011: records missing from a view).
//! `zone.rs` (LD016–LD018) looks at one zone file as a whole; LD015 (syntax) is reported by whoever reads files.

use std::collections::BTreeSet;

use lyncdns_model::{Deployment, Location};

use crate::record::{Dataset, Origin, Rec};
use lyncdns_dnsdata::rdata::RecordData;
use lyncdns_lync::naming::{LYNCDISCOVER, LYNCDISCOVERINTERNAL};
use lyncdns_lync::services::{SIP_TLS, SIPFEDERATIONTLS, SIPINTERNALTLS, parse_owner};

mod aliases;
mod catalogue;
mod missing;
mod srv;
mod views;
mod web;
mod wildcard;
mod zone;

pub use catalogue::{Finding, RULES, Rule, Severity, rule};
pub use zone::{syntax_finding, zone_file};

/// What the rules may know beyond the records.
#[derive(Default)]
pub struct Context<'a> {
    /// The deployment, when given.
    pub deployment: Option<&'a Deployment>,
    /// The planned view these records should match (for LD010).
    pub plan_view: Option<&'a lyncdns_plan::ViewPlan>,
    /// The zones the records are known to be all of (the origins of the files linted): LD010 then asks only for
    /// planned records of these zones, not for zones that were never given.
    pub zones: Option<Vec<String>>,
}

/// The records being linted, with what every rule derives from them and the context, worked out once.
struct Scope<'a> {
    /// The records.
    ds: &'a Dataset,
    /// What the rules may know beyond them.
    ctx: &'a Context<'a>,
    /// The SIP domains: the deployment's, else those the records name.
    domains: BTreeSet<String>,
    /// The records are answered to external clients.
    external: bool,
    /// The records are answered to internal clients.
    internal: bool,
    /// Strict DNS naming: the deployment's option, else on (its default).
    strict: bool,
}

impl<'a> Scope<'a> {
    /// Every SRV record, with its port and target.
    fn srv_records(&self) -> impl Iterator<Item = (&'a Rec, u16, &'a str)> {
        self.ds.records.iter().filter_map(|r| match &r.data {
            RecordData::Srv { port, target, .. } => Some((r, *port, target.as_str())),
            _ => None,
        })
    }
}

/// A finding of the rule `code`, with the rule's severity and, unless `help` says more, its fix.
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
///
/// Each rule reports its findings in the order of the records; the stable sort by place, then code, makes the
/// result independent of the order the rules run in.
pub fn lint(ds: &Dataset, ctx: &Context<'_>) -> Vec<Finding> {
    let s = Scope {
        ds,
        ctx,
        domains: sip_domains(ds, ctx),
        external: ds.location == Some(Location::External),
        internal: ds.location == Some(Location::Internal),
        strict: ctx
            .deployment
            .map(|d| d.options.strict_dns_naming)
            .unwrap_or(true),
    };
    let mut out = Vec::new();
    srv::srv_owner_typo(&s, &mut out);
    aliases::srv_target_alias(&s, &mut out);
    srv::srv_target_no_address(&s, &mut out);
    srv::srv_target_outside_domain(&s, &mut out);
    srv::srv_wrong_port(&s, &mut out);
    views::sip_on_reverse_proxy(&s, &mut out);
    views::private_address_outside(&s, &mut out);
    aliases::lyncdiscover_cname_other_domain(&s, &mut out);
    web::web_services_dns_load_balanced(&s, &mut out);
    missing::missing_record(&s, &mut out);
    missing::missing_lyncdiscoverinternal(&s, &mut out);
    wildcard::wildcard(&s, &mut out);
    aliases::cname_and_other_data(&s, &mut out);
    views::internal_name_outside(&s, &mut out);
    out.sort_by(|a, b| {
        (a.origin.as_ref().map(|o| (o.file.clone(), o.line)), a.code)
            .cmp(&(b.origin.as_ref().map(|o| (o.file.clone(), o.line)), b.code))
    });
    out.dedup();
    out
}
