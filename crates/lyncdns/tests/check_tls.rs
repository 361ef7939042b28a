//! `lyncdns check --domain` opens TLS to every endpoint it finds (issue 16, "probes TLS on each endpoint it
//! finds"): the domain's DNS is a zone served by `lyncdns serve`, its Autodiscover is `serve`'s HTTPS listener
//! with the lab CA's certificate, and its Access Edge is a stand-in TLS listener; every endpoint is dialled on
//! 127.0.0.1 through `--dial`, so nothing leaves loopback and no fixed port is used.

mod support;

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use support::{Serve, lyncdns};

/// The domain's records, read as the internal view (so that loopback addresses are no finding).
const ZONE: &str = "$ORIGIN lyncdude.net.\n$TTL 60\n@ IN SOA ns h 1 2 3 4 5\n@ IN NS ns\nns IN A 192.0.2.1\n\
_sip._tls IN SRV 0 0 443 access\n_sipfederationtls._tcp IN SRV 0 0 5061 access\n\
access IN A 127.0.0.1\nsip IN A 127.0.0.1\nlyncdiscover IN A 127.0.0.1\n";

/// `lyncdns serve` with the zone above and HTTPS with the lab CA.
struct Lab {
    _dir: tempfile::TempDir,
    serve: Serve,
    ca_dir: PathBuf,
    https: SocketAddr,
}

impl Lab {
    fn start() -> Lab {
        let dir = tempfile::tempdir().unwrap();
        let zone = dir.path().join("lyncdude.net.zone");
        std::fs::write(&zone, ZONE).unwrap();
        let ca_dir = dir.path().join("ca");
        let mut serve = Serve::start(&[
            "--zone",
            &format!("external={}", zone.display()),
            "--https",
            "127.0.0.1:0",
            "--lab-ca",
            ca_dir.to_str().unwrap(),
        ]);
        let line = serve.wait_for("Autodiscover listening on HTTPS");
        let https = line
            .split("addr=")
            .nth(1)
            .and_then(|a| a.split_whitespace().next())
            .unwrap()
            .parse()
            .unwrap();
        Lab {
            _dir: dir,
            serve,
            ca_dir,
            https,
        }
    }

    fn lab_ca(&self) -> PathBuf {
        self.ca_dir.join("ca.pem")
    }

    /// `check --domain lyncdude.net` with the Access Edge's three endpoints dialled to `edge` and Autodiscover
    /// to `serve`'s HTTPS; the exit code, stdout and the JSON report (when `json`).
    fn check(&self, edge: SocketAddr, ca: &Path, json: bool) -> (Option<i32>, String) {
        let dns = self.serve.addr.to_string();
        let dials = [
            format!("access.lyncdude.net:443={edge}"),
            format!("access.lyncdude.net:5061={edge}"),
            format!("sip.lyncdude.net:5061={edge}"),
            format!("lyncdiscover.lyncdude.net:443={}", self.https),
        ];
        let mut args = vec![
            "check",
            "--domain",
            "lyncdude.net",
            "--server",
            &dns,
            "--from",
            "127.0.0.2",
            "--view",
            "internal",
            "--ca",
            ca.to_str().unwrap(),
            "--connect-timeout",
            "10",
        ];
        for d in &dials {
            args.extend(["--dial", d]);
        }
        if json {
            args.push("--json");
        }
        let out = lyncdns(&args);
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    }
}

/// A TLS listener on 127.0.0.1 that completes handshakes with `config` (at most 32, then it stops).
fn stand_in(config: Arc<rustls::ServerConfig>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(32) {
            let Ok(mut stream) = stream else { continue };
            let Ok(mut conn) = rustls::ServerConnection::new(config.clone()) else {
                continue;
            };
            while conn.is_handshaking() {
                if conn.complete_io(&mut stream).is_err() {
                    break;
                }
            }
        }
    });
    addr
}

/// An Access Edge stand-in with a lab-CA certificate for `names`.
fn edge_from_lab_ca(lab: &Lab, names: &[&str]) -> SocketAddr {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    stand_in(
        lyncdns_autodiscover::tls::from_lab_ca(&lab.ca_dir, &names)
            .unwrap()
            .config,
    )
}

/// The TLS entry for `name:port` in a JSON report.
fn endpoint<'a>(v: &'a serde_json::Value, name: &str, port: u16) -> &'a serde_json::Value {
    v["tls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name && t["port"] == port)
        .unwrap_or_else(|| panic!("no TLS entry for {name}:{port} in {v:#}"))
}

fn problems(t: &serde_json::Value) -> Vec<String> {
    t["problems"]
        .as_array()
        .map(|ps| {
            ps.iter()
                .map(|p| {
                    p["problem"]["problem"]
                        .as_str()
                        .or(p["kind"].as_str())
                        .unwrap()
                        .to_owned()
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn the_lab_certificate_and_an_edge_with_the_names_lync_needs_are_clean() {
    let lab = Lab::start();
    let edge = edge_from_lab_ca(&lab, &["access.lyncdude.net", "sip.lyncdude.net"]);
    let (code, out) = lab.check(edge, &lab.lab_ca(), true);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(code, Some(0), "{v:#}");
    for (name, port) in [
        ("access.lyncdude.net", 443),
        ("access.lyncdude.net", 5061),
        ("sip.lyncdude.net", 5061),
        ("lyncdiscover.lyncdude.net", 443),
    ] {
        let t = endpoint(&v, name, port);
        assert_eq!(t["outcome"], "checked", "{t:#}");
        assert_eq!(t["certificate"]["trust"], "trusted", "{t:#}");
        assert_eq!(t["certificate"]["covered"], true, "{t:#}");
        assert_eq!(t["certificate"]["tls_version"], "TLSv1.3", "{t:#}");
        assert_eq!(t["problems"].as_array().unwrap().len(), 0, "{t:#}");
    }
    // serve's lab certificate: the web names, issued by the lab CA.
    let ad = &endpoint(&v, "lyncdiscover.lyncdude.net", 443)["certificate"]["chain"][0];
    assert!(
        ad["dns_names"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n == "lyncdiscover.lyncdude.net"),
        "{ad:#}"
    );
    assert!(ad["issuer"].as_str().unwrap().contains("lyncdns lab CA"));
    assert_eq!(
        endpoint(&v, "access.lyncdude.net", 443)["required"][0]["name"],
        "sip.lyncdude.net"
    );
}

#[test]
fn a_wrong_name_certificate_is_a_finding_exit_1() {
    let lab = Lab::start();
    let edge = edge_from_lab_ca(&lab, &["wrong.lyncdude.net"]);
    let (code, out) = lab.check(edge, &lab.lab_ca(), true);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(code, Some(1), "{v:#}");
    let t = endpoint(&v, "access.lyncdude.net", 443);
    assert_eq!(
        t["certificate"]["trust"], "trusted",
        "the chain is fine: {t:#}"
    );
    assert_eq!(
        problems(t),
        ["name-not-covered", "missing-name"],
        "the name asked, then sip.<domain> [S8]: {t:#}"
    );
    assert_eq!(t["problems"][1]["sources"][0], "S8");
    assert_eq!(
        endpoint(&v, "lyncdiscover.lyncdude.net", 443)["problems"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    let (code, text) = lab.check(edge, &lab.lab_ca(), false);
    assert_eq!(code, Some(1));
    assert!(
        text.contains("FAIL does not cover access.lyncdude.net")
            && text.contains("FAIL lacks sip.lyncdude.net, which Lync needs on it [S8]"),
        "{text}"
    );
}

#[test]
fn an_expired_certificate_is_a_finding_exit_1() {
    let lab = Lab::start();
    // A CA of our own, trusted through --ca, issuing a certificate that expired on 2020-01-02.
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "Expired Test CA");
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let ca_pem = ca.self_signed(&ca_key).unwrap().pem();
    let issuer = rcgen::Issuer::new(ca, ca_key);
    let mut leaf = rcgen::CertificateParams::new(vec![
        "access.lyncdude.net".to_owned(),
        "sip.lyncdude.net".to_owned(),
    ])
    .unwrap();
    leaf.not_before = rcgen::date_time_ymd(2019, 1, 1);
    leaf.not_after = rcgen::date_time_ymd(2020, 1, 2);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = leaf.signed_by(&key, &issuer).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![cert.der().clone()],
        rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
    )
    .unwrap();
    let edge = stand_in(Arc::new(config));
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("expired-ca.pem");
    std::fs::write(&ca_file, ca_pem).unwrap();
    let (code, out) = lab.check(edge, &ca_file, true);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(code, Some(1), "{v:#}");
    let t = endpoint(&v, "access.lyncdude.net", 443);
    assert_eq!(t["certificate"]["validity"], "expired", "{t:#}");
    assert_eq!(problems(t)[0], "expired", "{t:#}");
    assert_eq!(t["problems"][0]["problem"]["not_after"], "2020-01-02");
    assert_eq!(t["certificate"]["covered"], true);
    let (_, text) = lab.check(edge, &ca_file, false);
    assert!(text.contains("FAIL expired on 2020-01-02"), "{text}");
}

#[test]
fn a_dead_port_could_not_be_checked_never_clean() {
    let lab = Lab::start();
    // Nothing listens on a port just released.
    let dead = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let (code, out) = lab.check(dead, &lab.lab_ca(), true);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(code, Some(2), "{v:#}");
    let t = endpoint(&v, "access.lyncdude.net", 443);
    assert_eq!(t["outcome"], "could-not-connect", "{t:#}");
    assert!(
        t["why"].as_str().unwrap().starts_with("could not connect"),
        "{t:#}"
    );
    // The endpoint that answered is still reported.
    assert_eq!(
        endpoint(&v, "lyncdiscover.lyncdude.net", 443)["outcome"],
        "checked"
    );
    let (code, text) = lab.check(dead, &lab.lab_ca(), false);
    assert_eq!(code, Some(2));
    assert!(
        text.contains("COULD NOT CHECK: could not connect"),
        "{text}"
    );
}

#[test]
fn no_tls_skips_the_probes() {
    let lab = Lab::start();
    let out = lyncdns(&[
        "check",
        "--domain",
        "lyncdude.net",
        "--server",
        &lab.serve.addr.to_string(),
        "--from",
        "127.0.0.2",
        "--view",
        "internal",
        "--no-tls",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{v:#}");
    assert!(
        v["tls"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["outcome"] == "not-probed"),
        "{v:#}"
    );
}

#[test]
fn a_port_that_accepts_but_never_speaks_tls_is_a_failed_handshake() {
    let lab = Lab::start();
    // Accepts connections and holds them open, silent.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let silent = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let held: Vec<_> = listener.incoming().take(8).collect();
        drop(held);
    });
    let dns = lab.serve.addr.to_string();
    let dials: Vec<String> = [
        "access.lyncdude.net:443",
        "access.lyncdude.net:5061",
        "sip.lyncdude.net:5061",
        "lyncdiscover.lyncdude.net:443",
    ]
    .iter()
    .map(|e| format!("{e}={silent}"))
    .collect();
    let mut args = vec![
        "check",
        "--domain",
        "lyncdude.net",
        "--server",
        &dns,
        "--from",
        "127.0.0.2",
        "--view",
        "internal",
        "--connect-timeout",
        "1",
        "--json",
    ];
    for d in &dials {
        args.extend(["--dial", d]);
    }
    let out = lyncdns(&args);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for t in v["tls"].as_array().unwrap() {
        assert_eq!(t["outcome"], "handshake-failed", "{t:#}");
    }
    assert_eq!(v["tls"].as_array().unwrap().len(), 4, "{v:#}");
    assert_eq!(
        out.status.code(),
        Some(1),
        "a failed handshake is a finding: {v:#}"
    );
}
