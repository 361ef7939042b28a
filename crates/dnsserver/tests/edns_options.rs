//! DNS Cookies (RFC 7873, server cookies of RFC 9018) and edns-tcp-keepalive (RFC 7828) on the answer path, octet
//! for octet: each test is named after the RFC section it checks. Over real TCP in `server.rs`' style at the end.

mod support;

use std::io::{Read, Write};
use std::net::{IpAddr, TcpStream};
use std::time::Duration;

use lyncdns_dnsserver::answer::{Context, Picker, Transport, answer_in};
use lyncdns_dnsserver::compile::Snapshot;
use lyncdns_dnsserver::cookie::Cookies;
use lyncdns_dnsserver::server::{Config, Server, TcpLimits};
use lyncdns_model::CookieSecret;
use support::*;

const COOKIE: u16 = 10;
const KEEPALIVE: u16 = 11;
const BADCOOKIE: u16 = 23;
const FORMERR: u16 = 1;

/// RFC 9018 Appendix A's secret, client and time.
const SECRET: &str = "e5e973e5a6b2a43f48e7dc849e37bfcf";
const CLIENT: &str = "198.51.100.100";
const NOW: u32 = 1559731985;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn with_cookies(require: bool) -> Snapshot {
    let mut s = embedded();
    s.cookies = Some(Cookies {
        secret: CookieSecret::from_hex(SECRET).unwrap(),
        require,
    });
    s.tcp_keepalive = true;
    s
}

fn query(options: Vec<(u16, Vec<u8>)>) -> Vec<u8> {
    query_for("lyncdiscover.lyncdude.net", options)
}

fn query_for(name: &str, options: Vec<(u16, Vec<u8>)>) -> Vec<u8> {
    let mut q = Q::new(name, A).edns(1232);
    q.edns.as_mut().unwrap().3 = options;
    q.bytes()
}

/// Answers `q` in process from `CLIENT`, at `NOW` unless `ctx` says another time.
fn ask_at(snap: &Snapshot, q: &[u8], ctx: Context) -> Vec<u8> {
    let mut out = vec![0u8; 65535];
    let o = answer_in(
        snap,
        q,
        CLIENT.parse::<IpAddr>().unwrap(),
        Context {
            now: ctx.now.or(Some(NOW)),
            ..ctx
        },
        &mut Picker::new(1),
        &mut out,
    )
    .expect("an answer");
    out.truncate(o.len);
    out
}

fn udp() -> Context {
    Context::new(Transport::Udp)
}

/// The options of the response's OPT record (the last record we write) as (code, data).
fn options(resp: &[u8]) -> Vec<(u16, Vec<u8>)> {
    let r = decode(resp);
    assert!(r.opt.is_some(), "no OPT in the response");
    // Walk back from the end: the OPT record's RDATA is its tail, its RDLENGTH 2 octets before.
    let mut rdlen = None;
    for at in (0..resp.len().saturating_sub(10)).rev() {
        let len = u16::from_be_bytes([resp[at + 9], resp[at + 10]]) as usize;
        if resp[at] == 0 && resp[at + 1..at + 3] == [0, 41] && at + 11 + len == resp.len() {
            rdlen = Some((at + 11, len));
            break;
        }
    }
    let (mut at, _) = rdlen.expect("an OPT record at the end");
    let mut out = Vec::new();
    while at + 4 <= resp.len() {
        let code = u16::from_be_bytes([resp[at], resp[at + 1]]);
        let len = u16::from_be_bytes([resp[at + 2], resp[at + 3]]) as usize;
        out.push((code, resp[at + 4..at + 4 + len].to_vec()));
        at += 4 + len;
    }
    out
}

#[test]
fn rfc7873_5_2_3_a_client_cookie_alone_gets_a_server_cookie_and_the_answer() {
    let resp = ask_at(
        &with_cookies(false),
        &query(vec![(COOKIE, hex("2464c4abcf10c957"))]),
        udp(),
    );
    let r = decode(&resp);
    assert_eq!(r.ext_rcode(), 0);
    assert!(!r.answer.is_empty(), "{r:?}");
    // RFC 9018 Appendix A.1, octet for octet: option 10, length 24, client cookie, version 1, reserved, time, hash.
    assert_eq!(
        options(&resp),
        [(
            COOKIE,
            hex("2464c4abcf10c957010000005cf79f111f8130c3eee29480")
        )]
    );
    let tail = &resp[resp.len() - 28..];
    assert_eq!(
        tail,
        hex("000a00182464c4abcf10c957010000005cf79f111f8130c3eee29480")
    );
}

#[test]
fn rfc7873_5_2_5_a_valid_server_cookie_is_echoed() {
    let sent = hex("2464c4abcf10c957010000005cf79f111f8130c3eee29480");
    let resp = ask_at(
        &with_cookies(true),
        &query(vec![(COOKIE, sent.clone())]),
        Context {
            now: Some(NOW + 600),
            ..udp()
        },
    );
    assert_eq!(decode(&resp).ext_rcode(), 0);
    assert_eq!(options(&resp), [(COOKIE, sent)]);
}

#[test]
fn rfc9018_4_3_a_server_cookie_older_than_half_an_hour_is_renewed() {
    // Appendix A.2: the same client 40 minutes later.
    let resp = ask_at(
        &with_cookies(true),
        &query(vec![(
            COOKIE,
            hex("2464c4abcf10c957010000005cf79f111f8130c3eee29480"),
        )]),
        Context {
            now: Some(1559734385),
            ..udp()
        },
    );
    assert_eq!(decode(&resp).ext_rcode(), 0);
    assert_eq!(
        options(&resp),
        [(
            COOKIE,
            hex("2464c4abcf10c957010000005cf7a871d4a564a1442aca77")
        )]
    );
}

#[test]
fn rfc7873_5_2_4_an_invalid_server_cookie_gets_a_new_one_and_the_answer() {
    let mut forged = hex("2464c4abcf10c957010000005cf79f111f8130c3eee29480");
    forged[23] ^= 1;
    let resp = ask_at(&with_cookies(false), &query(vec![(COOKIE, forged)]), udp());
    let r = decode(&resp);
    assert_eq!(r.ext_rcode(), 0);
    assert!(!r.answer.is_empty());
    assert_eq!(
        options(&resp),
        [(
            COOKIE,
            hex("2464c4abcf10c957010000005cf79f111f8130c3eee29480")
        )]
    );
}

#[test]
fn rfc7873_5_2_3_badcookie_when_required_over_udp_with_a_fresh_cookie_and_no_data() {
    let snap = with_cookies(true);
    for sent in [
        hex("2464c4abcf10c957"),
        hex("2464c4abcf10c957010000005cf79f111f8130c3eee29481"),
    ] {
        let resp = ask_at(&snap, &query(vec![(COOKIE, sent)]), udp());
        let r = decode(&resp);
        assert_eq!(r.ext_rcode(), BADCOOKIE, "{r:?}");
        assert!(r.answer.is_empty() && r.authority.is_empty(), "{r:?}");
        assert_eq!(r.question, ["lyncdiscover.lyncdude.net. A"]);
        assert_eq!(
            options(&resp),
            [(
                COOKIE,
                hex("2464c4abcf10c957010000005cf79f111f8130c3eee29480")
            )]
        );
    }
    // Over TCP the client's address is proven: answered (RFC 7873 §5.2.3 asks BADCOOKIE of UDP only).
    let resp = ask_at(
        &snap,
        &query(vec![(COOKIE, hex("2464c4abcf10c957"))]),
        Context::new(Transport::Tcp),
    );
    assert_eq!(decode(&resp).ext_rcode(), 0);
    // A client without cookies is answered as before.
    let resp = ask_at(&snap, &query(vec![]), udp());
    assert_eq!(decode(&resp).ext_rcode(), 0);
}

#[test]
fn rfc7873_5_2_2_a_cookie_option_of_a_wrong_length_is_formerr() {
    let snap = with_cookies(false);
    for len in [0usize, 1, 7, 9, 15, 41, 48] {
        let resp = ask_at(&snap, &query(vec![(COOKIE, vec![7; len])]), udp());
        let r = decode(&resp);
        assert_eq!(r.ext_rcode(), FORMERR, "length {len}: {r:?}");
        assert!(r.answer.is_empty());
    }
    for len in [8usize, 16, 24, 40] {
        let resp = ask_at(&snap, &query(vec![(COOKIE, vec![7; len])]), udp());
        assert_eq!(decode(&resp).ext_rcode(), 0, "length {len}");
    }
}

#[test]
fn cookies_off_ignores_the_option() {
    let mut snap = with_cookies(false);
    snap.cookies = None;
    let resp = ask_at(
        &snap,
        &query(vec![(COOKIE, hex("2464c4abcf10c957"))]),
        udp(),
    );
    assert_eq!(decode(&resp).ext_rcode(), 0);
    assert_eq!(options(&resp), []);
}

#[test]
fn a_cookie_rides_along_with_nsid_and_badvers() {
    let mut snap = with_cookies(false);
    snap.identity.nsid = Some(b"ns1".to_vec());
    let resp = ask_at(
        &snap,
        &query(vec![(3, vec![]), (COOKIE, hex("2464c4abcf10c957"))]),
        udp(),
    );
    let got = options(&resp);
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0], (3, b"ns1".to_vec()));
    assert_eq!(got[1].0, COOKIE);
    // RFC 6891 §6.1.3: BADVERS still answers the cookie (RFC 7873 §5.2: every response to a cookie carries one).
    let mut q = Q::new("lyncdiscover.lyncdude.net", A).edns(1232);
    q.edns = Some((1232, 1, false, vec![(COOKIE, hex("2464c4abcf10c957"))]));
    let resp = ask_at(&snap, &q.bytes(), udp());
    assert_eq!(decode(&resp).ext_rcode(), 16);
    assert_eq!(options(&resp)[0].0, COOKIE);
}

#[test]
fn rfc7828_3_3_2_over_tcp_the_idle_timeout_is_told_in_100_ms_units() {
    let snap = with_cookies(false);
    let ctx = Context {
        tcp_idle: Some(Duration::from_millis(10_000)),
        ..Context::new(Transport::Tcp)
    };
    let resp = ask_at(&snap, &query(vec![(KEEPALIVE, vec![])]), ctx);
    assert_eq!(decode(&resp).ext_rcode(), 0);
    // Option 11, length 2, 100 (× 100 ms = 10 s), octet for octet at the end of the OPT record.
    assert_eq!(resp[resp.len() - 6..], [0, 11, 0, 2, 0, 100]);
    assert_eq!(options(&resp), [(KEEPALIVE, vec![0, 100])]);
    // Not asked: not told. Switched off: not told.
    let resp = ask_at(&snap, &query(vec![]), ctx);
    assert_eq!(options(&resp), []);
    let mut off = snap.clone();
    off.tcp_keepalive = false;
    let resp = ask_at(&off, &query(vec![(KEEPALIVE, vec![])]), ctx);
    assert_eq!(options(&resp), []);
}

#[test]
fn rfc7828_3_3_1_over_udp_the_option_is_ignored() {
    let resp = ask_at(
        &with_cookies(false),
        &query(vec![(KEEPALIVE, vec![])]),
        Context {
            tcp_idle: Some(Duration::from_secs(10)),
            ..udp()
        },
    );
    assert_eq!(decode(&resp).ext_rcode(), 0);
    assert_eq!(options(&resp), []);
    // With a timeout in it, too (a client must not send one, but over UDP the option is not looked at).
    let resp = ask_at(
        &with_cookies(false),
        &query(vec![(KEEPALIVE, vec![0, 5])]),
        udp(),
    );
    assert_eq!(decode(&resp).ext_rcode(), 0);
}

#[test]
fn rfc7828_3_2_1_a_query_with_a_timeout_over_tcp_is_formerr() {
    let ctx = Context {
        tcp_idle: Some(Duration::from_secs(10)),
        ..Context::new(Transport::Tcp)
    };
    let resp = ask_at(
        &with_cookies(false),
        &query(vec![(KEEPALIVE, vec![0, 5])]),
        ctx,
    );
    assert_eq!(decode(&resp).ext_rcode(), FORMERR);
}

fn tcp_exchange(stream: &mut TcpStream, q: &[u8]) -> Vec<u8> {
    let mut framed = (q.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(q);
    stream.write_all(&framed).unwrap();
    let mut len = [0u8; 2];
    stream.read_exact(&mut len).expect("an answer over TCP");
    let mut buf = vec![0u8; u16::from_be_bytes(len) as usize];
    stream.read_exact(&mut buf).unwrap();
    buf
}

#[test]
fn rfc7828_3_3_2_over_real_tcp_the_server_tells_its_idle_timeout_and_cookies_work() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let config = Config {
        dns: vec!["127.0.0.1:0".parse().unwrap()],
        workers: 1,
        metrics: None,
        query_log: false,
        tcp: TcpLimits {
            idle: Duration::from_millis(7_300),
            ..TcpLimits::default()
        },
    };
    let server = rt
        .block_on(async { Server::start(with_cookies(false), config).await })
        .unwrap();
    let addr = server.dns_addrs[0];
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let resp = tcp_exchange(
        &mut stream,
        &query_for(
            "sip.lyncdude.net",
            vec![(KEEPALIVE, vec![]), (COOKIE, hex("0102030405060708"))],
        ),
    );
    let got = options(&resp);
    assert_eq!(decode(&resp).ext_rcode(), 0);
    assert_eq!(got[1], (KEEPALIVE, vec![0, 73]), "{got:?}");
    // The server cookie learnt is valid on the next query of the connection: echoed as it came.
    let (code, learnt) = got[0].clone();
    assert_eq!((code, learnt.len(), learnt[8]), (COOKIE, 24, 1));
    let resp = tcp_exchange(
        &mut stream,
        &query_for("sip.lyncdude.net", vec![(COOKIE, learnt.clone())]),
    );
    assert_eq!(options(&resp), [(COOKIE, learnt)]);
    rt.block_on(server.shutdown());
}

#[test]
fn rfc7873_5_4_a_query_without_a_question_gets_a_server_cookie() {
    // Header, QDCOUNT 0, ARCOUNT 1, and an OPT with a client cookie only.
    let mut q = vec![0x12, 0x34, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    q.extend_from_slice(&[0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 12, 0, 10, 0, 8]);
    q.extend_from_slice(&hex("2464c4abcf10c957"));
    let resp = ask_at(&with_cookies(false), &q, udp());
    let r = decode(&resp);
    assert_eq!((r.ext_rcode(), r.question.len()), (0, 0), "{r:?}");
    assert_eq!(
        options(&resp),
        [(
            COOKIE,
            hex("2464c4abcf10c957010000005cf79f111f8130c3eee29480")
        )]
    );
    // Cookies required: BADCOOKIE over UDP, with the cookie to come back with.
    let resp = ask_at(&with_cookies(true), &q, udp());
    assert_eq!(decode(&resp).ext_rcode(), BADCOOKIE);
    assert_eq!(options(&resp)[0].0, COOKIE);
    // Cookies off: a QUERY without a question is FORMERR (RFC 9619), with the OPT (RFC 6891 §7).
    let mut off = with_cookies(false);
    off.cookies = None;
    let resp = ask_at(&off, &q, udp());
    assert_eq!(decode(&resp).ext_rcode(), FORMERR);
    assert_eq!(options(&resp), []);
}
