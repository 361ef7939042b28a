//! The SRV services Lync / Skype for Business clients, servers and phones ask for, each with its owner labels,
//! its port and whether the SIP naming rule applies to its targets ([S1], [S2], [S10], [S21]).

/// The source keys cited in this module's docs (`[S1]` …), as links to their entries.
#[cfg(doc)]
#[allow(unused_imports)]
use crate::sources::*;

/// One SRV service: `_service._proto.<domain>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SrvService {
    /// The service label, with its underscore (`_sipinternaltls`).
    pub service: &'static str,
    /// The protocol label, with its underscore (`_tcp`).
    pub proto: &'static str,
    /// The port its records carry.
    pub port: u16,
    /// Whether it locates a SIP server for a SIP domain, so that its target must lie in that domain
    /// ([`crate::naming::srv_target_allowed`]); not for NTP or XMPP.
    pub sip: bool,
    /// Whether the connection is TLS.
    pub tls: bool,
}

/// Automatic sign-in inside: the Front End pool or Director, TLS on 5061 ([S1], [S10]).
pub const SIPINTERNALTLS: SrvService = SrvService {
    service: "_sipinternaltls",
    proto: "_tcp",
    port: 5061,
    sip: true,
    tls: true,
};

/// Sign-in inside over TCP on 5060, for legacy clients and phones where TCP is allowed ([S10], [S21]).
pub const SIPINTERNAL: SrvService = SrvService {
    service: "_sipinternal",
    proto: "_tcp",
    port: 5060,
    sip: true,
    tls: false,
};

/// Automatic sign-in from outside: the Access Edge, TLS on 443 ([S1], [S2]).
pub const SIP_TLS: SrvService = SrvService {
    service: "_sip",
    proto: "_tls",
    port: 443,
    sip: true,
    tls: true,
};

/// External sign-in over TCP, the last step of a desk phone's order ([S21], [S22]).
pub const SIP_TCP: SrvService = SrvService {
    service: "_sip",
    proto: "_tcp",
    port: 5060,
    sip: true,
    tls: false,
};

/// Federation and public IM connectivity, and push notifications: the Access Edge on 5061 ([S1], [S2]).
pub const SIPFEDERATIONTLS: SrvService = SrvService {
    service: "_sipfederationtls",
    proto: "_tcp",
    port: 5061,
    sip: true,
    tls: true,
};

/// XMPP federation (Lync 2013 and Skype for Business 2015) on 5269 ([S1], [S2]).
pub const XMPP_SERVER: SrvService = SrvService {
    service: "_xmpp-server",
    proto: "_tcp",
    port: 5269,
    sip: false,
    tls: false,
};

/// The time server a desk phone asks for first ([S21], [S22]).
pub const NTP: SrvService = SrvService {
    service: "_ntp",
    proto: "_udp",
    port: 123,
    sip: false,
    tls: false,
};

/// Every service, in the order a reader meets them in the sources.
pub const ALL: &[SrvService] = &[
    SIPINTERNALTLS,
    SIPINTERNAL,
    SIP_TLS,
    SIP_TCP,
    SIPFEDERATIONTLS,
    XMPP_SERVER,
    NTP,
];

impl SrvService {
    /// `_service._proto` (`_sipinternaltls._tcp`).
    pub fn label(&self) -> String {
        format!("{}.{}", self.service, self.proto)
    }

    /// The SRV owner for `domain` (`_sipinternaltls._tcp.contoso.com`).
    pub fn owner(&self, domain: &str) -> String {
        format!("{}.{}.{domain}", self.service, self.proto)
    }

    /// The domain of `owner` when it is this service's owner name (lowercase, no trailing dot).
    pub fn domain_of<'a>(&self, owner: &'a str) -> Option<&'a str> {
        owner
            .strip_prefix(self.service)?
            .strip_prefix('.')?
            .strip_prefix(self.proto)?
            .strip_prefix('.')
            .filter(|d| !d.is_empty())
    }
}

/// The service whose owner `owner` is, and the domain it is for.
pub fn parse_owner(owner: &str) -> Option<(SrvService, &str)> {
    ALL.iter().find_map(|s| s.domain_of(owner).map(|d| (*s, d)))
}

/// The correct spelling of a misspelt Lync SRV owner (`_sipfederationtls_.tcp.contoso.com`,
/// `_sipinternal.contoso.com`, `sipinternaltls._tcp…`), if it is one; `None` for a well-formed owner or one that
/// names no Lync service.
pub fn owner_fix(owner: &str) -> Option<String> {
    let labels: Vec<&str> = owner.split('.').collect();
    let well_formed = labels.len() >= 3
        && labels[0].starts_with('_')
        && ["_tcp", "_udp", "_tls"].contains(&labels[1]);
    if well_formed {
        return None;
    }
    let bare = owner.trim_start_matches('_');
    // Longest service name first, so `_sipinternaltls` is not read as `_sip`; for one service name, the
    // protocol the sources pair it with first (`_sip._tls` before `_sip._tcp`).
    let mut services: Vec<&SrvService> = ALL.iter().collect();
    services.sort_by_key(|s| std::cmp::Reverse(s.service.len()));
    // A service whose protocol is spelt out wins over one whose protocol is missing (`_sip_.tcp` is `_sip._tcp`,
    // not `_sip._tls` in a domain `tcp.…`).
    let mut without_proto = None;
    for s in services {
        let name = s.service.trim_start_matches('_');
        let Some(rest) = bare.strip_prefix(name) else {
            continue;
        };
        // What follows the service name: separators and an optional protocol, then the domain.
        let rest = rest.trim_start_matches(['_', '.']);
        let p = s.proto.trim_start_matches('_');
        match rest
            .strip_prefix(p)
            .map(|r| r.trim_start_matches(['_', '.']))
        {
            Some(domain) if domain.contains('.') => return Some(s.owner(domain)),
            _ if without_proto.is_none() && rest.contains('.') => {
                without_proto = Some(s.owner(rest));
            }
            _ => {}
        }
    }
    without_proto
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_round_trip() {
        for s in ALL {
            let owner = s.owner("contoso.com");
            assert_eq!(parse_owner(&owner), Some((*s, "contoso.com")), "{owner}");
            assert_eq!(owner_fix(&owner), None, "{owner}");
        }
        assert_eq!(parse_owner("_sip._tls."), None);
        assert_eq!(parse_owner("sip.contoso.com"), None);
    }

    #[test]
    fn misspelt_owners_are_spelled_right() {
        for (bad, good) in [
            (
                "_sipfederationtls_.tcp.lyncdude.net",
                "_sipfederationtls._tcp.lyncdude.net",
            ),
            (
                "_sipfederationtls_tcp.contoso.com",
                "_sipfederationtls._tcp.contoso.com",
            ),
            (
                "_sipinternaltls_.tcp.contoso.com",
                "_sipinternaltls._tcp.contoso.com",
            ),
            (
                "sipinternaltls._tcp.contoso.com",
                "_sipinternaltls._tcp.contoso.com",
            ),
            ("_sip_.tls.contoso.com", "_sip._tls.contoso.com"),
            ("_sip_.tcp.contoso.com", "_sip._tcp.contoso.com"),
            ("_sipinternal.contoso.com", "_sipinternal._tcp.contoso.com"),
        ] {
            assert_eq!(owner_fix(bad).as_deref(), Some(good), "{bad}");
        }
        assert_eq!(owner_fix("www.contoso.com"), None);
    }
}
