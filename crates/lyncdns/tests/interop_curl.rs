//! Interop: `curl` fetches the Autodiscover root and the user document from `lyncdns serve` over HTTPS, trusting
//! only the lab CA, from inside (127.0.0.1) and outside (127.0.0.2). Skipped (with a message) without curl,
//! unless `LYNCDNS_INTEROP=require`.

mod support;

use std::process::Command;

use support::{Serve, interop_tool};

fn field<'a>(line: &'a str, key: &str) -> &'a str {
    line.split(&format!("{key}="))
        .nth(1)
        .and_then(|v| v.split_whitespace().next())
        .unwrap_or_else(|| panic!("no {key}= in {line}"))
}

#[test]
fn curl_fetches_root_and_user_document() {
    let Some(curl) = interop_tool("curl", "curl") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut s = Serve::start(&[
        "--https",
        "127.0.0.1:0",
        "--lab-ca",
        dir.path().to_str().unwrap(),
    ]);
    let line = s.wait_for("Autodiscover listening on HTTPS");
    let port = field(&line, "addr").rsplit(':').next().unwrap().to_owned();
    let ca = field(&line, "ca").to_owned();
    let host = "lyncdiscover.lyncdude.net";
    let url = |path: &str| format!("https://{host}:{port}{path}");
    let resolve = format!("{host}:{port}:127.0.0.1");
    let curl_run = |args: &[&str], from: &str| {
        let out = Command::new(&curl)
            .args([
                "-sS",
                "--fail-with-body",
                "--cacert",
                &ca,
                "--resolve",
                &resolve,
                "--interface",
                from,
            ])
            .args(args)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "curl {args:?}: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        text
    };
    // The root, JSON by default, from outside.
    let root: serde_json::Value = serde_json::from_str(&curl_run(
        &[&url("/?sipuri=alice@lyncdude.net")],
        "127.0.0.2",
    ))
    .unwrap();
    let user_url = root["_links"]["user"]["href"].as_str().unwrap().to_owned();
    assert_eq!(
        user_url,
        "https://lyncwebext.lyncdude.net/Autodiscover/AutodiscoverService.svc/root/oauth/user?originalDomain=lyncdude.net"
    );
    // A token for alice, then her user document in XML, from inside.
    let token: serde_json::Value = serde_json::from_str(&curl_run(
        &[
            "--data-urlencode",
            "grant_type=password",
            "--data-urlencode",
            "username=alice@lyncdude.net",
            "--data-urlencode",
            "password=Lab-Passw0rd!",
            &url("/WebTicket/oauthtoken"),
        ],
        "127.0.0.1",
    ))
    .unwrap();
    let bearer = format!(
        "Authorization: Bearer {}",
        token["access_token"].as_str().unwrap()
    );
    let xml = curl_run(
        &[
            "-H",
            &bearer,
            "-H",
            "Accept: application/vnd.microsoft.rtc.autodiscover+xml;v=1",
            &url("/Autodiscover/AutodiscoverService.svc/root/user"),
        ],
        "127.0.0.1",
    );
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let root = doc.root_element();
    assert_eq!(root.attribute("AccessLocation"), Some("Internal"));
    let access = root
        .descendants()
        .find(|n| n.has_tag_name("SipClientInternalAccess"))
        .expect("SipClientInternalAccess");
    assert_eq!(access.attribute("fqdn"), Some("lyncfe01.lyncdude.net"));
    // Without a token: 401 with both challenges.
    let out = Command::new(&curl)
        .args([
            "-sS",
            "-o",
            "/dev/null",
            "-D",
            "-",
            "--cacert",
            &ca,
            "--resolve",
            &resolve,
            &url("/Autodiscover/AutodiscoverService.svc/root/oauth/user"),
        ])
        .output()
        .unwrap();
    let head = String::from_utf8_lossy(&out.stdout).to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 401"), "{head}");
    assert_eq!(head.matches("www-authenticate:").count(), 2, "{head}");
}
