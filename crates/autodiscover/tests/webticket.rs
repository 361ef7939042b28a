//! The WebTicket service ([MS-OCAUTHWS], `docs/lync.md` §3.4) over real loopback sockets, driven the way sipe
//! drives it: the User resource's 401 → `<X-MS-WebTicketURL>/mex` → `POST …/Auth` with an NTLM (or SPNEGO-wrapped)
//! handshake on one kept-alive TLS connection, the client side of NTLMv2 written here → the ticket → the User
//! document with `X-MS-WebTicket`. Then what must fail: a wrong password (401, counted toward the limits, 429 past
//! them), a challenge answered on another connection, an expired ticket.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use lyncdns_autodiscover::http::{Web, WebConfig};
use lyncdns_autodiscover::service::{Req, Resp, Service};
use lyncdns_autodiscover::{ntlm, spnego};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const HOST: &str = "lyncdiscover.lyncdude.net";
const USER: &str = "/Autodiscover/AutodiscoverService.svc/root/user";
const AUTH: &str = "/WebTicket/WebTicketService.svc/Auth";
const XML: &str = "Accept: application/vnd.microsoft.rtc.autodiscover+xml;v=1\r\n";

// ---- the client side of NTLMv2 ([MS-NLMP] 3.1.5.1, 3.3.2), as sipe and curl compute it ----

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// A NEGOTIATE message: Unicode, NTLM, extended session security, 128-bit.
fn negotiate() -> Vec<u8> {
    let mut m = ntlm::SIGNATURE.to_vec();
    m.extend_from_slice(&1u32.to_le_bytes());
    m.extend_from_slice(&0xa208_8207u32.to_le_bytes());
    m.extend_from_slice(&[0; 16]);
    m
}

/// The server challenge and target info of a CHALLENGE message.
fn read_challenge(m: &[u8]) -> ([u8; 8], Vec<u8>) {
    assert_eq!(&m[..8], ntlm::SIGNATURE);
    assert_eq!(m[8], 2, "a CHALLENGE");
    let challenge: [u8; 8] = m[24..32].try_into().unwrap();
    let len = u16::from_le_bytes([m[40], m[41]]) as usize;
    let off = u32::from_le_bytes(m[44..48].try_into().unwrap()) as usize;
    (challenge, m[off..off + len].to_vec())
}

/// An AUTHENTICATE message answering `challenge_msg` for `user`/`domain` with `password`.
fn authenticate(challenge_msg: &[u8], user: &str, domain: &str, password: &str) -> Vec<u8> {
    let (challenge, info) = read_challenge(challenge_msg);
    let key = ntlm::ntowf_v2(&ntlm::nt_hash(password), user, domain);
    let mut blob = vec![1, 1, 0, 0, 0, 0, 0, 0];
    blob.extend_from_slice(&ntlm::filetime(SystemTime::now()).to_le_bytes());
    blob.extend_from_slice(&[0x5a; 8]);
    blob.extend_from_slice(&[0; 4]);
    blob.extend_from_slice(&info);
    blob.extend_from_slice(&[0; 4]);
    let mut mac = Hmac::<md5::Md5>::new_from_slice(&key).unwrap();
    mac.update(&challenge);
    mac.update(&blob);
    let mut nt = mac.finalize().into_bytes().to_vec();
    nt.extend_from_slice(&blob);
    let lm = [0u8; 24];
    let (d, u, w) = (utf16(domain), utf16(user), utf16("TESTHOST"));
    let mut payload = Vec::new();
    let mut fields = Vec::new();
    for part in [&lm[..], &nt, &d, &u, &w, &[][..]] {
        fields.push((part.len() as u16, 64 + payload.len() as u32));
        payload.extend_from_slice(part);
    }
    let mut m = ntlm::SIGNATURE.to_vec();
    m.extend_from_slice(&3u32.to_le_bytes());
    for (len, off) in fields {
        m.extend_from_slice(&len.to_le_bytes());
        m.extend_from_slice(&len.to_le_bytes());
        m.extend_from_slice(&off.to_le_bytes());
    }
    m.extend_from_slice(&0xa208_8205u32.to_le_bytes());
    m.extend_from_slice(&payload);
    m
}

/// The body sipe sends ([S46], sipe-svc.c), asking a ticket for `applies_to` for `sip`.
fn rst(applies_to: &str, sip: &str) -> String {
    format!(
        r#"<?xml version="1.0"?>
<soap:Envelope xmlns:saml="urn:oasis:names:tc:SAML:1.0:assertion" xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:wst="http://docs.oasis-open.org/ws-sx/ws-trust/200512" xmlns:auth="http://schemas.xmlsoap.org/ws/2006/12/authorization" xmlns:wsa="http://www.w3.org/2005/08/addressing" xmlns:wsp="http://schemas.xmlsoap.org/ws/2004/09/policy"> <soap:Body><wst:RequestSecurityToken Context="c1"> <wst:TokenType>http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV1.1</wst:TokenType> <wst:RequestType>http://schemas.xmlsoap.org/ws/2005/02/trust/Issue</wst:RequestType> <wsp:AppliesTo><wsa:EndpointReference><wsa:Address>{applies_to}</wsa:Address></wsa:EndpointReference></wsp:AppliesTo> <wst:Claims Dialect="urn:component:Microsoft.Rtc.WebAuthentication.2010:authclaims"><auth:ClaimType Uri="http://schemas.xmlsoap.org/ws/2005/05/identity/claims/uri" Optional="false"><auth:Value>sip:{sip}</auth:Value></auth:ClaimType></wst:Claims> <wst:KeyType>http://docs.oasis-open.org/ws-sx/ws-trust/200512/SymmetricKey</wst:KeyType></wst:RequestSecurityToken></soap:Body></soap:Envelope>"#
    )
}

/// `X-MS-WebTicket` as sipe builds it: the raw `<saml:Assertion …>…</saml:Assertion>` text, base64.
fn ticket_header(rstr: &str) -> String {
    let start = rstr.find("<saml:Assertion").expect("an assertion");
    let end = rstr.find("</saml:Assertion>").unwrap() + "</saml:Assertion>".len();
    format!(
        "X-MS-WebTicket: opaque={}\r\n",
        B64.encode(&rstr[start..end])
    )
}

// ---- one kept-alive HTTPS connection ----

struct Http {
    conn: BufReader<tokio_rustls::client::TlsStream<TcpStream>>,
}

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The token of the `WWW-Authenticate: <scheme> <token>` header, decoded.
    fn token(&self, scheme: &str) -> Vec<u8> {
        let v = self
            .all("www-authenticate")
            .into_iter()
            .find_map(|v| v.strip_prefix(scheme)?.strip_prefix(' '))
            .unwrap_or_else(|| panic!("no {scheme} token in {:?}", self.headers));
        B64.decode(v).unwrap()
    }
}

impl Http {
    async fn connect(addr: SocketAddr, ca: &std::path::Path) -> Http {
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
        let tcp = TcpStream::connect(addr).await.unwrap();
        let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(ServerName::try_from(HOST).unwrap(), tcp)
            .await
            .unwrap();
        Http {
            conn: BufReader::new(tls),
        }
    }

    async fn send(&mut self, method: &str, path: &str, headers: &str, body: &str) -> Answer {
        let req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {HOST}\r\n{headers}Content-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let io = async {
            self.conn.get_mut().write_all(req.as_bytes()).await?;
            let mut line = String::new();
            self.conn.read_line(&mut line).await?;
            let status = line
                .split(' ')
                .nth(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            let mut headers = Vec::new();
            loop {
                line.clear();
                self.conn.read_line(&mut line).await?;
                let l = line.trim_end();
                if l.is_empty() {
                    break;
                }
                let (n, v) = l.split_once(':').unwrap();
                headers.push((n.to_owned(), v.trim().to_owned()));
            }
            let len: usize = headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
                .map(|(_, v)| v.parse().unwrap())
                .unwrap_or(0);
            let mut body = vec![0; len];
            self.conn.read_exact(&mut body).await?;
            std::io::Result::Ok(Answer {
                status,
                headers,
                body: String::from_utf8(body).unwrap(),
            })
        };
        tokio::time::timeout(Duration::from_secs(30), io)
            .await
            .expect("an answer within 30 s")
            .expect("no I/O error")
    }
}

async fn start(dir: &std::path::Path) -> Web {
    let config = WebConfig {
        http: None,
        https: Some("127.0.0.1:0".parse().unwrap()),
        cert: None,
        key: None,
        lab_ca: dir.to_owned(),
        limits: Default::default(),
    };
    Web::start(&lyncdns_model::embedded(), &config)
        .await
        .unwrap()
}

const SOAP: &str = "Content-Type: text/xml\r\nSOAPAction: \"http://docs.oasis-open.org/ws-sx/ws-trust/200512/RST/Issue\"\r\n";

/// The NTLM handshake on one connection: returns the final answer.
async fn ntlm_sign_in(
    http: &mut Http,
    user: &str,
    domain: &str,
    password: &str,
    body: &str,
) -> Answer {
    let a = http.send("POST", AUTH, SOAP, "").await;
    assert_eq!(a.status, 401);
    assert_eq!(
        a.all("www-authenticate"),
        ["Negotiate", "NTLM"],
        "only what is served"
    );
    let a = http
        .send(
            "POST",
            AUTH,
            &format!("{SOAP}Authorization: NTLM {}\r\n", B64.encode(negotiate())),
            "",
        )
        .await;
    assert_eq!(a.status, 401, "{}", a.body);
    let type3 = authenticate(&a.token("NTLM"), user, domain, password);
    http.send(
        "POST",
        AUTH,
        &format!("{SOAP}Authorization: NTLM {}\r\n", B64.encode(type3)),
        body,
    )
    .await
}

#[tokio::test]
async fn sipe_path_user_401_mex_ntlm_ticket_user_document() {
    let dir = tempfile::tempdir().unwrap();
    let web = start(dir.path()).await;
    let ca = web.ca_path.clone().unwrap();
    let mut http = Http::connect(web.https_addr.unwrap(), &ca).await;
    // The User resource without a ticket: 401 naming the WebTicket service.
    let a = http.send("GET", USER, XML, "").await;
    assert_eq!(a.status, 401);
    let wt_url = a.all("x-ms-webticketurl")[0].to_owned();
    assert_eq!(
        wt_url,
        "https://lyncwebint.lyncdude.net/WebTicket/WebTicketService.svc"
    );
    // The metadata names the Auth endpoint under the port name sipe looks for, and nothing else.
    let path = |url: &str| url.split_once(".net").unwrap().1.to_owned();
    let a = http
        .send("GET", &format!("{}/mex", path(&wt_url)), "", "")
        .await;
    assert_eq!(a.status, 200);
    let mex = roxmltree::Document::parse(&a.body).unwrap();
    let ports: Vec<_> = mex
        .descendants()
        .filter(|n| n.has_tag_name("port"))
        .map(|p| {
            let loc = p.children().find(|n| n.has_tag_name("address")).unwrap();
            (
                p.attribute("name").unwrap(),
                loc.attribute("location").unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        ports,
        [("WebTicketServiceWinNegotiate", format!("{wt_url}/Auth"))]
    );
    // NTLM with the UPN as the user name (curl's and sipe's default), then the ticket.
    let applies = format!("https://{HOST}{USER}");
    let a = ntlm_sign_in(
        &mut http,
        "alice@lyncdude.net",
        "",
        "Lab-Passw0rd!",
        &rst(&applies, "alice@lyncdude.net"),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let rstr = roxmltree::Document::parse(&a.body).unwrap();
    let expires = rstr
        .descendants()
        .find(|n| n.has_tag_name("Expires"))
        .unwrap();
    assert!(expires.text().unwrap().ends_with('Z'));
    let audience = rstr
        .descendants()
        .find(|n| n.has_tag_name("Audience"))
        .unwrap();
    assert_eq!(audience.text(), Some(applies.as_str()));
    // The User document with the ticket, on a new connection (a ticket is not bound to one).
    let mut other = Http::connect(web.https_addr.unwrap(), &ca).await;
    let a = other
        .send("GET", USER, &format!("{XML}{}", ticket_header(&a.body)), "")
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let doc = roxmltree::Document::parse(&a.body).unwrap();
    let sip = doc
        .descendants()
        .find(|n| n.has_tag_name("SipClientInternalAccess"))
        .expect("alice's servers");
    assert_eq!(sip.attribute("fqdn"), Some("lyncfe01.lyncdude.net"));
    web.shutdown().await;
}

#[tokio::test]
async fn negotiate_carrying_ntlm_in_spnego_and_bare() {
    let dir = tempfile::tempdir().unwrap();
    let web = start(dir.path()).await;
    let ca = web.ca_path.clone().unwrap();
    let body = rst(&format!("https://{HOST}{USER}"), "bob@anotherdomain.com");
    // SPNEGO: Kerberos offered first → "continue with NTLM"; then NTLM inside NegTokenResp.
    let krb5: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02];
    let mut http = Http::connect(web.https_addr.unwrap(), &ca).await;
    let neg = |t: Vec<u8>| format!("{SOAP}Authorization: Negotiate {}\r\n", B64.encode(t));
    let a = http
        .send(
            "POST",
            AUTH,
            &neg(spnego::init(&[krb5, spnego::NTLMSSP_OID], Some(b"krb5"))),
            "",
        )
        .await;
    assert_eq!(a.status, 401);
    assert_eq!(
        spnego::parse(&a.token("Negotiate")),
        Ok(spnego::Token::Spnego(None))
    );
    let a = http
        .send(
            "POST",
            AUTH,
            &neg(spnego::response(
                spnego::State::AcceptIncomplete,
                Some(&negotiate()),
            )),
            "",
        )
        .await;
    assert_eq!(a.status, 401);
    let wrapped = a.token("Negotiate");
    let spnego::Token::Spnego(Some(challenge)) = spnego::parse(&wrapped).unwrap() else {
        panic!("a wrapped CHALLENGE")
    };
    // DOMAIN\user form: the NetBIOS domain is the SIP domain's first label.
    let type3 = authenticate(challenge, "bob", "ANOTHERDOMAIN", "Lab-Passw0rd!");
    let a = http
        .send(
            "POST",
            AUTH,
            &neg(spnego::response(
                spnego::State::AcceptIncomplete,
                Some(&type3),
            )),
            &body,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.body.contains("sip:bob@anotherdomain.com"));
    // Bare NTLM under Negotiate (sipe after its Kerberos attempt fails): answered bare.
    let mut http = Http::connect(web.https_addr.unwrap(), &ca).await;
    let a = http.send("POST", AUTH, &neg(negotiate()), "").await;
    assert_eq!(a.status, 401);
    let type3 = authenticate(
        &a.token("Negotiate"),
        "bob@anotherdomain.com",
        "",
        "Lab-Passw0rd!",
    );
    let a = http.send("POST", AUTH, &neg(type3), &body).await;
    assert_eq!(a.status, 200, "{}", a.body);
    // Kerberos only: rejected, NTLM offered.
    let a = http
        .send("POST", AUTH, &neg(spnego::init(&[krb5], Some(b"x"))), "")
        .await;
    assert_eq!(a.status, 401);
    assert!(a.all("www-authenticate").contains(&"NTLM"));
    web.shutdown().await;
}

#[tokio::test]
async fn wrong_passwords_get_401_count_toward_the_limit_then_429() {
    let dir = tempfile::tempdir().unwrap();
    let web = start(dir.path()).await;
    let ca = web.ca_path.clone().unwrap();
    let body = rst(&format!("https://{HOST}{USER}"), "alice@lyncdude.net");
    let mut http = Http::connect(web.https_addr.unwrap(), &ca).await;
    // The default limit: 10 failures per user in the window.
    for i in 0..10 {
        let a = ntlm_sign_in(&mut http, "alice@lyncdude.net", "", "wrong", &body).await;
        assert_eq!(a.status, 401, "attempt {i}: {}", a.body);
        assert!(!a.body.contains("Assertion"));
    }
    let a = ntlm_sign_in(&mut http, "alice@lyncdude.net", "", "Lab-Passw0rd!", &body).await;
    assert_eq!(
        a.status, 429,
        "past the limit even the right password waits"
    );
    assert!(a.all("retry-after")[0].parse::<u64>().unwrap() > 0);
    // Another user is not held by alice's failures.
    let bob = rst(&format!("https://{HOST}{USER}"), "bob@anotherdomain.com");
    let a = ntlm_sign_in(
        &mut http,
        "bob@anotherdomain.com",
        "",
        "Lab-Passw0rd!",
        &bob,
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    web.shutdown().await;
}

#[tokio::test]
async fn a_challenge_answered_on_another_connection_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let web = start(dir.path()).await;
    let ca = web.ca_path.clone().unwrap();
    let mut first = Http::connect(web.https_addr.unwrap(), &ca).await;
    let a = first
        .send(
            "POST",
            AUTH,
            &format!("{SOAP}Authorization: NTLM {}\r\n", B64.encode(negotiate())),
            "",
        )
        .await;
    let type3 = authenticate(&a.token("NTLM"), "alice@lyncdude.net", "", "Lab-Passw0rd!");
    let mut second = Http::connect(web.https_addr.unwrap(), &ca).await;
    let body = rst(&format!("https://{HOST}{USER}"), "alice@lyncdude.net");
    let a = second
        .send(
            "POST",
            AUTH,
            &format!("{SOAP}Authorization: NTLM {}\r\n", B64.encode(&type3)),
            &body,
        )
        .await;
    assert_eq!(a.status, 401);
    // On its own connection it works, once.
    let a = first
        .send(
            "POST",
            AUTH,
            &format!("{SOAP}Authorization: NTLM {}\r\n", B64.encode(&type3)),
            &body,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let a = first
        .send(
            "POST",
            AUTH,
            &format!("{SOAP}Authorization: NTLM {}\r\n", B64.encode(&type3)),
            &body,
        )
        .await;
    assert_eq!(a.status, 401, "a challenge is used once");
    web.shutdown().await;
}

// ---- expiry, with the clock passed in (the pure service) ----

fn call(
    s: &Service,
    method: &str,
    target: &str,
    auth: Option<&str>,
    ticket: Option<&str>,
    body: &str,
    now: SystemTime,
) -> Resp {
    s.handle(
        &Req {
            method,
            target,
            accept: Some("application/vnd.microsoft.rtc.autodiscover+xml;v=1"),
            authorization: auth,
            webticket: ticket,
            content_type: Some("text/xml"),
            host: Some(HOST),
            body: body.as_bytes(),
            https: true,
            client: "127.0.0.1".parse().unwrap(),
            connection: 7,
        },
        now,
    )
}

#[test]
fn an_expired_ticket_gets_the_401_again() {
    let d = lyncdns_model::embedded();
    let s = Service::new(&d);
    let t0 = SystemTime::now();
    let r = call(
        &s,
        "POST",
        AUTH,
        Some(&format!("NTLM {}", B64.encode(negotiate()))),
        None,
        "",
        t0,
    );
    assert_eq!(r.status, 401);
    let challenge = r
        .headers
        .iter()
        .find_map(|(n, v)| (*n == "WWW-Authenticate").then(|| v.strip_prefix("NTLM "))?)
        .unwrap();
    let type3 = authenticate(
        &B64.decode(challenge).unwrap(),
        "alice@lyncdude.net",
        "",
        "Lab-Passw0rd!",
    );
    let body = rst(&format!("https://{HOST}{USER}"), "alice@lyncdude.net");
    let r = call(
        &s,
        "POST",
        AUTH,
        Some(&format!("NTLM {}", B64.encode(type3))),
        None,
        &body,
        t0,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let header = ticket_header(&r.body);
    let value = header.trim_end().strip_prefix("X-MS-WebTicket: ").unwrap();
    let lifetime = Duration::from_secs(d.serve.token_lifetime_s);
    let r = call(
        &s,
        "GET",
        USER,
        None,
        Some(value),
        "",
        t0 + lifetime - Duration::from_secs(1),
    );
    assert_eq!(r.status, 200);
    let r = call(&s, "GET", USER, None, Some(value), "", t0 + lifetime);
    assert_eq!(r.status, 401, "expired");
    assert!(
        r.header("X-MS-WebTicketURL").is_some(),
        "so the client gets a new one"
    );
    // A forged assertion (an ID the service never issued) is no better.
    let forged = B64.encode(r#"<saml:Assertion AssertionID="SamlSecurityToken-forged" xmlns:saml="urn:oasis:names:tc:SAML:1.0:assertion"/>"#);
    let r = call(
        &s,
        "GET",
        USER,
        None,
        Some(&format!("opaque={forged}")),
        "",
        t0,
    );
    assert_eq!(r.status, 401);
}
