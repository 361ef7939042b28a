//! The SIP step after a SIP server is found, with `--probe`: a TLS connection to it, `OPTIONS`, and an
//! unauthenticated `REGISTER` for the user, as a client's sign-in starts. A `301` (a Director sending the user
//! to the home pool [S40], [S50]) is followed once. Its contact is judged by the rule for Autodiscover redirects
//! (the SIP domain, the domain of the server that redirected, a trusted domain, or Online): outside them a phone
//! refuses it and a desktop client asks the user first, as for any server outside the trusted domains [S24];
//! a `401` names the authentication schemes the registrar offers ([S49]); that registrar's answer ends the
//! discovery. The exchange itself is the driver's (`Net::sip`); this file decides from its typed result.

use std::collections::VecDeque;
use std::fmt;
use std::net::{IpAddr, SocketAddr};

use lyncdns_dnsdata::resolve::Lookup;
use lyncdns_dnsdata::types::Rtype;
use serde::Serialize;

use super::{Machine, Outcome, Request, Verdict, Wait, parent, status_of, within};

/// The source keys cited in this module's docs (`[S1]` …), as links to their entries.
#[cfg(doc)]
#[allow(unused_imports)]
use lyncdns_lync::sources::*;

/// What the driver is asked to do: connect to `host:port` over TLS (SNI and certificate check for `host`), send
/// `OPTIONS`, then `REGISTER` for `uri` without credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SipRequest {
    /// The SIP server's name.
    pub host: String,
    /// Its addresses, tried in order.
    pub addrs: Vec<IpAddr>,
    /// The port.
    pub port: u16,
    /// The user's SIP address (`user@domain`).
    pub uri: String,
}

/// What the SIP exchange gave: the connection, the TLS session, and the answers to OPTIONS and REGISTER, or why
/// it stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SipExchange {
    /// The address that accepted the connection.
    pub connected: Option<SocketAddr>,
    /// The TLS session, once the handshake succeeded.
    pub tls: Option<TlsSession>,
    /// The answer to OPTIONS.
    pub options: Option<SipAnswer>,
    /// The answer to REGISTER.
    pub register: Option<SipAnswer>,
    /// Why the exchange stopped early (every address tried, in order).
    pub errors: Vec<SipProbeError>,
}

/// The TLS session with a SIP server, as rustls reports it (the certificate's own fields come with the
/// certificate report, separately).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TlsSession {
    /// `TLSv1_3`, `TLSv1_2`.
    pub version: String,
    /// The cipher suite.
    pub cipher_suite: String,
    /// Certificates the server sent (its own first).
    pub chain: usize,
    /// The name the certificate was verified for (against the trust store and `--ca`).
    pub verified_for: String,
    /// The DNS names the server's certificate certifies (its subject alternative names).
    pub names: Vec<String>,
}

/// A SIP response, as far as discovery reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SipAnswer {
    /// The status code.
    pub status: u16,
    /// The reason phrase.
    pub reason: String,
    /// The `Server` header.
    pub server: Option<String>,
    /// `Contact` URIs' hosts and ports (a redirect's targets), in order.
    pub contacts: Vec<(String, u16)>,
    /// The schemes of the `WWW-Authenticate` challenges, in order.
    pub schemes: Vec<String>,
    /// The `targetname` of the first challenge: the registrar's FQDN ([MS-SIPAE] [S49]).
    pub targetname: Option<String>,
}

/// Why the SIP exchange with one address stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum SipProbeError {
    /// The TCP connection failed.
    Connect {
        /// The address.
        addr: SocketAddr,
        /// Why.
        reason: ConnectFailure,
    },
    /// The TLS handshake failed.
    Tls {
        /// The address.
        addr: SocketAddr,
        /// Why.
        reason: TlsFailure,
    },
    /// The server's SIP could not be read (or it closed) after the handshake.
    Protocol {
        /// The address.
        addr: SocketAddr,
        /// The request that got no usable answer.
        request: String,
        /// What was wrong.
        what: String,
    },
    /// The lab does not dial this address and port (it is the deployment's, and no lab registrar plays it).
    NotDialled {
        /// The address and port.
        addr: SocketAddr,
    },
}

/// Why a TCP connection failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ConnectFailure {
    /// The source address is loopback and the destination is not: the kernel refuses (EINVAL) before any packet.
    LoopbackSource {
        /// The source.
        from: IpAddr,
    },
    /// Nothing listens there (connection refused).
    Refused,
    /// No answer within the timeout.
    TimedOut,
    /// Any other socket error, as the OS words it.
    Os {
        /// The error.
        error: String,
    },
}

/// Why a TLS handshake failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum TlsFailure {
    /// The certificate does not cover the name asked (its subject alternative names).
    NotValidForName {
        /// The name asked.
        name: String,
    },
    /// The certificate has expired (or is not yet valid).
    Expired,
    /// Its issuer is not in the trust store (`--ca` adds one).
    UnknownIssuer,
    /// Any other failure, as rustls words it.
    Other {
        /// The error.
        error: String,
    },
}

impl fmt::Display for ConnectFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectFailure::LoopbackSource { from } => write!(
                f,
                "the source address {from} is loopback and cannot reach a non-loopback address; give --from an \
                 address that can, or send SIP to a reachable listener with --dial sip=ADDR:PORT"
            ),
            ConnectFailure::Refused => f.write_str("connection refused"),
            ConnectFailure::TimedOut => f.write_str("timed out"),
            ConnectFailure::Os { error } => f.write_str(error),
        }
    }
}

impl fmt::Display for TlsFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsFailure::NotValidForName { name } => {
                write!(
                    f,
                    "the certificate does not cover {name} (subject alternative names)"
                )
            }
            TlsFailure::Expired => f.write_str("the certificate has expired or is not yet valid"),
            TlsFailure::UnknownIssuer => {
                f.write_str("the certificate's issuer is not trusted (add its CA with --ca)")
            }
            TlsFailure::Other { error } => f.write_str(error),
        }
    }
}

impl fmt::Display for SipProbeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SipProbeError::Connect { addr, reason } => write!(f, "{addr}: {reason}"),
            SipProbeError::Tls { addr, reason } => write!(f, "{addr}: TLS: {reason}"),
            SipProbeError::Protocol {
                addr,
                request,
                what,
            } => write!(f, "{addr}: no SIP answer to {request}: {what}"),
            SipProbeError::NotDialled { addr } => write!(
                f,
                "{addr}: no lab SIP registrar plays this address and port (the lab connects only to its own \
                 listeners)"
            ),
        }
    }
}

/// The registrar that answered a client's REGISTER, for the verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegistrarAnswer {
    /// The registrar (after a redirect, the home pool).
    pub host: String,
    /// Its port.
    pub port: u16,
    /// The address that answered.
    pub address: SocketAddr,
    /// The REGISTER status: 401 with challenges (or 200).
    pub status: u16,
    /// The authentication schemes offered.
    pub schemes: Vec<String>,
    /// The registrar's name in its challenge (`targetname`): which pool answered, also through an Edge.
    pub targetname: Option<String>,
    /// Its `Server` header.
    pub server: Option<String>,
    /// The TLS session.
    pub tls: Option<TlsSession>,
    /// The server that redirected the client here with a 301 (a Director), if one did.
    pub redirected_by: Option<String>,
}

impl fmt::Display for RegistrarAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(by) = &self.redirected_by {
            write!(f, "{by} redirected to ")?;
        }
        write!(
            f,
            "{}:{} ({}), REGISTER → {}",
            self.host, self.port, self.address, self.status
        )?;
        if !self.schemes.is_empty() {
            write!(f, " offering {}", self.schemes.join(", "))?;
        }
        Ok(())
    }
}

impl Machine {
    /// The SIP exchange with the server found (`redirected_by` set after a 301).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn sip_request(
        &mut self,
        label: String,
        host: String,
        port: u16,
        addrs: Vec<IpAddr>,
        prompt: bool,
        then: VecDeque<(String, u16)>,
        redirected_by: Option<String>,
    ) -> Request {
        self.wait = Wait::Sip {
            label,
            host: host.clone(),
            port,
            prompt,
            then,
            redirected_by,
        };
        Request::Sip(SipRequest {
            host,
            addrs,
            port,
            uri: self.uri.clone(),
        })
    }

    /// The answer of the SIP server: registered or challenged (signs in), redirected (followed once), or failed
    /// (the next SRV target, or the next method).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_sip(
        &mut self,
        label: String,
        host: String,
        port: u16,
        prompt: bool,
        then: VecDeque<(String, u16)>,
        redirected_by: Option<String>,
        x: SipExchange,
    ) -> Request {
        let fail = |m: &mut Machine, why: String, then: VecDeque<(String, u16)>| {
            if then.is_empty() || redirected_by.is_some() {
                return m.fail_method(why);
            }
            m.note = Some(format!("{why}; next target"));
            m.next_srv_target(label.clone(), then)
        };
        let errors: Vec<String> = x.errors.iter().map(|e| e.to_string()).collect();
        let Some(address) = x.connected else {
            let why = format!("cannot connect to {host}:{port}: {}", errors.join("; "));
            return fail(self, why, then);
        };
        let Some(register) = x.register.clone() else {
            let why = format!("no SIP answer from {host}:{port}: {}", errors.join("; "));
            return fail(self, why, then);
        };
        match register.status {
            301 | 302 if redirected_by.is_none() => {
                let Some((to, to_port)) = register.contacts.first().cloned() else {
                    return fail(
                        self,
                        format!("{host} redirected REGISTER without a Contact"),
                        then,
                    );
                };
                let online = within(&to, "online.lync.com");
                if online {
                    // The user is homed in Skype for Business Online: the on-premises registrar sends the
                    // client there, where the Online service signs it in.
                    return Request::Done(Verdict {
                        outcome: Outcome::RedirectedOnline {
                            url: format!("sip:{to}:{to_port};transport=tls"),
                            user_homed: true,
                        },
                        via: Some(label),
                    });
                }
                // The redirecting server's domain: the one of the name asked, and of every name its verified
                // certificate certifies (a Director reached as sip.<domain> is also its pool FQDN).
                let certified = x.tls.iter().flat_map(|t| t.names.iter());
                let passes = within(&to, &self.domain)
                    || within(&to, &parent(&host))
                    || certified.clone().any(|n| within(&to, &parent(n)))
                    || self.trusted(&to);
                if !passes && self.client == super::Client::Phone {
                    return self.fail_method(format!(
                        "the SIP redirect from {host} to {to} is refused by the anti-spoofing rule ({to} is not in \
                         {}, nor in {} where {host} is, nor in a trusted domain; a phone never prompts)",
                        self.domain,
                        parent(&host)
                    ));
                }
                // A desktop client connects after the "cannot verify that the server is trusted" prompt, as
                // for any server outside the SIP domain and the trusted domains [S24].
                let prompt = prompt || !passes;
                self.note = Some(format!(
                    "{host} answered REGISTER with {} {}: the home registrar is {to}:{to_port}{}",
                    register.status,
                    register.reason,
                    if passes {
                        ""
                    } else {
                        " (outside the SIP domain, the redirecting server's and the trusted domains: the user is \
                         asked to trust it first)"
                    }
                ));
                self.wait = Wait::SipRedirect {
                    label,
                    prompt,
                    from: host,
                    to: to.clone(),
                    port: to_port,
                };
                Request::Lookup {
                    name: to,
                    qtype: Rtype::A,
                }
            }
            301 | 302 => self.fail_method(format!(
                "{host} redirected REGISTER again (after {}): a client follows one redirect",
                redirected_by.unwrap_or_default()
            )),
            200 | 401 | 407 => {
                self.note = Some(format!(
                    "{host}:{port} answered REGISTER with {} {}{}",
                    register.status,
                    register.reason,
                    if register.schemes.is_empty() {
                        String::new()
                    } else {
                        format!(", offering {}", register.schemes.join(", "))
                    }
                ));
                let answer = RegistrarAnswer {
                    host: host.clone(),
                    port,
                    address,
                    status: register.status,
                    schemes: register.schemes,
                    targetname: register.targetname,
                    server: register.server,
                    tls: x.tls,
                    redirected_by,
                };
                let (host, port) = match &answer.redirected_by {
                    // The verdict names the server discovery found; the registrar that answered is beside it.
                    Some(_) => self.found.clone().unwrap_or((host, port)),
                    None => (host, port),
                };
                Request::Done(Verdict {
                    outcome: Outcome::SignsIn {
                        host,
                        port,
                        trust_prompt: prompt,
                        registrar: Some(Box::new(answer)),
                    },
                    via: Some(label),
                })
            }
            status => fail(
                self,
                format!(
                    "{host}:{port} answered REGISTER with {status} {}",
                    register.reason
                ),
                then,
            ),
        }
    }

    /// The home registrar's addresses after a redirect.
    pub(super) fn on_sip_redirect(
        &mut self,
        label: String,
        prompt: bool,
        from: String,
        to: String,
        port: u16,
        l: Lookup,
    ) -> Request {
        let addrs = l.addresses();
        if addrs.is_empty() {
            return self.fail_method(format!(
                "{to}, where {from} redirected REGISTER, does not resolve ({})",
                status_of(&to, &l)
            ));
        }
        self.sip_request(label, to, port, addrs, prompt, VecDeque::new(), Some(from))
    }
}
