//! A fixed-work driver of the answer path for instruction counts, which a busy machine does not disturb:
//! `valgrind --tool=callgrind target/release/examples/answer_count [case]` (cases: `a`, `pool`, `nx`, `nodata`,
//! `srv`, `noedns`, `cookie`). Each run answers the same query 100,000 times; docs/benchmarks.md has the figures.

use std::hint::black_box;
use std::net::IpAddr;

use lyncdns_dnsserver::answer::{Picker, Transport, answer};

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

fn main() {
    let case = std::env::args().nth(1).unwrap_or_else(|| "a".into());
    let q = match case.as_str() {
        "pool" => query("pool01.contoso.com", 1, true),
        "nx" => query("nothing-here.contoso.com", 1, true),
        "nodata" => query("webint01.contoso.com", 28, true),
        "srv" => query("_sipinternaltls._tcp.contoso.com", 33, true),
        "noedns" => query("webint01.contoso.com", 1, false),
        "cookie" => {
            // A client cookie alone (RFC 7873 §4.1): 8 octets.
            let mut q = query("webint01.contoso.com", 1, true);
            let n = q.len();
            q[n - 1] = 12;
            q.extend_from_slice(&[0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8]);
            q
        }
        _ => query("webint01.contoso.com", 1, true),
    };
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/enterprise-director.toml");
    let d = lyncdns_model::load(&std::fs::read_to_string(path).expect("example"), "bench")
        .expect("example loads");
    let snap = lyncdns_dnsserver::load::snapshot(&d, std::path::Path::new("."), &[])
        .expect("example compiles");
    let inside: IpAddr = "10.1.2.3".parse().expect("address");
    let mut out = vec![0u8; 65535];
    let mut picker = Picker::new(1);
    let mut total = 0usize;
    for _ in 0..100_000 {
        let o = answer(
            &snap,
            black_box(&q),
            inside,
            Transport::Udp,
            &mut picker,
            &mut out,
        );
        total += black_box(o).map_or(0, |o| o.len);
    }
    println!("{case}: {total} octets");
}
