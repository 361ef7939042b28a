//! Every rule has a test that triggers it and a test that a correct zone does not: the plans of every example,
//! written as zone files, lint clean.

use lyncdns_check::record::{Dataset, Origin, Rec};
use lyncdns_check::rules::{Context, lint};
use lyncdns_model::Location;

const HEAD: &str = "$ORIGIN contoso.com.\n$TTL 3600\n@ IN SOA ns1 h 1 3600 900 1209600 300\n@ IN NS ns1\nns1 IN A 198.51.100.53\n";

fn ds(body: &str, location: Option<Location>) -> Dataset {
    let text = format!("{HEAD}{body}");
    let records = lyncdns_dnsdata::zonefile::scan(&text, "t.zone")
        .unwrap()
        .into_iter()
        .map(|(rr, line)| {
            Rec::new(
                rr,
                Origin {
                    file: "t.zone".into(),
                    line,
                },
            )
        })
        .collect();
    Dataset { location, records }
}

fn codes(body: &str, location: Option<Location>) -> Vec<&'static str> {
    lint(&ds(body, location), &Context::default())
        .into_iter()
        .map(|f| f.code)
        .collect()
}

/// Triggers `code` and nothing else.
fn triggers(code: &str, body: &str, location: Option<Location>) {
    let got = codes(body, location);
    assert_eq!(got, [code], "{code} on:\n{body}");
}

const GOOD_EXTERNAL: &str = "access IN A 198.51.100.10\nsip IN A 198.51.100.10\nlyncdiscover IN A 198.51.100.30\n_sip._tls IN SRV 0 0 443 access.contoso.com.\n_sipfederationtls._tcp IN SRV 0 0 5061 access.contoso.com.\n";
const GOOD_INTERNAL: &str = "pool IN A 10.0.0.11\npool IN A 10.0.0.12\nwebint IN A 10.0.0.20\nlyncdiscoverinternal IN CNAME webint.contoso.com.\n_sipinternaltls._tcp IN SRV 0 0 5061 pool.contoso.com.\n";

#[test]
fn correct_zones_are_clean() {
    assert!(codes(GOOD_EXTERNAL, Some(Location::External)).is_empty());
    assert!(codes(GOOD_INTERNAL, Some(Location::Internal)).is_empty());
}

#[test]
fn ld001_srv_owner_typo() {
    triggers(
        "LD001",
        "access IN A 198.51.100.10\n_sipfederationtls_.tcp IN SRV 0 0 5061 access.contoso.com.\n",
        Some(Location::External),
    );
    triggers(
        "LD001",
        "pool IN A 10.0.0.11\n_sipinternal IN SRV 0 0 5060 pool.contoso.com.\n",
        None,
    );
}

#[test]
fn ld002_srv_target_alias() {
    triggers(
        "LD002",
        "edge IN A 198.51.100.10\naccess IN CNAME edge.contoso.com.\n_sip._tls IN SRV 0 0 443 access.contoso.com.\n",
        Some(Location::External),
    );
}

#[test]
fn ld003_srv_target_without_address() {
    triggers(
        "LD003",
        "_sip._tls IN SRV 0 0 443 access.contoso.com.\n",
        Some(Location::External),
    );
}

#[test]
fn ld004_srv_target_outside_the_domain() {
    triggers(
        "LD004",
        "_sipinternaltls._tcp IN SRV 0 0 5061 pool01.fabrikam.com.\n",
        None,
    );
    // Strict DNS naming: a deeper host is not "in" the domain either.
    triggers(
        "LD004",
        "pool.lync IN A 10.0.0.11\n_sipinternaltls._tcp IN SRV 0 0 5061 pool.lync.contoso.com.\n",
        None,
    );
}

#[test]
fn ld005_wrong_port() {
    triggers(
        "LD005",
        "access IN A 198.51.100.10\n_sip._tls IN SRV 0 0 5061 access.contoso.com.\n",
        Some(Location::External),
    );
    triggers(
        "LD005",
        "access IN A 198.51.100.10\nxmpp IN A 198.51.100.10\n_xmpp-server._tcp IN SRV 0 0 5222 xmpp.contoso.com.\n",
        Some(Location::External),
    );
}

#[test]
fn ld006_sip_on_the_reverse_proxy() {
    let got = codes(
        "lyncdiscover IN A 198.51.100.30\nsip IN A 198.51.100.30\n",
        Some(Location::External),
    );
    assert_eq!(got, ["LD006"]);
    let got = codes(
        "lyncdiscover IN A 198.51.100.30\nsip IN A 198.51.100.30\n_sip._tls IN SRV 0 0 443 sip.contoso.com.\n",
        Some(Location::External),
    );
    assert_eq!(
        got,
        ["LD006", "LD006"],
        "both the A record and the SRV target"
    );
    // Inside, the same addresses are not judged (the internal sip points at the pool).
    assert!(
        codes(
            "lyncdiscover IN A 198.51.100.30\nsip IN A 198.51.100.30\n",
            Some(Location::Internal)
        )
        .is_empty()
    );
}

#[test]
fn ld007_private_address_outside() {
    triggers("LD007", "webint IN A 10.0.0.20\n", Some(Location::External));
    assert!(codes("webint IN A 10.0.0.20\n", Some(Location::Internal)).is_empty());
}

#[test]
fn ld008_lyncdiscover_cname_into_another_domain() {
    triggers(
        "LD008",
        "lyncdiscover IN CNAME director.contoso.net.\n",
        Some(Location::External),
    );
    assert!(
        codes(
            "lyncdiscover IN CNAME webdir.online.lync.com.\n",
            Some(Location::External)
        )
        .is_empty(),
        "the Online exception"
    );
}

#[test]
fn ld009_web_services_on_a_dns_load_balanced_name() {
    triggers(
        "LD009",
        "pool IN A 10.0.0.11\npool IN A 10.0.0.12\nlyncdiscoverinternal IN CNAME pool.contoso.com.\n",
        Some(Location::Internal),
    );
}

#[test]
fn ld010_missing_planned_record() {
    let d = lyncdns_model::embedded();
    let plan = lyncdns_plan::plan(&d);
    let view = plan.view("external").unwrap();
    // The external zone without lyncdiscover.
    let text = lyncdns_plan::export::zone_file(
        &plan,
        view,
        view.zones
            .iter()
            .find(|z| z.origin == "lyncdude.net")
            .unwrap(),
    );
    let text: String = text
        .lines()
        .filter(|l| !l.starts_with("lyncdiscover "))
        .map(|l| format!("{l}\n"))
        .collect();
    let records = lyncdns_dnsdata::zonefile::scan(&text, "x.zone")
        .unwrap()
        .into_iter()
        .map(|(rr, line)| {
            Rec::new(
                rr,
                Origin {
                    file: "x.zone".into(),
                    line,
                },
            )
        })
        .collect();
    let ds = Dataset {
        location: Some(Location::External),
        records,
    };
    let findings = lint(
        &ds,
        &Context {
            deployment: Some(&d),
            plan_view: Some(view),
            zones: None,
        },
    );
    let missing: Vec<&str> = findings
        .iter()
        .filter(|f| f.code == "LD010")
        .map(|f| f.message.as_str())
        .collect();
    assert!(missing.iter().any(|m| m.contains("missing `lyncdiscover.lyncdude.net A 203.0.113.20` (autodiscover")), "{missing:?}");
    // anotherdomain.com's zone is not in the file at all: its records are reported too.
    assert!(
        missing
            .iter()
            .any(|m| m.contains("_sip._tls.anotherdomain.com")),
        "{missing:?}"
    );
}

#[test]
fn ld011_missing_lyncdiscoverinternal() {
    triggers(
        "LD011",
        "pool IN A 10.0.0.11\n_sipinternaltls._tcp IN SRV 0 0 5061 pool.contoso.com.\n",
        Some(Location::Internal),
    );
}

#[test]
fn ld012_wildcard() {
    triggers(
        "LD012",
        "access IN A 198.51.100.10\n_sip._tls IN SRV 0 0 443 access.contoso.com.\n* IN A 198.51.100.80\n",
        Some(Location::External),
    );
}

#[test]
fn ld013_cname_and_other_data() {
    triggers(
        "LD013",
        "meet IN CNAME web.contoso.com.\nmeet IN TXT \"x\"\nweb IN A 198.51.100.30\n",
        Some(Location::External),
    );
}

#[test]
fn ld014_internal_name_outside() {
    triggers(
        "LD014",
        "webint IN A 198.51.100.20\nlyncdiscoverinternal IN CNAME webint.contoso.com.\n",
        Some(Location::External),
    );
    assert!(
        codes(
            "webint IN A 10.0.0.20\nlyncdiscoverinternal IN CNAME webint.contoso.com.\n",
            Some(Location::Internal)
        )
        .is_empty()
    );
}

#[test]
fn every_rule_has_a_test_here() {
    let source = include_str!("rules.rs");
    for r in lyncdns_check::rules::RULES {
        assert!(
            source.contains(&format!("fn {}_", r.code.to_ascii_lowercase())),
            "no test for {}",
            r.code
        );
    }
}

#[test]
fn the_plans_of_every_example_lint_clean() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let d = lyncdns_model::load(&std::fs::read_to_string(&path).unwrap(), "x").unwrap();
        let plan = lyncdns_plan::plan(&d);
        for (view, dv) in plan.views.iter().zip(&d.views) {
            let mut records = Vec::new();
            for z in &view.zones {
                let text = lyncdns_plan::export::zone_file(&plan, view, z);
                for (rr, line) in lyncdns_dnsdata::zonefile::scan(&text, &z.origin).unwrap() {
                    records.push(Rec::new(
                        rr,
                        Origin {
                            file: z.origin.clone(),
                            line,
                        },
                    ));
                }
            }
            for (ctx_d, pv) in [(None, None), (Some(&d), Some(view))] {
                let ds = Dataset {
                    location: Some(dv.location),
                    records: records.clone(),
                };
                let findings = lint(
                    &ds,
                    &Context {
                        deployment: ctx_d,
                        plan_view: pv,
                        zones: None,
                    },
                );
                assert!(
                    findings.is_empty(),
                    "{} view {}: {findings:#?}",
                    path.display(),
                    view.name
                );
            }
        }
    }
}

/// The zone-level codes of `body` (without the usual head) read as zone `contoso.com`.
fn zone_codes(text: &str) -> Vec<&'static str> {
    let file = lyncdns_check::record::ZoneFile::new(
        "contoso.com.zone".into(),
        lyncdns_dnsdata::zonefile::scan_text(text, "contoso.com.zone", None),
    );
    let mut out: Vec<&'static str> = file
        .syntax
        .iter()
        .map(|e| lyncdns_check::rules::syntax_finding(e).code)
        .collect();
    out.extend(
        lyncdns_check::rules::zone_file(&file.path, "contoso.com", &file.records)
            .into_iter()
            .map(|f| f.code),
    );
    out
}

#[test]
fn ld015_syntax() {
    assert_eq!(
        zone_codes(&format!("{HEAD}sip IN A 300.1.1.1\n")),
        ["LD015"]
    );
    assert!(zone_codes(&format!("{HEAD}sip IN A 192.0.2.1\n")).is_empty());
}

#[test]
fn ld016_zone_without_soa() {
    assert_eq!(
        zone_codes("$ORIGIN contoso.com.\n@ IN NS ns1\nns1 IN A 192.0.2.53\n"),
        ["LD016"]
    );
}

#[test]
fn ld017_zone_without_ns() {
    assert_eq!(
        zone_codes("$ORIGIN contoso.com.\n@ IN SOA ns1 h 1 2 3 4 5\nns1 IN A 192.0.2.53\n"),
        ["LD017"]
    );
}

#[test]
fn ld018_out_of_zone_data() {
    assert_eq!(
        zone_codes(&format!("{HEAD}sip.fabrikam.com. IN A 192.0.2.10\n")),
        ["LD018"]
    );
    assert!(zone_codes(&format!("{HEAD}sip.eu IN A 192.0.2.10\n")).is_empty());
}
