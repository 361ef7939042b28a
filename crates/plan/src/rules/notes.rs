//! The planner's notes: decisions and defaults worth telling the admin, with their sources. Among them are the
//! two places where the sources disagree: whether `_sipinternaltls._tcp` is required (`docs/lync.md` §1.4,
//! DISAGREE) and in which view `_sipfederationtls._tcp` belongs.
//!
//! The internal location's notes come first, then the external location's, each in the order of the records
//! they explain.

use lyncdns_model::{Deployment, InternalSrv, Location, RecordStyle};

use crate::Note;

/// Every note for `d`.
pub(super) fn notes(d: &Deployment) -> Vec<Note> {
    let mut notes = Vec::new();
    notes.extend(sign_in_pool(d));
    notes.push(internal_srv(d));
    notes.push(federation_view());
    notes.extend(no_edge(d));
    notes.extend(autodiscover_cname(d));
    notes.extend(shared_address_space(d));
    notes
}

/// Which pool the sign-in records point at, when a Director or several pools leave a choice.
fn sign_in_pool(d: &Deployment) -> Option<Note> {
    let reg_fqdn = &d.registrar().fqdn;
    if d.director.is_some() {
        Some(Note {
            text: format!(
                "Sign-in records (SRV, sip, sipinternal) point at the Director pool {reg_fqdn}: it authenticates users and redirects them to their home pool; Autodiscover names target its web services."
            ),
            sources: vec!["S5", "S40"],
        })
    } else if d.pools.len() > 1 {
        Some(Note {
            text: format!(
                "Several pools and no Director: sign-in records point at {reg_fqdn} (options.sign_in_pool, default the first pool); its registrar redirects users homed elsewhere to their pool."
            ),
            sources: vec!["S40"],
        })
    } else {
        None
    }
}

/// How `_sipinternaltls._tcp` is planned, where the Lync 2013 and SfB 2015 docs disagree (option `internal_srv`).
fn internal_srv(d: &Deployment) -> Note {
    Note {
        text: match d.options.internal_srv {
            InternalSrv::Required => "_sipinternaltls._tcp is planned as required, following the Lync 2013 docs; the SfB 2015 docs call it needed only for pre-2013 clients and phones (option internal_srv = \"legacy-only\").".into(),
            InternalSrv::LegacyOnly => "_sipinternaltls._tcp is planned as needed only for pre-2013 clients and phones, following the SfB 2015 docs (option internal_srv).".into(),
        },
        sources: vec!["S1", "S10"],
    }
}

/// Where `_sipfederationtls._tcp` is planned, where the Lync 2013 and SfB docs disagree.
fn federation_view() -> Note {
    Note {
        text: "_sipfederationtls._tcp is planned in the external view only, as the Lync 2013 docs do; the SfB internal table also lists it for iOS / Windows Phone push.".into(),
        sources: vec!["S1", "S7"],
    }
}

/// An external view without an Edge holds only web records.
fn no_edge(d: &Deployment) -> Option<Note> {
    let external_view = d.views.iter().any(|v| v.location == Location::External);
    (d.edge.is_none() && external_view).then(|| Note {
        text: "No Edge: remote users cannot sign in and there is no federation; the external view holds only web records.".into(),
        sources: vec!["S1"],
    })
}

/// Why some `lyncdiscover` records stay address records when CNAMEs are asked for.
fn autodiscover_cname(d: &Deployment) -> Option<Note> {
    let cnames = d.options.autodiscover_records == RecordStyle::Cname;
    (d.reverse_proxy.is_some() && cnames).then(|| Note {
        text: "lyncdiscover records are CNAMEs only where the web services FQDN lies in the same SIP domain; a CNAME into another domain breaks HTTPS for mobile clients, so other domains get address records.".into(),
        sources: vec!["S5"],
    })
}

/// What a shared SIP address space with Online keeps on-premises, and what Online means since 2021 ([S45]).
fn shared_address_space(d: &Deployment) -> Option<Note> {
    let shared = d.hybrid.as_ref().is_some_and(|h| h.shared_address_space);
    shared.then(|| Note {
        text: "Shared SIP address space: the on-premises records stay; on-premises Autodiscover redirects users homed Online to the hosting provider's Autodiscover URL. Since Skype for Business Online was retired (31 July 2021), users homed Online are Teams users: the redirect tells a Lync or Skype for Business client where they live, and they sign in with Teams.".into(),
        sources: vec!["S37", "S6", "S45"],
    })
}
