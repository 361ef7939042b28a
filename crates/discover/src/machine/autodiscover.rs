//! The Autodiscover methods (`lyncdiscoverinternal`, `lyncdiscover`): resolve the host, fetch the root document
//! (in the configured HTTP order), follow redirects that pass the anti-spoofing rule, take the 401 challenge to
//! the token endpoint, fetch the user document with the token, and resolve the SIP server it names (desktop) or
//! stop at the UCWA applications link (Store, mobile) [S3], [S4], [S13].

use std::collections::VecDeque;
use std::net::IpAddr;

use lyncdns_dnsdata::resolve::Lookup;
use lyncdns_dnsdata::types::Rtype;
use lyncdns_lync::naming::LYNCDISCOVERINTERNAL;

use super::methods::m_label;
use super::{
    Client, Fetch, HttpOrder, Machine, Outcome, Request, Response, Verdict, Wait, host_of, parent,
    port_of, status_of, within,
};

/// The source keys cited in this module's docs (`[S1]` …), as links to their entries.
#[cfg(doc)]
#[allow(unused_imports)]
use lyncdns_lync::sources::*;

impl Machine {
    /// The Autodiscover host's addresses: without `--probe` the verdict is that the client would use it;
    /// otherwise its root URLs are fetched.
    pub(super) fn on_ad_address(&mut self, host: String, l: Lookup) -> Request {
        let addrs = l.addresses();
        if addrs.is_empty() {
            let why = format!("{host} does not resolve ({})", status_of(&host, &l));
            // HTTPS to both hosts came first; the internal host's HTTP attempt is still due.
            if let Some(deferred) = self.deferred_http.take() {
                self.note = Some(format!("{why}; trying {} as deferred", deferred.0));
                self.failures.push(why);
                let internal = host_of(&deferred.0);
                return self.fetch_root(internal, VecDeque::from([deferred]), 0);
            }
            return self.fail_method(why);
        }
        if !self.options.probe {
            return Request::Done(Verdict {
                via: Some(m_label(&host)),
                outcome: Outcome::WouldUseAutodiscover { host, addrs },
            });
        }
        let mut urls = self.root_urls(&host, &addrs);
        if self.options.http_order == HttpOrder::HttpsAllFirst {
            if host.starts_with(&format!("{LYNCDISCOVERINTERNAL}.")) {
                // HTTPS to both hosts before any HTTP [S34]: the internal HTTP attempt waits until the
                // external host's HTTPS has been tried.
                self.deferred_http = urls.iter().find(|(u, _)| u.starts_with("http:")).cloned();
                urls.retain(|(u, _)| u.starts_with("https:"));
            } else if let Some(deferred) = self.deferred_http.take() {
                urls.insert(1.min(urls.len()), deferred);
            }
        }
        self.fetch_root(host, urls, 0)
    }

    /// The root document: a redirect, or the `User` link to fetch (after the token when credentials are given).
    /// A failed URL moves on to the next one for the host.
    pub(super) fn on_ad_root(
        &mut self,
        host: String,
        mut urls: VecDeque<(String, Vec<IpAddr>)>,
        hops: u8,
        response: Option<Response>,
        error: Option<String>,
    ) -> Request {
        let tried = urls.pop_front().map(|(u, _)| u).unwrap_or_default();
        let why = match (&response, &error) {
            (_, Some(e)) => Some(format!("{tried}: {e}")),
            (Some(r), _) if r.status != 200 => Some(format!("{tried}: HTTP {}", r.status)),
            _ => None,
        };
        if let Some(why) = why {
            if urls.is_empty() {
                return self.fail_method(why);
            }
            self.note = Some(format!("{why}; trying the next URL"));
            return self.fetch_root(host, urls, hops);
        }
        let body = response.map(|r| r.body).unwrap_or_default();
        let links = crate::docs::links(&body);
        if let Some(redirect) = crate::docs::link(&links, &["Redirect", "redirect"]) {
            // The service that answered is the host of the URL fetched (after a redirect, no longer `host`).
            return self.follow_redirect(&host_of(&tried), redirect, hops, false);
        }
        let Some(user) = crate::docs::link(&links, &["User", "user"]).map(str::to_owned) else {
            if urls.is_empty() {
                return self.fail_method(format!("{tried}: the root document has no User link"));
            }
            return self.fetch_root(host, urls, hops);
        };
        if !self.options.credentials {
            return Request::Done(Verdict {
                outcome: Outcome::AutodiscoverAnswers { url: tried },
                via: Some(m_label(&host)),
            });
        }
        self.wait = Wait::AdUserChallenge {
            host,
            user_url: user.clone(),
            hops,
        };
        Request::Fetch(Fetch {
            url: user,
            method: "GET",
            accept: self.client.accept(),
            bearer: false,
            token_request: false,
            addrs: Vec::new(),
        })
    }

    /// The user document without a token: a 401 whose `MsRtcOAuth` challenge names the token endpoint, which
    /// must belong to the server that challenged.
    pub(super) fn on_ad_user_challenge(
        &mut self,
        host: String,
        user_url: String,
        hops: u8,
        response: Option<Response>,
        error: Option<String>,
    ) -> Request {
        let Some(r) = response else {
            return self.fail_method(format!("{user_url}: {}", error.unwrap_or_default()));
        };
        if r.status != 401 {
            return self.fail_method(format!(
                "{user_url}: expected 401 with the token endpoint, got HTTP {}",
                r.status
            ));
        }
        let href = r.header("www-authenticate").find_map(|v| {
            let v = v.trim();
            let rest = v.strip_prefix("MsRtcOAuth")?;
            let start = rest.find("href=\"")? + 6;
            rest[start..].split('"').next().map(str::to_owned)
        });
        let Some(token_url) = href else {
            return self.fail_method(format!("{user_url}: 401 without an MsRtcOAuth challenge"));
        };
        // The token endpoint must belong to the server that challenged (its host or its domain).
        let (token_host, user_host) = (host_of(&token_url), host_of(&user_url));
        if token_host != user_host
            && !within(&token_host, &parent(&user_host))
            && !self.trusted(&token_host)
        {
            return self.fail_method(format!(
                "token endpoint {token_url} is not on {user_host} nor in its domain (anti-spoofing)"
            ));
        }
        self.wait = Wait::AdToken {
            host,
            user_url,
            hops,
        };
        Request::Fetch(Fetch {
            url: token_url,
            method: "POST",
            accept: "application/json",
            bearer: false,
            token_request: true,
            addrs: Vec::new(),
        })
    }

    /// The token response: with a token, the user document is fetched again, with it.
    pub(super) fn on_ad_token(
        &mut self,
        host: String,
        user_url: String,
        hops: u8,
        response: Option<Response>,
        error: Option<String>,
    ) -> Request {
        let Some(r) = response else {
            return self.fail_method(format!("token request: {}", error.unwrap_or_default()));
        };
        if r.status != 200 {
            return self.fail_method(format!(
                "token request refused: HTTP {} {}",
                r.status,
                r.body.trim()
            ));
        }
        self.note = Some("token issued".into());
        self.wait = Wait::AdUser {
            host,
            user_url: user_url.clone(),
            hops,
        };
        Request::Fetch(Fetch {
            url: user_url,
            method: "GET",
            accept: self.client.accept(),
            bearer: true,
            token_request: false,
            addrs: Vec::new(),
        })
    }

    /// The user document: a redirect (another pool, or Online), the UCWA applications link for the Store and
    /// mobile apps, or the desktop's `SipClient*Access` server, whose name is resolved next.
    pub(super) fn on_ad_user(
        &mut self,
        host: String,
        user_url: String,
        hops: u8,
        response: Option<Response>,
        error: Option<String>,
    ) -> Request {
        let Some(r) = response else {
            return self.fail_method(format!("{user_url}: {}", error.unwrap_or_default()));
        };
        match r.status {
            200 => {}
            404 => {
                return self.fail_method("the server does not know this user (404)".into());
            }
            s => return self.fail_method(format!("{user_url}: HTTP {s}")),
        }
        let links = crate::docs::links(&r.body);
        if let Some(redirect) = crate::docs::link(&links, &["Redirect", "redirect"]) {
            // The user document came from the service the root's User link named (a Director's web services,
            // say), not from the lyncdiscover host: that service is the one whose domain counts.
            return self.follow_redirect(&host_of(&user_url), redirect, hops, true);
        }
        let via = self.method_label(&host);
        if self.client != Client::Desktop {
            // UCWA clients continue with the applications resource, not SIP.
            // The client has not signed in until it reaches that URL: resolve its host (and connect when
            // probing connections) first.
            return match crate::docs::link(&links, &["applications", "Ucwa"]) {
                Some(app) => {
                    let url = app.to_owned();
                    let host = host_of(&url);
                    self.wait = Wait::UcwaAddress { via, url };
                    Request::Lookup {
                        name: host,
                        qtype: Rtype::A,
                    }
                }
                None => self.fail_method("the user document has no UCWA applications link".into()),
            };
        }
        let Some((fqdn, port)) = crate::docs::sip_access(&r.body) else {
            return self.fail_method(
                "the user document has no SipClient*Access element for this location".into(),
            );
        };
        self.wait = Wait::AdSipAddress {
            via,
            fqdn: fqdn.clone(),
            port,
        };
        Request::Lookup {
            name: fqdn,
            qtype: Rtype::A,
        }
    }

    /// The addresses of the SIP server the user document named.
    pub(super) fn on_ad_sip_address(
        &mut self,
        via: String,
        fqdn: String,
        port: u16,
        l: Lookup,
    ) -> Request {
        let addrs = l.addresses();
        if addrs.is_empty() {
            return self.fail_method(format!(
                "the SIP server {fqdn} from Autodiscover does not resolve ({})",
                status_of(&fqdn, &l)
            ));
        }
        self.connect_or_done(via, fqdn, port, addrs, false, VecDeque::new())
    }

    /// The addresses of the UCWA applications URL's host. Both UCWA links name the external web services, even
    /// for a client inside, so a mobile client on the LAN reaches UCWA only if that name resolves there and the
    /// reverse proxy can be reached from inside (hair-pinning) [S3], [S9] (`docs/lync.md` §2.3, §4 #9).
    pub(super) fn on_ucwa_address(&mut self, via: String, url: String, l: Lookup) -> Request {
        let host = host_of(&url);
        let addrs = l.addresses();
        if addrs.is_empty() {
            return self.fail_method(format!(
                "the UCWA host {host} does not resolve from here ({}): UCWA clients use the external web \
                 services URL even on the LAN, so it must resolve inside and the reverse proxy must allow \
                 hair-pinning",
                status_of(&host, &l)
            ));
        }
        if !self.options.connect {
            return Request::Done(Verdict {
                outcome: Outcome::SignsInUcwa { url },
                via: Some(via),
            });
        }
        // Reaching it is an HTTPS request like the others (so `--dial` applies): any HTTP answer means the web
        // services were reached; a UCWA session itself is not created.
        self.wait = Wait::UcwaReach {
            via,
            url: url.clone(),
        };
        Request::Fetch(Fetch {
            url,
            method: "GET",
            accept: "application/json",
            bearer: true,
            token_request: false,
            addrs,
        })
    }

    /// The answer of the UCWA host: any HTTP response means the client reaches UCWA; none, from inside, is
    /// hair-pinning that fails.
    pub(super) fn on_ucwa_reach(
        &mut self,
        via: String,
        url: String,
        response: Option<Response>,
        error: Option<String>,
    ) -> Request {
        match response {
            Some(r) => {
                self.note = Some(format!("the UCWA host answered (HTTP {})", r.status));
                Request::Done(Verdict {
                    outcome: Outcome::SignsInUcwa { url },
                    via: Some(via),
                })
            }
            None => self.fail_method(format!(
                "cannot reach the UCWA host {}:{}: {} (from inside, the reverse proxy must allow \
                 hair-pinning)",
                host_of(&url),
                port_of(&url),
                error.unwrap_or_default()
            )),
        }
    }

    /// Autodiscover root URLs for `host` in the configured order (for one host; the per-host list is built when
    /// its name resolves).
    fn root_urls(&self, host: &str, addrs: &[IpAddr]) -> VecDeque<(String, Vec<IpAddr>)> {
        let uri = &self.uri;
        let https = (format!("https://{host}/?sipuri={uri}"), addrs.to_vec());
        let http = (format!("http://{host}/?sipuri={uri}"), addrs.to_vec());
        match self.options.http_order {
            HttpOrder::HttpsOnly => VecDeque::from([https]),
            HttpOrder::HttpFirst => VecDeque::from([http, https]),
            // Per host HTTPS then HTTP; HttpsAllFirst differs only across hosts, see `on_ad_address`.
            HttpOrder::HttpsFirst | HttpOrder::HttpsAllFirst => VecDeque::from([https, http]),
        }
    }

    /// Fetches the first of `urls`, the root URLs left for `host`.
    fn fetch_root(
        &mut self,
        host: String,
        urls: VecDeque<(String, Vec<IpAddr>)>,
        hops: u8,
    ) -> Request {
        let Some((url, addrs)) = urls.front().cloned() else {
            return self.fail_method(format!("no URL left for {host}"));
        };
        self.wait = Wait::AdRoot { host, urls, hops };
        Request::Fetch(Fetch {
            url,
            method: "GET",
            accept: self.client.accept(),
            bearer: false,
            token_request: false,
            addrs,
        })
    }

    /// Follows a `Redirect` link when it passes the anti-spoofing rule: the new host lies in the SIP domain, in the
    /// domain of the Autodiscover service that sent the redirect, or in a trusted domain (Online's hosts among
    /// them) [S13].
    ///
    /// Which domain counts was decided by the sources, not by the simulator's first guess (the SIP domain's
    /// lyncdiscover host, which refused every Director redirect to a home pool in another DNS domain, e.g.
    /// `dave@contoso.net` → `webint02.contoso.com`, issue 16 point 3): UCWA's Root URL page [S13], step 3, fails
    /// a redirect "to a domain different from the domain of the autodiscovery service", and the service that
    /// answers the user request is the one the root's `User` link named (the Director's web services); its own
    /// example redirects discovery for `user@vdomain.com` to `contoso.com`. [MS-OCDISCWS] 3.1.5.3 [S12] makes a
    /// `Redirect` the answer for any user homed on another pool, with no rule on its domain, and a redirect from a
    /// trusted server is trusted [S24] (`docs/lync.md` §2.5, §3.1). So `from_host` is that service's host.
    fn follow_redirect(
        &mut self,
        from_host: &str,
        href: &str,
        hops: u8,
        user_level: bool,
    ) -> Request {
        let to = host_of(href);
        let online = within(&to, "online.lync.com");
        if !(within(&to, &self.domain)
            || within(&to, &parent(from_host))
            || self.trusted(&to)
            || online)
        {
            return self.fail_method(format!(
                "redirect to {href} refused by the anti-spoofing rule ({to} is not in {}, nor in {} where the \
                 Autodiscover service {from_host} is, nor in a trusted domain; see --trusted-domains)",
                self.domain,
                parent(from_host)
            ));
        }
        if hops >= 5 {
            return self.fail_method("more than 5 Autodiscover redirects".into());
        }
        if online {
            return Request::Done(Verdict {
                outcome: Outcome::RedirectedOnline {
                    url: href.to_owned(),
                    user_homed: user_level,
                },
                via: Some(self.method_label(from_host)),
            });
        }
        self.note = Some(format!("redirected to {href}"));
        self.fetch_root(
            to,
            VecDeque::from([(href.to_owned(), Vec::new())]),
            hops + 1,
        )
    }
}
