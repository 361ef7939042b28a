//! PowerShell for Windows Server DNS (2016 or later), safe to paste onto a production, Active-Directory-integrated
//! DNS server and safe to run twice.
//!
//! Two modes, chosen by the plan it is given:
//! - **Per server** (a plan with one view, e.g. `lyncdns plan --view internal`): a plain script for the DNS server
//!   of that view. Records go into each zone's default scope, beside whatever an existing zone already holds.
//! - **One server for every view** (split-brain): a client subnet per view, zone scopes and zone-level query
//!   resolution policies (`Add-DnsServerClientSubnet`, `Add-DnsServerZoneScope`,
//!   `Add-DnsServerQueryResolutionPolicy`).
//!
//! How Windows answers, from Microsoft's documentation:
//! - The server answers from the most specific zone it hosts, and a zone-level policy applies "only when that zone
//!   is found during the query lookup" (Add-DnsServerQueryResolutionPolicy,
//!   <https://learn.microsoft.com/powershell/module/dnsserver/add-dnsserverqueryresolutionpolicy>). So every zone
//!   on the server, pin-point zones included, must hold every view's records for the names below it: a pin-point
//!   zone such as `sip.fabrikam.com` answers external clients too, and gets their record in their scope.
//! - Policies are tried in processing order and the first match decides; a query that matches no policy is
//!   answered from the zone's default scope, "the same as normal query resolution"; "no policies are required for
//!   mapping the default zone scope" ("Use DNS Policy for Split-Brain DNS Deployment",
//!   <https://learn.microsoft.com/windows-server/networking/dns/deploy/split-brain-dns-deployment>; "DNS Policies
//!   Overview", <https://learn.microsoft.com/windows-server/networking/dns/deploy/dns-policies-overview>).
//! - Criteria: `EQ` values are OR'd, `NE` values AND'd, `EQ,…;NE,…` in one criterion; the FQDN criterion matches
//!   the query name (Add-DnsServerQueryResolutionPolicy; DNS Policies Overview).
//! - Dynamic updates and scavenging work only in the default scope; zone scopes of an AD-integrated zone replicate
//!   through AD, but policies are stored on each server and not replicated ("Use DNS Policy for Split-Brain DNS in
//!   Active Directory", <https://learn.microsoft.com/windows-server/networking/dns/deploy/dns-sb-with-ad>).
//!
//! The design decision for existing zones (an AD zone such as `corp.local` or `contoso.com`, with its domain
//! controllers, `_ldap._tcp` and hosts in the default scope): **the records go in place**. Each zone's default
//! scope belongs to the first internal view that serves the zone (else the first view that does), and that view's
//! records are added to it beside the existing ones, as Microsoft's AD split-brain example keeps the internal
//! version in the default scope. Every other view gets a zone scope of its own, reached through a policy
//! restricted by client subnet *and* by FQDN to the names the plan puts in that zone. No policy ever matches a
//! name the plan does not know, so every such name (a DC, `_ldap._tcp`, the domain's own A records) is answered
//! from the default scope exactly as before, to every client, and internal clients never lose a record. The
//! alternative, an internal scope for the Lync names with the external records in the default scope, would write
//! public data into the AD zone's default scope (replicated to every DC) and leave internal clients of the other
//! DCs, which have no policies, with the external answers.
//!
//! Every step checks before it creates (zone, client subnet, zone scope, policy, and each record compared by its
//! data), so a second run changes nothing; the script is `[CmdletBinding(SupportsShouldProcess)]`, so `-WhatIf`
//! reaches every DnsServer cmdlet. Windows creates a zone's SOA and one NS record naming itself; the plan's SOA and
//! other name servers are listed as comments saying what to add. Pin-point zones are ordinary primary zones named
//! after the one name they hold ([S2], [S3]).

use std::collections::BTreeSet;

use ipnet::IpNet;
use lyncdns_dnsdata::rdata::RecordData;
use lyncdns_model::Location;
use lyncdns_model::fqdn::is_within;

use crate::{Plan, PlannedRecord, ViewPlan};

/// The source keys cited in this module's docs (`[S1]` …), as links to their entries.
#[cfg(doc)]
#[allow(unused_imports)]
use lyncdns_lync::sources::*;

/// The prefix of every client subnet, zone scope and policy the script creates, so that none collides with an
/// object of the same name an administrator made, and so that ours are easy to find and remove.
const PREFIX: &str = "lyncdns-";

/// The script.
pub fn script(plan: &Plan) -> String {
    let server = Server::new(plan);
    let mut out = String::new();
    header(&mut out, plan, &server);
    if server.split() {
        subnets(&mut out, &server);
    }
    zones(&mut out, &server);
    for (zi, zone) in server.zones.iter().enumerate() {
        zone_body(&mut out, &server, zi, zone);
    }
    out
}

/// The DNS server the script sets up: the views it serves, in match order, and every zone it hosts.
struct Server<'p> {
    /// The views a client can select (those after a view matching every client are dropped).
    views: Vec<&'p ViewPlan>,
    /// Views after a catch-all, which no client reaches.
    unreachable: Vec<&'p ViewPlan>,
    /// Every zone of every view, sorted by name.
    zones: Vec<ServerZone>,
}

/// One zone on the server.
struct ServerZone {
    /// Its apex.
    origin: String,
    /// The view whose records go into the default scope.
    default_view: usize,
    /// The views with a zone scope and a policy here, in match order.
    scoped: Vec<usize>,
    /// The names the plan answers from this zone (owners of records other than SOA and NS, any view): the FQDN
    /// criterion of every policy here.
    names: Vec<String>,
}

impl<'p> Server<'p> {
    fn new(plan: &'p Plan) -> Self {
        let cut = plan
            .views
            .iter()
            .position(catch_all)
            .map_or(plan.views.len(), |i| i + 1);
        let views: Vec<&ViewPlan> = plan.views[..cut].iter().collect();
        let unreachable = plan.views[cut..].iter().collect();
        let origins: BTreeSet<&str> = views
            .iter()
            .flat_map(|v| v.zones.iter().map(|z| z.origin.as_str()))
            .collect();
        let covers =
            |v: &ViewPlan, origin: &str| v.zones.iter().any(|z| is_within(origin, &z.origin));
        let mut zones: Vec<ServerZone> = origins
            .iter()
            .map(|&origin| {
                let default_view = views
                    .iter()
                    .position(|v| v.location == Location::Internal && covers(v, origin))
                    .or_else(|| views.iter().position(|v| covers(v, origin)))
                    .expect("a zone comes from a view that serves it");
                let hide = views[default_view].location == Location::Internal;
                let scoped = (0..views.len())
                    .filter(|&i| {
                        i != default_view
                            && (covers(views[i], origin)
                                || (hide && views[i].location == Location::External))
                    })
                    .collect();
                ServerZone {
                    origin: origin.to_owned(),
                    default_view,
                    scoped,
                    names: Vec::new(),
                }
            })
            .collect();
        let mut names: Vec<BTreeSet<String>> = vec![BTreeSet::new(); zones.len()];
        for view in &views {
            for (_, r) in view.records() {
                if let Some(i) = serving(&zones, &r.owner).filter(|_| !zone_record(r)) {
                    names[i].insert(r.owner.clone());
                }
            }
        }
        for (zone, names) in zones.iter_mut().zip(names) {
            zone.names = names.into_iter().collect();
            if zone.names.is_empty() {
                // Nothing of the plan is answered here: no scope, no policy.
                zone.scoped.clear();
            }
        }
        Server {
            views,
            unreachable,
            zones,
        }
    }

    /// One server for several views: client subnets, zone scopes and policies.
    fn split(&self) -> bool {
        self.views.len() > 1
    }

    /// The zone scope a view's records use in zone `zi`: `None` for the default scope, or `Some(name)`; and
    /// whether the view has any place there at all.
    fn scope(&self, zi: usize, view: usize) -> Option<Option<String>> {
        let zone = &self.zones[zi];
        if zone.default_view == view {
            Some(None)
        } else if zone.scoped.contains(&view) {
            Some(Some(scope_name(self.views[view])))
        } else {
            None
        }
    }

    /// The `-ClientSubnet` criterion that selects exactly the clients of view `i` (those no earlier view takes).
    fn criterion(&self, i: usize) -> Option<String> {
        let view = self.views[i];
        let earlier = &self.views[..i];
        if catch_all(view) {
            let ne: Vec<String> = earlier.iter().map(|v| subnet_name(v)).collect();
            return (!ne.is_empty()).then(|| format!("NE,{}", ne.join(",")));
        }
        let overlapping: Vec<String> = earlier
            .iter()
            .filter(|e| {
                e.clients.iter().any(|a| {
                    view.clients
                        .iter()
                        .any(|b| a.contains(&b.network()) || b.contains(&a.network()))
                })
            })
            .map(|v| subnet_name(v))
            .collect();
        let mut c = format!("EQ,{}", subnet_name(view));
        if !overlapping.is_empty() {
            c.push_str(&format!(";NE,{}", overlapping.join(",")));
        }
        Some(c)
    }
}

/// A view that matches every client of some address family.
fn catch_all(view: &ViewPlan) -> bool {
    view.clients.iter().any(|c| c.prefix_len() == 0)
}

/// SOA and NS: Windows writes its own.
fn zone_record(r: &PlannedRecord) -> bool {
    matches!(r.data, RecordData::Soa { .. } | RecordData::Ns { .. })
}

/// The zone on the server that answers `name`: the most specific one holding it.
fn serving(zones: &[ServerZone], name: &str) -> Option<usize> {
    zones
        .iter()
        .enumerate()
        .filter(|(_, z)| is_within(name, &z.origin))
        .max_by_key(|(_, z)| z.origin.len())
        .map(|(i, _)| i)
}

fn subnet_name(view: &ViewPlan) -> String {
    format!("{PREFIX}{}", view.name)
}

fn scope_name(view: &ViewPlan) -> String {
    format!("{PREFIX}{}", view.name)
}

/// `text` as a single-quoted PowerShell string (a quote inside is doubled).
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// `text` as one comment line's content: no line breaks.
fn comment(text: &str) -> String {
    text.replace(['\r', '\n'], " ")
}

/// A TTL as a .NET `TimeSpan` string: `d.hh:mm:ss`. `24:00:00` would be read as 24 days (hours run 0–23;
/// System.TimeSpan.Parse, <https://learn.microsoft.com/dotnet/fundamentals/runtime-libraries/system-timespan-parse>).
fn timespan(ttl: u32) -> String {
    let (d, h, m, s) = (ttl / 86_400, (ttl / 3600) % 24, (ttl / 60) % 60, ttl % 60);
    if d > 0 {
        format!("{d}.{h:02}:{m:02}:{s:02}")
    } else {
        format!("{h:02}:{m:02}:{s:02}")
    }
}

fn header(out: &mut String, plan: &Plan, server: &Server) {
    out.push_str(&format!(
        "# Windows Server DNS commands for {}, generated by `lyncdns plan --format powershell`.\n",
        comment(&plan.name)
    ));
    out.push_str(
        "# Run as an administrator on a DNS server running Windows Server 2016 or later. Safe to run again: every step
# checks before it creates, and a second run changes nothing. Try it first with -WhatIf.
#Requires -RunAsAdministrator
#Requires -Modules DnsServer
[CmdletBinding(SupportsShouldProcess)]
param()
$ErrorActionPreference = 'Stop'
# New zones are stored in Active Directory on a domain controller, in a file elsewhere.
$IsDomainController = (Get-CimInstance -ClassName Win32_ComputerSystem).DomainRole -ge 4
",
    );
    if !server.split() {
        let name = server.views.first().map_or("", |v| v.name.as_str());
        out.push_str(&format!(
            "
# One DNS server for view '{}': no client subnets, zone scopes or policies. Each record goes into its zone's
# default scope, beside what an existing zone already holds (its domain controllers, _ldap._tcp, hosts), and is
# added only if that zone has no record with the same data.
",
            comment(name)
        ));
        return;
    }
    out.push_str(
        "
# One DNS server for every view (split-brain with DNS policies). How it answers:
# - Windows answers from the most specific zone it hosts, and a zone's policies apply only to queries that reach
#   that zone (Add-DnsServerQueryResolutionPolicy). So every zone below holds each view's records for its names,
#   pin-point zones included: external clients asking for a pin-point zone's name get the external record there.
# - A query that matches no policy is answered from the zone's default scope, as without policies (\"Use DNS Policy
#   for Split-Brain DNS Deployment\"; \"DNS Policies Overview\").
# Existing zones (an Active Directory zone with its DCs, _ldap._tcp and hosts): the default scope of each zone
# belongs to the first internal view that serves it, and that view's records are added to it in place. Microsoft's
# AD example keeps the internal version in the default scope, the only scope with dynamic updates and scavenging
# (\"Use DNS Policy for Split-Brain DNS in Active Directory\"). Every other view gets a zone scope, reached through a
# policy restricted by client subnet and by FQDN to the names of the plan: no policy matches any other name, so
# every name the plan does not know is answered from the default scope exactly as before, to every client.
# - Internal clients keep every record of an existing zone: no policy sends them away from the default scope.
# - If this server answers the Internet, external clients also reach the default scope for names the plan does not
#   know, as they did before this script: an AD zone's DCs are visible from outside unless this server is not
#   reachable from there. The per-server scripts (lyncdns plan --view NAME) avoid that: one server per view.
# - DNS policies are kept on this server only, not in Active Directory; zone scopes of AD-integrated zones
#   replicate to the other DCs, which answer every client from the default scope (the internal records).
# - An existing client subnet, zone scope or policy with the name used here is left as it is. After a change to the
#   plan, remove the lyncdns-* policies of a zone (Remove-DnsServerQueryResolutionPolicy) and run the script again.
# Sources: https://learn.microsoft.com/windows-server/networking/dns/deploy/split-brain-dns-deployment
#          https://learn.microsoft.com/windows-server/networking/dns/deploy/dns-sb-with-ad
#          https://learn.microsoft.com/windows-server/networking/dns/deploy/dns-policies-overview
#          https://learn.microsoft.com/powershell/module/dnsserver/add-dnsserverqueryresolutionpolicy
",
    );
    for view in &server.unreachable {
        out.push_str(&format!(
            "# View '{}' comes after a view that matches every client, so no client reaches it: it is left out.\n",
            comment(&view.name)
        ));
    }
}

fn subnets(out: &mut String, server: &Server) {
    out.push_str("\n# Client subnets, one per view; a view that matches every client is the clients no earlier view matches.\n");
    for view in &server.views {
        if catch_all(view) {
            out.push_str(&format!(
                "# View '{}': every client no earlier view matches (criterion NE, no subnet of its own).\n",
                comment(&view.name)
            ));
            continue;
        }
        let list = |v4: bool| -> Vec<String> {
            view.clients
                .iter()
                .filter(|c| matches!(c, IpNet::V4(_)) == v4)
                .map(|c| quote(&c.to_string()))
                .collect()
        };
        let name = quote(&subnet_name(view));
        let mut add = format!("Add-DnsServerClientSubnet -Name {name}");
        for (v4, param) in [(true, "-IPv4Subnet"), (false, "-IPv6Subnet")] {
            let l = list(v4);
            if !l.is_empty() {
                add.push_str(&format!(" {param} {}", l.join(",")));
            }
        }
        out.push_str(&format!(
            "if (-not (Get-DnsServerClientSubnet -Name {name} -ErrorAction SilentlyContinue)) {{ {add} }}\n"
        ));
    }
}

fn zones(out: &mut String, server: &Server) {
    out.push_str(
        "\n# Zones: an existing zone is kept as it is (an AD zone stays AD-integrated).\n",
    );
    for zone in &server.zones {
        let z = quote(&zone.origin);
        let file = quote(&format!("{}.dns", zone.origin));
        out.push_str(&format!(
            "if (-not (Get-DnsServerZone -Name {z} -ErrorAction SilentlyContinue)) {{ if ($IsDomainController) {{ Add-DnsServerPrimaryZone -Name {z} -ReplicationScope 'Domain' }} else {{ Add-DnsServerPrimaryZone -Name {z} -ZoneFile {file} }} }}\n"
        ));
    }
}

fn zone_body(out: &mut String, server: &Server, zi: usize, zone: &ServerZone) {
    let z = quote(&zone.origin);
    out.push_str(&format!("\n# ==== zone {} ====\n", zone.origin));
    if server.split() {
        let default = server.views[zone.default_view];
        out.push_str(&format!(
            "# Default scope: view '{}' (its records are added in place).\n",
            comment(&default.name)
        ));
        if zone.names.is_empty() {
            out.push_str("# The plan answers no name from this zone on this server (a more specific zone holds them): no scope, no policy.\n");
        }
        for &vi in &zone.scoped {
            let view = server.views[vi];
            let scope = quote(&scope_name(view));
            let covers = view
                .zones
                .iter()
                .any(|pz| is_within(&zone.origin, &pz.origin));
            out.push_str(&format!(
                "# View '{}': scope {}{} for the plan's names here ({}); every other name from the default scope.\n",
                comment(&view.name),
                scope_name(view),
                if covers { "" } else { ", empty (the view serves no zone holding them)," },
                zone.names.join(", ")
            ));
            out.push_str(&format!(
                "if (-not (Get-DnsServerZoneScope -ZoneName {z} -Name {scope} -ErrorAction SilentlyContinue)) {{ Add-DnsServerZoneScope -ZoneName {z} -Name {scope} }}\n"
            ));
            let policy = quote(&format!("{PREFIX}{}", view.name));
            let subnet = server
                .criterion(vi)
                .map(|c| format!(" -ClientSubnet {}", quote(&c)))
                .unwrap_or_default();
            let fqdn = quote(&format!("EQ,{}", zone.names.join(",")));
            out.push_str(&format!(
                "if (-not (Get-DnsServerQueryResolutionPolicy -ZoneName {z} -Name {policy} -ErrorAction SilentlyContinue)) {{ Add-DnsServerQueryResolutionPolicy -ZoneName {z} -Name {policy} -Action ALLOW -Condition AND{subnet} -Fqdn {fqdn} -ZoneScope {} }}\n",
                quote(&format!("{},1", scope_name(view)))
            ));
        }
    }
    for (vi, view) in server.views.iter().enumerate() {
        let Some(scope) = server.scope(zi, vi) else {
            continue;
        };
        let mut lines = String::new();
        if let Some(plan_zone) = view.zones.iter().find(|pz| pz.origin == zone.origin) {
            soa_ns(&mut lines, view, plan_zone);
        }
        for (pz, r) in view.records() {
            if zone_record(r) {
                continue;
            }
            let here = serving(&server.zones, &r.owner) == Some(zi);
            // A record shadowed by a more specific zone on this server also stays in the plan's zone when it
            // is the default scope, the part a zone transfer (a secondary) carries.
            let shadowed_copy = !here && pz.origin == zone.origin && scope.is_none();
            if here || shadowed_copy {
                record(&mut lines, &zone.origin, scope.as_deref(), r, shadowed_copy);
            }
        }
        if !lines.is_empty() {
            let place = scope
                .as_ref()
                .map_or_else(|| "default scope".to_owned(), |s| format!("scope {s}"));
            out.push_str(&format!(
                "\n# zone {}, view '{}' ({}): {place}\n{lines}",
                zone.origin,
                comment(&view.name),
                view.location.as_str()
            ));
        }
    }
}

/// The plan's SOA and NS, as comments: Windows writes the SOA and one NS naming this server when it creates a
/// zone; any other name server must be added by hand.
fn soa_ns(out: &mut String, view: &ViewPlan, zone: &crate::ZonePlan) {
    let z = quote(&zone.origin);
    for r in &zone.records {
        match &r.data {
            RecordData::Soa { .. } => out.push_str(&format!(
                "# SOA: Windows writes its own (this server as primary, its own serial); the plan has {} SOA {}\n",
                r.owner, r.data
            )),
            RecordData::Ns { target } => out.push_str(&format!(
                "# NS {target}: view '{}' names it. Windows adds an NS record only for this server; if this server is not {target}, add it: Add-DnsServerResourceRecord -NS -ZoneName {z} -Name '@' -NameServer '{target}.'\n",
                comment(&view.name)
            )),
            _ => {}
        }
    }
}

/// One record, added only when its zone scope has no record of that type and data at that name.
fn record(out: &mut String, origin: &str, scope: Option<&str>, r: &PlannedRecord, shadowed: bool) {
    let name = if r.owner == origin {
        "@".to_owned()
    } else {
        r.owner
            .strip_suffix(&format!(".{origin}"))
            .unwrap_or(&r.owner)
            .to_owned()
    };
    let z = quote(origin);
    let n = quote(&name);
    let scope_arg = scope
        .map(|s| format!(" -ZoneScope {}", quote(s)))
        .unwrap_or_default();
    let ttl = quote(&timespan(r.ttl));
    let (rrtype, filter, add) = match &r.data {
        RecordData::A { address } => {
            let a = quote(&address.to_string());
            (
                "A",
                format!("$_.RecordData.IPv4Address.IPAddressToString -eq {a}"),
                format!(
                    "Add-DnsServerResourceRecordA -ZoneName {z} -Name {n}{scope_arg} -IPv4Address {a} -TimeToLive {ttl}"
                ),
            )
        }
        RecordData::Aaaa { address } => {
            let a = quote(&address.to_string());
            (
                "AAAA",
                format!("$_.RecordData.IPv6Address.IPAddressToString -eq {a}"),
                format!(
                    "Add-DnsServerResourceRecordAAAA -ZoneName {z} -Name {n}{scope_arg} -IPv6Address {a} -TimeToLive {ttl}"
                ),
            )
        }
        RecordData::Cname { target } => {
            let t = quote(&format!("{target}."));
            (
                "CName",
                format!("$_.RecordData.HostNameAlias -eq {t}"),
                format!(
                    "Add-DnsServerResourceRecordCName -ZoneName {z} -Name {n}{scope_arg} -HostNameAlias {t} -TimeToLive {ttl}"
                ),
            )
        }
        RecordData::Srv {
            priority,
            weight,
            port,
            target,
        } => {
            let t = quote(&format!("{target}."));
            (
                "SRV",
                format!(
                    "$_.RecordData.DomainName -eq {t} -and $_.RecordData.Port -eq {port} -and $_.RecordData.Priority -eq {priority} -and $_.RecordData.Weight -eq {weight}"
                ),
                format!(
                    "Add-DnsServerResourceRecord -Srv -ZoneName {z} -Name {n}{scope_arg} -DomainName {t} -Priority {priority} -Weight {weight} -Port {port} -TimeToLive {ttl}"
                ),
            )
        }
        // The planner writes no other types; should one appear, say so rather than drop it.
        RecordData::Soa { .. } | RecordData::Ns { .. } | RecordData::Other { .. } => {
            out.push_str(&format!(
                "# {} {} {}: no cmdlet is generated for this type; add it by hand\n",
                r.owner,
                r.data.rtype(),
                r.data
            ));
            return;
        }
    };
    out.push_str(&format!(
        "# {} {} {}: {}: {}{}\n",
        r.owner,
        r.data.rtype(),
        r.data,
        r.feature.as_str(),
        comment(&r.why),
        if shadowed {
            " (answered on this server from the more specific zone; kept here for copies of this zone)"
        } else {
            ""
        }
    ));
    out.push_str(&format!(
        "if (-not (Get-DnsServerResourceRecord -ZoneName {z} -Name {n} -RRType {rrtype}{scope_arg} -ErrorAction SilentlyContinue | Where-Object {{ {filter} }})) {{ {add} }}\n"
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timespans_never_overflow_the_hours() {
        assert_eq!(timespan(3600), "01:00:00");
        assert_eq!(timespan(86_400), "1.00:00:00");
        assert_eq!(timespan(90_061), "1.01:01:01");
        assert_eq!(timespan(300), "00:05:00");
    }

    #[test]
    fn quotes_are_doubled_inside_single_quoted_strings() {
        assert_eq!(quote("it's"), "'it''s'");
    }
}
