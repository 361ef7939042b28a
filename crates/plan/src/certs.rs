//! Certificate subject names per role (`docs/lync.md` §4 #4 and #5; [S6], [S8], [S9], [S11]).
//!
//! A certificate that lacks `lyncdiscover.<domain>` or `sip.<domain>` for one SIP domain breaks that domain's
//! clients, so every list is built per SIP domain, never from a wildcard.

use lyncdns_model::{Deployment, Fqdn, Pool};
use serde::Serialize;

/// The source keys cited in this module's docs (`[S1]` …), as links to their entries.
#[cfg(doc)]
#[allow(unused_imports)]
use lyncdns_lync::sources::*;

/// One certificate: the role that presents it, its subject and its subject alternative names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Certificate {
    /// Which server role presents it, and on which side.
    pub role: String,
    /// Subject common name.
    pub subject: String,
    /// Subject alternative names, the subject first, without duplicates.
    pub sans: Vec<String>,
    /// Why these names.
    pub why: String,
    /// Source keys.
    pub sources: Vec<&'static str>,
}

/// Names in order, once each.
#[derive(Default)]
struct Names(Vec<String>);

impl Names {
    fn add(&mut self, name: impl ToString) {
        let name = name.to_string();
        if !self.0.contains(&name) {
            self.0.push(name);
        }
    }
}

/// Every certificate the deployment needs.
pub fn certificates(d: &Deployment) -> Vec<Certificate> {
    let domains = d.sip_domains();
    let mut out = Vec::new();
    for (pool, role) in d.all_pools() {
        out.push(internal_cert(d, pool, role, &domains));
        out.push(external_web_cert(d, pool, role, &domains));
    }
    if let Some(edge) = &d.edge {
        out.push(Certificate {
            role: "Edge, internal interface".into(),
            subject: edge.internal_fqdn.to_string(),
            sans: vec![edge.internal_fqdn.to_string()],
            why: "the Edge pool's internal FQDN, which the Front End pool uses as its next hop"
                .into(),
            sources: vec!["S8"],
        });
        let mut sans = Names::default();
        sans.add(&edge.access.fqdn);
        sans.add(&edge.webconf.fqdn);
        for dom in &domains {
            sans.add(dom.prefixed("sip"));
        }
        out.push(Certificate {
            role: "Edge, external interface (Access and Web Conferencing Edge)".into(),
            subject: edge.access.fqdn.to_string(),
            sans: sans.0,
            why: "the Access Edge FQDN, the Web Conferencing Edge FQDN and sip.<domain> for every SIP domain (the external SRV records' targets); the A/V Edge needs no public name on the certificate".into(),
            sources: vec!["S8"],
        });
    }
    if d.reverse_proxy.is_some() {
        let mut sans = Names::default();
        let front = d.director.as_ref().unwrap_or_else(|| d.sign_in_pool());
        sans.add(&front.web.external_fqdn);
        for (pool, _) in d.all_pools() {
            sans.add(&pool.web.external_fqdn);
        }
        for dom in &domains {
            sans.add(dom.prefixed("lyncdiscover"));
        }
        simple_urls(d, &mut sans, false);
        if let Some(ext) = d
            .office_web_apps
            .as_ref()
            .and_then(|o| o.external_fqdn.as_ref())
        {
            sans.add(ext);
        }
        out.push(Certificate {
            role: "Reverse proxy (public certificate)".into(),
            subject: front.web.external_fqdn.to_string(),
            sans: sans.0,
            why: "every external web services FQDN, lyncdiscover.<domain> for every SIP domain (mobile clients abort TLS without it), the simple URLs and Office Web Apps".into(),
            sources: vec!["S6", "S9", "S11"],
        });
    }
    out
}

fn simple_urls(d: &Deployment, names: &mut Names, internal: bool) {
    for m in &d.simple_urls.meet {
        names.add(m);
    }
    if let Some(dialin) = &d.simple_urls.dialin {
        names.add(dialin);
    }
    if internal && let Some(admin) = &d.simple_urls.admin {
        names.add(admin);
    }
}

fn internal_cert(d: &Deployment, pool: &Pool, role: &str, domains: &[&Fqdn]) -> Certificate {
    let mut sans = Names::default();
    sans.add(&pool.fqdn);
    for s in &pool.servers {
        sans.add(&s.fqdn);
    }
    sans.add(&pool.web.internal_fqdn);
    for dom in domains {
        sans.add(dom.prefixed("sip"));
        sans.add(dom.prefixed("lyncdiscoverinternal"));
    }
    simple_urls(d, &mut sans, true);
    Certificate {
        role: format!("{role} {}: default and internal web services", pool.fqdn),
        subject: pool.fqdn.to_string(),
        sans: sans.0,
        why: "the pool and server FQDNs, the internal web services FQDN, sip.<domain> (the SRV targets of domains the pool is not in) and lyncdiscoverinternal.<domain> for every SIP domain, and the simple URLs".into(),
        sources: vec!["S1", "S11"],
    }
}

fn external_web_cert(d: &Deployment, pool: &Pool, role: &str, domains: &[&Fqdn]) -> Certificate {
    let mut sans = Names::default();
    sans.add(&pool.web.external_fqdn);
    for dom in domains {
        sans.add(dom.prefixed("lyncdiscover"));
    }
    simple_urls(d, &mut sans, false);
    Certificate {
        role: format!("{role} {}: external web services", pool.fqdn),
        subject: pool.web.external_fqdn.to_string(),
        sans: sans.0,
        why: "the external web services FQDN, lyncdiscover.<domain> for every SIP domain and the published simple URLs (requests arrive through the reverse proxy with these host names)".into(),
        sources: vec!["S9", "S11"],
    }
}
