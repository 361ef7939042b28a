//! Answers one unsigned UDP query (`sip.lyncdude.net A`, EDNS, from the external view's 127.0.0.2) N times
//! through `answer()`, for counting instructions per query with a load-independent tool:
//!
//! ```sh
//! cargo build --release -p lyncdns-dnsserver --example answer_count
//! for n in 100000 200000; do valgrind --tool=callgrind target/release/examples/answer_count $n; done
//! # instructions per query = (Ir at 200000 − Ir at 100000) / 100000
//! ```

use std::hint::black_box;

use lyncdns_dnsserver::answer::{Picker, Transport, answer};

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let d = lyncdns_model::embedded();
    let snap = lyncdns_dnsserver::load::snapshot(&d, std::path::Path::new("."), &[])
        .expect("the embedded example builds");
    let mut q = vec![0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1];
    q.extend_from_slice(b"\x03sip\x08lyncdude\x03net\x00\x00\x01\x00\x01");
    q.extend_from_slice(&[0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0]);
    let mut out = vec![0u8; 65535];
    let mut picker = Picker::new(1);
    let src = std::net::IpAddr::from([127, 0, 0, 2]);
    let mut total = 0usize;
    for _ in 0..n {
        total += answer(
            &snap,
            black_box(&q),
            src,
            Transport::Udp,
            &mut picker,
            &mut out,
        )
        .map(|o| o.len)
        .unwrap_or(0);
    }
    println!("{n} answers, {total} octets");
}
