//! How a discovery ends: a [`Verdict`], whose typed [`Outcome`] is what callers decide from, and whose
//! [`summary`](Verdict::summary) is the one line people read, rendered from it.

use std::fmt;
use std::net::IpAddr;

use serde::Serialize;
use serde::ser::SerializeStruct;

use super::host_of;

/// The source keys cited in this module's docs (`[S1]` …), as links to their entries.
#[cfg(doc)]
#[allow(unused_imports)]
use lyncdns_lync::sources::*;

/// How discovery ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// What the client reached, or why it cannot sign in.
    pub outcome: Outcome,
    /// The discovery method that decided it (`lyncdiscoverinternal`, `_sip._tls`, …); a redirect keeps the
    /// method that started it.
    pub via: Option<String>,
}

/// What the client reached, or why it cannot sign in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Outcome {
    /// It signs in at a SIP server found through SRV, an A-record fallback or the desktop's user document.
    SignsIn {
        /// The SIP server.
        host: String,
        /// Its port.
        port: u16,
        /// The server is outside the SIP domain and the trusted domains: the user sees the "cannot verify
        /// that the server is trusted" prompt first [S24].
        trust_prompt: bool,
        /// With `--probe`: the registrar that answered the client's REGISTER (after a Director's redirect, the
        /// home pool), and what it offered.
        #[serde(skip_serializing_if = "Option::is_none")]
        registrar: Option<Box<super::RegistrarAnswer>>,
    },
    /// A Store or mobile app reaches its UCWA applications resource (it continues over UCWA, not SIP) [S3].
    SignsInUcwa {
        /// The applications URL from the user document.
        url: String,
    },
    /// Autodiscover sends the client to Microsoft's Online service [S37]: Skype for Business Online until its
    /// retirement on 31 July 2021, Teams since (users homed Online are TeamsOnly users [S45]).
    RedirectedOnline {
        /// The Online Autodiscover URL.
        url: String,
        /// The redirect came with the user document (the user is homed online), not with the root.
        user_homed: bool,
    },
    /// Without `--probe`: the Autodiscover host resolves, and the client would use it.
    WouldUseAutodiscover {
        /// `lyncdiscoverinternal.<domain>` or `lyncdiscover.<domain>`.
        host: String,
        /// Its addresses.
        addrs: Vec<IpAddr>,
    },
    /// Without credentials: Autodiscover answers with a root document; the user document is not followed.
    AutodiscoverAnswers {
        /// The root URL that answered.
        url: String,
    },
    /// The client cannot sign in.
    Fails {
        /// Why.
        reason: Failure,
    },
}

/// Why a client cannot sign in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Failure {
    /// Every method in the client's list failed.
    EveryMethodFailed {
        /// Why each method failed (`label: reason`), in order.
        tried: Vec<String>,
    },
    /// Autodiscover failed, and this client (the Store app, or a mobile client without the fallback option)
    /// does not fall back to SRV records [S3], [S4].
    NoSrvFallback {
        /// Why each Autodiscover method failed (`label: reason`), in order.
        tried: Vec<String>,
    },
    /// The driver gave up after this many steps.
    StepLimit {
        /// The limit.
        steps: usize,
    },
    /// The SIP server found resolves to the reverse proxy, which carries only web traffic: SIP must go to the
    /// Access Edge (`docs/lync.md` §4 #2).
    ReverseProxy {
        /// The SIP server found.
        host: String,
        /// Its port.
        port: u16,
        /// The reverse proxy's address it resolves to.
        address: IpAddr,
    },
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::EveryMethodFailed { tried } => {
                write!(f, "every discovery method failed ({})", tried.join("; "))
            }
            Failure::NoSrvFallback { tried } => write!(
                f,
                "Autodiscover failed and this client does not fall back to SRV records ({})",
                tried.join("; ")
            ),
            Failure::StepLimit { steps } => {
                write!(f, "discovery did not end within {steps} steps")
            }
            Failure::ReverseProxy {
                host,
                port,
                address,
            } => write!(
                f,
                "{host}:{port} resolves to {address}, the reverse proxy, which carries only web traffic; SIP must go to the Access Edge"
            ),
        }
    }
}

impl Verdict {
    /// A verdict that the client cannot sign in, decided by no method.
    pub fn fails(reason: Failure) -> Verdict {
        Verdict {
            outcome: Outcome::Fails { reason },
            via: None,
        }
    }

    /// The client signs in (or reaches what it needs).
    pub fn ok(&self) -> bool {
        !matches!(self.outcome, Outcome::Fails { .. })
    }

    /// The server and port discovery led to: where the client signs in (for UCWA and Online, the web host on
    /// 443), or the SIP server refused as the reverse proxy.
    pub fn target(&self) -> Option<(String, u16)> {
        match &self.outcome {
            Outcome::SignsIn { host, port, .. }
            | Outcome::Fails {
                reason: Failure::ReverseProxy { host, port, .. },
            } => Some((host.clone(), *port)),
            Outcome::SignsInUcwa { url } | Outcome::RedirectedOnline { url, .. } => {
                Some((host_of(url), 443))
            }
            Outcome::WouldUseAutodiscover { .. }
            | Outcome::AutodiscoverAnswers { .. }
            | Outcome::Fails { .. } => None,
        }
    }

    /// The user sees the "cannot verify that the server is trusted" prompt first [S24].
    pub fn trust_prompt(&self) -> bool {
        matches!(
            self.outcome,
            Outcome::SignsIn {
                trust_prompt: true,
                ..
            }
        )
    }

    /// One line: "signs in at pool01.contoso.com:5061 via _sipinternaltls._tcp", or the exact reason it fails.
    pub fn summary(&self) -> String {
        self.to_string()
    }
}

/// The [`summary`](Verdict::summary).
impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let via = self
            .via
            .as_deref()
            .map(|v| format!(" via {v}"))
            .unwrap_or_default();
        match &self.outcome {
            Outcome::SignsIn {
                host,
                port,
                trust_prompt,
                registrar,
            } => {
                let prompt = if *trust_prompt {
                    " after a trust prompt (the server is outside the SIP domain and the trusted domains)"
                } else {
                    ""
                };
                write!(f, "signs in at {host}:{port}{via}{prompt}")?;
                match registrar {
                    Some(r) => write!(f, "; registrar {r}"),
                    None => Ok(()),
                }
            }
            Outcome::SignsInUcwa { url } => write!(f, "signs in through UCWA at {url}{via}"),
            Outcome::RedirectedOnline { url, user_homed } => write!(
                f,
                "redirected to Microsoft 365 at {url}{}",
                if *user_homed {
                    " (user homed online: a Teams user since Skype for Business Online was retired in 2021)"
                } else {
                    ""
                }
            ),
            Outcome::WouldUseAutodiscover { host, addrs } => {
                let shown: Vec<String> = addrs.iter().map(|a| a.to_string()).collect();
                write!(
                    f,
                    "would use Autodiscover at https://{host}/ ({}); run with --probe to follow it to the server",
                    shown.join(", ")
                )
            }
            Outcome::AutodiscoverAnswers { url } => write!(
                f,
                "Autodiscover answers at {url}; give --user and --password to follow the user document to the server"
            ),
            // The step limit is the driver's, not the client's: it is reported as it is.
            Outcome::Fails {
                reason: reason @ Failure::StepLimit { .. },
            } => write!(f, "{reason}"),
            Outcome::Fails { reason } => write!(f, "cannot sign in: {reason}"),
        }
    }
}

/// The JSON keys reports have always had (`ok`, `summary`, `target`, `via`, `trust_prompt`), derived from the
/// outcome, and the `outcome` itself.
impl Serialize for Verdict {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Verdict", 6)?;
        s.serialize_field("ok", &self.ok())?;
        s.serialize_field("summary", &self.summary())?;
        s.serialize_field("target", &self.target())?;
        s.serialize_field("via", &self.via)?;
        s.serialize_field("trust_prompt", &self.trust_prompt())?;
        s.serialize_field("outcome", &self.outcome)?;
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(outcome: Outcome, via: Option<&str>) -> Verdict {
        Verdict {
            outcome,
            via: via.map(str::to_owned),
        }
    }

    #[test]
    fn signs_in_names_server_method_and_prompt() {
        let v = verdict(
            Outcome::SignsIn {
                host: "pool01.contoso.com".into(),
                port: 5061,
                trust_prompt: false,
                registrar: None,
            },
            Some("_sipinternaltls._tcp"),
        );
        assert!(v.ok() && !v.trust_prompt());
        assert_eq!(v.target(), Some(("pool01.contoso.com".into(), 5061)));
        assert_eq!(
            v.summary(),
            "signs in at pool01.contoso.com:5061 via _sipinternaltls._tcp"
        );
        let v = verdict(
            Outcome::SignsIn {
                host: "sip.fabrikam.com".into(),
                port: 5061,
                trust_prompt: true,
                registrar: None,
            },
            Some("_sipinternaltls._tcp"),
        );
        assert!(v.ok() && v.trust_prompt());
        assert!(v.summary().ends_with(
            "via _sipinternaltls._tcp after a trust prompt (the server is outside the SIP domain and the trusted domains)"
        ));
    }

    #[test]
    fn ucwa_targets_the_web_host_on_443() {
        let v = verdict(
            Outcome::SignsInUcwa {
                url: "https://WebExt.contoso.com/ucwa/oauth/v1/applications".into(),
            },
            Some("lyncdiscover"),
        );
        assert!(v.ok() && !v.trust_prompt());
        assert_eq!(v.target(), Some(("webext.contoso.com".into(), 443)));
        assert_eq!(
            v.summary(),
            "signs in through UCWA at https://WebExt.contoso.com/ucwa/oauth/v1/applications via lyncdiscover"
        );
    }

    #[test]
    fn online_redirect_says_whether_the_user_is_homed_online() {
        let url = "https://webdir.online.lync.com/Autodiscover/AutodiscoverService.svc/root";
        let v = verdict(
            Outcome::RedirectedOnline {
                url: url.into(),
                user_homed: true,
            },
            Some("lyncdiscover"),
        );
        assert!(v.ok());
        assert_eq!(v.target(), Some(("webdir.online.lync.com".into(), 443)));
        assert_eq!(
            v.summary(),
            format!(
                "redirected to Microsoft 365 at {url} (user homed online: a Teams user since Skype for Business Online was retired in 2021)"
            )
        );
        let v = verdict(
            Outcome::RedirectedOnline {
                url: url.into(),
                user_homed: false,
            },
            Some("lyncdiscover"),
        );
        assert_eq!(v.summary(), format!("redirected to Microsoft 365 at {url}"));
    }

    #[test]
    fn unprobed_and_uncredentialed_autodiscover_have_no_target() {
        let v = verdict(
            Outcome::WouldUseAutodiscover {
                host: "lyncdiscover.contoso.com".into(),
                addrs: vec!["192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap()],
            },
            Some("lyncdiscover"),
        );
        assert!(v.ok() && v.target().is_none());
        assert_eq!(
            v.summary(),
            "would use Autodiscover at https://lyncdiscover.contoso.com/ (192.0.2.1, 192.0.2.2); run with --probe to follow it to the server"
        );
        let v = verdict(
            Outcome::AutodiscoverAnswers {
                url: "https://lyncdiscover.contoso.com/?sipuri=a@contoso.com".into(),
            },
            Some("lyncdiscover"),
        );
        assert!(v.ok() && v.target().is_none());
        assert_eq!(
            v.summary(),
            "Autodiscover answers at https://lyncdiscover.contoso.com/?sipuri=a@contoso.com; give --user and --password to follow the user document to the server"
        );
    }

    #[test]
    fn failures_read_cannot_sign_in_with_their_reason() {
        let tried = vec![
            "lyncdiscover: x does not resolve".into(),
            "_sip._tls: none".into(),
        ];
        let v = Verdict::fails(Failure::EveryMethodFailed {
            tried: tried.clone(),
        });
        assert!(!v.ok() && v.target().is_none() && v.via.is_none());
        assert_eq!(
            v.summary(),
            "cannot sign in: every discovery method failed (lyncdiscover: x does not resolve; _sip._tls: none)"
        );
        let v = Verdict::fails(Failure::NoSrvFallback { tried });
        assert!(!v.ok());
        assert!(
            v.summary().starts_with(
                "cannot sign in: Autodiscover failed and this client does not fall back to SRV records ("
            )
        );
        let v = Verdict::fails(Failure::StepLimit { steps: 100 });
        assert!(!v.ok());
        assert_eq!(v.summary(), "discovery did not end within 100 steps");
    }

    #[test]
    fn reverse_proxy_failure_keeps_the_server_found() {
        let v = Verdict {
            outcome: Outcome::Fails {
                reason: Failure::ReverseProxy {
                    host: "sip.contoso.com".into(),
                    port: 5061,
                    address: "203.0.113.20".parse().unwrap(),
                },
            },
            via: Some("_sip._tls".into()),
        };
        assert!(!v.ok() && !v.trust_prompt());
        assert_eq!(v.target(), Some(("sip.contoso.com".into(), 5061)));
        assert_eq!(
            v.summary(),
            "cannot sign in: sip.contoso.com:5061 resolves to 203.0.113.20, the reverse proxy, which carries only web traffic; SIP must go to the Access Edge"
        );
    }

    #[test]
    fn json_keeps_the_report_keys_and_adds_the_outcome() {
        let v = verdict(
            Outcome::SignsIn {
                host: "pool01.contoso.com".into(),
                port: 5061,
                trust_prompt: false,
                registrar: None,
            },
            Some("_sip._tls"),
        );
        let j = serde_json::to_value(&v).unwrap();
        assert_eq!(j["ok"], true);
        assert_eq!(
            j["summary"],
            "signs in at pool01.contoso.com:5061 via _sip._tls"
        );
        assert_eq!(j["target"], serde_json::json!(["pool01.contoso.com", 5061]));
        assert_eq!(j["via"], "_sip._tls");
        assert_eq!(j["trust_prompt"], false);
        assert_eq!(j["outcome"]["kind"], "signs-in");
        let j = serde_json::to_value(Verdict::fails(Failure::StepLimit { steps: 100 })).unwrap();
        assert_eq!(j["outcome"]["kind"], "fails");
        assert_eq!(j["outcome"]["reason"]["kind"], "step-limit");
    }
}
