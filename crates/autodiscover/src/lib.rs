//! The Lync Autodiscover web service ([MS-OCDISCWS]) that `lyncdiscover.<domain>` and
//! `lyncdiscoverinternal.<domain>` point at, for a lab or a staging setup and as the peer of `lyncdns discover`.
//!
//! - [`doc`]: the documents (XML `AutodiscoverResponse` and JSON `_links`), pure.
//! - [`service`]: request → response, pure: routing, negotiation, the 401 → token → 200 flow, redirects.
//! - [`auth`]: Argon2id password hashes and expiring tokens.
//! - [`webticket`]: the WebTicket service's documents ([MS-OCAUTHWS]): metadata, token request and response,
//!   the ticket read back from `X-MS-WebTicket`; `ticketing` (private) answers its endpoints.
//! - [`ntlm`], [`spnego`], [`handshake`]: NTLMv2 verification, its SPNEGO wrapping for `Negotiate`, and the
//!   handshakes in progress per connection.
//! - [`tls`]: PEM files or the lab CA.
//! - [`http`]: the hyper/rustls shell.
//! - [`access_log`]: one line per request, secrets removed.
//!
//! `AccessLocation` comes from the same view matcher as DNS ([`lyncdns_dnsdata::view::ViewMatcher`]), so a client is
//! "inside" for Autodiscover exactly when it gets the internal DNS view.

/// The source keys cited in this module's docs (`[S1]` …), as links to their entries.
#[cfg(doc)]
#[allow(unused_imports)]
use lyncdns_lync::sources::*;

pub mod access_log;
pub mod auth;
pub mod doc;
pub mod handshake;
pub mod http;
pub mod ntlm;
pub mod service;
pub mod spnego;
mod ticketing;
pub mod tls;
pub mod webticket;

/// The host names a client may use to reach Autodiscover and the web services: the certificate of the lab CA
/// covers exactly these ([S6], [S9], [S11]): every pool's (and the Director's) internal and external web
/// services FQDN, and `lyncdiscoverinternal.<domain>` and `lyncdiscover.<domain>` for every on-premises SIP domain.
pub fn web_names(d: &lyncdns_model::Deployment) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut add = |n: String| {
        if !names.contains(&n) {
            names.push(n);
        }
    };
    for (pool, _) in d.all_pools() {
        add(pool.web.external_fqdn.to_string());
        add(pool.web.internal_fqdn.to_string());
    }
    for dom in d.sip_domains() {
        for name in lyncdns_lync::naming::autodiscover_names(dom.as_str()) {
            add(name);
        }
    }
    names
}
