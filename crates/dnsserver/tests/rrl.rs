//! Response rate limiting over real loopback sockets (issue 13): a flood from one external source gets at most
//! the rate plus slips, an internal source is not limited, a slipped answer is truncated and its TCP retry is
//! answered. In the embedded example 127.0.0.1 is inside (internal view, RRL off by default) and the rest of
//! 127.0.0.0/24 outside (external view, RRL on at 200 answers per second per /24).

mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

use lyncdns_dnsserver::compile::Snapshot;
use lyncdns_dnsserver::server::{Config, Server, TcpLimits};
use support::*;

/// The embedded example with `extra` appended to its text and `external` added to the external view's table.
fn example_with(extra: &str, external: &str) -> Snapshot {
    let text = lyncdns_model::EMBEDDED_EXAMPLE.replace(
        "name = \"external\"\nlocation = \"external\"\n",
        &format!("name = \"external\"\nlocation = \"external\"\n{external}\n"),
    );
    snapshot(&format!("{text}\n{extra}\n"))
}

fn start(rt: &tokio::runtime::Runtime, snap: Snapshot) -> Server {
    rt.block_on(Server::start(
        snap,
        Config {
            dns: vec!["127.0.0.1:0".parse().unwrap()],
            workers: 2,
            metrics: None,
            query_log: false,
            tcp: TcpLimits::default(),
        },
    ))
    .unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// What came back for a stream of queries: full answers, truncated (slipped) ones.
#[derive(Debug, Default)]
struct Tally {
    full: u64,
    truncated: u64,
}

impl Tally {
    fn add(&mut self, bytes: &[u8]) {
        let r = decode(bytes);
        if r.tc {
            assert!(
                r.answer.is_empty() && r.authority.is_empty() && r.additional.is_empty(),
                "{r:?}"
            );
            assert_eq!(r.question, ["sip.lyncdude.net. A"], "{r:?}");
            self.truncated += 1;
        } else {
            assert_eq!(r.answer, ["sip.lyncdude.net. A 203.0.113.10"], "{r:?}");
            self.full += 1;
        }
    }
}

/// Sends `n` queries from `from` as fast as the socket takes them while a second thread counts the answers, and
/// returns the tally with the seconds from the first query to the last answer.
fn flood(server: SocketAddr, from: &str, n: u32) -> (Tally, f64) {
    let sock = UdpSocket::bind((from, 0)).unwrap();
    let _ = socket2::SockRef::from(&sock).set_recv_buffer_size(8 << 20);
    sock.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let reader = sock.try_clone().unwrap();
    let started = Instant::now();
    let counting = std::thread::spawn(move || {
        let mut tally = Tally::default();
        let mut buf = vec![0u8; 65535];
        // Until two seconds pass with no answer.
        while let Ok((len, _)) = reader.recv_from(&mut buf) {
            tally.add(&buf[..len]);
        }
        tally
    });
    let mut q = Q::new("sip.lyncdude.net", A);
    for k in 0..n {
        q.id = k as u16;
        // A full send buffer may refuse one; the flood goes on.
        let _ = sock.send_to(&q.bytes(), server);
    }
    let tally = counting.join().unwrap();
    let seconds = started.elapsed().as_secs_f64();
    (tally, seconds)
}

#[test]
fn issue13_a_flood_from_one_external_source_gets_at_most_the_rate_plus_slips() {
    let rt = runtime();
    let server = start(&rt, embedded());
    let (tally, seconds) = flood(server.dns_addrs[0], "127.0.0.2", 20_000);
    eprintln!("20,000 queries: {tally:?} in {seconds:.2} s");
    // The rate is 200 per second with one second of burst: at most 200 × (seconds + 1) full answers, whatever the
    // machine's speed (the seconds counted include the two quiet ones at the end).
    let most = (200.0 * (seconds + 1.0)) as u64;
    assert!(
        tally.full >= 1 && tally.full <= most,
        "{tally:?} in {seconds:.1} s (at most {most})"
    );
    // Slip 2: every second limited answer is sent truncated, so about half of the rest come back (fewer if the
    // kernel dropped some on the way), never more.
    let limited = 20_000 - tally.full;
    assert!(tally.truncated <= limited / 2 + 1, "{tally:?}");
    assert!(tally.truncated >= 100, "{tally:?}");
    let text = server.metrics_text();
    assert!(
        text.contains("lyncdns_rrl_limited_total{view=\"external\",action=\"dropped\"}"),
        "{text}"
    );
    assert!(
        text.contains("lyncdns_rrl_limited_total{view=\"external\",action=\"slipped\"}"),
        "{text}"
    );
    rt.block_on(server.shutdown());
}

#[test]
fn issue13_an_internal_source_is_not_limited() {
    let rt = runtime();
    let server = start(&rt, embedded());
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = vec![0u8; 65535];
    // 1,000 queries answered one by one: more than the external rate's whole burst.
    for k in 0..1000u16 {
        let mut q = Q::new("sip.lyncdude.net", A);
        q.id = k;
        sock.send_to(&q.bytes(), server.dns_addrs[0]).unwrap();
        let (len, _) = sock
            .recv_from(&mut buf)
            .expect("every internal query answered");
        let r = decode(&buf[..len]);
        assert!(!r.tc, "{r:?}");
        assert_eq!(r.id, k);
        assert_eq!(r.answer, ["sip.lyncdude.net. A 10.0.0.10"], "{r:?}");
    }
    // Every view's series is there from the start; none has counted anything.
    let text = server.metrics_text();
    let series: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("lyncdns_rrl_limited_total{"))
        .collect();
    assert!(!series.is_empty(), "{text}");
    assert!(series.iter().all(|l| l.ends_with(" 0")), "{series:?}");
    rt.block_on(server.shutdown());
}

#[test]
fn a_view_whose_rrl_table_turns_it_off_is_not_limited() {
    let rt = runtime();
    let server = start(
        &rt,
        example_with(
            "[serve.rrl]\nresponses_per_second = 1\n",
            "rrl = { enabled = false }",
        ),
    );
    let (tally, _) = flood(server.dns_addrs[0], "127.0.0.2", 300);
    assert_eq!(tally.truncated, 0, "{tally:?}");
    assert!(tally.full > 1, "{tally:?}");
    rt.block_on(server.shutdown());
}

#[test]
fn a_slipped_answer_is_truncated_and_its_tcp_retry_is_answered() {
    let rt = runtime();
    let server = start(
        &rt,
        example_with("[serve.rrl]\nresponses_per_second = 1\nslip = 1\n", ""),
    );
    let addr = server.dns_addrs[0];
    let sock = UdpSocket::bind("127.0.0.2:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let q = Q::new("sip.lyncdude.net", A).edns(1232).bytes();
    let mut buf = vec![0u8; 65535];
    let mut tally = Tally::default();
    // One answer per second is allowed; with slip 1 every other answer comes back truncated.
    for _ in 0..10 {
        sock.send_to(&q, addr).unwrap();
        let (len, _) = sock
            .recv_from(&mut buf)
            .expect("an answer, full or truncated");
        tally.add(&buf[..len]);
    }
    assert!(tally.truncated >= 1, "{tally:?}");
    // RFC 7766: the client retries over TCP, which is never limited.
    let sock = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    sock.bind(&SocketAddr::from(([127, 0, 0, 2], 0)).into())
        .unwrap();
    sock.connect(&addr.into()).unwrap();
    let mut tcp: TcpStream = sock.into();
    tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    for _ in 0..20 {
        let mut framed = (q.len() as u16).to_be_bytes().to_vec();
        framed.extend_from_slice(&q);
        tcp.write_all(&framed).unwrap();
        let mut len = [0u8; 2];
        tcp.read_exact(&mut len).unwrap();
        let mut answer = vec![0u8; u16::from_be_bytes(len) as usize];
        tcp.read_exact(&mut answer).unwrap();
        let r = decode(&answer);
        assert!(!r.tc);
        assert_eq!(r.answer, ["sip.lyncdude.net. A 203.0.113.10"], "{r:?}");
    }
    rt.block_on(server.shutdown());
}
