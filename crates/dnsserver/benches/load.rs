//! Micro-benchmarks of loading a large zone: reading a master file of 100,000 Lync-like records (A, AAAA, CNAME,
//! SRV, DNS-load-balanced names, mixed through the file) from memory, and compiling it into a snapshot. The
//! million-record figures against NSD, Knot and BIND come from `bench/bigzone.sh`; this one catches regressions
//! in CI (`cargo bench -p lyncdns-dnsserver --bench load -- --quick`). Results are recorded in `docs/benchmarks.md`.

use std::fmt::Write;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use lyncdns_dnsdata::zonefile::parse_text;
use lyncdns_dnsserver::compile::{Options, Snapshot, ViewInput};
use lyncdns_model::Rotation;

/// A deterministic zone in the shape of `bench/src/bin/bigzone.rs`'s, smaller.
fn zone_text(records: u32) -> String {
    let mut t = String::from(
        "$ORIGIN contoso.com.\n$TTL 3600\n@ IN SOA ns1 hostmaster 1 3600 600 1209600 300\n@ IN NS ns1\nns1 IN A 10.0.0.53\n",
    );
    let mut x: u64 = 7;
    let mut next = || {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (x >> 33) as u32
    };
    let mut hosts = 0u32;
    let mut i = 0;
    while i < records {
        let r = next() % 100;
        if r < 5 && hosts > 0 {
            writeln!(t, "alias{i} IN CNAME host{}.contoso.com.", next() % hosts).unwrap();
        } else if r < 6 && hosts > 0 {
            writeln!(
                t,
                "_sip._tls.pool{i} IN SRV 0 0 443 host{}.contoso.com.",
                next() % hosts
            )
            .unwrap();
        } else if r < 7 {
            for k in 0..3 {
                writeln!(t, "lb{i} IN A 172.16.{}.{k}", i % 250).unwrap();
            }
            i += 2;
        } else {
            let v = next();
            if r < 12 {
                writeln!(t, "host{hosts} IN AAAA 2001:db8::{:x}", v & 0xffff).unwrap();
                i += 1;
            }
            writeln!(
                t,
                "host{hosts} IN A 10.{}.{}.{}",
                v >> 24,
                (v >> 16) & 255,
                (v >> 8) & 255
            )
            .unwrap();
            hosts += 1;
        }
        i += 1;
    }
    t
}

fn load(c: &mut Criterion) {
    let text = zone_text(100_000);
    let mut group = c.benchmark_group("load 100k records");
    group.sample_size(10);
    group.bench_function("read the master file", |b| {
        b.iter(|| parse_text(black_box(&text), "bench.zone").unwrap())
    });
    let zone = parse_text(&text, "bench.zone").unwrap();
    let options = Options {
        max_udp: 1232,
        rotation: Rotation::Shuffle,
        ecs_trusted: vec![],
        names_per_thread: 0,
        identity: Default::default(),
        cookies: None,
        tcp_keepalive: false,
    };
    group.bench_function("compile the snapshot", |b| {
        b.iter(|| {
            let views = vec![ViewInput {
                name: "inside".into(),
                clients: vec!["0.0.0.0/0".parse().unwrap()],
                zones: vec![zone.clone()],
            }];
            Snapshot::build(views, &options).unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, load);
criterion_main!(benches);
