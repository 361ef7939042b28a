//! The registrar over real TLS sockets on loopback: the Director deployment's registrars, each on its own
//! `127.0.0.1:0` listener, with the lab CA's certificate for their names; a rustls client that trusts only that
//! CA and checks the name. OPTIONS → 200, REGISTER at the Director → 301 to each user's home pool, REGISTER at the
//! home pool → 401 with the [MS-SIPAE] schemes, several messages on one connection, and the size limit.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use lyncdns_sip::framing::{self, Frame};
use lyncdns_sip::message::Message;
use lyncdns_sip::registrar::{Directory, Registrar, Role, certificate_names, registrars};
use lyncdns_sip::server::{SipLimits, SipServer};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

const DIRECTOR: &str = include_str!("../../../examples/enterprise-director.toml");

struct Lab {
    server: SipServer,
    connector: TlsConnector,
    _ca: tempfile::TempDir,
}

async fn lab() -> Lab {
    let d = lyncdns_model::load(DIRECTOR, "enterprise-director.toml").expect("the example loads");
    let ca = tempfile::tempdir().expect("a temporary directory");
    let identity = lyncdns_autodiscover::tls::sip_from_lab_ca(ca.path(), &certificate_names(&d))
        .expect("the lab CA issues the registrars' certificate");
    let listeners: Vec<(SocketAddr, Registrar)> = registrars(&d)
        .into_iter()
        .map(|r| ("127.0.0.1:0".parse().expect("valid"), r))
        .collect();
    let server = SipServer::start(
        listeners,
        Directory::of(&d),
        identity.config,
        SipLimits::default(),
    )
    .await
    .expect("the listeners start");
    let mut roots = rustls::RootCertStore::empty();
    let pem = std::fs::read(identity.ca_path.expect("the lab CA")).expect("ca.pem");
    roots
        .add(CertificateDer::from_pem_slice(&pem).expect("a PEM certificate"))
        .expect("a CA");
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("TLS versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    Lab {
        server,
        connector: TlsConnector::from(Arc::new(config)),
        _ca: ca,
    }
}

impl Lab {
    fn addr(&self, fqdn: &str) -> SocketAddr {
        self.server
            .listeners
            .iter()
            .find(|(_, r)| r.fqdn == fqdn)
            .map(|(a, _)| *a)
            .unwrap_or_else(|| panic!("a listener for {fqdn}"))
    }

    /// Sends `requests` on one TLS connection (SNI `fqdn`) and reads one response per request.
    async fn exchange(&self, fqdn: &str, requests: &[Message]) -> Vec<Message> {
        let tcp = TcpStream::connect(self.addr(fqdn)).await.expect("connect");
        let name = ServerName::try_from(fqdn.to_owned()).expect("a DNS name");
        let mut tls = self
            .connector
            .connect(name, tcp)
            .await
            .expect("the certificate covers the name");
        let mut out = Vec::new();
        let mut buf = Vec::new();
        for r in requests {
            tls.write_all(&r.to_bytes()).await.expect("write");
            out.push(read(&mut tls, &mut buf).await);
        }
        out
    }
}

async fn read(tls: &mut (impl AsyncReadExt + Unpin), buf: &mut Vec<u8>) -> Message {
    let mut chunk = [0u8; 4096];
    for _ in 0..1000 {
        if let Frame::Message(m, used) = framing::next(buf).expect("a well-framed response") {
            buf.drain(..used);
            return m;
        }
        let n = tokio::time::timeout(Duration::from_secs(30), tls.read(&mut chunk))
            .await
            .expect("a response within 30 s")
            .expect("read");
        assert!(n > 0, "the registrar closed without answering");
        buf.extend_from_slice(&chunk[..n]);
    }
    panic!("no whole response")
}

fn request(method: &str, user: &str, cseq: u32) -> Message {
    Message::request(
        method,
        &format!("sip:{}", user.split('@').nth(1).unwrap_or("x")),
    )
    .with("Via", "SIP/2.0/TLS 127.0.0.1:5999;branch=z9hG4bKtest")
    .with("From", format!("<sip:{user}>;tag=abc;epid=01"))
    .with("To", format!("<sip:{user}>"))
    .with("Call-ID", "call-1")
    .with("CSeq", format!("{cseq} {method}"))
    .with("Max-Forwards", "70")
}

#[tokio::test]
async fn options_answers_with_the_server_identity() {
    let lab = lab().await;
    let r = lab
        .exchange(
            "dirpool.contoso.com",
            &[request("OPTIONS", "carol@contoso.com", 1)],
        )
        .await;
    assert_eq!(r[0].status(), Some(200));
    assert!(
        r[0].header("Server")
            .unwrap()
            .starts_with("RTC/6.0 lyncdns")
    );
    assert!(r[0].header("Allow").unwrap().contains("REGISTER"));
    lab.server.shutdown().await;
}

#[tokio::test]
async fn the_director_redirects_each_user_to_the_home_pool() {
    let lab = lab().await;
    let r = lab
        .exchange(
            "dirpool.contoso.com",
            &[
                request("REGISTER", "carol@contoso.com", 1),
                request("REGISTER", "dave@contoso.net", 2),
            ],
        )
        .await;
    for (response, pool) in r.iter().zip(["pool01.contoso.com", "pool02.contoso.com"]) {
        assert_eq!(response.status(), Some(301));
        let c = &response.contacts()[0];
        assert_eq!(
            (c.host.as_str(), c.port, c.param("transport")),
            (pool, Some(5061), Some("tls"))
        );
    }
    assert_eq!(r[1].cseq(), Some((2, "REGISTER")));
    lab.server.shutdown().await;
}

#[tokio::test]
async fn the_home_pool_challenges_with_the_lync_schemes() {
    let lab = lab().await;
    let r = lab
        .exchange(
            "pool01.contoso.com",
            &[request("REGISTER", "carol@contoso.com", 1)],
        )
        .await;
    assert_eq!(r[0].status(), Some(401));
    let schemes: Vec<String> = r[0].challenges().into_iter().map(|c| c.scheme).collect();
    assert_eq!(schemes, ["NTLM", "Kerberos", "TLS-DSK"]);
    // dave is homed on pool02: pool01 sends him there, as a Director would.
    let r = lab
        .exchange(
            "pool01.contoso.com",
            &[request("REGISTER", "dave@contoso.net", 1)],
        )
        .await;
    assert_eq!(r[0].contacts()[0].host, "pool02.contoso.com");
    let r = lab
        .exchange(
            "pool02.contoso.com",
            &[request("REGISTER", "nobody@contoso.com", 1)],
        )
        .await;
    assert_eq!(r[0].status(), Some(404));
    lab.server.shutdown().await;
}

#[tokio::test]
async fn an_oversized_message_gets_513_and_the_connection_closes() {
    let lab = lab().await;
    let fqdn = "pool01.contoso.com";
    let tcp = TcpStream::connect(lab.addr(fqdn)).await.expect("connect");
    let mut tls = lab
        .connector
        .connect(ServerName::try_from(fqdn.to_owned()).expect("name"), tcp)
        .await
        .expect("TLS");
    tls.write_all(b"OPTIONS sip:x SIP/2.0\r\nContent-Length: 10000000\r\n\r\n")
        .await
        .expect("write");
    let mut buf = Vec::new();
    let r = read(&mut tls, &mut buf).await;
    assert_eq!(r.status(), Some(513));
    let mut rest = Vec::new();
    let n = tokio::time::timeout(Duration::from_secs(30), tls.read_to_end(&mut rest))
        .await
        .expect("closed");
    assert!(
        n.map(|_| rest.is_empty()).unwrap_or(true),
        "nothing after the 513"
    );
    lab.server.shutdown().await;
}

#[tokio::test]
async fn roles_come_from_the_deployment() {
    let d = lyncdns_model::load(DIRECTOR, "x.toml").expect("loads");
    let roles: Vec<(String, Role)> = registrars(&d)
        .into_iter()
        .map(|r| (r.fqdn, r.role))
        .collect();
    assert_eq!(
        roles,
        [
            ("dirpool.contoso.com".to_owned(), Role::Director),
            ("pool01.contoso.com".to_owned(), Role::Pool),
            ("pool02.contoso.com".to_owned(), Role::Pool),
        ]
    );
}

#[tokio::test]
async fn a_client_past_its_connection_limit_is_closed_at_once() {
    let d = lyncdns_model::load(DIRECTOR, "x.toml").expect("loads");
    let ca = tempfile::tempdir().expect("a temporary directory");
    let identity = lyncdns_autodiscover::tls::sip_from_lab_ca(ca.path(), &certificate_names(&d))
        .expect("a certificate");
    let registrar = registrars(&d).remove(0);
    let limits = SipLimits {
        per_client: 2,
        ..SipLimits::default()
    };
    let server = SipServer::start(
        vec![("127.0.0.1:0".parse().expect("valid"), registrar)],
        Directory::of(&d),
        identity.config,
        limits,
    )
    .await
    .expect("starts");
    let addr = server.listeners[0].0;
    // Two connections are held (no TLS sent); the third is accepted by the kernel and closed by the server.
    let _a = TcpStream::connect(addr).await.expect("connect");
    let _b = TcpStream::connect(addr).await.expect("connect");
    let mut c = TcpStream::connect(addr).await.expect("connect");
    let mut buf = [0u8; 16];
    let n = tokio::time::timeout(Duration::from_secs(30), c.read(&mut buf))
        .await
        .expect("closed within 30 s");
    assert!(
        matches!(n, Ok(0) | Err(_)),
        "the third connection is closed: {n:?}"
    );
    server.shutdown().await;
}
