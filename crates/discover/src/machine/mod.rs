//! Each client's discovery as a pure state machine: [`Machine::start`] and [`Machine::feed`] return the next
//! [`Request`] (a DNS lookup, a TCP/TLS connect, an HTTP fetch) and consume its [`Reply`], until a [`Verdict`].
//! No sockets, no clock: the driver ([`crate::run`]) does the I/O, so every order can be tested against an
//! in-memory resolver.
//!
//! The orders, from `docs/lync.md` §2 (source keys on each [`Client`]):
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
//!
//! By job: [`Client`] and [`Options`] in `options.rs`; each client's method list in `methods.rs`; the
//! Autodiscover methods in `autodiscover.rs`; SRV and A-record methods, with strict DNS naming, in `srv.rs`; the
//! phone's time server in `phone.rs`; the [`Verdict`] and its typed [`Outcome`] in `verdict.rs`. This file holds
//! the machine, what it asks and what it is told, and hands each reply to the state that waits for it.

mod autodiscover;
mod methods;
mod options;
mod phone;
mod sip;
mod srv;
mod verdict;

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};

use serde::Serialize;

use lyncdns_dnsdata::resolve::Lookup;
use lyncdns_dnsdata::types::Rtype;

use methods::{Method, m_label};
pub use options::{Client, HttpOrder, Options};
pub use sip::{
    ConnectFailure, RegistrarAnswer, SipAnswer, SipExchange, SipProbeError, SipRequest, TlsFailure,
    TlsSession,
};
pub use verdict::{Failure, Outcome, Verdict};

/// The source keys cited in this module's docs (`[S1]` …), as links to their entries.
#[cfg(doc)]
#[allow(unused_imports)]
use lyncdns_lync::sources::*;

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
    /// A TLS connection to a SIP server, OPTIONS and an unauthenticated REGISTER (with `--probe`).
    Sip(SipRequest),
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
    /// The values of header `name` (lowercase), in order.
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
    /// The SIP exchange (boxed: it is several times larger than the other replies).
    Sip(Box<SipExchange>),
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
    UcwaAddress {
        via: String,
        url: String,
    },
    UcwaReach {
        via: String,
        url: String,
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
    Sip {
        label: String,
        host: String,
        port: u16,
        prompt: bool,
        then: VecDeque<(String, u16)>,
        redirected_by: Option<String>,
    },
    SipRedirect {
        label: String,
        prompt: bool,
        from: String,
        to: String,
        port: u16,
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
    /// Out-of-zone aliases followed in the method in progress.
    aliases: u8,
    /// The SIP server discovery found (host, port), kept for the verdict when a registrar redirects.
    found: Option<(String, u16)>,
}

/// The most out-of-zone aliases followed for one method (a loop of CNAMEs across servers ends there).
const MAX_ALIASES: u8 = 8;

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

/// Whether `name` is `domain` or below it.
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

/// How a lookup for `host` ended, for a "does not resolve" message: the rcode or failure, and the alias asked
/// last when the name led to one (`via the alias webdir.online.lync.com: REFUSED`).
fn status_of(host: &str, l: &Lookup) -> String {
    if l.name
        .trim_end_matches('.')
        .eq_ignore_ascii_case(host.trim_end_matches('.'))
    {
        l.status()
    } else {
        format!("via the alias {}: {}", l.name, l.status())
    }
}

/// The port of an `http(s)` URL: the explicit one, else the scheme's (443 for HTTPS, 80 for HTTP).
pub(crate) fn port_of(url: &str) -> u16 {
    let (scheme, rest) = url.split_once("://").unwrap_or(("https", url));
    let authority = rest.split(['/', '?']).next().unwrap_or(rest);
    authority
        .rsplit_once(':')
        .and_then(|(_, p)| p.parse().ok())
        .unwrap_or(if scheme.eq_ignore_ascii_case("http") {
            80
        } else {
            443
        })
}

/// The domain of a host: the host without its first label.
fn parent(host: &str) -> String {
    host.split_once('.')
        .map(|(_, p)| p.to_owned())
        .unwrap_or_default()
}

impl Machine {
    /// Discovery of `sip_uri` by `client`; `None` if the URI has no domain.
    pub fn new(client: Client, sip_uri: &str, options: Options) -> Option<Machine> {
        let domain = sip_domain(sip_uri)?;
        let methods = methods::methods(client, &domain, &options);
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
            aliases: 0,
            found: None,
        })
    }

    /// The SIP domain being discovered.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// How many discovery methods have failed so far (a method that failed is one the client moved on from).
    pub fn methods_failed(&self) -> usize {
        self.failures.len()
    }

    /// Why the machine moved on after the last reply, if it said so.
    pub fn take_note(&mut self) -> Option<String> {
        self.note.take()
    }

    /// The first request.
    pub fn start(&mut self) -> Request {
        if !self.ntp_done {
            return self.ask_ntp();
        }
        self.next_method()
    }

    /// Consumes the reply to the last request; returns the next one.
    pub fn feed(&mut self, reply: Reply) -> Request {
        if let Some(next) = self.follow_alias(&reply) {
            return next;
        }
        let wait = std::mem::replace(&mut self.wait, Wait::Nothing);
        match (wait, reply) {
            (Wait::Ntp, Reply::Lookup(l)) => self.on_ntp(l),
            (Wait::AdAddress { host }, Reply::Lookup(l)) => self.on_ad_address(host, l),
            (Wait::AdRoot { host, urls, hops }, Reply::Fetch { response, error }) => {
                self.on_ad_root(host, urls, hops, response, error)
            }
            (
                Wait::AdUserChallenge {
                    host,
                    user_url,
                    hops,
                },
                Reply::Fetch { response, error },
            ) => self.on_ad_user_challenge(host, user_url, hops, response, error),
            (
                Wait::AdToken {
                    host,
                    user_url,
                    hops,
                },
                Reply::Fetch { response, error },
            ) => self.on_ad_token(host, user_url, hops, response, error),
            (
                Wait::AdUser {
                    host,
                    user_url,
                    hops,
                },
                Reply::Fetch { response, error },
            ) => self.on_ad_user(host, user_url, hops, response, error),
            (Wait::AdSipAddress { via, fqdn, port }, Reply::Lookup(l)) => {
                self.on_ad_sip_address(via, fqdn, port, l)
            }
            (Wait::UcwaAddress { via, url }, Reply::Lookup(l)) => self.on_ucwa_address(via, url, l),
            (Wait::UcwaReach { via, url }, Reply::Fetch { response, error }) => {
                self.on_ucwa_reach(via, url, response, error)
            }
            (Wait::SrvRecords { name, tls }, Reply::Lookup(l)) => self.on_srv_records(name, tls, l),
            (
                Wait::SrvTarget {
                    label,
                    targets,
                    target,
                    port,
                    prompt,
                },
                Reply::Lookup(l),
            ) => self.on_srv_target(label, targets, target, port, prompt, l),
            (Wait::HostAddress { label, name, ports }, Reply::Lookup(l)) => {
                self.on_host_address(label, name, ports, l)
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
            ) => self.on_connect(
                label,
                host,
                port,
                prompt,
                then,
                connected.ok_or_else(|| error.unwrap_or_default()),
            ),
            (
                Wait::Sip {
                    label,
                    host,
                    port,
                    prompt,
                    then,
                    redirected_by,
                },
                Reply::Sip(x),
            ) => self.on_sip(label, host, port, prompt, then, redirected_by, *x),
            (
                Wait::SipRedirect {
                    label,
                    prompt,
                    from,
                    to,
                    port,
                },
                Reply::Lookup(l),
            ) => self.on_sip_redirect(label, prompt, from, to, port, l),
            (_, other) => {
                let why = format!("unexpected reply {other:?}");
                self.fail_method(why)
            }
        }
    }

    /// An address lookup answered with a CNAME chain that leaves the server's zones (`lyncdiscover` →
    /// `webdir.online.lync.com` on an authoritative server): the answer holds the alias but no address, and the
    /// client's resolver would go on to ask for the alias's target. So does the machine, still waiting for the
    /// same addresses; the handler then sees the target's answer. At most [`MAX_ALIASES`] per method.
    fn follow_alias(&mut self, reply: &Reply) -> Option<Request> {
        let Reply::Lookup(l) = reply else {
            return None;
        };
        let waits_for_addresses = matches!(
            self.wait,
            Wait::AdAddress { .. }
                | Wait::AdSipAddress { .. }
                | Wait::UcwaAddress { .. }
                | Wait::SrvTarget { .. }
                | Wait::HostAddress { .. }
                | Wait::SipRedirect { .. }
        );
        let end = l.cnames().last().cloned()?;
        if !waits_for_addresses
            || !l.addresses().is_empty()
            || l.conclusive().is_err()
            || self.aliases >= MAX_ALIASES
            || end.eq_ignore_ascii_case(&l.name)
        {
            return None;
        }
        self.aliases += 1;
        self.note = Some(format!(
            "{} is an alias of {end}, outside the zones that answered: asking for {end}",
            l.name
        ));
        Some(Request::Lookup {
            name: end,
            qtype: l.qtype,
        })
    }

    /// Records why the method in progress failed and moves on to the next.
    fn fail_method(&mut self, why: String) -> Request {
        let label = self.current.as_ref().map(Method::label).unwrap_or_default();
        self.failures.push(format!("{label}: {why}"));
        self.note = Some(match self.note.take() {
            Some(earlier) => format!("{earlier}; {why}; moving on"),
            None => format!("{why}; moving on"),
        });
        self.next_method()
    }

    /// Starts the next method in the client's list, or ends with every failure when none is left.
    fn next_method(&mut self) -> Request {
        let Some(m) = self.methods.pop_front() else {
            self.current = None;
            self.wait = Wait::Nothing;
            let tried = std::mem::take(&mut self.failures);
            let reason = match self.client {
                Client::Store | Client::Mobile
                    if !self.options.mobile_srv_fallback || self.client == Client::Store =>
                {
                    Failure::NoSrvFallback { tried }
                }
                _ => Failure::EveryMethodFailed { tried },
            };
            return Request::Done(Verdict::fails(reason));
        };
        self.current = Some(m.clone());
        self.tls = true;
        self.aliases = 0;
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

    /// The client signs in at `host:port`, found by the method `via`.
    fn done(&mut self, via: &str, host: &str, port: u16, prompt: bool) -> Request {
        Request::Done(Verdict {
            outcome: Outcome::SignsIn {
                host: host.to_owned(),
                port,
                trust_prompt: prompt,
                registrar: None,
            },
            via: Some(via.to_owned()),
        })
    }

    /// The SIP server is found: connect to it when asked to, otherwise that is the verdict.
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
        if self.tls {
            // SIP over TLS: the sign-in goes on to a registrar's answer.
            self.found = Some((host.clone(), port));
            return self.sip_request(label, host, port, addrs, prompt, then, None);
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

    /// The connection to the SIP server: it signs in, or the next target (`then`) is tried.
    fn on_connect(
        &mut self,
        label: String,
        host: String,
        port: u16,
        prompt: bool,
        then: VecDeque<(String, u16)>,
        connected: Result<SocketAddr, String>,
    ) -> Request {
        match connected {
            Ok(addr) => {
                self.note = Some(format!("connected to {addr}"));
                self.done(&label, &host, port, prompt)
            }
            Err(error) => {
                let why = format!("cannot connect to {host}:{port}: {error}");
                if then.is_empty() {
                    return self.fail_method(why);
                }
                self.note = Some(format!("{why}; next target"));
                self.next_srv_target(label, then)
            }
        }
    }

    /// The label of the discovery method in progress (a redirect keeps the method that started it).
    fn method_label(&self, fallback_host: &str) -> String {
        self.current
            .as_ref()
            .map(Method::label)
            .unwrap_or_else(|| m_label(fallback_host))
    }

    /// Whether `host` is in the SIP domain or a trusted domain (TrustModelData).
    fn trusted(&self, host: &str) -> bool {
        within(host, &self.domain) || self.options.trusted_domains.iter().any(|d| within(host, d))
    }
}
