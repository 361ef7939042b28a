//! `lyncdns serve` at its file-descriptor limit (issue 13): with `RLIMIT_NOFILE` lowered to 256 in the child,
//! hundreds of TCP connections that send nothing make DNS over TCP pause accepting (logged once) while a quarter
//! of the descriptors stays free, so a SIGHUP reload that reads a zone file and UDP queries still work; once the
//! connections close, TCP is accepted and answered again.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The child's file-descriptor limit: `fd_cap(256)` keeps descriptors 128 and up for everything but TCP.
const NOFILE: u64 = 256;

struct Child_ {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Child_ {
    /// The next stderr line containing `needle` (panics after 20 s).
    fn wait_for(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return line,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        panic!("no log line with `{needle}`");
    }
}

impl Drop for Child_ {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The A records answered to a UDP query for `name` from 127.0.0.1 (the internal view).
fn udp_a(server: SocketAddr, name: &str) -> usize {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    sock.send_to(&query(name), server).unwrap();
    let mut buf = [0u8; 1500];
    let (n, _) = sock.recv_from(&mut buf).expect("a UDP answer at the limit");
    assert!(n > 12);
    u16::from_be_bytes([buf[6], buf[7]]) as usize
}

fn query(name: &str) -> Vec<u8> {
    let mut q = vec![0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    for l in name.split('.') {
        q.push(l.len() as u8);
        q.extend_from_slice(l.as_bytes());
    }
    q.extend_from_slice(&[0, 0, 1, 0, 1]);
    q
}

/// A TCP query from 127.0.0.1: the number of answer records, or None if the connection gave no answer.
fn tcp_a(server: SocketAddr, name: &str) -> Option<usize> {
    let mut s = TcpStream::connect_timeout(&server, Duration::from_secs(5)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let q = query(name);
    let mut framed = (q.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(&q);
    s.write_all(&framed).ok()?;
    let mut len = [0u8; 2];
    s.read_exact(&mut len).ok()?;
    let mut buf = vec![0u8; u16::from_be_bytes(len) as usize];
    s.read_exact(&mut buf).ok()?;
    Some(u16::from_be_bytes([buf[6], buf[7]]) as usize)
}

#[test]
fn issue13_tcp_pauses_at_the_descriptor_limit_and_udp_and_reload_keep_working() {
    let dir = tempfile::tempdir().unwrap();
    let zone = dir.path().join("lab.zone");
    std::fs::write(&zone, "$ORIGIN lab.test.\n@ 60 SOA ns h 1 1 1 1 60\n@ 60 NS ns\nns 60 A 192.0.2.53\nhost 60 A 192.0.2.7\n").unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lyncdns"));
    cmd.arg("serve")
        .args(["--dns", "127.0.0.1:0", "--workers", "1"])
        .args(["--zone", &format!("internal={}", zone.display())])
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .stdout(Stdio::null());
    // SAFETY: between fork and exec only setrlimit runs, which is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            let rl = libc::rlimit {
                rlim_cur: NOFILE as libc::rlim_t,
                rlim_max: NOFILE as libc::rlim_t,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &rl) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().expect("start lyncdns serve");
    let (tx, lines) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut s = Child_ { child, lines };
    let line = s.wait_for("DNS listening");
    let addr: SocketAddr = line
        .split("addr=")
        .nth(1)
        .and_then(|a| a.split_whitespace().next())
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(tcp_a(addr, "host.lab.test"), Some(1));

    // 300 silent connections from ten /24s (30 each, within the per-prefix limit of 32): more than the 128
    // descriptors DNS over TCP may take.
    let mut held = Vec::new();
    for k in 0..300u32 {
        let sock =
            socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        let from = SocketAddr::from(([127, 0, 1 + (k / 30) as u8, 1 + (k % 30) as u8], 0));
        sock.bind(&from.into()).unwrap();
        sock.connect_timeout(&addr.into(), Duration::from_secs(5))
            .unwrap();
        held.push(sock);
    }
    s.wait_for("TCP accept paused");

    // The reserve keeps UDP and a reload that reads the zone file working.
    assert_eq!(udp_a(addr, "host.lab.test"), 1);
    std::fs::write(&zone, "$ORIGIN lab.test.\n@ 60 SOA ns h 2 1 1 1 60\n@ 60 NS ns\nns 60 A 192.0.2.53\nhost 60 A 192.0.2.7\nhost 60 A 192.0.2.8\n").unwrap();
    // SAFETY: signalling our own child.
    unsafe { libc::kill(s.child.id() as libc::pid_t, libc::SIGHUP) };
    s.wait_for("reloaded");
    assert_eq!(udp_a(addr, "host.lab.test"), 2);

    // The connections go; accepting resumes and TCP is answered again.
    drop(held);
    s.wait_for("TCP accept resumed");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match tcp_a(addr, "host.lab.test") {
            Some(n) => {
                assert_eq!(n, 2);
                break;
            }
            None => assert!(Instant::now() < deadline, "TCP not answered again"),
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
