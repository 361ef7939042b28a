//! The driver: runs a [`Machine`] against a [`Resolver`] and a [`Net`], recording every step.

use std::net::IpAddr;

use serde::Serialize;

use crate::machine::{Client, Failure, Fetch, Machine, Reply, Request, Verdict, host_of};
use lyncdns_dnsdata::resolve::Resolver;
use lyncdns_dnsdata::types::Rtype;

/// Network probes: TCP/TLS connects and HTTP(S) requests.
pub trait Net {
    /// Connects to `host:port` at each address in turn (TLS with SNI `host` when `tls`).
    fn connect(&mut self, host: &str, addrs: &[IpAddr], port: u16, tls: bool) -> Reply;
    /// Performs `fetch` against `addrs`, with `bearer` and the password-grant `form` body when given.
    fn fetch(
        &mut self,
        fetch: &Fetch,
        addrs: &[IpAddr],
        bearer: Option<&str>,
        form: Option<&str>,
    ) -> Reply;
}

/// A network that probes nothing (discovery without `--probe` never asks it).
pub struct NoNet;

impl Net for NoNet {
    fn connect(&mut self, _: &str, _: &[IpAddr], _: u16, _: bool) -> Reply {
        Reply::Connect {
            connected: None,
            error: Some("probing is off".into()),
        }
    }
    fn fetch(&mut self, _: &Fetch, _: &[IpAddr], _: Option<&str>, _: Option<&str>) -> Reply {
        Reply::Fetch {
            response: None,
            error: Some("probing is off".into()),
        }
    }
}

/// One step: what was asked, what came back, and why the client moved on.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// The request.
    pub request: Request,
    /// Its reply.
    pub reply: Reply,
    /// The client's conclusion.
    pub note: Option<String>,
}

/// A whole discovery.
#[derive(Debug, Clone, Serialize)]
pub struct Discovery {
    /// The client.
    pub client: Client,
    /// The SIP URI.
    pub sip_uri: String,
    /// The resolver used.
    pub resolver: String,
    /// Every step.
    pub steps: Vec<Step>,
    /// The end.
    pub verdict: Verdict,
    /// The step that decided the verdict (its index), if any.
    pub decided_by: Option<usize>,
}

/// Credentials for the Autodiscover token flow.
#[derive(Clone)]
pub struct Credentials {
    /// User name (the SIP address).
    pub user: String,
    /// Password (never logged or reported).
    pub password: String,
}

fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The most steps a discovery may take: a machine that has not ended by then is stopped.
pub const MAX_STEPS: usize = 100;

/// Runs `machine` to its verdict (at most [`MAX_STEPS`] steps).
pub fn run(
    mut machine: Machine,
    client: Client,
    sip_uri: &str,
    resolver: &mut dyn Resolver,
    net: &mut dyn Net,
    creds: Option<&Credentials>,
) -> Discovery {
    let mut steps: Vec<Step> = Vec::new();
    let mut token: Option<String> = None;
    // The client's DNS cache: a host resolved once for HTTP is not asked again.
    let mut cache: std::collections::HashMap<String, Vec<IpAddr>> =
        std::collections::HashMap::new();
    let mut request = machine.start();
    let verdict = loop {
        if steps.len() >= MAX_STEPS {
            break Verdict::fails(Failure::StepLimit { steps: MAX_STEPS });
        }
        let reply = match &request {
            Request::Done(v) => break v.clone(),
            Request::Lookup { name, qtype } => Reply::Lookup(resolver.lookup(name, *qtype)),
            Request::Connect {
                host,
                addrs,
                port,
                tls,
            } => net.connect(host, addrs, *port, *tls),
            Request::Fetch(f) => {
                let mut addrs = f.addrs.clone();
                let host = host_of(&f.url);
                if addrs.is_empty()
                    && let Some(cached) = cache.get(&host)
                {
                    addrs = cached.clone();
                }
                if addrs.is_empty() {
                    // Resolve the URL's host as the client would, and show that lookup as its own step.
                    let l = resolver.lookup(&host, Rtype::A);
                    addrs = l.addresses();
                    let note = addrs.is_empty().then(|| format!("{host} does not resolve"));
                    steps.push(Step {
                        request: Request::Lookup {
                            name: host.clone(),
                            qtype: Rtype::A,
                        },
                        reply: Reply::Lookup(l),
                        note,
                    });
                }
                cache.insert(host, addrs.clone());
                let form = match (f.token_request, creds) {
                    (true, Some(c)) => Some(format!(
                        "grant_type=password&username={}&password={}",
                        form_encode(&c.user),
                        form_encode(&c.password)
                    )),
                    _ => None,
                };
                let reply = if addrs.is_empty() {
                    Reply::Fetch {
                        response: None,
                        error: Some("the host does not resolve".into()),
                    }
                } else {
                    net.fetch(
                        f,
                        &addrs,
                        if f.bearer { token.as_deref() } else { None },
                        form.as_deref(),
                    )
                };
                let mut reply = reply;
                if f.token_request
                    && let Reply::Fetch {
                        response: Some(r), ..
                    } = &mut reply
                {
                    if r.status == 200 {
                        token = serde_json::from_str::<serde_json::Value>(&r.body)
                            .ok()
                            .and_then(|v| v["access_token"].as_str().map(str::to_owned));
                    }
                    // Reports never show the token.
                    r.body = r
                        .body
                        .split("\"access_token\"")
                        .next()
                        .map(|_| "(token response, redacted)".to_owned())
                        .unwrap_or_default();
                }
                reply
            }
        };
        let next = machine.feed(reply.clone());
        steps.push(Step {
            request,
            reply,
            note: machine.take_note(),
        });
        request = next;
    };
    let decided_by = if verdict.ok() {
        steps.len().checked_sub(1)
    } else {
        None
    };
    Discovery {
        client,
        sip_uri: sip_uri.to_owned(),
        resolver: resolver.describe(),
        steps,
        verdict,
        decided_by,
    }
}
