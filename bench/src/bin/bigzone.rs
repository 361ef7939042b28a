//! Generates the big Lync-like zone of issue #7 (`contoso.com.`), deterministically, and a query file for it.
//!
//! Usage: bigzone [--records N] [--out FILE] [--queries FILE] [--query-count Q] [--seed S]
//!
//! The zone file holds the SOA and two NS records at the apex, then exactly N records (default 1,000,000), one
//! per line, in plain RFC 1035 syntax (`$ORIGIN`, `$TTL`, relative owners) that NSD, Knot, BIND and NLnet Labs'
//! `domain` scanner all read:
//!
//! | owner | type | share of N |
//! |---|---|---|
//! | `ns1`, `ns2` | A (the NS targets) | 2 records |
//! | `hostI` | A `10.x.y.z` | the rest (~89 %) |
//! | `hostI` (every `stride`-th host) | AAAA `2001:db8:…` | 5 % |
//! | `aliasK` | CNAME to a random `hostI` | 5 % |
//! | `_sip._tls.poolK` | SRV `0 0 443` and `10 0 443` to random hosts | 1 % (two per pool) |
//! | `lbpoolK` | 3 × A (a DNS-load-balanced name) | 0.03 % (N / 10,000 names) |
//! | `txtK` | TXT | N / 100,000 |
//!
//! The categories are interleaved through the file in proportion, and the very last line is always the A
//! record of the last host, so a query for it answers only once a server has read the whole file. Everything
//! comes from one seeded generator (splitmix64, seed 7 unless `--seed`): the same arguments give the same bytes.
//!
//! `--queries FILE` writes Q lines (default 100,000) in dnsperf/loadgen format (`name TYPE`): ~10 % NXDOMAIN
//! (`nxK` labels and host numbers past the last host), ~5 % NODATA (AAAA of an A-only host, SRV at the empty
//! non-terminal `_tls.poolK`), the rest hits of every kind (host A, AAAA, CNAME, SRV, load-balanced A, TXT).
//!
//! On stdout it prints three probe lines for the benchmark script: `last NAME A ADDRESS` (the file's last
//! record), `nxdomain NAME A` and `nodata NAME AAAA`.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write};

const ORIGIN: &str = "contoso.com.";

/// splitmix64: small, fast, and the same on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0; the modulo bias is irrelevant here).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn ipv4(&mut self, first: u8) -> String {
        let r = self.next();
        format!(
            "{first}.{}.{}.{}",
            r & 0xff,
            (r >> 8) & 0xff,
            1 + (r >> 16) % 254
        )
    }
}

struct Args {
    records: u64,
    out: String,
    queries: Option<String>,
    query_count: u64,
    seed: u64,
}

fn args() -> Args {
    let mut a = Args {
        records: 1_000_000,
        out: "bigzone.zone".into(),
        queries: None,
        query_count: 100_000,
        seed: 7,
    };
    let v: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < v.len() {
        let val = v
            .get(i + 1)
            .unwrap_or_else(|| usage(&format!("{} needs a value", v[i])));
        match v[i].as_str() {
            "--records" => a.records = val.parse().unwrap_or_else(|_| usage("--records N")),
            "--out" => a.out = val.clone(),
            "--queries" => a.queries = Some(val.clone()),
            "--query-count" => {
                a.query_count = val.parse().unwrap_or_else(|_| usage("--query-count Q"))
            }
            "--seed" => a.seed = val.parse().unwrap_or_else(|_| usage("--seed S")),
            other => usage(&format!("unknown option {other}")),
        }
        i += 2;
    }
    if a.records < 20 {
        usage("--records must be at least 20");
    }
    a
}

fn usage(msg: &str) -> ! {
    eprintln!(
        "bigzone: {msg}\nusage: bigzone [--records N] [--out FILE] [--queries FILE] [--query-count Q] [--seed S]"
    );
    std::process::exit(2)
}

/// How many records of each kind a zone of `n` records holds.
struct Layout {
    hosts: u64,
    aaaa: u64,
    /// Every `stride`-th host (from host 0) has an AAAA record, `aaaa` of them.
    stride: u64,
    aliases: u64,
    pools: u64,
    lb: u64,
    txt: u64,
}

/// Addresses per DNS-load-balanced name.
const LB_ADDRESSES: u64 = 3;
/// SRV records per pool.
const SRV_PER_POOL: u64 = 2;
/// The NS targets' A records.
const NS_RECORDS: u64 = 2;

impl Layout {
    fn new(n: u64) -> Layout {
        let aaaa = (n / 20).max(1);
        let aliases = (n / 20).max(1);
        let pools = (n / 200).max(1);
        let lb = (n / 10_000).max(1);
        let txt = (n / 100_000).max(1);
        let hosts =
            n - NS_RECORDS - aaaa - aliases - SRV_PER_POOL * pools - LB_ADDRESSES * lb - txt;
        Layout {
            hosts,
            aaaa,
            stride: (hosts / aaaa).max(1),
            aliases,
            pools,
            lb,
            txt,
        }
    }

    fn has_aaaa(&self, host: u64) -> bool {
        host.is_multiple_of(self.stride) && host / self.stride < self.aaaa
    }
}

/// Items of a category still to write before host `i` (of `hosts`): the first `ceil((i + 1) * count / hosts)`,
/// so every category is spread evenly and complete by the last host.
fn due(i: u64, count: u64, hosts: u64) -> u64 {
    ((i + 1) as u128 * count as u128).div_ceil(hosts as u128) as u64
}

fn write_zone(a: &Args, l: &Layout, rng: &mut Rng) -> std::io::Result<String> {
    let mut w = BufWriter::with_capacity(1 << 20, File::create(&a.out)?);
    writeln!(
        w,
        "; {} records for {ORIGIN} plus SOA and NS at the apex: bench/src/bin/bigzone.rs --records {} --seed {}",
        a.records, a.records, a.seed
    )?;
    writeln!(w, "$ORIGIN {ORIGIN}\n$TTL 3600")?;
    writeln!(
        w,
        "@ IN SOA ns1.{ORIGIN} hostmaster.{ORIGIN} 2026112501 3600 600 1209600 300"
    )?;
    writeln!(w, "@ IN NS ns1.{ORIGIN}\n@ IN NS ns2.{ORIGIN}")?;
    writeln!(w, "ns1 IN A 10.0.0.53\nns2 IN A 10.0.1.53")?;
    let (mut aliases, mut srv, mut lb, mut txt) = (0u64, 0u64, 0u64, 0u64);
    let mut written = NS_RECORDS;
    let mut line = String::with_capacity(128);
    let mut last = String::new();
    for i in 0..l.hosts {
        line.clear();
        while aliases < due(i, l.aliases, l.hosts) {
            let _ = writeln!(
                line,
                "alias{aliases} IN CNAME host{}.{ORIGIN}",
                rng.below(l.hosts)
            );
            aliases += 1;
            written += 1;
        }
        while srv < due(i, l.pools * SRV_PER_POOL, l.hosts) {
            let (pool, second) = (srv / SRV_PER_POOL, srv % SRV_PER_POOL);
            let _ = writeln!(
                line,
                "_sip._tls.pool{pool} IN SRV {} 0 443 host{}.{ORIGIN}",
                second * 10,
                rng.below(l.hosts)
            );
            srv += 1;
            written += 1;
        }
        while lb < due(i, l.lb, l.hosts) {
            for _ in 0..LB_ADDRESSES {
                let _ = writeln!(line, "lbpool{lb} IN A {}", rng.ipv4(172));
                written += 1;
            }
            lb += 1;
        }
        while txt < due(i, l.txt, l.hosts) {
            let _ = writeln!(line, "txt{txt} IN TXT \"lync site {txt}\"");
            txt += 1;
            written += 1;
        }
        if l.has_aaaa(i) {
            let r = rng.next();
            let _ = writeln!(
                line,
                "host{i} IN AAAA 2001:db8:{:x}:{:x}::{:x}",
                r & 0xffff,
                (r >> 16) & 0xffff,
                1 + (r >> 32) % 0xfffe
            );
            written += 1;
        }
        let addr = rng.ipv4(10);
        let _ = writeln!(line, "host{i} IN A {addr}");
        written += 1;
        w.write_all(line.as_bytes())?;
        if i + 1 == l.hosts {
            last = format!("host{i}.{ORIGIN} A {addr}");
        }
    }
    w.flush()?;
    assert_eq!(written, a.records, "layout arithmetic");
    Ok(last)
}

fn write_queries(path: &str, count: u64, l: &Layout, rng: &mut Rng) -> std::io::Result<()> {
    let mut w = BufWriter::new(File::create(path)?);
    for _ in 0..count {
        let r = rng.unit();
        if r < 0.05 {
            writeln!(w, "nx{}.{ORIGIN} A", rng.below(1_000_000_000))?;
        } else if r < 0.10 {
            writeln!(w, "host{}.{ORIGIN} A", l.hosts + rng.below(l.hosts))?;
        } else if r < 0.14 {
            // NODATA: AAAA of a host with only an A record.
            let mut h = rng.below(l.hosts);
            while l.has_aaaa(h) {
                h = (h + 1) % l.hosts;
            }
            writeln!(w, "host{h}.{ORIGIN} AAAA")?;
        } else if r < 0.15 {
            writeln!(w, "_tls.pool{}.{ORIGIN} SRV", rng.below(l.pools))?;
        } else if r < 0.21 {
            writeln!(w, "_sip._tls.pool{}.{ORIGIN} SRV", rng.below(l.pools))?;
        } else if r < 0.29 {
            writeln!(w, "alias{}.{ORIGIN} A", rng.below(l.aliases))?;
        } else if r < 0.34 {
            writeln!(w, "host{}.{ORIGIN} AAAA", rng.below(l.aaaa) * l.stride)?;
        } else if r < 0.37 {
            writeln!(w, "lbpool{}.{ORIGIN} A", rng.below(l.lb))?;
        } else if r < 0.372 {
            writeln!(w, "txt{}.{ORIGIN} TXT", rng.below(l.txt))?;
        } else {
            writeln!(w, "host{}.{ORIGIN} A", rng.below(l.hosts))?;
        }
    }
    w.flush()
}

fn main() {
    let a = args();
    let layout = Layout::new(a.records);
    let mut rng = Rng(a.seed);
    let last =
        write_zone(&a, &layout, &mut rng).unwrap_or_else(|e| usage(&format!("{}: {e}", a.out)));
    if let Some(q) = &a.queries {
        // Its own stream, so the query file does not change the zone and vice versa.
        let mut qrng = Rng(a.seed ^ 0x5175_6572_6965_7321);
        write_queries(q, a.query_count, &layout, &mut qrng)
            .unwrap_or_else(|e| usage(&format!("{q}: {e}")));
    }
    eprintln!(
        "bigzone: {} records in {}: {} host A, {} AAAA, {} CNAME, {} SRV ({} pools), {} load-balanced names × {LB_ADDRESSES} A, {} TXT, {NS_RECORDS} NS-target A; plus SOA and 2 NS",
        a.records,
        a.out,
        layout.hosts,
        layout.aaaa,
        layout.aliases,
        layout.pools * SRV_PER_POOL,
        layout.pools,
        layout.lb,
        layout.txt
    );
    println!("last {last}");
    println!("nxdomain nx-bigzone-check.{ORIGIN} A");
    let mut nodata = 1;
    while layout.has_aaaa(nodata) {
        nodata += 1;
    }
    println!("nodata host{nodata}.{ORIGIN} AAAA");
}
