//! `lyncdns discover`: every client's discovery for a SIP URI, step by step, against live DNS and services.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use lyncdns_discover::machine::{Client, HttpOrder, Machine, Options};
use lyncdns_discover::probe::LiveNet;
use lyncdns_discover::resolver::{Live, system_server};
use lyncdns_discover::run::{Credentials, Discovery, Net, NoNet, run};

/// Arguments of `lyncdns discover`.
#[derive(Debug, Args)]
pub struct DiscoverArgs {
    /// The user's SIP address (`alice@contoso.com` or `sip:alice@contoso.com`).
    sip_uri: String,
    /// Only this client (repeatable); without it, every client.
    #[arg(long = "profile", value_enum)]
    profiles: Vec<ProfileArg>,
    /// DNS server to ask (default: the first nameserver of /etc/resolv.conf).
    #[arg(long, value_name = "ADDR[:PORT]")]
    server: Option<String>,
    /// Source address of DNS queries and probes (decides the view of a split-horizon server).
    #[arg(long, value_name = "ADDR")]
    from: Option<IpAddr>,
    /// Follow Autodiscover over HTTP(S), and sign in as far as the SIP servers found answer: TLS, OPTIONS and an
    /// unauthenticated REGISTER (a Director's 301 followed once; the registrar's auth schemes reported).
    #[arg(long)]
    probe: bool,
    /// Extra CA certificate(s) to trust (PEM), e.g. the lab CA.
    #[arg(long, value_name = "FILE")]
    ca: Option<PathBuf>,
    /// User name for the Autodiscover token flow.
    #[arg(long, requires = "password")]
    user: Option<String>,
    /// Password for --user (or set LYNCDNS_PASSWORD).
    #[arg(long, env = "LYNCDNS_PASSWORD", hide_env_values = true)]
    password: Option<String>,
    /// TrustModelData: comma-separated trusted domains (replaces the defaults, as the policy does).
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    trusted_domains: Option<Vec<String>>,
    /// Clients may use SIP over TCP (adds `_sipinternal._tcp`).
    #[arg(long)]
    allow_tcp: bool,
    /// Order of HTTP and HTTPS Autodiscover requests.
    #[arg(long, value_enum, default_value_t = OrderArg::HttpsFirst)]
    http_order: OrderArg,
    /// Let mobile clients fall back to SRV records (the sources disagree; off by default).
    #[arg(long)]
    mobile_srv_fallback: bool,
    /// Clients run with DisableStrictDNSNaming.
    #[arg(long)]
    no_strict_dns_naming: bool,
    /// Seconds to wait for each DNS answer or connection.
    #[arg(long, default_value_t = 3.0)]
    timeout: f64,
    /// DNS retries after a timeout.
    #[arg(long, default_value_t = 1)]
    retries: u32,
    /// Send every `https` (or `http`) request, or every SIP connection (`sip`), to this address instead of the
    /// name's own, like curl's --connect-to: `https=127.0.0.1:8443`, `sip=127.0.0.1:5061` (repeatable). DNS
    /// lookups and the certificate check against the name are unchanged.
    #[arg(long = "dial", value_name = "SCHEME=ADDR:PORT", value_parser = parse_dial)]
    dial: Vec<(&'static str, SocketAddr)>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// Also write a self-contained HTML report with a diagram of each chain.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
}

/// `--profile` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ProfileArg {
    /// Lync 2010 desktop (SRV and A records only).
    Lync2010,
    /// Lync 2013 / Skype for Business desktop.
    Desktop,
    /// Windows Store app.
    Store,
    /// Mobile clients.
    Mobile,
    /// Lync Phone Edition.
    Phone,
}

impl From<ProfileArg> for Client {
    fn from(p: ProfileArg) -> Client {
        match p {
            ProfileArg::Lync2010 => Client::Lync2010,
            ProfileArg::Desktop => Client::Desktop,
            ProfileArg::Store => Client::Store,
            ProfileArg::Mobile => Client::Mobile,
            ProfileArg::Phone => Client::Phone,
        }
    }
}

/// `--http-order` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OrderArg {
    /// HTTPS then HTTP per host, internal first (Lync Connectivity Analyzer).
    HttpsFirst,
    /// HTTPS only (UCWA guidance).
    HttpsOnly,
    /// HTTP then HTTPS per host (the external order UCWA guidance writes; no released pidgin-sipe does this).
    HttpFirst,
    /// HTTPS to both hosts, then HTTP.
    HttpsAllFirst,
}

impl From<OrderArg> for HttpOrder {
    fn from(o: OrderArg) -> HttpOrder {
        match o {
            OrderArg::HttpsFirst => HttpOrder::HttpsFirst,
            OrderArg::HttpsOnly => HttpOrder::HttpsOnly,
            OrderArg::HttpFirst => HttpOrder::HttpFirst,
            OrderArg::HttpsAllFirst => HttpOrder::HttpsAllFirst,
        }
    }
}

fn parse_dial(s: &str) -> Result<(&'static str, SocketAddr), String> {
    let (scheme, addr) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}` is not SCHEME=ADDR:PORT"))?;
    let scheme = match scheme {
        "https" => "https",
        "http" => "http",
        "sip" => "sip",
        other => return Err(format!("scheme `{other}`: use https, http or sip")),
    };
    Ok((scheme, addr.parse().map_err(|e| format!("`{addr}`: {e}"))?))
}

/// `ADDR`, `ADDR:PORT` (IPv6 in brackets with a port), `HOST` or `HOST:PORT`, port 53 by default. A host name
/// is resolved with the system's resolver (std's `ToSocketAddrs`), first address.
pub fn parse_server(s: &str) -> anyhow::Result<SocketAddr> {
    parse_server_for(s, None)
}

/// [`parse_server`], preferring for a host name an address of `from`'s family (a query from an IPv4 source
/// cannot go to an IPv6 server).
pub fn parse_server_for(s: &str, from: Option<IpAddr>) -> anyhow::Result<SocketAddr> {
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Ok(a);
    }
    if let Ok(ip) = s.trim_matches(['[', ']']).parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, 53));
    }
    let (host, port) = match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => (
            h,
            p.parse::<u16>()
                .with_context(|| format!("`{s}`: `{p}` is not a port"))?,
        ),
        _ => (s, 53),
    };
    if host.is_empty() || host.starts_with('-') || host.contains(['/', ' ']) {
        bail!("`{s}` is not an address, address:port, host or host:port");
    }
    let addrs: Vec<SocketAddr> = std::net::ToSocketAddrs::to_socket_addrs(&(host, port))
        .with_context(|| format!("`{host}` does not resolve (the system resolver was asked)"))?
        .collect();
    addrs
        .iter()
        .find(|a| from.is_none_or(|f| f.is_ipv4() == a.is_ipv4()))
        .or(addrs.first())
        .copied()
        .with_context(|| format!("`{host}` has no address"))
}

/// The first question of the failing discoveries that got no answer at all (the server timed out, could not be
/// reached, or sent garbage): their verdicts rest on it, so the command could not run (exit 2), rather than a
/// client being shown failing.
pub fn unanswered(discoveries: &[Discovery]) -> Option<String> {
    use lyncdns_discover::machine::Reply;
    use lyncdns_dnsdata::resolve::Outcome;
    discoveries
        .iter()
        .filter(|d| !d.verdict.ok())
        .flat_map(|d| &d.steps)
        .find_map(|s| match &s.reply {
            Reply::Lookup(l)
                if matches!(
                    l.outcome,
                    Outcome::Timeout { .. }
                        | Outcome::Unreachable { .. }
                        | Outcome::Malformed { .. }
                ) =>
            {
                Some(format!(
                    "{} {} asked of {}: {} ({})",
                    l.qtype,
                    l.name,
                    l.server,
                    l.status(),
                    l.error().unwrap_or_default()
                ))
            }
            _ => None,
        })
}

/// Prints discoveries (text or JSON) and writes the HTML report; returns whether every client succeeded.
pub fn report(
    discoveries: &[Discovery],
    json: bool,
    html: Option<&PathBuf>,
    title: &str,
) -> anyhow::Result<bool> {
    if json {
        println!("{}", serde_json::to_string_pretty(discoveries)?);
    } else {
        for d in discoveries {
            println!("{}", lyncdns_discover::report::text(d));
        }
    }
    if let Some(path) = html {
        std::fs::write(path, lyncdns_discover::report::html(title, discoveries))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(discoveries.iter().all(|d| d.verdict.ok()))
}

/// Runs `lyncdns discover`; `Ok(false)` when a client fails.
pub fn run_cmd(args: &DiscoverArgs) -> anyhow::Result<bool> {
    if lyncdns_discover::machine::sip_domain(&args.sip_uri).is_none() {
        bail!(
            "`{}` is not a SIP address: expected user@domain",
            args.sip_uri
        );
    }
    let server = match &args.server {
        Some(s) => parse_server_for(s, args.from)?,
        None => system_server().context("no --server and no nameserver in /etc/resolv.conf")?,
    };
    let timeout = Duration::from_secs_f64(args.timeout.max(0.05));
    let options = Options {
        tcp_allowed: args.allow_tcp,
        http_order: args.http_order.into(),
        mobile_srv_fallback: args.mobile_srv_fallback,
        strict_dns_naming: !args.no_strict_dns_naming,
        trusted_domains: args
            .trusted_domains
            .clone()
            .unwrap_or_else(|| Options::default().trusted_domains),
        probe: args.probe,
        connect: args.probe,
        credentials: args.user.is_some(),
    };
    let creds = args.user.as_ref().map(|u| Credentials {
        user: u.clone(),
        password: args.password.clone().unwrap_or_default(),
    });
    let clients: Vec<Client> = if args.profiles.is_empty() {
        Client::ALL.to_vec()
    } else {
        args.profiles.iter().map(|p| (*p).into()).collect()
    };
    let mut live = if args.probe {
        let mut live = LiveNet::new(args.ca.as_deref(), timeout, args.from)?;
        live.dial = args.dial.clone();
        Some(live)
    } else {
        None
    };
    let mut nonet = NoNet;
    let mut discoveries = Vec::new();
    for client in clients {
        let net: &mut dyn Net = match live.as_mut() {
            Some(l) => l,
            None => &mut nonet,
        };
        let mut resolver = Live::new(server, args.from, timeout, args.retries);
        let machine = Machine::new(client, &args.sip_uri, options.clone()).expect("checked above");
        discoveries.push(run(
            machine,
            client,
            &args.sip_uri,
            &mut resolver,
            net,
            creds.as_ref(),
        ));
    }
    let all_ok = report(
        &discoveries,
        args.json,
        args.html.as_ref(),
        &format!("lyncdns discover {}", args.sip_uri),
    )?;
    if let Some(live) = &live
        && !args.json
        && !live.certificates.is_empty()
    {
        println!("TLS certificates presented");
        for (addr, c) in &live.certificates {
            println!("  {}:{} at {addr} ({})", c.name, addr.port(), c.tls_version);
            print!("{}", crate::check::certificate_text(c, "    "));
            for p in c.problems() {
                println!("    {} {p}", if p.is_warning() { "WARN" } else { "FAIL" });
            }
        }
    }
    if let Some(question) = unanswered(&discoveries) {
        bail!(
            "could not run: the DNS server gave no answer ({question}); the failures above are not the clients'"
        );
    }
    Ok(all_ok)
}
