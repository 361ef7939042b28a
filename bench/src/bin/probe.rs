//! Asks a DNS server one question over UDP, again every --interval-ms, until the answer is the expected one or
//! --wait seconds have passed; used to time a server's start (launch → first correct answer) and to check
//! negative answers.
//!
//! Usage: probe --server ADDR:PORT --name NAME [--type A|AAAA|…] (--expect ADDRESS | --nxdomain | --nodata)
//!              [--wait S] [--interval-ms MS] [--since-ns EPOCH_NS] [--pid PID]
//!        probe --free-port
//!
//! An answer counts only if it is a response to one of our queries, authoritative (AA), and: with `--expect`,
//! NOERROR with an answer record of the type asked whose address is ADDRESS; with `--nxdomain`, NXDOMAIN with
//! no answer and the zone's SOA in the authority section; with `--nodata`, NOERROR, no answer, SOA in authority.
//! Anything else (no listener yet, SERVFAIL or REFUSED while a zone loads, a wrong answer) means ask again.
//!
//! Prints `ok SECONDS ATTEMPTS` (SECONDS since --since-ns, a `date +%s%N` taken just before the server was
//! launched; else since the probe started) and exits 0, or prints `fail SECONDS ATTEMPTS LAST` and exits 1.
//! With --pid, it gives up as soon as that process has exited. `--free-port` prints a loopback port on which
//! both UDP and TCP can be bound right now.

use std::net::{IpAddr, SocketAddr, TcpListener, UdpSocket};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[derive(Clone, Copy, PartialEq)]
enum Expect {
    Address,
    NxDomain,
    NoData,
}

struct Args {
    server: SocketAddr,
    name: String,
    qtype: u16,
    expect: Option<Expect>,
    address: Option<IpAddr>,
    wait: f64,
    interval: Duration,
    since_ns: Option<u128>,
    pid: Option<u32>,
}

fn usage(msg: &str) -> ! {
    eprintln!(
        "probe: {msg}\nusage: probe --server ADDR:PORT --name NAME [--type T] (--expect ADDRESS | --nxdomain | --nodata) \
         [--wait S] [--interval-ms MS] [--since-ns EPOCH_NS] [--pid PID]\n       probe --free-port"
    );
    std::process::exit(2)
}

fn qtype(t: &str) -> u16 {
    match t.to_ascii_uppercase().as_str() {
        "A" => 1,
        "NS" => 2,
        "CNAME" => 5,
        "SOA" => 6,
        "TXT" => 16,
        "AAAA" => 28,
        "SRV" => 33,
        _ => usage(&format!("unknown type {t}")),
    }
}

fn args() -> Args {
    let v: Vec<String> = std::env::args().skip(1).collect();
    if v.iter().any(|a| a == "--free-port") {
        println!("{}", free_port());
        std::process::exit(0);
    }
    let mut a = Args {
        server: "127.0.0.1:53".parse().expect("valid"),
        name: String::new(),
        qtype: 1,
        expect: None,
        address: None,
        wait: 2.0,
        interval: Duration::from_millis(5),
        since_ns: None,
        pid: None,
    };
    let mut i = 0;
    while i < v.len() {
        let flag = v[i].as_str();
        match flag {
            "--nxdomain" => a.expect = Some(Expect::NxDomain),
            "--nodata" => a.expect = Some(Expect::NoData),
            _ => {
                let val = v
                    .get(i + 1)
                    .unwrap_or_else(|| usage(&format!("{flag} needs a value")));
                match flag {
                    "--server" => a.server = val.parse().unwrap_or_else(|_| usage("--server")),
                    "--name" => a.name = val.clone(),
                    "--type" => a.qtype = qtype(val),
                    "--expect" => {
                        a.expect = Some(Expect::Address);
                        a.address = Some(val.parse().unwrap_or_else(|_| usage("--expect")));
                    }
                    "--wait" => a.wait = val.parse().unwrap_or_else(|_| usage("--wait")),
                    "--interval-ms" => {
                        a.interval = Duration::from_millis(
                            val.parse().unwrap_or_else(|_| usage("--interval-ms")),
                        )
                    }
                    "--since-ns" => {
                        a.since_ns = Some(val.parse().unwrap_or_else(|_| usage("--since-ns")))
                    }
                    "--pid" => a.pid = Some(val.parse().unwrap_or_else(|_| usage("--pid"))),
                    other => usage(&format!("unknown option {other}")),
                }
                i += 1;
            }
        }
        i += 1;
    }
    if a.name.is_empty() {
        usage("--name is required");
    }
    if a.expect.is_none() {
        usage("one of --expect, --nxdomain, --nodata is required");
    }
    a
}

fn free_port() -> u16 {
    loop {
        let udp = UdpSocket::bind("127.0.0.1:0").expect("bind a UDP socket on 127.0.0.1");
        let port = udp.local_addr().expect("local address").port();
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

fn query(id: u16, name: &str, qtype: u16) -> Vec<u8> {
    let mut b = Vec::with_capacity(64);
    b.extend_from_slice(&id.to_be_bytes());
    b.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 1]);
    for l in name.trim_end_matches('.').split('.') {
        b.push(l.len() as u8);
        b.extend_from_slice(l.as_bytes());
    }
    b.push(0);
    b.extend_from_slice(&qtype.to_be_bytes());
    b.extend_from_slice(&[0, 1]);
    // OPT: 1232-octet payload, no options.
    b.extend_from_slice(&[0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0]);
    b
}

/// Offset after the (possibly compressed) name at `at`.
fn skip_name(m: &[u8], mut at: usize) -> Option<usize> {
    loop {
        let len = *m.get(at)? as usize;
        match len {
            0 => return Some(at + 1),
            l if l & 0xc0 == 0xc0 => return Some(at + 2),
            l => at += l + 1,
        }
    }
}

fn u16_at(m: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*m.get(at)?, *m.get(at + 1)?]))
}

/// Why `m` is not the expected answer, or `None` if it is.
fn verdict(a: &Args, m: &[u8]) -> Option<String> {
    let check = || -> Result<(), String> {
        let flags = u16_at(m, 2).ok_or("short header")?;
        let rcode = flags & 0xf;
        if flags & 0x8000 == 0 {
            return Err("not a response".into());
        }
        if flags & 0x0200 != 0 {
            return Err("truncated".into());
        }
        let counts: Vec<u16> = (0..4).map(|k| u16_at(m, 4 + 2 * k).unwrap_or(0)).collect();
        let mut at = 12;
        for _ in 0..counts[0] {
            at = skip_name(m, at).ok_or("bad question")? + 4;
        }
        // (section, type, rdata) of every record of the answer and authority sections.
        let mut rrs = Vec::new();
        for (section, &n) in counts[1..3].iter().enumerate() {
            for _ in 0..n {
                at = skip_name(m, at).ok_or("bad record")?;
                let t = u16_at(m, at).ok_or("bad record")?;
                let len = u16_at(m, at + 8).ok_or("bad record")? as usize;
                let rdata = m.get(at + 10..at + 10 + len).ok_or("bad record")?;
                rrs.push((section, t, rdata));
                at += 10 + len;
            }
        }
        if flags & 0x0400 == 0 {
            return Err(format!("not authoritative (rcode {rcode})"));
        }
        let soa_in_authority = rrs.iter().any(|&(s, t, _)| s == 1 && t == 6);
        match a.expect.expect("checked") {
            Expect::Address => {
                if rcode != 0 {
                    return Err(format!("rcode {rcode}"));
                }
                let want: Vec<u8> = match a.address.expect("checked") {
                    IpAddr::V4(v) => v.octets().to_vec(),
                    IpAddr::V6(v) => v.octets().to_vec(),
                };
                if !rrs
                    .iter()
                    .any(|&(s, t, d)| s == 0 && t == a.qtype && d == want.as_slice())
                {
                    return Err(format!("no {} in the answer", a.address.expect("checked")));
                }
            }
            Expect::NxDomain | Expect::NoData => {
                let want = if a.expect == Some(Expect::NxDomain) {
                    3
                } else {
                    0
                };
                if rcode != want {
                    return Err(format!("rcode {rcode}, expected {want}"));
                }
                if counts[1] != 0 {
                    return Err(format!("{} answer records, expected none", counts[1]));
                }
                if !soa_in_authority {
                    return Err("no SOA in the authority section".into());
                }
            }
        }
        Ok(())
    };
    check().err()
}

fn alive(pid: u32) -> bool {
    // A child that has exited but is not yet reaped is a zombie ("Z" after the command name).
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(s) => s
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z')),
        Err(_) => false,
    }
}

fn main() {
    let a = args();
    let started = Instant::now();
    // Time already elapsed since the launch (--since-ns), so SECONDS covers launch → answer.
    let before = a.since_ns.map_or(Duration::ZERO, |ns| {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock after 1970")
            .as_nanos();
        Duration::from_nanos(now.saturating_sub(ns) as u64)
    });
    let elapsed = || (before + started.elapsed()).as_secs_f64();
    let deadline = started + Duration::from_secs_f64(a.wait);
    let bind = if a.server.is_ipv4() {
        "127.0.0.1:0"
    } else {
        "[::1]:0"
    };
    let sock = UdpSocket::bind(bind).expect("bind a UDP socket");
    sock.connect(a.server).expect("connect the UDP socket");
    let mut buf = vec![0u8; 65535];
    let mut attempts: u32 = 0;
    let mut last = String::from("no answer");
    let mut next_send = Instant::now();
    loop {
        let now = Instant::now();
        if now >= deadline || a.pid.is_some_and(|p| !alive(p)) {
            if a.pid.is_some_and(|p| !alive(p)) {
                last = format!("the server process exited; last: {last}");
            }
            println!("fail {:.3} {attempts} {last}", elapsed());
            std::process::exit(1);
        }
        if now >= next_send {
            // Errors (no listener yet) only mean: try again.
            let _ = sock.send(&query(attempts as u16, &a.name, a.qtype));
            attempts += 1;
            next_send = now + a.interval;
        }
        let wait = next_send
            .min(deadline)
            .saturating_duration_since(Instant::now());
        sock.set_read_timeout(Some(wait.max(Duration::from_micros(100))))
            .expect("set a timeout");
        let Ok(n) = sock.recv(&mut buf) else {
            continue;
        };
        let m = &buf[..n];
        // Any of our queries so far (they all ask the same question).
        if n < 12 || (attempts <= 0xffff && u32::from(u16::from_be_bytes([m[0], m[1]])) >= attempts)
        {
            continue;
        }
        match verdict(&a, m) {
            None => {
                println!("ok {:.3} {attempts}", elapsed());
                return;
            }
            Some(why) => last = why,
        }
    }
}
