//! The Lync knowledge: which records each location needs, for which feature, and why
//! (`docs/lync.md` §1; each record cites its source keys).
//!
//! The output is a list of *wanted records* per location, not yet placed in zones: [`crate::zones`] does that
//! per view. Records are emitted in a fixed order, most fundamental first, so that when two features want the
//! same record the first one names it and the later ones are listed in `also_for`.
//!
//! By location and feature group: `internal.rs` (servers and pools, web services, Autodiscover, sign-in SRV,
//! legacy fallbacks, desk phones, simple URLs, Office Web Apps), `external.rs` (Edge, external sign-in,
//! federation, XMPP, and what the reverse proxy publishes), [`online`] (Microsoft's records for Online domains)
//! and `notes.rs` (the decisions worth telling, among them where the sources disagree).

use std::net::IpAddr;

use lyncdns_model::{Deployment, Location, Pool};

use crate::{Feature, Need, Note};
use lyncdns_dnsdata::rdata::RecordData;

mod external;
mod internal;
mod notes;
pub mod online;

/// The source keys cited in this module's docs (`[S1]` …), as links to their entries.
#[cfg(doc)]
#[allow(unused_imports)]
use lyncdns_lync::sources::*;

/// Where a wanted record may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// A host name the deployment checked to be inside a zone of its location.
    Host,
    /// A name derived from a SIP domain: placed in the zone that holds it, or else in a pin-point zone of its own
    /// ([S2], [S3]).
    SipDomain,
    /// A name published only when a zone of the view already holds it (e.g. the internal copy of an external
    /// name in a split-brain zone); outside every zone, the view's clients resolve it elsewhere.
    IfZoned,
}

/// One record the deployment needs, before it is placed in a zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Want {
    /// Owner name.
    pub owner: String,
    /// Type and data.
    pub data: RecordData,
    /// TTL.
    pub ttl: u32,
    /// Feature.
    pub feature: Feature,
    /// How much it is needed.
    pub need: Need,
    /// Source keys.
    pub sources: Vec<&'static str>,
    /// Why.
    pub why: String,
    /// Where it may go.
    pub placement: Placement,
}

/// The wanted records of both locations and the planner's notes.
#[derive(Debug, Clone, Default)]
pub struct Wanted {
    /// For internal views.
    pub internal: Vec<Want>,
    /// For external views.
    pub external: Vec<Want>,
    /// Decisions worth telling.
    pub notes: Vec<Note>,
}

impl Wanted {
    /// The list for `location`.
    pub fn for_location(&self, location: Location) -> &[Want] {
        match location {
            Location::Internal => &self.internal,
            Location::External => &self.external,
        }
    }
}

/// One list of wanted records being built, with the TTLs to use.
struct Out<'a> {
    list: Vec<Want>,
    d: &'a Deployment,
}

/// A record's reason: feature, need, sources and the sentence.
struct Why {
    feature: Feature,
    need: Need,
    sources: &'static [&'static str],
    text: String,
    placement: Placement,
}

/// A reason placed at a host name ([`Placement::Host`]); [`Why::at`] changes that.
fn why(
    feature: Feature,
    need: Need,
    sources: &'static [&'static str],
    text: impl Into<String>,
) -> Why {
    Why {
        feature,
        need,
        sources,
        text: text.into(),
        placement: Placement::Host,
    }
}

impl Why {
    /// The same reason, placed at `placement`.
    fn at(mut self, placement: Placement) -> Self {
        self.placement = placement;
        self
    }
}

impl<'a> Out<'a> {
    /// An empty list for `d`.
    fn new(d: &'a Deployment) -> Self {
        Out {
            list: Vec::new(),
            d,
        }
    }

    /// One record with its reason.
    fn push(&mut self, owner: &str, data: RecordData, ttl: u32, w: &Why) {
        self.list.push(Want {
            owner: owner.to_owned(),
            data,
            ttl,
            feature: w.feature,
            need: w.need,
            sources: w.sources.to_vec(),
            why: w.text.clone(),
            placement: w.placement,
        });
    }

    /// A and AAAA records of `owner`.
    fn addresses(&mut self, owner: &str, addresses: &[IpAddr], w: Why) {
        let ttl = self.d.dns.ttl.default;
        for ip in addresses {
            let data = match ip {
                IpAddr::V4(address) => RecordData::A { address: *address },
                IpAddr::V6(address) => RecordData::Aaaa { address: *address },
            };
            self.push(owner, data, ttl, &w);
        }
    }

    /// A CNAME from `owner` to `target`.
    fn cname(&mut self, owner: &str, target: &str, w: Why) {
        let ttl = self.d.dns.ttl.default;
        self.push(
            owner,
            RecordData::Cname {
                target: target.to_owned(),
            },
            ttl,
            &w,
        );
    }

    /// An SRV record of `owner`: (priority, weight, port) and target.
    fn srv(
        &mut self,
        owner: &str,
        (priority, weight, port): (u16, u16, u16),
        target: &str,
        w: Why,
    ) {
        let ttl = self.d.dns.ttl.srv;
        self.push(
            owner,
            RecordData::Srv {
                priority,
                weight,
                port,
                target: target.to_owned(),
            },
            ttl,
            &w,
        );
    }
}

/// Every wanted record of `d`, per location.
pub fn wanted(d: &Deployment) -> Wanted {
    Wanted {
        internal: internal::wanted(d),
        external: external::wanted(d),
        notes: notes::notes(d),
    }
}

/// The pool whose web services answer Autodiscover: the Director's if there is one, else the sign-in pool's ([S5]).
fn autodiscover_pool(d: &Deployment) -> &Pool {
    d.director.as_ref().unwrap_or_else(|| d.sign_in_pool())
}
