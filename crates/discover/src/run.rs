//! The driver: runs a [`Machine`] against a [`Resolver`] and a [`Net`], recording every step.

use std::net::IpAddr;

use serde::Serialize;

use crate::machine::{
    Client, Failure, Fetch, Machine, Reply, Request, SipExchange, SipRequest, Verdict, host_of,
};
use lyncdns_dnsdata::resolve::Resolver;
use lyncdns_dnsdata::types::Rtype;

/// The source keys cited in this module's docs (`[S1]` …), as links to their entries.
#[cfg(doc)]
#[allow(unused_imports)]
use lyncdns_lync::sources::*;

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
    /// Connects to the SIP server over TLS and sends OPTIONS and an unauthenticated REGISTER. A network that
    /// does not speak SIP answers with an exchange that reached nothing.
    fn sip(&mut self, request: &SipRequest) -> Reply {
        let _ = request;
        Reply::Sip(Box::new(SipExchange {
            connected: None,
            tls: None,
            options: None,
            register: None,
            errors: Vec::new(),
        }))
    }
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
    /// What the client decided on this reply, from the machine's state (never from the reply's text).
    pub decision: Decision,
}

/// What the client decided on a step's reply: reports colour steps by it, not by the DNS response code (an
/// NXDOMAIN for `lyncdiscoverinternal` outside is expected, not an error).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    /// The method in progress goes on (the next lookup, URL or request).
    Continues,
    /// The method in progress failed on this reply: the client moves on to its next method.
    MovedOn,
    /// The last step: the client signs in (or reaches what it needs).
    SignsIn,
    /// The last step: the client signs in after a trust prompt [S24].
    SignsInAfterPrompt,
    /// The last step: the client cannot sign in.
    Fails,
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
    /// Where the client asked from, when the caller knows: `inside` or `outside` (the lab's two clients).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The lab scenario the DNS was broken by, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
}

/// What a token response's body reads as in every step and report.
pub const REDACTED_TOKEN_RESPONSE: &str = "(token response, redacted)";

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
            Request::Sip(s) => net.sip(s),
            Request::Fetch(f) => {
                let mut addrs = f.addrs.clone();
                let host = host_of(&f.url);
                if addrs.is_empty()
                    && let Some(cached) = cache.get(&host)
                {
                    addrs = cached.clone();
                }
                if addrs.is_empty() {
                    // Resolve the URL's host as the client would, and show each lookup as its own step: an
                    // alias out of the server's zones is followed, as the client's resolver would.
                    let mut name = host.clone();
                    for _ in 0..8 {
                        let l = resolver.lookup(&name, Rtype::A);
                        addrs = l.addresses();
                        let alias = l.cnames().last().cloned().filter(|end| {
                            addrs.is_empty() && l.conclusive().is_ok() && *end != name
                        });
                        let note = match (&alias, addrs.is_empty()) {
                            (Some(end), _) => Some(format!(
                                "{name} is an alias of {end}, outside the zones that answered: asking for {end}"
                            )),
                            (None, true) => {
                                Some(format!("{host} does not resolve ({})", l.status()))
                            }
                            (None, false) => None,
                        };
                        steps.push(Step {
                            request: Request::Lookup {
                                name: name.clone(),
                                qtype: Rtype::A,
                            },
                            reply: Reply::Lookup(l),
                            note,
                            decision: Decision::Continues,
                        });
                        match alias {
                            Some(end) => name = end,
                            None => break,
                        }
                    }
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
                    // Reports never show the token: whatever the status, the whole body of a token response is
                    // replaced before the machine or a step sees it.
                    r.body = REDACTED_TOKEN_RESPONSE.to_owned();
                }
                reply
            }
        };
        let failed_before = machine.methods_failed();
        let next = machine.feed(reply.clone());
        let decision = match &next {
            Request::Done(v) if v.trust_prompt() => Decision::SignsInAfterPrompt,
            Request::Done(v) if v.ok() => Decision::SignsIn,
            Request::Done(_) => Decision::Fails,
            _ if machine.methods_failed() > failed_before => Decision::MovedOn,
            _ => Decision::Continues,
        };
        steps.push(Step {
            request,
            reply,
            note: machine.take_note(),
            decision,
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
        location: None,
        scenario: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::{Options, Response};
    use lyncdns_dnsdata::rdata::{Record, RecordData};
    use lyncdns_dnsdata::resolve::{Lookup, Outcome};
    use lyncdns_dnsdata::types::Rcode;

    const TOKEN: &str = "tok-3f9a-SECRET";
    const PASSWORD: &str = "pw-7c1e-SECRET";

    /// Every name has one address.
    struct Everywhere;

    impl Resolver for Everywhere {
        fn lookup(&mut self, name: &str, qtype: Rtype) -> Lookup {
            Lookup {
                name: name.to_owned(),
                qtype,
                server: "test".into(),
                tcp_retry: false,
                elapsed_ms: 0.0,
                outcome: Outcome::Answered {
                    rcode: Rcode::NOERROR,
                    aa: true,
                    ra: false,
                    answers: vec![Record {
                        owner: name.to_owned(),
                        ttl: 60,
                        data: RecordData::A {
                            address: "192.0.2.1".parse().unwrap(),
                        },
                    }],
                },
            }
        }
        fn describe(&self) -> String {
            "test".into()
        }
    }

    /// An Autodiscover service in a few lines: root → 401 challenge → token → UCWA user document. The token
    /// response carries the token; only a request bearing it gets the user document.
    struct Autodiscover;

    impl Net for Autodiscover {
        fn connect(&mut self, _: &str, _: &[IpAddr], _: u16, _: bool) -> Reply {
            unreachable!("mobile clients do not connect to SIP")
        }
        fn fetch(
            &mut self,
            f: &Fetch,
            _: &[IpAddr],
            bearer: Option<&str>,
            form: Option<&str>,
        ) -> Reply {
            let ok = |status, headers: Vec<(String, String)>, body: String| Reply::Fetch {
                response: Some(Response {
                    status,
                    headers,
                    body,
                }),
                error: None,
            };
            let user = "https://web.example.test/user";
            if f.token_request {
                assert!(form.is_some_and(|b| b.contains(PASSWORD)));
                return ok(
                    200,
                    vec![],
                    format!(
                        r#"{{"access_token":"{TOKEN}","token_type":"Bearer","expires_in":28800}}"#
                    ),
                );
            }
            if f.url == user {
                return match bearer {
                    Some(t) if t == TOKEN => ok(
                        200,
                        vec![],
                        r#"{"_links":{"applications":{"href":"https://web.example.test/ucwa/v1/applications"}}}"#
                            .into(),
                    ),
                    _ => ok(
                        401,
                        vec![(
                            "www-authenticate".into(),
                            r#"MsRtcOAuth href="https://web.example.test/token",grant_type="password""#
                                .into(),
                        )],
                        String::new(),
                    ),
                };
            }
            ok(
                200,
                vec![],
                format!(r#"{{"_links":{{"user":{{"href":"{user}"}}}}}}"#),
            )
        }
    }

    #[test]
    fn reports_never_contain_the_token_or_the_password() {
        let uri = "alice@example.test";
        let options = Options {
            probe: true,
            credentials: true,
            ..Options::default()
        };
        let machine = Machine::new(Client::Mobile, uri, options).unwrap();
        let creds = Credentials {
            user: uri.into(),
            password: PASSWORD.into(),
        };
        let d = run(
            machine,
            Client::Mobile,
            uri,
            &mut Everywhere,
            &mut Autodiscover,
            Some(&creds),
        );
        // The token was used: the user document came back and the client reached UCWA.
        assert!(d.verdict.ok(), "{}", d.verdict);
        let token_step = d
            .steps
            .iter()
            .find(|s| matches!(&s.request, Request::Fetch(f) if f.token_request))
            .expect("a token request");
        assert!(matches!(
            &token_step.reply,
            Reply::Fetch { response: Some(r), .. } if r.body == REDACTED_TOKEN_RESPONSE
        ));
        let reports = [
            crate::report::text(&d),
            crate::report::html("t", std::slice::from_ref(&d)),
            serde_json::to_string(&d).unwrap(),
        ];
        for report in reports {
            assert!(!report.contains(TOKEN), "{report}");
            assert!(!report.contains(PASSWORD), "{report}");
        }
    }
}
