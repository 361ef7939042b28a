//! The Lync names clients derive from a SIP domain, and the naming rule for SIP SRV targets.
//!
//! Strict DNS naming ([S2], [S3], [S10]): a SIP SRV record of `contoso.com` may only point at a host directly in
//! `contoso.com` (`sip.contoso.com`); clients refuse, or prompt about trust for, any other target ([S23], [S24]).
//! With the `DisableStrictDNSNaming` policy the rule becomes suffix matching: any host below the domain
//! (`pool01.eu.contoso.com`). The planner, the checker and the client simulator all ask [`srv_target_allowed`].

/// The source keys cited in this module's docs (`[S1]` …), as links to their entries.
#[cfg(doc)]
#[allow(unused_imports)]
use crate::sources::*;

/// `lyncdiscoverinternal`: Autodiscover for clients inside ([S3], [S4]).
pub const LYNCDISCOVERINTERNAL: &str = "lyncdiscoverinternal";
/// `lyncdiscover`: Autodiscover for clients outside, and inside after `lyncdiscoverinternal` ([S3], [S4]).
pub const LYNCDISCOVER: &str = "lyncdiscover";
/// `sipinternal`: the internal A-record fallback of legacy clients ([S17], [S20]).
pub const SIPINTERNAL: &str = "sipinternal";
/// `sip`: the A-record fallback inside and outside, and the Access Edge's usual name ([S1], [S17]).
pub const SIP: &str = "sip";
/// `sipexternal`: the external A-record fallback of legacy clients ([S17], [S20]).
pub const SIPEXTERNAL: &str = "sipexternal";

/// The Autodiscover names clients try, in order: `lyncdiscoverinternal.<domain>`, then
/// `lyncdiscover.<domain>` ([S3], [S4]).
pub fn autodiscover_names(domain: &str) -> [String; 2] {
    [
        format!("{LYNCDISCOVERINTERNAL}.{domain}"),
        format!("{LYNCDISCOVER}.{domain}"),
    ]
}

/// True if `name` lies strictly below `domain` (both lowercase, without the trailing dot).
pub fn is_below(name: &str, domain: &str) -> bool {
    name.len() > domain.len() + 1
        && name.ends_with(domain)
        && name.as_bytes()[name.len() - domain.len() - 1] == b'.'
}

/// True if a SIP SRV record of `domain` may point at `target`: with strict DNS naming, a host directly in the
/// domain; without it, any host below the domain. Names lowercase, without the trailing dot.
pub fn srv_target_allowed(target: &str, domain: &str, strict: bool) -> bool {
    if strict {
        target
            .split_once('.')
            .is_some_and(|(label, parent)| !label.is_empty() && parent == domain)
    } else {
        is_below(target, domain)
    }
}

/// True if a certificate's DNS name `pattern` (a subject alternative name, or the subject CN of a certificate
/// without DNS names) covers `host`, as TLS clients match them (RFC 6125 §6.4): letters compared without case, a
/// trailing dot ignored; a wildcard only as the whole left-most label (`*.contoso.com`), standing for exactly one
/// label, never for the public suffix alone (`*.com`), and never matching the bare domain (`contoso.com`). So
/// `*.contoso.com` covers `sip.contoso.com` but not `pool.eu.contoso.com`, which is why the planner lists each
/// name rather than a wildcard ([S6], [S11]).
pub fn certificate_name_covers(pattern: &str, host: &str) -> bool {
    let pattern = pattern.trim_end_matches('.');
    let host = host.trim_end_matches('.');
    if host.is_empty() || pattern.is_empty() {
        return false;
    }
    match pattern.strip_prefix("*.") {
        Some(parent) => {
            // At least two labels after the wildcard, no other wildcard, and the host one label more.
            parent.contains('.')
                && !parent.contains('*')
                && host.split_once('.').is_some_and(|(label, rest)| {
                    !label.is_empty() && rest.eq_ignore_ascii_case(parent)
                })
        }
        None => !pattern.contains('*') && pattern.eq_ignore_ascii_case(host),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificate_names_match_as_rfc_6125_says() {
        assert!(certificate_name_covers(
            "sip.contoso.com",
            "SIP.Contoso.com."
        ));
        assert!(certificate_name_covers("*.contoso.com", "sip.contoso.com"));
        assert!(
            !certificate_name_covers("*.contoso.com", "contoso.com"),
            "not the bare domain"
        );
        assert!(
            !certificate_name_covers("*.contoso.com", "pool.eu.contoso.com"),
            "one label only"
        );
        assert!(
            !certificate_name_covers("*.com", "contoso.com"),
            "never a whole suffix"
        );
        assert!(
            !certificate_name_covers("s*.contoso.com", "sip.contoso.com"),
            "partial wildcards are not honoured"
        );
        assert!(!certificate_name_covers("sip.*.com", "sip.contoso.com"));
        assert!(!certificate_name_covers(
            "sip.contoso.com",
            "sip.contoso.net"
        ));
        assert!(!certificate_name_covers("", "sip.contoso.com"));
    }

    #[test]
    fn strict_naming_wants_a_host_directly_in_the_domain() {
        assert!(srv_target_allowed("sip.contoso.com", "contoso.com", true));
        assert!(!srv_target_allowed(
            "pool.eu.contoso.com",
            "contoso.com",
            true
        ));
        assert!(!srv_target_allowed("sip.fabrikam.com", "contoso.com", true));
        assert!(!srv_target_allowed("contoso.com", "contoso.com", true));
        assert!(!srv_target_allowed(
            "sip.notcontoso.com",
            "contoso.com",
            true
        ));
    }

    #[test]
    fn without_strict_naming_any_host_below_the_domain() {
        assert!(srv_target_allowed("sip.contoso.com", "contoso.com", false));
        assert!(srv_target_allowed(
            "pool.eu.contoso.com",
            "contoso.com",
            false
        ));
        assert!(!srv_target_allowed("contoso.com", "contoso.com", false));
        assert!(!srv_target_allowed(
            "sipnotcontoso.com",
            "contoso.com",
            false
        ));
        assert!(!srv_target_allowed(
            "sip.fabrikam.com",
            "contoso.com",
            false
        ));
    }

    #[test]
    fn autodiscover_order() {
        assert_eq!(
            autodiscover_names("contoso.com"),
            [
                "lyncdiscoverinternal.contoso.com".to_owned(),
                "lyncdiscover.contoso.com".to_owned()
            ]
        );
    }
}
