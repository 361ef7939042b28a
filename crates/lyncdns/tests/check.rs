//! `lyncdns check` against a real `lyncdns serve` on loopback: a correct server is clean; deliberately broken
//! records are each found; a wildcard zone gives no false "ok"; 1,000 domains are checked in bulk.

mod support;

use std::fmt::Write as _;

use support::{Serve, lyncdns, root};

fn check_args(s: &Serve) -> Vec<String> {
    let a = s.addr.to_string();
    [
        "check",
        "--internal",
        &a,
        "--from-internal",
        "127.0.0.1",
        "--external",
        &a,
        "--from-external",
        "127.0.0.2",
    ]
    .iter()
    .map(|x| x.to_string())
    .collect()
}

fn run(args: &[String]) -> std::process::Output {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    lyncdns(&refs)
}

#[test]
fn a_correct_server_is_clean() {
    let s = Serve::start(&[]);
    let out = run(&check_args(&s));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("0 problem(s), 0 rule finding(s)"), "{text}");
}

#[test]
fn each_broken_record_is_found() {
    // The external view serves the seed article's broken zone instead of the planned one, plus an internal name.
    let dir = tempfile::tempdir().unwrap();
    let external = dir.path().join("external.zone");
    let seed = std::fs::read_to_string(root().join("tests/seed/external.zone")).unwrap();
    std::fs::write(&external, format!("{seed}lyncwebint IN A 10.0.0.10\n")).unwrap();
    let s = Serve::start(&["--zone", &format!("external={}", external.display())]);
    let mut args = check_args(&s);
    args.push("--json".into());
    let out = run(&args);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let status = |owner: &str, rtype: &str| -> Vec<String> {
        v["records"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["owner"] == owner && c["rtype"] == rtype)
            .map(|c| c["status"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        status("sip.lyncdude.net", "A"),
        ["ok", "wrong"],
        "inside ok; outside wrong data (the reverse proxy)"
    );
    assert_eq!(
        status("_sip._tls.lyncdude.net", "SRV"),
        ["wrong"],
        "port 5061 and target sip instead of access:443"
    );
    assert_eq!(
        status("_sipfederationtls._tcp.lyncdude.net", "SRV"),
        ["missing"],
        "the misspelt owner is not found"
    );
    assert_eq!(status("access.lyncdude.net", "A"), ["missing"]);
    assert!(
        status("lyncwebint.lyncdude.net", "A").contains(&"wrong-view".to_owned()),
        "an internal address answered outside"
    );
    let wrong = v["records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["owner"] == "sip.lyncdude.net" && c["view"] == "external")
        .unwrap();
    assert_eq!(wrong["expected"], "203.0.113.10");
    assert_eq!(wrong["found"][0], "203.0.113.20");
    let codes: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"LD006") && codes.contains(&"LD005"),
        "{codes:?}"
    );
    // The text report groups by view and feature.
    args.pop();
    let text = String::from_utf8_lossy(&run(&args).stdout).into_owned();
    assert!(text.contains("view external\n"), "{text}");
    assert!(
        text.contains("WRONG       sip.lyncdude.net A: expected 203.0.113.10, found 203.0.113.20"),
        "{text}"
    );
    assert!(
        text.contains(
            "WRONG VIEW  lyncwebint.lyncdude.net A 10.0.0.10 is answered to external clients"
        ),
        "{text}"
    );
}

#[test]
fn a_wildcard_zone_gives_no_false_ok() {
    let dir = tempfile::tempdir().unwrap();
    let zone = dir.path().join("wild.zone");
    std::fs::write(&zone, "$ORIGIN wild.test.\n$TTL 60\n@ IN SOA ns h 1 2 3 4 5\n@ IN NS ns\nns IN A 192.0.2.1\n* IN A 192.0.2.80\naccess IN A 192.0.2.10\n_sip._tls IN SRV 0 0 443 access.wild.test.\n").unwrap();
    let s = Serve::start(&["--zone", &format!("external={}", zone.display())]);
    let out = lyncdns(&[
        "check",
        "--domain",
        "wild.test",
        "--server",
        &s.addr.to_string(),
        "--from",
        "127.0.0.2",
        "--json",
        // The zone's addresses are documentation addresses: never dialled (TLS is tested in check_tls.rs).
        "--no-tls",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["wildcard"][0], "192.0.2.80");
    assert_eq!(
        v["found"]["lyncdiscover.wild.test A"]
            .as_array()
            .unwrap()
            .len(),
        0,
        "the wildcard's answer is not a lyncdiscover record"
    );
    assert!(
        v["missing"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m.as_str().unwrap().starts_with("lyncdiscover.wild.test"))
    );
    assert_eq!(v["kind"], "on-premises");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_thousand_domains_in_bulk() {
    let dir = tempfile::tempdir().unwrap();
    let mut deployment = lyncdns_model::EMBEDDED_EXAMPLE.to_owned();
    let mut list = String::from("# hosted SIP domains\n");
    let mut files = Vec::new();
    for i in 0..1000 {
        let d = format!("tenant{i}.test");
        let lyncdiscover = if i % 2 == 0 {
            "lyncdiscover IN A 203.0.113.20\n"
        } else {
            ""
        };
        let path = dir.path().join(format!("{d}.zone"));
        std::fs::write(&path, format!("$ORIGIN {d}.\n$TTL 60\n@ IN SOA ns1.lyncdude.net. h.lyncdude.net. 1 2 3 4 5\n@ IN NS ns1.lyncdude.net.\nsip IN A 203.0.113.10\n_sip._tls IN SRV 0 0 443 sip.{d}.\n_sipfederationtls._tcp IN SRV 0 0 5061 sip.{d}.\n{lyncdiscover}")).unwrap();
        files.push(format!("\"{}\"", path.display()));
        let _ = writeln!(list, "{d}");
    }
    deployment.push_str(&format!(
        "\n[serve.zone_files]\nexternal = [{}]\n",
        files.join(", ")
    ));
    // Thousands of queries a second from one external source are a flood to response rate limiting, which is on
    // for external views by default: off here, as on a server a checking host is allowed to query.
    deployment.push_str("\n[serve.rrl]\nresponses_per_second = 0\n");
    let file = dir.path().join("hosting.toml");
    std::fs::write(&file, deployment).unwrap();
    let domains = dir.path().join("domains.txt");
    std::fs::write(&domains, list).unwrap();
    let s = Serve::start(&[file.to_str().unwrap()]);
    let out = lyncdns(&[
        "check",
        "--domains",
        domains.to_str().unwrap(),
        "--server",
        &s.addr.to_string(),
        "--from",
        "127.0.0.2",
        "--concurrency",
        "32",
        "--rate",
        "50000",
        "--json",
    ]);
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1000);
    let missing_ld = lines
        .iter()
        .filter(|r| {
            r["missing"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m.as_str().unwrap().starts_with("lyncdiscover."))
        })
        .count();
    assert_eq!(missing_ld, 500, "every odd tenant lacks lyncdiscover");
    assert!(
        lines
            .iter()
            .all(|r| r["kind"] == "on-premises" && r["error"].is_null())
    );
    assert_eq!(out.status.code(), Some(1));
}

/// `check --domain` against a zone served as the external view of `lyncdns serve`, read as `view`.
fn check_zone(zone_text: &str, domain: &str, extra: &[&str]) -> (Option<i32>, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let zone = dir.path().join("z.zone");
    std::fs::write(&zone, zone_text).unwrap();
    let s = Serve::start(&["--zone", &format!("external={}", zone.display())]);
    let addr = s.addr.to_string();
    let mut args = vec![
        "check",
        "--domain",
        domain,
        "--server",
        &addr,
        "--from",
        "127.0.0.2",
        "--json",
        // The zones' addresses are documentation addresses: never dialled (TLS is tested in check_tls.rs).
        "--no-tls",
    ];
    args.extend_from_slice(extra);
    let out = lyncdns(&args);
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code(), v)
}

const HEAD: &str = "$TTL 60\n@ IN SOA ns h 1 2 3 4 5\n@ IN NS ns\nns IN A 192.0.2.1\n";

/// Regression (no false verdicts issue, point 1): a server that refuses every question, or that does not answer
/// at all, was reported "looks like: none", exit 0. Now it is "could not check", exit 2.
#[test]
fn a_refusing_or_dead_server_is_never_reported_clean() {
    let s = Serve::start(&[]);
    // lyncdns serve refuses names outside its zones.
    let out = lyncdns(&[
        "check",
        "--domain",
        "elsewhere.test",
        "--server",
        &s.addr.to_string(),
        "--from",
        "127.0.0.2",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("could not check") && text.contains("REFUSED"),
        "{text}"
    );
    // Nothing listens on a port just released.
    let dead = std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let out = lyncdns(&[
        "check",
        "--domain",
        "lyncdude.net",
        "--server",
        &dead.to_string(),
        "--timeout",
        "0.3",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("could not check"));
}

/// Regression (point 1): SRV targets were never resolved, so `_sip._tls → nowhere` counted as external sign-in.
#[test]
fn srv_targets_and_alias_chains_are_followed_to_addresses() {
    let (code, v) = check_zone(
        &format!(
            "$ORIGIN t.test.\n{HEAD}_sip._tls IN SRV 0 0 443 nowhere.t.test.\nsip IN A 192.0.2.10\nlyncdiscover IN CNAME gone.t.test.\n"
        ),
        "t.test",
        &[],
    );
    assert_eq!(code, Some(1));
    let missing: Vec<&str> = v["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    assert!(
        missing
            .iter()
            .any(|m| m.starts_with("nowhere.t.test: no address")),
        "{missing:?}"
    );
    assert!(
        missing
            .iter()
            .any(|m| m.starts_with("gone.t.test: no address")),
        "{missing:?}"
    );
}

/// Regression (point 1): the misspellings `lint` knows were never asked; a zone holding only the misspelt
/// federation record looked like it had none, with no hint why.
#[test]
fn misspelt_srv_owners_are_asked_and_reported() {
    let (code, v) = check_zone(
        &format!(
            "$ORIGIN t.test.\n{HEAD}_sipfederationtls_.tcp IN SRV 0 0 5061 sip.t.test.\nsip IN A 192.0.2.10\n"
        ),
        "t.test",
        &[],
    );
    assert_eq!(code, Some(1));
    let codes: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"LD001"), "{codes:?}");
}

/// Regression (point 1): answers from inside were read as the external view (false LD007 for private
/// addresses); `--view internal` says which view it is.
#[test]
fn the_view_decides_which_rules_apply() {
    let zone = format!(
        "$ORIGIN t.test.\n{HEAD}sip IN A 10.0.0.10\n_sip._tls IN SRV 0 0 443 sip.t.test.\n"
    );
    let (_, outside) = check_zone(&zone, "t.test", &[]);
    let (_, inside) = check_zone(&zone, "t.test", &["--view", "internal"]);
    let codes = |v: &serde_json::Value| -> Vec<String> {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(codes(&outside).contains(&"LD007".to_owned()), "{outside}");
    assert!(!codes(&inside).contains(&"LD007".to_owned()), "{inside}");
    assert_eq!(inside["location"], "internal");
}

/// Regression (point 1): garbage lines were checked as domains and duplicates twice. Now the file is refused,
/// naming every bad line, before anything is asked.
#[test]
fn a_domain_list_with_garbage_is_refused_with_its_lines() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("domains.txt");
    std::fs::write(
        &list,
        "# tenants\nlyncdude.net\nnot a domain!\nlyncdude.net\nlocalhost\n",
    )
    .unwrap();
    let out = lyncdns(&[
        "check",
        "--domains",
        list.to_str().unwrap(),
        "--server",
        "127.0.0.1:9",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("domains.txt:3: `not a domain!`"), "{err}");
    assert!(err.contains("domains.txt:5: `localhost`"), "{err}");
}

/// Regression (point 5): checking a deployment against a server that refuses was "MISSING … (REFUSED)", exit 1,
/// as if the records were absent. Now each is UNANSWERED and the check could not run: exit 2.
#[test]
fn a_deployment_checked_against_a_refusing_server_could_not_run() {
    // The embedded example's zones asked of a server that serves another deployment: REFUSED everywhere.
    let other = root().join("examples/corp-local.toml");
    let s = Serve::start(&[other.to_str().unwrap()]);
    let out = run(&check_args(&s));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("UNANSWERED") && !text.contains("MISSING"),
        "{text}"
    );
}
