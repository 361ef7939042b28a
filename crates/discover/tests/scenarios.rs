//! Scenario tests: every client profile driven through the in-memory resolver (the DNS server's own answer
//! path) and the in-process Autodiscover service, for each documented order and each §4 misconfiguration.
//! Each test names its source key from `docs/lync.md`.

use std::net::{IpAddr, SocketAddr};
use std::time::SystemTime;

use lyncdns_autodiscover::service::{Req, Service};
use lyncdns_discover::machine::{
    Client, Fetch, HttpOrder, Machine, Options, Outcome, Reply, Request, Response, SipAnswer,
    SipExchange, SipRequest,
};
use lyncdns_discover::run::{Credentials, Discovery, Net, run};
use lyncdns_dnsserver::compile::Snapshot;
use lyncdns_dnsserver::in_memory::InMemory;
use lyncdns_model::Deployment;

const INSIDE: &str = "127.0.0.1";
const OUTSIDE: &str = "127.0.0.2";
const PASSWORD: &str = "Lab-Passw0rd!";

fn example(name: &str) -> Deployment {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name);
    lyncdns_model::load(&std::fs::read_to_string(&path).unwrap(), name).unwrap()
}

/// The snapshot of `d`, broken by `scenario` when given.
fn snapshot(d: &Deployment, scenario: Option<&str>) -> Snapshot {
    let mut plan = lyncdns_plan::plan(d);
    if let Some(name) = scenario {
        let ctx = lyncdns_plan::scenario::Context {
            reverse_proxy: d
                .reverse_proxy
                .as_ref()
                .map(|r| r.addresses.clone())
                .unwrap_or_default(),
            registrar: d.registrar().fqdn.to_string(),
            domains: d.sip_domains().iter().map(|x| x.to_string()).collect(),
        };
        lyncdns_plan::scenario::find(name)
            .unwrap()
            .apply(&mut plan, &ctx)
            .unwrap();
    }
    lyncdns_dnsserver::load::snapshot_of_plan(d, &plan, std::path::Path::new("."), &[]).unwrap()
}

/// The Autodiscover service, in process: requests go straight to `Service::handle` as from `from`.
struct ServiceNet {
    service: Service,
    /// The deployment, for its SIP registrars.
    deployment: Deployment,
    from: IpAddr,
    /// Schemes whose requests fail as if nothing listened there.
    down: Vec<&'static str>,
}

impl Net for ServiceNet {
    /// The deployment's registrar for the host asked (a pool or the Director by FQDN or a server's; the Access
    /// Edge and `sip.<domain>` stand for the first registrar), answering through the pure registrar.
    fn sip(&mut self, req: &SipRequest) -> Reply {
        let d = &self.deployment;
        let all = lyncdns_sip::registrar::registrars(d);
        let host = req.host.to_ascii_lowercase();
        let owner = d
            .all_pools()
            .find(|(p, _)| {
                p.fqdn.as_str() == host || p.servers.iter().any(|s| s.fqdn.as_str() == host)
            })
            .map(|(p, _)| p.fqdn.to_string())
            .unwrap_or_else(|| d.registrar().fqdn.to_string());
        let registrar = all
            .into_iter()
            .find(|r| r.fqdn == owner)
            .expect("a registrar");
        let dir = lyncdns_sip::registrar::Directory::of(d);
        let addr = SocketAddr::new(req.addrs[0], req.port);
        let ask = |method: &str| {
            let m = lyncdns_sip::message::Message::request(method, "sip:x")
                .with("Via", "SIP/2.0/TLS 127.0.0.1:1;branch=z9hG4bK1")
                .with("From", format!("<sip:{}>;tag=1", req.uri))
                .with("To", format!("<sip:{}>", req.uri))
                .with("Call-ID", "1")
                .with("CSeq", format!("1 {method}"));
            let (_, r) = lyncdns_sip::registrar::answer(&registrar, &dir, &m, "t");
            let r = r.expect("a response");
            SipAnswer {
                status: r.status().unwrap_or(0),
                reason: String::new(),
                server: r.header("Server").map(str::to_owned),
                contacts: r
                    .contacts()
                    .into_iter()
                    .map(|c| (c.host, c.port.unwrap_or(5061)))
                    .collect(),
                schemes: r.challenges().into_iter().map(|c| c.scheme).collect(),
                targetname: None,
            }
        };
        Reply::Sip(Box::new(SipExchange {
            connected: Some(addr),
            tls: None,
            options: Some(ask("OPTIONS")),
            register: Some(ask("REGISTER")),
            errors: Vec::new(),
        }))
    }

    fn connect(&mut self, _: &str, addrs: &[IpAddr], port: u16, _: bool) -> Reply {
        Reply::Connect {
            connected: addrs.first().map(|a| SocketAddr::new(*a, port)),
            error: None,
        }
    }

    fn fetch(
        &mut self,
        f: &Fetch,
        _: &[IpAddr],
        bearer: Option<&str>,
        form: Option<&str>,
    ) -> Reply {
        let (scheme, rest) = f.url.split_once("://").unwrap();
        if self.down.contains(&scheme) {
            return Reply::Fetch {
                response: None,
                error: Some("connection refused".into()),
            };
        }
        let (host, target) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
        let target = if target.is_empty() {
            "/".to_owned()
        } else if target.starts_with('?') {
            format!("/{target}")
        } else {
            target.to_owned()
        };
        let auth = bearer.map(|t| format!("Bearer {t}"));
        let req = Req {
            method: f.method,
            target: &target,
            accept: Some(f.accept),
            authorization: auth.as_deref(),
            webticket: None,
            content_type: form.map(|_| "application/x-www-form-urlencoded"),
            host: Some(host),
            body: form.unwrap_or("").as_bytes(),
            https: scheme == "https",
            client: self.from,
            connection: 1,
        };
        let r = self.service.handle(&req, SystemTime::now());
        let headers = r
            .headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
            .collect();
        Reply::Fetch {
            response: Some(Response {
                status: r.status,
                headers,
                body: r.body,
            }),
            error: None,
        }
    }
}

fn discover(
    d: &Deployment,
    snap: &Snapshot,
    client: Client,
    uri: &str,
    from: &str,
    options: Options,
) -> Discovery {
    let from: IpAddr = from.parse().unwrap();
    let mut resolver = InMemory::new(snap, from);
    let mut net = ServiceNet {
        service: Service::new(d),
        deployment: d.clone(),
        from,
        down: vec![],
    };
    let creds = Credentials {
        user: uri.to_owned(),
        password: PASSWORD.to_owned(),
    };
    let machine = Machine::new(client, uri, options.clone()).unwrap();
    run(
        machine,
        client,
        uri,
        &mut resolver,
        &mut net,
        options.credentials.then_some(&creds),
    )
}

fn probing() -> Options {
    Options {
        probe: true,
        credentials: true,
        ..Options::default()
    }
}

/// The requests of a discovery, as short strings (`SRV _sip._tls.x`, `GET https://…`).
fn asked(d: &Discovery) -> Vec<String> {
    d.steps
        .iter()
        .map(|s| match &s.request {
            Request::Lookup { name, qtype } => {
                format!("{qtype} {name}")
            }
            Request::Fetch(f) => format!("{} {}", f.method, f.url),
            Request::Connect { host, port, .. } => format!("connect {host}:{port}"),
            Request::Sip(r) => format!("sip {}:{}", r.host, r.port),
            Request::Done(_) => "done".into(),
        })
        .collect()
}

#[test]
fn lync2010_uses_srv_then_a_records_s17() {
    let d = example("lyncdude.toml");
    let snap = snapshot(&d, None);
    let r = discover(
        &d,
        &snap,
        Client::Lync2010,
        "alice@lyncdude.net",
        INSIDE,
        Options::default(),
    );
    assert_eq!(
        asked(&r),
        [
            "SRV _sipinternaltls._tcp.lyncdude.net",
            "A lyncfe01.lyncdude.net"
        ]
    );
    assert_eq!(
        r.verdict.summary(),
        "signs in at lyncfe01.lyncdude.net:5061 via _sipinternaltls._tcp"
    );
    let r = discover(
        &d,
        &snap,
        Client::Lync2010,
        "alice@lyncdude.net",
        OUTSIDE,
        Options::default(),
    );
    assert_eq!(
        asked(&r),
        [
            "SRV _sipinternaltls._tcp.lyncdude.net",
            "SRV _sip._tls.lyncdude.net",
            "A access.lyncdude.net"
        ]
    );
    assert_eq!(
        r.verdict.target(),
        Some(("access.lyncdude.net".into(), 443))
    );
    // With TCP allowed, `_sipinternal._tcp` is asked between the two (S3).
    let r = discover(
        &d,
        &snap,
        Client::Lync2010,
        "alice@lyncdude.net",
        OUTSIDE,
        Options {
            tcp_allowed: true,
            ..Options::default()
        },
    );
    assert_eq!(
        asked(&r)[..3],
        [
            "SRV _sipinternaltls._tcp.lyncdude.net",
            "SRV _sipinternal._tcp.lyncdude.net",
            "SRV _sip._tls.lyncdude.net"
        ]
    );
}

#[test]
fn srv_typos_leave_only_the_a_record_fallbacks_s35_s19() {
    let d = example("lyncdude.toml");
    let snap = snapshot(&d, Some("srv-typo"));
    let r = discover(
        &d,
        &snap,
        Client::Lync2010,
        "alice@lyncdude.net",
        INSIDE,
        Options::default(),
    );
    assert_eq!(
        asked(&r),
        [
            "SRV _sipinternaltls._tcp.lyncdude.net",
            "SRV _sip._tls.lyncdude.net",
            "A sipinternal.lyncdude.net"
        ]
    );
    assert_eq!(
        r.verdict.summary(),
        "signs in at sipinternal.lyncdude.net:5061 via sipinternal"
    );
    // Phones have no A-record fallback: they fail (S21, S22).
    let r = discover(
        &d,
        &snap,
        Client::Phone,
        "alice@lyncdude.net",
        INSIDE,
        Options::default(),
    );
    assert!(!r.verdict.ok());
    assert_eq!(
        asked(&r)[0],
        "SRV _ntp._udp.lyncdude.net",
        "phones ask for their time server first"
    );
}

#[test]
fn desktop_prefers_autodiscover_and_follows_it_s3_s4() {
    let d = example("lyncdude.toml");
    let snap = snapshot(&d, None);
    let r = discover(
        &d,
        &snap,
        Client::Desktop,
        "alice@lyncdude.net",
        INSIDE,
        Options::default(),
    );
    assert_eq!(asked(&r), ["A lyncdiscoverinternal.lyncdude.net"]);
    assert!(
        r.verdict
            .summary()
            .starts_with("would use Autodiscover at https://lyncdiscoverinternal.lyncdude.net/"),
        "{}",
        r.verdict.summary()
    );
    let r = discover(
        &d,
        &snap,
        Client::Desktop,
        "alice@lyncdude.net",
        INSIDE,
        probing(),
    );
    assert_eq!(
        asked(&r),
        [
            "A lyncdiscoverinternal.lyncdude.net",
            "GET https://lyncdiscoverinternal.lyncdude.net/?sipuri=alice@lyncdude.net",
            "A lyncwebint.lyncdude.net",
            "GET https://lyncwebint.lyncdude.net/Autodiscover/AutodiscoverService.svc/root/user?originalDomain=lyncdude.net",
            "POST https://lyncwebint.lyncdude.net/WebTicket/oauthtoken",
            "GET https://lyncwebint.lyncdude.net/Autodiscover/AutodiscoverService.svc/root/user?originalDomain=lyncdude.net",
            "A lyncfe01.lyncdude.net",
        ]
    );
    assert_eq!(
        r.verdict.summary(),
        "signs in at lyncfe01.lyncdude.net:5061 via lyncdiscoverinternal"
    );
    let r = discover(
        &d,
        &snap,
        Client::Desktop,
        "alice@lyncdude.net",
        OUTSIDE,
        probing(),
    );
    assert_eq!(
        asked(&r)[0..2],
        [
            "A lyncdiscoverinternal.lyncdude.net",
            "A lyncdiscover.lyncdude.net"
        ],
        "outside, lyncdiscoverinternal does not resolve"
    );
    assert_eq!(
        r.verdict.summary(),
        "signs in at access.lyncdude.net:443 via lyncdiscover",
        "SipClientExternalAccess for an External AccessLocation (S4)"
    );
}

#[test]
fn desktop_falls_back_to_srv_only_when_autodiscover_fails_s3() {
    let d = example("lyncdude.toml");
    let snap = snapshot(&d, Some("no-autodiscover"));
    let r = discover(
        &d,
        &snap,
        Client::Desktop,
        "alice@lyncdude.net",
        INSIDE,
        probing(),
    );
    assert_eq!(
        asked(&r),
        [
            "A lyncdiscoverinternal.lyncdude.net",
            "A lyncdiscover.lyncdude.net",
            "SRV _sipinternaltls._tcp.lyncdude.net",
            "A lyncfe01.lyncdude.net"
        ]
    );
    assert_eq!(
        r.verdict.summary(),
        "signs in at lyncfe01.lyncdude.net:5061 via _sipinternaltls._tcp"
    );
}

#[test]
fn missing_lyncdiscoverinternal_sends_internal_desktops_to_srv_s5() {
    let d = example("lyncdude.toml");
    let snap = snapshot(&d, Some("missing-lyncdiscoverinternal"));
    let r = discover(
        &d,
        &snap,
        Client::Desktop,
        "alice@lyncdude.net",
        INSIDE,
        probing(),
    );
    // Inside, the split-brain zone does not hold lyncdiscover either: the desktop reaches SRV.
    assert_eq!(r.verdict.via.as_deref(), Some("_sipinternaltls._tcp"));
    let r = discover(
        &d,
        &snap,
        Client::Store,
        "alice@lyncdude.net",
        INSIDE,
        probing(),
    );
    assert!(!r.verdict.ok());
}

#[test]
fn the_store_app_never_falls_back_to_srv_s3() {
    let d = example("lyncdude.toml");
    let snap = snapshot(&d, Some("no-autodiscover"));
    let r = discover(
        &d,
        &snap,
        Client::Store,
        "alice@lyncdude.net",
        OUTSIDE,
        probing(),
    );
    assert_eq!(
        asked(&r),
        [
            "A lyncdiscoverinternal.lyncdude.net",
            "A lyncdiscover.lyncdude.net"
        ]
    );
    assert!(
        r.verdict.summary().contains("does not fall back to SRV"),
        "{}",
        r.verdict.summary()
    );
}

#[test]
fn mobile_srv_fallback_is_an_option_because_the_sources_disagree_s3_s4() {
    let d = example("lyncdude.toml");
    let snap = snapshot(&d, Some("no-autodiscover"));
    let r = discover(
        &d,
        &snap,
        Client::Mobile,
        "alice@lyncdude.net",
        OUTSIDE,
        probing(),
    );
    assert!(!r.verdict.ok(), "default: Autodiscover exclusively (S4)");
    let r = discover(
        &d,
        &snap,
        Client::Mobile,
        "alice@lyncdude.net",
        OUTSIDE,
        Options {
            mobile_srv_fallback: true,
            ..probing()
        },
    );
    assert_eq!(
        r.verdict.via.as_deref(),
        Some("_sip._tls"),
        "with the option: like the desktop (S3)"
    );
    // Mobile clients use UCWA through the external web services (S3, S9).
    let snap = snapshot(&d, None);
    let r = discover(
        &d,
        &snap,
        Client::Mobile,
        "alice@lyncdude.net",
        INSIDE,
        probing(),
    );
    assert_eq!(
        r.verdict.summary(),
        "signs in through UCWA at https://lyncwebext.lyncdude.net/ucwa/oauth/v1/applications via lyncdiscoverinternal"
    );
}

#[test]
fn cross_domain_srv_prompts_desktops_and_stops_phones_s2_s23_s24() {
    let d = example("lyncdude.toml");
    let snap = snapshot(&d, Some("cross-domain-srv"));
    let r = discover(
        &d,
        &snap,
        Client::Lync2010,
        "bob@anotherdomain.com",
        INSIDE,
        Options::default(),
    );
    assert!(
        r.verdict.ok() && r.verdict.trust_prompt(),
        "{:?}",
        r.verdict
    );
    assert!(r.verdict.summary().ends_with(
        "after a trust prompt (the server is outside the SIP domain and the trusted domains)"
    ));
    // Trusting lyncdude.net (TrustModelData) removes the prompt.
    let trusted = Options {
        trusted_domains: vec!["lyncdude.net".into()],
        ..Options::default()
    };
    assert!(
        !discover(
            &d,
            &snap,
            Client::Lync2010,
            "bob@anotherdomain.com",
            INSIDE,
            trusted
        )
        .verdict
        .trust_prompt()
    );
    let r = discover(
        &d,
        &snap,
        Client::Phone,
        "bob@anotherdomain.com",
        INSIDE,
        Options::default(),
    );
    assert!(!r.verdict.ok());
    assert!(r.steps.iter().any(|s| {
        s.note
            .as_deref()
            .is_some_and(|n| n.contains("the phone refuses it (strict DNS naming, CU7+)"))
    }));
    // The correct plan gives the additional domain its own SRV target: no prompt.
    let good = snapshot(&d, None);
    let r = discover(
        &d,
        &good,
        Client::Lync2010,
        "bob@anotherdomain.com",
        INSIDE,
        Options::default(),
    );
    assert_eq!(
        r.verdict.summary(),
        "signs in at sip.anotherdomain.com:5061 via _sipinternaltls._tcp"
    );
}

/// The first `n` URLs a Store client fetches from `from` while HTTPS is down, with the given HTTP order.
fn urls_tried(from: &str, order: HttpOrder, n: usize) -> Vec<String> {
    steps_tried(from, order, n, Some("GET"))
}

/// The first `n` requests (those starting with `filter`, if given) of a Store client at `from` while HTTPS is
/// down.
fn steps_tried(from: &str, order: HttpOrder, n: usize, filter: Option<&str>) -> Vec<String> {
    let d = example("lyncdude.toml");
    let snap = snapshot(&d, None);
    let from: IpAddr = from.parse().unwrap();
    {
        let mut resolver = InMemory::new(&snap, from);
        // HTTPS is down: the client's order decides what it tries next.
        let mut net = ServiceNet {
            service: Service::new(&d),
            deployment: d.clone(),
            from,
            down: vec!["https"],
        };
        let machine = Machine::new(
            Client::Store,
            "alice@lyncdude.net",
            Options {
                http_order: order,
                ..probing()
            },
        )
        .unwrap();
        let creds = Credentials {
            user: "alice@lyncdude.net".into(),
            password: PASSWORD.into(),
        };
        let r = run(
            machine,
            Client::Store,
            "alice@lyncdude.net",
            &mut resolver,
            &mut net,
            Some(&creds),
        );
        asked(&r)
            .into_iter()
            .filter(|a| filter.is_none_or(|f| a.starts_with(f)))
            .take(n)
            .collect::<Vec<_>>()
    }
}

#[test]
fn http_order_variants_s29_s13_s27() {
    let urls = |order| urls_tried(OUTSIDE, order, 2);
    assert_eq!(
        urls(HttpOrder::HttpsFirst),
        [
            "GET https://lyncdiscover.lyncdude.net/?sipuri=alice@lyncdude.net",
            "GET http://lyncdiscover.lyncdude.net/?sipuri=alice@lyncdude.net"
        ]
    );
    assert_eq!(
        urls(HttpOrder::HttpsOnly),
        ["GET https://lyncdiscover.lyncdude.net/?sipuri=alice@lyncdude.net"]
    );
    assert_eq!(
        urls(HttpOrder::HttpFirst)[0],
        "GET http://lyncdiscover.lyncdude.net/?sipuri=alice@lyncdude.net"
    );
}

/// Regression (architecture issue): `https-all-first` dropped `http://lyncdiscoverinternal…` instead of moving it
/// behind the external host's HTTPS. The order is HTTPS to both hosts, then HTTP to both [S34]; inside, where
/// `lyncdiscover` does not resolve, the deferred internal HTTP attempt still comes.
#[test]
fn https_all_first_tries_https_on_both_hosts_then_http_on_both_s34() {
    assert_eq!(
        steps_tried(INSIDE, HttpOrder::HttpsAllFirst, 4, None),
        [
            "A lyncdiscoverinternal.lyncdude.net",
            "GET https://lyncdiscoverinternal.lyncdude.net/?sipuri=alice@lyncdude.net",
            "A lyncdiscover.lyncdude.net",
            "GET http://lyncdiscoverinternal.lyncdude.net/?sipuri=alice@lyncdude.net",
        ]
    );
}

#[test]
fn redirects_pass_the_anti_spoofing_rule_or_stop_s13() {
    let d = example("enterprise-director.toml");
    let snap = snapshot(&d, None);
    let outside = "198.51.100.200";
    // carol@contoso.com: the Director redirects her to pool01's web services, in her own domain.
    let r = discover(
        &d,
        &snap,
        Client::Desktop,
        "carol@contoso.com",
        outside,
        probing(),
    );
    assert!(
        r.steps.iter().any(|s| s
            .note
            .as_deref()
            .is_some_and(|n| n.starts_with("redirected to https://webext01.contoso.com/"))),
        "{:#?}",
        asked(&r)
    );
    assert_eq!(
        r.verdict.summary(),
        "signs in at sip.contoso.com:443 via lyncdiscover"
    );
    // dave@contoso.net is redirected by the Director's Autodiscover service (dirwebext.contoso.com) to
    // webext02.contoso.com: the domain of the service that redirected, so the redirect is followed (S13 step 3,
    // S12 3.1.5.3), although contoso.com is not his SIP domain.
    let r = discover(
        &d,
        &snap,
        Client::Desktop,
        "dave@contoso.net",
        outside,
        probing(),
    );
    assert!(
        r.steps.iter().any(|s| s
            .note
            .as_deref()
            .is_some_and(|n| n.starts_with("redirected to https://webext02.contoso.com/"))),
        "{:#?}",
        r.steps.iter().map(|s| &s.note).collect::<Vec<_>>()
    );
    assert_eq!(
        r.verdict.summary(),
        "signs in at sip.contoso.net:443 via lyncdiscover"
    );
}

/// An Autodiscover root that redirects every request to a host in `to`'s domain.
struct RedirectingRoot {
    to: &'static str,
}

impl Net for RedirectingRoot {
    fn connect(&mut self, _: &str, _: &[IpAddr], _: u16, _: bool) -> Reply {
        unreachable!("discovery stops at the redirect")
    }
    fn fetch(&mut self, _: &Fetch, _: &[IpAddr], _: Option<&str>, _: Option<&str>) -> Reply {
        Reply::Fetch {
            response: Some(Response {
                status: 200,
                headers: vec![],
                body: format!(r#"{{"_links":{{"redirect":{{"href":"{}"}}}}}}"#, self.to),
            }),
            error: None,
        }
    }
}

#[test]
fn a_redirect_out_of_the_services_domain_is_refused_unless_trusted_s13_s24() {
    let d = example("lyncdude.toml");
    let snap = snapshot(&d, None);
    let run_with = |options: Options| {
        let mut resolver = InMemory::new(&snap, INSIDE.parse().unwrap());
        let mut net = RedirectingRoot {
            to: "https://autodiscover.evil.example/Autodiscover/AutodiscoverService.svc/root",
        };
        let uri = "alice@lyncdude.net";
        let m = Machine::new(Client::Store, uri, options).unwrap();
        run(m, Client::Store, uri, &mut resolver, &mut net, None)
    };
    let r = run_with(Options {
        probe: true,
        ..Options::default()
    });
    assert!(!r.verdict.ok());
    assert!(
        r.verdict.summary().contains(
            "refused by the anti-spoofing rule (autodiscover.evil.example is not in lyncdude.net"
        ),
        "{}",
        r.verdict.summary()
    );
    // Trusted (TrustModelData), the redirect is followed (S24).
    let r = run_with(Options {
        probe: true,
        trusted_domains: vec!["evil.example".into()],
        ..Options::default()
    });
    assert!(
        r.steps.iter().any(|s| s
            .note
            .as_deref()
            .is_some_and(|n| n.starts_with("redirected to https://autodiscover.evil.example/"))),
        "{:#?}",
        r.steps.iter().map(|s| &s.note).collect::<Vec<_>>()
    );
}

/// Issue 16 point 3: the shipped enterprise example failed its own lab for the Store and mobile users of
/// contoso.net, because the Director's User redirect to their home pool (in contoso.com) was refused.
#[test]
fn enterprise_example_contoso_net_users_follow_the_directors_redirect_issue_16() {
    let d = example("enterprise-director.toml");
    let snap = snapshot(&d, None);
    for from in ["10.0.0.50", "198.51.100.200"] {
        for client in [Client::Desktop, Client::Store, Client::Mobile] {
            let r = discover(&d, &snap, client, "dave@contoso.net", from, probing());
            assert!(
                r.verdict.ok(),
                "{client:?} from {from}: {}",
                r.verdict.summary()
            );
            assert!(
                r.verdict
                    .via
                    .as_deref()
                    .is_some_and(|v| v.starts_with("lyncdiscover")),
                "{client:?} from {from}: {}",
                r.verdict.summary()
            );
        }
    }
}

#[test]
fn online_users_are_redirected_to_office_365_s28_s37() {
    let d = example("hybrid.toml");
    let snap = snapshot(&d, None);
    let r = discover(
        &d,
        &snap,
        Client::Mobile,
        "frank@litwareinc.com",
        "198.51.100.200",
        probing(),
    );
    assert_eq!(
        r.verdict.summary(),
        "redirected to Microsoft 365 at https://webdir.online.lync.com/Autodiscover/AutodiscoverService.svc/root?originalDomain=litwareinc.com (user homed online: a Teams user since Skype for Business Online was retired in 2021)"
    );
}

#[test]
fn srv_records_are_taken_by_priority_then_weight_rfc2782() {
    let zone = lyncdns_dnsdata::zonefile::parse_text(
        "$ORIGIN example.test.\n$TTL 60\n@ IN SOA ns h 1 1 1 1 1\n@ IN NS ns\nns A 192.0.2.1\n_sip._tls SRV 10 0 443 b\n_sip._tls SRV 0 10 443 a\n_sip._tls SRV 0 50 443 c\na A 192.0.2.10\nb A 192.0.2.11\n",
        "t.zone",
    )
    .unwrap();
    let views = vec![lyncdns_dnsserver::compile::ViewInput {
        name: "all".into(),
        clients: vec!["0.0.0.0/0".parse().unwrap()],
        zones: vec![zone],
    }];
    let snap = Snapshot::build(
        views,
        &lyncdns_dnsserver::compile::Options {
            max_udp: 1232,
            rotation: lyncdns_model::Rotation::None,
            ecs_trusted: vec![],
            names_per_thread: 0,
            identity: Default::default(),
            cookies: None,
            tcp_keepalive: false,
        },
    )
    .unwrap();
    let mut resolver = InMemory::new(&snap, "192.0.2.99".parse().unwrap());
    let machine = Machine::new(Client::Lync2010, "x@example.test", Options::default()).unwrap();
    let r = run(
        machine,
        Client::Lync2010,
        "x@example.test",
        &mut resolver,
        &mut lyncdns_discover::run::NoNet,
        None,
    );
    // c (priority 0, weight 50) has no address, so a (priority 0, weight 10) is next; b (priority 10) is never asked.
    assert_eq!(
        asked(&r),
        [
            "SRV _sipinternaltls._tcp.example.test",
            "SRV _sip._tls.example.test",
            "A c.example.test",
            "A a.example.test"
        ]
    );
    assert_eq!(r.verdict.target(), Some(("a.example.test".into(), 443)));
}

/// Issue 16 point 2: a mobile client inside was reported as signing in through UCWA although the UCWA URL's host
/// (the external web services FQDN, `lyncwebext`) did not resolve inside: the URL was never resolved or
/// contacted. Hair-pinning is the most common real mobility failure (§2.3, §4 #9; S3, S9).
#[test]
fn mobile_inside_fails_when_the_ucwa_host_does_not_resolve_there_issue_16_s3_s9() {
    let d = example("lyncdude.toml");
    // As planned, the external web FQDN is copied inside: the client resolves it before it signs in.
    let snap = snapshot(&d, None);
    let r = discover(
        &d,
        &snap,
        Client::Mobile,
        "alice@lyncdude.net",
        INSIDE,
        probing(),
    );
    assert_eq!(
        asked(&r).last().map(String::as_str),
        Some("A lyncwebext.lyncdude.net"),
        "{:#?}",
        asked(&r)
    );
    assert!(
        r.verdict
            .summary()
            .starts_with("signs in through UCWA at https://lyncwebext.lyncdude.net/")
    );
    // Without the copy inside, the mobile and Store apps fail inside, saying why; desktops are unaffected.
    let snap = snapshot(&d, Some("no-hairpin"));
    for client in [Client::Mobile, Client::Store] {
        let r = discover(&d, &snap, client, "alice@lyncdude.net", INSIDE, probing());
        assert!(!r.verdict.ok(), "{client:?}: {}", r.verdict.summary());
        assert!(
            r.verdict.summary().contains(
                "the UCWA host lyncwebext.lyncdude.net does not resolve from here (NXDOMAIN)"
            ) && r.verdict.summary().contains("hair-pinning"),
            "{client:?}: {}",
            r.verdict.summary()
        );
    }
    let r = discover(
        &d,
        &snap,
        Client::Desktop,
        "alice@lyncdude.net",
        INSIDE,
        probing(),
    );
    assert!(r.verdict.ok(), "{}", r.verdict.summary());
    // Outside nothing changes.
    let r = discover(
        &d,
        &snap,
        Client::Mobile,
        "alice@lyncdude.net",
        OUTSIDE,
        probing(),
    );
    assert!(r.verdict.ok(), "{}", r.verdict.summary());
}

/// With connections probed, the client must also reach the UCWA host: a refused connection inside is a
/// hair-pinning failure, not a sign-in.
#[test]
fn mobile_must_connect_to_the_ucwa_host_when_probing_connections_issue_16() {
    let d = example("lyncdude.toml");
    let snap = snapshot(&d, None);
    let from: IpAddr = INSIDE.parse().unwrap();
    let mut resolver = InMemory::new(&snap, from);
    /// The Autodiscover service answers; the reverse proxy does not, from inside.
    struct NoHairpin(ServiceNet);
    impl Net for NoHairpin {
        fn connect(&mut self, h: &str, a: &[IpAddr], port: u16, tls: bool) -> Reply {
            self.0.connect(h, a, port, tls)
        }
        fn fetch(&mut self, f: &Fetch, a: &[IpAddr], b: Option<&str>, form: Option<&str>) -> Reply {
            if f.url.contains("/ucwa/") {
                return Reply::Fetch {
                    response: None,
                    error: Some(format!("{}:443: connection refused", a[0])),
                };
            }
            self.0.fetch(f, a, b, form)
        }
    }
    let mut net = NoHairpin(ServiceNet {
        service: Service::new(&d),
        deployment: d.clone(),
        from,
        down: vec![],
    });
    let uri = "alice@lyncdude.net";
    let creds = Credentials {
        user: uri.to_owned(),
        password: PASSWORD.to_owned(),
    };
    let options = Options {
        connect: true,
        ..probing()
    };
    let m = Machine::new(Client::Mobile, uri, options).unwrap();
    let r = run(
        m,
        Client::Mobile,
        uri,
        &mut resolver,
        &mut net,
        Some(&creds),
    );
    assert!(
        asked(&r)
            .contains(&"GET https://lyncwebext.lyncdude.net/ucwa/oauth/v1/applications".to_owned()),
        "{:#?}",
        asked(&r)
    );
    assert!(!r.verdict.ok());
    assert!(
        r.verdict
            .summary()
            .contains("cannot reach the UCWA host lyncwebext.lyncdude.net:443"),
        "{}",
        r.verdict.summary()
    );
    // Where the web services answer, it signs in.
    let r = discover(
        &d,
        &snap,
        Client::Mobile,
        uri,
        INSIDE,
        Options {
            connect: true,
            ..probing()
        },
    );
    assert!(r.verdict.ok(), "{}", r.verdict.summary());
    assert!(
        r.steps
            .last()
            .unwrap()
            .note
            .as_deref()
            .is_some_and(|n| n.starts_with("the UCWA host answered"))
    );
}

/// Issue 16 point 5: an Online-only domain's `lyncdiscover` is a CNAME to `webdir.online.lync.com`, outside the
/// zones of an authoritative server; the answer holds the alias and no address. It read "does not resolve
/// (NOERROR)"; the client's resolver would follow the alias, and so does the simulator, saying so (S28).
#[test]
fn an_out_of_zone_alias_is_followed_not_reported_as_unresolved_issue_16_s28() {
    let d = example("hybrid.toml");
    let snap = snapshot(&d, None);
    let r = discover(
        &d,
        &snap,
        Client::Mobile,
        "grace@litwareonline.com",
        "198.51.100.200",
        Options::default(),
    );
    assert!(
        asked(&r).contains(&"A webdir.online.lync.com".to_owned()),
        "{:#?}",
        asked(&r)
    );
    assert!(
        r.steps.iter().any(|s| s.note.as_deref().is_some_and(|n| n
            .starts_with("lyncdiscover.litwareonline.com is an alias of webdir.online.lync.com"))),
        "{:#?}",
        r.steps.iter().map(|s| &s.note).collect::<Vec<_>>()
    );
    // The lab's server is authoritative only: the alias's target is refused there, and the verdict says so.
    let summary = r.verdict.summary();
    assert!(!summary.contains("(NOERROR)"), "{summary}");
    assert!(
        summary.contains("lyncdiscover.litwareonline.com does not resolve (via the alias webdir.online.lync.com: REFUSED)"),
        "{summary}"
    );
}

/// Issue 16 point 6: outside, the DNS-only verdict of the `sip` A-record fallback named port 5061, where remote
/// users reach the Access Edge on 443 (docs/lync.md §1.2; S1, S7, S8). Inside, the pool is still on 5061.
#[test]
fn the_dns_only_sip_fallback_names_443_for_the_access_edge_issue_16_s7() {
    let d = example("lyncdude.toml");
    let snap = snapshot(&d, Some("srv-typo"));
    let r = discover(
        &d,
        &snap,
        Client::Lync2010,
        "alice@lyncdude.net",
        OUTSIDE,
        Options::default(),
    );
    assert_eq!(
        r.verdict.summary(),
        "signs in at sip.lyncdude.net:443 via sip"
    );
    let snap = snapshot(&d, Some("no-autodiscover"));
    let r = discover(
        &d,
        &snap,
        Client::Lync2010,
        "alice@lyncdude.net",
        INSIDE,
        Options::default(),
    );
    assert_eq!(r.verdict.target().map(|t| t.1), Some(5061));
}

/// Issue 15: with connections probed, the desktop client's sign-in ends at a registrar's answer. Inside the
/// Director deployment, discovery finds the Director; it answers REGISTER with a 301 to the user's home pool
/// ([S40], [S50]), which is followed once and challenges with NTLM, Kerberos and TLS-DSK ([S49]). The verdict
/// names the server discovery found and, beside it, the registrar that answered.
#[test]
fn the_sign_in_ends_at_the_home_pool_after_the_directors_redirect_issue_15() {
    let d = example("enterprise-director.toml");
    let snap = snapshot(&d, None);
    // dave's SRV target is sip.contoso.net (strict DNS naming), and his home pool is in contoso.com: outside
    // his SIP domain and the redirecting server's, so the client asks the user first [S24] (TrustModelData
    // listing contoso.com would spare it).
    for (uri, pool, via, prompt) in [
        (
            "carol@contoso.com",
            "pool01.contoso.com",
            "dirpool.contoso.com",
            false,
        ),
        (
            "dave@contoso.net",
            "pool02.contoso.com",
            "sip.contoso.net",
            true,
        ),
    ] {
        let r = discover(
            &d,
            &snap,
            Client::Lync2010,
            uri,
            "10.1.2.3",
            Options {
                connect: true,
                ..probing()
            },
        );
        let Outcome::SignsIn {
            host,
            registrar: Some(reg),
            trust_prompt,
            ..
        } = &r.verdict.outcome
        else {
            panic!("{uri}: {}", r.verdict.summary());
        };
        assert_eq!((host.as_str(), *trust_prompt), (via, prompt), "{uri}");
        assert_eq!(
            (reg.host.as_str(), reg.status, reg.redirected_by.as_deref()),
            (pool, 401, Some(via)),
            "{uri}"
        );
        assert_eq!(reg.schemes, ["NTLM", "Kerberos", "TLS-DSK"]);
        let asked = asked(&r);
        assert!(
            asked.contains(&format!("sip {via}:5061"))
                && asked.contains(&format!("A {pool}"))
                && asked.contains(&format!("sip {pool}:5061")),
            "{asked:#?}"
        );
        assert!(
            r.verdict
                .summary()
                .contains(&format!("registrar {via} redirected to {pool}:5061")),
            "{}",
            r.verdict.summary()
        );
    }
}

/// A redirect to a registrar outside the SIP domain, the redirecting server's domain and the trusted domains is
/// refused by a phone, and followed by a desktop client only after the trust prompt [S24].
#[test]
fn a_sip_redirect_out_of_the_trusted_domains_is_refused_issue_15() {
    let d = example("enterprise-director.toml");
    let snap = snapshot(&d, None);
    struct Spoofing(ServiceNet);
    impl Net for Spoofing {
        fn sip(&mut self, req: &SipRequest) -> Reply {
            let Reply::Sip(mut x) = self.0.sip(req) else {
                unreachable!()
            };
            if let Some(r) = x.register.as_mut() {
                r.contacts = vec![("registrar.evil.example".into(), 5061)];
            }
            Reply::Sip(x)
        }
        fn connect(&mut self, h: &str, a: &[IpAddr], port: u16, tls: bool) -> Reply {
            self.0.connect(h, a, port, tls)
        }
        fn fetch(&mut self, f: &Fetch, a: &[IpAddr], b: Option<&str>, form: Option<&str>) -> Reply {
            self.0.fetch(f, a, b, form)
        }
    }
    let from: IpAddr = "10.1.2.3".parse().unwrap();
    let mut resolver = InMemory::new(&snap, from);
    let mut net = Spoofing(ServiceNet {
        service: Service::new(&d),
        deployment: d.clone(),
        from,
        down: vec![],
    });
    let options = Options {
        connect: true,
        ..probing()
    };
    let uri = "carol@contoso.com";
    let m = Machine::new(Client::Phone, uri, options.clone()).unwrap();
    let r = run(m, Client::Phone, uri, &mut resolver, &mut net, None);
    // The phone refuses the redirect and moves on (to SIP over TCP, which it may use inside).
    assert!(
        r.steps.iter().any(|s| s.note.as_deref().is_some_and(|n| n.contains(
            "the SIP redirect from dirpool.contoso.com to registrar.evil.example is refused by the anti-spoofing rule"
        ))),
        "{:#?}",
        r.steps.iter().map(|s| &s.note).collect::<Vec<_>>()
    );
    assert_ne!(r.verdict.via.as_deref(), Some("_sipinternaltls._tcp"));
    let m = Machine::new(Client::Lync2010, uri, options).unwrap();
    let r = run(m, Client::Lync2010, uri, &mut resolver, &mut net, None);
    assert!(
        r.steps.iter().any(|s| s.note.as_deref().is_some_and(|n| n.ends_with(
            "the home registrar is registrar.evil.example:5061 (outside the SIP domain, the redirecting server's and \
             the trusted domains: the user is asked to trust it first)"
        ))),
        "{:#?}",
        r.steps.iter().map(|s| &s.note).collect::<Vec<_>>()
    );
}
