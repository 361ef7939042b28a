//! The deployment description exactly as the TOML file spells it: what the TOML reader accepts, before the
//! topology's rules. Only [`load`](crate::load) uses these types; every other crate reads the checked ones of
//! [`deployment`](crate::deployment).
//!
//! Every table rejects unknown keys (`deny_unknown_fields`), so a misspelt key is an error and never silently
//! ignored. Fields that a topology rule may complain about are [`Spanned`], so that the error can point at the
//! line and column where the value was written. Defaults follow `docs/lync.md`; each default's reason is on
//! its field.
//!
//! Only the types with a span somewhere inside are written here; they keep the names of their checked
//! counterparts, which the reader's messages may quote. Types with no span inside (the enums, [`Ttls`], [`Serve`],
//! [`Home`]) are defined once, in [`deployment`](crate::deployment), with their serde attributes, and read from
//! the file as they are. Once the rules hold, [`Deployment::into_checked`] drops the spans.

use std::net::IpAddr;

use ipnet::IpNet;
use serde::Deserialize;
use toml::Spanned;

use crate::Fqdn;
use crate::deployment::{
    self as checked, Edition, Home, InternalSrv, LoadBalancing, Location,
    LyncdiscoverInternalTarget, Product, RecordStyle, Serve, ServerRole, Ttls, ViewRrl,
};

/// The source keys cited in this module's docs (`[S1]` …), as links to their entries.
#[cfg(doc)]
#[allow(unused_imports)]
use lyncdns_lync::sources::*;

/// A whole deployment as written: SIP domains, DNS zones and views, server roles, features and options.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deployment {
    /// Format version of this file; only `1` exists.
    pub version: Spanned<u32>,
    /// A human name for reports.
    #[serde(default)]
    pub name: Option<String>,
    /// The server product; it decides which features exist (XMPP is gone in 2019, [S1]).
    #[serde(default)]
    pub product: Product,
    /// The SIP domains.
    pub sip: Sip,
    /// DNS zones, serial and TTLs.
    #[serde(default)]
    pub dns: Dns,
    /// The DNS views, matched by client address in order (first match wins).
    pub views: Vec<View>,
    /// Front End pools (Standard Edition servers are pools of one).
    pub pools: Vec<Pool>,
    /// An optional Director pool, which authenticates and redirects but homes no users ([S40]).
    #[serde(default)]
    pub director: Option<Pool>,
    /// The Edge pool, for remote access and federation.
    #[serde(default)]
    pub edge: Option<Edge>,
    /// The reverse proxy that publishes the external web services.
    #[serde(default)]
    pub reverse_proxy: Option<ReverseProxy>,
    /// Simple URLs (meet, dialin, admin).
    #[serde(default)]
    pub simple_urls: SimpleUrls,
    /// Office Web Apps Server, if deployed.
    #[serde(default)]
    pub office_web_apps: Option<OfficeWebApps>,
    /// Other internal servers that need A records (Mediation, Persistent Chat, SQL).
    #[serde(default)]
    pub other_servers: Vec<OtherServer>,
    /// What is switched on.
    #[serde(default)]
    pub features: Features,
    /// Hybrid settings: users and domains homed Online (Skype for Business Online until its retirement in 2021,
    /// Teams since [S45]).
    #[serde(default)]
    pub hybrid: Option<Hybrid>,
    /// Choices where the sources disagree or the admin must decide.
    #[serde(default)]
    pub options: Options,
    /// Lab users the Autodiscover service knows: their SIP address, home pool and password hash.
    #[serde(default)]
    pub users: Vec<User>,
    /// How `lyncdns serve` serves this deployment (listeners, workers, zone files, limits).
    #[serde(default)]
    pub serve: Serve,
    /// TSIG keys that select views and authenticate zone transfers.
    #[serde(default)]
    pub keys: Vec<Key>,
}

/// A TSIG key (RFC 8945): a name, an algorithm and a secret, inline or in a file of its own.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Key {
    /// Its name, a domain name (`xfr-internal.lyncdude.net`), as the peers' configurations spell it.
    pub name: Spanned<String>,
    /// `hmac-sha256` (the default), `hmac-sha384`, `hmac-sha512` or `hmac-sha1`.
    #[serde(default)]
    pub algorithm: Option<Spanned<String>>,
    /// The secret in base64 (as `tsig-keygen` prints it).
    #[serde(default)]
    pub secret: Option<Spanned<String>>,
    /// A file holding the base64 secret, relative to the deployment file; read when serving or exporting.
    #[serde(default)]
    pub secret_file: Option<Spanned<std::path::PathBuf>>,
}

/// The SIP domains users sign in with.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sip {
    /// The primary SIP domain.
    pub primary_domain: Spanned<Fqdn>,
    /// Additional SIP domains served by the same deployment.
    #[serde(default)]
    pub additional_domains: Vec<Spanned<Fqdn>>,
}

/// DNS zones, SOA values and TTLs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dns {
    /// Zones the internal DNS serves. A zone equal to a SIP domain makes a split-brain DNS; a SIP domain with no
    /// internal zone above it gets pin-point zones ([S2], [S3]). Default: every on-premises SIP domain.
    #[serde(default)]
    pub internal_zones: Option<Vec<Spanned<Fqdn>>>,
    /// Zones the external DNS serves. Default: every SIP domain, Online ones included.
    #[serde(default)]
    pub external_zones: Option<Vec<Spanned<Fqdn>>>,
    /// SOA serial of every zone. Fixed rather than time-based, so that a plan is reproducible.
    #[serde(default = "default_serial")]
    pub serial: u32,
    /// Time-to-live values.
    #[serde(default)]
    pub ttl: Ttls,
}

impl Default for Dns {
    fn default() -> Self {
        Dns {
            internal_zones: None,
            external_zones: None,
            serial: default_serial(),
            ttl: Ttls::default(),
        }
    }
}

/// The serial when the file gives none.
fn default_serial() -> u32 {
    1
}

/// A DNS view: which clients it matches and what it serves.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct View {
    /// Its name (letters, digits, `-`, `_`); also a directory name in exports.
    pub name: Spanned<String>,
    /// Whether its clients are inside or outside.
    pub location: Location,
    /// Client prefixes it matches (IPv4 and IPv6). `0.0.0.0/0` and `::/0` make a catch-all.
    pub clients: Spanned<Vec<IpNet>>,
    /// The name servers named in its zones' NS records.
    #[serde(default)]
    pub nameservers: Vec<NameServer>,
    /// The SOA RNAME mailbox as a name (`hostmaster.contoso.com`). Default: `hostmaster.<zone>`.
    #[serde(default)]
    pub hostmaster: Option<Spanned<Fqdn>>,
    /// Response rate limiting: on or off, and rates overriding `[serve.rrl]`.
    #[serde(default)]
    pub rrl: Option<Spanned<ViewRrl>>,
    /// Names of `[[keys]]` whose signed queries and transfers select this view (a key selects one view only).
    #[serde(default)]
    pub transfer_keys: Vec<Spanned<String>>,
    /// Client prefixes that may transfer this view's zones without a key; empty: only with a key.
    #[serde(default)]
    pub allow_transfer: Vec<Spanned<IpNet>>,
    /// Secondaries (ADDR:PORT) sent a NOTIFY when a reload changes a zone of this view, signed with its first key.
    #[serde(default)]
    pub notify: Vec<std::net::SocketAddr>,
    /// How a reload that changes a zone of this view sets its SOA serial.
    #[serde(default)]
    pub serial_policy: crate::transfer::SerialPolicy,
    /// The name of this view's catalog zone (RFC 9432) listing its zones for secondaries; none by default.
    #[serde(default)]
    pub catalog: Option<Spanned<Fqdn>>,
}

/// A name server of a view.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NameServer {
    /// Its host name.
    pub fqdn: Spanned<Fqdn>,
    /// Its addresses; published as glue when its name lies in a zone of the view.
    #[serde(default)]
    pub addresses: Vec<IpAddr>,
}

/// A Front End or Director pool.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pool {
    /// The pool FQDN (for Standard Edition, the server's FQDN).
    pub fqdn: Spanned<Fqdn>,
    /// Standard or Enterprise.
    #[serde(default)]
    pub edition: Edition,
    /// DNS or hardware load balancing of SIP.
    #[serde(default)]
    pub load_balancing: LoadBalancing,
    /// The hardware load balancer's SIP VIP(s), when `load_balancing = "hardware"`.
    #[serde(default)]
    pub sip_vip: Vec<IpAddr>,
    /// The servers.
    pub servers: Spanned<Vec<Server>>,
    /// The pool's web services.
    pub web: WebServices,
}

/// One server and its addresses.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Server {
    /// Its FQDN.
    pub fqdn: Spanned<Fqdn>,
    /// Its IPv4 and IPv6 addresses.
    pub addresses: Spanned<Vec<IpAddr>>,
}

/// A pool's internal and external web services.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebServices {
    /// The internal web services FQDN; it must differ from the external one ([S9]).
    pub internal_fqdn: Spanned<Fqdn>,
    /// Its addresses: a hardware load balancer VIP for a pool of several servers, since web traffic cannot be
    /// DNS-load-balanced ([S1], [S2]).
    pub internal_addresses: Spanned<Vec<IpAddr>>,
    /// The external web services FQDN, published through the reverse proxy.
    pub external_fqdn: Spanned<Fqdn>,
}

/// The Edge pool.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Edge {
    /// The Edge pool's internal FQDN.
    pub internal_fqdn: Spanned<Fqdn>,
    /// The Edge servers (internal side).
    pub servers: Spanned<Vec<Server>>,
    /// The Access Edge service: SIP from outside, federation; `sip.<domain>` points here ([S1], [S7]).
    pub access: ExternalService,
    /// The Web Conferencing Edge service.
    pub webconf: ExternalService,
    /// The A/V Edge service.
    pub av: ExternalService,
}

/// An external Edge service: its FQDN and public addresses (the same addresses for all three in single-IP mode).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalService {
    /// Its public FQDN.
    pub fqdn: Spanned<Fqdn>,
    /// Its public addresses, one per Edge server with DNS load balancing.
    pub addresses: Spanned<Vec<IpAddr>>,
}

/// The reverse proxy publishing the external web services.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReverseProxy {
    /// Its public address(es).
    pub addresses: Spanned<Vec<IpAddr>>,
}

/// Simple URLs ([S1]).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimpleUrls {
    /// Meeting URL host names (one per SIP domain, or one shared).
    #[serde(default)]
    pub meet: Vec<Spanned<Fqdn>>,
    /// The dial-in conferencing URL host name.
    #[serde(default)]
    pub dialin: Option<Spanned<Fqdn>>,
    /// The administration URL host name (internal only).
    #[serde(default)]
    pub admin: Option<Spanned<Fqdn>>,
}

/// Office Web Apps Server.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfficeWebApps {
    /// Its internal FQDN.
    pub internal_fqdn: Spanned<Fqdn>,
    /// Its internal addresses (the OWAS pool VIP).
    pub internal_addresses: Spanned<Vec<IpAddr>>,
    /// Its external FQDN when published through the reverse proxy.
    #[serde(default)]
    pub external_fqdn: Option<Spanned<Fqdn>>,
}

/// Another internal server that needs A records ([S1]).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtherServer {
    /// Its role.
    pub role: ServerRole,
    /// Its FQDN.
    pub fqdn: Spanned<Fqdn>,
    /// Its addresses.
    pub addresses: Spanned<Vec<IpAddr>>,
}

/// Features that decide which records exist.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Features {
    /// Mobile clients and the Windows Store app (Autodiscover through the reverse proxy).
    #[serde(default = "yes")]
    pub mobility: bool,
    /// Federation and public IM connectivity.
    #[serde(default = "yes")]
    pub federation: bool,
    /// Push notifications to iOS / Windows Phone clients (needs `_sipfederationtls._tcp`, [S1], [S7]).
    #[serde(default)]
    pub push_notifications: bool,
    /// XMPP federation (Lync 2013 and Skype for Business 2015 only).
    #[serde(default = "no_spanned")]
    pub xmpp: Spanned<bool>,
    /// Clients older than Lync 2013 that find their server by SRV and A records only.
    #[serde(default = "yes")]
    pub legacy_clients: bool,
    /// Allow SIP over TCP (`_sipinternal._tcp`), looked up by clients only when TCP is allowed ([S3]).
    #[serde(default)]
    pub sip_tcp: bool,
    /// Lync Phone Edition desk phones.
    #[serde(default)]
    pub phones: Option<Phones>,
}

impl Default for Features {
    fn default() -> Self {
        Features {
            mobility: true,
            federation: true,
            push_notifications: false,
            xmpp: no_spanned(),
            legacy_clients: true,
            sip_tcp: false,
            phones: None,
        }
    }
}

/// `true`, for switches that are on unless the file says otherwise.
fn yes() -> bool {
    true
}

/// `false` at no place in the file, for `features.xmpp` when it is not written.
fn no_spanned() -> Spanned<bool> {
    Spanned::new(0..0, false)
}

/// Desk phone settings ([S1], [S21], [S22]).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Phones {
    /// The NTP server named by `_ntp._udp.<domain>`.
    pub ntp_server: Spanned<Fqdn>,
    /// Its addresses, if it lies in a zone this deployment serves.
    #[serde(default)]
    pub ntp_addresses: Vec<IpAddr>,
    /// Publish `ucupdates-r2.<domain>` for Device Update of phones that never signed in ([S1], [S38]).
    #[serde(default = "yes")]
    pub device_update: bool,
}

/// Hybrid and Online settings ([S28], [S37]).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hybrid {
    /// SIP domains hosted entirely Online (Microsoft 365; Teams since Skype for Business Online's retirement).
    #[serde(default)]
    pub online_domains: Vec<Spanned<Fqdn>>,
    /// On-premises domains shared with Online (split domain): DNS stays on-premises and Autodiscover redirects
    /// Online users.
    #[serde(default)]
    pub shared_address_space: bool,
    /// The Online Autodiscover URL users homed Online are redirected to.
    #[serde(default = "default_online_autodiscover")]
    pub autodiscover_url: String,
}

/// The Online Autodiscover URL hybrid deployments configure (`-AutodiscoverUrl`, [S37]).
fn default_online_autodiscover() -> String {
    "https://webdir.online.lync.com/Autodiscover/AutodiscoverService.svc/root".to_owned()
}

/// Choices where the sources disagree or the admin must decide.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Options {
    /// The pool that SIP domains' SRV and A records point at when there are several pools and no Director. The
    /// registrar redirects users to their home pool ([S40]). Default: the first pool.
    #[serde(default)]
    pub sign_in_pool: Option<Spanned<Fqdn>>,
    /// Whether `_sipinternaltls._tcp` is required.
    #[serde(default)]
    pub internal_srv: InternalSrv,
    /// What `lyncdiscoverinternal` points at.
    #[serde(default)]
    pub lyncdiscoverinternal_target: LyncdiscoverInternalTarget,
    /// Also answer `lyncdiscover.<domain>` in the internal view with the reverse proxy's public address, so that
    /// mobile clients on the LAN reach the externally certified service (the seed article's advice, [S1]).
    #[serde(default)]
    pub internal_lyncdiscover: bool,
    /// Publish `lyncdiscover` / `lyncdiscoverinternal` as addresses or CNAMEs.
    #[serde(default)]
    pub autodiscover_records: RecordStyle,
    /// Strict DNS naming: an SRV target must be a host directly in the SIP domain ([S2], [S10], [S23]). Set to
    /// false only where the `DisableStrictDNSNaming` policy is deployed to every client (phones ignore it).
    #[serde(default = "yes")]
    pub strict_dns_naming: bool,
    /// Allow private, loopback or link-local addresses in external views (labs and test beds only).
    #[serde(default)]
    pub allow_private_external: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            sign_in_pool: None,
            internal_srv: InternalSrv::default(),
            lyncdiscoverinternal_target: LyncdiscoverInternalTarget::default(),
            internal_lyncdiscover: false,
            autodiscover_records: RecordStyle::default(),
            strict_dns_naming: true,
            allow_private_external: false,
        }
    }
}

/// A lab user of the Autodiscover service.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    /// SIP address, `user@domain` (without `sip:`).
    pub sip: Spanned<String>,
    /// Home pool FQDN, or `online`.
    pub home: Spanned<Home>,
    /// Argon2id PHC string (`lyncdns hash-password` makes one); the password itself is never stored.
    pub password_hash: Spanned<String>,
    /// Lab only: the NT hash (32 hex digits, `lyncdns hash-password --nt`) that NTLM needs to verify the user at
    /// the WebTicket service. It is as good as the password for NTLM: keep it out of real deployments.
    #[serde(default)]
    pub nt_hash: Option<Spanned<String>>,
}

impl User {
    /// The domain of the SIP address, as [`checked::User::domain`] gives it.
    pub fn domain(&self) -> &str {
        checked::domain_of(self.sip.get_ref())
    }
}

/// The rules' views of a deployment as written, the same as the checked [`checked::Deployment`]'s.
impl Deployment {
    /// The on-premises SIP domains: the primary first, then the additional ones in file order.
    pub fn sip_domains(&self) -> Vec<&Fqdn> {
        std::iter::once(self.sip.primary_domain.get_ref())
            .chain(self.sip.additional_domains.iter().map(Spanned::get_ref))
            .collect()
    }

    /// SIP domains hosted Online (Microsoft 365).
    pub fn online_domains(&self) -> Vec<&Fqdn> {
        self.hybrid
            .iter()
            .flat_map(|h| h.online_domains.iter().map(Spanned::get_ref))
            .collect()
    }

    /// The zones served to clients at `location` (the configured list, or the documented default).
    pub fn zones(&self, location: Location) -> Vec<&Fqdn> {
        let configured = match location {
            Location::Internal => &self.dns.internal_zones,
            Location::External => &self.dns.external_zones,
        };
        crate::zones_or_default(
            location,
            configured
                .as_ref()
                .map(|zones| zones.iter().map(Spanned::get_ref).collect()),
            self.sip_domains(),
            self.online_domains(),
        )
    }

    /// True if `domain` is one of this deployment's SIP domains (on-premises or Online).
    pub fn is_sip_domain(&self, domain: &str) -> bool {
        self.sip_domains()
            .iter()
            .chain(self.online_domains().iter())
            .any(|d| d.as_str() == domain)
    }
}

/// The values of a list, without their spans.
fn plain<T>(list: Vec<Spanned<T>>) -> Vec<T> {
    list.into_iter().map(Spanned::into_inner).collect()
}

/// From the file as written to the checked description. Each conversion takes every field apart, so that a field
/// added here and forgotten there does not compile.
impl Deployment {
    /// The checked description, without spans; only for a deployment the topology rules accepted (`load` calls it
    /// after `validate`).
    pub fn into_checked(self) -> checked::Deployment {
        let Deployment {
            version,
            name,
            product,
            sip,
            dns,
            views,
            pools,
            director,
            edge,
            reverse_proxy,
            simple_urls,
            office_web_apps,
            other_servers,
            features,
            hybrid,
            options,
            users,
            serve,
            keys,
        } = self;
        checked::Deployment {
            version: version.into_inner(),
            name,
            product,
            sip: sip.into_checked(),
            dns: dns.into_checked(),
            views: views
                .into_iter()
                .map(|v| v.into_checked(&serve.rrl))
                .collect(),
            pools: pools.into_iter().map(Pool::into_checked).collect(),
            director: director.map(Pool::into_checked),
            edge: edge.map(Edge::into_checked),
            reverse_proxy: reverse_proxy.map(ReverseProxy::into_checked),
            simple_urls: simple_urls.into_checked(),
            office_web_apps: office_web_apps.map(OfficeWebApps::into_checked),
            other_servers: other_servers
                .into_iter()
                .map(OtherServer::into_checked)
                .collect(),
            features: features.into_checked(),
            hybrid: hybrid.map(Hybrid::into_checked),
            options: options.into_checked(),
            users: users.into_iter().map(User::into_checked).collect(),
            serve,
            keys: keys.into_iter().map(Key::into_checked).collect(),
        }
    }
}

impl Sip {
    /// Without spans.
    fn into_checked(self) -> checked::Sip {
        let Sip {
            primary_domain,
            additional_domains,
        } = self;
        checked::Sip {
            primary_domain: primary_domain.into_inner(),
            additional_domains: plain(additional_domains),
        }
    }
}

impl Dns {
    /// Without spans.
    fn into_checked(self) -> checked::Dns {
        let Dns {
            internal_zones,
            external_zones,
            serial,
            ttl,
        } = self;
        checked::Dns {
            internal_zones: internal_zones.map(plain),
            external_zones: external_zones.map(plain),
            serial,
            ttl,
        }
    }
}

impl View {
    /// Without spans; `rrl` resolved over the server-wide `defaults`.
    fn into_checked(self, defaults: &checked::RrlDefaults) -> checked::View {
        let View {
            name,
            location,
            clients,
            nameservers,
            hostmaster,
            rrl,
            transfer_keys,
            allow_transfer,
            notify,
            serial_policy,
            catalog,
        } = self;
        checked::View {
            rrl: ViewRrl::resolve(rrl.as_ref().map(Spanned::get_ref), location, defaults),
            name: name.into_inner(),
            location,
            clients: clients.into_inner(),
            nameservers: nameservers
                .into_iter()
                .map(NameServer::into_checked)
                .collect(),
            hostmaster: hostmaster.map(Spanned::into_inner),
            transfer: crate::transfer::ViewTransfer {
                keys: transfer_keys
                    .into_iter()
                    .map(|k| k.into_inner().trim_end_matches('.').to_ascii_lowercase())
                    .collect(),
                allow: plain(allow_transfer),
                notify,
                serial_policy,
                catalog: catalog.map(Spanned::into_inner),
            },
        }
    }
}

impl Key {
    /// Without spans; only for a key the rules accepted (a valid name, algorithm and secret, exactly one of
    /// `secret` and `secret_file`).
    fn into_checked(self) -> crate::transfer::TransferKey {
        use crate::transfer::{KeySecret, TransferKey};
        use lyncdns_dnsdata::tsig::{TsigAlgorithm, TsigKey};
        let algorithm = self
            .algorithm
            .map(|a| a.into_inner().parse().expect("checked by validate"))
            .unwrap_or(TsigAlgorithm::HmacSha256);
        let name = self.name.into_inner();
        let secret = match (self.secret, self.secret_file) {
            (Some(secret), _) => KeySecret::Inline(
                TsigKey::from_base64(&name, algorithm, secret.get_ref())
                    .expect("checked by validate"),
            ),
            (None, Some(file)) => KeySecret::File(file.into_inner()),
            (None, None) => unreachable!("checked by validate"),
        };
        TransferKey {
            name: name.trim_end_matches('.').to_ascii_lowercase(),
            algorithm,
            secret,
        }
    }
}

impl NameServer {
    /// Without spans.
    fn into_checked(self) -> checked::NameServer {
        let NameServer { fqdn, addresses } = self;
        checked::NameServer {
            fqdn: fqdn.into_inner(),
            addresses,
        }
    }
}

impl Pool {
    /// Without spans.
    fn into_checked(self) -> checked::Pool {
        let Pool {
            fqdn,
            edition,
            load_balancing,
            sip_vip,
            servers,
            web,
        } = self;
        checked::Pool {
            fqdn: fqdn.into_inner(),
            edition,
            load_balancing,
            sip_vip,
            servers: servers
                .into_inner()
                .into_iter()
                .map(Server::into_checked)
                .collect(),
            web: web.into_checked(),
        }
    }
}

impl Server {
    /// Without spans.
    fn into_checked(self) -> checked::Server {
        let Server { fqdn, addresses } = self;
        checked::Server {
            fqdn: fqdn.into_inner(),
            addresses: addresses.into_inner(),
        }
    }
}

impl WebServices {
    /// Without spans.
    fn into_checked(self) -> checked::WebServices {
        let WebServices {
            internal_fqdn,
            internal_addresses,
            external_fqdn,
        } = self;
        checked::WebServices {
            internal_fqdn: internal_fqdn.into_inner(),
            internal_addresses: internal_addresses.into_inner(),
            external_fqdn: external_fqdn.into_inner(),
        }
    }
}

impl Edge {
    /// Without spans.
    fn into_checked(self) -> checked::Edge {
        let Edge {
            internal_fqdn,
            servers,
            access,
            webconf,
            av,
        } = self;
        checked::Edge {
            internal_fqdn: internal_fqdn.into_inner(),
            servers: servers
                .into_inner()
                .into_iter()
                .map(Server::into_checked)
                .collect(),
            access: access.into_checked(),
            webconf: webconf.into_checked(),
            av: av.into_checked(),
        }
    }
}

impl ExternalService {
    /// Without spans.
    fn into_checked(self) -> checked::ExternalService {
        let ExternalService { fqdn, addresses } = self;
        checked::ExternalService {
            fqdn: fqdn.into_inner(),
            addresses: addresses.into_inner(),
        }
    }
}

impl ReverseProxy {
    /// Without spans.
    fn into_checked(self) -> checked::ReverseProxy {
        let ReverseProxy { addresses } = self;
        checked::ReverseProxy {
            addresses: addresses.into_inner(),
        }
    }
}

impl SimpleUrls {
    /// Without spans.
    fn into_checked(self) -> checked::SimpleUrls {
        let SimpleUrls {
            meet,
            dialin,
            admin,
        } = self;
        checked::SimpleUrls {
            meet: plain(meet),
            dialin: dialin.map(Spanned::into_inner),
            admin: admin.map(Spanned::into_inner),
        }
    }
}

impl OfficeWebApps {
    /// Without spans.
    fn into_checked(self) -> checked::OfficeWebApps {
        let OfficeWebApps {
            internal_fqdn,
            internal_addresses,
            external_fqdn,
        } = self;
        checked::OfficeWebApps {
            internal_fqdn: internal_fqdn.into_inner(),
            internal_addresses: internal_addresses.into_inner(),
            external_fqdn: external_fqdn.map(Spanned::into_inner),
        }
    }
}

impl OtherServer {
    /// Without spans.
    fn into_checked(self) -> checked::OtherServer {
        let OtherServer {
            role,
            fqdn,
            addresses,
        } = self;
        checked::OtherServer {
            role,
            fqdn: fqdn.into_inner(),
            addresses: addresses.into_inner(),
        }
    }
}

impl Features {
    /// Without spans.
    fn into_checked(self) -> checked::Features {
        let Features {
            mobility,
            federation,
            push_notifications,
            xmpp,
            legacy_clients,
            sip_tcp,
            phones,
        } = self;
        checked::Features {
            mobility,
            federation,
            push_notifications,
            xmpp: xmpp.into_inner(),
            legacy_clients,
            sip_tcp,
            phones: phones.map(Phones::into_checked),
        }
    }
}

impl Phones {
    /// Without spans.
    fn into_checked(self) -> checked::Phones {
        let Phones {
            ntp_server,
            ntp_addresses,
            device_update,
        } = self;
        checked::Phones {
            ntp_server: ntp_server.into_inner(),
            ntp_addresses,
            device_update,
        }
    }
}

impl Hybrid {
    /// Without spans.
    fn into_checked(self) -> checked::Hybrid {
        let Hybrid {
            online_domains,
            shared_address_space,
            autodiscover_url,
        } = self;
        checked::Hybrid {
            online_domains: plain(online_domains),
            shared_address_space,
            autodiscover_url,
        }
    }
}

impl Options {
    /// Without spans.
    fn into_checked(self) -> checked::Options {
        let Options {
            sign_in_pool,
            internal_srv,
            lyncdiscoverinternal_target,
            internal_lyncdiscover,
            autodiscover_records,
            strict_dns_naming,
            allow_private_external,
        } = self;
        checked::Options {
            sign_in_pool: sign_in_pool.map(Spanned::into_inner),
            internal_srv,
            lyncdiscoverinternal_target,
            internal_lyncdiscover,
            autodiscover_records,
            strict_dns_naming,
            allow_private_external,
        }
    }
}

impl User {
    /// Without spans.
    fn into_checked(self) -> checked::User {
        let User {
            sip,
            home,
            password_hash,
            nt_hash,
        } = self;
        checked::User {
            sip: sip.into_inner(),
            home: home.into_inner(),
            password_hash: password_hash.into_inner(),
            nt_hash: nt_hash.map(Spanned::into_inner),
        }
    }
}
