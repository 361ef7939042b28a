//! Interop: real NSD secondaries (`nsd`), one per view since NSD has no views, each configured from its view's
//! `lyncdns plan --format nsd-secondary` file: each transfers its view's zones from `lyncdns serve` with that view's
//! TSIG key, then answers every name and type of the view exactly as lyncdns answers a query signed with the key,
//! and after a reload follows the NOTIFY (signed with the key) by IXFR within 10 s. Skipped (with a message)
//! without `nsd` and `dig`, unless `LYNCDNS_INTEROP=require`.

mod support;

use std::path::Path;
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

/// An NSD in the foreground: asked to stop with SIGTERM (so that its main process stops its xfrd and server
/// processes too), killed if it has not within 5 s.
struct Nsd(Peer);

impl Drop for Nsd {
    fn drop(&mut self) {
        // SAFETY: sending a signal to our own child process.
        unsafe { libc::kill(self.0.0.id() as libc::pid_t, libc::SIGTERM) };
        for _ in 0..50 {
            if matches!(self.0.0.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        // Peer's own drop kills and reaps it.
    }
}

/// Starts an NSD for one view in `dir`, listening on 127.0.0.1 `port`, including the exported `include`.
fn start_nsd(nsd: &Path, dir: &Path, port: u16, include: &Path) -> Nsd {
    let conf = dir.join("nsd.conf");
    std::fs::write(
        &conf,
        format!(
            "server:\n    ip-address: 127.0.0.1@{port}\n    port: {port}\n    do-ip6: no\n    server-count: 1\n    username: \"\"\n    chroot: \"\"\n    zonesdir: \"{0}\"\n    database: \"\"\n    zonelistfile: \"{0}/zone.list\"\n    xfrdfile: \"{0}/xfrd.state\"\n    xfrdir: \"{0}\"\n    pidfile: \"{0}/nsd.pid\"\n    verbosity: 2\n\nremote-control:\n    control-enable: no\n\ninclude: \"{1}\"\n",
            dir.display(),
            include.display()
        ),
    )
    .unwrap();
    let log = dir.join("nsd.log");
    Nsd(Peer(
        Command::new(nsd)
            .args(["-d", "-c", conf.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start nsd"),
    ))
}

#[test]
fn an_nsd_secondary_per_view_serves_its_view_as_lyncdns_does_and_follows_a_reload() {
    let (Some(nsd), Some(dig_path)) = (
        interop_tool("nsd", "nsd"),
        interop_tool("dig", "bind9-dnsutils"),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // The example, each view's NOTIFY target moved to the free port of its own NSD.
    let ports = [free_port(), free_port()];
    let text = std::fs::read_to_string(root().join("examples/transfer.toml"))
        .unwrap()
        .replacen("127.0.0.1:5399", &format!("127.0.0.1:{}", ports[0]), 1)
        .replacen("127.0.0.1:5399", &format!("127.0.0.1:{}", ports[1]), 1);
    let example = d.join("transfer.toml");
    std::fs::write(&example, &text).unwrap();
    let mut primary = Serve::start(&[example.to_str().unwrap()]);
    let out = lyncdns(&[
        "plan",
        example.to_str().unwrap(),
        "--format",
        "nsd-secondary",
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
    // The views and their zones, from the BIND export of the same plan.
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
    assert_eq!(views[0].0, KEYS[0].0, "the example's views in order");

    let mut nsds = Vec::new();
    for ((view, zones), port) in views.iter().zip(ports) {
        let v = d.join(view);
        std::fs::create_dir_all(&v).unwrap();
        let include = d.join(format!("nsd-{view}.conf"));
        nsds.push((
            start_nsd(&nsd, &v, port, &include),
            port,
            v.join("nsd.log"),
            view.clone(),
            zones.clone(),
        ));
    }
    let zones: usize = views.iter().map(|(_, z)| z.len()).sum();
    for _ in 0..zones {
        primary.wait_for("zone transferred");
    }
    let lport = primary.addr.port();
    let deadline = Instant::now() + Duration::from_secs(30);
    for (_, port, log, view, zones) in &nsds {
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
                    "NSD ({view}) does not serve {zone}: {}",
                    std::fs::read_to_string(log).unwrap_or_default()
                );
                std::thread::sleep(Duration::from_millis(200));
            }
        }
        let questions = questions(&dig_path, lport, key, zones);
        assert!(questions.len() > 5, "{view}: {questions:?}");
        let ours = answers(&dig_path, "127.0.0.1", lport, &["-y", key], &questions);
        let theirs = answers(&dig_path, "127.0.0.1", *port, &[], &questions);
        assert!(ours.len() >= questions.len(), "{view}: {ours:?}");
        assert_eq!(ours, theirs, "view {view}");
    }

    // A reload that changes both views (the reverse proxy's address is in each): serials move, each NSD gets a
    // NOTIFY signed with its view's key and asks for the differences.
    std::fs::write(&example, text.replace("203.0.113.20", "203.0.113.21")).unwrap();
    primary.signal(libc::SIGHUP);
    primary.wait_for("reloaded");
    let deadline = Instant::now() + Duration::from_secs(10);
    for (_, port, log, view, _) in &nsds {
        let port = port.to_string();
        while dig(
            &dig_path,
            &[
                "@127.0.0.1",
                "-p",
                &port,
                "+short",
                "+norec",
                "lyncwebext.lyncdude.net",
                "A",
            ],
        )
        .trim()
            != "203.0.113.21"
        {
            assert!(
                Instant::now() < deadline,
                "NSD ({view}) did not follow the reload within 10 s: {}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    // Each NSD asked by IXFR after the NOTIFY, with its view's key: lyncdns logs the transfer's type, key and view.
    let mut seen = std::collections::BTreeSet::new();
    while seen.len() < KEYS.len() {
        let ixfr = primary.wait_for("qtype=IXFR");
        let (view, _) = KEYS
            .iter()
            .find(|(view, _)| ixfr.contains(&format!("view=\"{view}\"")))
            .unwrap_or_else(|| panic!("an IXFR of no view: {ixfr}"));
        assert!(
            ixfr.contains(&format!("key=\"xfr-{view}.lyncdude.net\"")),
            "{ixfr}"
        );
        seen.insert(*view);
    }
}
