//! The checked deployment description: plain values (no spans), with the topology's rules already holding.
//!
//! These are the types every other crate reads. A [`Deployment`] comes only out of [`load`](crate::load) (or
//! [`embedded`](crate::embedded)), which reads the file as written (the crate's private `raw` module, with its
//! spans, defaults and `deny_unknown_fields`), checks the rules, then converts; each field's documentation says
//! what the rules guarantee about it. Defaults follow `docs/lync.md` and are already applied here.
//!
//! Types with nothing to point an error at (the enums, [`Ttls`], [`Serve`], [`Home`]) are also the file's own: they
//! keep their serde attributes and defaults, and the raw description reads them as they are.

use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use crate::Fqdn;

/// The source keys cited in this module's docs (`[S1]` …), as links to their entries.
#[cfg(doc)]
#[allow(unused_imports)]
use lyncdns_lync::sources::*;

/// A whole deployment, checked: SIP domains, DNS zones and views, server roles, features and options.
///
/// Built only by [`load`](crate::load) (it is `non_exhaustive`); its fields are public to read, and for the few
/// changes the binary makes after loading (lab users, `--rotation`), which keep the rules.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Deployment {
    /// Format version of the file; always `1`, the only one that exists.
    pub version: u32,
    /// A human name for reports.
    pub name: Option<String>,
    /// The server product; it decides which features exist (XMPP is gone in 2019, [S1]).
    pub product: Product,
    /// The SIP domains.
    pub sip: Sip,
    /// DNS zones, serial and TTLs.
    pub dns: Dns,
    /// The DNS views, matched by client address in order (first match wins); at least one, names unique.
    pub views: Vec<View>,
    /// Front End pools (Standard Edition servers are pools of one); at least one.
    pub pools: Vec<Pool>,
    /// An optional Director pool, which authenticates and redirects but homes no users ([S40]).
    pub director: Option<Pool>,
    /// The Edge pool, for remote access and federation; present if federation, push notifications or XMPP is on.
    pub edge: Option<Edge>,
    /// The reverse proxy that publishes the external web services; present if mobility is on.
    pub reverse_proxy: Option<ReverseProxy>,
    /// Simple URLs (meet, dialin, admin).
    pub simple_urls: SimpleUrls,
    /// Office Web Apps Server, if deployed.
    pub office_web_apps: Option<OfficeWebApps>,
    /// Other internal servers that need A records (Mediation, Persistent Chat, SQL).
    pub other_servers: Vec<OtherServer>,
    /// What is switched on.
    pub features: Features,
    /// Hybrid settings: users and domains homed Online (Skype for Business Online until its retirement in 2021,
    /// Teams since [S45]).
    pub hybrid: Option<Hybrid>,
    /// Choices where the sources disagree or the admin must decide.
    pub options: Options,
    /// Lab users the Autodiscover service knows: their SIP address, home pool and password hash; each once.
    pub users: Vec<User>,
    /// How `lyncdns serve` serves this deployment (listeners, workers, zone files, limits).
    pub serve: Serve,
    /// TSIG keys (RFC 8945) that select views and authenticate zone transfers; names unique.
    pub keys: Vec<crate::transfer::TransferKey>,
}

/// The Lync / Skype for Business Server product generation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Product {
    /// Lync Server 2013.
    #[serde(rename = "lync-2013")]
    Lync2013,
    /// Skype for Business Server 2015 (the default: the most deployed generation that still has every feature).
    #[default]
    #[serde(rename = "skype-2015")]
    Skype2015,
    /// Skype for Business Server 2019 (no XMPP gateway, no MCX mobility; [S1], [S9]).
    #[serde(rename = "skype-2019")]
    Skype2019,
}

/// The SIP domains users sign in with.
#[derive(Debug, Clone)]
pub struct Sip {
    /// The primary SIP domain.
    pub primary_domain: Fqdn,
    /// Additional SIP domains served by the same deployment.
    pub additional_domains: Vec<Fqdn>,
}

/// DNS zones, SOA values and TTLs.
#[derive(Debug, Clone)]
pub struct Dns {
    /// Zones the internal DNS serves, each once. A zone equal to a SIP domain makes a split-brain DNS; a SIP
    /// domain with no internal zone above it gets pin-point zones ([S2], [S3]). `None` if the file sets none:
    /// [`Deployment::zones`] then gives the default, every on-premises SIP domain.
    pub internal_zones: Option<Vec<Fqdn>>,
    /// Zones the external DNS serves, each once. `None` if the file sets none: every SIP domain, Online ones
    /// included.
    pub external_zones: Option<Vec<Fqdn>>,
    /// SOA serial of every zone. Fixed rather than time-based, so that a plan is reproducible.
    pub serial: u32,
    /// Time-to-live values.
    pub ttl: Ttls,
}

/// TTLs in seconds.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ttls {
    /// Address and alias records. One hour: Microsoft's Online records use it ([S28]).
    #[serde(default = "default_ttl")]
    pub default: u32,
    /// SRV records. One hour as well; Microsoft's on-premises examples use a day ([S2], [S3]).
    #[serde(default = "default_ttl")]
    pub srv: u32,
    /// SOA and NS records.
    #[serde(default = "default_ttl")]
    pub soa: u32,
    /// Negative-caching TTL (SOA MINIMUM, RFC 2308): short, so a record added during a deployment shows up soon.
    #[serde(default = "default_negative_ttl")]
    pub negative: u32,
}

impl Default for Ttls {
    fn default() -> Self {
        Ttls {
            default: default_ttl(),
            srv: default_ttl(),
            soa: default_ttl(),
            negative: default_negative_ttl(),
        }
    }
}

fn default_ttl() -> u32 {
    3600
}

fn default_negative_ttl() -> u32 {
    300
}

/// Where a view's clients are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Location {
    /// On the corporate network: gets internal addresses.
    Internal,
    /// On the Internet: gets public addresses only.
    External,
}

impl Location {
    /// `internal` or `external`.
    pub fn as_str(self) -> &'static str {
        match self {
            Location::Internal => "internal",
            Location::External => "external",
        }
    }
}

/// A DNS view: which clients it matches and what it serves.
#[derive(Debug, Clone)]
pub struct View {
    /// Its name: letters, digits, `-`, `_`, unique among the views; also a directory name in exports.
    pub name: String,
    /// Whether its clients are inside or outside.
    pub location: Location,
    /// Client prefixes it matches (IPv4 and IPv6), at least one, none with host bits set. `0.0.0.0/0` and `::/0`
    /// make a catch-all.
    pub clients: Vec<IpNet>,
    /// The name servers named in its zones' NS records; at least one.
    pub nameservers: Vec<NameServer>,
    /// The SOA RNAME mailbox as a name (`hostmaster.contoso.com`). Default: `hostmaster.<zone>`.
    pub hostmaster: Option<Fqdn>,
    /// Which TSIG keys select this view and who may transfer its zones.
    pub transfer: crate::transfer::ViewTransfer,
    /// Response rate limiting of its UDP answers, or None when off: on by default for an external view with the
    /// `[serve.rrl]` rates, off for an internal one (its `rrl` table may turn it on or off and change the rates).
    pub rrl: Option<Rrl>,
}

/// Response rate limiting (RRL) of a view's UDP answers, as BIND, Knot and NSD do it: each client prefix may
/// receive so many answers per second per class of answer; past that, every `slip`-th answer is sent truncated
/// (so a real client retries over TCP, which is never limited) and the others are dropped. A rate of 0 leaves
/// that class unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rrl {
    /// Ordinary answers (NOERROR: data, no data, referrals) per second per client prefix.
    pub responses_per_second: u32,
    /// Error answers (REFUSED, FORMERR, SERVFAIL, …) per second per client prefix.
    pub errors_per_second: u32,
    /// NXDOMAIN answers per second per client prefix.
    pub nxdomains_per_second: u32,
    /// Every `slip`-th limited answer is sent truncated, the others dropped; 0: all dropped, 1: all truncated.
    pub slip: u8,
    /// Length of the IPv4 prefix counted as one client.
    pub prefix_v4: u8,
    /// Length of the IPv6 prefix counted as one client.
    pub prefix_v6: u8,
}

/// `[serve.rrl]`: the response rate limiting every external view gets unless its own `rrl` table says otherwise.
/// The defaults are NSD's (`rrl-ratelimit: 200`, `rrl-slip: 2`, `rrl-ipv4-prefix-length: 24`,
/// `rrl-ipv6-prefix-length: 64`, here 56 like the TCP per-prefix limit); errors and NXDOMAIN get the same rate, as
/// BIND's `errors-per-second` and `nxdomains-per-second` default to `responses-per-second`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RrlDefaults {
    /// Ordinary answers per second per client prefix (0: unlimited).
    #[serde(default = "default_rrl_rate")]
    pub responses_per_second: u32,
    /// Error answers per second per client prefix (0: unlimited). Default: `responses_per_second`.
    #[serde(default)]
    pub errors_per_second: Option<u32>,
    /// NXDOMAIN answers per second per client prefix (0: unlimited). Default: `responses_per_second`.
    #[serde(default)]
    pub nxdomains_per_second: Option<u32>,
    /// Every `slip`-th limited answer is sent truncated, the others dropped (0 to 10).
    #[serde(default = "default_rrl_slip")]
    pub slip: u8,
    /// The IPv4 prefix length counted as one client.
    #[serde(default = "default_tcp_prefix_v4")]
    pub prefix_v4: u8,
    /// The IPv6 prefix length counted as one client.
    #[serde(default = "default_tcp_prefix_v6")]
    pub prefix_v6: u8,
}

impl Default for RrlDefaults {
    fn default() -> Self {
        RrlDefaults {
            responses_per_second: default_rrl_rate(),
            errors_per_second: None,
            nxdomains_per_second: None,
            slip: default_rrl_slip(),
            prefix_v4: default_tcp_prefix_v4(),
            prefix_v6: default_tcp_prefix_v6(),
        }
    }
}

/// A view's `rrl` table: turns rate limiting on or off for the view and overrides `[serve.rrl]`'s rates.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ViewRrl {
    /// On or off. Default: on for an external view, off for an internal one.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// Overrides `[serve.rrl] responses_per_second`.
    #[serde(default)]
    pub responses_per_second: Option<u32>,
    /// Overrides `[serve.rrl] errors_per_second`.
    #[serde(default)]
    pub errors_per_second: Option<u32>,
    /// Overrides `[serve.rrl] nxdomains_per_second`.
    #[serde(default)]
    pub nxdomains_per_second: Option<u32>,
    /// Overrides `[serve.rrl] slip`.
    #[serde(default)]
    pub slip: Option<u8>,
}

impl ViewRrl {
    /// The limits of a view at `location` with this table (or none), over the server-wide `defaults`.
    pub fn resolve(
        view: Option<&ViewRrl>,
        location: Location,
        defaults: &RrlDefaults,
    ) -> Option<Rrl> {
        let v = view.copied().unwrap_or_default();
        if !v.enabled.unwrap_or(location == Location::External) {
            return None;
        }
        let responses = v
            .responses_per_second
            .unwrap_or(defaults.responses_per_second);
        Some(Rrl {
            responses_per_second: responses,
            errors_per_second: v
                .errors_per_second
                .or(defaults.errors_per_second)
                .unwrap_or(responses),
            nxdomains_per_second: v
                .nxdomains_per_second
                .or(defaults.nxdomains_per_second)
                .unwrap_or(responses),
            slip: v.slip.unwrap_or(defaults.slip),
            prefix_v4: defaults.prefix_v4,
            prefix_v6: defaults.prefix_v6,
        })
    }
}

/// The most answers per second per client a rate may allow (the limiter counts thousandths in 32 bits).
pub const RRL_RATE_MAX: u32 = 1_000_000;
/// The largest `slip` (BIND's limit).
pub const RRL_SLIP_MAX: u8 = 10;

fn default_rrl_rate() -> u32 {
    200
}

fn default_rrl_slip() -> u8 {
    2
}

/// A name server of a view.
#[derive(Debug, Clone)]
pub struct NameServer {
    /// Its host name.
    pub fqdn: Fqdn,
    /// Its addresses; published as glue when its name lies in a zone of the view (public ones only in an external
    /// view, unless `options.allow_private_external`).
    pub addresses: Vec<IpAddr>,
}

/// Standard or Enterprise Edition.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Edition {
    /// One server; the pool FQDN is the server's FQDN.
    Standard,
    /// Several Front End servers behind one pool FQDN.
    #[default]
    Enterprise,
}

/// How SIP traffic is spread over a pool's servers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LoadBalancing {
    /// The pool FQDN resolves to every server's address; clients try each in turn ([S1], [S2]).
    #[default]
    Dns,
    /// The pool FQDN resolves to a hardware load balancer's VIP.
    Hardware,
}

/// A Front End or Director pool.
#[derive(Debug, Clone)]
pub struct Pool {
    /// The pool FQDN (for Standard Edition, the server's FQDN).
    pub fqdn: Fqdn,
    /// Standard or Enterprise.
    pub edition: Edition,
    /// DNS or hardware load balancing of SIP.
    pub load_balancing: LoadBalancing,
    /// The hardware load balancer's SIP VIP(s); at least one when `load_balancing = "hardware"`.
    pub sip_vip: Vec<IpAddr>,
    /// The servers: at least one, exactly one for Standard Edition.
    pub servers: Vec<Server>,
    /// The pool's web services.
    pub web: WebServices,
}

/// One server and its addresses.
#[derive(Debug, Clone)]
pub struct Server {
    /// Its FQDN.
    pub fqdn: Fqdn,
    /// Its IPv4 and IPv6 addresses; at least one.
    pub addresses: Vec<IpAddr>,
}

/// A pool's internal and external web services.
#[derive(Debug, Clone)]
pub struct WebServices {
    /// The internal web services FQDN; it differs from the external one ([S9]), and is the pool FQDN only if that
    /// is not DNS-load-balanced over several servers.
    pub internal_fqdn: Fqdn,
    /// Its addresses, at least one: a hardware load balancer VIP for a pool of several servers, since web traffic
    /// cannot be DNS-load-balanced ([S1], [S2]).
    pub internal_addresses: Vec<IpAddr>,
    /// The external web services FQDN, published through the reverse proxy.
    pub external_fqdn: Fqdn,
}

/// The Edge pool.
#[derive(Debug, Clone)]
pub struct Edge {
    /// The Edge pool's internal FQDN.
    pub internal_fqdn: Fqdn,
    /// The Edge servers (internal side); at least one.
    pub servers: Vec<Server>,
    /// The Access Edge service: SIP from outside, federation; `sip.<domain>` points here ([S1], [S7]).
    pub access: ExternalService,
    /// The Web Conferencing Edge service.
    pub webconf: ExternalService,
    /// The A/V Edge service.
    pub av: ExternalService,
}

/// An external Edge service: its FQDN and public addresses (the same addresses for all three in single-IP mode).
#[derive(Debug, Clone)]
pub struct ExternalService {
    /// Its public FQDN.
    pub fqdn: Fqdn,
    /// Its public addresses, one per Edge server with DNS load balancing; at least one, and public unless
    /// `options.allow_private_external`.
    pub addresses: Vec<IpAddr>,
}

/// The reverse proxy publishing the external web services.
#[derive(Debug, Clone)]
pub struct ReverseProxy {
    /// Its public address(es); public unless `options.allow_private_external`.
    pub addresses: Vec<IpAddr>,
}

/// Simple URLs ([S1]).
#[derive(Debug, Clone)]
pub struct SimpleUrls {
    /// Meeting URL host names (one per SIP domain, or one shared).
    pub meet: Vec<Fqdn>,
    /// The dial-in conferencing URL host name.
    pub dialin: Option<Fqdn>,
    /// The administration URL host name (internal only).
    pub admin: Option<Fqdn>,
}

/// Office Web Apps Server.
#[derive(Debug, Clone)]
pub struct OfficeWebApps {
    /// Its internal FQDN.
    pub internal_fqdn: Fqdn,
    /// Its internal addresses (the OWAS pool VIP); at least one.
    pub internal_addresses: Vec<IpAddr>,
    /// Its external FQDN when published through the reverse proxy.
    pub external_fqdn: Option<Fqdn>,
}

/// The role of an [`OtherServer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServerRole {
    /// Mediation Server.
    Mediation,
    /// Persistent Chat server.
    PersistentChat,
    /// SQL back end or mirror.
    Sql,
    /// Anything else that needs an internal A record.
    Other,
}

/// Another internal server that needs A records ([S1]).
#[derive(Debug, Clone)]
pub struct OtherServer {
    /// Its role.
    pub role: ServerRole,
    /// Its FQDN.
    pub fqdn: Fqdn,
    /// Its addresses; at least one.
    pub addresses: Vec<IpAddr>,
}

/// Features that decide which records exist.
#[derive(Debug, Clone)]
pub struct Features {
    /// Mobile clients and the Windows Store app (Autodiscover through the reverse proxy).
    pub mobility: bool,
    /// Federation and public IM connectivity.
    pub federation: bool,
    /// Push notifications to iOS / Windows Phone clients (needs `_sipfederationtls._tcp`, [S1], [S7]).
    pub push_notifications: bool,
    /// XMPP federation; never on for Skype for Business 2019, which has no XMPP gateway ([S1]).
    pub xmpp: bool,
    /// Clients older than Lync 2013 that find their server by SRV and A records only.
    pub legacy_clients: bool,
    /// Allow SIP over TCP (`_sipinternal._tcp`), looked up by clients only when TCP is allowed ([S3]).
    pub sip_tcp: bool,
    /// Lync Phone Edition desk phones.
    pub phones: Option<Phones>,
}

/// Desk phone settings ([S1], [S21], [S22]).
#[derive(Debug, Clone)]
pub struct Phones {
    /// The NTP server named by `_ntp._udp.<domain>`.
    pub ntp_server: Fqdn,
    /// Its addresses, if it lies in a zone this deployment serves.
    pub ntp_addresses: Vec<IpAddr>,
    /// Publish `ucupdates-r2.<domain>` for Device Update of phones that never signed in ([S1], [S38]).
    pub device_update: bool,
}

/// Hybrid and Online settings ([S28], [S37]).
#[derive(Debug, Clone)]
pub struct Hybrid {
    /// SIP domains hosted entirely Online (Microsoft 365; Teams since Skype for Business Online's retirement).
    pub online_domains: Vec<Fqdn>,
    /// On-premises domains shared with Online (split domain): DNS stays on-premises and Autodiscover redirects
    /// Online users.
    pub shared_address_space: bool,
    /// The Online Autodiscover URL users homed Online are redirected to.
    pub autodiscover_url: String,
}

/// Whether `_sipinternaltls._tcp` is planned as required (see `docs/lync.md` §1.4, DISAGREE).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InternalSrv {
    /// Required, as the Lync 2013 docs say ([S10]): desktop clients fall back to it whenever Autodiscover fails,
    /// and it costs nothing to publish. The default.
    #[default]
    Required,
    /// Required only for clients older than Lync 2013 and desk phones, as the SfB 2015 docs say ([S1] fn. 2).
    LegacyOnly,
}

/// What `lyncdiscoverinternal.<domain>` points at (see `docs/lync.md` §1.4, DISAGREE).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LyncdiscoverInternalTarget {
    /// The internal web services of the Director, else the Front End pool ([S5]). The default: internal clients
    /// then stay on the internal network, and mobile clients still get external URLs in the response ([S3]).
    #[default]
    InternalWeb,
    /// The reverse proxy's public address, for sites whose mobile devices resolve internally ([S1]).
    ReverseProxy,
}

/// How Autodiscover names are published.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RecordStyle {
    /// A/AAAA records with the target's addresses. The default: works for every client and never crosses domains.
    #[default]
    Address,
    /// A CNAME to the web services FQDN, when that FQDN lies in the same SIP domain (a CNAME into another domain
    /// breaks HTTPS for mobile clients, [S5]); otherwise address records are planned and the plan says why.
    Cname,
}

/// Choices where the sources disagree or the admin must decide.
#[derive(Debug, Clone)]
pub struct Options {
    /// The pool that SIP domains' SRV and A records point at when there are several pools and no Director. The
    /// registrar redirects users to their home pool ([S40]). One of the Front End pools' FQDNs; `None`: the first
    /// pool.
    pub sign_in_pool: Option<Fqdn>,
    /// Whether `_sipinternaltls._tcp` is required.
    pub internal_srv: InternalSrv,
    /// What `lyncdiscoverinternal` points at.
    pub lyncdiscoverinternal_target: LyncdiscoverInternalTarget,
    /// Also answer `lyncdiscover.<domain>` in the internal view with the reverse proxy's public address, so that
    /// mobile clients on the LAN reach the externally certified service (the seed article's advice, [S1]).
    pub internal_lyncdiscover: bool,
    /// Publish `lyncdiscover` / `lyncdiscoverinternal` as addresses or CNAMEs.
    pub autodiscover_records: RecordStyle,
    /// Strict DNS naming: an SRV target must be a host directly in the SIP domain ([S2], [S10], [S23]). Set to
    /// false only where the `DisableStrictDNSNaming` policy is deployed to every client (phones ignore it).
    pub strict_dns_naming: bool,
    /// Allow private, loopback or link-local addresses in external views (labs and test beds only).
    pub allow_private_external: bool,
}

/// Order of the addresses of a DNS-load-balanced name in successive answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rotation {
    /// A random order per answer: clients try the addresses in the order received, so load spreads evenly
    /// even when many clients start at once ([S2]). The default.
    #[default]
    Shuffle,
    /// Each answer starts one address further (per server worker).
    RoundRobin,
    /// Always the order of the deployment file.
    None,
}

/// `lyncdns serve` settings; every one can be overridden on the command line.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Serve {
    /// DNS listeners (UDP and TCP on each), e.g. `["127.0.0.1:5300", "[::1]:5300"]`.
    #[serde(default)]
    pub dns: Vec<std::net::SocketAddr>,
    /// UDP worker threads per listener (each with its own `SO_REUSEPORT` socket). Default: the number of CPUs.
    #[serde(default)]
    pub workers: Option<usize>,
    /// Prometheus `/metrics` listener.
    #[serde(default)]
    pub metrics: Option<std::net::SocketAddr>,
    /// Address order of DNS-load-balanced names.
    #[serde(default)]
    pub rotation: Rotation,
    /// Log every query (at info level, target `lyncdns::query`).
    #[serde(default)]
    pub query_log: bool,
    /// The largest UDP response we send to EDNS clients (RFC 6891 §6.2.5); 1232 avoids IP fragmentation.
    #[serde(default = "default_udp_payload")]
    pub max_udp_payload: u16,
    /// Close a TCP connection idle this long (RFC 7766 §6.2.3).
    #[serde(default = "default_tcp_idle_ms")]
    pub tcp_idle_timeout_ms: u64,
    /// At most this many TCP connections at once, across every listener; more are closed at once (RFC 7766
    /// §6.2.2). Capped below the file descriptor limit (`ulimit -n`), keeping a quarter of it free.
    #[serde(default = "default_tcp_max")]
    pub tcp_max_connections: usize,
    /// Resolvers whose EDNS Client Subnet option chooses the view. Empty (the default): the option is ignored,
    /// because anyone can write any subnet into it, and an external client claiming an internal subnet would get
    /// the internal view.
    #[serde(default)]
    pub ecs_trusted: Vec<IpNet>,
    /// RFC 1035 master files served per view, by view name; a file's zone replaces a planned zone of the same name.
    #[serde(default)]
    pub zone_files: std::collections::BTreeMap<String, Vec<std::path::PathBuf>>,
    /// Autodiscover over plain HTTP (answers the root with a redirect to HTTPS).
    #[serde(default)]
    pub http: Option<std::net::SocketAddr>,
    /// Autodiscover over HTTPS.
    #[serde(default)]
    pub https: Option<std::net::SocketAddr>,
    /// PEM certificate chain for HTTPS (with `key`); without it, the lab CA issues one.
    #[serde(default)]
    pub cert: Option<std::path::PathBuf>,
    /// PEM private key for `cert`.
    #[serde(default)]
    pub key: Option<std::path::PathBuf>,
    /// Directory of the lab CA (`ca.pem`, `ca.key`), created on first start. Default: `lyncdns-lab-ca`.
    #[serde(default)]
    pub lab_ca: Option<std::path::PathBuf>,
    /// Lifetime of Autodiscover access tokens, in seconds.
    #[serde(default = "default_token_lifetime")]
    pub token_lifetime_s: u64,
    /// Time to read the rest of a TCP message once it started arriving, and to write an answer: a client that
    /// pipelines queries and does not read its answers is closed after this long.
    #[serde(default = "default_tcp_io_timeout_ms")]
    pub tcp_io_timeout_ms: u64,
    /// The TCP idle timeout while three quarters of `tcp_max_connections` or more are open (RFC 7766 §6.2.3).
    #[serde(default = "default_tcp_busy_idle_timeout_ms")]
    pub tcp_busy_idle_timeout_ms: u64,
    /// At most this many TCP connections from one client prefix (`tcp_prefix_v4`, `tcp_prefix_v6`) at once.
    #[serde(default = "default_tcp_max_per_prefix")]
    pub tcp_max_per_prefix: usize,
    /// The IPv4 prefix length counted as one client by `tcp_max_per_prefix`.
    #[serde(default = "default_tcp_prefix_v4")]
    pub tcp_prefix_v4: u8,
    /// The IPv6 prefix length counted as one client by `tcp_max_per_prefix`.
    #[serde(default = "default_tcp_prefix_v6")]
    pub tcp_prefix_v6: u8,
    /// The name server identifier sent to clients that ask for it (NSID, RFC 5001), cut at 128 octets. None (the
    /// default): no NSID is sent.
    #[serde(default)]
    pub nsid: Option<String>,
    /// The TXT string answered to `version.bind` and `version.server` in class CHAOS, cut at 128 octets. None (the
    /// default): those questions are refused like every other CHAOS question.
    #[serde(default)]
    pub chaos_version: Option<String>,
    /// The TXT string answered to `hostname.bind` and `id.server` in class CHAOS (RFC 4892), cut at 128 octets.
    /// None (the default): refused.
    #[serde(default)]
    pub chaos_identity: Option<String>,
    /// Response rate limiting for the external views (`[serve.rrl]`); each view's `rrl` table may override it.
    #[serde(default)]
    pub rrl: RrlDefaults,
    /// Answer DNS Cookies (RFC 7873) with server cookies (RFC 9018), as BIND and Knot do by default: a client
    /// that sends a cookie learns ours, which lets it tell our answers from spoofed ones.
    #[serde(default = "yes")]
    pub cookies: bool,
    /// The server cookie secret, 32 hexadecimal digits (RFC 9018 §4.4); write the same on every server of an
    /// anycast group (RFC 9018 §6). None (the default): random, drawn once per process.
    #[serde(default)]
    pub cookie_secret: Option<crate::CookieSecret>,
    /// Answer BADCOOKIE instead of data to a UDP query with a client cookie but no valid server cookie (RFC 7873
    /// §5.2.3, §5.2.4), so that only clients proven to receive at their address get answers over UDP. Off by
    /// default, as in BIND (`require-server-cookie`).
    #[serde(default)]
    pub cookies_required: bool,
    /// Tell TCP clients that send edns-tcp-keepalive the idle timeout (RFC 7828).
    #[serde(default = "yes")]
    pub tcp_keepalive: bool,
}

fn yes() -> bool {
    true
}

fn default_tcp_io_timeout_ms() -> u64 {
    2_000
}

fn default_tcp_busy_idle_timeout_ms() -> u64 {
    1_000
}

fn default_tcp_max_per_prefix() -> usize {
    32
}

fn default_tcp_prefix_v4() -> u8 {
    24
}

fn default_tcp_prefix_v6() -> u8 {
    56
}

fn default_token_lifetime() -> u64 {
    8 * 3600
}

/// Where a user is homed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Home {
    /// On this Front End pool (by FQDN).
    Pool(Fqdn),
    /// Online (hybrid): a Teams user since Skype for Business Online's retirement in 2021.
    Online,
}

impl<'de> Deserialize<'de> for Home {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        if text.eq_ignore_ascii_case("online") {
            return Ok(Home::Online);
        }
        Fqdn::new(&text).map(Home::Pool).map_err(|e| {
            serde::de::Error::custom(format!("`{text}` is neither `online` nor a pool FQDN: {e}"))
        })
    }
}

/// A lab user of the Autodiscover service.
#[derive(Debug, Clone)]
pub struct User {
    /// SIP address, `user@domain` (without `sip:`), in one of the deployment's SIP domains.
    pub sip: String,
    /// A Front End pool of this deployment, or Online if the deployment has a `[hybrid]` table.
    pub home: Home,
    /// Argon2id PHC string (`lyncdns hash-password` makes one); the password itself is never stored.
    pub password_hash: String,
    /// Lab only: the NT hash, 32 hex digits, with which the WebTicket service verifies NTLM (`None`: this user
    /// cannot sign in with NTLM). As good as the password for NTLM.
    pub nt_hash: Option<String>,
}

impl User {
    /// The domain of the SIP address.
    pub fn domain(&self) -> &str {
        domain_of(&self.sip)
    }
}

/// The domain of a SIP address `user@domain` (empty without `@`); for the checked and the raw [`User`].
pub(crate) fn domain_of(sip: &str) -> &str {
    sip.rsplit_once('@').map(|(_, d)| d).unwrap_or("")
}

impl Default for Serve {
    fn default() -> Self {
        Serve {
            dns: Vec::new(),
            workers: None,
            metrics: None,
            rotation: Rotation::default(),
            query_log: false,
            max_udp_payload: default_udp_payload(),
            tcp_idle_timeout_ms: default_tcp_idle_ms(),
            tcp_max_connections: default_tcp_max(),
            ecs_trusted: Vec::new(),
            zone_files: Default::default(),
            http: None,
            https: None,
            cert: None,
            key: None,
            lab_ca: None,
            token_lifetime_s: default_token_lifetime(),
            tcp_io_timeout_ms: default_tcp_io_timeout_ms(),
            tcp_busy_idle_timeout_ms: default_tcp_busy_idle_timeout_ms(),
            tcp_max_per_prefix: default_tcp_max_per_prefix(),
            tcp_prefix_v4: default_tcp_prefix_v4(),
            tcp_prefix_v6: default_tcp_prefix_v6(),
            nsid: None,
            chaos_version: None,
            chaos_identity: None,
            rrl: RrlDefaults::default(),
            cookies: true,
            cookie_secret: None,
            cookies_required: false,
            tcp_keepalive: true,
        }
    }
}

fn default_udp_payload() -> u16 {
    1232
}

fn default_tcp_idle_ms() -> u64 {
    10_000
}

fn default_tcp_max() -> usize {
    256
}
