//! From a deployment (and the master files it or the command line names) to a [`Snapshot`]: plan the
//! deployment, turn each view's planned zones into [`Zone`]s, let master files replace or add zones per view,
//! add each view's catalog zone (RFC 9432) listing them, and compile. Either the whole snapshot is built or an
//! error says what is wrong; nothing half-built is served.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use lyncdns_model::Deployment;

use crate::compile::{BuildError, Options, Snapshot, ViewInput};
use crate::xfr::{KeyRing, Transfers, ViewTransfers, journal};
use lyncdns_dnsdata::record::{Source, Zone, ZoneError};
use lyncdns_dnsdata::zonefile::{self, ZoneFileError};
use lyncdns_plan::ZonePlan;

/// Why a deployment cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A master file is unreadable or wrong.
    #[error(transparent)]
    ZoneFile(#[from] ZoneFileError),
    /// A planned zone cannot be stored (a bug of the planner's: its names come from checked host names).
    #[error("planned {0}")]
    Planned(#[from] ZoneError),
    /// The data cannot be compiled.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// A TSIG key's secret file is unreadable or wrong.
    #[error(transparent)]
    Key(#[from] lyncdns_model::transfer::KeyFileError),
    /// A TSIG key `domain` cannot use (a bug: names are checked when loaded).
    #[error("TSIG key: {0}")]
    KeyName(#[from] lyncdns_dnsdata::tsig::TsigKeyError),
    /// A zone file serves the zone the view's catalog is named after.
    #[error(
        "view `{view}`: a zone file serves `{catalog}`, the name of the view's catalog zone; rename the catalog (`catalog = \"catalog.{view}.invalid\"`) or drop the file"
    )]
    CatalogClash {
        /// The view.
        view: String,
        /// The catalog's name.
        catalog: String,
    },
    /// `--zone VIEW=FILE` names no view.
    #[error("--zone {view}={file}: there is no view named `{view}` (views: {views})")]
    UnknownView {
        /// The view given.
        view: String,
        /// The file.
        file: String,
        /// The views.
        views: String,
    },
}

/// Builds the snapshot of `d`. `base` resolves relative zone-file paths of the deployment file; `extra` are
/// `(view, file)` pairs from the command line.
pub fn snapshot(
    d: &Deployment,
    base: &Path,
    extra: &[(String, PathBuf)],
) -> Result<Snapshot, LoadError> {
    snapshot_of_plan(d, &lyncdns_plan::plan(d), base, extra)
}

/// Builds the snapshot of an already computed (possibly altered, as the lab's scenarios do) `plan` of `d`.
pub fn snapshot_of_plan(
    d: &Deployment,
    plan: &lyncdns_plan::Plan,
    base: &Path,
    extra: &[(String, PathBuf)],
) -> Result<Snapshot, LoadError> {
    build(d, plan, base, extra, None)
}

/// Builds the snapshot of `d` that replaces `previous` on a reload: each transferable zone whose content changed
/// gets a newer serial by its view's serial policy and a difference in its journal (see [`crate::xfr::journal`]).
pub fn reload(
    d: &Deployment,
    base: &Path,
    extra: &[(String, PathBuf)],
    previous: &Snapshot,
) -> Result<Snapshot, LoadError> {
    build(d, &lyncdns_plan::plan(d), base, extra, Some(previous))
}

/// The snapshot of `plan`, following `previous` when reloading.
fn build(
    d: &Deployment,
    plan: &lyncdns_plan::Plan,
    base: &Path,
    extra: &[(String, PathBuf)],
    previous: Option<&Snapshot>,
) -> Result<Snapshot, LoadError> {
    let mut files: BTreeMap<&str, Vec<PathBuf>> = BTreeMap::new();
    for (view, paths) in &d.serve.zone_files {
        files
            .entry(view.as_str())
            .or_default()
            .extend(paths.iter().map(|p| base.join(p)));
    }
    for (view, path) in extra {
        if plan.view(view).is_none() {
            let views = plan
                .views
                .iter()
                .map(|v| v.name.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            return Err(LoadError::UnknownView {
                view: view.clone(),
                file: path.display().to_string(),
                views,
            });
        }
        files.entry(view.as_str()).or_default().push(path.clone());
    }
    let mut views = Vec::new();
    let mut transfers = Vec::new();
    for v in &plan.views {
        let mut zones: Vec<Zone> = v.zones.iter().map(planned).collect::<Result<_, _>>()?;
        for path in files.get(v.name.as_str()).into_iter().flatten() {
            let started = std::time::Instant::now();
            let zone = zonefile::load(path)?;
            tracing::info!(view = %v.name, file = %path.display(), records = zone.records.len(), ms = started.elapsed().as_millis() as u64, "zone file read");
            match zones
                .iter_mut()
                .find(|z| z.apex == zone.apex && z.source == Source::Plan)
            {
                Some(planned) => {
                    tracing::info!(view = %v.name, zone = %lyncdns_dnsdata::name::Display(&zone.apex), file = %path.display(), "a zone file replaces the planned zone");
                    *planned = zone;
                }
                None => zones.push(zone),
            }
        }
        if let Some(catalog) = &v.catalog {
            let apex =
                lyncdns_dnsdata::name::from_text(catalog).map_err(|source| ZoneError::Name {
                    apex: catalog.clone(),
                    source,
                })?;
            if zones.iter().any(|z| z.apex == apex) {
                return Err(LoadError::CatalogClash {
                    view: v.name.clone(),
                    catalog: catalog.clone(),
                });
            }
            let members: Vec<Vec<u8>> = zones.iter().map(|z| z.apex.clone()).collect();
            zones.push(crate::xfr::catalog::zone(
                catalog,
                members.iter().map(Vec::as_slice),
                d.dns.serial,
            )?);
        }
        let before = previous.and_then(|p| {
            let i = p.views.iter().position(|pv| pv.name == v.name)?;
            p.xfr.views.get(i)
        });
        let (transfer, zones) = transfer_of(d, &v.name, zones, before);
        transfers.push(transfer);
        views.push(ViewInput {
            name: v.name.clone(),
            clients: v.clients.clone(),
            zones,
        });
    }
    let xfr = Transfers {
        keys: key_ring(d, plan, base)?,
        views: transfers,
    };
    let options = Options {
        max_udp: d.serve.max_udp_payload,
        rotation: d.serve.rotation,
        ecs_trusted: d.serve.ecs_trusted.clone(),
        names_per_thread: 0,
        identity: crate::compile::Identity::new(
            d.serve.nsid.as_deref(),
            d.serve.chaos_version.as_deref(),
            d.serve.chaos_identity.as_deref(),
        ),
        cookies: cookies(&d.serve),
        tcp_keepalive: d.serve.tcp_keepalive,
    };
    let started = std::time::Instant::now();
    let mut snapshot = Snapshot::build(views, &options)?;
    snapshot.rrl = snapshot
        .views
        .iter()
        .map(|v| {
            d.views
                .iter()
                .find(|dv| dv.name == v.name)
                .and_then(|dv| dv.rrl)
        })
        .collect();
    if xfr.views.iter().any(|v| !v.zones.is_empty()) {
        tracing::info!(mb = xfr.heap_size() / 1_000_000, "zones kept for transfers");
    }
    snapshot.xfr = xfr;
    tracing::info!(
        ms = started.elapsed().as_millis() as u64,
        "answers prepared"
    );
    for v in &snapshot.views {
        tracing::debug!(view = %v.name, records = v.records, names = v.names(), mb = v.heap_size() / 1_000_000, "view compiled");
    }
    Ok(snapshot)
}

/// What view `name` of `d` lets secondaries transfer: its allow list and NOTIFY targets, and, if anyone may
/// transfer it, its zones following those served `before` (serials, journals), which are also the zones to compile.
fn transfer_of(
    d: &Deployment,
    name: &str,
    zones: Vec<Zone>,
    before: Option<&ViewTransfers>,
) -> (ViewTransfers, Vec<Zone>) {
    let Some(t) = d.views.iter().find(|v| v.name == name).map(|v| &v.transfer) else {
        return (ViewTransfers::default(), zones);
    };
    let mut out = ViewTransfers {
        allow: t.allow.clone(),
        keyed: !t.keys.is_empty(),
        notify: t.notify.clone(),
        notify_key: t.keys.first().cloned(),
        ..ViewTransfers::default()
    };
    if !t.enabled() {
        return (out, zones);
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut compiled = Vec::with_capacity(zones.len());
    for zone in zones {
        let old = before.and_then(|b| {
            let i = b.zones.iter().position(|z| z.apex == zone.apex)?;
            Some((b.zones[i].as_ref(), b.journals.get(i)?))
        });
        let followed = journal::follow(old, zone, t.serial_policy, now);
        if followed.changed {
            out.changed.push(out.zones.len());
        }
        out.zones.push(Arc::new(followed.zone.clone()));
        out.journals.push(followed.journal);
        compiled.push(followed.zone);
    }
    (out, compiled)
}

/// The deployment's TSIG keys, each bound to the view that lists it (a key no view lists selects nothing and is
/// left out); secret files are read relative to `base`.
fn key_ring(d: &Deployment, plan: &lyncdns_plan::Plan, base: &Path) -> Result<KeyRing, LoadError> {
    let mut ring = KeyRing::default();
    for key in &d.keys {
        let view = d
            .views
            .iter()
            .find(|v| v.transfer.keys.contains(&key.name))
            .and_then(|v| plan.views.iter().position(|p| p.name == v.name));
        if let Some(view) = view {
            ring.add(&key.resolve(base)?, view)?;
        }
    }
    Ok(ring)
}

/// A planned zone as the compiler takes it.
pub fn planned(zone: &ZonePlan) -> Result<Zone, ZoneError> {
    Zone::from_records(
        &zone.origin,
        Source::Plan,
        zone.records
            .iter()
            .map(|r| (r.owner.as_str(), r.ttl, &r.data)),
    )
}

/// The cookie settings of `[serve]`: off, or on with the configured secret or the process's random one (a
/// system without randomness serves without cookies rather than with a guessable secret).
fn cookies(serve: &lyncdns_model::Serve) -> Option<crate::cookie::Cookies> {
    if !serve.cookies {
        return None;
    }
    let secret = match &serve.cookie_secret {
        Some(s) => s.clone(),
        None => {
            let s = crate::cookie::process_secret();
            if s.is_none() {
                tracing::warn!("no random cookie secret available: DNS cookies are off");
            }
            s?
        }
    };
    Some(crate::cookie::Cookies {
        secret,
        require: serve.cookies_required,
    })
}
