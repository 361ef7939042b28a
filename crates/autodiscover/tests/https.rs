//! The Autodiscover listeners over real loopback sockets: HTTPS with a client that trusts only the lab CA (and
//! checks which names the certificate covers), the plain-HTTP redirect, the token flow on the wire, and header
//! limits.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use lyncdns_autodiscover::http::{Web, WebConfig};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn embedded() -> lyncdns_model::Deployment {
    lyncdns_model::embedded()
}

async fn start(dir: &std::path::Path) -> Web {
    let config = WebConfig {
        http: Some("127.0.0.1:0".parse().unwrap()),
        https: Some("127.0.0.1:0".parse().unwrap()),
        cert: None,
        key: None,
        lab_ca: dir.to_owned(),
        limits: Default::default(),
    };
    Web::start(&embedded(), &config).await.unwrap()
}

fn connector(ca: &std::path::Path) -> tokio_rustls::TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

/// Sends a raw HTTP/1.1 request over TLS with SNI `name`; returns the whole response text.
async fn https(
    addr: SocketAddr,
    ca: &std::path::Path,
    name: &str,
    request: &str,
) -> std::io::Result<String> {
    let tcp = TcpStream::connect(addr).await?;
    let mut tls = connector(ca)
        .connect(ServerName::try_from(name.to_owned()).unwrap(), tcp)
        .await?;
    tls.write_all(request.as_bytes()).await?;
    let mut out = Vec::new();
    tls.read_to_end(&mut out).await?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

fn get(path: &str, host: &str, extra: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}Connection: close\r\n\r\n")
}

fn body(resp: &str) -> &str {
    resp.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("")
}

#[tokio::test]
async fn https_root_with_a_client_that_trusts_only_the_lab_ca() {
    let dir = tempfile::tempdir().unwrap();
    let web = start(dir.path()).await;
    let ca = web.ca_path.clone().expect("lab CA");
    let addr = web.https_addr.unwrap();
    assert_eq!(web.names(), lyncdns_autodiscover::web_names(&embedded()));
    // Every web services name the planner lists is covered …
    for name in &web.names() {
        let resp = https(addr, &ca, name, &get("/", name, ""))
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(resp.starts_with("HTTP/1.1 200"), "{name}: {resp}");
        let v: serde_json::Value = serde_json::from_str(body(&resp)).unwrap();
        assert!(
            v["_links"]["user"]["href"]
                .as_str()
                .unwrap()
                .starts_with("https://lyncweb")
        );
    }
    // … and nothing else: not the SIP names, not other hosts.
    for name in [
        "sip.lyncdude.net",
        "lyncfe01.lyncdude.net",
        "evil.example.com",
    ] {
        assert!(
            https(addr, &ca, name, &get("/", name, "")).await.is_err(),
            "{name} must not be covered"
        );
    }
    // The CA is kept: a restart reuses it, so clients keep trusting the same file.
    let first = std::fs::read_to_string(&ca).unwrap();
    web.shutdown().await;
    let web = start(dir.path()).await;
    assert_eq!(
        std::fs::read_to_string(web.ca_path.as_ref().unwrap()).unwrap(),
        first
    );
    let resp = https(
        web.https_addr.unwrap(),
        &ca,
        "lyncdiscover.lyncdude.net",
        &get("/", "lyncdiscover.lyncdude.net", ""),
    )
    .await
    .unwrap();
    assert!(resp.starts_with("HTTP/1.1 200"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("ca.key"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "the CA key is private");
    }
    web.shutdown().await;
}

#[tokio::test]
async fn the_token_flow_on_the_wire() {
    let dir = tempfile::tempdir().unwrap();
    let web = start(dir.path()).await;
    let ca = web.ca_path.clone().unwrap();
    let addr = web.https_addr.unwrap();
    let host = "lyncdiscover.lyncdude.net";
    let user = "/Autodiscover/AutodiscoverService.svc/root/oauth/user";
    let resp = https(addr, &ca, host, &get(user, host, "")).await.unwrap();
    assert!(resp.starts_with("HTTP/1.1 401"), "{resp}");
    assert_eq!(
        resp.matches("www-authenticate:").count() + resp.matches("WWW-Authenticate:").count(),
        2,
        "{resp}"
    );
    let form = "grant_type=password&username=alice%40lyncdude.net&password=Lab-Passw0rd%21";
    let post = format!(
        "POST /WebTicket/oauthtoken HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{form}",
        form.len()
    );
    let resp = https(addr, &ca, host, &post).await.unwrap();
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    let v: serde_json::Value = serde_json::from_str(body(&resp)).unwrap();
    let token = v["access_token"].as_str().unwrap();
    let resp = https(addr, &ca, host, &get(user, host, &format!("Authorization: Bearer {token}\r\nAccept: application/vnd.microsoft.rtc.autodiscover+xml;v=1\r\n"))).await.unwrap();
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    let doc = roxmltree::Document::parse(body(&resp)).unwrap();
    assert_eq!(
        doc.root_element().attribute("AccessLocation"),
        Some("Internal"),
        "127.0.0.1 is inside"
    );
    web.shutdown().await;
}

#[tokio::test]
async fn plain_http_redirects_and_limits_hold() {
    let dir = tempfile::tempdir().unwrap();
    let web = start(dir.path()).await;
    let addr = web.http_addr.unwrap();
    let send = |req: String| async move {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(req.as_bytes()).await.unwrap();
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out).await;
        String::from_utf8_lossy(&out).into_owned()
    };
    let resp = send(get(
        "/?sipuri=alice@lyncdude.net",
        "lyncdiscover.lyncdude.net",
        "",
    ))
    .await;
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    let v: serde_json::Value = serde_json::from_str(body(&resp)).unwrap();
    assert!(
        v["_links"]["redirect"]["href"]
            .as_str()
            .unwrap()
            .starts_with("https://lyncwebint.lyncdude.net/"),
        "{resp}"
    );
    // An oversized header block is refused without a panic, and the server keeps answering.
    let huge = format!("X-Fill: {}\r\n", "a".repeat(40_000));
    let resp = send(get("/", "x", &huge)).await;
    assert!(
        resp.is_empty() || resp.starts_with("HTTP/1.1 431"),
        "{resp}"
    );
    let resp = send("NOT-HTTP\r\n\r\n".into()).await;
    assert!(
        resp.is_empty() || resp.starts_with("HTTP/1.1 400"),
        "{resp}"
    );
    let resp = send(get("/", "lyncdiscover.lyncdude.net", "")).await;
    assert!(resp.starts_with("HTTP/1.1 200"));
    web.shutdown().await;
}

/// Regression (hardening issue, item 1): a request whose body never came was held forever (≥ 120 s seen), and
/// one client could hold ~1,010 connections. Now a missing body is answered 408 and the connection closed at the
/// body timeout, and one client's connections past its limit are closed at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodiless_requests_are_closed_and_one_client_cannot_hold_every_connection() {
    let dir = tempfile::tempdir().unwrap();
    let config = WebConfig {
        http: Some("127.0.0.1:0".parse().unwrap()),
        https: None,
        cert: None,
        key: None,
        lab_ca: dir.path().to_owned(),
        limits: lyncdns_autodiscover::http::HttpLimits {
            body_timeout: Duration::from_secs(1),
            per_client: 150,
            ..Default::default()
        },
    };
    let web = Web::start(&embedded(), &config).await.unwrap();
    let addr = web.http_addr.unwrap();
    let started = std::time::Instant::now();
    let mut held = Vec::new();
    for _ in 0..200 {
        let mut s = TcpStream::connect(addr).await.unwrap();
        // A head that promises a body, and no body.
        let _ = s
            .write_all(b"POST /WebTicket/oauthtoken HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n")
            .await;
        held.push(s);
    }
    let (mut timed_out, mut closed_at_once) = (0, 0);
    for mut s in held {
        let mut buf = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(30), s.read_to_end(&mut buf)).await;
        let text = String::from_utf8_lossy(&buf);
        match read {
            Ok(_) if text.starts_with("HTTP/1.1 408") => timed_out += 1,
            Ok(_) if buf.is_empty() => closed_at_once += 1,
            other => panic!("unexpected: {other:?} {text}"),
        }
    }
    assert_eq!(
        timed_out, 150,
        "the client's first 150 connections time out"
    );
    assert_eq!(closed_at_once, 50, "the rest are over its limit");
    assert!(started.elapsed() < Duration::from_secs(30));
    web.shutdown().await;
}

/// Issue 13, item 7: a reload that changed the web services names kept the old lab certificate, and clients
/// checking a new name failed TLS with no warning. Now the lab CA issues one for the new names, and new
/// connections get it.
#[tokio::test]
async fn issue13_a_reload_that_changes_the_web_names_reissues_the_lab_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let web = start(dir.path()).await;
    let ca = web.ca_path.clone().expect("lab CA");
    let addr = web.https_addr.unwrap();
    let (old, new) = ("lyncwebext.lyncdude.net", "lyncwebext2.lyncdude.net");
    assert!(
        https(addr, &ca, new, &get("/", new, "")).await.is_err(),
        "{new} is not covered before the reload"
    );
    let text = lyncdns_model::EMBEDDED_EXAMPLE.replace(old, new);
    let changed = lyncdns_model::load(&text, "changed.toml").unwrap();
    web.reload(&changed);
    assert_eq!(web.names(), lyncdns_autodiscover::web_names(&changed));
    let resp = https(addr, &ca, new, &get("/", new, ""))
        .await
        .unwrap_or_else(|e| panic!("{new} after the reload: {e}"));
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    assert!(
        https(addr, &ca, old, &get("/", old, "")).await.is_err(),
        "{old} is no longer covered: the certificate covers exactly web_names()"
    );
    // A reload with the same names keeps the certificate (and issues nothing).
    let before = std::fs::read(dir.path().join("server.pem")).unwrap();
    web.reload(&changed);
    assert_eq!(
        std::fs::read(dir.path().join("server.pem")).unwrap(),
        before
    );
    web.shutdown().await;
}
