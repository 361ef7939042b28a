//! The status page at `/` of the metrics listener, rendered by headless Chromium (issue 18: both views, their
//! zones with serials, the last reload), and the Grafana dashboard in `contrib/grafana/lyncdns.json`, whose every
//! query names a metric `/metrics` serves.

mod support;

use std::net::SocketAddr;

use support::{Serve, chromium_dump_dom, http_get, root};

/// A `serve` of a copy of the embedded example with a metrics listener, and the metrics address.
fn serve_with_metrics(dir: &std::path::Path) -> (Serve, SocketAddr, std::path::PathBuf) {
    let file = dir.join("deployment.toml");
    std::fs::write(&file, lyncdns_model::EMBEDDED_EXAMPLE).unwrap();
    let mut s = Serve::start(&[file.to_str().unwrap(), "--metrics", "127.0.0.1:0"]);
    let line = s.wait_for("metrics listening");
    let addr = line
        .split("addr=")
        .nth(1)
        .and_then(|a| a.split_whitespace().next())
        .expect("addr= in the metrics line")
        .parse()
        .unwrap();
    (s, addr, file)
}

#[test]
fn chromium_renders_both_views_their_zones_with_serials_and_the_last_reload() {
    let dir = tempfile::tempdir().unwrap();
    let (mut s, metrics, file) = serve_with_metrics(dir.path());
    assert_eq!(s.a("sip.lyncdude.net", "127.0.0.1"), ["10.0.0.10"]);
    assert_eq!(s.a("sip.lyncdude.net", "127.0.0.2"), ["203.0.113.10"]);
    // A reload that fails: the page says when and why, and the old data keeps serving.
    std::fs::write(
        &file,
        lyncdns_model::EMBEDDED_EXAMPLE.replace("mobility = true", "mobilty = true"),
    )
    .unwrap();
    s.signal(libc::SIGHUP);
    s.wait_for("reload failed");

    let Some(dom) = chromium_dump_dom(&format!("http://{metrics}/")) else {
        return;
    };
    for part in [
        "<title>lyncdns status</title>",
        "<h3 class=\"view\">View internal</h3>",
        "<h3 class=\"view\">View external</h3>",
        "Clients: 127.0.0.1/32",
        "<td>lyncdude.net</td><td class=\"n\">2026112501</td>",
        "<span class=\"failed\">failed</span> at ",
        "still serving the previous data",
        "unknown field `mobilty`",
        "(reloads: 0 ok, 1 failed)",
        "<tr><td>NOERROR</td><td class=\"n\">1</td></tr>",
        "<tr><td>TCP connections accepted</td>",
    ] {
        assert!(dom.contains(part), "`{part}` missing in the page:\n{dom}");
    }
    // The same page over plain HTTP, byte for byte what the browser got (no script changed it).
    let html = http_get(metrics, "/");
    assert!(html.contains("<meta http-equiv=\"refresh\" content=\"10\">"));
    assert!(!html.contains("<script"));
}

#[test]
fn every_metric_the_grafana_dashboard_queries_is_served() {
    let text = std::fs::read_to_string(root().join("contrib/grafana/lyncdns.json")).unwrap();
    let dashboard: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    let mut exprs = Vec::new();
    for panel in dashboard["panels"].as_array().expect("panels") {
        assert!(panel["title"].as_str().is_some_and(|t| !t.is_empty()));
        for target in panel["targets"].as_array().expect("targets") {
            exprs.push(target["expr"].as_str().expect("expr").to_owned());
        }
    }
    assert!(exprs.len() >= 10, "{exprs:?}");

    let dir = tempfile::tempdir().unwrap();
    let (s, metrics, _) = serve_with_metrics(dir.path());
    // One answer, so the per-query series exist.
    assert_eq!(s.a("sip.lyncdude.net", "127.0.0.1"), ["10.0.0.10"]);
    let served = http_get(metrics, "/metrics");
    let names: std::collections::BTreeSet<&str> = served
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| l.split(['{', ' ']).next())
        .collect();
    let mut queried = std::collections::BTreeSet::new();
    for expr in &exprs {
        let mut rest = expr.as_str();
        while let Some(at) = rest.find("lyncdns_") {
            let name: String = rest[at..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            rest = &rest[at + name.len()..];
            queried.insert(name);
        }
    }
    for name in &queried {
        assert!(
            names.contains(name.as_str()),
            "the dashboard queries {name}, which /metrics does not serve: {names:?}"
        );
    }
    // And every metric served is on the dashboard.
    for name in &names {
        let family = name
            .trim_end_matches("_bucket")
            .trim_end_matches("_sum")
            .trim_end_matches("_count");
        assert!(
            queried.iter().any(|q| q.starts_with(family)),
            "{name} is not on the dashboard"
        );
    }
}

/// Issue 18 with issue 14 landed: the page of a server with transfer keys names each view's keys (never a
/// secret) and its NOTIFY targets, and counts transfers.
#[test]
fn the_page_shows_each_views_transfer_keys_and_notify_targets_but_no_secret() {
    let example = root().join("examples/transfer.toml");
    let mut s = Serve::start(&[example.to_str().unwrap(), "--metrics", "127.0.0.1:0"]);
    let line = s.wait_for("metrics listening");
    let metrics: SocketAddr = line
        .split("addr=")
        .nth(1)
        .and_then(|a| a.split_whitespace().next())
        .expect("addr= in the metrics line")
        .parse()
        .unwrap();
    let page = http_get(metrics, "/");
    assert!(
        page.contains("Transfers: keys xfr-internal.lyncdude.net"),
        "{page}"
    );
    assert!(
        page.contains("Transfers: keys xfr-external.lyncdude.net"),
        "{page}"
    );
    assert!(page.contains("NOTIFY to 127.0.0.1:5399"), "{page}");
    assert!(page.contains("<h2>Zone transfers</h2>"), "{page}");
    let text = std::fs::read_to_string(&example).unwrap();
    for secret in text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("secret = \""))
        .map(|l| l.trim_end_matches('"'))
    {
        assert!(!page.contains(secret), "a secret on the page");
    }
}
