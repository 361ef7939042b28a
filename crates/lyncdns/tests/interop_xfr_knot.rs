//! Interop: real Knot DNS secondaries (`knotd`), one per view since Knot has no views, each configured from its
//! view's `lyncdns plan --format knot-secondary` file: each transfers its view's zones from `lyncdns serve` with
//! that view's TSIG key and then answers every name and type of the view exactly as lyncdns answers a query
//! signed with the key. Skipped (with a message) without `knotd` and `dig`, unless `LYNCDNS_INTEROP=require`.

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::xfr::{answers, dig, questions, views_and_zones};
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

#[test]
fn a_knot_secondary_per_view_serves_its_view_as_lyncdns_does() {
    let (Some(knotd), Some(dig_path)) = (
        interop_tool("knotd", "knot"),
        interop_tool("dig", "bind9-dnsutils"),
    ) else {
        return;
    };
    let example = root().join("examples/transfer.toml");
    let mut primary = Serve::start(&[example.to_str().unwrap()]);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
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
    // The zones of each view, from the BIND export (the same plan) for the view names and zones.
    let bind = lyncdns(&[
        "plan",
        example.to_str().unwrap(),
        "--format",
        "bind-secondary",
        "--primary",
        "127.0.0.1:53",
    ]);
    let views = views_and_zones(&String::from_utf8_lossy(&bind.stdout));
    assert_eq!(views.len(), 2);

    let lport = primary.addr.port();
    let mut knots = Vec::new();
    for (view, zones) in &views {
        let port = free_port();
        let v = d.join(view);
        std::fs::create_dir_all(&v).unwrap();
        let conf = v.join("knot.conf");
        std::fs::write(
            &conf,
            format!(
                "server:\n    rundir: \"{0}\"\n    listen: 127.0.0.1@{port}\n\ndatabase:\n    storage: \"{0}\"\n\ntemplate:\n  - id: default\n    storage: \"{0}\"\n\ninclude: \"{1}\"\n",
                v.display(),
                d.join(format!("knot-{view}.conf")).display()
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
        knots.push((Peer(child), port, log, view.clone(), zones.clone()));
    }
    let zones: usize = views.iter().map(|(_, z)| z.len()).sum();
    for _ in 0..zones {
        primary.wait_for("zone transferred");
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    for (_, port, log, view, zones) in &knots {
        let key = KEYS.iter().find(|(v, _)| v == view).unwrap().1;
        for zone in zones {
            while !dig(
                &dig_path,
                &["@127.0.0.1", "-p", &port.to_string(), zone, "SOA", "+norec"],
            )
            .contains("flags: qr aa")
            {
                assert!(
                    Instant::now() < deadline,
                    "Knot ({view}) does not serve {zone}: {}",
                    std::fs::read_to_string(log).unwrap_or_default()
                );
                std::thread::sleep(Duration::from_millis(200));
            }
        }
        let questions = questions(&dig_path, lport, key, zones);
        assert!(questions.len() > 5, "{view}: {questions:?}");
        let ours = answers(&dig_path, "127.0.0.1", lport, &["-y", key], &questions);
        let knot = answers(&dig_path, "127.0.0.1", *port, &[], &questions);
        assert!(ours.len() >= questions.len(), "{view}: {ours:?}");
        assert_eq!(ours, knot, "view {view}");
    }
}
