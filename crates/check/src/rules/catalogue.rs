//! The rule catalogue: every Lync DNS mistake DNS data can show (`docs/lync.md` §4 and the RFCs), each with
//! a stable code, a severity, an explanation with its source key, and a fix; and the [`Finding`] a rule reports.

use serde::Serialize;

use crate::record::Origin;

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
        explanation: "An SRV record's owner is not `_service._protocol.domain`: a misplaced underscore or dot (`_sipfederationtls_.tcp`, `_sipfederationtls_tcp`), a missing `._tcp` (`_sipinternal.<domain>`, an error Microsoft's own dns.md carried), or a missing leading underscore. Clients ask for the exact name, so the record is never found: federation, push notifications or automatic sign-in fail (docs/lync.md §4 #1; [S35], [S8], [S1], [S28]).",
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
        explanation: "A SIP SRV record points at a host outside the SRV's own SIP domain (e.g. `_sipinternaltls._tcp.anotherdomain.com → sip.lyncdude.net`). With strict DNS naming, the default, automatic configuration fails; Lync 2010/2013 desktop clients show \"cannot verify that the server is trusted\", and Lync Phone Edition (CU7+) refuses to sign in (docs/lync.md §1.5, §4 #3; [S2], [S3], [S23], [S24]).",
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
        explanation: "External `sip`, `sipexternal` or the `_sip._tls` target resolves to the reverse proxy's address. The reverse proxy carries only web traffic (HTTP/S); SIP from remote users and federation go to the Access Edge. A published blog table made this mistake (docs/lync.md §4 #2; [S35] against [S1], [S7], [S8], [S42]).",
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
        explanation: "`lyncdiscover` or `lyncdiscoverinternal` is a CNAME into another DNS domain (e.g. → `director.contoso.net`). Mobile clients then fail over HTTPS, because the certificate does not match; the first request must be HTTP (docs/lync.md §4 #6; [S5]). Online domains' `lyncdiscover → webdir.online.lync.com` is the documented exception ([S28]).",
        fix: "Use an A record for the reverse proxy (outside) or the web services VIP (inside), or a CNAME to a name in the same domain.",
    },
    Rule {
        code: "LD009",
        name: "web-services-dns-load-balanced",
        severity: Severity::Error,
        explanation: "The web services (the target of `lyncdiscover(internal)`, or the pool's web FQDN) resolve to several server addresses: DNS load balancing cannot be used for client-to-server web traffic, which needs a hardware load balancer VIP ([S1], [S2]; docs/lync.md §1.6).",
        fix: "Give the web services FQDN one address: the load balancer's VIP.",
    },
    Rule {
        code: "LD010",
        name: "missing-record",
        severity: Severity::Error,
        explanation: "A record that the deployment's plan requires for an enabled feature is missing from this view. The plan names the feature and the source key of each record (docs/lync.md §1; [S1], [S7]); `lyncdns plan` shows them.",
        fix: "Add the record shown, in this view; `lyncdns plan --format zone` writes complete zone files.",
    },
    Rule {
        code: "LD011",
        name: "missing-lyncdiscoverinternal",
        severity: Severity::Warning,
        explanation: "The internal zone of a SIP domain has no `lyncdiscoverinternal` record. Internal Lync 2013+ clients then try `lyncdiscover`, which may lead them to the external service or fail; internal clients get the wrong Autodiscover response (docs/lync.md §4 #7; [S5]).",
        fix: "Add `lyncdiscoverinternal.<domain>` pointing at the internal web services of the Director, else the Front End pool.",
    },
    Rule {
        code: "LD012",
        name: "wildcard",
        severity: Severity::Warning,
        explanation: "A wildcard record makes every name resolve, so a missing or misspelt Lync name still \"exists\" and points at the wildcard's target (often a web server), hiding mistakes from clients' fail-over and from checks (docs/lync.md §4 #12; [S33], [S41]).",
        fix: "Remove the wildcard, or make sure every Lync name has its own record; `lyncdns check --domain` detects wildcard zones.",
    },
    Rule {
        code: "LD014",
        name: "internal-name-outside",
        severity: Severity::Warning,
        explanation: "An internal-only Lync name (`lyncdiscoverinternal`, `_sipinternaltls._tcp`, `sipinternal`) is answered to external clients. The internal Autodiscover URL should not be reachable from outside; outside clients that find it waste time on it or reach a service they cannot use ([S9]; docs/lync.md §1.4).",
        fix: "Publish internal-only names in the internal view only (split-brain DNS).",
    },
    Rule {
        code: "LD013",
        name: "cname-and-other-data",
        severity: Severity::Error,
        explanation: "A name owns a CNAME and other records. RFC 1034 §3.6.2 forbids it; servers answer inconsistently.",
        fix: "Keep either the CNAME or the other records.",
    },
    Rule {
        code: "LD015",
        name: "syntax",
        severity: Severity::Error,
        explanation: "An entry of the zone file is not valid master-file syntax (RFC 1035 §5.1): a field that does not parse, a relative name with no origin, an unknown type or class. A server refuses the whole zone (BIND's named-checkzone and Knot's kzonecheck stop at it), so every record in the file is missing, not only this one.",
        fix: "Correct the entry at the line shown; for a relative name, give the origin (`$ORIGIN`, or `lyncdns lint --origin`).",
    },
    Rule {
        code: "LD016",
        name: "zone-without-soa",
        severity: Severity::Error,
        explanation: "The zone file has no SOA record at its origin. Every zone has exactly one SOA at its apex (RFC 1035 §5.2); BIND and Knot refuse to load a zone without one, so none of its records is served.",
        fix: "Add the zone's SOA record at its apex (`@ IN SOA <primary NS> <mailbox> (serial refresh retry expire minimum)`).",
    },
    Rule {
        code: "LD017",
        name: "zone-without-ns",
        severity: Severity::Error,
        explanation: "The zone has no NS records at its apex. A zone must list its name servers there (RFC 1035 §5.2, RFC 1034 §4.2.1); BIND refuses to load it and secondaries cannot find it.",
        fix: "Add the zone's NS records at its apex (`@ IN NS ns1.<zone>.`), one per server that answers for it.",
    },
    Rule {
        code: "LD018",
        name: "out-of-zone-data",
        severity: Severity::Error,
        explanation: "A record's owner is not inside the zone the file is for. Servers ignore such data (named-checkzone says \"ignoring out-of-zone data\", RFC 1035 §5.2), so the record looks present in the file but is never answered: usually a missing trailing dot or the wrong origin.",
        fix: "Write the owner relative to the zone, or absolute with its trailing dot inside the zone; or lint the file with the right `--origin`.",
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

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
