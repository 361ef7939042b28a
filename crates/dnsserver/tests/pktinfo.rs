//! A UDP listener on a wildcard address answers from the address each query was sent to (issue 13;
//! `IP_PKTINFO` / `IPV6_PKTINFO`, as Knot and NSD do). The client's socket is `connect`ed to the address it asks,
//! so it only accepts datagrams from that address: an answer from another one is dropped and the test fails.
//!
//! A wildcard listener must not be reachable from outside, so the test runs itself again in a private network
//! namespace (`unshare -n`, loopback only). Without the privilege to make one it is skipped with a message, or
//! fails when `LYNCDNS_INTEROP=require`.

mod support;

use std::net::{SocketAddr, UdpSocket};
use std::process::Command;
use std::time::Duration;

use lyncdns_dnsserver::server::{Config, Server, TcpLimits};
use support::*;

/// Set in the copy of the test that runs inside the namespace.
const INSIDE: &str = "LYNCDNS_TEST_PRIVATE_NETWORK";

/// Whether the caller is inside a private network namespace and should run its body. Outside, it runs test
/// `name` of this binary again inside one (`unshare -n`, loopback brought up) and checks that it passed.
fn in_private_network(name: &str) -> bool {
    if std::env::var_os(INSIDE).is_some() {
        return true;
    }
    let usable = Command::new("unshare")
        .args(["-n", "ip", "link", "set", "lo", "up"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !usable {
        assert!(
            std::env::var("LYNCDNS_INTEROP").as_deref() != Ok("require"),
            "`unshare -n` and `ip` (util-linux, iproute2, root) are needed and LYNCDNS_INTEROP=require"
        );
        eprintln!(
            "SKIPPED {name}: cannot make a private network namespace (`unshare -n`, `ip`; needs root)"
        );
        return false;
    }
    let out = Command::new("unshare")
        .args(["-n", "sh", "-c", "ip link set lo up && exec \"$0\" \"$@\""])
        .arg(std::env::current_exe().unwrap())
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env(INSIDE, "1")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success() && text.contains("1 passed"), "{text}");
    false
}

fn start(rt: &tokio::runtime::Runtime, listen: &str) -> Server {
    rt.block_on(Server::start(
        embedded(),
        Config {
            dns: vec![listen.parse().unwrap()],
            workers: 2,
            metrics: None,
            query_log: false,
            tcp: TcpLimits::default(),
        },
    ))
    .unwrap()
}

/// Asks `to` from `from` on a socket connected to `to`, and returns the answer's A records.
fn ask(from: &str, to: SocketAddr) -> Vec<String> {
    let sock = UdpSocket::bind((from.parse::<std::net::IpAddr>().unwrap(), 0)).unwrap();
    sock.connect(to).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    sock.send(&Q::new("sip.lyncdude.net", A).bytes()).unwrap();
    let mut buf = vec![0u8; 65535];
    let n = sock
        .recv(&mut buf)
        .unwrap_or_else(|e| panic!("no answer from {to} itself ({e})"));
    decode(&buf[..n]).answer
}

#[test]
fn issue13_a_wildcard_listener_answers_from_the_address_asked() {
    if !in_private_network("issue13_a_wildcard_listener_answers_from_the_address_asked") {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let v4 = start(&rt, "0.0.0.0:0");
    let port = v4.dns_addrs[0].port();
    // Several queries each, so both workers' sockets are likely to take some.
    for _ in 0..8 {
        for to in ["127.0.0.3", "127.0.0.1", "127.0.0.77"] {
            let to = SocketAddr::new(to.parse().unwrap(), port);
            assert_eq!(ask("127.0.0.1", to), ["sip.lyncdude.net. A 10.0.0.10"]);
            assert_eq!(ask("127.0.0.2", to), ["sip.lyncdude.net. A 203.0.113.10"]);
        }
    }
    rt.block_on(v4.shutdown());
    let v6 = start(&rt, "[::]:0");
    let to = SocketAddr::new("::1".parse().unwrap(), v6.dns_addrs[0].port());
    for _ in 0..8 {
        assert_eq!(ask("::1", to), ["sip.lyncdude.net. A 10.0.0.10"]);
    }
    rt.block_on(v6.shutdown());
}
