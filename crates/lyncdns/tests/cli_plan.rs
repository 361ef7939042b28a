//! `lyncdns plan` end to end: the binary's output, files and errors.

mod support;

use support::{examples, lyncdns};

#[test]
fn plan_without_a_file_prints_the_embedded_example() {
    let out = lyncdns(&["plan"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("DNS plan for lyncdude.net"), "{text}");
    for needle in [
        "== view internal",
        "== view external",
        "_sipinternaltls._tcp.lyncdude.net",
        "lyncdiscover.anotherdomain.com",
        "Notes",
    ] {
        assert!(text.contains(needle), "missing {needle}");
    }
}

#[test]
fn json_is_valid_and_view_filter_applies() {
    let out = lyncdns(&["plan", "--format", "json", "--view", "external"]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let views = v["views"].as_array().unwrap();
    assert_eq!(views.len(), 1);
    assert_eq!(views[0]["name"], "external");
    let all = serde_json::to_string(&views[0]).unwrap();
    assert!(
        !all.contains("10.0.0.10"),
        "internal address in the external view"
    );
}

#[test]
fn unknown_view_is_an_error_naming_the_views() {
    let out = lyncdns(&["plan", "--view", "dmz"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no view named `dmz` (views: internal, external)"),
        "{err}"
    );
}

#[test]
fn zone_files_are_written_per_view_and_zone() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("zones");
    let out = lyncdns(&[
        "plan",
        "--format",
        "zone",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for f in [
        "internal/lyncdude.net.zone",
        "internal/sip.anotherdomain.com.zone",
        "external/lyncdude.net.zone",
        "external/anotherdomain.com.zone",
    ] {
        assert!(out_dir.join(f).is_file(), "{f} missing");
    }
    let external = std::fs::read_to_string(out_dir.join("external/lyncdude.net.zone")).unwrap();
    assert!(external.contains("$ORIGIN lyncdude.net."));
    assert!(
        !external.contains("10.0."),
        "internal address in an external zone file"
    );
}

#[test]
fn certs_list_lyncdiscover_for_every_domain_on_the_reverse_proxy() {
    let out = lyncdns(&["plan", "--certs"]);
    let text = String::from_utf8(out.stdout).unwrap();
    let rp = text
        .split("Reverse proxy")
        .nth(1)
        .expect("a reverse proxy certificate");
    assert!(
        rp.contains("lyncdiscover.lyncdude.net") && rp.contains("lyncdiscover.anotherdomain.com"),
        "{rp}"
    );
}

#[test]
fn every_example_plans_in_every_format() {
    for file in examples() {
        for format in ["table", "json", "zone", "bind-views", "powershell"] {
            let out = lyncdns(&["plan", file.to_str().unwrap(), "--format", format]);
            assert!(
                out.status.success(),
                "{} {format}: {}",
                file.display(),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(!out.stdout.is_empty());
        }
    }
}

#[test]
fn a_bad_file_fails_with_its_location_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    let text = lyncdns_model::EMBEDDED_EXAMPLE.replace("mobility = true", "mobilty = true");
    std::fs::write(&bad, &text).unwrap();
    let out_dir = dir.path().join("out");
    let out = lyncdns(&[
        "plan",
        bad.to_str().unwrap(),
        "--format",
        "zone",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let line = text.lines().position(|l| l.starts_with("mobilty")).unwrap() + 1;
    assert!(err.contains(&format!("bad.toml:{line}:1: error in `features.mobilty`: unknown field `mobilty`, expected one of `mobility`")), "{err}");
    assert!(!out_dir.exists());
}

#[test]
fn a_missing_file_is_a_clear_error() {
    let out = lyncdns(&["plan", "/nonexistent/deployment.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("cannot read deployment file /nonexistent/deployment.toml")
    );
}

#[test]
fn bind_secondary_needs_a_primary_and_writes_the_keys() {
    let example = support::root().join("examples/transfer.toml");
    let out = support::lyncdns(&[
        "plan",
        example.to_str().unwrap(),
        "--format",
        "bind-secondary",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--primary ADDR:PORT"));
    let out = support::lyncdns(&["plan", "--format", "table", "--primary", "127.0.0.1:53"]);
    assert!(!out.status.success());
    let out = support::lyncdns(&[
        "plan",
        example.to_str().unwrap(),
        "--format",
        "bind-secondary",
        "--primary",
        "127.0.0.1:5300",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("key \"xfr-internal.lyncdude.net\" {"),
        "{text}"
    );
    assert!(
        text.contains("primaries { 127.0.0.1 port 5300 key \"xfr-external.lyncdude.net\"; };"),
        "{text}"
    );
}

#[test]
fn windows_secondary_takes_a_bare_address_for_port_53_and_refuses_another_port() {
    let example = support::root().join("examples/transfer.toml");
    let plan = |primary: &str| {
        support::lyncdns(&[
            "plan",
            example.to_str().unwrap(),
            "--format",
            "windows-secondary",
            "--view",
            "external",
            "--primary",
            primary,
        ])
    };
    let out = plan("192.0.2.53");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Add-DnsServerSecondaryZone -Name 'lyncdude.net' -ZoneFile 'lyncdude.net.dns' -MasterServers '192.0.2.53' }"),
        "{text}"
    );
    assert!(
        !text.contains("view `internal`"),
        "--view keeps one script: {text}"
    );
    assert!(!text.contains("secret"), "no key goes to Windows: {text}");
    let out = plan("192.0.2.53:5300");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("port 53 only"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
