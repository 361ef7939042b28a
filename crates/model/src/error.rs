//! Errors from reading a deployment description: what is wrong, where (file:line:column and the field), and
//! what would be valid.

use std::fmt;
use std::net::IpAddr;

/// Everything wrong with one file; at least one entry.
#[derive(Debug, Clone, thiserror::Error)]
pub struct LoadErrors(pub Vec<LoadError>);

impl fmt::Display for LoadErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

/// One problem, located in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// The file's path, or `<embedded example>`.
    pub origin: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// The field, as a TOML path (`pools[0].web.internal_fqdn`); empty for the file's top level.
    pub field: String,
    /// What is wrong.
    pub problem: Problem,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(
                f,
                "{}:{}:{}: error at the top level of the file: {}",
                self.origin, self.line, self.column, self.problem
            )?;
        } else {
            write!(
                f,
                "{}:{}:{}: error in `{}`: {}",
                self.origin, self.line, self.column, self.field, self.problem
            )?;
        }
        if let Some(help) = self.problem.help() {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadError {}

/// What is wrong with a deployment description.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// The TOML reader rejected the file: bad syntax, a wrong type, an unknown or missing key.
    #[error("{message}")]
    Syntax {
        /// The reader's message (it lists the valid keys for an unknown one).
        message: String,
    },
    /// `version` is not 1.
    #[error("unsupported version {found}")]
    UnsupportedVersion {
        /// The version written.
        found: u32,
    },
    /// A list that must not be empty is empty.
    #[error("at least one {what} is needed")]
    Empty {
        /// What is missing.
        what: &'static str,
    },
    /// Two views share a name.
    #[error("view name `{name}` is used twice")]
    DuplicateView {
        /// The name.
        name: String,
    },
    /// A view name that cannot be a directory name.
    #[error("view name `{name}` may only contain letters, digits, '-' and '_'")]
    BadViewName {
        /// The name.
        name: String,
    },
    /// The internal and external web services FQDNs are the same.
    #[error(
        "the internal and external web services FQDNs are both `{fqdn}`; they must differ ([S9])"
    )]
    WebFqdnsEqual {
        /// The shared FQDN.
        fqdn: String,
    },
    /// The internal web services FQDN is the DNS-load-balanced pool FQDN.
    #[error(
        "the internal web services FQDN `{fqdn}` is the pool FQDN, which is DNS-load-balanced; web traffic cannot be DNS-load-balanced ([S1], [S2])"
    )]
    WebOnDnsLoadBalancedName {
        /// The FQDN.
        fqdn: String,
    },
    /// A Standard Edition pool with other than one server.
    #[error("a Standard Edition pool has exactly one server, this one has {count}")]
    StandardEditionServers {
        /// How many were listed.
        count: usize,
    },
    /// `load_balancing = "hardware"` without a VIP.
    #[error("hardware load balancing needs the load balancer's SIP VIP")]
    HardwareWithoutVip,
    /// A host or service has no address.
    #[error("`{fqdn}` has no address")]
    NoAddresses {
        /// The host.
        fqdn: String,
    },
    /// The same FQDN is used for two different things.
    #[error("`{fqdn}` is already used by `{first}`")]
    DuplicateName {
        /// The FQDN.
        fqdn: String,
        /// The field that used it first.
        first: String,
    },
    /// A name that is not inside any zone its view serves.
    #[error("`{fqdn}` is not inside any {location} zone ({zones})")]
    OutsideZones {
        /// The name.
        fqdn: String,
        /// `internal` or `external`.
        location: &'static str,
        /// The zones, comma-separated.
        zones: String,
    },
    /// `options.sign_in_pool` names no pool.
    #[error("`{fqdn}` is not a pool of this deployment (pools: {pools})")]
    UnknownPool {
        /// The FQDN given.
        fqdn: String,
        /// The pools, comma-separated.
        pools: String,
    },
    /// A feature the product does not have.
    #[error("{feature} is not available in {product}")]
    NotInProduct {
        /// The feature.
        feature: &'static str,
        /// The product.
        product: &'static str,
    },
    /// A non-public address in data served to the outside.
    #[error("{address} is a {kind} address, but this name is published in the external view")]
    NonPublicAddress {
        /// The address.
        address: IpAddr,
        /// private, loopback, link-local, …
        kind: &'static str,
    },
    /// A feature needs a role that is not configured.
    #[error("{feature} needs {needs}")]
    FeatureNeeds {
        /// The feature.
        feature: &'static str,
        /// The missing table.
        needs: &'static str,
    },
    /// A SIP domain listed twice.
    #[error("SIP domain `{domain}` is listed twice")]
    DuplicateDomain {
        /// The domain.
        domain: String,
    },
    /// A client prefix with bits set past its length (`10.0.0.1/8`), usually a typo.
    #[error("client prefix {prefix} has host bits set")]
    HostBitsSet {
        /// As written.
        prefix: ipnet::IpNet,
        /// The network it lies in.
        network: ipnet::IpNet,
    },
    /// An internal view whose clients include every address: internal data would be served to the Internet.
    #[error(
        "the internal view `{view}` matches every client ({prefix}): it would serve internal addresses to the Internet"
    )]
    InternalViewForEveryone {
        /// The view.
        view: String,
        /// The catch-all prefix.
        prefix: ipnet::IpNet,
    },
    /// A view that never matches: every one of its prefixes lies inside an earlier view's (first match wins).
    #[error(
        "the view `{view}` never matches: its clients are all matched first by the view `{by}`"
    )]
    ShadowedView {
        /// The view that never matches.
        view: String,
        /// The earlier view that takes its clients.
        by: String,
    },
    /// Two different servers with one address: a typo, or one machine listed twice.
    #[error("{address} is the address of both `{first}` and `{second}`")]
    SharedServerAddress {
        /// The address.
        address: std::net::IpAddr,
        /// The server listed first.
        first: String,
        /// The other.
        second: String,
    },
    /// A number below its minimum.
    #[error("{value} is too small; the minimum is {min}")]
    TooSmall {
        /// As written.
        value: u64,
        /// The least valid value.
        min: u64,
    },
    /// A number above its maximum.
    #[error("{value} is too large; the maximum is {max}")]
    TooLarge {
        /// As written.
        value: u64,
        /// The greatest valid value.
        max: u64,
    },
    /// A view name that no `[[views]]` entry has.
    #[error("there is no view named `{name}` (views: {views})")]
    UnknownView {
        /// The name used.
        name: String,
        /// The views, comma-separated.
        views: String,
    },
    /// A SIP address that is not `user@domain`.
    #[error("`{address}` is not a SIP address of the form user@domain")]
    BadSipAddress {
        /// As written.
        address: String,
    },
    /// A user whose domain is not a SIP domain of the deployment.
    #[error("`{address}` is not in one of this deployment's SIP domains")]
    UnknownSipDomain {
        /// The address.
        address: String,
    },
    /// The same user twice.
    #[error("user `{address}` is listed twice")]
    DuplicateUser {
        /// The address.
        address: String,
    },
    /// A password hash that is not an Argon2 PHC string.
    #[error("the password hash is not an Argon2 PHC string (`$argon2id$…`)")]
    BadPasswordHash,
    /// An NT hash that is not 32 hex digits.
    #[error("not an NT hash (32 hex digits)")]
    BadNtHash,
    /// A TSIG key whose name, algorithm or secret cannot be used.
    #[error("{reason}")]
    BadKey {
        /// What is wrong (never the secret itself).
        reason: lyncdns_dnsdata::tsig::TsigKeyError,
    },
    /// A key with both or neither of `secret` and `secret_file`.
    #[error("TSIG key `{name}` needs exactly one of `secret` and `secret_file`")]
    KeySecretSource {
        /// The key.
        name: String,
    },
    /// Two keys share a name.
    #[error("TSIG key `{name}` is defined twice")]
    DuplicateKey {
        /// The name.
        name: String,
    },
    /// A view names a key no `[[keys]]` entry defines.
    #[error("there is no TSIG key named `{name}` (keys: {keys})")]
    UnknownKey {
        /// The name used.
        name: String,
        /// The keys, comma-separated.
        keys: String,
    },
    /// A key listed by two views (a key selects one view only).
    #[error("TSIG key `{key}` already selects view `{view}`; a key selects one view only")]
    KeyInTwoViews {
        /// The key.
        key: String,
        /// The view that listed it first.
        view: String,
    },
    /// A view with a catalog zone that nobody may transfer.
    #[error(
        "view `{view}` has a catalog but no `transfer_keys` or `allow_transfer`: no secondary could read it"
    )]
    CatalogWithoutTransfer {
        /// The view.
        view: String,
    },
    /// A catalog zone named like a zone or SIP domain of the deployment, or below one.
    #[error("catalog zone `{catalog}` lies in `{zone}`, a zone or SIP domain of the deployment")]
    CatalogInZone {
        /// The catalog's name.
        catalog: String,
        /// The zone or domain it lies in.
        zone: String,
    },
    /// A zone listed twice or nested in another of the same location.
    #[error("zone `{zone}` overlaps zone `{other}` of the same view")]
    OverlappingZones {
        /// The zone.
        zone: String,
        /// The zone it overlaps.
        other: String,
    },
}

impl Problem {
    /// What would be valid, when there is something useful to say.
    pub fn help(&self) -> Option<String> {
        Some(match self {
            Problem::Syntax { .. } => return None,
            Problem::UnsupportedVersion { .. } => "this lyncdns reads `version = 1`".into(),
            Problem::Empty { what } => format!("add a {what}; see examples/ for complete deployments"),
            Problem::DuplicateView { .. } => "give each [[views]] entry its own name".into(),
            Problem::BadViewName { .. } => "use e.g. `internal` or `external-dmz`".into(),
            Problem::WebFqdnsEqual { .. } => {
                "use e.g. `webint.<domain>` inside and `webext.<domain>` outside".into()
            }
            Problem::WebOnDnsLoadBalancedName { .. } => {
                "give the web services their own FQDN on a hardware load balancer VIP".into()
            }
            Problem::StandardEditionServers { .. } => {
                "use `edition = \"enterprise\"` for a pool of several servers".into()
            }
            Problem::HardwareWithoutVip => "add `sip_vip = [\"10.0.0.10\"]`, or use `load_balancing = \"dns\"`".into(),
            Problem::NoAddresses { .. } => "add its IPv4 and/or IPv6 addresses".into(),
            Problem::DuplicateName { .. } => "each role needs its own FQDN".into(),
            Problem::OutsideZones { location, .. } => {
                format!("add its zone to `dns.{location}_zones`, or rename the host into one of those zones")
            }
            Problem::UnknownPool { .. } => "name the FQDN of one of the [[pools]]".into(),
            Problem::NotInProduct { .. } => "switch the feature off, or set `product` to one that has it".into(),
            Problem::NonPublicAddress { .. } => {
                "use the public (NAT) address; for a lab, set `options.allow_private_external = true`".into()
            }
            Problem::FeatureNeeds { needs, .. } => format!("add {needs}, or switch the feature off in [features]"),
            Problem::DuplicateDomain { .. } => "list each SIP domain once".into(),
            Problem::BadSipAddress { .. } => "write e.g. `alice@contoso.com`".into(),
            Problem::UnknownSipDomain { .. } => "use a domain of [sip] or [hybrid] online_domains".into(),
            Problem::DuplicateUser { .. } => "list each user once".into(),
            Problem::BadPasswordHash => "make one with `lyncdns hash-password` (reads the password from standard input)".into(),
            Problem::BadNtHash => "make one with `lyncdns hash-password --nt` (reads the password from standard input)".into(),
            Problem::TooSmall { min, .. } => format!("use {min} or more"),
            Problem::TooLarge { max, .. } => format!("use {max} or less"),
            Problem::UnknownView { .. } => "name one of the [[views]]".into(),
            Problem::HostBitsSet { network, .. } => format!("did you mean {network}?"),
            Problem::InternalViewForEveryone { .. } => "list the internal networks (e.g. 10.0.0.0/8); the catch-all 0.0.0.0/0 and ::/0 belong to the external view, listed last".into(),
            Problem::ShadowedView { .. } => "views are matched in order, first match wins: list the more specific view first, or narrow the earlier one".into(),
            Problem::SharedServerAddress { .. } => "give each server its own address (a pool's shared name is its `fqdn`, not a server)".into(),
            Problem::OverlappingZones { .. } => "list each zone once, and no zone inside another".into(),
            Problem::BadKey { .. } => "make a key with `tsig-keygen NAME` (BIND) or `keymgr -t NAME` (Knot) and copy its algorithm and secret".into(),
            Problem::KeySecretSource { .. } => "write `secret = \"base64\"`, or `secret_file = \"keys/NAME.secret\"` (a file holding the base64 secret)".into(),
            Problem::DuplicateKey { .. } => "give each [[keys]] entry its own name".into(),
            Problem::UnknownKey { .. } => "define it in a [[keys]] entry, or name one that is".into(),
            Problem::CatalogWithoutTransfer { .. } => "give the view `transfer_keys` (or `allow_transfer`), or remove its `catalog`".into(),
            Problem::CatalogInZone { .. } => "name the catalog below `invalid.` (RFC 9432 §6), e.g. `catalog.<view>.invalid`".into(),
            Problem::KeyInTwoViews { .. } => "give each view its own key: a secondary's key decides which view it receives".into(),
        })
    }
}
