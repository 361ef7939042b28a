//! A batched DNS load generator: keeps up to --inflight UDP queries outstanding (sendmmsg/recvmmsg in batches of
//! --batch), or paces them at --rate, for --duration seconds; or, with --tcp N, pipelines queries over N TCP
//! connections. Prints one JSON line: sent, answered, lost, queries/s, average and p99 latency.
//! Usage: loadgen --server ADDR:PORT --queries FILE [--duration S] [--inflight N] [--batch N] [--rate QPS] [--tcp N]

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

struct Args {
    server: SocketAddr,
    queries: String,
    duration: f64,
    inflight: usize,
    batch: usize,
    rate: f64,
    tcp: usize,
}

fn args() -> Args {
    let mut a = Args {
        server: "127.0.0.1:5300".parse().unwrap(),
        queries: String::new(),
        duration: 5.0,
        inflight: 256,
        batch: 32,
        rate: 0.0,
        tcp: 0,
    };
    let v: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i + 1 < v.len() {
        let val = &v[i + 1];
        match v[i].as_str() {
            "--server" => a.server = val.parse().expect("--server ADDR:PORT"),
            "--queries" => a.queries = val.clone(),
            "--duration" => a.duration = val.parse().expect("--duration seconds"),
            "--inflight" => a.inflight = val.parse().expect("--inflight N"),
            "--batch" => a.batch = val.parse().expect("--batch N"),
            "--rate" => a.rate = val.parse().expect("--rate QPS"),
            "--tcp" => a.tcp = val.parse().expect("--tcp N"),
            other => panic!("unknown option {other}"),
        }
        i += 2;
    }
    a
}

fn report(sent: u64, answered: u64, lost: u64, elapsed: f64, mut lat: Vec<u32>) {
    lat.sort_unstable();
    let avg = if lat.is_empty() {
        0.0
    } else {
        lat.iter().map(|&x| x as f64).sum::<f64>() / lat.len() as f64
    };
    let p99 = lat
        .get(lat.len().saturating_mul(99) / 100)
        .copied()
        .unwrap_or(0);
    println!(
        "{}",
        serde_json::json!({"sent": sent, "answered": answered, "lost": lost, "qps": answered as f64 / elapsed, "avg_us": avg, "p99_us": p99, "seconds": elapsed})
    );
}

fn udp(a: &Args, queries: &[Vec<u8>]) {
    let bind = if a.server.is_ipv4() {
        "127.0.0.1:0"
    } else {
        "[::1]:0"
    };
    let sock = UdpSocket::bind(bind).unwrap();
    sock.connect(a.server).unwrap();
    sock.set_nonblocking(true).unwrap();
    let fd = sock.as_raw_fd();
    let (to, tolen) = lyncdns_bench::sockaddr(a.server);
    let mut out = lyncdns_bench::Batch::new(a.batch, 512);
    let mut inb = lyncdns_bench::Batch::new(a.batch, 4096);
    let mut pending: HashMap<u16, Instant> = HashMap::with_capacity(65536);
    let mut next_id: u16 = 0;
    let mut qi = 0usize;
    let (mut sent, mut answered, mut lost) = (0u64, 0u64, 0u64);
    let mut lat: Vec<u32> = Vec::with_capacity(1 << 20);
    let start = Instant::now();
    let end = start + Duration::from_secs_f64(a.duration);
    let mut last_sweep = start;
    let gap = if a.rate > 0.0 {
        Duration::from_secs_f64(1.0 / a.rate)
    } else {
        Duration::ZERO
    };
    let mut next_send = start;
    while Instant::now() < end {
        // Send a batch if there is room (and, with --rate, if it is time).
        let now = Instant::now();
        let room = a.inflight.saturating_sub(pending.len()).min(a.batch);
        let due = if a.rate > 0.0 {
            (((now - next_send).as_secs_f64() / gap.as_secs_f64()) as usize
                + usize::from(now >= next_send))
            .min(room)
        } else {
            room
        };
        if due > 0 && now >= next_send {
            let mut lens = Vec::with_capacity(due);
            for k in 0..due {
                while pending.contains_key(&next_id) {
                    next_id = next_id.wrapping_add(1);
                }
                let q = &queries[qi % queries.len()];
                qi += 1;
                out.bufs[k][..q.len()].copy_from_slice(q);
                out.bufs[k][0..2].copy_from_slice(&next_id.to_be_bytes());
                pending.insert(next_id, now);
                next_id = next_id.wrapping_add(1);
                lens.push(q.len());
            }
            let n = out.send(fd, &lens, Some((&to, tolen)));
            sent += n as u64;
            if a.rate > 0.0 {
                next_send += gap * due as u32;
            }
        }
        let lens = inb.recv(fd, libc::MSG_DONTWAIT);
        let t = Instant::now();
        for (i, len) in lens.iter().enumerate() {
            if *len < 2 {
                continue;
            }
            let id = u16::from_be_bytes([inb.bufs[i][0], inb.bufs[i][1]]);
            if let Some(s) = pending.remove(&id) {
                answered += 1;
                lat.push((t - s).as_micros() as u32);
            }
        }
        if t - last_sweep > Duration::from_millis(100) {
            last_sweep = t;
            let before = pending.len();
            pending.retain(|_, s| t - *s < Duration::from_secs(1));
            lost += (before - pending.len()) as u64;
        }
    }
    // Queries still in flight when the time is up are not lost: only timeouts (1 s) count.
    report(sent, answered, lost, start.elapsed().as_secs_f64(), lat);
}

fn tcp(a: &Args, queries: &[Vec<u8>]) {
    let start = Instant::now();
    let end = start + Duration::from_secs_f64(a.duration);
    let handles: Vec<_> = (0..a.tcp)
        .map(|c| {
            let queries = queries.to_vec();
            let server = a.server;
            let depth = (a.inflight / a.tcp).max(1);
            std::thread::spawn(move || {
                let mut s = TcpStream::connect(server).unwrap();
                s.set_nodelay(true).unwrap();
                let (mut sent, mut answered) = (0u64, 0u64);
                let mut lat = Vec::new();
                let mut qi = c * 7;
                let mut buf = vec![0u8; 65536];
                let mut times = std::collections::VecDeque::new();
                while Instant::now() < end {
                    // Pipeline `depth` queries, then read the answers.
                    let mut framed = Vec::new();
                    for _ in 0..depth {
                        let q = &queries[qi % queries.len()];
                        qi += 1;
                        framed.extend_from_slice(&(q.len() as u16).to_be_bytes());
                        framed.extend_from_slice(q);
                        times.push_back(Instant::now());
                    }
                    if s.write_all(&framed).is_err() {
                        break;
                    }
                    sent += depth as u64;
                    for _ in 0..depth {
                        let mut len = [0u8; 2];
                        if s.read_exact(&mut len).is_err() {
                            return (sent, answered, lat);
                        }
                        let n = u16::from_be_bytes(len) as usize;
                        if s.read_exact(&mut buf[..n]).is_err() {
                            return (sent, answered, lat);
                        }
                        answered += 1;
                        if let Some(t) = times.pop_front() {
                            lat.push(t.elapsed().as_micros() as u32);
                        }
                    }
                }
                (sent, answered, lat)
            })
        })
        .collect();
    let (mut sent, mut answered, mut lat) = (0, 0, Vec::new());
    for h in handles {
        let (s, a, l) = h.join().unwrap();
        sent += s;
        answered += a;
        lat.extend(l);
    }
    report(
        sent,
        answered,
        sent - answered,
        start.elapsed().as_secs_f64(),
        lat,
    );
}

fn main() {
    let a = args();
    let queries = lyncdns_bench::queries(&a.queries).expect("--queries FILE");
    assert!(!queries.is_empty(), "no queries in {}", a.queries);
    if a.tcp > 0 {
        tcp(&a, &queries)
    } else {
        udp(&a, &queries)
    }
}
