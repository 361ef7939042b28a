//! Each client's discovery as a pure state machine: [`Machine::start`] and [`Machine::feed`] return the next
//! [`Request`] (a DNS lookup, a TCP/TLS connect, an HTTP fetch) and consume its [`Reply`], until a [`Verdict`].
//! No sockets, no clock: the driver ([`crate::run`]) does the I/O, so every order can be tested against an
//! in-memory resolver.
//!
//! The orders, from `lync-discovery.md` §2 (source keys on each [`Client`]):
//! - Lync 2010: `_sipinternaltls._tcp` → `_sipinternal._tcp` (if TCP is allowed) → `_sip._tls` → A `sipinternal`
//!   → A `sip` → A `sipexternal` [S17].
//! - Lync 2013 / Skype for Business desktop: `lyncdiscoverinternal` → `lyncdiscover` → the Lync 2010 chain; SRV is
//!   used only when Autodiscover does not resolve or respond [S3], [S4].
//! - Windows Store app: `lyncdiscoverinternal` → `lyncdiscover`, no fallback [S3].
//! - Mobile: `lyncdiscoverinternal` → `lyncdiscover`; the SRV fallback is an option, off by default, because
//!   Microsoft's "Understanding Autodiscover" says mobile clients use Autodiscover exclusively [S4], while the DNS
//!   requirements page only groups them with the desktop clients as "similar" [S3] (DISAGREE).
//! - Lync Phone Edition: internal SRV over TLS → internal SRV over TCP → external SRV over TLS → over TCP, with
//!   strict DNS naming (a target outside the SIP domain is refused, CU7+) [S21], [S22], [S23]; `_ntp._udp` is
//!   looked up for time. DHCP options 120/43 are not simulated.
//!
//! DNS load balancing: every address of a name is tried in order before moving on [S2]. SRV records are taken by
//! priority, then by weight (highest first; RFC 2782's weighted random choice made deterministic), then in the
//! order received.

use std::collections::VecDeque;
use std::net::IpAddr;

use serde::Serialize;

use lyncdns_dnsdata::resolve::Lookup;
use lyncdns_dnsdata::types::Rtype;
use lyncdns_lync::naming::{
    LYNCDISCOVERINTERNAL, SIP, SIPEXTERNAL, SIPINTERNAL as SIPINTERNAL_HOST, autodiscover_names,
    srv_target_allowed,
};
use lyncdns_lync::services::{SIP_TCP, SIP_TLS, SIPINTERNAL, SIPINTERNALTLS, SrvService};

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

    fn uses_autodiscover(self) -> bool {
        matches!(self, Client::Desktop | Client::Store | Client::Mobile)
    }

    /// XML for desktop clients; JSON (UCWA) for the Store and mobile apps.
    fn accept(self) -> &'static str {
        if self == Client::Desktop {
            "application/vnd.microsoft.rtc.autodiscover+xml;v=1"
        } else {
            "application/json"
        }
    }
}

/// The order of HTTP and HTTPS requests to the Autodiscover hosts (`lync-discovery.md` §2.2, DISAGREE).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HttpOrder {
    /// HTTPS then HTTP for each host, internal host first: what the Lync Connectivity Analyzer says it repeats of
    /// the Store and mobile clients [S29]. The default.
    #[default]
    HttpsFirst,
    /// HTTPS only, as UCWA guidance "highly recommends" [S13].
    HttpsOnly,
    /// HTTP then HTTPS per host, as older pidgin-sipe did [S27].
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
    /// Let mobile clients fall back to SRV records (off by default, see the module docs).
    pub mobile_srv_fallback: bool,
    /// Strict DNS naming (the default; `DisableStrictDNSNaming` turns it off for desktop clients) [S10].
    pub strict_dns_naming: bool,
    /// TrustModelData: trusted domains; when set, it replaces the defaults [S25].
    pub trusted_domains: Vec<String>,
    /// Follow Autodiscover over HTTP(S) (root, token, user document).
    pub probe: bool,
    /// Connect (TCP, then TLS with SNI) to the SIP server found, trying each address.
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

/// An HTTP request of the Autodiscover flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fetch {
    /// Absolute URL.
    pub url: String,
    /// `GET` or `POST`.
    pub method: &'static str,
    /// `Accept`.
    pub accept: &'static str,
    /// Send the bearer token.
    pub bearer: bool,
    /// Post the password grant (the driver fills in the credentials).
    pub token_request: bool,
    /// Addresses already resolved for the host (otherwise the driver resolves it).
    pub addrs: Vec<IpAddr>,
}

/// What the machine wants done next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Request {
    /// A DNS lookup.
    Lookup {
        /// Name.
        name: String,
        /// Type number.
        qtype: Rtype,
    },
    /// A TCP connect (and TLS handshake with SNI `host` when `tls`), trying each address in order.
    Connect {
        /// The host name (for SNI and the certificate check).
        host: String,
        /// Its addresses.
        addrs: Vec<IpAddr>,
        /// Port.
        port: u16,
        /// Whether to handshake TLS.
        tls: bool,
    },
    /// An HTTP(S) request.
    Fetch(Fetch),
    /// The end.
    Done(Verdict),
}

/// An HTTP response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Response {
    /// Status.
    pub status: u16,
    /// Headers (lowercase names).
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: String,
}

impl Response {
    fn header(&self, name: &str) -> impl Iterator<Item = &str> {
        self.headers
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The result of a request.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Reply {
    /// A DNS answer.
    Lookup(Lookup),
    /// The address connected to, or why none could be.
    Connect {
        /// The address that answered.
        connected: Option<std::net::SocketAddr>,
        /// Why every address failed.
        error: Option<String>,
    },
    /// An HTTP response, or why there is none.
    Fetch {
        /// The response.
        response: Option<Response>,
        /// Connection, TLS or protocol error.
        error: Option<String>,
    },
}

/// How discovery ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// The client signs in (or reaches what it needs).
    pub ok: bool,
    /// One line: "signs in at pool01.contoso.com:5061 via _sipinternaltls._tcp", or the exact reason it fails.
    pub summary: String,
    /// The server and port it signs in at.
    pub target: Option<(String, u16)>,
    /// The discovery step that decided it (`lyncdiscoverinternal`, `_sip._tls`, …).
    pub via: Option<String>,
    /// The user sees the "cannot verify that the server is trusted" prompt first [S24].
    pub trust_prompt: bool,
}

/// A discovery method in the client's list.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Method {
    Autodiscover { host: String },
    Srv { name: String, tls: bool },
    Host { name: String, ports: Vec<u16> },
}

impl Method {
    fn label(&self) -> String {
        match self {
            Method::Autodiscover { host } | Method::Host { name: host, .. } => {
                host.split('.').next().unwrap_or(host).to_owned()
            }
            Method::Srv { name, .. } => name.split('.').take(2).collect::<Vec<_>>().join("."),
        }
    }
}

/// What the machine waits for.
#[derive(Debug, Clone)]
enum Wait {
    Nothing,
    AdAddress {
        host: String,
    },
    AdRoot {
        host: String,
        urls: VecDeque<(String, Vec<IpAddr>)>,
        hops: u8,
    },
    AdUserChallenge {
        host: String,
        user_url: String,
        hops: u8,
    },
    AdToken {
        host: String,
        user_url: String,
        hops: u8,
    },
    AdUser {
        host: String,
        user_url: String,
        hops: u8,
    },
    AdSipAddress {
        via: String,
        fqdn: String,
        port: u16,
    },
    SrvRecords {
        name: String,
        tls: bool,
    },
    SrvTarget {
        label: String,
        targets: VecDeque<(String, u16)>,
        target: String,
        port: u16,
        prompt: bool,
    },
    HostAddress {
        label: String,
        name: String,
        ports: Vec<u16>,
    },
    Connecting {
        label: String,
        host: String,
        port: u16,
        prompt: bool,
        then: VecDeque<(String, u16)>,
    },
    Ntp,
}

/// One client's discovery for one SIP URI.
pub struct Machine {
    client: Client,
    /// Whether the method in progress connects with TLS (`_sipinternal._tcp` and `_sip._tcp` do not).
    tls: bool,
    uri: String,
    domain: String,
    options: Options,
    methods: VecDeque<Method>,
    current: Option<Method>,
    wait: Wait,
    note: Option<String>,
    /// Reasons each method failed, for the final verdict.
    failures: Vec<String>,
    ntp_done: bool,
    /// With [`HttpOrder::HttpsAllFirst`]: the internal host's HTTP URL, tried after the external host's HTTPS.
    deferred_http: Option<(String, Vec<IpAddr>)>,
}

/// The domain part of a SIP URI (`sip:` optional), lowercased.
pub fn sip_domain(uri: &str) -> Option<String> {
    let uri = uri
        .trim()
        .trim_start_matches("sip:")
        .trim_start_matches("SIP:");
    let (user, domain) = uri.rsplit_once('@')?;
    (!user.is_empty() && domain.contains('.') && !domain.starts_with('.'))
        .then(|| domain.trim_end_matches('.').to_ascii_lowercase())
}

fn within(name: &str, domain: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == domain || name.ends_with(&format!(".{domain}"))
}

/// The host of a URL, lowercase, without port.
pub(crate) fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let host = rest.split(['/', '?']).next().unwrap_or(rest);
    host.rsplit_once(':')
        .filter(|(_, p)| p.chars().all(|c| c.is_ascii_digit()))
        .map(|(h, _)| h)
        .unwrap_or(host)
        .to_ascii_lowercase()
}

impl Machine {
    /// Discovery of `sip_uri` by `client`; `None` if the URI has no domain.
    pub fn new(client: Client, sip_uri: &str, options: Options) -> Option<Machine> {
        let domain = sip_domain(sip_uri)?;
        let d = &domain;
        let mut methods = VecDeque::new();
        if client.uses_autodiscover() {
            for host in autodiscover_names(d) {
                methods.push_back(Method::Autodiscover { host });
            }
        }
        let srv_chain = match client {
            Client::Lync2010 | Client::Desktop => true,
            Client::Mobile => options.mobile_srv_fallback,
            Client::Store => false,
            Client::Phone => false,
        };
        let srv = |service: SrvService| Method::Srv {
            name: service.owner(d),
            tls: service.tls,
        };
        let host = |label: &str, ports: &[u16]| Method::Host {
            name: format!("{label}.{d}"),
            ports: ports.to_vec(),
        };
        if srv_chain {
            methods.push_back(srv(SIPINTERNALTLS));
            if options.tcp_allowed {
                methods.push_back(srv(SIPINTERNAL));
            }
            methods.push_back(srv(SIP_TLS));
            methods.push_back(host(SIPINTERNAL_HOST, &[5061]));
            methods.push_back(host(SIP, &[5061, 443]));
            methods.push_back(host(SIPEXTERNAL, &[443]));
        }
        if client == Client::Phone {
            // Internal TLS, internal TCP, external TLS, external TCP (S21, S22); no A-record fallback.
            for service in [SIPINTERNALTLS, SIPINTERNAL, SIP_TLS, SIP_TCP] {
                methods.push_back(srv(service));
            }
        }
        let uri = sip_uri
            .trim()
            .trim_start_matches("sip:")
            .trim_start_matches("SIP:")
            .to_owned();
        Some(Machine {
            client,
            tls: true,
            uri,
            domain,
            options,
            methods,
            current: None,
            wait: Wait::Nothing,
            note: None,
            failures: Vec::new(),
            ntp_done: client != Client::Phone,
            deferred_http: None,
        })
    }

    /// The SIP domain being discovered.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// Why the machine moved on after the last reply, if it said so.
    pub fn take_note(&mut self) -> Option<String> {
        self.note.take()
    }

    /// The first request.
    pub fn start(&mut self) -> Request {
        if !self.ntp_done {
            self.ntp_done = true;
            self.wait = Wait::Ntp;
            return Request::Lookup {
                name: format!("_ntp._udp.{}", self.domain),
                qtype: Rtype::SRV,
            };
        }
        self.next_method()
    }

    fn fail_method(&mut self, why: String) -> Request {
        let label = self.current.as_ref().map(Method::label).unwrap_or_default();
        self.failures.push(format!("{label}: {why}"));
        self.note = Some(match self.note.take() {
            Some(earlier) => format!("{earlier}; {why}; moving on"),
            None => format!("{why}; moving on"),
        });
        self.next_method()
    }

    fn next_method(&mut self) -> Request {
        let Some(m) = self.methods.pop_front() else {
            self.current = None;
            self.wait = Wait::Nothing;
            let tried = self.failures.join("; ");
            let summary = match self.client {
                Client::Store | Client::Mobile
                    if !self.options.mobile_srv_fallback || self.client == Client::Store =>
                {
                    format!(
                        "cannot sign in: Autodiscover failed and this client does not fall back to SRV records ({tried})"
                    )
                }
                _ => format!("cannot sign in: every discovery method failed ({tried})"),
            };
            return Request::Done(Verdict {
                ok: false,
                summary,
                target: None,
                via: None,
                trust_prompt: false,
            });
        };
        self.current = Some(m.clone());
        self.tls = true;
        match m {
            Method::Autodiscover { host } => {
                self.wait = Wait::AdAddress { host: host.clone() };
                Request::Lookup {
                    name: host,
                    qtype: Rtype::A,
                }
            }
            Method::Srv { name, tls } => {
                self.wait = Wait::SrvRecords {
                    name: name.clone(),
                    tls,
                };
                Request::Lookup {
                    name,
                    qtype: Rtype::SRV,
                }
            }
            Method::Host { name, ports } => {
                self.wait = Wait::HostAddress {
                    label: m_label(&name),
                    name: name.clone(),
                    ports,
                };
                Request::Lookup {
                    name,
                    qtype: Rtype::A,
                }
            }
        }
    }

    fn done(&mut self, via: &str, host: &str, port: u16, prompt: bool) -> Request {
        let prompt_text = if prompt {
            " after a trust prompt (the server is outside the SIP domain and the trusted domains)"
        } else {
            ""
        };
        Request::Done(Verdict {
            ok: true,
            summary: format!("signs in at {host}:{port} via {via}{prompt_text}"),
            target: Some((host.to_owned(), port)),
            via: Some(via.to_owned()),
            trust_prompt: prompt,
        })
    }

    /// The label of the discovery method in progress (a redirect keeps the method that started it).
    fn method_label(&self, fallback_host: &str) -> String {
        self.current
            .as_ref()
            .map(Method::label)
            .unwrap_or_else(|| m_label(fallback_host))
    }

    fn trusted(&self, host: &str) -> bool {
        within(host, &self.domain) || self.options.trusted_domains.iter().any(|d| within(host, d))
    }

    /// Autodiscover root URLs for `host` in the configured order (for one host; the per-host list is built when
    /// its name resolves).
    fn root_urls(&self, host: &str, addrs: &[IpAddr]) -> VecDeque<(String, Vec<IpAddr>)> {
        let uri = &self.uri;
        let https = (format!("https://{host}/?sipuri={uri}"), addrs.to_vec());
        let http = (format!("http://{host}/?sipuri={uri}"), addrs.to_vec());
        match self.options.http_order {
            HttpOrder::HttpsOnly => VecDeque::from([https]),
            HttpOrder::HttpFirst => VecDeque::from([http, https]),
            // Per host HTTPS then HTTP; HttpsAllFirst differs only across hosts, see `feed`.
            HttpOrder::HttpsFirst | HttpOrder::HttpsAllFirst => VecDeque::from([https, http]),
        }
    }

    /// Consumes the reply to the last request; returns the next one.
    pub fn feed(&mut self, reply: Reply) -> Request {
        let wait = std::mem::replace(&mut self.wait, Wait::Nothing);
        match (wait, reply) {
            (Wait::Ntp, Reply::Lookup(l)) => {
                self.note = Some(match l.srv().first() {
                    Some((_, _, port, target)) => {
                        format!("time server {target}:{port} (phones need it before signing in)")
                    }
                    None => format!(
                        "no _ntp._udp record ({}): the phone falls back to its default time server",
                        l.status()
                    ),
                });
                self.next_method()
            }
            (Wait::AdAddress { host }, Reply::Lookup(l)) => {
                let addrs = l.addresses();
                if addrs.is_empty() {
                    let why = format!("{host} does not resolve ({})", l.status());
                    // HTTPS to both hosts came first; the internal host's HTTP attempt is still due.
                    if let Some(deferred) = self.deferred_http.take() {
                        self.note = Some(format!("{why}; trying {} as deferred", deferred.0));
                        self.failures.push(why);
                        let internal = host_of(&deferred.0);
                        return self.fetch_root(internal, VecDeque::from([deferred]), 0);
                    }
                    return self.fail_method(why);
                }
                if !self.options.probe {
                    let shown: Vec<String> = addrs.iter().map(|a| a.to_string()).collect();
                    return Request::Done(Verdict {
                        ok: true,
                        summary: format!(
                            "would use Autodiscover at https://{host}/ ({}); run with --probe to follow it to the server",
                            shown.join(", ")
                        ),
                        target: None,
                        via: Some(m_label(&host)),
                        trust_prompt: false,
                    });
                }
                let mut urls = self.root_urls(&host, &addrs);
                if self.options.http_order == HttpOrder::HttpsAllFirst {
                    if host.starts_with(&format!("{LYNCDISCOVERINTERNAL}.")) {
                        // HTTPS to both hosts before any HTTP [S34]: the internal HTTP attempt waits until the
                        // external host's HTTPS has been tried.
                        self.deferred_http =
                            urls.iter().find(|(u, _)| u.starts_with("http:")).cloned();
                        urls.retain(|(u, _)| u.starts_with("https:"));
                    } else if let Some(deferred) = self.deferred_http.take() {
                        urls.insert(1.min(urls.len()), deferred);
                    }
                }
                self.fetch_root(host, urls, 0)
            }
            (
                Wait::AdRoot {
                    host,
                    mut urls,
                    hops,
                },
                Reply::Fetch { response, error },
            ) => {
                let tried = urls.pop_front().map(|(u, _)| u).unwrap_or_default();
                let why = match (&response, &error) {
                    (_, Some(e)) => Some(format!("{tried}: {e}")),
                    (Some(r), _) if r.status != 200 => Some(format!("{tried}: HTTP {}", r.status)),
                    _ => None,
                };
                if let Some(why) = why {
                    if urls.is_empty() {
                        return self.fail_method(why);
                    }
                    self.note = Some(format!("{why}; trying the next URL"));
                    return self.fetch_root(host, urls, hops);
                }
                let body = response.map(|r| r.body).unwrap_or_default();
                let links = crate::docs::links(&body);
                if let Some(redirect) = crate::docs::link(&links, &["Redirect", "redirect"]) {
                    return self.follow_redirect(&host, redirect, hops, false);
                }
                let Some(user) = crate::docs::link(&links, &["User", "user"]).map(str::to_owned)
                else {
                    if urls.is_empty() {
                        return self
                            .fail_method(format!("{tried}: the root document has no User link"));
                    }
                    return self.fetch_root(host, urls, hops);
                };
                if !self.options.credentials {
                    return Request::Done(Verdict {
                        ok: true,
                        summary: format!(
                            "Autodiscover answers at {tried}; give --user and --password to follow the user document to the server"
                        ),
                        target: None,
                        via: Some(m_label(&host)),
                        trust_prompt: false,
                    });
                }
                self.wait = Wait::AdUserChallenge {
                    host,
                    user_url: user.clone(),
                    hops,
                };
                Request::Fetch(Fetch {
                    url: user,
                    method: "GET",
                    accept: self.client.accept(),
                    bearer: false,
                    token_request: false,
                    addrs: Vec::new(),
                })
            }
            (
                Wait::AdUserChallenge {
                    host,
                    user_url,
                    hops,
                },
                Reply::Fetch { response, error },
            ) => {
                let Some(r) = response else {
                    return self.fail_method(format!("{user_url}: {}", error.unwrap_or_default()));
                };
                if r.status != 401 {
                    return self.fail_method(format!(
                        "{user_url}: expected 401 with the token endpoint, got HTTP {}",
                        r.status
                    ));
                }
                let href = r.header("www-authenticate").find_map(|v| {
                    let v = v.trim();
                    let rest = v.strip_prefix("MsRtcOAuth")?;
                    let start = rest.find("href=\"")? + 6;
                    rest[start..].split('"').next().map(str::to_owned)
                });
                let Some(token_url) = href else {
                    return self
                        .fail_method(format!("{user_url}: 401 without an MsRtcOAuth challenge"));
                };
                // The token endpoint must belong to the server that challenged (its host or its domain).
                let (token_host, user_host) = (host_of(&token_url), host_of(&user_url));
                if token_host != user_host
                    && !within(&token_host, &parent(&user_host))
                    && !self.trusted(&token_host)
                {
                    return self.fail_method(format!("token endpoint {token_url} is not on {user_host} nor in its domain (anti-spoofing)"));
                }
                self.wait = Wait::AdToken {
                    host,
                    user_url,
                    hops,
                };
                Request::Fetch(Fetch {
                    url: token_url,
                    method: "POST",
                    accept: "application/json",
                    bearer: false,
                    token_request: true,
                    addrs: Vec::new(),
                })
            }
            (
                Wait::AdToken {
                    host,
                    user_url,
                    hops,
                },
                Reply::Fetch { response, error },
            ) => {
                let Some(r) = response else {
                    return self
                        .fail_method(format!("token request: {}", error.unwrap_or_default()));
                };
                if r.status != 200 {
                    return self.fail_method(format!(
                        "token request refused: HTTP {} {}",
                        r.status,
                        r.body.trim()
                    ));
                }
                self.note = Some("token issued".into());
                self.wait = Wait::AdUser {
                    host,
                    user_url: user_url.clone(),
                    hops,
                };
                Request::Fetch(Fetch {
                    url: user_url,
                    method: "GET",
                    accept: self.client.accept(),
                    bearer: true,
                    token_request: false,
                    addrs: Vec::new(),
                })
            }
            (
                Wait::AdUser {
                    host,
                    user_url,
                    hops,
                },
                Reply::Fetch { response, error },
            ) => {
                let Some(r) = response else {
                    return self.fail_method(format!("{user_url}: {}", error.unwrap_or_default()));
                };
                match r.status {
                    200 => {}
                    404 => {
                        return self.fail_method("the server does not know this user (404)".into());
                    }
                    s => return self.fail_method(format!("{user_url}: HTTP {s}")),
                }
                let links = crate::docs::links(&r.body);
                if let Some(redirect) = crate::docs::link(&links, &["Redirect", "redirect"]) {
                    return self.follow_redirect(&host, redirect, hops, true);
                }
                let via = self.method_label(&host);
                if self.client != Client::Desktop {
                    // UCWA clients continue with the applications resource, not SIP.
                    return match crate::docs::link(&links, &["applications", "Ucwa"]) {
                        Some(app) => Request::Done(Verdict {
                            ok: true,
                            summary: format!("signs in through UCWA at {app} via {via}"),
                            target: Some((host_of(app), 443)),
                            via: Some(via),
                            trust_prompt: false,
                        }),
                        None => self
                            .fail_method("the user document has no UCWA applications link".into()),
                    };
                }
                let Some((fqdn, port)) = crate::docs::sip_access(&r.body) else {
                    return self.fail_method(
                        "the user document has no SipClient*Access element for this location"
                            .into(),
                    );
                };
                self.wait = Wait::AdSipAddress {
                    via,
                    fqdn: fqdn.clone(),
                    port,
                };
                Request::Lookup {
                    name: fqdn,
                    qtype: Rtype::A,
                }
            }
            (Wait::AdSipAddress { via, fqdn, port }, Reply::Lookup(l)) => {
                let addrs = l.addresses();
                if addrs.is_empty() {
                    return self.fail_method(format!(
                        "the SIP server {fqdn} from Autodiscover does not resolve ({})",
                        l.status()
                    ));
                }
                self.connect_or_done(via, fqdn, port, addrs, false, VecDeque::new())
            }
            (Wait::SrvRecords { name, tls }, Reply::Lookup(l)) => {
                let mut records = l.srv();
                if records.is_empty() {
                    return self.fail_method(format!("no {name} SRV record ({})", l.status()));
                }
                // RFC 2782: lowest priority first; among equals, higher weight first, then received order.
                records.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
                self.tls = tls;
                let label = name.split('.').take(2).collect::<Vec<_>>().join(".");
                let targets: VecDeque<(String, u16)> = records
                    .into_iter()
                    .map(|(_, _, port, target)| {
                        (target.trim_end_matches('.').to_ascii_lowercase(), port)
                    })
                    .collect();
                self.next_srv_target(label, targets)
            }
            (
                Wait::SrvTarget {
                    label,
                    targets,
                    target,
                    port,
                    prompt,
                },
                Reply::Lookup(l),
            ) => {
                let addrs = l.addresses();
                if addrs.is_empty() {
                    self.note = Some(format!(
                        "SRV target {target} has no address ({}); next target",
                        l.status()
                    ));
                    return self.next_srv_target(label, targets);
                }
                self.connect_or_done(label, target, port, addrs, prompt, targets)
            }
            (Wait::HostAddress { label, name, ports }, Reply::Lookup(l)) => {
                let addrs = l.addresses();
                if addrs.is_empty() {
                    return self.fail_method(format!("{name} does not resolve ({})", l.status()));
                }
                let port = ports[0];
                // `sip.<domain>` is tried on 5061, then on 443 (S20).
                let rest: VecDeque<(String, u16)> =
                    ports[1..].iter().map(|p| (name.clone(), *p)).collect();
                self.connect_or_done(label, name, port, addrs, false, rest)
            }
            (
                Wait::Connecting {
                    label,
                    host,
                    port,
                    prompt,
                    then,
                },
                Reply::Connect { connected, error },
            ) => match connected {
                Some(addr) => {
                    self.note = Some(format!("connected to {addr}"));
                    self.done(&label, &host, port, prompt)
                }
                None => {
                    let why = format!(
                        "cannot connect to {host}:{port}: {}",
                        error.unwrap_or_default()
                    );
                    if then.is_empty() {
                        return self.fail_method(why);
                    }
                    self.note = Some(format!("{why}; next target"));
                    self.next_srv_target(label, then)
                }
            },
            (_, other) => {
                let why = format!("unexpected reply {other:?}");
                self.fail_method(why)
            }
        }
    }

    fn fetch_root(
        &mut self,
        host: String,
        urls: VecDeque<(String, Vec<IpAddr>)>,
        hops: u8,
    ) -> Request {
        let Some((url, addrs)) = urls.front().cloned() else {
            return self.fail_method(format!("no URL left for {host}"));
        };
        self.wait = Wait::AdRoot { host, urls, hops };
        Request::Fetch(Fetch {
            url,
            method: "GET",
            accept: self.client.accept(),
            bearer: false,
            token_request: false,
            addrs,
        })
    }

    /// Follows a `Redirect` link when it passes the anti-spoofing rule: the new host lies in the SIP domain, in the
    /// domain of the host that redirected, or in a trusted domain (Online's hosts among them) [S13].
    fn follow_redirect(
        &mut self,
        from_host: &str,
        href: &str,
        hops: u8,
        user_level: bool,
    ) -> Request {
        let to = host_of(href);
        let online = within(&to, "online.lync.com");
        if !(within(&to, &self.domain)
            || within(&to, &parent(from_host))
            || self.trusted(&to)
            || online)
        {
            return self.fail_method(format!("redirect to {href} refused by the anti-spoofing rule ({to} is not in {} nor a trusted domain; see --trusted-domains)", self.domain));
        }
        if hops >= 5 {
            return self.fail_method("more than 5 Autodiscover redirects".into());
        }
        if online {
            return Request::Done(Verdict {
                ok: true,
                summary: format!(
                    "redirected to Skype for Business Online at {href}{}",
                    if user_level {
                        " (user homed online)"
                    } else {
                        ""
                    }
                ),
                target: Some((to, 443)),
                via: Some(self.method_label(from_host)),
                trust_prompt: false,
            });
        }
        self.note = Some(format!("redirected to {href}"));
        self.fetch_root(
            to,
            VecDeque::from([(href.to_owned(), Vec::new())]),
            hops + 1,
        )
    }

    fn next_srv_target(&mut self, label: String, mut targets: VecDeque<(String, u16)>) -> Request {
        while let Some((target, port)) = targets.pop_front() {
            let mut prompt = false;
            if !srv_target_allowed(&target, &self.domain, self.options.strict_dns_naming) {
                if self.client == Client::Phone {
                    self.note = Some(format!(
                        "{target} is outside {}: the phone refuses it (strict DNS naming, CU7+)",
                        self.domain
                    ));
                    continue;
                }
                if !self.trusted(&target) {
                    prompt = true;
                }
            }
            self.wait = Wait::SrvTarget {
                label,
                targets,
                target: target.clone(),
                port,
                prompt,
            };
            return Request::Lookup {
                name: target,
                qtype: Rtype::A,
            };
        }
        self.fail_method("no usable SRV target".into())
    }

    fn connect_or_done(
        &mut self,
        label: String,
        host: String,
        port: u16,
        addrs: Vec<IpAddr>,
        prompt: bool,
        then: VecDeque<(String, u16)>,
    ) -> Request {
        if !self.options.connect {
            return self.done(&label, &host, port, prompt);
        }
        self.wait = Wait::Connecting {
            label,
            host: host.clone(),
            port,
            prompt,
            then,
        };
        Request::Connect {
            host,
            addrs,
            port,
            tls: self.tls,
        }
    }
}

fn m_label(name: &str) -> String {
    name.split('.').next().unwrap_or(name).to_owned()
}

fn parent(host: &str) -> String {
    host.split_once('.')
        .map(|(_, p)| p.to_owned())
        .unwrap_or_default()
}
