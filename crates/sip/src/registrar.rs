//! What a Lync registrar answers, as a pure function of the request ([`answer`]): no sockets, no clock, no
//! randomness (the `To` tag is passed in), so every decision is unit-tested.
//!
//! - OPTIONS → `200 OK` with the server's identity (`Server`, `Allow`, `Supported`).
//! - REGISTER for an unknown user → `404 Not Found` with `ms-diagnostics: 4005` ([S51]'s "destination URI either
//!   not enabled for SIP or does not exist").
//! - REGISTER at a Director, or at a Front End pool that is not the user's home → `301` to the home pool, with
//!   the pool's FQDN on the TLS port in `Contact` ([S40]: the Director homes no users and sends each to the
//!   home pool; [S50]: "301 Redirect request to Home Server", the registrar in `Contact`). A real Director
//!   authenticates the user before it redirects [S50]; the lab redirects at once, since it has no SIP
//!   authentication yet. A user homed Online is sent to `sipdir.online.lync.com:443`, the Online Director.
//! - REGISTER at the home pool without `Authorization` → `401 Unauthorized` with one `WWW-Authenticate` per
//!   scheme a Lync registrar offers, NTLM, Kerberos and TLS-DSK, each with `realm`, `targetname` and `version`
//!   ([S49], [MS-SIPAE] §3.2.5.1 and the §4.1 example); TLS-DSK adds the certificate provisioning service's URL
//!   (`sts-uri`). With `Authorization` → `403`: the lab does not run the NTLM or TLS-DSK handshake.
//! - At the Access Edge (the lab's stand-in for the Edge and the hops behind it), REGISTER for a user homed on
//!   premises → the `401` of the home pool (its FQDN as `targetname`): remote users are not redirected.
//! - ACK → nothing; another method → `405` with `Allow`; a request missing a header every request needs
//!   (§8.1.1) → `400`.

use lyncdns_model::{Deployment, Home};

use crate::message::{Challenge, Message, SipUri, addr_spec, tag};

/// The source keys cited in this module's docs (`[S1]` …), as links to their entries.
#[cfg(doc)]
#[allow(unused_imports)]
use lyncdns_lync::sources::*;

/// The realm every Lync registrar names in its challenges ([MS-SIPAE] §4.1) [S49].
pub const REALM: &str = "SIP Communications Service";
/// The [MS-SIPAE] version the challenges announce (4: TLS-DSK included) [S49].
pub const SIPAE_VERSION: u8 = 4;
/// The methods the lab registrar answers.
pub const ALLOW: &str = "INVITE, BYE, ACK, CANCEL, INFO, UPDATE, OPTIONS, REGISTER, SUBSCRIBE, NOTIFY, MESSAGE, BENOTIFY";
/// The Online Director that a user homed in Skype for Business Online is sent to.
pub const ONLINE_DIRECTOR: &str = "sipdir.online.lync.com";

/// Which part a registrar plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A Director: redirects every user to the home pool [S40].
    Director,
    /// A Front End pool: registers its own users, redirects the others.
    Pool,
    /// The Access Edge, for remote users: it relays REGISTER to the hops behind it, so the client is challenged
    /// for the user's home pool (the lab's stand-in for the Edge and its next hops; no redirect comes back).
    Edge,
}

impl Role {
    /// `director` or `pool`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Director => "director",
            Role::Pool => "pool",
            Role::Edge => "edge",
        }
    }
}

/// One registrar: a Director or a Front End pool of the deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registrar {
    /// The pool's FQDN (lowercase).
    pub fqdn: String,
    /// Director or pool.
    pub role: Role,
    /// The `Server` header value.
    pub server: String,
    /// TLS-DSK's certificate provisioning service URL (`sts-uri`), on the pool's internal web services.
    pub cert_provisioning: Option<String>,
}

/// The users a registrar knows, by SIP address (lowercase), with their home.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Directory {
    users: Vec<(String, Home)>,
}

impl Directory {
    /// The deployment's `[[users]]`.
    pub fn of(d: &Deployment) -> Directory {
        Directory {
            users: d
                .users
                .iter()
                .map(|u| (u.sip.to_ascii_lowercase(), u.home.clone()))
                .collect(),
        }
    }

    /// Where `address` (`user@domain`, any case) is homed.
    pub fn home(&self, address: &str) -> Option<&Home> {
        let address = address.to_ascii_lowercase();
        self.users
            .iter()
            .find(|(sip, _)| *sip == address)
            .map(|(_, h)| h)
    }
}

/// The deployment's registrars: the Director first, if there is one, then each Front End pool.
pub fn registrars(d: &Deployment) -> Vec<Registrar> {
    d.all_pools()
        .map(|(pool, _)| Registrar {
            fqdn: pool.fqdn.as_str().to_ascii_lowercase(),
            role: if d.director.as_ref().is_some_and(|dir| dir.fqdn == pool.fqdn) {
                Role::Director
            } else {
                Role::Pool
            },
            server: format!("RTC/6.0 lyncdns/{}", env!("CARGO_PKG_VERSION")),
            cert_provisioning: Some(format!(
                "https://{}/CertProv/CertProvisioningService.svc",
                pool.web.internal_fqdn
            )),
        })
        .collect()
}

/// The Access Edge as a registrar for remote users (its external access FQDN), if the deployment has one.
pub fn edge_registrar(d: &Deployment) -> Option<Registrar> {
    d.edge.as_ref().map(|e| Registrar {
        fqdn: e.access.fqdn.as_str().to_ascii_lowercase(),
        role: Role::Edge,
        server: format!(
            "RTC/6.0 lyncdns/{} (Access Edge)",
            env!("CARGO_PKG_VERSION")
        ),
        cert_provisioning: None,
    })
}

/// Where a `--sip` listener is bound, and which registrar it plays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// The listener plays the pool with this FQDN (as the user wrote it, any case).
    Named(String),
    /// The listener plays whichever pool owns this address (a server's, or the hardware load balancer's VIP).
    Address(std::net::IpAddr),
}

/// Why a listener's registrar cannot be chosen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlacementError {
    /// No pool or Director of the deployment has that FQDN.
    #[error(
        "`{0}` is neither a pool nor the Director of the deployment (say FQDN=ADDR:PORT with one of: {1})"
    )]
    UnknownPool(String, String),
    /// No pool or Director has that address.
    #[error(
        "{0} is no pool's or Director's address in the deployment; say which registrar it plays with FQDN=ADDR:PORT (one of: {1})"
    )]
    UnknownAddress(std::net::IpAddr, String),
}

/// The registrar a listener plays: the named pool, or the pool (Director first) whose servers or VIP have the
/// address.
pub fn place(d: &Deployment, placement: &Placement) -> Result<Registrar, PlacementError> {
    let mut all = registrars(d);
    all.extend(edge_registrar(d));
    let known = || {
        all.iter()
            .map(|r| r.fqdn.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let fqdn = match placement {
        Placement::Named(name) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            if !all.iter().any(|r| r.fqdn == name) {
                return Err(PlacementError::UnknownPool(name, known()));
            }
            name
        }
        Placement::Address(ip) => d
            .all_pools()
            .find(|(p, _)| {
                p.sip_vip.contains(ip) || p.servers.iter().any(|s| s.addresses.contains(ip))
            })
            .map(|(p, _)| p.fqdn.as_str().to_ascii_lowercase())
            .or_else(|| {
                d.edge
                    .as_ref()
                    .filter(|e| e.access.addresses.contains(ip))
                    .map(|e| e.access.fqdn.as_str().to_ascii_lowercase())
            })
            .ok_or_else(|| PlacementError::UnknownAddress(*ip, known()))?,
    };
    Ok(all
        .into_iter()
        .find(|r| r.fqdn == fqdn)
        .expect("found among the registrars above"))
}

/// The names the registrars' lab certificate covers: each pool's FQDN (the Director's too) and its servers', the
/// Access Edge's external FQDN (an outside client's TLS goes to it, and the lab answers for it) and
/// `sip.<domain>` for each on-premises SIP domain (the A-record fallback clients try).
pub fn certificate_names(d: &Deployment) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut add = |n: String| {
        let n = n.to_ascii_lowercase();
        if !names.contains(&n) {
            names.push(n);
        }
    };
    for (pool, _) in d.all_pools() {
        add(pool.fqdn.to_string());
        for s in &pool.servers {
            add(s.fqdn.to_string());
        }
    }
    if let Some(edge) = &d.edge {
        add(edge.access.fqdn.to_string());
    }
    for domain in d.sip_domains() {
        add(format!("sip.{domain}"));
    }
    names
}

/// The contact a registrar redirects to for a pool: its FQDN on the internal SIP TLS port, TLS transport.
pub fn pool_contact(fqdn: &str) -> SipUri {
    SipUri {
        secure: false,
        user: None,
        host: fqdn.to_ascii_lowercase(),
        port: Some(lyncdns_lync::services::SIPINTERNALTLS.port),
        params: vec![("transport".into(), "tls".into())],
    }
}

/// What the registrar decided, for logs and tests (the response carries it on the wire).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// `200 OK` to OPTIONS.
    Options,
    /// `301`: the user is homed elsewhere.
    Redirect {
        /// The user (`user@domain`).
        user: String,
        /// The home registrar.
        to: SipUri,
    },
    /// `401` with the challenges: the user is homed here and sent no credentials.
    Challenge {
        /// The user.
        user: String,
    },
    /// `403`: credentials sent, which the lab cannot check.
    CredentialsNotChecked {
        /// The user.
        user: String,
    },
    /// `404`: no such user.
    UnknownUser {
        /// The address asked for.
        user: String,
    },
    /// `405`: a method the registrar does not serve.
    MethodNotAllowed {
        /// The method.
        method: String,
    },
    /// `400`: a header every request needs is missing or bad.
    BadRequest {
        /// What is wrong.
        why: &'static str,
    },
    /// No response (ACK, or a response sent to the server).
    Nothing,
}

/// The registrar's answer to `req`, and the response to send. `to_tag` is the tag to add to `To` (the caller
/// makes it unique).
pub fn answer(
    r: &Registrar,
    dir: &Directory,
    req: &Message,
    to_tag: &str,
) -> (Answer, Option<Message>) {
    let Some(method) = req.method() else {
        return (Answer::Nothing, None);
    };
    if method == "ACK" {
        return (Answer::Nothing, None);
    }
    // §8.1.1: To, From, CSeq, Call-ID and Via are in every request; without them no response can be routed.
    let complete = ["Via", "From", "To", "Call-ID"]
        .iter()
        .all(|h| req.header(h).is_some())
        && req.cseq().is_some();
    if !complete {
        let why = "a request needs Via, From, To, Call-ID and CSeq (RFC 3261 §8.1.1)";
        return (
            Answer::BadRequest { why },
            Some(reply(r, req, 400, "Bad Request", to_tag)),
        );
    }
    match method {
        "OPTIONS" => (
            Answer::Options,
            Some(
                reply(r, req, 200, "OK", to_tag)
                    .with("Allow", ALLOW)
                    .with(
                        "Supported",
                        "gruu-10, ms-dialog-route-set-update, msrtc-event-categories",
                    )
                    .with("Accept", "application/sdp"),
            ),
        ),
        "REGISTER" => register(r, dir, req, to_tag),
        other => (
            Answer::MethodNotAllowed {
                method: other.to_owned(),
            },
            Some(
                reply(r, req, 405, "Method Not Allowed", to_tag).with("Allow", "OPTIONS, REGISTER"),
            ),
        ),
    }
}

fn register(
    r: &Registrar,
    dir: &Directory,
    req: &Message,
    to_tag: &str,
) -> (Answer, Option<Message>) {
    let user = req
        .header("To")
        .and_then(addr_spec)
        .and_then(SipUri::parse)
        .and_then(|u| u.address());
    let Some(user) = user else {
        let why = "the To header of a REGISTER must be the user's SIP URI (RFC 3261 §10.2)";
        return (
            Answer::BadRequest { why },
            Some(reply(r, req, 400, "Bad Request", to_tag)),
        );
    };
    let home = match dir.home(&user) {
        None => {
            return (
                Answer::UnknownUser { user },
                Some(reply(r, req, 404, "Not Found", to_tag).with(
                    "ms-diagnostics",
                    format!(
                        "4005;reason=\"Destination URI either not enabled for SIP or does not exist\";source=\"{}\"",
                        r.fqdn
                    ),
                )),
            );
        }
        Some(home) => home,
    };
    let to = match home {
        Home::Pool(pool) if r.role == Role::Pool && pool.as_str().eq_ignore_ascii_case(&r.fqdn) => {
            None
        }
        Home::Pool(_) if r.role == Role::Edge => None,
        Home::Pool(pool) => Some(pool_contact(pool.as_str())),
        Home::Online => Some(SipUri {
            secure: false,
            user: None,
            host: ONLINE_DIRECTOR.into(),
            port: Some(lyncdns_lync::services::SIP_TLS.port),
            params: vec![("transport".into(), "tls".into())],
        }),
    };
    if let Some(to) = to {
        let response = reply(r, req, 301, "Redirect request to Home Server", to_tag)
            .with("Contact", format!("<{to}>;q=0.7"));
        return (Answer::Redirect { user, to }, Some(response));
    }
    if req.header("Authorization").is_some() {
        return (
            Answer::CredentialsNotChecked { user },
            Some(reply(r, req, 403, "Forbidden", to_tag).with(
                "ms-diagnostics",
                "1000;reason=\"The lyncdns lab registrar does not run the NTLM, Kerberos or TLS-DSK handshake\"",
            )),
        );
    }
    // Behind the Edge, the home pool challenges: its name is the target.
    let challenger = match (r.role, home) {
        (Role::Edge, Home::Pool(pool)) => Registrar {
            fqdn: pool.as_str().to_ascii_lowercase(),
            ..r.clone()
        },
        _ => r.clone(),
    };
    let mut response = reply(r, req, 401, "Unauthorized", to_tag);
    for c in challenges(&challenger) {
        response = response.with("WWW-Authenticate", c.to_string());
    }
    (Answer::Challenge { user }, Some(response))
}

/// The challenges of [MS-SIPAE] §3.2.5.1 [S49]: NTLM and TLS-DSK name the server's FQDN as `targetname`, Kerberos
/// its service principal `sip/<fqdn>`; TLS-DSK adds where to get a client certificate.
pub fn challenges(r: &Registrar) -> Vec<Challenge> {
    let base = |scheme: &str, target: String| Challenge {
        scheme: scheme.to_owned(),
        params: vec![
            ("realm".into(), REALM.into()),
            ("targetname".into(), target),
            ("version".into(), SIPAE_VERSION.to_string()),
        ],
    };
    let mut tls_dsk = base("TLS-DSK", r.fqdn.clone());
    if let Some(url) = &r.cert_provisioning {
        tls_dsk.params.push(("sts-uri".into(), url.clone()));
    }
    vec![
        base("NTLM", r.fqdn.clone()),
        base("Kerberos", format!("sip/{}", r.fqdn)),
        tls_dsk,
    ]
}

/// A response to `req` (RFC 3261 §8.2.6.2): its Via fields, From, To (with `to_tag` added unless it has a tag),
/// Call-ID and CSeq copied, the `Server` header added.
fn reply(r: &Registrar, req: &Message, code: u16, reason: &str, to_tag: &str) -> Message {
    let mut m = Message::response(code, reason);
    for via in req.headers_named("Via") {
        m = m.with("Via", via);
    }
    if let Some(from) = req.header("From") {
        m = m.with("From", from);
    }
    if let Some(to) = req.header("To") {
        let to = if tag(to).is_some() || code == 100 {
            to.to_owned()
        } else {
            format!("{to};tag={to_tag}")
        };
        m = m.with("To", to);
    }
    for h in ["Call-ID", "CSeq"] {
        if let Some(v) = req.header(h) {
            m = m.with(h, v);
        }
    }
    m.with("Server", r.server.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool() -> Registrar {
        Registrar {
            fqdn: "fe01.contoso.com".into(),
            role: Role::Pool,
            server: "RTC/6.0 lyncdns".into(),
            cert_provisioning: Some(
                "https://webint.contoso.com/CertProv/CertProvisioningService.svc".into(),
            ),
        }
    }

    fn director() -> Registrar {
        Registrar {
            fqdn: "dir.contoso.com".into(),
            role: Role::Director,
            ..pool()
        }
    }

    fn dir() -> Directory {
        let fe = lyncdns_model::Fqdn::new("fe01.contoso.com").unwrap();
        let fe2 = lyncdns_model::Fqdn::new("fe02.contoso.com").unwrap();
        Directory {
            users: vec![
                ("alice@contoso.com".into(), Home::Pool(fe)),
                ("bob@contoso.com".into(), Home::Pool(fe2)),
                ("carol@contoso.com".into(), Home::Online),
            ],
        }
    }

    fn request(method: &str, user: &str) -> Message {
        Message::request(method, "sip:contoso.com")
            .with("Via", "SIP/2.0/TLS 192.0.2.1:4320;branch=z9hG4bK1")
            .with("From", format!("<sip:{user}>;tag=4a2b;epid=82"))
            .with("To", format!("<sip:{user}>"))
            .with("Call-ID", "d5f2")
            .with("CSeq", format!("1 {method}"))
    }

    #[test]
    fn listeners_are_placed_by_name_or_by_address() {
        let d = lyncdns_model::load(
            include_str!("../../../examples/enterprise-director.toml"),
            "enterprise-director.toml",
        )
        .unwrap();
        let at = |ip: &str| {
            place(&d, &Placement::Address(ip.parse().unwrap())).map(|r| (r.fqdn, r.role))
        };
        assert_eq!(
            at("10.0.5.12"),
            Ok(("dirpool.contoso.com".into(), Role::Director))
        );
        assert_eq!(
            at("2001:db8:100:10::11"),
            Ok(("pool01.contoso.com".into(), Role::Pool))
        );
        assert!(matches!(
            at("127.0.0.1"),
            Err(PlacementError::UnknownAddress(..))
        ));
        let named = place(&d, &Placement::Named("POOL02.contoso.com.".into())).unwrap();
        assert_eq!(named.fqdn, "pool02.contoso.com");
        assert!(place(&d, &Placement::Named("x.contoso.com".into())).is_err());
        assert_eq!(
            at("198.51.100.20"),
            Ok(("sip.contoso.com".into(), Role::Edge))
        );
        let names = certificate_names(&d);
        for n in [
            "dirpool.contoso.com",
            "dir01.contoso.com",
            "pool01.contoso.com",
            "fe11.contoso.com",
            "sip.contoso.com",
            "sip.contoso.net",
        ] {
            assert!(names.contains(&n.to_owned()), "{n} in {names:?}");
        }
    }

    #[test]
    fn options_answers_with_the_identity() {
        let (a, m) = answer(
            &pool(),
            &dir(),
            &request("OPTIONS", "alice@contoso.com"),
            "t1",
        );
        let m = m.unwrap();
        assert_eq!((a, m.status()), (Answer::Options, Some(200)));
        assert_eq!(m.header("Server"), Some("RTC/6.0 lyncdns"));
        assert!(m.header("Allow").unwrap().contains("REGISTER"));
        assert_eq!(m.header("To"), Some("<sip:alice@contoso.com>;tag=t1"));
        assert_eq!(m.header("CSeq"), Some("1 OPTIONS"));
        assert_eq!(
            m.header("Via"),
            Some("SIP/2.0/TLS 192.0.2.1:4320;branch=z9hG4bK1")
        );
    }

    #[test]
    fn a_director_redirects_each_user_to_the_home_pool() {
        for (user, host, port) in [
            ("alice@contoso.com", "fe01.contoso.com", 5061),
            ("Bob@Contoso.com", "fe02.contoso.com", 5061),
            ("carol@contoso.com", ONLINE_DIRECTOR, 443),
        ] {
            let (a, m) = answer(&director(), &dir(), &request("REGISTER", user), "t");
            let m = m.unwrap();
            assert_eq!(m.status(), Some(301), "{user}");
            let contact = &m.contacts()[0];
            assert_eq!(
                (contact.host.as_str(), contact.port),
                (host, Some(port)),
                "{user}"
            );
            assert_eq!(contact.param("transport"), Some("tls"));
            assert!(matches!(a, Answer::Redirect { .. }));
        }
    }

    #[test]
    fn a_pool_redirects_users_homed_elsewhere_and_challenges_its_own() {
        let (a, m) = answer(
            &pool(),
            &dir(),
            &request("REGISTER", "bob@contoso.com"),
            "t",
        );
        assert!(matches!(a, Answer::Redirect { .. }));
        assert_eq!(m.unwrap().contacts()[0].host, "fe02.contoso.com");
        let (a, m) = answer(
            &pool(),
            &dir(),
            &request("REGISTER", "alice@contoso.com"),
            "t",
        );
        let m = m.unwrap();
        assert_eq!(
            a,
            Answer::Challenge {
                user: "alice@contoso.com".into()
            }
        );
        assert_eq!(m.status(), Some(401));
        let c = m.challenges();
        let schemes: Vec<&str> = c.iter().map(|c| c.scheme.as_str()).collect();
        assert_eq!(schemes, ["NTLM", "Kerberos", "TLS-DSK"]);
        assert!(
            c.iter()
                .all(|c| c.param("realm") == Some(REALM) && c.param("version") == Some("4"))
        );
        assert_eq!(c[0].param("targetname"), Some("fe01.contoso.com"));
        assert_eq!(c[1].param("targetname"), Some("sip/fe01.contoso.com"));
        assert!(
            c[2].param("sts-uri")
                .unwrap()
                .ends_with("/CertProv/CertProvisioningService.svc")
        );
    }

    #[test]
    fn the_edge_relays_to_the_home_pool_which_challenges() {
        let edge = Registrar {
            fqdn: "sip.contoso.com".into(),
            role: Role::Edge,
            ..pool()
        };
        let (a, m) = answer(&edge, &dir(), &request("REGISTER", "bob@contoso.com"), "t");
        assert_eq!(
            a,
            Answer::Challenge {
                user: "bob@contoso.com".into()
            }
        );
        let c = m.unwrap().challenges();
        assert_eq!(c[1].param("targetname"), Some("sip/fe02.contoso.com"));
        let (a, _) = answer(
            &edge,
            &dir(),
            &request("REGISTER", "carol@contoso.com"),
            "t",
        );
        assert!(
            matches!(a, Answer::Redirect { .. }),
            "Online users are sent to Online"
        );
    }

    #[test]
    fn credentials_are_refused_not_accepted() {
        let req =
            request("REGISTER", "alice@contoso.com").with("Authorization", "NTLM qop=\"auth\"");
        let (a, m) = answer(&pool(), &dir(), &req, "t");
        assert!(matches!(a, Answer::CredentialsNotChecked { .. }));
        assert_eq!(m.unwrap().status(), Some(403));
    }

    #[test]
    fn unknown_users_get_404_with_the_lync_diagnostic() {
        let (a, m) = answer(
            &director(),
            &dir(),
            &request("REGISTER", "mallory@contoso.com"),
            "t",
        );
        assert!(matches!(a, Answer::UnknownUser { .. }));
        let m = m.unwrap();
        assert_eq!(m.status(), Some(404));
        assert!(m.header("ms-diagnostics").unwrap().starts_with("4005;"));
    }

    #[test]
    fn other_methods_ack_and_bad_requests() {
        let (a, m) = answer(
            &pool(),
            &dir(),
            &request("INVITE", "alice@contoso.com"),
            "t",
        );
        assert!(matches!(a, Answer::MethodNotAllowed { .. }));
        assert_eq!(m.unwrap().status(), Some(405));
        assert_eq!(
            answer(&pool(), &dir(), &request("ACK", "alice@contoso.com"), "t"),
            (Answer::Nothing, None)
        );
        let bare = Message::request("OPTIONS", "sip:x");
        let (a, m) = answer(&pool(), &dir(), &bare, "t");
        assert!(matches!(a, Answer::BadRequest { .. }));
        assert_eq!(m.unwrap().status(), Some(400));
        let response = Message::response(200, "OK");
        assert_eq!(
            answer(&pool(), &dir(), &response, "t"),
            (Answer::Nothing, None)
        );
    }
}
