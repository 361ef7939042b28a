//! Interop: BIND (`named`) serves the plan's own `bind-views` output (two views, matched by source address) on
//! loopback, and `lyncdns check` reads both views through it: every planned record is found, and a record
//! deliberately removed from BIND's zone is reported missing; with `--internal-recursion` the configuration passes
//! `named-checkconf -z` and only the internal view offers recursion. Skipped (with a message) without `named`, unless
//! `LYNCDNS_INTEROP=require`.

mod support;

use std::net::UdpSocket;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{Peer, free_port, interop_tool, lyncdns};

/// Waits until `named` answers a query on `port`.
fn wait_ready(port: u16) {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let q = [
        0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 8, b'l', b'y', b'n', b'c', b'd', b'u', b'd',
        b'e', 3, b'n', b'e', b't', 0, 0, 6, 0, 1,
    ];
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut buf = [0u8; 512];
    while Instant::now() < deadline {
        let _ = sock.send_to(&q, ("127.0.0.1", port));
        if sock.recv(&mut buf).is_ok() {
            return;
        }
    }
    panic!("named did not answer on port {port}");
}

/// Writes `named.conf` (loopback, a free port, recursion off by default) including the plan's views from `d`,
/// starts `named` on it and waits until it answers.
fn start_named(named: &std::path::Path, d: &std::path::Path) -> (Peer, u16) {
    let port = free_port();
    let conf = d.join("named.conf");
    std::fs::write(
        &conf,
        format!(
            "options {{\n directory \"{0}\";\n listen-on port {port} {{ 127.0.0.1; }};\n listen-on-v6 {{ none; }};\n pid-file none;\n session-keyfile \"{0}/session.key\";\n managed-keys-directory \"{0}\";\n recursion no;\n dnssec-validation no;\n}};\ninclude \"{0}/named.conf.views\";\n",
            d.display()
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
    wait_ready(port);
    (named, port)
}

/// Asks `lyncdude.net SOA` with RD set from `source` and returns whether the answer says recursion is
/// available (RA, RFC 1035 §4.1.1).
fn recursion_available(source: &str, port: u16) -> bool {
    let sock = UdpSocket::bind((source, 0)).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let q = [
        0x43, 0x21, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0, 8, b'l', b'y', b'n', b'c', b'd', b'u', b'd',
        b'e', 3, b'n', b'e', b't', 0, 0, 6, 0, 1,
    ];
    sock.send_to(&q, ("127.0.0.1", port)).unwrap();
    let mut buf = [0u8; 1232];
    let n = sock.recv(&mut buf).expect("an answer from named");
    assert!(n >= 12 && buf[..2] == [0x43, 0x21], "{:?}", &buf[..n]);
    assert_eq!(buf[3] & 0x0f, 0, "rcode NOERROR: {:?}", &buf[..n]);
    buf[3] & 0x80 != 0
}

#[test]
fn internal_recursion_lets_the_internal_view_resolve_for_its_clients_only() {
    let (Some(named), Some(checkconf)) = (
        interop_tool("named", "bind9"),
        interop_tool("named-checkconf", "bind9-utils"),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = lyncdns(&[
        "plan",
        "--format",
        "bind-views",
        "--internal-recursion",
        "--out",
        d.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let views = std::fs::read_to_string(d.join("named.conf.views")).unwrap();
    assert!(
        views.contains("    recursion yes;\n    allow-recursion { 127.0.0.1/32;"),
        "{views}"
    );
    let (_named, port) = start_named(&named, d);
    let checked = Command::new(checkconf)
        .arg("-z")
        .arg(d.join("named.conf"))
        .output()
        .unwrap();
    assert!(
        checked.status.success(),
        "named-checkconf -z: {}{}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );
    // 127.0.0.1 is in the internal view of the embedded example; 127.0.0.2 falls to the external one.
    assert!(
        recursion_available("127.0.0.1", port),
        "the internal view recurses for its clients"
    );
    assert!(
        !recursion_available("127.0.0.2", port),
        "the external view never recurses"
    );
}

#[test]
fn check_reads_both_views_served_by_bind() {
    let Some(named) = interop_tool("named", "bind9") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = lyncdns(&[
        "plan",
        "--format",
        "bind-views",
        "--out",
        d.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    // Break one record: the external lyncdiscover.
    let zone = d.join("external/lyncdude.net.zone");
    let text = std::fs::read_to_string(&zone).unwrap();
    std::fs::write(
        &zone,
        text.lines()
            .filter(|l| !l.starts_with("lyncdiscover "))
            .map(|l| format!("{l}\n"))
            .collect::<String>(),
    )
    .unwrap();
    let (_named, port) = start_named(&named, d);
    let server = format!("127.0.0.1:{port}");
    let out = lyncdns(&[
        "check",
        "--internal",
        &server,
        "--from-internal",
        "127.0.0.1",
        "--external",
        &server,
        "--from-external",
        "127.0.0.2",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("MISSING     lyncdiscover.lyncdude.net A 203.0.113.20 (NXDOMAIN)"),
        "{text}"
    );
    assert!(
        text.contains("33 records checked: 32 ok, 1 problem(s), 0 rule finding(s)"),
        "{text}"
    );
    assert!(
        text.contains("ok          lyncdiscoverinternal.lyncdude.net A 10.0.0.10"),
        "the internal view came from BIND's internal view: {text}"
    );
}
