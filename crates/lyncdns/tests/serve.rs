//! `lyncdns serve` as a process: the listener log line, `--check`, hot reload on SIGHUP (a bad file keeps the
//! old data serving), zone files per view, and graceful shutdown on SIGTERM.

mod support;

use support::{Serve, lyncdns};

#[test]
fn check_reports_or_fails() {
    let out = lyncdns(&["serve", "--check"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("ok: internal (5 zones, 26 records); external (2 zones, 21 records)"),
        "{text}"
    );
    let dir = tempfile::tempdir().unwrap();
    let zone = dir.path().join("bad.zone");
    std::fs::write(
        &zone,
        "$ORIGIN lyncdude.net.\n@ 300 IN SOA ns h 1 2 3 4 5\nsip 300 IN A 10.0.0.300\n",
    )
    .unwrap();
    let out = lyncdns(&[
        "serve",
        "--check",
        "--zone",
        &format!("internal={}", zone.display()),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.zone:3:"), "{err}");
    let out = lyncdns(&[
        "serve",
        "--check",
        "--zone",
        &format!("dmz={}", zone.display()),
    ]);
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("there is no view named `dmz` (views: internal, external)")
    );
}

#[test]
fn sighup_reloads_and_a_bad_file_keeps_the_old_data() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("deployment.toml");
    std::fs::write(&file, lyncdns_model::EMBEDDED_EXAMPLE).unwrap();
    let mut s = Serve::start(&[file.to_str().unwrap()]);
    assert_eq!(s.a("sip.lyncdude.net", "127.0.0.1"), ["10.0.0.10"]);
    assert_eq!(s.a("sip.lyncdude.net", "127.0.0.2"), ["203.0.113.10"]);

    // A broken file: the error is logged with its place, and the old data keeps serving.
    std::fs::write(
        &file,
        lyncdns_model::EMBEDDED_EXAMPLE.replace("mobility = true", "mobilty = true"),
    )
    .unwrap();
    s.signal(libc::SIGHUP);
    let line = s.wait_for("reload failed");
    assert!(
        line.contains("deployment.toml:") && line.contains("unknown field `mobilty`"),
        "{line}"
    );
    assert_eq!(s.a("sip.lyncdude.net", "127.0.0.2"), ["203.0.113.10"]);

    // A good change is picked up.
    std::fs::write(
        &file,
        lyncdns_model::EMBEDDED_EXAMPLE.replace("203.0.113.10", "203.0.113.99"),
    )
    .unwrap();
    s.signal(libc::SIGHUP);
    s.wait_for("reloaded");
    assert_eq!(s.a("sip.lyncdude.net", "127.0.0.2"), ["203.0.113.99"]);
    assert_eq!(s.a("sip.lyncdude.net", "127.0.0.1"), ["10.0.0.10"]);

    s.signal(libc::SIGTERM);
    s.wait_for("DNS server stopped");
    let status = s.wait();
    assert!(status.success(), "graceful shutdown exits 0");
}

/// Issue 13, item 7: `[serve]` settings changed in the file were silently ignored on reload. Those that can change
/// live are applied (the query log, TCP limits); each that needs a restart is named in a warning.
#[test]
fn issue13_sighup_applies_live_serve_settings_and_names_those_that_need_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("deployment.toml");
    std::fs::write(&file, lyncdns_model::EMBEDDED_EXAMPLE).unwrap();
    let mut s = Serve::start(&[file.to_str().unwrap()]);
    assert_eq!(s.a("sip.lyncdude.net", "127.0.0.2"), ["203.0.113.10"]);

    let changed = format!(
        "{}\n[serve]\nquery_log = true\ntcp_max_per_prefix = 8\nmetrics = \"127.0.0.1:0\"\ntoken_lifetime_s = 60\nworkers = 3\n",
        lyncdns_model::EMBEDDED_EXAMPLE
    );
    std::fs::write(&file, changed).unwrap();
    s.signal(libc::SIGHUP);
    // `workers` is also given on the command line (by the helper), so the file's value changes nothing.
    let metrics = s.wait_for("serve.metrics");
    assert!(
        metrics.contains("WARN") && metrics.contains("restart"),
        "{metrics}"
    );
    let tokens = s.wait_for("serve.token_lifetime_s");
    assert!(tokens.contains("restart"), "{tokens}");
    let applied = s.wait_for("applied the reloaded");
    assert!(
        applied.contains("query_log=true") && applied.contains("max_per_prefix: 8"),
        "{applied}"
    );
    s.wait_for("reloaded");
    // The query log is on without a restart.
    assert_eq!(s.a("sip.lyncdude.net", "127.0.0.2"), ["203.0.113.10"]);
    let line = s.wait_for("lyncdns::query");
    assert!(line.contains("qname=sip.lyncdude.net"), "{line}");
    s.signal(libc::SIGTERM);
    s.wait_for("DNS server stopped");
}

#[test]
fn zone_files_are_served_per_view() {
    let dir = tempfile::tempdir().unwrap();
    let zone = dir.path().join("lab.test.zone");
    std::fs::write(&zone, "$ORIGIN lab.test.\n$TTL 60\n@ IN SOA ns h 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\nhost A 192.0.2.7\n").unwrap();
    let s = Serve::start(&["--zone", &format!("external={}", zone.display())]);
    assert_eq!(s.a("host.lab.test", "127.0.0.2"), ["192.0.2.7"]);
    // The internal view does not have that zone.
    assert!(s.a("host.lab.test", "127.0.0.1").is_empty());
}

#[test]
fn the_query_log_names_client_view_name_type_and_rcode() {
    let mut s = Serve::start(&["--query-log"]);
    assert_eq!(s.a("sip.lyncdude.net", "127.0.0.2"), ["203.0.113.10"]);
    let line = s.wait_for("lyncdns::query");
    for part in [
        "src=127.0.0.2",
        "view=\"external\"",
        "qname=sip.lyncdude.net",
        "qtype=A",
        "rcode=\"NOERROR\"",
    ] {
        assert!(
            line.contains(part) || line.contains(&part.replace('"', "")),
            "{part} missing in {line}"
        );
    }
}
