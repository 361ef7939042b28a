//! Interop: DNS Cookies (RFC 7873, RFC 9018 server cookies) and edns-tcp-keepalive (RFC 7828) as BIND's `dig`
//! and Knot's `kdig` see them against `lyncdns serve`. `dig` checks that the client cookie comes back and says
//! `(good)`; a server cookie learnt is sent again and must be accepted (echoed, not BADCOOKIE, even with
//! `cookies_required`). Skipped (with a message) when the tools are missing, unless `LYNCDNS_INTEROP=require`.

mod support;

use std::path::Path;
use std::process::Command;

use support::{Serve, interop_tool};

/// Runs a DNS client against `s` for `sip.lyncdude.net A` from 127.0.0.2 (the external view) with `args`.
fn ask(tool: &Path, s: &Serve, args: &[&str]) -> String {
    let mut cmd = Command::new(tool);
    cmd.arg(format!("@{}", s.addr.ip())).args([
        "-p",
        &s.addr.port().to_string(),
        "-b",
        "127.0.0.2",
        "+norec",
    ]);
    if tool.ends_with("kdig") {
        cmd.args(["+timeout=3", "+retry=0"]);
    } else {
        cmd.args(["+time=3", "+tries=1"]);
    }
    let out = cmd
        .args(args)
        .args(["sip.lyncdude.net", "A"])
        .output()
        .expect("run the DNS client");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{} failed: {text}", tool.display());
    text
}

/// The cookie (hex, lowercase) of dig/kdig output's `COOKIE:` line, and the rest of that line.
fn cookie(text: &str) -> (String, String) {
    let line = text
        .lines()
        .find(|l| l.contains("COOKIE:"))
        .unwrap_or_else(|| panic!("no COOKIE line:\n{text}"));
    let mut words = line.split("COOKIE:").nth(1).unwrap().split_whitespace();
    let hex = words.next().unwrap().to_ascii_lowercase();
    (hex, words.collect::<Vec<_>>().join(" "))
}

/// A deployment (the embedded example) with `serve` appended to a `[serve]` table, written to a temporary file.
fn deployment(dir: &Path, serve: &str) -> String {
    let path = dir.join("lab.toml");
    std::fs::write(
        &path,
        format!("{}\n[serve]\n{serve}", lyncdns_model::EMBEDDED_EXAMPLE),
    )
    .unwrap();
    path.display().to_string()
}

#[test]
fn rfc7873_dig_and_kdig_learn_a_server_cookie_and_it_is_accepted_when_sent_back() {
    let tools: Vec<_> = [("dig", "bind9-dnsutils"), ("kdig", "knot-dnsutils")]
        .iter()
        .filter_map(|(t, p)| interop_tool(t, p))
        .collect();
    if tools.is_empty() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // Cookies required: a client that sends back a server cookie we did not make would get BADCOOKIE.
    let file = deployment(
        dir.path(),
        "cookies_required = true\ncookie_secret = \"e5e973e5a6b2a43f48e7dc849e37bfcf\"\n",
    );
    let s = Serve::start(&[&file]);
    for tool in &tools {
        // A client cookie we choose: the answer carries it and a 16-octet server cookie of version 1.
        let text = ask(tool, &s, &["+cookie=0102030405060708"]);
        let (sent_back, verdict) = cookie(&text);
        let ctx = format!("{}:\n{text}", tool.display());
        assert_eq!(sent_back.len(), 48, "{ctx}");
        assert!(sent_back.starts_with("0102030405060708010000"), "{ctx}");
        // With only a client cookie and cookies required, UDP gets BADCOOKIE (RFC 7873 §5.2.3); dig then retries
        // with the server cookie it just learnt, and that is answered.
        if tool.ends_with("kdig") {
            assert!(text.contains("status: BADCOOKIE"), "{ctx}");
        } else {
            assert!(
                text.contains("status: NOERROR") || text.contains("BADCOOKIE"),
                "{ctx}"
            );
            assert_eq!(verdict, "(good)", "{ctx}");
        }
        // Sent back, the server cookie is valid: the answer, and the cookie echoed as it came.
        let text = ask(tool, &s, &[&format!("+cookie={sent_back}")]);
        let ctx = format!("{}:\n{text}", tool.display());
        assert!(text.contains("status: NOERROR"), "{ctx}");
        assert!(
            text.contains("10.0.0.10") || text.contains("203.0.113.10"),
            "{ctx}"
        );
        assert_eq!(cookie(&text).0, sent_back, "{ctx}");
        if !tool.ends_with("kdig") {
            assert_eq!(cookie(&text).1, "(good)", "{ctx}");
        }
        // Over TCP the address is proven: a client cookie alone is answered (RFC 7873 §5.2.3).
        let text = ask(tool, &s, &["+tcp", "+cookie=0a0b0c0d0e0f1011"]);
        assert!(
            text.contains("status: NOERROR"),
            "{}:\n{text}",
            tool.display()
        );
    }
    // RFC 7873 §5.4: a query without a question asks for a server cookie; dig sends one with +header-only.
    if let Some(dig) = tools
        .iter()
        .find(|t| t.ends_with("dig") && !t.ends_with("kdig"))
    {
        let text = ask(
            dig,
            &s,
            &["+tcp", "+header-only", "+cookie=0102030405060708"],
        );
        assert!(text.contains("status: NOERROR"), "{text}");
        let (sent_back, verdict) = cookie(&text);
        assert!(sent_back.starts_with("0102030405060708010000"), "{text}");
        assert_eq!(verdict, "(good)", "{text}");
    }
}

#[test]
fn rfc7828_dig_is_told_the_tcp_idle_timeout() {
    let Some(dig) = interop_tool("dig", "bind9-dnsutils") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let s = Serve::start(&[&deployment(dir.path(), "tcp_idle_timeout_ms = 7300\n")]);
    let text = ask(&dig, &s, &["+tcp", "+keepalive"]);
    assert!(text.contains("TCP KEEPALIVE: 7.3 secs"), "{text}");
    // Never over UDP (RFC 7828 §3.3.2).
    let text = ask(&dig, &s, &["+notcp", "+keepalive"]);
    assert!(
        text.contains("status: NOERROR") && !text.contains("KEEPALIVE"),
        "{text}"
    );
    // kdig has no +keepalive; it sends the option raw and prints the value, 73 × 100 ms.
    if let Some(kdig) = interop_tool("kdig", "knot-dnsutils") {
        let text = ask(&kdig, &s, &["+tcp", "+ednsopt=11"]);
        assert!(text.contains("Option (11): 0049"), "{text}");
    }
}
