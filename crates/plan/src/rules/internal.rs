//! The records the internal view needs, one function per feature, called in a fixed order: servers and pools
//! with their web services, the mobile clients' copies of external names, the Edge's internal side, Office Web
//! Apps, other servers, simple URLs, then per SIP domain Autodiscover, sign-in SRV, the A-record fallbacks and
//! desk phones.

use std::net::IpAddr;

use lyncdns_model::{Deployment, Fqdn, InternalSrv, LyncdiscoverInternalTarget, RecordStyle};

use super::{Out, Placement, Want, autodiscover_pool, why};
use crate::{Feature, Need};
use lyncdns_lync::naming::{LYNCDISCOVER, LYNCDISCOVERINTERNAL, srv_target_allowed};
use lyncdns_lync::services::{NTP, SIPINTERNAL, SIPINTERNALTLS};

/// The source keys cited in this module's docs (`[S1]` …), as links to their entries.
#[cfg(doc)]
#[allow(unused_imports)]
use lyncdns_lync::sources::*;

/// Every wanted record of the internal location, in the order described above.
pub(super) fn wanted(d: &Deployment) -> Vec<Want> {
    let mut out = Out::new(d);
    pools(&mut out);
    mobile_hairpin(&mut out);
    edge(&mut out);
    office_web_apps(&mut out);
    other_servers(&mut out);
    simple_urls(&mut out);
    for domain in d.sip_domains() {
        autodiscover(&mut out, domain);
        lyncdiscover_inside(&mut out, domain);
        let target = sign_in_target(d, domain);
        sign_in_srv(&mut out, domain, &target);
        legacy_fallbacks(&mut out, domain, &target);
        phones(&mut out, domain);
    }
    ntp_server(&mut out);
    out.list
}

/// Pools and their servers, each pool followed by its internal web services FQDN.
fn pools(out: &mut Out<'_>) {
    let d = out.d;
    for (pool, role) in d.all_pools() {
        let fqdn = pool.fqdn.as_str();
        let text = match pool.load_balancing {
            lyncdns_model::LoadBalancing::Dns if pool.servers.len() > 1 => {
                format!(
                    "{role} FQDN: one address per server (DNS load balancing; clients try each in turn)"
                )
            }
            lyncdns_model::LoadBalancing::Dns => format!("{role} FQDN"),
            lyncdns_model::LoadBalancing::Hardware => {
                format!("{role} FQDN: the hardware load balancer's SIP VIP")
            }
        };
        out.addresses(
            fqdn,
            &pool.sip_addresses(),
            why(Feature::Servers, Need::Required, &["S1"], text),
        );
        for s in &pool.servers {
            if s.fqdn != pool.fqdn {
                let text = format!("{role} server");
                out.addresses(
                    s.fqdn.as_str(),
                    &s.addresses,
                    why(Feature::Servers, Need::Required, &["S1"], text),
                );
            }
        }
        let web = &pool.web;
        if web.internal_fqdn != pool.fqdn {
            let text = "internal web services (address book, meetings, Autodiscover); a load balancer VIP, since web traffic cannot be DNS-load-balanced";
            out.addresses(
                web.internal_fqdn.as_str(),
                &web.internal_addresses,
                why(Feature::WebServices, Need::Required, &["S1", "S2"], text),
            );
        }
    }
}

/// Mobile clients use the external web services URL even on the LAN, through the reverse proxy ([S3], [S9]).
/// In a split-brain zone the internal view must answer that name, or internal mobile clients get NXDOMAIN.
fn mobile_hairpin(out: &mut Out<'_>) {
    let d = out.d;
    if d.features.mobility
        && let Some(rp) = &d.reverse_proxy
    {
        for (pool, _) in d.all_pools() {
            let text = "external web services FQDN copied into the internal zone: mobile clients on the LAN use the external URLs through the reverse proxy (hair-pinning)";
            let w = why(
                Feature::Mobility,
                Need::Recommended,
                &["S1", "S3", "S9"],
                text,
            )
            .at(Placement::IfZoned);
            out.addresses(pool.web.external_fqdn.as_str(), &rp.addresses, w);
        }
    }
}

/// Edge, internal side: the pool's internal FQDN and each server's internal interface.
fn edge(out: &mut Out<'_>) {
    let d = out.d;
    let Some(edge) = &d.edge else {
        return;
    };
    let all: Vec<IpAddr> = edge
        .servers
        .iter()
        .flat_map(|s| s.addresses.clone())
        .collect();
    out.addresses(
        edge.internal_fqdn.as_str(),
        &all,
        why(
            Feature::Edge,
            Need::Required,
            &["S1"],
            "Edge pool internal FQDN (the next hop of the Front End pool)",
        ),
    );
    for s in &edge.servers {
        if s.fqdn != edge.internal_fqdn {
            out.addresses(
                s.fqdn.as_str(),
                &s.addresses,
                why(
                    Feature::Edge,
                    Need::Required,
                    &["S1"],
                    "Edge server internal interface",
                ),
            );
        }
    }
}

/// The Office Web Apps Server pool, inside.
fn office_web_apps(out: &mut Out<'_>) {
    let d = out.d;
    if let Some(owas) = &d.office_web_apps {
        out.addresses(
            owas.internal_fqdn.as_str(),
            &owas.internal_addresses,
            why(
                Feature::OfficeWebApps,
                Need::Required,
                &["S1"],
                "Office Web Apps Server pool",
            ),
        );
    }
}

/// Mediation, Persistent Chat, SQL and other servers.
fn other_servers(out: &mut Out<'_>) {
    let d = out.d;
    for s in &d.other_servers {
        let role = match s.role {
            lyncdns_model::ServerRole::Mediation => "Mediation Server",
            lyncdns_model::ServerRole::PersistentChat => "Persistent Chat server",
            lyncdns_model::ServerRole::Sql => "SQL Server back end",
            lyncdns_model::ServerRole::Other => "server",
        };
        out.addresses(
            s.fqdn.as_str(),
            &s.addresses,
            why(Feature::Servers, Need::Required, &["S1"], role),
        );
    }
}

/// Simple URLs resolve to the web services that host them, inside.
fn simple_urls(out: &mut Out<'_>) {
    let d = out.d;
    let front_web = autodiscover_pool(d);
    let urls = d
        .simple_urls
        .meet
        .iter()
        .chain(d.simple_urls.dialin.iter())
        .chain(d.simple_urls.admin.iter());
    for url in urls {
        let text = "simple URL: internal web services";
        out.addresses(
            url.as_str(),
            &front_web.web.internal_addresses,
            why(Feature::SimpleUrls, Need::Required, &["S1"], text).at(Placement::IfZoned),
        );
    }
}

/// `lyncdiscoverinternal.<domain>`: internal Autodiscover, at the internal web services or the reverse proxy
/// (option `lyncdiscoverinternal_target`).
fn autodiscover(out: &mut Out<'_>, domain: &Fqdn) {
    let d = out.d;
    let dom = domain.as_str();
    let ad_pool = autodiscover_pool(d);
    let ldi = domain.prefixed(LYNCDISCOVERINTERNAL);
    match d.options.lyncdiscoverinternal_target {
        LyncdiscoverInternalTarget::InternalWeb => {
            let target = &ad_pool.web.internal_fqdn;
            let text = "internal Autodiscover, tried first by Lync 2013+ desktop, Store and mobile clients; points at the internal web services of the Director, else the Front End pool";
            let w = why(Feature::Autodiscover, Need::Required, &["S1", "S5"], text)
                .at(Placement::SipDomain);
            if d.options.autodiscover_records == RecordStyle::Cname && target.parent() == Some(dom)
            {
                out.cname(ldi.as_str(), target.as_str(), w);
            } else {
                out.addresses(ldi.as_str(), &ad_pool.web.internal_addresses, w);
            }
        }
        LyncdiscoverInternalTarget::ReverseProxy => {
            if let Some(rp) = &d.reverse_proxy {
                let text = "internal Autodiscover pointed at the reverse proxy, so mobile devices resolving internally reach the externally certified service (option lyncdiscoverinternal_target)";
                out.addresses(
                    ldi.as_str(),
                    &rp.addresses,
                    why(Feature::Autodiscover, Need::Required, &["S1"], text)
                        .at(Placement::SipDomain),
                );
            }
        }
    }
}

/// `lyncdiscover.<domain>` answered inside with the reverse proxy's address (option `internal_lyncdiscover`).
fn lyncdiscover_inside(out: &mut Out<'_>, domain: &Fqdn) {
    let d = out.d;
    if d.options.internal_lyncdiscover
        && let Some(rp) = &d.reverse_proxy
    {
        let text = "external Autodiscover answered inside with the reverse proxy's public address, so mobile clients on the LAN reach the externally certified service (option internal_lyncdiscover)";
        out.addresses(
            domain.prefixed(LYNCDISCOVER).as_str(),
            &rp.addresses,
            why(Feature::Mobility, Need::Optional, &["S1"], text).at(Placement::SipDomain),
        );
    }
}

/// The target of the internal sign-in SRV records: the registrar, unless strict DNS naming rules it out, then
/// `sip.<domain>`. The target must lie in the SIP domain itself.
fn sign_in_target(d: &Deployment, domain: &Fqdn) -> Fqdn {
    let reg_fqdn = &d.registrar().fqdn;
    if srv_target_allowed(
        reg_fqdn.as_str(),
        domain.as_str(),
        d.options.strict_dns_naming,
    ) {
        reg_fqdn.clone()
    } else {
        domain.prefixed("sip")
    }
}

/// Whether legacy clients or desk phones need the internal sign-in records.
fn legacy_or_phones(d: &Deployment) -> bool {
    d.features.legacy_clients || d.features.phones.is_some()
}

/// Automatic sign-in by SRV: `_sipinternaltls._tcp` (option `internal_srv`) and, with SIP over TCP,
/// `_sipinternal._tcp`.
fn sign_in_srv(out: &mut Out<'_>, domain: &Fqdn, target: &Fqdn) {
    let d = out.d;
    let dom = domain.as_str();
    let srv_need = match d.options.internal_srv {
        InternalSrv::Required => Need::Required,
        InternalSrv::LegacyOnly if legacy_or_phones(d) => Need::Required,
        InternalSrv::LegacyOnly => Need::Recommended,
    };
    let srv_text = if d.options.internal_srv == InternalSrv::Required {
        "automatic sign-in inside: the fallback of every desktop client when Autodiscover fails (Lync 2013 docs call it required; SfB docs say legacy clients only; option internal_srv)"
    } else {
        "automatic sign-in inside for clients older than Lync 2013 and desk phones (option internal_srv = legacy-only)"
    };
    out.srv(
        &SIPINTERNALTLS.owner(dom),
        (0, 0, SIPINTERNALTLS.port),
        target.as_str(),
        why(Feature::SignIn, srv_need, &["S1", "S10"], srv_text).at(Placement::SipDomain),
    );
    if d.features.sip_tcp {
        out.srv(
            &SIPINTERNAL.owner(dom),
            (0, 0, SIPINTERNAL.port),
            target.as_str(),
            why(
                Feature::LegacySignIn,
                Need::Optional,
                &["S3"],
                "SIP over TCP inside; clients look it up only when TCP is allowed",
            )
            .at(Placement::SipDomain),
        );
    }
}

/// `sip.<domain>` (the registrar's addresses: legacy clients' and desk phones' fallback, or the SRV target itself
/// when the registrar lies outside the domain) and, for legacy clients, `sipinternal.<domain>`.
fn legacy_fallbacks(out: &mut Out<'_>, domain: &Fqdn, target: &Fqdn) {
    let d = out.d;
    let dom = domain.as_str();
    let sip = domain.prefixed("sip");
    let registrar = d.registrar();
    let reg_fqdn = &registrar.fqdn;
    let reg_addrs = registrar.sip_addresses();
    let legacy_need = if legacy_or_phones(d) {
        Need::Required
    } else {
        Need::Optional
    };
    let sip_need = if *target == sip {
        Need::Required
    } else {
        legacy_need
    };
    let sip_text = if *target == sip {
        format!(
            "the SRV target inside {dom}: the registrar {reg_fqdn} is not a host of {dom}, and clients require the SRV target in the SIP domain (strict DNS naming)"
        )
    } else {
        "internal A-record fallback of legacy clients and desk phones: the registrar's addresses"
            .to_owned()
    };
    out.addresses(
        sip.as_str(),
        &reg_addrs,
        why(Feature::LegacySignIn, sip_need, &["S1", "S2"], sip_text).at(Placement::SipDomain),
    );
    if d.features.legacy_clients {
        out.addresses(
            domain.prefixed("sipinternal").as_str(),
            &reg_addrs,
            why(
                Feature::LegacySignIn,
                Need::Optional,
                &["S1", "S2"],
                "internal A-record fallback of legacy clients",
            )
            .at(Placement::SipDomain),
        );
    }
}

/// Desk phones: `_ntp._udp.<domain>` and, with Device Update, `ucupdates-r2.<domain>`.
fn phones(out: &mut Out<'_>, domain: &Fqdn) {
    let d = out.d;
    let Some(phones) = &d.features.phones else {
        return;
    };
    let ntp = &phones.ntp_server;
    out.srv(
        &NTP.owner(domain.as_str()),
        (0, 0, 123),
        ntp.as_str(),
        why(
            Feature::Phones,
            Need::Required,
            &["S1", "S21"],
            "time server for Lync Phone Edition desk phones",
        )
        .at(Placement::SipDomain),
    );
    if phones.device_update {
        out.addresses(
            domain.prefixed("ucupdates-r2").as_str(),
            &autodiscover_pool(d).web.internal_addresses,
            why(
                Feature::Phones,
                Need::Optional,
                &["S1", "S38"],
                "Device Update for phones that never signed in: the web services VIP",
            )
            .at(Placement::SipDomain),
        );
    }
}

/// The NTP server the phones' SRV records name, where a zone of the view holds it.
fn ntp_server(out: &mut Out<'_>) {
    let d = out.d;
    if let Some(phones) = &d.features.phones {
        let text = "the NTP server named by _ntp._udp";
        out.addresses(
            phones.ntp_server.as_str(),
            &phones.ntp_addresses,
            why(Feature::Phones, Need::Required, &["S1"], text).at(Placement::IfZoned),
        );
    }
}
