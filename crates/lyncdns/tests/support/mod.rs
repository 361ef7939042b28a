//! Helpers shared by the integration tests of the `lyncdns` binary.

#![allow(dead_code)]

pub mod xfr;

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every example deployment file.
pub fn examples() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

/// A default deployment file that never exists: the tests serve what they name (or the embedded example), never
/// a machine's `/etc/lyncdns/deployment.toml`.
pub const NO_DEFAULT_CONFIG: &str = "/nonexistent/lyncdns-test/deployment.toml";

/// Runs the `lyncdns` binary with `args`.
pub fn lyncdns(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lyncdns"))
        .args(args)
        .env("LYNCDNS_DEFAULT_CONFIG", NO_DEFAULT_CONFIG)
        .output()
        .expect("run lyncdns")
}

/// The path of an interop tool, or `None` (with a visible message) when it is missing. When
/// `LYNCDNS_INTEROP=require` (as `.ci/run` sets it) a missing tool fails the test instead.
pub fn interop_tool(name: &str, package: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        if std::env::var("LYNCDNS_INTEROP").as_deref() == Ok("require") {
            panic!(
                "interop tool `{name}` is missing (Debian package {package}) and LYNCDNS_INTEROP=require"
            );
        }
        // Written straight to the process's stderr, past the test harness's capture, so that the skip is seen.
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED interop test: `{name}` not found (install Debian package {package})"
        );
    }
    found
}

/// A running `lyncdns serve` whose stderr lines arrive on a channel.
pub struct Serve {
    child: Child,
    lines: mpsc::Receiver<String>,
    pub addr: SocketAddr,
}

impl Serve {
    pub fn start(args: &[&str]) -> Serve {
        Serve::start_with_env(args, &[])
    }

    /// [`Serve::start`] with more environment variables set for the process.
    pub fn start_with_env(args: &[&str], env: &[(&str, &std::ffi::OsStr)]) -> Serve {
        let mut child = Command::new(env!("CARGO_BIN_EXE_lyncdns"))
            .arg("serve")
            .args(["--dns", "127.0.0.1:0", "--workers", "1"])
            .args(args)
            .env("RUST_LOG", "info")
            .env("LYNCDNS_DEFAULT_CONFIG", NO_DEFAULT_CONFIG)
            .envs(env.iter().copied())
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("start lyncdns serve");
        let (tx, lines) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut s = Serve {
            child,
            lines,
            addr: "0.0.0.0:0".parse().unwrap(),
        };
        let line = s.wait_for("DNS listening");
        let addr = line
            .split("addr=")
            .nth(1)
            .and_then(|a| a.split_whitespace().next())
            .expect("addr= in the log line");
        s.addr = addr.parse().unwrap();
        s
    }

    /// The next stderr line containing `needle` (panics after 10 s).
    pub fn wait_for(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return line,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        panic!("no log line with `{needle}`");
    }

    /// Waits for the process to exit.
    pub fn wait(&mut self) -> std::process::ExitStatus {
        self.child.wait().expect("wait for lyncdns serve")
    }

    pub fn signal(&self, sig: libc::c_int) {
        // SAFETY: sending a signal to our own child process.
        unsafe { libc::kill(self.child.id() as libc::pid_t, sig) };
    }

    /// The A records answered for `name` to a client at `from`.
    pub fn a(&self, name: &str, from: &str) -> Vec<String> {
        let sock = UdpSocket::bind((from, 0)).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        let mut q = vec![0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        for l in name.split('.') {
            q.push(l.len() as u8);
            q.extend_from_slice(l.as_bytes());
        }
        q.extend_from_slice(&[0, 0, 1, 0, 1]);
        sock.send_to(&q, self.addr).unwrap();
        let mut buf = [0u8; 1500];
        let (n, _) = sock.recv_from(&mut buf).expect("an answer");
        let ancount = u16::from_be_bytes([buf[6], buf[7]]) as usize;
        // Answers follow the question; each A record here is a 2-octet pointer + 10 + 4.
        let mut at = q.len();
        let mut out = Vec::new();
        for _ in 0..ancount {
            let rdlen = u16::from_be_bytes([buf[at + 10], buf[at + 11]]) as usize;
            if rdlen == 4 {
                out.push(format!(
                    "{}.{}.{}.{}",
                    buf[at + 12],
                    buf[at + 13],
                    buf[at + 14],
                    buf[at + 15]
                ));
            }
            at += 12 + rdlen;
        }
        assert!(at <= n);
        out
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A peer process (`named`, …) killed and reaped when the test ends, however it ends.
pub struct Peer(pub Child);

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A loopback port free for both UDP and TCP, for a peer that cannot be told to pick its own.
pub fn free_port() -> u16 {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = s.local_addr().unwrap().port();
    std::net::TcpListener::bind(("127.0.0.1", port))
        .map(|_| port)
        .unwrap_or_else(|_| free_port())
}

/// The DOM headless Chromium builds from `url`, or `None` (with a visible message) when `chromium` is missing
/// (a failure when `LYNCDNS_INTEROP=require`). The browser runs with a throwaway profile, no network service
/// beyond the page, and is killed after 90 s.
pub fn chromium_dump_dom(url: &str) -> Option<String> {
    let chromium = interop_tool("chromium", "chromium")?;
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(["--dump-dom", url])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut dom = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut dom);
        dom
    });
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 90 s for {url}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(reader.join().unwrap())
}

/// The body of `GET path` from an HTTP/1.1 server at `addr` (the connection closed after it).
pub fn http_get(addr: SocketAddr, path: &str) -> String {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    std::io::Read::read_to_string(&mut stream, &mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").expect("an HTTP response");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    body.to_owned()
}
