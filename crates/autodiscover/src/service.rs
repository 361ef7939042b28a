//! The Autodiscover service as a pure function from a request to a response ([MS-OCDISCWS] §3.1.5,
//! `docs/lync.md` §3): routing with case-insensitive paths, content negotiation, the anonymous root, the
//! 401 → token → 200 flow, redirects to another pool or to Online, and the errors of bad input. The HTTP shell
//! ([`crate::http`]) only converts to and from these types.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use lyncdns_dnsdata::view::ViewMatcher;
use lyncdns_lync::naming::{LYNCDISCOVER, LYNCDISCOVERINTERNAL, srv_target_allowed};
use lyncdns_model::{Deployment, Fqdn, Home, Location, Pool, Product};

use crate::auth::{Guard, Limits, Tokens, loggable, verify_or_stand_in};
use crate::doc::{AccessLocation, Doc, Form, ROOT, SipAccess, TOKEN, XFRAME};
use crate::handshake::Handshakes;
use crate::webticket;

/// The source keys cited in this module's docs (`[S1]` …), as links to their entries.
#[cfg(doc)]
#[allow(unused_imports)]
use lyncdns_lync::sources::*;

/// Longest request target accepted (path and query); longer gets 414.
pub const MAX_TARGET: usize = 2048;
/// Largest token request body; larger gets 413.
pub const MAX_BODY: usize = 8192;

/// A request, as the HTTP shell hands it over.
#[derive(Debug, Clone)]
pub struct Req<'a> {
    /// Method.
    pub method: &'a str,
    /// Path and query, as sent.
    pub target: &'a str,
    /// `Accept`.
    pub accept: Option<&'a str>,
    /// `Authorization`.
    pub authorization: Option<&'a str>,
    /// `X-MS-WebTicket`.
    pub webticket: Option<&'a str>,
    /// `Content-Type`.
    pub content_type: Option<&'a str>,
    /// `Host`.
    pub host: Option<&'a str>,
    /// Body.
    pub body: &'a [u8],
    /// Whether it came over TLS.
    pub https: bool,
    /// The client's address.
    pub client: IpAddr,
    /// The connection it came on, numbered by the HTTP shell: NTLM authenticates a connection, not a request.
    pub connection: u64,
}

/// A response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resp {
    /// Status code.
    pub status: u16,
    /// Headers (a name may repeat: two `WWW-Authenticate`).
    pub headers: Vec<(&'static str, String)>,
    /// Body.
    pub body: String,
}

impl Resp {
    fn new(status: u16, content_type: &str, body: String) -> Resp {
        Resp {
            status,
            headers: vec![
                ("Content-Type", content_type.to_owned()),
                ("Cache-Control", "no-cache".into()),
            ],
            body,
        }
    }

    fn error(status: u16, reason: &str) -> Resp {
        Resp::new(status, "text/plain; charset=utf-8", format!("{reason}\n"))
    }

    /// The value of header `name` (first one).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A user known to the service.
pub(crate) struct Account {
    home: Home,
    pub(crate) hash: String,
    /// The NT hash, for NTLM at the WebTicket service (lab users that have one).
    pub(crate) nt: Option<[u8; 16]>,
}

/// Everything the service answers from, derived from a deployment.
pub struct Service {
    matcher: ViewMatcher,
    locations: Vec<Location>,
    primary: String,
    domains: Vec<String>,
    online_domains: Vec<String>,
    online_url: Option<String>,
    /// The pool this service runs on (the Director if any, else the sign-in pool).
    here: Fqdn,
    /// Every pool's `https://internal` and `https://external` web bases.
    pools: HashMap<Fqdn, (String, String)>,
    access: Option<Fqdn>,
    strict: bool,
    mcx: bool,
    pub(crate) users: HashMap<String, Account>,
    pub(crate) tokens: Arc<Tokens>,
    /// Failed-grant counters (kept across reloads, like the tokens).
    pub(crate) guard: Arc<Guard>,
    /// NTLM handshakes in progress at the WebTicket service (kept across reloads).
    pub(crate) handshakes: Arc<Handshakes>,
}

fn bases(p: &Pool) -> (String, String) {
    (
        format!("https://{}", p.web.internal_fqdn),
        format!("https://{}", p.web.external_fqdn),
    )
}

/// Routes, matched case-insensitively as real servers do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Root,
    User,
    OAuthUser,
    Domain,
    XFrame,
    Token,
    WebTicketMex,
    WebTicketAuth,
}

fn route(path: &str) -> Option<Route> {
    let p = path.trim_end_matches('/').to_ascii_lowercase();
    let root = ROOT.to_ascii_lowercase();
    Some(match p.as_str() {
        "" => Route::Root,
        _ if p == root => Route::Root,
        _ if p == format!("{root}/user") => Route::User,
        _ if p == format!("{root}/oauth/user") => Route::OAuthUser,
        _ if p == format!("{root}/domain") => Route::Domain,
        _ if p == XFRAME.to_ascii_lowercase() => Route::XFrame,
        _ if p == TOKEN.to_ascii_lowercase() => Route::Token,
        _ if p == webticket::MEX.to_ascii_lowercase() => Route::WebTicketMex,
        _ if p == webticket::AUTH.to_ascii_lowercase() => Route::WebTicketAuth,
        _ => return None,
    })
}

/// The token of an `Authorization: Bearer <token>` header; the scheme is case-insensitive (RFC 9110 §11.1).
fn bearer(authorization: &str) -> Option<&str> {
    let (scheme, token) = authorization.trim_start().split_once([' ', '\t'])?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token)
}

/// Decodes `%XX` (and `+` as space when `form`); `None` for a bad escape or non-UTF-8.
///
/// Hand-written rather than `percent-encoding`'s decoder, which passes a malformed escape (`%zz`, a trailing `%4`)
/// through as text: a request carrying one is refused here (400), never read as something else.
fn percent_decode(s: &str, form: bool) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' if form => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// `key=value` pairs of a query string or form body.
fn params(s: &str, form: bool) -> Option<Vec<(String, String)>> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            Some((
                percent_decode(k, form)?.to_ascii_lowercase(),
                percent_decode(v, form)?,
            ))
        })
        .collect()
}

/// The domain of a `sipuri` value (`user@domain` or `sip:user@domain`), if it is well formed.
fn sipuri_domain(v: &str) -> Option<String> {
    let v = v.trim();
    let v = v
        .strip_prefix("sip:")
        .or_else(|| v.strip_prefix("SIP:"))
        .unwrap_or(v);
    if v.len() > 256 {
        return None;
    }
    let (user, domain) = v.rsplit_once('@')?;
    if user.is_empty()
        || user
            .chars()
            .any(|c| c.is_control() || "<>\" @:;".contains(c))
    {
        return None;
    }
    Fqdn::new(domain).ok().map(|d| d.to_string())
}

/// The form the client accepts, in the order of its `Accept` header; JSON when it states nothing ([S4]).
fn negotiate(accept: Option<&str>) -> Option<Form> {
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
        return Some(Form::Json(false));
    };
    for range in accept.split(',') {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or("").to_ascii_lowercase();
        if parts.any(|p| p.replace(' ', "") == "q=0") {
            continue;
        }
        match media.as_str() {
            "application/vnd.microsoft.rtc.autodiscover+xml" => return Some(Form::Xml),
            "application/vnd.microsoft.rtc.autodiscover+json" => return Some(Form::Json(true)),
            "application/json" | "*/*" | "application/*" => return Some(Form::Json(false)),
            _ => {}
        }
    }
    None
}

impl Service {
    /// The service for `d`, with a new token store.
    pub fn new(d: &Deployment) -> Service {
        Self::with_tokens(
            d,
            Arc::new(Tokens::new(Duration::from_secs(d.serve.token_lifetime_s))),
            Arc::new(Guard::new(Limits::default())),
            Arc::new(Handshakes::new()),
        )
    }

    /// The service for a reloaded deployment: tokens issued before the reload stay valid.
    pub fn reloaded(&self, d: &Deployment) -> Service {
        Self::with_tokens(
            d,
            self.tokens.clone(),
            self.guard.clone(),
            self.handshakes.clone(),
        )
    }

    fn with_tokens(
        d: &Deployment,
        tokens: Arc<Tokens>,
        guard: Arc<Guard>,
        handshakes: Arc<Handshakes>,
    ) -> Service {
        let front = d.director.as_ref().unwrap_or_else(|| d.sign_in_pool());
        let pools = d
            .all_pools()
            .map(|(p, _)| (p.fqdn.clone(), bases(p)))
            .collect();
        let users = d
            .users
            .iter()
            .map(|u| {
                (
                    u.sip.to_ascii_lowercase(),
                    Account {
                        home: u.home.clone(),
                        hash: u.password_hash.clone(),
                        nt: u.nt_hash.as_deref().and_then(crate::ntlm::parse_nt_hash),
                    },
                )
            })
            .collect();
        Service {
            matcher: ViewMatcher::new(d.views.iter().map(|v| v.clients.as_slice())),
            locations: d.views.iter().map(|v| v.location).collect(),
            primary: d.sip.primary_domain.to_string(),
            domains: d.sip_domains().iter().map(|x| x.to_string()).collect(),
            online_domains: d.online_domains().iter().map(|x| x.to_string()).collect(),
            online_url: d.hybrid.as_ref().map(|h| h.autodiscover_url.clone()),
            here: front.fqdn.clone(),
            pools,
            access: d.edge.as_ref().map(|e| e.access.fqdn.clone()),
            strict: d.options.strict_dns_naming,
            mcx: d.product != Product::Skype2019,
            users,
            tokens,
            guard,
            handshakes,
        }
    }

    /// The deployment's primary SIP domain.
    pub(crate) fn primary_domain(&self) -> &str {
        &self.primary
    }

    /// Internal or External for a client, by the same view matcher as DNS (no matching view: External).
    pub fn location(&self, client: IpAddr) -> AccessLocation {
        match self.matcher.select(client).map(|i| self.locations[i]) {
            Some(Location::Internal) => AccessLocation::Internal,
            _ => AccessLocation::External,
        }
    }

    pub(crate) fn base(&self, pool: &Fqdn, location: AccessLocation) -> &str {
        let (internal, external) = &self.pools[pool];
        if location == AccessLocation::Internal {
            internal
        } else {
            external
        }
    }

    /// Answers one request at time `now`.
    pub fn handle(&self, req: &Req<'_>, now: SystemTime) -> Resp {
        if req.target.len() > MAX_TARGET {
            return Resp::error(414, "request target too long");
        }
        let (path, query) = req.target.split_once('?').unwrap_or((req.target, ""));
        let Some(route) = route(path) else {
            return Resp::error(404, "not found");
        };
        let allowed = match route {
            Route::Token | Route::WebTicketAuth => "POST",
            Route::WebTicketMex => "GET, HEAD, POST",
            _ => "GET, HEAD",
        };
        if !allowed.split(", ").any(|m| m == req.method) {
            let mut r = Resp::error(
                405,
                &format!("method {} not allowed; use {allowed}", req.method),
            );
            r.headers.push(("Allow", allowed.to_owned()));
            return r;
        }
        let location = self.location(req.client);
        match route {
            Route::XFrame => Resp::new(
                200,
                "text/html; charset=utf-8",
                "<!DOCTYPE html>\n<html><head><title>XFrame</title></head><body></body></html>\n"
                    .into(),
            ),
            Route::Token => self.token(req, now),
            Route::WebTicketMex => self.webticket_mex(req, location),
            Route::WebTicketAuth => self.webticket_auth(req, location, now),
            _ => {
                let Some(form) = negotiate(req.accept) else {
                    return Resp::error(
                        406,
                        "acceptable types: application/vnd.microsoft.rtc.autodiscover+xml; v=1, application/json",
                    );
                };
                let Some(params) = params(query, false) else {
                    return Resp::error(400, "malformed query string");
                };
                let mut domain = None;
                for (k, v) in &params {
                    match k.as_str() {
                        "sipuri" => match sipuri_domain(v) {
                            Some(d) => domain = Some(d),
                            None => {
                                return Resp::error(400, "malformed sipuri: expected user@domain");
                            }
                        },
                        "originaldomain" if domain.is_none() => {
                            domain = Fqdn::new(v).ok().map(|d| d.to_string())
                        }
                        _ => {}
                    }
                }
                let domain = domain
                    .or_else(|| self.domain_from_host(req.host))
                    .unwrap_or_else(|| self.primary.clone());
                let mut resp = match route {
                    Route::Root => self.root(req, location, &domain, form),
                    Route::Domain => self.domain(req.host, location, &domain, form),
                    _ => self.user(req, route, location, &domain, form, now),
                };
                // Naming the serving pool is useful inside and a leak outside.
                if location == AccessLocation::Internal {
                    resp.headers
                        .push(("X-MS-Server-Fqdn", self.here(req.host).to_string()));
                }
                resp
            }
        }
    }

    /// The pool a request reached: the one whose internal or external web services FQDN is the `Host`; any other
    /// name (`lyncdiscover.<domain>` through the reverse proxy) reaches the Director, else the sign-in pool.
    pub(crate) fn here(&self, host: Option<&str>) -> &Fqdn {
        let host = host.map(|h| {
            h.rsplit_once(':')
                .filter(|(_, p)| p.chars().all(|c| c.is_ascii_digit()))
                .map(|(h, _)| h)
                .unwrap_or(h)
                .to_ascii_lowercase()
        });
        if let Some(host) = host {
            for (pool, (internal, external)) in &self.pools {
                if internal.strip_prefix("https://") == Some(host.as_str())
                    || external.strip_prefix("https://") == Some(host.as_str())
                {
                    return pool;
                }
            }
        }
        &self.here
    }

    /// `lyncdiscover.<domain>` / `lyncdiscoverinternal.<domain>` → `<domain>`, for one of our SIP domains.
    fn domain_from_host(&self, host: Option<&str>) -> Option<String> {
        let host = host?
            .rsplit_once(':')
            .map(|(h, p)| {
                if p.chars().all(|c| c.is_ascii_digit()) {
                    h
                } else {
                    host.unwrap_or("")
                }
            })
            .unwrap_or(host?);
        let host = host.to_ascii_lowercase();
        let rest = host
            .strip_prefix(LYNCDISCOVERINTERNAL)
            .or_else(|| host.strip_prefix(LYNCDISCOVER))?
            .strip_prefix('.')?;
        self.domains
            .iter()
            .chain(&self.online_domains)
            .find(|d| d.as_str() == rest)
            .cloned()
    }

    fn doc(doc: Doc, form: Form) -> Resp {
        Resp::new(200, form.content_type(), doc.render(form))
    }

    fn root(&self, req: &Req<'_>, location: AccessLocation, domain: &str, form: Form) -> Resp {
        let base = self.base(self.here(req.host), location).to_owned();
        let original = format!("?originalDomain={domain}");
        if !req.https {
            // The plain-HTTP root answers with a single redirect to the HTTPS root ([S12] 3.1.5.2, [S13]).
            return Self::doc(
                Doc::Redirect {
                    location,
                    href: format!("{base}{ROOT}{original}"),
                    user_level: false,
                },
                form,
            );
        }
        if self.online_domains.iter().any(|d| d == domain)
            && let Some(url) = &self.online_url
        {
            return Self::doc(
                Doc::Redirect {
                    location,
                    href: format!("{url}{original}"),
                    user_level: false,
                },
                form,
            );
        }
        Self::doc(
            Doc::Root {
                location,
                base,
                domain: domain.to_owned(),
            },
            form,
        )
    }

    fn sip_access(
        &self,
        pool: &Fqdn,
        domain: &str,
        location: Option<AccessLocation>,
    ) -> [Option<SipAccess>; 4] {
        let internal = |port| {
            Some(SipAccess {
                fqdn: pool.to_string(),
                port,
            })
        };
        let ext_fqdn = self.access.as_ref().map(|a| {
            if srv_target_allowed(a.as_str(), domain, self.strict) {
                a.to_string()
            } else {
                format!("sip.{domain}")
            }
        });
        let external = |port| ext_fqdn.clone().map(|fqdn| SipAccess { fqdn, port });
        let show_internal = location != Some(AccessLocation::External);
        let show_external = location != Some(AccessLocation::Internal);
        [
            internal(5061).filter(|_| show_internal),
            internal(5061).filter(|_| show_internal),
            external(5061).filter(|_| show_external),
            external(443).filter(|_| show_external),
        ]
    }

    fn domain(
        &self,
        host: Option<&str>,
        location: AccessLocation,
        domain: &str,
        form: Form,
    ) -> Resp {
        let here = self.here(host);
        let base = self.base(here, location).to_owned();
        let sip = self.sip_access(here, domain, Some(location));
        Self::doc(
            Doc::Domain {
                location,
                base,
                sip,
            },
            form,
        )
    }

    fn challenge(
        &self,
        host: Option<&str>,
        route: Route,
        location: AccessLocation,
        domain: &str,
    ) -> Resp {
        let base = self.base(self.here(host), location);
        let mut r = Resp::error(401, "authentication required");
        r.headers.push(("WWW-Authenticate", format!("Bearer trusted_issuers=\"00000002-0000-0ff1-ce00-000000000000@{domain}\", client_id=\"00000004-0000-0ff1-ce00-000000000000\"")));
        // Only the grant served: the password grant ([S14] lists windows and anonmeeting too).
        r.headers.push((
            "WWW-Authenticate",
            format!("MsRtcOAuth href=\"{base}{TOKEN}\",grant_type=\"password\""),
        ));
        if route == Route::User {
            r.headers
                .push(("X-MS-WebTicketURL", format!("{base}{}", webticket::SERVICE)));
        }
        r
    }

    fn user(
        &self,
        req: &Req<'_>,
        route: Route,
        location: AccessLocation,
        domain: &str,
        form: Form,
        now: SystemTime,
    ) -> Resp {
        if !req.https {
            return Resp::error(403, "the user resource is served over HTTPS only");
        }
        // A bearer token (the OAuth grant), else a web ticket: `X-MS-WebTicket: opaque=<base64 assertion>`.
        let (token, ticket) = match (req.authorization.and_then(bearer), req.webticket) {
            (Some(t), _) => (Some(t.trim().to_owned()), false),
            (None, Some(w)) => (webticket::ticket_token(w), true),
            (None, None) => (None, false),
        };
        let Some(token) = token else {
            return self.challenge(req.host, route, location, domain);
        };
        let Some(user) = self.tokens.user(&token, now) else {
            if ticket {
                // An expired or unknown web ticket: the 401 again, with the WebTicket URL, so the client gets a
                // new ticket (sipe drops its cached ticket on it).
                return self.challenge(req.host, route, location, domain);
            }
            // [MS-OCDISCWS] 3.1.5.5 (S12): an invalid Authorization header MUST get 403 Forbidden, and Lync
            // clients restart discovery on a 403 (S13). RFC 6750 §3.1 would answer 401; the protocol real clients
            // speak wins, and the RFC's `error="invalid_token"` is added so a generic OAuth client knows why.
            let mut r = Resp::error(403, "invalid or expired token");
            r.headers.push((
                "WWW-Authenticate",
                "Bearer error=\"invalid_token\", error_description=\"the token is invalid or expired\"".into(),
            ));
            return r;
        };
        let Some(account) = self.users.get(&user) else {
            // A user removed since the token was issued: no home pool is known.
            return Resp {
                status: 404,
                headers: vec![("Cache-Control", "no-cache".into())],
                body: String::new(),
            };
        };
        let user_domain = user.rsplit_once('@').map(|(_, d)| d).unwrap_or(domain);
        let original = format!("?originalDomain={user_domain}");
        match &account.home {
            Home::Online => match &self.online_url {
                Some(url) => Self::doc(
                    Doc::Redirect {
                        location,
                        href: format!("{url}{original}"),
                        user_level: true,
                    },
                    form,
                ),
                None => Resp::error(
                    404,
                    "user is homed online, but no Online Autodiscover URL is configured",
                ),
            },
            Home::Pool(pool) if pool != self.here(req.host) => {
                let href = format!("{}{ROOT}{original}", self.base(pool, location));
                Self::doc(
                    Doc::Redirect {
                        location,
                        href,
                        user_level: true,
                    },
                    form,
                )
            }
            Home::Pool(pool) => {
                let (internal, external) = self.pools[pool].clone();
                let sip = self.sip_access(pool, user_domain, None);
                Self::doc(
                    Doc::User {
                        location,
                        internal,
                        external,
                        domain: user_domain.to_owned(),
                        sip,
                        mcx: self.mcx,
                    },
                    form,
                )
            }
        }
    }

    fn token(&self, req: &Req<'_>, now: SystemTime) -> Resp {
        if !req.https {
            return Resp::error(403, "credentials are accepted over HTTPS only");
        }
        if !req.content_type.is_some_and(|c| {
            c.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        }) {
            return Resp::error(415, "use Content-Type: application/x-www-form-urlencoded");
        }
        if req.body.len() > MAX_BODY {
            return Resp::error(413, "request body too large");
        }
        let oauth_error = |status, code: &str| {
            Resp::new(
                status,
                "application/json",
                format!("{{\"error\":\"{code}\"}}\n"),
            )
        };
        let Some(form) = std::str::from_utf8(req.body)
            .ok()
            .and_then(|b| params(b, true))
        else {
            return oauth_error(400, "invalid_request");
        };
        let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        match get("grant_type") {
            Some("password") => {}
            Some(_) => return oauth_error(400, "unsupported_grant_type"),
            None => return oauth_error(400, "invalid_request"),
        }
        let (Some(username), Some(password)) = (get("username"), get("password")) else {
            return oauth_error(400, "invalid_request");
        };
        let username = username
            .trim()
            .trim_start_matches("sip:")
            .to_ascii_lowercase();
        if let Err(t) = self.guard.check(&username, req.client, now) {
            let mut r = oauth_error(429, "too_many_requests");
            r.headers
                .push(("Retry-After", t.retry_after.as_secs().to_string()));
            return r;
        }
        // An unknown user costs a verification too, so the time taken does not tell which names exist.
        let account = self.users.get(&username);
        let ok = verify_or_stand_in(password, account.map(|a| a.hash.as_str()));
        if !ok {
            self.guard.failed(&username, req.client, now);
            // Same answer for an unknown user and a wrong password. The log names only an existing user (a
            // password typed into the user field must never reach a log), sanitized, and at a bounded rate.
            if let Some(suppressed) = self.guard.may_log(now) {
                match account {
                    Some(_) => {
                        tracing::info!(user = %loggable(&username), client = %req.client, suppressed, "token request refused: wrong password")
                    }
                    None => {
                        tracing::info!(client = %req.client, suppressed, "token request refused: unknown user")
                    }
                }
            }
            return oauth_error(400, "invalid_grant");
        }
        let Some((token, lifetime)) = self.tokens.issue(&username, now) else {
            return Resp::error(500, "no randomness for a token");
        };
        let body = serde_json::json!({
            "access_token": token,
            "expires_in": lifetime.as_secs(),
            "ms_rtc_identityscope": "local",
            "token_type": "Bearer",
        });
        Resp::new(200, "application/json", format!("{body}\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_negotiation() {
        assert_eq!(negotiate(None), Some(Form::Json(false)));
        assert_eq!(
            negotiate(Some("application/vnd.microsoft.rtc.autodiscover+xml;v=1")),
            Some(Form::Xml)
        );
        assert_eq!(
            negotiate(Some("text/html, */*;q=0.8")),
            Some(Form::Json(false))
        );
        assert_eq!(
            negotiate(Some("application/vnd.microsoft.rtc.autodiscover+json;v=1")),
            Some(Form::Json(true))
        );
        assert_eq!(negotiate(Some("text/html")), None);
        assert_eq!(negotiate(Some("application/json;q=0")), None);
    }

    #[test]
    fn sipuri_and_percent_decoding() {
        assert_eq!(
            sipuri_domain("alice@Contoso.com").as_deref(),
            Some("contoso.com")
        );
        assert_eq!(
            sipuri_domain("sip:alice@contoso.com").as_deref(),
            Some("contoso.com")
        );
        assert_eq!(sipuri_domain("alice"), None);
        assert_eq!(sipuri_domain("@contoso.com"), None);
        assert_eq!(sipuri_domain("a<b>@contoso.com"), None);
        assert_eq!(sipuri_domain("alice@contoso"), None);
        assert_eq!(percent_decode("a%40b+c", true).as_deref(), Some("a@b c"));
        assert_eq!(percent_decode("%zz", false), None);
        assert_eq!(percent_decode("%4", false), None);
    }

    #[test]
    fn routes_ignore_case() {
        assert_eq!(route("/"), Some(Route::Root));
        assert_eq!(
            route("/autodiscover/AUTODISCOVERSERVICE.svc/Root"),
            Some(Route::Root)
        );
        assert_eq!(
            route("/Autodiscover/AutodiscoverService.svc/root/oauth/user"),
            Some(Route::OAuthUser)
        );
        assert_eq!(route("/webticket/OAuthToken"), Some(Route::Token));
        assert_eq!(route("/etc/passwd"), None);
    }
}
