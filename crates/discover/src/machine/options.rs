//! What a discovery is for and how it may go: the [`Client`] type, and the [`Options`] that change its order
//! (HTTP order, TCP, mobile fallback, strict naming, trusted domains, probing).

use serde::Serialize;

/// The source keys cited in this module's docs (`[S1]` …), as links to their entries.
#[cfg(doc)]
#[allow(unused_imports)]
use lyncdns_lync::sources::*;

/// A client type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Client {
    /// Lync 2010 desktop before the Autodiscover update [S17].
    Lync2010,
    /// Lync 2013 and Skype for Business desktop [S3], [S4].
    Desktop,
    /// The Windows Store app [S3].
    Store,
    /// Lync / Skype for Business mobile (UCWA) [S3], [S4].
    Mobile,
    /// Lync Phone Edition [S21], [S22], [S23].
    Phone,
}

impl Client {
    /// Every client, in report order.
    pub const ALL: [Client; 5] = [
        Client::Lync2010,
        Client::Desktop,
        Client::Store,
        Client::Mobile,
        Client::Phone,
    ];

    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Client::Lync2010 => "lync2010",
            Client::Desktop => "desktop",
            Client::Store => "store",
            Client::Mobile => "mobile",
            Client::Phone => "phone",
        }
    }

    /// Whether the client tries `lyncdiscoverinternal` and `lyncdiscover` first.
    pub(super) fn uses_autodiscover(self) -> bool {
        matches!(self, Client::Desktop | Client::Store | Client::Mobile)
    }

    /// XML for desktop clients; JSON (UCWA) for the Store and mobile apps.
    pub(super) fn accept(self) -> &'static str {
        if self == Client::Desktop {
            "application/vnd.microsoft.rtc.autodiscover+xml;v=1"
        } else {
            "application/json"
        }
    }
}

/// The order of HTTP and HTTPS requests to the Autodiscover hosts (`docs/lync.md` §2.2, DISAGREE).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HttpOrder {
    /// HTTPS then HTTP for each host, internal host first: what the Lync Connectivity Analyzer says it repeats of
    /// the Store and mobile clients [S29]. The default.
    #[default]
    HttpsFirst,
    /// HTTPS only, as UCWA guidance "highly recommends" [S13].
    HttpsOnly,
    /// HTTP then HTTPS per host: the order UCWA guidance writes for the external host [S13]. (pidgin-sipe sends
    /// both at once in every tagged release [S27]: no released client is known to do exactly this.)
    HttpFirst,
    /// HTTPS to both hosts, then HTTP to both, as mattermost-plugin-skype4business does [S34].
    HttpsAllFirst,
}

/// Client settings that change discovery.
#[derive(Debug, Clone, Serialize)]
pub struct Options {
    /// SIP over TCP allowed (adds `_sipinternal._tcp`) [S3].
    pub tcp_allowed: bool,
    /// HTTP/HTTPS order.
    pub http_order: HttpOrder,
    /// Let mobile clients fall back to SRV records (off by default, see the [module docs](super)).
    pub mobile_srv_fallback: bool,
    /// Strict DNS naming (the default; `DisableStrictDNSNaming` turns it off for desktop clients) [S10].
    pub strict_dns_naming: bool,
    /// TrustModelData: trusted domains; when set, it replaces the defaults [S25].
    pub trusted_domains: Vec<String>,
    /// Follow Autodiscover over HTTP(S) (root, token, user document).
    pub probe: bool,
    /// Connect (TCP, then TLS with SNI) to the SIP server found, trying each address; for the Store and mobile
    /// apps, send a request to the UCWA applications URL (it must answer).
    pub connect: bool,
    /// Whether `--user/--password` were given (the driver holds them).
    pub credentials: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            tcp_allowed: false,
            http_order: HttpOrder::default(),
            mobile_srv_fallback: false,
            strict_dns_naming: true,
            trusted_domains: vec![
                "lync.com".into(),
                "outlook.com".into(),
                "lync.glbdns.microsoft.com".into(),
                "microsoftonline.com".into(),
            ],
            probe: false,
            connect: false,
            credentials: false,
        }
    }
}
