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

/// The body of a SOAP `RequestSecurityToken` as sipe sends it ([S46]), for `applies_to` and `sip`.
fn request_security_token(applies_to: &str, sip: &str) -> String {
    format!(
        r#"<?xml version="1.0"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:wst="http://docs.oasis-open.org/ws-sx/ws-trust/200512" xmlns:auth="http://schemas.xmlsoap.org/ws/2006/12/authorization" xmlns:wsa="http://www.w3.org/2005/08/addressing" xmlns:wsp="http://schemas.xmlsoap.org/ws/2004/09/policy"><soap:Body><wst:RequestSecurityToken Context="curl"><wst:TokenType>http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV1.1</wst:TokenType><wst:RequestType>http://schemas.xmlsoap.org/ws/2005/02/trust/Issue</wst:RequestType><wsp:AppliesTo><wsa:EndpointReference><wsa:Address>{applies_to}</wsa:Address></wsa:EndpointReference></wsp:AppliesTo><wst:Claims Dialect="urn:component:Microsoft.Rtc.WebAuthentication.2010:authclaims"><auth:ClaimType Uri="http://schemas.xmlsoap.org/ws/2005/05/identity/claims/uri" Optional="false"><auth:Value>sip:{sip}</auth:Value></auth:ClaimType></wst:Claims></wst:RequestSecurityToken></soap:Body></soap:Envelope>"#
    )
}

/// Issue 15: curl speaks real NTLM (`--ntlm`, NTLMv2 against a challenge with target info) to the WebTicket
/// service of `lyncdns serve`: the metadata names the `/Auth` endpoint, the right password gets a SAML ticket in
/// the RSTR, that ticket in `X-MS-WebTicket` opens the User document, and a wrong password gets 401.
#[test]
fn curl_ntlm_gets_a_web_ticket_that_opens_the_user_document() {
    use base64::Engine;
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
    let host = "lyncwebint.lyncdude.net";
    let url = |path: &str| format!("https://{host}:{port}{path}");
    let resolve = format!("{host}:{port}:127.0.0.1");
    // (status, body) of one curl run.
    let curl_run = |args: &[&str]| {
        let out = Command::new(&curl)
            .args([
                "-sS",
                "--max-time",
                "60",
                "-w",
                "\n%{http_code}",
                "--cacert",
                &ca,
                "--resolve",
                &resolve,
            ])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "curl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, code) = text.rsplit_once('\n').unwrap();
        (code.parse::<u16>().unwrap(), body.to_owned())
    };
    // The metadata: the Windows-authentication port sipe looks for.
    let (code, mex) = curl_run(&[&url("/WebTicket/WebTicketService.svc/mex")]);
    assert_eq!(code, 200);
    let doc = roxmltree::Document::parse(&mex).unwrap();
    let port_el = doc
        .descendants()
        .find(|n| n.has_tag_name("port"))
        .expect("a port");
    assert_eq!(
        port_el.attribute("name"),
        Some("WebTicketServiceWinNegotiate")
    );
    let auth = port_el
        .children()
        .find(|n| n.has_tag_name("address"))
        .and_then(|a| a.attribute("location"))
        .unwrap();
    assert_eq!(
        auth,
        "https://lyncwebint.lyncdude.net/WebTicket/WebTicketService.svc/Auth"
    );
    let user_url = url("/Autodiscover/AutodiscoverService.svc/root/user");
    let body = request_security_token(&user_url, "alice@lyncdude.net");
    let post = |credentials: &str| {
        curl_run(&[
            "--ntlm",
            "-u",
            credentials,
            "-H",
            "Content-Type: text/xml",
            "-H",
            "SOAPAction: \"http://docs.oasis-open.org/ws-sx/ws-trust/200512/RST/Issue\"",
            "--data-binary",
            &body,
            &url("/WebTicket/WebTicketService.svc/Auth"),
        ])
    };
    // A wrong password: 401, no ticket.
    let (code, text) = post("alice@lyncdude.net:wrong");
    assert_eq!(code, 401, "{text}");
    assert!(!text.contains("Assertion"));
    // The right one: the RSTR with the ticket.
    let (code, rstr) = post("alice@lyncdude.net:Lab-Passw0rd!");
    assert_eq!(code, 200, "{rstr}");
    let start = rstr.find("<saml:Assertion").expect("an assertion");
    let end = rstr.find("</saml:Assertion>").unwrap() + "</saml:Assertion>".len();
    let ticket = base64::engine::general_purpose::STANDARD.encode(&rstr[start..end]);
    let (code, xml) = curl_run(&[
        "-H",
        &format!("X-MS-WebTicket: opaque={ticket}"),
        "-H",
        "Accept: application/vnd.microsoft.rtc.autodiscover+xml;v=1",
        &user_url,
    ]);
    assert_eq!(code, 200, "{xml}");
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let access = doc
        .descendants()
        .find(|n| n.has_tag_name("SipClientInternalAccess"))
        .expect("SipClientInternalAccess");
    assert_eq!(access.attribute("fqdn"), Some("lyncfe01.lyncdude.net"));
}
