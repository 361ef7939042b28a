//! The server over real loopback sockets: both views over UDP and TCP, TCP pipelining, idle timeout and the
//! connection limit, reload under a running query stream, metrics, garbage, and shutdown.

mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use lyncdns_dnsdata::zonefile::parse_text;
use lyncdns_dnsserver::compile::{Options, Snapshot, ViewInput};
use lyncdns_dnsserver::server::{Config, Server, TcpLimits};
use lyncdns_model::Rotation;
use support::*;

fn config(tcp_idle: Duration, tcp_max: usize) -> Config {
    Config {
        dns: vec!["127.0.0.1:0".parse().unwrap()],
        workers: 2,
        metrics: Some("127.0.0.1:0".parse().unwrap()),
        query_log: false,
        tcp: TcpLimits {
            idle: tcp_idle,
            max_connections: tcp_max,
            ..TcpLimits::default()
        },
    }
}

fn udp_query(server: SocketAddr, from: &str, q: &[u8]) -> Vec<u8> {
    let sock = UdpSocket::bind((from, 0)).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    sock.send_to(q, server).unwrap();
    let mut buf = vec![0u8; 65535];
    let (n, _) = sock.recv_from(&mut buf).expect("an answer over UDP");
    buf.truncate(n);
    buf
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

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn both_views_over_udp_and_tcp() {
    let rt = runtime();
    let server = rt
        .block_on(Server::start(
            embedded(),
            config(Duration::from_secs(5), 16),
        ))
        .unwrap();
    let addr = server.dns_addrs[0];
    let q = Q::new("sip.lyncdude.net", A).bytes();
    assert_eq!(
        decode(&udp_query(addr, "127.0.0.1", &q)).answer,
        ["sip.lyncdude.net. A 10.0.0.10"]
    );
    assert_eq!(
        decode(&udp_query(addr, "127.0.0.2", &q)).answer,
        ["sip.lyncdude.net. A 203.0.113.10"]
    );
    for (from, want) in [("127.0.0.1", "10.0.0.10"), ("127.0.0.3", "203.0.113.10")] {
        let sock =
            socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        sock.bind(&SocketAddr::new(from.parse().unwrap(), 0).into())
            .unwrap();
        sock.connect(&addr.into()).unwrap();
        let mut stream: TcpStream = sock.into();
        tcp_send(&mut stream, &q);
        let r = decode(&tcp_read(&mut stream).unwrap());
        assert_eq!(r.answer, [format!("sip.lyncdude.net. A {want}")]);
    }
    rt.block_on(server.shutdown());
}

#[test]
fn tcp_pipelining_answers_every_query_in_order_rfc7766_6_2_1_1() {
    let rt = runtime();
    let server = rt
        .block_on(Server::start(
            embedded(),
            config(Duration::from_secs(5), 16),
        ))
        .unwrap();
    let mut stream = TcpStream::connect(server.dns_addrs[0]).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(3)))
        .unwrap();
    let names = [
        "sip.lyncdude.net",
        "lyncdiscoverinternal.lyncdude.net",
        "nope.lyncdude.net",
        "meet.lyncdude.net",
    ];
    let mut all = Vec::new();
    for (i, n) in names.iter().enumerate() {
        let mut q = Q::new(n, A);
        q.id = 100 + i as u16;
        let b = q.bytes();
        all.extend_from_slice(&(b.len() as u16).to_be_bytes());
        all.extend_from_slice(&b);
    }
    stream.write_all(&all).unwrap();
    for i in 0..names.len() {
        let r = decode(&tcp_read(&mut stream).expect("an answer per query"));
        assert_eq!(r.id, 100 + i as u16);
    }
    rt.block_on(server.shutdown());
}

#[test]
fn tcp_idle_connections_are_closed_rfc7766_6_2_3() {
    let rt = runtime();
    let server = rt
        .block_on(Server::start(
            embedded(),
            config(Duration::from_millis(200), 16),
        ))
        .unwrap();
    let mut stream = TcpStream::connect(server.dns_addrs[0]).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    tcp_send(&mut stream, &Q::new("sip.lyncdude.net", A).bytes());
    assert!(tcp_read(&mut stream).is_some());
    // Then silence: the server closes the connection (read returns end of stream, not a timeout).
    let mut byte = [0u8; 1];
    assert_eq!(stream.read(&mut byte).expect("closed, not timed out"), 0);
    rt.block_on(server.shutdown());
}

#[test]
fn tcp_connections_beyond_the_limit_are_closed() {
    let rt = runtime();
    let server = rt
        .block_on(Server::start(
            embedded(),
            config(Duration::from_secs(30), 2),
        ))
        .unwrap();
    let addr = server.dns_addrs[0];
    let q = Q::new("sip.lyncdude.net", A).bytes();
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        tcp_send(&mut s, &q);
        assert!(tcp_read(&mut s).is_some());
        held.push(s);
    }
    let mut third = TcpStream::connect(addr).unwrap();
    third
        .set_read_timeout(Some(Duration::from_secs(3)))
        .unwrap();
    let _ = third.write_all(&[0, q.len() as u8]);
    let _ = third.write_all(&q);
    assert!(
        tcp_read(&mut third).is_none(),
        "the third connection is closed without an answer"
    );
    drop(held);
    // Slots come back once connections close.
    let mut ok = false;
    for _ in 0..50 {
        std::thread::sleep(Duration::from_millis(50));
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        tcp_send(&mut s, &q);
        if tcp_read(&mut s).is_some() {
            ok = true;
            break;
        }
    }
    assert!(ok, "a slot is free again");
    assert!(
        server
            .metrics_text()
            .contains("lyncdns_tcp_rejected_total{limit=\"connections\"} 1"),
        "{}",
        server.metrics_text()
    );
    rt.block_on(server.shutdown());
}

/// A one-view snapshot whose SRV answer and its additional address both carry the generation `g`.
fn generation(g: u16) -> Snapshot {
    let zone = parse_text(&format!("$ORIGIN example.test.\n@ 60 IN SOA ns h {g} 1 1 1 1\n@ 60 NS ns\nns 60 A 192.0.2.53\n_x._tcp 60 SRV 0 0 {g} t\nt 60 A 192.0.2.{g}\n"), "gen.zone").unwrap();
    let views = vec![ViewInput {
        name: "all".into(),
        clients: vec!["0.0.0.0/0".parse().unwrap()],
        zones: vec![zone],
    }];
    Snapshot::build(
        views,
        &Options {
            max_udp: 1232,
            rotation: Rotation::None,
            ecs_trusted: vec![],
            names_per_thread: 0,
            identity: Default::default(),
            cookies: None,
            tcp_keepalive: false,
        },
    )
    .unwrap()
}

#[test]
fn reload_under_a_running_query_stream_answers_everything_from_one_snapshot() {
    let rt = runtime();
    let server = rt
        .block_on(Server::start(
            generation(1),
            config(Duration::from_secs(5), 16),
        ))
        .unwrap();
    let addr = server.dns_addrs[0];
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for c in 0..2 {
        let stop = stop.clone();
        clients.push(std::thread::spawn(move || {
            let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
            sock.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
            let mut seen = std::collections::HashSet::new();
            let mut n = 0u32;
            let mut buf = vec![0u8; 2048];
            while !stop.load(Ordering::Relaxed) && n < 20_000 {
                let mut q = Q::new("_x._tcp.example.test", SRV);
                q.id = (n as u16).wrapping_add(c * 7919);
                sock.send_to(&q.bytes(), addr).unwrap();
                let (len, _) = sock.recv_from(&mut buf).expect("every query is answered");
                let r = decode(&buf[..len]);
                assert_eq!(r.id, q.id);
                assert_eq!(r.answer.len(), 1, "{r:?}");
                let port: u16 = r.answer[0].split(' ').nth(4).unwrap().parse().unwrap();
                assert_eq!(
                    r.additional,
                    [format!("t.example.test. A 192.0.2.{port}")],
                    "answer and additional from the same data"
                );
                seen.insert(port);
                n += 1;
            }
            (n, seen)
        }));
    }
    for i in 0..200u16 {
        server.reload(generation(1 + (i % 2)));
        std::thread::sleep(Duration::from_millis(2));
    }
    stop.store(true, Ordering::Relaxed);
    let mut total = 0;
    let mut seen = std::collections::HashSet::new();
    for c in clients {
        let (n, s) = c.join().expect("client thread");
        total += n;
        seen.extend(s);
    }
    assert!(total > 100, "only {total} queries");
    assert_eq!(seen.len(), 2, "both generations answered");
    assert!(
        server
            .metrics_text()
            .contains("lyncdns_reloads_total{result=\"ok\"} 200")
    );
    rt.block_on(server.shutdown());
}

#[test]
fn garbage_does_not_stop_the_server() {
    let rt = runtime();
    let server = rt
        .block_on(Server::start(
            embedded(),
            config(Duration::from_secs(5), 16),
        ))
        .unwrap();
    let addr = server.dns_addrs[0];
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut seed = 12345u64;
    for i in 0..2000 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let len = (seed >> 33) as usize % 700;
        let mut packet: Vec<u8> = (0..len)
            .map(|j| (seed >> (j % 56)) as u8 ^ j as u8)
            .collect();
        if i % 3 == 0 && len > 14 {
            // A valid-looking header with absurd counts and a compression loop in the question.
            packet[2] = 0;
            packet[4..12].copy_from_slice(&[0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
            packet[12] = 0xc0;
            packet[13] = 12;
        }
        sock.send_to(&packet, addr).unwrap();
    }
    // Oversized (more than a query buffer) and empty datagrams too.
    sock.send_to(&vec![0u8; 9000], addr).unwrap();
    sock.send_to(&[], addr).unwrap();
    let mut tcp = TcpStream::connect(addr).unwrap();
    tcp.write_all(&[0xff, 0xff, 1, 2, 3]).unwrap();
    drop(tcp);
    let r = decode(&udp_query(
        addr,
        "127.0.0.1",
        &Q::new("sip.lyncdude.net", A).bytes(),
    ));
    assert_eq!(
        r.answer,
        ["sip.lyncdude.net. A 10.0.0.10"],
        "still answering"
    );
    rt.block_on(server.shutdown());
}

#[test]
fn metrics_count_queries_by_view_type_and_rcode() {
    let rt = runtime();
    let server = rt
        .block_on(Server::start(
            embedded(),
            config(Duration::from_secs(5), 16),
        ))
        .unwrap();
    let addr = server.dns_addrs[0];
    udp_query(addr, "127.0.0.1", &Q::new("sip.lyncdude.net", A).bytes());
    udp_query(
        addr,
        "127.0.0.2",
        &Q::new("nope.lyncdude.net", AAAA).bytes(),
    );
    // A worker counts a batch after sending its answers: the counters may lag the answers by a moment.
    let scrape = || {
        let mut http = TcpStream::connect(server.metrics_addr.unwrap()).unwrap();
        http.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut text = String::new();
        http.read_to_string(&mut text).unwrap();
        text
    };
    let mut text = scrape();
    for _ in 0..100 {
        if text.contains("lyncdns_answer_duration_seconds_count 2") {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
        text = scrape();
    }
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(text.contains("lyncdns_queries_total{transport=\"udp\",view=\"internal\",qtype=\"A\",rcode=\"NOERROR\"} 1"), "{text}");
    assert!(text.contains("lyncdns_queries_total{transport=\"udp\",view=\"external\",qtype=\"AAAA\",rcode=\"NXDOMAIN\"} 1"), "{text}");
    assert!(
        text.contains("lyncdns_answer_duration_seconds_count 2"),
        "{text}"
    );
    assert!(text.contains("lyncdns_records 47"), "{text}");
    rt.block_on(server.shutdown());
}

#[test]
fn shutdown_releases_the_ports() {
    let rt = runtime();
    let server = rt
        .block_on(Server::start(
            embedded(),
            config(Duration::from_secs(5), 16),
        ))
        .unwrap();
    let addr = server.dns_addrs[0];
    rt.block_on(server.shutdown());
    UdpSocket::bind(addr).expect("UDP port free again");
    std::net::TcpListener::bind(addr).expect("TCP port free again");
}

#[test]
fn several_listeners_ipv4_and_ipv6() {
    if UdpSocket::bind("[::1]:0").is_err() {
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: no IPv6 loopback on this machine"
        );
        return;
    }
    let rt = runtime();
    let mut cfg = config(Duration::from_secs(5), 16);
    cfg.dns.push("[::1]:0".parse().unwrap());
    let server = rt.block_on(Server::start(embedded(), cfg)).unwrap();
    assert_eq!(server.dns_addrs.len(), 2);
    let v6 = server.dns_addrs[1];
    assert!(v6.is_ipv6());
    let q = Q::new("sip.lyncdude.net", A).bytes();
    assert_eq!(
        decode(&udp_query(v6, "::1", &q)).answer,
        ["sip.lyncdude.net. A 10.0.0.10"],
        "::1 is in the internal view"
    );
    let mut stream = TcpStream::connect(v6).unwrap();
    tcp_send(&mut stream, &q);
    assert_eq!(
        decode(&tcp_read(&mut stream).unwrap()).answer,
        ["sip.lyncdude.net. A 10.0.0.10"]
    );
    assert_eq!(
        decode(&udp_query(server.dns_addrs[0], "127.0.0.2", &q)).answer,
        ["sip.lyncdude.net. A 203.0.113.10"]
    );
    rt.block_on(server.shutdown());
}

/// Regression (hardening issue, item 8): on port 0 the UDP socket took a port the kernel picked and the TCP bind
/// on that port failed when a client connection held it ("Address already in use", naming no address). With
/// thousands of client connections open, every one of sixty servers now starts, each on one port for both.
#[test]
fn sixty_servers_on_port_zero_start_beside_thousands_of_connections() {
    // Room for the connections below (the soft limit is often 1024).
    // SAFETY: getrlimit/setrlimit on this process's own descriptor limit, with a valid struct.
    unsafe {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max.min(16_384);
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
    // A listener that never accepts: connections complete in its backlog and hold their client ports.
    let sink = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    sink.bind(&"127.0.0.1:0".parse::<SocketAddr>().unwrap().into())
        .unwrap();
    sink.listen(4096).unwrap();
    let sink_addr = sink.local_addr().unwrap().as_socket().unwrap();
    let mut held = Vec::new();
    for _ in 0..3000 {
        match TcpStream::connect_timeout(&sink_addr, Duration::from_secs(1)) {
            Ok(s) => held.push(s),
            Err(_) => break,
        }
    }
    assert!(held.len() >= 1000, "only {} connections", held.len());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut servers = Vec::new();
    for i in 0..60 {
        let config = Config {
            workers: 1,
            metrics: None,
            ..config(Duration::from_secs(5), 4)
        };
        let server = rt
            .block_on(Server::start(embedded(), config))
            .unwrap_or_else(|e| panic!("server {i} of 60 did not start: {e}"));
        servers.push(server);
    }
    // Each answers over TCP on its port.
    for server in servers.iter().step_by(7) {
        let mut stream = TcpStream::connect(server.dns_addrs[0]).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(3)))
            .unwrap();
        let q = Q::new("sip.lyncdude.net", A).bytes();
        let mut framed = (q.len() as u16).to_be_bytes().to_vec();
        framed.extend_from_slice(&q);
        stream.write_all(&framed).unwrap();
        let mut len = [0u8; 2];
        stream.read_exact(&mut len).unwrap();
    }
    for server in servers {
        rt.block_on(server.shutdown());
    }
}

/// A listener that cannot be bound names the protocol and the address.
#[test]
fn a_busy_port_is_named_with_its_protocol() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let config = Config {
        dns: vec![addr],
        metrics: None,
        ..config(Duration::from_secs(5), 4)
    };
    let e = match rt.block_on(Server::start(embedded(), config)) {
        Ok(_) => panic!("started on a busy TCP port"),
        Err(e) => e.to_string(),
    };
    assert!(e.contains(&format!("cannot listen on TCP {addr}")), "{e}");
}

/// A TCP connection to `server` from the source address `from`.
fn tcp_from(from: std::net::IpAddr, server: SocketAddr) -> TcpStream {
    let sock = socket2::Socket::new(
        socket2::Domain::for_address(server),
        socket2::Type::STREAM,
        None,
    )
    .unwrap();
    sock.bind(&SocketAddr::new(from, 0).into()).unwrap();
    sock.connect(&server.into()).unwrap();
    sock.into()
}

/// Polls the server's metrics until `line` appears (a counter is bumped just after the client sees the close).
fn wait_for_metric(server: &Server, line: &str) {
    for _ in 0..200 {
        if server.metrics_text().contains(line) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("no `{line}` in\n{}", server.metrics_text());
}

/// Issue 13: 300 connections from one /24 that never read (half send a query, half send nothing) took every
/// slot, and no other client could use TCP. With a per-prefix limit, another network's client is answered.
#[test]
fn issue13_non_reading_connections_from_one_slash24_do_not_lock_out_others() {
    let rt = runtime();
    let mut cfg = config(Duration::from_secs(60), 256);
    cfg.dns.push("[::1]:0".parse().unwrap());
    let server = rt.block_on(Server::start(embedded(), cfg)).unwrap();
    let (addr, addr6) = (server.dns_addrs[0], server.dns_addrs[1]);
    let q = Q::new("sip.lyncdude.net", A).bytes();
    let mut held = Vec::new();
    for i in 0..300u32 {
        let from = std::net::Ipv4Addr::new(127, 0, 0, 2 + (i % 250) as u8).into();
        let mut s = tcp_from(from, addr);
        if i % 2 == 0 {
            let mut framed = (q.len() as u16).to_be_bytes().to_vec();
            framed.extend_from_slice(&q);
            let _ = s.write_all(&framed.repeat(4));
        }
        held.push(s);
    }
    let started = std::time::Instant::now();
    let mut other = tcp_from("127.0.1.1".parse().unwrap(), addr);
    other
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    tcp_send(&mut other, &q);
    let r = tcp_read(&mut other).expect("another network's client is answered within 5 s");
    // 127.0.1.1 is outside the internal view's 127.0.0.1/32: the external answer.
    assert_eq!(decode(&r).answer, ["sip.lyncdude.net. A 203.0.113.10"]);
    assert!(started.elapsed() < Duration::from_secs(5));
    // So is a client over IPv6, on the other listener: the limit is per prefix, not per listener.
    let started = std::time::Instant::now();
    let mut v6 = tcp_from("::1".parse().unwrap(), addr6);
    v6.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    tcp_send(&mut v6, &q);
    let r = tcp_read(&mut v6).expect("an IPv6 client is answered within 5 s");
    assert_eq!(decode(&r).answer.len(), 1);
    assert!(started.elapsed() < Duration::from_secs(5));
    let text = server.metrics_text();
    let refused = text
        .lines()
        .find_map(|l| l.strip_prefix("lyncdns_tcp_rejected_total{limit=\"prefix\"} "))
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(0);
    assert!(refused >= 300 - 32, "{text}");
    drop(held);
    rt.block_on(server.shutdown());
}

/// Issue 13: a client that pipelines queries and never reads its answers held its connection forever. Once the
/// answers it does not read fill the (bounded) send buffer for the I/O timeout, the server closes it.
#[test]
fn issue13_a_pipelining_client_that_never_reads_is_closed_after_the_io_timeout() {
    let rt = runtime();
    let mut cfg = config(Duration::from_secs(60), 16);
    cfg.tcp.io_timeout = Duration::from_millis(300);
    let server = rt.block_on(Server::start(embedded(), cfg)).unwrap();
    let addr = server.dns_addrs[0];
    let sock = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    sock.set_recv_buffer_size(4096).unwrap();
    sock.connect(&addr.into()).unwrap();
    let mut stream: TcpStream = sock.into();
    // A stuck write means the server never closed: fail rather than hang.
    stream
        .set_write_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let q = Q::new("sip.lyncdude.net", A).bytes();
    let mut framed = (q.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(&q);
    let batch = framed.repeat(256);
    let started = std::time::Instant::now();
    let error = loop {
        if let Err(e) = stream.write_all(&batch) {
            break e;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "still writing after 60 s: the server never closed the connection"
        );
    };
    assert!(
        matches!(
            error.kind(),
            std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe
        ),
        "closed by the server, not timed out: {error}"
    );
    wait_for_metric(&server, "lyncdns_tcp_write_timeouts_total 1");
    rt.block_on(server.shutdown());
}

/// Issue 13: the metrics listener had no header timeout and no connection cap, so clients that connect and send
/// nothing held descriptors forever. Now each is closed after the header timeout, and past the cap a new one is
/// closed at once, while a scrape still works.
#[test]
fn issue13_metrics_connections_that_send_nothing_are_closed() {
    let rt = runtime();
    let server = rt
        .block_on(Server::start(
            embedded(),
            config(Duration::from_secs(5), 16),
        ))
        .unwrap();
    let metrics = server.metrics_addr.unwrap();
    let started = std::time::Instant::now();
    let mut silent: Vec<TcpStream> = (0..20)
        .map(|_| {
            let s = TcpStream::connect(metrics).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
            s
        })
        .collect();
    for s in &mut silent {
        let mut byte = [0u8; 1];
        match s.read(&mut byte) {
            Ok(0) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
            other => panic!("closed without an answer, got {other:?}"),
        }
    }
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_secs(30),
        "closed after {elapsed:?}"
    );
    wait_for_metric(&server, "lyncdns_metrics_rejected_total 4");
    // The listener still answers a scrape.
    let mut s = TcpStream::connect(metrics).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(text.contains("lyncdns_records"), "{text}");
    rt.block_on(server.shutdown());
}

/// RFC 7766 §6.2.3: a server under pressure may close idle connections sooner. With three quarters of the slots
/// taken, a connection already waiting is closed after the short idle timeout, long before the normal one.
#[test]
fn tcp_idle_timeout_is_shorter_under_pressure_rfc7766_6_2_3() {
    let rt = runtime();
    let mut cfg = config(Duration::from_secs(120), 4);
    cfg.tcp.idle_busy = Duration::from_millis(300);
    let server = rt.block_on(Server::start(embedded(), cfg)).unwrap();
    let addr = server.dns_addrs[0];
    let q = Q::new("sip.lyncdude.net", A).bytes();
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        tcp_send(&mut s, &q);
        assert!(tcp_read(&mut s).is_some());
        held.push(s);
    }
    // Three of four slots: idle connections are closed within seconds, not 120 s, until the pressure ends (more
    // than one may go, if they check at the same moment).
    let open = || {
        server
            .metrics_text()
            .lines()
            .find_map(|l| l.strip_prefix("lyncdns_tcp_connections "))
            .and_then(|n| n.parse::<i64>().ok())
    };
    let started = std::time::Instant::now();
    while open() == Some(3) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no idle connection closed under pressure"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(open().is_some_and(|n| n < 3), "{}", server.metrics_text());
    drop(held);
    rt.block_on(server.shutdown());
}
