//! `lyncdns lint`: RFC 1035 zone files against the rule catalogue, with compiler-style diagnostics.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;
use lyncdns_check::record::{Dataset, from_files};
use lyncdns_check::rules::{self, Finding, Severity};
use lyncdns_model::Location;

/// Arguments of `lyncdns lint`.
#[derive(Debug, Args)]
pub struct LintArgs {
    /// Zone files.
    files: Vec<PathBuf>,
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
        bail!("give one or more zone files (or --explain CODE)");
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
    let records = from_files(&args.files)?;
    let ds = Dataset { location, records };
    let ctx = rules::Context {
        deployment: deployment.as_ref(),
        plan_view,
    };
    let findings = rules::lint(&ds, &ctx);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&findings)?);
    } else {
        print!("{}", render(&findings));
    }
    Ok(findings.is_empty())
}
