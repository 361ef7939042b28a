//! Interop: real Knot DNS secondaries (`knotd`), one per view, each configured from its view's `lyncdns plan
//! --format knot-secondary` file of `examples/catalog.toml`, which names only the view's catalog zone (RFC 9432,
//! `catalog-role: interpret`): each provisions its view's zones from the catalog with the view's key, serves them
//! as lyncdns does, and adds a new SIP domain's zones after a reload. Skipped (with a message) without `knotd`
//! and `dig`, unless `LYNCDNS_INTEROP=require`.

mod support;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::xfr::{answers, dig, questions};
use support::{Peer, Serve, free_port, interop_tool, lyncdns, root};

const KEYS: [(&str, &str); 2] = [
    (
        "internal",
        "hmac-sha256:xfr-internal.lyncdude.net:2ZBA7qZ+5Xvu1pW8bzF3zj9m3pQm2y9kJ3xYQnK1s7E=",
    ),
    (
        "external",
        "hmac-sha256:xfr-external.lyncdude.net:b1o3Lr2bW7gGq9d0P2m3mN8vY1xJ5cT4kF6hS0aZ2uQ=",
    ),
];

/// The zones of each view in lyncdns's plan of `deployment`.
fn planned(deployment: &Path) -> Vec<BTreeSet<String>> {
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

/// Waits until Knot at `port` answers `zone`'s SOA authoritatively.
fn wait_served(dig_path: &Path, port: u16, zone: &str, until: Instant, log: &Path) {
    while !dig(
        dig_path,
        &["@127.0.0.1", "-p", &port.to_string(), zone, "SOA", "+norec"],
    )
    .contains("flags: qr aa")
    {
        assert!(
            Instant::now() < until,
            "Knot does not serve {zone} from the catalog: {}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn a_knot_secondary_per_view_with_only_the_catalog_serves_every_zone_and_follows_a_new_domain() {
    let (Some(knotd), Some(dig_path)) = (
        interop_tool("knotd", "knot"),
        interop_tool("dig", "bind9-dnsutils"),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ports = [free_port(), free_port()];
    // The example, NOTIFY sent to both Knot instances.
    let text = std::fs::read_to_string(root().join("examples/catalog.toml"))
        .unwrap()
        .replace(
            "notify = [\"127.0.0.1:5399\"]",
            &format!(
                "notify = [\"127.0.0.1:{}\", \"127.0.0.1:{}\"]",
                ports[0], ports[1]
            ),
        );
    let example = d.join("catalog.toml");
    std::fs::write(&example, &text).unwrap();
    let mut primary = Serve::start(&[example.to_str().unwrap()]);
    let lport = primary.addr.port();
    let out = lyncdns(&[
        "plan",
        example.to_str().unwrap(),
        "--format",
        "knot-secondary",
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
    let zones = planned(&example);
    let mut knots = Vec::new();
    for ((view, _), port) in KEYS.iter().zip(ports) {
        let v = d.join(view);
        std::fs::create_dir_all(&v).unwrap();
        // The member template writes zone files to Knot's default storage unless told otherwise: here, the
        // test's directory (the one line a Knot with its own layout adds to the export).
        let file = d.join(format!("knot-{view}.conf"));
        let export = std::fs::read_to_string(&file).unwrap();
        assert!(
            !export.contains("domain: lyncdude.net"),
            "only the catalog: {export}"
        );
        let member = format!("  - id: lyncdns-{view}-member\n");
        assert!(export.contains(&member), "{export}");
        std::fs::write(
            &file,
            export.replace(
                &member,
                &format!("{member}    storage: \"{}\"\n", v.display()),
            ),
        )
        .unwrap();
        let conf = v.join("knot.conf");
        std::fs::write(
            &conf,
            format!(
                "server:\n    rundir: \"{0}\"\n    listen: 127.0.0.1@{port}\n\ndatabase:\n    storage: \"{0}\"\n\ntemplate:\n  - id: default\n    storage: \"{0}\"\n\ninclude: \"{1}\"\n",
                v.display(),
                file.display()
            ),
        )
        .unwrap();
        let log = v.join("knotd.log");
        let child = Command::new(&knotd)
            .args(["-c", conf.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start knotd");
        knots.push((Peer(child), port, log));
    }

    let until = Instant::now() + Duration::from_secs(60);
    for (((view, key), planned), (_, port, log)) in KEYS.iter().zip(&zones).zip(&knots) {
        for zone in planned {
            wait_served(&dig_path, *port, zone, until, log);
        }
        let planned: Vec<String> = planned.iter().cloned().collect();
        let questions = questions(&dig_path, lport, key, &planned);
        assert!(questions.len() > 5, "{view}");
        let ours = answers(&dig_path, "127.0.0.1", lport, &["-y", key], &questions);
        let knot = answers(&dig_path, "127.0.0.1", *port, &[], &questions);
        assert!(ours.len() >= questions.len(), "{view}: {ours:?}");
        assert_eq!(ours, knot, "view {view}");
    }

    // A new SIP domain: each Knot adds its view's new zones from the catalog.
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
    for ((before, now), (_, port, log)) in zones.iter().zip(&after).zip(&knots) {
        let added: Vec<&String> = now.difference(before).collect();
        assert!(!added.is_empty());
        for zone in added {
            wait_served(&dig_path, *port, zone, until, log);
        }
    }
}
