//! `lyncdns lint` on the seed article's records (`tests/seed/`): its known errors are reported with the right
//! codes and lines; exit codes; `--explain`; JSON.

mod support;

use support::{lyncdns, root};

fn seed(name: &str) -> String {
    root().join("tests/seed").join(name).display().to_string()
}

#[test]
fn the_seed_articles_errors_are_found() {
    let out = lyncdns(&["lint", &seed("external.zone"), "--view", "external"]);
    assert_eq!(out.status.code(), Some(1), "findings exit 1");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("error[LD001]: SRV owner `_sipfederationtls_.tcp.lyncdude.net` is misspelt; clients ask for `_sipfederationtls._tcp.lyncdude.net`"), "{text}");
    assert!(text.contains("external.zone:12\n"), "{text}");
    assert!(
        text.contains(
            "error[LD006]: `sip.lyncdude.net` resolves to 203.0.113.20, the reverse proxy's address"
        ),
        "{text}"
    );
    assert!(
        text.contains("error[LD005]: `_sip._tls.lyncdude.net` has port 5061; _sip._tls uses 443"),
        "{text}"
    );
    let out = lyncdns(&[
        "lint",
        &seed("internal.zone"),
        &seed("anotherdomain.zone"),
        "--view",
        "internal",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("error[LD004]: `_sipinternaltls._tcp.anotherdomain.com` points at `sip.lyncdude.net`, outside anotherdomain.com"), "{text}");
    assert!(text.contains("anotherdomain.zone:6\n"), "{text}");
    assert!(
        text.contains("warning[LD011]: `lyncdiscoverinternal.lyncdude.net` is missing"),
        "{text}"
    );
}

#[test]
fn the_seed_against_the_corrected_deployment_lists_what_is_missing() {
    let out = lyncdns(&[
        "lint",
        &seed("external.zone"),
        "--deployment",
        &root().join("examples/lyncdude.toml").display().to_string(),
        "--view",
        "external",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let messages: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "LD010")
        .map(|f| f["message"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("`_sip._tls.lyncdude.net SRV 0 0 443 access.lyncdude.net.`")),
        "{messages:#?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("`sip.lyncdude.net A 203.0.113.10`")),
        "{messages:#?}"
    );
}

#[test]
fn clean_zones_exit_0_and_bad_input_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = lyncdns(&[
        "plan",
        "--format",
        "zone",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let zone = dir.path().join("external/lyncdude.net.zone");
    let out = lyncdns(&["lint", zone.to_str().unwrap(), "--view", "external"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 error(s), 0 warning(s)"));
    let bad = dir.path().join("bad.zone");
    std::fs::write(
        &bad,
        "$ORIGIN x.test.\n@ 300 IN SOA ns h 1 2 3 4 5\nfoo 300 IN A 999.1.1.1\n",
    )
    .unwrap();
    // A syntax error is a finding about the file (LD015), at its line; only a file that cannot be read, or bad
    // arguments, mean the lint could not run.
    let out = lyncdns(&["lint", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("error[LD015]") && text.contains("bad.zone:3\n"),
        "{text}"
    );
    let out = lyncdns(&["lint", dir.path().join("missing.zone").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn explain_prints_the_rule() {
    let out = lyncdns(&["lint", "--explain", "LD004"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("LD004 srv-target-outside-domain (error)"),
        "{text}"
    );
    assert!(text.contains("[S23]") && text.contains("Fix: "), "{text}");
    // Each cited source is resolved to its title and address, not left as a bare key.
    assert!(
        text.contains("[S23] Lync Phone Edition CU7 Registration Issues")
            && text.contains("https://blog.schertz.name/"),
        "{text}"
    );
    assert_eq!(
        lyncdns(&["lint", "--explain", "LD999"]).status.code(),
        Some(2)
    );
}

/// Regression (no false verdicts issue, point 5): piping a printing command into `head` panicked in `println!`
/// (exit 101 with a backtrace). Now it ends quietly, killed by SIGPIPE as Unix tools are.
#[test]
fn a_closed_pipe_ends_printing_commands_quietly() {
    use std::os::unix::process::ExitStatusExt;
    use std::process::{Command, Stdio};
    for args in [
        &["lint", "--explain", "LD004"][..],
        &["lab", "--list-scenarios"][..],
        &["plan", "--format", "zone"][..],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_lyncdns"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The reader goes away before the first line is written.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_ne!(out.status.code(), Some(101), "{args:?}: {stderr}");
        assert!(
            out.status.success() || out.status.signal() == Some(libc::SIGPIPE),
            "{args:?}: {:?} {stderr}",
            out.status
        );
    }
}

/// Runs `lyncdns lint` with `args` and returns (exit code, the findings' JSON, stderr).
fn lint_json(args: &[&str]) -> (Option<i32>, serde_json::Value, String) {
    let mut all = vec!["lint", "--json"];
    all.extend_from_slice(args);
    let out = lyncdns(&all);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    (out.status.code(), v, stderr)
}

/// (code, line) of every finding.
fn codes_and_lines(v: &serde_json::Value) -> Vec<(String, u64)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_owned(),
                f["origin"]["line"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

/// Regression (exports and lint issue): a Windows `dnscmd /ZoneExport` file (no `$ORIGIN`, `[AGING:n]`, WINS)
/// exited 2 ("`@` without $ORIGIN"). Now the origin comes from the file name, the view is inferred and said,
/// and the findings are at their lines.
#[test]
fn a_windows_export_is_linted_with_findings_at_their_lines() {
    let file = root().join("tests/windows/lyncdude.net.dns");
    let (code, v, stderr) = lint_json(&[file.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{stderr}");
    let found = codes_and_lines(&v);
    assert!(found.contains(&("LD001".into(), 26)), "{found:?}");
    assert!(found.iter().any(|(c, _)| c == "LD011"), "{found:?}");
    assert!(
        !found.iter().any(|(c, _)| c == "LD015" || c == "LD016"),
        "{found:?}"
    );
    assert!(
        stderr.contains("origin lyncdude.net, taken from the file name"),
        "{stderr}"
    );
    assert!(
        stderr.contains("1 Windows WINS record(s) skipped"),
        "{stderr}"
    );
    assert!(stderr.contains("read as the internal view"), "{stderr}");
}

/// Regression: a zone with no SOA and no NS passed (named-checkzone and kzonecheck reject it); out-of-zone data
/// was ignored silently; only the first syntax error was reported.
#[test]
fn zone_level_errors_and_every_syntax_error_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("contoso.com.zone");
    std::fs::write(
        &path,
        "sip A 192.0.2.10\nbad A 300.0.0.1\n_sip._tls SRV 0 0 x sip\nwww.fabrikam.com. A 192.0.2.11\nlyncdiscover A 192.0.2.12\n",
    )
    .unwrap();
    let (code, v, stderr) = lint_json(&[path.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{stderr}");
    let found = codes_and_lines(&v);
    for expected in [
        ("LD015", 2),
        ("LD015", 3),
        ("LD016", 0),
        ("LD017", 0),
        ("LD018", 4),
    ] {
        assert!(
            found.contains(&(expected.0.to_owned(), expected.1)),
            "{expected:?} not in {found:?}"
        );
    }
}

/// `--origin` names the zone of a file without `$ORIGIN`; `$INCLUDE` is read relative to the file.
#[test]
fn origin_option_and_include() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("srv.inc"), "_sip._tls SRV 0 0 443 sip\n").unwrap();
    let path = dir.path().join("zonefile");
    std::fs::write(
        &path,
        "@ SOA ns h 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\nsip A 192.0.2.10\n$INCLUDE srv.inc\n",
    )
    .unwrap();
    let (code, v, stderr) = lint_json(&[
        path.to_str().unwrap(),
        "--origin",
        "contoso.com",
        "--view",
        "external",
    ]);
    assert_eq!(code, Some(0), "{v} {stderr}");
    // Without the origin the relative names cannot be read: every one is reported, nothing else.
    let (_, v, stderr) = lint_json(&[path.to_str().unwrap()]);
    assert!(stderr.contains("give --origin"), "{stderr}");
    assert!(codes_and_lines(&v).iter().all(|(c, _)| c == "LD015"), "{v}");
}

/// Regression: `--deployment` with one zone file reported LD010 for the deployment's other zones, never given.
#[test]
fn the_plan_is_compared_only_for_the_zones_given() {
    let (_, v, _) = lint_json(&[
        &seed("anotherdomain.zone"),
        "--deployment",
        &root().join("examples/lyncdude.toml").display().to_string(),
        "--view",
        "internal",
    ]);
    let ld010: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "LD010")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(
        !ld010.is_empty(),
        "anotherdomain.com's own missing records are still reported"
    );
    assert!(
        ld010.iter().all(|m| m.contains("anotherdomain.com")),
        "{ld010:#?}"
    );
}
