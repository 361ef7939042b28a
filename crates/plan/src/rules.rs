//! The Lync knowledge: which records each location needs, for which feature, and why
//! (`lync-discovery.md` §1; each record cites its source keys).
//!
//! The output is a list of *wanted records* per location, not yet placed in zones: [`crate::zones`] does that
//! per view. Records are emitted in a fixed order, most fundamental first, so that when two features want the
//! same record the first one names it and the later ones are listed in `also_for`.

use std::net::IpAddr;

use lyncdns_model::{
    Deployment, Fqdn, InternalSrv, Location, LyncdiscoverInternalTarget, Pool, RecordStyle,
};

use crate::{Feature, Need, Note};
use lyncdns_dnsdata::rdata::RecordData;
use lyncdns_lync::naming::{LYNCDISCOVER, LYNCDISCOVERINTERNAL, srv_target_allowed};
use lyncdns_lync::services::{
    NTP, SIP_TLS, SIPFEDERATIONTLS, SIPINTERNAL, SIPINTERNALTLS, XMPP_SERVER,
};

/// The source keys cited in this module's docs (`[S1]` …), as links to their entries.
#[cfg(doc)]
#[allow(unused_imports)]
use lyncdns_lync::sources::*;

/// Where a wanted record may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// A host name the deployment checked to be inside a zone of its location.
    Host,
    /// A name derived from a SIP domain: placed in the zone that holds it, or else in a pin-point zone of its own
    /// ([S2], [S3]).
    SipDomain,
    /// A name published only when a zone of the view already holds it (e.g. the internal copy of an external
    /// name in a split-brain zone); outside every zone, the view's clients resolve it elsewhere.
    IfZoned,
}

/// One record the deployment needs, before it is placed in a zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Want {
    /// Owner name.
    pub owner: String,
    /// Type and data.
    pub data: RecordData,
    /// TTL.
    pub ttl: u32,
    /// Feature.
    pub feature: Feature,
    /// How much it is needed.
    pub need: Need,
    /// Source keys.
    pub sources: Vec<&'static str>,
    /// Why.
    pub why: String,
    /// Where it may go.
    pub placement: Placement,
}

/// The wanted records of both locations and the planner's notes.
#[derive(Debug, Clone, Default)]
pub struct Wanted {
    /// For internal views.
    pub internal: Vec<Want>,
    /// For external views.
    pub external: Vec<Want>,
    /// Decisions worth telling.
    pub notes: Vec<Note>,
}

impl Wanted {
    /// The list for `location`.
    pub fn for_location(&self, location: Location) -> &[Want] {
        match location {
            Location::Internal => &self.internal,
            Location::External => &self.external,
        }
    }
}

/// Microsoft's Online service names ([S28]).
pub mod online {
    /// Online Autodiscover.
    pub const WEBDIR: &str = "webdir.online.lync.com";
    /// Online SIP directors.
    pub const SIPDIR: &str = "sipdir.online.lync.com";
    /// Online federation.
    pub const SIPFED: &str = "sipfed.online.lync.com";
}

/// One list of wanted records being built, with the TTLs to use.
struct Out<'a> {
    list: Vec<Want>,
    d: &'a Deployment,
}

/// A record's reason: feature, need, sources and the sentence.
struct Why {
    feature: Feature,
    need: Need,
    sources: &'static [&'static str],
    text: String,
    placement: Placement,
}

fn why(
    feature: Feature,
    need: Need,
    sources: &'static [&'static str],
    text: impl Into<String>,
) -> Why {
    Why {
        feature,
        need,
        sources,
        text: text.into(),
        placement: Placement::Host,
    }
}

impl Why {
    fn at(mut self, placement: Placement) -> Self {
        self.placement = placement;
        self
    }
}

impl Out<'_> {
    fn push(&mut self, owner: &str, data: RecordData, ttl: u32, w: &Why) {
        self.list.push(Want {
            owner: owner.to_owned(),
            data,
            ttl,
            feature: w.feature,
            need: w.need,
            sources: w.sources.to_vec(),
            why: w.text.clone(),
            placement: w.placement,
        });
    }

    /// A and AAAA records of `owner`.
    fn addresses(&mut self, owner: &str, addresses: &[IpAddr], w: Why) {
        let ttl = self.d.dns.ttl.default;
        for ip in addresses {
            let data = match ip {
                IpAddr::V4(address) => RecordData::A { address: *address },
                IpAddr::V6(address) => RecordData::Aaaa { address: *address },
            };
            self.push(owner, data, ttl, &w);
        }
    }

    fn cname(&mut self, owner: &str, target: &str, w: Why) {
        let ttl = self.d.dns.ttl.default;
        self.push(
            owner,
            RecordData::Cname {
                target: target.to_owned(),
            },
            ttl,
            &w,
        );
    }

    fn srv(
        &mut self,
        owner: &str,
        (priority, weight, port): (u16, u16, u16),
        target: &str,
        w: Why,
    ) {
        let ttl = self.d.dns.ttl.srv;
        self.push(
            owner,
            RecordData::Srv {
                priority,
                weight,
                port,
                target: target.to_owned(),
            },
            ttl,
            &w,
        );
    }
}

/// Every wanted record of `d`, per location.
pub fn wanted(d: &Deployment) -> Wanted {
    let mut notes = Vec::new();
    let internal = internal(d, &mut notes);
    let external = external(d, &mut notes);
    Wanted {
        internal,
        external,
        notes,
    }
}

/// The pool whose web services answer Autodiscover: the Director's if there is one, else the sign-in pool's ([S5]).
fn autodiscover_pool(d: &Deployment) -> &Pool {
    d.director.as_ref().unwrap_or_else(|| d.sign_in_pool())
}

fn internal(d: &Deployment, notes: &mut Vec<Note>) -> Vec<Want> {
    let mut out = Out {
        list: Vec::new(),
        d,
    };
    let strict = d.options.strict_dns_naming;
    let registrar = d.registrar();
    let reg_fqdn = &registrar.fqdn;
    let reg_addrs = registrar.sip_addresses();

    // Pools and their servers.
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

    // Mobile clients use the external web services URL even on the LAN, through the reverse proxy ([S3], [S9]).
    // In a split-brain zone the internal view must answer that name, or internal mobile clients get NXDOMAIN.
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

    // Edge, internal side.
    if let Some(edge) = &d.edge {
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

    // Simple URLs resolve to the web services that host them, inside.
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

    // Per SIP domain.
    let srv_need = match d.options.internal_srv {
        InternalSrv::Required => Need::Required,
        InternalSrv::LegacyOnly if d.features.legacy_clients || d.features.phones.is_some() => {
            Need::Required
        }
        InternalSrv::LegacyOnly => Need::Recommended,
    };
    let legacy_need = if d.features.legacy_clients || d.features.phones.is_some() {
        Need::Required
    } else {
        Need::Optional
    };
    let ad_pool = autodiscover_pool(d);
    for domain in d.sip_domains() {
        let dom = domain.as_str();
        let sip = domain.prefixed("sip");
        // Autodiscover.
        let ldi = domain.prefixed(LYNCDISCOVERINTERNAL);
        match d.options.lyncdiscoverinternal_target {
            LyncdiscoverInternalTarget::InternalWeb => {
                let target = &ad_pool.web.internal_fqdn;
                let text = "internal Autodiscover, tried first by Lync 2013+ desktop, Store and mobile clients; points at the internal web services of the Director, else the Front End pool";
                let w = why(Feature::Autodiscover, Need::Required, &["S1", "S5"], text)
                    .at(Placement::SipDomain);
                if d.options.autodiscover_records == RecordStyle::Cname
                    && target.parent() == Some(dom)
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

        // Automatic sign-in by SRV; the target must lie in the SIP domain itself (strict DNS naming).
        let target: Fqdn = if srv_target_allowed(reg_fqdn.as_str(), dom, strict) {
            reg_fqdn.clone()
        } else {
            sip.clone()
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
        let sip_need = if target == sip {
            Need::Required
        } else {
            legacy_need
        };
        let sip_text = if target == sip {
            format!(
                "the SRV target inside {dom}: the registrar {reg_fqdn} is not a host of {dom}, and clients require the SRV target in the SIP domain (strict DNS naming)"
            )
        } else {
            "internal A-record fallback of legacy clients and desk phones: the registrar's addresses".to_owned()
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
        if let Some(phones) = &d.features.phones {
            let ntp = &phones.ntp_server;
            out.srv(
                &NTP.owner(dom),
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
                    &ad_pool.web.internal_addresses,
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
    }
    if let Some(phones) = &d.features.phones {
        let text = "the NTP server named by _ntp._udp";
        out.addresses(
            phones.ntp_server.as_str(),
            &phones.ntp_addresses,
            why(Feature::Phones, Need::Required, &["S1"], text).at(Placement::IfZoned),
        );
    }

    if d.director.is_some() {
        notes.push(Note {
            text: format!("Sign-in records (SRV, sip, sipinternal) point at the Director pool {reg_fqdn}: it authenticates users and redirects them to their home pool; Autodiscover names target its web services."),
            sources: vec!["S5", "S40"],
        });
    } else if d.pools.len() > 1 {
        notes.push(Note {
            text: format!("Several pools and no Director: sign-in records point at {reg_fqdn} (options.sign_in_pool, default the first pool); its registrar redirects users homed elsewhere to their pool."),
            sources: vec!["S40"],
        });
    }
    notes.push(Note {
        text: match d.options.internal_srv {
            InternalSrv::Required => "_sipinternaltls._tcp is planned as required, following the Lync 2013 docs; the SfB 2015 docs call it needed only for pre-2013 clients and phones (option internal_srv = \"legacy-only\").".into(),
            InternalSrv::LegacyOnly => "_sipinternaltls._tcp is planned as needed only for pre-2013 clients and phones, following the SfB 2015 docs (option internal_srv).".into(),
        },
        sources: vec!["S1", "S10"],
    });
    notes.push(Note {
        text: "_sipfederationtls._tcp is planned in the external view only, as the Lync 2013 docs do; the SfB internal table also lists it for iOS / Windows Phone push.".into(),
        sources: vec!["S1", "S7"],
    });
    out.list
}

fn external(d: &Deployment, notes: &mut Vec<Note>) -> Vec<Want> {
    let mut out = Out {
        list: Vec::new(),
        d,
    };
    let strict = d.options.strict_dns_naming;
    let f = &d.features;

    if let Some(edge) = &d.edge {
        let access = &edge.access.fqdn;
        let access_addrs = &edge.access.addresses;
        out.addresses(
            access.as_str(),
            access_addrs,
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
        for domain in d.sip_domains() {
            let dom = domain.as_str();
            let sip = domain.prefixed("sip");
            let target = if srv_target_allowed(access.as_str(), dom, strict) {
                access.clone()
            } else {
                sip.clone()
            };
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
            if f.legacy_clients {
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
            if f.federation || f.push_notifications {
                let (feature, text) = if f.federation {
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
                    why(feature, Need::Required, &["S1", "S7", "S8"], text)
                        .at(Placement::SipDomain),
                );
                if f.federation && f.push_notifications {
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
            if f.xmpp {
                let xmpp = domain.prefixed("xmpp");
                out.srv(
                    &XMPP_SERVER.owner(dom),
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
                    access_addrs,
                    why(
                        Feature::Xmpp,
                        Need::Required,
                        &["S1", "S8"],
                        "XMPP gateway on the Access Edge",
                    )
                    .at(Placement::SipDomain),
                );
            }
        }
    } else if d
        .views
        .iter()
        .any(|v| v.location == lyncdns_model::Location::External)
    {
        notes.push(Note { text: "No Edge: remote users cannot sign in and there is no federation; the external view holds only web records.".into(), sources: vec!["S1"] });
    }

    if let Some(rp) = &d.reverse_proxy {
        let rp_addrs = &rp.addresses;
        for (pool, _) in d.all_pools() {
            out.addresses(
                pool.web.external_fqdn.as_str(),
                rp_addrs,
                why(
                    Feature::WebServices,
                    Need::Required,
                    &["S1"],
                    "external web services, published by the reverse proxy",
                ),
            );
        }
        let ad_pool = autodiscover_pool(d);
        let ad_ext = &ad_pool.web.external_fqdn;
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
                out.addresses(owner.as_str(), rp_addrs, w);
            }
        }
        let urls = d.simple_urls.meet.iter().chain(d.simple_urls.dialin.iter());
        for url in urls {
            out.addresses(
                url.as_str(),
                rp_addrs,
                why(
                    Feature::SimpleUrls,
                    Need::Required,
                    &["S1"],
                    "simple URL, published by the reverse proxy",
                ),
            );
        }
        if let Some(ext) = d
            .office_web_apps
            .as_ref()
            .and_then(|o| o.external_fqdn.as_ref())
        {
            out.addresses(
                ext.as_str(),
                rp_addrs,
                why(
                    Feature::OfficeWebApps,
                    Need::Required,
                    &["S1"],
                    "Office Web Apps, published by the reverse proxy",
                ),
            );
        }
        if d.options.autodiscover_records == RecordStyle::Cname {
            notes.push(Note { text: "lyncdiscover records are CNAMEs only where the web services FQDN lies in the same SIP domain; a CNAME into another domain breaks HTTPS for mobile clients, so other domains get address records.".into(), sources: vec!["S5"] });
        }
    }

    // Online / hybrid domains: Microsoft's published records ([S28]).
    for domain in d.online_domains() {
        let dom = domain.as_str();
        let w = |text: &str| {
            why(Feature::Online, Need::Required, &["S28"], text.to_owned()).at(Placement::SipDomain)
        };
        out.cname(
            domain.prefixed(LYNCDISCOVER).as_str(),
            online::WEBDIR,
            w("Online domain: Autodiscover is Microsoft's webdir"),
        );
        out.cname(
            domain.prefixed("sip").as_str(),
            online::SIPDIR,
            w("Online domain: SIP directors"),
        );
        out.srv(
            &SIP_TLS.owner(dom),
            (100, 1, SIP_TLS.port),
            online::SIPDIR,
            w("Online domain: external sign-in"),
        );
        out.srv(
            &SIPFEDERATIONTLS.owner(dom),
            (100, 1, SIPFEDERATIONTLS.port),
            online::SIPFED,
            w("Online domain: federation"),
        );
    }
    if d.hybrid.as_ref().is_some_and(|h| h.shared_address_space) {
        notes.push(Note { text: "Shared SIP address space: the on-premises records stay; on-premises Autodiscover redirects users homed Online to the hosting provider's Autodiscover URL.".into(), sources: vec!["S37", "S6"] });
    }
    out.list
}
