//! Every example parses; every example with an unknown key added to any of its tables is rejected with a clear,
//! located message; broken topologies are rejected with the file:line:column and field of the problem.

use std::path::{Path, PathBuf};

use lyncdns_model::{Problem, load};
use toml::{Table, Value};

fn examples() -> Vec<(PathBuf, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut out: Vec<(PathBuf, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .collect();
    out.sort();
    assert!(out.len() >= 4);
    out
}

#[test]
fn every_example_loads() {
    for (path, text) in examples() {
        if let Err(e) = load(&text, &path.display().to_string()) {
            panic!("{e}");
        }
    }
}

/// A step from a table to one of its tables.
#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

/// Paths of every table in `value` (the root included), through arrays of tables and inline tables.
fn table_paths(value: &Value, here: Vec<Step>, out: &mut Vec<Vec<Step>>) {
    match value {
        Value::Table(t) => {
            out.push(here.clone());
            for (k, v) in t {
                let mut next = here.clone();
                next.push(Step::Key(k.clone()));
                table_paths(v, next, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                let mut next = here.clone();
                next.push(Step::Index(i));
                table_paths(v, next, out);
            }
        }
        _ => {}
    }
}

fn table_at<'a>(root: &'a mut Value, path: &[Step]) -> &'a mut Table {
    let mut v = root;
    for step in path {
        v = match step {
            Step::Key(k) => v.as_table_mut().unwrap().get_mut(k).unwrap(),
            Step::Index(i) => v.as_array_mut().unwrap().get_mut(*i).unwrap(),
        };
    }
    v.as_table_mut().unwrap()
}

#[test]
fn an_unknown_key_anywhere_is_rejected_with_its_location() {
    let mut checked = 0;
    for (path, text) in examples() {
        let root: Value = Value::Table(toml::from_str(&text).unwrap());
        let mut paths = Vec::new();
        table_paths(&root, Vec::new(), &mut paths);
        for p in paths {
            let mut changed = root.clone();
            table_at(&mut changed, &p).insert("lyncdns_bogus_key".into(), Value::Integer(1));
            let text = toml::to_string(&changed).unwrap();
            let err = match load(&text, "changed.toml") {
                Ok(_) => panic!("{}: unknown key at {p:?} was accepted", path.display()),
                Err(e) => e,
            };
            let first = &err.0[0];
            assert!(
                matches!(&first.problem, Problem::Syntax { message } if message.contains("unknown field `lyncdns_bogus_key`") && message.contains("expected")),
                "{}: {p:?}: unclear message: {err}",
                path.display()
            );
            let line = text
                .lines()
                .position(|l| l.contains("lyncdns_bogus_key"))
                .unwrap()
                + 1;
            assert_eq!(
                first.line,
                line,
                "{}: {p:?}: wrong line in {err}",
                path.display()
            );
            assert!(
                err.to_string()
                    .starts_with(&format!("changed.toml:{line}:")),
                "{err}"
            );
            checked += 1;
        }
    }
    assert!(checked > 40, "only {checked} tables were checked");
}

/// Loads the embedded example with `from` replaced by `to`, and returns the error text.
fn broken(from: &str, to: &str) -> String {
    let text = lyncdns_model::EMBEDDED_EXAMPLE;
    assert!(text.contains(from), "{from}");
    match load(&text.replacen(from, to, 1), "lab.toml") {
        Ok(_) => panic!("accepted with {to}"),
        Err(e) => e.to_string(),
    }
}

/// 1-based line of the first occurrence of `needle` in the embedded example.
fn line_of(needle: &str) -> usize {
    lyncdns_model::EMBEDDED_EXAMPLE
        .lines()
        .position(|l| l.contains(needle))
        .unwrap()
        + 1
}

#[test]
fn topology_errors_name_file_line_field_and_fix() {
    let line = line_of("external_fqdn = \"lyncwebext.lyncdude.net\"");
    let e = broken(
        "external_fqdn = \"lyncwebext.lyncdude.net\"",
        "external_fqdn = \"lyncwebint.lyncdude.net\"",
    );
    assert!(e.starts_with(&format!("lab.toml:{line}:17: error in `pools[0].web.external_fqdn`: the internal and external web services FQDNs are both")), "{e}");
    assert!(e.contains("help: "), "{e}");

    let e = broken("version = 1", "version = 2");
    assert!(
        e.starts_with("lab.toml:9:11: error in `version`: unsupported version 2"),
        "{e}"
    );

    let line = line_of("addresses = [\"203.0.113.20\"]");
    let e = broken(
        "addresses = [\"203.0.113.20\"]",
        "addresses = [\"192.168.1.20\"]",
    );
    assert!(e.starts_with(&format!("lab.toml:{line}:13: error in `reverse_proxy.addresses`: 192.168.1.20 is a private (RFC 1918) address")), "{e}");
    assert!(e.contains("allow_private_external"), "{e}");

    let e = broken(
        "product = \"skype-2015\"",
        "product = \"skype-2019\"\n[features]\nxmpp = true\n#",
    );
    assert!(e.contains("duplicate key") || e.contains("XMPP"), "{e}");

    let e = broken(
        "internal_fqdn = \"lyncedge01.lyncdude.net\"",
        "internal_fqdn = \"edge.elsewhere.org\"",
    );
    assert!(e.contains("error in `edge.internal_fqdn`: `edge.elsewhere.org` is not inside any internal zone (lyncdude.net)"), "{e}");

    let e = broken(
        "fqdn = \"access.lyncdude.net\"",
        "fqdn = \"access_edge.lyncdude.net\"",
    );
    assert!(
        e.contains("`access_edge.lyncdude.net` is not a valid host name") && e.contains("`_`"),
        "{e}"
    );

    let e = broken(
        "clients = [\"0.0.0.0/0\", \"::/0\"]",
        "clients = [\"0.0.0.0/33\"]",
    );
    assert!(
        e.contains("error in `views.clients`") || e.contains("invalid"),
        "{e}"
    );

    let e = broken(
        "meet = [\"meet.lyncdude.net\"]",
        "meet = [\"lyncwebint.lyncdude.net\"]",
    );
    assert!(
        e.contains("`lyncwebint.lyncdude.net` is already used by `pools[0].web.internal_fqdn`"),
        "{e}"
    );

    let e = broken("[reverse_proxy]\naddresses = [\"203.0.113.20\"]", "");
    assert!(e.contains("mobility needs a [reverse_proxy] table"), "{e}");
}

#[test]
fn xmpp_is_refused_on_skype_2019() {
    let text = lyncdns_model::EMBEDDED_EXAMPLE
        .replace("product = \"skype-2015\"", "product = \"skype-2019\"")
        .replace(
            "legacy_clients = true",
            "legacy_clients = true\nxmpp = true",
        );
    let e = load(&text, "x.toml").unwrap_err().to_string();
    let line = text.lines().position(|l| l == "xmpp = true").unwrap() + 1;
    assert!(e.starts_with(&format!("x.toml:{line}:8: error in `features.xmpp`: XMPP federation is not available in Skype for Business Server 2019")), "{e}");
}

#[test]
fn all_problems_are_reported_at_once() {
    let text = lyncdns_model::EMBEDDED_EXAMPLE
        .replace(
            "addresses = [\"203.0.113.20\"]",
            "addresses = [\"10.9.9.9\"]",
        )
        .replace(
            "external_fqdn = \"lyncwebext.lyncdude.net\"",
            "external_fqdn = \"lyncwebint.lyncdude.net\"",
        );
    let errors = load(&text, "x.toml").unwrap_err();
    assert!(errors.0.len() >= 2, "{errors}");
}

/// Regression (no false verdicts issue, point 8): deployment footguns that used to load silently.
#[test]
fn footguns_are_refused_with_their_place() {
    // An internal view for every client serves internal addresses to the Internet.
    let line = line_of("clients = [\"127.0.0.1/32\"");
    let e = broken(
        "clients = [\"127.0.0.1/32\"",
        "clients = [\"0.0.0.0/0\", \"127.0.0.1/32\"",
    );
    assert!(
        e.contains(&format!("lab.toml:{line}:"))
            && e.contains("error in `views[0].clients`: the internal view `internal` matches every client (0.0.0.0/0)"),
        "{e}"
    );
    // A view whose clients an earlier view already takes never matches.
    let e = broken(
        "clients = [\"0.0.0.0/0\", \"::/0\"]",
        "clients = [\"10.1.0.0/16\"]",
    );
    assert!(
        e.contains("error in `views[1].clients`: the view `external` never matches: its clients are all matched first by the view `internal`"),
        "{e}"
    );
    // Two servers with one address.
    let e = broken(
        "servers = [{ fqdn = \"lyncedge01.lyncdude.net\", addresses = [\"10.0.1.10\"] }]",
        "servers = [{ fqdn = \"lyncedge01.lyncdude.net\", addresses = [\"10.0.0.10\"] }]",
    );
    assert!(
        e.contains("error in `edge.servers[0].addresses`: 10.0.0.10 is the address of both `lyncfe01.lyncdude.net` and `lyncedge01.lyncdude.net`"),
        "{e}"
    );
}

/// Regression (point 8): a missing top-level table was reported "error in `version`" (the first key).
#[test]
fn a_missing_top_level_table_names_no_field() {
    let e = load("version = 1\n[[views]]\nname = \"a\"\nlocation = \"internal\"\nclients = [\"10.0.0.0/8\"]\n", "x.toml")
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("x.toml:1:1: error at the top level of the file: missing field `sip`"),
        "{e}"
    );
}

/// Issue 13: the TCP limits of `[serve]` are checked like the other settings, at their place.
#[test]
fn tcp_limits_out_of_range_are_refused_with_their_place() {
    let text = format!(
        "{}\n[serve]\ntcp_prefix_v4 = 33\ntcp_prefix_v6 = 129\ntcp_max_per_prefix = 0\ntcp_io_timeout_ms = 0\n",
        lyncdns_model::EMBEDDED_EXAMPLE
    );
    let e = match load(&text, "lab.toml") {
        Ok(_) => panic!("accepted"),
        Err(e) => e.to_string(),
    };
    let base = lyncdns_model::EMBEDDED_EXAMPLE.lines().count() + 2;
    for (line, field, what) in [
        (
            base + 1,
            "serve.tcp_prefix_v4",
            "33 is too large; the maximum is 32",
        ),
        (
            base + 2,
            "serve.tcp_prefix_v6",
            "129 is too large; the maximum is 128",
        ),
        (
            base + 3,
            "serve.tcp_max_per_prefix",
            "0 is too small; the minimum is 1",
        ),
        (
            base + 4,
            "serve.tcp_io_timeout_ms",
            "0 is too small; the minimum is 1",
        ),
    ] {
        assert!(
            e.contains(&format!("lab.toml:{line}:")) && e.contains(&format!("`{field}`: {what}")),
            "{field} at line {line}: {e}"
        );
    }
    let ok = format!(
        "{}\n[serve]\ntcp_prefix_v4 = 32\ntcp_prefix_v6 = 128\ntcp_max_per_prefix = 1\n",
        lyncdns_model::EMBEDDED_EXAMPLE
    );
    let d = load(&ok, "lab.toml").unwrap();
    assert_eq!(
        (
            d.serve.tcp_prefix_v4,
            d.serve.tcp_prefix_v6,
            d.serve.tcp_io_timeout_ms
        ),
        (32, 128, 2000)
    );
}

#[test]
fn issue15_a_bad_nt_hash_is_a_located_error_and_a_user_may_go_without_one() {
    let from = "nt_hash = \"9bf15d3185edc976c5a9767d00e9436d\"";
    let line = line_of(from);
    let e = broken(from, "nt_hash = \"Lab-Passw0rd!\"");
    assert!(
        e.starts_with(&format!(
            "lab.toml:{line}:11: error in `users[0].nt_hash`: not an NT hash (32 hex digits)"
        )),
        "{e}"
    );
    assert!(e.contains("hash-password --nt"), "{e}");
    let without = lyncdns_model::EMBEDDED_EXAMPLE.replace(from, "");
    let d = load(&without, "lab.toml").unwrap();
    assert!(d.users.iter().all(|u| u.nt_hash.is_none()));
    let with = load(lyncdns_model::EMBEDDED_EXAMPLE, "lab.toml").unwrap();
    assert_eq!(
        with.users[0].nt_hash.as_deref(),
        Some("9bf15d3185edc976c5a9767d00e9436d")
    );
}

/// Issue 12: DNS cookies and edns-tcp-keepalive are on by default; a cookie secret that is not 32 hexadecimal
/// digits is refused at its place, and a good one is read (RFC 9018 §4.4).
#[test]
fn cookie_and_keepalive_settings_default_on_and_a_bad_secret_is_located() {
    let d = load(lyncdns_model::EMBEDDED_EXAMPLE, "lab.toml").unwrap();
    assert!(d.serve.cookies && d.serve.tcp_keepalive && !d.serve.cookies_required);
    assert!(d.serve.cookie_secret.is_none());
    let text = format!(
        "{}\n[serve]\ncookie_secret = \"e5e973e5\"\n",
        lyncdns_model::EMBEDDED_EXAMPLE
    );
    let e = match load(&text, "lab.toml") {
        Ok(_) => panic!("accepted"),
        Err(e) => e.to_string(),
    };
    let line = lyncdns_model::EMBEDDED_EXAMPLE.lines().count() + 3;
    assert!(
        e.contains(&format!("lab.toml:{line}:"))
            && e.contains("cookie_secret")
            && e.contains("32 hexadecimal digits")
            && e.contains("got 8 characters"),
        "{e}"
    );
    let text = format!(
        "{}\n[serve]\ncookies = false\ncookies_required = true\ntcp_keepalive = false\ncookie_secret = \"E5E973E5A6B2A43F48E7DC849E37BFCF\"\n",
        lyncdns_model::EMBEDDED_EXAMPLE
    );
    let d = load(&text, "lab.toml").unwrap();
    assert!(!d.serve.cookies && d.serve.cookies_required && !d.serve.tcp_keepalive);
    assert_eq!(d.serve.cookie_secret.unwrap().0[0], 0xe5);
}
