//! `lyncdns serve`: the split-horizon authoritative DNS server for a deployment, with hot reload on SIGHUP and a
//! dry run (`--check`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use lyncdns_autodiscover::http::{Web, WebConfig};
use lyncdns_dnsserver::compile::Snapshot;
use lyncdns_dnsserver::server::{Config, Server, TcpLimits};
use lyncdns_model::{Deployment, Rotation, Serve};
use lyncdns_sip::registrar::{Directory, Placement, Registrar};
use lyncdns_sip::server::{SipLimits, SipServer};

/// Arguments of `lyncdns serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The deployment description (TOML). Without it, the --default-config file
    /// (/etc/lyncdns/deployment.toml) is served when it exists, else the embedded example.
    deployment: Option<PathBuf>,
    /// The deployment file read when no DEPLOYMENT is given, if it exists (the Debian package installs it).
    #[arg(
        long,
        value_name = "FILE",
        env = "LYNCDNS_DEFAULT_CONFIG",
        default_value = DEFAULT_CONFIG
    )]
    default_config: PathBuf,
    /// DNS listener, UDP and TCP (repeatable). Default: `[serve] dns` of the deployment, else 127.0.0.1:5300.
    #[arg(long = "dns", value_name = "ADDR:PORT")]
    dns: Vec<SocketAddr>,
    /// Serve a master file in a view (repeatable); it replaces a planned zone of the same name.
    #[arg(long = "zone", value_name = "VIEW=FILE", value_parser = parse_zone_arg)]
    zones: Vec<(String, PathBuf)>,
    /// Prometheus metrics listener (`/metrics`).
    #[arg(long, value_name = "ADDR:PORT")]
    metrics: Option<SocketAddr>,
    /// UDP worker threads per listener. Default: `[serve] workers`, else the number of CPUs.
    #[arg(long)]
    workers: Option<usize>,
    /// Order of the addresses of DNS-load-balanced names.
    #[arg(long, value_enum)]
    rotation: Option<RotationArg>,
    /// Log every query (target `lyncdns::query`).
    #[arg(long)]
    query_log: bool,
    /// Autodiscover over plain HTTP (the root answers with a redirect to HTTPS).
    #[arg(long, value_name = "ADDR:PORT")]
    http: Option<SocketAddr>,
    /// Autodiscover over HTTPS.
    #[arg(long, value_name = "ADDR:PORT")]
    https: Option<SocketAddr>,
    /// PEM certificate chain for HTTPS (with --key); without it the lab CA issues one.
    #[arg(long, value_name = "FILE", requires = "key")]
    cert: Option<PathBuf>,
    /// PEM private key for --cert.
    #[arg(long, value_name = "FILE", requires = "cert")]
    key: Option<PathBuf>,
    /// Directory of the lab CA (created on first start; clients trust its ca.pem).
    #[arg(long, value_name = "DIR")]
    lab_ca: Option<PathBuf>,
    /// The lab SIP registrar over TLS (repeatable): `ADDR:PORT` plays the pool or Director that owns ADDR in the
    /// deployment; `FQDN=ADDR:PORT` plays the pool or Director FQDN (for loopback or any other address).
    #[arg(long = "sip", value_name = "[FQDN=]ADDR:PORT", value_parser = parse_sip_arg)]
    sip: Vec<(Placement, SocketAddr)>,
    /// Load and compile everything, report, and exit without serving (exit 0 if it would serve, 2 if not).
    #[arg(long)]
    check: bool,
}

/// Where the Debian package installs the deployment description `serve` reads by default.
pub const DEFAULT_CONFIG: &str = "/etc/lyncdns/deployment.toml";

/// The deployment file to serve: the one named, else `default` when it exists (`exists` asks), else none (the
/// embedded example).
fn deployment_path(
    named: Option<&Path>,
    default: &Path,
    exists: impl Fn(&Path) -> bool,
) -> Option<PathBuf> {
    match named {
        Some(path) => Some(path.to_owned()),
        None => exists(default).then(|| default.to_owned()),
    }
}

/// `--rotation` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum RotationArg {
    /// A random order per answer.
    Shuffle,
    /// One step further per answer.
    RoundRobin,
    /// The deployment's order.
    None,
}

fn parse_sip_arg(s: &str) -> Result<(Placement, SocketAddr), String> {
    let (fqdn, addr) = match s.split_once('=') {
        Some((fqdn, addr)) if !fqdn.is_empty() => (Some(fqdn), addr),
        Some(_) => return Err(format!("`{s}` is not [FQDN=]ADDR:PORT")),
        None => (None, s),
    };
    let addr: SocketAddr = addr
        .parse()
        .map_err(|e| format!("`{addr}` is not ADDR:PORT: {e}"))?;
    let placement = match fqdn {
        Some(f) => Placement::Named(f.to_owned()),
        None => Placement::Address(addr.ip()),
    };
    Ok((placement, addr))
}

fn parse_zone_arg(s: &str) -> Result<(String, PathBuf), String> {
    let (view, file) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}` is not VIEW=FILE"))?;
    if view.is_empty() || file.is_empty() {
        return Err(format!("`{s}` is not VIEW=FILE"));
    }
    Ok((view.to_owned(), PathBuf::from(file)))
}

/// Everything needed to (re)build the data.
struct Source {
    path: Option<PathBuf>,
    zones: Vec<(String, PathBuf)>,
    rotation: Option<Rotation>,
}

impl Source {
    /// Loads the deployment and builds its data; on a reload, following `previous` (serials, transfer journals).
    fn load(&self, previous: Option<&Snapshot>) -> anyhow::Result<(Deployment, Snapshot)> {
        let mut deployment = crate::load_deployment(self.path.as_ref())?;
        if let Some(r) = self.rotation {
            deployment.serve.rotation = r;
        }
        let base = self
            .path
            .as_deref()
            .and_then(Path::parent)
            .unwrap_or(Path::new("."));
        let snapshot = match previous {
            Some(previous) => {
                lyncdns_dnsserver::load::reload(&deployment, base, &self.zones, previous)?
            }
            None => lyncdns_dnsserver::load::snapshot(&deployment, base, &self.zones)?,
        };
        Ok((deployment, snapshot))
    }
}

fn summary(s: &Snapshot) -> String {
    let views: Vec<String> = s
        .views
        .iter()
        .map(|v| {
            format!(
                "{} ({} zones, {} records)",
                v.name,
                v.zones.len(),
                v.records
            )
        })
        .collect();
    views.join("; ")
}

/// Runs `lyncdns serve`.
pub fn run(args: &ServeArgs) -> anyhow::Result<()> {
    let path = deployment_path(
        args.deployment.as_deref(),
        &args.default_config,
        Path::exists,
    );
    match &path {
        Some(p) => tracing::info!(file = %p.display(), "reading the deployment"),
        None => tracing::info!(
            default = %args.default_config.display(),
            "no deployment file named and no default file: serving the embedded example"
        ),
    }
    let source = Source {
        path,
        zones: args.zones.clone(),
        rotation: args.rotation.map(|r| match r {
            RotationArg::Shuffle => Rotation::Shuffle,
            RotationArg::RoundRobin => Rotation::RoundRobin,
            RotationArg::None => Rotation::None,
        }),
    };
    let (deployment, snapshot) = source.load(None)?;
    if args.check {
        println!("ok: {}", summary(&snapshot));
        return Ok(());
    }
    let s = &deployment.serve;
    let dns = if !args.dns.is_empty() {
        args.dns.clone()
    } else if !s.dns.is_empty() {
        s.dns.clone()
    } else {
        vec!["127.0.0.1:5300".parse().expect("valid default")]
    };
    let workers = args.workers.or(s.workers).unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    if workers == 0 {
        bail!("--workers must be at least 1");
    }
    let config = Config {
        dns,
        workers,
        metrics: args.metrics.or(s.metrics),
        query_log: args.query_log || s.query_log,
        tcp: tcp_limits(s),
    };
    let web_config = WebConfig {
        http: args.http.or(s.http),
        https: args.https.or(s.https),
        cert: args.cert.clone().or_else(|| s.cert.clone()),
        key: args.key.clone().or_else(|| s.key.clone()),
        lab_ca: args
            .lab_ca
            .clone()
            .or_else(|| s.lab_ca.clone())
            .unwrap_or_else(|| PathBuf::from("lyncdns-lab-ca")),
        limits: Default::default(),
    };
    let sip: Vec<(SocketAddr, Registrar)> = args
        .sip
        .iter()
        .map(|(placement, addr)| {
            lyncdns_sip::registrar::place(&deployment, placement)
                .map(|r| (*addr, r))
                .with_context(|| format!("--sip {addr}"))
        })
        .collect::<anyhow::Result<_>>()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the runtime")?;
    runtime.block_on(async move {
        let views = summary(&snapshot);
        tracing::info!(views = %views, "loaded");
        // Before any listener: once "DNS listening" is logged, a SIGHUP reloads instead of killing the process.
        let signals = Signals::install()?;
        let server = Server::start(snapshot, config)
            .await
            .context("binding the listeners")?;
        let web = if web_config.http.is_some() || web_config.https.is_some() {
            Some(
                Web::start(&deployment, &web_config)
                    .await
                    .context("starting Autodiscover (HTTP/HTTPS over TCP)")?,
            )
        } else {
            None
        };
        let sip = if sip.is_empty() {
            None
        } else {
            Some(start_sip(&deployment, &web_config, sip).await?)
        };
        crate::systemd::ready(&format!("serving {}", views));
        let running = Running::new(args, &deployment.serve);
        wait_and_reload(
            signals,
            &server,
            web.as_ref(),
            sip.as_ref(),
            &source,
            running,
        )
        .await?;
        if let Some(web) = web {
            web.shutdown().await;
        }
        if let Some(sip) = sip {
            sip.shutdown().await;
        }
        server.shutdown().await;
        Ok(())
    })
}

/// Starts the SIP registrar listeners with the admin's certificate (`--cert`/`--key`) or one the lab CA issues
/// for the registrars' names.
async fn start_sip(
    deployment: &Deployment,
    web: &WebConfig,
    listeners: Vec<(SocketAddr, Registrar)>,
) -> anyhow::Result<SipServer> {
    let identity = match (&web.cert, &web.key) {
        (Some(cert), Some(key)) => lyncdns_autodiscover::tls::from_pem(cert, key)?,
        _ => lyncdns_autodiscover::tls::sip_from_lab_ca(
            &web.lab_ca,
            &lyncdns_sip::registrar::certificate_names(deployment),
        )?,
    };
    if let Some(ca) = &identity.ca_path {
        tracing::info!(ca = %ca.display(), names = %identity.names.join(","), "SIP certificate issued by the lab CA");
    }
    SipServer::start(
        listeners,
        Directory::of(deployment),
        identity.config,
        SipLimits::default(),
    )
    .await
    .context("starting the SIP registrar")
}

/// The DNS over TCP limits and timeouts `[serve]` sets.
fn tcp_limits(s: &Serve) -> TcpLimits {
    TcpLimits {
        idle: Duration::from_millis(s.tcp_idle_timeout_ms),
        idle_busy: Duration::from_millis(s.tcp_busy_idle_timeout_ms),
        io_timeout: Duration::from_millis(s.tcp_io_timeout_ms),
        max_connections: s.tcp_max_connections,
        max_per_prefix: s.tcp_max_per_prefix,
        prefix_v4: s.tcp_prefix_v4,
        prefix_v6: s.tcp_prefix_v6,
    }
}

/// What the running server was started with (the command line and the first `[serve]` table), and what a
/// reload applied last.
struct Running<'a> {
    args: &'a ServeArgs,
    started: Serve,
    applied: (bool, TcpLimits),
}

impl<'a> Running<'a> {
    /// The server as started from `args` and `serve`.
    fn new(args: &'a ServeArgs, serve: &Serve) -> Self {
        Running {
            args,
            started: serve.clone(),
            applied: (args.query_log || serve.query_log, tcp_limits(serve)),
        }
    }

    /// Applies a reloaded `[serve]` table. What can change live is applied: the query log and the TCP limits and
    /// timeouts here; rotation, `max_udp_payload`, `ecs_trusted` and zone files with the new snapshot. Each
    /// setting that needs a restart and differs from what the server was started with is named in a warning, on
    /// every reload until the file and the process agree again. A setting the command line overrides is not
    /// affected by the file, so it is not reported.
    fn apply(&mut self, server: &Server, next: &Serve) {
        let (a, old) = (self.args, &self.started);
        let restart: [(&str, bool); 9] = [
            ("dns", a.dns.is_empty() && old.dns != next.dns),
            (
                "workers",
                a.workers.is_none() && old.workers != next.workers,
            ),
            (
                "metrics",
                a.metrics.is_none() && old.metrics != next.metrics,
            ),
            ("http", a.http.is_none() && old.http != next.http),
            ("https", a.https.is_none() && old.https != next.https),
            ("cert", a.cert.is_none() && old.cert != next.cert),
            ("key", a.key.is_none() && old.key != next.key),
            ("lab_ca", a.lab_ca.is_none() && old.lab_ca != next.lab_ca),
            (
                "token_lifetime_s",
                old.token_lifetime_s != next.token_lifetime_s,
            ),
        ];
        for (setting, _) in restart.iter().filter(|(_, changed)| *changed) {
            tracing::warn!(
                setting = %format!("serve.{setting}"),
                "changed in the deployment file, but takes effect only after a restart; still running with the value it started with"
            );
        }
        let applied = (a.query_log || next.query_log, tcp_limits(next));
        if applied != self.applied {
            server.apply(applied.0, applied.1);
            tracing::info!(
                query_log = applied.0,
                tcp = ?applied.1,
                "applied the reloaded [serve] query log and TCP limits"
            );
            self.applied = applied;
        }
    }
}

/// The signals `serve` handles, installed before the listeners start.
#[cfg(unix)]
struct Signals {
    hup: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    /// Installs the SIGHUP, SIGTERM and SIGINT handlers. Must be called inside the runtime.
    fn install() -> anyhow::Result<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            hup: signal(SignalKind::hangup()).context("installing the SIGHUP handler")?,
            term: signal(SignalKind::terminate()).context("installing the SIGTERM handler")?,
            int: signal(SignalKind::interrupt()).context("installing the SIGINT handler")?,
        })
    }
}

/// Ctrl-C is the only signal handled off Unix.
#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    /// Nothing to install: Ctrl-C is awaited where it is handled.
    fn install() -> anyhow::Result<Signals> {
        Ok(Signals)
    }
}

/// Reloads on SIGHUP until SIGINT or SIGTERM. A reload that fails keeps the old data serving.
#[cfg(unix)]
async fn wait_and_reload(
    signals: Signals,
    server: &Server,
    web: Option<&Web>,
    sip: Option<&SipServer>,
    source: &Source,
    mut running: Running<'_>,
) -> anyhow::Result<()> {
    let Signals {
        mut hup,
        mut term,
        mut int,
    } = signals;
    loop {
        tokio::select! {
            _ = hup.recv() => {
                crate::systemd::reloading();
                // Loading runs off the async threads: a large zone must not stall TCP or metrics.
                let loaded = {
                    let source = Source { path: source.path.clone(), zones: source.zones.clone(), rotation: source.rotation };
                    let previous = server.current();
                    tokio::task::spawn_blocking(move || source.load(Some(&previous))).await.context("reload task")?
                };
                match loaded {
                    Ok((deployment, snapshot)) => {
                        // Logged once the new data serves: whoever reads "reloaded" gets the new answers.
                        let views = summary(&snapshot);
                        server.reload(snapshot);
                        running.apply(server, &deployment.serve);
                        if let Some(web) = web {
                            web.reload(&deployment);
                        }
                        if let Some(sip) = sip {
                            sip.reload(Directory::of(&deployment));
                        }
                        tracing::info!(views = %views, "reloaded");
                        crate::systemd::ready(&format!("reloaded: serving {views}"));
                    }
                    Err(e) => {
                        server.reload_failed(&format!("{e:#}"));
                        tracing::error!("reload failed, still serving the previous data: {e:#}");
                        crate::systemd::ready(&format!("reload failed, still serving the previous data: {e:#}"));
                    }
                }
            }
            _ = term.recv() => break,
            _ = int.recv() => break,
        }
    }
    tracing::info!("shutting down");
    crate::systemd::stopping();
    Ok(())
}

#[cfg(not(unix))]
async fn wait_and_reload(
    _signals: Signals,
    _server: &Server,
    _web: Option<&Web>,
    _sip: Option<&SipServer>,
    _source: &Source,
    _running: Running<'_>,
) -> anyhow::Result<()> {
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_named_file_wins_then_the_default_file_when_it_exists_then_the_example() {
        let default = Path::new(DEFAULT_CONFIG);
        let named = Path::new("site.toml");
        assert_eq!(
            deployment_path(Some(named), default, |_| true),
            Some(named.to_owned())
        );
        assert_eq!(
            deployment_path(None, default, |p| p == default),
            Some(default.to_owned())
        );
        assert_eq!(deployment_path(None, default, |_| false), None);
    }
}
