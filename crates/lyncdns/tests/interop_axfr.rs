//! Interop: lyncdns as a reader of live zones. BIND (`named`) is a primary on loopback that allows transfers only
//! with a TSIG key (`allow-transfer { key … }`); `lyncdns lint --axfr` pulls the seed article's zone from it and
//! finds the seed's mistakes, located by owner and type; a wrong key, an unknown key and no key at all are reported
//! as "could not run" (exit 2) with BIND's answer. `lyncdns check --axfr` pulls every zone of the plan's external
//! view from BIND serving the plan's own zone files, one record removed and one changed, and reports exactly those.
//! Skipped (with a message) without `named`, unless `LYNCDNS_INTEROP=require`.

mod support;

use std::net::UdpSocket;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use support::{Peer, free_port, interop_tool, lyncdns, root};

/// The transfer key BIND allows, in `dig -y` form.
const KEY: &str = "hmac-sha256:xfr.lyncdude.net:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0";

/// The same name with another secret.
const WRONG_SECRET: &str = "hmac-sha256:xfr.lyncdude.net:b3RoZXJvdGhlcm90aGVyb3RoZXI=";

/// Waits until `named` answers `zone SOA` on `port` authoritatively with NOERROR (the zone is loaded).
fn wait_ready(port: u16, zone: &str) {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut q = vec![0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    for l in zone.split('.') {
        q.push(l.len() as u8);
        q.extend_from_slice(l.as_bytes());
    }
    q.extend_from_slice(&[0, 0, 6, 0, 1]);
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut buf = [0u8; 512];
    while Instant::now() < deadline {
        let _ = sock.send_to(&q, ("127.0.0.1", port));
        if let Ok(n) = sock.recv(&mut buf)
            && n >= 12
            && buf[3] & 0x0f == 0
            && buf[2] & 0x04 != 0
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("named did not load {zone} on port {port}");
}

/// Starts `named` in `d` with the key `xfr.lyncdude.net` and `zones` (`zone "…" { … };` clauses), on a free
/// loopback port; waits until `ready` is loaded.
fn start_named(named: &Path, d: &Path, zones: &str, ready: &str) -> (Peer, u16) {
    let port = free_port();
    let conf = d.join("named.conf");
    std::fs::write(
        &conf,
        format!(
            "key \"xfr.lyncdude.net\" {{ algorithm hmac-sha256; secret \"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0\"; }};\noptions {{\n directory \"{0}\";\n listen-on port {port} {{ 127.0.0.1; }};\n listen-on-v6 {{ none; }};\n pid-file none;\n session-keyfile \"{0}/session.key\";\n managed-keys-directory \"{0}\";\n recursion no;\n dnssec-validation no;\n notify no;\n}};\n{zones}",
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
    let peer = Peer(child);
    wait_ready(port, ready);
    (peer, port)
}

/// stdout and stderr of a run, for assertion messages.
fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// BIND serving the seed article's external zone (with its mistakes), transfers allowed with the key only.
fn seed_primary(named: &Path, d: &Path) -> (Peer, String) {
    std::fs::copy(root().join("tests/seed/external.zone"), d.join("seed.zone")).unwrap();
    let zones = format!(
        "zone \"lyncdude.net\" {{ type primary; file \"{}/seed.zone\"; allow-transfer {{ key xfr.lyncdude.net; }}; }};\n",
        d.display()
    );
    let (peer, port) = start_named(named, d, &zones, "lyncdude.net");
    (peer, format!("127.0.0.1:{port}"))
}

#[test]
fn lint_axfr_with_the_key_finds_the_seeds_mistakes_located_by_owner_and_type() {
    let Some(named) = interop_tool("named", "bind9") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (_named, server) = seed_primary(&named, dir.path());
    // The key as tsig-keygen writes it.
    let key_file = dir.path().join("xfr.key");
    std::fs::write(
        &key_file,
        "key \"xfr.lyncdude.net\" {\n\talgorithm hmac-sha256;\n\tsecret \"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0\";\n};\n",
    )
    .unwrap();
    let out = lyncdns(&[
        "lint",
        "--axfr",
        &server,
        "lyncdude.net",
        "--key-file",
        key_file.to_str().unwrap(),
        "--view",
        "external",
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stderr.contains("TSIG verified"), "{stderr}");
    let at = format!("axfr://{server}/lyncdude.net");
    // The same findings as linting the file itself, located by record instead of line.
    for (code, located) in [
        ("error[LD001]", "_sipfederationtls_.tcp.lyncdude.net SRV"),
        ("error[LD005]", "_sip._tls.lyncdude.net SRV"),
        ("error[LD006]", "sip.lyncdude.net A"),
    ] {
        assert!(
            stdout.contains(code) && stdout.contains(&format!("--> {at}: {located}\n")),
            "{code} at {located}: {stdout}"
        );
    }
    let file = lyncdns(&[
        "lint",
        root().join("tests/seed/external.zone").to_str().unwrap(),
        "--view",
        "external",
    ]);
    let (file_out, _) = text(&file);
    let summary = |s: &str| s.lines().last().unwrap_or_default().to_owned();
    assert_eq!(
        summary(&stdout),
        summary(&file_out),
        "{stdout}\n---\n{file_out}"
    );
    // JSON carries the same location.
    let out = lyncdns(&[
        "lint",
        "--axfr",
        &server,
        "lyncdude.net",
        "--key",
        KEY,
        "--view",
        "external",
        "--json",
    ]);
    let findings: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        findings
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["origin"]["file"] == format!("{at}: _sip._tls.lyncdude.net SRV")),
        "{findings}"
    );
}

#[test]
fn lint_axfr_with_a_wrong_secret_could_not_run_notauth_badsig() {
    let Some(named) = interop_tool("named", "bind9") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (_named, server) = seed_primary(&named, dir.path());
    let out = lyncdns(&[
        "lint",
        "--axfr",
        &server,
        "lyncdude.net",
        "--key",
        WRONG_SECRET,
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        stderr.contains(&format!(
            "could not run: AXFR of lyncdude.net from {server}: NOTAUTH (BADSIG)"
        )),
        "{stderr}"
    );
    assert!(
        !stderr.contains("b3RoZXJ"),
        "the secret is never printed: {stderr}"
    );
}

#[test]
fn lint_axfr_with_an_unknown_key_or_none_could_not_run() {
    let Some(named) = interop_tool("named", "bind9") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (_named, server) = seed_primary(&named, dir.path());
    let out = lyncdns(&[
        "lint",
        "--axfr",
        &server,
        "lyncdude.net",
        "--key",
        "hmac-sha256:someone.else:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0",
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(stderr.contains("NOTAUTH (BADKEY)"), "{stderr}");
    let out = lyncdns(&["lint", "--axfr", &server, "lyncdude.net"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        stderr.contains(&format!(
            "could not run: AXFR of lyncdude.net from {server}: REFUSED"
        )),
        "{stderr}"
    );
}

#[test]
fn a_bad_key_file_is_reported_at_its_line_before_anything_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("bad.key");
    std::fs::write(
        &key_file,
        "key \"xfr.lyncdude.net\" {\n\talgorithm hmac-md5;\n\tsecret \"c2VjcmV0\";\n};\n",
    )
    .unwrap();
    // Port 9 of loopback: nothing is ever sent there, the key is read first.
    let out = lyncdns(&[
        "lint",
        "--axfr",
        "127.0.0.1:9",
        "lyncdude.net",
        "--key-file",
        key_file.to_str().unwrap(),
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        stderr.contains(&format!(
            "{}:2: unknown TSIG algorithm `hmac-md5`",
            key_file.display()
        )),
        "{stderr}"
    );
}

#[test]
fn check_axfr_reports_exactly_the_record_removed_and_the_record_changed() {
    let Some(named) = interop_tool("named", "bind9") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = lyncdns(&["plan", "--format", "zone", "--out", d.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out).1);
    // BIND's copy of the external lyncdude.net: one record removed, one changed, and a new serial (informational).
    let zone = d.join("external/lyncdude.net.zone");
    let planned = std::fs::read_to_string(&zone).unwrap();
    assert!(planned.contains("lyncdiscover ") && planned.contains("203.0.113.10 ;"));
    let served: String = planned
        .lines()
        .filter(|l| !l.starts_with("lyncdiscover "))
        .map(|l| {
            if l.starts_with("access ") {
                l.replace("203.0.113.10", "203.0.113.99")
            } else {
                l.replace("2026112501", "2026112502")
            }
        })
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&zone, served).unwrap();
    let zones = format!(
        "zone \"lyncdude.net\" {{ type primary; file \"{0}/external/lyncdude.net.zone\"; allow-transfer {{ key xfr.lyncdude.net; }}; }};\nzone \"anotherdomain.com\" {{ type primary; file \"{0}/external/anotherdomain.com.zone\"; allow-transfer {{ key xfr.lyncdude.net; }}; }};\n",
        d.display()
    );
    let (_named, port) = start_named(&named, d, &zones, "lyncdude.net");
    let server = format!("127.0.0.1:{port}");
    let out = lyncdns(&[
        "check", "--axfr", &server, "--view", "external", "--key", KEY,
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    for line in [
        "MISSING     lyncdiscover.lyncdude.net A 203.0.113.20\n",
        "DIFFERENT   access.lyncdude.net A: planned 203.0.113.10, served 203.0.113.99\n",
        "info        lyncdude.net SOA: planned ns1.lyncdude.net. hostmaster.lyncdude.net. 2026112501",
        "zone lyncdude.net: serial 2026112502, 13 records served, TSIG verified\n",
        "2 difference(s), 1 informational (SOA/NS)",
    ] {
        assert!(stdout.contains(line), "`{line}` in {stdout}");
    }
    // The JSON lists exactly those two as problems.
    let out = lyncdns(&["check", "--axfr", &server, "--key", KEY, "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let problems: Vec<(String, String)> = report["zones"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|z| z["records"].as_array().unwrap().clone())
        .filter(|c| c["status"] != "ok" && c["informational"] == false)
        .map(|c| {
            (
                c["owner"].as_str().unwrap().to_owned(),
                c["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        problems,
        [
            ("access.lyncdude.net".to_owned(), "different".to_owned()),
            ("lyncdiscover.lyncdude.net".to_owned(), "missing".to_owned()),
        ],
        "{report}"
    );
    // Without the key BIND refuses: the check could not run.
    let out = lyncdns(&["check", "--axfr", &server]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        stderr.contains("could not check every zone: AXFR failed for anotherdomain.com: REFUSED; lyncdude.net: REFUSED"),
        "{stderr}"
    );
}

#[test]
fn a_zone_of_many_messages_from_bind_is_read_whole_and_every_signature_verified() {
    let Some(named) = interop_tool("named", "bind9") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // 20,000 addresses: BIND sends them in many messages, each signed in one TSIG sequence.
    let mut zone = String::from(
        "$ORIGIN big.test.\n$TTL 300\n@ SOA ns1 hostmaster 7 3600 900 1209600 300\n@ NS ns1\nns1 A 192.0.2.1\n",
    );
    for i in 0..20_000u32 {
        zone.push_str(&format!(
            "h{i} A 10.{}.{}.{}\n",
            i >> 16,
            (i >> 8) & 255,
            i & 255
        ));
    }
    std::fs::write(d.join("big.zone"), zone).unwrap();
    let zones = format!(
        "zone \"big.test\" {{ type primary; file \"{}/big.zone\"; allow-transfer {{ key xfr.lyncdude.net; }}; }};\n",
        d.display()
    );
    let (_named, port) = start_named(&named, d, &zones, "big.test");
    let server = format!("127.0.0.1:{port}");
    let out = lyncdns(&[
        "lint", "--axfr", &server, "big.test", "--key", KEY, "--view", "internal",
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    let note = stderr
        .lines()
        .find(|l| l.contains("serial 7, 20003 records in "))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(note.ends_with("TSIG verified"), "{note}");
    let messages: usize = note
        .split(" records in ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(messages > 1, "{note}");
}
