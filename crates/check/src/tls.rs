//! TLS on the endpoints a domain's DNS leads to: which ones a client would contact (the SIP SRV targets at their
//! ports, the Autodiscover and web names on 443, the Access Edge's A-record names), which names Lync needs on
//! each certificate, and the judgement of what a [`Probe`] found there. Deciding the endpoints and judging the
//! certificates is pure; the probe is given by the caller (the binary passes `lyncdns_tlsprobe::Prober`).
//!
//! The names each role's certificate needs ([S6], [S8], [S9], [S11]; `docs/lync.md` §4 #4, #5): the Access
//! Edge's carries its own FQDN and `sip.<domain>` for every SIP domain; the reverse proxy's `lyncdiscover.<domain>`;
//! the Front End's the pool FQDN, `lyncdiscoverinternal.<domain>`, and `sip.<domain>` where that name leads to it.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};

use lyncdns_dnsdata::rdata::RecordData;
use lyncdns_lync::naming::{LYNCDISCOVER, LYNCDISCOVERINTERNAL, SIP, SIPEXTERNAL, SIPINTERNAL};
use lyncdns_lync::services::{SIP_TLS, SIPFEDERATIONTLS, SIPINTERNALTLS, SrvService};
use lyncdns_model::Location;
use lyncdns_tlsprobe::{CertProblem, CertReport, Probe, ProbeError};
use serde::Serialize;

use crate::record::Rec;

/// The source keys cited in this module's docs (`[S1]` …), as links to their entries.
#[cfg(doc)]
#[allow(unused_imports)]
use lyncdns_lync::sources::*;

/// The HTTPS port of web services, Autodiscover and the Access Edge's client port outside.
const HTTPS: u16 = 443;
/// The SIP over TLS port of pools inside.
const SIP_TLS_PORT: u16 = 5061;

/// What a TLS endpoint is, as the DNS name that led to it says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// The Access Edge, for remote users (`_sip._tls`, `sip` outside).
    AccessEdge,
    /// The Access Edge, for federated partners (`_sipfederationtls._tcp`).
    Federation,
    /// A Front End pool or Director, inside (`_sipinternaltls._tcp`, `sip`/`sipinternal` inside).
    Pool,
    /// Autodiscover (`lyncdiscover`, `lyncdiscoverinternal`).
    Autodiscover,
    /// Other published web names (simple URLs, external web services).
    Web,
    /// The Web Conferencing Edge.
    WebConferencing,
}

impl Role {
    /// How the role reads in a report.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::AccessEdge => "Access Edge",
            Role::Federation => "Access Edge (federation)",
            Role::Pool => "pool",
            Role::Autodiscover => "Autodiscover",
            Role::Web => "web",
            Role::WebConferencing => "Web Conferencing Edge",
        }
    }
}

/// One endpoint a client would open TLS to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Endpoint {
    /// The name the client asks for (SNI, and the name matched against the certificate).
    pub name: String,
    /// The port.
    pub port: u16,
    /// Its addresses, as resolved.
    pub addresses: Vec<IpAddr>,
    /// What it is.
    pub role: Role,
    /// The record that leads to it (`_sip._tls.contoso.com SRV`, `lyncdiscover.contoso.com A`).
    pub via: String,
    /// Names Lync needs on this certificate besides `name`, each with its sources.
    pub required: Vec<Required>,
}

/// A name Lync needs on a certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Required {
    /// The name.
    pub name: String,
    /// Why (source keys).
    pub sources: Vec<&'static str>,
}

/// What probing an endpoint gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Outcome {
    /// Not probed (`--no-tls`, or bulk checks).
    NotProbed,
    /// TLS completed: the certificate and what is wrong with it.
    Checked {
        /// The address that answered.
        address: SocketAddr,
        /// The certificate.
        certificate: Box<CertReport>,
        /// What is wrong (empty: fine).
        problems: Vec<Problem>,
    },
    /// TCP connected, TLS failed: clients fail here too.
    HandshakeFailed {
        /// The address.
        address: SocketAddr,
        /// Why.
        why: String,
        /// The certificate, if the server sent one.
        certificate: Option<Box<CertReport>>,
    },
    /// No address accepted a connection: the endpoint could not be checked.
    CouldNotConnect {
        /// Each address and its error.
        why: String,
    },
}

/// One thing wrong with an endpoint's certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Problem {
    /// A problem of the certificate itself (validity, name asked, trust, chain).
    Certificate {
        /// Which.
        problem: CertProblem,
    },
    /// A name Lync needs is not covered.
    MissingName {
        /// The name.
        name: String,
        /// Its sources.
        sources: Vec<&'static str>,
    },
}

impl Problem {
    /// True for a warning.
    pub fn is_warning(&self) -> bool {
        matches!(self, Problem::Certificate { problem } if problem.is_warning())
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Certificate { problem } => problem.fmt(f),
            Problem::MissingName { name, sources } => {
                let cited: Vec<String> = sources.iter().map(|s| format!("[{s}]")).collect();
                write!(
                    f,
                    "lacks {name}, which Lync needs on it {}",
                    cited.join(", ")
                )
            }
        }
    }
}

/// One endpoint and its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TlsCheck {
    /// The endpoint.
    #[serde(flatten)]
    pub endpoint: Endpoint,
    /// What the probe found.
    #[serde(flatten)]
    pub outcome: Outcome,
}

impl TlsCheck {
    /// True when the endpoint could be probed (or was not asked to be).
    pub fn checked(&self) -> bool {
        !matches!(self.outcome, Outcome::CouldNotConnect { .. })
    }

    /// True when nothing is wrong (warnings included: they are findings).
    pub fn clean(&self) -> bool {
        match &self.outcome {
            Outcome::NotProbed => true,
            Outcome::Checked { problems, .. } => problems.is_empty(),
            Outcome::HandshakeFailed { .. } | Outcome::CouldNotConnect { .. } => false,
        }
    }
}

/// The endpoints `records` (a domain's live answers, lowercase owners) lead to, as read from the `location`
/// view: every TLS SIP SRV target at its port, Autodiscover and the web names on 443, and the A-record names
/// of SIP (`sip`, `sipexternal` outside on 443, `sip`, `sipinternal` inside on 5061). Only names with addresses.
pub fn endpoints(domain: &str, location: Location, records: &[Rec]) -> Vec<Endpoint> {
    let sip_name = format!("{SIP}.{domain}");
    let sip_addresses = addresses(records, &sip_name);
    let mut out: BTreeMap<(String, u16), Endpoint> = BTreeMap::new();
    let mut add = |name: &str, port: u16, role: Role, via: String, required: Vec<Required>| {
        let addresses = addresses(records, name);
        if addresses.is_empty() {
            return;
        }
        out.entry((name.to_owned(), port)).or_insert(Endpoint {
            name: name.to_owned(),
            port,
            addresses,
            role,
            via,
            required,
        });
    };
    let srv: [(SrvService, Role); 3] = [
        (SIP_TLS, Role::AccessEdge),
        (SIPFEDERATIONTLS, Role::Federation),
        (SIPINTERNALTLS, Role::Pool),
    ];
    for (service, role) in srv {
        let owner = format!("{}.{domain}", service.label());
        for r in records.iter().filter(|r| r.owner == owner) {
            let RecordData::Srv { target, port, .. } = &r.data else {
                continue;
            };
            if target == "." {
                continue;
            }
            let required = match role {
                // The Access Edge certificate carries sip.<domain> for every SIP domain [S8].
                Role::AccessEdge | Role::Federation if *target != sip_name => vec![Required {
                    name: sip_name.clone(),
                    sources: vec!["S8"],
                }],
                // A pool that sip.<domain> leads to must carry that name too [S1], [S11].
                Role::Pool
                    if *target != sip_name
                        && addresses(records, target)
                            .iter()
                            .any(|a| sip_addresses.contains(a)) =>
                {
                    vec![Required {
                        name: sip_name.clone(),
                        sources: vec!["S1", "S11"],
                    }]
                }
                _ => Vec::new(),
            };
            add(target, *port, role, format!("{owner} SRV"), required);
        }
    }
    let hosts: Vec<(&str, u16, Role)> = match location {
        Location::External => vec![
            (SIP, HTTPS, Role::AccessEdge),
            (SIPEXTERNAL, HTTPS, Role::AccessEdge),
            (LYNCDISCOVER, HTTPS, Role::Autodiscover),
            (LYNCDISCOVERINTERNAL, HTTPS, Role::Autodiscover),
            ("webconf", HTTPS, Role::WebConferencing),
            ("meet", HTTPS, Role::Web),
            ("dialin", HTTPS, Role::Web),
            ("lyncwebext", HTTPS, Role::Web),
        ],
        Location::Internal => vec![
            (SIP, SIP_TLS_PORT, Role::Pool),
            (SIPINTERNAL, SIP_TLS_PORT, Role::Pool),
            (LYNCDISCOVERINTERNAL, HTTPS, Role::Autodiscover),
            (LYNCDISCOVER, HTTPS, Role::Autodiscover),
            ("meet", HTTPS, Role::Web),
            ("dialin", HTTPS, Role::Web),
        ],
    };
    for (label, port, role) in hosts {
        let name = format!("{label}.{domain}");
        add(&name, port, role, format!("{name} A"), Vec::new());
    }
    out.into_values().collect()
}

/// The addresses `name` leads to in `records`, through up to 8 aliases.
fn addresses(records: &[Rec], name: &str) -> Vec<IpAddr> {
    let mut name = name.to_owned();
    for _ in 0..8 {
        let found: Vec<IpAddr> = records
            .iter()
            .filter(|r| r.owner == name)
            .filter_map(|r| r.data.address())
            .collect();
        if !found.is_empty() {
            let mut found = found;
            found.sort();
            found.dedup();
            return found;
        }
        match records.iter().find_map(|r| match &r.data {
            RecordData::Cname { target } if r.owner == name => Some(target.clone()),
            _ => None,
        }) {
            Some(next) => name = next,
            None => break,
        }
    }
    Vec::new()
}

/// Judges what probing `endpoint` gave.
pub fn judge(endpoint: &Endpoint, probed: Result<(SocketAddr, CertReport), ProbeError>) -> Outcome {
    match probed {
        Ok((address, certificate)) => {
            let mut problems: Vec<Problem> = certificate
                .problems()
                .into_iter()
                .map(|problem| Problem::Certificate { problem })
                .collect();
            for r in &endpoint.required {
                if !certificate.leaf().covers(&r.name) {
                    problems.push(Problem::MissingName {
                        name: r.name.clone(),
                        sources: r.sources.clone(),
                    });
                }
            }
            problems.sort_by_key(Problem::is_warning);
            Outcome::Checked {
                address,
                certificate: Box::new(certificate),
                problems,
            }
        }
        Err(ProbeError::Handshake {
            addr,
            why,
            certificate,
        }) => Outcome::HandshakeFailed {
            address: addr,
            why,
            certificate,
        },
        Err(e @ (ProbeError::Connect { .. } | ProbeError::NoAddress)) => {
            Outcome::CouldNotConnect { why: e.to_string() }
        }
    }
}

/// Probes every endpoint of `checks` through `probe`.
pub fn probe_all(checks: &mut [TlsCheck], probe: &mut dyn Probe) {
    for c in checks {
        let e = &c.endpoint;
        c.outcome = judge(e, probe.probe(&e.name, &e.addresses, e.port));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Origin;
    use lyncdns_dnsdata::rdata::Record;
    use lyncdns_tlsprobe::cert::Chain;
    use lyncdns_tlsprobe::{Certificate, Trust, Validity};

    fn rec(owner: &str, data: RecordData) -> Rec {
        Rec::new(
            Record {
                owner: owner.into(),
                ttl: 60,
                data,
            },
            Origin {
                file: "test".into(),
                line: 0,
            },
        )
    }

    fn a(owner: &str, ip: &str) -> Rec {
        rec(owner, RecordData::of_address(ip.parse().unwrap()))
    }

    fn srv(owner: &str, port: u16, target: &str) -> Rec {
        rec(
            owner,
            RecordData::Srv {
                priority: 0,
                weight: 0,
                port,
                target: target.into(),
            },
        )
    }

    fn external() -> Vec<Rec> {
        vec![
            srv("_sip._tls.contoso.com", 443, "access.contoso.com"),
            srv(
                "_sipfederationtls._tcp.contoso.com",
                5061,
                "access.contoso.com",
            ),
            a("access.contoso.com", "192.0.2.10"),
            a("sip.contoso.com", "192.0.2.10"),
            rec(
                "lyncdiscover.contoso.com",
                RecordData::Cname {
                    target: "proxy.contoso.com".into(),
                },
            ),
            a("proxy.contoso.com", "192.0.2.20"),
            srv("_sipinternaltls._tcp.contoso.com", 5061, "gone.contoso.com"),
        ]
    }

    #[test]
    fn endpoints_are_the_srv_targets_at_their_ports_and_the_web_names_on_443() {
        let e = endpoints("contoso.com", Location::External, &external());
        let got: Vec<(String, u16, Role, Vec<IpAddr>)> = e
            .iter()
            .map(|e| (e.name.clone(), e.port, e.role, e.addresses.clone()))
            .collect();
        let ip = |s: &str| vec![s.parse::<IpAddr>().unwrap()];
        assert_eq!(
            got,
            [
                (
                    "access.contoso.com".into(),
                    443,
                    Role::AccessEdge,
                    ip("192.0.2.10")
                ),
                (
                    "access.contoso.com".into(),
                    5061,
                    Role::Federation,
                    ip("192.0.2.10")
                ),
                (
                    "lyncdiscover.contoso.com".into(),
                    443,
                    Role::Autodiscover,
                    ip("192.0.2.20")
                ),
                (
                    "sip.contoso.com".into(),
                    443,
                    Role::AccessEdge,
                    ip("192.0.2.10")
                ),
            ],
            "a target without an address is left to the DNS check (it is reported missing there)"
        );
        assert_eq!(
            e[0].required,
            [Required {
                name: "sip.contoso.com".into(),
                sources: vec!["S8"]
            }]
        );
        assert_eq!(e[0].via, "_sip._tls.contoso.com SRV");
    }

    #[test]
    fn a_pool_carries_sip_only_where_sip_leads_to_it() {
        let inside = vec![
            srv("_sipinternaltls._tcp.contoso.com", 5061, "pool.contoso.com"),
            a("pool.contoso.com", "10.0.0.10"),
            a("sip.contoso.com", "10.0.0.10"),
        ];
        let e = endpoints("contoso.com", Location::Internal, &inside);
        assert_eq!(e[0].name, "pool.contoso.com");
        assert_eq!(e[0].required[0].name, "sip.contoso.com");
        let elsewhere = vec![
            inside[0].clone(),
            inside[1].clone(),
            a("sip.contoso.com", "10.0.0.99"),
        ];
        let e = endpoints("contoso.com", Location::Internal, &elsewhere);
        assert_eq!(e[0].required, []);
    }

    fn report(name: &str, dns_names: &[&str], validity: Validity) -> CertReport {
        let leaf = Certificate {
            subject: format!("CN={name}"),
            subject_cn: Some(name.into()),
            dns_names: dns_names.iter().map(|n| n.to_string()).collect(),
            issuer: "CN=Lab CA".into(),
            not_before: 0,
            not_after: 1,
        };
        CertReport {
            name: name.into(),
            tls_version: "TLSv1.3".into(),
            covered: leaf.covers(name),
            chain: vec![leaf],
            linked: Chain::Linked,
            trust: Trust::Trusted,
            validity,
        }
    }

    #[test]
    fn the_access_edge_without_sip_lacks_a_name_lync_needs() {
        let e = &endpoints("contoso.com", Location::External, &external())[0];
        let addr: SocketAddr = "192.0.2.10:443".parse().unwrap();
        let ok = judge(
            e,
            Ok((
                addr,
                report(
                    "access.contoso.com",
                    &["access.contoso.com", "sip.contoso.com"],
                    Validity::Valid { days_left: 90 },
                ),
            )),
        );
        assert!(
            matches!(&ok, Outcome::Checked { problems, .. } if problems.is_empty()),
            "{ok:?}"
        );
        let bad = judge(
            e,
            Ok((
                addr,
                report(
                    "access.contoso.com",
                    &["access.contoso.com"],
                    Validity::Valid { days_left: 3 },
                ),
            )),
        );
        let Outcome::Checked { problems, .. } = &bad else {
            panic!("{bad:?}")
        };
        assert_eq!(
            problems.iter().map(ToString::to_string).collect::<Vec<_>>(),
            [
                "lacks sip.contoso.com, which Lync needs on it [S8]",
                "expires in 3 day(s) (under 30)"
            ],
            "errors first, then the warning"
        );
        let check = TlsCheck {
            endpoint: e.clone(),
            outcome: bad,
        };
        assert!(check.checked() && !check.clean());
    }

    #[test]
    fn a_refused_connection_could_not_be_checked_a_failed_handshake_is_a_finding() {
        let e = endpoints("contoso.com", Location::External, &external()).remove(0);
        let dead = TlsCheck {
            outcome: judge(
                &e,
                Err(ProbeError::Connect {
                    why: "192.0.2.10:443: connection refused".into(),
                }),
            ),
            endpoint: e.clone(),
        };
        assert!(!dead.checked() && !dead.clean());
        assert!(
            matches!(&dead.outcome, Outcome::CouldNotConnect { why } if why.starts_with("could not connect"))
        );
        let not_tls = TlsCheck {
            outcome: judge(
                &e,
                Err(ProbeError::Handshake {
                    addr: "192.0.2.10:443".parse().unwrap(),
                    why: "corrupt message".into(),
                    certificate: None,
                }),
            ),
            endpoint: e,
        };
        assert!(not_tls.checked() && !not_tls.clean());
    }
}
