//! Interop: a real BIND (`named`) becomes a secondary of both views of `examples/transfer.toml`, configured only
//! from `lyncdns plan --format bind-secondary`: it transfers each view's zones from `lyncdns serve` with that
//! view's TSIG key (RFC 5936 AXFR, RFC 8945), then answers every name and type of both views exactly as lyncdns
//! does, asked with each view's key (`dig -y`) and from each view's client address. A transfer with a wrong key or
//! without a key is refused. Skipped (with a message) without `named` and `dig`, unless `LYNCDNS_INTEROP=require`.

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::xfr::{answers, dig, example_notifying, questions, views_and_zones};
use support::{Peer, Serve, free_port, interop_tool, lyncdns};

const INTERNAL: &str =
    "hmac-sha256:xfr-internal.lyncdude.net:2ZBA7qZ+5Xvu1pW8bzF3zj9m3pQm2y9kJ3xYQnK1s7E=";
const EXTERNAL: &str =
    "hmac-sha256:xfr-external.lyncdude.net:b1o3Lr2bW7gGq9d0P2m3mN8vY1xJ5cT4kF6hS0aZ2uQ=";

#[test]
fn a_bind_secondary_from_the_export_serves_both_views_as_lyncdns_does() {
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
    let example = example_notifying(d, "transfer.toml", port);
    let text = std::fs::read_to_string(&example).unwrap();
    let mut primary = Serve::start(&[example.to_str().unwrap()]);
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
    let views = views_and_zones(&exported);
    assert_eq!(views.len(), 2, "{exported}");
    let zones: usize = views.iter().map(|(_, z)| z.len()).sum();

    // A named.conf with only an options block, including the export.
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
    // Every zone of both views transferred: lyncdns logs each.
    let field = |line: &str, name: &str| {
        line.split(&format!(" {name}="))
            .nth(1)
            .and_then(|v| v.split_whitespace().next())
            .unwrap_or_default()
            .trim_matches('"')
            .to_owned()
    };
    let mut full = std::collections::HashMap::new();
    for _ in 0..zones {
        let line = primary.wait_for("zone transferred");
        full.insert(
            (field(&line, "view"), field(&line, "zone")),
            field(&line, "records").parse::<usize>().unwrap(),
        );
    }
    // And BIND serves them: wait until each view's last zone answers from BIND with its key.
    let deadline = Instant::now() + Duration::from_secs(30);
    for ((_, zones), key) in views.iter().zip([INTERNAL, EXTERNAL]) {
        for zone in zones {
            while !dig(
                &dig_path,
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
                    Instant::now() < deadline,
                    "BIND does not serve {zone}: {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
                std::thread::sleep(Duration::from_millis(200));
            }
        }
    }

    let lport = primary.addr.port();
    let port_text = port.to_string();
    for ((view, zones), (key, from)) in views
        .iter()
        .zip([(INTERNAL, "127.0.0.1"), (EXTERNAL, "127.0.0.2")])
    {
        // Every (name, type) of the view, from lyncdns's own transfer with the view's key.
        let questions = questions(&dig_path, lport, key, zones);
        assert!(questions.len() > 5, "{view}:");
        for how in [vec!["-y", key], vec!["-b", from]] {
            let ours = answers(&dig_path, "127.0.0.1", lport, &how, &questions);
            let bind = answers(&dig_path, "127.0.0.1", port, &how, &questions);
            assert!(ours.len() >= questions.len(), "{view} {how:?}: {ours:?}");
            assert_eq!(ours, bind, "view {view} asked with {how:?}");
        }
    }

    // A reload that changes both views (the reverse proxy's address is in each): serials move, NOTIFY goes to
    // BIND with each view's key, and BIND asks for the differences by IXFR.
    std::fs::write(&example, text.replace("203.0.113.20", "203.0.113.21")).unwrap();
    primary.signal(libc::SIGHUP);
    primary.wait_for("reloaded");
    let deadline = Instant::now() + Duration::from_secs(10);
    for (key, from) in [(INTERNAL, "127.0.0.1"), (EXTERNAL, "127.0.0.2")] {
        for how in [["-y", key], ["-b", from]] {
            loop {
                let mut args = vec![
                    "@127.0.0.1",
                    "-p",
                    &port_text,
                    "+short",
                    "lyncwebext.lyncdude.net",
                    "A",
                ];
                args.extend(how);
                if dig(&dig_path, &args).trim() == "203.0.113.21" {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "BIND did not follow the reload within 10 s ({how:?}): {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
    let bind_log = std::fs::read_to_string(&log).unwrap();
    assert!(
        bind_log
            .contains("received notify for zone 'lyncdude.net': TSIG 'xfr-internal.lyncdude.net'"),
        "{bind_log}"
    );
    assert!(
        bind_log.contains("zone lyncdude.net/IN/external: transferred serial 2026112502"),
        "{bind_log}"
    );
    // BIND 9.18 logs IXFR and AXFR alike; lyncdns's transfer log names the type and the records sent (the two
    // SOAs twice and the one address changed, not the zone).
    let ixfr = primary.wait_for("qtype=IXFR");
    let sent: usize = field(&ixfr, "records").parse().unwrap();
    let whole = full[&(field(&ixfr, "view"), field(&ixfr, "zone"))];
    assert!(
        sent < whole,
        "an IXFR of {sent} records, not the zone's {whole}: {ixfr}"
    );

    // A wrong key and no key are refused: no zone data.
    let wrong =
        "hmac-sha256:xfr-internal.lyncdude.net:d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldC13cm9uZw==";
    for how in [vec!["-y", wrong], vec!["-b", "127.0.0.2"]] {
        let mut args = vec![
            "@127.0.0.1".to_owned(),
            "-p".into(),
            lport.to_string(),
            "lyncdude.net".into(),
            "AXFR".into(),
        ];
        args.extend(how.iter().map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let text = dig(&dig_path, &args);
        assert!(!text.contains("\tSOA\t"), "{how:?}: {text}");
        assert!(
            text.contains("Transfer failed") || text.contains("tsig"),
            "{how:?}: {text}"
        );
    }
}
