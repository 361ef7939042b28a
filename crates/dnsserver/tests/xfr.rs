//! TSIG and zone transfers over real loopback sockets, checked with `domain`'s client side of TSIG: a signed
//! query is answered from its key's view whatever the client's address (RFC 8945 §5.2, BIND's
//! `match-clients { key …; }`), AXFR (RFC 5936) sends a view's zone signed in every message (RFC 8945 §5.3.1),
//! IXFR (RFC 1995) gets the single SOA when up to date, and every refusal is the RFC's.

mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::time::Duration;

use domain::base::iana::{Class, Rcode};
use domain::base::message_builder::AdditionalBuilder;
use domain::base::{Message, MessageBuilder, Name, ParsedName, Rtype, Serial, Ttl};
use domain::rdata::tsig::Time48;
use domain::rdata::{AllRecordData, Soa};
use domain::tsig::{ClientSequence, ClientTransaction, Key};
use lyncdns_dnsdata::tsig::TsigKey;
use lyncdns_dnsserver::server::{Config, Server, TcpLimits};

const INTERNAL_KEY: &str =
    "hmac-sha256:xfr-internal.lyncdude.net:aW50ZXJuYWwtc2VjcmV0LWludGVybmFsLXNlY3JldA==";
const EXTERNAL_KEY: &str =
    "hmac-sha512:xfr-external.lyncdude.net:ZXh0ZXJuYWwtc2VjcmV0LWV4dGVybmFsLXNlY3JldA==";

/// The embedded example with a key per view; the internal view also lets 127.0.0.1 transfer without a key.
fn deployment() -> String {
    let text = lyncdns_model::EMBEDDED_EXAMPLE
        .replacen(
            "name = \"internal\"\n",
            "name = \"internal\"\ntransfer_keys = [\"xfr-internal.lyncdude.net\"]\nallow_transfer = [\"127.0.0.1/32\"]\n",
            1,
        )
        .replacen(
            "name = \"external\"\n",
            "name = \"external\"\ntransfer_keys = [\"xfr-external.lyncdude.net\"]\n",
            1,
        );
    let key = |s: &str| {
        let k: TsigKey = s.parse().unwrap();
        format!(
            "[[keys]]\nname = \"{}\"\nalgorithm = \"{}\"\nsecret = \"{}\"\n",
            k.name(),
            k.algorithm(),
            k.secret_base64()
        )
    };
    format!("{text}\n{}{}", key(INTERNAL_KEY), key(EXTERNAL_KEY))
}

fn key(s: &str) -> Key {
    s.parse::<TsigKey>().unwrap().to_domain().unwrap()
}

struct Running {
    rt: tokio::runtime::Runtime,
    server: Server,
}

impl Running {
    fn start() -> Running {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let snap = support::snapshot(&deployment());
        let config = Config {
            dns: vec!["127.0.0.1:0".parse().unwrap()],
            workers: 1,
            metrics: Some("127.0.0.1:0".parse().unwrap()),
            query_log: false,
            tcp: TcpLimits::default(),
        };
        let server = rt.block_on(Server::start(snap, config)).unwrap();
        Running { rt, server }
    }

    /// A server serving `snap`.
    fn serving(snap: lyncdns_dnsserver::compile::Snapshot) -> Running {
        let s = Running::start();
        s.server.reload(snap);
        s
    }

    fn addr(&self) -> SocketAddr {
        self.server.dns_addrs[0]
    }

    fn stop(self) {
        self.rt.block_on(self.server.shutdown());
    }
}

/// A query for `name`/`qtype`, with an IXFR's SOA (serial) in the authority section when given.
fn query(name: &str, qtype: Rtype, ixfr_serial: Option<u32>) -> AdditionalBuilder<Vec<u8>> {
    let mut b = MessageBuilder::new_vec();
    b.header_mut().set_id(0x4242);
    let mut q = b.question();
    let name: Name<Vec<u8>> = name.parse().unwrap();
    q.push((&name, qtype)).unwrap();
    let mut auth = q.authority();
    if let Some(serial) = ixfr_serial {
        let soa = Soa::new(
            name.clone(),
            name.clone(),
            Serial(serial),
            Ttl::ZERO,
            Ttl::ZERO,
            Ttl::ZERO,
            Ttl::ZERO,
        );
        auth.push((&name, Class::IN, Ttl::ZERO, soa)).unwrap();
    }
    auth.additional()
}

fn connect(from: &str, to: SocketAddr) -> TcpStream {
    let sock = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    sock.bind(&SocketAddr::new(from.parse().unwrap(), 0).into())
        .unwrap();
    sock.connect(&to.into()).unwrap();
    let stream: TcpStream = sock.into();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
}

fn tcp_send(stream: &mut TcpStream, q: &[u8]) {
    let mut framed = (q.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(q);
    stream.write_all(&framed).unwrap();
}

fn tcp_read(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut len = [0u8; 2];
    stream.read_exact(&mut len).ok()?;
    let mut buf = vec![0u8; u16::from_be_bytes(len) as usize];
    stream.read_exact(&mut buf).ok()?;
    Some(buf)
}

fn udp(from: &str, to: SocketAddr, q: &[u8]) -> Vec<u8> {
    let sock = UdpSocket::bind((from, 0)).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    sock.send_to(q, to).unwrap();
    let mut buf = vec![0u8; 65535];
    let (n, _) = sock.recv_from(&mut buf).expect("an answer over UDP");
    buf.truncate(n);
    buf
}

/// The answer section as text lines.
fn answers(m: &Message<Vec<u8>>) -> Vec<String> {
    m.answer()
        .unwrap()
        .map(|rr| {
            let rr = rr.unwrap();
            let rr = rr
                .to_record::<AllRecordData<_, ParsedName<_>>>()
                .unwrap()
                .unwrap();
            format!("{} {} {}", rr.owner(), rr.rtype(), rr.data())
        })
        .collect()
}

/// A signed query over UDP from `from`; the answer's signature checked with the same key.
fn signed_udp(from: &str, to: SocketAddr, k: &Key, name: &str, qtype: Rtype) -> Message<Vec<u8>> {
    let mut q = query(name, qtype, None);
    let tx = ClientTransaction::request(k.clone(), &mut q, Time48::now()).unwrap();
    let reply = udp(from, to, &q.finish());
    let mut m = Message::from_octets(reply).unwrap();
    tx.answer(&mut m, Time48::now())
        .expect("a correctly signed answer");
    m
}

/// An AXFR or IXFR over TCP from `from`, signed with `k` when given; the messages, each signature checked.
fn transfer(
    from: &str,
    to: SocketAddr,
    k: Option<&Key>,
    q: AdditionalBuilder<Vec<u8>>,
) -> Vec<Message<Vec<u8>>> {
    let mut q = q;
    let mut seq = k.map(|k| ClientSequence::request(k.clone(), &mut q, Time48::now()).unwrap());
    let mut stream = connect(from, to);
    tcp_send(&mut stream, &q.finish());
    let mut messages = Vec::new();
    let mut soas = 0;
    while let Some(bytes) = tcp_read(&mut stream) {
        let mut m = Message::from_octets(bytes).unwrap();
        if let Some(seq) = &mut seq {
            seq.answer(&mut m, Time48::now())
                .expect("each message signed (RFC 8945 §5.3.1)");
        }
        let done = m.header().rcode() != Rcode::NOERROR || {
            soas += answers(&m).iter().filter(|l| l.contains(" SOA ")).count();
            soas >= 2 || (soas == 1 && m.header_counts().ancount() == 1 && messages.is_empty())
        };
        messages.push(m);
        if done || messages.len() > 10_000 {
            break;
        }
    }
    messages
}

#[test]
fn a_signed_query_is_answered_from_its_keys_view_rfc8945_5_2() {
    let s = Running::start();
    // 127.0.0.2 is outside by address; the internal key makes it inside, and the answer is signed.
    let m = signed_udp(
        "127.0.0.2",
        s.addr(),
        &key(INTERNAL_KEY),
        "sip.lyncdude.net",
        Rtype::A,
    );
    assert_eq!(answers(&m), ["sip.lyncdude.net A 10.0.0.10"]);
    // And the other way round: inside by address, outside by key.
    let m = signed_udp(
        "127.0.0.1",
        s.addr(),
        &key(EXTERNAL_KEY),
        "sip.lyncdude.net",
        Rtype::A,
    );
    assert_eq!(answers(&m), ["sip.lyncdude.net A 203.0.113.10"]);
    s.stop();
}

#[test]
fn unknown_keys_and_wrong_secrets_get_notauth_rfc8945_5_2_2() {
    let s = Running::start();
    for (wrong, error) in [
        ("hmac-sha256:nokey.example:c2VjcmV0c2VjcmV0", 17),
        ("hmac-sha256:xfr-internal.lyncdude.net:d3Jvbmctc2VjcmV0", 16),
        // The right name with another algorithm is another key (RFC 8945 §5.2.2).
        (
            "hmac-sha512:xfr-internal.lyncdude.net:aW50ZXJuYWwtc2VjcmV0LWludGVybmFsLXNlY3JldA==",
            17,
        ),
    ] {
        let mut q = query("sip.lyncdude.net", Rtype::A, None);
        ClientTransaction::request(key(wrong), &mut q, Time48::now()).unwrap();
        let reply = Message::from_octets(udp("127.0.0.1", s.addr(), &q.finish())).unwrap();
        assert_eq!(reply.header().rcode(), Rcode::NOTAUTH, "{wrong}");
        assert_eq!(
            reply.header_counts().ancount(),
            0,
            "no data for a bad signature"
        );
        let tsig = reply
            .additional()
            .unwrap()
            .limit_to::<domain::rdata::Tsig<_, ParsedName<_>>>()
            .next()
            .expect("a TSIG record with the error")
            .unwrap();
        // BADSIG 16, BADKEY 17 (RFC 8945 §3).
        assert_eq!(tsig.data().error().to_int(), error, "{wrong}");
    }
    s.stop();
}

#[test]
fn axfr_sends_the_keys_view_signed_soa_first_and_last_rfc5936_2_2() {
    let s = Running::start();
    for (k, inside, outside) in [
        (INTERNAL_KEY, "10.0.0.10", "203.0.113.10"),
        (EXTERNAL_KEY, "203.0.113.10", "10.0.0.10"),
    ] {
        // From an address of the other view: the key decides.
        let from = if k == INTERNAL_KEY {
            "127.0.0.2"
        } else {
            "127.0.0.1"
        };
        let msgs = transfer(
            from,
            s.addr(),
            Some(&key(k)),
            query("lyncdude.net", Rtype::AXFR, None),
        );
        let lines: Vec<String> = msgs.iter().flat_map(answers).collect();
        assert!(lines.first().unwrap().contains(" SOA "), "{lines:?}");
        assert!(lines.last().unwrap().contains(" SOA "), "{lines:?}");
        assert_eq!(lines.iter().filter(|l| l.contains(" SOA ")).count(), 2);
        assert!(lines.iter().any(|l| l.ends_with(inside)), "{k}: {lines:?}");
        // The security invariant: a key of one view never receives another view's data.
        assert!(
            !lines.iter().any(|l| l.ends_with(outside)),
            "{k}: {lines:?}"
        );
        assert!(msgs.iter().all(|m| m.header().aa()));
    }
    s.stop();
}

#[test]
fn unsigned_axfr_only_from_the_allow_list_rfc5936_4() {
    let s = Running::start();
    let msgs = transfer(
        "127.0.0.1",
        s.addr(),
        None,
        query("lyncdude.net", Rtype::AXFR, None),
    );
    let lines: Vec<String> = msgs.iter().flat_map(answers).collect();
    assert!(lines.iter().any(|l| l.ends_with("10.0.0.10")), "{lines:?}");
    // 127.0.0.2 selects the external view, which allows no unsigned transfer.
    let msgs = transfer(
        "127.0.0.2",
        s.addr(),
        None,
        query("lyncdude.net", Rtype::AXFR, None),
    );
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].header().rcode(), Rcode::REFUSED);
    // A zone the key's view does not serve: NOTAUTH, signed.
    let msgs = transfer(
        "127.0.0.1",
        s.addr(),
        Some(&key(INTERNAL_KEY)),
        query("example.org", Rtype::AXFR, None),
    );
    assert_eq!(msgs[0].header().rcode(), Rcode::NOTAUTH);
    // Another opcode with an AXFR question: NOTIMP (RFC 1035 §4.1.1).
    let mut q = query("lyncdude.net", Rtype::AXFR, None);
    q.header_mut()
        .set_opcode(domain::base::iana::Opcode::UPDATE);
    let msgs = transfer("127.0.0.1", s.addr(), None, q);
    assert_eq!(msgs[0].header().rcode(), Rcode::NOTIMP);
    // AXFR over UDP: TCP only (RFC 5936 §4.2).
    let mut q = query("lyncdude.net", Rtype::AXFR, None);
    q.header_mut().set_id(7);
    let reply = Message::from_octets(udp("127.0.0.1", s.addr(), &q.finish())).unwrap();
    assert_eq!(reply.header().rcode(), Rcode::REFUSED);
    s.stop();
}

#[test]
fn ixfr_gets_one_soa_when_up_to_date_else_the_zone_rfc1995_2_4() {
    let s = Running::start();
    let k = key(EXTERNAL_KEY);
    let serial = 2026112501;
    let msgs = transfer(
        "127.0.0.1",
        s.addr(),
        Some(&k),
        query("lyncdude.net", Rtype::IXFR, Some(serial)),
    );
    let lines: Vec<String> = msgs.iter().flat_map(answers).collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains(" SOA "));
    let msgs = transfer(
        "127.0.0.1",
        s.addr(),
        Some(&k),
        query("lyncdude.net", Rtype::IXFR, Some(serial - 1)),
    );
    let lines: Vec<String> = msgs.iter().flat_map(answers).collect();
    assert!(lines.len() > 3, "{lines:?}");
    assert!(lines.last().unwrap().contains(" SOA "));
    s.stop();
}

#[test]
fn a_large_zone_is_packed_into_16k_messages_each_signed_rfc5936_2_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.example.zone");
    let mut zone = String::from(
        "$ORIGIN big.example.\n$TTL 300\n@ SOA ns1 hostmaster 7 3600 600 86400 300\n@ NS ns1\nns1 A 192.0.2.53\n",
    );
    zone.push_str("@ MX 10 ns1\n");
    for i in 0..5000 {
        zone.push_str(&format!("host{i} TXT \"{}\"\n", "x".repeat(100)));
        if i % 10 == 0 {
            zone.push_str(&format!("alias{i} CNAME host{i}\n"));
        }
    }
    std::fs::write(&path, zone).unwrap();
    let text = format!(
        "{}\n[serve.zone_files]\nexternal = [\"{}\"]\n",
        deployment(),
        path.display()
    );
    let snap = support::snapshot(&text);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let config = Config {
        dns: vec!["127.0.0.1:0".parse().unwrap()],
        workers: 1,
        metrics: None,
        query_log: false,
        tcp: TcpLimits::default(),
    };
    let server = rt.block_on(Server::start(snap, config)).unwrap();
    let msgs = transfer(
        "127.0.0.1",
        server.dns_addrs[0],
        Some(&key(EXTERNAL_KEY)),
        query("big.example", Rtype::AXFR, None),
    );
    let records: usize = msgs
        .iter()
        .map(|m| usize::from(m.header_counts().ancount()))
        .sum();
    assert_eq!(
        records,
        5000 + 500 + 4 + 1,
        "every record once, the SOA twice"
    );
    // Names inside CNAME and MX data are compressed, and read back whole.
    let lines: Vec<String> = msgs.iter().flat_map(answers).collect();
    assert!(
        lines.contains(&"alias4990.big.example CNAME host4990.big.example.".to_owned()),
        "{:?}",
        &lines[..5]
    );
    assert!(lines.contains(&"big.example MX 10 ns1.big.example.".to_owned()));
    assert!(msgs.len() >= 30, "{} messages", msgs.len());
    // Filled to 16 KiB, so that every name can be a compression target (RFC 1035 §4.1.4).
    assert!(msgs.iter().all(|m| m.as_slice().len() <= 16 * 1024));
    assert!(
        msgs[..msgs.len() - 1]
            .iter()
            .all(|m| m.as_slice().len() > 15_000)
    );
    // The question only in the first (RFC 5936 §2.2.1 lets later messages leave it out).
    assert_eq!(msgs[0].header_counts().qdcount(), 1);
    rt.block_on(server.shutdown());
}

#[test]
fn after_a_reload_ixfr_sends_the_difference_rfc1995_4() {
    let text = deployment();
    let d = lyncdns_model::load(&text, "t.toml").unwrap();
    let first = lyncdns_dnsserver::load::snapshot(&d, std::path::Path::new("."), &[]).unwrap();
    let changed =
        lyncdns_model::load(&text.replace("203.0.113.20", "203.0.113.21"), "t.toml").unwrap();
    let second =
        lyncdns_dnsserver::load::reload(&changed, std::path::Path::new("."), &[], &first).unwrap();
    let s = Running::start();
    s.server.reload(second);
    let k = key(EXTERNAL_KEY);
    // The compiled answers carry the new serial too.
    let m = signed_udp("127.0.0.1", s.addr(), &k, "lyncdude.net", Rtype::SOA);
    assert!(answers(&m)[0].contains(" 2026112502 "), "{:?}", answers(&m));
    let msgs = transfer(
        "127.0.0.1",
        s.addr(),
        Some(&k),
        query("lyncdude.net", Rtype::IXFR, Some(2026112501)),
    );
    let lines: Vec<String> = msgs.iter().flat_map(answers).collect();
    let soas: Vec<&String> = lines.iter().filter(|l| l.contains(" SOA ")).collect();
    assert_eq!(soas.len(), 4, "new, old, new, new: {lines:?}");
    assert!(
        soas[0].contains(" 2026112502 ") && soas[1].contains(" 2026112501 "),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|l| l.ends_with("203.0.113.20")),
        "removed: {lines:?}"
    );
    assert!(
        lines.iter().any(|l| l.ends_with("203.0.113.21")),
        "added: {lines:?}"
    );
    // Four addresses changed: four SOAs, four removed, four added; not the zone.
    assert_eq!(lines.len(), 12, "the difference, not the zone: {lines:?}");
    // A reload without a change keeps the serial and the journal.
    let third = lyncdns_dnsserver::load::reload(
        &changed,
        std::path::Path::new("."),
        &[],
        &s.server.current(),
    )
    .unwrap();
    s.server.reload(third);
    let m = signed_udp("127.0.0.1", s.addr(), &k, "lyncdude.net", Rtype::SOA);
    assert!(answers(&m)[0].contains(" 2026112502 "), "{:?}", answers(&m));
    let msgs = transfer(
        "127.0.0.1",
        s.addr(),
        Some(&k),
        query("lyncdude.net", Rtype::IXFR, Some(2026112501)),
    );
    assert_eq!(msgs.iter().flat_map(answers).count(), lines.len());
    s.stop();
}

/// [`deployment`] with a catalog zone per view.
fn with_catalogs() -> String {
    deployment()
        .replacen(
            "allow_transfer = [\"127.0.0.1/32\"]\n",
            "allow_transfer = [\"127.0.0.1/32\"]\ncatalog = \"catalog.internal.invalid\"\n",
            1,
        )
        .replacen(
            "transfer_keys = [\"xfr-external.lyncdude.net\"]\n",
            "transfer_keys = [\"xfr-external.lyncdude.net\"]\ncatalog = \"catalog.external.invalid\"\n",
            1,
        )
}

#[test]
fn each_views_catalog_lists_its_zones_for_its_key_only_rfc9432_4() {
    let text = with_catalogs();
    let d = lyncdns_model::load(&text, "t.toml").unwrap();
    let snap = lyncdns_dnsserver::load::snapshot(&d, std::path::Path::new("."), &[]).unwrap();
    let s = Running::serving(snap);
    let msgs = transfer(
        "127.0.0.1",
        s.addr(),
        Some(&key(EXTERNAL_KEY)),
        query("catalog.external.invalid", Rtype::AXFR, None),
    );
    let lines: Vec<String> = msgs.iter().flat_map(answers).collect();
    assert!(
        lines[0].starts_with("catalog.external.invalid SOA invalid. invalid. 2026112501 "),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"catalog.external.invalid NS invalid.".to_owned()),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"version.catalog.external.invalid TXT \"2\"".to_owned()),
        "{lines:?}"
    );
    let mut members: Vec<&str> = lines
        .iter()
        .filter(|l| l.contains(".zones.catalog.external.invalid PTR "))
        .map(|l| l.rsplit(' ').next().unwrap())
        .collect();
    members.sort();
    // Exactly the external view's zones.
    assert_eq!(
        members,
        ["anotherdomain.com.", "lyncdude.net."],
        "{lines:?}"
    );

    // The internal catalog lists the internal view's zones, pin-point zones among them.
    let msgs = transfer(
        "127.0.0.2",
        s.addr(),
        Some(&key(INTERNAL_KEY)),
        query("catalog.internal.invalid", Rtype::AXFR, None),
    );
    let lines: Vec<String> = msgs.iter().flat_map(answers).collect();
    assert!(
        lines
            .iter()
            .any(|l| l.ends_with(" PTR sip.anotherdomain.com.")),
        "{lines:?}"
    );
    // The external key never receives the internal catalog, nor does an unsigned external client, by transfer
    // or by query.
    let msgs = transfer(
        "127.0.0.1",
        s.addr(),
        Some(&key(EXTERNAL_KEY)),
        query("catalog.internal.invalid", Rtype::AXFR, None),
    );
    assert_eq!(msgs[0].header().rcode(), Rcode::NOTAUTH);
    let reply = Message::from_octets(udp(
        "127.0.0.2",
        s.addr(),
        &query("version.catalog.internal.invalid", Rtype::TXT, None).finish(),
    ))
    .unwrap();
    assert!(answers(&reply).is_empty(), "{:?}", answers(&reply));
    assert_ne!(reply.header().rcode(), Rcode::NOERROR);
    s.stop();
}

#[test]
fn a_zone_added_on_reload_enters_the_catalog_by_ixfr_and_notify_rfc9432_5() {
    let text = with_catalogs();
    let d = lyncdns_model::load(&text, "t.toml").unwrap();
    let first = lyncdns_dnsserver::load::snapshot(&d, std::path::Path::new("."), &[]).unwrap();
    // A hoster adds a SIP domain: its zones appear in both views, and so in both catalogs.
    let added = text.replace(
        "additional_domains = [\"anotherdomain.com\"]",
        "additional_domains = [\"anotherdomain.com\", \"thirddomain.org\"]",
    );
    let changed = lyncdns_model::load(&added, "t.toml").unwrap();
    let second =
        lyncdns_dnsserver::load::reload(&changed, std::path::Path::new("."), &[], &first).unwrap();
    let external = &second.xfr.views[1];
    let catalog = external
        .zones
        .iter()
        .position(|z| {
            z.apex == lyncdns_dnsdata::name::from_text("catalog.external.invalid").unwrap()
        })
        .unwrap();
    assert!(
        external.changed.contains(&catalog),
        "its secondaries are notified"
    );
    let s = Running::serving(second);
    let k = key(EXTERNAL_KEY);
    let m = signed_udp(
        "127.0.0.1",
        s.addr(),
        &k,
        "catalog.external.invalid",
        Rtype::SOA,
    );
    assert!(answers(&m)[0].contains(" 2026112502 "), "{:?}", answers(&m));
    let msgs = transfer(
        "127.0.0.1",
        s.addr(),
        Some(&k),
        query("catalog.external.invalid", Rtype::IXFR, Some(2026112501)),
    );
    let lines: Vec<String> = msgs.iter().flat_map(answers).collect();
    // New SOA, old SOA, (nothing removed), new SOA, the one member added, new SOA.
    assert_eq!(lines.len(), 5, "the difference, not the catalog: {lines:?}");
    assert!(lines[3].ends_with(" PTR thirddomain.org."), "{lines:?}");
    // The domain removed again: the member leaves the catalog under a newer serial, with the same label.
    let third =
        lyncdns_dnsserver::load::reload(&d, std::path::Path::new("."), &[], &s.server.current())
            .unwrap();
    s.server.reload(third);
    let msgs = transfer(
        "127.0.0.1",
        s.addr(),
        Some(&k),
        query("catalog.external.invalid", Rtype::IXFR, Some(2026112502)),
    );
    let removed: Vec<String> = msgs.iter().flat_map(answers).collect();
    assert_eq!(removed.len(), 5, "{removed:?}");
    assert!(removed[0].contains(" 2026112503 "), "{removed:?}");
    assert_eq!(
        removed[2], lines[3],
        "removed under the label it was added with"
    );
    s.stop();
}

#[test]
fn a_zone_file_named_like_the_catalog_is_refused_on_load() {
    let d = lyncdns_model::load(&with_catalogs(), "t.toml").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("catalog.zone");
    std::fs::write(
        &file,
        "catalog.internal.invalid. 60 IN SOA invalid. invalid. 1 3600 600 86400 0\ncatalog.internal.invalid. 60 IN NS invalid.\n",
    )
    .unwrap();
    let err = lyncdns_dnsserver::load::snapshot(&d, dir.path(), &[("internal".into(), file)])
        .unwrap_err();
    assert!(
        matches!(err, lyncdns_dnsserver::load::LoadError::CatalogClash { ref view, ref catalog } if view == "internal" && catalog == "catalog.internal.invalid"),
        "{err}"
    );
}
