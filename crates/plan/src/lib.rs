//! The record planner: from a [`Deployment`], every DNS record each view needs, the feature that needs it,
//! whether it is required, its source in `docs/lync.md`, and the certificate names each role needs.
//!
//! The planner is pure: no I/O, no clock, no randomness; the same deployment always gives the same [`Plan`].
//! It works in three steps:
//! 1. [`rules`] turns the deployment into *wanted records* per location (internal / external), each with its
//!    reason. This is where the Lync knowledge lives (`docs/lync.md` §1).
//! 2. [`zones`] places the wanted records of each view into the zones that view serves, adds SOA, NS and glue,
//!    and creates pin-point zones for SIP-domain names that no zone of the view holds ([S2], [S3]).
//! 3. [`certs`] derives the certificate subject names each role needs.
//!
//! [`export`] renders a plan as a table, JSON, RFC 1035 master files, BIND views or PowerShell.

/// The source keys cited in this module's docs (`[S1]` …), as links to their entries.
#[cfg(doc)]
#[allow(unused_imports)]
use lyncdns_lync::sources::*;

pub mod certs;
pub mod export;
pub mod rules;
pub mod scenario;
pub mod zones;

use std::fmt;

use ipnet::IpNet;
use lyncdns_dnsdata::rdata::RecordData;
use lyncdns_model::{Deployment, Location};
use serde::Serialize;

pub use certs::Certificate;

/// The whole plan: records per view, certificate names, and the decisions the planner made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// The deployment's name, for headers.
    pub name: String,
    /// One entry per view, in the deployment's order (which is also the match order).
    pub views: Vec<ViewPlan>,
    /// Certificates per role.
    pub certificates: Vec<Certificate>,
    /// Decisions and defaults worth telling the admin about, with sources.
    pub notes: Vec<Note>,
}

/// What one view serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ViewPlan {
    /// The view's name.
    pub name: String,
    /// Inside or outside.
    pub location: Location,
    /// The client prefixes it matches.
    pub clients: Vec<IpNet>,
    /// Its zones, sorted by name.
    pub zones: Vec<ZonePlan>,
    /// The name of its catalog zone (RFC 9432), when its secondaries provision its zones from one: the server
    /// builds the catalog from the zones it serves (zone files included); exports only name it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub catalog: Option<String>,
}

/// One zone of one view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ZonePlan {
    /// The zone apex, lowercase, no trailing dot.
    pub origin: String,
    /// A normal zone, or a pin-point zone holding one name.
    pub kind: ZoneKind,
    /// Its records: SOA first, then NS, then the rest by owner.
    pub records: Vec<PlannedRecord>,
}

/// Whether a zone is a whole domain or a pin-point zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ZoneKind {
    /// A configured zone (`dns.internal_zones` / `dns.external_zones`).
    Domain,
    /// A zone whose apex is the only name it holds, for a SIP domain with no matching internal zone ([S2], [S3]).
    PinPoint,
}

/// One planned resource record and why it exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedRecord {
    /// Owner name, lowercase, no trailing dot (may hold underscores: `_sip._tls.contoso.com`).
    pub owner: String,
    /// TTL in seconds.
    pub ttl: u32,
    /// Type and data.
    pub data: RecordData,
    /// The feature that needs it.
    pub feature: Feature,
    /// Other features that need the same record.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also_for: Vec<Feature>,
    /// Required, recommended or optional.
    pub need: Need,
    /// Source keys of `docs/lync.md` (`S1`, `S7`, …).
    pub sources: Vec<&'static str>,
    /// Why, in one sentence.
    pub why: String,
}

/// The feature a record serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Feature {
    /// SOA, NS and name-server glue.
    Zone,
    /// Server and pool host records.
    Servers,
    /// Web services FQDNs.
    WebServices,
    /// Autodiscover (`lyncdiscoverinternal`, `lyncdiscover`).
    Autodiscover,
    /// Mobile clients and the Windows Store app.
    Mobility,
    /// Automatic sign-in inside (`_sipinternaltls._tcp`).
    SignIn,
    /// Legacy clients' A-record fallbacks and SIP over TCP.
    LegacySignIn,
    /// Automatic sign-in from outside (`_sip._tls`, external `sip`).
    ExternalSignIn,
    /// Federation and public IM connectivity.
    Federation,
    /// Push notifications.
    PushNotifications,
    /// XMPP federation.
    Xmpp,
    /// Lync Phone Edition desk phones.
    Phones,
    /// Simple URLs.
    SimpleUrls,
    /// Office Web Apps Server.
    OfficeWebApps,
    /// Edge services.
    Edge,
    /// Hybrid / Online domains.
    Online,
}

impl Feature {
    /// The kebab-case name used in every output.
    pub fn as_str(self) -> &'static str {
        match self {
            Feature::Zone => "zone",
            Feature::Servers => "servers",
            Feature::WebServices => "web-services",
            Feature::Autodiscover => "autodiscover",
            Feature::Mobility => "mobility",
            Feature::SignIn => "sign-in",
            Feature::LegacySignIn => "legacy-sign-in",
            Feature::ExternalSignIn => "external-sign-in",
            Feature::Federation => "federation",
            Feature::PushNotifications => "push-notifications",
            Feature::Xmpp => "xmpp",
            Feature::Phones => "phones",
            Feature::SimpleUrls => "simple-urls",
            Feature::OfficeWebApps => "office-web-apps",
            Feature::Edge => "edge",
            Feature::Online => "online",
        }
    }
}

impl fmt::Display for Feature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How much a record is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Need {
    /// The feature fails without it.
    Required,
    /// Some clients or situations fail without it.
    Recommended,
    /// Harmless to omit for most deployments.
    Optional,
}

impl Need {
    /// `required`, `recommended` or `optional`.
    pub fn as_str(self) -> &'static str {
        match self {
            Need::Required => "required",
            Need::Recommended => "recommended",
            Need::Optional => "optional",
        }
    }
}

/// A decision or default the planner wants the admin to know about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    /// What was decided, and why.
    pub text: String,
    /// Source keys.
    pub sources: Vec<&'static str>,
}

/// Plans every view of `deployment`.
pub fn plan(deployment: &Deployment) -> Plan {
    let wanted = rules::wanted(deployment);
    let views = deployment
        .views
        .iter()
        .map(|v| zones::place(deployment, v, &wanted))
        .collect();
    Plan {
        name: deployment
            .name
            .clone()
            .unwrap_or_else(|| deployment.sip.primary_domain.to_string()),
        views,
        certificates: certs::certificates(deployment),
        notes: wanted.notes,
    }
}

impl Plan {
    /// The view called `name`.
    pub fn view(&self, name: &str) -> Option<&ViewPlan> {
        self.views.iter().find(|v| v.name == name)
    }
}

impl ViewPlan {
    /// Every record of every zone of this view.
    pub fn records(&self) -> impl Iterator<Item = (&ZonePlan, &PlannedRecord)> {
        self.zones
            .iter()
            .flat_map(|z| z.records.iter().map(move |r| (z, r)))
    }

    /// The zone that holds `name` (the longest matching origin), if any.
    pub fn zone_of(&self, name: &str) -> Option<&ZonePlan> {
        self.zones
            .iter()
            .filter(|z| lyncdns_model::fqdn::is_within(name, &z.origin))
            .max_by_key(|z| z.origin.len())
    }
}
