//! `lyncdns discover` against a real `lyncdns serve` on loopback, inside and outside, with and without probes;
//! and `lyncdns lab` end to end.

mod support;

use std::net::TcpListener;
use std::process::Command;

use support::{Serve, lyncdns};

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_lab_prints_the_full_matrix_and_exits_0() {
    let out = lyncdns(&["lab"]);
    let text = stdout(&out);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("20 of 20 discoveries sign in"), "{text}");
    for client in ["lync2010", "desktop", "store", "mobile", "phone"] {
        assert_eq!(
            text.lines().filter(|l| l.starts_with(client)).count(),
            2,
            "{client} rows in {text}"
        );
    }
    assert!(
        text.contains(
            "desktop   lab@lyncdude.net       ✓ lyncfe01.lyncdude.net:5061 via lyncdiscoverinternal"
        ),
        "{text}"
    );
}

#[test]
fn lab_scenarios_show_how_clients_react() {
    let out = lyncdns(&["lab", "--list-scenarios"]);
    let list = stdout(&out);
    for name in [
        "missing-lyncdiscoverinternal",
        "missing-lyncdiscover",
        "no-autodiscover",
        "srv-typo",
        "sip-to-reverse-proxy",
        "cross-domain-srv",
    ] {
        assert!(list.contains(name), "{name}");
    }
    let text = stdout(&lyncdns(&["lab", "--scenario", "sip-to-reverse-proxy"]));
    assert!(
        text.contains("resolves to 203.0.113.20, the reverse proxy"),
        "{text}"
    );
    let text = stdout(&lyncdns(&["lab", "--scenario", "cross-domain-srv"]));
    let lync2010 = text
        .lines()
        .find(|l| l.starts_with("lync2010  lab@anotherdomain.com"))
        .unwrap();
    assert!(lync2010.contains("(trust prompt)"), "{lync2010}");
    let phone = text
        .lines()
        .find(|l| l.starts_with("phone     lab@anotherdomain.com"))
        .unwrap();
    assert!(phone.contains("✗"), "{phone}");
    let out = lyncdns(&["lab", "--scenario", "no-such-thing"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no scenario `no-such-thing`"));
}

#[test]
fn lab_json_and_html() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("lab.html");
    let out = lyncdns(&["lab", "--json", "--html", html.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 20);
    assert!(v[0]["steps"].as_array().unwrap().len() >= 2);
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.starts_with("<!DOCTYPE html>")
            && page.contains("<svg")
            && page.contains("stroke-width=\"3\""),
        "the deciding step is highlighted"
    );
    assert!(
        !page.contains("password="),
        "the token request body (with the password) is never recorded"
    );
}

#[test]
fn discover_against_serve_inside_and_outside() {
    let s = Serve::start(&[]);
    let server = s.addr.to_string();
    let out = lyncdns(&[
        "discover",
        "alice@lyncdude.net",
        "--server",
        &server,
        "--from",
        "127.0.0.1",
        "--profile",
        "lync2010",
    ]);
    assert!(out.status.success());
    assert!(
        stdout(&out).contains("✓ signs in at lyncfe01.lyncdude.net:5061 via _sipinternaltls._tcp"),
        "{}",
        stdout(&out)
    );
    let out = lyncdns(&[
        "discover",
        "sip:alice@lyncdude.net",
        "--server",
        &server,
        "--from",
        "127.0.0.2",
        "--json",
    ]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let lync2010 = v
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["client"] == "lync2010")
        .unwrap();
    assert_eq!(
        lync2010["verdict"]["summary"],
        "signs in at access.lyncdude.net:443 via _sip._tls"
    );
    assert_eq!(
        lync2010["steps"][0]["reply"]["rcode"], "NXDOMAIN",
        "outside, the internal SRV does not exist"
    );
    // A domain nobody serves: every client fails, exit code 1.
    let out = lyncdns(&[
        "discover",
        "x@nowhere.test",
        "--server",
        &server,
        "--from",
        "127.0.0.2",
        "--profile",
        "store",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("✗ cannot sign in"));
    let out = lyncdns(&["discover", "not-an-address", "--server", &server]);
    assert_eq!(out.status.code(), Some(2));
}

/// The embedded example moved to loopback addresses, so probes can connect for real.
fn loopback_deployment() -> String {
    lyncdns_model::EMBEDDED_EXAMPLE
        .replace("10.0.0.10", "127.0.0.10")
        .replace("203.0.113.10", "127.0.0.11")
        .replace(
            "[features]",
            "[options]\nallow_private_external = true\n\n[features]",
        )
}

#[test]
fn discover_with_probes_follows_autodiscover_and_connects_to_the_pool() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lab.toml");
    std::fs::write(&file, loopback_deployment()).unwrap();
    let ca_dir = dir.path().join("ca");
    let mut s = Serve::start(&[
        file.to_str().unwrap(),
        "--https",
        "127.0.0.1:0",
        "--lab-ca",
        ca_dir.to_str().unwrap(),
    ]);
    let line = s.wait_for("Autodiscover listening on HTTPS");
    let https = line
        .split("addr=")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    // A TLS stand-in for the Front End's SIP port, with a certificate from the same lab CA.
    let identity =
        lyncdns_autodiscover::tls::from_lab_ca(&ca_dir, &["lyncfe01.lyncdude.net".to_owned()])
            .unwrap();
    let listener = TcpListener::bind("127.0.0.10:5061").unwrap();
    let config = identity.config.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(4) {
            let Ok(mut stream) = stream else { continue };
            let mut conn = rustls::ServerConnection::new(config.clone()).unwrap();
            while conn.is_handshaking() {
                if conn.complete_io(&mut stream).is_err() {
                    break;
                }
            }
        }
    });
    let ca = ca_dir.join("ca.pem");
    let run = |from: &str| {
        Command::new(env!("CARGO_BIN_EXE_lyncdns"))
            .args([
                "discover",
                "alice@lyncdude.net",
                "--server",
                &s.addr.to_string(),
                "--from",
                from,
                "--probe",
                "--ca",
                ca.to_str().unwrap(),
            ])
            .args([
                "--dial",
                &format!("https={https}"),
                "--user",
                "alice@lyncdude.net",
                "--profile",
                "desktop",
                "--http-order",
                "https-only",
                "--timeout",
                "2",
            ])
            .env("LYNCDNS_PASSWORD", "Lab-Passw0rd!")
            .output()
            .unwrap()
    };
    let out = run("127.0.0.1");
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("POST https://lyncwebint.lyncdude.net/WebTicket/oauthtoken"),
        "{text}"
    );
    assert!(text.contains("connected to 127.0.0.10:5061"), "{text}");
    assert!(
        text.contains("✓ signs in at lyncfe01.lyncdude.net:5061 via lyncdiscoverinternal"),
        "{text}"
    );
    assert!(
        !text.contains("Lab-Passw0rd"),
        "the password is never printed"
    );
    // Outside, Autodiscover names the Access Edge (127.0.0.11:443), where nothing listens: the probe says so.
    let out = run("127.0.0.2");
    let text = stdout(&out);
    assert!(
        text.contains("cannot connect to access.lyncdude.net:443: 127.0.0.11:443"),
        "{text}"
    );
}
