//! `lyncdns lab`: the whole system on loopback in one command. It serves the deployment's DNS (both views) and
//! its Autodiscover service on 127.0.0.1, runs every client as an internal client (source 127.0.0.1) and as an
//! external client (source 127.0.0.2) for each SIP domain, and prints the matrix of where each signs in.
//!
//! All traffic stays on loopback: DNS goes to the lab server; Autodiscover requests for any host are dialled to
//! the lab's web listeners (the certificate is still checked against the host name); SIP servers are found but not
//! connected to, since their addresses are the deployment's, not this machine's.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use lyncdns_autodiscover::http::{Web, WebConfig};
use lyncdns_discover::machine::{Client, Failure, Machine, Options, Outcome, Reply, Request};
use lyncdns_discover::probe::LiveNet;
use lyncdns_discover::resolver::Live;
use lyncdns_discover::run::{Credentials, Discovery, run};
use lyncdns_dnsserver::server::{Config, Server, TcpLimits};
use lyncdns_model::{Deployment, Home, Location};
use lyncdns_plan::scenario::{Context as ScenarioContext, SCENARIOS};

/// Arguments of `lyncdns lab`.
#[derive(Debug, Args)]
pub struct LabArgs {
    /// The deployment (default: the embedded example).
    #[arg(long, value_name = "FILE")]
    deployment: Option<PathBuf>,
    /// Break the DNS in one of the documented ways (see --list-scenarios).
    #[arg(long, value_name = "NAME")]
    scenario: Option<String>,
    /// List the scenarios and exit.
    #[arg(long)]
    list_scenarios: bool,
    /// Keep the services running after the matrix, for real clients, until Ctrl-C.
    #[arg(long)]
    keep_running: bool,
    /// Print every discovery as JSON instead of the matrix.
    #[arg(long)]
    json: bool,
    /// Also write a self-contained HTML report of every discovery.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Keep the lab CA here (default: a temporary directory).
    #[arg(long, value_name = "DIR")]
    lab_ca: Option<PathBuf>,
}

const INSIDE: &str = "127.0.0.1";
const OUTSIDE: &str = "127.0.0.2";

/// A random lab password (the lab user exists only in this process).
fn lab_password() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    format!("lab-{:016x}", h.finish())
}

/// Adds a `lab@<domain>` user for each SIP domain, homed on the sign-in pool.
fn add_lab_users(d: &mut Deployment, password: &str) -> anyhow::Result<()> {
    let hash = lyncdns_autodiscover::auth::hash_password(password)?;
    let home = d.sign_in_pool().fqdn.clone();
    for domain in d
        .sip_domains()
        .iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
    {
        let sip = format!("lab@{domain}");
        d.users.retain(|u| u.sip != sip);
        d.users.push(lyncdns_model::User {
            sip,
            home: Home::Pool(home.clone()),
            password_hash: hash.clone(),
        });
    }
    Ok(())
}

/// Short text for a matrix cell.
fn cell(d: &Discovery) -> String {
    let v = &d.verdict;
    if let Outcome::Fails { reason } = &v.outcome {
        let reason = reason.to_string();
        let short: String = reason.chars().take(70).collect();
        format!(
            "✗ {short}{}",
            if reason.chars().count() > 70 {
                "…"
            } else {
                ""
            }
        )
    } else {
        let via = v.via.clone().unwrap_or_default();
        match v.target() {
            Some((host, port)) => format!(
                "✓ {host}:{port} via {via}{}",
                if v.trust_prompt() {
                    " (trust prompt)"
                } else {
                    ""
                }
            ),
            None => format!("✓ {v}"),
        }
    }
}

/// Marks a SIP verdict whose server resolves to the reverse proxy as failed: the reverse proxy carries only
/// web traffic (`docs/lync.md` §4 #2). UCWA and Online verdicts reach web services, which it does carry.
fn check_roles(d: &mut Discovery, reverse_proxy: &[IpAddr]) {
    let Outcome::SignsIn { host, port, .. } = &d.verdict.outcome else {
        return;
    };
    let (host, port) = (host.clone(), *port);
    let addrs: Vec<IpAddr> = d
        .steps
        .iter()
        .filter_map(|s| match (&s.request, &s.reply) {
            (Request::Lookup { name, .. }, Reply::Lookup(l))
                if name.eq_ignore_ascii_case(&host) =>
            {
                Some(l.addresses())
            }
            _ => None,
        })
        .flatten()
        .collect();
    if let Some(&address) = addrs.iter().find(|a| reverse_proxy.contains(a)) {
        // The method that found the server stays in `via`.
        d.verdict.outcome = Outcome::Fails {
            reason: Failure::ReverseProxy {
                host,
                port,
                address,
            },
        };
        d.decided_by = None;
    }
}

/// Runs `lyncdns lab`.
pub fn run_cmd(args: &LabArgs) -> anyhow::Result<()> {
    if args.list_scenarios {
        for s in SCENARIOS {
            println!("{:<30} {}", s.name, s.description);
        }
        return Ok(());
    }
    let mut deployment = crate::load_deployment(args.deployment.as_ref())?;
    if !deployment
        .views
        .iter()
        .any(|v| v.location == Location::Internal)
        || !deployment
            .views
            .iter()
            .any(|v| v.location == Location::External)
    {
        bail!("the lab needs an internal and an external view");
    }
    for (from, want) in [(INSIDE, Location::Internal), (OUTSIDE, Location::External)] {
        let ip: IpAddr = from.parse().expect("valid");
        let got = deployment
            .views
            .iter()
            .find(|v| v.clients.iter().any(|n| n.contains(&ip)))
            .map(|v| v.location);
        if got != Some(want) {
            bail!(
                "the lab's {} client ({from}) must match a {} view of this deployment; add it to that view's clients",
                want.as_str(),
                want.as_str()
            );
        }
    }
    let password = lab_password();
    add_lab_users(&mut deployment, &password)?;
    let mut plan = lyncdns_plan::plan(&deployment);
    let scenario = match &args.scenario {
        Some(name) => {
            let s = lyncdns_plan::scenario::find(name)
                .with_context(|| format!("no scenario `{name}`; see --list-scenarios"))?;
            let ctx = ScenarioContext {
                reverse_proxy: deployment
                    .reverse_proxy
                    .as_ref()
                    .map(|r| r.addresses.clone())
                    .unwrap_or_default(),
                registrar: deployment.registrar().fqdn.to_string(),
                domains: deployment
                    .sip_domains()
                    .iter()
                    .map(|d| d.to_string())
                    .collect(),
            };
            s.apply(&mut plan, &ctx)
                .map_err(|e| anyhow::anyhow!("scenario {name}: {e}"))?;
            Some(s)
        }
        None => None,
    };
    let snapshot = lyncdns_dnsserver::load::snapshot_of_plan(
        &deployment,
        &plan,
        std::path::Path::new("."),
        &[],
    )?;
    let temp_ca;
    let ca_dir = match &args.lab_ca {
        Some(dir) => dir.clone(),
        None => {
            temp_ca = TempDir::new()?;
            temp_ca.0.clone()
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let (server, web) = runtime.block_on(async {
        let config = Config {
            dns: vec!["127.0.0.1:0".parse().expect("valid")],
            workers: 1,
            metrics: None,
            query_log: false,
            tcp: TcpLimits {
                max_connections: 64,
                ..TcpLimits::default()
            },
        };
        let server = Server::start(snapshot, config)
            .await
            .context("starting the lab DNS server")?;
        let web_config = WebConfig {
            http: Some("127.0.0.1:0".parse().expect("valid")),
            https: Some("127.0.0.1:0".parse().expect("valid")),
            cert: None,
            key: None,
            lab_ca: ca_dir.clone(),
            limits: Default::default(),
        };
        let web = Web::start(&deployment, &web_config)
            .await
            .context("starting the lab Autodiscover service")?;
        anyhow::Ok((server, web))
    })?;
    let dns = server.dns_addrs[0];
    let (https, http) = (
        web.https_addr.expect("started"),
        web.http_addr.expect("started"),
    );
    let ca = web.ca_path.clone().expect("the lab CA");
    let reverse_proxy: Vec<IpAddr> = deployment
        .reverse_proxy
        .as_ref()
        .map(|r| r.addresses.clone())
        .unwrap_or_default();

    let mut discoveries: Vec<(String, &str, Discovery)> = Vec::new();
    for domain in deployment.sip_domains().iter().map(|d| d.to_string()) {
        let uri = format!("lab@{domain}");
        let creds = Credentials {
            user: uri.clone(),
            password: password.clone(),
        };
        for client in Client::ALL {
            for (label, from) in [("inside", INSIDE), ("outside", OUTSIDE)] {
                let from_ip: IpAddr = from.parse().expect("valid");
                let mut resolver = Live::new(dns, Some(from_ip), Duration::from_secs(2), 1);
                let mut net = LiveNet::new(Some(&ca), Duration::from_secs(3), Some(from_ip))?;
                net.dial = vec![("https", https), ("http", http)];
                let options = Options {
                    probe: true,
                    connect: false,
                    credentials: true,
                    ..Options::default()
                };
                let machine = Machine::new(client, &uri, options).expect("a valid lab URI");
                let mut d = run(machine, client, &uri, &mut resolver, &mut net, Some(&creds));
                check_roles(&mut d, &reverse_proxy);
                discoveries.push((domain.clone(), label, d));
            }
        }
    }

    let all: Vec<Discovery> = discoveries.iter().map(|(_, _, d)| d.clone()).collect();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&all)?);
    } else {
        print_matrix(
            &deployment,
            scenario.map(|s| s.name),
            dns,
            https,
            &ca,
            &discoveries,
        );
    }
    if let Some(path) = &args.html {
        std::fs::write(
            path,
            lyncdns_discover::report::html(&format!("lyncdns lab — {}", plan.name), &all),
        )
        .with_context(|| format!("writing {}", path.display()))?;
    }
    if args.keep_running {
        println!("\nThe lab keeps running; press Ctrl-C to stop.");
        println!(
            "  dig @{} -p {} -b {INSIDE} lyncdiscoverinternal.{}",
            dns.ip(),
            dns.port(),
            deployment.sip.primary_domain
        );
        println!(
            "  dig @{} -p {} -b {OUTSIDE} _sip._tls.{} SRV",
            dns.ip(),
            dns.port(),
            deployment.sip.primary_domain
        );
        println!(
            "  curl --cacert {} --resolve lyncdiscover.{d}:{p}:127.0.0.1 https://lyncdiscover.{d}:{p}/",
            ca.display(),
            d = deployment.sip.primary_domain,
            p = https.port()
        );
        println!("  lab users: lab@<each SIP domain>, password {password}");
        runtime
            .block_on(async { tokio::signal::ctrl_c().await })
            .context("waiting for Ctrl-C")?;
    }
    runtime.block_on(async {
        web.shutdown().await;
        server.shutdown().await;
    });
    Ok(())
}

fn print_matrix(
    d: &Deployment,
    scenario: Option<&str>,
    dns: SocketAddr,
    https: SocketAddr,
    ca: &std::path::Path,
    rows: &[(String, &str, Discovery)],
) {
    println!(
        "lyncdns lab — {}",
        d.name
            .clone()
            .unwrap_or_else(|| d.sip.primary_domain.to_string())
    );
    println!(
        "scenario: {}",
        scenario.unwrap_or("none (the deployment as planned)")
    );
    println!(
        "DNS {dns} (inside = from {INSIDE}, outside = from {OUTSIDE}); Autodiscover https://{https} (lab CA {})",
        ca.display()
    );
    println!(
        "SIP servers are found, not connected to: their addresses are the deployment's, not this machine's.\n"
    );
    let mut table: Vec<[String; 4]> = vec![[
        "client".into(),
        "user".into(),
        "inside".into(),
        "outside".into(),
    ]];
    for client in Client::ALL {
        for domain in d.sip_domains().iter().map(|x| x.to_string()) {
            let find = |label: &str| {
                rows.iter()
                    .find(|(dm, l, x)| *dm == domain && *l == label && x.client == client)
                    .map(|(_, _, x)| cell(x))
                    .unwrap_or_default()
            };
            table.push([
                client.as_str().to_owned(),
                format!("lab@{domain}"),
                find("inside"),
                find("outside"),
            ]);
        }
    }
    let widths: Vec<usize> = (0..4)
        .map(|i| {
            table
                .iter()
                .map(|r| r[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in &table {
        let line: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c}{}", " ".repeat(widths[i] - c.chars().count())))
            .collect();
        println!("{}", line.join("  ").trim_end());
    }
    let ok = rows.iter().filter(|(_, _, x)| x.verdict.ok()).count();
    println!(
        "\n{ok} of {} discoveries sign in. Details: lyncdns lab --json, or --html FILE.",
        rows.len()
    );
}

/// A temporary directory removed on drop (for the lab CA when none is given).
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> anyhow::Result<TempDir> {
        let dir = std::env::temp_dir().join(format!("lyncdns-lab-{}", std::process::id()));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
