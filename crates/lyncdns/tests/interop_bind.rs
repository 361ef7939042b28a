//! Interop: BIND (`named`) serves the plan's own `bind-views` output (two views, matched by source address) on
//! loopback, and `lyncdns check` reads both views through it: every planned record is found, and a record
//! deliberately removed from BIND's zone is reported missing. Skipped (with a message) without `named`, unless
//! `LYNCDNS_INTEROP=require`.

mod support;

use std::net::UdpSocket;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::{interop_tool, lyncdns};

struct Named(Child);

impl Drop for Named {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = s.local_addr().unwrap().port();
    // The TCP side must be free as well.
    std::net::TcpListener::bind(("127.0.0.1", port))
        .map(|_| port)
        .unwrap_or_else(|_| free_port())
}

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
    let _named = Named(child);
    wait_ready(port);
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
