//! Interop: `dig` (BIND) and `kdig` (Knot) query `lyncdns serve` in both views, over UDP and TCP, with and
//! without EDNS, and their parsed output is checked: status, flags, the answer records, the transport used and
//! the OPT record. Skipped (with a message) when the tools are missing, unless `LYNCDNS_INTEROP=require`.

mod support;

use std::process::Command;

use support::{Serve, interop_tool};

struct Case<'a> {
    from: &'a str,
    tcp: bool,
    edns: bool,
}

fn run(tool: &std::path::Path, s: &Serve, case: &Case<'_>, name: &str, qtype: &str) -> String {
    let mut cmd = Command::new(tool);
    cmd.arg(format!("@{}", s.addr.ip())).args([
        "-p",
        &s.addr.port().to_string(),
        "-b",
        case.from,
        "+norec",
    ]);
    if tool.ends_with("kdig") {
        cmd.args(["+timeout=3", "+retry=0"]);
    } else {
        cmd.args(["+time=3", "+tries=1"]);
    }
    cmd.arg(if case.tcp { "+tcp" } else { "+notcp" });
    cmd.arg(if case.edns { "+edns=0" } else { "+noedns" });
    cmd.args([name, qtype]);
    let out = cmd.output().expect("run the DNS client");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{} failed: {text}{}",
        tool.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

/// The answer-section records (`name TTL IN TYPE data`, whitespace folded) of dig/kdig output.
fn answers(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        if line.starts_with(";; ANSWER SECTION") {
            inside = true;
            continue;
        }
        if inside {
            if line.trim().is_empty() || line.starts_with(";;") {
                break;
            }
            out.push(line.split_whitespace().collect::<Vec<_>>().join(" "));
        }
    }
    out
}

fn check_both_clients(s: &Serve) {
    let tools: Vec<_> = [("dig", "bind9-dnsutils"), ("kdig", "knot-dnsutils")]
        .iter()
        .filter_map(|(t, p)| interop_tool(t, p))
        .collect();
    for tool in &tools {
        let kdig = tool.ends_with("kdig");
        for (from, want) in [("127.0.0.1", "10.0.0.10"), ("127.0.0.2", "203.0.113.10")] {
            for tcp in [false, true] {
                for edns in [false, true] {
                    let case = Case { from, tcp, edns };
                    let text = run(tool, s, &case, "sip.lyncdude.net", "A");
                    let ctx = format!(
                        "{} from {from} tcp={tcp} edns={edns}:\n{text}",
                        tool.display()
                    );
                    assert!(text.contains("status: NOERROR"), "{ctx}");
                    let flags = text
                        .lines()
                        .find(|l| l.to_ascii_lowercase().contains("flags:") && l.contains("qr"))
                        .unwrap_or_else(|| panic!("no flags line: {ctx}"));
                    assert!(flags.contains(" aa"), "{ctx}");
                    assert_eq!(
                        answers(&text),
                        [format!("sip.lyncdude.net. 3600 IN A {want}")],
                        "{ctx}"
                    );
                    let proto = if tcp { "TCP" } else { "UDP" };
                    assert!(text.contains(&format!("({proto})")), "{ctx}");
                    let has_opt = if kdig {
                        text.contains("EDNS PSEUDOSECTION")
                    } else {
                        text.contains("OPT PSEUDOSECTION")
                    };
                    assert_eq!(has_opt, edns, "{ctx}");
                    if edns {
                        assert!(
                            text.contains("udp: 1232") || text.contains("UDP size: 1232 B"),
                            "{ctx}"
                        );
                    }
                }
            }
        }
        // Negative answers and SRV with additional data, as the clients parse them.
        let case = Case {
            from: "127.0.0.2",
            tcp: false,
            edns: true,
        };
        let text = run(tool, s, &case, "nothing.lyncdude.net", "A");
        assert!(text.contains("status: NXDOMAIN"), "{text}");
        assert!(
            text.contains("lyncdude.net.") && text.contains("SOA"),
            "{text}"
        );
        let text = run(
            tool,
            s,
            &case,
            "_sipfederationtls._tcp.anotherdomain.com",
            "SRV",
        );
        assert_eq!(
            answers(&text),
            [
                "_sipfederationtls._tcp.anotherdomain.com. 3600 IN SRV 0 0 5061 sip.anotherdomain.com."
            ],
            "{text}"
        );
        assert!(
            text.contains("ADDITIONAL SECTION") && text.contains("203.0.113.10"),
            "{text}"
        );
        let text = run(tool, s, &case, "example.org", "A");
        assert!(text.contains("status: REFUSED"), "{text}");
    }
}

#[test]
fn dig_and_kdig_read_both_views_over_udp_and_tcp() {
    let s = Serve::start(&[]);
    check_both_clients(&s);
}

#[test]
fn a_truncated_answer_makes_dig_retry_over_tcp() {
    let Some(dig) = interop_tool("dig", "bind9-dnsutils") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let zone = dir.path().join("big.test.zone");
    let txt: String = (0..40).map(|i| format!("fat TXT \"{i:0100}\"\n")).collect();
    std::fs::write(
        &zone,
        format!(
            "$ORIGIN big.test.\n$TTL 60\n@ IN SOA ns h 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n{txt}"
        ),
    )
    .unwrap();
    let s = Serve::start(&["--zone", &format!("external={}", zone.display())]);
    let out = Command::new(dig)
        .args([
            &format!("@{}", s.addr.ip()),
            "-p",
            &s.addr.port().to_string(),
            "-b",
            "127.0.0.2",
            "+noedns",
            "+time=3",
            "+tries=1",
            "fat.big.test",
            "TXT",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Truncated, retrying in TCP mode"), "{text}");
    assert_eq!(answers(&text).len(), 40, "{text}");
}
