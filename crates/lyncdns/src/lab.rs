//! `lyncdns lab`: the whole system on loopback in one command. It serves the deployment's DNS (both views) and
//! its Autodiscover service on 127.0.0.1, runs every client as an internal client (source 127.0.0.1) and as an
//! external client (source 127.0.0.2) for each SIP domain, and prints the matrix of where each signs in.
//!
//! All traffic stays on loopback: DNS goes to the lab server; Autodiscover requests for any host are dialled to
//! the lab's web listeners (the certificate is still checked against the host name); each sign-in ends at the lab
//! SIP registrar that plays the pool, Director or Access Edge whose deployment address (and port) discovery led
//! to, over TLS with the lab CA's certificate checked for the name. Any other address is not dialled.

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
use lyncdns_dnsdata::resolve::{Lookup, Outcome as LookupOutcome, Resolver};
use lyncdns_dnsdata::types::{Rcode, Rtype};
use lyncdns_dnsserver::server::{Config, Server, TcpLimits};
use lyncdns_model::{Deployment, Home, Location};
use lyncdns_plan::scenario::{Context as ScenarioContext, SCENARIOS};
use lyncdns_sip::registrar::{Directory, Registrar, Role};
use lyncdns_sip::server::{SipLimits, SipServer};

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

/// Adds a `lab@<domain>` user for each SIP domain, homed on the sign-in pool, and with a shared SIP address
/// space (hybrid) a `lab-online@<primary domain>` homed Online, so the lab exercises the Online redirect
/// (`docs/lync.md` §3.5). Returns the lab users' SIP addresses, in matrix order.
fn add_lab_users(d: &mut Deployment, password: &str) -> anyhow::Result<Vec<String>> {
    let hash = lyncdns_autodiscover::auth::hash_password(password)?;
    let home = d.sign_in_pool().fqdn.clone();
    let mut users: Vec<(String, Home)> = d
        .sip_domains()
        .iter()
        .map(|domain| (format!("lab@{domain}"), Home::Pool(home.clone())))
        .collect();
    if d.hybrid.as_ref().is_some_and(|h| h.shared_address_space) {
        users.push((format!("lab-online@{}", d.sip.primary_domain), Home::Online));
    }
    for (sip, home) in &users {
        d.users.retain(|u| u.sip != *sip);
        d.users.push(lyncdns_model::User {
            sip: sip.clone(),
            home: home.clone(),
            password_hash: hash.clone(),
            nt_hash: Some(lyncdns_autodiscover::ntlm::nt_hash_hex(password)),
        });
    }
    Ok(users.into_iter().map(|(sip, _)| sip).collect())
}

/// Makes the lab's two clients match a view of the right location: when the first view that matches
/// 127.0.0.1 is not internal (127.0.0.2 not external), the address is added, as a /32, to the first view of that
/// location, so that every deployment runs in the lab whatever its client prefixes (issue 16). Returns what was
/// added, to be said; refuses only when an earlier view of the other location already matches the address.
fn place_lab_clients(d: &mut Deployment) -> anyhow::Result<Vec<String>> {
    let mut placed = Vec::new();
    for (from, want) in [(INSIDE, Location::Internal), (OUTSIDE, Location::External)] {
        let ip: IpAddr = from.parse().expect("valid");
        let matching = d
            .views
            .iter()
            .position(|v| v.clients.iter().any(|n| n.contains(&ip)));
        if matching.is_some_and(|i| d.views[i].location == want) {
            continue;
        }
        let Some(target) = d.views.iter().position(|v| v.location == want) else {
            bail!("the lab needs an internal and an external view");
        };
        if let Some(i) = matching.filter(|&i| i < target) {
            bail!(
                "the lab's {} client ({from}) matches view `{}` ({}), which comes before every {} view; \
                 put {from}/32 in a {} view's clients, before `{}`",
                want.as_str(),
                d.views[i].name,
                d.views[i].location.as_str(),
                want.as_str(),
                want.as_str(),
                d.views[i].name
            );
        }
        let view = &mut d.views[target];
        view.clients.insert(0, ip.into());
        placed.push(format!(
            "the lab adds {from}/32 to the clients of view `{}` ({}), for its {} client",
            view.name,
            want.as_str(),
            if want == Location::Internal {
                "inside"
            } else {
                "outside"
            }
        ));
    }
    Ok(placed)
}

/// The inside client's resolver: the lab's DNS server as the internal view's clients see it, and, for a name
/// outside every internal zone (REFUSED by an authoritative-only server), the answer the Internet gives, i.e. the
/// external view, as an internal DNS server that forwards such names would return it. Without this, a name
/// the plan rightly leaves to the Internet (`lyncweb.fabrikam.com` when the internal zone is `corp.local`) would
/// not resolve inside in the lab, though it does in the deployment.
struct Inside {
    internal: Live,
    forwarder: Live,
}

impl Resolver for Inside {
    fn lookup(&mut self, name: &str, qtype: Rtype) -> Lookup {
        let l = self.internal.lookup(name, qtype);
        if !matches!(l.outcome, LookupOutcome::Answered { rcode, .. } if rcode == Rcode::REFUSED) {
            return l;
        }
        let mut forwarded = self.forwarder.lookup(name, qtype);
        forwarded.server = format!(
            "{} (forwarded: the internal view holds no zone for it)",
            forwarded.server
        );
        forwarded
    }

    fn describe(&self) -> String {
        format!(
            "{}; names outside its zones forwarded to {}",
            self.internal.describe(),
            self.forwarder.describe()
        )
    }
}

/// The registrar's part of a matrix cell: `→ 401 pool01.contoso.com` (the registrar named in its challenge, also
/// through the Access Edge) or, after a Director's redirect, `→ 301 → 401 pool01.contoso.com`.
fn registrar_text(v: &lyncdns_discover::machine::Verdict) -> String {
    match &v.outcome {
        Outcome::SignsIn {
            registrar: Some(r), ..
        } => format!(
            " → {}{} {}",
            if r.redirected_by.is_some() {
                "301 → "
            } else {
                ""
            },
            r.status,
            r.targetname.as_deref().unwrap_or(&r.host)
        ),
        _ => String::new(),
    }
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
                "✓ {host}:{port} via {via}{}{}",
                registrar_text(v),
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
/// web traffic (`docs/lync.md` §4 #2). UCWA and Online verdicts reach web services, which it does carry. A
/// discovery that failed after its first SIP attempt went to the reverse proxy (the lab has no registrar there)
/// is failed for that reason.
fn check_roles(d: &mut Discovery, reverse_proxy: &[IpAddr]) {
    if let Outcome::Fails { .. } = &d.verdict.outcome {
        let first = d.steps.iter().find_map(|s| match &s.request {
            Request::Sip(r) => Some(r),
            _ => None,
        });
        if let Some(r) = first
            && let Some(&address) = r.addrs.iter().find(|a| reverse_proxy.contains(a))
        {
            d.verdict.outcome = Outcome::Fails {
                reason: Failure::ReverseProxy {
                    host: r.host.clone(),
                    port: r.port,
                    address,
                },
            };
            d.verdict.via = None;
        }
        return;
    }
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

/// Runs `lyncdns lab`; `Ok(false)` when a client cannot sign in.
pub fn run_cmd(args: &LabArgs) -> anyhow::Result<bool> {
    if args.list_scenarios {
        for s in SCENARIOS {
            println!("{:<30} {}", s.name, s.description);
        }
        return Ok(true);
    }
    let mut deployment = crate::load_deployment(args.deployment.as_ref())?;
    let placed = place_lab_clients(&mut deployment)?;
    let password = lab_password();
    let lab_users = add_lab_users(&mut deployment, &password)?;
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
    let (server, web, sip) = runtime.block_on(async {
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
        let sip = start_registrars(&deployment, &ca_dir)
            .await
            .context("starting the lab SIP registrars")?;
        anyhow::Ok((server, web, sip))
    })?;
    let sip_dial = sip_dial(&deployment, &sip.listeners);
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
    for uri in &lab_users {
        let uri = uri.clone();
        let creds = Credentials {
            user: uri.clone(),
            password: password.clone(),
        };
        for client in Client::ALL {
            for (label, from) in [("inside", INSIDE), ("outside", OUTSIDE)] {
                let from_ip: IpAddr = from.parse().expect("valid");
                let live = |ip: &str| {
                    Live::new(
                        dns,
                        Some(ip.parse().expect("valid")),
                        Duration::from_secs(2),
                        1,
                    )
                };
                let mut resolver: Box<dyn Resolver> = if label == "inside" {
                    Box::new(Inside {
                        internal: live(INSIDE),
                        forwarder: live(OUTSIDE),
                    })
                } else {
                    Box::new(live(OUTSIDE))
                };
                let mut net = LiveNet::new(Some(&ca), Duration::from_secs(3), Some(from_ip))?;
                net.dial = vec![("https", https), ("http", http)];
                net.sip_dial = sip_dial.clone();
                net.sip_dial_only = true;
                let options = Options {
                    probe: true,
                    connect: true,
                    credentials: true,
                    ..Options::default()
                };
                let machine = Machine::new(client, &uri, options).expect("a valid lab URI");
                let mut d = run(
                    machine,
                    client,
                    &uri,
                    resolver.as_mut(),
                    &mut net,
                    Some(&creds),
                );
                check_roles(&mut d, &reverse_proxy);
                d.location = Some(label.to_owned());
                d.scenario = scenario.map(|s| s.name.to_owned());
                discoveries.push((uri.clone(), label, d));
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
            &placed,
            dns,
            https,
            &ca,
            &sip.listeners,
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
        for (addr, r) in &sip.listeners {
            println!(
                "  SIP over TLS {addr}: {} ({}); openssl s_client -connect {addr} -servername {} -CAfile {}",
                r.fqdn,
                r.role.as_str(),
                r.fqdn,
                ca.display()
            );
        }
        println!("  lab users: {}, password {password}", lab_users.join(", "));
        runtime
            .block_on(async { tokio::signal::ctrl_c().await })
            .context("waiting for Ctrl-C")?;
    }
    runtime.block_on(async {
        sip.shutdown().await;
        web.shutdown().await;
        server.shutdown().await;
    });
    Ok(all.iter().all(|d| d.verdict.ok()))
}

/// One loopback listener per registrar (the Director, each pool, the Access Edge), with a certificate from the
/// lab CA for their names.
async fn start_registrars(d: &Deployment, ca_dir: &std::path::Path) -> anyhow::Result<SipServer> {
    let identity = lyncdns_autodiscover::tls::sip_from_lab_ca(
        ca_dir,
        &lyncdns_sip::registrar::certificate_names(d),
    )?;
    let mut registrars = lyncdns_sip::registrar::registrars(d);
    registrars.extend(lyncdns_sip::registrar::edge_registrar(d));
    let listeners: Vec<(SocketAddr, Registrar)> = registrars
        .into_iter()
        .map(|r| ("127.0.0.1:0".parse().expect("valid"), r))
        .collect();
    Ok(SipServer::start(
        listeners,
        Directory::of(d),
        identity.config,
        SipLimits {
            max_connections: 64,
            ..SipLimits::default()
        },
    )
    .await?)
}

/// Where SIP to each deployment address goes in the lab: a pool's or the Director's addresses (its servers', its
/// VIP) on the internal SIP TLS port to its registrar; the Access Edge's on 443 (where remote users reach it) to
/// the Edge's.
fn sip_dial(
    d: &Deployment,
    listeners: &[(SocketAddr, Registrar)],
) -> Vec<(SocketAddr, SocketAddr)> {
    let mut map = Vec::new();
    for (local, r) in listeners {
        match r.role {
            Role::Director | Role::Pool => {
                for (pool, _) in d.all_pools() {
                    if pool.fqdn.as_str().eq_ignore_ascii_case(&r.fqdn) {
                        let port = lyncdns_lync::services::SIPINTERNALTLS.port;
                        let mut addrs = pool.sip_addresses();
                        addrs.extend(
                            pool.servers
                                .iter()
                                .flat_map(|s| s.addresses.iter().copied()),
                        );
                        map.extend(
                            addrs
                                .into_iter()
                                .map(|a| (SocketAddr::new(a, port), *local)),
                        );
                    }
                }
            }
            Role::Edge => {
                if let Some(edge) = &d.edge {
                    let port = lyncdns_lync::services::SIP_TLS.port;
                    map.extend(
                        edge.access
                            .addresses
                            .iter()
                            .map(|a| (SocketAddr::new(*a, port), *local)),
                    );
                }
            }
        }
    }
    map
}

#[allow(clippy::too_many_arguments)]
fn print_matrix(
    d: &Deployment,
    scenario: Option<&str>,
    placed: &[String],
    dns: SocketAddr,
    https: SocketAddr,
    ca: &std::path::Path,
    sip: &[(SocketAddr, Registrar)],
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
    for p in placed {
        println!("{p}");
    }
    println!(
        "DNS {dns} (inside = from {INSIDE}, outside = from {OUTSIDE}); Autodiscover https://{https} (lab CA {})",
        ca.display()
    );
    println!(
        "Inside, a name outside every internal zone is answered from the external view, as an internal DNS server \
         forwarding to the Internet would."
    );
    let registrars: Vec<String> = sip
        .iter()
        .map(|(addr, r)| format!("{} {} {addr}", r.role.as_str(), r.fqdn))
        .collect();
    println!(
        "SIP registrars over TLS on loopback, each for its deployment addresses: {}.\n\
         A sign-in ends at a registrar's answer: → its REGISTER status (401: challenged) and the registrar its challenge names; after a Director's redirect, → 301 → first.\n",
        registrars.join("; ")
    );
    let mut table: Vec<[String; 4]> = vec![[
        "client".into(),
        "user".into(),
        "inside".into(),
        "outside".into(),
    ]];
    let mut users: Vec<&str> = Vec::new();
    for (uri, _, _) in rows {
        if !users.contains(&uri.as_str()) {
            users.push(uri);
        }
    }
    for client in Client::ALL {
        for uri in &users {
            let find = |label: &str| {
                rows.iter()
                    .find(|(u, l, x)| u == uri && *l == label && x.client == client)
                    .map(|(_, _, x)| cell(x))
                    .unwrap_or_default()
            };
            table.push([
                client.as_str().to_owned(),
                uri.to_string(),
                find("inside"),
                find("outside"),
            ]);
        }
        // An Online-only domain's names lead to Microsoft's service (Teams since 2021, [S45]), which the lab
        // cannot reach: shown, not run.
        for domain in d.online_domains() {
            let not_run = "not exercised: leads to Microsoft 365".to_owned();
            table.push([
                client.as_str().to_owned(),
                format!("lab@{domain}"),
                not_run.clone(),
                not_run,
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
