//! Issue 17: the PowerShell export, run against a simulated Windows Server DNS.
//!
//! There is no Windows machine (nor PowerShell) here, so this test parses the script the export writes (only the
//! forms it writes: `Cmdlet -Param 'value' …` lines and the `if (-not (Get-… | Where-Object { … })) { … }` guards)
//! and runs it against a model of the DNS server, built from Microsoft's documentation:
//! - a query is answered from the most specific zone the server hosts; zone-level policies apply only to queries
//!   that reach their zone (Add-DnsServerQueryResolutionPolicy);
//! - policies are tried in processing order (the order they were added) and the first match decides; criteria are
//!   `EQ,…` (any value) and `NE,…` (none of the values), combined with AND; the FQDN criterion matches the query
//!   name, `*.zone` matching the zone and every name below it ("DNS Policies Overview"; [MS-DNSP] 3.1.8.2);
//! - a query that matches no policy is answered from the zone's default scope ("Use DNS Policy for Split-Brain
//!   DNS Deployment");
//! - `Add-…` of something that exists fails (the script runs with `$ErrorActionPreference = 'Stop'`), and so does
//!   adding to a zone or scope that does not exist or naming a client subnet that does not exist;
//! - `-TimeToLive` strings are read as .NET reads a `TimeSpan` (`24:00:00` is 24 days).
//!
//! For every example and every view it checks that each planned record is answered to that view's clients
//! (IPv4 and IPv6, where the view has them) with the planned data and TTL, that external clients get no address
//! their view does not plan, that a second run changes nothing, and that an existing Active Directory zone keeps
//! answering its own records (a DC, `_ldap._tcp`, the domain's A record) as before.
//!
//! What it cannot show: that Windows parses the script (no PowerShell here), SOA and NS (Windows writes its own;
//! not modelled), CNAME chasing across zones, zone transfers, AD replication, and anything the model gets wrong
//! about Windows itself.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

use ipnet::IpNet;
use lyncdns_dnsdata::rdata::RecordData;
use lyncdns_dnsdata::types::Rtype;
use lyncdns_dnsdata::view::ViewMatcher;
use lyncdns_model::Location;
use lyncdns_model::fqdn::is_within;
use lyncdns_plan::export::{self, Format};
use lyncdns_plan::{Plan, ViewPlan};

// ---------------------------------------------------------------------------------------------------------------
// The script: tokens, statements.

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Comma,
    Pipe,
    LBrace,
    RBrace,
    LParen,
    RParen,
}

fn tokenize(line: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            ' ' => {
                chars.next();
            }
            '\'' => {
                chars.next();
                let mut s = String::new();
                loop {
                    match chars.next() {
                        Some('\'') if chars.peek() == Some(&'\'') => {
                            chars.next();
                            s.push('\'');
                        }
                        Some('\'') => break,
                        Some(c) => s.push(c),
                        None => panic!("unterminated string in: {line}"),
                    }
                }
                out.push(Tok::Str(s));
            }
            ',' | '|' | '{' | '}' | '(' | ')' => {
                chars.next();
                out.push(match c {
                    ',' => Tok::Comma,
                    '|' => Tok::Pipe,
                    '{' => Tok::LBrace,
                    '}' => Tok::RBrace,
                    '(' => Tok::LParen,
                    _ => Tok::RParen,
                });
            }
            _ => {
                let mut w = String::new();
                while let Some(&c) = chars.peek() {
                    if " ,|{}()'".contains(c) {
                        break;
                    }
                    w.push(c);
                    chars.next();
                }
                out.push(Tok::Word(w));
            }
        }
    }
    out
}

/// A cmdlet call: its name and its parameters (a switch has no values).
#[derive(Debug, Clone)]
struct Cmd {
    name: String,
    params: BTreeMap<String, Vec<String>>,
}

/// `Get-… | Where-Object { $_.RecordData.P -eq V -and … }`.
#[derive(Debug, Clone)]
struct Pipeline {
    cmd: Cmd,
    filter: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
enum Cond {
    NotAny(Pipeline),
    Var(String),
}

#[derive(Debug, Clone)]
enum Stmt {
    Cmd(Cmd),
    If {
        cond: Cond,
        then: Box<Stmt>,
        otherwise: Option<Box<Stmt>>,
    },
}

struct Parser {
    toks: Vec<Tok>,
    at: usize,
    line: String,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at)
    }
    fn next(&mut self) -> Tok {
        let t = self.toks.get(self.at).cloned();
        self.at += 1;
        t.unwrap_or_else(|| panic!("unexpected end of: {}", self.line))
    }
    fn expect(&mut self, t: Tok) {
        let got = self.next();
        assert_eq!(got, t, "in: {}", self.line);
    }
    fn word(&mut self) -> String {
        match self.next() {
            Tok::Word(w) => w,
            t => panic!("expected a word, got {t:?} in: {}", self.line),
        }
    }

    fn stmt(&mut self) -> Stmt {
        if self.peek() == Some(&Tok::Word("if".into())) {
            self.next();
            self.expect(Tok::LParen);
            let cond = if self.peek() == Some(&Tok::Word("-not".into())) {
                self.next();
                self.expect(Tok::LParen);
                let p = self.pipeline();
                self.expect(Tok::RParen);
                Cond::NotAny(p)
            } else {
                Cond::Var(self.word())
            };
            self.expect(Tok::RParen);
            self.expect(Tok::LBrace);
            let then = Box::new(self.stmt());
            self.expect(Tok::RBrace);
            let otherwise = (self.peek() == Some(&Tok::Word("else".into()))).then(|| {
                self.next();
                self.expect(Tok::LBrace);
                let s = self.stmt();
                self.expect(Tok::RBrace);
                Box::new(s)
            });
            Stmt::If {
                cond,
                then,
                otherwise,
            }
        } else {
            Stmt::Cmd(self.cmd())
        }
    }

    fn cmd(&mut self) -> Cmd {
        let name = self.word();
        let mut params = BTreeMap::new();
        while let Some(Tok::Word(w)) = self.peek() {
            let w = w.clone();
            assert!(
                w.starts_with('-'),
                "positional argument {w:?} in: {}",
                self.line
            );
            self.next();
            let mut values = Vec::new();
            loop {
                match self.peek() {
                    Some(Tok::Str(s)) => values.push(s.clone()),
                    Some(Tok::Word(v)) if !v.starts_with('-') => values.push(v.clone()),
                    _ => break,
                }
                self.next();
                if self.peek() == Some(&Tok::Comma) {
                    self.next();
                } else {
                    break;
                }
            }
            let key = w.trim_start_matches('-').to_owned();
            assert!(
                params.insert(key, values).is_none(),
                "{w} twice in: {}",
                self.line
            );
        }
        Cmd { name, params }
    }

    fn pipeline(&mut self) -> Pipeline {
        let cmd = self.cmd();
        let mut filter = Vec::new();
        if self.peek() == Some(&Tok::Pipe) {
            self.next();
            assert_eq!(self.word(), "Where-Object", "in: {}", self.line);
            self.expect(Tok::LBrace);
            loop {
                let prop = self.word();
                let prop = prop
                    .strip_prefix("$_.RecordData.")
                    .unwrap_or_else(|| panic!("filter on {prop} in: {}", self.line))
                    .to_owned();
                assert_eq!(self.word(), "-eq", "in: {}", self.line);
                let value = match self.next() {
                    Tok::Str(s) | Tok::Word(s) => s,
                    t => panic!("filter value {t:?} in: {}", self.line),
                };
                filter.push((prop, value));
                match self.next() {
                    Tok::RBrace => break,
                    Tok::Word(w) if w == "-and" => {}
                    t => panic!("{t:?} in filter: {}", self.line),
                }
            }
        }
        Pipeline { cmd, filter }
    }
}

/// The statements of a script. The preamble lines are recognised as they are written; any other line that is not
/// a comment must be a statement of the forms above, or the test fails (so a new form needs the simulator too).
fn parse(script: &str) -> Vec<Stmt> {
    parse_with(script, &PREAMBLE)
}

/// The preamble lines of the PowerShell export, in order; a secondary's script has the first three.
const PREAMBLE: [&str; 4] = [
    "[CmdletBinding(SupportsShouldProcess)]",
    "param()",
    "$ErrorActionPreference = 'Stop'",
    "$IsDomainController = (Get-CimInstance -ClassName Win32_ComputerSystem).DomainRole -ge 4",
];

/// The statements of a script whose preamble is exactly `expected`.
fn parse_with(script: &str, expected: &[&str]) -> Vec<Stmt> {
    let mut out = Vec::new();
    let mut preamble = BTreeSet::new();
    for line in script.lines() {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        if expected.contains(&l) {
            preamble.insert(l.to_owned());
            continue;
        }
        let mut p = Parser {
            toks: tokenize(l),
            at: 0,
            line: l.to_owned(),
        };
        out.push(p.stmt());
        assert!(p.at == p.toks.len(), "trailing text in: {l}");
    }
    assert_eq!(preamble.len(), expected.len(), "the preamble: {preamble:?}");
    out
}

// ---------------------------------------------------------------------------------------------------------------
// The server.

#[derive(Debug, Clone, PartialEq, Eq)]
struct Rr {
    owner: String,
    ttl: u32,
    data: RecordData,
}

/// Record data ordered by its text, for sets.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RecordData2(RecordData);

impl Ord for RecordData2 {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.to_string().cmp(&other.0.to_string())
    }
}

impl PartialOrd for RecordData2 {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// What an answer is compared by: data and TTL.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Rr2 {
    data: RecordData2,
    ttl: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Criterion {
    eq: Vec<String>,
    ne: Vec<String>,
}

impl Criterion {
    fn parse(text: &str) -> Criterion {
        let mut c = Criterion::default();
        for part in text.split(';') {
            let mut it = part.split(',');
            let op = it.next().unwrap().to_ascii_uppercase();
            let values: Vec<String> = it.map(|v| v.to_ascii_lowercase()).collect();
            assert!(!values.is_empty(), "criterion {text} without values");
            match op.as_str() {
                "EQ" => c.eq = values,
                "NE" => c.ne = values,
                _ => panic!("criterion operator {op} in {text}"),
            }
        }
        c
    }

    fn matches(&self, is: impl Fn(&str) -> bool) -> bool {
        (self.eq.is_empty() || self.eq.iter().any(|v| is(v))) && !self.ne.iter().any(|v| is(v))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Policy {
    name: String,
    client: Option<Criterion>,
    fqdn: Option<Criterion>,
    scope: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Zone {
    ad: bool,
    /// A secondary zone's primaries (`-MasterServers`); empty for a primary zone.
    masters: Vec<IpAddr>,
    /// Scope name ("" for the default scope) → records.
    scopes: BTreeMap<String, Vec<Rr>>,
    policies: Vec<Policy>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Dns {
    is_dc: bool,
    subnets: BTreeMap<String, Vec<IpNet>>,
    zones: BTreeMap<String, Zone>,
}

/// Why a command failed, as Windows would stop the script.
type Failure = String;

impl Dns {
    /// Runs `script`; returns the number of changes it made.
    fn run(&mut self, script: &[Stmt]) -> Result<usize, Failure> {
        let mut changes = 0;
        for s in script {
            changes += self.stmt(s)?;
        }
        Ok(changes)
    }

    fn stmt(&mut self, s: &Stmt) -> Result<usize, Failure> {
        match s {
            Stmt::Cmd(c) => self.add(c),
            Stmt::If {
                cond,
                then,
                otherwise,
            } => {
                let yes = match cond {
                    Cond::NotAny(p) => !self.get(p),
                    Cond::Var(v) => {
                        assert_eq!(v, "$IsDomainController");
                        self.is_dc
                    }
                };
                match (yes, otherwise) {
                    (true, _) => self.stmt(then),
                    (false, Some(o)) => self.stmt(o),
                    (false, None) => Ok(0),
                }
            }
        }
    }

    /// Does the pipeline return anything?
    fn get(&self, p: &Pipeline) -> bool {
        let mut a = Args::new(&p.cmd);
        assert_eq!(
            a.one("ErrorAction"),
            "SilentlyContinue",
            "a guard must not stop the script: {}",
            p.cmd.name
        );
        let found = match p.cmd.name.as_str() {
            "Get-DnsServerZone" => self.zones.contains_key(&a.name("Name")),
            "Get-DnsServerClientSubnet" => self.subnets.contains_key(&a.one("Name")),
            "Get-DnsServerZoneScope" => {
                let (z, s) = (a.name("ZoneName"), a.one("Name"));
                self.zones
                    .get(&z)
                    .is_some_and(|z| z.scopes.contains_key(&s))
            }
            "Get-DnsServerQueryResolutionPolicy" => {
                let (z, n) = (a.name("ZoneName"), a.one("Name"));
                self.zones
                    .get(&z)
                    .is_some_and(|z| z.policies.iter().any(|p| p.name == n))
            }
            "Get-DnsServerResourceRecord" => {
                let zone = a.name("ZoneName");
                let owner = owner(&a.one("Name"), &zone);
                let rtype = a.one("RRType").to_ascii_uppercase();
                let scope = a.opt("ZoneScope").unwrap_or_default();
                let rrs = self
                    .zones
                    .get(&zone)
                    .and_then(|z| z.scopes.get(&scope))
                    .cloned()
                    .unwrap_or_default();
                rrs.iter().any(|r| {
                    r.owner == owner
                        && r.data.rtype().to_string().eq_ignore_ascii_case(&rtype)
                        && p.filter
                            .iter()
                            .all(|(prop, v)| property(&r.data, prop) == *v)
                })
            }
            other => panic!("unknown query cmdlet {other}"),
        };
        a.done();
        found
    }

    /// A command that changes the server.
    fn add(&mut self, c: &Cmd) -> Result<usize, Failure> {
        let mut a = Args::new(c);
        match c.name.as_str() {
            "Add-DnsServerPrimaryZone" => {
                let name = a.name("Name");
                let ad = match (a.opt("ReplicationScope"), a.opt("ZoneFile")) {
                    (Some(scope), None) => {
                        assert_eq!(scope, "Domain");
                        assert!(
                            self.is_dc,
                            "an AD-integrated zone needs a domain controller"
                        );
                        true
                    }
                    (None, Some(file)) => {
                        assert_eq!(file, format!("{name}.dns"));
                        false
                    }
                    _ => panic!("a zone is either AD-integrated or file-backed"),
                };
                if self.zones.contains_key(&name) {
                    return Err(format!("zone {name} already exists"));
                }
                let mut zone = Zone {
                    ad,
                    ..Zone::default()
                };
                zone.scopes.insert(String::new(), Vec::new());
                self.zones.insert(name, zone);
            }
            "Add-DnsServerSecondaryZone" => {
                let name = a.name("Name");
                assert_eq!(a.one("ZoneFile"), format!("{name}.dns"));
                let masters: Vec<IpAddr> = a
                    .many("MasterServers")
                    .iter()
                    .map(|m| m.parse().expect("-MasterServers takes addresses"))
                    .collect();
                assert!(!masters.is_empty(), "a secondary zone without a primary");
                if self.zones.contains_key(&name) {
                    return Err(format!("zone {name} already exists"));
                }
                let mut zone = Zone {
                    masters,
                    ..Zone::default()
                };
                zone.scopes.insert(String::new(), Vec::new());
                self.zones.insert(name, zone);
            }
            "Add-DnsServerClientSubnet" => {
                let name = a.one("Name");
                let mut nets: Vec<IpNet> = Vec::new();
                for (param, v4) in [("IPv4Subnet", true), ("IPv6Subnet", false)] {
                    for n in a.many(param) {
                        let net: IpNet = n.parse().expect("a prefix");
                        assert_eq!(matches!(net, IpNet::V4(_)), v4, "{n} under -{param}");
                        nets.push(net);
                    }
                }
                if self.subnets.insert(name.clone(), nets).is_some() {
                    return Err(format!("client subnet {name} already exists"));
                }
            }
            "Add-DnsServerZoneScope" => {
                let (z, s) = (a.name("ZoneName"), a.one("Name"));
                let zone = self.zone(&z)?;
                if zone.scopes.insert(s.clone(), Vec::new()).is_some() {
                    return Err(format!("zone scope {s} of {z} already exists"));
                }
            }
            "Add-DnsServerQueryResolutionPolicy" => {
                let z = a.name("ZoneName");
                let name = a.one("Name");
                assert_eq!(a.one("Action"), "ALLOW");
                assert_eq!(a.one("Condition"), "AND");
                let client = a.opt("ClientSubnet").map(|c| Criterion::parse(&c));
                let fqdn = a.opt("Fqdn").map(|c| Criterion::parse(&c));
                let scope = a.one("ZoneScope");
                let scope = scope
                    .strip_suffix(",1")
                    .unwrap_or_else(|| panic!("one scope with weight 1: {scope}"))
                    .to_owned();
                for s in client.iter().flat_map(|c| c.eq.iter().chain(&c.ne)) {
                    if !self.subnets.contains_key(s) {
                        return Err(format!("policy {name}: no client subnet {s}"));
                    }
                }
                let zone = self.zone(&z)?;
                if !zone.scopes.contains_key(&scope) {
                    return Err(format!("policy {name}: no zone scope {scope} in {z}"));
                }
                if zone.policies.iter().any(|p| p.name == name) {
                    return Err(format!("policy {name} of {z} already exists"));
                }
                zone.policies.push(Policy {
                    name,
                    client,
                    fqdn,
                    scope,
                });
            }
            "Add-DnsServerResourceRecordA"
            | "Add-DnsServerResourceRecordAAAA"
            | "Add-DnsServerResourceRecordCName"
            | "Add-DnsServerResourceRecord" => {
                let z = a.name("ZoneName");
                let owner = owner(&a.one("Name"), &z);
                let scope = a.opt("ZoneScope").unwrap_or_default();
                let ttl = timespan(&a.one("TimeToLive"));
                let data = match c.name.as_str() {
                    "Add-DnsServerResourceRecordA" => RecordData::A {
                        address: a.one("IPv4Address").parse().unwrap(),
                    },
                    "Add-DnsServerResourceRecordAAAA" => RecordData::Aaaa {
                        address: a.one("IPv6Address").parse().unwrap(),
                    },
                    "Add-DnsServerResourceRecordCName" => RecordData::Cname {
                        target: absolute(&a.one("HostNameAlias")),
                    },
                    _ => {
                        a.switch("Srv");
                        RecordData::Srv {
                            priority: a.one("Priority").parse().unwrap(),
                            weight: a.one("Weight").parse().unwrap(),
                            port: a.one("Port").parse().unwrap(),
                            target: absolute(&a.one("DomainName")),
                        }
                    }
                };
                let zone = self.zone(&z)?;
                let Some(rrs) = zone.scopes.get_mut(&scope) else {
                    return Err(format!("no zone scope {scope:?} in {z}"));
                };
                if rrs.iter().any(|r| r.owner == owner && r.data == data) {
                    return Err(format!("{owner} {} already exists in {z}/{scope}", data));
                }
                rrs.push(Rr { owner, ttl, data });
            }
            other => panic!("the script runs {other}, which the simulator does not know"),
        }
        a.done();
        Ok(1)
    }

    fn zone(&mut self, name: &str) -> Result<&mut Zone, Failure> {
        self.zones
            .get_mut(name)
            .ok_or_else(|| format!("no zone {name}"))
    }

    /// The answer to `client` for `qname`/`rtype`: `None` when no zone holds the name (REFUSED); else the records
    /// (an empty set for NXDOMAIN or NODATA; the CNAME when the name is an alias).
    fn query(&self, client: IpAddr, qname: &str, rtype: Rtype) -> Option<BTreeSet<Rr2>> {
        let (_, zone) = self
            .zones
            .iter()
            .filter(|(o, _)| is_within(qname, o))
            .max_by_key(|(o, _)| o.len())?;
        let in_subnet = |s: &str| {
            self.subnets
                .get(s)
                .is_some_and(|nets| nets.iter().any(|n| n.contains(&client)))
        };
        let fqdn_is = |pattern: &str| match pattern.strip_prefix("*.") {
            Some(parent) => is_within(qname, parent),
            None => pattern == qname,
        };
        let scope = zone
            .policies
            .iter()
            .find(|p| {
                p.client.as_ref().is_none_or(|c| c.matches(in_subnet))
                    && p.fqdn.as_ref().is_none_or(|c| c.matches(fqdn_is))
            })
            .map_or("", |p| p.scope.as_str());
        let rrs = &zone.scopes[scope];
        let at_name = |t: Rtype| -> BTreeSet<Rr2> {
            rrs.iter()
                .filter(|r| r.owner == qname && r.data.rtype() == t)
                .map(|r| Rr2 {
                    data: RecordData2(r.data.clone()),
                    ttl: r.ttl,
                })
                .collect()
        };
        let answer = at_name(rtype);
        if answer.is_empty() && rtype != Rtype::CNAME {
            return Some(at_name(Rtype::CNAME));
        }
        Some(answer)
    }
}

/// A command's parameters, each taken once; `done` checks none is left over (a misspelt parameter fails).
struct Args {
    cmd: String,
    params: BTreeMap<String, Vec<String>>,
}

impl Args {
    fn new(c: &Cmd) -> Args {
        Args {
            cmd: c.name.clone(),
            params: c.params.clone(),
        }
    }
    fn opt(&mut self, p: &str) -> Option<String> {
        self.params.remove(p).map(|v| {
            assert_eq!(v.len(), 1, "{} -{p} takes one value: {v:?}", self.cmd);
            v.into_iter().next().unwrap()
        })
    }
    fn one(&mut self, p: &str) -> String {
        let cmd = self.cmd.clone();
        self.opt(p).unwrap_or_else(|| panic!("{cmd} without -{p}"))
    }
    /// A zone name: lowercase, no trailing dot.
    fn name(&mut self, p: &str) -> String {
        let n = self.one(p);
        assert!(!n.ends_with('.'), "{n}");
        n.to_ascii_lowercase()
    }
    fn many(&mut self, p: &str) -> Vec<String> {
        self.params.remove(p).unwrap_or_default()
    }
    fn switch(&mut self, p: &str) {
        let v = self.params.remove(p);
        assert_eq!(v, Some(vec![]), "{} -{p} is a switch", self.cmd);
    }
    fn done(self) {
        assert!(
            self.params.is_empty(),
            "{}: parameters the simulator does not know: {:?}",
            self.cmd,
            self.params
        );
    }
}

/// `@` or a name relative to `zone` → the owner name.
fn owner(name: &str, zone: &str) -> String {
    if name == "@" {
        zone.to_owned()
    } else {
        assert!(!name.ends_with('.'), "relative names only: {name}");
        format!("{}.{zone}", name.to_ascii_lowercase())
    }
}

/// A target written absolute (`host.example.com.`) → the name without the dot.
fn absolute(name: &str) -> String {
    name.strip_suffix('.')
        .unwrap_or_else(|| panic!("a target is written absolute: {name}"))
        .to_ascii_lowercase()
}

/// A string read as a .NET `TimeSpan` ([d.]hh:mm[:ss]); an hours field over 23 is read as days, as .NET does.
fn timespan(text: &str) -> u32 {
    let (days, rest) = match text.split_once('.') {
        Some((d, rest)) => (d.parse::<u32>().unwrap(), rest),
        None => (0, text),
    };
    let parts: Vec<u32> = rest.split(':').map(|p| p.parse().unwrap()).collect();
    let (h, m, s) = match parts[..] {
        [h, m, s] => (h, m, s),
        [h, m] => (h, m, 0),
        _ => panic!("TimeSpan {text}"),
    };
    assert!(m < 60 && s < 60, "TimeSpan {text}");
    if h > 23 {
        assert_eq!(days, 0, "TimeSpan {text}");
        // "24:00:00" is 24 days: the first field becomes the days (System.TimeSpan.Parse).
        return h * 86_400 + m * 3600 + s * 60;
    }
    days * 86_400 + h * 3600 + m * 60 + s
}

/// A Windows record property the guards compare, as text.
fn property(data: &RecordData, prop: &str) -> String {
    match (data, prop) {
        (RecordData::A { address }, "IPv4Address.IPAddressToString") => address.to_string(),
        (RecordData::Aaaa { address }, "IPv6Address.IPAddressToString") => address.to_string(),
        (RecordData::Cname { target }, "HostNameAlias") => format!("{target}."),
        (RecordData::Srv { target, .. }, "DomainName") => format!("{target}."),
        (RecordData::Srv { port, .. }, "Port") => port.to_string(),
        (RecordData::Srv { priority, .. }, "Priority") => priority.to_string(),
        (RecordData::Srv { weight, .. }, "Weight") => weight.to_string(),
        _ => panic!("no property {prop} on {data:?}"),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The plan and its clients.

fn examples() -> Vec<(String, Plan)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 4);
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let d = lyncdns_model::load(&text, &p.display().to_string())
                .unwrap_or_else(|e| panic!("{e}"));
            (
                p.file_stem().unwrap().to_string_lossy().into_owned(),
                lyncdns_plan::plan(&d),
            )
        })
        .collect()
}

fn script_of(plan: &Plan) -> String {
    let r = export::render(plan, Format::Powershell);
    assert_eq!(r.files.len(), 1);
    r.files[0].1.clone()
}

/// A plan with only view `i` (what `lyncdns plan --view NAME` exports).
fn only(plan: &Plan, i: usize) -> Plan {
    let mut p = plan.clone();
    p.views = vec![plan.views[i].clone()];
    p
}

/// Client addresses the deployment's matcher gives to view `i`: at most one IPv4 and one IPv6.
fn clients(plan: &Plan, i: usize) -> Vec<IpAddr> {
    let matcher = ViewMatcher::new(plan.views.iter().map(|v| v.clients.as_slice()));
    let mut candidates: Vec<IpAddr> = Vec::new();
    for net in &plan.views[i].clients {
        candidates.push(match net {
            IpNet::V4(n) if n.prefix_len() == 0 => Ipv4Addr::new(198, 51, 100, 7).into(),
            IpNet::V6(n) if n.prefix_len() == 0 => {
                "2001:db8:ffff::7".parse::<Ipv6Addr>().unwrap().into()
            }
            IpNet::V4(n) if n.prefix_len() == 32 => n.network().into(),
            IpNet::V6(n) if n.prefix_len() == 128 => n.network().into(),
            IpNet::V4(n) => Ipv4Addr::from(u32::from(n.network()) + 1).into(),
            IpNet::V6(n) => Ipv6Addr::from(u128::from(n.network()) + 1).into(),
        });
    }
    let mut out = Vec::new();
    for v4 in [true, false] {
        if let Some(a) = candidates
            .iter()
            .find(|a| a.is_ipv4() == v4 && matcher.select(**a) == Some(i))
        {
            out.push(*a);
        }
    }
    assert!(
        !out.is_empty(),
        "no client address for view {}",
        plan.views[i].name
    );
    out
}

/// Every (name, type) any view plans, SOA and NS aside.
fn questions(plan: &Plan) -> BTreeSet<(String, Rtype)> {
    plan.views
        .iter()
        .flat_map(|v| v.records())
        .filter(|(_, r)| !matches!(r.data, RecordData::Soa { .. } | RecordData::Ns { .. }))
        .map(|(_, r)| (r.owner.clone(), r.data.rtype()))
        .collect()
}

/// What `view` plans for `name`/`rtype`.
fn planned(view: &ViewPlan, name: &str, rtype: Rtype) -> BTreeSet<Rr2> {
    view.records()
        .filter(|(_, r)| r.owner == name && r.data.rtype() == rtype)
        .map(|(_, r)| Rr2 {
            data: RecordData2(r.data.clone()),
            ttl: r.ttl,
        })
        .collect()
}

/// Runs the script twice on `dns`; the second run must succeed and change nothing.
fn run_twice(what: &str, dns: &mut Dns, script: &[Stmt]) {
    let first = dns
        .run(script)
        .unwrap_or_else(|e| panic!("{what}: first run stopped: {e}"));
    assert!(first > 0, "{what}: the first run changed nothing");
    let after_first = dns.clone();
    let second = dns
        .run(script)
        .unwrap_or_else(|e| panic!("{what}: second run stopped: {e}"));
    assert_eq!(second, 0, "{what}: the second run made {second} changes");
    assert_eq!(
        *dns, after_first,
        "{what}: the second run changed the server"
    );
}

/// Every planned record of every view reaches that view's clients, and no client gets data its view does not
/// plan: exactly the view's records for names in its zones; for a name outside them, an external client gets
/// nothing and an internal one at most what some view plans (the public answer, as a resolver would find it).
fn check_answers(what: &str, dns: &Dns, plan: &Plan, views: &[usize]) {
    let questions = questions(plan);
    for &i in views {
        let view = &plan.views[i];
        for client in clients(plan, i) {
            for (name, rtype) in &questions {
                let got = dns.query(client, name, *rtype);
                let want = planned(view, name, *rtype);
                let covered = view.zone_of(name).is_some();
                let ctx = format!(
                    "{what}: view {} client {client}: {name} {rtype}: got {got:?}, planned {want:?}",
                    view.name
                );
                if covered {
                    assert_eq!(got.as_ref(), Some(&want), "{ctx}");
                } else if view.location == Location::External {
                    assert!(got.as_ref().is_none_or(|g| g.is_empty()), "{ctx}");
                } else {
                    let any: BTreeSet<Rr2> = plan
                        .views
                        .iter()
                        .flat_map(|v| planned(v, name, *rtype))
                        .collect();
                    assert!(got.as_ref().is_none_or(|g| g.is_subset(&any)), "{ctx}");
                }
                if view.location == Location::External {
                    for rr in got.iter().flatten() {
                        if let Some(ip) = rr.data.0.address() {
                            assert!(
                                want.iter().any(|w| w.data.0.address() == Some(ip)),
                                "{ctx}: an address the external view does not plan"
                            );
                        }
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Tests.

#[test]
fn one_server_for_every_view_answers_each_view_its_own_records_and_a_second_run_changes_nothing() {
    for (name, plan) in examples() {
        assert!(plan.views.len() > 1, "{name}");
        let script = parse(&script_of(&plan));
        for is_dc in [true, false] {
            let mut dns = Dns {
                is_dc,
                ..Dns::default()
            };
            run_twice(&name, &mut dns, &script);
            assert!(dns.zones.values().all(|z| z.ad == is_dc), "{name}");
            check_answers(
                &name,
                &dns,
                &plan,
                &(0..plan.views.len()).collect::<Vec<_>>(),
            );
        }
    }
}

#[test]
fn issue_17_external_clients_get_the_access_edge_from_the_pin_point_zone() {
    let plan = examples()
        .into_iter()
        .find(|(n, _)| n == "corp-local")
        .unwrap()
        .1;
    let mut dns = Dns::default();
    run_twice("corp-local", &mut dns, &parse(&script_of(&plan)));
    assert!(
        dns.zones.contains_key("sip.fabrikam.com"),
        "the pin-point zone exists"
    );
    let external = plan
        .views
        .iter()
        .position(|v| v.name == "external")
        .unwrap();
    let internal = plan
        .views
        .iter()
        .position(|v| v.name == "internal")
        .unwrap();
    let a = |client| -> Vec<String> {
        dns.query(client, "sip.fabrikam.com", Rtype::A)
            .unwrap()
            .into_iter()
            .map(|r| r.data.0.to_string())
            .collect()
    };
    assert_eq!(a(clients(&plan, external)[0]), ["192.0.2.10"]);
    assert_eq!(a(clients(&plan, internal)[0]), ["192.168.1.10"]);
}

#[test]
fn one_script_per_server_answers_its_view_and_a_second_run_changes_nothing() {
    for (name, plan) in examples() {
        for i in 0..plan.views.len() {
            let single = only(&plan, i);
            let text = script_of(&single);
            assert!(
                !text.contains("Add-DnsServerZoneScope"),
                "{name}: a plain script"
            );
            assert!(
                !text.contains("Add-DnsServerClientSubnet"),
                "{name}: a plain script"
            );
            let mut dns = Dns {
                is_dc: plan.views[i].location == Location::Internal,
                ..Dns::default()
            };
            run_twice(
                &format!("{name} --view {}", plan.views[i].name),
                &mut dns,
                &parse(&text),
            );
            // Its own clients: every planned record. (A per-server script knows only its own view.)
            let what = format!("{name} --view {}", plan.views[i].name);
            for client in clients(&plan, i) {
                for (n, t) in questions(&single) {
                    assert_eq!(
                        dns.query(client, &n, t),
                        Some(planned(&plan.views[i], &n, t)),
                        "{what}: {n} {t}"
                    );
                }
            }
        }
    }
}

/// An existing Active Directory zone, as a DC holds it: the domain's A record, a DC, `_ldap._tcp`, and the
/// name servers' glue the DC registered itself (the same data the plan wants: the script must not add it again).
fn ad_zones(plan: &Plan) -> Dns {
    let mut dns = Dns {
        is_dc: true,
        ..Dns::default()
    };
    for view in plan
        .views
        .iter()
        .filter(|v| v.location == Location::Internal)
    {
        for zone in view
            .zones
            .iter()
            .filter(|z| z.kind == lyncdns_plan::ZoneKind::Domain)
        {
            let o = &zone.origin;
            let dc: Ipv4Addr = "10.255.0.1".parse().unwrap();
            let mut rrs = vec![
                Rr {
                    owner: o.clone(),
                    ttl: 600,
                    data: RecordData::A { address: dc },
                },
                Rr {
                    owner: format!("addc.{o}"),
                    ttl: 3600,
                    data: RecordData::A { address: dc },
                },
                Rr {
                    owner: format!("_ldap._tcp.{o}"),
                    ttl: 600,
                    data: RecordData::Srv {
                        priority: 0,
                        weight: 100,
                        port: 389,
                        target: format!("addc.{o}"),
                    },
                },
            ];
            for (_, r) in view.records() {
                if r.feature == lyncdns_plan::Feature::Zone
                    && r.data.address().is_some()
                    && view.zone_of(&r.owner).is_some_and(|z| z.origin == *o)
                {
                    rrs.push(Rr {
                        owner: r.owner.clone(),
                        ttl: r.ttl,
                        data: r.data.clone(),
                    });
                }
            }
            let mut z = Zone {
                ad: true,
                ..Zone::default()
            };
            z.scopes.insert(String::new(), rrs);
            dns.zones.insert(o.clone(), z);
        }
    }
    dns
}

#[test]
fn an_existing_ad_zone_keeps_answering_its_own_records_to_every_client() {
    for (name, plan) in examples() {
        let before = ad_zones(&plan);
        assert!(!before.zones.is_empty(), "{name}: an internal zone");
        let ad_questions: Vec<(String, Rtype)> = before
            .zones
            .keys()
            .flat_map(|o| {
                [
                    (o.clone(), Rtype::A),
                    (format!("addc.{o}"), Rtype::A),
                    (format!("_ldap._tcp.{o}"), Rtype::SRV),
                ]
            })
            .collect();
        // One server for every view, and the internal view's own script.
        let mut runs: Vec<(String, Plan)> = vec![(format!("{name} (one server)"), plan.clone())];
        for (i, v) in plan.views.iter().enumerate() {
            if v.location == Location::Internal {
                runs.push((format!("{name} --view {}", v.name), only(&plan, i)));
            }
        }
        for (what, p) in runs {
            let mut dns = before.clone();
            run_twice(&what, &mut dns, &parse(&script_of(&p)));
            assert!(
                before.zones.keys().all(|o| dns.zones[o].ad),
                "{what}: the AD zones stay AD-integrated"
            );
            for i in 0..plan.views.len() {
                for client in clients(&plan, i) {
                    for (q, t) in &ad_questions {
                        let view = &plan.views[i];
                        if p.views.len() == 1 && p.views[0].name != view.name {
                            continue;
                        }
                        let got = dns.query(client, q, *t);
                        assert_eq!(
                            got,
                            before.query(client, q, *t),
                            "{what}: view {} client {client} asks {q} {t}: answered as before",
                            view.name
                        );
                        if view.location == Location::Internal {
                            assert!(got.is_some_and(|g| !g.is_empty()), "{what}: {q} {t} inside");
                        }
                    }
                }
            }
            let views: Vec<usize> = if p.views.len() == 1 {
                vec![
                    plan.views
                        .iter()
                        .position(|v| v.name == p.views[0].name)
                        .unwrap(),
                ]
            } else {
                (0..plan.views.len()).collect()
            };
            if p.views.len() > 1 {
                check_answers(&what, &dns, &plan, &views);
            } else {
                for &i in &views {
                    for client in clients(&plan, i) {
                        for (n, t) in questions(&p) {
                            assert_eq!(
                                dns.query(client, &n, t),
                                Some(planned(&plan.views[i], &n, t)),
                                "{what}: {n} {t}"
                            );
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn the_script_supports_whatif_and_runs_nothing_but_dnsserver_cmdlets() {
    for (name, plan) in examples() {
        for p in [plan.clone(), only(&plan, 0)] {
            let text = script_of(&p);
            let code: Vec<&str> = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .collect();
            assert_eq!(
                code[..2],
                ["[CmdletBinding(SupportsShouldProcess)]", "param()"],
                "{name}: -WhatIf needs the script to be an advanced script"
            );
            // Every change is an Add-DnsServer* cmdlet, which honours $WhatIfPreference.
            fn adds(s: &Stmt, out: &mut Vec<String>) {
                match s {
                    Stmt::Cmd(c) => out.push(c.name.clone()),
                    Stmt::If {
                        then, otherwise, ..
                    } => {
                        adds(then, out);
                        if let Some(o) = otherwise {
                            adds(o, out);
                        }
                    }
                }
            }
            let mut names = Vec::new();
            for s in parse(&text) {
                adds(&s, &mut names);
            }
            assert!(
                names.iter().all(|n| n.starts_with("Add-DnsServer")),
                "{name}: {names:?}"
            );
        }
    }
}

#[test]
fn comments_keep_their_apostrophes() {
    let (_, plan) = examples()
        .into_iter()
        .find(|(n, _)| n == "corp-local")
        .unwrap();
    let text = script_of(&plan);
    assert!(text.contains("named in this view's NS records"), "{text}");
}

#[test]
fn timespans_are_read_as_dotnet_reads_them() {
    assert_eq!(timespan("01:00:00"), 3600);
    assert_eq!(timespan("1.00:00:00"), 86_400);
    assert_eq!(timespan("24:00:00"), 24 * 86_400);
}

// ---------------------------------------------------------------------------------------------------------------
// Windows DNS secondaries of a lyncdns primary (issue 14).

/// Per view, its `windows-secondary` script transferring from `primary`.
fn secondary_scripts(plan: &Plan, primary: &str) -> Vec<(String, String)> {
    let options = export::Options {
        secondary: Some(export::Secondary {
            primary: format!("{primary}:53").parse().unwrap(),
            keys: Vec::new(),
        }),
        ..export::Options::default()
    };
    export::render_with(plan, Format::WindowsSecondary, &options).files
}

#[test]
fn a_windows_secondary_script_adds_each_zone_of_its_view_once_and_touches_no_other_zone() {
    for (name, plan) in examples() {
        let scripts = secondary_scripts(&plan, "192.0.2.53");
        assert_eq!(
            scripts.len(),
            plan.views.len(),
            "{name}: one script per view"
        );
        for ((file, text), view) in scripts.iter().zip(&plan.views) {
            let what = format!("{name} {file}");
            assert_eq!(file, &format!("windows-secondary-{}.ps1", view.name));
            assert!(
                text.contains("cannot sign zone transfers with TSIG")
                    && text.contains("`allow_transfer`"),
                "{what}: the script says what to do instead of a key"
            );
            let script = parse_with(text, &PREAMBLE[..3]);
            // A server with zones of its own: an unrelated primary zone with a record, and (when the view has
            // more than one zone) a primary zone of the same name as the view's first zone, made by an admin.
            let mut dns = Dns::default();
            let mut own = Zone::default();
            own.scopes.insert(
                String::new(),
                vec![Rr {
                    owner: "dc01.corp.example".into(),
                    ttl: 3600,
                    data: RecordData::A {
                        address: Ipv4Addr::new(10, 9, 9, 9),
                    },
                }],
            );
            dns.zones.insert("corp.example".into(), own.clone());
            let taken = (view.zones.len() > 1).then(|| view.zones[0].origin.clone());
            if let Some(z) = &taken {
                dns.zones.insert(z.clone(), own.clone());
            }
            let before = dns.clone();
            run_twice(&what, &mut dns, &script);
            let primary: IpAddr = "192.0.2.53".parse().unwrap();
            for zone in &view.zones {
                let got = &dns.zones[&zone.origin];
                if taken.as_ref() == Some(&zone.origin) {
                    assert_eq!(
                        got, &own,
                        "{what}: an existing {} is left as it was",
                        zone.origin
                    );
                } else {
                    assert_eq!(got.masters, vec![primary], "{what}: {}", zone.origin);
                }
            }
            // No other zone is touched, and no zone is added beyond the view's.
            for (origin, zone) in &before.zones {
                assert_eq!(&dns.zones[origin], zone, "{what}: {origin} changed");
            }
            let expected: BTreeSet<&str> = before
                .zones
                .keys()
                .map(String::as_str)
                .chain(view.zones.iter().map(|z| z.origin.as_str()))
                .collect();
            assert_eq!(
                dns.zones
                    .keys()
                    .map(String::as_str)
                    .collect::<BTreeSet<_>>(),
                expected,
                "{what}"
            );
        }
    }
}
