//! The answer path, in process: every protocol rule of `lyncdns serve`, checked by decoding the response with
//! an independent parser. Each test names the RFC section it checks.

mod support;

use lyncdns_dnsdata::zonefile::parse_text;
use lyncdns_dnsserver::answer::Transport;
use lyncdns_dnsserver::compile::{Options, Snapshot, ViewInput};
use lyncdns_model::Rotation;
use support::*;

const ZONE: &str = "$ORIGIN example.test.\n$TTL 300\n\
@ IN SOA ns hostmaster 7 3600 900 1209600 60\n\
@ NS ns\n\
ns A 192.0.2.53\n\
www CNAME host\n\
host A 192.0.2.10\n\
dangling CNAME missing\n\
outside CNAME elsewhere.invalid.\n\
pool A 192.0.2.1\npool A 192.0.2.2\npool A 192.0.2.3\npool A 192.0.2.4\n\
_sip._tls SRV 0 0 443 host\n\
big SRV 0 0 443 pool\n\
*.w TXT \"wild\"\n\
b.y.w TXT \"deep\"\n\
sub NS ns.sub\n\
ns.sub A 192.0.2.99\n";

fn zone_snapshot(extra: &str, rotation: Rotation) -> Snapshot {
    zone_snapshot_with(extra, rotation, 0)
}

fn zone_snapshot_with(extra: &str, rotation: Rotation, names_per_thread: usize) -> Snapshot {
    let zone = parse_text(&format!("{ZONE}{extra}"), "example.test.zone").unwrap();
    let views = vec![ViewInput {
        name: "all".into(),
        clients: vec!["0.0.0.0/0".parse().unwrap(), "::/0".parse().unwrap()],
        zones: vec![zone],
    }];
    Snapshot::build(
        views,
        &Options {
            max_udp: 1232,
            rotation,
            ecs_trusted: vec![],
            names_per_thread,
            identity: Default::default(),
            cookies: None,
            tcp_keepalive: false,
        },
    )
    .unwrap()
}

/// Large views are compiled by several threads, each writing its own answers; the answers must be those of
/// one thread, octet for octet, for every name and type (wildcards, CNAME chains, referrals, additional data,
/// names with several types, empty non-terminals, names that do not exist).
#[test]
fn answers_compiled_by_several_threads_equal_those_of_one() {
    let mut extra = String::new();
    for i in 0..40 {
        extra.push_str(&format!(
            "h{i} A 192.0.2.{i}\nh{i} TXT \"t{i}\"\nc{i} CNAME h{i}\n_s{i}._tcp SRV 0 0 5061 h{i}\n"
        ));
    }
    let one = zone_snapshot_with(&extra, Rotation::None, usize::MAX);
    let mut names: Vec<String> = [
        "@", "ns", "www", "host", "dangling", "outside", "pool", "big", "x.w", "a.b.w", "b.y.w",
        "y.w", "sub", "x.sub", "ns.sub", "nope",
    ]
    .iter()
    .map(|n| n.to_string())
    .collect();
    for i in 0..40 {
        names.extend([
            format!("h{i}"),
            format!("c{i}"),
            format!("_s{i}._tcp"),
            "_tcp".to_string(),
        ]);
    }
    for per_thread in [1, 3, 17] {
        let many = zone_snapshot_with(&extra, Rotation::None, per_thread);
        for n in &names {
            let name = if n == "@" {
                "example.test".to_owned()
            } else {
                format!("{n}.example.test")
            };
            for t in [A, AAAA, CNAME, TXT, SRV, NS, SOA, 15 /* MX */] {
                let q = Q::new(&name, t).edns(4096).bytes();
                assert_eq!(
                    ask_raw(&one, &q, "192.0.2.200", Transport::Tcp),
                    ask_raw(&many, &q, "192.0.2.200", Transport::Tcp),
                    "{name} type {t}, {per_thread} names per thread"
                );
            }
        }
    }
}

#[test]
fn split_horizon_by_source_address() {
    let s = embedded();
    let q = Q::new("sip.lyncdude.net", A);
    assert_eq!(
        ask(&s, &q, "127.0.0.1").answer,
        ["sip.lyncdude.net. A 10.0.0.10"]
    );
    assert_eq!(ask(&s, &q, "::1").answer, ["sip.lyncdude.net. A 10.0.0.10"]);
    assert_eq!(
        ask(&s, &q, "10.20.30.40").answer,
        ["sip.lyncdude.net. A 10.0.0.10"]
    );
    assert_eq!(
        ask(&s, &q, "127.0.0.2").answer,
        ["sip.lyncdude.net. A 203.0.113.10"]
    );
    assert_eq!(
        ask(&s, &q, "2001:db8::7").answer,
        ["sip.lyncdude.net. A 203.0.113.10"]
    );
    // An internal-only name does not exist outside.
    let r = ask(&s, &Q::new("lyncwebint.lyncdude.net", A), "127.0.0.2");
    assert_eq!(r.rcode, 3);
    assert!(r.answer.is_empty());
}

#[test]
fn authoritative_positive_answer_rfc1034_4_3_2() {
    let r = ask(
        &embedded(),
        &Q::new("_sip._tls.lyncdude.net", SRV),
        "127.0.0.2",
    );
    assert!(r.aa);
    assert!(!r.tc);
    assert!(r.rd, "RD is copied (RFC 1035 §4.1.1)");
    assert_eq!(r.id, 0x1234);
    assert_eq!(
        r.answer,
        ["_sip._tls.lyncdude.net. SRV 0 0 443 access.lyncdude.net"]
    );
    assert_eq!(
        r.additional,
        ["access.lyncdude.net. A 203.0.113.10"],
        "SRV target address in additional (RFC 2782)"
    );
}

#[test]
fn nxdomain_and_nodata_carry_the_soa_rfc2308_3() {
    let s = embedded();
    let r = ask(&s, &Q::new("nothing-here.lyncdude.net", A), "127.0.0.1");
    assert_eq!((r.rcode, r.aa), (3, true));
    assert!(r.answer.is_empty());
    assert_eq!(r.authority.len(), 1);
    assert!(
        r.authority[0].starts_with(
            "lyncdude.net. SOA dc01.lyncdude.net. hostmaster.lyncdude.net. 2026112501"
        ),
        "{:?}",
        r.authority
    );
    assert_eq!(r.ttls, [300], "negative TTL = min(SOA TTL, MINIMUM)");
    let r = ask(&s, &Q::new("sip.lyncdude.net", AAAA), "127.0.0.1");
    assert_eq!((r.rcode, r.aa), (0, true), "NODATA is NOERROR");
    assert!(r.answer.is_empty());
    assert!(r.authority[0].starts_with("lyncdude.net. SOA"));
    // An empty non-terminal exists: NODATA, not NXDOMAIN (RFC 4592 §2.2.2).
    let r = ask(&s, &Q::new("_tcp.lyncdude.net", A), "127.0.0.1");
    assert_eq!(r.rcode, 0);
    // Pin-point zones answer for their one name only.
    let r = ask(&s, &Q::new("sip.anotherdomain.com", A), "127.0.0.1");
    assert_eq!(r.answer, ["sip.anotherdomain.com. A 10.0.0.10"]);
    let r = ask(&s, &Q::new("x.sip.anotherdomain.com", A), "127.0.0.1");
    assert_eq!(r.rcode, 3);
    assert!(r.authority[0].starts_with("sip.anotherdomain.com. SOA"));
}

#[test]
fn names_outside_the_views_zones_are_refused_rfc8906_3_1_1() {
    let s = embedded();
    for (name, from) in [
        ("example.org", "127.0.0.1"),
        ("net", "127.0.0.2"),
        ("anotherdomain.com", "127.0.0.1"),
    ] {
        let r = ask(&s, &Q::new(name, A), from);
        assert_eq!((r.rcode, r.aa), (5, false), "{name} from {from}");
        assert_eq!(r.question, [format!("{name}. A")]);
    }
}

#[test]
fn question_is_echoed_as_sent_0x20() {
    let r = ask(&embedded(), &Q::new("SiP.LyNcDuDe.NeT", A), "127.0.0.1");
    assert_eq!(r.question, ["SiP.LyNcDuDe.NeT. A"]);
    assert_eq!(r.answer.len(), 1);
    assert!(
        r.answer[0]
            .to_ascii_lowercase()
            .starts_with("sip.lyncdude.net. a 10.0.0.10")
    );
}

#[test]
fn edns_opt_is_echoed_with_our_size_rfc6891_6_1_1() {
    let s = embedded();
    assert_eq!(
        ask(&s, &Q::new("sip.lyncdude.net", A), "127.0.0.1").opt,
        None,
        "no OPT without one in the query"
    );
    let mut q = Q::new("sip.lyncdude.net", A).edns(4096);
    q.edns.as_mut().unwrap().3.push((65001, vec![1, 2, 3]));
    q.edns.as_mut().unwrap().2 = true;
    let r = ask(&s, &q, "127.0.0.1");
    let (size, ext, version, dnssec_ok, codes) = r.opt.clone().expect("OPT");
    assert_eq!((size, ext, version), (1232, 0, 0));
    assert!(dnssec_ok, "DO is copied (RFC 3225 §3)");
    assert!(codes.is_empty(), "unknown options are not echoed");
    assert_eq!(r.answer.len(), 1);
}

#[test]
fn edns_version_above_zero_gets_badvers_rfc6891_6_1_3() {
    let mut q = Q::new("sip.lyncdude.net", A).edns(1232);
    q.edns.as_mut().unwrap().1 = 1;
    let r = ask(&embedded(), &q, "127.0.0.1");
    assert_eq!(r.ext_rcode(), 16);
    assert_eq!(r.opt.as_ref().unwrap().2, 0, "our OPT says version 0");
    assert!(r.answer.is_empty());
}

#[test]
fn truncation_over_udp_and_full_answer_over_tcp_rfc1035_4_2_1() {
    let txt: String = (0..40)
        .map(|i| format!("fat TXT \"{:0100}\"\n", i))
        .collect();
    let s = zone_snapshot(&txt, Rotation::None);
    let q = Q::new("fat.example.test", TXT);
    let r = ask(&s, &q, "192.0.2.1");
    assert!(r.tc, "does not fit 512 octets");
    assert!(
        r.answer.is_empty() && r.authority.is_empty(),
        "cut cleanly: no partial RRset"
    );
    assert_eq!(r.question, ["fat.example.test. TXT"]);
    let r = ask(&s, &q.clone().edns(65000), "192.0.2.1");
    assert!(
        r.tc,
        "our 1232-octet cap applies even when the client offers more"
    );
    assert!(r.opt.is_some());
    let raw = ask_raw(&s, &q.bytes(), "192.0.2.1", Transport::Tcp).unwrap();
    let r = decode(&raw);
    assert!(!r.tc);
    assert_eq!(r.answer.len(), 40);
    // A small EDNS size below 512 is treated as 512 (RFC 6891 §6.2.5).
    let r = ask(&s, &Q::new("host.example.test", A).edns(100), "192.0.2.1");
    assert_eq!(r.answer.len(), 1);
}

#[test]
fn additional_section_is_dropped_before_truncating_rfc2181_9() {
    let pool: String = (0..40)
        .map(|i| format!("pool A 198.51.100.{i}\n"))
        .collect();
    let s = zone_snapshot(&pool, Rotation::None);
    let r = ask(&s, &Q::new("big.example.test", SRV), "192.0.2.1");
    assert!(!r.tc);
    assert_eq!(r.answer.len(), 1);
    assert!(
        r.additional.is_empty(),
        "44 addresses do not fit 512 octets: additional dropped"
    );
    let r = ask(&s, &Q::new("big.example.test", SRV).edns(1232), "192.0.2.1");
    assert_eq!(r.additional.len(), 44);
}

#[test]
fn malformed_queries_get_formerr_rfc9619() {
    let s = embedded();
    // QDCOUNT = 2.
    let mut b = Q::new("sip.lyncdude.net", A).bytes();
    b[5] = 2;
    let r = decode(&ask_raw(&s, &b, "127.0.0.1", Transport::Udp).unwrap());
    assert_eq!(r.rcode, 1);
    // A compression pointer in the question.
    let mut b = Q::new("x", A).bytes();
    b.splice(12..15, [0xc0, 0x0c]);
    assert_eq!(
        decode(&ask_raw(&s, &b, "127.0.0.1", Transport::Udp).unwrap()).rcode,
        1
    );
    // A question cut short.
    let b = Q::new("sip.lyncdude.net", A).bytes();
    assert_eq!(
        decode(&ask_raw(&s, &b[..20], "127.0.0.1", Transport::Udp).unwrap()).rcode,
        1
    );
    // Two OPT records (RFC 6891 §6.1.1).
    let mut b = Q::new("sip.lyncdude.net", A).edns(1232).bytes();
    let opt = b[b.len() - 11..].to_vec();
    b.extend_from_slice(&opt);
    b[11] = 2;
    let r = decode(&ask_raw(&s, &b, "127.0.0.1", Transport::Udp).unwrap());
    assert_eq!(r.rcode, 1);
    assert_eq!(
        r.question,
        ["sip.lyncdude.net. A"],
        "the question is echoed when it could be read"
    );
}

/// The opcode (bits 3..6 of octet 2) and the CD bit of a raw response.
fn opcode_and_cd(raw: &[u8]) -> (u8, bool) {
    ((raw[2] >> 3) & 0x0f, raw[3] & 0x10 != 0)
}

#[test]
fn other_opcodes_get_notimp_with_the_opcode_question_and_opt_rfc1035_4_1_1_rfc6891_7() {
    let s = embedded();
    // IQUERY, STATUS, 3 (unassigned), NOTIFY, UPDATE, DSO, 15 (unassigned).
    for opcode in [1u8, 2, 3, 4, 5, 6, 15] {
        for edns in [false, true] {
            let q = Q::new("lyncdude.net", SOA);
            let mut b = if edns { q.edns(1232) } else { q }.bytes();
            b[2] |= opcode << 3;
            b[3] |= 0x10; // CD
            let raw = ask_raw(&s, &b, "127.0.0.1", Transport::Udp).unwrap();
            let r = decode(&raw);
            assert_eq!(r.rcode, 4, "opcode {opcode}: NOTIMP");
            assert_eq!(
                opcode_and_cd(&raw),
                (opcode, false),
                "opcode {opcode}: the opcode is copied (RFC 1035 §4.1.1), CD is not, as BIND does"
            );
            assert!(
                !r.rd,
                "opcode {opcode}: RD is a QUERY flag: not copied, as BIND does"
            );
            assert_eq!(r.question, ["lyncdude.net. SOA"], "opcode {opcode}");
            assert_eq!(r.opt.is_some(), edns, "opcode {opcode}: OPT (RFC 6891 §7)");
            assert!(r.answer.is_empty() && r.authority.is_empty() && !r.aa);
        }
    }
    // A DSO message has no question (RFC 8490 §5.4): none is echoed, the OPT still is.
    let mut b = Q::new("lyncdude.net", SOA).edns(1232).bytes();
    let question_end = 12 + "lyncdude.net".len() + 2 + 4;
    b.drain(12..question_end);
    b[5] = 0;
    b[2] |= 6 << 3;
    let raw = ask_raw(&s, &b, "127.0.0.1", Transport::Udp).unwrap();
    let r = decode(&raw);
    assert_eq!((r.rcode, opcode_and_cd(&raw).0), (4, 6));
    assert!(r.question.is_empty());
    assert!(r.opt.is_some());
}

#[test]
fn formerr_for_no_question_carries_the_opt_rfc9619_rfc6891_7() {
    let s = embedded();
    let mut b = Q::new("lyncdude.net", SOA).edns(1232).bytes();
    let question_end = 12 + "lyncdude.net".len() + 2 + 4;
    b.drain(12..question_end);
    b[5] = 0;
    let r = decode(&ask_raw(&s, &b, "127.0.0.1", Transport::Udp).unwrap());
    assert_eq!(r.rcode, 1, "QDCOUNT = 0: FORMERR");
    assert!(r.question.is_empty());
    assert_eq!(r.opt.map(|o| (o.0, o.2)), Some((1232, 0)), "the OPT");
    // Without an OPT in the query, none in the response.
    let mut b = Q::new("lyncdude.net", SOA).bytes();
    b.drain(12..question_end);
    b[5] = 0;
    let r = decode(&ask_raw(&s, &b, "127.0.0.1", Transport::Udp).unwrap());
    assert_eq!((r.rcode, r.opt), (1, None));
}

/// A query for `name` SOA signed with TSIG (key `key.example.`, HMAC-SHA256, a made-up MAC), with EDNS if `edns`.
fn tsig_query(edns: bool) -> Vec<u8> {
    let mut b = Q::new("lyncdude.net", SOA);
    if edns {
        b = b.edns(1232);
    }
    let mut b = b.bytes();
    b[11] += 1;
    b.extend_from_slice(b"\x03key\x07example\x00");
    b.extend_from_slice(&[0, 250, 0, 255, 0, 0, 0, 0]);
    let mut rdata = b"\x0bhmac-sha256\x00".to_vec();
    rdata.extend_from_slice(&[0, 0, 0x65, 0x43, 0x21, 0x00]); // time signed
    rdata.extend_from_slice(&300u16.to_be_bytes()); // fudge
    rdata.extend_from_slice(&32u16.to_be_bytes());
    rdata.extend_from_slice(&[0xab; 32]);
    rdata.extend_from_slice(&0x1234u16.to_be_bytes()); // original ID
    rdata.extend_from_slice(&[0, 0, 0, 0]); // error, other length
    b.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    b.extend_from_slice(&rdata);
    b
}

#[test]
fn tsig_with_an_unknown_key_gets_notauth_badkey_unsigned_rfc8945_5_2_2() {
    let s = embedded();
    for edns in [false, true] {
        let raw = ask_raw(&s, &tsig_query(edns), "127.0.0.1", Transport::Udp).unwrap();
        let r = decode(&raw);
        assert_eq!(r.rcode, 9, "NOTAUTH");
        assert_eq!(r.question, ["lyncdude.net. SOA"]);
        assert!(
            r.answer.is_empty() && !r.aa,
            "no data for an unverified query"
        );
        assert_eq!(r.opt.is_some(), edns);
        // The TSIG record is the last: key name, type TSIG, class ANY, TTL 0, then the algorithm, the time
        // signed and fudge copied, MAC size 0, the original ID, error BADKEY (17), no other data.
        let mut want = b"\x03key\x07example\x00".to_vec();
        want.extend_from_slice(&[0, 250, 0, 255, 0, 0, 0, 0]);
        let mut rdata = b"\x0bhmac-sha256\x00".to_vec();
        rdata.extend_from_slice(&[
            0, 0, 0x65, 0x43, 0x21, 0x00, 1, 44, 0, 0, 0x12, 0x34, 0, 17, 0, 0,
        ]);
        want.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        want.extend_from_slice(&rdata);
        assert!(
            raw.ends_with(&want),
            "an unsigned BADKEY TSIG record: {raw:?}"
        );
        assert_eq!(u16::from_be_bytes([raw[10], raw[11]]), 1 + edns as u16);
    }
    // A TSIG record that is not the last one is malformed (RFC 8945 §5.1).
    let mut b = tsig_query(false);
    b.extend_from_slice(&[0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 0]);
    b[11] += 1;
    let r = decode(&ask_raw(&s, &b, "127.0.0.1", Transport::Udp).unwrap());
    assert_eq!(r.rcode, 1);
}

#[test]
fn garbage_and_responses_get_silence() {
    let s = embedded();
    assert!(ask_raw(&s, &[1, 2, 3], "127.0.0.1", Transport::Udp).is_none());
    assert!(ask_raw(&s, &[], "127.0.0.1", Transport::Udp).is_none());
    let mut b = Q::new("sip.lyncdude.net", A).bytes();
    b[2] |= 0x80;
    assert!(
        ask_raw(&s, &b, "127.0.0.1", Transport::Udp).is_none(),
        "never answer a response"
    );
}

#[test]
fn any_gets_a_minimal_answer_rfc8482_4_2() {
    let r = ask(&embedded(), &Q::new("lyncdude.net", ANY), "127.0.0.2");
    assert_eq!(r.answer, ["lyncdude.net. HINFO \"RFC8482\" \"\""]);
    assert!(r.aa);
    let r = ask(&embedded(), &Q::new("nope.lyncdude.net", ANY), "127.0.0.2");
    assert_eq!(r.rcode, 3);
}

#[test]
fn transfers_are_refused() {
    let r = ask(&embedded(), &Q::new("lyncdude.net", AXFR), "127.0.0.1");
    assert_eq!(r.rcode, 5);
}

#[test]
fn cname_is_followed_inside_the_zones_rfc1034_4_3_2_and_rfc6604() {
    let s = zone_snapshot("", Rotation::None);
    let r = ask(&s, &Q::new("www.example.test", A), "192.0.2.1");
    assert_eq!(
        r.answer,
        [
            "www.example.test. CNAME host.example.test.",
            "host.example.test. A 192.0.2.10"
        ]
    );
    let r = ask(&s, &Q::new("www.example.test", AAAA), "192.0.2.1");
    assert_eq!(r.answer, ["www.example.test. CNAME host.example.test."]);
    assert_eq!(r.rcode, 0);
    assert!(r.authority[0].starts_with("example.test. SOA"));
    let r = ask(&s, &Q::new("www.example.test", CNAME), "192.0.2.1");
    assert_eq!(r.answer, ["www.example.test. CNAME host.example.test."]);
    let r = ask(&s, &Q::new("dangling.example.test", A), "192.0.2.1");
    assert_eq!(
        r.rcode, 3,
        "the last name of the chain does not exist (RFC 6604)"
    );
    assert_eq!(
        r.answer,
        ["dangling.example.test. CNAME missing.example.test."]
    );
    let r = ask(&s, &Q::new("outside.example.test", A), "192.0.2.1");
    assert_eq!(
        (r.rcode, r.answer.len(), r.authority.len()),
        (0, 1, 0),
        "a target outside our zones is left to the client"
    );
}

#[test]
fn wildcards_synthesize_below_the_closest_encloser_rfc4592() {
    let s = zone_snapshot("", Rotation::None);
    let r = ask(&s, &Q::new("a.w.example.test", TXT), "192.0.2.1");
    assert_eq!(r.answer, ["a.w.example.test. TXT \"wild\""]);
    let r = ask(&s, &Q::new("x.z.w.example.test", TXT), "192.0.2.1");
    assert_eq!(r.answer, ["x.z.w.example.test. TXT \"wild\""]);
    let r = ask(&s, &Q::new("a.w.example.test", A), "192.0.2.1");
    assert_eq!(
        (r.rcode, r.answer.len()),
        (0, 0),
        "NODATA for a type the wildcard lacks"
    );
    // y.w is an empty non-terminal (b.y.w exists): it blocks the wildcard below it.
    let r = ask(&s, &Q::new("a.y.w.example.test", TXT), "192.0.2.1");
    assert_eq!(r.rcode, 3);
    let r = ask(&s, &Q::new("y.w.example.test", TXT), "192.0.2.1");
    assert_eq!((r.rcode, r.answer.len()), (0, 0));
}

#[test]
fn delegations_get_referrals_rfc1034_4_3_2() {
    let s = zone_snapshot("", Rotation::None);
    for name in ["sub.example.test", "a.b.sub.example.test"] {
        let r = ask(&s, &Q::new(name, A), "192.0.2.1");
        assert!(!r.aa, "{name}: a referral is not authoritative");
        assert_eq!(r.rcode, 0);
        assert_eq!(r.authority, ["sub.example.test. NS ns.sub.example.test."]);
        assert_eq!(r.additional, ["ns.sub.example.test. A 192.0.2.99"]);
    }
}

#[test]
fn cname_to_a_name_a_wildcard_covers_is_synthesized_rfc1034_4_3_2_rfc4592_3_3_1() {
    let s = zone_snapshot("tow CNAME x.w\nto2 CNAME tow\n", Rotation::None);
    let r = ask(&s, &Q::new("tow.example.test", TXT), "192.0.2.1");
    assert_eq!(
        r.answer,
        [
            "tow.example.test. CNAME x.w.example.test.",
            "x.w.example.test. TXT \"wild\""
        ]
    );
    assert!(r.aa && r.rcode == 0);
    let r = ask(&s, &Q::new("to2.example.test", TXT), "192.0.2.1");
    assert_eq!(r.answer.len(), 3, "{:?}", r.answer);
    let r = ask(&s, &Q::new("tow.example.test", A), "192.0.2.1");
    assert_eq!(
        (r.rcode, r.answer.len()),
        (0, 1),
        "NODATA at the synthesized name"
    );
    assert!(r.authority[0].starts_with("example.test. SOA"));
}

#[test]
fn cname_to_a_name_below_a_cut_gets_the_referral_rfc1034_4_3_2() {
    let s = zone_snapshot("tosub CNAME host.sub\n", Rotation::None);
    for t in [A, TXT, AAAA] {
        let r = ask(&s, &Q::new("tosub.example.test", t), "192.0.2.1");
        assert_eq!(
            r.rcode, 0,
            "not NXDOMAIN: the name is the child zone's to answer"
        );
        assert_eq!(
            r.answer,
            ["tosub.example.test. CNAME host.sub.example.test."]
        );
        assert_eq!(r.authority, ["sub.example.test. NS ns.sub.example.test."]);
        assert_eq!(r.additional, ["ns.sub.example.test. A 192.0.2.99"]);
    }
}

#[test]
fn cname_to_occluded_glue_is_no_authoritative_answer_rfc2181_5_4_1() {
    let s = zone_snapshot("toglue CNAME ns.sub\n", Rotation::None);
    let r = ask(&s, &Q::new("toglue.example.test", A), "192.0.2.1");
    assert_eq!(
        r.answer,
        ["toglue.example.test. CNAME ns.sub.example.test."],
        "the glue address is not answered as data"
    );
    assert_eq!(r.authority, ["sub.example.test. NS ns.sub.example.test."]);
    assert_eq!(r.additional, ["ns.sub.example.test. A 192.0.2.99"]);
}

#[test]
fn cname_loop_repeats_no_record_and_stops_rfc2181_5_rfc1034_3_6_2() {
    let s = zone_snapshot(
        "l1 CNAME l2\nl2 CNAME l1\nself CNAME self\n",
        Rotation::None,
    );
    for t in [A, TXT, CNAME] {
        let r = ask(&s, &Q::new("l1.example.test", t), "192.0.2.1");
        let mut unique = r.answer.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), r.answer.len(), "no duplicate: {:?}", r.answer);
        if t != CNAME {
            assert_eq!(r.rcode, 2, "the loop is signalled (SERVFAIL, as BIND does)");
        }
    }
    let r = ask(&s, &Q::new("l1.example.test", A), "192.0.2.1");
    assert_eq!(
        r.answer,
        [
            "l1.example.test. CNAME l2.example.test.",
            "l2.example.test. CNAME l1.example.test."
        ]
    );
    let r = ask(&s, &Q::new("self.example.test", A), "192.0.2.1");
    assert_eq!(r.answer, ["self.example.test. CNAME self.example.test."]);
}

#[test]
fn any_at_a_cname_or_an_empty_non_terminal_rfc8482_4_2() {
    let s = zone_snapshot("*.cw CNAME host\n", Rotation::None);
    let r = ask(&s, &Q::new("www.example.test", ANY), "192.0.2.1");
    assert_eq!(
        r.answer,
        ["www.example.test. CNAME host.example.test."],
        "a CNAME owner answers its CNAME, not a HINFO"
    );
    let r = ask(&s, &Q::new("x.cw.example.test", ANY), "192.0.2.1");
    assert_eq!(r.answer, ["x.cw.example.test. CNAME host.example.test."]);
    // y.w exists only because b.y.w does.
    let r = ask(&s, &Q::new("y.w.example.test", ANY), "192.0.2.1");
    assert_eq!(
        (r.rcode, r.answer.len()),
        (0, 0),
        "NODATA at an empty non-terminal"
    );
    assert!(r.aa && r.authority[0].starts_with("example.test. SOA"));
    let r = ask(&s, &Q::new("host.example.test", ANY), "192.0.2.1");
    assert_eq!(r.answer, ["host.example.test. HINFO \"RFC8482\" \"\""]);
}

#[test]
fn ds_at_a_delegation_is_the_parents_answer_rfc4035_3_1_4_1() {
    const DS: u16 = 43;
    let s = zone_snapshot("", Rotation::None);
    let r = ask(&s, &Q::new("sub.example.test", DS), "192.0.2.1");
    assert!(r.aa, "authoritative: DS is the parent's data");
    assert_eq!((r.rcode, r.answer.len()), (0, 0), "NODATA");
    assert_eq!(r.authority.len(), 1);
    assert!(r.authority[0].starts_with("example.test. SOA"));
    let s = zone_snapshot(
        "sub DS 60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118\n",
        Rotation::None,
    );
    let r = ask(&s, &Q::new("sub.example.test", DS), "192.0.2.1");
    assert!(r.aa);
    assert_eq!(r.answer.len(), 1);
    assert!(r.answer[0].starts_with("sub.example.test. DS 60485"));
    // Other types at the cut, and DS below it, are still referred.
    for (n, t) in [("sub.example.test", A), ("x.sub.example.test", DS)] {
        let r = ask(&s, &Q::new(n, t), "192.0.2.1");
        assert!(!r.aa && r.answer.is_empty(), "{n}");
        assert_eq!(r.authority, ["sub.example.test. NS ns.sub.example.test."]);
    }
}

#[test]
fn oversized_referral_keeps_its_in_domain_glue_or_sets_tc_rfc9471_3_1() {
    // `in_domain` name servers below the cut with an A (and an AAAA if `v6`) each, and `sibling` ones outside it.
    let referral = |in_domain: usize, v6: bool, sibling: usize| {
        let mut extra = String::new();
        for i in 0..in_domain {
            extra.push_str(&format!("big NS ns{i}.big\nns{i}.big A 198.51.100.{i}\n"));
            if v6 {
                extra.push_str(&format!("ns{i}.big AAAA 2001:db8::{i}\n"));
            }
        }
        for i in 0..sibling {
            extra.push_str(&format!("big NS sib{i}\nsib{i} A 203.0.113.{i}\n"));
        }
        zone_snapshot(&extra, Rotation::None)
    };
    let q = Q::new("www.big.example.test", A);
    let in_domain = |r: &R| {
        r.additional
            .iter()
            .filter(|a| a.contains(".big.example.test. "))
            .count()
    };
    // The case: 20 name servers, 40 glue records, EDNS 1232: they do not fit, so TC (it was: no glue
    // and no TC).
    let s = referral(20, true, 0);
    let full = decode(&ask_raw(&s, &q.bytes(), "192.0.2.1", Transport::Tcp).unwrap());
    assert_eq!((full.authority.len(), in_domain(&full)), (20, 40));
    for size in [512u16, 1232, 4096] {
        let r = ask(&s, &q.clone().edns(size), "192.0.2.1");
        assert!(r.tc, "EDNS {size} (ours 1232): all in-domain glue or TC");
    }
    // 20 in-domain and 20 sibling name servers: at 1232 octets the in-domain glue fits and the sibling glue,
    // which may be left out, does not.
    let s = referral(20, false, 20);
    let r = ask(&s, &q.clone().edns(1232), "192.0.2.1");
    assert!(!r.tc);
    assert_eq!(
        (r.authority.len(), in_domain(&r), r.additional.len()),
        (40, 20, 20)
    );
    let r = decode(&ask_raw(&s, &q.bytes(), "192.0.2.1", Transport::Tcp).unwrap());
    assert_eq!(
        (r.authority.len(), r.additional.len()),
        (40, 40),
        "all of it over TCP"
    );
    let r = ask(&s, &q, "192.0.2.1");
    assert!(
        r.tc,
        "without EDNS (512 octets) the in-domain glue does not fit"
    );
    // 8 and 8: compressed, the whole referral fits 1232 octets, and its in-domain glue 512.
    let s = referral(8, false, 8);
    let r = ask(&s, &q.clone().edns(1232), "192.0.2.1");
    assert_eq!(
        (r.tc, r.authority.len(), r.additional.len()),
        (false, 16, 16)
    );
    let r = ask(&s, &q, "192.0.2.1");
    assert_eq!(
        (r.tc, r.authority.len(), in_domain(&r), r.additional.len()),
        (false, 16, 8, 8)
    );
}

/// Referral bodies are compressed within themselves and their pointers moved to where the body lands behind
/// each question (whose length varies), so a referral carries as much glue as BIND's. Names decode to the same
/// records for questions of every length, and a referral that fitted only over TCP uncompressed now fits UDP.
#[test]
fn referrals_are_compressed_for_every_question_length() {
    let mut extra = String::new();
    for i in 0..15 {
        extra.push_str(&format!(
            "big NS ns{i}.big\nns{i}.big A 198.51.100.{i}\nns{i}.big AAAA 2001:db8::{i}\n"
        ));
    }
    let s = zone_snapshot(&extra, Rotation::None);
    let mut want = None;
    for qname in [
        "big.example.test".to_string(),
        "a.big.example.test".to_string(),
        format!("{}.big.example.test", vec!["x".repeat(63); 3].join(".")),
    ] {
        let q = Q::new(&qname, A).edns(1232);
        let raw = ask_raw(&s, &q.bytes(), "192.0.2.1", Transport::Udp).unwrap();
        // Uncompressed this referral is about 2,400 octets.
        assert!(raw.len() < 1232, "{}", raw.len());
        let r = decode(&raw);
        assert!(!r.tc && !r.aa, "{qname}");
        assert_eq!((r.authority.len(), r.additional.len()), (15, 30), "{qname}");
        assert!(
            r.additional
                .contains(&"ns14.big.example.test. AAAA 2001:db8::14".to_string()),
            "{:?}",
            r.additional
        );
        let sections = (r.authority, r.additional);
        match &want {
            None => want = Some(sections),
            Some(w) => assert_eq!(&sections, w, "{qname}"),
        }
    }
}

fn first_addresses(s: &Snapshot, n: usize) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut picker = lyncdns_dnsserver::answer::Picker::new(99);
    let mut buf = vec![0u8; 65535];
    for _ in 0..n {
        let o = lyncdns_dnsserver::answer::answer(
            s,
            &Q::new("pool.example.test", A).bytes(),
            "192.0.2.1".parse().unwrap(),
            Transport::Udp,
            &mut picker,
            &mut buf,
        )
        .unwrap();
        out.push(decode(&buf[..o.len]).answer);
    }
    out
}

#[test]
fn dns_load_balanced_names_vary_their_order() {
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    let shuffled = first_addresses(&zone_snapshot("", Rotation::Shuffle), 60);
    let distinct: std::collections::HashSet<_> = shuffled.iter().cloned().collect();
    assert!(
        distinct.len() > 6,
        "60 shuffled answers show many orders, got {}",
        distinct.len()
    );
    for a in &shuffled {
        assert_eq!(
            sorted(a.clone()),
            sorted(shuffled[0].clone()),
            "always the same set"
        );
    }
    let rr = first_addresses(&zone_snapshot("", Rotation::RoundRobin), 8);
    let firsts: Vec<&String> = rr.iter().map(|a| &a[0]).collect();
    assert_eq!(firsts[0], firsts[4]);
    assert_ne!(firsts[0], firsts[1]);
    let fixed = first_addresses(&zone_snapshot("", Rotation::None), 5);
    assert!(fixed.iter().all(|a| *a == fixed[0]));
    assert_eq!(fixed[0][0], "pool.example.test. A 192.0.2.1");
}

#[test]
fn ecs_chooses_the_view_only_for_trusted_resolvers_rfc7871() {
    let text = lyncdns_model::EMBEDDED_EXAMPLE.replace(
        "[features]",
        "[serve]\necs_trusted = [\"192.0.2.53/32\"]\n\n[features]",
    );
    let s = snapshot(&text);
    // Family 1, source /24, scope 0, 10.1.2.0: an internal subnet.
    let ecs = vec![0, 1, 24, 0, 10, 1, 2];
    let mut q = Q::new("sip.lyncdude.net", A).edns(1232);
    q.edns.as_mut().unwrap().3.push((8, ecs));
    let trusted = ask(&s, &q, "192.0.2.53");
    assert_eq!(trusted.answer, ["sip.lyncdude.net. A 10.0.0.10"]);
    assert_eq!(trusted.opt.as_ref().unwrap().4, [8], "ECS echoed");
    let spoofed = ask(&s, &q, "198.51.100.7");
    assert_eq!(
        spoofed.answer,
        ["sip.lyncdude.net. A 203.0.113.10"],
        "an untrusted client cannot pick the internal view"
    );
    assert!(spoofed.opt.as_ref().unwrap().4.is_empty());
    // Off by default.
    assert_eq!(
        ask(&embedded(), &q, "192.0.2.53").answer,
        ["sip.lyncdude.net. A 203.0.113.10"]
    );
}

/// The embedded example with `[serve]` settings appended (it has no `[serve]` table of its own).
fn embedded_with_serve(settings: &str) -> Snapshot {
    assert!(!lyncdns_model::EMBEDDED_EXAMPLE.contains("\n[serve]"));
    snapshot(&format!(
        "{}\n[serve]\n{settings}\n",
        lyncdns_model::EMBEDDED_EXAMPLE
    ))
}

#[test]
fn nsid_is_sent_only_when_configured_and_asked_rfc5001_2_1() {
    const NSID: u16 = 3;
    let mut asking = Q::new("sip.lyncdude.net", A).edns(1232);
    asking.edns.as_mut().unwrap().3.push((NSID, vec![]));
    let on = embedded_with_serve("nsid = \"ns-a.example\"");
    let raw = ask_raw(&on, &asking.bytes(), "127.0.0.1", Transport::Udp).unwrap();
    let r = decode(&raw);
    assert_eq!(r.opt.as_ref().unwrap().4, [NSID]);
    assert!(raw.ends_with(b"\x00\x03\x00\x0cns-a.example"), "{raw:?}");
    assert_eq!(r.answer.len(), 1);
    // Not asked: not sent.
    let r = ask(&on, &Q::new("sip.lyncdude.net", A).edns(1232), "127.0.0.1");
    assert!(r.opt.unwrap().4.is_empty());
    // Also on error responses to a query that asked.
    let mut b = asking.bytes();
    b[2] |= 15 << 3;
    let r = decode(&ask_raw(&on, &b, "127.0.0.1", Transport::Udp).unwrap());
    assert_eq!((r.rcode, r.opt.unwrap().4), (4, vec![NSID]));
    // Off by default.
    let r = ask(&embedded(), &asking, "127.0.0.1");
    assert!(r.opt.unwrap().4.is_empty());
}

/// A CHAOS TXT question for `name` (class 3).
fn chaos(name: &str) -> Vec<u8> {
    let mut b = Q::new(name, TXT).bytes();
    let n = b.len();
    b[n - 1] = 3;
    b
}

#[test]
fn chaos_identity_answers_only_when_configured_rfc4892() {
    let on = embedded_with_serve("chaos_version = \"lyncdns\"\nchaos_identity = \"ns-a\"");
    for (name, text) in [
        ("version.bind", &b"lyncdns"[..]),
        ("VERSION.server", b"lyncdns"),
        ("hostname.bind", b"ns-a"),
        ("id.server", b"ns-a"),
    ] {
        let raw = ask_raw(&on, &chaos(name), "127.0.0.1", Transport::Udp).unwrap();
        let r = decode(&raw);
        assert_eq!((r.rcode, r.answer.len(), r.aa), (0, 1, true), "{name}");
        let mut want = vec![0xc0, 0x0c, 0, 16, 0, 3, 0, 0, 0, 0, 0, text.len() as u8 + 1];
        want.push(text.len() as u8);
        want.extend_from_slice(text);
        assert!(raw.ends_with(&want), "{name}: TXT CH, TTL 0: {raw:?}");
    }
    let r = decode(&ask_raw(&on, &chaos("authors.bind"), "127.0.0.1", Transport::Udp).unwrap());
    assert_eq!(r.rcode, 5, "other CHAOS names are refused");
    // Off by default: refused like every other CHAOS question.
    for name in ["version.bind", "hostname.bind", "id.server"] {
        let r = decode(&ask_raw(&embedded(), &chaos(name), "127.0.0.1", Transport::Udp).unwrap());
        assert_eq!((r.rcode, r.answer.len()), (5, 0), "{name}");
    }
}
