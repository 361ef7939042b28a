//! The topology's own rules, checked once after the TOML reader has accepted the file
//! (`docs/lync.md` §1.6 and the roles' needs). All problems are reported, not only the first.
//!
//! The rules read the file as written ([`crate::raw`]), whose spans locate each error; once they hold, `load`
//! converts it to the checked [`crate::Deployment`].

use std::collections::HashMap;
use std::net::IpAddr;
use std::ops::Range;

use toml::Spanned;

use crate::addr::non_public_kind;
use crate::deployment::{RRL_RATE_MAX, RRL_SLIP_MAX};
use crate::raw::{Deployment, Pool, Server, View};
use crate::{Edition, Fqdn, LoadBalancing, LoadError, LoadErrors, Location, Problem, Product};

/// Checks every rule; `text` and `origin` locate the errors.
pub(crate) fn validate(d: &Deployment, text: &str, origin: &str) -> Result<(), LoadErrors> {
    let mut c = Checker {
        text,
        origin,
        errors: Vec::new(),
        names: HashMap::new(),
    };
    c.version(d);
    c.domains(d);
    c.views(d);
    c.view_order(d);
    c.pools(d);
    c.server_addresses(d);
    c.edge(d);
    c.zones(d);
    c.features(d);
    c.public_addresses(d);
    c.serve(d);
    c.users(d);
    c.keys(d);
    if c.errors.is_empty() {
        Ok(())
    } else {
        Err(LoadErrors(c.errors))
    }
}

/// Collects located errors.
struct Checker<'a> {
    text: &'a str,
    origin: &'a str,
    errors: Vec<LoadError>,
    /// Host names seen so far, with the field that defined them.
    names: HashMap<Fqdn, String>,
}

impl Checker<'_> {
    fn err(&mut self, span: Range<usize>, field: impl Into<String>, problem: Problem) {
        let (line, column) = crate::line_column(self.text, span.start);
        self.errors.push(LoadError {
            origin: self.origin.to_owned(),
            line,
            column,
            field: field.into(),
            problem,
        });
    }

    /// Records a host name; a second definition of the same name is an error.
    fn define(&mut self, name: &Spanned<Fqdn>, field: String) {
        if let Some(first) = self.names.get(name.get_ref()) {
            let problem = Problem::DuplicateName {
                fqdn: name.get_ref().to_string(),
                first: first.clone(),
            };
            self.err(name.span(), field, problem);
        } else {
            self.names.insert(name.get_ref().clone(), field);
        }
    }

    fn addresses(&mut self, fqdn: &Fqdn, addresses: &Spanned<Vec<IpAddr>>, field: String) {
        if addresses.get_ref().is_empty() {
            self.err(
                addresses.span(),
                field,
                Problem::NoAddresses {
                    fqdn: fqdn.to_string(),
                },
            );
        }
    }

    fn version(&mut self, d: &Deployment) {
        if *d.version.get_ref() != 1 {
            self.err(
                d.version.span(),
                "version",
                Problem::UnsupportedVersion {
                    found: *d.version.get_ref(),
                },
            );
        }
    }

    fn domains(&mut self, d: &Deployment) {
        let mut seen: Vec<&Fqdn> = vec![d.sip.primary_domain.get_ref()];
        let online = d.hybrid.iter().flat_map(|h| {
            h.online_domains
                .iter()
                .enumerate()
                .map(|(i, x)| (format!("hybrid.online_domains[{i}]"), x))
        });
        let additional = d
            .sip
            .additional_domains
            .iter()
            .enumerate()
            .map(|(i, x)| (format!("sip.additional_domains[{i}]"), x));
        for (field, domain) in additional.chain(online) {
            if seen.contains(&domain.get_ref()) {
                self.err(
                    domain.span(),
                    field,
                    Problem::DuplicateDomain {
                        domain: domain.get_ref().to_string(),
                    },
                );
            } else {
                seen.push(domain.get_ref());
            }
        }
    }

    fn views(&mut self, d: &Deployment) {
        if d.views.is_empty() {
            self.err(
                0..0,
                "views",
                Problem::Empty {
                    what: "[[views]] entry",
                },
            );
        }
        let mut names: Vec<&str> = Vec::new();
        for (i, v) in d.views.iter().enumerate() {
            let name = v.name.get_ref();
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                self.err(
                    v.name.span(),
                    format!("views[{i}].name"),
                    Problem::BadViewName { name: name.clone() },
                );
            }
            if names.contains(&name.as_str()) {
                self.err(
                    v.name.span(),
                    format!("views[{i}].name"),
                    Problem::DuplicateView { name: name.clone() },
                );
            }
            names.push(name);
            for net in v.clients.get_ref() {
                if net.trunc() != *net {
                    let problem = Problem::HostBitsSet {
                        prefix: *net,
                        network: net.trunc(),
                    };
                    self.err(v.clients.span(), format!("views[{i}].clients"), problem);
                }
            }
            if v.clients.get_ref().is_empty() {
                self.err(
                    v.clients.span(),
                    format!("views[{i}].clients"),
                    Problem::Empty {
                        what: "client prefix",
                    },
                );
            }
            if v.nameservers.is_empty() {
                self.err(
                    v.name.span(),
                    format!("views[{i}].nameservers"),
                    Problem::Empty {
                        what: "name server (every zone needs NS records)",
                    },
                );
            }
        }
    }

    /// TSIG keys: a usable name, algorithm and secret, names unique; views name defined keys, each key at most one
    /// view (a key selects one view only); transfer prefixes without host bits.
    fn keys(&mut self, d: &Deployment) {
        use lyncdns_dnsdata::tsig::{TsigAlgorithm, TsigKey};
        let mut names: Vec<String> = Vec::new();
        for (i, k) in d.keys.iter().enumerate() {
            let name = k.name.get_ref().trim_end_matches('.').to_ascii_lowercase();
            let field = |f: &str| format!("keys[{i}].{f}");
            let algorithm = match &k.algorithm {
                None => Some(TsigAlgorithm::HmacSha256),
                Some(a) => match a.get_ref().parse::<TsigAlgorithm>() {
                    Ok(a) => Some(a),
                    Err(reason) => {
                        self.err(a.span(), field("algorithm"), Problem::BadKey { reason });
                        None
                    }
                },
            };
            match (&k.secret, &k.secret_file) {
                (Some(secret), None) => {
                    if let Some(algorithm) = algorithm
                        && let Err(reason) =
                            TsigKey::from_base64(k.name.get_ref(), algorithm, secret.get_ref())
                    {
                        self.err(secret.span(), field("secret"), Problem::BadKey { reason });
                    }
                }
                (None, Some(_)) => {
                    if let Err(reason) =
                        TsigKey::new(k.name.get_ref(), TsigAlgorithm::HmacSha256, vec![0])
                    {
                        self.err(k.name.span(), field("name"), Problem::BadKey { reason });
                    }
                }
                _ => {
                    let problem = Problem::KeySecretSource { name: name.clone() };
                    self.err(k.name.span(), field("name"), problem);
                }
            }
            if names.contains(&name) {
                self.err(
                    k.name.span(),
                    field("name"),
                    Problem::DuplicateKey { name: name.clone() },
                );
            }
            names.push(name);
        }
        let mut taken: HashMap<String, String> = HashMap::new();
        for (i, v) in d.views.iter().enumerate() {
            for (j, key) in v.transfer_keys.iter().enumerate() {
                let name = key.get_ref().trim_end_matches('.').to_ascii_lowercase();
                let field = format!("views[{i}].transfer_keys[{j}]");
                if !names.contains(&name) {
                    let problem = Problem::UnknownKey {
                        name: key.get_ref().clone(),
                        keys: names.join(", "),
                    };
                    self.err(key.span(), field, problem);
                } else if let Some(view) = taken.get(&name) {
                    let problem = Problem::KeyInTwoViews {
                        key: name.clone(),
                        view: view.clone(),
                    };
                    self.err(key.span(), field, problem);
                } else {
                    taken.insert(name, v.name.get_ref().clone());
                }
            }
            if let Some(catalog) = &v.catalog {
                self.catalog(d, i, v, catalog);
            }
            for (j, net) in v.allow_transfer.iter().enumerate() {
                if net.get_ref().trunc() != *net.get_ref() {
                    let problem = Problem::HostBitsSet {
                        prefix: *net.get_ref(),
                        network: net.get_ref().trunc(),
                    };
                    self.err(
                        net.span(),
                        format!("views[{i}].allow_transfer[{j}]"),
                        problem,
                    );
                }
            }
        }
    }

    /// A view's catalog zone (RFC 9432): only for a view someone may transfer, and never one of the deployment's
    /// zones or SIP domains or a name below one (its records would land inside that zone; RFC 9432 §6 suggests a
    /// name below `invalid.`).
    fn catalog(&mut self, d: &Deployment, i: usize, v: &View, catalog: &Spanned<Fqdn>) {
        let field = format!("views[{i}].catalog");
        if v.transfer_keys.is_empty() && v.allow_transfer.is_empty() {
            let problem = Problem::CatalogWithoutTransfer {
                view: v.name.get_ref().clone(),
            };
            self.err(catalog.span(), field, problem);
            return;
        }
        let name = catalog.get_ref().as_str();
        let zones = [Location::Internal, Location::External]
            .into_iter()
            .flat_map(|l| d.zones(l))
            .chain(d.sip_domains())
            .chain(d.online_domains());
        for zone in zones {
            if name == zone.as_str() || lyncdns_lync::naming::is_below(name, zone.as_str()) {
                let problem = Problem::CatalogInZone {
                    catalog: name.to_owned(),
                    zone: zone.to_string(),
                };
                self.err(catalog.span(), field, problem);
                return;
            }
        }
    }

    /// Views are matched in order, first match wins: an internal view must not take every client, and a view
    /// whose prefixes all lie inside an earlier view's never matches.
    fn view_order(&mut self, d: &Deployment) {
        for (i, v) in d.views.iter().enumerate() {
            if v.location == Location::Internal
                && let Some(all) = v.clients.get_ref().iter().find(|n| n.prefix_len() == 0)
            {
                let problem = Problem::InternalViewForEveryone {
                    view: v.name.get_ref().clone(),
                    prefix: *all,
                };
                self.err(v.clients.span(), format!("views[{i}].clients"), problem);
            }
            let by = d.views[..i].iter().find(|earlier| {
                !v.clients.get_ref().is_empty()
                    && v.clients
                        .get_ref()
                        .iter()
                        .all(|p| earlier.clients.get_ref().iter().any(|q| q.contains(p)))
            });
            if let Some(by) = by {
                let problem = Problem::ShadowedView {
                    view: v.name.get_ref().clone(),
                    by: by.name.get_ref().clone(),
                };
                self.err(v.clients.span(), format!("views[{i}].clients"), problem);
            }
        }
    }

    /// Two different servers (Front End, Director, Edge, other roles) never share an address.
    fn server_addresses(&mut self, d: &Deployment) {
        let mut servers: Vec<(String, &Server)> = Vec::new();
        for (p, pool) in d.pools.iter().enumerate() {
            for (s, server) in pool.servers.get_ref().iter().enumerate() {
                servers.push((format!("pools[{p}].servers[{s}].addresses"), server));
            }
        }
        if let Some(pool) = &d.director {
            for (s, server) in pool.servers.get_ref().iter().enumerate() {
                servers.push((format!("director.servers[{s}].addresses"), server));
            }
        }
        if let Some(edge) = &d.edge {
            for (s, server) in edge.servers.get_ref().iter().enumerate() {
                servers.push((format!("edge.servers[{s}].addresses"), server));
            }
        }
        let mut seen: HashMap<IpAddr, &Fqdn> = HashMap::new();
        let mut problems = Vec::new();
        for (field, server) in &servers {
            for ip in server.addresses.get_ref() {
                match seen.get(ip) {
                    Some(first) if *first != server.fqdn.get_ref() => problems.push((
                        server.addresses.span(),
                        field.clone(),
                        Problem::SharedServerAddress {
                            address: *ip,
                            first: first.to_string(),
                            second: server.fqdn.get_ref().to_string(),
                        },
                    )),
                    Some(_) => {}
                    None => {
                        seen.insert(*ip, server.fqdn.get_ref());
                    }
                }
            }
        }
        for (span, field, problem) in problems {
            self.err(span, field, problem);
        }
    }

    fn pools(&mut self, d: &Deployment) {
        if d.pools.is_empty() {
            self.err(
                0..0,
                "pools",
                Problem::Empty {
                    what: "[[pools]] entry",
                },
            );
        }
        let all = d
            .pools
            .iter()
            .enumerate()
            .map(|(i, p)| (format!("pools[{i}]"), p));
        for (path, pool) in all.chain(d.director.iter().map(|p| ("director".to_owned(), p))) {
            self.pool(&path, pool);
        }
        if let Some(want) = &d.options.sign_in_pool
            && !d.pools.iter().any(|p| p.fqdn.get_ref() == want.get_ref())
        {
            let pools = d
                .pools
                .iter()
                .map(|p| p.fqdn.get_ref().as_str())
                .collect::<Vec<_>>()
                .join(", ");
            self.err(
                want.span(),
                "options.sign_in_pool",
                Problem::UnknownPool {
                    fqdn: want.get_ref().to_string(),
                    pools,
                },
            );
        }
    }

    fn pool(&mut self, path: &str, pool: &Pool) {
        let servers = pool.servers.get_ref();
        if servers.is_empty() {
            self.err(
                pool.servers.span(),
                format!("{path}.servers"),
                Problem::Empty { what: "server" },
            );
        }
        if pool.edition == Edition::Standard && servers.len() != 1 {
            self.err(
                pool.servers.span(),
                format!("{path}.servers"),
                Problem::StandardEditionServers {
                    count: servers.len(),
                },
            );
        }
        if pool.load_balancing == LoadBalancing::Hardware && pool.sip_vip.is_empty() {
            self.err(
                pool.fqdn.span(),
                format!("{path}.sip_vip"),
                Problem::HardwareWithoutVip,
            );
        }
        self.define(&pool.fqdn, format!("{path}.fqdn"));
        for (j, s) in servers.iter().enumerate() {
            // A Standard Edition server's FQDN is the pool FQDN.
            if s.fqdn.get_ref() != pool.fqdn.get_ref() {
                self.define(&s.fqdn, format!("{path}.servers[{j}].fqdn"));
            }
            self.addresses(
                s.fqdn.get_ref(),
                &s.addresses,
                format!("{path}.servers[{j}].addresses"),
            );
        }
        let web = &pool.web;
        if web.internal_fqdn.get_ref() == web.external_fqdn.get_ref() {
            let problem = Problem::WebFqdnsEqual {
                fqdn: web.external_fqdn.get_ref().to_string(),
            };
            self.err(
                web.external_fqdn.span(),
                format!("{path}.web.external_fqdn"),
                problem,
            );
        }
        if web.internal_fqdn.get_ref() == pool.fqdn.get_ref() {
            if pool.load_balancing == LoadBalancing::Dns && servers.len() > 1 {
                let problem = Problem::WebOnDnsLoadBalancedName {
                    fqdn: pool.fqdn.get_ref().to_string(),
                };
                self.err(
                    web.internal_fqdn.span(),
                    format!("{path}.web.internal_fqdn"),
                    problem,
                );
            }
        } else {
            self.define(&web.internal_fqdn, format!("{path}.web.internal_fqdn"));
        }
        self.define(&web.external_fqdn, format!("{path}.web.external_fqdn"));
        self.addresses(
            web.internal_fqdn.get_ref(),
            &web.internal_addresses,
            format!("{path}.web.internal_addresses"),
        );
    }

    fn edge(&mut self, d: &Deployment) {
        if let Some(edge) = &d.edge {
            self.define(&edge.internal_fqdn, "edge.internal_fqdn".into());
            if edge.servers.get_ref().is_empty() {
                self.err(
                    edge.servers.span(),
                    "edge.servers",
                    Problem::Empty {
                        what: "Edge server",
                    },
                );
            }
            for (j, s) in edge.servers.get_ref().iter().enumerate() {
                if s.fqdn.get_ref() != edge.internal_fqdn.get_ref() {
                    self.define(&s.fqdn, format!("edge.servers[{j}].fqdn"));
                }
                self.addresses(
                    s.fqdn.get_ref(),
                    &s.addresses,
                    format!("edge.servers[{j}].addresses"),
                );
            }
            for (name, svc) in [
                ("access", &edge.access),
                ("webconf", &edge.webconf),
                ("av", &edge.av),
            ] {
                self.define(&svc.fqdn, format!("edge.{name}.fqdn"));
                self.addresses(
                    svc.fqdn.get_ref(),
                    &svc.addresses,
                    format!("edge.{name}.addresses"),
                );
            }
        }
        if let Some(owas) = &d.office_web_apps {
            self.define(&owas.internal_fqdn, "office_web_apps.internal_fqdn".into());
            self.addresses(
                owas.internal_fqdn.get_ref(),
                &owas.internal_addresses,
                "office_web_apps.internal_addresses".into(),
            );
            if let Some(ext) = &owas.external_fqdn {
                self.define(ext, "office_web_apps.external_fqdn".into());
            }
        }
        for (i, s) in d.other_servers.iter().enumerate() {
            self.define(&s.fqdn, format!("other_servers[{i}].fqdn"));
            self.addresses(
                s.fqdn.get_ref(),
                &s.addresses,
                format!("other_servers[{i}].addresses"),
            );
        }
        for (i, m) in d.simple_urls.meet.iter().enumerate() {
            self.define(m, format!("simple_urls.meet[{i}]"));
        }
        for (name, url) in [
            ("dialin", &d.simple_urls.dialin),
            ("admin", &d.simple_urls.admin),
        ] {
            if let Some(url) = url {
                self.define(url, format!("simple_urls.{name}"));
            }
        }
    }

    /// Every internal-only host must lie in an internal zone, every published host in an external zone; SIP-domain
    /// names need not (the planner makes pin-point zones for them).
    fn zones(&mut self, d: &Deployment) {
        for (location, configured, field) in [
            (
                Location::Internal,
                &d.dns.internal_zones,
                "dns.internal_zones",
            ),
            (
                Location::External,
                &d.dns.external_zones,
                "dns.external_zones",
            ),
        ] {
            if let Some(zones) = configured {
                for (i, z) in zones.iter().enumerate() {
                    if let Some(other) = zones[..i].iter().find(|o| o.get_ref() == z.get_ref()) {
                        let problem = Problem::OverlappingZones {
                            zone: z.get_ref().to_string(),
                            other: other.get_ref().to_string(),
                        };
                        self.err(z.span(), format!("{field}[{i}]"), problem);
                    }
                }
                if zones.is_empty() && d.views.iter().any(|v| v.location == location) {
                    self.err(
                        0..0,
                        field,
                        Problem::Empty {
                            what: "zone for the views at this location",
                        },
                    );
                }
            }
        }
        let mut internal: Vec<(String, &Spanned<Fqdn>)> = Vec::new();
        let mut external: Vec<(String, &Spanned<Fqdn>)> = Vec::new();
        let pools = d
            .pools
            .iter()
            .enumerate()
            .map(|(i, p)| (format!("pools[{i}]"), p));
        for (path, pool) in pools.chain(d.director.iter().map(|p| ("director".to_owned(), p))) {
            internal.push((format!("{path}.fqdn"), &pool.fqdn));
            for (j, s) in pool.servers.get_ref().iter().enumerate() {
                internal.push((format!("{path}.servers[{j}].fqdn"), &s.fqdn));
            }
            internal.push((format!("{path}.web.internal_fqdn"), &pool.web.internal_fqdn));
            if d.reverse_proxy.is_some() {
                external.push((format!("{path}.web.external_fqdn"), &pool.web.external_fqdn));
            }
        }
        if let Some(edge) = &d.edge {
            internal.push(("edge.internal_fqdn".into(), &edge.internal_fqdn));
            for (j, s) in edge.servers.get_ref().iter().enumerate() {
                internal.push((format!("edge.servers[{j}].fqdn"), &s.fqdn));
            }
            external.push(("edge.access.fqdn".into(), &edge.access.fqdn));
            external.push(("edge.webconf.fqdn".into(), &edge.webconf.fqdn));
            external.push(("edge.av.fqdn".into(), &edge.av.fqdn));
        }
        if let Some(owas) = &d.office_web_apps {
            internal.push(("office_web_apps.internal_fqdn".into(), &owas.internal_fqdn));
            if let Some(ext) = &owas.external_fqdn {
                external.push(("office_web_apps.external_fqdn".into(), ext));
            }
        }
        for (i, s) in d.other_servers.iter().enumerate() {
            internal.push((format!("other_servers[{i}].fqdn"), &s.fqdn));
        }
        if d.reverse_proxy.is_some() {
            for (i, m) in d.simple_urls.meet.iter().enumerate() {
                external.push((format!("simple_urls.meet[{i}]"), m));
            }
            if let Some(dialin) = &d.simple_urls.dialin {
                external.push(("simple_urls.dialin".into(), dialin));
            }
        }
        for (location, names) in [
            (Location::Internal, internal),
            (Location::External, external),
        ] {
            if !d.views.iter().any(|v| v.location == location) {
                continue;
            }
            let zones = d.zones(location);
            for (field, name) in names {
                if !zones.iter().any(|z| name.get_ref().is_within(z.as_str())) {
                    let zones = zones
                        .iter()
                        .map(|z| z.as_str())
                        .collect::<Vec<_>>()
                        .join(", ");
                    let problem = Problem::OutsideZones {
                        fqdn: name.get_ref().to_string(),
                        location: location.as_str(),
                        zones,
                    };
                    self.err(name.span(), field, problem);
                }
            }
        }
    }

    fn features(&mut self, d: &Deployment) {
        let f = &d.features;
        if *f.xmpp.get_ref() && d.product == Product::Skype2019 {
            let problem = Problem::NotInProduct {
                feature: "XMPP federation",
                product: "Skype for Business Server 2019 ([S1])",
            };
            self.err(f.xmpp.span(), "features.xmpp", problem);
        }
        if d.edge.is_none() {
            for (on, feature) in [
                (f.federation, "federation"),
                (f.push_notifications, "push notifications"),
                (*f.xmpp.get_ref(), "XMPP federation"),
            ] {
                if on {
                    self.err(
                        0..0,
                        "edge",
                        Problem::FeatureNeeds {
                            feature,
                            needs: "an [edge] table (the Access Edge)",
                        },
                    );
                }
            }
        }
        if f.mobility && d.reverse_proxy.is_none() {
            self.err(
                0..0,
                "reverse_proxy",
                Problem::FeatureNeeds {
                    feature: "mobility",
                    needs: "a [reverse_proxy] table (lyncdiscover is published through it)",
                },
            );
        }
    }

    fn users(&mut self, d: &Deployment) {
        let mut seen: Vec<String> = Vec::new();
        for (i, u) in d.users.iter().enumerate() {
            let sip = u.sip.get_ref().to_ascii_lowercase();
            let valid = sip.split_once('@').is_some_and(|(user, domain)| {
                !user.is_empty()
                    && !user.contains(['<', '>', '"', ' ', ':'])
                    && Fqdn::new(domain).is_ok()
            });
            if !valid || sip.starts_with("sip:") {
                let problem = Problem::BadSipAddress {
                    address: u.sip.get_ref().clone(),
                };
                self.err(u.sip.span(), format!("users[{i}].sip"), problem);
                continue;
            }
            if !d.is_sip_domain(u.domain()) {
                let problem = Problem::UnknownSipDomain {
                    address: sip.clone(),
                };
                self.err(u.sip.span(), format!("users[{i}].sip"), problem);
            }
            if seen.contains(&sip) {
                self.err(
                    u.sip.span(),
                    format!("users[{i}].sip"),
                    Problem::DuplicateUser {
                        address: sip.clone(),
                    },
                );
            }
            seen.push(sip);
            match u.home.get_ref() {
                crate::Home::Pool(p) if !d.pools.iter().any(|x| x.fqdn.get_ref() == p) => {
                    let pools = d
                        .pools
                        .iter()
                        .map(|x| x.fqdn.get_ref().as_str())
                        .collect::<Vec<_>>()
                        .join(", ");
                    self.err(
                        u.home.span(),
                        format!("users[{i}].home"),
                        Problem::UnknownPool {
                            fqdn: p.to_string(),
                            pools,
                        },
                    );
                }
                crate::Home::Online if d.hybrid.is_none() => {
                    self.err(
                        u.home.span(),
                        format!("users[{i}].home"),
                        Problem::FeatureNeeds {
                            feature: "a user homed online",
                            needs: "a [hybrid] table",
                        },
                    );
                }
                _ => {}
            }
            if !u.password_hash.get_ref().starts_with("$argon2") {
                self.err(
                    u.password_hash.span(),
                    format!("users[{i}].password_hash"),
                    Problem::BadPasswordHash,
                );
            }
            if let Some(nt) = &u.nt_hash
                && !(nt.get_ref().len() == 32
                    && nt.get_ref().bytes().all(|b| b.is_ascii_hexdigit()))
            {
                self.err(nt.span(), format!("users[{i}].nt_hash"), Problem::BadNtHash);
            }
        }
    }

    /// Span of the first `key =` in the file (for values that carry no span of their own).
    fn key_span(&self, key: &str) -> Range<usize> {
        let found = self.text.match_indices(key).find(|(i, _)| {
            let after = self.text[i + key.len()..].trim_start();
            let line_start = self.text[..*i].rfind('\n').map(|n| n + 1).unwrap_or(0);
            after.starts_with('=') && self.text[line_start..*i].trim().is_empty()
        });
        found.map(|(i, _)| i..i + key.len()).unwrap_or(0..0)
    }

    fn serve(&mut self, d: &Deployment) {
        let s = &d.serve;
        if s.max_udp_payload < 512 {
            let span = self.key_span("max_udp_payload");
            self.err(
                span,
                "serve.max_udp_payload",
                Problem::TooSmall {
                    value: s.max_udp_payload.into(),
                    min: 512,
                },
            );
        }
        if s.workers == Some(0) {
            let span = self.key_span("workers");
            self.err(
                span,
                "serve.workers",
                Problem::TooSmall { value: 0, min: 1 },
            );
        }
        if s.tcp_max_connections == 0 {
            let span = self.key_span("tcp_max_connections");
            self.err(
                span,
                "serve.tcp_max_connections",
                Problem::TooSmall { value: 0, min: 1 },
            );
        }
        for (key, value) in [
            ("tcp_max_per_prefix", s.tcp_max_per_prefix as u64),
            ("tcp_io_timeout_ms", s.tcp_io_timeout_ms),
            ("tcp_busy_idle_timeout_ms", s.tcp_busy_idle_timeout_ms),
            ("tcp_idle_timeout_ms", s.tcp_idle_timeout_ms),
        ] {
            if value == 0 {
                let span = self.key_span(key);
                self.err(
                    span,
                    format!("serve.{key}"),
                    Problem::TooSmall { value: 0, min: 1 },
                );
            }
        }
        for (key, value, max) in [
            ("tcp_prefix_v4", s.tcp_prefix_v4, 32),
            ("tcp_prefix_v6", s.tcp_prefix_v6, 128),
        ] {
            if value > max {
                let span = self.key_span(key);
                self.err(
                    span,
                    format!("serve.{key}"),
                    Problem::TooLarge {
                        value: value.into(),
                        max: max.into(),
                    },
                );
            }
        }
        self.rrl(d);
        for view in s.zone_files.keys() {
            if !d.views.iter().any(|v| v.name.get_ref() == view) {
                let views = d
                    .views
                    .iter()
                    .map(|v| v.name.get_ref().as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                let span = self.key_span(view);
                self.err(
                    span,
                    format!("serve.zone_files.{view}"),
                    Problem::UnknownView {
                        name: view.clone(),
                        views,
                    },
                );
            }
        }
    }

    /// `[serve.rrl]` and every view's `rrl` table: rates at most [`RRL_RATE_MAX`], `slip` at most
    /// [`RRL_SLIP_MAX`] (BIND's range), prefix lengths within their address family.
    fn rrl(&mut self, d: &Deployment) {
        let r = &d.serve.rrl;
        let mut checks: Vec<(Range<usize>, String, u64, u64)> = Vec::new();
        for (key, value) in [
            ("responses_per_second", Some(r.responses_per_second)),
            ("errors_per_second", r.errors_per_second),
            ("nxdomains_per_second", r.nxdomains_per_second),
        ] {
            if let Some(v) = value {
                checks.push((
                    self.key_span(key),
                    format!("serve.rrl.{key}"),
                    v.into(),
                    RRL_RATE_MAX.into(),
                ));
            }
        }
        checks.push((
            self.key_span("slip"),
            "serve.rrl.slip".into(),
            r.slip.into(),
            RRL_SLIP_MAX.into(),
        ));
        checks.push((
            self.key_span("prefix_v4"),
            "serve.rrl.prefix_v4".into(),
            r.prefix_v4.into(),
            32,
        ));
        checks.push((
            self.key_span("prefix_v6"),
            "serve.rrl.prefix_v6".into(),
            r.prefix_v6.into(),
            128,
        ));
        for (i, view) in d.views.iter().enumerate() {
            let Some(rrl) = &view.rrl else { continue };
            let v = rrl.get_ref();
            for (key, value, max) in [
                ("responses_per_second", v.responses_per_second, RRL_RATE_MAX),
                ("errors_per_second", v.errors_per_second, RRL_RATE_MAX),
                ("nxdomains_per_second", v.nxdomains_per_second, RRL_RATE_MAX),
                ("slip", v.slip.map(u32::from), RRL_SLIP_MAX.into()),
            ] {
                if let Some(value) = value {
                    checks.push((
                        rrl.span(),
                        format!("views[{i}].rrl.{key}"),
                        value.into(),
                        max.into(),
                    ));
                }
            }
        }
        for (span, field, value, max) in checks {
            if value > max {
                self.err(span, field, Problem::TooLarge { value, max });
            }
        }
    }

    /// No private, loopback or link-local address may be published in an external view unless the deployment
    /// says so (`options.allow_private_external`).
    fn public_addresses(&mut self, d: &Deployment) {
        if d.options.allow_private_external {
            return;
        }
        let mut published: Vec<(String, &Spanned<Vec<IpAddr>>)> = Vec::new();
        if let Some(edge) = &d.edge {
            published.push(("edge.access.addresses".into(), &edge.access.addresses));
            published.push(("edge.webconf.addresses".into(), &edge.webconf.addresses));
            published.push(("edge.av.addresses".into(), &edge.av.addresses));
        }
        if let Some(rp) = &d.reverse_proxy {
            published.push(("reverse_proxy.addresses".into(), &rp.addresses));
        }
        for (field, list) in published {
            for ip in list.get_ref() {
                if let Some(kind) = non_public_kind(*ip) {
                    self.err(
                        list.span(),
                        field.clone(),
                        Problem::NonPublicAddress { address: *ip, kind },
                    );
                }
            }
        }
        for (i, v) in d
            .views
            .iter()
            .enumerate()
            .filter(|(_, v)| v.location == Location::External)
        {
            for (j, ns) in v.nameservers.iter().enumerate() {
                for ip in &ns.addresses {
                    if let Some(kind) = non_public_kind(*ip) {
                        let field = format!("views[{i}].nameservers[{j}].addresses");
                        self.err(
                            ns.fqdn.span(),
                            field,
                            Problem::NonPublicAddress { address: *ip, kind },
                        );
                    }
                }
            }
        }
    }
}
