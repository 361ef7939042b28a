//! `lyncdns discover` against a real `lyncdns serve` on loopback, inside and outside, with and without probes;
//! and `lyncdns lab` end to end.

mod support;

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
    // The phone refuses the internal SRV target outside its domain (strict DNS naming, S23). Inside, the
    // external SRV reaches it through the internal server's forwarder, but sip.anotherdomain.com resolves inside
    // to the Front End, whose port 443 is no SIP registrar (issue 15: the lab's sign-in now ends at a registrar's
    // answer, so this fails where it used to be counted found); outside it ends at the Access Edge.
    let phone = text
        .lines()
        .find(|l| l.starts_with("phone     lab@anotherdomain.com"))
        .unwrap();
    assert!(
        phone.contains("✗ every discovery method failed")
            && phone
                .contains("✓ sip.anotherdomain.com:443 via _sip._tls → 401 lyncfe01.lyncdude.net"),
        "{phone}"
    );
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

/// The embedded example moved to loopback addresses, so probes can connect for real: the Front End to `fe`, the
/// Access Edge to `edge`.
fn loopback_deployment(fe: &str, edge: &str) -> String {
    lyncdns_model::EMBEDDED_EXAMPLE
        .replace("10.0.0.10", fe)
        .replace("203.0.113.10", edge)
        .replace(
            "[features]",
            "[options]\nallow_private_external = true\n\n[features]",
        )
}

/// Two loopback addresses whose port 5061 and 443 are free now, drawn from this process's id so that test runs
/// at the same time on one machine do not take the same ones (the registrar listens on the deployment's own
/// address and port, so a fixed address collided when two runs overlapped).
fn free_loopback_pair() -> (String, String) {
    let base = std::process::id() as usize;
    let free = |ip: &str| {
        [5061, 443]
            .iter()
            .all(|port| std::net::TcpListener::bind((ip, *port)).is_ok())
    };
    let mut found = Vec::new();
    for i in 0..2000 {
        let n = (base + i * 7919) % 60_000;
        let ip = format!("127.{}.{}.{}", 1 + n / 250 % 200, n % 250 + 2, 10 + i % 200);
        if free(&ip) && !found.contains(&ip) {
            found.push(ip);
            if found.len() == 2 {
                return (found[0].clone(), found[1].clone());
            }
        }
    }
    panic!("no free loopback address for 5061/443");
}

#[test]
fn discover_with_probes_follows_autodiscover_and_connects_to_the_pool() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lab.toml");
    let (fe, edge) = free_loopback_pair();
    std::fs::write(&file, loopback_deployment(&fe, &edge)).unwrap();
    let ca_dir = dir.path().join("ca");
    // The lab registrar on the Front End's own (loopback) address: it plays lyncfe01, whose server that is.
    let mut s = Serve::start(&[
        file.to_str().unwrap(),
        "--https",
        "127.0.0.1:0",
        "--lab-ca",
        ca_dir.to_str().unwrap(),
        "--sip",
        &format!("{fe}:5061"),
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
    s.wait_for("SIP over TLS listening");
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
    assert!(text.contains(&format!("connected to {fe}:5061")), "{text}");
    // Issue 15: the sign-in goes on to the registrar's answer.
    assert!(text.contains("OPTIONS → 200 OK"), "{text}");
    assert!(
        text.contains("REGISTER → 401 Unauthorized (NTLM, Kerberos, TLS-DSK)"),
        "{text}"
    );
    assert!(
        text.contains("✓ signs in at lyncfe01.lyncdude.net:5061 via lyncdiscoverinternal"),
        "{text}"
    );
    assert!(
        !text.contains("Lab-Passw0rd"),
        "the password is never printed"
    );
    // Every certificate presented is reported: the web services' (serve's lab certificate) and the pool's.
    assert!(text.contains("TLS certificates presented"), "{text}");
    assert!(
        text.contains("covers lyncdiscoverinternal.lyncdude.net; trusted")
            && text.contains("covers lyncfe01.lyncdude.net; trusted"),
        "{text}"
    );
    // Outside, Autodiscover names the Access Edge (`edge`:443), where nothing listens: the probe says so.
    let out = run("127.0.0.2");
    let text = stdout(&out);
    assert!(
        text.contains(&format!(
            "cannot connect to access.lyncdude.net:443: {edge}:443"
        )),
        "{text}"
    );
}

/// Issue 16 point 4: `lab --deployment` refused every shipped example but the embedded one ("the lab's internal
/// client (127.0.0.1) must match a internal view"). Each now runs, says where it put the lab's clients, and
/// every client signs in (exit 0).
#[test]
fn every_shipped_example_runs_in_the_lab_issue_16() {
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut names: Vec<_> = std::fs::read_dir(&examples)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    names.sort();
    assert!(names.len() >= 4, "{names:?}");
    for path in names {
        let out = lyncdns(&["lab", "--deployment", path.to_str().unwrap()]);
        let text = stdout(&out);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}: {text}{}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let (ok, total) = text
            .lines()
            .find_map(|l| l.split_once(" discoveries sign in"))
            .and_then(|(head, _)| head.split_once(" of "))
            .map(|(a, b)| (a.trim().to_owned(), b.trim().to_owned()))
            .unwrap_or_else(|| panic!("{}: no summary in {text}", path.display()));
        assert_eq!(ok, total, "{}: {text}", path.display());
        // lyncdude.toml, transfer.toml and catalog.toml (the same deployment with transfer keys, and catalogs)
        // already match 127.0.0.1.
        if !["lyncdude.toml", "transfer.toml", "catalog.toml"]
            .iter()
            .any(|f| path.ends_with(f))
        {
            assert!(
                text.contains("the lab adds 127.0.0.1/32 to the clients of view"),
                "{}: {text}",
                path.display()
            );
        }
    }
}

/// Issue 16 point 4: `lab` exited 0 even when clients failed, and its JSON did not say inside/outside or the
/// scenario.
#[test]
fn lab_exits_1_when_a_client_fails_and_json_names_location_and_scenario_issue_16() {
    let out = lyncdns(&["lab", "--scenario", "no-autodiscover", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let all = v.as_array().unwrap();
    assert!(all.iter().any(|d| d["verdict"]["ok"] == false));
    for d in all {
        assert_eq!(d["scenario"], "no-autodiscover", "{d}");
        assert!(
            d["location"] == "inside" || d["location"] == "outside",
            "{d}"
        );
    }
    assert_eq!(
        all.iter().filter(|d| d["location"] == "inside").count(),
        all.len() / 2
    );
    let out = lyncdns(&["lab", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v[0].get("scenario").is_none(), "no scenario, no key");
}

/// Issue 16 point 5: a DNS server that cannot be reached is "could not run" (exit 2), not a client failing
/// (exit 1).
#[test]
fn discover_against_an_unreachable_dns_server_exits_2_issue_16() {
    // A bound UDP socket that never answers, and a port where nothing listens.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let silent = silent.local_addr().unwrap().to_string();
    let closed = {
        let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        s.local_addr().unwrap().to_string()
    };
    for server in [silent.as_str(), closed.as_str()] {
        let out = lyncdns(&[
            "discover",
            "alice@lyncdude.net",
            "--server",
            server,
            "--profile",
            "store",
            "--timeout",
            "0.2",
            "--retries",
            "0",
        ]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{server}: {err}");
        assert!(
            err.contains("could not run: the DNS server gave no answer"),
            "{err}"
        );
    }
}

/// Issue 16 point 5: `--server` rejected host names.
#[test]
fn discover_server_takes_a_host_name_issue_16() {
    let s = Serve::start(&[]);
    let server = format!("localhost:{}", s.addr.port());
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
    assert!(
        out.status.success(),
        "{}{}",
        stdout(&out),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout(&out).contains("✓ signs in at lyncfe01.lyncdude.net:5061"));
    let out = lyncdns(&[
        "discover",
        "alice@lyncdude.net",
        "--server",
        "no-such-host.invalid",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such-host.invalid"));
}

/// Issue 16 point 6: the HTML report had no summary matrix, headings without inside/outside or the scenario, and
/// boxes coloured by DNS response code (a harmless NXDOMAIN red, a trust-prompt sign-in green like a clean one).
#[test]
fn lab_html_leads_with_the_matrix_and_colours_by_decision_issue_16() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("lab.html");
    let page = |scenario: &str| {
        let out = lyncdns(&[
            "lab",
            "--scenario",
            scenario,
            "--html",
            html.to_str().unwrap(),
        ]);
        (out.status.code(), std::fs::read_to_string(&html).unwrap())
    };
    let (code, page_) = page("no-autodiscover");
    assert_eq!(code, Some(1), "the Store and mobile apps fail");
    let matrix = page_.find("<h2>Summary</h2>").expect("a summary matrix");
    assert!(
        matrix < page_.find("<svg").unwrap(),
        "the matrix comes first"
    );
    assert!(page_.contains("<p>scenario: <b>no-autodiscover</b></p>"));
    assert!(page_.contains("<th>inside</th><th>outside</th>"));
    assert!(
        page_.contains("lync2010 — lab@lyncdude.net — outside — scenario no-autodiscover</h2>")
    );
    // One red box per failing discovery (its last step), however many NXDOMAINs were on the way.
    let failing = page_.matches("<td class=\"fail\">").count();
    assert_eq!(failing, 8);
    assert_eq!(page_.matches("fill=\"#fbe3e4\"").count(), failing);
    // A trust-prompt sign-in is drawn apart from a clean one.
    let (code, page_) = page("cross-domain-srv");
    assert_eq!(
        code,
        Some(1),
        "the phone inside fails (see lab_scenarios_show_how_clients_react)"
    );
    assert!(page_.contains("<td class=\"prompt\">"));
    assert!(page_.contains("fill=\"#fff0c2\""));
    assert_eq!(
        page_.matches("fill=\"#fbe3e4\"").count(),
        1,
        "only the phone inside fails: one red box"
    );
}

/// Issue 16 point 7 (part): the lab never exercised a user homed Online. With a shared SIP address space the
/// lab adds one, and Autodiscover's user-level redirect to Online is followed (docs/lync.md §3.5; S37).
#[test]
fn the_lab_exercises_an_online_homed_user_of_the_hybrid_example_issue_16() {
    let hybrid =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/hybrid.toml");
    let out = lyncdns(&["lab", "--deployment", hybrid.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let online: Vec<_> = v
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["sip_uri"] == "lab-online@litwareinc.com")
        .collect();
    assert_eq!(online.len(), 10);
    for d in online
        .iter()
        .filter(|d| ["desktop", "store", "mobile"].contains(&d["client"].as_str().unwrap()))
    {
        let outcome = &d["verdict"]["outcome"];
        assert_eq!(outcome["kind"], "redirected-online", "{d}");
        assert_eq!(outcome["user_homed"], true, "{d}");
    }
}
