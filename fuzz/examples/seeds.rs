//! Writes the seed corpora, `fuzz/corpus/<target>/`, from real inputs: the examples, the test zone files, queries
//! a client sends and the answers lyncdns gives them, and the Autodiscover flows the service tests walk.
//! Regenerate with `cargo run --manifest-path fuzz/Cargo.toml --example seeds` (stable is enough). Seeds kept
//! by hand (crash reproducers, `regression-*`) are left in place.

use std::path::{Path, PathBuf};

use arbitrary::{Arbitrary, Unstructured};
use lyncdns_dnsdata::message;
use lyncdns_dnsdata::types::Rtype;
use lyncdns_dnsserver::answer::{Picker, Transport, answer};
use lyncdns_fuzz::{HttpHead, INSIDE, OUTSIDE, TOKEN_PLACEHOLDER, autodiscover_input, embedded};

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let repo = root.parent().expect("fuzz/ lies in the repository");
    let corpus = root.join("corpus");

    // answer and decode: queries a client sends, and lyncdns's answers to them from inside and outside.
    let mut queries: Vec<(String, Vec<u8>)> = Vec::new();
    for (i, (name, rtype, label)) in [
        ("lyncdiscover.lyncdude.net", Rtype::A, "lyncdiscover-a"),
        (
            "lyncdiscoverinternal.lyncdude.net",
            Rtype::A,
            "lyncdiscoverinternal-a",
        ),
        (
            "_sipinternaltls._tcp.lyncdude.net",
            Rtype::SRV,
            "sipinternaltls-srv",
        ),
        ("_sip._tls.lyncdude.net", Rtype::SRV, "sip-tls-srv"),
        (
            "_sipfederationtls._tcp.lyncdude.net",
            Rtype::SRV,
            "sipfederationtls-srv",
        ),
        ("lyncdude.net", Rtype::SOA, "apex-soa"),
        ("lyncdude.net", Rtype::NS, "apex-ns"),
        ("lyncdude.net", Rtype::ANY, "apex-any"),
        ("nosuchname.lyncdude.net", Rtype::A, "nxdomain"),
        ("sip.anotherdomain.com", Rtype::AAAA, "pinpoint-aaaa"),
        ("lyncdude.net", Rtype::AXFR, "axfr"),
        ("example.org", Rtype::A, "refused"),
    ]
    .into_iter()
    .enumerate()
    {
        let id = 0x1000 + i as u16;
        queries.push((
            format!("edns-{label}"),
            message::query(id, name, rtype).expect("a query"),
        ));
        queries.push((
            format!("plain-{label}"),
            plain_query(id, name, rtype.0, &[]),
        ));
    }
    // EDNS variants: Client Subnet (RFC 7871), version 1 (BADVERS), an unknown option, and no question.
    let ecs = [0u8, 8, 0, 7, 0, 1, 24, 0, 192, 0, 2];
    queries.push((
        "ecs".into(),
        plain_query(0x2001, "lyncdiscover.lyncdude.net", 1, &opt(1232, 0, &ecs)),
    ));
    queries.push((
        "edns-version-1".into(),
        plain_query(0x2002, "lyncdude.net", 6, &opt(1232, 1, &[])),
    ));
    queries.push((
        "edns-cookie".into(),
        plain_query(
            0x2003,
            "lyncdude.net",
            2,
            &opt(512, 0, &[0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8]),
        ),
    ));
    let mut no_question = plain_query(0x2004, "lyncdude.net", 1, &[]);
    no_question.truncate(12);
    no_question[5] = 0;
    queries.push(("no-question".into(), no_question));

    let snap = embedded();
    let mut responses = Vec::new();
    for (name, q) in &queries {
        for (from, transport, tag) in [
            (INSIDE, Transport::Udp, "inside-udp"),
            (OUTSIDE, Transport::Tcp, "outside-tcp"),
        ] {
            let mut out = vec![0u8; 65535];
            let mut picker = Picker::new(7);
            let src = from.parse().expect("an address");
            if let Some(o) = answer(snap, q, src, transport, &mut picker, &mut out) {
                responses.push((format!("{name}-{tag}"), out[..o.len].to_vec()));
            }
        }
    }
    write(&corpus.join("answer"), &queries);
    write(&corpus.join("decode"), &responses);

    // zonefile: the test zone files, as written.
    let mut zones = Vec::new();
    for dir in ["tests/seed", "tests/windows"] {
        for f in files(&repo.join(dir)) {
            if f.extension().is_some_and(|e| e == "zone" || e == "dns") {
                zones.push((stem(&f), std::fs::read(&f).expect("readable")));
            }
        }
    }
    write(&corpus.join("zonefile"), &zones);

    // deployment: every example.
    let deployments: Vec<_> = files(&repo.join("examples"))
        .into_iter()
        .map(|f| (stem(&f), std::fs::read(&f).expect("readable")))
        .collect();
    write(&corpus.join("deployment"), &deployments);

    // autodiscover: the flows of crates/autodiscover/tests/service.rs.
    const XML: &str = "application/vnd.microsoft.rtc.autodiscover+xml;v=1";
    const JSON: &str = "application/vnd.microsoft.rtc.autodiscover+json;v=1";
    const ROOT: &str = "/Autodiscover/AutodiscoverService.svc/root";
    const USER: &str = "/Autodiscover/AutodiscoverService.svc/root/oauth/user";
    const FORM: &str = "application/x-www-form-urlencoded";
    let head = |deployment: u8, https: bool, client: u8| HttpHead {
        deployment,
        https,
        client,
        addr: [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
        now: 0,
    };
    let bearer = format!("Bearer {TOKEN_PLACEHOLDER}");
    let grant = |user: &str| format!("grant_type=password&username={user}&password=Lab-Passw0rd!");
    let alice = grant("alice%40lyncdude.net");
    let carol = grant("carol@contoso.com");
    let erin = grant("sip:erin@litwareinc.com");
    let host = "lyncdiscover.lyncdude.net";
    let get =
        |target: &'static str, accept: &'static str| ["GET", target, accept, "", "", "", host, ""];
    let token_flow = |grant: &str, accept: &'static str| -> Vec<[String; 8]> {
        vec![
            ["GET", USER, accept, "", "", "", host, ""].map(str::to_owned),
            [
                "POST",
                "/WebTicket/oauthtoken",
                "",
                "",
                "",
                FORM,
                host,
                grant,
            ]
            .map(str::to_owned),
            ["GET", USER, accept, bearer.as_str(), "", "", host, ""].map(str::to_owned),
        ]
    };
    let owned =
        |r: &[[&str; 8]]| -> Vec<[String; 8]> { r.iter().map(|r| r.map(str::to_owned)).collect() };
    let autodiscover: Vec<(String, HttpHead, Vec<[String; 8]>)> = vec![
        (
            "root-inside-xml".into(),
            head(0, true, 0),
            owned(&[get("/?sipuri=alice@lyncdude.net", XML)]),
        ),
        (
            "root-outside-json".into(),
            head(0, true, 1),
            owned(&[get("/?sipuri=sip%3Abob%40anotherdomain.com", JSON)]),
        ),
        (
            "root-http-redirect".into(),
            head(0, false, 1),
            owned(&[get(ROOT, XML)]),
        ),
        (
            "domain-xframe".into(),
            head(0, true, 2),
            owned(&[
                get("/Autodiscover/AutodiscoverService.svc/root/domain", ""),
                get("/Autodiscover/XFrame/XFrame.html", ""),
                get("/etc/passwd", ""),
            ]),
        ),
        (
            "token-flow-xml".into(),
            head(0, true, 1),
            token_flow(&alice, XML),
        ),
        (
            "token-flow-json-ipv4".into(),
            head(0, true, 3),
            token_flow(&alice, JSON),
        ),
        (
            "director-redirect".into(),
            head(1, true, 1),
            token_flow(&carol, XML),
        ),
        ("hybrid-online".into(), head(2, true, 0), {
            let mut r = token_flow(&erin, JSON);
            r.push(get("/?sipuri=grace@litwareonline.com", JSON).map(str::to_owned));
            r
        }),
        (
            "wrong-password".into(),
            head(0, true, 1),
            owned(&[
                [
                    "POST",
                    "/WebTicket/oauthtoken",
                    "",
                    "",
                    "",
                    FORM,
                    host,
                    "grant_type=password&username=alice@lyncdude.net&password=nope",
                ],
                ["GET", USER, XML, "BEARER nope", "", "", host, ""],
            ]),
        ),
    ];
    // The WebTicket service: metadata, the 401, an NTLM NEGOTIATE (the challenge is random, so a fuzzer cannot
    // finish the handshake; the ntlm target covers the AUTHENTICATE parser).
    const AUTH: &str = "/WebTicket/WebTicketService.svc/Auth";
    const NEGOTIATE: &str = "NTLM TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAA=";
    let mut autodiscover = autodiscover;
    autodiscover.push((
        "webticket-ntlm".into(),
        head(0, true, 0),
        owned(&[
            get("/WebTicket/WebTicketService.svc/mex", ""),
            ["POST", AUTH, "", "", "", "text/xml", host, ""],
            ["POST", AUTH, "", NEGOTIATE, "", "text/xml", host, ""],
            [
                "GET",
                USER,
                XML,
                "",
                "opaque=bm90IGEgdGlja2V0",
                "",
                host,
                "",
            ],
        ]),
    ));
    let mut inputs = Vec::new();
    for (name, head, requests) in autodiscover {
        let requests: Vec<[&str; 8]> = requests
            .iter()
            .map(|r| r.each_ref().map(String::as_str))
            .collect();
        let bytes = autodiscover_input(head, &requests);
        // The seed must decode to the head it was built from, whatever the `arbitrary` version does.
        let mut u = Unstructured::new(&bytes);
        assert_eq!(HttpHead::arbitrary(&mut u).expect("a head"), head, "{name}");
        assert_eq!(u.len(), bytes.len() - 21, "{name}: the head is 21 octets");
        inputs.push((name, bytes));
    }
    write(&corpus.join("autodiscover"), &inputs);

    // ntlm: the [MS-NLMP] 4.2.4 messages, bare and in SPNEGO, a token request as sipe sends it, a ticket.
    use lyncdns_autodiscover::{ntlm, spnego};
    let hex = |s: &str| -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
            .collect()
    };
    let authenticate = hex(
        "4e544c4d5353500003000000180018006c00000054005400840000000c000c00480000000800080054000000100010005c00000010001000d8000000358288e20501280a0000000f44006f006d00610069006e00550073006500720043004f004d005000550054004500520086c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa68cd0ab851e51c96aabc927bebef6a1c01010000000000000000000000000000aaaaaaaaaaaaaaaa0000000002000c0044006f006d00610069006e0001000c005300650072007600650072000000000000000000c5dad2544fc9799094ce1ce90bc9d03e",
    );
    let negotiate = hex("4e544c4d5353500001000000078208a2")
        .into_iter()
        .chain([0; 16])
        .collect::<Vec<u8>>();
    let target = ntlm::Target {
        nb_domain: "DOMAIN",
        nb_computer: "SERVER",
        dns_domain: "domain.test",
        dns_computer: "server.domain.test",
    };
    let rst = concat!(
        r#"<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" "#,
        r#"xmlns:wst="http://docs.oasis-open.org/ws-sx/ws-trust/200512" xmlns:wsa="http://www.w3.org/2005/08/addressing" "#,
        r#"xmlns:wsp="http://schemas.xmlsoap.org/ws/2004/09/policy" xmlns:auth="http://schemas.xmlsoap.org/ws/2006/12/authorization">"#,
        r#"<soap:Body><wst:RequestSecurityToken Context="c1"><wsp:AppliesTo><wsa:EndpointReference><wsa:Address>"#,
        r#"https://lyncwebint.lyncdude.net/Autodiscover/AutodiscoverService.svc/root/user</wsa:Address></wsa:EndpointReference>"#,
        r#"</wsp:AppliesTo><wst:Claims><auth:ClaimType><auth:Value>sip:alice@lyncdude.net</auth:Value></auth:ClaimType>"#,
        r#"</wst:Claims></wst:RequestSecurityToken></soap:Body></soap:Envelope>"#,
    );
    let ntlm_seeds = vec![
        ("negotiate".into(), negotiate.clone()),
        (
            "challenge".into(),
            ntlm::challenge(&[1; 8], 0xa208_8207, &target, 0),
        ),
        ("authenticate-ms-nlmp-4-2-4".into(), authenticate.clone()),
        (
            "spnego-init".into(),
            spnego::init(&[spnego::NTLMSSP_OID], Some(&negotiate)),
        ),
        (
            "spnego-response".into(),
            spnego::response(spnego::State::AcceptIncomplete, Some(&authenticate)),
        ),
        ("request-security-token".into(), rst.as_bytes().to_vec()),
        (
            "webticket".into(),
            b"opaque=PHNhbWw6QXNzZXJ0aW9uIEFzc2VydGlvbklEPSJTYW1sU2VjdXJpdHlUb2tlbi14IiB4bWxuczpzYW1sPSJ1cm46b2FzaXM6bmFtZXM6dGM6U0FNTDoxLjA6YXNzZXJ0aW9uIi8+".to_vec(),
        ),
    ];
    write(&corpus.join("ntlm"), &ntlm_seeds);
}

/// A query without EDNS unless `additional` holds an OPT record (then ARCOUNT is 1); RD set.
fn plain_query(id: u16, name: &str, qtype: u16, additional: &[u8]) -> Vec<u8> {
    let mut b = id.to_be_bytes().to_vec();
    b.extend_from_slice(&[
        0x01,
        0,
        0,
        1,
        0,
        0,
        0,
        0,
        0,
        u8::from(!additional.is_empty()),
    ]);
    for label in name.split('.').filter(|l| !l.is_empty()) {
        b.push(label.len() as u8);
        b.extend_from_slice(label.as_bytes());
    }
    b.push(0);
    b.extend_from_slice(&qtype.to_be_bytes());
    b.extend_from_slice(&1u16.to_be_bytes());
    b.extend_from_slice(additional);
    b
}

/// An OPT record (RFC 6891 §6.1.2) with the given options' wire octets.
fn opt(size: u16, version: u8, options: &[u8]) -> Vec<u8> {
    let mut b = vec![0, 0, 41];
    b.extend_from_slice(&size.to_be_bytes());
    b.extend_from_slice(&[0, version, 0, 0]);
    b.extend_from_slice(&(options.len() as u16).to_be_bytes());
    b.extend_from_slice(options);
    b
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("a folder")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.is_file())
        .collect();
    v.sort();
    v
}

fn stem(p: &Path) -> String {
    p.file_stem()
        .expect("a name")
        .to_string_lossy()
        .into_owned()
}

/// Replaces the generated seeds in `dir` (every file not named `regression-*`).
fn write(dir: &Path, seeds: &[(String, Vec<u8>)]) {
    std::fs::create_dir_all(dir).expect("the corpus folder");
    for f in files(dir) {
        if !f
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("regression-"))
        {
            std::fs::remove_file(&f).expect("removable");
        }
    }
    for (name, bytes) in seeds {
        std::fs::write(dir.join(name), bytes).expect("writable");
    }
    println!("{}: {} seeds", dir.display(), seeds.len());
}
