//! Micro-benchmarks of the pure answer path (hit, NXDOMAIN, NODATA, SRV with additional data, a CNAME chain) and
//! of view selection with many views and prefixes. Run: `cargo bench -p lyncdns-dnsserver` (CI runs `-- --quick`).
//! Results are recorded in `docs/benchmarks.md`.

use std::hint::black_box;
use std::net::IpAddr;

use criterion::{Criterion, criterion_group, criterion_main};
use ipnet::IpNet;
use lyncdns_dnsdata::view::ViewMatcher;
use lyncdns_dnsserver::answer::{Picker, Transport, answer};
use lyncdns_dnsserver::compile::Snapshot;

fn query(name: &str, qtype: u16, edns: bool) -> Vec<u8> {
    let mut b = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, edns as u8];
    for l in name.split('.') {
        b.push(l.len() as u8);
        b.extend_from_slice(l.as_bytes());
    }
    b.extend_from_slice(&[0, 0, qtype as u8, 0, 1]);
    if edns {
        b.extend_from_slice(&[0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0]);
    }
    b
}

fn snapshot() -> Snapshot {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/enterprise-director.toml");
    let d = lyncdns_model::load(&std::fs::read_to_string(path).unwrap(), "bench").unwrap();
    lyncdns_dnsserver::load::snapshot(&d, std::path::Path::new("."), &[]).unwrap()
}

fn answer_path(c: &mut Criterion) {
    let snap = snapshot();
    let inside: IpAddr = "10.1.2.3".parse().unwrap();
    let mut out = vec![0u8; 65535];
    let mut picker = Picker::new(1);
    let cases = [
        (
            "hit A (3-address DNS-LB pool, shuffled)",
            query("pool01.contoso.com", 1, true),
        ),
        (
            "hit A (one address)",
            query("webint01.contoso.com", 1, true),
        ),
        ("NXDOMAIN", query("nothing-here.contoso.com", 1, true)),
        ("NODATA", query("webint01.contoso.com", 28, true)),
        (
            "SRV with additional",
            query("_sipinternaltls._tcp.contoso.com", 33, true),
        ),
        (
            "hit A without EDNS",
            query("webint01.contoso.com", 1, false),
        ),
    ];
    let mut group = c.benchmark_group("answer");
    for (name, q) in &cases {
        group.bench_function(*name, |b| {
            b.iter(|| {
                let o = answer(
                    &snap,
                    black_box(q),
                    inside,
                    Transport::Udp,
                    &mut picker,
                    &mut out,
                );
                black_box(o)
            })
        });
    }
    group.finish();
}

fn view_selection(c: &mut Criterion) {
    // 100 views with 1,000 prefixes each (a hosting provider's case); the last view is the catch-all.
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut views: Vec<Vec<IpNet>> = (0..99)
        .map(|_| {
            (0..1000)
                .map(|_| {
                    IpNet::V4(
                        ipnet::Ipv4Net::new(
                            std::net::Ipv4Addr::from(next() as u32),
                            8 + (next() % 17) as u8,
                        )
                        .unwrap()
                        .trunc(),
                    )
                })
                .collect()
        })
        .collect();
    views.push(vec!["0.0.0.0/0".parse().unwrap(), "::/0".parse().unwrap()]);
    let big = ViewMatcher::new(views.iter().map(|v| v.as_slice()));
    let small = ViewMatcher::new(
        [
            vec!["10.0.0.0/8".parse::<IpNet>().unwrap()],
            vec!["0.0.0.0/0".parse().unwrap()],
        ]
        .iter()
        .map(|v| v.as_slice()),
    );
    let addrs: Vec<IpAddr> = (0..1024)
        .map(|_| IpAddr::V4((next() as u32).into()))
        .collect();
    let mut group = c.benchmark_group("view selection");
    for (name, m) in [("2 views", &small), ("100 views x 1000 prefixes", &big)] {
        group.bench_function(name, |b| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) & 1023;
                black_box(m.select(black_box(addrs[i])))
            })
        });
    }
    group.finish();
}

/// The cost response rate limiting adds to a UDP answer: an external answer alone (the view's RRL is on in the
/// snapshot, but `answer()` does not consult it), then the same answer followed by the limiter's check as the UDP
/// worker makes it, for sources spread over 1,024 /24s, all under the rate (the common case: every answer sent).
fn rate_limiting(c: &mut Criterion) {
    use lyncdns_dnsserver::rrl::{Class, Limiter};
    let snap = snapshot();
    let q = query("webext01.contoso.com", 1, true);
    let sources: Vec<IpAddr> = (0..1024u32)
        .map(|k| IpAddr::V4((0xc000_0000 + (k << 8) + 7).into()))
        .collect();
    let mut limits = snap.rrl[1].expect("the external view has RRL on by default");
    limits.responses_per_second = lyncdns_model::RRL_RATE_MAX;
    let limiter = Limiter::new(Limiter::ENTRIES);
    let mut out = vec![0u8; 65535];
    let mut picker = Picker::new(1);
    let mut group = c.benchmark_group("rrl");
    group.bench_function("external hit A, answer only", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) & 1023;
            black_box(answer(
                &snap,
                black_box(&q),
                sources[i],
                Transport::Udp,
                &mut picker,
                &mut out,
            ))
        })
    });
    group.bench_function("external hit A, answer + RRL check", |b| {
        let (mut i, mut now_ms) = (0, 0u64);
        b.iter(|| {
            i = (i + 1) & 1023;
            now_ms += 1;
            let o = answer(
                &snap,
                black_box(&q),
                sources[i],
                Transport::Udp,
                &mut picker,
                &mut out,
            );
            let verdict = o.map(|o| limiter.check(&limits, sources[i], Class::of(o.rcode), now_ms));
            black_box((o, verdict))
        })
    });
    group.finish();
}

criterion_group!(benches, answer_path, view_selection, rate_limiting);
criterion_main!(benches);
