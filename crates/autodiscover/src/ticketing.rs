//! The WebTicket service's two endpoints on [`Service`], pure like the rest of it ([MS-OCAUTHWS] [S47],
//! `docs/lync.md` §3.4): `…/WebTicketService.svc/mex` (the metadata) and `…/WebTicketService.svc/Auth`, where a
//! SOAP `RequestSecurityToken` authenticated by HTTP NTLM, or Negotiate carrying NTLM, gets a web ticket.
//!
//! The handshake on `/Auth` ([MS-NLMP] [S48], [RFC 4559]): no `Authorization` → 401 offering `Negotiate` and
//! `NTLM`; NEGOTIATE message → 401 with the CHALLENGE (kept for that connection); AUTHENTICATE → the NTLMv2
//! response is verified against the user's NT hash, under the same per-user and per-network failure limits as
//! the OAuth grant ([`crate::auth::Guard`]), and the body's `RequestSecurityToken` is answered with the ticket.
//!
//! [RFC 4559]: https://www.rfc-editor.org/rfc/rfc4559

use std::time::SystemTime;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

use crate::auth::loggable;
use crate::doc::AccessLocation;
use crate::handshake::{Pending, Wrapping};
use crate::ntlm::{self, NtlmError};
use crate::service::{Account, Req, Resp, Service};
use crate::spnego;
use crate::webticket::{self, Rst, Ticket};

/// The source keys cited in this module's docs (`[S1]` …), as links to their entries.
#[cfg(doc)]
#[allow(unused_imports)]
use lyncdns_lync::sources::*;

/// What an `Authorization` header on `/Auth` holds.
enum Step<'a> {
    /// An NTLM message, and how it was wrapped.
    Ntlm(Wrapping, &'a [u8]),
    /// SPNEGO without an NTLM message yet (Kerberos offered first): ask for NTLM.
    AskForNtlm,
    /// SPNEGO offering no NTLM.
    NoNtlm,
}

fn text(status: u16, content_type: &str, body: String) -> Resp {
    Resp {
        status,
        headers: vec![
            ("Content-Type", content_type.to_owned()),
            ("Cache-Control", "no-cache".into()),
        ],
        body,
    }
}

/// 401 offering exactly what is served: Negotiate (NTLM inside) and NTLM.
fn offer() -> Resp {
    let mut r = text(
        401,
        "text/plain; charset=utf-8",
        "authentication required: Negotiate (NTLM) or NTLM\n".into(),
    );
    r.headers.push(("WWW-Authenticate", "Negotiate".into()));
    r.headers.push(("WWW-Authenticate", "NTLM".into()));
    r
}

/// 401 continuing a handshake with `token` under the client's scheme.
fn continue_with(wrapping: Wrapping, token: &[u8]) -> Resp {
    let mut r = text(
        401,
        "text/plain; charset=utf-8",
        "authentication continues\n".into(),
    );
    let value = match wrapping {
        Wrapping::Ntlm => format!("NTLM {}", B64.encode(token)),
        Wrapping::NegotiateRaw => format!("Negotiate {}", B64.encode(token)),
        Wrapping::Spnego => format!(
            "Negotiate {}",
            B64.encode(spnego::response(
                spnego::State::AcceptIncomplete,
                Some(token)
            ))
        ),
    };
    r.headers.push(("WWW-Authenticate", value));
    r
}

fn bad(reason: &str) -> Resp {
    text(400, "text/plain; charset=utf-8", format!("{reason}\n"))
}

impl Service {
    /// `GET|POST …/WebTicketService.svc/mex`: the metadata, naming the `/Auth` endpoint on the host the client
    /// asked (internal or external web services).
    pub(crate) fn webticket_mex(&self, req: &Req<'_>, location: AccessLocation) -> Resp {
        if !req.https {
            return bad("the WebTicket service is served over HTTPS only");
        }
        let base = self.base(self.here(req.host), location);
        text(200, "text/xml; charset=utf-8", webticket::mex(base))
    }

    /// `POST …/WebTicketService.svc/Auth`: one step of the NTLM handshake, and at its end the ticket.
    pub(crate) fn webticket_auth(
        &self,
        req: &Req<'_>,
        location: AccessLocation,
        now: SystemTime,
    ) -> Resp {
        if !req.https {
            return text(
                403,
                "text/plain; charset=utf-8",
                "credentials are accepted over HTTPS only\n".into(),
            );
        }
        let Some(authorization) = req.authorization else {
            return offer();
        };
        let (scheme, token) = authorization
            .trim()
            .split_once(' ')
            .map(|(s, t)| (s, t.trim()))
            .unwrap_or((authorization.trim(), ""));
        let ntlm_scheme = scheme.eq_ignore_ascii_case("NTLM");
        if !ntlm_scheme && !scheme.eq_ignore_ascii_case("Negotiate") {
            return offer();
        }
        let Ok(decoded) = B64.decode(token) else {
            return bad("the authorization token is not base64");
        };
        let step = if ntlm_scheme {
            Step::Ntlm(Wrapping::Ntlm, &decoded)
        } else {
            match spnego::parse(&decoded) {
                Ok(spnego::Token::Raw(m)) => Step::Ntlm(Wrapping::NegotiateRaw, m),
                Ok(spnego::Token::Spnego(Some(m))) => Step::Ntlm(Wrapping::Spnego, m),
                Ok(spnego::Token::Spnego(None)) => Step::AskForNtlm,
                Ok(spnego::Token::NoNtlm) => Step::NoNtlm,
                Err(_) => return bad("malformed Negotiate token"),
            }
        };
        let (wrapping, message) = match step {
            Step::Ntlm(w, m) => (w, m),
            Step::AskForNtlm => {
                let mut r = text(
                    401,
                    "text/plain; charset=utf-8",
                    "continue with NTLM\n".into(),
                );
                r.headers.push((
                    "WWW-Authenticate",
                    format!(
                        "Negotiate {}",
                        B64.encode(spnego::response(spnego::State::AcceptIncomplete, None))
                    ),
                ));
                return r;
            }
            Step::NoNtlm => {
                // Kerberos only: not served here. Say so, and offer NTLM.
                let mut r = text(
                    401,
                    "text/plain; charset=utf-8",
                    "only NTLM is served, inside Negotiate or on its own\n".into(),
                );
                r.headers.push((
                    "WWW-Authenticate",
                    format!(
                        "Negotiate {}",
                        B64.encode(spnego::response(spnego::State::Reject, None))
                    ),
                ));
                r.headers.push(("WWW-Authenticate", "NTLM".into()));
                return r;
            }
        };
        match ntlm::message_type(message) {
            Ok(1) => self.ntlm_challenge(req, wrapping, message, now),
            Ok(3) => self.ntlm_authenticate(req, location, wrapping, message, now),
            Ok(_) => bad("unexpected NTLM message type"),
            Err(e) => bad(&e.to_string()),
        }
    }

    /// NEGOTIATE → CHALLENGE, kept for this connection.
    fn ntlm_challenge(
        &self,
        req: &Req<'_>,
        wrapping: Wrapping,
        message: &[u8],
        now: SystemTime,
    ) -> Resp {
        let flags = match ntlm::parse_negotiate(message) {
            Ok(f) => f,
            Err(e) => return bad(&e.to_string()),
        };
        let mut challenge = [0u8; 8];
        if getrandom::fill(&mut challenge).is_err() {
            return text(500, "text/plain", "no randomness for a challenge\n".into());
        }
        self.handshakes.start(
            req.connection,
            Pending {
                challenge,
                wrapping,
                sent: now,
            },
        );
        let here = self.here(req.host).to_string();
        let primary = self.primary_domain();
        let nb_domain = primary
            .split('.')
            .next()
            .unwrap_or("LYNCDNS")
            .to_ascii_uppercase();
        let target = ntlm::Target {
            nb_domain: &nb_domain,
            nb_computer: "LYNCDNS",
            dns_domain: primary,
            dns_computer: &here,
        };
        let m = ntlm::challenge(&challenge, flags, &target, ntlm::filetime(now));
        continue_with(wrapping, &m)
    }

    /// The lab user an NTLM user and domain name: `user@domain` (the UPN, taken as the SIP address), or
    /// `DOMAIN\user` for the user whose SIP domain's first label is `DOMAIN`.
    fn ntlm_account(&self, user: &str, domain: &str) -> Option<(String, &Account)> {
        let user = user.to_ascii_lowercase();
        if user.contains('@') {
            return self.users.get(&user).map(|a| (user.clone(), a));
        }
        let domain = domain.to_ascii_lowercase();
        if domain.is_empty() {
            return None;
        }
        let mut found: Vec<_> = self
            .users
            .iter()
            .filter(|(sip, _)| {
                sip.split_once('@').is_some_and(|(local, dom)| {
                    local == user
                        && (dom == domain || dom.split('.').next() == Some(domain.as_str()))
                })
            })
            .collect();
        found.sort_by(|a, b| a.0.cmp(b.0));
        found.first().map(|(s, a)| ((*s).clone(), *a))
    }

    /// AUTHENTICATE → the NTLMv2 response verified → the ticket for the body's `RequestSecurityToken`.
    fn ntlm_authenticate(
        &self,
        req: &Req<'_>,
        location: AccessLocation,
        wrapping: Wrapping,
        message: &[u8],
        now: SystemTime,
    ) -> Resp {
        let Some(pending) = self.handshakes.take(req.connection, now) else {
            // No challenge was sent on this connection (or it expired): start again.
            return offer();
        };
        let auth = match ntlm::parse_authenticate(message) {
            Ok(a) => a,
            Err(NtlmError::NotV2) => {
                tracing::info!(client = %req.client, "WebTicket: NTLMv1 response refused");
                return offer();
            }
            Err(e) => return bad(&e.to_string()),
        };
        let account = self.ntlm_account(&auth.user, &auth.domain);
        // Failures are counted under the SIP address when the user is known, else under the name as sent.
        let counted = match &account {
            Some((sip, _)) => sip.clone(),
            None if auth.domain.is_empty() => auth.user.to_ascii_lowercase(),
            None => format!(
                "{}\\{}",
                auth.domain.to_ascii_lowercase(),
                auth.user.to_ascii_lowercase()
            ),
        };
        if let Err(t) = self.guard.check(&counted, req.client, now) {
            let mut r = text(
                429,
                "text/plain; charset=utf-8",
                "too many failed sign-ins\n".into(),
            );
            r.headers
                .push(("Retry-After", t.retry_after.as_secs().to_string()));
            return r;
        }
        // An unknown user (or one without an NT hash) costs the same HMACs, against a hash that never matches.
        let nt = account.as_ref().and_then(|(_, a)| a.nt);
        let verified = ntlm::verify_v2(&nt.unwrap_or([0; 16]), &auth, &pending.challenge);
        let Some((sip, _)) = account.filter(|_| verified && nt.is_some()) else {
            self.guard.failed(&counted, req.client, now);
            if let Some(suppressed) = self.guard.may_log(now) {
                tracing::info!(user = %loggable(&counted), client = %req.client, suppressed, "WebTicket: NTLM sign-in refused");
            }
            return offer();
        };
        let rst = match webticket::parse_rst(req.body) {
            Ok(r) => r,
            Err(e) => return soap_fault(400, false, &e.to_string(), wrapping),
        };
        if rst.claimed.as_ref().is_some_and(|c| *c != sip) {
            return soap_fault(
                403,
                rst.soap12,
                "the claimed SIP URI is not the authenticated user's",
                wrapping,
            );
        }
        let Some((id, lifetime)) = self
            .tokens
            .issue_prefixed(webticket::TICKET_PREFIX, &sip, now)
        else {
            return text(500, "text/plain", "no randomness for a ticket\n".into());
        };
        let issuer = self.base(self.here(req.host), location).to_owned();
        let body = webticket::rstr(
            &rst,
            &Ticket {
                id: &id,
                user: &sip,
                issuer: &issuer,
                now,
                lifetime,
            },
        );
        tracing::debug!(user = %loggable(&sip), client = %req.client, "WebTicket issued");
        let mut r = text(200, content_type(&rst), body);
        finish(&mut r, wrapping);
        r
    }
}

/// A SOAP fault with `status`, after a successful authentication.
fn soap_fault(status: u16, soap12: bool, reason: &str, wrapping: Wrapping) -> Resp {
    let rst = Rst {
        soap12,
        ..Rst::default()
    };
    let mut r = text(status, content_type(&rst), webticket::fault(soap12, reason));
    finish(&mut r, wrapping);
    r
}

fn content_type(rst: &Rst) -> &'static str {
    if rst.soap12 {
        "application/soap+xml; charset=utf-8"
    } else {
        "text/xml; charset=utf-8"
    }
}

/// SPNEGO ends with the server's `accept-completed` ([RFC 4559] 5).
fn finish(r: &mut Resp, wrapping: Wrapping) {
    if wrapping == Wrapping::Spnego {
        r.headers.push((
            "WWW-Authenticate",
            format!(
                "Negotiate {}",
                B64.encode(spnego::response(spnego::State::AcceptCompleted, None))
            ),
        ));
    }
}
