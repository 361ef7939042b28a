//! Interop: a real BIND (`named`) configured with the catalog zones of `examples/catalog.toml` alone (RFC 9432;
//! `lyncdns plan --format bind-secondary` lists no member zone for a view with a catalog) provisions every zone of
//! both views from the catalogs, each with its view's TSIG key, and serves them as lyncdns does. A reload that
//! adds a SIP domain adds its zones to both catalogs (NOTIFY, IXFR of the catalog), and BIND adds and serves them
//! by itself. Skipped (with a message) without `named` and `dig`, unless `LYNCDNS_INTEROP=require`.

mod support;

use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::xfr::{answers, dig, example_notifying, questions};
use support::{Peer, Serve, free_port, interop_tool, lyncdns};

const KEYS: [(&str, &str, &str); 2] = [
    (
        "internal",
        "hmac-sha256:xfr-internal.lyncdude.net:2ZBA7qZ+5Xvu1pW8bzF3zj9m3pQm2y9kJ3xYQnK1s7E=",
        "catalog.internal.invalid",
    ),
    (
        "external",
        "hmac-sha256:xfr-external.lyncdude.net:b1o3Lr2bW7gGq9d0P2m3mN8vY1xJ5cT4kF6hS0aZ2uQ=",
        "catalog.external.invalid",
    ),
];

/// The member zones a catalog lists, from lyncdns's own AXFR of it with `key`.
fn members(dig_path: &std::path::Path, port: u16, key: &str, catalog: &str) -> BTreeSet<String> {
    dig(
        dig_path,
        &[
            "@127.0.0.1",
            "-p",
            &port.to_string(),
            "-y",
            key,
            catalog,
            "AXFR",
        ],
    )
    .lines()
    .filter(|l| !l.starts_with(';'))
    .filter_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        (f.len() == 5 && f[3] == "PTR" && f[0].ends_with(&format!(".zones.{catalog}.")))
            .then(|| f[4].trim_end_matches('.').to_owned())
    })
    .collect()
}

/// The zones of each view in lyncdns's plan of `deployment`.
fn planned(deployment: &std::path::Path) -> Vec<BTreeSet<String>> {
    let out = lyncdns(&["plan", deployment.to_str().unwrap(), "--format", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    plan["views"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            v["zones"]
                .as_array()
                .unwrap()
                .iter()
                .map(|z| z["origin"].as_str().unwrap().to_owned())
                .collect()
        })
        .collect()
}

/// Waits until BIND at `port` answers `zone`'s SOA authoritatively to a query signed with `key`.
fn wait_served(
    dig_path: &std::path::Path,
    port: u16,
    key: &str,
    zone: &str,
    until: Instant,
    log: &std::path::Path,
) {
    while !dig(
        dig_path,
        &[
            "@127.0.0.1",
            "-p",
            &port.to_string(),
            "-y",
            key,
            zone,
            "SOA",
            "+norec",
        ],
    )
    .contains("flags: qr aa")
    {
        assert!(
            Instant::now() < until,
            "BIND does not serve {zone} from the catalog: {}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn a_bind_secondary_with_only_the_catalogs_serves_every_zone_and_follows_a_new_domain() {
    let (Some(named), Some(dig_path)) = (
        interop_tool("named", "bind9"),
        interop_tool("dig", "bind9-dnsutils"),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // The example, its NOTIFY target moved to the free port BIND listens on.
    let port = free_port();
    let example = example_notifying(d, "catalog.toml", port);
    let text = std::fs::read_to_string(&example).unwrap();
    let mut primary = Serve::start(&[example.to_str().unwrap()]);
    let lport = primary.addr.port();
    let out = lyncdns(&[
        "plan",
        example.to_str().unwrap(),
        "--format",
        "bind-secondary",
        "--primary",
        &primary.addr.to_string(),
        "--out",
        d.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let exported = std::fs::read_to_string(d.join("named.conf.secondary")).unwrap();
    assert!(
        !exported.contains("zone \"lyncdude.net\""),
        "only the catalogs: {exported}"
    );

    // Each catalog lists exactly its view's planned zones.
    let zones = planned(&example);
    for ((view, key, catalog), planned) in KEYS.iter().zip(&zones) {
        assert_eq!(&members(&dig_path, lport, key, catalog), planned, "{view}");
    }

    let conf = d.join("named.conf");
    std::fs::write(
        &conf,
        format!(
            "options {{\n directory \"{0}\";\n listen-on port {port} {{ 127.0.0.1; }};\n listen-on-v6 {{ none; }};\n pid-file none;\n session-keyfile \"{0}/session.key\";\n managed-keys-directory \"{0}\";\n recursion no;\n dnssec-validation no;\n}};\ninclude \"{0}/named.conf.secondary\";\n",
            d.display()
        ),
    )
    .unwrap();
    let log = d.join("named.log");
    let _named = Peer(
        Command::new(&named)
            .args(["-g", "-c", conf.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start named"),
    );

    // BIND transfers the catalogs, then every member zone they list, and serves them.
    let until = Instant::now() + Duration::from_secs(60);
    for ((_, key, _), planned) in KEYS.iter().zip(&zones) {
        for zone in planned {
            wait_served(&dig_path, port, key, zone, until, &log);
        }
    }
    for ((view, key, _), (planned, from)) in KEYS
        .iter()
        .zip(zones.iter().zip(["127.0.0.1", "127.0.0.2"]))
    {
        let planned: Vec<String> = planned.iter().cloned().collect();
        let questions = questions(&dig_path, lport, key, &planned);
        assert!(questions.len() > 5, "{view}");
        for how in [vec!["-y", *key], vec!["-b", from]] {
            let ours = answers(&dig_path, "127.0.0.1", lport, &how, &questions);
            let bind = answers(&dig_path, "127.0.0.1", port, &how, &questions);
            assert!(ours.len() >= questions.len(), "{view} {how:?}: {ours:?}");
            assert_eq!(ours, bind, "view {view} asked with {how:?}");
        }
    }

    // A hoster adds a SIP domain: its zones enter both catalogs on reload, and BIND adds them by itself.
    std::fs::write(
        &example,
        text.replace(
            "additional_domains = [\"anotherdomain.com\", \"fabrikam.org\"]",
            "additional_domains = [\"anotherdomain.com\", \"fabrikam.org\", \"contoso.net\"]",
        ),
    )
    .unwrap();
    primary.signal(libc::SIGHUP);
    primary.wait_for("reloaded");
    let after = planned(&example);
    let until = Instant::now() + Duration::from_secs(60);
    for (((view, key, catalog), before), now) in KEYS.iter().zip(&zones).zip(&after) {
        let added: Vec<&String> = now.difference(before).collect();
        assert!(!added.is_empty(), "{view}: the new domain adds zones");
        assert!(
            added.iter().all(|z| z.ends_with("contoso.net")),
            "{view}: {added:?}"
        );
        assert_eq!(&members(&dig_path, lport, key, catalog), now, "{view}");
        for zone in added {
            wait_served(&dig_path, port, key, zone, until, &log);
        }
    }
    let bind_log = std::fs::read_to_string(&log).unwrap();
    assert!(
        bind_log
            .contains("catz: adding zone 'contoso.net' from catalog 'catalog.external.invalid'"),
        "{bind_log}"
    );
    // The new zone answers in the external view as lyncdns answers it.
    let q: BTreeSet<(String, String)> =
        [("_sip._tls.contoso.net.".to_owned(), "SRV".to_owned())].into();
    let ours = answers(&dig_path, "127.0.0.1", lport, &["-b", "127.0.0.2"], &q);
    let bind = answers(&dig_path, "127.0.0.1", port, &["-b", "127.0.0.2"], &q);
    assert_eq!(ours.len(), 1, "{ours:?}");
    assert_eq!(ours, bind);
}
