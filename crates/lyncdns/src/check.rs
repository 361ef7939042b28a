//! `lyncdns check`: live DNS inside and outside against the plan, or a domain (or thousands) probed without one.

use std::io::{IsTerminal, Write};
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use lyncdns_check::live::{self, DomainReport, Status};
use lyncdns_check::tls::{Outcome, TlsCheck};
use lyncdns_discover::resolver::{Live, system_server};
use lyncdns_model::Location;
use lyncdns_tlsprobe::connect::Dial;
use lyncdns_tlsprobe::{CertReport, Prober, Trust, Validity};

use crate::discover::parse_server;

/// Arguments of `lyncdns check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The deployment to check against (default: the embedded example, when --internal/--external are given).
    deployment: Option<PathBuf>,
    /// The DNS server internal clients use.
    #[arg(long, value_name = "ADDR[:PORT]")]
    internal: Option<String>,
    /// The DNS server external clients use.
    #[arg(long, value_name = "ADDR[:PORT]")]
    external: Option<String>,
    /// Source address for queries to the internal server.
    #[arg(long, value_name = "ADDR")]
    from_internal: Option<IpAddr>,
    /// Source address for queries to the external server.
    #[arg(long, value_name = "ADDR")]
    from_external: Option<IpAddr>,
    /// Probe one SIP domain without a deployment.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["domains", "internal", "external"])]
    domain: Option<String>,
    /// Probe every domain of FILE (one per line; `#` comments).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["internal", "external"])]
    domains: Option<PathBuf>,
    /// DNS server for --domain/--domains (default: the first nameserver of /etc/resolv.conf).
    #[arg(long, value_name = "ADDR[:PORT]")]
    server: Option<String>,
    /// Source address for --domain/--domains queries (to ask as an outside client).
    #[arg(long, value_name = "ADDR")]
    from: Option<IpAddr>,
    /// Which view the answers of --domain/--domains are, `internal` or `external` (decides the rules: private
    /// addresses are an error only outside; `lyncdiscoverinternal` is expected only inside); with --axfr, the
    /// deployment's view to compare (by name, or the one view of that location).
    #[arg(long, value_name = "NAME", default_value = "external")]
    view: ViewArg,
    /// --axfr SERVER and its TSIG key.
    #[command(flatten)]
    axfr: crate::check_axfr::AxfrArgs,
    /// Domains probed at once.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Queries per second, at most, for --domains (so a resolver is never flooded).
    #[arg(long, default_value_t = 500.0)]
    rate: f64,
    /// Seconds to wait for each answer.
    #[arg(long, default_value_t = 2.0)]
    timeout: f64,
    /// JSON (JSON lines for --domains).
    #[arg(long)]
    json: bool,
    /// --domain: do not open TLS to the endpoints found (SRV targets, Autodiscover and web names); --domains
    /// never does.
    #[arg(long)]
    no_tls: bool,
    /// Seconds to wait for each TLS endpoint to accept a connection and complete the handshake.
    #[arg(long, value_name = "SECONDS", default_value_t = 3.0)]
    connect_timeout: f64,
    /// Extra CA certificate(s) to trust (PEM), e.g. the lab CA; the system store is always trusted.
    #[arg(long, value_name = "FILE")]
    ca: Option<PathBuf>,
    /// Open TLS for HOST on PORT to ADDR:PORT instead of HOST's resolved address (repeatable), like curl's
    /// --connect-to: `lyncdiscover.contoso.com:443=127.0.0.1:8443`. The name asked stays HOST.
    #[arg(long = "dial", value_name = "HOST:PORT=ADDR:PORT")]
    dial: Vec<Dial>,
}

/// `--view`: `internal` or `external` for a probed domain's answers; a view's name with --axfr.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ViewArg(String);

impl std::str::FromStr for ViewArg {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(ViewArg(s.to_owned()))
    }
}

impl ViewArg {
    /// The location `internal` or `external` names (checked in `run_cmd` before any use).
    fn location(&self) -> Location {
        if self.0 == "internal" {
            Location::Internal
        } else {
            Location::External
        }
    }
}

/// Runs `lyncdns check`; `Ok(false)` when something is wrong.
pub fn run_cmd(args: &CheckArgs) -> anyhow::Result<bool> {
    if let Some(server) = &args.axfr.axfr {
        let (d, json) = (args.deployment.as_ref(), args.json);
        return crate::check_axfr::run(d, server, &args.view.0, &args.axfr, json);
    }
    if !matches!(args.view.0.as_str(), "internal" | "external") {
        bail!(
            "--view `{}`: give `internal` or `external` (a view's name only with --axfr)",
            args.view.0
        );
    }
    let timeout = Duration::from_secs_f64(args.timeout.max(0.05));
    if let Some(domain) = &args.domain {
        let server = resolver_addr(args)?;
        let mut r = Live::new(server, args.from, timeout, 1);
        let mut report = live::check_domain(domain, &mut r, args.view.location(), nonce());
        if !args.no_tls && report.error.is_none() {
            let mut prober = Prober::new(
                args.ca.as_deref(),
                Duration::from_secs_f64(args.connect_timeout.max(0.05)),
                args.from,
            )?;
            prober.dial = args.dial.clone();
            lyncdns_check::tls::probe_all(&mut report.tls, &mut prober);
        }
        if args.json {
            println!("{}", serde_json::to_string_pretty(&report)?);
        } else {
            print!("{}", domain_text(&report));
        }
        if !report.checked() {
            bail!(
                "could not check {}: {}",
                report.domain,
                report.error.clone().unwrap_or_else(|| {
                    let dead = report.tls.iter().filter(|t| !t.checked()).count();
                    match (report.unanswered.len(), dead) {
                        (0, d) => format!("{d} TLS endpoint(s) could not be connected to"),
                        (u, 0) => format!("{u} question(s) got no conclusive answer"),
                        (u, d) => format!(
                            "{u} question(s) got no conclusive answer and {d} TLS endpoint(s) could not be connected to"
                        ),
                    }
                })
            );
        }
        return Ok(report.clean());
    }
    if let Some(file) = &args.domains {
        return bulk(args, file, timeout);
    }
    let (Some(internal), Some(external)) = (&args.internal, &args.external) else {
        bail!(
            "give --internal and --external (the DNS servers of each side), or --domain / --domains"
        );
    };
    let deployment = crate::load_deployment(args.deployment.as_ref())?;
    let plan = lyncdns_plan::plan(&deployment);
    let mut inside = Live::new(parse_server(internal)?, args.from_internal, timeout, 1);
    let mut outside = Live::new(parse_server(external)?, args.from_external, timeout, 1);
    let report = live::check_deployment(&deployment, &plan, &mut inside, &mut outside);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", deployment_text(&report));
    }
    if !report.checked() {
        bail!(
            "could not check every record: a server gave no conclusive answer (UNANSWERED above)"
        );
    }
    Ok(report.clean())
}

fn resolver_addr(args: &CheckArgs) -> anyhow::Result<std::net::SocketAddr> {
    match &args.server {
        Some(s) => parse_server(s),
        None => system_server().context("no --server and no nameserver in /etc/resolv.conf"),
    }
}

fn nonce() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    h.finish()
}

fn deployment_text(r: &live::Report) -> String {
    let mut out = String::new();
    let mut view = String::new();
    let mut feature = String::new();
    let mut rows = r.records.clone();
    rows.sort_by(|a, b| {
        (a.view.clone(), a.feature.clone()).cmp(&(b.view.clone(), b.feature.clone()))
    });
    for c in &rows {
        if c.view != view {
            view = c.view.clone();
            feature.clear();
            out.push_str(&format!("view {view}\n"));
        }
        if c.feature != feature {
            feature = c.feature.clone();
            out.push_str(&format!("  {feature}\n"));
        }
        let line = match &c.status {
            Status::Ok => format!("ok          {} {} {}", c.owner, c.rtype, c.expected),
            Status::Missing { rcode } => format!(
                "MISSING     {} {} {} ({rcode})",
                c.owner, c.rtype, c.expected
            ),
            Status::Wrong { found } => format!(
                "WRONG       {} {}: expected {}, found {}",
                c.owner,
                c.rtype,
                c.expected,
                found.join(", ")
            ),
            Status::Extra { found } => format!(
                "EXTRA       {} {} {} (not in the plan)",
                c.owner, c.rtype, found
            ),
            Status::Unanswered { why } => {
                format!("UNANSWERED  {} {} {} ({why})", c.owner, c.rtype, c.expected)
            }
            Status::WrongView { found } => format!(
                "WRONG VIEW  {} {} {} is answered to external clients",
                c.owner,
                c.rtype,
                found.join(", ")
            ),
        };
        out.push_str(&format!("    {line}\n"));
    }
    if !r.findings.is_empty() {
        out.push('\n');
        out.push_str(&crate::lint::render(&r.findings));
    }
    let bad = r.records.iter().filter(|c| c.status != Status::Ok).count();
    out.push_str(&format!(
        "\n{} records checked: {} ok, {bad} problem(s), {} rule finding(s)\n",
        r.records.len(),
        r.records.len() - bad,
        r.findings.len()
    ));
    out
}

fn domain_text(r: &DomainReport) -> String {
    let mut out = format!("domain {}\n", r.domain);
    if let Some(e) = &r.error {
        out.push_str(&format!("  could not check: {e}\n"));
        return out;
    }
    out.push_str(&format!("  read as the {} view\n", r.location.as_str()));
    if !r.wildcard.is_empty() {
        let w: Vec<String> = r.wildcard.iter().map(|a| a.to_string()).collect();
        out.push_str(&format!(
            "  wildcard zone: every name resolves to {}; answers equal to it are ignored\n",
            w.join(", ")
        ));
    }
    for (name, found) in &r.found {
        out.push_str(&format!(
            "  {:<45} {}\n",
            name,
            if found.is_empty() {
                "-".to_owned()
            } else {
                found.join(", ")
            }
        ));
    }
    out.push_str(&format!(
        "  looks like: {}; features: {}\n",
        r.kind,
        if r.features.is_empty() {
            "none".into()
        } else {
            r.features.join(", ")
        }
    ));
    for m in &r.missing {
        out.push_str(&format!("  MISSING {m}\n"));
    }
    for u in &r.unanswered {
        out.push_str(&format!("  UNANSWERED {u}\n"));
    }
    if !r.unanswered.is_empty() {
        out.push_str("  could not check completely: the answers above are not the whole story\n");
    }
    if !r.findings.is_empty() {
        out.push_str(&crate::lint::render(&r.findings));
    }
    if !r.tls.is_empty() {
        out.push_str("  TLS\n");
        for t in &r.tls {
            out.push_str(&tls_text(t));
        }
    }
    out
}

/// One TLS endpoint: where, what it is, and its certificate or why there is none.
fn tls_text(t: &TlsCheck) -> String {
    let e = &t.endpoint;
    let mut out = format!(
        "    {}:{} ({}, via {})\n",
        e.name,
        e.port,
        e.role.as_str(),
        e.via
    );
    match &t.outcome {
        Outcome::NotProbed => out.push_str("      not probed\n"),
        Outcome::CouldNotConnect { why } => {
            out.push_str(&format!("      COULD NOT CHECK: {why}\n"));
        }
        Outcome::HandshakeFailed {
            address,
            why,
            certificate,
        } => {
            out.push_str(&format!("      FAIL {address}: {why}\n"));
            if let Some(c) = certificate {
                out.push_str(&certificate_text(c, "      "));
            }
        }
        Outcome::Checked {
            address,
            certificate,
            problems,
        } => {
            out.push_str(&format!(
                "      {address} {}: {}\n",
                certificate.tls_version,
                if problems.is_empty() {
                    "ok"
                } else {
                    "PROBLEMS"
                }
            ));
            out.push_str(&certificate_text(certificate, "      "));
            for p in problems {
                out.push_str(&format!(
                    "      {} {p}\n",
                    if p.is_warning() { "WARN" } else { "FAIL" }
                ));
            }
        }
    }
    out
}

/// A certificate's subject, names, issuer chain, validity and trust, indented.
pub fn certificate_text(c: &CertReport, indent: &str) -> String {
    let leaf = c.leaf();
    let mut out = format!(
        "{indent}subject {} ; names {}\n",
        leaf.subject_cn.as_deref().unwrap_or(&leaf.subject),
        if leaf.dns_names.is_empty() {
            "(none)".to_owned()
        } else {
            leaf.dns_names.join(", ")
        }
    );
    // The chain as sent, each certificate by its CN, then the issuer of the last when it was not sent.
    let mut links: Vec<String> = c
        .chain
        .iter()
        .map(|x| x.subject_cn.clone().unwrap_or_else(|| x.subject.clone()))
        .collect();
    if let Some(last) = c.chain.last() {
        links.push(if last.issuer == last.subject {
            "(self-signed)".to_owned()
        } else {
            format!("{} (not sent)", last.issuer)
        });
    }
    out.push_str(&format!(
        "{indent}chain {}{}\n",
        links.join(" <- "),
        match &c.linked {
            lyncdns_tlsprobe::cert::Chain::Linked => String::new(),
            lyncdns_tlsprobe::cert::Chain::Broken { why, .. } => format!(" (BROKEN: {why})"),
        }
    ));
    let validity = match c.validity {
        Validity::Valid { days_left } => format!("{days_left} day(s) left"),
        Validity::Expired { days_ago } => format!("EXPIRED {days_ago} day(s) ago"),
        Validity::NotYetValid { days_until } => {
            format!("NOT YET VALID ({days_until} day(s) to go)")
        }
    };
    out.push_str(&format!(
        "{indent}valid {} to {} ({validity}); {} {}; {}\n",
        lyncdns_tlsprobe::cert::date(leaf.not_before),
        lyncdns_tlsprobe::cert::date(leaf.not_after),
        if c.covered {
            "covers"
        } else {
            "DOES NOT COVER"
        },
        c.name,
        match &c.trust {
            Trust::Trusted => "trusted".to_owned(),
            Trust::Untrusted { why } => format!("NOT TRUSTED ({why})"),
        }
    ));
    out
}

/// Paces queries: at most `rate` per second across all threads.
struct Pacer {
    next: Mutex<Instant>,
    gap: Duration,
}

impl Pacer {
    fn wait(&self, queries: u32) {
        let slot = {
            let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            let slot = (*next).max(now);
            *next = slot + self.gap * queries;
            slot
        };
        let now = Instant::now();
        if slot > now {
            std::thread::sleep(slot - now);
        }
    }
}

fn bulk(args: &CheckArgs, file: &PathBuf, timeout: Duration) -> anyhow::Result<bool> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let mut domains: Vec<String> = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let l = line.split('#').next().unwrap_or("").trim();
        if l.is_empty() {
            continue;
        }
        match l.parse::<lyncdns_model::Fqdn>() {
            Ok(d) if d.as_str().contains('.') => {
                let d = d.as_str().to_owned();
                if domains.contains(&d) {
                    eprintln!(
                        "{}:{}: {d} is listed again; checked once",
                        file.display(),
                        i + 1
                    );
                } else {
                    domains.push(d);
                }
            }
            Ok(_) => bad.push(format!(
                "{}:{}: `{l}` is not a domain name (no dot)",
                file.display(),
                i + 1
            )),
            Err(e) => bad.push(format!(
                "{}:{}: `{l}` is not a domain name: {e}",
                file.display(),
                i + 1
            )),
        }
    }
    if !bad.is_empty() {
        bail!(
            "{} line(s) are not domain names:\n{}",
            bad.len(),
            bad.join("\n")
        );
    }
    if domains.is_empty() {
        bail!("{}: no domains", file.display());
    }
    let server = resolver_addr(args)?;
    let from = args.from;
    let view = args.view.location();
    let queue = Arc::new(Mutex::new(
        domains.clone().into_iter().enumerate().collect::<Vec<_>>(),
    ));
    let results: Arc<Mutex<Vec<Option<DomainReport>>>> =
        Arc::new(Mutex::new(vec![None; domains.len()]));
    let done = Arc::new(AtomicUsize::new(0));
    let pacer = Arc::new(Pacer {
        next: Mutex::new(Instant::now()),
        gap: Duration::from_secs_f64(1.0 / args.rate.max(1.0)),
    });
    let total = domains.len();
    let progress = std::io::stderr().is_terminal() && !args.json;
    let workers = args.concurrency.clamp(1, 256).min(total);
    std::thread::scope(|s| {
        for _ in 0..workers {
            let (queue, results, done, pacer) =
                (queue.clone(), results.clone(), done.clone(), pacer.clone());
            s.spawn(move || {
                let mut resolver = PacedResolver {
                    inner: Live::new(server, from, timeout, 1),
                    pacer,
                };
                loop {
                    let Some((i, domain)) = queue.lock().unwrap_or_else(|p| p.into_inner()).pop()
                    else {
                        break;
                    };
                    let report =
                        live::check_domain(&domain, &mut resolver, view, i as u64 ^ 0x5eed);
                    results.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(report);
                    done.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        if progress {
            while done.load(Ordering::Relaxed) < total {
                let n = done.load(Ordering::Relaxed);
                let width = 40;
                let filled = n * width / total;
                eprint!(
                    "\r[{}{}] {n}/{total}",
                    "#".repeat(filled),
                    " ".repeat(width - filled)
                );
                let _ = std::io::stderr().flush();
                std::thread::sleep(Duration::from_millis(100));
            }
            eprintln!("\r[{}] {total}/{total}", "#".repeat(40));
        }
    });
    let results: Vec<DomainReport> = Arc::try_unwrap(results)
        .map_err(|_| anyhow::anyhow!("workers still running"))?
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .into_iter()
        .flatten()
        .collect();
    let clean = results.iter().all(DomainReport::clean);
    let unchecked = results.iter().filter(|r| !r.checked()).count();
    if args.json {
        for r in &results {
            println!("{}", serde_json::to_string(r)?);
        }
    } else {
        println!(
            "{:<40} {:<12} {:>7} {:>8}  notes",
            "domain", "kind", "missing", "findings"
        );
        for r in &results {
            let note = match (&r.error, r.unanswered.first()) {
                (Some(e), _) => format!("could not check: {e}"),
                (None, Some(u)) => format!(
                    "could not check completely: {} unanswered ({u})",
                    r.unanswered.len()
                ),
                (None, None) if !r.wildcard.is_empty() => "wildcard zone".into(),
                _ => String::new(),
            };
            println!(
                "{:<40} {:<12} {:>7} {:>8}  {note}",
                r.domain,
                r.kind,
                r.missing.len(),
                r.findings.len()
            );
        }
        let with_problems = results.iter().filter(|r| r.checked() && !r.clean()).count();
        println!(
            "\n{} domains: {} checked, {with_problems} with problems, {unchecked} could not be checked",
            results.len(),
            results.len() - unchecked
        );
    }
    if unchecked > 0 {
        bail!(
            "{unchecked} of {} domains could not be checked",
            results.len()
        );
    }
    Ok(clean)
}

/// A resolver whose queries are paced.
struct PacedResolver {
    inner: Live,
    pacer: Arc<Pacer>,
}

impl lyncdns_dnsdata::resolve::Resolver for PacedResolver {
    fn lookup(
        &mut self,
        name: &str,
        qtype: lyncdns_dnsdata::types::Rtype,
    ) -> lyncdns_dnsdata::resolve::Lookup {
        self.pacer.wait(1);
        self.inner.lookup(name, qtype)
    }
    fn describe(&self) -> String {
        self.inner.describe()
    }
}
