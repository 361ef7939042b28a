//! What each fuzz target does with one input, kept here so the targets are one line each and the seed generator
//! (`examples/seeds.rs`) builds inputs in the same formats it checks. Every function panics only when lyncdns
//! breaks a promise: a panic inside lyncdns, or an answer that is not a well-formed DNS response.

use std::net::IpAddr;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use arbitrary::{Arbitrary, Unstructured};
use domain::base::Message;
use domain::base::name::ParsedName;
use domain::rdata::AllRecordData;
use lyncdns_autodiscover::service::{Req, Service};
use lyncdns_dnsserver::answer::{Picker, Transport, answer};
use lyncdns_dnsserver::compile::Snapshot;

/// The deployments the Autodiscover target serves, by `HttpHead::deployment % 3`: the embedded one (two
/// users), a Director redirecting to pools, and a hybrid one redirecting to Online.
pub const DEPLOYMENTS: [&str; 3] = [
    lyncdns_model::EMBEDDED_EXAMPLE,
    include_str!("../../examples/enterprise-director.toml"),
    include_str!("../../examples/hybrid.toml"),
];

/// A client inside the embedded example's internal view, and one outside it (every view the example has).
pub const INSIDE: &str = "127.0.0.1";
/// See [`INSIDE`].
pub const OUTSIDE: &str = "127.0.0.2";

/// The embedded example's snapshot, built once per process.
pub fn embedded() -> &'static Snapshot {
    static SNAP: OnceLock<Snapshot> = OnceLock::new();
    SNAP.get_or_init(|| {
        let d = lyncdns_model::load(
            lyncdns_model::EMBEDDED_EXAMPLE,
            lyncdns_model::EMBEDDED_ORIGIN,
        )
        .expect("the embedded example loads");
        lyncdns_dnsserver::load::snapshot(&d, std::path::Path::new("."), &[])
            .expect("the embedded example compiles")
    })
}

/// Whether `domain` reads every part of a message: header, question and all three record sections.
pub fn domain_reads(bytes: &[u8]) -> bool {
    let Ok(msg) = Message::from_octets(bytes) else {
        return false;
    };
    for q in msg.question() {
        if q.is_err() {
            return false;
        }
    }
    let Ok(mut section) = msg.answer() else {
        return false;
    };
    // Answer, authority, additional: `next_section` walks them in turn.
    loop {
        for rr in &mut section {
            match rr {
                Ok(rr) => {
                    // Every type `domain` knows is read field by field (names in RDATA included).
                    if rr.to_record::<AllRecordData<_, ParsedName<_>>>().is_err() {
                        return false;
                    }
                }
                Err(_) => return false,
            }
        }
        match section.next_section() {
            Ok(Some(next)) => section = next,
            Ok(None) => return true,
            Err(_) => return false,
        }
    }
}

/// The answer path: `query` from an internal and an external client, over UDP and TCP. A response must carry
/// the query's ID with QR set, fit the transport, and be read by `domain` whenever the query was.
pub fn answer_one(query: &[u8]) {
    let snap = embedded();
    let query_reads = domain_reads(query);
    let mut out = vec![0u8; 65535];
    for from in [INSIDE, OUTSIDE] {
        let src: IpAddr = from.parse().expect("an address");
        for transport in [Transport::Udp, Transport::Tcp] {
            let mut picker = Picker::new(7);
            let Some(o) = answer(snap, query, src, transport, &mut picker, &mut out) else {
                continue;
            };
            assert!(
                o.len >= 12,
                "a response shorter than a header: {} octets",
                o.len
            );
            assert!(o.len <= out.len());
            let resp = &out[..o.len];
            if let Some(id) = query.get(..2) {
                assert_eq!(&resp[..2], id, "the response's ID is not the query's");
            }
            assert!(resp[2] & 0x80 != 0, "QR is not set in a response");
            if transport == Transport::Udp {
                assert!(
                    o.len <= usize::from(snap.max_udp),
                    "a UDP response of {} octets, over the server's {}",
                    o.len,
                    snap.max_udp
                );
            }
            if query_reads {
                assert!(
                    domain_reads(resp),
                    "domain reads the query but not our response to it ({from}, {transport:?}):\nquery {query:02x?}\nresponse {resp:02x?}"
                );
            }
        }
    }
}

/// The master-file reader: the strict reader of a served file and the linter's lenient scan, on any text.
/// Inputs naming `$INCLUDE` are left to the strict reader (which refuses it): the scan would read whatever file
/// they name, `/dev/zero` included, which is the linter's job on the user's own files, not a parser bug.
pub fn zonefile_one(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = lyncdns_dnsdata::zonefile::parse_text(&text, "fuzz.zone");
    if !text.to_ascii_lowercase().contains("$include") {
        let _ = lyncdns_dnsdata::zonefile::scan_text(&text, "/nonexistent/fuzz.zone", None);
        let _ = lyncdns_dnsdata::zonefile::scan_text(
            &text,
            "/nonexistent/fuzz.zone",
            Some("example.test"),
        );
    }
}

/// The deployment loader on any text; a deployment it accepts must also plan.
pub fn deployment_one(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(d) = lyncdns_model::load(&text, "fuzz.toml") {
        let _ = lyncdns_plan_of(&d);
    }
}

fn lyncdns_plan_of(d: &lyncdns_model::Deployment) -> usize {
    // Planning is pure and total over a loaded deployment (ARCHITECTURE.md's invariants); the snapshot build
    // may refuse one (an error, never a panic).
    lyncdns_dnsserver::load::snapshot(d, std::path::Path::new("/nonexistent"), &[])
        .map(|_| 1)
        .unwrap_or(0)
}

/// The client's response decoder on any octets.
pub fn decode_one(data: &[u8]) {
    let _ = lyncdns_dnsdata::message::decode(data);
}

/// The SIP registrar on a stream of octets: every message the framer cuts out is answered by each registrar of
/// the Director deployment (Director and pools); a response must serialize to a message that parses again.
pub fn sip_one(data: &[u8]) {
    use lyncdns_sip::framing::{Frame, next};
    use lyncdns_sip::message::Message;
    use lyncdns_sip::registrar::{Directory, answer, registrars};
    static REGISTRARS: OnceLock<(Vec<lyncdns_sip::registrar::Registrar>, Directory)> = OnceLock::new();
    let (regs, dir) = REGISTRARS.get_or_init(|| {
        let d = lyncdns_model::load(DEPLOYMENTS[1], "enterprise-director.toml").expect("the example loads");
        (registrars(&d), Directory::of(&d))
    });
    let mut rest = data;
    while let Ok(frame) = next(rest) {
        let used = match frame {
            Frame::Partial => break,
            Frame::KeepAlive(n) => n,
            Frame::Message(m, n) => {
                for r in regs {
                    if let (_, Some(response)) = answer(r, dir, &m, "fuzz") {
                        assert!(Message::parse(&response.to_bytes()).is_ok(), "an unparsable response to {m:?}");
                    }
                }
                n
            }
        };
        assert!(used > 0 && used <= rest.len(), "the framer must consume what it reports");
        rest = &rest[used..];
    }
}

/// The fixed part of an Autodiscover input; the rest of the input is the requests' text (see [`autodiscover_one`]).
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpHead {
    /// Which of [`DEPLOYMENTS`] serves (modulo 3).
    pub deployment: u8,
    /// Whether the requests came over TLS.
    pub https: bool,
    /// The client: 0 inside, 1 outside, otherwise the address in `addr` (IPv4 from its first octets if odd).
    pub client: u8,
    /// See `client`.
    pub addr: [u8; 16],
    /// Seconds after 2027-01-15 at which the first request arrives; each next one a second later.
    pub now: u16,
}

/// The separator between the requests of one input, and between the fields of one request.
pub const NEXT_REQUEST: &str = "\n\n\n";

/// What `{token}` in a request's `Authorization` stands for: the last token the service issued in this input,
/// so an input can walk the 401 → token → 200 flow.
pub const TOKEN_PLACEHOLDER: &str = "{token}";

/// Builds the bytes of an Autodiscover input: `head`, then requests, each as method, target, Accept,
/// Authorization, X-MS-WebTicket, Content-Type, Host (one line each; an empty line is an absent header) and
/// the body.
pub fn autodiscover_input(head: HttpHead, requests: &[[&str; 8]]) -> Vec<u8> {
    let mut out = vec![head.deployment, head.https as u8, head.client];
    out.extend_from_slice(&head.addr);
    out.extend_from_slice(&head.now.to_le_bytes());
    let text: Vec<String> = requests.iter().map(|r| r.join("\n")).collect();
    out.extend_from_slice(text.join(NEXT_REQUEST).as_bytes());
    out
}

/// The Autodiscover handler: up to 8 requests from one client to a fresh service, answered in order. Every
/// response must have a status from 200 to 599 and a body that is JSON or XML when it says so.
pub fn autodiscover_one(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(head) = HttpHead::arbitrary(&mut u) else {
        return;
    };
    let rest = u.take_rest();
    let text = String::from_utf8_lossy(rest);
    let d = deployment(head.deployment);
    let service = Service::new(d);
    let client = match head.client {
        0 => INSIDE.parse().expect("an address"),
        1 => OUTSIDE.parse().expect("an address"),
        c if c % 2 == 1 => IpAddr::from([head.addr[0], head.addr[1], head.addr[2], head.addr[3]]),
        _ => IpAddr::from(head.addr),
    };
    let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000 + u64::from(head.now));
    let mut token = String::new();
    for (i, request) in text.split(NEXT_REQUEST).take(8).enumerate() {
        let mut f = request.splitn(8, '\n');
        let mut field = || f.next().unwrap_or("");
        let method = field();
        let target = field();
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        let accept = opt(field());
        let authorization = opt(field()).map(|a| a.replace(TOKEN_PLACEHOLDER, &token));
        let webticket = opt(field()).map(|a| a.replace(TOKEN_PLACEHOLDER, &token));
        let content_type = opt(field());
        let host = opt(field());
        let body = field();
        let req = Req {
            method,
            target,
            accept: accept.as_deref(),
            authorization: authorization.as_deref(),
            webticket: webticket.as_deref(),
            content_type: content_type.as_deref(),
            host: host.as_deref(),
            body: body.as_bytes(),
            https: head.https,
            client,
            connection: 1,
        };
        let resp = service.handle(&req, start + Duration::from_secs(i as u64));
        assert!(
            (200..600).contains(&resp.status),
            "status {} for {req:?}",
            resp.status
        );
        let content_type = resp
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-type"))
            .map(|(_, v)| v.as_str())
            .unwrap_or("");
        if content_type.contains("json") {
            let v: serde_json::Value = match serde_json::from_str(&resp.body) {
                Ok(v) => v,
                Err(e) => panic!(
                    "a JSON response that is not JSON ({e}) for {req:?}:\n{}",
                    resp.body
                ),
            };
            if let Some(t) = v.get("access_token").and_then(|t| t.as_str()) {
                token = t.to_owned();
            }
        }
    }
}

/// The loaded deployment `n` (modulo 3) of [`DEPLOYMENTS`], loaded once per process.
fn deployment(n: u8) -> &'static lyncdns_model::Deployment {
    static LOADED: OnceLock<Vec<lyncdns_model::Deployment>> = OnceLock::new();
    let all = LOADED.get_or_init(|| {
        DEPLOYMENTS
            .iter()
            .map(|t| lyncdns_model::load(t, "example.toml").expect("the examples load"))
            .collect()
    });
    &all[usize::from(n) % all.len()]
}

/// Target `ntlm`: the WebTicket service's parsers on one input, none of which may panic: NTLM NEGOTIATE and
/// AUTHENTICATE (with NTLMv2 verification of what parses), SPNEGO (and the NTLM message inside), the SOAP
/// `RequestSecurityToken`, and the `X-MS-WebTicket` value (base64 assertion or token).
pub fn ntlm_one(data: &[u8]) {
    use lyncdns_autodiscover::{ntlm, spnego, webticket};
    let _ = ntlm::parse_negotiate(data);
    if let Ok(a) = ntlm::parse_authenticate(data) {
        let _ = ntlm::verify_v2(&[0; 16], &a, &[0; 8]);
    }
    if let Ok(spnego::Token::Spnego(Some(inner)) | spnego::Token::Raw(inner)) = spnego::parse(data)
    {
        let _ = ntlm::parse_negotiate(inner);
        let _ = ntlm::parse_authenticate(inner);
    }
    let _ = webticket::parse_rst(data);
    let _ = webticket::ticket_token(&String::from_utf8_lossy(data));
}
