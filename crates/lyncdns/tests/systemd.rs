//! `lyncdns serve` as a systemd service runs it (issue 18): the default deployment file, the readiness protocol
//! of `Type=notify` (READY=1 once every listener is up, RELOADING=1 then READY=1 with the result around each
//! SIGHUP, STOPPING=1), journald-friendly log lines, and a clear exit when a listener cannot be bound.

mod support;

use std::ffi::OsStr;
use std::os::unix::net::UnixDatagram;
use std::time::Duration;

use support::{Serve, lyncdns};

/// The service manager's end of `NOTIFY_SOCKET`: a datagram socket in a temporary directory.
struct FakeManager {
    socket: UnixDatagram,
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
}

impl FakeManager {
    fn new() -> FakeManager {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify.sock");
        let socket = UnixDatagram::bind(&path).unwrap();
        socket
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        FakeManager {
            socket,
            _dir: dir,
            path,
        }
    }

    /// The next notification (panics after 20 s without one).
    fn next(&self) -> String {
        let mut buf = [0u8; 4096];
        let n = self.socket.recv(&mut buf).expect("a notification");
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }
}

#[test]
fn serve_notifies_ready_then_reloading_and_ready_with_each_reload_result() {
    let manager = FakeManager::new();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("deployment.toml");
    std::fs::write(&file, lyncdns_model::EMBEDDED_EXAMPLE).unwrap();
    let mut s = Serve::start_with_env(
        &[file.to_str().unwrap()],
        &[("NOTIFY_SOCKET", manager.path.as_os_str())],
    );
    let ready = manager.next();
    assert!(ready.lines().any(|l| l == "READY=1"), "{ready}");
    assert!(
        ready.contains("STATUS=serving internal (5 zones"),
        "{ready}"
    );
    // READY=1 comes after the listeners: the DNS answers now.
    assert_eq!(s.a("sip.lyncdude.net", "127.0.0.1"), ["10.0.0.10"]);

    std::fs::write(
        &file,
        lyncdns_model::EMBEDDED_EXAMPLE.replace("mobility = true", "mobilty = true"),
    )
    .unwrap();
    s.signal(libc::SIGHUP);
    let reloading = manager.next();
    assert!(reloading.lines().any(|l| l == "RELOADING=1"), "{reloading}");
    let failed = manager.next();
    assert!(failed.lines().any(|l| l == "READY=1"), "{failed}");
    assert!(
        failed.contains("STATUS=reload failed, still serving the previous data")
            && failed.contains("unknown field `mobilty`"),
        "{failed}"
    );

    std::fs::write(&file, lyncdns_model::EMBEDDED_EXAMPLE).unwrap();
    s.signal(libc::SIGHUP);
    assert!(manager.next().contains("RELOADING=1"));
    let reloaded = manager.next();
    assert!(
        reloaded.lines().any(|l| l == "READY=1") && reloaded.contains("STATUS=reloaded: serving"),
        "{reloaded}"
    );

    s.signal(libc::SIGTERM);
    assert!(manager.next().contains("STOPPING=1"));
    assert!(s.wait().success());
}

#[test]
fn serve_without_a_file_reads_the_default_file_when_it_exists() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("deployment.toml");
    std::fs::write(
        &file,
        lyncdns_model::EMBEDDED_EXAMPLE.replace("203.0.113.10", "203.0.113.77"),
    )
    .unwrap();
    let mut s = Serve::start_with_env(&[], &[("LYNCDNS_DEFAULT_CONFIG", file.as_os_str())]);
    assert_eq!(s.a("sip.lyncdude.net", "127.0.0.2"), ["203.0.113.77"]);
    s.signal(libc::SIGTERM);
    assert!(s.wait().success());

    // No default file: the embedded example, as before.
    let s = Serve::start(&[]);
    assert_eq!(s.a("sip.lyncdude.net", "127.0.0.2"), ["203.0.113.10"]);

    let help = String::from_utf8_lossy(&lyncdns(&["serve", "--help"]).stdout).into_owned();
    assert!(help.contains("/etc/lyncdns/deployment.toml"), "{help}");
}

#[test]
fn under_systemd_log_lines_carry_no_timestamp() {
    let mut s = Serve::start_with_env(&[], &[("JOURNAL_STREAM", OsStr::new("8:4242"))]);
    let mut s2 = Serve::start_with_env(&[], &[("INVOCATION_ID", OsStr::new("abc123"))]);
    for s in [&mut s, &mut s2] {
        s.signal(libc::SIGTERM);
        let line = s.wait_for("shutting down");
        assert!(line.trim_start().starts_with("INFO"), "{line}");
    }
    // Outside systemd, each line starts with its time.
    let mut s = Serve::start(&[]);
    s.signal(libc::SIGTERM);
    let line = s.wait_for("shutting down");
    assert!(line.starts_with(|c: char| c.is_ascii_digit()), "{line}");
}

#[test]
fn a_listener_that_cannot_be_bound_exits_2_naming_protocol_and_address() {
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = udp.local_addr().unwrap().to_string();
    let out = lyncdns(&["serve", "--dns", &addr, "--workers", "1"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("cannot listen on UDP {addr}")),
        "{err}"
    );

    let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = tcp.local_addr().unwrap().to_string();
    let out = lyncdns(&["serve", "--dns", "127.0.0.1:0", "--metrics", &addr]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("cannot listen on TCP (metrics) {addr}")),
        "{err}"
    );

    let out = lyncdns(&["serve", "--dns", "127.0.0.1:0", "--http", &addr]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("HTTP/HTTPS over TCP") && err.contains(&format!("cannot listen on {addr}")),
        "{err}"
    );
}
