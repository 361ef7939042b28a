//! The registrar's cost per request, for a load-independent count: frames, parses and answers [MS-SIPAE] §4.1's
//! first REGISTER at the Director of `examples/enterprise-director.toml` `N` times (default 100,000) and
//! serializes each response. Run under callgrind and divide the instructions by `N` (docs/benchmarks.md):
//!
//! `cargo build --release -p lyncdns-sip --example register_cost &&
//!  valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/examples/register_cost 100000`

use lyncdns_sip::framing::{Frame, next};
use lyncdns_sip::registrar::{Directory, answer, registrars};

const REGISTER: &[u8] = b"REGISTER sip:contoso.com SIP/2.0\r\n\
Via: SIP/2.0/TLS 192.0.2.1:4320;branch=z9hG4bK1\r\n\
From: <sip:carol@contoso.com>;tag=4a2b44d131;epid=8248ca9ebb\r\n\
To: <sip:carol@contoso.com>\r\n\
Call-ID: d5f2b95d5be64c2cbfb38aa5d3a87ae7\r\n\
CSeq: 169 REGISTER\r\n\
Contact: <sip:192.0.2.1:4320;transport=tls>;proxy=replace\r\n\
Supported: gruu-10\r\n\
Content-Length: 0\r\n\r\n";

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let d = lyncdns_model::load(
        include_str!("../../../examples/enterprise-director.toml"),
        "enterprise-director.toml",
    )
    .expect("the example loads");
    let director = registrars(&d).remove(0);
    let dir = Directory::of(&d);
    let mut octets = 0usize;
    for _ in 0..n {
        let Ok(Frame::Message(m, _)) = next(std::hint::black_box(REGISTER)) else {
            panic!("a whole message")
        };
        let (_, response) = answer(&director, &dir, &m, "t");
        octets += response.map(|r| r.to_bytes().len()).unwrap_or(0);
    }
    println!("{n} REGISTERs answered, {octets} octets of responses");
}
