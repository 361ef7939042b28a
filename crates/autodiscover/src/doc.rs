//! The Autodiscover documents ([MS-OCDISCWS] §2.2, `docs/lync.md` §3.2, §3.3), in both forms:
//! XML (`application/vnd.microsoft.rtc.autodiscover+xml;v=1`, the `AutodiscoverResponse` document) and JSON
//! (`{"_links":{…}}`, as UCWA clients read it). Pure: values in, text out.

use serde_json::{Map, Value, json};

/// The source keys cited in this module's docs (`[S1]` …), as links to their entries.
#[cfg(doc)]
#[allow(unused_imports)]
use lyncdns_lync::sources::*;

/// Where the caller is, as the view matcher says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessLocation {
    /// Inside: internal URLs are usable.
    Internal,
    /// Outside.
    External,
}

impl AccessLocation {
    /// `Internal` or `External`, as the XML attribute spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            AccessLocation::Internal => "Internal",
            AccessLocation::External => "External",
        }
    }
}

/// The response form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// The XML document.
    Xml,
    /// The JSON (HAL-style) document; `true` when the client asked for the Microsoft media type.
    Json(bool),
}

impl Form {
    /// The `Content-Type` of a response in this form.
    pub fn content_type(self) -> &'static str {
        match self {
            Form::Xml => "application/vnd.microsoft.rtc.autodiscover+xml; v=1",
            Form::Json(true) => "application/vnd.microsoft.rtc.autodiscover+json; v=1",
            Form::Json(false) => "application/json",
        }
    }
}

/// A `fqdn`/`port` pair of a `Sip*Access` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipAccess {
    /// Host name.
    pub fqdn: String,
    /// Port.
    pub port: u16,
}

/// What a document says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Doc {
    /// The anonymous root: links to `User`, `Domain`, `OAuth` (XML) or `self`, `user`, `xframe` (JSON).
    Root {
        /// Caller's location.
        location: AccessLocation,
        /// `https://<web fqdn>` the links point at.
        base: String,
        /// `originalDomain` query value.
        domain: String,
    },
    /// A single redirect, at the root (`Root/Link token=Redirect`) or user level (`User/Link token=Redirect`).
    Redirect {
        /// Caller's location.
        location: AccessLocation,
        /// Root URL of the next hop.
        href: String,
        /// True for a user-level redirect.
        user_level: bool,
    },
    /// A user homed here.
    User {
        /// Caller's location.
        location: AccessLocation,
        /// `https://<internal web fqdn>`.
        internal: String,
        /// `https://<external web fqdn>`.
        external: String,
        /// `originalDomain`.
        domain: String,
        /// SipServerInternalAccess, SipClientInternalAccess, SipServerExternalAccess, SipClientExternalAccess.
        sip: [Option<SipAccess>; 4],
        /// Whether MCX (Lync 2010 mobile) still exists (removed in Skype for Business 2019, [S9]).
        mcx: bool,
    },
    /// The anonymous domain resource: how this SIP domain signs in, for the caller's location only.
    Domain {
        /// Caller's location.
        location: AccessLocation,
        /// `https://<web fqdn>`.
        base: String,
        /// SIP access elements for the caller's location (Internal pair or External pair).
        sip: [Option<SipAccess>; 4],
    },
}

/// The path of the Autodiscover root.
pub const ROOT: &str = "/Autodiscover/AutodiscoverService.svc/root";
/// The XFrame page.
pub const XFRAME: &str = "/Autodiscover/XFrame/XFrame.html";
/// The OAuth token endpoint.
pub const TOKEN: &str = "/WebTicket/oauthtoken";

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

fn q(domain: &str) -> String {
    let encoded: String = domain
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'.' || b == b'-' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("?originalDomain={encoded}")
}

const SIP_NAMES: [&str; 4] = [
    "SipServerInternalAccess",
    "SipClientInternalAccess",
    "SipServerExternalAccess",
    "SipClientExternalAccess",
];

impl Doc {
    /// The `(token, href)` links of the document, in order.
    pub fn links(&self) -> Vec<(String, String)> {
        match self {
            Doc::Root { base, domain, .. } => vec![
                ("Self".into(), format!("{base}{ROOT}{}", q(domain))),
                ("User".into(), format!("{base}{ROOT}/user{}", q(domain))),
                ("Domain".into(), format!("{base}{ROOT}/domain{}", q(domain))),
                (
                    "OAuth".into(),
                    format!("{base}{ROOT}/oauth/user{}", q(domain)),
                ),
                ("XFrame".into(), format!("{base}{XFRAME}")),
            ],
            Doc::Redirect { href, .. } => vec![("Redirect".into(), href.clone())],
            Doc::User {
                internal,
                external,
                domain,
                mcx,
                location,
                ..
            } => {
                let mut links = Vec::new();
                for (side, base) in [("Internal", internal), ("External", external)] {
                    links.push((format!("{side}/Autodiscover"), format!("{base}{ROOT}")));
                    links.push((
                        format!("{side}/AuthBroker"),
                        format!("{base}/Reach/sip.svc"),
                    ));
                    links.push((format!("{side}/WebScheduler"), format!("{base}/Scheduler")));
                    if *mcx {
                        // Both MCX URLs use the external web FQDN: mobile clients always go through the reverse
                        // proxy ([S3], [S9]).
                        links.push((
                            format!("{side}/Mcx"),
                            format!("{external}/Mcx/McxService.svc"),
                        ));
                    }
                    links.push((
                        format!("{side}/Ucwa"),
                        format!("{external}/ucwa/v1/applications"),
                    ));
                    links.push((format!("{side}/XFrame"), format!("{base}{XFRAME}")));
                }
                links.push(("Ucwa".into(), format!("{external}/ucwa/v1/applications")));
                links.push(("XFrame".into(), format!("{external}{XFRAME}")));
                let own = if *location == AccessLocation::Internal {
                    internal
                } else {
                    external
                };
                links.push(("Self".into(), format!("{own}{ROOT}/user{}", q(domain))));
                links
            }
            Doc::Domain { base, .. } => vec![("Self".into(), format!("{base}{ROOT}/domain"))],
        }
    }

    /// The XML `AutodiscoverResponse` document.
    pub fn xml(&self) -> String {
        let location = match self {
            Doc::Root { location, .. }
            | Doc::Redirect { location, .. }
            | Doc::User { location, .. }
            | Doc::Domain { location, .. } => *location,
        };
        let (element, sip): (&str, Option<&[Option<SipAccess>; 4]>) = match self {
            Doc::Root { .. } => ("Root", None),
            Doc::Redirect {
                user_level: true, ..
            } => ("User", None),
            Doc::Redirect {
                user_level: false, ..
            } => ("Root", None),
            Doc::User { sip, .. } => ("User", Some(sip)),
            Doc::Domain { sip, .. } => ("Domain", Some(sip)),
        };
        let mut out = format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<AutodiscoverResponse xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" AccessLocation=\"{}\">\n  <{element}>\n",
            location.as_str()
        );
        for (name, access) in SIP_NAMES.iter().zip(sip.into_iter().flatten()) {
            if let Some(a) = access {
                out.push_str(&format!(
                    "    <{name} fqdn=\"{}\" port=\"{}\" />\n",
                    esc(&a.fqdn),
                    a.port
                ));
            }
        }
        for (token, href) in self.links() {
            out.push_str(&format!(
                "    <Link token=\"{}\" href=\"{}\" />\n",
                esc(&token),
                esc(&href)
            ));
        }
        out.push_str(&format!("  </{element}>\n</AutodiscoverResponse>\n"));
        out
    }

    /// The JSON document.
    pub fn json(&self) -> String {
        let href = |h: String| json!({ "href": h });
        let mut links = Map::new();
        match self {
            Doc::Root { base, domain, .. } => {
                links.insert("self".into(), href(format!("{base}{ROOT}{}", q(domain))));
                links.insert(
                    "user".into(),
                    href(format!("{base}{ROOT}/oauth/user{}", q(domain))),
                );
                links.insert("xframe".into(), href(format!("{base}{XFRAME}")));
            }
            Doc::Redirect { href: to, .. } => {
                links.insert("redirect".into(), href(to.clone()));
            }
            Doc::User {
                internal,
                external,
                domain,
                location,
                ..
            } => {
                let own = if *location == AccessLocation::Internal {
                    internal
                } else {
                    external
                };
                links.insert(
                    "self".into(),
                    href(format!("{own}{ROOT}/oauth/user{}", q(domain))),
                );
                // UCWA through the external web services, even from inside ([S3], [S9]).
                links.insert(
                    "applications".into(),
                    href(format!("{external}/ucwa/oauth/v1/applications")),
                );
                links.insert("xframe".into(), href(format!("{external}{XFRAME}")));
            }
            Doc::Domain { base, .. } => {
                links.insert("self".into(), href(format!("{base}{ROOT}/domain")));
            }
        }
        let mut text = serde_json::to_string(&Value::Object(Map::from_iter([(
            "_links".to_owned(),
            Value::Object(links),
        )])))
        .expect("JSON of strings");
        text.push('\n');
        text
    }

    /// The document in `form`.
    pub fn render(&self, form: Form) -> String {
        match form {
            Form::Xml => self.xml(),
            Form::Json(_) => self.json(),
        }
    }
}
