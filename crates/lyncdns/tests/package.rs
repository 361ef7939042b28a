//! The Debian package's parts that live in the repository (issue 18): `lyncdns generate` (man pages and
//! completions from the clap definitions) and the systemd unit. `.ci/run` builds, installs and verifies the
//! package itself (`systemd-analyze verify`, the installed binary, `man -w`), then purges it.

mod support;

use support::{lyncdns, root};

#[test]
fn generate_writes_a_man_page_per_command_and_completions_for_bash_zsh_and_fish() {
    let dir = tempfile::tempdir().unwrap();
    let man = dir.path().join("man");
    let out = lyncdns(&["generate", "man", man.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    let mut pages: Vec<String> = std::fs::read_dir(&man)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    pages.sort();
    assert_eq!(
        pages,
        [
            "lyncdns-check.1",
            "lyncdns-discover.1",
            "lyncdns-hash-password.1",
            "lyncdns-lab.1",
            "lyncdns-lint.1",
            "lyncdns-plan.1",
            "lyncdns-serve.1",
            "lyncdns.1"
        ],
        "one page per visible command; the hidden `generate` has none"
    );
    let serve = std::fs::read_to_string(man.join("lyncdns-serve.1")).unwrap();
    assert!(
        serve.starts_with(".ie") || serve.contains(".TH lyncdns-serve 1"),
        "{serve}"
    );
    assert!(serve.contains("/etc/lyncdns/deployment.toml"));

    let completions = dir.path().join("completions");
    let out = lyncdns(&["generate", "completions", completions.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    for (file, marker) in [
        ("lyncdns.bash", "complete -F _lyncdns"),
        ("_lyncdns", "#compdef lyncdns"),
        ("lyncdns.fish", "complete -c lyncdns"),
    ] {
        let text = std::fs::read_to_string(completions.join(file)).unwrap();
        assert!(text.contains(marker), "{file}: no `{marker}`");
        assert!(
            text.contains("serve") && text.contains("default-config"),
            "{file}"
        );
    }
}

#[test]
fn the_unit_is_type_notify_reloads_with_sighup_and_keeps_only_cap_net_bind_service() {
    let unit = std::fs::read_to_string(root().join("debian/lyncdns.service")).unwrap();
    let directives: Vec<&str> = unit
        .lines()
        .filter(|l| !l.starts_with('#') && l.contains('='))
        .collect();
    for wanted in [
        "Type=notify",
        "ExecStart=/usr/bin/lyncdns serve /etc/lyncdns/deployment.toml",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "DynamicUser=yes",
        "AmbientCapabilities=CAP_NET_BIND_SERVICE",
        "CapabilityBoundingSet=CAP_NET_BIND_SERVICE",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "StateDirectory=lyncdns",
        "ConfigurationDirectory=lyncdns",
    ] {
        assert!(directives.contains(&wanted), "`{wanted}` missing");
    }
    let caps: Vec<&&str> = directives
        .iter()
        .filter(|d| d.contains("Capabilit"))
        .collect();
    assert_eq!(caps.len(), 2, "{caps:?}");
}
