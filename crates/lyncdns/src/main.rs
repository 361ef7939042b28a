//! `lyncdns`: the command-line shell around the lyncdns libraries. This is the only crate that parses arguments,
//! prints, sets up logging or uses `anyhow`; each subcommand lives in its own module.

mod output;
mod plan;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// DNS and automatic sign-in for Lync / Skype for Business Server deployments.
#[derive(Debug, Parser)]
#[command(name = "lyncdns", version, about, long_about = None)]
struct Cli {
    /// Log filter (e.g. `debug`, `lyncdns=trace`); overrides RUST_LOG.
    #[arg(long, global = true, value_name = "FILTER")]
    log: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Every DNS record each view needs, why, and the certificate names; as a table, JSON, zone files, BIND views
    /// or PowerShell for Windows DNS.
    Plan(plan::PlanArgs),
}

/// Reads a deployment file, or the embedded example when `path` is `None`.
fn load_deployment(path: Option<&PathBuf>) -> anyhow::Result<lyncdns_model::Deployment> {
    match path {
        None => Ok(lyncdns_model::embedded()),
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                anyhow::anyhow!("cannot read deployment file {}: {e}", path.display())
            })?;
            Ok(lyncdns_model::load(&text, &path.display().to_string())?)
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = cli
        .log
        .clone()
        .map(tracing_subscriber::EnvFilter::new)
        .unwrap_or_else(|| {
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into())
        });
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let result = match &cli.command {
        Command::Plan(args) => plan::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
