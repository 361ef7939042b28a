//! `lyncdns`: the command-line shell around the lyncdns libraries. This is the only crate that parses arguments,
//! prints, sets up logging or uses `anyhow`; each subcommand lives in its own module.

mod axfr;
mod check;
mod check_axfr;
mod discover;
mod generate;
mod lab;
mod lint;
mod output;
mod plan;
mod serve;
mod systemd;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

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
    /// Serve the deployment's DNS: a split-horizon authoritative server (views by client address, DNS load
    /// balancing, hot reload on SIGHUP, Prometheus metrics).
    Serve(serve::ServeArgs),
    /// Simulate each client type's discovery for a SIP address against live DNS (and, with --probe, the
    /// Autodiscover service and SIP servers), step by step, with a verdict per client.
    Discover(discover::DiscoverArgs),
    /// The whole system on loopback: DNS and Autodiscover for the deployment, and every client discovering from
    /// inside and outside, as a matrix of where each signs in.
    Lab(lab::LabArgs),
    /// Check live DNS, inside and outside, against the deployment's plan; or probe a domain (or a list of
    /// domains) without one.
    Check(check::CheckArgs),
    /// Lint RFC 1035 zone files against the catalogue of Lync DNS mistakes (compiler-style diagnostics).
    Lint(lint::LintArgs),
    /// Read a password from standard input and print its Argon2id hash, for `[[users]] password_hash`.
    HashPassword {
        /// Print the NT hash instead, for `[[users]] nt_hash` (lab only: NTLM at the WebTicket service).
        #[arg(long)]
        nt: bool,
    },
    /// Write the man pages or shell completions (for packaging).
    #[command(hide = true)]
    Generate(generate::GenerateArgs),
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

/// `lyncdns hash-password`: one line from standard input (without its line ending) → PHC string, or with `--nt`
/// the NT hash in hex.
fn hash_password(nt: bool) -> anyhow::Result<()> {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    let password = line.trim_end_matches(['\r', '\n']);
    if password.is_empty() {
        anyhow::bail!("no password on standard input");
    }
    if nt {
        println!("{}", lyncdns_autodiscover::ntlm::nt_hash_hex(password));
        return Ok(());
    }
    println!("{}", lyncdns_autodiscover::auth::hash_password(password)?);
    Ok(())
}

/// Large buffers (zone text, record stores, answer arenas: megabytes each) get their own mappings: glibc's
/// default threshold rises to 32 MiB once a large block is freed, after which growing a vector copies it inside
/// the heap and leaves holes the process keeps. With a fixed 1 MiB threshold a growing vector is remapped in
/// place and a freed one goes back to the system (a million-record zone: ~200 MB peak → ~150 MB).
fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tuning; called first thing in main, before other threads exist.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

/// A command that only prints ends quietly when its reader goes away (`lyncdns lint --explain LD004 | head -1`),
/// as Unix tools do, instead of panicking in `println!` on a broken pipe. Rust ignores SIGPIPE by default; the
/// default action is restored only for commands that serve nothing (sockets are written with `MSG_NOSIGNAL`
/// anyway, but a server's life should not hang on its stdout).
fn quiet_on_broken_pipe(command: &Command) {
    if matches!(command, Command::Serve(_)) {
        return;
    }
    #[cfg(unix)]
    // SAFETY: restoring a signal's default disposition; called in main before other threads exist.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn main() -> ExitCode {
    tune_allocator();
    let cli = Cli::parse();
    quiet_on_broken_pipe(&cli.command);
    // A server reports its listeners and reloads; a one-shot command only warnings. An empty RUST_LOG counts as
    // unset.
    let default = match cli.command {
        Command::Serve(_) => "info",
        Command::Plan(_)
        | Command::HashPassword { .. }
        | Command::Discover(_)
        | Command::Lab(_)
        | Command::Lint(_)
        | Command::Check(_)
        | Command::Generate(_) => "warn",
    };
    let directives = cli
        .log
        .clone()
        .or_else(|| std::env::var("RUST_LOG").ok())
        .filter(|s| !s.trim().is_empty());
    let filter = tracing_subscriber::EnvFilter::new(directives.as_deref().unwrap_or(default));
    // Under systemd the journal stamps each line itself: no second timestamp, no colours.
    let journal = systemd::under_systemd(|name| std::env::var(name).ok());
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(!journal && std::io::IsTerminal::is_terminal(&std::io::stderr()));
    if journal {
        logs.without_time().init();
    } else {
        logs.init();
    }
    let result = match &cli.command {
        Command::Plan(args) => plan::run(args),
        Command::Serve(args) => serve::run(args),
        Command::HashPassword { nt } => hash_password(*nt),
        Command::Generate(args) => generate::run(args, Cli::command()),
        Command::Lab(args) => match lab::run_cmd(args) {
            Ok(true) => Ok(()),
            Ok(false) => return ExitCode::from(1),
            Err(e) => Err(e),
        },
        Command::Check(args) => match check::run_cmd(args) {
            Ok(true) => Ok(()),
            Ok(false) => return ExitCode::from(1),
            Err(e) => Err(e),
        },
        Command::Lint(args) => match lint::run_cmd(args) {
            Ok(true) => Ok(()),
            Ok(false) => return ExitCode::from(1),
            Err(e) => Err(e),
        },
        Command::Discover(args) => match discover::run_cmd(args) {
            Ok(true) => Ok(()),
            Ok(false) => return ExitCode::from(1),
            Err(e) => Err(e),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
