//! Property tests of the answer path: it never panics on any input, and every answer comes only from the view
//! the client's address selects — no internal address ever reaches an external client.

mod support;

use std::net::IpAddr;

use lyncdns_dnsserver::answer::Transport;
use proptest::prelude::*;
use support::*;

fn examples() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    out.sort();
    out
}

/// The example with answers in a fixed order (`[serve] rotation = "none"`), in its own `[serve]` table when it
/// has one (a second table would be a TOML error).
fn without_rotation(text: &str) -> String {
    if text.contains("\n[serve]\n") {
        text.replacen("\n[serve]\n", "\n[serve]\nrotation = \"none\"\n", 1)
    } else {
        format!("{text}\n[serve]\nrotation = \"none\"\n")
    }
}

fn any_addr() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        any::<u32>().prop_map(|a| IpAddr::V4(a.into())),
        // Bias towards the ranges the examples use, so every view is hit often.
        (
            prop::sample::select(vec![10u8, 127, 172, 192, 203]),
            any::<[u8; 3]>()
        )
            .prop_map(|(a, r)| IpAddr::V4([a, r[0], r[1], r[2]].into())),
        any::<u128>().prop_map(|a| IpAddr::V6(a.into())),
        (any::<u64>()).prop_map(|r| IpAddr::V6(((0x2001_0db8_0100u128 << 80) | r as u128).into())),
        Just("::1".parse().unwrap()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_packets_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600), from in any_addr(), tcp in any::<bool>()) {
        let s = embedded();
        let t = if tcp { Transport::Tcp } else { Transport::Udp };
        if let Some(resp) = ask_raw(&s, &bytes, &from.to_string(), t) {
            prop_assert!(resp.len() >= 12);
            prop_assert!(resp[2] & 0x80 != 0, "QR set");
        }
    }

    #[test]
    fn mutated_queries_never_panic(
        name in prop::sample::select(vec!["sip.lyncdude.net", "_sip._tls.lyncdude.net", "x.anotherdomain.com", "lyncdude.net"]),
        qtype in prop::sample::select(vec![1u16, 28, 33, 255, 6, 2, 252, 99]),
        edns in any::<bool>(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
        cut in any::<prop::sample::Index>(),
        extra in prop::collection::vec(any::<u8>(), 0..40),
    ) {
        let s = embedded();
        let mut q = Q::new(name, qtype);
        if edns {
            q = q.edns(1232);
        }
        let mut b = q.bytes();
        for (i, v) in flips {
            let at = i.index(b.len());
            b[at] = v;
        }
        b.truncate(cut.index(b.len() + 1));
        b.extend(extra);
        for t in [Transport::Udp, Transport::Tcp] {
            if let Some(resp) = ask_raw(&s, &b, "127.0.0.1", t) {
                // Whatever we send must be a well-formed DNS message.
                prop_assert!(domain::base::Message::from_octets(resp.clone()).is_ok());
                if t == Transport::Udp {
                    prop_assert!(resp.len() <= 1232);
                }
            }
        }
    }

    #[test]
    fn answers_come_only_from_the_selected_view(example in any::<prop::sample::Index>(), pick in any::<prop::sample::Index>(), qtype in prop::sample::select(vec![1u16, 28, 33, 5, 6, 2, 255]), from in any_addr()) {
        let all = examples();
        let text = without_rotation(&all[example.index(all.len())]);
        let d = lyncdns_model::load(&text, "example.toml").unwrap();
        let s = lyncdns_dnsserver::load::snapshot(&d, std::path::Path::new("."), &[]).unwrap();
        let plan = lyncdns_plan::plan(&d);
        let names: Vec<String> = plan.views.iter().flat_map(|v| v.records().map(|(_, r)| r.owner.clone())).collect();
        let name = &names[pick.index(names.len())];
        let q = Q::new(name, qtype).edns(1232).bytes();
        // The view a plain first-match scan selects, and a canonical address inside it.
        let expected = d.views.iter().position(|v| v.clients.iter().any(|n| n.contains(&from)));
        let got = ask_raw(&s, &q, &from.to_string(), Transport::Udp).unwrap();
        match expected {
            None => prop_assert_eq!(decode(&got).rcode, 5, "no view: REFUSED"),
            Some(v) => {
                let view = &d.views[v];
                let canonical = view.clients.iter().find(|n| n.contains(&from)).unwrap().network();
                // Identical bytes to what any other client of the same view gets.
                let reference = ask_raw(&s, &q, &canonical.to_string(), Transport::Udp).unwrap();
                prop_assert_eq!(&got, &reference);
                // And never an address that only another view publishes.
                let r = decode(&got);
                let view_plan = plan.view(&view.name).unwrap();
                for line in r.answer.iter().chain(&r.additional) {
                    let addr = line.rsplit(' ').next().unwrap();
                    if line.contains(" A ") || line.contains(" AAAA ") {
                        let known = view_plan.records().any(|(_, rec)| rec.data.to_string() == addr);
                        prop_assert!(known, "{} answered to {} ({}) is not in view {}", line, from, view.name, view.name);
                    }
                }
                if view.location == lyncdns_model::Location::External {
                    for line in r.answer.iter().chain(&r.additional) {
                        if let Ok(ip) = line.rsplit(' ').next().unwrap().parse::<IpAddr>() {
                            prop_assert!(lyncdns_model::addr::non_public_kind(ip).is_none(), "{} to external {}", line, from);
                        }
                    }
                }
            }
        }
    }
}
