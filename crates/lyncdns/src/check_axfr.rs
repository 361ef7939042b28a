//! `lyncdns check DEPLOYMENT --axfr SERVER [--view NAME]`: every zone the plan has for one view, transferred from
//! the server that really serves it and compared with the plan record by record (`lyncdns_check::axfr`).

use std::path::PathBuf;

use anyhow::bail;
use clap::Args;
use lyncdns_check::axfr::{self, Report, Status};
use lyncdns_model::Location;

/// The arguments of `check --axfr`.
#[derive(Debug, Args)]
pub struct AxfrArgs {
    /// Transfer every zone of the view (--view, default `external`) from this server by AXFR and compare what it
    /// serves with the plan, record by record.
    #[arg(long, value_name = "SERVER[:PORT]", conflicts_with_all = ["domain", "domains", "internal", "external"])]
    pub axfr: Option<String>,
    /// The TSIG key of the transfers.
    #[command(flatten)]
    pub tsig: crate::axfr::KeyArgs,
}

/// Runs `check --axfr`: `Ok(false)` when something differs from the plan; an error when a zone could not be
/// transferred.
pub fn run(
    deployment: Option<&PathBuf>,
    server: &str,
    view: &str,
    args: &AxfrArgs,
    json: bool,
) -> anyhow::Result<bool> {
    let d = crate::load_deployment(deployment)?;
    let plan = lyncdns_plan::plan(&d);
    let chosen = match plan.view(view) {
        Some(v) => v,
        None => {
            let location = match view {
                "internal" => Some(Location::Internal),
                "external" => Some(Location::External),
                _ => None,
            };
            let of_location: Vec<_> = plan
                .views
                .iter()
                .filter(|v| Some(v.location) == location)
                .collect();
            let names: Vec<&str> = plan.views.iter().map(|v| v.name.as_str()).collect();
            match of_location.as_slice() {
                [one] => *one,
                _ => bail!(
                    "--view `{view}`: no such view (views: {})",
                    names.join(", ")
                ),
            }
        }
    };
    let mut puller = crate::axfr::puller(server, &args.tsig)?;
    let report = axfr::check_view(&d, chosen, &mut puller);
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", text(&report));
    }
    if !report.checked() {
        let failed: Vec<String> = report
            .zones
            .iter()
            .filter_map(|z| z.failure.as_ref().map(|f| format!("{}: {f}", z.zone)))
            .collect();
        bail!(
            "could not check every zone: AXFR failed for {}",
            failed.join("; ")
        );
    }
    Ok(report.clean())
}

/// The report as text: per zone, each record as `ok`, `MISSING`, `EXTRA`, `DIFFERENT`, or `info` for SOA/NS.
fn text(r: &Report) -> String {
    let mut out = format!("view {} ({})\n", r.view, r.server);
    for z in &r.zones {
        match (&z.failure, z.serial) {
            (Some(f), _) => out.push_str(&format!("  zone {}: could not transfer: {f}\n", z.zone)),
            (None, serial) => out.push_str(&format!(
                "  zone {}: serial {}, {} records served{}\n",
                z.zone,
                serial.unwrap_or(0),
                z.served,
                if z.signed { ", TSIG verified" } else { "" }
            )),
        }
        for c in &z.records {
            let expected = c.expected.join(", ");
            let line = match (&c.status, c.informational) {
                (Status::Ok, _) => format!("ok          {} {} {expected}", c.owner, c.rtype),
                (Status::Missing, false) => {
                    format!("MISSING     {} {} {expected}", c.owner, c.rtype)
                }
                (Status::Extra { found }, false) => {
                    format!(
                        "EXTRA       {} {} {found} (not in the plan)",
                        c.owner, c.rtype
                    )
                }
                (Status::Different { found }, false) => format!(
                    "DIFFERENT   {} {}: planned {expected}, served {}",
                    c.owner,
                    c.rtype,
                    found.join(", ")
                ),
                (Status::Missing, true) => {
                    format!(
                        "info        {} {} {expected} is not served",
                        c.owner, c.rtype
                    )
                }
                (Status::Extra { found }, true) => {
                    format!(
                        "info        {} {} {found} is served, not planned",
                        c.owner, c.rtype
                    )
                }
                (Status::Different { found }, true) => format!(
                    "info        {} {}: planned {expected}, served {}",
                    c.owner,
                    c.rtype,
                    found.join(", ")
                ),
            };
            out.push_str(&format!("    {line}\n"));
        }
    }
    if !r.findings.is_empty() {
        out.push('\n');
        out.push_str(&crate::lint::render(&r.findings));
    }
    let rows = r.zones.iter().flat_map(|z| &z.records);
    let ok = rows.clone().filter(|c| c.status == Status::Ok).count();
    let problems = rows.clone().filter(|c| c.is_problem()).count();
    let info = rows
        .filter(|c| c.informational && c.status != Status::Ok)
        .count();
    out.push_str(&format!(
        "\n{} zone(s) compared: {ok} ok, {problems} difference(s), {info} informational (SOA/NS), {} rule finding(s)\n",
        r.zones.iter().filter(|z| z.failure.is_none()).count(),
        r.findings.len()
    ));
    out
}
