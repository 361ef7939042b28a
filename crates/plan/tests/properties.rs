//! Property tests over generated deployments: whatever the topology, the plan keeps the invariants that
//! clients and DNS servers rely on.

use std::collections::HashSet;
use std::fmt::Write;

use lyncdns_dnsdata::rdata::RecordData;
use lyncdns_dnsdata::types::Rtype;
use lyncdns_model::Location;
use lyncdns_plan::{Plan, ViewPlan};
use proptest::prelude::*;

/// The shape of a generated deployment.
#[derive(Debug, Clone)]
struct Shape {
    domains: usize,
    /// 0: split-brain for every domain; 1: `corp.local` inside (pin-point zones); 2: only the primary inside.
    internal_mode: u8,
    pools: Vec<(usize, bool, bool)>, // (servers, hardware LB, IPv6)
    director: bool,
    edge: bool,
    reverse_proxy: bool,
    federation: bool,
    push: bool,
    xmpp: bool,
    legacy: bool,
    sip_tcp: bool,
    phones: bool,
    online: bool,
    strict: bool,
    legacy_only_srv: bool,
    cname: bool,
    internal_lyncdiscover: bool,
    ldi_to_rp: bool,
    private_external: bool,
}

fn shape() -> impl Strategy<Value = Shape> {
    (
        1usize..4,
        0u8..3,
        prop::collection::vec((1usize..4, any::<bool>(), any::<bool>()), 1..3),
        any::<[bool; 8]>(),
        any::<[bool; 9]>(),
    )
        .prop_map(|(domains, internal_mode, pools, a, b)| Shape {
            domains,
            internal_mode,
            pools,
            director: a[0],
            edge: a[1],
            reverse_proxy: a[2],
            federation: a[3],
            push: a[4],
            xmpp: a[5],
            legacy: a[6],
            sip_tcp: a[7],
            phones: b[0],
            online: b[1],
            strict: b[2],
            legacy_only_srv: b[3],
            cname: b[4],
            internal_lyncdiscover: b[5],
            ldi_to_rp: b[6],
            private_external: b[7],
        })
}

/// Writes the shape as a deployment description, the way a user would.
fn toml(s: &Shape) -> String {
    let domains: Vec<String> = (0..s.domains).map(|i| format!("dom{i}.test")).collect();
    let host_zone = if s.internal_mode == 1 {
        "corp.local".to_owned()
    } else {
        domains[0].clone()
    };
    let internal_zones = match s.internal_mode {
        0 => domains.clone(),
        1 => vec!["corp.local".to_owned()],
        _ => vec![domains[0].clone()],
    };
    let public = |n: u32| {
        if s.private_external {
            format!("10.200.0.{n}")
        } else {
            format!("203.0.113.{n}")
        }
    };
    let quoted = |v: &[String]| {
        v.iter()
            .map(|x| format!("\"{x}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut t = String::new();
    writeln!(
        t,
        "version = 1\n[sip]\nprimary_domain = \"{}\"\nadditional_domains = [{}]",
        domains[0],
        quoted(&domains[1..])
    )
    .unwrap();
    writeln!(t, "[dns]\ninternal_zones = [{}]", quoted(&internal_zones)).unwrap();
    writeln!(t, "[[views]]\nname = \"in\"\nlocation = \"internal\"\nclients = [\"10.0.0.0/8\", \"fd00::/8\"]\nnameservers = [{{ fqdn = \"ns.{host_zone}\", addresses = [\"10.0.0.2\"] }}]").unwrap();
    writeln!(t, "[[views]]\nname = \"out\"\nlocation = \"external\"\nclients = [\"0.0.0.0/0\", \"::/0\"]\nnameservers = [{{ fqdn = \"ns1.{}\", addresses = [\"{}\"] }}]", domains[0], public(53)).unwrap();
    let pool = |t: &mut String,
                table: &str,
                name: &str,
                n: usize,
                hw: bool,
                v6: bool,
                net: usize| {
        let servers: Vec<String> = (0..n)
            .map(|j| {
                let v6 = if v6 {
                    format!(", \"fd00::{net}:{j}\"")
                } else {
                    String::new()
                };
                let fqdn = if n == 1 {
                    format!("{name}.{host_zone}")
                } else {
                    format!("{name}-{j}.{host_zone}")
                };
                format!(
                    "{{ fqdn = \"{fqdn}\", addresses = [\"10.{net}.0.{}\"{v6}] }}",
                    j + 10
                )
            })
            .collect();
        let edition = if n == 1 { "standard" } else { "enterprise" };
        let lb = if hw {
            format!("load_balancing = \"hardware\"\nsip_vip = [\"10.{net}.0.5\"]")
        } else {
            "load_balancing = \"dns\"".into()
        };
        writeln!(
            t,
            "{table}\nfqdn = \"{name}.{host_zone}\"\nedition = \"{edition}\"\n{lb}\nservers = [{}]",
            servers.join(", ")
        )
        .unwrap();
        let sub = if table.starts_with("[[") {
            "[pools.web]"
        } else {
            "[director.web]"
        };
        writeln!(t, "{sub}\ninternal_fqdn = \"{name}-webint.{host_zone}\"\ninternal_addresses = [\"10.{net}.0.100\"]\nexternal_fqdn = \"{name}-webext.{}\"", domains[0]).unwrap();
    };
    for (i, (n, hw, v6)) in s.pools.iter().enumerate() {
        pool(
            &mut t,
            "[[pools]]",
            &format!("pool{i}"),
            *n,
            *hw,
            *v6,
            i + 1,
        );
    }
    if s.director {
        pool(&mut t, "[director]", "dir", 2, false, false, 50);
    }
    if s.edge {
        writeln!(t, "[edge]\ninternal_fqdn = \"edge.{host_zone}\"\nservers = [{{ fqdn = \"edge1.{host_zone}\", addresses = [\"10.60.0.1\"] }}]").unwrap();
        for (k, svc) in ["access", "webconf", "av"].iter().enumerate() {
            writeln!(
                t,
                "{svc} = {{ fqdn = \"{svc}.{}\", addresses = [\"{}\"] }}",
                domains[0],
                public(10 + k as u32)
            )
            .unwrap();
        }
    }
    if s.reverse_proxy {
        writeln!(t, "[reverse_proxy]\naddresses = [\"{}\"]", public(20)).unwrap();
        writeln!(
            t,
            "[simple_urls]\nmeet = [\"meet.{0}\"]\ndialin = \"dialin.{0}\"\nadmin = \"admin.{1}\"",
            domains[0], host_zone
        )
        .unwrap();
    }
    let edge = s.edge;
    writeln!(t, "[features]\nmobility = {}\nfederation = {}\npush_notifications = {}\nxmpp = {}\nlegacy_clients = {}\nsip_tcp = {}", s.reverse_proxy, s.federation && edge, s.push && edge, s.xmpp && edge, s.legacy, s.sip_tcp).unwrap();
    if s.phones {
        writeln!(
            t,
            "[features.phones]\nntp_server = \"time.{host_zone}\"\nntp_addresses = [\"10.0.0.5\"]"
        )
        .unwrap();
    }
    if s.online {
        writeln!(t, "[hybrid]\nonline_domains = [\"online.test\"]").unwrap();
    }
    writeln!(
        t,
        "[options]\nstrict_dns_naming = {}\ninternal_srv = \"{}\"\nautodiscover_records = \"{}\"\ninternal_lyncdiscover = {}\nlyncdiscoverinternal_target = \"{}\"\nallow_private_external = {}",
        s.strict,
        if s.legacy_only_srv { "legacy-only" } else { "required" },
        if s.cname { "cname" } else { "address" },
        s.internal_lyncdiscover,
        if s.ldi_to_rp { "reverse-proxy" } else { "internal-web" },
        s.private_external,
    )
    .unwrap();
    t
}

fn has(view: &ViewPlan, owner: &str, ty: &str) -> bool {
    view.records()
        .any(|(_, r)| r.owner == owner && r.data.rtype().to_string() == ty)
}

fn addresses_of(view: &ViewPlan, owner: &str) -> bool {
    view.records().any(|(_, r)| {
        r.owner == owner && matches!(r.data, RecordData::A { .. } | RecordData::Aaaa { .. })
    })
}

fn check(s: &Shape, plan: &Plan) -> Result<(), TestCaseError> {
    let domains: Vec<String> = (0..s.domains).map(|i| format!("dom{i}.test")).collect();
    for view in &plan.views {
        let mut owners_by_type: HashSet<(&str, Rtype)> = HashSet::new();
        for zone in &view.zones {
            let soas = zone
                .records
                .iter()
                .filter(|r| matches!(r.data, RecordData::Soa { .. }))
                .count();
            prop_assert_eq!(
                soas,
                1,
                "zone {} in {} has {} SOA",
                zone.origin,
                view.name,
                soas
            );
            let apex_ns = zone
                .records
                .iter()
                .any(|r| r.owner == zone.origin && matches!(r.data, RecordData::Ns { .. }));
            prop_assert!(apex_ns, "zone {} has no NS at its apex", zone.origin);
            for r in &zone.records {
                // Every name is in a zone served in that view, and in the most specific one.
                prop_assert_eq!(
                    view.zone_of(&r.owner).map(|z| z.origin.as_str()),
                    Some(zone.origin.as_str()),
                    "{} misplaced",
                    r.owner
                );
                owners_by_type.insert((r.owner.as_str(), r.data.rtype()));
            }
        }
        for (_, r) in view.records() {
            // A CNAME owner holds nothing else (RFC 1034 §3.6.2).
            if let RecordData::Cname { .. } = r.data {
                let others = owners_by_type
                    .iter()
                    .filter(|(o, t)| *o == r.owner && *t != Rtype::CNAME)
                    .count();
                prop_assert_eq!(others, 0, "{} has a CNAME and other data", r.owner);
            }
            if let RecordData::Srv { target, .. } = &r.data {
                // Every SRV target inside this view's zones has an address record in the same view, not an alias.
                if view.zone_of(target).is_some() {
                    prop_assert!(
                        addresses_of(view, target),
                        "SRV {} -> {} has no address in view {}",
                        r.owner,
                        target,
                        view.name
                    );
                    prop_assert!(
                        !has(view, target, "CNAME"),
                        "SRV target {target} is an alias"
                    );
                }
                // SIP SRV targets stay inside the SIP domain (strict DNS naming).
                let sip_domain = domains.iter().find(|d| {
                    r.owner.ends_with(&format!("._tcp.{d}"))
                        || r.owner.ends_with(&format!("._tls.{d}"))
                });
                if let Some(domain) = sip_domain.filter(|_| r.owner.starts_with("_sip")) {
                    prop_assert!(
                        lyncdns_lync::naming::srv_target_allowed(target, domain, s.strict),
                        "{} -> {}",
                        r.owner,
                        target
                    );
                }
            }
            // No private address in an external view unless the deployment says so explicitly.
            if view.location == Location::External && !s.private_external {
                let ip = match r.data {
                    RecordData::A { address } => Some(std::net::IpAddr::V4(address)),
                    RecordData::Aaaa { address } => Some(std::net::IpAddr::V6(address)),
                    _ => None,
                };
                if let Some(ip) = ip {
                    prop_assert!(
                        lyncdns_model::addr::non_public_kind(ip).is_none(),
                        "{ip} at {} in external view",
                        r.owner
                    );
                }
            }
        }
        // Every SIP domain gets its autodiscover and SIP records.
        for d in &domains {
            match view.location {
                Location::Internal => {
                    prop_assert!(
                        has(view, &format!("_sipinternaltls._tcp.{d}"), "SRV"),
                        "no _sipinternaltls for {d}"
                    );
                    let ldi = format!("lyncdiscoverinternal.{d}");
                    prop_assert!(
                        addresses_of(view, &ldi)
                            || has(view, &ldi, "CNAME")
                            || (s.ldi_to_rp && !s.reverse_proxy),
                        "no {ldi}"
                    );
                }
                Location::External => {
                    if s.reverse_proxy {
                        let ld = format!("lyncdiscover.{d}");
                        prop_assert!(
                            addresses_of(view, &ld) || has(view, &ld, "CNAME"),
                            "no {ld}"
                        );
                    }
                    if s.edge {
                        prop_assert!(
                            has(view, &format!("_sip._tls.{d}"), "SRV"),
                            "no _sip._tls for {d}"
                        );
                        prop_assert!(addresses_of(view, &format!("sip.{d}")), "no sip.{d}");
                    }
                }
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn plans_keep_their_invariants(s in shape()) {
        let text = toml(&s);
        let deployment = lyncdns_model::load(&text, "generated.toml").map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let plan = lyncdns_plan::plan(&deployment);
        prop_assert_eq!(&plan, &lyncdns_plan::plan(&deployment), "planning is deterministic");
        check(&s, &plan)?;
    }
}
