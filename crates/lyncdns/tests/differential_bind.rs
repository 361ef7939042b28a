//! Differential conformance: BIND (`named`) and `lyncdns serve` serve the same hand-written zone on loopback, and
//! the same generated questions go to both: every owner of the zone and names below and beside them, times a list
//! of types, over UDP without EDNS, with EDNS (DO clear and set), with a small EDNS buffer, and over TCP; plus
//! the header-level cases (other opcodes, no question, TSIG with an unknown key). For each question the rcode, AA,
//! TC and the answer, authority and additional sections (as sets of records) are compared. Every difference must
//! fall in one of the classes [`allowed`] documents, with its reason; any other fails the test. Skipped (with a
//! message) without `named`, unless `LYNCDNS_INTEROP=require`.
//!
//! The zone exercises what hand-written zones reach and generated ones do not: wildcards (and a CNAME wildcard),
//! empty non-terminals, CNAME chains into wildcards, to a cut, to occluded glue, out of the zone and in loops,
//! cuts with in-domain and out-of-domain name servers, data occluded by a cut, an RRset too large for UDP and a
//! referral too large for 1232 octets.

mod support;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use domain::base::Message;
use domain::base::iana::Rtype;
use domain::base::name::ParsedName;
use domain::rdata::AllRecordData;
use support::{Peer, Serve, free_port, interop_tool};

const APEX: &str = "diff.test";

/// The zone served by both.
fn zone() -> String {
    let mut z = String::from(
        "$ORIGIN diff.test.\n$TTL 300\n\
@ IN SOA ns1 hostmaster 1 3600 900 1209600 60\n\
@ NS ns1\n\
@ NS ns.elsewhere.example.\n\
ns1 A 192.0.2.53\n\
www A 192.0.2.1\n\
www AAAA 2001:db8::1\n\
www TXT \"web\"\n\
mail MX 10 www\n\
mail MX 20 mx.elsewhere.example.\n\
_sip._tls SRV 0 0 443 www\n\
*.wild A 192.0.2.7\n\
*.wild TXT \"wild\"\n\
named.wild A 192.0.2.8\n\
*.cw CNAME www\n\
a.b.c.ent A 192.0.2.9\n\
alias CNAME www\n\
chain CNAME alias\n\
towild CNAME x.wild\n\
towild2 CNAME y.z.wild\n\
tocw CNAME q.cw\n\
dangling CNAME missing\n\
toent CNAME c.ent\n\
out CNAME www.elsewhere.example.\n\
loop1 CNAME loop2\n\
loop2 CNAME loop1\n\
self CNAME self\n\
deleg NS ns.deleg\n\
deleg NS ns.elsewhere.example.\n\
ns.deleg A 192.0.2.60\n\
ns.deleg AAAA 2001:db8::60\n\
hidden.deleg TXT \"occluded\"\n\
toglue CNAME ns.deleg\n\
todeleg CNAME host.deleg\n\
tohidden CNAME hidden.deleg\n\
sibling NS ns1\n\
sibling NS ns.deleg\n",
    );
    for i in 0..40 {
        z.push_str(&format!("fat TXT \"{i:0100}\"\n"));
    }
    for i in 0..20 {
        z.push_str(&format!(
            "big NS ns{i}.big\nns{i}.big A 198.51.100.{i}\nns{i}.big AAAA 2001:db8:1::{i}\n"
        ));
    }
    for i in 0..6 {
        z.push_str(&format!("big NS sib{i}\nsib{i} A 203.0.113.{i}\n"));
    }
    z
}

/// The zone's owner names, relative to the apex ("" for the apex).
fn owners(zone: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in zone.lines().skip(2) {
        let owner = line.split_whitespace().next().unwrap_or("");
        let owner = if owner == "@" { "" } else { owner };
        if !out.iter().any(|o| o == owner) {
            out.push(owner.to_string());
        }
    }
    out
}

/// Type numbers asked at every name: A, NS, CNAME, SOA, HINFO (held nowhere), MX, TXT, AAAA, SRV, DS, ANY.
const TYPES: [u16; 11] = [1, 2, 5, 6, 13, 15, 16, 28, 33, 43, 255];

/// How a question is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Way {
    /// UDP without EDNS (512 octets).
    Udp,
    /// UDP with EDNS 1232, DO clear.
    Edns,
    /// UDP with EDNS 1232, DO set.
    EdnsDo,
    /// UDP with EDNS 512: a small buffer.
    Small,
    /// TCP with EDNS 1232.
    Tcp,
}

const WAYS: [Way; 5] = [Way::Udp, Way::Edns, Way::EdnsDo, Way::Small, Way::Tcp];

/// A query's octets: `name` and `qtype`, RD clear, with EDNS as `way` says.
fn query(id: u16, name: &str, qtype: u16, way: Way) -> Vec<u8> {
    let edns = match way {
        Way::Udp => None,
        Way::Edns | Way::Tcp => Some((1232u16, false)),
        Way::EdnsDo => Some((1232, true)),
        Way::Small => Some((512, false)),
    };
    let mut b = id.to_be_bytes().to_vec();
    b.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0, edns.is_some() as u8]);
    for label in name.split('.').filter(|l| !l.is_empty()) {
        b.push(label.len() as u8);
        b.extend_from_slice(label.as_bytes());
    }
    b.push(0);
    b.extend_from_slice(&qtype.to_be_bytes());
    b.extend_from_slice(&[0, 1]);
    if let Some((size, dnssec_ok)) = edns {
        b.extend_from_slice(&[0, 0, 41]);
        b.extend_from_slice(&size.to_be_bytes());
        b.extend_from_slice(&[0, 0, if dnssec_ok { 0x80 } else { 0 }, 0, 0, 0]);
    }
    b
}

/// A query signed with TSIG under a key neither server has (HMAC-SHA256, a made-up MAC).
fn tsig_query(id: u16) -> Vec<u8> {
    let mut b = query(id, APEX, 6, Way::Udp);
    b[11] = 1;
    b.extend_from_slice(b"\x07unknown\x03key\x00");
    b.extend_from_slice(&[0, 250, 0, 255, 0, 0, 0, 0]);
    let mut rdata = b"\x0bhmac-sha256\x00".to_vec();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    rdata.extend_from_slice(&now.to_be_bytes()[2..]);
    rdata.extend_from_slice(&300u16.to_be_bytes());
    rdata.extend_from_slice(&32u16.to_be_bytes());
    rdata.extend_from_slice(&[0x5a; 32]);
    rdata.extend_from_slice(&id.to_be_bytes());
    rdata.extend_from_slice(&[0, 0, 0, 0]);
    b.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    b.extend_from_slice(&rdata);
    b
}

/// One question of the run.
#[derive(Debug, Clone)]
struct Case {
    what: String,
    name: String,
    qtype: u16,
    way: Way,
    octets: Vec<u8>,
}

/// Every question: each owner, a name below each and a name beside the apex's children, times [`TYPES`] and
/// [`WAYS`]; then the header-level cases.
fn cases(zone: &str) -> Vec<Case> {
    let mut names: Vec<String> = Vec::new();
    for o in owners(zone) {
        let full = if o.is_empty() {
            APEX.to_string()
        } else {
            format!("{o}.{APEX}")
        };
        names.push(full.clone());
        names.push(format!("below.{full}"));
    }
    // Between names: empty non-terminals, a sibling that does not exist, a name two labels below a wildcard.
    for n in [
        "c.ent",
        "b.c.ent",
        "nx",
        "a.b.wild",
        "x.named.wild",
        "b.c.cw",
    ] {
        names.push(format!("{n}.{APEX}"));
    }
    names.sort();
    names.dedup();
    let mut out = Vec::new();
    let mut id = 1u16;
    for n in &names {
        for &t in &TYPES {
            for way in WAYS {
                out.push(Case {
                    what: format!("{n} {t} {way:?}"),
                    name: n.clone(),
                    qtype: t,
                    way,
                    octets: query(id, n, t, way),
                });
                id = id.wrapping_add(1);
            }
        }
    }
    // Opcodes neither implements: IQUERY, STATUS, 3, DSO, 15 (NOTIFY and UPDATE are left out: BIND implements
    // them), with RD and CD set and an OPT.
    for opcode in [1u8, 2, 3, 6, 15] {
        let mut b = query(id, APEX, 6, Way::Edns);
        b[2] |= opcode << 3 | 1;
        b[3] |= 0x10;
        out.push(Case {
            what: format!("opcode {opcode}"),
            name: APEX.into(),
            qtype: 6,
            way: Way::Edns,
            octets: b,
        });
        id = id.wrapping_add(1);
    }
    // No question, with an OPT: FORMERR with an OPT (RFC 9619, RFC 6891 §7).
    let mut b = query(id, APEX, 6, Way::Edns);
    b.drain(12..12 + APEX.len() + 2 + 4);
    b[5] = 0;
    out.push(Case {
        what: "no question".into(),
        name: APEX.into(),
        qtype: 0,
        way: Way::Edns,
        octets: b,
    });
    id = id.wrapping_add(1);
    out.push(Case {
        what: "tsig unknown key".into(),
        name: APEX.into(),
        qtype: 6,
        way: Way::Udp,
        octets: tsig_query(id),
    });
    out
}

/// What is compared of a response.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    opcode: u8,
    rcode: u16,
    aa: bool,
    tc: bool,
    rd: bool,
    cd: bool,
    question: usize,
    opt: bool,
    answer: BTreeSet<String>,
    authority: BTreeSet<String>,
    additional: BTreeSet<String>,
}

/// The records of a section as `owner TTL TYPE data`, lowercased (case through compression differs by server,
/// RFC 4343 §4.1), the OPT left out (its presence is compared), a TSIG reduced to its error.
fn section(
    s: domain::base::message::RecordSection<'_, Vec<u8>>,
    opt: &mut bool,
    ext: &mut u16,
) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for rr in s {
        let Ok(rr) = rr else {
            out.insert("<malformed>".into());
            continue;
        };
        if rr.rtype() == Rtype::OPT {
            *opt = true;
            *ext = ((rr.ttl().as_secs() >> 24) as u16) << 4;
            continue;
        }
        let text = match rr.to_record::<AllRecordData<_, ParsedName<_>>>() {
            Ok(Some(rec)) if rr.rtype() == Rtype::TSIG => match rec.data() {
                AllRecordData::Tsig(t) => format!("{}. TSIG error {}", rec.owner(), t.error()),
                _ => format!("{}. TSIG", rec.owner()),
            },
            Ok(Some(rec)) => format!(
                "{}. {} {} {}",
                rec.owner(),
                rec.ttl().as_secs(),
                rec.rtype(),
                rec.data()
            ),
            _ => format!("<unparsed {}>", rr.rtype()),
        };
        out.insert(text.to_ascii_lowercase());
    }
    out
}

fn read(bytes: &[u8]) -> Option<Seen> {
    let msg = Message::from_octets(bytes.to_vec()).ok()?;
    let h = msg.header();
    let (_, an, ns, ar) = msg.sections().ok()?;
    let (mut opt, mut ext) = (false, 0u16);
    let answer = section(an, &mut opt, &mut ext);
    let authority = section(ns, &mut opt, &mut ext);
    let additional = section(ar, &mut opt, &mut ext);
    Some(Seen {
        opcode: h.opcode().to_int(),
        rcode: u16::from(h.rcode().to_int()) | ext,
        aa: h.aa(),
        tc: h.tc(),
        rd: h.rd(),
        cd: h.cd(),
        question: msg.header_counts().qdcount() as usize,
        opt,
        answer,
        authority,
        additional,
    })
}

/// A client of one server: a UDP socket and one TCP connection, reused.
struct Client {
    udp: UdpSocket,
    tcp: Option<TcpStream>,
    port: u16,
}

impl Client {
    fn new(port: u16) -> Client {
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        udp.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        Client {
            udp,
            tcp: None,
            port,
        }
    }

    fn ask(&mut self, c: &Case) -> Option<Vec<u8>> {
        let id = [c.octets[0], c.octets[1]];
        if c.way == Way::Tcp {
            for _ in 0..2 {
                if self.tcp.is_none() {
                    let s = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
                    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
                    self.tcp = Some(s);
                }
                let s = self.tcp.as_mut()?;
                let mut framed = (c.octets.len() as u16).to_be_bytes().to_vec();
                framed.extend_from_slice(&c.octets);
                let mut len = [0u8; 2];
                if s.write_all(&framed).is_ok() && s.read_exact(&mut len).is_ok() {
                    let mut buf = vec![0u8; u16::from_be_bytes(len) as usize];
                    if s.read_exact(&mut buf).is_ok() {
                        return Some(buf);
                    }
                }
                // The server closed the connection: open another.
                self.tcp = None;
            }
            return None;
        }
        for _ in 0..3 {
            self.udp.send_to(&c.octets, ("127.0.0.1", self.port)).ok()?;
            let mut buf = [0u8; 65535];
            let deadline = Instant::now() + Duration::from_secs(1);
            while Instant::now() < deadline {
                match self.udp.recv(&mut buf) {
                    Ok(n) if n >= 2 && buf[..2] == id => return Some(buf[..n].to_vec()),
                    Ok(_) => continue,
                    Err(_) => break,
                }
            }
        }
        None
    }
}

/// Why a difference is allowed, or `None` if it is not. The rcode, the opcode and the presence of an OPT must
/// always match. The classes, each with its reason:
/// - `notimp-question`: for another opcode BIND answers NOTIMP without the question; lyncdns echoes the question
///   when there is exactly one (RFC 1035 §4.1.1 lets a response carry it, and clients match responses to queries
///   by it). Everything else (opcode copied, RD and CD cleared, the OPT) must match.
/// - `any`: ANY is answered differently by design. RFC 8482 §4 lets a server pick one RRset, a synthesized
///   HINFO, or all of them; BIND answers with every RRset, lyncdns with one HINFO (the CNAME at an alias, NODATA
///   at an empty non-terminal). The rcode must still match.
/// - `tc-content`: both set TC; what a truncated UDP response carries besides the header is the server's choice
///   (RFC 2181 §9: the client discards it and retries over TCP). lyncdns sends the question only.
/// - `referral-tc`: over UDP, a referral BIND fits into the buffer gets TC from lyncdns. lyncdns prepares a
///   referral once for every name below the cut, compressed within itself (its pointers moved to where it lands
///   behind each question), never against the question name as BIND's are, so it can be a few octets larger;
///   when its in-domain glue does not fit, TC is what RFC 9471 §3.1 requires. Over TCP the two must match.
/// - `soa-ttl-zero`: BIND gives the SOA in the authority section of a negative answer to an SOA question a TTL of
///   0 (a BIND habit, so that resolvers do not cache the negative SOA in place of the real one); lyncdns uses the
///   negative TTL of RFC 2308 §3 as for every other type. Nothing else may differ.
/// - `authority-ns`: BIND adds the zone's NS RRset (and its name servers' addresses in the additional section)
///   to some positive answers, wildcard answers among them; lyncdns never does (minimal responses: RFC 2181 §6.1
///   makes them optional). The rest of the authority section must match.
/// - `additional`: the additional section differs while everything else matches: it holds only optional data
///   (RFC 1035 §4.1: "records which relate to the query, but are not strictly answers"), which servers choose
///   differently (BIND leaves the addresses of SRV and MX targets out of small responses, for instance). A
///   referral's in-domain glue is not optional (RFC 9471 §3.1): it must be the same.
fn allowed(c: &Case, ours: &Seen, bind: &Seen) -> Option<&'static str> {
    let same_header =
        ours.rcode == bind.rcode && ours.opcode == bind.opcode && ours.opt == bind.opt;
    if !same_header {
        return None;
    }
    if ours.rcode == 4 {
        let mut without_question = ours.clone();
        without_question.question = 0;
        return (without_question == *bind && ours.question == 1).then_some("notimp-question");
    }
    if c.qtype == 255 {
        return Some("any");
    }
    if ours.tc && bind.tc {
        return Some("tc-content");
    }
    let referral = !ours.aa && ours.answer.is_empty();
    if ours.tc && !bind.tc && referral && c.way != Way::Tcp {
        return Some("referral-tc");
    }
    if c.qtype == 6 {
        let zero_ttl = |s: &BTreeSet<String>| {
            s.iter()
                .map(|r| r.replacen(&format!("{APEX}. 60 soa"), &format!("{APEX}. 0 soa"), 1))
                .collect::<BTreeSet<String>>()
        };
        let mut ours_zeroed = ours.clone();
        ours_zeroed.authority = zero_ttl(&ours.authority);
        if ours_zeroed == *bind {
            return Some("soa-ttl-zero");
        }
    }
    if ours.aa != bind.aa || ours.tc != bind.tc || ours.answer != bind.answer {
        return None;
    }
    let ns_only = |s: &BTreeSet<String>| {
        s.iter()
            .filter(|r| !r.starts_with(&format!("{APEX}. 300 ns ")))
            .cloned()
            .collect::<BTreeSet<String>>()
    };
    if ours.authority != bind.authority {
        if !referral && ns_only(&ours.authority) == ns_only(&bind.authority) {
            return Some("authority-ns");
        }
        return None;
    }
    if ours.additional != bind.additional {
        if referral {
            // The glue of names at or below the cut must be the same.
            let in_domain = |s: &BTreeSet<String>| {
                s.iter()
                    .filter(|r| {
                        let owner = r.split(' ').next().unwrap_or("");
                        ours.authority.iter().any(|ns| {
                            let cut = ns.split(' ').next().unwrap_or("-");
                            owner == cut || owner.ends_with(&format!(".{cut}"))
                        })
                    })
                    .cloned()
                    .collect::<BTreeSet<String>>()
            };
            if in_domain(&ours.additional) != in_domain(&bind.additional) {
                return None;
            }
        }
        return Some("additional");
    }
    None
}

fn start_named(
    named: &std::path::Path,
    d: &std::path::Path,
    zone_file: &std::path::Path,
) -> (Peer, u16) {
    let port = free_port();
    let conf = d.join("named.conf");
    std::fs::write(
        &conf,
        format!(
            "options {{\n directory \"{0}\";\n listen-on port {port} {{ 127.0.0.1; }};\n listen-on-v6 {{ none; }};\n pid-file none;\n session-keyfile \"{0}/session.key\";\n managed-keys-directory \"{0}\";\n recursion no;\n dnssec-validation no;\n notify no;\n}};\nzone \"{APEX}\" {{ type primary; file \"{1}\"; }};\n",
            d.display(),
            zone_file.display()
        ),
    )
    .unwrap();
    let child = Command::new(named)
        .args(["-g", "-c", conf.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start named");
    let named = Peer(child);
    let mut c = Client::new(port);
    let probe = Case {
        what: "probe".into(),
        name: APEX.into(),
        qtype: 6,
        way: Way::Udp,
        octets: query(0xfffe, APEX, 6, Way::Udp),
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Some(r) = c.ask(&probe).and_then(|b| read(&b))
            && r.rcode == 0
            && r.aa
        {
            return (named, port);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("named did not load {APEX} on port {port}");
}

#[test]
fn lyncdns_answers_as_bind_does_on_an_edge_case_zone() {
    let Some(named) = interop_tool("named", "bind9") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = zone();
    let file = d.join("diff.test.zone");
    std::fs::write(&file, &text).unwrap();
    let (_named, bind_port) = start_named(&named, d, &file);
    let ours = Serve::start(&["--zone", &format!("internal={}", file.display())]);
    let (mut to_ours, mut to_bind) = (Client::new(ours.addr.port()), Client::new(bind_port));

    let cases = cases(&text);
    let started = Instant::now();
    let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
    let mut failures = Vec::new();
    for c in &cases {
        let (a, b) = (to_ours.ask(c), to_bind.ask(c));
        let (Some(a), Some(b)) = (a, b) else {
            failures.push(format!(
                "{}: no answer from {}",
                c.what,
                if to_ours_missing(&c.octets, &mut to_ours) {
                    "lyncdns"
                } else {
                    "named"
                }
            ));
            continue;
        };
        let (Some(a), Some(b)) = (read(&a), read(&b)) else {
            failures.push(format!("{}: an answer that is not a DNS message", c.what));
            continue;
        };
        if a == b {
            *counts.entry("same").or_default() += 1;
            continue;
        }
        match allowed(c, &a, &b) {
            Some(class) => {
                let n = counts.entry(class).or_default();
                if *n == 0 {
                    eprintln!(
                        "first `{class}`: {}\n  lyncdns {a:?}\n  named   {b:?}",
                        c.what
                    );
                }
                *n += 1;
            }
            None => failures.push(format!(
                "{} ({} {}):\n  lyncdns {a:?}\n  named   {b:?}",
                c.what, c.name, c.qtype
            )),
        }
    }
    eprintln!(
        "{} questions in {:?}: {counts:?}, {} not allowed",
        cases.len(),
        started.elapsed(),
        failures.len()
    );
    assert!(cases.len() > 4000, "{} questions", cases.len());
    assert!(
        failures.is_empty(),
        "{} differences outside the allowed classes:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        counts.get("same").copied().unwrap_or(0) * 2 > cases.len(),
        "most answers are identical (the classes do not swallow everything): {counts:?}"
    );
}

/// Whether lyncdns is the one that did not answer (asked again).
fn to_ours_missing(octets: &[u8], ours: &mut Client) -> bool {
    let c = Case {
        what: String::new(),
        name: String::new(),
        qtype: 0,
        way: Way::Udp,
        octets: octets.to_vec(),
    };
    ours.ask(&c).is_none()
}
