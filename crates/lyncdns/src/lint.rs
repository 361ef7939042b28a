//! `lyncdns lint`: RFC 1035 zone files, or zones transferred by AXFR, against the rule catalogue, with
//! compiler-style diagnostics.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;
use lyncdns_check::record::{Dataset, Rec, ZoneFile, read_zone_file};
use lyncdns_check::rules::{self, Finding, Severity};
use lyncdns_dnsdata::zonefile::OriginFrom;
use lyncdns_model::Location;

/// Arguments of `lyncdns lint`.
#[derive(Debug, Args)]
pub struct LintArgs {
    /// Zone files (with --axfr: zone names).
    files: Vec<PathBuf>,
    /// Transfer the zones named by AXFR from this server (a primary, or any server that allows us transfers)
    /// and lint them exactly as zone files.
    #[arg(long, value_name = "SERVER[:PORT]", conflicts_with = "origin")]
    axfr: Option<String>,
    /// The TSIG key of the transfer.
    #[command(flatten)]
    tsig: crate::axfr::KeyArgs,
    /// The deployment the zones should implement (enables the missing-record rule and exact reverse-proxy
    /// addresses).
    #[arg(long, value_name = "FILE")]
    deployment: Option<PathBuf>,
    /// The view the files are served in: a view of the deployment, or `internal` / `external`.
    #[arg(long, value_name = "NAME")]
    view: Option<String>,
    /// Print findings as JSON.
    #[arg(long)]
    json: bool,
    /// The origin of a file without `$ORIGIN` (one file only; default: the file's SOA owner if absolute, else
    /// its name, as `lyncdude.net.dns`, `db.lyncdude.net` or `lyncdude.net.zone`).
    #[arg(long, value_name = "NAME")]
    origin: Option<String>,
    /// Explain a rule (code or name) and exit.
    #[arg(long, value_name = "CODE")]
    explain: Option<String>,
}

/// Prints findings like a compiler; returns the text.
pub fn render(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        out.push_str(&format!(
            "{}[{}]: {}\n",
            f.severity.as_str(),
            f.code,
            f.message
        ));
        if let Some(o) = &f.origin {
            if o.line > 0 {
                out.push_str(&format!("  --> {}:{}\n", o.file, o.line));
            } else {
                out.push_str(&format!("  --> {}\n", o.file));
            }
        }
        out.push_str(&format!(
            "   = help: {}\n   = explain: lyncdns lint --explain {}\n\n",
            f.help, f.code
        ));
    }
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    out.push_str(&format!(
        "{errors} error(s), {} warning(s)\n",
        findings.len() - errors
    ));
    out
}

/// Runs `lyncdns lint`; `Ok(false)` when there are findings.
pub fn run_cmd(args: &LintArgs) -> anyhow::Result<bool> {
    if let Some(code) = &args.explain {
        let r = rules::rule(code).with_context(|| {
            format!(
                "no rule `{code}`; codes are LD001 to LD{:03}",
                rules::RULES.len()
            )
        })?;
        println!(
            "{} {} ({})\n\n{}\n\nFix: {}",
            r.code,
            r.name,
            r.severity.as_str(),
            r.explanation,
            r.fix
        );
        let mut keys = lyncdns_lync::sources::cited(r.explanation);
        let mut seen = std::collections::BTreeSet::new();
        keys.retain(|k| seen.insert(*k));
        if !keys.is_empty() {
            println!("\nSources (docs/sources.md):");
            for key in keys {
                if let Some(s) = lyncdns_lync::sources::get(key) {
                    println!(
                        "  [{}] {} ({})\n       {}",
                        s.key, s.title, s.publisher, s.url
                    );
                }
            }
        }
        return Ok(true);
    }
    if args.files.is_empty() {
        bail!("give one or more zone files, zone names with --axfr SERVER, or --explain CODE");
    }
    let deployment = match &args.deployment {
        Some(p) => Some(crate::load_deployment(Some(p))?),
        None => None,
    };
    let plan = deployment.as_ref().map(lyncdns_plan::plan);
    let (location, plan_view) = match (&args.view, &deployment, &plan) {
        (None, _, _) => (None, None),
        (Some(v), Some(d), Some(p)) => {
            let view = d.views.iter().find(|x| x.name == *v).with_context(|| {
                let names: Vec<&str> = d.views.iter().map(|x| x.name.as_str()).collect();
                format!("no view named `{v}` (views: {})", names.join(", "))
            })?;
            (Some(view.location), p.view(v))
        }
        (Some(v), _, _) => match v.as_str() {
            "internal" => (Some(Location::Internal), None),
            "external" => (Some(Location::External), None),
            _ => bail!("--view `{v}`: without --deployment, use `internal` or `external`"),
        },
    };
    if args.origin.is_some() && args.files.len() > 1 {
        bail!("--origin names the zone of one file; give one file with it");
    }
    let mut files: Vec<ZoneFile> = Vec::new();
    if let Some(server) = &args.axfr {
        files = transfer(server, args)?;
    } else {
        for path in &args.files {
            files.push(read_zone_file(path, args.origin.as_deref())?);
        }
    }
    let mut findings: Vec<Finding> = Vec::new();
    let mut zones: Vec<String> = Vec::new();
    for f in &files {
        match (&f.origin, f.origin_from) {
            (Some(o), Some(OriginFrom::FileName)) => {
                eprintln!(
                    "note: {}: origin {o}, taken from the file name (give --origin to say otherwise)",
                    f.path
                )
            }
            (Some(o), Some(OriginFrom::SoaOwner)) => {
                eprintln!(
                    "note: {}: origin {o}, taken from the SOA record's owner",
                    f.path
                )
            }
            (None, Some(OriginFrom::Unknown)) => eprintln!(
                "note: {}: no origin ($ORIGIN, an absolute SOA owner, or a zone-like file name): relative names cannot be read; give --origin",
                f.path
            ),
            _ => {}
        }
        if f.skipped_wins > 0 {
            eprintln!(
                "note: {}: {} Windows WINS record(s) skipped (a Windows DNS server setting, not DNS data)",
                f.path, f.skipped_wins
            );
        }
        findings.extend(f.syntax.iter().map(rules::syntax_finding));
        // Zone-level checks need the zone: the origin the file was read with, else its SOA's owner.
        let zone = f.origin.clone().or_else(|| {
            f.records
                .iter()
                .find(|r| matches!(r.data, lyncdns_dnsdata::rdata::RecordData::Soa { .. }))
                .map(|r| r.owner.clone())
        });
        if let Some(zone) = zone {
            findings.extend(rules::zone_file(&f.path, &zone, &f.records));
            zones.push(zone);
        }
    }
    let records: Vec<Rec> = files.into_iter().flat_map(|f| f.records).collect();
    let location = location.or_else(|| {
        let guess = infer_view(&records);
        if let Some((l, why)) = &guess {
            eprintln!(
                "note: read as the {} view because {why} (give --view to say otherwise)",
                l.as_str()
            );
        }
        guess.map(|(l, _)| l)
    });
    let ds = Dataset { location, records };
    let ctx = rules::Context {
        deployment: deployment.as_ref(),
        plan_view,
        zones: (!zones.is_empty()).then_some(zones),
    };
    findings.extend(rules::lint(&ds, &ctx));
    if args.json {
        println!("{}", serde_json::to_string_pretty(&findings)?);
    } else {
        print!("{}", render(&findings));
    }
    Ok(findings.is_empty())
}

/// The zones named in `args.files`, transferred from `server`; a failed transfer means lint could not run.
fn transfer(server: &str, args: &LintArgs) -> anyhow::Result<Vec<ZoneFile>> {
    use lyncdns_dnsdata::transfer::ZoneTransfer as _;
    let mut puller = crate::axfr::puller(server, &args.tsig)?;
    let mut files = Vec::new();
    for zone in &args.files {
        let zone = zone.to_string_lossy();
        let t = puller.axfr(&zone).map_err(|failure| {
            anyhow::anyhow!("could not run: AXFR of {zone} from {server}: {failure}")
        })?;
        eprintln!(
            "note: {}/{}: serial {}, {} records in {} message(s), {} octets{}",
            puller.describe(),
            t.zone,
            t.serial,
            t.records.len(),
            t.messages,
            t.bytes,
            if t.signed { ", TSIG verified" } else { "" }
        );
        files.push(ZoneFile::from_transfer(&puller.describe(), &t));
    }
    Ok(files)
}

/// Which view zone files look like when `--view` is not given: internal when they hold an internal-only Lync name
/// or a non-public address, external when they hold the external Autodiscover or sign-in names with public
/// addresses only; with the reason, or `None` when they say neither.
fn infer_view(records: &[Rec]) -> Option<(Location, String)> {
    use lyncdns_dnsdata::rdata::RecordData;
    if let Some(r) = records.iter().find(|r| {
        r.owner.starts_with("lyncdiscoverinternal.") || r.owner.starts_with("_sipinternaltls._tcp.")
    }) {
        return Some((
            Location::Internal,
            format!("`{}` is an internal-only name", r.owner),
        ));
    }
    if let Some((r, kind)) = records.iter().find_map(|r| {
        r.data
            .address()
            .and_then(lyncdns_model::addr::non_public_kind)
            .map(|k| (r, k))
    }) {
        return Some((
            Location::Internal,
            format!("`{}` has a {kind} address", r.owner),
        ));
    }
    records
        .iter()
        .find(|r| {
            r.owner.starts_with("lyncdiscover.")
                || r.owner.starts_with("_sip._tls.")
                || r.owner.starts_with("_sipfederationtls._tcp.")
                || matches!(r.data, RecordData::A { .. } if r.owner.starts_with("sip."))
        })
        .map(|r| {
            (
                Location::External,
                format!(
                    "`{}` is an external name and every address is public",
                    r.owner
                ),
            )
        })
}
