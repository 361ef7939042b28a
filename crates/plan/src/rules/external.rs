//! The records the external view needs, in a fixed order: the Edge's public names, then per SIP domain external
//! sign-in, federation and XMPP; what the reverse proxy publishes (web services, Autodiscover, simple URLs,
//! Office Web Apps); then Microsoft's records for Online domains.

use lyncdns_model::{Deployment, Edge, Fqdn, RecordStyle, ReverseProxy};

use super::{Out, Placement, Want, autodiscover_pool, online, why};
use crate::{Feature, Need};
use lyncdns_lync::naming::{LYNCDISCOVER, srv_target_allowed};
use lyncdns_lync::services::{SIP_TLS, SIPFEDERATIONTLS, XMPP_SERVER};

/// The source keys cited in this module's docs (`[S1]` …), as links to their entries.
#[cfg(doc)]
#[allow(unused_imports)]
use lyncdns_lync::sources::*;

/// Every wanted record of the external location, in the order described above.
pub(super) fn wanted(d: &Deployment) -> Vec<Want> {
    let mut out = Out::new(d);
    if let Some(edge) = &d.edge {
        edge_services(&mut out, edge);
        for domain in d.sip_domains() {
            let target = sign_in_target(d, edge, domain);
            sign_in(&mut out, edge, domain, &target);
            federation(&mut out, domain, &target);
            xmpp(&mut out, edge, domain);
        }
    }
    if let Some(rp) = &d.reverse_proxy {
        web_services(&mut out, rp);
        autodiscover(&mut out, rp);
        simple_urls(&mut out, rp);
        office_web_apps(&mut out, rp);
    }
    online::records(&mut out);
    out.list
}

/// The Edge's three public services: Access, Web Conferencing and A/V.
fn edge_services(out: &mut Out<'_>, edge: &Edge) {
    out.addresses(
        edge.access.fqdn.as_str(),
        &edge.access.addresses,
        why(
            Feature::Edge,
            Need::Required,
            &["S1"],
            "Access Edge: SIP from remote users and federation",
        ),
    );
    out.addresses(
        edge.webconf.fqdn.as_str(),
        &edge.webconf.addresses,
        why(
            Feature::Edge,
            Need::Required,
            &["S1", "S8"],
            "Web Conferencing Edge",
        ),
    );
    out.addresses(
        edge.av.fqdn.as_str(),
        &edge.av.addresses,
        why(Feature::Edge, Need::Required, &["S1", "S8"], "A/V Edge"),
    );
}

/// The target of the external SIP SRV records: the Access Edge, unless strict DNS naming rules it out, then
/// `sip.<domain>`.
fn sign_in_target(d: &Deployment, edge: &Edge, domain: &Fqdn) -> Fqdn {
    let access = &edge.access.fqdn;
    if srv_target_allowed(
        access.as_str(),
        domain.as_str(),
        d.options.strict_dns_naming,
    ) {
        access.clone()
    } else {
        domain.prefixed("sip")
    }
}

/// External sign-in: `sip.<domain>` and `_sip._tls` at the Access Edge and, for legacy clients,
/// `sipexternal.<domain>`.
fn sign_in(out: &mut Out<'_>, edge: &Edge, domain: &Fqdn, target: &Fqdn) {
    let d = out.d;
    let dom = domain.as_str();
    let sip = domain.prefixed("sip");
    let access_addrs = &edge.access.addresses;
    let sip_text = "external sign-in: the Access Edge (never the reverse proxy, which carries only web traffic)";
    out.addresses(
        sip.as_str(),
        access_addrs,
        why(
            Feature::ExternalSignIn,
            Need::Required,
            &["S1", "S7", "S8"],
            sip_text,
        )
        .at(Placement::SipDomain),
    );
    out.srv(
        &SIP_TLS.owner(dom),
        (0, 0, SIP_TLS.port),
        target.as_str(),
        why(
            Feature::ExternalSignIn,
            Need::Required,
            &["S1", "S7"],
            "automatic sign-in from outside, to the Access Edge on 443",
        )
        .at(Placement::SipDomain),
    );
    if d.features.legacy_clients {
        out.addresses(
            domain.prefixed("sipexternal").as_str(),
            access_addrs,
            why(
                Feature::LegacySignIn,
                Need::Optional,
                &["S2", "S3"],
                "external A-record fallback of legacy clients: the Access Edge",
            )
            .at(Placement::SipDomain),
        );
    }
}

/// `_sipfederationtls._tcp`, for federation and for push notifications, which use the federation route.
fn federation(out: &mut Out<'_>, domain: &Fqdn, target: &Fqdn) {
    let f = &out.d.features;
    let (federation, push) = (f.federation, f.push_notifications);
    if !(federation || push) {
        return;
    }
    let dom = domain.as_str();
    let (feature, text) = if federation {
        (
            Feature::Federation,
            "federation and public IM connectivity: partners find the Access Edge on 5061",
        )
    } else {
        (
            Feature::PushNotifications,
            "push notifications to iOS / Windows Phone clients go through federation with the push service",
        )
    };
    out.srv(
        &SIPFEDERATIONTLS.owner(dom),
        (0, 0, SIPFEDERATIONTLS.port),
        target.as_str(),
        why(feature, Need::Required, &["S1", "S7", "S8"], text).at(Placement::SipDomain),
    );
    if federation && push {
        let text = "push notifications to iOS / Windows Phone clients use the federation route";
        out.srv(
            &SIPFEDERATIONTLS.owner(dom),
            (0, 0, SIPFEDERATIONTLS.port),
            target.as_str(),
            why(
                Feature::PushNotifications,
                Need::Required,
                &["S1", "S7"],
                text,
            )
            .at(Placement::SipDomain),
        );
    }
}

/// XMPP federation: `_xmpp-server._tcp` and `xmpp.<domain>` at the Access Edge's XMPP gateway.
fn xmpp(out: &mut Out<'_>, edge: &Edge, domain: &Fqdn) {
    if !out.d.features.xmpp {
        return;
    }
    let xmpp = domain.prefixed("xmpp");
    out.srv(
        &XMPP_SERVER.owner(domain.as_str()),
        (0, 0, XMPP_SERVER.port),
        xmpp.as_str(),
        why(
            Feature::Xmpp,
            Need::Required,
            &["S1", "S8"],
            "XMPP federation to the Access Edge's XMPP gateway",
        )
        .at(Placement::SipDomain),
    );
    out.addresses(
        xmpp.as_str(),
        &edge.access.addresses,
        why(
            Feature::Xmpp,
            Need::Required,
            &["S1", "S8"],
            "XMPP gateway on the Access Edge",
        )
        .at(Placement::SipDomain),
    );
}

/// Every pool's external web services FQDN, at the reverse proxy.
fn web_services(out: &mut Out<'_>, rp: &ReverseProxy) {
    let d = out.d;
    for (pool, _) in d.all_pools() {
        out.addresses(
            pool.web.external_fqdn.as_str(),
            &rp.addresses,
            why(
                Feature::WebServices,
                Need::Required,
                &["S1"],
                "external web services, published by the reverse proxy",
            ),
        );
    }
}

/// `lyncdiscover.<domain>` at the reverse proxy: a CNAME to the Autodiscover pool's external web services where
/// asked for and that name lies in the same SIP domain, else the reverse proxy's addresses ([S5]).
fn autodiscover(out: &mut Out<'_>, rp: &ReverseProxy) {
    let d = out.d;
    let ad_ext = &autodiscover_pool(d).web.external_fqdn;
    for domain in d.sip_domains() {
        let owner = domain.prefixed(LYNCDISCOVER);
        let text = "external Autodiscover for desktop, Store and mobile clients, through the reverse proxy";
        let w = why(Feature::Autodiscover, Need::Required, &["S1", "S5"], text)
            .at(Placement::SipDomain);
        if d.options.autodiscover_records == RecordStyle::Cname
            && ad_ext.parent() == Some(domain.as_str())
        {
            out.cname(owner.as_str(), ad_ext.as_str(), w);
        } else {
            out.addresses(owner.as_str(), &rp.addresses, w);
        }
    }
}

/// The meet and dial-in simple URLs, at the reverse proxy (the admin URL stays inside).
fn simple_urls(out: &mut Out<'_>, rp: &ReverseProxy) {
    let d = out.d;
    let urls = d.simple_urls.meet.iter().chain(d.simple_urls.dialin.iter());
    for url in urls {
        out.addresses(
            url.as_str(),
            &rp.addresses,
            why(
                Feature::SimpleUrls,
                Need::Required,
                &["S1"],
                "simple URL, published by the reverse proxy",
            ),
        );
    }
}

/// Office Web Apps' external FQDN, when it has one, at the reverse proxy.
fn office_web_apps(out: &mut Out<'_>, rp: &ReverseProxy) {
    let d = out.d;
    if let Some(ext) = d
        .office_web_apps
        .as_ref()
        .and_then(|o| o.external_fqdn.as_ref())
    {
        out.addresses(
            ext.as_str(),
            &rp.addresses,
            why(
                Feature::OfficeWebApps,
                Need::Required,
                &["S1"],
                "Office Web Apps, published by the reverse proxy",
            ),
        );
    }
}
