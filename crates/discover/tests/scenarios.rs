//! Scenario tests: every client profile driven through the in-memory resolver (the DNS server's own answer
//! path) and the in-process Autodiscover service, for each documented order and each §4 misconfiguration.
//! Each test names its source key from `docs/lync.md`.

use std::net::{IpAddr, SocketAddr};
use std::time::SystemTime;

use lyncdns_autodiscover::service::{Req, Service};
use lyncdns_discover::machine::{
    Client, Fetch, HttpOrder, Machine, Options, Reply, Request, Response,
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
    from: IpAddr,
    /// Schemes whose requests fail as if nothing listened there.
    down: Vec<&'static str>,
}

impl Net for ServiceNet {
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
    // dave@contoso.net is redirected to webext02.contoso.com: another domain, refused unless trusted.
    let r = discover(
        &d,
        &snap,
        Client::Desktop,
        "dave@contoso.net",
        outside,
        Options {
            mobile_srv_fallback: false,
            ..probing()
        },
    );
    assert!(
        r.steps.iter().any(|s| s
            .note
            .as_deref()
            .is_some_and(|n| n.contains("refused by the anti-spoofing rule"))),
        "{:#?}",
        r.steps.iter().map(|s| &s.note).collect::<Vec<_>>()
    );
    let trusted = Options {
        trusted_domains: vec!["contoso.com".into()],
        ..probing()
    };
    let r = discover(
        &d,
        &snap,
        Client::Desktop,
        "dave@contoso.net",
        outside,
        trusted,
    );
    assert_eq!(
        r.verdict.via.as_deref(),
        Some("lyncdiscover"),
        "{:?}",
        r.verdict
    );
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
        "redirected to Skype for Business Online at https://webdir.online.lync.com/Autodiscover/AutodiscoverService.svc/root?originalDomain=litwareinc.com (user homed online)"
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
