//! `lyncdns plan`: plan a deployment and print or write it in one of the export formats.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use lyncdns_plan::export::{self, Format};

/// Arguments of `lyncdns plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The deployment description (TOML). Without it, the embedded example (lyncdude.net) is planned.
    deployment: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Table)]
    format: FormatArg,
    /// Write files into DIR (zone files as `DIR/<view>/<zone>.zone`) instead of printing.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Only this view.
    #[arg(long, value_name = "NAME")]
    view: Option<String>,
    /// Print the certificate names each role needs instead of the records.
    #[arg(long)]
    certs: bool,
    /// With `--format bind-views`: internal views also resolve other names for their own clients
    /// (`recursion yes`, `allow-recursion` limited to the view's clients). Without it every view is
    /// authoritative only.
    #[arg(long)]
    internal_recursion: bool,
    /// With `--format bind-secondary`, `knot-secondary`, `nsd-secondary` or `windows-secondary`: the lyncdns
    /// primary's address and port the secondaries transfer from (a bare address means port 53).
    #[arg(long, value_name = "ADDR:PORT", value_parser = parse_primary)]
    primary: Option<std::net::SocketAddr>,
}

/// `--format` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum FormatArg {
    /// A readable table grouped by view.
    Table,
    /// JSON.
    Json,
    /// RFC 1035 master files, one per view and zone.
    Zone,
    /// A named.conf views fragment plus zone files.
    BindViews,
    /// Windows Server DNS cmdlets.
    Powershell,
    /// A named.conf fragment making BIND a secondary of every view (keys, views by key; needs --primary).
    BindSecondary,
    /// One Knot DNS configuration per view (Knot has no views), each a secondary with that view's key.
    KnotSecondary,
    /// One NSD configuration per view (NSD has no views), each a secondary with that view's key.
    NsdSecondary,
    /// PowerShell per view making Windows Server DNS a secondary of it (unsigned: Windows has no TSIG).
    WindowsSecondary,
}

/// `ADDR:PORT`, or a bare address meaning port 53 (`[::1]:53` or `::1`).
fn parse_primary(text: &str) -> Result<std::net::SocketAddr, String> {
    text.parse::<std::net::SocketAddr>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(|ip| (ip, 53).into()))
        .map_err(|_| format!("`{text}` is not an address or ADDR:PORT"))
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Table => Format::Table,
            FormatArg::Json => Format::Json,
            FormatArg::Zone => Format::Zone,
            FormatArg::BindViews => Format::BindViews,
            FormatArg::Powershell => Format::Powershell,
            FormatArg::BindSecondary => Format::BindSecondary,
            FormatArg::KnotSecondary => Format::KnotSecondary,
            FormatArg::NsdSecondary => Format::NsdSecondary,
            FormatArg::WindowsSecondary => Format::WindowsSecondary,
        }
    }
}

/// The primary and each view's key (the first of its `transfer_keys`), secret files read relative to the
/// deployment file.
fn secondary(
    deployment: &lyncdns_model::Deployment,
    file: Option<&std::path::Path>,
    primary: std::net::SocketAddr,
) -> anyhow::Result<export::Secondary> {
    let base = file
        .and_then(std::path::Path::parent)
        .unwrap_or(std::path::Path::new("."));
    let mut keys = Vec::new();
    for view in &deployment.views {
        let Some(name) = view.transfer.keys.first() else {
            continue;
        };
        let key = deployment
            .keys
            .iter()
            .find(|k| &k.name == name)
            .context("a view names a key the deployment does not define")?;
        keys.push((view.name.clone(), key.resolve(base)?));
    }
    Ok(export::Secondary { primary, keys })
}

/// Runs `lyncdns plan`.
pub fn run(args: &PlanArgs) -> anyhow::Result<()> {
    let deployment = crate::load_deployment(args.deployment.as_ref())?;
    let mut plan = lyncdns_plan::plan(&deployment);
    if let Some(name) = &args.view {
        if plan.view(name).is_none() {
            let names: Vec<&str> = plan.views.iter().map(|v| v.name.as_str()).collect();
            bail!("no view named `{name}` (views: {})", names.join(", "));
        }
        plan.views.retain(|v| &v.name == name);
    }
    let format = Format::from(args.format);
    if args.internal_recursion && (format != Format::BindViews || args.certs) {
        bail!("--internal-recursion applies to --format bind-views only");
    }
    let transfers = matches!(
        format,
        Format::BindSecondary
            | Format::KnotSecondary
            | Format::NsdSecondary
            | Format::WindowsSecondary
    ) && !args.certs;
    let secondary = match (transfers, args.primary) {
        // Windows transfers unsigned from port 53: no keys to read, no other port to point it at.
        (true, Some(primary)) if format == Format::WindowsSecondary => {
            if primary.port() != 53 {
                bail!(
                    "--format windows-secondary: Windows DNS transfers from port 53 only, not {}",
                    primary.port()
                );
            }
            Some(export::Secondary {
                primary,
                keys: Vec::new(),
            })
        }
        (true, Some(primary)) => Some(secondary(&deployment, args.deployment.as_deref(), primary)?),
        (true, None) => bail!(
            "--format {format} needs --primary ADDR:PORT (the lyncdns server the secondaries transfer from)"
        ),
        (false, Some(_)) => {
            bail!("--primary applies to the --format …-secondary formats only")
        }
        (false, None) => None,
    };
    let options = export::Options {
        bind_internal_recursion: args.internal_recursion,
        secondary,
    };
    let rendered = if args.certs {
        export::render_certs(&plan, format)
    } else {
        export::render_with(&plan, format, &options)
    };
    tracing::info!(format = %format, files = rendered.files.len(), "rendered plan");
    match &args.out {
        Some(dir) => {
            crate::output::write_all(dir, &rendered.files)?;
            for (path, _) in &rendered.files {
                println!("wrote {}", dir.join(path).display());
            }
        }
        None => {
            std::io::stdout()
                .write_all(rendered.to_stdout().as_bytes())
                .context("writing to standard output")?;
        }
    }
    Ok(())
}
